// The Session without relationships (spec sections 5, 6 and 8; DESIGN 4.1, 4.2),
// on SQLite and PostgreSQL.

#include <gtest/gtest.h>

#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::OrmTest;

namespace {

struct User {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> fullname{};
};

struct Address {
  std::int64_t id = 0;
  std::string email{};
  std::optional<std::int64_t> user_id{};
};

struct Versioned {
  std::int64_t id = 0;
  std::string name{};
  std::int64_t version = 0;
};

struct Link {
  std::int64_t left = 0;
  std::int64_t right = 0;
  std::string note{};
};

class SessionTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<User>("users", [](auto& m) {
      m.column("id", &User::id, primary_key());
      m.column("name", &User::name, unique());
      m.column("fullname", &User::fullname);
    });
    registry_.map<Address>("addresses", [](auto& m) {
      m.column("id", &Address::id, primary_key());
      m.column("email", &Address::email);
      m.column("user_id", &Address::user_id, foreign_key("users.id"));
    });
    registry_.map<Versioned>("versioned", [](auto& m) {
      m.column("id", &Versioned::id, primary_key());
      m.column("name", &Versioned::name);
      m.version_counter("version", &Versioned::version);
    });
    registry_.map<Link>("links", [](auto& m) {
      m.column("left_id", &Link::left, primary_key());
      m.column("right_id", &Link::right, primary_key());
      m.column("note", &Link::note);
    });
    create_schema();
  }
};
RELATE_INSTANTIATE_BACKENDS(SessionTest);

TEST_P(SessionTest, AddFlushAssignsGeneratedKeyAndMakesPersistent) {
  auto s = session();
  auto jack = make<User>({.name = "jack", .fullname = "Jack Bean"});
  EXPECT_EQ(state_of(jack), ObjectState::transient);
  s.add(jack);
  EXPECT_EQ(state_of(jack), ObjectState::pending);
  EXPECT_TRUE(s.contains(jack));
  s.flush();
  EXPECT_EQ(state_of(jack), ObjectState::persistent);
  EXPECT_GT(jack->id, 0);
  s.commit();
  auto r = rows("SELECT id, name, fullname FROM users");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0].as_integer(), jack.get()->id);
  EXPECT_EQ(r[0][1].as_text(), "jack");
  EXPECT_EQ(r[0][2].as_text(), "Jack Bean");
}

TEST_P(SessionTest, InsertsOfOneTableAreOneBatchWithReturning) {
  auto s = session();
  std::vector<Ptr<User>> users;
  for (int i = 0; i < 5; ++i) users.push_back(make<User>({.name = "u" + std::to_string(i)}));
  s.add_all(users);
  s.flush();
  auto inserts = recorder_.starting_with("INSERT");
  ASSERT_EQ(inserts.size(), 1u) << "one statement for the whole batch";
  // SQLite returns an INTEGER PRIMARY KEY as the rowid of each INSERT instead.
  EXPECT_EQ(inserts[0].find("RETURNING") != std::string::npos, backend() == "postgresql")
      << inserts[0];
  std::set<std::int64_t> ids;
  for (auto& u : users) ids.insert(u.get()->id);
  EXPECT_EQ(ids.size(), 5u);
  // Keys come back in add order.
  for (std::size_t i = 1; i < users.size(); ++i)
    EXPECT_LT(users[i - 1].get()->id, users[i].get()->id);
}

TEST_P(SessionTest, GetUsesIdentityMapWithoutSql) {
  {
    auto s = session();
    s.add(make<User>({.name = "ed"}));
    s.commit();
  }
  auto s = session();
  auto q = s.query<User>().filter_by(&User::name, "ed").one();
  recorder_.clear();
  auto again = s.get<User>(q.get()->id);
  EXPECT_EQ(again, q) << "same object";
  EXPECT_TRUE(recorder_.starting_with("SELECT").empty()) << "identity map answered";
  EXPECT_EQ(s.get<User>(std::int64_t{9999}), nullptr);
}

