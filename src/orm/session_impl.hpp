#pragma once
// The Session's compiled core: identity map, object bookkeeping, transaction,
// loading and the unit of work. Everything here is type-erased; templates stay in
// the public headers.

#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "orm/pointer_index.hpp"
#include "relate/core/statement.hpp"
#include "relate/engine/connection.hpp"
#include "relate/engine/engine.hpp"
#include "relate/orm/handles.hpp"
#include "relate/orm/instance_state.hpp"
#include "relate/orm/mapper.hpp"
#include "relate/orm/object.hpp"
#include "relate/orm/registry.hpp"
#include "relate/orm/session.hpp"

namespace relate {

// An integer Value hashes as its integer does (integer_key_hash relies on it).
std::size_t hash_value(const Value& v) noexcept;

inline std::size_t hash_key_start(const Mapper* mapper) noexcept {
  return std::hash<const void*>()(mapper);
}
inline std::size_t hash_key_next(std::size_t h, std::size_t value_hash) noexcept {
  return h * 1000003u ^ value_hash;
}
inline std::size_t hash_key(const Mapper* mapper, std::span<const Value> key) noexcept {
  std::size_t h = hash_key_start(mapper);
  for (const auto& v : key) h = hash_key_next(h, hash_value(v));
  return h;
}
// hash_key(mapper, {Value(key)}) without the Value.
inline std::size_t integer_key_hash(const Mapper* mapper, std::int64_t key) noexcept {
  return hash_key_next(hash_key_start(mapper), std::hash<std::int64_t>()(key));
}
inline std::size_t hash_key(const Mapper* mapper, const detail::Identity& key) noexcept {
  if (const std::int64_t* n = key.if_integer()) return integer_key_hash(mapper, *n);
  return hash_key(mapper, key.view());
}

struct IdentityKey {
  const Mapper* mapper = nullptr;
  std::vector<Value> key;
  friend bool operator==(const IdentityKey&, const IdentityKey&) = default;
};

struct IdentityKeyHash {
  std::size_t operator()(const IdentityKey& k) const noexcept { return hash_key(k.mapper, k.key); }
};

// The identity map (spec 6.2): every persistent object of a Session by mapper
// and primary key. An open-addressing table of 8-byte slots, each a pointer to
// an object's state: the key itself is the object's own mapper and identity_,
// so it is stored once, a lookup copies nothing, and there is no node to
// allocate per object (a node-based map spent much of a large load re-hashing
// scattered nodes). A slot keeps no hash (a table of 100,000 objects has
// 262,144 slots: 2 MB saved against a stored hash); growing re-hashes each key
// from its state instead, and two spare bits of hash below the pointer let a
// probe pass most entries of other keys without reading their state. An
// object's identity_ must therefore not change while it is in the map: take it
// out first.
//
// Iteration yields the entries as [identity, object], like a
// std::unordered_map's pairs. Erasing marks the slot, keeping the object
// pointer, so iterators stay valid across erasure of any entry, the current
// one included; inserting may re-hash and invalidates them, as in
// std::unordered_map.
class IdentityMap {
 public:
  // Empty: all bits zero. Otherwise the state's address, whose three low bits
  // are free (static_assert below): the erased mark and two bits of the hash.
  class Slot {
   public:
    InstanceState* object() const noexcept {
      return reinterpret_cast<InstanceState*>(bits_ & ~low_bits);
    }
    bool empty() const noexcept { return bits_ == 0; }
    bool live() const noexcept { return bits_ != 0 && (bits_ & erased_bit) == 0; }
    bool erased() const noexcept { return (bits_ & erased_bit) != 0; }
    // Structured bindings: auto& [identity, object] = slot.
    template <std::size_t I>
    decltype(auto) get() const noexcept {
      if constexpr (I == 0)
        return static_cast<const detail::Identity&>(object()->identity());
      else
        return object();
    }

   private:
    friend class IdentityMap;
    std::uintptr_t bits_ = 0;
  };
  static constexpr std::uintptr_t erased_bit = 1;
  static constexpr std::uintptr_t tag_bits = 6;
  static constexpr std::uintptr_t low_bits = erased_bit | tag_bits;
  static_assert(alignof(InstanceState) > low_bits);
  // The two bits of a hash a slot keeps: the top of a multiplicative mix, so
  // that they depend on every bit (the slot's place already tells the low ones).
  static std::uintptr_t tag(std::size_t hash) noexcept {
    return static_cast<std::uintptr_t>((std::uint64_t{hash} * 0x9e3779b97f4a7c15u) >> 62) << 1;
  }

