// Query execution and bulk statements (spec section 8).

#include "relate/orm/query.hpp"

#include "orm/eager_loading.hpp"
#include "orm/session_impl.hpp"

namespace relate {

Expr QueryBase::column_expr(std::size_t index) const {
  return Expr(mapper_->columns()[index]->column());
}

Select QueryBase::build(std::vector<Expr> columns) const {
  Select q = columns.empty() ? session_->select_columns(*mapper_)
                             : select(std::move(columns)).from(From(mapper_->table()));
  const Registry& r = session_->registry();
  for (const auto& j : joins_) {
    const Relationship& rel = j.relationship(r);
    const Mapper& owner = rel.owner();
    const Mapper& target = rel.target();
    if (&owner.table() == &target.table())
      throw InvalidRequest("join(" + rel.describe() +
                           "): joining a table to itself along a self-referential relationship "
                           "is not supported by Query::join(); use col(&" +
                           rel.describe() + ").any()/has() or a Core select with relate::alias()");
    auto join_to = [&q, &j](const From& right, Expr on) {
      q = j.outer ? q.outer_join(right, std::move(on)) : q.join(right, std::move(on));
    };
    const detail::ColumnSource ocols = detail::columns_of(owner),
                               tcols = detail::columns_of(target);
    if (rel.direction() == Direction::many_to_many) {
      join_to(From(*rel.secondary()),
              detail::owner_to_secondary(rel, ocols, detail::secondary_columns()));
      join_to(From(target.table()),
              detail::secondary_to_target(rel, detail::secondary_columns(), tcols));
    } else {
      join_to(From(target.table()), detail::direct_condition(rel, ocols, tcols));
    }
  }
  for (const auto& c : where_) q = q.where(c.resolve(r));
  if (!order_by_.empty()) {
    std::vector<Expr> terms;
    for (const auto& o : order_by_) terms.push_back(o.resolve(r));
    q = q.order_by(std::move(terms));
  }
  if (limit_) q = q.limit(*limit_);
  if (offset_) q = q.offset(*offset_);
  return q;
}

struct QueryBase::Cursor::Impl {
  SessionImpl& session;
  const Mapper& mapper;
  detail::LoadNode plan;
  CompiledStatement stmt;
  Result result;
  Result::iterator it;
};

QueryBase::Cursor::Cursor(SessionImpl& s, const Mapper& m, Select q,
                          const std::vector<LoaderOption>& options) {
  detail::LoadNode plan = detail::load_plan(s.registry(), m, options);
  s.autoflush();
  auto stmt = s.compile(q);
  Result result = s.connection().execute(stmt);
  impl_ = std::unique_ptr<Impl>(
      new Impl{s, m, std::move(plan), std::move(stmt), std::move(result), {}});
  impl_->it = impl_->result.begin();
}

QueryBase::Cursor::~Cursor() = default;

detail::ObjectBlock* QueryBase::Cursor::next() {
  while (impl_->it != impl_->result.end()) {
    detail::ObjectBlock* b =
        impl_->session.instance_from_row(impl_->mapper, impl_->it->values(), 0);
    ++impl_->it;
    if (b) {
      detail::apply_strategies(impl_->plan, b);
      return b;
    }
  }
  return nullptr;
}

std::shared_ptr<QueryBase::Cursor> QueryBase::cursor() const {
  return std::make_shared<Cursor>(*session_, *mapper_, build(), options_);
}

std::vector<detail::ObjectBlock*> QueryBase::fetch(std::optional<std::int64_t> limit) const {
  const Registry& r = session_->registry();
  detail::LoadNode plan = detail::load_plan(r, *mapper_, options_);
  detail::EntityQuery q{build(), {}, limit_.has_value() || offset_.has_value()};
  if (limit && (!limit_ || *limit_ > *limit)) {
    q.select = q.select.limit(*limit);
    q.limited = true;
  }
  for (const auto& o : order_by_) q.order_by.push_back(o.resolve(r));
  return detail::load_entities(*session_, *mapper_, q, plan);
}

std::vector<Row> QueryBase::fetch_rows(std::vector<Expr> columns) const {
  session_->autoflush();
  auto stmt = session_->compile(build(std::move(columns)));
  Result r = session_->connection().execute(stmt);
  std::vector<Row> rows;
  for (const auto& row : r) rows.push_back(row.values());
  return rows;
}

std::int64_t QueryBase::count() const {
  session_->autoflush();
  auto stmt = session_->compile(build().count());
  return session_->connection().execute(stmt).scalar<std::int64_t>();
}

bool QueryBase::exists() const {
  session_->autoflush();
  auto stmt = session_->compile(select({relate::exists(build())}));
  return session_->connection().execute(stmt).scalar<bool>();
}

Expr detail::related_exists(const Relationship& r, const Criterion* criterion,
                            const Registry& registry) {
  const Mapper& owner = r.owner();
  const Mapper& target = r.target();
  const ColumnSource ocols = columns_of(owner);
  // A self-referential relationship's related rows are the same table under
  // another name; the criterion is moved onto it.
  std::optional<TableAlias> ta;
  if (&owner.table() == &target.table())
    ta.emplace(alias(target.table(), target.table().name() + "_1"));
  const ColumnSource tcols = ta ? columns_of(target, *ta) : columns_of(target);
  std::vector<Expr> where;
  Select q;
  if (r.direction() == Direction::many_to_many) {
    q = q.from(join(From(*r.secondary()), ta ? From(*ta) : From(target.table()),
                    secondary_to_target(r, secondary_columns(), tcols)));
    where.push_back(owner_to_secondary(r, ocols, secondary_columns()));
  } else {
    q = q.from(ta ? From(*ta) : From(target.table()));
    where.push_back(direct_condition(r, ocols, tcols));
  }
  if (criterion != nullptr) {
    Expr c = criterion->resolve(registry);
    if (ta) c = adapt_to_alias(c, target, *ta);
    where.push_back(std::move(c));
  }
  for (auto& w : where) q = q.where(std::move(w));
  return relate::exists(q);
}

namespace {

std::vector<Expr> pk_exprs(const Mapper& m) {
  std::vector<Expr> out;
  for (auto i : m.primary_key()) out.emplace_back(m.columns()[i]->column());
  return out;
}

}  // namespace

// Synchronize::evaluate: the objects of this mapper in the identity map that the
// criteria match, decided before the statement runs (spec 8.3).
std::vector<Object> QueryBase::evaluate_in_memory(Synchronize sync) const {
  std::vector<Object> matched;
  if (sync != Synchronize::evaluate) return matched;
  for (const auto& c : where_)
    if (!c.can_evaluate())
      throw InvalidRequest("Could not evaluate the criteria of this " + mapper_->class_name() +
                           " query in memory (raw SQL criteria cannot be evaluated); use "
                           "Synchronize::fetch");
  for (InstanceState* st : session_->states_of(*mapper_)) {
    const void* obj = st->block()->object();
    bool all = true;
    for (const auto& c : where_) {
      auto r = c.evaluate(obj);
      if (!r || !*r) {
        all = false;
        break;
      }
    }
    if (all) matched.emplace_back(st->block());
  }
  return matched;
}

namespace {

// Runs a bulk statement and brings the Session's objects up to date (spec 8.3):
// with fetch, the rows RETURNING names; with evaluate, the objects matched in
// memory before the statement ran.
template <class Statement, class Apply>
std::int64_t run_bulk(SessionImpl& session, const Mapper& mapper, Statement stmt_builder,
                      Synchronize sync, const std::vector<Object>& matched, Apply apply) {
  const bool fetch = sync == Synchronize::automatic || sync == Synchronize::fetch;
  if (fetch) stmt_builder = stmt_builder.returning(pk_exprs(mapper));
  auto stmt = session.compile(stmt_builder);
  Result res = session.connection().execute(stmt);
  if (!fetch) {
    for (const auto& o : matched) apply(o.block()->state());
    return res.rows_affected();
  }
  std::int64_t n = 0;
  for (const auto& row : res) {
    ++n;
    if (auto* st = session.find_identity(mapper, row.values())) apply(*st);
  }
  return n;
}

}  // namespace

std::int64_t QueryBase::bulk_delete(Synchronize sync) const {
  session_->autoflush();
  const Registry& r = session_->registry();
  auto stmt_builder = delete_from(mapper_->table());
  for (const auto& c : where_) stmt_builder = stmt_builder.where(c.resolve(r));
  const auto matched = evaluate_in_memory(sync);
  return run_bulk(*session_, *mapper_, stmt_builder, sync, matched,
                  [&](InstanceState& st) { session_->mark_bulk_deleted(st); });
}

std::int64_t QueryBase::bulk_delete_with_cascades() const {
  session_->autoflush();
  std::vector<std::vector<Value>> keys;
  for (auto& row : fetch_rows(pk_exprs(*mapper_))) keys.push_back(std::move(row));
  const auto n = static_cast<std::int64_t>(keys.size());
  session_->delete_rows_with_cascades(*mapper_, std::move(keys));
  return n;
}

std::int64_t QueryBase::bulk_update(std::vector<ColumnAssignment> assignments,
                                    Synchronize sync) const {
  session_->autoflush();
  const Registry& r = session_->registry();
  auto stmt_builder = update(mapper_->table());
  std::vector<std::pair<std::size_t, Value>> resolved;
  for (const auto& a : assignments) {
    std::size_t i = a.column(*mapper_);
    resolved.emplace_back(i, a.value);
    stmt_builder = stmt_builder.set(mapper_->columns()[i]->column_name(), Expr(a.value));
  }
  for (const auto& c : where_) stmt_builder = stmt_builder.where(c.resolve(r));
  const auto matched = evaluate_in_memory(sync);
  return run_bulk(*session_, *mapper_, stmt_builder, sync, matched,
                  [&](InstanceState& st) { session_->apply_bulk_update(st, resolved); });
}

}  // namespace relate
