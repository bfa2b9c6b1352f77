// Session bookkeeping: states, identity map, transactions (spec section 6).

#include <algorithm>
#include <array>
#include <limits>
#include <new>
#include <utility>

#include "orm/handle_access.hpp"
#include "orm/mapping_table.hpp"
#include "orm/session_impl.hpp"
#include "relate/orm/collector.hpp"

namespace relate {

namespace {

std::string describe(const InstanceState& st) {
  const Mapper* m = st.mapper();
  if (m == nullptr) m = detail::mapper_of(st.block()->type());
  if (m == nullptr) return "<unmapped object>";
  if (st.has_identity()) return m->describe(st.identity().view());
  return m->class_name() + " (pending or transient, no identity yet)";
}

}  // namespace

std::size_t hash_value(const Value& v) noexcept {
  switch (v.kind()) {
    case ValueKind::null: return 0;
    case ValueKind::integer: return std::hash<std::int64_t>()(v.as_integer());
    case ValueKind::real: return std::hash<double>()(v.as_real());
    case ValueKind::text: return std::hash<std::string>()(v.as_text());
    case ValueKind::boolean: return v.as_boolean() ? 1 : 2;
    case ValueKind::blob: {
      std::size_t h = 0;
      for (auto b : v.as_blob()) h = h * 31 + static_cast<std::size_t>(b);
      return h;
    }
  }
  return 0;
}

// ---- the identity map ----------------------------------------------------------

namespace {
// The slots a hash visits (as CPython's dict does): first its own low bits, so
// that consecutive integer keys, the common case, sit in consecutive slots and a
// large load walks the table in order; then jumps that bring in the high bits,
// so that keys sharing their low bits (multiples of 1024, say) part quickly.
class ProbeSequence {
 public:
  ProbeSequence(std::size_t hash, std::size_t capacity) noexcept
      : mask_(capacity - 1), at_(hash & mask_), perturb_(hash) {}
  std::size_t slot() const noexcept { return at_; }
  void next() noexcept {
    at_ = (5 * at_ + 1 + perturb_) & mask_;
    perturb_ >>= 5;
  }

 private:
  std::size_t mask_;
  std::size_t at_;
  std::size_t perturb_;
};
}  // namespace

void IdentityMap::clear() noexcept {
  slots_.reset();
  capacity_ = size_ = erased_ = 0;
}

namespace {
// Whether `st` is the object of `mapper` under the single integer key `key`.
bool has_integer_key(const InstanceState& st, const Mapper* mapper, std::int64_t key) noexcept {
  const std::int64_t* held = st.identity().if_integer();
  return held != nullptr && *held == key && st.mapper() == mapper;
}
}  // namespace

template <class Matches>
std::size_t IdentityMap::probe(std::size_t hash, Matches matches, bool& found) const noexcept {
  found = false;
  const std::uintptr_t want = tag(hash);
  std::size_t free = capacity_;
  for (ProbeSequence p(hash, capacity_);; p.next()) {
    const std::size_t i = p.slot();
    const Slot& s = slots_[i];
    if (s.empty()) return free != capacity_ ? free : i;  // not there
    if (s.erased()) {
      if (free == capacity_) free = i;
      continue;
    }
    if ((s.bits_ & tag_bits) == want && matches(*s.object())) {
      found = true;
      return i;
    }
  }
}

std::size_t IdentityMap::probe(const Mapper* mapper, std::span<const Value> key, std::size_t hash,
                               bool& found) const noexcept {
  return probe(
      hash,
      [&](const InstanceState& st) { return st.mapper() == mapper && st.identity().equals(key); },
      found);
}

std::size_t IdentityMap::probe(const InstanceState& st, std::size_t hash,
                               bool& found) const noexcept {
  if (const std::int64_t* n = st.identity().if_integer()) {
    const std::int64_t key = *n;
    const Mapper* mapper = st.mapper();
    return probe(
        hash, [&](const InstanceState& o) { return has_integer_key(o, mapper, key); }, found);
  }
  return probe(st.mapper(), st.identity().view(), hash, found);
}

IdentityMap::iterator IdentityMap::find(const Mapper* mapper, std::span<const Value> key,
                                        std::size_t hash) {
  if (size_ == 0) return end();
  bool found = false;
  const std::size_t i = probe(mapper, key, hash, found);
  return found ? at(i) : end();
}

// Inlined into get_by_integer(), the identity-map hit of every get() by an
// integer key.
[[gnu::always_inline]] inline InstanceState* IdentityMap::find_integer(
    const Mapper* mapper, std::int64_t key, std::size_t hash) const noexcept {
  if (size_ == 0) return nullptr;
  // A live slot with the key's hash bits; an erased one never matches.
  const std::uintptr_t want = tag(hash);
  for (ProbeSequence p(hash, capacity_);; p.next()) {
    const Slot& s = slots_[p.slot()];
    if (s.empty()) return nullptr;
    if ((s.bits_ & low_bits) != want) continue;
    InstanceState* st = s.object();
    if (has_integer_key(*st, mapper, key)) return st;
  }
}

IdentityMap::const_iterator IdentityMap::find(const Mapper* mapper,
                                              std::span<const Value> key) const {
  if (size_ == 0) return end();
  bool found = false;
  const std::size_t i = probe(mapper, key, hash_key(mapper, key), found);
  return found ? const_iterator(slots_.get() + i, slots_.get() + capacity_) : end();
}

void IdentityMap::erase(iterator it) noexcept {
  it->bits_ |= erased_bit;  // not empty: probing goes on past this slot
  --size_;
  ++erased_;
}

std::size_t IdentityMap::erase(const IdentityKey& k) {
  auto it = find(k);
  if (it == end()) return 0;
  erase(it);
  return 1;
}

void IdentityMap::grow() {
  // At most 3/8 full afterwards; erased markers are dropped on the way. The
  // slots keep no hash: each live entry's is worked out again from its key.
  std::size_t capacity = 16;
  while (3 * capacity < 8 * (size_ + 1)) capacity *= 2;
  auto old = std::move(slots_);
  const std::size_t old_capacity = capacity_;
  slots_ = std::make_unique<Slot[]>(capacity);
  capacity_ = capacity;
  erased_ = 0;
  for (std::size_t i = 0; i < old_capacity; ++i) {
    if (!old[i].live()) continue;
    const InstanceState& st = *old[i].object();
    ProbeSequence p(hash_key(st.mapper(), st.identity()), capacity_);
    while (!slots_[p.slot()].empty()) p.next();
    slots_[p.slot()] = old[i];
  }
}

std::pair<IdentityMap::iterator, bool> IdentityMap::insert(InstanceState& st) {
  return insert(st, hash_key(st.mapper(), st.identity()));
}

std::pair<IdentityMap::iterator, bool> IdentityMap::insert(InstanceState& st, std::size_t hash) {
  if (full()) grow();
  bool found = false;
  const std::size_t i = probe(st, hash, found);
  if (found) return {at(i), false};
  place(i, st, hash);
  return {at(i), true};
}

void IdentityMap::place(std::size_t i, InstanceState& st, std::size_t hash) noexcept {
  Slot& s = slots_[i];
  if (!s.empty()) --erased_;  // reusing an erased slot
  s.bits_ = reinterpret_cast<std::uintptr_t>(&st) | tag(hash);
  ++size_;
}

IdentityMap::Place IdentityMap::locate(const Mapper* mapper, std::span<const Value> key,
                                       std::size_t hash) const {
  if (capacity_ == 0) return {};
  Place p;
  p.slot = probe(mapper, key, hash, p.found);
  return p;
}

IdentityMap::Place IdentityMap::locate_integer(const Mapper* mapper, std::int64_t key,
                                               std::size_t hash) const {
  if (capacity_ == 0) return {};
  Place p;
  p.slot = probe(
      hash, [&](const InstanceState& st) { return has_integer_key(st, mapper, key); }, p.found);
  return p;
}

void IdentityMap::insert_at(Place p, InstanceState& st, std::size_t hash) {
  if (full()) {  // the located slot is gone with the old table
    insert(st, hash);
    return;
  }
  place(p.slot, st, hash);
}

void IdentityMap::assign(InstanceState& st) {
  const std::size_t hash = hash_key(st.mapper(), st.identity());
  if (size_ != 0) {
    bool found = false;
    const std::size_t i = probe(st, hash, found);
    if (found) erase(at(i));
  }
  insert(st, hash);
}

void IdentityMap::remove(InstanceState& st) {
  if (size_ == 0) return;
  bool found = false;
  const std::size_t i = probe(st, hash_key(st.mapper(), st.identity()), found);
  if (found && slots_[i].object() == &st) erase(at(i));
}

void PendingObjects::emplace(std::uint32_t order, InstanceState* st) {
  if (entries_.empty() || entries_.back().first < order) {
    if (entries_.size() >= 64 && 2 * live_ < entries_.size())
      std::erase_if(entries_, [](const Entry& e) { return e.second == nullptr; });
    entries_.push_back({order, st});
    ++live_;
    return;
  }
  auto it = std::lower_bound(entries_.begin(), entries_.end(), order,
                             [](const Entry& e, std::uint32_t o) { return e.first < o; });
  if (it != entries_.end() && it->first == order) {
    if (it->second == nullptr) ++live_;
    it->second = st;
    return;
  }
  entries_.insert(it, {order, st});
  ++live_;
}

void PendingObjects::erase(std::uint32_t order) noexcept {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), order,
                             [](const Entry& e, std::uint32_t o) { return e.first < o; });
  if (it == entries_.end() || it->first != order || it->second == nullptr) return;
  it->second = nullptr;
  if (--live_ == 0) entries_.clear();
}