  template <class S>
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Slot;
    using difference_type = std::ptrdiff_t;
    using pointer = S*;
    using reference = S&;
    Iterator() = default;
    Iterator(S* at, S* end) : at_(at), end_(end) { skip(); }
    S& operator*() const { return *at_; }
    S* operator->() const { return at_; }
    Iterator& operator++() {
      ++at_;
      skip();
      return *this;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.at_ == b.at_; }

   private:
    void skip() {
      while (at_ != end_ && !at_->live()) ++at_;
    }
    S* at_ = nullptr;
    S* end_ = nullptr;
  };
  using iterator = Iterator<Slot>;
  using const_iterator = Iterator<const Slot>;

  IdentityMap() = default;
  IdentityMap(const IdentityMap&) = delete;
  IdentityMap& operator=(const IdentityMap&) = delete;

  iterator begin() noexcept { return {slots_.get(), slots_.get() + capacity_}; }
  iterator end() noexcept { return {slots_.get() + capacity_, slots_.get() + capacity_}; }
  const_iterator begin() const noexcept { return {slots_.get(), slots_.get() + capacity_}; }
  const_iterator end() const noexcept {
    return {slots_.get() + capacity_, slots_.get() + capacity_};
  }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  void clear() noexcept;

  // With the key's hash_key() when it is known already.
  iterator find(const Mapper* mapper, std::span<const Value> key, std::size_t hash);
  iterator find(const Mapper* mapper, std::span<const Value> key) {
    return find(mapper, key, hash_key(mapper, key));
  }
  const_iterator find(const Mapper* mapper, std::span<const Value> key) const;
  // The object under a single integer key (hash: integer_key_hash), or null.
  InstanceState* find_integer(const Mapper* mapper, std::int64_t key,
                              std::size_t hash) const noexcept;
  iterator find(const IdentityKey& k) { return find(k.mapper, k.key); }
  void erase(iterator it) noexcept;
  std::size_t erase(const IdentityKey& k);
  // Enters `st` under its identity_; if another object has that identity,
  // nothing changes and the iterator names that one.
  std::pair<iterator, bool> insert(InstanceState& st);
  std::pair<iterator, bool> insert(InstanceState& st, std::size_t hash);

  // One probe for "find, or else make and enter" (loading a row): where the
  // identity is or would go. Nothing else may enter the map before insert_at().
  struct Place {
    std::size_t slot = 0;
    bool found = false;
  };
  Place locate(const Mapper* mapper, std::span<const Value> key, std::size_t hash) const;
  Place locate_integer(const Mapper* mapper, std::int64_t key, std::size_t hash) const;
  InstanceState* object_at(Place p) const noexcept { return slots_[p.slot].object(); }
  // Enters `st` (whose identity_ and hash are the ones located) at `p`.
  void insert_at(Place p, InstanceState& st, std::size_t hash);
  // Enters `st` under its identity_, in place of any object there.
  void assign(InstanceState& st);
  // Takes `st` out if it is the object entered under its identity_.
  void remove(InstanceState& st);

 private:
  // The slot of the entry, or of where it would go (the first erased or empty one).
  // matches(state) says whether an entry with the right hash is the one sought.
  template <class Matches>
  std::size_t probe(std::size_t hash, Matches matches, bool& found) const noexcept;
  std::size_t probe(const Mapper* mapper, std::span<const Value> key, std::size_t hash,
                    bool& found) const noexcept;
  // The slot of `st`'s own identity (found: another object's, or st's).
  std::size_t probe(const InstanceState& st, std::size_t hash, bool& found) const noexcept;
  // Whether one more entry needs a larger (or cleaner) table: at most 3/4 of
  // the slots in use, entries and erased markers, keeps linear probing short.
  bool full() const noexcept { return 4 * (size_ + erased_ + 1) > 3 * capacity_; }
  void grow();
  void place(std::size_t i, InstanceState& st, std::size_t hash) noexcept;
  iterator at(std::size_t i) noexcept { return {slots_.get() + i, slots_.get() + capacity_}; }

