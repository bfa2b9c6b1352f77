// Set-based cascades (DESIGN 5): when a deleted parent's children are not in
// memory and need no per-object work, the flush deletes or nulls them with one
// statement per table level, `... WHERE parent_id IN (...)`, nested through
// subqueries for deeper levels, instead of loading each child. Whatever is in
// memory decides the other way: if an affected row has an object in the Session,
// or a child is linked to the parent in memory only, that parent's relationship
// is visited object by object, exactly as without this optimisation.

#include <algorithm>
#include <unordered_set>

#include "orm/unit_of_work.hpp"

namespace relate {

namespace {

constexpr std::size_t kChunk = max_in_values;

struct ValueHash {
  std::size_t operator()(const Value& v) const noexcept { return hash_value(v); }
};
using ValueSet = std::unordered_set<Value, ValueHash>;

bool is_partial(const Relationship& r) {
  return r.loading() == Loading::dynamic || r.loading() == Loading::write_only;
}

bool restrict_target(const Registry& reg, const Mapper& m) {
  for (const Mapper* any : reg.mappers())
    for (const auto& r : any->relationships())
      if (r->options().restrict_delete == Restrict::restrict && &r->target() == &m) return true;
  return false;
}

bool post_update_involves(const Registry& reg, const Mapper& m) {
  for (const Mapper* any : reg.mappers())
    for (const auto& r : any->relationships())
      if (r->options().post_update && (&r->owner() == &m || &r->target() == &m)) return true;
  return false;
}

bool rows_nullable(const Relationship& r) {
  const Mapper& c = r.target();
  if (r.pairs().size() != 1 || c.version_column() || c.primary_key().size() != 1) return false;
  return c.primary_key().front() != r.pairs().front().child_column;
}

// A side of a many-to-many association table that points at rows of `m`, whose
// association rows a delete of those rows removes (the same sides as the
// per-object path in delete_associations_of_deleted).
struct AssociationSide {
  const Table* table;
  const std::vector<std::pair<std::size_t, const Column*>>* columns;
};

std::vector<AssociationSide> association_sides(const Registry& reg, const Mapper& m) {
  std::vector<AssociationSide> out;
  for (const Mapper* any : reg.mappers()) {
    for (const auto& r : any->relationships()) {
      if (r->direction() != Direction::many_to_many || r->options().viewonly) continue;
      for (bool owner_side : {true, false}) {
        if (&(owner_side ? r->owner() : r->target()) != &m) continue;
        const Relationship* from_here = owner_side ? r.get() : r->reverse();
        if (from_here != nullptr && from_here->options().passive_deletes) continue;
        const auto& cols = owner_side ? r->secondary_owner() : r->secondary_target();
        const bool seen = std::any_of(out.begin(), out.end(), [&](const AssociationSide& s) {
          return s.table == r->secondary() && *s.columns == cols;
        });
        if (!seen) out.push_back({r->secondary(), &cols});
      }
    }
  }
  return out;
}

bool rows_deletable(const Registry& reg, const Mapper& m, std::vector<const Mapper*>& path) {
  if (std::find(path.begin(), path.end(), &m) != path.end()) return true;
  if (m.version_column() || m.primary_key().size() != 1 || restrict_target(reg, m) ||
      post_update_involves(reg, m))
    return false;
  path.push_back(&m);
  bool ok = true;
  for (const auto& rp : m.relationships()) {
    const Relationship& r = *rp;
    if (r.options().viewonly) continue;
    const bool removes = r.cascade().has(Cascade::remove);
    switch (r.direction()) {
      case Direction::many_to_one: ok = ok && !removes; break;
      case Direction::one_to_many:
        if (r.pairs().size() != 1) {
          ok = false;
        } else if (removes) {
          ok = ok && (r.options().passive_deletes || rows_deletable(reg, r.target(), path));
        } else if (r.cascade().has(Cascade::delete_orphan)) {
          ok = false;
        } else if (!r.options().passive_deletes && !r.options().passive_deletes_all) {
          ok = ok && rows_nullable(r);
        }
        break;
      case Direction::many_to_many: ok = ok && !removes; break;
    }
  }
  for (const auto& side : association_sides(reg, m)) ok = ok && side.columns->size() == 1;
  path.pop_back();
  return ok;
}

Expr in_values(const Column& c, const std::vector<Value>& values) {
  std::vector<Expr> items;
  items.reserve(values.size());
  for (const auto& v : values) items.emplace_back(v);
  return Expr(c).in_(std::move(items));
}

template <class T>
std::vector<std::vector<T>> chunks(const std::vector<T>& all) {
  std::vector<std::vector<T>> out;
  for (std::size_t i = 0; i < all.size(); i += kChunk)
    out.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(i),
                     all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), i + kChunk)));
  return out;
}

}  // namespace

