// The unit of work (spec 5.3-5.8, DESIGN 4.1): statement order within a table,
// batching, row-count checks, version counters, and flushes with nothing to do,
// on SQLite and PostgreSQL. Statement order is read from the parameter lines the
// echo recorder captured.

#include <gtest/gtest.h>

#include "orm/orm_test_util.hpp"
#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::message_of;
using relate::testing::OrmTest;

namespace {

struct Item {
  std::int64_t id = 0;
  std::string label{};
  std::optional<std::string> note{};
};

struct Stamped {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> status{};  // server default 'new'
};

struct Ledger {
  std::int64_t id = 0;
  std::string entry{};
  std::int64_t version = 0;
};

class UnitOfWorkTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<Item>("items", [](auto& m) {
      m.column("id", &Item::id, primary_key());
      m.column("label", &Item::label);
      m.column("note", &Item::note);
    });
    registry_.map<Stamped>("stamped", [](auto& m) {
      m.column("id", &Stamped::id, primary_key());
      m.column("name", &Stamped::name);
      m.column("status", &Stamped::status, server_default(Value("new")));
    });
    registry_.map<Ledger>("ledger", [](auto& m) {
      m.column("id", &Ledger::id, primary_key());
      m.column("entry", &Ledger::entry);
      m.version_counter("version", &Ledger::version);
    });
    create_schema();
  }

  // Items with these ids committed, then loaded into `s`, recorder cleared.
  std::vector<Ptr<Item>> load_items(Session& s, std::initializer_list<std::int64_t> ids) {
    {
      auto w = session();
      for (auto id : ids) w.add(make<Item>({.id = id, .label = "l" + std::to_string(id)}));
      w.commit();
    }
    std::vector<Ptr<Item>> out;
    for (auto id : ids) out.push_back(s.get<Item>(id));
    recorder_.clear();
    return out;
  }

  // The parameter line that followed the statement starting with `word`.
  std::vector<std::string> params_of(std::string_view word) const {
    std::vector<std::string> out;
    const auto& st = recorder_.statements();
    const auto& ps = recorder_.params();
    // Every executed statement has exactly one parameter line; transaction
    // control lines (BEGIN, SAVEPOINT, ...) have none.
    std::size_t p = 0;
    for (const auto& s : st) {
      const bool control = s.starts_with("BEGIN") || s.starts_with("COMMIT") ||
                           s.starts_with("ROLLBACK") || s.starts_with("SAVEPOINT") ||
                           s.starts_with("RELEASE");
      if (control) continue;
      if (p < ps.size() && s.starts_with(word)) out.push_back(ps[p]);
      ++p;
    }
    return out;
  }
};
RELATE_INSTANTIATE_BACKENDS(UnitOfWorkTest);

// ---- statement order within a table (5.4) --------------------------------------------

TEST_P(UnitOfWorkTest, InsertsFollowAddOrder) {
  auto s = session();
  s.add(make<Item>({.id = 30, .label = "c"}));
  s.add(make<Item>({.id = 10, .label = "a"}));
  s.add(make<Item>({.id = 20, .label = "b"}));
  s.flush();
  auto inserts = recorder_.starting_with("INSERT");
  ASSERT_EQ(inserts.size(), 1u) << "one batch: same columns, keys known";
  auto p = params_of("INSERT");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], "[params: 3 sets: (30, 'c', NULL), (10, 'a', NULL), (20, 'b', NULL)]");
}

TEST_P(UnitOfWorkTest, UpdatesFollowPrimaryKeyOrderInOneBatch) {
  auto s = session();
  auto items = load_items(s, {3, 1, 2});
  for (auto& i : items) i->label = "u" + std::to_string(i->id);
  s.flush();
  auto updates = recorder_.starting_with("UPDATE");
  ASSERT_EQ(updates.size(), 1u) << "three updates of the same column: one statement line";
  auto p = params_of("UPDATE");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], "[params: 3 sets: ('u1', 1), ('u2', 2), ('u3', 3)]");
}