  std::unique_ptr<Slot[]> slots_;
  std::size_t capacity_ = 0;  // a power of two
  std::size_t size_ = 0;
  std::size_t erased_ = 0;  // slots with the erased marker
};

}  // namespace relate

template <>
struct std::tuple_size<relate::IdentityMap::Slot> : std::integral_constant<std::size_t, 2> {};
template <>
struct std::tuple_element<0, relate::IdentityMap::Slot> {
  using type = const relate::detail::Identity&;
};
template <>
struct std::tuple_element<1, relate::IdentityMap::Slot> {
  using type = relate::InstanceState*;
};

namespace relate {

// The Session's persistent objects reached through a handle since their row
// was read (touched: what a flush compares), with those reached since the last
// flush (seen: what an autoflush compares) kept at the end. Each object keeps
// its own place (InstanceState::reached_at_), so that entering, moving to the
// seen end, leaving and "is it there" take constant time whatever the list's
// length. Every seen object is touched (a handle access marks both), so one
// list with one place per object does what two lists with two places did.
class ReachedStates {
 public:
  static constexpr std::uint32_t nowhere = InstanceState::not_reached;
  static bool contains(const InstanceState& st) noexcept { return st.reached_at_ != nowhere; }
  bool seen(const InstanceState& st) const noexcept {
    return contains(st) && st.reached_at_ >= first_seen_;
  }
  // Enters `st` among the touched objects not seen since the last flush,
  // unless it is on the list; false (nothing entered) if memory ran out.
  bool add_touched(InstanceState& st) noexcept {
    if (contains(st)) return true;
    if (!push(st)) return false;
    swap(size_ - 1, first_seen_++);
    return true;
  }
  // Enters `st`, or moves it, among the seen objects.
  bool add_seen(InstanceState& st) noexcept {
    if (!contains(st)) return push(st);
    if (st.reached_at_ < first_seen_) swap(st.reached_at_, --first_seen_);
    return true;
  }
  // The last object of the leaving one's part takes its place (and the last
  // object of all the place that frees, when an unseen one leaves).
  void remove(InstanceState& st) noexcept {
    if (!contains(st)) return;
    std::size_t at = st.reached_at_;
    if (at >= size_ || items_[at] != &st) {
      st.reached_at_ = nowhere;
      return;
    }
    if (at < first_seen_) {
      const std::size_t last_unseen = --first_seen_;
      swap(at, last_unseen);
      at = last_unseen;
    }
    swap(at, size_ - 1);
    --size_;
    st.reached_at_ = nowhere;
  }
  // After a flush: nothing is seen since.
  void forget_seen() noexcept { first_seen_ = size_; }
  void clear() noexcept {
    for (auto* st : items()) st->reached_at_ = nowhere;
    size_ = 0;
    first_seen_ = 0;
  }
  std::span<InstanceState* const> items() const noexcept { return {items_.get(), size_}; }
  std::span<InstanceState* const> seen_items() const noexcept {
    return items().subspan(first_seen_);
  }

 private:
  // The first handle access after a load or a flush comes here for every
  // object it reaches, so the common case is a store and a count, with the
  // growing kept out of line (an inlined vector::push_back made every caller
  // save six registers for its reallocation path).
  bool push(InstanceState& st) noexcept {
    if (size_ == capacity_ && !grow()) [[unlikely]]
      return false;
    items_[size_] = &st;
    st.reached_at_ = size_++;
    return true;
  }
  bool grow() noexcept;
  void swap(std::size_t a, std::size_t b) noexcept {
    std::swap(items_[a], items_[b]);
    items_[a]->reached_at_ = static_cast<std::uint32_t>(a);
    items_[b]->reached_at_ = static_cast<std::uint32_t>(b);
  }
  std::unique_ptr<InstanceState*[]> items_;
  std::uint32_t size_ = 0;  // places are 32-bit (InstanceState::reached_at_)
  std::uint32_t capacity_ = 0;
  std::uint32_t first_seen_ = 0;  // items_[first_seen_...] are the seen ones
};

// The pending objects by add order (their INSERTs go in that order): a vector
// of (order, object), appended to as objects are added. Erasing leaves a gap
// (object null) that iteration skips, so erasing never moves entries; the next
// append compacts when gaps are most of the vector.
class PendingObjects {
 public:
  struct Entry {
    std::uint32_t first;  // the add order
    InstanceState* second;
  };
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Entry;
    using difference_type = std::ptrdiff_t;
    using pointer = const Entry*;
    using reference = const Entry&;
    iterator() = default;
    iterator(const Entry* at, const Entry* end) : at_(at), end_(end) { skip(); }
    const Entry& operator*() const { return *at_; }
    const Entry* operator->() const { return at_; }
    iterator& operator++() {
      ++at_;
      skip();
      return *this;
    }
    friend bool operator==(const iterator& a, const iterator& b) { return a.at_ == b.at_; }

