#pragma once
/// @file
/// A Dialect turns statements into SQL text for one database. It is the only
/// place in relate that writes SQL text.

#include <string>
#include <string_view>
#include <vector>

#include "relate/core/compiled.hpp"

namespace relate {

class Executable;  // statement.hpp

/// How one database spells SQL: identifier quoting, placeholders, and the
/// compiler for every statement. sqlite_dialect() and postgresql_dialect() are
/// the two there are.
class Dialect {
 public:
  virtual ~Dialect() = default;

  /// "sqlite" or "postgresql".
  virtual std::string_view name() const noexcept = 0;

  /// The identifier as it must appear in SQL: quoted when it is a reserved word,
  /// is not all lower case, or holds characters other than [a-z0-9_].
  virtual std::string quote_identifier(std::string_view identifier) const;

  /// The text of the n-th placeholder (1-based): "?" for SQLite, "$n" for PostgreSQL.
  virtual std::string placeholder(std::size_t n) const = 0;

  /// Compiles any statement (select, insert, update, delete, DDL, text).
  CompiledStatement compile(const Executable& statement) const;

  /// Transaction control, so that engine/ never writes SQL itself.
  virtual std::string begin_sql() const { return "BEGIN"; }
  virtual std::string commit_sql() const { return "COMMIT"; }
  virtual std::string rollback_sql() const { return "ROLLBACK"; }
  std::string savepoint_sql(std::string_view name) const;
  std::string release_savepoint_sql(std::string_view name) const;
  std::string rollback_to_savepoint_sql(std::string_view name) const;

  // ---- Connection housekeeping for engine/ drivers. ----
  struct ConnectionSetup {
    bool foreign_keys = true;      ///< enforce FOREIGN KEY constraints (SQLite leaves them off)
    bool write_ahead_log = false;  ///< WAL journal, for SQLite file databases
  };
  /// Statements a driver runs once on every new connection (SQLite PRAGMAs).
  virtual std::vector<std::string> connection_setup_sql(const ConnectionSetup& setup) const;
  /// Frees a server-side prepared statement a driver created under `name` (all
  /// of them for an empty name); empty when the database keeps none.
  virtual std::string deallocate_sql(std::string_view name) const;
};

const Dialect& sqlite_dialect();
const Dialect& postgresql_dialect();

}  // namespace relate
