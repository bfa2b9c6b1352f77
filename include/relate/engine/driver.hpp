#pragma once
/// @file
/// The contract between a Connection and a database library, kept small as in
/// SOCI: run one statement and read its rows, run one statement for many
/// parameter sets, control transactions, and say whether the connection is still
/// usable. SQL text always comes from a Dialect; a driver only binds and runs it.
///
/// A driver connection has at most one statement in flight. Running a new
/// statement while a cursor is still reading detaches that cursor first: its
/// remaining rows are read into memory, so it stays valid but stops streaming.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "relate/core/dialect.hpp"
#include "relate/core/params.hpp"
#include "relate/core/value.hpp"
#include "relate/engine/url.hpp"

namespace relate {

class DriverConnection;

using ColumnNames = std::shared_ptr<const std::vector<std::string>>;

/// The rows of one executed statement, read one at a time.
class DriverCursor {
 public:
  DriverCursor() = default;
  DriverCursor(const DriverCursor&) = delete;
  DriverCursor& operator=(const DriverCursor&) = delete;
  virtual ~DriverCursor();

  /// Empty for statements that return no rows.
  const ColumnNames& columns() const noexcept { return columns_; }
  /// The next row into `row`; false at the end.
  bool next(Row& row);
  /// Rows changed by INSERT, UPDATE or DELETE (0 for other statements). For a
  /// statement that returns rows the count is only known at the end, so unread
  /// rows are buffered first.
  std::int64_t rows_affected();
  /// Reads the remaining rows into memory and lets go of the database statement.
  void detach();
  /// Discards the remaining rows.
  void close();
  /// True while rows are still being read from the database.
  bool live() const noexcept { return live_; }

 protected:
  // Reads the next row from the database. At the end it returns false, having
  // set affected_ and released the statement.
  virtual bool fetch(Row& row) = 0;
  // Releases the statement, discarding unread rows.
  virtual void discard() = 0;
  // Called by drivers once the statement is running.
  void attach(DriverConnection* owner);

  ColumnNames columns_;
  std::int64_t affected_ = 0;

 private:
  void finished();
  void abandon() noexcept;

  DriverConnection* owner_ = nullptr;
  bool live_ = false;
  std::deque<Row> buffered_;
};

/// What execute_many returns: the total count and every RETURNING row in order.
struct BatchOutcome {
  std::int64_t rows_affected = 0;
  ColumnNames columns;
  std::vector<Row> rows;
  // SQLite: the rowid each set of an INSERT inserted, in order.
  std::vector<std::int64_t> inserted_rowids;
};

/// One connection of a database library (sqlite3, libpq) behind the driver
/// contract. Connection wraps it; use driver() only for what Connection lacks.
class DriverConnection {
 public:
  DriverConnection() = default;
  DriverConnection(const DriverConnection&) = delete;
  DriverConnection& operator=(const DriverConnection&) = delete;
  virtual ~DriverConnection() = default;

  virtual const Dialect& dialect() const noexcept = 0;

  /// Runs one statement with one value per placeholder.
  std::unique_ptr<DriverCursor> execute(const std::string& sql, std::span<const Value> params);
  /// The same for a caller that reads every row before doing anything else
  /// (loading objects): the driver may fetch the rows together rather than one
  /// at a time (PostgreSQL: one result instead of single-row mode), which holds
  /// the whole result in memory but costs far less per row.
  std::unique_ptr<DriverCursor> execute_buffered(const std::string& sql,
                                                 std::span<const Value> params);
  /// Runs one statement once per parameter set, all or nothing: outside a
  /// transaction the sets run in one implicit transaction.
  BatchOutcome execute_many(const std::string& sql, std::span<const std::vector<Value>> sets);
  /// The same with sets written on demand (bound in place where the driver can).
  BatchOutcome execute_many_written(const std::string& sql, const ParamSets& sets);

  /// Transaction control through the dialect's SQL.
  void begin();
  void commit();
  void rollback();
  void savepoint(std::string_view name);
  void release_savepoint(std::string_view name);
  void rollback_to_savepoint(std::string_view name);

  /// Whether `column` of `table` is the table's rowid (SQLite's INTEGER PRIMARY
  /// KEY), so that the rowid of an INSERT is its key. False where there is no
  /// such thing.
  virtual bool is_rowid_alias(const std::string& /*table*/, const std::string& /*column*/) {
    return false;
  }

  /// Whether the database has a transaction open on this connection.
  virtual bool in_transaction() const = 0;
  /// Whether that transaction can only be rolled back (PostgreSQL after an error).
  virtual bool transaction_failed() const { return false; }
  /// False once the connection is broken and must be discarded.
  virtual bool healthy() const = 0;
  /// Makes the connection clean for its next user: finishes a running cursor and
  /// rolls back an open transaction. Throws when that fails.
  virtual void reset();

 protected:
  virtual std::unique_ptr<DriverCursor> run(const std::string& sql,
                                            std::span<const Value> params) = 0;
  // execute_buffered(); drivers without a cheaper way run the statement as run() does.
  virtual std::unique_ptr<DriverCursor> run_buffered(const std::string& sql,
                                                     std::span<const Value> params) {
    return run(sql, params);
  }
  virtual BatchOutcome run_many(const std::string& sql,
                                std::span<const std::vector<Value>> sets) = 0;
  // execute_many() of written sets; drivers without a cheaper way bind them as Values.
  virtual BatchOutcome run_many_written(const std::string& sql, const ParamSets& sets) {
    const auto values = collect_values(sets);
    return run_many(sql, values);
  }
  // Drivers call this in their destructor, while they can still release statements.
  void close_cursor();
  // Runs a statement that returns nothing interesting.
  void run_control(const std::string& sql);

 private:
  friend class DriverCursor;
  void finish_cursor();

  DriverCursor* cursor_ = nullptr;
};

/// How a SQLite connection is set up.
struct SqliteSettings {
  /// How long a statement waits for another connection's lock before SQLITE_BUSY.
  std::chrono::milliseconds busy_timeout{5000};
  /// PRAGMA foreign_keys=ON (SQLite's own default is off).
  bool foreign_keys = true;
};

/// Opens a SQLite database (file or memory) with PRAGMAs applied.
std::unique_ptr<DriverConnection> connect_sqlite(const Url& url, const SqliteSettings& settings);
/// Opens a PostgreSQL connection; throws OperationalError (without the password).
std::unique_ptr<DriverConnection> connect_postgresql(const Url& url);

}  // namespace relate