std::vector<InstanceState*> PendingObjects::objects() const {
  std::vector<InstanceState*> out;
  out.reserve(live_);
  for (const auto& e : *this) out.push_back(e.second);
  return out;
}

std::uint32_t PendingObjects::renumber(std::span<std::uint32_t* const> others) {
  std::erase_if(entries_, [](const Entry& e) { return e.second == nullptr; });
  std::vector<std::uint32_t*> places(others.begin(), others.end());
  places.reserve(places.size() + entries_.size());
  for (auto& e : entries_) places.push_back(&e.first);
  std::sort(places.begin(), places.end(),
            [](const std::uint32_t* a, const std::uint32_t* b) { return *a < *b; });
  std::uint32_t next = 1;
  for (auto* p : places) *p = next++;
  return next;
}

std::uint32_t SessionImpl::next_add_order() {
  // Orders start again whenever nothing is pending (outside a flush, which may
  // still put objects it expunged back in their places), so 32 bits run out
  // only after 4 billion adds without a flush that empties the list. Then the
  // pending objects, and those a running flush may put back, are numbered
  // again from 1 in the same order.
  if (pending_.empty() && expunged_by_flush_ == nullptr) next_insert_order_ = 1;
  if (next_insert_order_ == std::numeric_limits<std::uint32_t>::max()) {
    std::vector<std::uint32_t*> others;
    if (expunged_by_flush_ != nullptr)
      for (auto& [o, order] : *expunged_by_flush_) others.push_back(&order);
    next_insert_order_ = pending_.renumber(others);
    for (const auto& [order, st] : pending_) st->insert_order_ = order;
  }
  return next_insert_order_++;
}

SessionImpl::SessionImpl(Engine engine, Registry& registry, SessionOptions options)
    : engine_(std::move(engine)), registry_(registry), options_(options) {
  registry_.configure();
}

SessionImpl::~SessionImpl() {
  try {
    close();
  } catch (...) {
    // A destructor must not throw; the transaction is abandoned with the connection.
  }
}

// ---- strong references -----------------------------------------------------

void SessionImpl::hold(InstanceState& st) {
  if (!st.held_strongly_) {
    st.held_strongly_ = true;
    st.block()->retain();
  }
}

void SessionImpl::unhold(InstanceState& st) {
  if (st.held_strongly_) {
    st.held_strongly_ = false;
    st.block()->release();  // may destroy the object: st is not touched afterwards
  }
}

bool ReachedStates::grow() noexcept {
  // A place is 32 bits and its largest value means "not on the list".
  constexpr std::uint32_t most = nowhere - 1;
  if (capacity_ == most) return false;
  const std::uint32_t capacity =
      capacity_ == 0 ? 64 : (capacity_ > most / 2 ? most : 2 * capacity_);
  std::unique_ptr<InstanceState*[]> bigger(new (std::nothrow) InstanceState*[capacity]);
  if (bigger == nullptr) return false;
  std::copy(items_.get(), items_.get() + size_, bigger.get());
  items_ = std::move(bigger);
  capacity_ = capacity;
  return true;
}

