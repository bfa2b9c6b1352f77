#pragma once
// What Engine, Connection, Result and the guards share behind their handles.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "relate/engine/engine.hpp"

namespace relate::detail {

struct EngineState {
  Url url;
  EngineOptions options;
  const Dialect* dialect = nullptr;
  std::unique_ptr<Echo> echo;  // null when echo is off
  std::shared_ptr<Pool> pool;
};

// One checked-out driver connection and its transaction bookkeeping. Held by
// the Connection, by its guards and by a Result while it streams; the driver
// connection goes back to the pool when the last of them lets go.
class ConnectionState {
 public:
  ConnectionState(std::shared_ptr<const EngineState> engine,
                  std::unique_ptr<DriverConnection> driver);
  ConnectionState(const ConnectionState&) = delete;
  ConnectionState& operator=(const ConnectionState&) = delete;
  ~ConnectionState();

  const EngineState& engine() const noexcept { return *engine_; }
  DriverConnection& driver() noexcept { return *driver_; }
  const Echo* echo() const noexcept { return engine_->echo.get(); }

  std::uint64_t begin();
  void commit(std::uint64_t id);
  void rollback(std::uint64_t id);
  bool transaction_active(std::uint64_t id) const noexcept { return transaction_ == id; }
  bool in_transaction() const noexcept { return transaction_ != 0; }

  std::pair<std::uint64_t, std::string> begin_nested();
  void release(std::uint64_t id);
  void rollback_to(std::uint64_t id);
  bool savepoint_active(std::uint64_t id) const noexcept;

 private:
  void log(const std::string& sql) const;
  std::size_t find_savepoint(std::uint64_t id) const noexcept;  // npos when gone
  void end_transaction() noexcept;

  std::shared_ptr<const EngineState> engine_;
  std::unique_ptr<DriverConnection> driver_;
  std::uint64_t transaction_ = 0;
  std::uint64_t next_id_ = 0;
  struct OpenSavepoint {
    std::uint64_t id;
    std::string name;
  };
  std::vector<OpenSavepoint> savepoints_;
  int savepoint_count_ = 0;
};

struct ResultState {
  // Declared before `cursor` so the cursor is released before the connection.
  std::shared_ptr<ConnectionState> hold;
  std::unique_ptr<DriverCursor> cursor;
  ColumnNames columns;
  std::deque<Row> rows;  // execute_many's RETURNING rows
  std::int64_t affected = 0;
  std::vector<std::int64_t> rowids;  // execute_many's INSERTs on SQLite

  bool next(Row& row);
  // Lets the connection go once the cursor no longer reads from it.
  void settle() noexcept {
    if (!cursor || !cursor->live()) hold.reset();
  }
};

}  // namespace relate::detail
