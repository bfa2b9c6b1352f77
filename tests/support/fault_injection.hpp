#pragma once
// Fault injection for reliability tests: a driver connection decorator that
// counts the statements an Engine runs and makes a chosen one fail.
//
// The database stays real. The failing statement is replaced, on the same
// connection and inside the same transaction, by a statement that the database
// itself rejects with the chosen error (a PL/pgSQL function raising the SQLSTATE
// on PostgreSQL, an SQL function returning the extended result code on SQLite),
// so the error comes up through the real driver with its real diagnostics, and
// the transaction is left as a failed statement leaves it (aborted on
// PostgreSQL, statement rolled back on SQLite). transaction_lost goes further:
// on PostgreSQL the backend is killed with pg_terminate_backend from a second
// connection and the real statement then runs against the dead connection; on
// SQLite the transaction is rolled back before the statement fails with an I/O
// error, which is what SQLite does itself after I/O errors.
//
// Injection points are counted from arm() or start_counting(): every statement
// is one point, and a batch (execute_many) is one point per parameter set, so a
// fault can land in the middle of a batch, after the earlier sets ran.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "relate/relate.hpp"

namespace relate::testing {

enum class FaultKind : std::uint8_t {
  integrity,         // unique violation: SQLSTATE 23505 / SQLITE_CONSTRAINT_UNIQUE (2067)
  operational,       // serialization failure: SQLSTATE 40001 / SQLITE_BUSY (5)
  data,              // numeric value out of range: SQLSTATE 22003 / SQLITE_TOOBIG (18)
  transaction_lost,  // backend killed (PostgreSQL) / transaction rolled back, SQLITE_IOERR
};

std::string to_string(FaultKind kind);

class FaultInjector {
 public:
  // `url` is the database the faulty Engine will use; what the probes need is
  // installed there now (the PostgreSQL function; the SQLite function is
  // registered for every SQLite connection opened from now on).
  explicit FaultInjector(std::string url);
  ~FaultInjector();
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  // The value for EngineOptions::wrap_connection.
  std::function<std::unique_ptr<DriverConnection>(std::unique_ptr<DriverConnection>)> wrapper()
      const;

  // Counts injection points from zero, with no fault armed.
  void start_counting();
  // Counts from zero; the point-th injection point (1-based) fails with `kind`.
  // The fault fires once.
  void arm(std::size_t point, FaultKind kind);
  void disarm();
  std::size_t points() const;
  // The SQL of each point counted so far (a batch's text once per set).
  const std::vector<std::string>& statements() const;
  bool fired() const;
  // Text that the message of the injected error contains.
  static std::string marker(std::size_t point);
  // The SQLSTATE (PostgreSQL) or extended result code (SQLite) that `kind` raises.
  static std::string sqlstate(FaultKind kind);
  static int sqlite_code(FaultKind kind);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace relate::testing
