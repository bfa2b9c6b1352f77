// The statement log, captured through a sink.

#include <gtest/gtest.h>

#include <chrono>

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

TEST(Echo, OffByDefault) {
  std::vector<std::string> lines;
  {
    auto engine = create_engine("sqlite://",
                                {.echo_sink = [&](std::string_view l) { lines.emplace_back(l); }});
    auto conn = engine.connect();
    exec(conn, "SELECT 1");
  }
  EXPECT_TRUE(lines.empty());
}

// A password in the URL (user info or a password= parameter) reaches no echo
// line and no exception message: not through statements that work or fail,
// connections that are refused or fail to log in, or the pool's timeout. The
// throwaway server trusts every login, so the password is ignored there and
// the engine works normally.
TEST(Echo, PasswordReachesNoLogLineAndNoErrorMessage) {
  const std::string secret = "Sw0rdf1sh-9b7e";
  const auto server = Url::parse(relate::testing::postgres_server_url());
  std::string params;
  for (const auto& [key, value] : server.query())
    if (key != "user" && key != "password") params += "&" + key + "=" + value;
  const std::string user = server.query_value("user").value_or("postgres");
  std::vector<std::string> lines, messages;
  EngineOptions options{.echo = true,
                        .echo_sink = [&](std::string_view l) { lines.emplace_back(l); },
                        .pool_size = 1,
                        .pool_timeout = std::chrono::milliseconds(50)};
  auto attempt = [&](auto&& f) {
    try {
      f();
      return true;
    } catch (const DatabaseError& e) {
      messages.emplace_back(e.what());
      messages.push_back(e.info().driver_message);
    } catch (const Error& e) {
      messages.emplace_back(e.what());
    }
    return false;
  };

  auto engine = create_engine("postgresql://" + user + ":" + secret + "@/" + server.database() +
                                  "?connect_timeout=5" + params,
                              options);
  {
    auto conn = engine.connect();
    EXPECT_TRUE(attempt([&] { exec(conn, "SELECT 1"); }));
    EXPECT_FALSE(attempt([&] { exec(conn, "SELECT * FROM no_such_table_x"); }));
    EXPECT_FALSE(attempt([&] { exec(conn, "SELECT {}::integer", {"not a number"}); }));
    {
      auto tx = conn.begin();
      EXPECT_FALSE(attempt([&] { exec(conn, "SELECT 1/0"); }));
    }
    EXPECT_FALSE(attempt([&] { (void)engine.connect(); }));  // pool_size 1: PoolTimeout
  }
  // A database that does not exist, a port nothing listens on, and the
  // password given as a query parameter.
  EXPECT_FALSE(attempt([&] {
    (void)create_engine("postgresql://" + user + ":" + secret + "@/no_such_db_x?x=1" + params,
                        options)
        .connect();
  }));
  EXPECT_FALSE(attempt([&] {
    (void)create_engine("postgresql://" + user + ":" + secret + "@127.0.0.1:1/db", options)
        .connect();
  }));
  EXPECT_FALSE(attempt([&] {
    (void)create_engine("postgresql://" + user + "@127.0.0.1:1/db?password=" + secret, options)
        .connect();
  }));
  EXPECT_EQ(engine.url().find(secret), std::string::npos) << engine.url();

  ASSERT_EQ(messages.size(), 13u);
  for (const auto& m : messages) EXPECT_EQ(m.find(secret), std::string::npos) << m;
  EXPECT_NE(messages[0].find("no_such_table_x"), std::string::npos) << messages[0];
  EXPECT_NE(messages[6].find("pool_size=1"), std::string::npos) << messages[6];
  EXPECT_NE(messages[7].find("no_such_db_x"), std::string::npos) << messages[7];
  EXPECT_NE(messages[7].find(":***@"), std::string::npos) << messages[7];
  EXPECT_NE(messages[11].find("password=***"), std::string::npos) << messages[11];
  ASSERT_GE(lines.size(), 8u);
  for (const auto& l : lines) EXPECT_EQ(l.find(secret), std::string::npos) << l;
}

TEST(Echo, FormatsValues) {
  EXPECT_EQ(format_params(std::vector<Value>{Value(1), Value(2.5), Value("o'k"), Value(true),
                                             Value(), Value(Blob(3))}),
            "1, 2.5, 'o''k', true, NULL, <blob 3 bytes>");
}

RELATE_INSTANTIATE_BACKENDS(Echoing);

}  // namespace
