// Database errors arrive as the right type with what the driver reported.

#include <gtest/gtest.h>

#include <chrono>

#include "relate/relate.hpp"
#include "support/backend.hpp"
#include "support/sql.hpp"

using namespace relate;
using relate::testing::exec;
using relate::testing::raw;

namespace {

class Errors : public relate::testing::BackendTest {
 protected:
  void SetUp() override {
    db_ = std::make_unique<relate::testing::TestDatabase>(backend());
    engine_ = std::make_unique<Engine>(create_engine(db_->url()));
    conn_ = std::make_unique<Connection>(engine_->connect());
    exec(*conn_, "CREATE TABLE parent (id INTEGER PRIMARY KEY)");
    exec(*conn_,
         "CREATE TABLE child (id INTEGER PRIMARY KEY, email TEXT NOT NULL, a INTEGER, b INTEGER, "
         "parent_id INTEGER REFERENCES parent (id), CONSTRAINT uq_child_ab UNIQUE (a, b), "
         "CONSTRAINT ck_child_a CHECK (a >= 0))");
    exec(*conn_, "INSERT INTO parent (id) VALUES ({})", {1});
  }
  void TearDown() override {
    conn_.reset();
    engine_.reset();
    db_.reset();
  }

  template <class E>
  E expect(std::string_view sql, std::vector<Value> values = {}) {
    try {
      exec(*conn_, sql, std::move(values));
    } catch (const E& e) {
      return e;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "wrong exception: " << e.what();
      throw;
    }
    ADD_FAILURE() << "no exception for " << sql;
    throw std::logic_error("no exception");
  }

