// The PostgreSQL driver, on libpq.
//
// Statements go through the extended protocol with bound parameters: each SQL
// text (with the types of its parameters) is prepared once per connection and
// then executed by name. Rows are read in single-row mode so a large SELECT is
// streamed rather than held in memory. execute_many sends every parameter set
// in one pipeline with one sync, which costs one round trip and makes the batch
// a single implicit transaction.

#include <libpq-fe.h>

#include "relate/core/warning.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <unordered_map>

#include "relate/core/error.hpp"
#include "relate/engine/driver.hpp"

namespace relate {

namespace {

constexpr std::size_t statement_cache_limit = 256;

// Type OIDs from pg_type.
constexpr Oid oid_bool = 16, oid_bytea = 17, oid_int8 = 20, oid_int2 = 21, oid_int4 = 23,
              oid_text = 25, oid_oid = 26, oid_float4 = 700, oid_float8 = 701, oid_numeric = 1700;

enum class ColumnKind : std::uint8_t { integer, real, boolean, blob, text };

ColumnKind column_kind(Oid type) {
  switch (type) {
    case oid_int2:
    case oid_int4:
    case oid_int8:
    case oid_oid: return ColumnKind::integer;
    case oid_float4:
    case oid_float8:
    case oid_numeric: return ColumnKind::real;
    case oid_bool: return ColumnKind::boolean;
    case oid_bytea: return ColumnKind::blob;
    default: return ColumnKind::text;
  }
}

DatabaseErrorInfo driver_info(std::string message, std::string sqlstate) {
  DatabaseErrorInfo info;
  info.sqlstate = std::move(sqlstate);
  info.driver_message = std::move(message);
  return info;
}

std::string scrub(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3))
      text.replace(pos, secret.size(), "***");
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string field(const PGresult* result, int code) {
  const char* p = result != nullptr ? PQresultErrorField(result, code) : nullptr;
  return p != nullptr ? std::string(p) : std::string();
}

// UNIQUE violations name the columns only in the detail: "Key (a, b)=(1, 2) already exists."
std::string key_columns(const std::string& detail) {
  constexpr std::string_view key = "Key (";
  if (detail.rfind(key, 0) != 0) return {};
  auto end = detail.find(")=", key.size());
  return end == std::string::npos ? std::string() : detail.substr(key.size(), end - key.size());
}

[[noreturn]] void throw_error(const PGresult* result, PGconn* conn, const std::string& sql) {
  DatabaseErrorInfo info;
  info.sqlstate = field(result, PG_DIAG_SQLSTATE);
  info.constraint = field(result, PG_DIAG_CONSTRAINT_NAME);
  info.table = field(result, PG_DIAG_TABLE_NAME);
  info.column = field(result, PG_DIAG_COLUMN_NAME);
  std::string detail = field(result, PG_DIAG_MESSAGE_DETAIL);
  if (info.column.empty()) info.column = key_columns(detail);
  info.driver_message = field(result, PG_DIAG_MESSAGE_PRIMARY);
  if (info.driver_message.empty()) {
    const char* m = result != nullptr ? PQresultErrorMessage(result) : "";
    if (m == nullptr || *m == '\0') m = PQerrorMessage(conn);
    info.driver_message = scrub(m, {});
  }
  info.sql = sql;
  std::string text = info.driver_message;
  if (!detail.empty()) text += " (" + detail + ")";
  if (!info.sqlstate.empty()) text += " (SQLSTATE " + info.sqlstate + ")";
  if (!sql.empty()) text += " [SQL: " + sql + "]";
  const std::string cls = info.sqlstate.substr(0, 2);
  if (cls == "23") throw IntegrityError(text, std::move(info));
  if (cls == "22") throw DataError(text, std::move(info));
  if (cls == "42") throw ProgrammingError(text, std::move(info));
  // 55: a lock not granted within lock_timeout (55P03), an object in use.
  if (cls == "08" || cls == "53" || cls == "55" || cls == "57" || cls == "40" ||
      info.sqlstate.empty())
    throw OperationalError(text, std::move(info));
  throw DatabaseError(text, std::move(info));
}

struct Result {
  PGresult* r = nullptr;
  Result() = default;
  explicit Result(PGresult* p) : r(p) {}
  Result(Result&& o) noexcept : r(o.r) { o.r = nullptr; }
  Result& operator=(Result&& o) noexcept {
    std::swap(r, o.r);
    return *this;
  }
  ~Result() { PQclear(r); }
  ExecStatusType status() const { return PQresultStatus(r); }
};

// Parameters in libpq's arrays. Text goes as type 0 (unknown) so the server
// infers it from context: a DATE column accepts '2020-01-01'.
struct Encoded {
  std::vector<Oid> types;
  std::vector<std::string> text;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  std::string signature;