   private:
    void skip() {
      while (at_ != end_ && at_->second == nullptr) ++at_;
    }
    const Entry* at_ = nullptr;
    const Entry* end_ = nullptr;
  };

  iterator begin() const noexcept { return {entries_.data(), entries_.data() + entries_.size()}; }
  iterator end() const noexcept {
    return {entries_.data() + entries_.size(), entries_.data() + entries_.size()};
  }
  bool empty() const noexcept { return live_ == 0; }
  std::size_t size() const noexcept { return live_; }
  // Enters `st` at `order`: at the end for a newly added object, in its old
  // place for one a failed flush puts back.
  void emplace(std::uint32_t order, InstanceState* st);
  void erase(std::uint32_t order) noexcept;
  // Leaves a gap for every object `gone(object)` names: one pass for all the
  // objects a flush inserted, where erase() would search for each.
  template <class Gone>
  void erase_where(Gone gone) noexcept {
    for (auto& e : entries_) {
      if (e.second == nullptr || !gone(*e.second)) continue;
      e.second = nullptr;
      --live_;
    }
    if (live_ == 0) entries_.clear();
  }
  // The objects, in order (a copy to iterate while erasing).
  std::vector<InstanceState*> objects() const;
  // Numbers the objects 1, 2, ... in their order, with `others` (places held
  // outside the list) among them; returns the next free number.
  std::uint32_t renumber(std::span<std::uint32_t* const> others);

 private:
  std::vector<Entry> entries_;  // by order
  std::size_t live_ = 0;
};

// Values bound in one statement by the ORM's IN lists (selectin, set-based
// cascades, restrict checks, batched deletes): under SQLite's 32,766 and
// PostgreSQL's 65,535 parameters, and enough for 10,000 parents in one go.
constexpr std::size_t max_in_values = 30000;

// Rows of a bulk delete with cascades that have no object in the Session: they
// are deleted, and cascaded from, as sets (single-column primary keys).
using KeyOnlyDeletes = std::map<const Mapper*, std::vector<Value>>;

class SessionImpl {
 public:
  SessionImpl(Engine engine, Registry& registry, SessionOptions options);
  ~SessionImpl();

  // The number the next add() takes, as if that many had gone before: lets a
  // test reach the end of the 32-bit add order without 4 billion adds.
  void continue_add_order_at(std::uint32_t next) noexcept { next_insert_order_ = next; }