TEST_P(UnitOfWorkTest, ManyUpdatesOfTheSameColumnsAreOneStatement) {
  auto s = session();
  auto items = load_items(s, {1, 2, 3, 4, 5, 6, 7});
  for (auto& i : items) {
    i->label = "x";
    i->note = "y";
  }
  s.flush();
  EXPECT_EQ(recorder_.count("UPDATE"), 1u);
  auto p = params_of("UPDATE");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(p[0].starts_with("[params: 7 sets: ")) << p[0];
  s.commit();
  EXPECT_EQ(rows("SELECT count(*) FROM items WHERE label = 'x' AND note = 'y'")[0][0].as_integer(),
            7);
}

TEST_P(UnitOfWorkTest, UpdatesOfDifferentColumnsAreSeparateStatements) {
  auto s = session();
  auto items = load_items(s, {1, 2, 3, 4});
  items[0]->label = "a";  // id 1
  items[1]->label = "b";  // id 2
  items[2]->note = "c";   // id 3
  items[3]->note = "d";   // id 4
  s.flush();
  auto updates = recorder_.starting_with("UPDATE");
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_HAS(updates[0], "label");
  EXPECT_HAS(updates[1], "note");
  auto p = params_of("UPDATE");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0], "[params: 2 sets: ('a', 1), ('b', 2)]");
  EXPECT_EQ(p[1], "[params: 2 sets: ('c', 3), ('d', 4)]");
}

TEST_P(UnitOfWorkTest, DeletesFollowPrimaryKeyOrderInOneStatement) {
  // Without a version counter, the rows of a table go in one DELETE ... IN.
  auto s = session();
  auto items = load_items(s, {3, 1, 2});
  for (auto& i : items) s.remove(i);
  s.flush();
  ASSERT_EQ(recorder_.count("DELETE"), 1u);
  EXPECT_TRUE(recorder_.starting_with("DELETE").front().find(" IN (") != std::string::npos)
      << recorder_.starting_with("DELETE").front();
  auto p = params_of("DELETE");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], "[params: 1, 2, 3]");
  s.commit();
  EXPECT_EQ(count_rows("items"), 0);
}

TEST_P(UnitOfWorkTest, UpdatesBeforeInsertsBeforeDeletesOfOneTable) {
  auto s = session();
  auto items = load_items(s, {1, 2});
  items[0]->label = "changed";
  s.remove(items[1]);
  s.add(make<Item>({.id = 3, .label = "new"}));
  s.flush();
  std::vector<std::string> kinds;
  for (const auto& st : recorder_.statements())
    for (const char* k : {"INSERT", "UPDATE", "DELETE"})
      if (st.starts_with(k)) kinds.emplace_back(k);
  EXPECT_EQ(kinds, (std::vector<std::string>{"UPDATE", "INSERT", "DELETE"}));
}

// ---- INSERT batching (5.5) ---------------------------------------------------------------

TEST_P(UnitOfWorkTest, InsertsWithDifferentColumnSetsAreSeparateBatchesInAddOrder) {
  auto s = session();
  auto a = make<Stamped>({.id = 1, .name = "a"});
  auto b = make<Stamped>({.id = 2, .name = "b"});
  auto c = make<Stamped>({.id = 3, .name = "c", .status = "set"});
  auto d = make<Stamped>({.id = 4, .name = "d"});
  s.add_all({a, b, c, d});
  s.flush();
  auto inserts = recorder_.starting_with("INSERT");
  ASSERT_EQ(inserts.size(), 3u) << "[a, b] share a column set, c sends status, d does not";
  auto p = params_of("INSERT");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0], "[params: 2 sets: (1, 'a'), (2, 'b')]");
  EXPECT_EQ(p[1], "[params: 1 sets: (3, 'c', 'set')]");
  EXPECT_EQ(p[2], "[params: 1 sets: (4, 'd')]");
  EXPECT_EQ(a.get()->status, "new") << "the server default came back";
  EXPECT_EQ(c.get()->status, "set");
}