  explicit Encoded(std::span<const Value> params) {
    const std::size_t n = params.size();
    types.resize(n);
    text.resize(n);
    values.resize(n);
    lengths.resize(n);
    formats.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Value& v = params[i];
      switch (v.kind()) {
        case ValueKind::null: break;
        case ValueKind::integer:
          types[i] = oid_int8;
          text[i] = std::to_string(v.as_integer());
          break;
        case ValueKind::real: {
          types[i] = oid_float8;
          const double d = v.as_real();
          if (std::isnan(d)) {
            text[i] = "NaN";
          } else if (std::isinf(d)) {
            text[i] = d > 0 ? "Infinity" : "-Infinity";
          } else {
            char buf[32];
            auto res = std::to_chars(buf, buf + sizeof buf, d);
            text[i].assign(buf, res.ptr);
          }
          break;
        }
        case ValueKind::boolean:
          types[i] = oid_bool;
          text[i] = v.as_boolean() ? "t" : "f";
          break;
        case ValueKind::text:
          text[i] = v.as_text();
          // Text format ends at the first NUL; binary text lets the server see,
          // and reject, the whole string.
          if (text[i].find('\0') != std::string::npos) {
            types[i] = oid_text;
            formats[i] = 1;
          }
          break;
        case ValueKind::blob: {
          types[i] = oid_bytea;
          formats[i] = 1;
          const Blob& b = v.as_blob();
          text[i].assign(reinterpret_cast<const char*>(b.data()), b.size());
          break;
        }
      }
      values[i] = v.is_null() ? nullptr : text[i].c_str();
      lengths[i] = static_cast<int>(text[i].size());
      signature += std::to_string(types[i]);
      signature += formats[i] == 1 ? 'b' : ',';
    }
  }
};

class PgConnection;

class PgCursor final : public DriverCursor {
 public:
  // A buffered cursor reads every row in one result (no single-row mode).
  PgCursor(PgConnection& conn, std::string sql, bool buffered)
      : conn_(conn), sql_(std::move(sql)), buffered_(buffered) {}
  ~PgCursor() override;

  // Reads the first result: columns, or the outcome of a statement without rows.
  void start();

 protected:
  bool fetch(Row& row) override;
  void discard() override;

 private:
  void describe(const PGresult* r);
  void convert(const PGresult* r, int tuple, Row& row) const;
  void finish(const PGresult* r);

  PgConnection& conn_;
  std::string sql_;
  // Single-row mode: the row read ahead by start(). Buffered: every row, and
  // the next one to hand out.
  Result pending_;
  bool buffered_ = false;
  int next_tuple_ = 0;
  std::vector<ColumnKind> kinds_;
};

class PgConnection final : public DriverConnection {
 public:
  explicit PgConnection(const Url& url) : secrets_(url.secrets()) {
    std::vector<std::pair<std::string, std::string>> options;
    options.emplace_back("client_encoding", "UTF8");
    if (!url.host().empty()) options.emplace_back("host", url.host());
    if (url.port()) options.emplace_back("port", std::to_string(*url.port()));
    if (!url.database().empty()) options.emplace_back("dbname", url.database());
    if (!url.user().empty()) options.emplace_back("user", url.user());
    if (!url.password().empty()) options.emplace_back("password", url.password());
    for (const auto& kv : url.query()) options.push_back(kv);
    std::vector<const char*> keys, values;
    for (const auto& [k, v] : options) {
      keys.push_back(k.c_str());
      values.push_back(v.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keys.data(), values.data(), 0);
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
      std::string message =
          conn_ != nullptr ? scrub(PQerrorMessage(conn_), secrets_) : "out of memory";
      PQfinish(conn_);
      conn_ = nullptr;
      throw OperationalError("could not connect to PostgreSQL at " + url.masked() + ": " + message,
                             driver_info(message, "08001"));
    }
    // Server NOTICEs ("table does not exist, skipping") are routine: dropped. Its
    // WARNINGs go to relate's warning channel instead of libpq's stderr print.
    PQsetNoticeReceiver(
        conn_,
        [](void*, const PGresult* r) {
          const char* severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
          if (severity == nullptr || std::string_view(severity) != "WARNING") return;
          const char* text = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
          try {  // never unwind through libpq
            warn("postgresql-warning", text ? text : "");
          } catch (...) {
          }
        },
        nullptr);
  }