  // Object bookkeeping (session.cpp)
  void add(InstanceState& st);
  // add() and the save-update cascade from it (spec 1.3.1).
  void add_with_cascade(InstanceState& st, std::vector<InstanceState*>& visited);
  void add_one(InstanceState& st);
  void remove(InstanceState& st);
  // The delete cascade from one object (spec 1.3.5): children along `delete`
  // relationships are marked too, loading unloaded ones unless passive_deletes.
  using Visited = std::unordered_set<InstanceState*>;
  void cascade_delete(InstanceState& st, Visited& visited);
  // The delete cascade along one relationship. Unloaded children that the flush
  // can delete as a set are left unloaded unless `load` says otherwise.
  void cascade_delete_along(InstanceState& st, const Relationship& r, Visited& visited, bool load);
  // Whether the flush may cascade along `r` with set statements when the
  // children are not in memory (set_cascade.cpp).
  bool cascades_as_set(const Relationship& r);
  // Query::bulk_delete_with_cascades: removes these rows with the ORM's cascade
  // rules, as sets where nothing in memory needs visiting, and flushes.
  void delete_rows_with_cascades(const Mapper& mapper, std::vector<std::vector<Value>> keys);
  // A pending object that became an orphan leaves the Session at once, with the
  // pending objects below it along delete-orphan relationships (DESIGN 4.4).
  void expunge_pending_orphan(InstanceState& st);
  void expunge(InstanceState& st);
  void expunge_cascade(InstanceState& st, std::vector<InstanceState*>& visited);
  void expire_cascade(InstanceState& st, std::vector<InstanceState*>& visited);
  void expunge_all();
  void expire(InstanceState& st, const std::vector<std::size_t>& columns);
  void expire_one(InstanceState& st, const std::vector<std::size_t>& columns);
  void expire_all();
  void refresh(InstanceState& st);
  detail::ObjectBlock* get(const Mapper& mapper, std::span<const Value> key);
  detail::ObjectBlock* get_by_integer(const Mapper& mapper, std::int64_t key);
  // get_by_integer's way out when the identity map cannot answer (kept out of
  // line: its Value would cost the fast path a frame).
  [[gnu::noinline]] detail::ObjectBlock* get_integer_as_value(const Mapper& mapper,
                                                              std::int64_t key);
  detail::ObjectBlock* get(const Mapper& mapper, const std::vector<Value>& key) {
    return get(mapper, std::span<const Value>(key));
  }
  // The Registry's mapper for a type, remembered by the type_info's address
  // (the Registry looks types up by name, which costs a string hash).
  const Mapper& mapper_for(const std::type_info& type) {
    if (&type == last_type_) [[likely]]
      return *last_mapper_;
    return mapper_for_other(type);
  }
  // mapper_for() when the type is not the last one asked for: out of line, so
  // that a get() of the same type as before needs no stack frame for it.
  [[gnu::noinline]] const Mapper& mapper_for_other(const std::type_info& type);
  // SELECT of the mapper's columns WHERE primary key = the positional values.
  const CompiledStatement& by_key_statement(const Mapper& mapper);
  detail::ObjectBlock* merge(detail::ObjectBlock* source, bool load);
  detail::ObjectBlock* merge_one(detail::ObjectBlock* source, bool load,
                                 std::vector<std::pair<detail::ObjectBlock*, Object>>& memo);
  void merge_relationships(InstanceState& src, const Mapper& mapper, InstanceState& target,
                           bool load, std::vector<std::pair<detail::ObjectBlock*, Object>>& memo);
  bool contains(const InstanceState& st) const noexcept {
    return st.session_ == this && !st.deleted_;
  }
  std::vector<Object> new_objects() const;
  std::vector<Object> dirty_objects() const;
  std::vector<Object> deleted_objects() const;
  DeletePreview delete_preview();  // unit_of_work.cpp
  void make_transient(InstanceState& st);
  bool is_modified(const InstanceState& st) const;

  // Relationship bookkeeping (relationship.cpp calls these as members change).
  void relationship_changed(InstanceState& st);
  // save-update cascade: the object (and what it reaches) joins this Session.
  void cascade_add(InstanceState& st);
  // Loads one unloaded relationship member (loading.cpp).
  void load_relationship(detail::RelationshipHandle& handle, bool to_change);
  // Loads an unloaded many-to-one only if the identity map has the object.
  void peek_many_to_one(detail::ScalarBase& handle);

  // Called when the last handle to an attached object goes away. True if the
  // Session keeps the object (it has unflushed changes).
  bool keep_alive(InstanceState& st) noexcept;
  // Loads expired columns before an access through a handle.
  void load_expired(InstanceState& st);
  // A handle reached the object (detail::prepare_access: every handle access
  // to an object not reached since its load or the last flush). Inline there,
  // so that the first access to each of many objects is a few stores.
  [[gnu::always_inline]] void note_seen(InstanceState& st) noexcept {
    st.touched_ = true;
    const bool was_unseen = st.unseen_;
    st.unseen_ = false;
    // Only persistent objects are on the list. An unseen one goes straight to
    // the seen end (every handle access after a load or a flush comes here
    // once), not among the touched ones first and then moved.
    if (st.session_ != this || !st.has_identity_) return;
    if (was_unseen ? reached_.add_seen(st) : reached_.add_touched(st)) [[likely]]
      return;
    // Memory ran out: the next flush and autoflush compare everything instead.
    touched_overflow_ = seen_overflow_ = true;
  }
  // Something an autoflush must write may have changed without a handle access
  // to a column (relationships, parents, attached objects): the next autoflush
  // runs in full.
  void note_change() noexcept { ++changes_; }
  // A child left a parent: the next flush checks whether it is an orphan.
  void note_left_parent(InstanceState& st) noexcept;
  // A change waits in an unloaded collection (forget_written_waiting_changes).
  void note_waiting_change() noexcept { waiting_changes_ = true; }