TEST_P(SessionTest, CompositeKeyGet) {
  auto s = session();
  s.add(make<Link>({.left = 1, .right = 2, .note = "a"}));
  s.add(make<Link>({.left = 1, .right = 3, .note = "b"}));
  s.commit();
  auto s2 = session();
  auto l = s2.get<Link>(1, 3);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->note, "b");
  EXPECT_THROW((void)s2.get<Link>(1), InvalidRequest);
}

TEST_P(SessionTest, UpdateSetsOnlyChangedColumnsAndNoOpIsNotDirty) {
  auto s = session();
  auto u = make<User>({.name = "wendy", .fullname = "Wendy W"});
  s.add(u);
  s.commit();
  u->name = "wendy";  // the same value: not a change
  EXPECT_TRUE(s.dirty_objects().empty());
  s.flush();
  EXPECT_EQ(recorder_.count("UPDATE"), 0u);
  u->fullname = "Wendy Williams";
  EXPECT_EQ(s.dirty_objects().size(), 1u);
  s.flush();
  auto updates = recorder_.starting_with("UPDATE");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0], is_sqlite() ? "UPDATE users SET fullname = ? WHERE id = ?"
                                    : "UPDATE users SET fullname = $1 WHERE id = $2");
  s.commit();
  EXPECT_EQ(rows("SELECT fullname FROM users")[0][0].as_text(), "Wendy Williams");
}

TEST_P(SessionTest, InsertOrderFollowsForeignKeysNotAddOrder) {
  auto s = session();
  auto a = make<Address>({.id = 10, .email = "a@x", .user_id = 7});
  auto u = make<User>({.id = 7, .name = "seven"});
  s.add(a);  // child first
  s.add(u);
  s.commit();  // would violate the FK if addresses went first
  auto inserts = recorder_.starting_with("INSERT");
  ASSERT_EQ(inserts.size(), 2u);
  EXPECT_NE(inserts[0].find("users"), std::string::npos);
  EXPECT_NE(inserts[1].find("addresses"), std::string::npos);
  // Deletes go the other way.
  s.remove(a);
  s.remove(u);
  s.commit();
  auto deletes = recorder_.starting_with("DELETE");
  ASSERT_EQ(deletes.size(), 2u);
  EXPECT_NE(deletes[0].find("addresses"), std::string::npos);
  EXPECT_NE(deletes[1].find("users"), std::string::npos);
  EXPECT_EQ(count_rows("users"), 0);
}

TEST_P(SessionTest, RemoveAndStates) {
  auto s = session();
  auto u = make<User>({.name = "gone"});
  EXPECT_THROW(s.remove(u), InvalidRequest);  // never persisted
  s.add(u);
  EXPECT_THROW(s.remove(u), InvalidRequest);  // pending
  s.flush();
  s.remove(u);
  EXPECT_EQ(s.deleted_objects().size(), 1u);
  EXPECT_EQ(state_of(u), ObjectState::persistent);
  s.flush();
  EXPECT_EQ(state_of(u), ObjectState::deleted);
  EXPECT_FALSE(s.contains(u));
  s.commit();
  EXPECT_EQ(state_of(u), ObjectState::detached);
  EXPECT_EQ(count_rows("users"), 0);
  try {
    s.add(u);
    FAIL() << "a deleted object cannot be added back";
  } catch (const InvalidRequest& e) {
    EXPECT_NE(std::string(e.what()).find("make_transient"), std::string::npos) << e.what();
  }
  make_transient(u);
  EXPECT_EQ(state_of(u), ObjectState::transient);
  s.add(u);
  s.commit();
  EXPECT_EQ(count_rows("users"), 1);
}

TEST_P(SessionTest, AddCancelsMarkedDelete) {
  auto s = session();
  auto u = make<User>({.name = "stay"});
  s.add(u);
  s.commit();
  s.remove(u);
  s.add(u);
  EXPECT_TRUE(s.deleted_objects().empty());
  s.commit();
  EXPECT_EQ(count_rows("users"), 1);
}

