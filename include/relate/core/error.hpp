#pragma once
/// @file
/// One exception hierarchy for every layer. Database errors keep what the driver
/// reported (SQLSTATE, SQLite extended code, constraint, table, column) so callers
/// can react without parsing messages.

#include <optional>
#include <stdexcept>
#include <string>

namespace relate {

/// The base of everything relate throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A wrong mapping, schema or option, found before any work is done.
class ConfigurationError : public Error {
 public:
  using Error::Error;
};

/// The API was used in a way the current state does not allow.
class InvalidRequest : public Error {
 public:
  using Error::Error;
};

/// A value could not be converted between C++ and SQL (out of range, wrong kind,
/// NULL where the C++ type cannot hold it, malformed date text).
class ConversionError : public Error {
 public:
  using Error::Error;
};

/// A URL could not be parsed or names an unknown backend.
class UrlError : public Error {
 public:
  using Error::Error;
};

/// The connection pool had no free connection within its timeout.
class PoolTimeout : public Error {
 public:
  using Error::Error;
};

/// What the database driver reported about a failed statement.
struct DatabaseErrorInfo {
  std::string sqlstate;            ///< PostgreSQL SQLSTATE, e.g. "23505"; empty for SQLite
  std::optional<int> sqlite_code;  ///< SQLite extended result code, e.g. 2067
  std::string constraint;          ///< constraint name where reported
  std::string table;               ///< table where reported
  std::string column;              ///< column where reported
  std::string driver_message;      ///< the driver's own text
  std::string sql;                 ///< the statement that failed, without parameter values
};

/// The database refused a statement. Carries what the driver reported (info()).
class DatabaseError : public Error {
 public:
  DatabaseError(const std::string& message, DatabaseErrorInfo info)
      : Error(message), info_(std::move(info)) {}
  const DatabaseErrorInfo& info() const noexcept { return info_; }
  const std::string& sqlstate() const noexcept { return info_.sqlstate; }
  std::optional<int> sqlite_code() const noexcept { return info_.sqlite_code; }
  const std::string& constraint() const noexcept { return info_.constraint; }
  const std::string& table() const noexcept { return info_.table; }
  const std::string& column() const noexcept { return info_.column; }

 private:
  DatabaseErrorInfo info_;
};

/// NOT NULL, UNIQUE, FOREIGN KEY and CHECK violations.
class IntegrityError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};

/// Connection failures, locks, timeouts, server shutdowns: not the statement's fault.
class OperationalError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};

/// Bad SQL, unknown table or column, wrong number of parameters.
class ProgrammingError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};

/// The database rejected a value (numeric overflow, invalid date text).
class DataError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};

/// ORM errors (raised by orm/, declared here so the hierarchy is in one place).
class StaleDataError : public Error {
 public:
  using Error::Error;
};
/// Rows refer to each other and no order of INSERTs can satisfy both; set
/// post_update on one of the relationships.
class CircularDependencyError : public Error {
 public:
  using Error::Error;
};
/// A flush cannot be expressed: an object it needs is not in the Session, or a
/// foreign key that is part of a primary key would have to be set to NULL.
class FlushError : public Error {
 public:
  using Error::Error;
};
/// A delete refused by a relationship's restrict policy, before any data changed.
class RestrictError : public Error {
 public:
  using Error::Error;
};
/// A value must be loaded, and the object has no Session to load it.
class DetachedInstanceError : public InvalidRequest {
 public:
  using InvalidRequest::InvalidRequest;
};
/// An expired object was loaded and its row no longer exists.
class ObjectDeletedError : public InvalidRequest {
 public:
  using InvalidRequest::InvalidRequest;
};
/// Query::one() (or Result::one()) found no row.
class NoResultFound : public InvalidRequest {
 public:
  using InvalidRequest::InvalidRequest;
};
/// one() or one_or_none() found more than one row.
class MultipleResultsFound : public InvalidRequest {
 public:
  using InvalidRequest::InvalidRequest;
};

}  // namespace relate
