// Rows into objects through the identity map (spec 6.2), and the SELECTs that
// load one object's columns.

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

}  // namespace relate
