// The SQLite driver, on the sqlite3 C API.
//
// Each connection keeps its prepared statements keyed by SQL text. A statement
// is stepped once when executed (so errors and DML effects happen at execute
// time) and then lazily, one row per DriverCursor::next().

#include <sqlite3.h>

#include <cstring>
#include <unordered_map>

#include "engine/text.hpp"
#include "relate/core/error.hpp"
#include "relate/engine/driver.hpp"

namespace relate {

namespace {

constexpr std::size_t statement_cache_limit = 256;

DatabaseErrorInfo driver_info(std::string message, std::string sql,
                              std::optional<int> code = std::nullopt) {
  DatabaseErrorInfo info;
  info.sqlite_code = code;
  info.driver_message = std::move(message);
  info.sql = std::move(sql);
  return info;
}

using detail::iequals;

// "NOT NULL constraint failed: t.c" and "UNIQUE constraint failed: t.a, t.b"
// name the table and columns; "CHECK constraint failed: name" names the constraint.
void parse_constraint_message(std::string_view message, DatabaseErrorInfo& info) {
  constexpr std::string_view failed = " constraint failed: ";
  auto pos = message.find(failed);
  if (pos == std::string_view::npos) return;
  std::string_view kind = message.substr(0, pos);
  std::string_view rest = message.substr(pos + failed.size());
  if (kind == "CHECK") {
    info.constraint = std::string(rest);
    return;
  }
  if (kind != "NOT NULL" && kind != "UNIQUE") return;
  std::string columns;
  while (!rest.empty()) {
    auto comma = rest.find(", ");
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
    auto dot = item.find('.');
    if (dot == std::string_view::npos) continue;
    if (info.table.empty()) info.table = std::string(item.substr(0, dot));
    if (!columns.empty()) columns += ", ";
    columns += item.substr(dot + 1);
  }
  info.column = std::move(columns);
}

[[noreturn]] void throw_error(int code, std::string message, const std::string& sql) {
  DatabaseErrorInfo info;
  info.sqlite_code = code;
  info.driver_message = message;
  info.sql = sql;
  std::string text = message + " (SQLite error " + std::to_string(code) + ")";
  if (!sql.empty()) text += " [SQL: " + sql + "]";
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT:
      parse_constraint_message(message, info);
      throw IntegrityError(text, std::move(info));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_READONLY:
    case SQLITE_INTERRUPT:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_PROTOCOL: throw OperationalError(text, std::move(info));
    case SQLITE_ERROR:
    case SQLITE_MISUSE:
    case SQLITE_AUTH: throw ProgrammingError(text, std::move(info));
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE: throw DataError(text, std::move(info));
    default: throw DatabaseError(text, std::move(info));
  }
}

[[noreturn]] void throw_db_error(sqlite3* db, int code, const std::string& sql) {
  // The extended code of the connection is more precise than a step's result
  // only when they agree on the primary code.
  int extended = sqlite3_extended_errcode(db);
  if ((extended & 0xff) != (code & 0xff)) extended = code;
  throw_error(extended, sqlite3_errmsg(db), sql);
}

// `copy`: SQLite keeps its own copy of text and blobs. Without it the values
// must outlive the statement's execution and the bindings must be cleared after.
void bind_values(sqlite3* db, sqlite3_stmt* stmt, std::span<const Value> params,
                 const std::string& sql, bool copy = true) {
  const auto lifetime = copy ? SQLITE_TRANSIENT : SQLITE_STATIC;
  const int expected = sqlite3_bind_parameter_count(stmt);
  if (static_cast<std::size_t>(expected) != params.size())
    throw ProgrammingError("the statement has " + std::to_string(expected) +
                               " placeholder(s) but " + std::to_string(params.size()) +
                               " value(s) were given [SQL: " + sql + "]",
                           driver_info("wrong number of parameters", sql));
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    const Value& v = params[i];
    int rc = SQLITE_OK;
    switch (v.kind()) {
      case ValueKind::null: rc = sqlite3_bind_null(stmt, index); break;
      case ValueKind::integer: rc = sqlite3_bind_int64(stmt, index, v.as_integer()); break;
      case ValueKind::real: rc = sqlite3_bind_double(stmt, index, v.as_real()); break;
      case ValueKind::boolean: rc = sqlite3_bind_int(stmt, index, v.as_boolean() ? 1 : 0); break;
      case ValueKind::text: {
        const std::string& s = v.as_text();
        rc = sqlite3_bind_text64(stmt, index, s.data(), s.size(), lifetime, SQLITE_UTF8);
        break;
      }
      case ValueKind::blob: {
        const Blob& b = v.as_blob();
        // A null pointer would bind NULL, not an empty blob.
        rc = b.empty() ? sqlite3_bind_zeroblob(stmt, index, 0)
                       : sqlite3_bind_blob64(stmt, index, b.data(), b.size(), lifetime);
        break;
      }
    }
    if (rc != SQLITE_OK) throw_db_error(db, rc, sql);
  }
}