bool cascade_as_set(const Registry& registry, const Relationship& r) {
  // A write-only owner cannot be deleted without passive_deletes (spec 2.3): the
  // flush must still say so.
  if (r.direction() != Direction::one_to_many || r.pairs().size() != 1 || r.options().viewonly ||
      r.loading() == Loading::write_only)
    return false;
  if (r.cascade().has(Cascade::remove)) {
    std::vector<const Mapper*> path;
    return rows_deletable(registry, r.target(), path);
  }
  return !r.cascade().has(Cascade::delete_orphan) && rows_nullable(r);
}

bool SessionImpl::cascades_as_set(const Relationship& r) {
  if (!options_.set_based_cascades) return false;
  auto it = set_cascade_cache_.find(&r);
  if (it == set_cascade_cache_.end())
    it = set_cascade_cache_.emplace(&r, cascade_as_set(registry_, r)).first;
  return it->second;
}

// Rows of one mapper chosen by a condition on its table. When the rows are
// `column IN values` with the values known (parents in memory, or a tree level
// whose keys were read), objects in memory can be matched against them exactly.
struct UnitOfWork::RowSet {
  const Mapper* mapper;
  Expr where;
  std::optional<std::size_t> column{};
  std::vector<Value> values{};
};

struct UnitOfWork::SetPlan {
  bool build;  // false: only look for objects in memory among the rows
  bool touches = false;
  std::vector<CompiledStatement> statements{};
  // Keys already read per mapper: a tree whose rows form a cycle still ends.
  std::map<const Mapper*, ValueSet> seen{};
};

namespace {

// The children along the one-to-many `r` of the rows `parent_where` selects.
Expr child_condition(const Mapper& parent_mapper, const Expr& parent_where,
                     const std::optional<std::size_t>& parent_column,
                     const std::vector<Value>& parent_values, const Relationship& r,
                     bool& by_values) {
  const auto& pr = r.pairs().front();
  const Column& fk = r.target().columns()[pr.child_column]->column();
  by_values = parent_column && *parent_column == pr.parent_column;
  if (by_values) return in_values(fk, parent_values);
  Select sub = select({Expr(parent_mapper.columns()[pr.parent_column]->column())})
                   .from(From(parent_mapper.table()))
                   .where(parent_where);
  return Expr(fk).in_(sub);
}

}  // namespace

bool UnitOfWork::touches_objects(const RowSet& rows) {
  const Mapper& c = *rows.mapper;
  ValueSet values;
  if (rows.column) values.insert(rows.values.begin(), rows.values.end());
  auto linked = [&](const InstanceState& st) {
    if (!rows.column) return true;
    const Value now = c.columns()[*rows.column]->get(st.block()->object());
    if (values.contains(now)) return true;
    return st.committed_.size() > *rows.column && values.contains(st.committed_[*rows.column]);
  };
  for (const auto& [order, st] : s_.pending_)
    if (st->mapper_ == &c && linked(*st)) return true;
  bool any = false;
  for (const auto& [key, st] : s_.identity_map_) {
    if (st->mapper_ != &c) continue;
    any = true;
    // Without known values an object changed in memory may have been moved in
    // or out of these rows: visit it the per-object way.
    if (rows.column ? linked(*st) : !s_.changed_columns(*st).empty()) return true;
  }
  if (!any) return false;
  std::vector<Expr> key_cols;
  for (auto k : c.primary_key()) key_cols.emplace_back(c.columns()[k]->column());
  Result res =
      s_.connection().execute(s_.compile(select(key_cols).from(From(c.table())).where(rows.where)));
  for (const auto& row : res)
    if (s_.find_identity(c, row.values()) != nullptr) return true;
  return false;
}