void SessionImpl::forget_seen(InstanceState& st) noexcept { st.unseen_ = false; }

void SessionImpl::note_left_parent(InstanceState& st) noexcept {
  ++changes_;
  if (st.session_ != this) return;
  try {
    left_parent_.emplace_back(st.block());
  } catch (...) {
    touched_overflow_ = true;  // the flush looks at every object instead
  }
}

void SessionImpl::mark_touched(InstanceState& st) noexcept {
  st.touched_ = true;
  if (st.session_ == this && st.has_identity_ && !reached_.add_touched(st))
    touched_overflow_ = seen_overflow_ = true;
}

void SessionImpl::forget_touched(InstanceState& st) noexcept {
  // A seen object that leaves the list (its columns expired) counts as not
  // seen since the last flush: the next handle access records it again, as
  // after a flush. (An object that is not touched has nothing an autoflush
  // would compare.)
  if (reached_.seen(st) && st.session_ == this && st.has_identity_) st.unseen_ = true;
  reached_.remove(st);
}

std::vector<InstanceState*> SessionImpl::touched_objects() const {
  if (!touched_overflow_) {
    const auto items = reached_.items();
    return {items.begin(), items.end()};
  }
  std::vector<InstanceState*> out;
  for (const auto& [k, st] : identity_map_)
    if (st->touched_) out.push_back(st);
  return out;
}

void SessionImpl::forget_change_notes() noexcept {
  changes_ = 0;
  reset_seen();
  changed_owners_.clear();
  left_parent_.clear();
}

void SessionImpl::reset_seen() noexcept {
  for (auto* st : reached_.seen_items()) st->unseen_ = st->session_ == this && st->has_identity_;
  reached_.forget_seen();
  seen_overflow_ = false;
}

bool SessionImpl::autoflush_has_work() const {
  if (!pending_.empty() || !marked_deleted_.empty() || changes_ != 0 || seen_overflow_ ||
      waiting_changes_)
    return true;
  for (auto* st : reached_.seen_items())
    if (st->session_ == this && st->has_identity_ && !st->deleted_ && !changed_columns(*st).empty())
      return true;
  return false;
}

bool SessionImpl::keep_alive(InstanceState& st) noexcept {
  if (deferred_deaths_ != nullptr) {
    // A pass over the identity map is running: the object stays until the
    // pass is over, and is let go then (by its reference, not as held_strongly_,
    // so the pass's own unhold() cannot reach it twice).
    try {
      deferred_deaths_->push_back(&st);
      st.block()->retain();
    } catch (...) {
      hold(st);  // kept until the Session next lets go of clean objects
    }
    return true;
  }
  try {
    if (st.has_identity_ && !st.deleted_ && !st.marked_for_delete_ && is_modified(st)) {
      hold(st);
      return true;
    }
  } catch (...) {
    hold(st);  // could not tell: keeping the object loses nothing
    return true;
  }
  if (st.has_identity_) identity_map_.remove(st);
  if (st.insert_order_ != 0) pending_.erase(st.insert_order_);
  st.inserted_in_transaction_ = false;
  forget_touched(st);
  forget_seen(st);
  st.session_ = nullptr;
  return false;
}

// ---- states ------------------------------------------------------------------

void SessionImpl::attach(InstanceState& st) {
  if (st.session_ != nullptr && st.session_ != this)
    throw InvalidRequest("Object '" + describe(st) +
                         "' is already attached to another Session; expunge it there first, "
                         "or merge() it into this one");
  if (st.mapper_ == nullptr) st.mapper_ = &mapper_for(st.block()->type());
  if (st.expired_.size() != st.mapper_->columns().size())
    st.expired_.assign(st.mapper_->columns().size(), false);
  st.session_ = this;
}

void SessionImpl::install_identity(InstanceState& st, std::span<const Value> key) {
  // One probe finds the identity or the slot it goes in (every new row of a
  // flush comes through here).
  const std::size_t hash = hash_key(st.mapper_, key);
  IdentityMap::Place place = identity_map_.locate(st.mapper_, key, hash);
  if (place.found) {
    if (identity_map_.object_at(place) != &st)
      throw InvalidRequest("Can't attach instance '" + st.mapper_->describe(key) +
                           "': another instance with the same identity is already present in "
                           "this Session");
    st.has_identity_ = true;  // already entered under this identity
    entered_identity_map(st);
    return;
  }
  // The map's key is st.identity_ itself: an entry under the old identity goes
  // first (which frees a slot, so the place is looked for again). `key` may be
  // st's own identity: assign() copies it before letting the old one go.
  if (st.has_identity_) {
    identity_map_.remove(st);
    place = identity_map_.locate(st.mapper_, key, hash);
  }
  st.identity_.assign(key);
  identity_map_.insert_at(place, st, hash);
  st.has_identity_ = true;
  entered_identity_map(st);
}

void SessionImpl::install_identity_from_members(InstanceState& st) {
  // Every new row of a flush comes here: a one-column key is read onto the
  // stack, not into a vector of its own.
  const Mapper& m = *st.mapper_;
  const void* obj = st.block()->object();
  if (m.primary_key().size() == 1) {
    const std::array<Value, 1> key{m.columns()[m.primary_key().front()]->get(obj)};
    install_identity(st, key);
  } else {
    install_identity(st, m.primary_key_of(obj));
  }
}

void SessionImpl::entered_identity_map(InstanceState& st) noexcept {
  // Persistent now: the next handle access records it, and a change made
  // before (a new or detached object) is compared by the next flush.
  if (!reached_.seen(st)) st.unseen_ = true;
  if (st.touched_) mark_touched(st);
}

void SessionImpl::snapshot(InstanceState& st) {
  const auto& cols = st.mapper_->columns();
  const void* obj = st.block()->object();
  detail::ValuePacker packer(pack_buffer_);
  for (const auto& c : cols) c->pack(obj, packer);
  st.committed_.assign(packer);
  st.expired_.assign(cols.size(), false);
}

std::vector<std::size_t> SessionImpl::changed_columns(const InstanceState& st) const {
  std::vector<std::size_t> out;
  changed_columns(st, out);
  return out;
}

