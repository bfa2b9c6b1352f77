// Eager loading (spec 7.1): joined and selectin strategies, loader plans, and
// the code that fills relationship members from loaded rows.

#include "orm/eager_loading.hpp"

#include <algorithm>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "core/node.hpp"
#include "engine/connection_access.hpp"
#include "orm/handle_access.hpp"
#include "orm/pointer_index.hpp"

namespace relate::detail {

namespace {

// Bound values per IN query. SQLAlchemy sends batches of 500 keys; relate sends
// as many as fit comfortably under both backends' parameter limits (SQLite
// 32766, PostgreSQL 65535), so 10,000 parents cost one extra statement, not 20.
constexpr std::size_t values_per_statement = 30000;

using Key = std::vector<Value>;

// A key as some columns of a result row, so that a row finds its group without
// building a Key.
struct RowKey {
  const Row* row;
  const std::vector<std::size_t>* columns;
};

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(const Key& k) const noexcept { return hash_key(nullptr, k); }
  std::size_t operator()(const RowKey& k) const noexcept {
    std::size_t h = std::hash<const void*>()(nullptr);
    for (auto i : *k.columns) h = h * 1000003u ^ hash_value((*k.row)[i]);
    return h;
  }
};
struct KeyEqual {
  using is_transparent = void;
  bool operator()(const Key& a, const Key& b) const noexcept { return a == b; }
  bool operator()(const RowKey& a, const Key& b) const noexcept {
    if (a.columns->size() != b.size()) return false;
    for (std::size_t j = 0; j < b.size(); ++j)
      if (!((*a.row)[(*a.columns)[j]] == b[j])) return false;
    return true;
  }
  bool operator()(const Key& a, const RowKey& b) const noexcept { return (*this)(b, a); }
};
template <class V>
using KeyMap = std::unordered_map<Key, V, KeyHash, KeyEqual>;

// Group numbers by single integer key (what nearly every relationship joins
// on): a flat table the rows of a selectin find their group in without
// hashing Values or following nodes. Half full at most; consecutive keys take
// consecutive slots.
class IntGroups {
 public:
  // Empty unless every key is one integer.
  explicit IntGroups(const std::vector<const Key*>& keys) {
    for (const auto* k : keys)
      if (k->size() != 1 || (*k)[0].kind() != ValueKind::integer) return;
    std::size_t capacity = 16;
    while (capacity < 2 * keys.size()) capacity *= 2;
    slots_.assign(capacity, Slot{});
    for (std::size_t g = 0; g < keys.size(); ++g) {
      const std::int64_t key = (*keys[g])[0].as_integer();
      std::size_t i = start(key);
      while (slots_[i].group != 0) i = (i + 1) & (capacity - 1);
      slots_[i] = Slot{key, static_cast<std::uint32_t>(g + 1)};
    }
    usable_ = true;
  }
  bool usable() const noexcept { return usable_; }
  // The group of a row's key cell, or -1.
  std::ptrdiff_t find(const Value& cell) const {
    if (cell.kind() != ValueKind::integer) return -1;
    const std::int64_t key = cell.as_integer();
    for (std::size_t i = start(key);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].group == 0) return -1;
      if (slots_[i].key == key) return static_cast<std::ptrdiff_t>(slots_[i].group) - 1;
    }
  }

 private:
  struct Slot {
    std::int64_t key = 0;
    std::uint32_t group = 0;  // group number + 1; 0: empty
  };
  // The key's low bits, with the high bits folded in so that keys sharing their
  // low bits do not all start at one slot.
  std::size_t start(std::int64_t key) const noexcept {
    const auto k = static_cast<std::uint64_t>(key);
    return static_cast<std::size_t>(k ^ (k >> 16) ^ (k >> 32) ^ (k >> 48)) & (slots_.size() - 1);
  }
  std::vector<Slot> slots_;
  bool usable_ = false;
};

Key values_at(const Mapper& m, const void* obj, const std::vector<std::size_t>& columns) {
  Key out;
  out.reserve(columns.size());
  for (auto i : columns) out.push_back(m.columns()[i]->get(obj));
  return out;
}

bool has_null(const Key& k) {
  for (const auto& v : k)
    if (v.is_null()) return true;
  return false;
}