// Binds a written parameter set in place: text and blobs are not copied, so
// they must stay as they are until the statement has run (ParamSink::text).
class Binder final : public ParamSink {
 public:
  Binder(sqlite3* db, sqlite3_stmt* stmt, const std::string& sql) noexcept
      : db_(db), stmt_(stmt), sql_(sql) {}
  int count() const noexcept { return index_; }
  void null() override { check(sqlite3_bind_null(stmt_, ++index_)); }
  void integer(std::int64_t i) override { check(sqlite3_bind_int64(stmt_, ++index_, i)); }
  void real(double d) override { check(sqlite3_bind_double(stmt_, ++index_, d)); }
  void boolean(bool b) override { check(sqlite3_bind_int(stmt_, ++index_, b ? 1 : 0)); }
  void text(std::string_view s) override {
    // A null pointer would bind NULL, not empty text.
    check(sqlite3_bind_text64(stmt_, ++index_, s.data() != nullptr ? s.data() : "", s.size(),
                              SQLITE_STATIC, SQLITE_UTF8));
  }
  void blob(std::span<const std::byte> b) override { bytes(b, SQLITE_STATIC); }
  void value(const Value& v) override {
    // The Value may be gone before the step: SQLite copies text and blobs.
    switch (v.kind()) {
      case ValueKind::text: {
        const std::string& s = v.as_text();
        check(sqlite3_bind_text64(stmt_, ++index_, s.data(), s.size(), SQLITE_TRANSIENT,
                                  SQLITE_UTF8));
        break;
      }
      case ValueKind::blob: bytes(v.as_blob(), SQLITE_TRANSIENT); break;
      default: ParamSink::value(v); break;
    }
  }

 private:
  void bytes(std::span<const std::byte> b, sqlite3_destructor_type lifetime) {
    ++index_;
    // A null pointer would bind NULL, not an empty blob.
    check(b.empty() ? sqlite3_bind_zeroblob(stmt_, index_, 0)
                    : sqlite3_bind_blob64(stmt_, index_, b.data(), b.size(), lifetime));
  }
  void check(int rc) {
    if (rc != SQLITE_OK) throw_db_error(db_, rc, sql_);
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  const std::string& sql_;
  int index_ = 0;
};

ColumnNames column_names(sqlite3_stmt* stmt) {
  const int n = sqlite3_column_count(stmt);
  if (n == 0) return nullptr;
  auto names = std::make_shared<std::vector<std::string>>();
  for (int i = 0; i < n; ++i) names->emplace_back(sqlite3_column_name(stmt, i));
  return names;
}

// SQLite stores booleans as 0/1 integers; a column declared BOOLEAN reads back
// as a boolean Value so both backends agree.
std::vector<bool> boolean_columns(sqlite3_stmt* stmt) {
  const int n = sqlite3_column_count(stmt);
  std::vector<bool> out(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const char* decl = sqlite3_column_decltype(stmt, i);
    out[static_cast<std::size_t>(i)] =
        decl != nullptr && (iequals(decl, "BOOLEAN") || iequals(decl, "BOOL"));
  }
  return out;
}

void read_row(sqlite3_stmt* stmt, const std::vector<bool>& booleans, Row& row) {
  const int n = sqlite3_column_count(stmt);
  row.clear();
  row.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    // One sqlite3_column_* call per cell, then the value's own accessors, which
    // are cheaper. SQLite documents that value as safe to read from the thread
    // that owns the connection only, which is how relate uses a connection.
    sqlite3_value* v = sqlite3_column_value(stmt, i);
    switch (sqlite3_value_type(v)) {
      case SQLITE_INTEGER: {
        const auto x = sqlite3_value_int64(v);
        if (booleans[static_cast<std::size_t>(i)] && (x == 0 || x == 1))
          row.emplace_back(x == 1);
        else
          row.emplace_back(x);
        break;
      }
      case SQLITE_FLOAT: row.emplace_back(sqlite3_value_double(v)); break;
      case SQLITE_TEXT: {
        const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
        const auto size = static_cast<std::size_t>(sqlite3_value_bytes(v));
        row.emplace_back(std::string(p, size));
        break;
      }
      case SQLITE_BLOB: {
        const auto* p = static_cast<const std::byte*>(sqlite3_value_blob(v));
        const auto size = static_cast<std::size_t>(sqlite3_value_bytes(v));
        row.emplace_back(p == nullptr ? Blob() : Blob(p, p + size));
        break;
      }
      default: row.emplace_back(); break;
    }
  }
}