  std::unique_ptr<relate::testing::TestDatabase> db_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Connection> conn_;
};

TEST_P(Errors, NotNullNamesTableAndColumn) {
  auto e = expect<IntegrityError>("INSERT INTO child (id, email) VALUES ({}, {})", {1, Value()});
  EXPECT_EQ(e.table(), "child");
  EXPECT_EQ(e.column(), "email");
  if (is_postgres()) {
    EXPECT_EQ(e.sqlstate(), "23502");
  } else {
    EXPECT_EQ(e.sqlite_code(), 1299);  // SQLITE_CONSTRAINT_NOTNULL
  }
  EXPECT_NE(e.info().sql.find("INSERT INTO child"), std::string::npos);
  EXPECT_FALSE(e.info().driver_message.empty());
}

TEST_P(Errors, UniqueViolation) {
  exec(*conn_, "INSERT INTO child (id, email, a, b) VALUES ({}, {}, {}, {})", {1, "x", 1, 2});
  auto e = expect<IntegrityError>("INSERT INTO child (id, email, a, b) VALUES ({}, {}, {}, {})",
                                  {2, "y", 1, 2});
  EXPECT_EQ(e.table(), "child");
  EXPECT_EQ(e.column(), "a, b");
  if (is_postgres()) {
    EXPECT_EQ(e.sqlstate(), "23505");
    EXPECT_EQ(e.constraint(), "uq_child_ab");
  } else {
    EXPECT_EQ(e.sqlite_code(), 2067);  // SQLITE_CONSTRAINT_UNIQUE
  }
  auto pk = expect<IntegrityError>("INSERT INTO child (id, email) VALUES ({}, {})", {1, "z"});
  EXPECT_EQ(pk.column(), "id");
  if (is_sqlite()) {
    EXPECT_EQ(pk.sqlite_code(), 1555);  // SQLITE_CONSTRAINT_PRIMARYKEY
  }
}

TEST_P(Errors, ForeignKeyViolation) {
  auto e = expect<IntegrityError>("INSERT INTO child (id, email, parent_id) VALUES ({}, {}, {})",
                                  {1, "x", 99});
  if (is_postgres()) {
    EXPECT_EQ(e.sqlstate(), "23503");
    EXPECT_EQ(e.table(), "child");
    EXPECT_FALSE(e.constraint().empty());
  } else {
    EXPECT_EQ(e.sqlite_code(), 787);  // SQLITE_CONSTRAINT_FOREIGNKEY: no table reported
    EXPECT_EQ(e.table(), "");
  }
}

TEST_P(Errors, CheckViolation) {
  auto e =
      expect<IntegrityError>("INSERT INTO child (id, email, a) VALUES ({}, {}, {})", {1, "x", -1});
  EXPECT_EQ(e.constraint(), "ck_child_a");
  if (is_postgres()) {
    EXPECT_EQ(e.sqlstate(), "23514");
  } else {
    EXPECT_EQ(e.sqlite_code(), 275);  // SQLITE_CONSTRAINT_CHECK
  }
}

TEST_P(Errors, SyntaxErrorAndUnknownTable) {
  auto syntax = expect<ProgrammingError>("SELEC 1");
  if (is_postgres()) {
    EXPECT_EQ(syntax.sqlstate(), "42601");
  } else {
    EXPECT_EQ(syntax.sqlite_code(), 1);
  }
  EXPECT_NE(std::string(syntax.what()).find("SELEC 1"), std::string::npos);
  auto missing = expect<ProgrammingError>("SELECT * FROM no_such_table");
  if (is_postgres()) {
    EXPECT_EQ(missing.sqlstate(), "42P01");
  }
  EXPECT_NE(std::string(missing.what()).find("no_such_table"), std::string::npos);
  // The connection is still usable.
  EXPECT_EQ(conn_->execute(raw(conn_->dialect(), "SELECT COUNT(*) FROM parent")).scalar<int>(), 1);
}

TEST_P(Errors, WrongNumberOfParameters) {
  CompiledStatement bad;
  bad.sql = "SELECT " + conn_->dialect().placeholder(1) + ", " + conn_->dialect().placeholder(2);
  bad.params.push_back({Value(1), -1});
  EXPECT_THROW((void)conn_->execute(bad), DatabaseError);
}

TEST_P(Errors, DataErrorsFromTheDatabase) {
  exec(*conn_, "CREATE TABLE small (v SMALLINT, d DATE)");
  if (is_sqlite()) {
    // SQLite's flexible typing stores both values as given: no DataError to map.
    exec(*conn_, "INSERT INTO small (v, d) VALUES ({}, {})", {100000, "2020-13-45"});
    auto row = conn_->execute(raw(conn_->dialect(), "SELECT v, d FROM small")).one();
    EXPECT_EQ(row.get<std::int64_t>(0), 100000);
    EXPECT_EQ(row.get<std::string>(1), "2020-13-45");
    return;
  }
  auto overflow = expect<DataError>("INSERT INTO small (v) VALUES ({})", {100000});
  EXPECT_EQ(overflow.sqlstate(), "22003");
  auto date = expect<DataError>("INSERT INTO small (d) VALUES ({})", {"2020-13-45"});
  EXPECT_EQ(date.sqlstate().substr(0, 2), "22");
}

// A statement that waits too long for another connection's lock ends in an
// OperationalError instead of hanging: SQLite's busy timeout, PostgreSQL's
// lock_timeout (SQLSTATE 55P03, which was a plain DatabaseError before) and
// statement_timeout (57014). The holder's transaction is unaffected.
TEST_P(Errors, LockWaitsEndInOperationalError) {
  auto other_engine =
      create_engine(db_->url(), {.sqlite_busy_timeout = std::chrono::milliseconds(100)});
  auto other = other_engine.connect();
  auto tx = conn_->begin();
  exec(*conn_, "UPDATE parent SET id = {} WHERE id = {}", {2, 1});
  if (is_postgres()) exec(other, "SET lock_timeout = '100ms'");
  try {
    exec(other, "UPDATE parent SET id = {} WHERE id = {}", {3, 1});
    FAIL() << "the second writer did not wait for the lock";
  } catch (const OperationalError& e) {
    if (is_postgres()) {
      EXPECT_EQ(e.sqlstate(), "55P03");
      EXPECT_NE(std::string(e.what()).find("lock"), std::string::npos) << e.what();
    } else {
      EXPECT_EQ(e.sqlite_code().value_or(0) & 0xff, 5) << e.what();  // SQLITE_BUSY
      EXPECT_NE(std::string(e.what()).find("database is locked"), std::string::npos) << e.what();
    }
  }
  tx.commit();
  EXPECT_EQ(conn_->execute(raw(conn_->dialect(), "SELECT id FROM parent")).scalar<int>(), 2);
  if (is_postgres()) {
    exec(other, "SET statement_timeout = '100ms'");
    try {
      exec(other, "SELECT pg_sleep(30)");
      FAIL() << "statement_timeout did not end the statement";
    } catch (const OperationalError& e) {
      EXPECT_EQ(e.sqlstate(), "57014");
    }
  }
}

TEST_P(Errors, DivisionByZeroWhileStreaming) {
  // An error after some rows have been read surfaces from next().
  auto result = conn_->execute(raw(conn_->dialect(),
                                   "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM "
                                   "c WHERE x < 10) SELECT CAST(100 / (5 - x) AS INTEGER) FROM c"));
  if (is_sqlite()) {
    // SQLite yields NULL for division by zero.
    EXPECT_EQ(result.all().size(), 10u);
  } else {
    EXPECT_THROW((void)result.all(), DataError);
  }
  EXPECT_EQ(conn_->execute(raw(conn_->dialect(), "SELECT 1")).scalar<int>(), 1);
}

RELATE_INSTANTIATE_BACKENDS(Errors);

}  // namespace