void UnitOfWork::plan_child_rows(const RowSet& child, const Relationship& r,
                                 std::vector<const Mapper*>& path, SetPlan& plan) {
  const Mapper& c = *child.mapper;
  if (plan.build && r.options().restrict_delete != Restrict::none) {
    const bool allow_deleted = r.options().restrict_delete == Restrict::restrict;
    std::vector<Expr> key_cols;
    for (auto k : c.primary_key()) key_cols.emplace_back(c.columns()[k]->column());
    Result res = s_.connection().execute(
        s_.compile(select(key_cols).from(From(c.table())).where(child.where)));
    std::vector<std::string> blocking;
    std::size_t total = 0;
    for (const auto& row : res) {
      std::vector<Value> key = row.values();
      if (allow_deleted) {
        const InstanceState* st = s_.find_identity(c, key);
        if (st != nullptr && st->marked_for_delete_) continue;
      }
      ++total;
      if (blocking.size() < 5) blocking.push_back(c.describe(key));
    }
    if (total > 0) {
      std::string list;
      for (const auto& b : blocking) list += (list.empty() ? "" : ", ") + b;
      if (total > blocking.size()) list += ", ...";
      throw RestrictError("Cannot delete " + r.owner().class_name() + ": " + r.describe() +
                          " still has " + std::to_string(total) + " " + c.class_name() +
                          " row(s) (" + list + "); delete or move them first" +
                          (allow_deleted ? ", or delete them in the same flush" : ""));
    }
  }
  const auto& pr = r.pairs().front();
  if (!r.cascade().has(Cascade::remove)) {
    if (r.options().passive_deletes || r.options().passive_deletes_all) return;
    if (!plan.build) {
      plan.touches = plan.touches || touches_objects(child);
      return;
    }
    plan.statements.push_back(
        s_.compile(update(c.table())
                       .set(c.columns()[pr.child_column]->column_name(), Expr(Value()))
                       .where(child.where)));
    return;
  }
  if (r.options().passive_deletes) return;  // the database's ON DELETE decides
  auto delete_rows = [&](const RowSet& rows) {
    if (!plan.build && touches_objects(rows)) {
      plan.touches = true;
      return;
    }
    plan_rows_below(rows, path, plan);
    if (plan.build) plan.statements.push_back(s_.compile(delete_from(c.table()).where(rows.where)));
  };
  if (std::find(path.begin(), path.end(), &c) == path.end()) {
    delete_rows(child);
    return;
  }
  // A tree: this level's keys are read, so that the recursion ends at the leaves.
  const std::size_t pk = c.primary_key().front();
  const Column& pk_col = c.columns()[pk]->column();
  Result res = s_.connection().execute(
      s_.compile(select({Expr(pk_col)}).from(From(c.table())).where(child.where)));
  std::vector<Value> keys;
  ValueSet& seen = plan.seen[&c];
  for (const auto& row : res)
    if (seen.insert(row[0]).second) keys.push_back(row[0]);
  for (auto& part : chunks(keys)) {
    if (plan.touches) return;
    delete_rows(RowSet{&c, in_values(pk_col, part), pk, part});
  }
}

void UnitOfWork::plan_rows_below(const RowSet& rows, std::vector<const Mapper*>& path,
                                 SetPlan& plan) {
  const Mapper& m = *rows.mapper;
  path.push_back(&m);
  for (const auto& rp : m.relationships()) {
    const Relationship& r = *rp;
    if (r.options().viewonly || r.direction() != Direction::one_to_many) continue;
    bool by_values = false;
    Expr where = child_condition(m, rows.where, rows.column, rows.values, r, by_values);
    RowSet child{&r.target(), std::move(where)};
    if (by_values) {
      child.column = r.pairs().front().child_column;
      child.values = rows.values;
    }
    plan_child_rows(child, r, path, plan);
    if (plan.touches) break;
  }
  if (plan.build) {
    for (const auto& side : association_sides(s_.registry_, m)) {
      const auto& [column, sec_col] = side.columns->front();
      Expr where = rows.column && *rows.column == column
                       ? in_values(*sec_col, rows.values)
                       : Expr(*sec_col).in_(select({Expr(m.columns()[column]->column())})
                                                .from(From(m.table()))
                                                .where(rows.where));
      plan.statements.push_back(s_.compile(delete_from(*side.table).where(std::move(where))));
    }
  }
  path.pop_back();
}