void SessionImpl::changed_columns(const InstanceState& st, std::vector<std::size_t>& out) const {
  out.clear();
  if (!st.touched_) return;
  const auto& cols = st.mapper_->columns();
  const void* obj = st.block()->object();
  std::size_t seen = 0;
  st.committed_.for_each([&](std::size_t i, const detail::ValueRef& v) {
    seen = i + 1;
    if (i >= cols.size() || st.is_expired(i)) return;
    if (!cols[i]->holds_committed(obj, v)) out.push_back(i);
  });
  for (std::size_t i = seen; i < cols.size(); ++i)
    if (!st.is_expired(i)) out.push_back(i);
}

bool SessionImpl::is_modified(const InstanceState& st) const {
  return st.has_identity_ && (st.relationships_changed_ || !changed_columns(st).empty());
}

void SessionImpl::reset_relationship_history(InstanceState& st) {
  using detail::HandleAccess;
  st.relationships_changed_ = false;
  if (st.mapper_ == nullptr) return;
  for (const auto& r : st.mapper_->relationships()) {
    detail::RelationshipHandle& h = r->handle(st.block()->object());
    if (r->is_collection()) {
      auto& c = HandleAccess::collection(h);
      if (!HandleAccess::has_history(c)) continue;
      auto& history = HandleAccess::changes(c);
      history.added.clear();
      history.removed.clear();
      HandleAccess::trim_history(c);
    } else {
      auto& sc = HandleAccess::scalar(h);
      HandleAccess::committed(sc) = Object(sc.raw_get());
      HandleAccess::changed(sc) = false;
    }
  }
}

void SessionImpl::unload_relationships(InstanceState& st) {
  using detail::HandleAccess;
  st.relationships_changed_ = false;
  if (st.mapper_ == nullptr) return;
  for (const auto& r : st.mapper_->relationships()) {
    detail::RelationshipHandle& h = r->handle(st.block()->object());
    // Dropping the loaded value also lets go of the objects it held, and an
    // unflushed change of a scalar goes with it.
    h.drop_references();
    if (!r->is_collection()) HandleAccess::changed(HandleAccess::scalar(h)) = false;
    HandleAccess::set_loaded(h, false);
  }
}

void SessionImpl::forget_written_waiting_changes() {
  using detail::HandleAccess;
  if (!waiting_changes_) return;
  bool left = false;
  for (auto& [k, st] : identity_map_) {
    for (const auto& r : st->mapper_->relationships()) {
      if (!r->is_collection() || r->loading() == Loading::dynamic ||
          r->loading() == Loading::write_only)
        continue;
      detail::RelationshipHandle& h = r->handle(st->block()->object());
      if (h.is_loaded()) continue;
      auto& c = HandleAccess::collection(h);
      if (!HandleAccess::has_history(c)) continue;
      // What the other side changed is in the database now, unless that
      // object is not in this Session (the next flush then says so).
      auto written = [&](const Object& o) { return o.block()->state().session() == this; };
      auto& history = HandleAccess::changes(c);
      std::erase_if(history.pending_added, written);
      std::erase_if(history.pending_removed, written);
      left = left || !history.pending_added.empty() || !history.pending_removed.empty();
      HandleAccess::trim_history(c);
    }
  }
  waiting_changes_ = left;
}

void SessionImpl::add(InstanceState& st) {
  std::vector<InstanceState*> visited;
  visited.reserve(16);  // an object and its children, usually: one allocation
  add_with_cascade(st, visited);
}

void SessionImpl::cascade_add(InstanceState& st) {
  if (st.session_ == this) return;
  add(st);
}

void SessionImpl::relationship_changed(InstanceState& st) {
  if (st.session_ != this) {
    st.relationships_changed_ = true;
    return;
  }
  if (!st.relationships_changed_) changed_owners_.emplace_back(st.block());
  st.relationships_changed_ = true;
  note_change();
  hold(st);
}

void SessionImpl::add_with_cascade(InstanceState& st, std::vector<InstanceState*>& visited) {
  if (std::find(visited.begin(), visited.end(), &st) != visited.end()) return;
  visited.push_back(&st);
  add_one(st);
  // save-update (spec 1.3.1): what the relationships hold in memory, and what
  // was removed from them since the last flush; never loads.
  const Mapper& m = *st.mapper_;
  for (const auto& r : m.relationships()) {
    if (!r->cascade().has(Cascade::save_update) || r->options().viewonly) continue;
    detail::RelationshipHandle& h = r->handle(st.block()->object());
    // Objects already here are left out at once (a child's parent, usually).
    std::vector<Object> related;
    if (r->is_collection()) {
      auto& c = detail::HandleAccess::collection(h);
      related.reserve(c.raw_size() + detail::HandleAccess::removed(c).size());
    }
    h.for_each([&](detail::ObjectBlock* b) {
      if (b->state().session_ != this) related.emplace_back(b);
    });
    if (r->is_collection()) {
      for (const auto& o : detail::HandleAccess::removed(detail::HandleAccess::collection(h)))
        related.push_back(o);
    } else if (auto& c = detail::HandleAccess::committed(detail::HandleAccess::scalar(h))) {
      related.push_back(c);
    }
    for (const auto& o : related) {
      InstanceState& child = o.block()->state();
      if (child.session_ == this) continue;
      add_with_cascade(child, visited);
    }
  }
}

void SessionImpl::add_one(InstanceState& st) {
  if (st.deleted_)
    throw InvalidRequest("Instance '" + describe(st) +
                         "' has been deleted. Use make_transient() to send this object back "
                         "to the transient state, then add it again to insert a new row");
  const bool ours = st.session_ == this;
  attach(st);
  if (ours) {
    if (st.marked_for_delete_) {  // add() of a marked object un-deletes it (spec 6.10)
      st.marked_for_delete_ = false;
      marked_deleted_.erase(&st);
    }
    return;
  }
  if (st.has_identity_) {
    // Changed while detached, where no handle access is recorded.
    st.touched_ = true;
    note_change();
    if (st.relationships_changed_) changed_owners_.emplace_back(st.block());
    for (const auto& l : st.parents_)
      if (!l.has) {
        left_parent_.emplace_back(st.block());
        break;
      }
    try {
      install_identity(st, st.identity_.view());  // detached -> persistent, no SQL
    } catch (...) {
      st.session_ = nullptr;  // still detached
      throw;
    }
    auto was = std::find_if(expunged_inserted_.begin(), expunged_inserted_.end(),
                            [&](const Object& o) { return o.block() == st.block(); });
    if (was != expunged_inserted_.end()) {
      st.inserted_in_transaction_ = true;
      expunged_inserted_.erase(was);
    }
    if (is_modified(st)) hold(st);
  } else {
    st.insert_order_ = next_add_order();
    pending_.emplace(st.insert_order_, &st);
    hold(st);
  }
}

