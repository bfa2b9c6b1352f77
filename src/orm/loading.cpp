// Rows into objects through the identity map (spec 6.2), and the SELECTs that
// load one object's columns.

#include "engine/connection_access.hpp"
#include "orm/dynamic_access.hpp"
#include "orm/eager_loading.hpp"
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
  return object_for_row(mapper, row, offset, nullptr);
}

detail::ObjectBlock* SessionImpl::instance_from_taken_row(const Mapper& mapper, Row& row,
                                                          std::size_t offset) {
  return object_for_row(mapper, row, offset, &row);
}

detail::ObjectBlock* SessionImpl::object_for_row(const Mapper& mapper, const Row& row,
                                                 std::size_t offset, Row* taken) {
  const auto& cols = mapper.columns();
  // A member takes its value from a row the caller is done with (strings move).
  auto set = [&](const ColumnAttribute& c, void* obj, std::size_t at) {
    if (taken != nullptr)
      c.set_taking(obj, (*taken)[at]);
    else
      c.set(obj, row[at]);
  };
  // One integer key, the usual case, is looked up and kept without a Value.
  const auto& pk = mapper.primary_key();
  const std::int64_t* one = pk.size() == 1 ? row[offset + pk.front()].if_integer() : nullptr;
  const std::int64_t integer_key = one != nullptr ? *one : 0;
  std::vector<Value> key;
  std::size_t hash = 0;
  IdentityMap::Place place;
  if (one != nullptr) {
    hash = integer_key_hash(&mapper, integer_key);
    place = identity_map_.locate_integer(&mapper, integer_key, hash);
  } else {
    key.reserve(pk.size());
    for (auto i : pk) {
      if (row[offset + i].is_null()) return nullptr;  // an outer join found nothing
      key.push_back(row[offset + i]);
    }
    hash = hash_key(&mapper, key);
    place = identity_map_.locate(&mapper, key, hash);
  }
  if (place.found) {
    InstanceState* st = identity_map_.object_at(place);
    // Loaded attributes are never overwritten by a query; expired ones are filled.
    if (st->needs_load()) {
      void* obj = st->block()->object();
      for (std::size_t i = 0; i < cols.size(); ++i)
        if (st->expired_[i]) set(*cols[i], obj, offset + i);
      repack(*st, true);
    }
    st->block()->retain();
    return st->block();
  }
  detail::ObjectBlock* block = mapper.create();
  block->retain();  // the reference returned; given back if filling the object in throws
  try {
    // Relationships of a loaded object load when first used.
    if (mapper.relationships().size() != 0)
      for (const auto& r : mapper.relationships())
        detail::HandleAccess::set_loaded(r->handle(block->object()), false);
    InstanceState& st = block->state();
    void* obj = block->object();
    for (std::size_t i = 0; i < cols.size(); ++i) set(*cols[i], obj, offset + i);
    st.mapper_ = &mapper;
    st.touched_ = false;  // read from the row just now
    attach(st);
    // Not in the map (located above): entered without a second lookup.
    if (one != nullptr)
      st.identity_.assign_integer(integer_key);
    else
      st.identity_.assign(key);
    identity_map_.insert_at(place, st, hash);
    st.has_identity_ = true;
    entered_identity_map(st);
    snapshot(st);
  } catch (...) {
    block->release();
    throw;
  }
  return block;
}

const CompiledStatement& SessionImpl::by_key_statement(const Mapper& mapper) {
  auto it = by_key_statements_.find(&mapper);
  if (it != by_key_statements_.end()) return it->second;
  std::vector<Expr> terms;
  for (auto k : mapper.primary_key())
    terms.push_back(Expr(mapper.columns()[k]->column()) ==
                    bind("k_" + mapper.columns()[k]->column_name()));
  Select q = select_columns(mapper).where(terms.size() == 1 ? terms.front() : and_(terms));
  return by_key_statements_.emplace(&mapper, compile(q)).first->second;
}