TEST_P(UnitOfWorkTest, GeneratedAndExplicitKeysAreSeparateBatchesInAddOrder) {
  auto s = session();
  auto a = make<Item>({.label = "gen1"});
  auto b = make<Item>({.id = 50, .label = "explicit"});
  auto c = make<Item>({.label = "gen2"});
  s.add_all({a, b, c});
  s.flush();
  auto inserts = recorder_.starting_with("INSERT");
  ASSERT_EQ(inserts.size(), 3u);
  // SQLite's generated key is the rowid, read without RETURNING (its temporary
  // table costs more than the INSERT).
  if (backend() == "postgresql")
    EXPECT_HAS(inserts[0], "RETURNING");
  else
    EXPECT_EQ(inserts[0].find("RETURNING"), std::string::npos) << inserts[0];
  EXPECT_HAS(params_of("INSERT")[1], "50, 'explicit'");
  EXPECT_GT(a.get()->id, 0);
  EXPECT_GT(c.get()->id, 0);
  EXPECT_NE(a.get()->id, c.get()->id);
}

// ---- nothing to do --------------------------------------------------------------------

TEST_P(UnitOfWorkTest, FlushWithNothingToDoEmitsNoSqlAtAll) {
  {
    auto s = session();
    s.flush();
    s.flush();
  }
  EXPECT_TRUE(recorder_.statements().empty()) << "not even BEGIN";
  auto s = session();
  auto items = load_items(s, {1, 2});
  items[0]->label = items[0]->label;  // no-op assignment
  s.flush();
  EXPECT_TRUE(recorder_.statements().empty());
  EXPECT_TRUE(recorder_.params().empty());
}

TEST_P(UnitOfWorkTest, SecondFlushAfterASuccessfulOneEmitsNothing) {
  auto s = session();
  auto items = load_items(s, {1, 2});
  items[0]->label = "x";
  s.remove(items[1]);
  s.add(make<Item>({.id = 10, .label = "new"}));
  s.flush();
  ASSERT_FALSE(recorder_.statements().empty());
  recorder_.clear();
  s.flush();
  EXPECT_TRUE(recorder_.statements().empty()) << "no SAVEPOINT either";
  s.commit();
  EXPECT_EQ(recorder_.count("INSERT") + recorder_.count("UPDATE") + recorder_.count("DELETE"), 0u);
}

// ---- row counts (5.7) and version counters (5.8) -----------------------------------------

TEST_P(UnitOfWorkTest, UpdateOfAVanishedRowRaisesStaleData) {
  auto s = session();
  auto items = load_items(s, {1});
  s.execute(text("DELETE FROM items"));
  items[0]->label = "late";
  auto msg = message_of<StaleDataError>([&] { s.flush(); });
  EXPECT_EQ(msg, "UPDATE statement on table 'items' expected to update 1 row(s); 0 were matched.");
  EXPECT_TRUE(is_modified(items[0])) << "DESIGN 4.1: the change is kept";
}

TEST_P(UnitOfWorkTest, DeleteRowCountWarningCountsTheWholeBatch) {
  auto s = session();
  auto items = load_items(s, {1, 2});
  s.execute(text("DELETE FROM items WHERE id = 2"));
  s.remove(items[0]);
  s.remove(items[1]);
  WarningCapture warnings;
  s.flush();
  ASSERT_EQ(warnings.warnings().size(), 1u);
  EXPECT_EQ(warnings.warnings()[0].code, "delete-rowcount");
  EXPECT_EQ(warnings.warnings()[0].message,
            "DELETE statement on table 'items' expected to delete 2 row(s); 1 were matched.");
  EXPECT_EQ(state_of(items[0]), ObjectState::deleted) << "a warning: the flush went on";
  EXPECT_EQ(state_of(items[1]), ObjectState::deleted);
}

