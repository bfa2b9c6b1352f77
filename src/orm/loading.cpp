// Rows into objects through the identity map (spec 6.2), and the SELECTs that
// load one object's columns.

#include "orm/dynamic_access.hpp"
#include "orm/handle_access.hpp"
#include "orm/session_impl.hpp"

namespace relate {

Select SessionImpl::select_columns(const Mapper& mapper) const {
  std::vector<Expr> cols;
  cols.reserve(mapper.columns().size());
  for (const auto& c : mapper.columns()) cols.emplace_back(c->column());
  return select(std::move(cols)).from(From(mapper.table()));
}

Expr SessionImpl::primary_key_condition(const Mapper& mapper, const std::vector<Value>& key) const {
  std::vector<Expr> terms;
  for (std::size_t i = 0; i < key.size(); ++i)
    terms.push_back(Expr(mapper.columns()[mapper.primary_key()[i]]->column()) == Expr(key[i]));
  return terms.size() == 1 ? terms.front() : and_(std::move(terms));
}

detail::ObjectBlock* SessionImpl::instance_from_row(const Mapper& mapper, const Row& row,
                                                    std::size_t offset) {
  const auto& cols = mapper.columns();
  std::vector<Value> key;
  key.reserve(mapper.primary_key().size());
  for (auto i : mapper.primary_key()) {
    if (row[offset + i].is_null()) return nullptr;  // an outer join found nothing
    key.push_back(row[offset + i]);
  }
  if (auto* st = find_identity(mapper, key)) {
    // Loaded attributes are never overwritten by a query; expired ones are filled.
    if (st->expired_count_ != 0) {
      void* obj = st->block_->object();
      for (std::size_t i = 0; i < cols.size(); ++i) {
        if (!st->expired_[i]) continue;
        cols[i]->set(obj, row[offset + i]);
        st->committed_[i] = cols[i]->get(obj);
        st->expired_[i] = false;
      }
      st->expired_count_ = 0;
    }
    st->block_->retain();
    return st->block_;
  }
  detail::ObjectBlock* block = mapper.create();
  Object guard(block);  // frees the object if filling it in throws
  // Relationships of a loaded object load when first used.
  if (mapper.relationships().size() != 0)
    for (const auto& r : mapper.relationships())
      detail::HandleAccess::set_loaded(r->handle(block->object()), false);
  InstanceState& st = block->state();
  void* obj = block->object();
  for (std::size_t i = 0; i < cols.size(); ++i) cols[i]->set(obj, row[offset + i]);
  st.mapper_ = &mapper;
  attach(st);
  install_identity(st, std::move(key));
  snapshot(st);
  block->retain();
  return block;
}

bool SessionImpl::load_into(InstanceState& st, bool only_expired) {
  const Mapper& mapper = *st.mapper_;
  Select q = select_columns(mapper).where(primary_key_condition(mapper, st.identity_));
  Result r = connection().execute(compile(q));
  const auto& cols = mapper.columns();
  void* obj = st.block_->object();
  for (const auto& row : r) {
    if (st.committed_.size() != cols.size()) st.committed_.resize(cols.size());
    for (std::size_t i = 0; i < cols.size(); ++i) {
      if (only_expired && !st.is_expired(i)) continue;
      cols[i]->set(obj, row[i]);
      st.committed_[i] = cols[i]->get(obj);
    }
    st.expired_.assign(cols.size(), false);
    st.expired_count_ = 0;
    return true;
  }
  return false;
}

const CompiledStatement& SessionImpl::compiled(const std::string& cache_key,
                                               const Executable& stmt) {
  auto it = statement_cache_.find(cache_key);
  if (it == statement_cache_.end())
    it = statement_cache_.emplace(cache_key, dialect().compile(stmt)).first;
  return it->second;
}

CompiledStatement SessionImpl::compile(const Executable& stmt) const {
  return dialect().compile(stmt);
}

namespace {

std::vector<Value> key_values(const Mapper& m, const void* obj,
                              const std::vector<std::size_t>& columns) {
  std::vector<Value> out;
  out.reserve(columns.size());
  for (auto i : columns) out.push_back(m.columns()[i]->get(obj));
  return out;
}

}  // namespace

void SessionImpl::peek_many_to_one(detail::ScalarBase& h) {
  using detail::HandleAccess;
  const Relationship& r = *h.relationship();
  const void* obj = h.owner()->object();
  std::vector<std::size_t> fk_cols, pk_cols;
  for (const auto& p : r.pairs()) {
    fk_cols.push_back(p.child_column);
    pk_cols.push_back(p.parent_column);
  }
  if (pk_cols != r.target().primary_key()) return;
  std::vector<Value> fk = key_values(r.owner(), obj, fk_cols);
  for (const auto& v : fk)
    if (v.is_null()) {
      HandleAccess::set_loaded(h, true);
      return;
    }
  if (auto* t = find_identity(r.target(), fk)) {
    h.raw_set(t->block_);
    HandleAccess::committed(h) = Object(t->block_);
    HandleAccess::set_loaded(h, true);
  }
}

void SessionImpl::load_relationship(detail::RelationshipHandle& h, bool to_change) {
  using detail::HandleAccess;
  const Relationship& r = *h.relationship();
  detail::ObjectBlock* owner = h.owner();
  InstanceState& st = owner->state();
  const Mapper& target = r.target();
  if (r.loading() == Loading::raise)
    throw InvalidRequest("'" + r.describe() + "' is not available due to lazy='raise'");
  if (r.loading() == Loading::dynamic || r.loading() == Loading::write_only) {
    detail::load_query_collection(*this, h);  // orm/dynamic.cpp
    return;
  }
  if (!to_change) autoflush();
  Object keep(owner);
  const void* obj = owner->object();

  // Many-to-one: the foreign key names the object; the identity map may have it.
  if (r.direction() == Direction::many_to_one) {
    std::vector<std::size_t> fk_cols, pk_cols;
    for (const auto& p : r.pairs()) {
      fk_cols.push_back(p.child_column);
      pk_cols.push_back(p.parent_column);
    }
    std::vector<Value> fk = key_values(r.owner(), obj, fk_cols);
    detail::ObjectBlock* found = nullptr;
    bool any_null = false;
    for (const auto& v : fk) any_null = any_null || v.is_null();
    if (!any_null) {
      if (pk_cols == target.primary_key()) {
        if (auto* t = find_identity(target, fk)) {
          t->block_->retain();
          found = t->block_;
        }
      }
      if (found == nullptr) {
        if (r.loading() == Loading::raise_on_sql)
          throw InvalidRequest("'" + r.describe() +
                               "' is not available due to lazy='raise_on_sql'");
        Select q = select_columns(target);
        for (std::size_t i = 0; i < pk_cols.size(); ++i)
          q = q.where(Expr(target.columns()[pk_cols[i]]->column()) == Expr(fk[i]));
        auto stmt = compile(q);
        Result res = connection().execute(stmt);
        for (const auto& row : res) {
          found = instance_from_row(target, row.values(), 0);
          break;
        }
      }
    }
    Object value = Object(found);
    if (found) found->release();
    auto& s = HandleAccess::scalar(h);
    s.raw_set(value.block());
    HandleAccess::committed(s) = value;
    HandleAccess::set_loaded(h, true);
    return;
  }

  if (r.loading() == Loading::raise_on_sql)
    throw InvalidRequest("'" + r.describe() + "' is not available due to lazy='raise_on_sql'");
  Select q = select_columns(target);
  if (r.direction() == Direction::one_to_many) {
    for (const auto& p : r.pairs())
      q = q.where(Expr(target.columns()[p.child_column]->column()) ==
                  Expr(r.owner().columns()[p.parent_column]->get(obj)));
  } else {
    const Table& sec = *r.secondary();
    std::vector<Expr> on;
    for (const auto& [i, c] : r.secondary_target())
      on.push_back(Expr(target.columns()[i]->column()) == Expr(*c));
    q = q.join(From(sec), on.size() == 1 ? on.front() : and_(on));
    for (const auto& [i, c] : r.secondary_owner())
      q = q.where(Expr(*c) == Expr(r.owner().columns()[i]->get(obj)));
  }
  if (!r.options().order_by.empty()) {
    std::vector<Expr> terms;
    for (const auto& spec : r.options().order_by) {
      const bool descending = !spec.empty() && spec.front() == '-';
      const auto* c = target.find_column(descending ? spec.substr(1) : spec);
      if (c == nullptr)
        throw ConfigurationError(r.describe() + " orders by '" + spec +
                                 "', which is not a column of " + target.class_name());
      terms.push_back(descending ? Expr(c->column()).desc() : Expr(c->column()).asc());
    }
    q = q.order_by(std::move(terms));
  }
  auto stmt = compile(q);
  Result res = connection().execute(stmt);
  std::vector<Object> items;
  for (const auto& row : res) {
    if (auto* b = instance_from_row(target, row.values(), 0)) {
      items.emplace_back(b);
      b->release();
    }
  }
  if (!r.is_collection()) {  // one-to-one from the parent side
    auto& s = HandleAccess::scalar(h);
    Object value = items.empty() ? Object() : items.front();
    s.raw_set(value.block());
    HandleAccess::committed(s) = value;
    HandleAccess::set_loaded(h, true);
    return;
  }
  auto& c = HandleAccess::collection(h);
  // Changes made through the reverse side while unloaded apply on top (spec 7.2).
  auto& pending_removed = HandleAccess::pending_removed(c);
  auto& pending_added = HandleAccess::pending_added(c);
  while (c.raw_size() > 0) c.raw_erase(c.raw_size() - 1);
  for (const auto& o : items) {
    bool removed = false;
    for (const auto& p : pending_removed) removed = removed || p.block() == o.block();
    if (!removed) c.raw_insert(c.raw_size(), o.block());
  }
  for (const auto& o : pending_removed) HandleAccess::removed(c).push_back(o);
  for (const auto& o : pending_added)
    if (c.find(o.block()) < 0) {
      c.raw_insert(c.raw_size(), o.block());
      HandleAccess::added(c).push_back(o);
    }
  // Each loaded child's reverse many-to-one is this owner: set it now so that
  // moving the child later lets go of this collection without a query.
  if (const Relationship* rev = r.reverse(); rev != nullptr && !rev->is_collection()) {
    for (std::size_t i = 0; i < c.raw_size(); ++i) {
      detail::RelationshipHandle& back = rev->handle(c.raw_at(i));
      if (back.is_loaded()) continue;
      auto& sc = HandleAccess::scalar(back);
      sc.raw_set(owner);
      HandleAccess::committed(sc) = Object(owner);
      HandleAccess::set_loaded(back, true);
    }
  }
  const bool had_pending = !pending_added.empty() || !pending_removed.empty();
  pending_added.clear();
  pending_removed.clear();
  HandleAccess::set_loaded(h, true);
  if (had_pending) relationship_changed(st);
}

}  // namespace relate