bool UnitOfWork::set_candidate(const InstanceState& st, const Relationship& r) const {
  if (r.direction() != Direction::one_to_many || r.options().viewonly || !st.has_identity_)
    return false;
  const auto key = std::make_pair(&st, &r);
  if (set_handled_.contains(key) || per_object_.contains(key)) return false;
  if (r.cascade().has(Cascade::remove)
          ? r.options().passive_deletes
          : r.options().passive_deletes || r.options().passive_deletes_all)
    return false;
  detail::RelationshipHandle& h = r.handle(st.block()->object());
  if (h.is_loaded() && !is_partial(r)) return false;
  if (!s_.cascades_as_set(r)) return false;
  bool held = false;
  h.for_each_held([&](detail::ObjectBlock*) { held = true; });
  return !held;
}

// Which of these parents have a child along `r` that is in memory, or linked to
// them in memory only: those are visited object by object.
std::vector<InstanceState*> UnitOfWork::parents_with_children_in_memory(
    const std::vector<InstanceState*>& parents, const Relationship& r) {
  const auto& pr = r.pairs().front();
  const Mapper& c = r.target();
  std::unordered_map<Value, InstanceState*, ValueHash> by_value;
  for (auto* p : parents)
    by_value.emplace(r.owner().columns()[pr.parent_column]->get(p->block()->object()), p);
  std::set<InstanceState*> found;
  auto note = [&](const Value& v) {
    if (auto it = by_value.find(v); it != by_value.end()) found.insert(it->second);
  };
  auto visit = [&](const InstanceState& st) {
    note(c.columns()[pr.child_column]->get(st.block()->object()));
    if (st.committed_.size() > pr.child_column) note(st.committed_[pr.child_column]);
  };
  bool any = false;
  for (const auto& [order, st] : s_.pending_)
    if (st->mapper_ == &c) visit(*st);
  for (const auto& [key, st] : s_.identity_map_) {
    if (st->mapper_ != &c) continue;
    any = true;
    visit(*st);
  }
  // Rows of the other parents whose objects are in memory: asked of the database.
  std::vector<Value> values;
  for (const auto& [v, p] : by_value)
    if (!found.contains(p)) values.push_back(v);
  if (any && !values.empty()) {
    std::vector<Expr> cols;
    for (auto k : c.primary_key()) cols.emplace_back(c.columns()[k]->column());
    cols.emplace_back(c.columns()[pr.child_column]->column());
    for (const auto& part : chunks(values)) {
      Result res = s_.connection().execute(
          s_.compile(select(cols)
                         .from(From(c.table()))
                         .where(in_values(c.columns()[pr.child_column]->column(), part))));
      for (const auto& row : res) {
        std::vector<Value> key = row.values();
        const Value fk = key.back();
        key.pop_back();
        if (s_.find_identity(c, key) != nullptr) note(fk);
      }
    }
  }
  return {found.begin(), found.end()};
}

