// The public Session: thin forwarding to SessionImpl.

#include "orm/session_impl.hpp"
#include "relate/orm/query.hpp"

namespace relate {

namespace {
InstanceState& state(const Object& o) {
  if (!o) throw InvalidRequest("null object handle");
  return o.block()->state();
}
}  // namespace

Session::Session(Engine engine, Registry& registry, SessionOptions options)
    : impl_(std::make_unique<SessionImpl>(std::move(engine), registry, options)) {}
Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

void Session::add(const Object& object) { impl_->add(state(object)); }
void Session::add_all(std::initializer_list<Object> objects) {
  for (const auto& o : objects) add(o);
}
void Session::remove(const Object& object) { impl_->remove(state(object)); }
void Session::flush() { impl_->flush(); }
void Session::commit() { impl_->commit(); }
void Session::rollback() { impl_->rollback(); }
void Session::close() { impl_->close(); }
void Session::begin() { impl_->begin(); }
bool Session::in_transaction() const noexcept { return impl_->in_transaction(); }
void Session::expunge(const Object& object) { impl_->expunge(state(object)); }
void Session::expunge_all() { impl_->expunge_all(); }
void Session::expire(const Object& object, std::initializer_list<std::string_view> columns) {
  InstanceState& st = state(object);
  std::vector<std::size_t> idx;
  for (auto name : columns) {
    const Mapper& m = st.mapper() ? *st.mapper() : impl_->registry().mapper_for(object.type());
    const auto* c = m.find_column(name);
    if (c == nullptr)
      throw InvalidRequest(m.class_name() + " has no mapped column '" + std::string(name) + "'");
    idx.push_back(c->index());
  }
  impl_->expire(st, idx);
}
void Session::expire_all() { impl_->expire_all(); }
void Session::refresh(const Object& object) { impl_->refresh(state(object)); }
bool Session::contains(const Object& object) const noexcept {
  return object && impl_->contains(object.block()->state());
}
std::vector<Object> Session::new_objects() const { return impl_->new_objects(); }
std::vector<Object> Session::dirty_objects() const { return impl_->dirty_objects(); }
std::vector<Object> Session::deleted_objects() const { return impl_->deleted_objects(); }
DeletePreview Session::delete_preview() { return impl_->delete_preview(); }

Session::NoAutoflush::NoAutoflush(SessionImpl& s) : session_(s) { ++session_.no_autoflush_depth(); }
Session::NoAutoflush::~NoAutoflush() { --session_.no_autoflush_depth(); }
Session::NoAutoflush Session::no_autoflush() { return NoAutoflush(*impl_); }

Result Session::execute(const Executable& statement, const Params& params) {
  auto stmt = impl_->compile(statement);
  return impl_->connection().execute(stmt, params);
}

Registry& Session::registry() const noexcept { return impl_->registry(); }
const Engine& Session::engine() const noexcept { return impl_->engine(); }

const Mapper& Session::registry_mapper(const std::type_info& type) const {
  return impl_->mapper_for(type);
}
detail::ObjectBlock* Session::get_block(const Mapper& mapper, std::span<const Value> key) {
  return impl_->get(mapper, key);
}
detail::ObjectBlock* Session::get_block_by_integer(const std::type_info& type, std::int64_t key) {
  return impl_->get_by_integer(impl_->mapper_for(type), key);
}
detail::ObjectBlock* Session::merge_block(detail::ObjectBlock* source, bool load) {
  if (source == nullptr) throw InvalidRequest("merge() of a null object handle");
  return impl_->merge(source, load);
}

ObjectState state_of(const Object& object) noexcept {
  return object ? object.block()->state().state() : ObjectState::transient;
}

void make_transient(const Object& object) {
  InstanceState& st = state(object);
  if (st.session()) {
    st.session()->make_transient(st);
  } else {
    StateAccess::forget_identity(st);
  }
}

bool is_modified(const Object& object) {
  InstanceState& st = state(object);
  return st.session() && st.session()->is_modified(st);
}

void detail::Identity::assign(std::span<const Value> key) {
  if (key.size() == 1)
    if (const std::int64_t* n = key.front().if_integer()) {
      assign_integer(*n);
      return;
    }
  // Copied before the old values go: `key` may be this identity's own view.
  std::unique_ptr<Value[]> values;
  if (!key.empty()) {
    values = std::make_unique<Value[]>(key.size());
    std::copy(key.begin(), key.end(), values.get());
  }
  clear();
  values_ = values.release();
  size_ = static_cast<std::uint32_t>(key.size());
}

std::string_view to_string(ObjectState s) noexcept {
  switch (s) {
    case ObjectState::transient: return "transient";
    case ObjectState::pending: return "pending";
    case ObjectState::persistent: return "persistent";
    case ObjectState::deleted: return "deleted";
    case ObjectState::detached: return "detached";
  }
  return "unknown";
}

namespace detail {

void ObjectBlock::last_reference_gone() noexcept {
  if (auto* s = state_.session(); s != nullptr && s->keep_alive(state_)) return;
  delete this;
}

void note_access(InstanceState& state) noexcept {
  if (state.session() != nullptr) state.session()->note_seen(state);
}

namespace {
// Kept out of prepare_access(), whose common case (the first access after a
// load or a flush) then needs no stack frame for building a message.
[[gnu::noinline, gnu::cold]] void load_on_access(InstanceState& state) {
  if (state.session() == nullptr)
    throw DetachedInstanceError(
        "Instance '" + (state.mapper() ? state.mapper()->describe(state.identity().view()) : "?") +
        "' is not bound to a Session; attribute refresh operation cannot proceed (keep it in a "
        "Session, or use SessionOptions::expire_on_commit = false)");
  state.session()->load_expired(state);
}
}  // namespace

void prepare_access(InstanceState& state) {
  if (state.session() != nullptr) state.session()->note_seen(state);
  if (state.needs_load()) [[unlikely]]
    load_on_access(state);
}

}  // namespace detail

void StateAccess::forget_identity(InstanceState& st) {
  st.has_identity_ = false;
  st.identity_.clear();
  st.deleted_ = false;
  st.committed_.clear();
  st.expired_.assign(st.expired_.size(), false);
}

}  // namespace relate