TEST_P(SessionTest, ObjectOfAnotherSessionIsRefused) {
  auto s1 = session();
  auto s2 = session();
  auto u = make<User>({.name = "shared"});
  s1.add(u);
  try {
    s2.add(u);
    FAIL() << "expected InvalidRequest";
  } catch (const InvalidRequest& e) {
    EXPECT_NE(std::string(e.what()).find("another Session"), std::string::npos) << e.what();
  }
}

TEST_P(SessionTest, ExpireOnCommitReloadsOnAccess) {
  auto s = session();
  auto u = make<User>({.name = "exp"});
  s.add(u);
  s.commit();
  recorder_.clear();
  EXPECT_EQ(u->name, "exp");  // access after commit reloads
  EXPECT_EQ(recorder_.count("SELECT"), 1u);
  EXPECT_EQ(u->name, "exp");
  EXPECT_EQ(recorder_.count("SELECT"), 1u) << "loaded once";
}

TEST_P(SessionTest, ExpiredDetachedObjectRaises) {
  auto s = session();
  auto u = make<User>({.name = "det"});
  s.add(u);
  s.commit();
  s.close();
  EXPECT_EQ(state_of(u), ObjectState::detached);
  EXPECT_THROW((void)u->name, DetachedInstanceError);
}

TEST_P(SessionTest, ExpireOnCommitOffKeepsValuesAfterClose) {
  auto s = session({.expire_on_commit = false});
  auto u = make<User>({.name = "kept"});
  s.add(u);
  s.commit();
  s.close();
  EXPECT_EQ(u->name, "kept");
}

TEST_P(SessionTest, ExpireDiscardsUnflushedChanges) {
  auto s = session();
  auto u = make<User>({.name = "orig"});
  s.add(u);
  s.commit();
  u->name = "changed";
  s.expire(u);
  EXPECT_EQ(u->name, "orig");
  EXPECT_TRUE(s.dirty_objects().empty());
}

TEST_P(SessionTest, RefreshReloadsAndMissingRowIsAnError) {
  auto s = session();
  auto u = make<User>({.name = "r"});
  s.add(u);
  s.commit();
  (void)u->name;
  s.execute(text("UPDATE users SET name = 'r2'"));
  s.refresh(u);
  EXPECT_EQ(u.get()->name, "r2");
  s.execute(text("DELETE FROM users"));
  EXPECT_THROW(s.refresh(u), InvalidRequest);
}

TEST_P(SessionTest, ExpungeMakesDetachedOrTransient) {
  auto s = session();
  auto p = make<User>({.name = "p"});
  s.add(p);
  s.expunge(p);
  EXPECT_EQ(state_of(p), ObjectState::transient);
  auto q = make<User>({.name = "q"});
  s.add(q);
  s.flush();
  s.expunge(q);
  EXPECT_EQ(state_of(q), ObjectState::detached);
  EXPECT_THROW(s.expunge(q), InvalidRequest);
}

TEST_P(SessionTest, RollbackRestoresStates) {
  auto s = session();
  auto kept = make<User>({.name = "kept"});
  s.add(kept);
  s.commit();
  auto fresh = make<User>({.name = "fresh"});
  s.add(fresh);
  s.flush();
  s.remove(kept);
  s.flush();
  EXPECT_EQ(state_of(kept), ObjectState::deleted);
  s.rollback();
  EXPECT_EQ(state_of(fresh), ObjectState::transient);
  EXPECT_EQ(fresh.get()->name, "fresh") << "values stay";
  EXPECT_EQ(state_of(kept), ObjectState::persistent);
  EXPECT_EQ(count_rows("users"), 1);
}

TEST_P(SessionTest, CloseEmitsRollbackOnlyWithOpenTransaction) {
  auto s = session();
  s.close();
  EXPECT_EQ(recorder_.count("ROLLBACK"), 0u);
  (void)s.query<User>().count();
  s.close();
  EXPECT_EQ(recorder_.count("ROLLBACK"), 1u);
}