// `cols IN (keys)`: a plain IN for one column; an OR of ANDs for composite
// keys, which both backends accept (row-value IN is not portable to every
// SQLite build).
Expr in_keys(const std::vector<Expr>& cols, std::span<const Key* const> keys) {
  if (cols.size() == 1) {
    std::vector<Expr> vs;
    vs.reserve(keys.size());
    for (const auto* k : keys) vs.emplace_back((*k)[0]);
    return cols[0].in_(std::move(vs));
  }
  std::vector<Expr> ors;
  ors.reserve(keys.size());
  for (const auto* k : keys) {
    std::vector<Expr> ands;
    for (std::size_t i = 0; i < cols.size(); ++i) ands.push_back(cols[i] == Expr((*k)[i]));
    ors.push_back(and_(std::move(ands)));
  }
  return or_(std::move(ors));
}

Expr all_of(std::vector<Expr> terms) {
  return terms.size() == 1 ? std::move(terms.front()) : and_(std::move(terms));
}

// The expression with every column of `table` replaced (ORDER BY terms moved
// onto a subquery's columns). Subqueries inside are left as they are.
Expr adapt(const Expr& e, const Table& table, const std::function<Expr(const Column&)>& replace) {
  const Node& n = e.node();
  if (n.kind == NodeKind::column && n.column != nullptr && n.from &&
      n.from->kind == FromKind::table && n.from->table == &table)
    return replace(*n.column);
  if (n.args.empty()) return e;
  Node copy = n;
  for (auto& a : copy.args) a = adapt(a, table, replace);
  return make_expr(std::move(copy));
}

std::vector<std::size_t> parent_columns(const Relationship& r) {
  std::vector<std::size_t> out;
  for (const auto& p : r.pairs()) out.push_back(p.parent_column);
  return out;
}
std::vector<std::size_t> child_columns(const Relationship& r) {
  std::vector<std::size_t> out;
  for (const auto& p : r.pairs()) out.push_back(p.child_column);
  return out;
}

bool eager(Loading l) { return l == Loading::selectin || l == Loading::joined; }

bool on_path(const std::vector<const Relationship*>& path, const Relationship* r) {
  for (const auto* p : path)
    if (p == r) return true;
  return false;
}

// A relationship's own eager strategy applies once per path: a self-referential
// one loads one level (as SQLAlchemy without join_depth), and the reverse of a
// relationship just loaded is set by that load already.
void add_defaults(LoadNode& node, const Mapper& m, std::vector<const Relationship*>& path) {
  for (const auto& rp : m.relationships()) {
    const Relationship& r = *rp;
    if (!eager(r.loading()) || on_path(path, &r) ||
        (r.reverse() != nullptr && on_path(path, r.reverse())))
      continue;
    LoadNode child{&r, r.loading(), false, {}};
    path.push_back(&r);
    add_defaults(child, r.target(), path);
    path.pop_back();
    node.children.push_back(std::move(child));
  }
}

LoadNode* find_child(LoadNode& node, const Relationship* r) {
  for (auto& c : node.children)
    if (c.relationship == r) return &c;
  return nullptr;
}

void set_strategy(RelationshipHandle& h, Loading l) {
  HandleAccess::strategy(h) = static_cast<std::uint8_t>(static_cast<std::uint8_t>(l) + 1);
}

// The objects a member holds now (for loads below an already loaded member).
void collect_held(RelationshipHandle& h, std::vector<Object>& out,
                  std::unordered_set<ObjectBlock*>& seen) {
  h.for_each([&](ObjectBlock* b) {
    if (seen.insert(b).second) out.emplace_back(b);
  });
}

// One IN query per batch of keys; rows go to `each_row`.
void run_batches(SessionImpl& s, const std::vector<const Key*>& keys,
                 const std::function<Select(std::span<const Key* const>)>& make,
                 const std::function<void(Row&)>& each_row) {
  const std::size_t width = keys.empty() ? 1 : std::max<std::size_t>(1, keys.front()->size());
  const std::size_t batch_size = values_per_statement / width;
  for (std::size_t start = 0; start < keys.size(); start += batch_size) {
    const std::size_t end = std::min(keys.size(), start + batch_size);
    Result res = ConnectionAccess::execute_buffered(
        s.connection(),
        s.compile(make(std::span<const Key* const>(keys.data() + start, end - start))));
    ResultRow row;
    while (ResultAccess::next(res, row)) each_row(ResultAccess::values(row));
  }
}

