// The unit of work (spec section 5, DESIGN 4.1 and 4.2): everything the Session
// knows to be new, changed or removed is written in one flush, parents before
// children by foreign key, in batches, inside a savepoint, and undone in memory
// as well as in the database if any statement fails.

#include <algorithm>
#include <map>

#include "orm/session_impl.hpp"
#include "relate/core/warning.hpp"

namespace relate {

namespace {

std::string join_names(const Mapper& m, const std::vector<std::size_t>& cols) {
  std::string out;
  for (auto i : cols) {
    out += m.columns()[i]->column_name();
    out += ',';
  }
  return out;
}

bool key_less(const std::vector<Value>& a, const std::vector<Value>& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const Value &x = a[i], &y = b[i];
    if (x == y) continue;
    if (x.kind() != y.kind()) return x.kind() < y.kind();
    switch (x.kind()) {
      case ValueKind::integer: return x.as_integer() < y.as_integer();
      case ValueKind::real: return x.as_real() < y.as_real();
      case ValueKind::text: return x.as_text() < y.as_text();
      case ValueKind::boolean: return !x.as_boolean();
      case ValueKind::blob: return x.as_blob() < y.as_blob();
      case ValueKind::null: return false;
    }
  }
  return a.size() < b.size();
}

}  // namespace

class UnitOfWork {
 public:
  explicit UnitOfWork(SessionImpl& s) : s_(s) {}

  void run();

 private:
  struct Insert {
    InstanceState* st;
    std::vector<std::size_t> columns;    // sent
    std::vector<std::size_t> returning;  // filled in by the database
    std::vector<Value> values;
  };
  struct Update {
    InstanceState* st;
    std::vector<std::size_t> columns;  // changed, version counter included
    std::vector<Value> where_key;      // identity (old key)
    std::optional<Value> old_version;
    InstanceState* replaces = nullptr;  // row switch: the deleted object of this row
  };
  struct Undo {
    InstanceState* st;
    std::size_t column;
    Value old;
  };

  void collect();
  void prepare_insert(InstanceState& st);
  void prepare_update(InstanceState& st, std::vector<std::size_t> changed, InstanceState* replaces);
  void set_member(InstanceState& st, std::size_t column, const Value& v);
  void execute_inserts(const Mapper& m, std::vector<Insert>& rows);
  void execute_updates(const Mapper& m, std::vector<Update>& rows);
  void execute_deletes(const Mapper& m, std::vector<InstanceState*>& rows);
  void finalize();
  void undo() noexcept;

  SessionImpl& s_;
  std::map<const Mapper*, std::vector<Insert>> inserts_;
  std::map<const Mapper*, std::vector<Update>> updates_;
  std::map<const Mapper*, std::vector<InstanceState*>> deletes_;
  std::vector<Undo> undo_;
  std::vector<Object> keep_;  // every object the flush touches stays alive until it ends
  bool empty_ = true;
};

void UnitOfWork::set_member(InstanceState& st, std::size_t column, const Value& v) {
  const auto& attr = *st.mapper_->columns()[column];
  void* obj = st.block_->object();
  undo_.push_back({&st, column, attr.get(obj)});
  attr.set(obj, v);
}

void UnitOfWork::prepare_insert(InstanceState& st) {
  const Mapper& m = *st.mapper_;
  Insert row{&st, {}, {}, {}};
  const void* obj = st.block_->object();
  for (const auto& c : m.columns()) {
    const std::size_t i = c->index();
    Value v = c->get(obj);
    if (m.generated_key() == i && m.key_is_unassigned({v})) {
      row.returning.push_back(i);
      continue;
    }
    if (m.version_column() == i) {
      v = Value(1);
      set_member(st, i, v);
    } else if (v.is_null() && c->column().default_value()) {
      v = *c->column().default_value();
      set_member(st, i, v);
    } else if (v.is_null() && c->column().has_server_default()) {
      row.returning.push_back(i);
      continue;
    }
    row.columns.push_back(i);
    row.values.push_back(std::move(v));
  }
  inserts_[&m].push_back(std::move(row));
}