class SqliteConnection;

class SqliteCursor final : public DriverCursor {
 public:
  SqliteCursor(SqliteConnection& conn, sqlite3_stmt* stmt, std::string sql)
      : conn_(conn), stmt_(stmt), sql_(std::move(sql)) {}
  ~SqliteCursor() override {
    if (live()) release();
  }

  // Steps once; the cursor is live only if a row came back.
  void start();

 protected:
  bool fetch(Row& row) override;
  void discard() override { release(); }

 private:
  void release();
  void complete();
  [[noreturn]] void fail(int rc);

  SqliteConnection& conn_;
  sqlite3_stmt* stmt_;
  std::string sql_;
  std::vector<bool> booleans_;
  sqlite3_int64 changes_before_ = 0;
  bool have_row_ = false;
};

class SqliteConnection final : public DriverConnection {
 public:
  SqliteConnection(const Url& url, const SqliteSettings& settings) : url_(url.masked()) {
    const std::string path = url.is_memory() ? std::string(":memory:") : url.database();
    // A connection is used by one thread at a time (the pool hands it to one
    // holder), so SQLite's per-connection mutex ("serialized" mode) only costs:
    // it is taken and released around every sqlite3_column_* call.
    int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw OperationalError("could not open SQLite database " + url_ + ": " + message,
                             driver_info(message, {}, rc));
    }
    sqlite3_extended_result_codes(db_, 1);
    busy_timeout_ms_ = static_cast<int>(settings.busy_timeout.count());
    sqlite3_busy_timeout(db_, busy_timeout_ms_);
    try {
      for (const auto& sql : dialect().connection_setup_sql(
               {.foreign_keys = settings.foreign_keys, .write_ahead_log = !url.is_memory()}))
        run_control(sql);
    } catch (...) {
      clear_cache();
      sqlite3_close(db_);
      throw;
    }
  }

  ~SqliteConnection() override {
    close_cursor();
    clear_cache();
    sqlite3_close(db_);
  }

  const Dialect& dialect() const noexcept override { return sqlite_dialect(); }
  bool in_transaction() const override { return sqlite3_get_autocommit(db_) == 0; }

  // The one primary-key column, declared INTEGER, of a table that has rowids (no
  // WITHOUT ROWID, no INTEGER PRIMARY KEY DESC: both give the key an index of its
  // own). Asked once per table and column and connection.
  bool is_rowid_alias(const std::string& table, const std::string& column) override {
    const std::string key = table + '\n' + column;
    if (auto it = rowid_aliases_.find(key); it != rowid_aliases_.end()) return it->second;
    static const std::string sql =
        "SELECT (SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0) = 1 AND EXISTS (SELECT "
        "1 FROM pragma_table_info(?1) WHERE pk = 1 AND name = ?2 COLLATE NOCASE AND upper(type) = "
        "'INTEGER') AND NOT EXISTS (SELECT 1 FROM pragma_index_list(?1) WHERE origin = 'pk')";
    const Value params[] = {Value(table), Value(column)};
    bool alias = false;
    const char* file = sqlite3_db_filename(db_, "main");
    if (sqlite3_get_autocommit(db_) == 0 && sqlite3_txn_state(db_, "main") == SQLITE_TXN_NONE &&
        file != nullptr && *file != '\0') {
      // In a transaction that has not read yet, a query here would take a read
      // lock and keep it; the INSERT that follows would then have to upgrade it,
      // which SQLite refuses at once (no busy wait) while another process
      // commits. The schema is read through a short-lived second connection.
      sqlite3* probe = nullptr;
      if (sqlite3_open_v2(file, &probe, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(probe, busy_timeout_ms_);
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(probe, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
          sqlite3_bind_text(stmt, 1, table.c_str(), -1, SQLITE_TRANSIENT);
          sqlite3_bind_text(stmt, 2, column.c_str(), -1, SQLITE_TRANSIENT);
          alias = sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) == 1;
        }
        sqlite3_finalize(stmt);
      }
      sqlite3_close(probe);
    } else {
      auto cursor = execute(sql, params);
      Row row;
      alias = cursor->next(row) && row.at(0).as_integer() == 1;
      cursor->close();
    }
    rowid_aliases_.emplace(key, alias);
    return alias;
  }
  bool healthy() const override { return db_ != nullptr; }

  sqlite3* db() const noexcept { return db_; }

  // Statements come from the cache; they are reset when their cursor ends.
  sqlite3_stmt* prepare(const std::string& sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return it->second;
    if (cache_.size() >= statement_cache_limit) clear_cache();
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) throw_db_error(db_, rc, sql);
    if (stmt == nullptr)
      throw ProgrammingError("the SQL text holds no statement [SQL: " + sql + "]",
                             driver_info("empty statement", sql));
    for (const char* p = tail; p != nullptr && p < sql.data() + sql.size(); ++p) {
      if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == ';') continue;
      sqlite3_finalize(stmt);
      throw ProgrammingError("only one SQL statement can be executed at a time [SQL: " + sql + "]",
                             driver_info("more than one statement", sql));
    }
    cache_.emplace(sql, stmt);
    return stmt;
  }

 protected:
  std::unique_ptr<DriverCursor> run(const std::string& sql,
                                    std::span<const Value> params) override {
    sqlite3_stmt* stmt = prepare(sql);
    try {
      bind_values(db_, stmt, params, sql);
    } catch (...) {
      sqlite3_clear_bindings(stmt);
      throw;
    }
    auto cursor = std::make_unique<SqliteCursor>(*this, stmt, sql);
    cursor->start();
    return cursor;
  }

  BatchOutcome run_many(const std::string& sql, std::span<const std::vector<Value>> sets) override {
    const bool insert = is_insert(sql);
    return in_own_transaction([&](BatchOutcome& out) {
      if (insert) out.inserted_rowids.reserve(sets.size());
      sqlite3_stmt* stmt = prepare(sql);
      if (sqlite3_column_count(stmt) == 0) {
        // No rows to read: bind, step and reset the one prepared statement,
        // with no cursor per set and the caller's values bound in place.
        step_sets(sql, stmt, insert, sets.size(), out,
                  [&](std::size_t i) { bind_values(db_, stmt, sets[i], sql, false); });
        return;
      }
      for (const auto& set : sets) {
        auto cursor = run(sql, set);
        if (!out.columns) out.columns = cursor->columns();
        Row row;
        while (cursor->next(row)) out.rows.push_back(std::move(row));
        out.rows_affected += cursor->rows_affected();
        if (insert) out.inserted_rowids.push_back(sqlite3_last_insert_rowid(db_));
      }
    });
  }

  BatchOutcome run_many_written(const std::string& sql, const ParamSets& sets) override {
    sqlite3_stmt* stmt = prepare(sql);
    // Statements that return rows read them through a cursor, which binds Values.
    if (sqlite3_column_count(stmt) != 0) return DriverConnection::run_many_written(sql, sets);
    const int expected = sqlite3_bind_parameter_count(stmt);
    auto wrong_count = [&](std::size_t given) {
      return ProgrammingError("the statement has " + std::to_string(expected) +
                                  " placeholder(s) but " + std::to_string(given) +
                                  " value(s) were given [SQL: " + sql + "]",
                              driver_info("wrong number of parameters", sql));
    };
    if (static_cast<std::size_t>(expected) != sets.width()) throw wrong_count(sets.width());
    const bool insert = is_insert(sql);
    return in_own_transaction([&](BatchOutcome& out) {
      if (insert) out.inserted_rowids.reserve(sets.size());
      step_sets(sql, stmt, insert, sets.size(), out, [&](std::size_t i) {
        Binder binder(db_, stmt, sql);
        sets.write(i, binder);
        if (binder.count() != expected) throw wrong_count(static_cast<std::size_t>(binder.count()));
      });
    });
  }

 private:
  static bool is_insert(const std::string& sql) {
    return sql.size() >= 6 && iequals(std::string_view(sql).substr(0, 6), "INSERT");
  }

  // Runs `body` (which fills the outcome) inside a transaction of its own when
  // none is open, so that a batch is all or nothing.
  template <class Body>
  BatchOutcome in_own_transaction(Body body) {
    const bool own_transaction = !in_transaction();
    if (own_transaction) begin();
    BatchOutcome out;
    try {
      body(out);
      if (own_transaction) commit();
    } catch (...) {
      if (own_transaction && in_transaction()) {
        try {
          rollback();
        } catch (...) {
        }
      }
      throw;
    }
    return out;
  }

  // Binds (bind(i)), steps and resets one prepared statement that returns no
  // rows, once per set.
  template <class Bind>
  void step_sets(const std::string& sql, sqlite3_stmt* stmt, bool insert, std::size_t n,
                 BatchOutcome& out, Bind bind) {
    struct Clear {
      sqlite3_stmt* stmt;
      ~Clear() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
      }
    } clear{stmt};
    for (std::size_t i = 0; i < n; ++i) {
      bind(i);
      const auto before = sqlite3_total_changes64(db_);
      const int rc = sqlite3_step(stmt);
      if (rc != SQLITE_DONE) {
        // Read the error before resetting, which may replace it.
        std::string message = sqlite3_errmsg(db_);
        int code = sqlite3_extended_errcode(db_);
        if ((code & 0xff) != (rc & 0xff)) code = rc;
        sqlite3_reset(stmt);
        throw_error(code, message, sql);
      }
      if (sqlite3_total_changes64(db_) != before) out.rows_affected += sqlite3_changes64(db_);
      if (insert) out.inserted_rowids.push_back(sqlite3_last_insert_rowid(db_));
      sqlite3_reset(stmt);
    }
  }

  void clear_cache() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    cache_.clear();
  }

  sqlite3* db_ = nullptr;
  std::string url_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
  std::unordered_map<std::string, bool> rowid_aliases_;
  int busy_timeout_ms_ = 0;
};

