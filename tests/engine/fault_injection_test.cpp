// The fault injector the reliability tests rely on (tests/support/fault_injection.hpp),
// through EngineOptions::wrap_connection: it counts every statement and batch
// parameter set, and the chosen one fails through the real driver with the
// chosen error, exactly once.

#include <gtest/gtest.h>

#include "relate/relate.hpp"
#include "support/backend.hpp"
#include "support/fault_injection.hpp"
#include "support/sql.hpp"

using namespace relate;
using relate::testing::exec;
using relate::testing::FaultInjector;
using relate::testing::FaultKind;
using relate::testing::raw;

namespace {

class FaultInjection : public relate::testing::BackendTest {
 protected:
  void SetUp() override {
    db_ = std::make_unique<relate::testing::TestDatabase>(backend());
    faults_ = std::make_unique<FaultInjector>(db_->url());
    engine_ = std::make_unique<Engine>(
        create_engine(db_->url(), {.wrap_connection = faults_->wrapper()}));
    auto conn = engine_->connect();
    exec(conn, "CREATE TABLE t (id INTEGER PRIMARY KEY)");
  }
  void TearDown() override {
    engine_.reset();
    faults_.reset();
    db_.reset();
  }
  std::int64_t count(Connection& conn) {
    return conn.execute(raw(conn.dialect(), "SELECT count(*) FROM t")).scalar<std::int64_t>();
  }

  std::unique_ptr<relate::testing::TestDatabase> db_;
  std::unique_ptr<FaultInjector> faults_;
  std::unique_ptr<Engine> engine_;
};
RELATE_INSTANTIATE_BACKENDS(FaultInjection);

TEST_P(FaultInjection, CountsStatementsAndBatchSets) {
  auto conn = engine_->connect();
  const auto insert = raw(conn.dialect(), "INSERT INTO t (id) VALUES ({id})");
  faults_->start_counting();
  exec(conn, "INSERT INTO t (id) VALUES ({})", {1});
  const std::vector<std::vector<Value>> sets = {{2}, {3}, {4}};
  conn.execute_many(insert, sets);
  EXPECT_EQ(count(conn), 4);
  EXPECT_EQ(faults_->points(), 5u) << "one statement, three sets, one SELECT";
  EXPECT_FALSE(faults_->fired());
}

TEST_P(FaultInjection, TheChosenStatementFailsWithTheChosenErrorOnce) {
  const struct {
    FaultKind kind;
    bool (*is)(const std::exception&);
  } cases[] = {
      {FaultKind::integrity,
       [](const std::exception& e) { return dynamic_cast<const IntegrityError*>(&e) != nullptr; }},
      {FaultKind::operational,
       [](const std::exception& e) {
         return dynamic_cast<const OperationalError*>(&e) != nullptr;
       }},
      {FaultKind::data,
       [](const std::exception& e) { return dynamic_cast<const DataError*>(&e) != nullptr; }},
  };
  std::int64_t id = 100;
  for (const auto& c : cases) {
    SCOPED_TRACE(to_string(c.kind));
    auto conn = engine_->connect();
    const auto before = count(conn);
    faults_->arm(2, c.kind);
    exec(conn, "INSERT INTO t (id) VALUES ({})", {++id});
    try {
      exec(conn, "INSERT INTO t (id) VALUES ({})", {++id});
      ADD_FAILURE() << "the second statement should have failed";
    } catch (const DatabaseError& e) {
      EXPECT_TRUE(c.is(e)) << e.what();
      EXPECT_NE(std::string(e.what()).find(FaultInjector::marker(2)), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("INSERT INTO t"), std::string::npos)
          << "names the statement it replaced: " << e.what();
      if (is_postgres()) {
        EXPECT_EQ(e.sqlstate(), FaultInjector::sqlstate(c.kind));
      } else {
        EXPECT_EQ(e.sqlite_code(), FaultInjector::sqlite_code(c.kind));
      }
    }
    EXPECT_TRUE(faults_->fired());
    exec(conn, "INSERT INTO t (id) VALUES ({})", {++id});
    EXPECT_EQ(count(conn), before + 2) << "the replaced statement did not run; later ones do";
  }
}

TEST_P(FaultInjection, AFaultInsideABatchRunsTheEarlierSetsFirst) {
  auto conn = engine_->connect();
  const auto insert = raw(conn.dialect(), "INSERT INTO t (id) VALUES ({id})");
  const std::vector<std::vector<Value>> sets = {{1}, {2}, {3}, {4}};
  auto tx = conn.begin();
  auto sp = conn.begin_nested();
  faults_->arm(3, FaultKind::integrity);
  EXPECT_THROW(conn.execute_many(insert, sets), IntegrityError);
  if (is_sqlite()) {
    EXPECT_EQ(count(conn), 2) << "the two sets before the fault ran; SQLite undoes only the "
                                 "failed statement";
  } else {
    EXPECT_TRUE(conn.driver().transaction_failed());
  }
  sp.rollback();
  EXPECT_EQ(count(conn), 0);
  tx.rollback();
}

TEST_P(FaultInjection, ALostTransactionIsGoneAndABrokenConnectionLeavesThePool) {
  {
    auto conn = engine_->connect();
    auto tx = conn.begin();
    exec(conn, "INSERT INTO t (id) VALUES ({})", {1});
    faults_->arm(1, FaultKind::transaction_lost);
    try {
      exec(conn, "INSERT INTO t (id) VALUES ({})", {2});
      ADD_FAILURE() << "the statement should have failed";
    } catch (const OperationalError& e) {
      if (is_postgres()) {
        EXPECT_FALSE(conn.driver().healthy()) << e.what();
      } else {
        EXPECT_EQ(e.sqlite_code(), FaultInjector::sqlite_code(FaultKind::transaction_lost));
        EXPECT_FALSE(conn.driver().in_transaction());
      }
    }
  }
  // The killed connection is closed when it comes back, not handed out again.
  EXPECT_EQ(engine_->pool().open(), is_postgres() ? 0u : 1u);
  auto conn = engine_->connect();
  EXPECT_EQ(count(conn), 0) << "the first INSERT was rolled back with its transaction";
}

}  // namespace

namespace {

TEST_P(FaultInjection, ASavepointWhoseReleaseFailsCanStillBeRolledBackTo) {
  auto conn = engine_->connect();
  auto tx = conn.begin();
  exec(conn, "INSERT INTO t (id) VALUES ({})", {1});
  auto sp = conn.begin_nested();
  exec(conn, "INSERT INTO t (id) VALUES ({})", {2});
  faults_->arm(1, FaultKind::operational);
  EXPECT_THROW(sp.release(), OperationalError);
  EXPECT_TRUE(sp.is_active()) << "the savepoint is still there";
  sp.rollback();
  EXPECT_EQ(count(conn), 1);
  tx.commit();
  auto other = engine_->connect();
  EXPECT_EQ(count(other), 1);
}

}  // namespace