void UnitOfWork::prepare_update(InstanceState& st, std::vector<std::size_t> changed,
                                InstanceState* replaces) {
  const Mapper& m = *st.mapper_;
  Update u{&st, std::move(changed), replaces ? replaces->identity_ : st.identity_, {}, replaces};
  if (auto v = m.version_column()) {
    InstanceState& versioned = replaces ? *replaces : st;
    const Value old = versioned.committed_.at(*v);
    u.old_version = old;
    std::erase(u.columns, *v);
    u.columns.push_back(*v);
    set_member(st, *v, Value(old.as_integer() + 1));
  }
  updates_[&m].push_back(std::move(u));
}

void UnitOfWork::collect() {
  // Deletes first, so that a pending object with the identity of a deleted one
  // becomes an UPDATE of that row (row switch, spec 5.6).
  std::unordered_map<IdentityKey, InstanceState*, IdentityKeyHash> deleted_by_key;
  for (auto* st : s_.marked_deleted_) deleted_by_key[IdentityKey{st->mapper_, st->identity_}] = st;

  for (auto& [order, st] : s_.pending_) {
    keep_.emplace_back(st->block_);
    const Mapper& m = *st->mapper_;
    auto key = m.primary_key_of(st->block_->object());
    auto it =
        m.key_is_unassigned(key) ? deleted_by_key.end() : deleted_by_key.find(IdentityKey{&m, key});
    if (it != deleted_by_key.end()) {
      std::vector<std::size_t> all;
      for (const auto& c : m.columns()) all.push_back(c->index());
      prepare_update(*st, std::move(all), it->second);
      deleted_by_key.erase(it);
      continue;
    }
    prepare_insert(*st);
  }
  for (auto& [k, st] : s_.identity_map_) {
    if (st->marked_for_delete_) continue;
    auto changed = s_.changed_columns(*st);
    if (changed.empty()) continue;
    keep_.emplace_back(st->block_);
    prepare_update(*st, std::move(changed), nullptr);
  }
  for (auto& [k, st] : deleted_by_key) {
    keep_.emplace_back(st->block_);
    deletes_[st->mapper_].push_back(st);
  }
  empty_ = inserts_.empty() && updates_.empty() && deletes_.empty();
}

void UnitOfWork::execute_inserts(const Mapper& m, std::vector<Insert>& rows) {
  Connection& conn = s_.connection();
  std::size_t i = 0;
  while (i < rows.size()) {
    // Consecutive rows (add order) with the same columns go out as one batch.
    std::size_t j = i + 1;
    while (j < rows.size() && rows[j].columns == rows[i].columns &&
           rows[j].returning == rows[i].returning)
      ++j;
    std::vector<std::string> names;
    for (auto c : rows[i].columns) names.push_back(m.columns()[c]->column_name());
    std::vector<Expr> returning;
    for (auto c : rows[i].returning) returning.emplace_back(m.columns()[c]->column());
    Insert& first = rows[i];
    std::string key = "insert:" + m.table_name() + ":" + join_names(m, first.columns) + ":" +
                      join_names(m, first.returning);
    const CompiledStatement& stmt = s_.compiled(
        key, relate::insert(m.table()).bind_columns(names).returning(std::move(returning)));
    std::vector<std::vector<Value>> sets;
    sets.reserve(j - i);
    for (std::size_t r = i; r < j; ++r) sets.push_back(std::move(rows[r].values));
    Result outcome = conn.execute_many(stmt, sets);
    if (!first.returning.empty()) {
      const std::vector<Row> back_rows = outcome.rows();
      if (back_rows.size() != j - i)
        throw FlushError("INSERT into '" + m.table_name() + "' returned " +
                         std::to_string(back_rows.size()) + " row(s) for " + std::to_string(j - i) +
                         " inserted");
      for (std::size_t r = i; r < j; ++r) {
        const Row& back = back_rows[r - i];
        for (std::size_t k = 0; k < rows[r].returning.size(); ++k)
          set_member(*rows[r].st, rows[r].returning[k], back[k]);
      }
    }
    i = j;
  }
}