  ~PgConnection() override {
    try {
      close_cursor();
    } catch (...) {
    }
    PQfinish(conn_);
  }

  const Dialect& dialect() const noexcept override { return postgresql_dialect(); }

  bool in_transaction() const override {
    const auto s = PQtransactionStatus(conn_);
    return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
  }
  bool transaction_failed() const override { return PQtransactionStatus(conn_) == PQTRANS_INERROR; }
  bool healthy() const override { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }

  PGconn* raw() const noexcept { return conn_; }

  // Every result of the statement in flight, or null at its end.
  Result next_result() { return Result(PQgetResult(conn_)); }

  void drain() {
    while (PGresult* r = PQgetResult(conn_)) PQclear(r);
  }

  [[noreturn]] void fail(const PGresult* r, const std::string& sql) {
    if (PQstatus(conn_) != CONNECTION_OK) broken_ = true;
    throw_error(r, conn_, sql);
  }

 protected:
  std::unique_ptr<DriverCursor> run(const std::string& sql,
                                    std::span<const Value> params) override {
    return send(sql, params, false);
  }
  // Every row comes in one PGresult: a PGresult per row (single-row mode) costs
  // more than converting the row.
  std::unique_ptr<DriverCursor> run_buffered(const std::string& sql,
                                             std::span<const Value> params) override {
    return send(sql, params, true);
  }