void SessionImpl::remove(InstanceState& st) {
  if (!st.has_identity_)
    throw InvalidRequest("Instance '" + describe(st) +
                         "' is not persisted: only objects that have a row can be removed; "
                         "use expunge() to forget a pending object");
  if (st.session_ != this) add(st);  // detached: re-attach first
  // Removing an object whose DELETE was already flushed issues it again; the
  // row count check then warns (spec 5.7). One a delete cascade marked, which
  // the flush may find no longer reaches it (DESIGN 4.3), is now deleted in
  // any case; its cascade runs again for what joined it since.
  st.marked_for_delete_ = true;
  st.deleted_by_cascade_ = false;
  marked_deleted_.insert(&st);
  hold(st);
  Visited visited;
  cascade_delete(st, visited);
}

void SessionImpl::cascade_delete(InstanceState& st, Visited& visited) {
  if (!visited.insert(&st).second) return;
  for (const auto& r : st.mapper_->relationships())
    if (r->cascade().has(Cascade::remove) && !r->options().viewonly)
      cascade_delete_along(st, *r, visited, false);
}

void SessionImpl::cascade_delete_along(InstanceState& st, const Relationship& r, Visited& visited,
                                       bool load) {
  detail::RelationshipHandle& h = r.handle(st.block()->object());
  // A dynamic or write-only member never holds all its rows in memory.
  const bool partial = r.loading() == Loading::dynamic || r.loading() == Loading::write_only;
  if ((!h.is_loaded() || partial) && st.has_identity_ && !r.options().passive_deletes) {
    if (!load && cascades_as_set(r)) {
      bool held = false;
      h.for_each_held([&](detail::ObjectBlock*) { held = true; });
      if (!held) return;  // the flush decides: set statements, or loading after all
    }
    ++unit_of_work_loads_;  // lazy="raise" does not stop the unit of work (spec 1.3.5)
    struct Done {
      int& n;
      ~Done() { --n; }
    } done{unit_of_work_loads_};
    load_relationship(h, true);
  } else if (!h.is_loaded()) {
    // passive_deletes leaves the rows to the database, but new children
    // waiting in memory to join the unloaded collection are never inserted
    // (DESIGN 4.4).
    if (r.is_collection() && !partial) {
      auto waiting = detail::HandleAccess::pending_added(detail::HandleAccess::collection(h));
      for (const auto& o : waiting) {
        InstanceState& c = o.block()->state();
        if (c.session_ == this && !c.has_identity_) expunge_pending_orphan(c);
      }
    }
    return;
  }
  std::vector<Object> children;
  h.for_each([&](detail::ObjectBlock* b) { children.emplace_back(b); });
  const Relationship* back = r.direction() == Direction::one_to_many ? r.reverse() : nullptr;
  for (const auto& o : children) {
    InstanceState& c = o.block()->state();
    if (c.session_ != this) continue;
    // A child whose many-to-one names another parent has left this one,
    // whatever a collection loaded before the move still lists (DESIGN 4.3).
    if (back != nullptr && !back->is_collection()) {
      detail::RelationshipHandle& bh = back->handle(o.block()->object());
      if (bh.is_loaded() && detail::HandleAccess::scalar(bh).raw_get() != st.block()) continue;
    }
    if (!c.has_identity_) {
      // DESIGN 4.4: not inserted and then deleted, just forgotten.
      expunge_pending_orphan(c);
      continue;
    }
    if (!c.marked_for_delete_ && !c.deleted_) {
      c.marked_for_delete_ = true;
      c.deleted_by_cascade_ = true;
      marked_deleted_.insert(&c);
      hold(c);
    }
    cascade_delete(c, visited);
  }
}

void SessionImpl::expunge_pending_orphan(InstanceState& st) {
  if (st.session_ != this || st.has_identity_) return;
  Object keep(st.block());
  if (expunged_by_flush_ != nullptr) expunged_by_flush_->emplace_back(keep, st.insert_order_);
  std::vector<Object> below;
  for (const auto& r : st.mapper_->relationships()) {
    if (!r->cascade().has(Cascade::delete_orphan) && !r->cascade().has(Cascade::expunge)) continue;
    r->handle(st.block()->object()).for_each([&](detail::ObjectBlock* b) {
      below.emplace_back(b);
    });
  }
  detach(st, false);
  for (const auto& o : below) expunge_pending_orphan(o.block()->state());
}

void SessionImpl::expunge_cascade(InstanceState& st, std::vector<InstanceState*>& visited) {
  if (std::find(visited.begin(), visited.end(), &st) != visited.end()) return;
  visited.push_back(&st);
  std::vector<Object> below;
  for (const auto& r : st.mapper_->relationships()) {
    if (!r->cascade().has(Cascade::expunge)) continue;
    r->handle(st.block()->object()).for_each([&](detail::ObjectBlock* b) {
      below.emplace_back(b);
    });
  }
  for (const auto& o : below)
    if (o.block()->state().session_ == this) expunge_cascade(o.block()->state(), visited);
}

void SessionImpl::expire_cascade(InstanceState& st, std::vector<InstanceState*>& visited) {
  if (std::find(visited.begin(), visited.end(), &st) != visited.end()) return;
  visited.push_back(&st);
  for (const auto& r : st.mapper_->relationships()) {
    if (!r->cascade().has(Cascade::refresh_expire)) continue;
    std::vector<Object> below;
    r->handle(st.block()->object()).for_each([&](detail::ObjectBlock* b) {
      below.emplace_back(b);
    });
    for (const auto& o : below) {
      InstanceState& c = o.block()->state();
      if (c.session_ != this) continue;
      if (!c.has_identity_) {  // pending: skipped, unless the relationship owns it
        if (r->cascade().has(Cascade::delete_orphan)) expunge_pending_orphan(c);
        continue;
      }
      expire_cascade(c, visited);
    }
  }
}

