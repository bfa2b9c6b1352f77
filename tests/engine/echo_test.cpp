// The statement log, captured through a sink.

#include <gtest/gtest.h>

#include "relate/relate.hpp"
#include "support/backend.hpp"
#include "support/sql.hpp"

using namespace relate;
using relate::testing::exec;
using relate::testing::raw;

namespace {

class Echoing : public relate::testing::BackendTest {};

TEST_P(Echoing, StatementsParamsAndTransactionControl) {
  relate::testing::TestDatabase db(backend());
  std::vector<std::string> lines;
  auto engine = create_engine(
      db.url(), {.echo = true, .echo_sink = [&](std::string_view l) { lines.emplace_back(l); }});
  auto conn = engine.connect();
  const auto& d = conn.dialect();
  const std::string p1 = d.placeholder(1), p2 = d.placeholder(2);

  exec(conn, "CREATE TABLE t (a INTEGER, b TEXT)");
  {
    auto tx = conn.begin();
    exec(conn, "INSERT INTO t (a, b) VALUES ({}, {})", {1, "x"});
    {
      auto sp = conn.begin_nested();
      exec(conn, "INSERT INTO t (a, b) VALUES ({}, {})", {2, Value()});
      sp.rollback();
    }
    {
      auto sp = conn.begin_nested();
      sp.release();
    }
    tx.commit();
  }
  { auto tx = conn.begin(); }
  std::vector<std::vector<Value>> sets{{1, "a"}, {2, "it's"}, {3, "c"}, {4, "d"}};
  (void)conn.execute_many(raw(d, "INSERT INTO t (a, b) VALUES ({a}, {b})"), sets);

  const std::string insert = "INSERT INTO t (a, b) VALUES (" + p1 + ", " + p2 + ")";
  const std::vector<std::string> expected{
      "relate.engine: CREATE TABLE t (a INTEGER, b TEXT)",
      "relate.engine: [no params]",
      "relate.engine: BEGIN",
      "relate.engine: " + insert,
      "relate.engine: [params: 1, 'x']",
      "relate.engine: SAVEPOINT sp_1",
      "relate.engine: " + insert,
      "relate.engine: [params: 2, NULL]",
      "relate.engine: ROLLBACK TO SAVEPOINT sp_1",
      "relate.engine: SAVEPOINT sp_2",
      "relate.engine: RELEASE SAVEPOINT sp_2",
      "relate.engine: COMMIT",
      "relate.engine: BEGIN",
      "relate.engine: ROLLBACK",
      "relate.engine: " + insert,
      "relate.engine: [params: 4 sets: (1, 'a'), (2, 'it''s'), (3, 'c'), ...]",
  };
  EXPECT_EQ(lines, expected);
}

TEST(Echo, OffByDefaultAndNeverShowsThePassword) {
  std::vector<std::string> lines;
  {
    auto engine = create_engine("sqlite://",
                                {.echo_sink = [&](std::string_view l) { lines.emplace_back(l); }});
    auto conn = engine.connect();
    exec(conn, "SELECT 1");
  }
  EXPECT_TRUE(lines.empty());
}

TEST(Echo, FormatsValues) {
  EXPECT_EQ(format_params(std::vector<Value>{Value(1), Value(2.5), Value("o'k"), Value(true),
                                             Value(), Value(Blob(3))}),
            "1, 2.5, 'o''k', true, NULL, <blob 3 bytes>");
}

RELATE_INSTANTIATE_BACKENDS(Echoing);

}  // namespace
