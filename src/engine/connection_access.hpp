#pragma once
// What the ORM asks of a Connection beyond its public API.

#include "relate/engine/connection.hpp"

namespace relate::detail {

struct ConnectionAccess {
  // Runs a statement whose rows the caller reads at once, before running anything
  // else (DriverConnection::execute_buffered): loading objects.
  static Result execute_buffered(Connection& c, const CompiledStatement& statement);
};

}  // namespace relate::detail