TEST_P(SessionTest, FailedFlushRollsBackAndRestoresEverything) {
  auto s = session();
  auto a = make<User>({.name = "a"});
  s.add(a);
  s.commit();
  (void)a->name;
  // One flush: an UPDATE, then INSERTs of which the second violates UNIQUE(name).
  a->fullname = "changed";
  auto b = make<User>({.name = "b"});
  auto dup = make<User>({.name = "a"});
  s.add(b);
  s.add(dup);
  EXPECT_THROW(s.flush(), IntegrityError);
  EXPECT_EQ(state_of(b), ObjectState::pending);
  EXPECT_EQ(state_of(dup), ObjectState::pending);
  EXPECT_EQ(b.get()->id, 0) << "generated key undone";
  EXPECT_EQ(a.get()->fullname, "changed") << "the change is kept, to be flushed again";
  EXPECT_EQ(s.new_objects().size(), 2u);
  EXPECT_EQ(s.dirty_objects().size(), 1u);
  // Fix the cause and flush again.
  dup->name = "c";
  s.commit();
  EXPECT_EQ(count_rows("users"), 3);
  EXPECT_EQ(rows("SELECT fullname FROM users WHERE name = 'a'")[0][0].as_text(), "changed");
}

TEST_P(SessionTest, FailedFirstFlushLeavesNoTransaction) {
  auto s = session();
  s.add(make<User>({.name = "x"}));
  s.add(make<User>({.name = "x"}));
  EXPECT_THROW(s.flush(), IntegrityError);
  EXPECT_EQ(count_rows("users"), 0);
  EXPECT_EQ(s.new_objects().size(), 2u);
}

TEST_P(SessionTest, VersionCounter) {
  auto s = session();
  auto v = make<Versioned>({.name = "v"});
  s.add(v);
  s.commit();
  EXPECT_EQ(v->version, 1);
  v->name = "v2";
  s.commit();
  EXPECT_EQ(v->version, 2);
  auto updates = recorder_.starting_with("UPDATE");
  ASSERT_FALSE(updates.empty());
  EXPECT_NE(updates.back().find("version"), std::string::npos);
  // Someone else changes the row: our UPDATE matches nothing.
  (void)v->name;
  s.execute(text("UPDATE versioned SET version = 10"));
  v->name = "v3";
  try {
    s.flush();
    FAIL() << "expected StaleDataError";
  } catch (const StaleDataError& e) {
    EXPECT_STREQ(e.what(),
                 "UPDATE statement on table 'versioned' expected to update 1 row(s); 0 were "
                 "matched.");
  }
}

TEST_P(SessionTest, DeleteOfVanishedRowWarns) {
  auto s = session();
  auto u = make<User>({.name = "w"});
  s.add(u);
  s.commit();
  (void)u->name;
  s.execute(text("DELETE FROM users"));
  s.remove(u);
  WarningCapture warnings;
  s.flush();
  ASSERT_TRUE(warnings.has("delete-rowcount"));
  EXPECT_EQ(warnings.warnings()[0].message,
            "DELETE statement on table 'users' expected to delete 1 row(s); 0 were matched.");
}

TEST_P(SessionTest, RowSwitchBecomesUpdate) {
  auto s = session();
  auto old = make<User>({.id = 5, .name = "old"});
  s.add(old);
  s.commit();
  (void)old->name;
  s.remove(old);
  auto replacement = make<User>({.id = 5, .name = "new"});
  s.add(replacement);
  recorder_.clear();
  s.flush();
  EXPECT_EQ(recorder_.count("DELETE"), 0u);
  EXPECT_EQ(recorder_.count("INSERT"), 0u);
  EXPECT_EQ(recorder_.count("UPDATE"), 1u);
  EXPECT_EQ(state_of(replacement), ObjectState::persistent);
  EXPECT_EQ(state_of(old), ObjectState::deleted);
  s.commit();
  EXPECT_EQ(rows("SELECT name FROM users WHERE id = 5")[0][0].as_text(), "new");
}

