#include "relate/engine/connection.hpp"

#include "engine/connection_access.hpp"
#include "engine/state.hpp"

namespace relate {

namespace detail {

ConnectionState::ConnectionState(std::shared_ptr<const EngineState> engine,
                                 std::unique_ptr<DriverConnection> driver)
    : engine_(std::move(engine)), driver_(std::move(driver)) {}

ConnectionState::~ConnectionState() {
  // Guards hold this state too, so a transaction still open here was begun by
  // a guard that is already gone; roll back visibly, as a guard would.
  if (transaction_ != 0) {
    try {
      rollback(transaction_);
    } catch (...) {
    }
  }
  engine_->pool->checkin(std::move(driver_));
}

void ConnectionState::log(const std::string& sql) const {
  if (const Echo* e = echo()) e->line(sql);
}

void ConnectionState::end_transaction() noexcept {
  transaction_ = 0;
  savepoints_.clear();
}

std::uint64_t ConnectionState::begin() {
  if (transaction_ != 0)
    throw InvalidRequest(
        "a transaction is already open on this Connection; use begin_nested() for a "
        "savepoint inside it");
  const std::string sql = driver_->dialect().begin_sql();
  log(sql);
  driver_->begin();
  transaction_ = ++next_id_;
  savepoint_count_ = 0;
  return transaction_;
}

void ConnectionState::commit(std::uint64_t id) {
  if (transaction_ != id || id == 0)
    throw InvalidRequest("this transaction has already been committed or rolled back");
  end_transaction();
  if (driver_->transaction_failed()) {
    log(driver_->dialect().rollback_sql());
    driver_->rollback();
    throw InvalidRequest(
        "the transaction was rolled back, not committed: a statement in it failed, after which "
        "the database accepts only a rollback (roll back to a savepoint to recover from "
        "expected errors)");
  }
  log(driver_->dialect().commit_sql());
  try {
    driver_->commit();
  } catch (...) {
    // SQLite keeps the transaction open when COMMIT fails (e.g. SQLITE_BUSY);
    // the guard is over either way, so do not leave it dangling.
    if (driver_->in_transaction()) {
      try {
        driver_->rollback();
      } catch (...) {
      }
    }
    throw;
  }
}

void ConnectionState::rollback(std::uint64_t id) {
  if (transaction_ != id || id == 0) return;
  end_transaction();
  // SQLite rolls back by itself after some errors; there is nothing left to undo.
  if (!driver_->in_transaction()) return;
  log(driver_->dialect().rollback_sql());
  driver_->rollback();
}

std::pair<std::uint64_t, std::string> ConnectionState::begin_nested() {
  if (transaction_ == 0)
    throw InvalidRequest(
        "begin_nested() needs an open transaction: call begin() on the Connection first");
  std::string name = "sp_" + std::to_string(++savepoint_count_);
  log(driver_->dialect().savepoint_sql(name));
  driver_->savepoint(name);
  const auto id = ++next_id_;
  savepoints_.push_back({id, name});
  return {id, std::move(name)};
}

std::size_t ConnectionState::find_savepoint(std::uint64_t id) const noexcept {
  for (std::size_t i = 0; i < savepoints_.size(); ++i)
    if (savepoints_[i].id == id) return i;
  return std::string::npos;
}

bool ConnectionState::savepoint_active(std::uint64_t id) const noexcept {
  return find_savepoint(id) != std::string::npos;
}

void ConnectionState::release(std::uint64_t id) {
  const auto i = find_savepoint(id);
  if (i == std::string::npos)
    throw InvalidRequest(
        "this savepoint has already been released or rolled back (or its transaction ended)");
  const std::string name = savepoints_[i].name;
  log(driver_->dialect().release_savepoint_sql(name));
  driver_->release_savepoint(name);
  // Releasing a savepoint releases the ones opened inside it too. Only once it
  // worked: a savepoint whose RELEASE failed can still be rolled back to.
  savepoints_.resize(i);
}

void ConnectionState::rollback_to(std::uint64_t id) {
  const auto i = find_savepoint(id);
  if (i == std::string::npos) return;
  const std::string name = savepoints_[i].name;
  savepoints_.resize(i);
  log(driver_->dialect().rollback_to_savepoint_sql(name));
  driver_->rollback_to_savepoint(name);
}

}  // namespace detail

Connection::Connection(std::shared_ptr<detail::ConnectionState> state) : state_(std::move(state)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

detail::ConnectionState& Connection::state() const {
  if (!state_) throw InvalidRequest("this Connection is closed");
  return *state_;
}

const Dialect& Connection::dialect() const { return state().driver().dialect(); }
DriverConnection& Connection::driver() { return state().driver(); }
void Connection::close() { state_.reset(); }
bool Connection::in_transaction() const { return state_ && state_->in_transaction(); }

Result Connection::run(const std::string& sql, std::vector<Value> values, bool buffered) {
  auto& s = state();
  if (const Echo* e = s.echo()) e->statement(sql, values);
  auto result = std::make_shared<detail::ResultState>();
  result->cursor =
      buffered ? s.driver().execute_buffered(sql, values) : s.driver().execute(sql, values);
  result->columns = result->cursor->columns();
  result->hold = state_;
  result->settle();
  return Result(std::move(result));
}

Result detail::ConnectionAccess::execute_buffered(Connection& c,
                                                  const CompiledStatement& statement) {
  return c.run(statement.sql, statement.bind(Params{}), true);
}

Result Connection::execute(const CompiledStatement& statement, const Params& params) {
  return run(statement.sql, statement.bind(params));
}

Result Connection::execute_positional(const CompiledStatement& statement,
                                      std::span<const Value> positional) {
  return run(statement.sql, statement.bind(positional));
}

namespace {
// The Result of a batch: its rows (statements with RETURNING), count and rowids.
Result result_of(BatchOutcome&& outcome) {
  auto result = std::make_shared<detail::ResultState>();
  result->columns = std::move(outcome.columns);
  result->rows.assign(std::make_move_iterator(outcome.rows.begin()),
                      std::make_move_iterator(outcome.rows.end()));
  result->affected = outcome.rows_affected;
  result->rowids = std::move(outcome.inserted_rowids);
  return Result(std::move(result));
}
}  // namespace

Result Connection::execute_many(const CompiledStatement& statement,
                                std::span<const std::vector<Value>> sets) {
  auto& s = state();
  // When every placeholder takes the set's value at its own position (what the
  // unit of work compiles), the sets are bound as they are: copying them would
  // copy every string of a large flush once more.
  bool in_order = statement.keys.size() == statement.params.size();
  for (std::size_t i = 0; i < statement.params.size() && in_order; ++i)
    in_order = statement.params[i].key == static_cast<int>(i);
  for (const auto& set : sets) {
    if (!in_order) break;
    in_order = set.size() == statement.params.size();
  }
  std::vector<std::vector<Value>> bound;
  if (!in_order) {
    bound.reserve(sets.size());
    for (const auto& set : sets) bound.push_back(statement.bind(set));
    sets = bound;
  }
  if (const Echo* e = s.echo()) e->batch(statement.sql, sets);
  BatchOutcome outcome = s.driver().execute_many(statement.sql, sets);
  return result_of(std::move(outcome));
}

Result Connection::execute_written(const CompiledStatement& statement, const ParamSets& sets) {
  auto& s = state();
  bool in_order =
      statement.keys.size() == statement.params.size() && sets.width() == statement.params.size();
  for (std::size_t i = 0; i < statement.params.size() && in_order; ++i)
    in_order = statement.params[i].key == static_cast<int>(i);
  if (!in_order || s.echo() != nullptr) {  // the path that binds (and shows) Values
    const auto values = collect_values(sets);
    return execute_many(statement, values);
  }
  BatchOutcome outcome = s.driver().execute_many_written(statement.sql, sets);
  return result_of(std::move(outcome));
}

Transaction Connection::begin() {
  const auto id = state().begin();
  return Transaction(state_, id);
}

Savepoint Connection::begin_nested() {
  auto [id, name] = state().begin_nested();
  return Savepoint(state_, id, std::move(name));
}

// Transaction and Savepoint

Transaction::Transaction(std::shared_ptr<detail::ConnectionState> state, std::uint64_t id)
    : state_(std::move(state)), id_(id) {}
Transaction::Transaction(Transaction&& other) noexcept
    : state_(std::move(other.state_)), id_(other.id_) {}
Transaction::~Transaction() {
  if (!state_) return;
  try {
    state_->rollback(id_);
  } catch (...) {
  }
}
void Transaction::commit() {
  if (!state_) throw InvalidRequest("this Transaction has been moved from");
  state_->commit(id_);
}
void Transaction::rollback() {
  if (state_) state_->rollback(id_);
}
bool Transaction::is_active() const noexcept { return state_ && state_->transaction_active(id_); }

Savepoint::Savepoint(std::shared_ptr<detail::ConnectionState> state, std::uint64_t id,
                     std::string name)
    : state_(std::move(state)), id_(id), name_(std::move(name)) {}
Savepoint::Savepoint(Savepoint&& other) noexcept
    : state_(std::move(other.state_)), id_(other.id_), name_(std::move(other.name_)) {}
Savepoint::~Savepoint() {
  if (!state_) return;
  try {
    state_->rollback_to(id_);
  } catch (...) {
  }
}
void Savepoint::release() {
  if (!state_) throw InvalidRequest("this Savepoint has been moved from");
  state_->release(id_);
}
void Savepoint::rollback() {
  if (state_) state_->rollback_to(id_);
}
bool Savepoint::is_active() const noexcept { return state_ && state_->savepoint_active(id_); }

}  // namespace relate