  std::unique_ptr<DriverCursor> send(const std::string& sql, std::span<const Value> params,
                                     bool buffered) {
    Encoded enc(params);
    for (bool retried = false;; retried = true) {
      bool fresh = false;
      const std::string name = prepare(sql, enc, &fresh);
      if (PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(params.size()),
                              enc.values.data(), enc.lengths.data(), enc.formats.data(), 0) == 0)
        fail(nullptr, sql);
      if (!buffered) PQsetSingleRowMode(conn_);
      auto cursor = std::make_unique<PgCursor>(*this, sql, buffered);
      try {
        cursor->start();
        return cursor;
      } catch (const DatabaseError& e) {
        // A statement prepared before another connection changed the schema
        // (or deallocated by someone else) is prepared again; outside a
        // transaction nothing was lost, so it is retried once.
        if (fresh || retried || !stale(e)) throw;
        forget(enc.signature + '\n' + sql);
        if (in_transaction()) throw;
      }
    }
  }

  BatchOutcome run_many(const std::string& sql, std::span<const std::vector<Value>> sets) override {
    std::vector<Encoded> encoded;
    std::vector<std::string> names;
    encoded.reserve(sets.size());
    for (const auto& set : sets) {
      encoded.emplace_back(set);
      names.push_back(prepare(sql, encoded.back(), nullptr));
    }
    if (PQenterPipelineMode(conn_) == 0) fail(nullptr, sql);
    for (std::size_t i = 0; i < sets.size(); ++i) {
      const Encoded& enc = encoded[i];
      if (PQsendQueryPrepared(conn_, names[i].c_str(), static_cast<int>(enc.values.size()),
                              enc.values.data(), enc.lengths.data(), enc.formats.data(), 0) == 0) {
        broken_ = true;
        fail(nullptr, sql);
      }
    }
    if (PQpipelineSync(conn_) == 0) {
      broken_ = true;
      fail(nullptr, sql);
    }

    BatchOutcome out;
    Result error;
    std::size_t nulls = 0;
    for (;;) {
      Result r = next_result();
      if (r.r == nullptr) {
        // Each query's results end with a null; past them all, only a broken
        // connection keeps returning null.
        if (++nulls > sets.size() + 1 || PQstatus(conn_) != CONNECTION_OK) {
          broken_ = true;
          break;
        }
        continue;
      }
      const auto status = r.status();
      if (status == PGRES_PIPELINE_SYNC) break;
      if (status == PGRES_SINGLE_TUPLE) {
        // libpq 15 can carry single-row mode over from the previous statement
        // into the first query of a pipeline.
        if (!out.columns) out.columns = column_names(r.r);
        append_rows(r.r, out.rows);
      } else if (status == PGRES_TUPLES_OK) {
        if (!out.columns) out.columns = column_names(r.r);
        append_rows(r.r, out.rows);
        out.rows_affected += affected(r.r);
      } else if (status == PGRES_COMMAND_OK) {
        out.rows_affected += affected(r.r);
      } else if (status == PGRES_FATAL_ERROR && error.r == nullptr) {
        error = std::move(r);
      }
    }
    if (!broken_) PQexitPipelineMode(conn_);
    if (error.r != nullptr) fail(error.r, sql);
    if (broken_) fail(nullptr, sql);
    return out;
  }

 public:
  static ColumnNames column_names(const PGresult* r) {
    auto names = std::make_shared<std::vector<std::string>>();
    for (int i = 0; i < PQnfields(r); ++i) names->emplace_back(PQfname(r, i));
    return names;
  }

  static std::int64_t affected(const PGresult* r) {
    const std::string_view status = PQcmdStatus(const_cast<PGresult*>(r));
    if (status.rfind("SELECT", 0) == 0) return 0;
    const char* tuples = PQcmdTuples(const_cast<PGresult*>(r));
    std::int64_t n = 0;
    std::from_chars(tuples, tuples + std::char_traits<char>::length(tuples), n);
    return n;
  }

  static void append_rows(const PGresult* r, std::vector<Row>& rows);

 private:
  // The name of the prepared statement for this SQL and parameter types,
  // preparing it on first use.
  const std::string& prepare(const std::string& sql, const Encoded& enc, bool* fresh) {
    std::string key = enc.signature + '\n' + sql;
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    if (cache_.size() >= statement_cache_limit) forget(order_.front());
    std::string name = "relate_" + std::to_string(++counter_);
    Result r(PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(enc.types.size()),
                       enc.types.data()));
    if (r.status() != PGRES_COMMAND_OK) fail(r.r, sql);
    if (fresh != nullptr) *fresh = true;
    order_.push_back(key);
    return cache_.emplace(std::move(key), std::move(name)).first->second;
  }

  static bool stale(const DatabaseError& e) {
    return e.sqlstate() == "26000" ||
           (e.sqlstate() == "0A000" &&
            e.info().driver_message.find("cached plan") != std::string::npos);
  }

  // Drops one prepared statement. In a failed transaction the DEALLOCATE fails
  // too, and the statement lives on, unused, until the connection closes.
  void forget(const std::string& key) {
    auto it = cache_.find(key);
    if (it == cache_.end()) return;
    const std::string sql = dialect().deallocate_sql(it->second);
    cache_.erase(it);
    std::erase(order_, key);
    Result r(PQexec(conn_, sql.c_str()));
    if (PQstatus(conn_) != CONNECTION_OK) broken_ = true;
  }

 public:
  // After DDL on this connection, plans of cached statements may be wrong
  // ("cached plan must not change result type"), so all are dropped.
  void forget_all() {
    if (cache_.empty()) return;
    cache_.clear();
    order_.clear();
    Result r(PQexec(conn_, dialect().deallocate_sql("").c_str()));
    if (PQstatus(conn_) != CONNECTION_OK) broken_ = true;
  }

 private:
  PGconn* conn_ = nullptr;
  std::vector<std::string> secrets_;
  std::unordered_map<std::string, std::string> cache_;
  std::deque<std::string> order_;
  unsigned long counter_ = 0;
  bool broken_ = false;
};

void convert_value(const PGresult* r, int tuple, int column, ColumnKind kind, Row& row) {
  if (PQgetisnull(r, tuple, column)) {
    row.emplace_back();
    return;
  }
  const char* p = PQgetvalue(r, tuple, column);
  const auto size = static_cast<std::size_t>(PQgetlength(r, tuple, column));
  switch (kind) {
    case ColumnKind::integer: {
      std::int64_t x = 0;
      auto res = std::from_chars(p, p + size, x);
      if (res.ec != std::errc())
        throw ConversionError("PostgreSQL returned '" + std::string(p, size) +
                              "' for an integer column");
      row.emplace_back(x);
      return;
    }
    case ColumnKind::real: {
      double d = 0;
      auto res = std::from_chars(p, p + size, d);
      if (res.ec == std::errc::result_out_of_range) {
        d = p[0] == '-' ? -HUGE_VAL : HUGE_VAL;
      } else if (res.ec != std::errc()) {
        throw ConversionError("PostgreSQL returned '" + std::string(p, size) +
                              "' for a numeric column");
      }
      row.emplace_back(d);
      return;
    }
    case ColumnKind::boolean: row.emplace_back(p[0] == 't'); return;
    case ColumnKind::blob: {
      std::size_t length = 0;
      unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(p), &length);
      if (bytes == nullptr) throw ConversionError("could not decode a bytea value");
      const auto* b = reinterpret_cast<const std::byte*>(bytes);
      row.emplace_back(Blob(b, b + length));
      PQfreemem(bytes);
      return;
    }
    case ColumnKind::text: row.emplace_back(std::string(p, size)); return;
  }
}