TEST_P(SessionTest, AutoflushBeforeQueryAndNoAutoflushScope) {
  auto s = session();
  s.add(make<User>({.name = "auto"}));
  {
    auto guard = s.no_autoflush();
    EXPECT_EQ(s.query<User>().count(), 0);
  }
  EXPECT_EQ(s.query<User>().count(), 1);
}

TEST_P(SessionTest, QueryFilterOrderLimitOffset) {
  auto s = session();
  for (const char* n : {"ann", "bob", "cat", "dan", "eve"}) s.add(make<User>({.name = n}));
  s.commit();
  auto q =
      s.query<User>()
          .filter(col(&User::name) != "cat" && col(&User::name).in({"ann", "bob", "cat", "dan"}))
          .order_by(desc(&User::name));
  auto all = q.all();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]->name, "dan");
  EXPECT_EQ(all[2]->name, "ann");
  auto page = s.query<User>().order_by(&User::name).limit(2).offset(1).all();
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0]->name, "bob");
  EXPECT_EQ(s.query<User>().filter(col(&User::name).like("%a%")).count(), 3);
  EXPECT_EQ(s.query<User>().filter(col(&User::fullname).is_null()).count(), 5);
  EXPECT_EQ(s.query<User>().filter(col(&User::name).in(std::vector<std::string>{})).count(), 0);
  EXPECT_EQ(s.query<User>().filter(col(&User::name).not_in({"ann"})).count(), 4);
  EXPECT_EQ(s.query<User>().filter(!(col(&User::name) == "ann") || col(&User::id) < 0).count(), 4);
  EXPECT_TRUE(s.query<User>().filter_by(&User::name, "eve").exists());
  EXPECT_FALSE(s.query<User>().filter_by(&User::name, "zed").exists());
  EXPECT_EQ(s.query<User>().order_by(&User::name).first()->name, "ann");
  EXPECT_EQ(s.query<User>().filter_by(&User::name, "zed").first(), nullptr);
  EXPECT_THROW((void)s.query<User>().one(), MultipleResultsFound);
  EXPECT_THROW((void)s.query<User>().filter_by(&User::name, "zed").one(), NoResultFound);
  EXPECT_EQ(s.query<User>().filter_by(&User::name, "zed").one_or_none(), nullptr);
  auto names = s.query<User>().order_by(&User::name).values(&User::name, &User::fullname);
  ASSERT_EQ(names.size(), 5u);
  EXPECT_EQ(std::get<0>(names[1]), "bob");
  EXPECT_EQ(std::get<1>(names[1]), std::nullopt);
}

TEST_P(SessionTest, QueryResultsGoThroughIdentityMap) {
  auto s = session();
  auto u = make<User>({.name = "same"});
  s.add(u);
  s.commit();
  (void)u->name;
  u->fullname = "unflushed";
  {
    auto guard = s.no_autoflush();
    auto found = s.query<User>().one();
    EXPECT_EQ(found, u);
    EXPECT_EQ(found->fullname, "unflushed") << "loaded attributes are not overwritten";
  }
}

TEST_P(SessionTest, StreamingIterationDoesNotKeepObjects) {
  auto s = session();
  for (int i = 0; i < 50; ++i) s.add(make<User>({.name = "s" + std::to_string(i)}));
  s.commit();
  int n = 0;
  for (const auto& u : s.query<User>()) {
    EXPECT_EQ(state_of(u), ObjectState::persistent);
    ++n;
  }
  EXPECT_EQ(n, 50);
  // Nothing was kept: a get() has to go to the database again.
  recorder_.clear();
  (void)s.get<User>(std::int64_t{1});
  EXPECT_EQ(recorder_.count("SELECT"), 1u);
}