// Selectin for one relationship over `owners`; returns every object the
// members now hold (the owners of the next level) if `want_level`.
std::vector<Object> selectin(SessionImpl& s, const Relationship& r,
                             const std::vector<Object>& owners, bool want_level) {
  std::vector<Object> level;
  std::unordered_set<ObjectBlock*> seen;
  auto held = [&](RelationshipHandle& h) {
    if (want_level) collect_held(h, level, seen);
  };
  const Mapper& target = r.target();
  // Owners whose member is unloaded, grouped by the key that finds their rows
  // (usually one owner per key: it needs no vector).
  struct Group {
    ObjectBlock* owner = nullptr;
    std::vector<ObjectBlock*> more_owners;
  };
  KeyMap<std::size_t> group_of;
  std::vector<Group> groups;
  std::vector<const Key*> keys;  // in group order; point into group_of
  std::vector<std::size_t> owner_cols;
  switch (r.direction()) {
    case Direction::one_to_many: owner_cols = parent_columns(r); break;
    case Direction::many_to_one: owner_cols = child_columns(r); break;
    case Direction::many_to_many:
      for (const auto& [i, c] : r.secondary_owner()) owner_cols.push_back(i);
      break;
  }
  const bool by_identity =
      r.direction() == Direction::many_to_one && parent_columns(r) == target.primary_key();
  for (const auto& o : owners) {
    RelationshipHandle& h = r.handle(o.block());
    if (h.is_loaded()) {
      held(h);
      continue;
    }
    Key k = values_at(r.owner(), o.block()->object(), owner_cols);
    if (has_null(k)) {
      populate(s, h, {});
      continue;
    }
    if (by_identity) {
      if (auto* st = s.find_identity(target, k)) {
        const Object found[] = {Object(st->block())};
        populate(s, h, found);
        held(h);
        continue;
      }
    }
    auto [it, fresh] = group_of.try_emplace(std::move(k), groups.size());
    if (fresh) {
      keys.push_back(&it->first);
      groups.push_back({o.block(), {}});
    } else {
      groups[it->second].more_owners.push_back(o.block());
    }
  }
  if (keys.empty()) return level;

  const ColumnSource tcols = columns_of(target);
  const std::vector<Expr> order = relationship_order(r, tcols);
  std::function<Select(std::span<const Key* const>)> make;
  // Where the owner's key is in a row of the target.
  std::vector<std::size_t> key_at;
  if (r.direction() == Direction::many_to_many) {
    // The owner's key comes from the association table, after the target's columns.
    std::vector<Expr> sec_cols;
    for (const auto& [i, c] : r.secondary_owner()) sec_cols.emplace_back(*c);
    const std::size_t n = target.columns().size();
    make = [&, sec_cols](std::span<const Key* const> batch) {
      Select q = s.select_columns(target)
                     .columns(sec_cols)
                     .join(From(*r.secondary()), secondary_to_target(r, secondary_columns(), tcols))
                     .where(in_keys(sec_cols, batch));
      return order.empty() ? q : q.order_by(order);
    };
    for (std::size_t i = 0; i < sec_cols.size(); ++i) key_at.push_back(n + i);
  } else {
    key_at = r.direction() == Direction::one_to_many ? child_columns(r) : parent_columns(r);
    std::vector<Expr> cols;
    for (auto i : key_at) cols.push_back(tcols(i));
    make = [&, cols](std::span<const Key* const> batch) {
      Select q = s.select_columns(target).where(in_keys(cols, batch));
      return order.empty() ? q : q.order_by(order);
    };
  }
  const IntGroups int_groups(keys);
  // Every object the rows make, with its group, in row order; sorted into
  // groups afterwards (one vector instead of one per group).
  std::vector<std::pair<std::size_t, Object>> found;
  run_batches(s, keys, make, [&](Row& row) {
    // The group first: making the object may move the row's strings.
    std::ptrdiff_t g = -1;
    if (int_groups.usable()) {
      g = int_groups.find(row[key_at[0]]);
    } else if (auto it = group_of.find(RowKey{&row, &key_at}); it != group_of.end()) {
      g = static_cast<std::ptrdiff_t>(it->second);
    }
    if (auto* b = s.instance_from_taken_row(target, row, 0)) {
      Object o = Object::adopt(b);
      if (g >= 0) found.emplace_back(static_cast<std::size_t>(g), std::move(o));
    }
  });
  // Counting sort by group, keeping row order within a group.
  std::vector<std::size_t> start(groups.size() + 1, 0);
  for (const auto& f : found) ++start[f.first + 1];
  for (std::size_t g = 0; g < groups.size(); ++g) start[g + 1] += start[g];
  std::vector<Object> items(found.size());
  {
    std::vector<std::size_t> next(start.begin(), start.end() - 1);
    for (auto& f : found) items[next[f.first]++] = std::move(f.second);
    found.clear();
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const std::span<const Object> its(items.data() + start[g], start[g + 1] - start[g]);
    auto fill = [&](ObjectBlock* owner) {
      RelationshipHandle& h = r.handle(owner);
      if (h.is_loaded()) return;  // the same object twice among the owners
      populate(s, h, its);
      held(h);
    };
    fill(groups[g].owner);
    for (auto* owner : groups[g].more_owners) fill(owner);
  }
  return level;
}