  // Transactions (session.cpp)
  void begin();
  void commit();
  void rollback();
  void close();
  bool in_transaction() const noexcept { return transaction_.has_value(); }
  // The database ended the transaction under a flush (or left it good only for
  // a rollback): it is dropped, and if earlier flushes wrote in it, their work
  // is gone too, so the Session does what rollback() does.
  void lose_transaction() noexcept;
  Connection& connection();  // autobegins

  // Loading (loading.cpp)
  // Turns a row (the mapper's columns, in order, from `offset`) into the object
  // of that identity: the existing one (expired columns filled in) or a new one.
  detail::ObjectBlock* instance_from_row(const Mapper& mapper, const Row& row, std::size_t offset);
  // The same for a row the caller is done with: text moves into the object's
  // members instead of being copied (the row's strings are left empty).
  detail::ObjectBlock* instance_from_taken_row(const Mapper& mapper, Row& row, std::size_t offset);
  Select select_columns(const Mapper& mapper) const;
  Expr primary_key_condition(const Mapper& mapper, const std::vector<Value>& key) const;
  // One row by primary key into `st`; false if the row is gone.
  bool load_into(InstanceState& st, bool only_expired);

  // The unit of work (unit_of_work.cpp)
  void flush(KeyOnlyDeletes key_only = {});
  // The flush before a query, a database-bound get() or a refresh (spec 6.4). A
  // failure is re-raised as the same error with a hint about no_autoflush().
  void autoflush();
  // Loads the unit of work needs ignore lazy="raise" (spec 7.1).
  bool flushing() const noexcept { return flushing_ || unit_of_work_loads_ > 0; }

  // Execution helpers used by loading, flush and queries.
  const CompiledStatement& compiled(const std::string& cache_key, const Executable& stmt);
  CompiledStatement compile(const Executable& stmt) const;

  Registry& registry() noexcept { return registry_; }
  const Engine& engine() const noexcept { return engine_; }
  const Dialect& dialect() const noexcept { return engine_.dialect(); }
  const SessionOptions& options() const noexcept { return options_; }
  bool& autoflush_flag() noexcept { return options_.autoflush; }
  int& no_autoflush_depth() noexcept { return no_autoflush_depth_; }

  // Marks the end of bulk-statement synchronisation: objects whose rows a bulk
  // DELETE removed.
  void mark_bulk_deleted(InstanceState& st);
  // A bulk UPDATE changed these columns of the object's row.
  void apply_bulk_update(InstanceState& st,
                         const std::vector<std::pair<std::size_t, Value>>& values);
  InstanceState* find_identity(const Mapper& mapper, const std::vector<Value>& key) const;
  // The persistent objects of one mapper in the identity map.
  std::vector<InstanceState*> states_of(const Mapper& mapper) const;

 private:
  friend class UnitOfWork;