void UnitOfWork::plan_set_cascades() {
  // Rows of a bulk delete that cannot go as a set become objects, removed one by one.
  auto as_objects = [&](const Mapper& m, std::vector<Value>& keys) {
    for (const auto& k : keys) {
      if (detail::ObjectBlock* b = s_.get(m, {k})) {
        keep_.emplace_back(b);
        b->release();  // get() hands out a counted reference
        s_.remove(b->state());
      }
    }
    keys.clear();
  };
  for (auto& [m, keys] : key_only_) {
    std::vector<const Mapper*> path;
    if (!s_.options_.set_based_cascades || !rows_deletable(s_.registry_, *m, path))
      as_objects(*m, keys);
  }
  struct Batch {
    const Relationship* rel;
    std::vector<InstanceState*> parents;
  };
  auto batches = [&] {
    std::map<std::pair<std::string, std::size_t>, Batch> by;
    std::vector<InstanceState*> marked(s_.marked_deleted_.begin(), s_.marked_deleted_.end());
    sort_by_key(marked,
                [](const InstanceState* st) -> const detail::Identity& { return st->identity_; });
    for (auto* st : marked)
      for (const auto& r : st->mapper_->relationships())
        if (set_candidate(*st, *r)) {
          auto& b = by[{r->owner().class_name(), r->index()}];
          b.rel = r.get();
          b.parents.push_back(st);
        }
    std::vector<Batch> out;
    for (auto& [k, b] : by) out.push_back(std::move(b));
    return out;
  };
  auto child_rows = [&](const Relationship& r, const std::vector<InstanceState*>& parents) {
    const auto& pr = r.pairs().front();
    std::vector<Value> values;
    for (auto* p : parents)
      values.push_back(r.owner().columns()[pr.parent_column]->get(p->block()->object()));
    return RowSet{&r.target(), in_values(r.target().columns()[pr.child_column]->column(), values),
                  pr.child_column, values};
  };
  auto root_rows = [&](const Mapper& m, const std::vector<Value>& keys) {
    const std::size_t pk = m.primary_key().front();
    return RowSet{&m, in_values(m.columns()[pk]->column(), keys), pk, keys};
  };

  // Until nothing changes: rows whose cascade meets objects in memory are
  // handed to the per-object path, which may mark more objects.
  for (bool changed = true; changed;) {
    changed = false;
    for (auto& [m, keys] : key_only_) {
      if (keys.empty()) continue;
      SetPlan plan{false};
      std::vector<const Mapper*> path;
      for (const auto& part : chunks(keys))
        if (!plan.touches) plan_rows_below(root_rows(*m, part), path, plan);
      if (plan.touches) {
        as_objects(*m, keys);
        changed = true;
      }
    }
    for (auto& b : batches()) {
      SetPlan plan{false};
      std::vector<const Mapper*> path{&b.rel->owner()};
      for (const auto& part : chunks(b.parents))
        if (!plan.touches) plan_child_rows(child_rows(*b.rel, part), *b.rel, path, plan);
      if (!plan.touches) continue;
      auto visit = parents_with_children_in_memory(b.parents, *b.rel);
      if (visit.empty()) visit = b.parents;  // the objects are further down
      for (auto* st : visit) {
        per_object_.insert({st, b.rel});
        if (b.rel->cascade().has(Cascade::remove)) {
          SessionImpl::Visited visited;
          s_.cascade_delete_along(*st, *b.rel, visited, true);
        }
      }
      changed = true;
    }
  }

  for (auto& [m, keys] : key_only_) {
    if (keys.empty()) continue;
    SetPlan plan{true};
    std::vector<const Mapper*> path;
    const Column& pk_col = m->columns()[m->primary_key().front()]->column();
    for (const auto& part : chunks(keys)) {
      plan_rows_below(root_rows(*m, part), path, plan);
      plan.statements.push_back(s_.compile(delete_from(m->table()).where(in_values(pk_col, part))));
    }
    auto& out = set_statements_[m];
    out.insert(out.end(), plan.statements.begin(), plan.statements.end());
  }
  for (auto& b : batches()) {
    SetPlan plan{true};
    std::vector<const Mapper*> path{&b.rel->owner()};
    for (const auto& part : chunks(b.parents))
      plan_child_rows(child_rows(*b.rel, part), *b.rel, path, plan);
    for (auto* st : b.parents) set_handled_.insert({st, b.rel});
    auto& out = set_statements_[&b.rel->owner()];
    out.insert(out.end(), plan.statements.begin(), plan.statements.end());
  }
}

void UnitOfWork::run_set_statements(const Mapper& m) {
  auto it = set_statements_.find(&m);
  if (it == set_statements_.end()) return;
  for (const auto& stmt : it->second) s_.connection().execute(stmt);
}

}  // namespace relate