// One relationship loaded by a JOIN: where its columns start in the row and
// which joined load (or the root, -1) its owners come from.
struct JoinedLoad {
  const LoadNode* node = nullptr;
  std::size_t offset = 0;
  int parent = -1;
  // Per owner: the objects found for it, unless its member was already loaded.
  struct Found {
    Object owner;
    bool fill = false;
    std::vector<Object> items;
    std::unordered_set<ObjectBlock*> seen;
  };
  std::unordered_map<ObjectBlock*, Found> found;
  std::vector<ObjectBlock*> owner_order;
  std::vector<Object> level;  // every object found, for the loads below
  std::unordered_set<ObjectBlock*> level_seen;
};

bool joined_collection(const LoadNode& n) {
  for (const auto& c : n.children)
    if (c.strategy == Loading::joined && (c.relationship->is_collection() || joined_collection(c)))
      return true;
  return false;
}

bool any_joined(const LoadNode& n) {
  for (const auto& c : n.children)
    if (c.strategy == Loading::joined) return true;
  return false;
}

// Adds a LEFT OUTER JOIN per joined load below `node` (depth first), with an
// alias for every table so that a self-referential relationship joins cleanly.
void add_joins(Select& q, std::vector<Expr>& order, const LoadNode& node, const ColumnSource& owner,
               int parent, std::vector<JoinedLoad>& loads, std::size_t& offset, int& alias_no) {
  for (const auto& c : node.children) {
    if (c.strategy != Loading::joined) continue;
    const Relationship& r = *c.relationship;
    const Mapper& target = r.target();
    TableAlias ta = alias(target.table(), target.table().name() + "_" + std::to_string(++alias_no));
    ColumnSource tcols = columns_of(target, ta);
    if (r.direction() == Direction::many_to_many) {
      TableAlias sa =
          alias(*r.secondary(), r.secondary()->name() + "_" + std::to_string(++alias_no));
      q = q.outer_join(From(sa), owner_to_secondary(r, owner, secondary_columns(sa)))
              .outer_join(From(ta), secondary_to_target(r, secondary_columns(sa), tcols));
    } else {
      q = q.outer_join(From(ta), direct_condition(r, owner, tcols));
    }
    std::vector<Expr> cols;
    for (std::size_t i = 0; i < target.columns().size(); ++i) cols.push_back(tcols(i));
    q = q.columns(std::move(cols));
    for (auto& o : relationship_order(r, tcols)) order.push_back(std::move(o));
    JoinedLoad jl;
    jl.node = &c;
    jl.offset = offset;
    jl.parent = parent;
    offset += target.columns().size();
    loads.push_back(std::move(jl));
    add_joins(q, order, c, tcols, static_cast<int>(loads.size() - 1), loads, offset, alias_no);
  }
}

}  // namespace

ColumnSource columns_of(const Mapper& m) {
  return [&m](std::size_t i) { return Expr(m.columns()[i]->column()); };
}
ColumnSource columns_of(const Mapper& m, const TableAlias& a) {
  return [&m, a](std::size_t i) { return a.c(m.columns()[i]->column_name()); };
}
SecondarySource secondary_columns() {
  return [](const Column& c) { return Expr(c); };
}
SecondarySource secondary_columns(const TableAlias& a) {
  return [a](const Column& c) { return a.c(c.name()); };
}

