// The connection pool under threads, timeouts, and connections that go bad.

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "relate/relate.hpp"
#include "support/backend.hpp"
#include "support/sql.hpp"

using namespace relate;
using relate::testing::exec;
using relate::testing::raw;

namespace {

class Pooling : public relate::testing::BackendTest {};

TEST_P(Pooling, ManyThreadsShareASmallPool) {
  relate::testing::TestDatabase db(backend());
  auto engine = create_engine(db.url(), {.pool_size = 3,
                                         .pool_timeout = std::chrono::seconds(60),
                                         .sqlite_busy_timeout = std::chrono::seconds(30)});
  {
    auto conn = engine.connect();
    exec(conn, "CREATE TABLE hits (thread INTEGER, n INTEGER)");
  }
  constexpr int threads = 8, rounds = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < rounds; ++i) {
        try {
          auto conn = engine.connect();
          exec(conn, "INSERT INTO hits (thread, n) VALUES ({}, {})", {t, i});
          auto mine =
              conn.execute(raw(conn.dialect(), "SELECT COUNT(*) FROM hits WHERE thread = {}", {t}))
                  .scalar<int>();
          if (mine != i + 1) ++failures;
        } catch (const std::exception& e) {
          ++failures;
          ADD_FAILURE() << e.what();
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(engine.pool().checked_out(), 0u);
  EXPECT_LE(engine.pool().open(), 3u);
  auto conn = engine.connect();
  EXPECT_EQ(conn.execute(raw(conn.dialect(), "SELECT COUNT(*) FROM hits")).scalar<int>(),
            threads * rounds);
}

// The pool hands each connection to one thread at a time. Every holder records
// itself as the owner of the driver connection it got (and, on PostgreSQL, of
// the server process behind it) for as long as it holds it; finding another
// owner there would mean two threads share a connection.
TEST_P(Pooling, ConnectionIsNeverHeldByTwoThreadsAtOnce) {
  relate::testing::TestDatabase db(backend());
  auto engine = create_engine(db.url(), {.pool_size = 3,
                                         .pool_timeout = std::chrono::seconds(60),
                                         .sqlite_busy_timeout = std::chrono::seconds(30)});
  constexpr int threads = 8, rounds = 40;
  std::mutex mutex;
  std::map<const void*, std::thread::id> drivers;
  std::map<std::int64_t, std::thread::id> server_processes;
  std::set<const void*> seen;
  std::atomic<int> shared{0}, checkouts{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      const auto me = std::this_thread::get_id();
      for (int i = 0; i < rounds; ++i) {
        try {
          auto conn = engine.connect();
          const void* driver = &conn.driver();
          std::int64_t pid = 0;
          if (conn.dialect().name() == "postgresql")
            pid =
                conn.execute(raw(conn.dialect(), "SELECT pg_backend_pid()")).scalar<std::int64_t>();
          {
            std::lock_guard lock(mutex);
            shared += !drivers.emplace(driver, me).second;
            if (pid != 0) shared += !server_processes.emplace(pid, me).second;
            seen.insert(driver);
          }
          ++checkouts;
          // Use it while holding it: the statement runs on this thread's connection only.
          EXPECT_EQ(conn.execute(raw(conn.dialect(), "SELECT {}", {i})).scalar<int>(), i);
          {
            std::lock_guard lock(mutex);
            drivers.erase(driver);
            if (pid != 0) server_processes.erase(pid);
          }
        } catch (const std::exception& e) {
          ADD_FAILURE() << e.what();
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(shared.load(), 0);
  EXPECT_EQ(checkouts.load(), threads * rounds);
  EXPECT_LE(seen.size(), 3u);
  EXPECT_EQ(engine.pool().checked_out(), 0u);
}

TEST_P(Pooling, TimeoutSaysWhy) {
  relate::testing::TestDatabase db(backend());
  auto engine =
      create_engine(db.url(), {.pool_size = 1, .pool_timeout = std::chrono::milliseconds(100)});
  auto held = engine.connect();
  auto attempt = std::async(std::launch::async, [&] {
    try {
      (void)engine.connect();
    } catch (const PoolTimeout& e) {
      return std::string(e.what());
    }
    return std::string("no timeout");
  });
  const std::string message = attempt.get();
  EXPECT_NE(message.find("within 100 ms"), std::string::npos) << message;
  EXPECT_NE(message.find("pool_size=1"), std::string::npos) << message;
  EXPECT_NE(message.find(engine.url()), std::string::npos) << message;
  // Once the connection is back, a waiting thread gets it.
  auto waiting = std::async(std::launch::async, [&] {
    auto conn = engine.connect();
    return conn.execute(raw(conn.dialect(), "SELECT 7")).scalar<int>();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  held.close();
  EXPECT_EQ(waiting.get(), 7);
}

TEST_P(Pooling, AskingForMoreThanTheThreadHoldsFailsAtOnce) {
  relate::testing::TestDatabase db(backend());
  auto engine = create_engine(db.url(), {.pool_size = 2, .pool_timeout = std::chrono::seconds(30)});
  auto a = engine.connect();
  auto b = engine.connect();
  const auto start = std::chrono::steady_clock::now();
  try {
    (void)engine.connect();
    FAIL();
  } catch (const PoolTimeout& e) {
    EXPECT_NE(std::string(e.what()).find("same thread"), std::string::npos);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_P(Pooling, ConnectionIsResetAfterAnErrorInATransaction) {
  relate::testing::TestDatabase db(backend());
  auto engine = create_engine(db.url(), {.pool_size = 1});
  {
    auto conn = engine.connect();
    exec(conn, "CREATE TABLE t (id INTEGER PRIMARY KEY)");
    // A transaction begun on the driver directly, without a guard to end it.
    conn.driver().begin();
    exec(conn, "INSERT INTO t (id) VALUES ({})", {1});
    EXPECT_THROW(exec(conn, "INSERT INTO t (id) VALUES ({})", {1}), IntegrityError);
    EXPECT_TRUE(conn.driver().in_transaction());
  }
  auto conn = engine.connect();
  EXPECT_FALSE(conn.driver().in_transaction());
  EXPECT_EQ(conn.execute(raw(conn.dialect(), "SELECT COUNT(*) FROM t")).scalar<int>(), 0);
  EXPECT_EQ(engine.pool().open(), 1u);
}

TEST(PoolingPostgresql, BrokenConnectionIsReplaced) {
  relate::testing::TestDatabase db("postgresql");
  auto engine = create_engine(db.url(), {.pool_size = 2});
  std::int64_t pid = 0;
  {
    auto victim = engine.connect();
    pid = victim.execute(raw(victim.dialect(), "SELECT pg_backend_pid()")).scalar<std::int64_t>();
    {
      auto killer = engine.connect();
      EXPECT_TRUE(killer
                      .execute(raw(killer.dialect(),
                                   "SELECT pg_terminate_backend(CAST({} AS INTEGER))", {pid}))
                      .scalar<bool>());
    }
    EXPECT_THROW((void)victim.execute(raw(victim.dialect(), "SELECT 1")), OperationalError);
    EXPECT_FALSE(victim.driver().healthy());
  }
  EXPECT_EQ(engine.pool().open(), 1u);  // the broken one was closed
  for (int i = 0; i < 3; ++i) {
    auto conn = engine.connect();
    EXPECT_EQ(conn.execute(raw(conn.dialect(), "SELECT 1")).scalar<int>(), 1);
  }
}

TEST(PoolingSqlite, FileDatabaseConnectionsUseWalAndForeignKeys) {
  relate::testing::TestDatabase db("sqlite");
  auto engine = create_engine(db.url());
  auto conn = engine.connect();
  EXPECT_EQ(conn.execute(raw(conn.dialect(), "PRAGMA journal_mode")).scalar<std::string>(), "wal");
  EXPECT_EQ(conn.execute(raw(conn.dialect(), "PRAGMA foreign_keys")).scalar<int>(), 1);
  auto off = create_engine(db.url(), {.sqlite_foreign_keys = false});
  auto conn2 = off.connect();
  EXPECT_EQ(conn2.execute(raw(conn2.dialect(), "PRAGMA foreign_keys")).scalar<int>(), 0);
}

RELATE_INSTANTIATE_BACKENDS(Pooling);

}  // namespace