  void hold(InstanceState& st);
  void unhold(InstanceState& st);
  // seen bookkeeping: an object leaving the Session leaves the list; after a
  // flush every object on it is unseen again.
  void forget_seen(InstanceState& st) noexcept;
  void reset_seen() noexcept;
  // After a flush or the end of a transaction: the notes of what changed since
  // the previous one (reached objects, changed owners, children that left).
  void forget_change_notes() noexcept;
  // touched bookkeeping: every persistent object that may differ from its
  // snapshot is on reached_, so that a flush compares those and no others.
  void mark_touched(InstanceState& st) noexcept;
  void forget_touched(InstanceState& st) noexcept;
  // The objects a flush compares (all of reached_, or the whole identity map if
  // a note could not be recorded).
  std::vector<InstanceState*> touched_objects() const;
  // Whether an autoflush has anything to write: pending, deleted or changed
  // relationships, or a changed column of an object reached since the last
  // flush. O(objects reached), not O(identity map).
  bool autoflush_has_work() const;
  void attach(InstanceState& st);
  void detach(InstanceState& st, bool forget_identity);
  void install_identity(InstanceState& st, std::span<const Value> key);
  // The same with the key its members hold now (a new row, a changed key).
  void install_identity_from_members(InstanceState& st);
  // The seen/touched bookkeeping of an object that has just entered the map.
  void entered_identity_map(InstanceState& st) noexcept;
  // instance_from_row(); with `taken` (the same row) its values may be moved.
  detail::ObjectBlock* object_for_row(const Mapper& mapper, const Row& row, std::size_t offset,
                                      Row* taken);
  void snapshot(InstanceState& st);
  // After expired columns were loaded into the object: their committed values
  // (or all of them) are taken from the members, and nothing is expired.
  void repack(InstanceState& st, bool only_expired);
  // After a flush: relationship changes are written; history starts again.
  void reset_relationship_history(InstanceState& st);
  // Unloads the relationship members of an object (expire, new loads).
  void unload_relationships(InstanceState& st);
  // After a flush: changes that waited for unloaded collections are written.
  void forget_written_waiting_changes();
  std::vector<std::size_t> changed_columns(const InstanceState& st) const;
  void changed_columns(const InstanceState& st, std::vector<std::size_t>& out) const;  // into out
  // After commit or rollback: what the transaction did to objects is settled.
  void end_transaction(bool committed);

  Engine engine_;
  Registry& registry_;
  SessionOptions options_;
  int no_autoflush_depth_ = 0;
  bool flushing_ = false;
  int unit_of_work_loads_ = 0;

  std::optional<Connection> connection_;
  std::optional<Transaction> transaction_;

  IdentityMap identity_map_;
  PendingObjects pending_;
  std::uint32_t next_insert_order_ = 1;
  std::uint32_t next_add_order();
  std::unordered_set<InstanceState*> marked_deleted_;  // remove() called, not flushed
  std::unordered_set<InstanceState*> deleted_;         // DELETE flushed in this transaction
  // Objects inserted in the transaction (InstanceState::inserted_in_transaction_)
  // that were expunged since: a rollback takes their rows too, and add() marks
  // them inserted again.
  std::vector<Object> expunged_inserted_;
  bool wrote_in_transaction_ = false;  // a flush has written in the open transaction
  // While a flush runs: the pending objects it expunged (DESIGN 4.4), with
  // their place in the insert order, so that a failed flush can put them back.
  std::vector<std::pair<Object, std::uint32_t>>* expunged_by_flush_ = nullptr;
  // Objects whose primary key a flush changed in this transaction, with the old key.
  std::vector<std::pair<InstanceState*, std::vector<Value>>> rekeyed_;
  // Persistent objects reached through a handle since their row was read
  // (touched) and since the last flush (seen), and whether a note could not be
  // recorded (the next flush compares every object, the next autoflush runs in
  // full).
  ReachedStates reached_;
  bool seen_overflow_ = false;
  std::uint64_t changes_ = 0;  // note_change() calls since the last flush
  bool touched_overflow_ = false;
  // Owners whose relationships changed, and children that left a parent, since
  // the last flush (what the flush would otherwise find by a pass over the
  // identity map).
  std::vector<Object> changed_owners_;
  // Set during a pass over the identity map: objects that lose their last
  // handle are kept and listed here instead of leaving the map mid-pass.
  std::vector<InstanceState*>* deferred_deaths_ = nullptr;
  std::vector<Object> left_parent_;
  bool waiting_changes_ = false;
  std::unordered_map<std::string, CompiledStatement> statement_cache_;
  std::unordered_map<const Mapper*, CompiledStatement> by_key_statements_;
  std::vector<Value> probe_key_;  // get()'s identity-map lookup, reused
  std::unordered_map<const std::type_info*, const Mapper*> mappers_by_type_;
  const std::type_info* last_type_ = nullptr;
  const Mapper* last_mapper_ = nullptr;
  std::string pack_buffer_;  // scratch space of snapshot()
  std::unordered_map<const Relationship*, bool> set_cascade_cache_;
};

}  // namespace relate
