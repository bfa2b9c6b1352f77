// Execution of core/ statements: compile with the connection's dialect, then run
// the compiled statement. Kept apart so the rest of the engine does not depend
// on the compiler.

#include "relate/engine/connection.hpp"

namespace relate {

Result Connection::execute(const Executable& statement, const Params& params) {
  return execute(dialect().compile(statement), params);
}

Result Connection::execute_positional(const Executable& statement,
                                      std::span<const Value> positional) {
  return execute_positional(dialect().compile(statement), positional);
}

Result Connection::execute_many(const Executable& statement,
                                std::span<const std::vector<Value>> sets) {
  return execute_many(dialect().compile(statement), sets);
}

}  // namespace relate