void PgConnection::append_rows(const PGresult* r, std::vector<Row>& rows) {
  const int columns = PQnfields(r);
  std::vector<ColumnKind> kinds;
  for (int c = 0; c < columns; ++c) kinds.push_back(column_kind(PQftype(r, c)));
  for (int t = 0; t < PQntuples(r); ++t) {
    Row row;
    row.reserve(kinds.size());
    for (int c = 0; c < columns; ++c)
      convert_value(r, t, c, kinds[static_cast<std::size_t>(c)], row);
    rows.push_back(std::move(row));
  }
}

PgCursor::~PgCursor() {
  if (!live()) return;
  try {
    discard();
  } catch (...) {
  }
}

void PgCursor::describe(const PGresult* r) {
  columns_ = PgConnection::column_names(r);
  for (int c = 0; c < PQnfields(r); ++c) kinds_.push_back(column_kind(PQftype(r, c)));
}

void PgCursor::finish(const PGresult* r) {
  affected_ = PgConnection::affected(r);
  const std::string_view command = PQcmdStatus(const_cast<PGresult*>(r));
  const bool ddl =
      command.starts_with("CREATE") || command.starts_with("ALTER") || command.starts_with("DROP");
  conn_.drain();
  if (ddl) conn_.forget_all();
}

void PgCursor::start() {
  Result r = conn_.next_result();
  if (r.r == nullptr) conn_.fail(nullptr, sql_);
  switch (r.status()) {
    case PGRES_SINGLE_TUPLE:
      describe(r.r);
      pending_ = std::move(r);
      attach(&conn_);
      return;
    case PGRES_TUPLES_OK:
      describe(r.r);
      if (buffered_ && PQntuples(r.r) > 0) {
        // The rows stay in the result; the connection is done with the statement.
        finish(r.r);
        pending_ = std::move(r);
        attach(&conn_);
        return;
      }
      finish(r.r);
      return;
    case PGRES_COMMAND_OK:
    case PGRES_EMPTY_QUERY: finish(r.r); return;
    default: conn_.drain(); conn_.fail(r.r, sql_);
  }
}

bool PgCursor::fetch(Row& row) {
  if (buffered_) {
    if (pending_.r == nullptr || next_tuple_ >= PQntuples(pending_.r)) {
      pending_ = Result();
      return false;
    }
    row.clear();
    row.reserve(kinds_.size());
    for (std::size_t c = 0; c < kinds_.size(); ++c)
      convert_value(pending_.r, next_tuple_, static_cast<int>(c), kinds_[c], row);
    ++next_tuple_;
    return true;
  }
  Result r = pending_.r != nullptr ? std::move(pending_) : conn_.next_result();
  if (r.r == nullptr) conn_.fail(nullptr, sql_);
  switch (r.status()) {
    case PGRES_SINGLE_TUPLE:
      row.clear();
      row.reserve(kinds_.size());
      for (std::size_t c = 0; c < kinds_.size(); ++c)
        convert_value(r.r, 0, static_cast<int>(c), kinds_[c], row);
      return true;
    case PGRES_TUPLES_OK: finish(r.r); return false;
    default: conn_.drain(); conn_.fail(r.r, sql_);
  }
}

void PgCursor::discard() {
  pending_ = Result();
  if (buffered_) return;  // the statement already ended
  // Cancelling would be quicker, but it aborts an enclosing transaction and
  // would undo an INSERT ... RETURNING that is still sending rows.
  conn_.drain();
}

}  // namespace

std::unique_ptr<DriverConnection> connect_postgresql(const Url& url) {
  if (url.backend() != Backend::postgresql)
    throw InvalidRequest("connect_postgresql() was given a " + std::string(url.backend_name()) +
                         " URL");
  return std::make_unique<PgConnection>(url);
}

}  // namespace relate