void SessionImpl::detach(InstanceState& st, bool forget_identity) {
  if (st.has_identity_) identity_map_.remove(st);
  if (st.insert_order_ != 0) {
    pending_.erase(st.insert_order_);
    st.insert_order_ = 0;
  }
  marked_deleted_.erase(&st);
  deleted_.erase(&st);
  forget_touched(st);
  forget_seen(st);
  st.touched_ = true;  // handle access is not recorded outside a Session
  const bool inserted = st.inserted_in_transaction_;  // a bit: no std::exchange
  st.inserted_in_transaction_ = false;
  if (inserted && !forget_identity) expunged_inserted_.emplace_back(st.block());
  st.marked_for_delete_ = false;
  st.session_ = nullptr;
  if (forget_identity) {
    st.has_identity_ = false;
    st.identity_.clear();
    st.deleted_ = false;
  }
  unhold(st);
}

void SessionImpl::expunge(InstanceState& st) {
  if (st.session_ != this)
    throw InvalidRequest("Instance '" + describe(st) + "' is not present in this Session");
  // Loaded objects along expunge relationships leave with it (spec 1.3.4).
  std::vector<InstanceState*> visited;
  expunge_cascade(st, visited);
  std::vector<Object> keep;
  for (auto* v : visited) keep.emplace_back(v->block());
  for (auto* v : visited)
    if (v->session_ == this) detach(*v, false);
}

void SessionImpl::expunge_all() {
  std::vector<InstanceState*> all;
  for (auto& [k, st] : identity_map_) all.push_back(st);
  for (auto& [k, st] : pending_) all.push_back(st);
  for (auto* st : deleted_) all.push_back(st);
  for (auto* st : marked_deleted_) all.push_back(st);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  // Keep every object alive until the bookkeeping is done.
  std::vector<Object> keep;
  keep.reserve(all.size());
  for (auto* st : all) keep.emplace_back(st->block());
  for (auto* st : all) detach(*st, false);
}

void SessionImpl::make_transient(InstanceState& st) {
  Object keep(st.block());
  if (st.session_ == this) detach(st, true);
  StateAccess::forget_identity(st);
}

void SessionImpl::expire(InstanceState& st, const std::vector<std::size_t>& columns) {
  if (st.session_ != this || !st.has_identity_ || st.deleted_)
    throw InvalidRequest("Instance '" + describe(st) + "' is not persistent within this Session");
  if (!columns.empty()) {  // named attributes do not cascade (spec 1.3.3)
    expire_one(st, columns);
    return;
  }
  std::vector<InstanceState*> visited;
  expire_cascade(st, visited);
  std::vector<Object> keep;
  for (auto* v : visited) keep.emplace_back(v->block());
  for (auto* v : visited)
    if (v->session_ == this && v->has_identity_) expire_one(*v, {});
}

void SessionImpl::expire_one(InstanceState& st, const std::vector<std::size_t>& columns) {
  if (columns.empty()) {
    st.expired_.assign(st.expired_.size(), true);
    st.touched_ = false;  // nothing left to compare until the next load
    forget_touched(st);
    unload_relationships(st);
  } else {
    for (auto i : columns) st.expired_.set(i, true);
  }
}

void SessionImpl::expire_all() {
  for (auto& [k, st] : identity_map_) expire_one(*st, {});
}

void SessionImpl::load_expired(InstanceState& st) {
  if (st.session_ == nullptr)
    throw DetachedInstanceError("Instance '" + describe(st) +
                                "' is not bound to a Session; attribute refresh operation "
                                "cannot proceed (add it to a Session, or keep objects loaded "
                                "with SessionOptions::expire_on_commit = false)");
  if (!load_into(st, true))
    throw ObjectDeletedError("Instance '" + describe(st) +
                             "' has been deleted, or its row is otherwise not present");
}

void SessionImpl::refresh(InstanceState& st) {
  if (st.session_ != this || !st.has_identity_ || st.deleted_)
    throw InvalidRequest("Instance '" + describe(st) + "' is not persistent within this Session");
  autoflush();
  expire(st, {});  // with the refresh-expire cascade; only st is reloaded
  if (!load_into(st, false))
    throw InvalidRequest("Could not refresh instance '" + describe(st) + "': its row is gone");
}

InstanceState* SessionImpl::find_identity(const Mapper& mapper,
                                          const std::vector<Value>& key) const {
  auto it = identity_map_.find(&mapper, key);
  return it == identity_map_.end() ? nullptr : it->object();
}

std::vector<InstanceState*> SessionImpl::states_of(const Mapper& mapper) const {
  std::vector<InstanceState*> out;
  for (const auto& [k, st] : identity_map_)
    if (st->mapper_ == &mapper) out.push_back(st);
  return out;
}

detail::ObjectBlock* SessionImpl::get(const Mapper& mapper, std::span<const Value> given) {
  if (given.size() != mapper.primary_key().size())
    throw InvalidRequest(mapper.class_name() + " has a primary key of " +
                         std::to_string(mapper.primary_key().size()) +
                         " column(s); get() was given " + std::to_string(given.size()) +
                         " value(s)");
  // Without allocating: the lookup reuses one vector (nothing below reads it
  // again once a load or flush may call get() itself).
  std::vector<Value>& key = probe_key_;
  key.assign(given.begin(), given.end());
  // Keys are compared as the database returns them: normalise through the adapter.
  for (std::size_t i = 0; i < key.size(); ++i) {
    auto kind = mapper.columns()[mapper.primary_key()[i]]->type().kind;
    if (kind == TypeKind::boolean && key[i].kind() == ValueKind::integer)
      key[i] = Value(key[i].as_boolean());
  }
  if (auto* st = find_identity(mapper, key)) {
    if (!st->needs_load()) {  // the common case: one reference, no SQL
      st->block()->retain();
      return st->block();
    }
    Object keep(st->block());
    autoflush();  // a get() that goes to the database flushes first (spec 6.4)
    if (!load_into(*st, true)) return nullptr;
    st->block()->retain();
    return st->block();
  }
  const std::vector<Value> wanted = key;
  autoflush();
  if (auto* st = find_identity(mapper, wanted)) {
    st->block()->retain();
    return st->block();
  }
  Result r = connection().execute(by_key_statement(mapper), wanted);
  detail::ObjectBlock* found = nullptr;
  for (const auto& row : r) {
    found = instance_from_row(mapper, row.values(), 0);
    break;
  }
  return found;
}

const Mapper& SessionImpl::mapper_for_other(const std::type_info& type) {
  auto it = mappers_by_type_.find(&type);
  if (it == mappers_by_type_.end())
    it = mappers_by_type_.emplace(&type, &registry_.mapper_for(type)).first;
  last_type_ = &type;
  last_mapper_ = it->second;
  return *last_mapper_;
}

