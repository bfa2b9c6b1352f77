#include "relate/engine/ddl.hpp"

#include "relate/core/statement.hpp"
#include "relate/engine/connection.hpp"
#include "relate/engine/transaction.hpp"

namespace relate {

namespace {
void run_all(const Engine& engine, const std::vector<CompiledStatement>& statements) {
  auto conn = engine.connect();
  auto tx = conn.begin();
  for (const auto& stmt : statements) conn.execute(stmt);
  tx.commit();
}
}  // namespace

void create_all(const Engine& engine, const MetaData& metadata, bool checkfirst) {
  run_all(engine, ddl::create_all(metadata, engine.dialect(), checkfirst));
}

void drop_all(const Engine& engine, const MetaData& metadata) {
  run_all(engine, ddl::drop_all(metadata, engine.dialect()));
}

}  // namespace relate
