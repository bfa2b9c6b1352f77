// Relationships: resolving them at configure time, binding the members of new
// objects, keeping both sides in sync in memory (spec 7.2) and loading them.

#include "relate/orm/relationship.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <typeindex>
#include <unordered_map>

#include "orm/handle_access.hpp"
#include "orm/mapping_table.hpp"
#include "orm/session_impl.hpp"
#include "relate/core/warning.hpp"
#include "relate/orm/collector.hpp"
#include "relate/orm/handles.hpp"
#include "relate/orm/registry.hpp"

namespace relate {

// ---- the process-wide type -> mapper table ---------------------------------------

namespace detail {
namespace {
std::mutex table_mutex;
std::unordered_map<std::type_index, Mapper*>& mapping_table() {
  static std::unordered_map<std::type_index, Mapper*> t;
  return t;
}
// Changes whenever the table does. Each thread keeps its recent answers, good
// while the table is unchanged: making objects in a loop asks the same few
// questions over and over (a parent, its children, in turn), and the table
// costs a process-wide lock and a hash of the type's name, a lock that
// threads making objects at the same time would wait on.
std::atomic<std::uint64_t> table_version{1};
struct RecentAnswers {
  struct Answer {
    const std::type_info* type = nullptr;
    Mapper* mapper = nullptr;
  };
  std::uint64_t version = 0;
  std::array<Answer, 8> answers{};  // by a hash of the type_info's address
  Answer& slot(const std::type_info& type) noexcept {
    return answers[(reinterpret_cast<std::uintptr_t>(&type) * 0x9E3779B97F4A7C15u) >> 61];
  }
};
thread_local RecentAnswers recent_answers;
}  // namespace

void remember_mapper(const std::type_info& type, Mapper* mapper) {
  std::lock_guard lock(table_mutex);
  mapping_table()[std::type_index(type)] = mapper;
  table_version.fetch_add(1, std::memory_order_release);
}

void forget_registry(const Registry* registry) {
  std::lock_guard lock(table_mutex);
  auto& t = mapping_table();
  for (auto it = t.begin(); it != t.end();) {
    if (&it->second->registry() == registry)
      it = t.erase(it);
    else
      ++it;
  }
  table_version.fetch_add(1, std::memory_order_release);
}

const Mapper* mapper_of(const std::type_info& type) {
  Mapper* m = nullptr;
  const std::uint64_t version = table_version.load(std::memory_order_acquire);
  RecentAnswers& recent = recent_answers;
  if (recent.version != version) {
    recent.answers = {};
    recent.version = version;
  }
  RecentAnswers::Answer& answer = recent.slot(type);
  if (answer.type == &type) {
    m = answer.mapper;
  } else {
    std::lock_guard lock(table_mutex);
    auto& t = mapping_table();
    auto it = t.find(std::type_index(type));
    if (it == t.end()) return nullptr;
    m = it->second;
    answer = {&type, m};
  }
  m->registry().configure();
  return m;
}

}  // namespace detail

using detail::CollectionBase;
using detail::HandleAccess;
using detail::ObjectBlock;
using detail::RelationshipHandle;
using detail::ScalarBase;

std::string_view to_string(Direction d) noexcept {
  switch (d) {
    case Direction::one_to_many: return "one-to-many";
    case Direction::many_to_one: return "many-to-one";
    case Direction::many_to_many: return "many-to-many";
  }
  return "?";
}

std::string_view to_string(Loading l) noexcept {
  switch (l) {
    case Loading::lazy: return "lazy";
    case Loading::selectin: return "selectin";
    case Loading::joined: return "joined";
    case Loading::raise: return "raise";
    case Loading::raise_on_sql: return "raise_on_sql";
    case Loading::dynamic: return "dynamic";
    case Loading::write_only: return "write_only";
  }
  return "?";
}

std::string Relationship::describe() const { return owner_->class_name() + "." + name_; }

RelationshipHandle& Relationship::handle(ObjectBlock* block) const {
  return handle(block->object());
}

Relationship& Mapper::add_relationship(std::string name, const std::type_info& target,
                                       bool collection, RelationshipOptions&& options,
                                       std::size_t handle_at, detail::MemberKey member) {
  auto& r = *relationships_.emplace_back(std::make_unique<Relationship>());
  r.name_ = std::move(name);
  r.owner_ = this;
  r.target_type_ = &target;
  r.collection_ = collection;
  r.options_ = std::move(options);
  r.handle_at_ = handle_at;
  r.index_ = relationships_.size() - 1;
  r.member_ = member;
  return r;
}

void detail::check_loading(const Mapper& mapper, const std::string& name,
                           RelationshipOptions& options, std::optional<Loading> required,
                           const char* spelling) {
  const std::string what = mapper.class_name() + "." + name;
  if (required) {
    if (options.lazy == Loading::lazy) options.lazy = *required;
    if (options.lazy != *required)
      throw ConfigurationError(what + " is a " + spelling +
                               ", which loads as lazy = " + std::string(to_string(*required)) +
                               ", not " + std::string(to_string(options.lazy)) +
                               "; leave .lazy unset or use relate::Many<...>");
  } else if (options.lazy == Loading::dynamic || options.lazy == Loading::write_only) {
    throw ConfigurationError(what + " has lazy = " + std::string(to_string(options.lazy)) +
                             "; declare the member as relate::" +
                             (options.lazy == Loading::dynamic ? "Dynamic" : "WriteOnly") +
                             "<...> (include relate/orm/dynamic.hpp)");
  }
}

const Relationship* Mapper::find_relationship(std::string_view name) const noexcept {
  for (const auto& r : relationships_)
    if (r->name() == name) return r.get();
  return nullptr;
}

// ---- configure ----------------------------------------------------------------------

namespace {

std::vector<const ForeignKey*> foreign_keys_between(const Table& from, const Table& to,
                                                    const std::vector<std::string>& only) {
  std::vector<const ForeignKey*> out;
  for (const auto& fk : from.foreign_keys()) {
    if (fk.target_table() != to.name()) continue;
    if (!only.empty()) {
      bool named = false;
      for (const auto& c : fk.columns())
        if (std::find(only.begin(), only.end(), c) != only.end()) named = true;
      if (!named) continue;
    }
    out.push_back(&fk);
  }
  return out;
}

std::size_t column_index(const Mapper& m, const std::string& column, const Relationship& r) {
  if (const auto* c = m.find_column(column)) return c->index();
  throw ConfigurationError(r.describe() + " uses column '" + m.table_name() + "." + column +
                           "', which is not mapped on " + m.class_name() +
                           "; map it with m.column(...)");
}

}  // namespace

void Registry::resolve_relationships() {
  for (auto& mp : mappers_) {
    for (auto& rp : mp->relationships_) {
      Relationship& r = *rp;
      const std::string what = r.describe();
      const Mapper* target = find_mapper(*r.target_type_);
      if (target == nullptr)
        throw ConfigurationError(what +
                                 " refers to a struct that is not mapped in this Registry; "
                                 "map it with registry.map<...>() as well");
      r.target_ = target;
      const Table& owner_table = mp->table();
      const Table& target_table = target->table();
      r.pairs_.clear();
      r.secondary_owner_.clear();
      r.secondary_target_.clear();

      if (!r.options_.secondary.empty()) {
        const Table* sec = metadata_.find(r.options_.secondary);
        if (sec == nullptr)
          throw ConfigurationError(what + " names secondary table '" + r.options_.secondary +
                                   "', which is not declared; declare it with registry.table(\"" +
                                   r.options_.secondary + "\", {...})");
        if (!r.collection_)
          throw ConfigurationError(what + " is many-to-many and must be a relate::Many<...>");
        r.direction_ = Direction::many_to_many;
        r.secondary_ = sec;
        auto to_owner = foreign_keys_between(*sec, owner_table, r.options_.foreign_keys);
        auto to_target = foreign_keys_between(*sec, target_table, {});
        if (&owner_table == &target_table) {
          // Self-referential: foreign_keys names the column(s) pointing at the owner.
          if (r.options_.foreign_keys.empty() || to_owner.size() != 1)
            throw ConfigurationError(what + " links '" + owner_table.name() +
                                     "' to itself through '" + sec->name() +
                                     "'; name the secondary column that refers to the owner "
                                     "with foreign_keys = {\"...\"}");
          std::erase(to_target, to_owner.front());
        }
        if (to_owner.size() != 1 || to_target.size() != 1)
          throw ConfigurationError(what + ": secondary table '" + sec->name() +
                                   "' must have exactly one foreign key to '" + owner_table.name() +
                                   "' and one to '" + target_table.name() + "'");
        for (std::size_t i = 0; i < to_owner.front()->columns().size(); ++i)
          r.secondary_owner_.emplace_back(
              column_index(*mp, to_owner.front()->target_columns()[i], r),
              &sec->column(to_owner.front()->columns()[i]));
        for (std::size_t i = 0; i < to_target.front()->columns().size(); ++i)
          r.secondary_target_.emplace_back(
              column_index(*target, to_target.front()->target_columns()[i], r),
              &sec->column(to_target.front()->columns()[i]));
      } else {
        auto child_side = foreign_keys_between(target_table, owner_table, r.options_.foreign_keys);
        auto owner_side = foreign_keys_between(owner_table, target_table, r.options_.foreign_keys);
        const bool self = &owner_table == &target_table;
        const ForeignKey* fk = nullptr;
        if (self) {
          if (child_side.size() != 1)
            throw ConfigurationError(
                what + " links '" + owner_table.name() + "' to itself but the table has " +
                std::to_string(child_side.size()) +
                " foreign keys to itself; name the one to use with foreign_keys = {\"...\"}");
          fk = child_side.front();
          r.direction_ = r.collection_ ? Direction::one_to_many : Direction::many_to_one;
        } else if (!child_side.empty() && !owner_side.empty()) {
          throw ConfigurationError(what + ": '" + owner_table.name() + "' and '" +
                                   target_table.name() +
                                   "' refer to each other; name the foreign-key column this "
                                   "relationship uses with foreign_keys = {\"...\"}");
        } else if (child_side.size() == 1) {
          fk = child_side.front();
          r.direction_ = Direction::one_to_many;
        } else if (owner_side.size() == 1) {
          fk = owner_side.front();
          r.direction_ = Direction::many_to_one;
          if (r.collection_)
            throw ConfigurationError(what + " is a relate::Many<...> but the foreign key is in '" +
                                     owner_table.name() +
                                     "' (many-to-one); use relate::One<...> for it");
        } else if (child_side.empty() && owner_side.empty()) {
          throw ConfigurationError(what + ": there is no foreign key between '" +
                                   owner_table.name() + "' and '" + target_table.name() +
                                   "'; add one with relate::foreign_key(\"...\") on the column, "
                                   "or give options.secondary for many-to-many");
        } else {
          throw ConfigurationError(what + ": '" + owner_table.name() + "' and '" +
                                   target_table.name() +
                                   "' are linked by more than one foreign key; name the one this "
                                   "relationship uses with foreign_keys = {\"...\"}");
        }
        const Mapper& parent = r.direction_ == Direction::many_to_one ? *target : *mp;
        const Mapper& child = r.direction_ == Direction::many_to_one ? *mp : *target;
        for (std::size_t i = 0; i < fk->columns().size(); ++i)
          r.pairs_.push_back({column_index(parent, fk->target_columns()[i], r),
                              column_index(child, fk->columns()[i], r)});
      }

      Cascade c = r.options_.cascade ? r.options_.cascade->resolve() : Cascade();
      if (r.options_.viewonly)
        c = Cascade(c.bits() & (Cascade::merge | Cascade::refresh_expire | Cascade::expunge));
      r.cascade_ = c;
      if (c.has(Cascade::delete_orphan) && r.direction_ != Direction::one_to_many &&
          !r.options_.single_parent)
        throw ConfigurationError(
            "For " + std::string(to_string(r.direction_)) + " relationship " + what +
            ", delete-orphan cascade is normally configured only on the \"one\" side of a "
            "one-to-many relationship, and not on the \"many\" side of a many-to-one or "
            "many-to-many relationship. To force this, set single_parent = true on " +
            what);
      if (r.options_.restrict_delete != Restrict::none &&
          (r.direction_ == Direction::many_to_one || c.has(Cascade::remove)))
        throw ConfigurationError(
            what +
            ": restrict_delete refuses to delete a parent that has children, so it goes "
            "on a one-to-many or many-to-many relationship without a 'delete' cascade");
      if (r.options_.passive_deletes_all &&
          (c.has(Cascade::remove) || c.has(Cascade::delete_orphan)))
        throw ConfigurationError("On " + what +
                                 ", can't set passive_deletes \"all\" in conjunction with "
                                 "'delete' or 'delete-orphan' cascade");
    }
  }
  // Reverses, once every relationship knows its direction.
  for (auto& mp : mappers_) {
    for (auto& rp : mp->relationships_) {
      Relationship& r = *rp;
      r.reverse_ = nullptr;
      if (r.options_.back_populates.empty()) continue;
      const Relationship* rev = r.target_->find_relationship(r.options_.back_populates);
      if (rev == nullptr)
        throw ConfigurationError(r.describe() + " has back_populates = \"" +
                                 r.options_.back_populates + "\", but " + r.target_->class_name() +
                                 " has no relationship of that name; declare it with "
                                 "m.relationship(\"" +
                                 r.options_.back_populates + "\", ...)");
      if (&rev->target() != mp.get())
        throw ConfigurationError(r.describe() + " has back_populates = \"" +
                                 r.options_.back_populates + "\", but " + rev->describe() +
                                 " refers to " + rev->target().class_name() + ", not " +
                                 mp->class_name());
      if (!rev->options().back_populates.empty() && rev->options().back_populates != r.name_)
        throw ConfigurationError(r.describe() + " and " + rev->describe() +
                                 " do not name each other in back_populates");
      if (rev->direction() == r.direction_ && r.direction_ != Direction::many_to_many)
        throw ConfigurationError(r.describe() + " and its back_populates " + rev->describe() +
                                 " are both of the same direction (" +
                                 std::string(to_string(r.direction_)) +
                                 "); a reverse must be the other end of the foreign key");
      r.reverse_ = rev;
    }
  }
  // DESIGN 4.8: a cascade that disagrees with the foreign key's ON DELETE rule
  // (the trap rows of spec 2.4) is reported now, not discovered in production.
  for (auto& mp : mappers_) {
    for (auto& rp : mp->relationships_) {
      const Relationship& r = *rp;
      if (r.direction() != Direction::one_to_many || r.options().viewonly || r.pairs().empty())
        continue;
      const Column& fk_col = r.target().columns()[r.pairs().front().child_column]->column();
      if (!fk_col.foreign_key()) continue;
      const ReferentialAction on_delete = fk_col.foreign_key()->on_delete();
      const bool deletes = r.cascade().has(Cascade::remove);
      const bool passive = r.options().passive_deletes || r.options().passive_deletes_all;
      const std::string where = r.describe() + " (foreign key " + r.target().table_name() + "." +
                                fk_col.name() + " ON DELETE " + std::string(to_string(on_delete)) +
                                ")";
      if (on_delete == ReferentialAction::cascade && !deletes)
        warn("cascade-mismatch",
             where +
                 ": the database deletes the children, but the relationship has no 'delete' "
                 "cascade, so children loaded in memory are nulled instead; add cascade "
                 "\"all\" with passive_deletes = true");
      else if (on_delete == ReferentialAction::cascade && !passive)
        warn("cascade-mismatch", where +
                                     ": the ORM loads and deletes the children itself; set "
                                     "passive_deletes = true to let the database do it");
      else if (on_delete == ReferentialAction::set_null && deletes)
        warn("cascade-mismatch", where +
                                     ": the database keeps the children (SET NULL) but the "
                                     "relationship deletes them; remove 'delete' from the "
                                     "cascade or use ON DELETE CASCADE");
      else if (passive && (on_delete == ReferentialAction::no_action ||
                           on_delete == ReferentialAction::restrict))
        warn("cascade-mismatch", where +
                                     ": passive_deletes leaves unloaded children to the "
                                     "database, but the foreign key has no ON DELETE rule, "
                                     "so deleting a parent with children will fail");
    }
  }
  // DESIGN 4.6: two relationships writing the same columns must be each other's reverse.
  std::vector<const Relationship*> writers;
  for (auto& mp : mappers_)
    for (auto& rp : mp->relationships_)
      if (!rp->options_.viewonly) writers.push_back(rp.get());
  auto written = [](const Relationship& r) {
    std::set<std::pair<const void*, std::size_t>> cols;
    if (r.direction() == Direction::many_to_many) {
      for (const auto& [i, c] : r.secondary_owner()) cols.insert({c, 0});
      for (const auto& [i, c] : r.secondary_target()) cols.insert({c, 0});
    } else {
      for (const auto& p : r.pairs()) cols.insert({&r.child_mapper(), p.child_column});
    }
    return cols;
  };
  for (std::size_t i = 0; i < writers.size(); ++i) {
    for (std::size_t j = i + 1; j < writers.size(); ++j) {
      const Relationship& a = *writers[i];
      const Relationship& b = *writers[j];
      if (a.reverse() == &b || b.reverse() == &a) continue;
      auto ca = written(a), cb = written(b);
      bool overlap = false;
      for (const auto& c : ca)
        if (cb.contains(c)) overlap = true;
      if (overlap)
        throw ConfigurationError(
            a.describe() + " and " + b.describe() +
            " both write the same foreign-key columns; declare them as each other's reverse "
            "with back_populates, or make one of them viewonly");
    }
  }
}

// ---- binding new objects ----------------------------------------------------------------

namespace detail {

void bind_handles(ObjectBlock& block) {
  if (const Mapper* m = mapper_of(block.type())) bind_handles(block, *m);
}

void bind_handles(ObjectBlock& block, const Mapper& mapper) {
  const Mapper* m = &mapper;
  StateAccess::set_mapper(block.state(), m);
  if (m->relationships().empty()) return;
  // Sync below makes and drops references to this block; keep it from being
  // freed while it is still being constructed.
  block.retain();
  struct Unprotect {
    ObjectBlock& b;
    ~Unprotect() { b.release_unchecked(); }
  } unprotect{block};
  CycleCollector::track(block);
  for (const auto& r : m->relationships()) {
    RelationshipHandle& h = r->handle(block.object());
    HandleAccess::bind(h, &block, r.get());
  }
  // Objects given at construction (make<User>({.addresses = {a, b}})) are
  // attached as if appended.
  for (const auto& r : m->relationships()) {
    RelationshipHandle& h = r->handle(block.object());
    if (r->is_collection()) {
      auto& c = HandleAccess::collection(h);
      std::vector<ObjectBlock*> items;
      for (std::size_t i = 0; i < c.raw_size(); ++i) items.push_back(c.raw_at(i));
      if (items.empty()) continue;
      while (c.raw_size() > 0) c.raw_erase(c.raw_size() - 1);
      for (auto* b : items) c.append(b, c.raw_size());
    } else {
      auto& s = HandleAccess::scalar(h);
      if (ObjectBlock* v = s.raw_get()) {
        Object keep(v);
        s.raw_set(nullptr);
        s.assign(v);
      }
    }
  }
}

}  // namespace detail

// ---- in-memory sync ---------------------------------------------------------------------

namespace {

void check_target(const Relationship& r, ObjectBlock* b) {
  if (b == nullptr) throw InvalidRequest("cannot put a null object into " + r.describe());
  if (b->type() != r.target().type())
    throw InvalidRequest("an object of another type cannot be put into " + r.describe() +
                         ", which holds " + r.target().class_name() + " objects");
}

std::string describe(ObjectBlock* b) {
  const InstanceState& st = b->state();
  if (st.mapper() == nullptr) return "<object>";
  if (st.has_identity()) return st.mapper()->describe(st.identity().view());
  return st.mapper()->class_name() + " (not yet persisted)";
}

// The session keeps objects whose relationships changed until the next flush.
void note_change(ObjectBlock* owner) {
  InstanceState& st = owner->state();
  // The Session lists an owner when its flag goes up, so it sets the flag itself.
  if (st.session() != nullptr)
    st.session()->relationship_changed(st);
  else
    StateAccess::mark_relationships_changed(st);
}

// A child left a parent: it may be an orphan now, which the next autoflush
// must find even if nothing else changed in the child's Session.
void leave_parent(ObjectBlock* child, const Relationship* r, const void* parent) {
  InstanceState& st = child->state();
  st.set_parent(r, parent, false);
  if (st.session() != nullptr) st.session()->note_left_parent(st);
}

// A change waits in an unloaded collection until it is loaded or flushed.
void note_waiting(CollectionBase& c) {
  if (auto* s = c.owner()->state().session(); s != nullptr) {
    s->note_waiting_change();
    s->note_change();
  }
}

void cascade_save(const Relationship& r, ObjectBlock* owner, ObjectBlock* child) {
  InstanceState& o = owner->state();
  if (o.session() != nullptr && r.cascade().has(Cascade::save_update) && child != nullptr &&
      !r.options().viewonly)
    o.session()->cascade_add(child->state());
}

void check_single_parent(const Relationship& r, ObjectBlock* owner, ObjectBlock* child) {
  if (!r.options().single_parent) return;
  const void* parent = child->state().parent_via(&r);
  if (parent != nullptr && parent != owner)
    throw InvalidRequest("Instance '" + describe(child) +
                         "' is already associated with an instance of " + r.owner().class_name() +
                         " via its " + r.describe() +
                         " attribute, and is only allowed a single parent.");
}

// DESIGN 4.4: a pending object that loses its owner through a delete-orphan
// relationship is never inserted.
void forget_pending_orphan(const Relationship& r, ObjectBlock* child) {
  if (!r.cascade().has(Cascade::delete_orphan)) return;
  InstanceState& c = child->state();
  if (c.session() != nullptr && !c.has_identity() && c.has_parent(&r) == false)
    c.session()->expunge_pending_orphan(c);
}

bool contains(const std::vector<Object>& v, ObjectBlock* b) {
  return std::any_of(v.begin(), v.end(), [b](const Object& o) { return o.block() == b; });
}
void erase_one(std::vector<Object>& v, ObjectBlock* b) {
  auto it = std::find_if(v.begin(), v.end(), [b](const Object& o) { return o.block() == b; });
  if (it != v.end()) v.erase(it);
}

void record_added(CollectionBase& c, ObjectBlock* b) {
  auto& history = HandleAccess::changes(c);
  if (contains(history.removed, b))
    erase_one(history.removed, b);
  else
    history.added.emplace_back(b);
}
void record_removed(CollectionBase& c, ObjectBlock* b) {
  auto& history = HandleAccess::changes(c);
  if (contains(history.added, b))
    erase_one(history.added, b);
  else
    history.removed.emplace_back(b);
}

// Adds without echoing back (the reverse side of a change made elsewhere).
void quiet_add(CollectionBase& c, ObjectBlock* b) {
  b->state().set_parent(c.relationship(), c.owner(), true);
  if (!c.is_loaded()) {
    auto& history = HandleAccess::changes(c);
    erase_one(history.pending_removed, b);
    if (!contains(history.pending_added, b)) history.pending_added.emplace_back(b);
    note_waiting(c);
    // A child outside the owner's Session is reported by the flush (DESIGN 4.7).
    if (c.owner()->state().session() != nullptr &&
        b->state().session() != c.owner()->state().session())
      note_change(c.owner());
    return;
  }
  if (c.find(b) >= 0) return;
  c.raw_insert(c.raw_size(), b);
  record_added(c, b);
  note_change(c.owner());
}

void quiet_remove(CollectionBase& c, ObjectBlock* b) {
  leave_parent(b, c.relationship(), c.owner());
  if (!c.is_loaded()) {
    auto& history = HandleAccess::changes(c);
    erase_one(history.pending_added, b);
    if (!contains(history.pending_removed, b)) history.pending_removed.emplace_back(b);
    note_waiting(c);
    return;
  }
  auto i = c.find(b);
  if (i < 0) return;
  Object keep(b);
  c.raw_erase(static_cast<std::size_t>(i));
  record_removed(c, b);
  note_change(c.owner());
}

void quiet_set(ScalarBase& s, ObjectBlock* b) {
  if (s.is_loaded() && s.raw_get() == b) return;
  s.raw_set(b);
  HandleAccess::set_loaded(s, true);
  HandleAccess::changed(s) = true;
  note_change(s.owner());
}

// The reverse of `r` on `target` now points at (or contains) `owner`.
void echo_link(const Relationship& r, ObjectBlock* owner, ObjectBlock* target) {
  const Relationship* rev = r.reverse();
  if (rev == nullptr || r.options().viewonly || rev->options().viewonly) return;
  RelationshipHandle& h = rev->handle(target);
  if (rev->is_collection()) {
    quiet_add(HandleAccess::collection(h), owner);
    return;
  }
  ScalarBase& s = HandleAccess::scalar(h);
  // target.rev moves from its old partner to owner: the old partner's side of
  // `r` lets go of target, when it is in memory.
  if (s.is_loaded()) {
    ObjectBlock* old = s.raw_get();
    if (old != nullptr && old != owner) {
      Object keep(old);
      RelationshipHandle& oh = r.handle(old);
      if (r.is_collection())
        quiet_remove(HandleAccess::collection(oh), target);
      else if (HandleAccess::scalar(oh).raw_get() == target)
        quiet_set(HandleAccess::scalar(oh), nullptr);
      leave_parent(target, &r, old);
    }
  }
  quiet_set(s, owner);
}

// The reverse of `r` on `target` no longer points at (or contains) `owner`.
void echo_unlink(const Relationship& r, ObjectBlock* owner, ObjectBlock* target) {
  const Relationship* rev = r.reverse();
  if (rev == nullptr || r.options().viewonly || rev->options().viewonly) return;
  RelationshipHandle& h = rev->handle(target);
  if (rev->is_collection()) {
    quiet_remove(HandleAccess::collection(h), owner);
    return;
  }
  ScalarBase& s = HandleAccess::scalar(h);
  if (s.is_loaded() && s.raw_get() == owner) quiet_set(s, nullptr);
}

}  // namespace

// A copy (make<T>(other)) is a new object: it holds what the original holds
// now, and none of the original's changes since its last flush, which belong
// to the original's row and would otherwise be written, or cascaded along,
// a second time for the copy.
CollectionBase::CollectionBase() noexcept = default;
CollectionBase::CollectionBase(const CollectionBase& o) : RelationshipHandle(o) {}
CollectionBase::~CollectionBase() = default;

CollectionBase::History& CollectionBase::changes() {
  if (!history_) history_ = std::make_unique<History>();
  return *history_;
}
void CollectionBase::drop_history() noexcept { history_.reset(); }
void CollectionBase::trim_history() noexcept {
  if (history_ && history_->added.empty() && history_->removed.empty() &&
      history_->pending_added.empty() && history_->pending_removed.empty())
    history_.reset();
}
const CollectionBase::History& CollectionBase::no_history() noexcept {
  static const History none;
  return none;
}

ScalarBase::ScalarBase() noexcept = default;
ScalarBase::ScalarBase(const ScalarBase& o) noexcept : RelationshipHandle(o) {}
ScalarBase::~ScalarBase() = default;

std::ptrdiff_t CollectionBase::find(ObjectBlock* b) const noexcept {
  for (std::size_t i = 0; i < raw_size(); ++i)
    if (raw_at(i) == b) return static_cast<std::ptrdiff_t>(i);
  return -1;
}

void CollectionBase::append(ObjectBlock* child, std::size_t pos) {
  if (owner_ == nullptr) {
    raw_insert(pos, child);
    return;
  }
  const Relationship& r = *rel_;
  check_target(r, child);
  check_single_parent(r, owner_, child);
  Object keep(child);
  raw_insert(pos, child);
  record_added(*this, child);
  child->state().set_parent(&r, owner_, true);
  note_change(owner_);
  echo_link(r, owner_, child);
  cascade_save(r, owner_, child);
}

bool CollectionBase::remove(ObjectBlock* child) {
  if (owner_ == nullptr) {
    auto i = find(child);
    if (i < 0) return false;
    raw_erase(static_cast<std::size_t>(i));
    return true;
  }
  auto i = find(child);
  if (i < 0) return false;
  Object keep(child);
  raw_erase(static_cast<std::size_t>(i));
  if (find(child) < 0) {  // a list may hold an object twice: only the last one unlinks
    record_removed(*this, child);
    leave_parent(child, rel_, owner_);
    echo_unlink(*rel_, owner_, child);
    forget_pending_orphan(*rel_, child);
  }
  note_change(owner_);
  return true;
}

void CollectionBase::replace_all(const std::vector<ObjectBlock*>& items) {
  std::vector<Object> keep;
  for (std::size_t i = 0; i < raw_size(); ++i) keep.emplace_back(raw_at(i));
  for (auto* b : items) {
    check_target(*rel_, b);
    keep.emplace_back(b);
  }
  // Members not in the new list leave (with sync), new ones join, then the
  // order becomes the new list's.
  for (const auto& o :
       std::vector<Object>(keep.begin(), keep.begin() + static_cast<std::ptrdiff_t>(raw_size())))
    if (std::find(items.begin(), items.end(), o.block()) == items.end())
      while (remove(o.block())) {
      }
  for (auto* b : items)
    if (find(b) < 0) append(b, raw_size());
  while (raw_size() > 0) raw_erase(raw_size() - 1);
  for (auto* b : items) raw_insert(raw_size(), b);
}

void ScalarBase::assign(ObjectBlock* value) {
  if (owner_ == nullptr) {
    raw_set(value);
    return;
  }
  const Relationship& r = *rel_;
  if (value != nullptr) {
    check_target(r, value);
    check_single_parent(r, owner_, value);
  }
  Object keep_value(value);
  // An unloaded many-to-one old value may still be in the identity map; finding
  // it costs no SQL and lets the old parent's collection let go (spec 3.4).
  if (!loaded_ && r.direction() == Direction::many_to_one && owner_->state().session() != nullptr)
    owner_->state().session()->peek_many_to_one(*this);
  ObjectBlock* old = loaded_ ? raw_get() : nullptr;
  Object keep_old(old);
  if (!(loaded_ && old == value)) {
    raw_set(value);
    loaded_ = true;
    changed_ = true;
    note_change(owner_);
    if (old != nullptr) {
      leave_parent(old, &r, owner_);
      echo_unlink(r, owner_, old);
      forget_pending_orphan(r, old);
    }
    if (value != nullptr) {
      value->state().set_parent(&r, owner_, true);
      echo_link(r, owner_, value);
    }
    // A pending object that left its parent through this many-to-one is an
    // orphan of the parent's collection as much as after an erase (spec 3.3).
    if (const Relationship* rev = r.reverse();
        old != nullptr && rev != nullptr && rev->is_collection())
      forget_pending_orphan(*rev, owner_);
  }
  cascade_save(r, owner_, value);
}

// ---- loading ---------------------------------------------------------------------------

void RelationshipHandle::load_to_copy_slow() const {
  if (owner_ != nullptr && owner_->state().has_identity() && owner_->state().session() == nullptr)
    return;
  load(false);
}

void RelationshipHandle::load(bool to_change) const {
  if (owner_ == nullptr) {
    loaded_ = true;
    return;
  }
  InstanceState& st = owner_->state();
  if (!st.has_identity()) {  // a new object's relationships start empty
    loaded_ = true;
    return;
  }
  if (st.session() == nullptr)
    throw DetachedInstanceError("Parent instance '" + describe(owner_) +
                                "' is not bound to a Session; lazy load operation of attribute '" +
                                rel_->name() + "' cannot proceed");
  st.session()->load_relationship(const_cast<RelationshipHandle&>(*this), to_change);
}

}  // namespace relate
