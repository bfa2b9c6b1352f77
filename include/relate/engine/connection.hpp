#pragma once
/// @file
/// A Connection is one database connection checked out of the Engine's pool; it
/// goes back (reset) when the Connection, its Transaction guards and any Result
/// still streaming from it are gone. A Connection is used by one thread at a time.
///
/// Without an open Transaction every statement commits on its own (autocommit).

#include <concepts>
#include <cstdint>
#include <memory>
#include <ranges>
#include <span>
#include <vector>

#include "relate/core/compiled.hpp"
#include "relate/core/dialect.hpp"
#include "relate/engine/driver.hpp"
#include "relate/engine/result.hpp"
#include "relate/engine/transaction.hpp"

namespace relate {

class Executable;  // core/statement.hpp

template <class R>
concept PositionalValues =
    std::ranges::contiguous_range<R> && std::same_as<std::ranges::range_value_t<R>, Value>;
class Engine;

namespace detail {
class ConnectionState;
struct ConnectionAccess;
}  // namespace detail

/// One database connection from an Engine's pool; see the file description.
class Connection {
 public:
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  /// The SQL dialect of the database.
  const Dialect& dialect() const;

  /// Runs a compiled statement. Placeholders bound to keys take their values
  /// from `params` (by name) or `positional` (in the statement's key order).
  Result execute(const CompiledStatement& statement, const Params& params = {});
  /// Any contiguous range of Values: `std::span<const Value>`, `std::vector<Value>`,
  /// std::array. (A template, so that a braced list always means Params.)
  template <PositionalValues R>
  Result execute(const CompiledStatement& statement, const R& positional) {
    return execute_positional(statement, std::span<const Value>(positional));
  }

  /// Runs the statement once per parameter set (each positional, in key order),
  /// all or nothing. PostgreSQL sends every set in one pipeline (one round trip).
  /// The Result holds the total rows_affected() and, for a statement with
  /// RETURNING, every returned row in order.
  Result execute_many(const CompiledStatement& statement, std::span<const std::vector<Value>> sets);
  /// The same with sets written on demand: when every placeholder takes the
  /// value at its own position, the driver may bind them in place. (A
  /// template so that `execute_many(statement, {})` still means no sets.)
  template <std::derived_from<ParamSets> Sets>
  Result execute_many(const CompiledStatement& statement, const Sets& sets) {
    return execute_written(statement, sets);
  }

  /// The same for statements built with core/: compiled by dialect() first.
  Result execute(const Executable& statement, const Params& params = {});
  template <PositionalValues R>
  Result execute(const Executable& statement, const R& positional) {
    return execute_positional(statement, std::span<const Value>(positional));
  }
  Result execute_many(const Executable& statement, std::span<const std::vector<Value>> sets);

  /// Starts a transaction; InvalidRequest if one is already open here.
  [[nodiscard]] Transaction begin();
  /// Opens a savepoint inside the open transaction; InvalidRequest without one.
  [[nodiscard]] Savepoint begin_nested();
  /// Whether a transaction is open on this connection.
  bool in_transaction() const;

  /// Gives the connection back now (it also goes back at destruction).
  void close();
  bool closed() const noexcept { return state_ == nullptr; }

  /// The driver connection, for what the Connection API does not cover.
  DriverConnection& driver();

 private:
  friend class Engine;
  Result execute_written(const CompiledStatement& statement, const ParamSets& sets);
  friend struct detail::ConnectionAccess;
  explicit Connection(std::shared_ptr<detail::ConnectionState> state);
  detail::ConnectionState& state() const;
  Result run(const std::string& sql, std::vector<Value> values, bool buffered = false);
  Result execute_positional(const CompiledStatement& statement, std::span<const Value> positional);
  Result execute_positional(const Executable& statement, std::span<const Value> positional);

  std::shared_ptr<detail::ConnectionState> state_;
};

}  // namespace relate
