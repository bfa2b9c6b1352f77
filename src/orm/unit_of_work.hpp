#pragma once
// The unit of work (spec section 5, DESIGN 4.1 and 4.2). unit_of_work.cpp writes
// objects; set_cascade.cpp turns cascades over rows that are not in memory into
// set statements (one per table level).

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "orm/pointer_index.hpp"
#include "orm/session_impl.hpp"

namespace relate {

// Orders primary keys the same way in every run (statement order, tests).
bool key_less(std::span<const Value> a, std::span<const Value> b);
inline bool key_less(const detail::Identity& a, const detail::Identity& b) {
  return key_less(a.view(), b.view());
}
inline const std::int64_t* single_integer(const std::vector<Value>& key) noexcept {
  return key.size() == 1 ? key.front().if_integer() : nullptr;
}
inline const std::int64_t* single_integer(const detail::Identity& key) noexcept {
  return key.if_integer();
}
// A key held by an object's identity or, for a row that has none yet, as values.
struct KeyRef {
  const detail::Identity* identity = nullptr;
  std::span<const Value> values{};
};
bool key_less(const KeyRef& a, const KeyRef& b);
inline const std::int64_t* single_integer(const KeyRef& key) noexcept {
  if (key.identity != nullptr) return key.identity->if_integer();
  return key.values.size() == 1 ? key.values.front().if_integer() : nullptr;
}

// Positions 0..n-1 in the order of key_less over key_of(i). Single integer keys
// (the usual case) are sorted as plain integers.
template <class KeyOf>
inline std::vector<std::size_t> key_order(std::size_t n, KeyOf key_of) {
  std::vector<std::size_t> order(n);
  bool integers = true;
  std::vector<std::pair<std::int64_t, std::size_t>> plain;
  plain.reserve(n);
  for (std::size_t i = 0; i < n && integers; ++i) {
    const std::int64_t* n = single_integer(key_of(i));
    integers = n != nullptr;
    if (integers) plain.emplace_back(*n, i);
  }
  if (integers) {
    // Rows often come in key order already (the order they were loaded in).
    if (!std::is_sorted(plain.begin(), plain.end())) std::sort(plain.begin(), plain.end());
    for (std::size_t i = 0; i < n; ++i) order[i] = plain[i].second;
    return order;
  }
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return key_less(key_of(a), key_of(b)); });
  return order;
}

// Puts `items` in key order (key_of(item) gives an item's key): elements are
// moved once, after the order is found on indices.
template <class T, class KeyOf>
void sort_by_key(std::vector<T>& items, KeyOf key_of) {
  const auto order =
      key_order(items.size(), [&](std::size_t i) -> decltype(auto) { return key_of(items[i]); });
  bool in_place = true;
  for (std::size_t i = 0; i < order.size() && in_place; ++i) in_place = order[i] == i;
  if (in_place) return;
  std::vector<T> sorted;
  sorted.reserve(items.size());
  for (auto i : order) sorted.push_back(std::move(items[i]));
  items = std::move(sorted);
}

// Whether a cascade along `r` (a one-to-many) can be carried out with set
// statements when its children are not in memory: nothing below needs objects
// (no version counter, no post_update, single-column keys, no relationship that
// must visit objects). Depends on the mapping only.
bool cascade_as_set(const Registry& registry, const Relationship& r);

class UnitOfWork {
 public:
  explicit UnitOfWork(SessionImpl& s, KeyOnlyDeletes key_only = {})
      : s_(s), key_only_(std::move(key_only)) {}

  void run();
  DeletePreview preview();

 private:
  // The columns an INSERT sends and those the database fills in: the same for
  // nearly every row of a table, so rows name one of a few shapes.
  struct InsertShape {
    std::vector<std::size_t> columns;    // sent
    std::vector<std::size_t> returning;  // filled in by the database
  };
  // A new row: its values are bound from the object's members when the
  // INSERT runs, except those make_insert() chose itself (a version counter's
  // first value, a column default), which are sent as it chose them.
  struct Insert {
    InstanceState* st;
    std::size_t shape;  // in insert_shapes_
    std::vector<std::pair<std::size_t, Value>> chosen{};
  };
  // An UPDATE of one row, small since a flush may write many: its columns
  // name a list in update_columns_ (rows of a table nearly always change the
  // same columns). The row is found by the identity of `st` (of `replaces` for
  // a row switch), which no statement of the flush changes (finalize()
  // re-keys), so it is not copied. What only some rows need is in
  // update_extras_.
  struct Update {
    static constexpr std::uint32_t no_extra = 0xffffffffu;
    InstanceState* st;
    std::uint32_t columns;              // changed, version counter included
    std::uint32_t extra = no_extra;     // in update_extras_
    InstanceState* replaces = nullptr;  // row switch: the deleted object of this row
  };
  struct UpdateExtra {
    std::optional<Value> old_version{};
    // The key of a row this flush inserted (it has no identity yet).
    std::vector<Value> new_key{};
    // Values sent instead of the member's: a NULL for a member that cannot hold
    // one, so that the database (not a conversion in memory) says no.
    std::vector<std::pair<std::size_t, Value>> forced{};
  };
  struct Undo {
    InstanceState* st;
    std::size_t column;
    Value old;
  };