void UnitOfWork::execute_updates(const Mapper& m, std::vector<Update>& rows) {
  Connection& conn = s_.connection();
  std::sort(rows.begin(), rows.end(),
            [](const Update& a, const Update& b) { return key_less(a.where_key, b.where_key); });
  std::size_t i = 0;
  while (i < rows.size()) {
    std::size_t j = i + 1;
    while (j < rows.size() && rows[j].columns == rows[i].columns) ++j;
    const auto& cols = rows[i].columns;
    auto stmt_builder = relate::update(m.table());
    for (auto c : cols) {
      const auto& name = m.columns()[c]->column_name();
      stmt_builder = stmt_builder.set(name, bind("v_" + name));
    }
    for (auto k : m.primary_key()) {
      const auto& name = m.columns()[k]->column_name();
      stmt_builder = stmt_builder.where(Expr(m.columns()[k]->column()) == bind("k_" + name));
    }
    const bool versioned = m.version_column().has_value();
    if (versioned)
      stmt_builder = stmt_builder.where(Expr(m.columns()[*m.version_column()]->column()) ==
                                        bind("old_version"));
    const CompiledStatement& stmt =
        s_.compiled("update:" + m.table_name() + ":" + join_names(m, cols), stmt_builder);
    std::vector<std::vector<Value>> sets;
    sets.reserve(j - i);
    for (std::size_t r = i; r < j; ++r) {
      const Update& u = rows[r];
      const void* obj = u.st->block_->object();
      std::vector<Value> set;
      for (const auto& name : stmt.keys) {
        if (name == "old_version") {
          set.push_back(*u.old_version);
        } else if (name.starts_with("v_")) {
          set.push_back(m.find_column(std::string_view(name).substr(2))->get(obj));
        } else {
          const auto* attr = m.find_column(std::string_view(name).substr(2));
          for (std::size_t p = 0; p < m.primary_key().size(); ++p)
            if (m.primary_key()[p] == attr->index()) set.push_back(u.where_key[p]);
        }
      }
      sets.push_back(std::move(set));
    }
    Result outcome = conn.execute_many(stmt, sets);
    const std::int64_t matched = outcome.rows_affected();
    if (matched != static_cast<std::int64_t>(j - i))
      throw StaleDataError("UPDATE statement on table '" + m.table_name() +
                           "' expected to update " + std::to_string(j - i) + " row(s); " +
                           std::to_string(matched) + " were matched.");
    i = j;
  }
}

void UnitOfWork::execute_deletes(const Mapper& m, std::vector<InstanceState*>& rows) {
  Connection& conn = s_.connection();
  std::sort(rows.begin(), rows.end(), [](const InstanceState* a, const InstanceState* b) {
    return key_less(a->identity(), b->identity());
  });
  auto stmt_builder = delete_from(m.table());
  for (auto k : m.primary_key())
    stmt_builder = stmt_builder.where(Expr(m.columns()[k]->column()) ==
                                      bind("k_" + m.columns()[k]->column_name()));
  const bool versioned = m.version_column().has_value();
  if (versioned)
    stmt_builder =
        stmt_builder.where(Expr(m.columns()[*m.version_column()]->column()) == bind("old_version"));
  const CompiledStatement& stmt = s_.compiled("delete:" + m.table_name(), stmt_builder);
  std::vector<std::vector<Value>> sets;
  for (auto* st : rows) {
    std::vector<Value> set = st->identity_;
    if (versioned) set.push_back(st->committed_.at(*m.version_column()));
    sets.push_back(std::move(set));
  }
  Result outcome = conn.execute_many(stmt, sets);
  const std::int64_t matched = outcome.rows_affected();
  if (matched != static_cast<std::int64_t>(rows.size())) {
    std::string msg = "DELETE statement on table '" + m.table_name() + "' expected to delete " +
                      std::to_string(rows.size()) + " row(s); " + std::to_string(matched) +
                      " were matched.";
    if (versioned) throw StaleDataError(msg);
    warn("delete-rowcount", msg);
  }
}

void UnitOfWork::undo() noexcept {
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    try {
      it->st->mapper_->columns()[it->column]->set(it->st->block_->object(), it->old);
    } catch (...) {
      // The old value came out of this very member, so it converts back.
    }
  }
}