Expr owner_to_secondary(const Relationship& r, const ColumnSource& owner,
                        const SecondarySource& secondary) {
  std::vector<Expr> on;
  for (const auto& [i, c] : r.secondary_owner()) on.push_back(owner(i) == secondary(*c));
  return all_of(std::move(on));
}

Expr secondary_to_target(const Relationship& r, const SecondarySource& secondary,
                         const ColumnSource& target) {
  std::vector<Expr> on;
  for (const auto& [i, c] : r.secondary_target()) on.push_back(target(i) == secondary(*c));
  return all_of(std::move(on));
}

Expr direct_condition(const Relationship& r, const ColumnSource& owner,
                      const ColumnSource& target) {
  std::vector<Expr> on;
  for (const auto& p : r.pairs()) {
    if (r.direction() == Direction::many_to_one)
      on.push_back(owner(p.child_column) == target(p.parent_column));
    else
      on.push_back(owner(p.parent_column) == target(p.child_column));
  }
  return all_of(std::move(on));
}

Expr adapt_to_alias(const Expr& e, const Mapper& m, const TableAlias& a) {
  return adapt(e, m.table(), [&a](const Column& c) { return a.c(c.name()); });
}

std::vector<Expr> relationship_order(const Relationship& r, const ColumnSource& target) {
  std::vector<Expr> terms;
  for (const auto& spec : r.options().order_by) {
    const bool descending = !spec.empty() && spec.front() == '-';
    const auto* c = r.target().find_column(descending ? spec.substr(1) : spec);
    if (c == nullptr)
      throw ConfigurationError(r.describe() + " orders by '" + spec +
                               "', which is not a column of " + r.target().class_name());
    terms.push_back(descending ? target(c->index()).desc() : target(c->index()).asc());
  }
  return terms;
}

LoadNode load_plan(const Registry& registry, const Mapper& root,
                   const std::vector<LoaderOption>& options) {
  LoadNode plan;
  std::vector<const Relationship*> path;
  add_defaults(plan, root, path);
  for (const auto& option : options) {
    LoadNode* node = &plan;
    const Mapper* m = &root;
    path.clear();
    for (const auto& step : option.steps()) {
      if (*step.owner != m->type())
        throw InvalidRequest("a loader option starts from " +
                             step.member.substr(0, step.member.find(' ')) + ", not from " +
                             m->class_name() + ", the struct this query loads");
      const Relationship& r = step.resolve(registry);
      if (step.strategy && eager(*step.strategy) &&
          (r.loading() == Loading::dynamic || r.loading() == Loading::write_only))
        throw InvalidRequest("'" + r.describe() + "' is a " + std::string(to_string(r.loading())) +
                             " relationship and cannot be loaded eagerly");
      LoadNode* child = find_child(*node, &r);
      if (child == nullptr) {
        node->children.push_back({&r, r.loading(), false, {}});
        child = &node->children.back();
        path.push_back(&r);
        add_defaults(*child, r.target(), path);
      } else {
        path.push_back(&r);
      }
      if (step.strategy) {
        child->strategy = *step.strategy;
        child->from_option = true;
      }
      node = child;
      m = &r.target();
    }
  }
  return plan;
}

LoadNode default_plan(const Relationship& via) {
  LoadNode plan;
  std::vector<const Relationship*> path{&via};
  add_defaults(plan, via.target(), path);
  return plan;
}

Loading strategy_of(RelationshipHandle& h) {
  const std::uint8_t s = HandleAccess::strategy(h);
  return s == 0 ? h.relationship()->loading() : static_cast<Loading>(s - 1);
}