void SqliteCursor::start() {
  changes_before_ = sqlite3_total_changes64(conn_.db());
  columns_ = column_names(stmt_);
  booleans_ = boolean_columns(stmt_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    have_row_ = true;
    attach(&conn_);
  } else if (rc == SQLITE_DONE) {
    complete();
  } else {
    fail(rc);
  }
}

void SqliteCursor::fail(int rc) {
  // Read the error before resetting, which may replace it.
  std::string message = sqlite3_errmsg(conn_.db());
  int code = sqlite3_extended_errcode(conn_.db());
  if ((code & 0xff) != (rc & 0xff)) code = rc;
  release();
  throw_error(code, message, sql_);
}

bool SqliteCursor::fetch(Row& row) {
  if (!have_row_) {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_DONE) {
      complete();
      return false;
    }
    if (rc != SQLITE_ROW) fail(rc);
  }
  have_row_ = false;
  read_row(stmt_, booleans_, row);
  return true;
}

void SqliteCursor::complete() {
  // sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE, so it is
  // only this statement's when this statement changed something.
  affected_ =
      sqlite3_total_changes64(conn_.db()) != changes_before_ ? sqlite3_changes64(conn_.db()) : 0;
  release();
}

void SqliteCursor::release() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  have_row_ = false;
}

}  // namespace

std::unique_ptr<DriverConnection> connect_sqlite(const Url& url, const SqliteSettings& settings) {
  if (url.backend() != Backend::sqlite)
    throw InvalidRequest("connect_sqlite() was given a " + std::string(url.backend_name()) +
                         " URL");
  return std::make_unique<SqliteConnection>(url, settings);
}

}  // namespace relate