TEST_P(SessionTest, RangeForOverAChainedTemporaryQuery) {
  auto s = session();
  for (const char* n : {"x1", "x2", "y1"}) s.add(make<User>({.name = n}));
  s.commit();
  std::vector<std::string> names;
  for (const auto& u : s.query<User>().filter(col(&User::name).like("x%")).order_by(&User::name))
    names.push_back(u->name);
  EXPECT_EQ(names, (std::vector<std::string>{"x1", "x2"}));
}

TEST_P(SessionTest, UnflushedChangeSurvivesDroppingTheHandle) {
  auto s = session();
  std::int64_t id = 0;
  {
    auto u = make<User>({.name = "drop"});
    s.add(u);
    s.commit();
    id = u->id;
    u->fullname = "changed then dropped";
  }
  s.commit();
  EXPECT_EQ(rows("SELECT fullname FROM users WHERE id = :id", {{"id", Value(id)}})[0][0].as_text(),
            "changed then dropped");
}

TEST_P(SessionTest, BulkUpdateAndDeleteSynchronizeSession) {
  auto s = session();
  auto a = make<User>({.name = "a"});
  auto b = make<User>({.name = "b"});
  s.add_all({a, b});
  s.commit();
  (void)a->name;
  (void)b->name;
  auto n =
      s.query<User>().filter_by(&User::name, "a").bulk_update({assign(&User::fullname, "bulk")});
  EXPECT_EQ(n, 1);
  EXPECT_EQ(a.get()->fullname, "bulk");
  EXPECT_TRUE(s.dirty_objects().empty());
  auto d = s.query<User>().filter_by(&User::name, "b").bulk_delete();
  EXPECT_EQ(d, 1);
  EXPECT_EQ(state_of(b), ObjectState::deleted);
  s.commit();
  EXPECT_EQ(count_rows("users"), 1);
}

TEST_P(SessionTest, BulkStatementsWithSynchronizeEvaluate) {
  auto s = session();
  auto a = make<User>({.name = "a"});
  auto b = make<User>({.name = "b"});
  auto c = make<User>({.name = "c", .fullname = "C"});
  s.add_all({a, b, c});
  s.commit();
  for (auto* u : {&a, &b, &c}) (void)(*u)->name;
  recorder_.clear();
  auto n = s.query<User>()
               .filter(col(&User::name) >= "b" && col(&User::fullname).is_null())
               .bulk_update({assign(&User::fullname, "evaluated")}, Synchronize::evaluate);
  EXPECT_EQ(n, 1);
  EXPECT_EQ(recorder_.starting_with("UPDATE").at(0).find("RETURNING"), std::string::npos)
      << "evaluate needs no RETURNING";
  EXPECT_EQ(a.get()->fullname, std::nullopt);
  EXPECT_EQ(b.get()->fullname, "evaluated");
  EXPECT_EQ(c.get()->fullname, "C");
  auto d = s.query<User>()
               .filter(col(&User::name).in({"a", "c"}) || col(&User::name) < "a")
               .bulk_delete(Synchronize::evaluate);
  EXPECT_EQ(d, 2);
  EXPECT_EQ(state_of(a), ObjectState::deleted);
  EXPECT_EQ(state_of(b), ObjectState::persistent);
  EXPECT_EQ(state_of(c), ObjectState::deleted);
  // Raw SQL criteria cannot be evaluated in memory.
  EXPECT_THROW((void)s.query<User>().filter(sql_expr("1 = 1")).bulk_delete(Synchronize::evaluate),
               InvalidRequest);
  // Synchronize::none leaves objects alone.
  auto none = s.query<User>().bulk_update({assign(&User::fullname, "x")}, Synchronize::none);
  EXPECT_EQ(none, 1);
  EXPECT_EQ(b.get()->fullname, "evaluated");
}