void populate(SessionImpl& s, RelationshipHandle& h, std::span<const Object> items) {
  const Relationship& r = *h.relationship();
  ObjectBlock* owner = h.owner();
  if (!r.is_collection()) {
    auto& sc = HandleAccess::scalar(h);
    Object value = items.empty() ? Object() : items.front();
    sc.raw_set(value.block());
    HandleAccess::committed(sc) = value;
    HandleAccess::set_loaded(h, true);
    return;
  }
  auto& c = HandleAccess::collection(h);
  // Changes made through the reverse side while unloaded apply on top (spec 7.2).
  auto& pending_removed = HandleAccess::pending_removed(c);
  auto& pending_added = HandleAccess::pending_added(c);
  while (c.raw_size() > 0) c.raw_erase(c.raw_size() - 1);
  c.raw_reserve(items.size() + pending_added.size());
  // A child whose many-to-one was changed in memory to another parent (or to
  // none) has left this collection, though the database does not know yet:
  // collections loaded in order to change them do not autoflush (DESIGN 4.5).
  // Each child's reverse many-to-one is this owner: an unloaded one is set now
  // so that moving the child later lets go of this collection without a query.
  const Relationship* rev = r.reverse();
  const Relationship* back_ref = rev != nullptr && !rev->is_collection() ? rev : nullptr;
  auto insert = [&](ObjectBlock* b, RelationshipHandle* back) {
    c.raw_insert(c.raw_size(), b);
    if (back == nullptr || back->is_loaded()) return;
    auto& sc = HandleAccess::scalar(*back);
    sc.raw_set(owner);
    HandleAccess::committed(sc) = Object(owner);
    HandleAccess::set_loaded(*back, true);
  };
  for (const auto& o : items) {
    RelationshipHandle* back = back_ref ? &back_ref->handle(o.block()) : nullptr;
    bool removed = false;
    if (back != nullptr && back->is_loaded()) {
      auto& sc = HandleAccess::scalar(*back);
      removed = HandleAccess::changed(sc) && sc.raw_get() != owner;
    }
    for (const auto& p : pending_removed) removed = removed || p.block() == o.block();
    if (!removed) insert(o.block(), back);
  }
  // A removal is history only while the database still has the member: once a
  // flush wrote it from the other side, the rows read here already lack it.
  for (const auto& o : pending_removed)
    if (std::any_of(items.begin(), items.end(),
                    [&](const Object& i) { return i.block() == o.block(); }))
      HandleAccess::changes(c).removed.push_back(o);
  for (const auto& o : pending_added)
    if (c.find(o.block()) < 0) {
      insert(o.block(), back_ref ? &back_ref->handle(o.block()) : nullptr);
      HandleAccess::changes(c).added.push_back(o);
    }
  const bool had_pending = !pending_added.empty() || !pending_removed.empty();
  if (had_pending) {  // both lists are the history's (an empty history has none)
    auto& history = HandleAccess::changes(c);
    history.pending_added.clear();
    history.pending_removed.clear();
    HandleAccess::trim_history(c);
  }
  HandleAccess::set_loaded(h, true);
  if (had_pending) s.relationship_changed(owner->state());
}

void apply_strategies(const LoadNode& plan, ObjectBlock* b) {
  for (const auto& c : plan.children) {
    if (!c.from_option || eager(c.strategy)) continue;
    RelationshipHandle& h = c.relationship->handle(b);
    if (!h.is_loaded()) set_strategy(h, c.strategy);
  }
}

void load_below(SessionImpl& s, const LoadNode& node, const std::vector<Object>& owners) {
  if (owners.empty()) return;
  for (const auto& c : node.children) {
    const Relationship& r = *c.relationship;
    std::vector<Object> level;
    // What the members hold is only needed when something loads below them.
    const bool want_level = !c.children.empty();
    if (eager(c.strategy)) {
      // A joined load below a selectin one is loaded with selectin too.
      level = selectin(s, r, owners, want_level);
    } else {
      std::unordered_set<ObjectBlock*> seen;
      for (const auto& o : owners) {
        RelationshipHandle& h = r.handle(o.block());
        if (h.is_loaded()) {
          if (want_level) collect_held(h, level, seen);
        } else if (c.from_option) {
          set_strategy(h, c.strategy);
        }
      }
    }
    load_below(s, c, level);
  }
}