detail::ObjectBlock* SessionImpl::get_by_integer(const Mapper& mapper, std::int64_t key) {
  // Only an up-to-date object under a single integer key is found here; the
  // rest (other key types, boolean normalisation, loads, errors) is get()'s.
  if (mapper.integer_key()) {
    InstanceState* st = identity_map_.find_integer(&mapper, key, integer_key_hash(&mapper, key));
    if (st != nullptr && !st->needs_load()) {
      st->block()->retain();
      return st->block();
    }
  }
  return get_integer_as_value(mapper, key);
}

detail::ObjectBlock* SessionImpl::get_integer_as_value(const Mapper& mapper, std::int64_t key) {
  const std::array<Value, 1> given{Value(key)};
  return get(mapper, given);
}

detail::ObjectBlock* SessionImpl::merge(detail::ObjectBlock* source, bool load) {
  if (load) autoflush();
  std::vector<std::pair<detail::ObjectBlock*, Object>> memo;
  return merge_one(source, load, memo);
}

detail::ObjectBlock* SessionImpl::merge_one(
    detail::ObjectBlock* source, bool load,
    std::vector<std::pair<detail::ObjectBlock*, Object>>& memo) {
  for (auto& [from, to] : memo)
    if (from == source) {
      to.block()->retain();
      return to.block();
    }
  InstanceState& src = source->state();
  const Mapper& mapper = src.mapper_ ? *src.mapper_ : registry_.mapper_for(source->type());
  if (src.session_ == this) {
    source->retain();
    return source;
  }
  const void* sobj = source->object();
  auto copy_loaded = [&](InstanceState& target) {
    mark_touched(target);
    note_change();
    void* tobj = target.block()->object();
    for (const auto& c : mapper.columns()) {
      if (src.is_expired(c->index())) continue;
      c->set(tobj, c->get(sobj));
    }
  };
  std::vector<Value> key = mapper.primary_key_of(sobj);
  if (!load && (!src.has_identity_ || is_modified(src)))
    throw InvalidRequest(
        "merge() with load=false needs a clean object that has a database "
        "identity; '" +
        describe(src) + "' is " + (src.has_identity_ ? "modified" : "transient"));
  Object target;
  if (mapper.key_is_unassigned(key)) {
    target = Object(mapper.create());
    InstanceState& st = target.block()->state();
    st.mapper_ = &mapper;
    copy_loaded(st);
    add(st);
  } else if (auto* st = find_identity(mapper, key)) {
    target = Object(st->block());
  } else if (load) {
    target = Object(get(mapper, key));
    if (target) target.block()->release();  // get() returned a counted reference
  }
  if (mapper.key_is_unassigned(key)) {
    // created above
  } else if (target) {
    InstanceState& st = target.block()->state();
    // Copies onto expired columns would be taken for what the database holds
    // and never written: an expired target is read first.
    if (load && st.needs_load()) load_expired(st);
    if (auto v = mapper.version_column()) {
      if (!src.is_expired(*v) &&
          !(mapper.columns()[*v]->holds(target.block()->object(), mapper.columns()[*v]->get(sobj))))
        throw StaleDataError("Version id of '" + describe(src) +
                             "' does not match the version in the database; the object was "
                             "changed by someone else");
    }
    copy_loaded(st);
    if (!load)
      snapshot(st);
    else if (is_modified(st))
      hold(st);
  } else {
    target = Object(mapper.create());
    InstanceState& st = target.block()->state();
    st.mapper_ = &mapper;
    copy_loaded(st);
    if (load) {
      add(st);  // not in the database: INSERT at the next flush
    } else {
      attach(st);
      install_identity(st, key);
      snapshot(st);
    }
  }
  memo.emplace_back(source, target);
  merge_relationships(src, mapper, target.block()->state(), load, memo);
  target.block()->retain();
  return target.block();
}

// The merge cascade (spec 1.3.2): loaded relationship values of the source are
// merged one by one and replace the target's values.
void SessionImpl::merge_relationships(InstanceState& src, const Mapper& mapper,
                                      InstanceState& target, bool load,
                                      std::vector<std::pair<detail::ObjectBlock*, Object>>& memo) {
  using detail::HandleAccess;
  if (src.block()->state().mapper() == nullptr) return;
  for (const auto& r : mapper.relationships()) {
    if (!r->cascade().has(Cascade::merge)) continue;
    detail::RelationshipHandle& from = r->handle(src.block()->object());
    if (!from.is_loaded()) continue;  // an unloaded source value leaves the target alone
    // A value never set on a new source object is not a value to merge.
    if (!src.has_identity_) {
      if (r->is_collection()) {
        auto& c = HandleAccess::collection(from);
        if (c.raw_size() == 0 && HandleAccess::removed(c).empty()) continue;
      } else {
        auto& sc = HandleAccess::scalar(from);
        if (sc.raw_get() == nullptr && !HandleAccess::changed(sc)) continue;
      }
    }
    std::vector<Object> merged;
    std::vector<Object> sources;
    from.for_each([&](detail::ObjectBlock* b) { sources.emplace_back(b); });
    for (const auto& o : sources) {
      detail::ObjectBlock* m = merge_one(o.block(), load, memo);
      merged.emplace_back(m);
      m->release();
    }
    detail::RelationshipHandle& to = r->handle(target.block()->object());
    if (!to.is_loaded() && target.has_identity_ && load) load_relationship(to, true);
    if (!to.is_loaded()) HandleAccess::set_loaded(to, true);
    if (r->is_collection()) {
      std::vector<detail::ObjectBlock*> blocks;
      for (const auto& o : merged) blocks.push_back(o.block());
      HandleAccess::collection(to).replace_all(blocks);
    } else {
      HandleAccess::scalar(to).assign(merged.empty() ? nullptr : merged.front().block());
    }
  }
}

std::vector<Object> SessionImpl::new_objects() const {
  std::vector<Object> out;
  for (const auto& [order, st] : pending_) out.emplace_back(st->block());
  return out;
}

std::vector<Object> SessionImpl::dirty_objects() const {
  std::vector<Object> out;
  for (const auto& [k, st] : identity_map_)
    if (!st->marked_for_delete_ && is_modified(*st)) out.emplace_back(st->block());
  return out;
}