TEST_P(SessionTest, AutoflushFailureSaysItCameFromAutoflush) {
  auto s = session();
  s.add(make<User>({.name = "twin"}));
  s.add(make<User>({.name = "twin"}));
  try {
    (void)s.query<User>().count();
    FAIL() << "expected IntegrityError";
  } catch (const IntegrityError& e) {
    EXPECT_NE(std::string(e.what()).find("no_autoflush"), std::string::npos) << e.what();
    EXPECT_FALSE(e.sqlstate().empty() && !e.sqlite_code()) << "driver details are kept";
  }
}

TEST_P(SessionTest, MergeCopiesOntoPersistentOrCreatesPending) {
  {
    auto s = session();
    s.add(make<User>({.id = 3, .name = "three"}));
    s.commit();
  }
  auto s = session();
  auto detached = make<User>({.id = 3, .name = "three", .fullname = "merged"});
  auto merged = s.merge(detached);
  EXPECT_NE(merged, detached);
  EXPECT_EQ(state_of(merged), ObjectState::persistent);
  EXPECT_EQ(state_of(detached), ObjectState::transient);
  EXPECT_EQ(merged->fullname, "merged");
  auto created = s.merge(make<User>({.id = 4, .name = "four"}));
  EXPECT_EQ(state_of(created), ObjectState::pending);
  s.commit();
  EXPECT_EQ(count_rows("users"), 2);
  EXPECT_EQ(rows("SELECT fullname FROM users WHERE id = 3")[0][0].as_text(), "merged");
  EXPECT_THROW((void)s.merge(make<User>({.id = 9, .name = "x"}), false), InvalidRequest);
}

TEST_P(SessionTest, AutobeginOff) {
  auto s = session({.autobegin = false});
  EXPECT_THROW((void)s.query<User>().count(), InvalidRequest);
  s.begin();
  EXPECT_EQ(s.query<User>().count(), 0);
}

}  // namespace

// Configuration errors need no database.
namespace {
struct NoKey {
  std::int64_t id = 0;
};
struct Twice {
  std::int64_t id = 0;
  std::string a, b;
};
struct Dangling {
  std::int64_t id = 0;
  std::int64_t other_id = 0;
};

std::string configure_error(Registry& r) {
  try {
    r.configure();
  } catch (const ConfigurationError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(RegistryConfigure, NoPrimaryKey) {
  Registry r;
  r.map<NoKey>("nokey", [](auto& m) { m.column("id", &NoKey::id); });
  auto msg = configure_error(r);
  EXPECT_NE(msg.find("NoKey"), std::string::npos) << msg;
  EXPECT_NE(msg.find("nokey"), std::string::npos) << msg;
  EXPECT_NE(msg.find("relate::primary_key()"), std::string::npos) << msg;
}

TEST(RegistryConfigure, TwoMembersOnOneColumn) {
  Registry r;
  r.map<Twice>("twice", [](auto& m) {
    m.column("id", &Twice::id, primary_key());
    m.column("a", &Twice::a);
    m.column("a", &Twice::b);
  });
  auto msg = configure_error(r);
  EXPECT_NE(msg.find("Twice"), std::string::npos) << msg;
  EXPECT_NE(msg.find("column 'a'"), std::string::npos) << msg;
}

TEST(RegistryConfigure, ForeignKeyToMissingTableOrColumn) {
  {
    Registry r;
    r.map<Dangling>("dangling", [](auto& m) {
      m.column("id", &Dangling::id, primary_key());
      m.column("other_id", &Dangling::other_id, foreign_key("nowhere.id"));
    });
    auto msg = configure_error(r);
    EXPECT_NE(msg.find("nowhere"), std::string::npos) << msg;
    EXPECT_NE(msg.find("other_id"), std::string::npos) << msg;
  }
  {
    Registry r;
    r.map<NoKey>("target", [](auto& m) { m.column("id", &NoKey::id, primary_key()); });
    r.map<Dangling>("dangling", [](auto& m) {
      m.column("id", &Dangling::id, primary_key());
      m.column("other_id", &Dangling::other_id, foreign_key("target.missing"));
    });
    auto msg = configure_error(r);
    EXPECT_NE(msg.find("missing"), std::string::npos) << msg;
  }
}
