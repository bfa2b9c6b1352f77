#include "relate/engine/driver.hpp"

namespace relate {

DriverCursor::~DriverCursor() {
  // Derived cursors release their statement in their own destructor; this only
  // unhooks from the connection.
  if (owner_ != nullptr && owner_->cursor_ == this) owner_->cursor_ = nullptr;
}

void DriverCursor::attach(DriverConnection* owner) {
  owner_ = owner;
  live_ = true;
  owner_->cursor_ = this;
}

void DriverCursor::abandon() noexcept {
  // A row that failed to convert leaves the statement running.
  try {
    discard();
  } catch (...) {
  }
  finished();
}

void DriverCursor::finished() {
  live_ = false;
  if (owner_ != nullptr && owner_->cursor_ == this) owner_->cursor_ = nullptr;
  owner_ = nullptr;
}

bool DriverCursor::next(Row& row) {
  if (!buffered_.empty()) {
    row = std::move(buffered_.front());
    buffered_.pop_front();
    return true;
  }
  if (!live_) return false;
  bool got = false;
  try {
    got = fetch(row);
  } catch (...) {
    abandon();
    throw;
  }
  if (!got) finished();
  return got;
}

std::int64_t DriverCursor::rows_affected() {
  if (live_) detach();
  return affected_;
}

void DriverCursor::detach() {
  if (!live_) return;
  try {
    Row row;
    while (fetch(row)) buffered_.push_back(std::move(row));
  } catch (...) {
    abandon();
    throw;
  }
  finished();
}

void DriverCursor::close() {
  buffered_.clear();
  if (!live_) return;
  try {
    discard();
  } catch (...) {
    finished();
    throw;
  }
  finished();
}

void DriverConnection::finish_cursor() {
  if (cursor_ != nullptr) cursor_->detach();
}

void DriverConnection::close_cursor() {
  if (cursor_ != nullptr) cursor_->close();
}

std::unique_ptr<DriverCursor> DriverConnection::execute(const std::string& sql,
                                                        std::span<const Value> params) {
  finish_cursor();
  return run(sql, params);
}

std::unique_ptr<DriverCursor> DriverConnection::execute_buffered(const std::string& sql,
                                                                 std::span<const Value> params) {
  finish_cursor();
  return run_buffered(sql, params);
}

BatchOutcome DriverConnection::execute_many(const std::string& sql,
                                            std::span<const std::vector<Value>> sets) {
  finish_cursor();
  if (sets.empty()) return {};
  return run_many(sql, sets);
}

BatchOutcome DriverConnection::execute_many_written(const std::string& sql, const ParamSets& sets) {
  finish_cursor();
  if (sets.size() == 0) return {};
  return run_many_written(sql, sets);
}

void DriverConnection::run_control(const std::string& sql) { execute(sql, {})->close(); }

void DriverConnection::begin() { run_control(dialect().begin_sql()); }
void DriverConnection::commit() { run_control(dialect().commit_sql()); }
void DriverConnection::rollback() { run_control(dialect().rollback_sql()); }
void DriverConnection::savepoint(std::string_view name) {
  run_control(dialect().savepoint_sql(name));
}
void DriverConnection::release_savepoint(std::string_view name) {
  run_control(dialect().release_savepoint_sql(name));
}
void DriverConnection::rollback_to_savepoint(std::string_view name) {
  run_control(dialect().rollback_to_savepoint_sql(name));
}

void DriverConnection::reset() {
  close_cursor();
  if (in_transaction()) rollback();
}

}  // namespace relate
