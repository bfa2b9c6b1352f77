#pragma once
// What the ORM asks of a Connection and a Result beyond their public API.

#include "relate/engine/connection.hpp"
#include "relate/engine/result.hpp"

namespace relate::detail {

struct ConnectionAccess {
  // Runs a statement whose rows the caller reads at once, before running anything
  // else (DriverConnection::execute_buffered): loading objects.
  static Result execute_buffered(Connection& c, const CompiledStatement& statement);
};

struct ResultAccess {
  // The next row into `row`, reusing its storage; false at the end.
  static bool next(Result& result, ResultRow& row) { return result.next_into(row); }
  // The row's values, which the reader may take apart (strings moved out).
  static Row& values(ResultRow& row) noexcept { return row.values_; }
};

}  // namespace relate::detail