void SessionImpl::repack(InstanceState& st, bool only_expired) {
  const auto& cols = st.mapper_->columns();
  const void* obj = st.block()->object();
  detail::ValuePacker packer(pack_buffer_);
  const std::size_t kept = only_expired ? st.committed_.size() : 0;
  st.committed_.for_each([&](std::size_t i, const detail::ValueRef& v) {
    if (i >= cols.size()) return;
    if (i < kept && !st.is_expired(i))
      packer.value(v);
    else
      cols[i]->pack(obj, packer);
  });
  // Columns with no committed value yet: null, as a loaded column that was
  // never committed (only expired ones are loaded).
  for (std::size_t i = std::min(st.committed_.size(), cols.size()); i < cols.size(); ++i) {
    if (only_expired && !st.is_expired(i))
      packer.null();
    else
      cols[i]->pack(obj, packer);
  }
  st.committed_.assign(packer);
  st.expired_.assign(cols.size(), false);
}

bool SessionImpl::load_into(InstanceState& st, bool only_expired) {
  const Mapper& mapper = *st.mapper_;
  const auto key = st.identity_.view();  // bound as it is, not copied first
  Result r = connection().execute(by_key_statement(mapper), key.span());
  const auto& cols = mapper.columns();
  void* obj = st.block()->object();
  for (const auto& row : r) {
    for (std::size_t i = 0; i < cols.size(); ++i) {
      if (only_expired && !st.is_expired(i)) continue;
      cols[i]->set(obj, row[i]);
    }
    repack(st, only_expired);
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
    h.raw_set(t->block());
    HandleAccess::committed(h) = Object(t->block());
    HandleAccess::set_loaded(h, true);
  }
}

void SessionImpl::load_relationship(detail::RelationshipHandle& h, bool to_change) {
  using detail::HandleAccess;
  const Relationship& r = *h.relationship();
  detail::ObjectBlock* owner = h.owner();
  const Mapper& target = r.target();
  // The unit of work loads what it needs whatever the strategy (spec 7.1).
  const Loading strategy = flushing() ? Loading::lazy : detail::strategy_of(h);
  if (strategy == Loading::raise)
    throw InvalidRequest("'" + r.describe() + "' is not available due to lazy='raise'");
  if (r.loading() == Loading::dynamic || r.loading() == Loading::write_only) {
    detail::load_query_collection(*this, h);  // orm/dynamic.cpp
    return;
  }
  // A removed object's delete cascade would have loaded this collection at
  // remove() (the per-object path does); when the flush was left to delete the
  // children as a set, reading them now must show what remove() saw, not run
  // that delete first.
  if (!to_change && !owner->state().marked_for_delete_) autoflush();
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
          t->block()->retain();
          found = t->block();
        }
      }
      if (found == nullptr) {
        if (strategy == Loading::raise_on_sql)
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

  if (strategy == Loading::raise_on_sql)
    throw InvalidRequest("'" + r.describe() + "' is not available due to lazy='raise_on_sql'");
  const detail::ColumnSource tcols = detail::columns_of(target);
  Select q = select_columns(target);
  if (r.direction() == Direction::one_to_many) {
    for (const auto& p : r.pairs())
      q = q.where(tcols(p.child_column) == Expr(r.owner().columns()[p.parent_column]->get(obj)));
  } else {
    q = q.join(From(*r.secondary()),
               detail::secondary_to_target(r, detail::secondary_columns(), tcols));
    for (const auto& [i, c] : r.secondary_owner())
      q = q.where(Expr(*c) == Expr(r.owner().columns()[i]->get(obj)));
  }
  if (auto order = detail::relationship_order(r, tcols); !order.empty())
    q = q.order_by(std::move(order));
  auto stmt = compile(q);
  Result res = detail::ConnectionAccess::execute_buffered(connection(), stmt);
  std::vector<Object> items;
  ResultRow row;
  while (detail::ResultAccess::next(res, row)) {
    if (auto* b = instance_from_taken_row(target, detail::ResultAccess::values(row), 0)) {
      items.emplace_back(b);
      b->release();
    }
  }
  detail::populate(*this, h, items);
  // The target's own eager relationships load for what was just loaded.
  if (!flushing()) {
    const detail::LoadNode plan = detail::default_plan(r);
    if (!plan.children.empty()) detail::load_below(*this, plan, items);
  }
}

}  // namespace relate