std::vector<Object> SessionImpl::deleted_objects() const {
  std::vector<Object> out;
  for (auto* st : marked_deleted_) out.emplace_back(st->block());
  return out;
}

void SessionImpl::mark_bulk_deleted(InstanceState& st) {
  identity_map_.remove(st);
  marked_deleted_.erase(&st);
  st.marked_for_delete_ = false;
  st.deleted_ = true;
  deleted_.insert(&st);
  hold(st);
}

void SessionImpl::apply_bulk_update(InstanceState& st,
                                    const std::vector<std::pair<std::size_t, Value>>& values) {
  const auto& cols = st.mapper_->columns();
  void* obj = st.block()->object();
  for (const auto& [i, v] : values) {
    if (st.is_expired(i)) continue;
    cols[i]->set(obj, v);
    st.committed_.set(i, cols[i]->get(obj));
  }
}

// ---- transactions -------------------------------------------------------------

Connection& SessionImpl::connection() {
  if (!transaction_) {
    if (!options_.autobegin)
      throw InvalidRequest("Autobegin is disabled on this Session; call begin() first");
    begin();
  }
  return *connection_;
}

void SessionImpl::begin() {
  if (transaction_) throw InvalidRequest("A transaction is already begun on this Session");
  if (!connection_) connection_.emplace(engine_.connect());
  try {
    transaction_.emplace(connection_->begin());
  } catch (...) {
    connection_.reset();  // a connection that cannot BEGIN goes back (broken ones are closed)
    throw;
  }
}

void SessionImpl::lose_transaction() noexcept {
  try {
    transaction_->rollback();
  } catch (...) {
  }
  transaction_.reset();
  connection_.reset();
  if (!wrote_in_transaction_) return;
  try {
    end_transaction(false);
  } catch (...) {
    // Only bookkeeping is left; the error of the flush is what the caller sees.
  }
}

void SessionImpl::commit() {
  if (!transaction_ && !options_.autobegin) throw InvalidRequest("No transaction is begun");
  flush();
  if (transaction_) {
    transaction_->commit();
    transaction_.reset();
    connection_.reset();
  }
  end_transaction(true);
}

void SessionImpl::rollback() {
  if (transaction_) {
    transaction_->rollback();
    transaction_.reset();
    connection_.reset();
  }
  end_transaction(false);
}

void SessionImpl::end_transaction(bool committed) {
  struct CollectAfter {
    ~CollectAfter() { detail::CycleCollector::collect_if_due(); }
  } collect_after;
  wrote_in_transaction_ = false;
  // Unwritten changes do not survive the end of a transaction (rollback
  // expires them; commit flushed them).
  forget_change_notes();
  if (committed) {
    // One pass over the identity map; objects whose last handle goes during it
    // (expiring drops relationship members) are let go after it.
    std::vector<InstanceState*> deferred, held;
    {
      struct Defer {
        std::vector<InstanceState*>*& slot;
        ~Defer() { slot = nullptr; }
      } defer{deferred_deaths_};
      deferred_deaths_ = &deferred;
      rekeyed_.clear();
      for (auto* st : std::vector<InstanceState*>(deleted_.begin(), deleted_.end()))
        detach(*st, false);  // -> detached
      expunged_inserted_.clear();
      for (auto& [k, st] : identity_map_) {
        st->inserted_in_transaction_ = false;  // the rows stay now
        if (options_.expire_on_commit) expire_one(*st, {});
        // Objects the Session kept only because they had changes are clean now.
        if (st->held_strongly_ && !st->marked_for_delete_) held.push_back(st);
      }
    }
    for (auto* st : held) unhold(*st);
    for (auto* st : deferred) st->block()->release();
    return;
  }
  std::vector<Object> keep;  // nothing dies half-way through the bookkeeping
  for (auto& [k, st] : identity_map_) keep.emplace_back(st->block());
  for (auto& [o, st] : pending_) keep.emplace_back(st->block());
  for (auto* st : deleted_) keep.emplace_back(st->block());
  for (auto* st : marked_deleted_) keep.emplace_back(st->block());

  // Rollback (spec 6.6): new objects go back to transient with their values,
  // deleted ones come back, everything else is expired.
  // Every object inserted in the transaction is in the identity map, or among
  // the deleted if it was deleted afterwards.
  std::vector<InstanceState*> inserted;
  for (auto& [k, st] : identity_map_)
    if (st->inserted_in_transaction_) inserted.push_back(st);
  for (auto* st : deleted_)
    if (st->inserted_in_transaction_) inserted.push_back(st);
  for (auto* st : inserted) detach(*st, true);
  for (const auto& o : std::exchange(expunged_inserted_, {})) {
    InstanceState& st = o.block()->state();
    if (st.session_ != nullptr || !st.has_identity_) continue;  // in another Session now
    st.has_identity_ = false;
    st.identity_.clear();
    st.deleted_ = false;
  }
  // Primary keys changed by flushes go back to what the database has again.
  for (auto it = rekeyed_.rbegin(); it != rekeyed_.rend(); ++it) {
    InstanceState* st = it->first;
    if (st->session_ != this) continue;
    identity_map_.remove(*st);
    st->identity_.assign(it->second);
    identity_map_.assign(*st);
  }
  rekeyed_.clear();
  for (auto* st : pending_.objects()) detach(*st, false);
  for (auto* st : std::vector<InstanceState*>(deleted_.begin(), deleted_.end())) {
    deleted_.erase(st);
    st->deleted_ = false;
    install_identity(*st, st->identity_.view());
  }
  for (auto* st : std::vector<InstanceState*>(marked_deleted_.begin(), marked_deleted_.end())) {
    st->marked_for_delete_ = false;
    marked_deleted_.erase(st);
  }
  // What the rolled back changes said about parents is void: an object removed
  // from a collection is not an orphan any more (spec 3.1: unknown again).
  for (auto& [k, st] : identity_map_) st->parents_.clear();
  expire_all();
  for (auto& [k, st] : identity_map_) unhold(*st);
}

void SessionImpl::close() {
  expunge_all();
  detail::CycleCollector::collect_if_due();
  if (transaction_) {
    transaction_->rollback();
    transaction_.reset();
  }
  connection_.reset();
  deleted_.clear();
  expunged_inserted_.clear();
  wrote_in_transaction_ = false;
  waiting_changes_ = false;
  forget_change_notes();
}

}  // namespace relate
