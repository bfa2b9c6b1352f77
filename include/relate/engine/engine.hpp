#pragma once
/// @file
/// The Engine is the starting point: a URL, a dialect, a connection pool and the
/// statement log. It is a cheap handle; copies share the same pool.
///
/// @code
///   auto engine = relate::create_engine("postgresql://app@db/shop", {.pool_size = 10});
///   auto conn = engine.connect();
/// @endcode
///
/// In-memory SQLite (`sqlite://`) is one database for the whole engine: the pool
/// holds exactly one connection, whatever pool_size says, so a second Connection
/// waits until the first is given back (and a thread that asks while holding it
/// gets a PoolTimeout at once rather than waiting for itself). The database
/// lives as long as that connection: until the engine is disposed or destroyed.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "relate/core/dialect.hpp"
#include "relate/engine/connection.hpp"
#include "relate/engine/echo.hpp"
#include "relate/engine/pool.hpp"
#include "relate/engine/url.hpp"

namespace relate {

/// Options of create_engine().
struct EngineOptions {
  /// Log every statement with its parameters, and transaction control.
  bool echo = false;
  /// Where echo lines go; stderr when empty.
  EchoSink echo_sink = {};
  /// Most connections open at once.
  std::size_t pool_size = 5;
  /// How long connect() waits for a free connection before PoolTimeout.
  std::chrono::milliseconds pool_timeout{30'000};
  /// How long a SQLite statement waits for another connection's lock.
  std::chrono::milliseconds sqlite_busy_timeout{5'000};
  /// PRAGMA foreign_keys=ON on every SQLite connection.
  bool sqlite_foreign_keys = true;
  // For tests only: wraps every driver connection the pool opens, so a test can
  // see each statement and make one fail (tests/support/fault_injection.hpp).
  // Applications leave it empty.
  std::function<std::unique_ptr<DriverConnection>(std::unique_ptr<DriverConnection>)>
      wrap_connection = {};
};

namespace detail {
struct EngineState;
}

/// A database: URL, dialect, connection pool and statement log. Made by
/// create_engine(); copies share the pool.
class Engine {
 public:
  /// The SQL dialect of the database.
  const Dialect& dialect() const noexcept;
  /// SQLite or PostgreSQL.
  Backend backend() const noexcept;
  /// The URL with its password masked; the unmasked URL is never handed out.
  std::string url() const;
  /// The options the engine was created with.
  const EngineOptions& options() const noexcept;

  /// A Connection from the pool; PoolTimeout when none frees up in time,
  /// OperationalError when a new connection cannot be opened.
  Connection connect() const;

  /// The connection pool.
  Pool& pool() const noexcept;
  /// Closes idle connections (for sqlite://, that drops the database once the
  /// connection is idle).
  void dispose() const;

 private:
  friend Engine create_engine(std::string_view url, EngineOptions options);
  explicit Engine(std::shared_ptr<const detail::EngineState> state);
  std::shared_ptr<const detail::EngineState> state_;
};

/// Throws UrlError for a malformed URL or unknown backend. No connection is
/// opened until connect().
Engine create_engine(std::string_view url, EngineOptions options = {});

}  // namespace relate
