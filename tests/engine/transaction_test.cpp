// Transactions and savepoints: what survives and what leaves no trace.

#include <gtest/gtest.h>

#include "relate/relate.hpp"
#include "support/backend.hpp"
#include "support/sql.hpp"

using namespace relate;
using relate::testing::exec;
using relate::testing::raw;

namespace {

class Transactions : public relate::testing::BackendTest {
 protected:
  void SetUp() override {
    db_ = std::make_unique<relate::testing::TestDatabase>(backend());
    engine_ = std::make_unique<Engine>(create_engine(db_->url()));
    auto conn = engine_->connect();
    exec(conn, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)");
  }
  void TearDown() override {
    engine_.reset();
    db_.reset();
  }
  // Seen from a different connection, so only committed rows count.
  std::vector<std::int64_t> committed_ids() {
    auto other = engine_->connect();
    std::vector<std::int64_t> ids;
    for (const auto& row : other.execute(raw(other.dialect(), "SELECT id FROM t ORDER BY id")))
      ids.push_back(row.get<std::int64_t>(0));
    return ids;
  }
  static void insert(Connection& conn, int id) {
    exec(conn, "INSERT INTO t (id, name) VALUES ({}, {})", {id, "n"});
  }
  using Ids = std::vector<std::int64_t>;

  std::unique_ptr<relate::testing::TestDatabase> db_;
  std::unique_ptr<Engine> engine_;
};

TEST_P(Transactions, AutocommitWithoutATransaction) {
  auto conn = engine_->connect();
  EXPECT_FALSE(conn.in_transaction());
  insert(conn, 1);
  EXPECT_EQ(committed_ids(), Ids{1});
}

TEST_P(Transactions, CommitPersists) {
  auto conn = engine_->connect();
  auto tx = conn.begin();
  EXPECT_TRUE(conn.in_transaction());
  EXPECT_TRUE(tx.is_active());
  insert(conn, 1);
  insert(conn, 2);
  tx.commit();
  EXPECT_FALSE(tx.is_active());
  EXPECT_FALSE(conn.in_transaction());
  EXPECT_EQ(committed_ids(), (Ids{1, 2}));
  EXPECT_THROW(tx.commit(), InvalidRequest);
  EXPECT_NO_THROW(tx.rollback());
}

TEST_P(Transactions, RollbackLeavesNoTrace) {
  auto conn = engine_->connect();
  auto tx = conn.begin();
  insert(conn, 1);
  EXPECT_EQ(conn.execute(raw(conn.dialect(), "SELECT COUNT(*) FROM t")).scalar<int>(), 1);
  tx.rollback();
  EXPECT_EQ(conn.execute(raw(conn.dialect(), "SELECT COUNT(*) FROM t")).scalar<int>(), 0);
  EXPECT_EQ(committed_ids(), Ids{});
}

TEST_P(Transactions, GuardDestructionRollsBack) {
  auto conn = engine_->connect();
  try {
    auto tx = conn.begin();
    insert(conn, 1);
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(conn.in_transaction());
  EXPECT_EQ(conn.execute(raw(conn.dialect(), "SELECT COUNT(*) FROM t")).scalar<int>(), 0);
  // And the connection can start over.
  auto tx = conn.begin();
  insert(conn, 2);
  tx.commit();
  EXPECT_EQ(committed_ids(), Ids{2});
}

TEST_P(Transactions, OneTransactionAtATime) {
  auto conn = engine_->connect();
  auto tx = conn.begin();
  EXPECT_THROW((void)conn.begin(), InvalidRequest);
  tx.rollback();
  auto sp_without_tx = [&] { (void)conn.begin_nested(); };
  EXPECT_THROW(sp_without_tx(), InvalidRequest);
}

TEST_P(Transactions, NestedSavepoints) {
  auto conn = engine_->connect();
  auto tx = conn.begin();
  insert(conn, 1);
  {
    auto outer = conn.begin_nested();
    EXPECT_EQ(outer.name(), "sp_1");
    insert(conn, 2);
    {
      auto inner = conn.begin_nested();
      EXPECT_EQ(inner.name(), "sp_2");
      insert(conn, 3);
      inner.rollback();
      EXPECT_FALSE(inner.is_active());
    }
    {
      auto inner = conn.begin_nested();
      EXPECT_EQ(inner.name(), "sp_3");
      insert(conn, 4);
    }  // destroyed: rolled back
    outer.release();
  }
  tx.commit();
  EXPECT_EQ(committed_ids(), (Ids{1, 2}));
}

TEST_P(Transactions, RollingBackAnOuterSavepointEndsTheInnerOnes) {
  auto conn = engine_->connect();
  auto tx = conn.begin();
  insert(conn, 1);
  auto outer = conn.begin_nested();
  insert(conn, 2);
  auto inner = conn.begin_nested();
  insert(conn, 3);
  outer.rollback();
  EXPECT_FALSE(inner.is_active());
  EXPECT_THROW(inner.release(), InvalidRequest);
  tx.commit();
  EXPECT_FALSE(outer.is_active());
  EXPECT_EQ(committed_ids(), Ids{1});
}

TEST_P(Transactions, SavepointRecoversFromAFailedStatement) {
  auto conn = engine_->connect();
  auto tx = conn.begin();
  insert(conn, 1);
  {
    auto sp = conn.begin_nested();
    EXPECT_THROW(insert(conn, 1), IntegrityError);
    sp.rollback();
  }
  insert(conn, 2);
  tx.commit();
  EXPECT_EQ(committed_ids(), (Ids{1, 2}));
}

TEST_P(Transactions, CommitAfterAFailedStatement) {
  auto conn = engine_->connect();
  auto tx = conn.begin();
  insert(conn, 1);
  EXPECT_THROW(insert(conn, 1), IntegrityError);
  if (is_postgres()) {
    // The database would silently roll back; relate says so.
    EXPECT_THROW(tx.commit(), InvalidRequest);
    EXPECT_EQ(committed_ids(), Ids{});
  } else {
    // SQLite keeps the transaction and the earlier insert.
    tx.commit();
    EXPECT_EQ(committed_ids(), Ids{1});
  }
  EXPECT_FALSE(conn.in_transaction());
  insert(conn, 5);
  EXPECT_EQ(committed_ids().back(), 5);
}

TEST_P(Transactions, ClosingTheConnectionRollsBack) {
  {
    auto conn = engine_->connect();
    auto tx = conn.begin();
    insert(conn, 1);
    conn.close();
    EXPECT_TRUE(tx.is_active());  // the guard still holds the connection
    tx.commit();
  }
  {
    auto conn = engine_->connect();
    auto tx = conn.begin();
    insert(conn, 2);
  }
  EXPECT_EQ(committed_ids(), Ids{1});
}

RELATE_INSTANTIATE_BACKENDS(Transactions);

}  // namespace