  // A foreign key to write on a child: the parent's key, or NULL (parent null).
  struct Link {
    const Relationship* rel;
    detail::ObjectBlock* parent;
  };
  // A many-to-many association row to write or remove.
  struct Association {
    const Relationship* rel;
    detail::ObjectBlock* owner;
    detail::ObjectBlock* target;
    bool add;
  };

  // Set-based cascades (set_cascade.cpp).
  struct RowSet;
  struct SetPlan;
  void plan_set_cascades();
  void plan_rows_below(const RowSet& rows, std::vector<const Mapper*>& path, SetPlan& plan);
  void plan_child_rows(const RowSet& child, const Relationship& r, std::vector<const Mapper*>& path,
                       SetPlan& plan);
  bool touches_objects(const RowSet& rows);
  std::vector<InstanceState*> parents_with_children_in_memory(
      const std::vector<InstanceState*>& parents, const Relationship& r);
  bool set_candidate(const InstanceState& st, const Relationship& r) const;
  void run_set_statements(const Mapper& m);

  void resolve_deletes();
  void check_restrictions();
  bool is_orphan(const InstanceState& st) const;
  void collect();
  void plan_links(InstanceState& owner);
  void add_link(InstanceState& child, Link link);
  void apply_links(InstanceState& child);
  void apply_link(InstanceState& child, const Link& l);
  bool waits_for_pending_parent(InstanceState& child, const Mapper& m) const;
  void save_mapper(const Mapper& m);
  void write_associations();
  std::vector<const Mapper*> mapper_order() const;
  void write_post_updates();
  void clear_post_updates_of_deleted();
  void delete_associations_of_deleted();
  void null_children_of_deleted(const Mapper& m);
  Insert make_insert(InstanceState& st);
  // `changed` may be reordered (the version counter goes last).
  Update make_update(InstanceState& st, std::vector<std::size_t>& changed, InstanceState* replaces);
  std::uint32_t update_columns(const std::vector<std::size_t>& columns);
  UpdateExtra& extra_of(Update& u);
  const UpdateExtra* extra_of(const Update& u) const noexcept {
    return u.extra == Update::no_extra ? nullptr : &update_extras_[u.extra];
  }
  KeyRef where(const Update& u) const noexcept {
    if (const UpdateExtra* x = extra_of(u); x != nullptr && !x->new_key.empty())
      return {nullptr, x->new_key};
    return {&(u.replaces != nullptr ? u.replaces : u.st)->identity(), {}};
  }
  void set_member(InstanceState& st, std::size_t column, const Value& v);
  void execute_inserts(const Mapper& m, std::vector<Insert>& rows);
  void execute_updates(const Mapper& m, std::vector<Update>& rows);
  void execute_deletes(const Mapper& m, std::vector<InstanceState*>& rows);
  void delete_batch(const Mapper& m, std::vector<InstanceState*>& rows);
  void finalize();
  void undo() noexcept;

  SessionImpl& s_;
  KeyOnlyDeletes key_only_;
  std::vector<InstanceState*> pending_;  // add order
  std::unordered_map<InstanceState*, InstanceState*> row_switch_;
  // The links of each child, children in the order of their first link: flat
  // arrays, since a flush of new objects links every child.
  static constexpr std::uint32_t no_link = detail::PointerIndex::none;
  struct LinkEntry {
    Link link;
    std::uint32_t next;  // the child's next link in link_entries_, or no_link
  };
  struct Linked {
    InstanceState* child;
    std::uint32_t first;
    std::uint32_t last;
  };
  std::vector<LinkEntry> link_entries_;
  std::vector<Linked> linked_;
  detail::PointerIndex linked_at_;  // child -> its place in linked_
  std::vector<Value> link_values_;  // apply_link()'s parent key, reused
  std::vector<Association> associations_;
  std::vector<InstanceState*> changed_owners_;
  // Persistent objects of each mapper that may need an UPDATE (collect()).
  std::unordered_map<const Mapper*, std::vector<InstanceState*>> update_candidates_;

  std::vector<InsertShape> insert_shapes_;
  std::vector<std::size_t> shape_columns_, shape_returning_;  // make_insert()'s, reused
  std::vector<InstanceState*> inserts_;                       // in the order they ran
  std::map<const Mapper*, std::vector<Update>> updates_;
  void keep_updates(const Mapper& m, std::vector<Update>& rows);
  std::vector<std::vector<std::size_t>> update_columns_;  // the lists Update::columns names
  std::map<std::vector<std::size_t>, std::uint32_t> update_columns_at_;
  std::vector<UpdateExtra> update_extras_;
  std::vector<std::size_t> changed_;  // save_mapper()'s, reused
  std::map<const Mapper*, std::vector<InstanceState*>> deletes_;
  // Set statements, run in order just before the per-object deletes of the mapper
  // whose rows they cascade from.
  std::map<const Mapper*, std::vector<CompiledStatement>> set_statements_;
  // (parent, relationship) pairs whose children the set statements handle, and
  // those that must be visited object by object after all.
  std::set<std::pair<const InstanceState*, const Relationship*>> set_handled_;
  std::set<std::pair<const InstanceState*, const Relationship*>> per_object_;
  std::vector<Undo> undo_;
  std::vector<Object> keep_;  // every object the flush touches stays alive until it ends
  bool empty_ = true;
  mutable std::optional<std::vector<const Relationship*>> orphan_relationships_;
};

}  // namespace relate