TEST_P(UnitOfWorkTest, DeletingTheSameObjectTwiceWarns) {
  // Spec 5.7: "Deleting the same object twice (delete, flush, delete again)
  // produces this warning."
  auto s = session();
  auto items = load_items(s, {1});
  s.remove(items[0]);
  s.flush();
  WarningCapture warnings;
  s.remove(items[0]);
  s.flush();
  EXPECT_TRUE(warnings.has("delete-rowcount"));
}

TEST_P(UnitOfWorkTest, VersionCounterOnDelete) {
  {
    auto w = session();
    w.add(make<Ledger>({.id = 1, .entry = "a"}));
    w.add(make<Ledger>({.id = 2, .entry = "b"}));
    w.commit();
  }
  auto s = session();
  auto one = s.get<Ledger>(1);
  auto two = s.get<Ledger>(2);
  ASSERT_EQ(one->version, 1);
  // An unchanged version: the DELETE checks it and succeeds.
  recorder_.clear();
  s.remove(two);
  s.flush();
  auto deletes = recorder_.starting_with("DELETE");
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_HAS(deletes[0], "version");
  EXPECT_EQ(params_of("DELETE")[0], "[params: 1 sets: (2, 1)]");
  // Someone else bumps the version of row 1.
  s.execute(text("UPDATE ledger SET version = 7 WHERE id = 1"));
  s.remove(one);
  auto msg = message_of<StaleDataError>([&] { s.flush(); });
  EXPECT_EQ(msg, "DELETE statement on table 'ledger' expected to delete 1 row(s); 0 were matched.");
  EXPECT_EQ(state_of(one), ObjectState::persistent) << "DESIGN 4.1: still marked, not deleted";
  EXPECT_EQ(s.deleted_objects().size(), 1u);
  EXPECT_EQ(state_of(two), ObjectState::deleted) << "the earlier flush stands";
}

TEST_P(UnitOfWorkTest, VersionCounterUpdateStatement) {
  {
    auto w = session();
    w.add(make<Ledger>({.id = 1, .entry = "a"}));
    w.commit();
  }
  auto s = session();
  auto one = s.get<Ledger>(1);
  recorder_.clear();
  one->entry = "b";
  s.flush();
  EXPECT_EQ(one.get()->version, 2);
  auto updates = recorder_.starting_with("UPDATE");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_HAS(updates[0], "SET entry");
  EXPECT_HAS(updates[0], "version");
  EXPECT_EQ(params_of("UPDATE")[0], "[params: 1 sets: ('b', 2, 1, 1)]");
  s.commit();
  EXPECT_EQ(rows("SELECT version FROM ledger")[0][0].as_integer(), 2);
}

TEST_P(UnitOfWorkTest, VersionedBatchWithOneStaleRowFailsAsAWhole) {
  {
    auto w = session();
    w.add(make<Ledger>({.id = 1, .entry = "a"}));
    w.add(make<Ledger>({.id = 2, .entry = "b"}));
    w.commit();
  }
  auto s = session();
  auto one = s.get<Ledger>(1);
  auto two = s.get<Ledger>(2);
  s.execute(text("UPDATE ledger SET version = 5 WHERE id = 2"));
  one->entry = "a2";
  two->entry = "b2";
  auto msg = message_of<StaleDataError>([&] { s.flush(); });
  EXPECT_HAS(msg, "UPDATE statement on table 'ledger' expected to update");
  EXPECT_HAS(msg, "were matched.");
  EXPECT_EQ(one.get()->version, 1) << "DESIGN 4.1: version increments undone";
  EXPECT_EQ(two.get()->version, 1);
  auto r = s.execute(text("SELECT entry FROM ledger WHERE id = 1")).rows();
  EXPECT_EQ(r.at(0).at(0).as_text(), "a") << "the database is as before the flush";
}

}  // namespace