void UnitOfWork::finalize() {
  for (auto& [m, rows] : inserts_) {
    for (auto& row : rows) {
      InstanceState& st = *row.st;
      s_.pending_.erase(st.insert_order_);
      st.insert_order_ = 0;
      s_.install_identity(st, m->primary_key_of(st.block_->object()));
      s_.snapshot(st);
      s_.inserted_in_transaction_.insert(&st);
    }
  }
  for (auto& [m, rows] : updates_) {
    for (auto& u : rows) {
      InstanceState& st = *u.st;
      if (u.replaces) {  // row switch: the new object takes over the row
        s_.mark_bulk_deleted(*u.replaces);
        s_.pending_.erase(st.insert_order_);
        st.insert_order_ = 0;
        s_.install_identity(st, m->primary_key_of(st.block_->object()));
      } else if (m->primary_key_of(st.block_->object()) != st.identity_) {
        // The primary key itself changed: re-key the identity map.
        s_.identity_map_.erase(IdentityKey{m, st.identity_});
        s_.install_identity(st, m->primary_key_of(st.block_->object()));
      }
      s_.snapshot(st);
    }
  }
  for (auto& [m, rows] : deletes_)
    for (auto* st : rows) s_.mark_bulk_deleted(*st);
  // Pending objects were held so they could not vanish before their INSERT; as
  // clean persistent objects they now live as long as the user keeps them.
  for (auto& [m, rows] : inserts_)
    for (auto& row : rows) s_.unhold(*row.st);
  for (auto& [m, rows] : updates_)
    for (auto& u : rows) s_.unhold(*u.st);
}

void UnitOfWork::run() {
  std::optional<Savepoint> savepoint;
  bool began_here = false;
  try {
    collect();
    if (empty_) return;
    // Tables in foreign-key order: referenced rows are written first, deleted last.
    std::vector<const Mapper*> order;
    for (const Table* t : s_.registry_.metadata().sorted_tables())
      for (const Mapper* m : s_.registry_.mappers())
        if (&m->table() == t) order.push_back(m);

    began_here = !s_.in_transaction();
    Connection& conn = s_.connection();
    if (!began_here) savepoint.emplace(conn.begin_nested());
    for (const Mapper* m : order) {
      if (auto it = updates_.find(m); it != updates_.end()) execute_updates(*m, it->second);
      if (auto it = inserts_.find(m); it != inserts_.end()) execute_inserts(*m, it->second);
    }
    for (auto it = order.rbegin(); it != order.rend(); ++it)
      if (auto d = deletes_.find(*it); d != deletes_.end()) execute_deletes(**it, d->second);
    if (savepoint) savepoint->release();
  } catch (...) {
    // DESIGN 4.1: the database and every object go back to before the flush.
    try {
      if (savepoint) {
        savepoint->rollback();
      } else if (began_here && s_.transaction_) {
        s_.transaction_->rollback();
        s_.transaction_.reset();
        s_.connection_.reset();
      }
    } catch (...) {
      s_.transaction_.reset();
      s_.connection_.reset();
    }
    undo();
    throw;
  }
  finalize();
}

namespace {

[[noreturn]] void rethrow_with_hint(const std::string& hint) {
  try {
    throw;
  } catch (const IntegrityError& e) {
    throw IntegrityError(e.what() + hint, e.info());
  } catch (const DataError& e) {
    throw DataError(e.what() + hint, e.info());
  } catch (const ProgrammingError& e) {
    throw ProgrammingError(e.what() + hint, e.info());
  } catch (const OperationalError& e) {
    throw OperationalError(e.what() + hint, e.info());
  } catch (const DatabaseError& e) {
    throw DatabaseError(e.what() + hint, e.info());
  } catch (const StaleDataError& e) {
    throw StaleDataError(e.what() + hint);
  } catch (const FlushError& e) {
    throw FlushError(e.what() + hint);
  } catch (const CircularDependencyError& e) {
    throw CircularDependencyError(e.what() + hint);
  }
}

}  // namespace

void SessionImpl::autoflush() {
  if (!options_.autoflush || no_autoflush_depth_ != 0 || flushing_) return;
  try {
    flush();
  } catch (const Error&) {
    rethrow_with_hint(
        " (raised as a result of autoflush before a query; consider using a "
        "session.no_autoflush() block if this flush is occurring prematurely)");
  }
}

void SessionImpl::flush() {
  if (flushing_) throw InvalidRequest("Session is already flushing");
  flushing_ = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{flushing_};
  UnitOfWork(*this).run();
}

}  // namespace relate