std::vector<ObjectBlock*> load_entities(SessionImpl& s, const Mapper& m, const EntityQuery& eq,
                                        const LoadNode& plan) {
  s.autoflush();
  Select q = eq.select;
  std::vector<JoinedLoad> loads;
  if (any_joined(plan)) {
    ColumnSource root = columns_of(m);
    std::vector<Expr> order = eq.order_by;
    if (eq.limited && joined_collection(plan)) {
      // LIMIT counts parents, not joined rows: the parent query becomes a
      // subquery and the collections join to it (as SQLAlchemy does).
      Subquery sub = eq.select.subquery("anon_1");
      root = [&m, sub](std::size_t i) { return sub.c(m.columns()[i]->column_name()); };
      std::vector<Expr> cols;
      for (std::size_t i = 0; i < m.columns().size(); ++i) cols.push_back(root(i));
      q = select(std::move(cols)).from(From(sub));
      auto onto_sub = [&m, &root](const Column& c) -> Expr {
        for (const auto& col : m.columns())
          if (&col->column() == &c) return root(col->index());
        throw InvalidRequest("ORDER BY " + c.name() + " of a query with LIMIT and a joined load " +
                             "must order by columns of " + m.class_name());
      };
      for (auto& o : order) o = adapt(o, m.table(), onto_sub);
    } else {
      order.clear();  // already in the statement
    }
    std::size_t offset = m.columns().size();
    int alias_no = 0;
    add_joins(q, order, plan, root, -1, loads, offset, alias_no);
    if (!order.empty()) q = q.order_by(std::move(order));
  }

  std::vector<ObjectBlock*> out;
  // Rows of one object (a joined load repeats its parent) give it once: a flat
  // set, since every loaded object is entered.
  PointerIndex seen;
  try {
    Result res = ConnectionAccess::execute_buffered(s.connection(), s.compile(q));
    std::vector<ObjectBlock*> current(loads.size(), nullptr);
    ResultRow rv;
    while (ResultAccess::next(res, rv)) {
      // Each object takes its own columns of the row.
      Row& row = ResultAccess::values(rv);
      ObjectBlock* b = s.instance_from_taken_row(m, row, 0);
      if (b == nullptr) continue;
      if (seen.insert(b)) {
        out.push_back(b);
      } else {
        b->release();
      }
      for (std::size_t j = 0; j < loads.size(); ++j) {
        JoinedLoad& jl = loads[j];
        ObjectBlock* owner = jl.parent < 0 ? b : current[static_cast<std::size_t>(jl.parent)];
        current[j] = nullptr;
        if (owner == nullptr) continue;
        const Relationship& r = *jl.node->relationship;
        auto [it, fresh] = jl.found.try_emplace(owner);
        if (fresh) {
          it->second.owner = Object(owner);
          it->second.fill = !r.handle(owner).is_loaded();
          jl.owner_order.push_back(owner);
        }
        ObjectBlock* child = s.instance_from_taken_row(r.target(), row, jl.offset);
        if (child == nullptr) continue;
        Object keep = Object::adopt(child);
        current[j] = child;  // kept alive by the lists below
        auto& f = it->second;
        if (f.fill && f.seen.insert(child).second) f.items.push_back(keep);
        if (jl.level_seen.insert(child).second) jl.level.push_back(keep);
      }
    }
  } catch (...) {
    for (auto* b : out) b->release();
    throw;
  }
  try {
    for (auto& jl : loads) {
      const Relationship& r = *jl.node->relationship;
      for (auto* owner : jl.owner_order) {
        auto& f = jl.found[owner];
        RelationshipHandle& h = r.handle(owner);
        if (f.fill && !h.is_loaded()) populate(s, h, f.items);
        // A member that was loaded before keeps its value; what it holds is
        // what the loads below see.
        if (!f.fill) {
          std::unordered_set<ObjectBlock*> held(jl.level_seen);
          collect_held(h, jl.level, held);
          jl.level_seen = std::move(held);
        }
      }
    }
    std::vector<Object> parents(out.begin(), out.end());
    // Joined loads continue below with what they found; the rest run now.
    LoadNode rest;
    for (const auto& c : plan.children)
      if (c.strategy != Loading::joined) rest.children.push_back(c);
    load_below(s, rest, parents);
    for (auto& jl : loads) {
      LoadNode below;
      for (const auto& c : jl.node->children)
        if (c.strategy != Loading::joined) below.children.push_back(c);
      load_below(s, below, jl.level);
    }
  } catch (...) {
    for (auto* b : out) b->release();
    throw;
  }
  return out;
}

}  // namespace relate::detail

namespace relate {
void LoaderOption::throw_not_relationship(const std::string& member) {
  throw InvalidRequest("a loader option names a " + member +
                       " that is not a mapped relationship (map it with m.relationship(...))");
}
}  // namespace relate
