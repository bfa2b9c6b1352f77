// Object states and their transitions (spec 6.1), the identity map and get()
// (6.2, 6.3), autoflush (6.4), commit / rollback / close (6.5-6.7), expire,
// refresh and expunge (6.8), merge (6.9) and the errors of 6.1, 6.8 and 6.10,
// on SQLite and PostgreSQL. Complements session_test.cpp.

#include <gtest/gtest.h>

#include "orm/orm_test_util.hpp"
#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::first_index;
using relate::testing::message_of;
using relate::testing::OrmTest;

namespace {

struct Person {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> nickname{};
};

struct Pair {
  std::int64_t a = 0;
  std::int64_t b = 0;
  std::string note{};
};

struct Doc {
  std::int64_t id = 0;
  std::string title{};
  std::int64_t version = 0;
};

class StatesTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<Person>("people", [](auto& m) {
      m.column("id", &Person::id, primary_key());
      m.column("name", &Person::name);
      m.column("nickname", &Person::nickname);
    });
    registry_.map<Pair>("pairs", [](auto& m) {
      m.column("a", &Pair::a, primary_key());
      m.column("b", &Pair::b, primary_key());
      m.column("note", &Pair::note);
    });
    registry_.map<Doc>("docs", [](auto& m) {
      m.column("id", &Doc::id, primary_key());
      m.column("title", &Doc::title);
      m.version_counter("version", &Doc::version);
    });
    create_schema();
  }

  // Commits a person through a Session of its own and returns its id.
  std::int64_t seed(const std::string& name, std::optional<std::string> nickname = {}) {
    auto s = session();
    auto p = make<Person>({.name = name, .nickname = std::move(nickname)});
    s.add(p);
    s.commit();
    return p.get()->id;
  }

  // A person loaded (not expired) into `s`, with the recorder cleared.
  Ptr<Person> loaded(Session& s, std::int64_t id) {
    auto p = s.get<Person>(id);
    EXPECT_TRUE(p);
    recorder_.clear();
    return p;
  }

  // A detached, fully loaded person: loaded by a Session that is then closed.
  Ptr<Person> detached(std::int64_t id) {
    auto s = session({.expire_on_commit = false});
    auto p = s.get<Person>(id);
    s.commit();
    s.close();
    recorder_.clear();
    return p;
  }
};
RELATE_INSTANTIATE_BACKENDS(StatesTest);

// ---- 6.1 states and transitions -----------------------------------------------

TEST_P(StatesTest, FullLifecycleAndSessionViews) {
  auto s = session();
  auto p = make<Person>({.name = "life"});
  EXPECT_EQ(state_of(p), ObjectState::transient);
  EXPECT_FALSE(s.contains(p));

  s.add(p);
  EXPECT_EQ(state_of(p), ObjectState::pending);
  EXPECT_TRUE(s.contains(p));
  ASSERT_EQ(s.new_objects().size(), 1u);
  EXPECT_EQ(s.new_objects()[0], Object(p));

  s.flush();
  EXPECT_EQ(state_of(p), ObjectState::persistent);
  EXPECT_TRUE(s.contains(p));
  EXPECT_TRUE(s.new_objects().empty());

  s.remove(p);
  EXPECT_EQ(state_of(p), ObjectState::persistent) << "marked, not yet flushed";
  EXPECT_TRUE(s.contains(p));
  ASSERT_EQ(s.deleted_objects().size(), 1u);
  EXPECT_EQ(s.deleted_objects()[0], Object(p));

  s.flush();
  EXPECT_EQ(state_of(p), ObjectState::deleted);
  EXPECT_FALSE(s.contains(p)) << "a deleted object is not 'in' the Session";
  EXPECT_TRUE(s.deleted_objects().empty()) << "deleted_objects() lists only marked objects";

  s.commit();
  EXPECT_EQ(state_of(p), ObjectState::detached);
  EXPECT_FALSE(s.contains(p));
}

TEST_P(StatesTest, CloseDetachesEverythingAndSessionIsReusable) {
  const auto kept_id = seed("kept");
  const auto marked_id = seed("marked");
  auto s = session();
  auto persistent = s.get<Person>(kept_id);
  auto marked = s.get<Person>(marked_id);
  s.remove(marked);
  auto pending = make<Person>({.name = "pending"});
  s.add(pending);
  {
    auto guard = s.no_autoflush();
    (void)s.query<Person>().count();  // make sure a transaction is open
  }
  recorder_.clear();
  s.close();
  EXPECT_EQ(recorder_.count("ROLLBACK"), 1u);
  EXPECT_EQ(state_of(persistent), ObjectState::detached);
  EXPECT_EQ(state_of(marked), ObjectState::detached);
  EXPECT_EQ(state_of(pending), ObjectState::transient);
  EXPECT_FALSE(s.contains(persistent));
  EXPECT_FALSE(s.contains(pending));
  EXPECT_TRUE(s.new_objects().empty());
  EXPECT_TRUE(s.dirty_objects().empty());
  EXPECT_TRUE(s.deleted_objects().empty());
  EXPECT_FALSE(s.in_transaction());
  EXPECT_EQ(persistent->name, "kept") << "loaded attributes stay readable";

  // Reusable: nothing of the closed transaction was written, new work is.
  s.add(make<Person>({.name = "after close"}));
  s.commit();
  EXPECT_EQ(count_rows("people"), 3);
}

TEST_P(StatesTest, ExpungeAllDetachesEverything) {
  const auto id = seed("one");
  auto s = session();
  auto persistent = s.get<Person>(id);
  auto pending = make<Person>({.name = "two"});
  s.add(pending);
  s.expunge_all();
  EXPECT_EQ(state_of(persistent), ObjectState::detached);
  EXPECT_EQ(state_of(pending), ObjectState::transient);
  EXPECT_TRUE(s.new_objects().empty());
  s.commit();
  EXPECT_EQ(count_rows("people"), 1) << "the expunged pending object is not inserted";
}

TEST_P(StatesTest, DetachedObjectIsReattachedByAddWithoutSql) {
  const auto id = seed("det");
  auto p = detached(id);
  ASSERT_EQ(state_of(p), ObjectState::detached);
  auto s = session();
  s.add(p);
  EXPECT_EQ(state_of(p), ObjectState::persistent);
  EXPECT_TRUE(s.contains(p));
  EXPECT_TRUE(s.dirty_objects().empty());
  EXPECT_EQ(s.get<Person>(id), p) << "re-attached into the identity map";
  EXPECT_TRUE(recorder_.statements().empty()) << "re-attaching needs no SQL";
}

TEST_P(StatesTest, DetachedObjectChangedWhileDetachedIsUpdatedAfterAdd) {
  const auto id = seed("before");
  auto p = detached(id);
  p->name = "after";
  auto s = session();
  s.add(p);
  EXPECT_EQ(s.dirty_objects().size(), 1u);
  s.commit();
  EXPECT_EQ(recorder_.count("UPDATE"), 1u);
  EXPECT_EQ(rows("SELECT name FROM people")[0][0].as_text(), "after");
}

TEST_P(StatesTest, DetachedObjectIsReattachedByRemove) {
  const auto id = seed("bye");
  auto p = detached(id);
  auto s = session();
  s.remove(p);
  EXPECT_EQ(state_of(p), ObjectState::persistent);
  EXPECT_TRUE(s.contains(p));
  EXPECT_EQ(s.deleted_objects().size(), 1u);
  s.commit();
  EXPECT_EQ(state_of(p), ObjectState::detached);
  EXPECT_EQ(count_rows("people"), 0);
}

TEST_P(StatesTest, MakeTransientOfPersistentAndPending) {
  const auto id = seed("mt");
  auto s = session();
  auto p = s.get<Person>(id);
  make_transient(p);
  EXPECT_EQ(state_of(p), ObjectState::transient);
  EXPECT_FALSE(s.contains(p));
  EXPECT_EQ(p.get()->name, "mt") << "values stay";
  recorder_.clear();
  auto again = s.get<Person>(id);
  EXPECT_NE(again, p) << "the identity map forgot the transient object";
  EXPECT_EQ(recorder_.count("SELECT"), 1u);

  auto q = make<Person>({.name = "pending"});
  s.add(q);
  make_transient(q);
  EXPECT_EQ(state_of(q), ObjectState::transient);
  EXPECT_TRUE(s.new_objects().empty());
  s.commit();
  EXPECT_EQ(count_rows("people"), 1);
}

TEST_P(StatesTest, DeletedObjectCannotBeAddedBackBeforeCommitEither) {
  const auto id = seed("del");
  auto s = session();
  auto p = s.get<Person>(id);
  s.remove(p);
  s.flush();
  ASSERT_EQ(state_of(p), ObjectState::deleted);
  auto msg = message_of<InvalidRequest>([&] { s.add(p); });
  EXPECT_HAS(msg, "has been deleted");
  EXPECT_HAS(msg, "make_transient");
  EXPECT_HAS(msg, "Person");
  EXPECT_EQ(state_of(p), ObjectState::deleted) << "the failed add changed nothing";
}

TEST_P(StatesTest, RemoveErrorsAndNoOps) {
  auto s = session();
  auto t = make<Person>({.name = "t"});
  auto msg = message_of<InvalidRequest>([&] { s.remove(t); });
  EXPECT_HAS(msg, "is not persisted");
  EXPECT_HAS(msg, "Person");
  EXPECT_EQ(state_of(t), ObjectState::transient);
  s.add(t);
  msg = message_of<InvalidRequest>([&] { s.remove(t); });
  EXPECT_HAS(msg, "is not persisted");
  EXPECT_EQ(state_of(t), ObjectState::pending);

  s.flush();
  s.remove(t);
  s.remove(t);  // already marked: a no-op
  EXPECT_EQ(s.deleted_objects().size(), 1u);
  recorder_.clear();
  s.flush();
  EXPECT_EQ(recorder_.count("DELETE"), 1u);
}

TEST_P(StatesTest, ObjectOfAnotherLiveSessionIsRefusedByRemoveAndExpunge) {
  const auto id = seed("mine");
  auto s1 = session();
  auto s2 = session();
  auto p = s1.get<Person>(id);
  auto msg = message_of<InvalidRequest>([&] { s2.remove(p); });
  EXPECT_HAS(msg, "already attached");
  EXPECT_HAS(msg, "Person");
  EXPECT_EQ(state_of(p), ObjectState::persistent);
  EXPECT_TRUE(s1.contains(p));
  EXPECT_FALSE(s2.contains(p));
  EXPECT_TRUE(s2.deleted_objects().empty());
  msg = message_of<InvalidRequest>([&] { s2.expunge(p); });
  EXPECT_HAS(msg, "not present in this Session");
  msg = message_of<InvalidRequest>([&] { s2.expire(p); });
  EXPECT_HAS(msg, "is not persistent within this Session");
  msg = message_of<InvalidRequest>([&] { s2.refresh(p); });
  EXPECT_HAS(msg, "is not persistent within this Session");
}

TEST_P(StatesTest, ExpireAndRefreshNeedAPersistentObject) {
  auto s = session();
  auto t = make<Person>({.name = "t"});
  auto msg = message_of<InvalidRequest>([&] { s.expire(t); });
  EXPECT_HAS(msg, "is not persistent within this Session");
  EXPECT_HAS(msg, "Person");
  msg = message_of<InvalidRequest>([&] { s.refresh(t); });
  EXPECT_HAS(msg, "is not persistent within this Session");
  s.add(t);
  msg = message_of<InvalidRequest>([&] { s.expire(t); });
  EXPECT_HAS(msg, "is not persistent within this Session");
  msg = message_of<InvalidRequest>([&] { s.refresh(t); });
  EXPECT_HAS(msg, "is not persistent within this Session");
  EXPECT_EQ(state_of(t), ObjectState::pending);
  s.flush();
  msg = message_of<InvalidRequest>([&] { s.expire(t, {"nope"}); });
  EXPECT_HAS(msg, "no mapped column 'nope'");
  s.expunge(t);
  msg = message_of<InvalidRequest>([&] { s.expire(t); });
  EXPECT_HAS(msg, "is not persistent within this Session");
  auto transient = make<Person>();
  msg = message_of<InvalidRequest>([&] { s.expunge(transient); });
  EXPECT_HAS(msg, "not present in this Session");
}

// ---- 6.2 / 6.3 identity map and get() --------------------------------------------

TEST_P(StatesTest, GetOfExpiredObjectReselectsIntoTheSameObject) {
  const auto id = seed("exp");
  auto s = session();
  auto p = s.get<Person>(id);
  s.commit();  // expires p
  s.execute(text("UPDATE people SET name = 'changed'"));
  recorder_.clear();
  auto again = s.get<Person>(id);
  EXPECT_EQ(again, p) << "same object";
  EXPECT_EQ(recorder_.count("SELECT"), 1u);
  EXPECT_EQ(p->name, "changed");
  EXPECT_EQ(recorder_.count("SELECT"), 1u) << "get() loaded it; the access needs no SQL";
}

TEST_P(StatesTest, GetOfExpiredObjectWhoseRowIsGoneReturnsNull) {
  const auto id = seed("gone");
  auto s = session();
  auto p = s.get<Person>(id);
  s.commit();
  s.execute(text("DELETE FROM people"));
  EXPECT_EQ(s.get<Person>(id), nullptr);
}

TEST_P(StatesTest, GetOfMarkedDeleteReturnsItUntilTheFlush) {
  const auto id = seed("marked");
  auto s = session();
  auto p = loaded(s, id);
  s.remove(p);
  EXPECT_EQ(s.get<Person>(id), p);
  EXPECT_TRUE(recorder_.statements().empty()) << "from the identity map, no autoflush";
  EXPECT_EQ(s.deleted_objects().size(), 1u) << "and still marked";
  s.flush();
  recorder_.clear();
  EXPECT_EQ(s.get<Person>(id), nullptr);
  EXPECT_EQ(recorder_.count("SELECT"), 1u) << "no longer in the map: the database is asked";
}

TEST_P(StatesTest, CompositeKeysIdentityMapUpdateAndArity) {
  {
    auto s = session();
    s.add_all({make<Pair>({.a = 1, .b = 2, .note = "12"}),
               make<Pair>({.a = 2, .b = 1, .note = "21"}),
               make<Pair>({.a = 1, .b = 3, .note = "13"})});
    s.commit();
  }
  auto s = session();
  auto p21 = s.get<Pair>(2, 1);
  ASSERT_TRUE(p21);
  EXPECT_EQ(p21->note, "21");
  auto p12 = s.get<Pair>(std::int64_t{1}, std::int64_t{2});
  ASSERT_TRUE(p12);
  EXPECT_EQ(p12->note, "12");
  recorder_.clear();
  EXPECT_EQ(s.get<Pair>(1, 2), p12) << "key order matters, and the map answers";
  EXPECT_TRUE(recorder_.statements().empty());
  EXPECT_EQ(s.get<Pair>(3, 1), nullptr);

  auto msg = message_of<InvalidRequest>([&] { (void)s.get<Pair>(1); });
  EXPECT_HAS(msg, "Pair");
  EXPECT_HAS(msg, "2 column(s)");
  EXPECT_HAS(msg, "1 value(s)");
  msg = message_of<InvalidRequest>([&] { (void)s.get<Pair>(1, 2, 3); });
  EXPECT_HAS(msg, "3 value(s)");
  msg = message_of<InvalidRequest>([&] { (void)s.get<Person>(1, 2); });
  EXPECT_HAS(msg, "1 column(s)");

  p12->note = "changed";
  s.remove(p21);
  s.commit();
  auto r = rows("SELECT a, b, note FROM pairs ORDER BY a, b");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0][2].as_text(), "changed");
  EXPECT_EQ(r[1][1].as_integer(), 3);
}

// ---- 6.4 autoflush ------------------------------------------------------------------

TEST_P(StatesTest, GetThatNeedsSqlAutoflushes) {
  auto s = session();
  auto p = make<Person>({.name = "pending"});
  s.add(p);
  auto found = s.get<Person>(std::int64_t{1});
  const auto& sql = recorder_.statements();
  const auto insert = first_index(sql, "INSERT");
  const auto select = first_index(sql, "SELECT");
  ASSERT_LT(insert, sql.size()) << "the pending object was flushed";
  EXPECT_LT(insert, select) << "before the SELECT";
  EXPECT_EQ(found, p) << "and the get() found it";
}

TEST_P(StatesTest, GetFromTheIdentityMapDoesNotAutoflush) {
  const auto id = seed("there");
  auto s = session();
  auto p = loaded(s, id);
  auto q = make<Person>({.name = "pending"});
  s.add(q);
  EXPECT_EQ(s.get<Person>(id), p);
  EXPECT_TRUE(recorder_.statements().empty());
  EXPECT_EQ(state_of(q), ObjectState::pending);
}

TEST_P(StatesTest, GetOfExpiredObjectAutoflushes) {
  const auto id = seed("expired");
  auto s = session();
  auto p = s.get<Person>(id);
  s.commit();  // p is expired: get() must go to the database
  auto q = make<Person>({.name = "pending"});
  s.add(q);
  recorder_.clear();
  EXPECT_EQ(s.get<Person>(id), p);
  const auto& sql = recorder_.statements();
  const auto insert = first_index(sql, "INSERT");
  EXPECT_LT(insert, sql.size()) << "a get() that hits the database autoflushes (spec 6.4)";
  EXPECT_LT(insert, first_index(sql, "SELECT"));
  EXPECT_EQ(state_of(q), ObjectState::persistent);
}

TEST_P(StatesTest, RefreshAutoflushes) {
  const auto id = seed("r");
  auto s = session();
  auto p = loaded(s, id);
  auto q = make<Person>({.name = "pending"});
  s.add(q);
  s.refresh(p);
  const auto& sql = recorder_.statements();
  const auto insert = first_index(sql, "INSERT");
  ASSERT_LT(insert, sql.size());
  EXPECT_LT(insert, first_index(sql, "SELECT"));
  EXPECT_EQ(state_of(q), ObjectState::persistent);
}

TEST_P(StatesTest, RefreshDiscardsLoadedValuesAndReloadsAll) {
  const auto id = seed("orig", "nick");
  auto s = session();
  auto p = loaded(s, id);
  s.execute(text("UPDATE people SET name = 'db', nickname = NULL"));
  s.refresh(p);
  EXPECT_EQ(p.get()->name, "db");
  EXPECT_EQ(p.get()->nickname, std::nullopt);
  EXPECT_FALSE(is_modified(p));
}

TEST_P(StatesTest, EveryQueryExecutionAutoflushes) {
  auto s = session();
  s.add(make<Person>({.name = "a"}));
  EXPECT_EQ(s.query<Person>().count(), 1);
  s.add(make<Person>({.name = "b"}));
  EXPECT_EQ(s.query<Person>().all().size(), 2u);
  s.add(make<Person>({.name = "c"}));
  EXPECT_TRUE(s.query<Person>().filter_by(&Person::name, "c").exists());
  s.add(make<Person>({.name = "d"}));
  EXPECT_TRUE(s.query<Person>().filter_by(&Person::name, "d").first());
  s.add(make<Person>({.name = "e"}));
  EXPECT_TRUE(s.query<Person>().filter_by(&Person::name, "e").one_or_none());
  s.add(make<Person>({.name = "f"}));
  EXPECT_EQ(s.query<Person>().values(&Person::name).size(), 6u);
  s.add(make<Person>({.name = "g"}));
  std::size_t n = 0;
  for (const auto& p : s.query<Person>()) {
    (void)p;
    ++n;
  }
  EXPECT_EQ(n, 7u);
  EXPECT_TRUE(s.new_objects().empty());
}

TEST_P(StatesTest, AutoflushOffButCommitStillFlushes) {
  auto s = session({.autoflush = false});
  auto p = make<Person>({.name = "late"});
  s.add(p);
  EXPECT_EQ(s.query<Person>().count(), 0);
  EXPECT_EQ(s.get<Person>(std::int64_t{1}), nullptr);
  EXPECT_EQ(state_of(p), ObjectState::pending);
  s.commit();
  EXPECT_EQ(state_of(p), ObjectState::persistent);
  EXPECT_EQ(count_rows("people"), 1);
}

// ---- 6.5 commit ------------------------------------------------------------------

TEST_P(StatesTest, CommitWithoutTransactionEmitsNoSqlButExpires) {
  const auto id = seed("stamp");
  auto p = detached(id);
  auto s = session();
  s.add(p);  // persistent without any SQL
  ASSERT_EQ(state_of(p), ObjectState::persistent);
  EXPECT_FALSE(s.in_transaction());
  recorder_.clear();
  s.commit();
  EXPECT_TRUE(recorder_.statements().empty()) << "no BEGIN, no COMMIT";
  EXPECT_EQ(p->name, "stamp");
  EXPECT_EQ(recorder_.count("SELECT"), 1u) << "the commit expired the object";
}

TEST_P(StatesTest, ExpireOnCommitOffKeepsLoadedStateWithoutSql) {
  auto s = session({.expire_on_commit = false});
  auto p = make<Person>({.name = "keep"});
  s.add(p);
  s.commit();
  s.execute(text("UPDATE people SET name = 'elsewhere'"));
  s.commit();
  recorder_.clear();
  EXPECT_EQ(p->name, "keep") << "not expired: the in-memory value stays";
  EXPECT_TRUE(recorder_.statements().empty());
  EXPECT_EQ(state_of(p), ObjectState::persistent);
}

TEST_P(StatesTest, ExpireOnCommitExpiresEveryObjectInTheMap) {
  const auto a = seed("a");
  const auto b = seed("b");
  auto s = session();
  auto pa = s.get<Person>(a);
  auto pb = s.get<Person>(b);
  s.commit();
  s.execute(text("UPDATE people SET nickname = 'n'"));
  recorder_.clear();
  EXPECT_EQ(pa->nickname, "n");
  EXPECT_EQ(pb->nickname, "n");
  EXPECT_EQ(recorder_.count("SELECT"), 2u);
}

// ---- 6.6 rollback ------------------------------------------------------------------

TEST_P(StatesTest, RollbackMakesInsertedObjectsTransientKeepingTheirValues) {
  auto s = session();
  auto p = make<Person>({.name = "ins", .nickname = "n"});
  s.add(p);
  s.flush();
  const auto id = p.get()->id;
  ASSERT_GT(id, 0);
  s.rollback();
  EXPECT_EQ(state_of(p), ObjectState::transient);
  EXPECT_FALSE(s.contains(p));
  EXPECT_EQ(p.get()->id, id) << "the generated key stays in memory";
  EXPECT_EQ(p->name, "ins");
  EXPECT_EQ(p->nickname, "n");
  EXPECT_EQ(s.get<Person>(id), nullptr);
  EXPECT_EQ(count_rows("people"), 0);
}

TEST_P(StatesTest, RollbackMakesInsertedObjectsTransientEvenIfExpungedMeanwhile) {
  auto s = session();
  auto readded = make<Person>({.name = "expunged and added back"});
  auto expunged = make<Person>({.name = "expunged"});
  s.add(readded);
  s.add(expunged);
  s.flush();
  s.expunge(readded);
  s.expunge(expunged);
  s.add(readded);
  EXPECT_EQ(state_of(readded), ObjectState::persistent);
  s.rollback();
  EXPECT_EQ(state_of(readded), ObjectState::transient) << "its row is gone";
  EXPECT_EQ(state_of(expunged), ObjectState::transient) << "its row is gone";
  s.add(readded);
  s.commit();
  EXPECT_EQ(count_rows("people"), 1) << "added again, it is inserted again";
}

TEST_P(StatesTest, AVersionedObjectDeletedAfterARollbackChecksTheDatabasesVersion) {
  auto s = session();
  auto d = make<Doc>({.id = 1, .title = "t"});
  s.add(d);
  s.commit();
  d->title = "changed";
  s.flush();  // version 2, rolled back to 1
  s.rollback();
  s.remove(d);
  EXPECT_NO_THROW(s.commit()) << "not StaleDataError for the rolled back version";
  EXPECT_EQ(count_rows("docs"), 0);
}

TEST_P(StatesTest, RollbackRestoresDeletedUnmarksAndExpires) {
  const auto a = seed("a");
  const auto b = seed("b");
  const auto c = seed("c");
  auto s = session();
  auto pa = s.get<Person>(a);
  auto pb = s.get<Person>(b);
  auto pc = s.get<Person>(c);
  pa->name = "a2";
  s.remove(pb);
  s.flush();
  s.remove(pc);  // marked, not flushed
  pa->nickname = "unflushed";
  s.rollback();
  EXPECT_FALSE(s.in_transaction());
  EXPECT_EQ(state_of(pb), ObjectState::persistent);
  EXPECT_TRUE(s.contains(pb));
  EXPECT_EQ(state_of(pc), ObjectState::persistent);
  EXPECT_TRUE(s.deleted_objects().empty());
  EXPECT_TRUE(s.dirty_objects().empty()) << "everything is expired";
  recorder_.clear();
  EXPECT_EQ(pa->name, "a") << "flushed change rolled back and reloaded";
  EXPECT_EQ(pa->nickname, std::nullopt) << "unflushed change discarded";
  EXPECT_EQ(recorder_.count("SELECT"), 1u);
  EXPECT_EQ(s.get<Person>(b), pb);
  s.commit();
  EXPECT_EQ(count_rows("people"), 3);
}

TEST_P(StatesTest, RollbackRevertsAFlushedPrimaryKeyChange) {
  {
    auto s = session();
    s.add(make<Person>({.id = 5, .name = "five"}));
    s.commit();
  }
  auto s = session();
  auto p = s.get<Person>(5);
  p->id = 6;
  s.flush();
  ASSERT_EQ(s.get<Person>(6), p);
  s.rollback();
  EXPECT_EQ(state_of(p), ObjectState::persistent);
  EXPECT_EQ(s.get<Person>(5), p) << "spec 6.6: the identity map is keyed by the old key again";
  try {
    EXPECT_EQ(p->id, 5) << "reloaded from the restored row";
    EXPECT_EQ(p->name, "five");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "access after rollback threw: " << e.what();
  }
}

TEST_P(StatesTest, RollbackAfterARowSwitch) {
  {
    auto s = session();
    s.add(make<Person>({.id = 5, .name = "old"}));
    s.commit();
  }
  auto s = session();
  auto old = s.get<Person>(5);
  s.remove(old);
  auto replacement = make<Person>({.id = 5, .name = "new"});
  s.add(replacement);
  s.flush();  // one UPDATE of row 5 (row switch)
  try {
    s.rollback();
  } catch (const std::exception& e) {
    FAIL() << "rollback threw: " << e.what();
  }
  EXPECT_EQ(state_of(replacement), ObjectState::transient)
      << "added in this transaction: back to transient";
  EXPECT_EQ(state_of(old), ObjectState::persistent) << "deleted in this transaction: restored";
  EXPECT_EQ(s.get<Person>(5), old);
  EXPECT_EQ(old->name, "old");
}

// ---- 6.7 close ------------------------------------------------------------------------

TEST_P(StatesTest, CloseWithoutTransactionEmitsNothingAndDetaches) {
  const auto id = seed("c");
  auto p = detached(id);
  auto s = session();
  s.add(p);
  recorder_.clear();
  s.close();
  EXPECT_TRUE(recorder_.statements().empty());
  EXPECT_EQ(state_of(p), ObjectState::detached);
  EXPECT_EQ(p->name, "c");
}

TEST_P(StatesTest, ClosedSessionDetachedObjectExpiredAttributeRaises) {
  const auto id = seed("x");
  auto s = session();
  auto p = s.get<Person>(id);
  s.expire(p, {"nickname"});
  s.close();
  EXPECT_EQ(state_of(p), ObjectState::detached);
  EXPECT_EQ(p.get()->name, "x") << "the loaded value is kept";
  // Access through the handle is per object (object.hpp): with any attribute
  // expired, a detached object cannot be accessed through operator->.
  auto msg = message_of<DetachedInstanceError>([&] { (void)p->nickname; });
  EXPECT_HAS(msg, "is not bound to a Session");
  EXPECT_HAS(msg, "Person");
}

// ---- 6.8 expire of named columns -------------------------------------------------

TEST_P(StatesTest, ExpireNamedColumnsKeepsOtherChanges) {
  const auto id = seed("orig");
  auto s = session();
  auto p = loaded(s, id);
  p->name = "discarded";
  p->nickname = "kept";
  s.execute(text("UPDATE people SET name = 'db name', nickname = 'db nick'"));
  recorder_.clear();
  s.expire(p, {"name"});
  EXPECT_TRUE(recorder_.statements().empty()) << "expire itself emits nothing";
  EXPECT_TRUE(is_modified(p)) << "the nickname change is still there";
  EXPECT_EQ(p->name, "db name") << "the expired column is reloaded";
  EXPECT_EQ(recorder_.count("SELECT"), 1u);
  EXPECT_EQ(p->nickname, "kept") << "a loaded column is not overwritten by the reload";
  s.commit();
  auto r = rows("SELECT name, nickname FROM people");
  EXPECT_EQ(r[0][0].as_text(), "db name");
  EXPECT_EQ(r[0][1].as_text(), "kept");
}

TEST_P(StatesTest, ExpireAllDiscardsUnflushedChanges) {
  const auto a = seed("a");
  const auto b = seed("b");
  auto s = session();
  auto pa = s.get<Person>(a);
  auto pb = s.get<Person>(b);
  pa->name = "x";
  pb->name = "y";
  s.expire_all();
  EXPECT_TRUE(s.dirty_objects().empty());
  EXPECT_EQ(pa->name, "a");
  EXPECT_EQ(pb->name, "b");
  recorder_.clear();
  s.flush();
  EXPECT_TRUE(recorder_.statements().empty());
}

// ---- 6.9 merge ---------------------------------------------------------------------

TEST_P(StatesTest, MergeWithLoadFalseRefusesTransientAndModifiedObjects) {
  const auto id = seed("m");
  auto s = session();
  auto msg = message_of<InvalidRequest>([&] { (void)s.merge(make<Person>({.name = "t"}), false); });
  EXPECT_HAS(msg, "load=false");
  EXPECT_HAS(msg, "transient");
  auto d = detached(id);
  d->name = "changed while detached";
  msg = message_of<InvalidRequest>([&] { (void)s.merge(d, false); });
  EXPECT_HAS(msg, "load=false");
  EXPECT_HAS(msg, "Person");
  EXPECT_TRUE(s.new_objects().empty());
  EXPECT_EQ(s.get<Person>(id)->name, "m") << "nothing was copied";
}

TEST_P(StatesTest, MergeWithLoadFalseStampsWithoutSql) {
  const auto id = seed("clean", "nick");
  auto d = detached(id);
  auto s = session();
  recorder_.clear();
  auto merged = s.merge(d, false);
  EXPECT_TRUE(recorder_.statements().empty());
  EXPECT_NE(merged, d) << "a copy";
  EXPECT_EQ(state_of(d), ObjectState::detached) << "the source is never attached";
  EXPECT_EQ(state_of(merged), ObjectState::persistent);
  EXPECT_EQ(merged.get()->name, "clean");
  EXPECT_EQ(merged.get()->nickname, "nick");
  EXPECT_FALSE(is_modified(merged));
  s.commit();
  EXPECT_EQ(recorder_.count("UPDATE"), 0u);
}

TEST_P(StatesTest, MergeLoadsTheTargetAndGeneratesHistory) {
  const auto id = seed("db");
  auto d = detached(id);
  d->name = "from detached";
  auto s = session();
  auto merged = s.merge(d);
  EXPECT_EQ(recorder_.count("SELECT"), 1u) << "the target is loaded";
  EXPECT_EQ(state_of(d), ObjectState::detached);
  EXPECT_EQ(d.get()->name, "from detached") << "the source is not modified";
  EXPECT_TRUE(is_modified(merged));
  EXPECT_EQ(s.dirty_objects().size(), 1u);
  s.commit();
  EXPECT_EQ(rows("SELECT name FROM people")[0][0].as_text(), "from detached");
}

TEST_P(StatesTest, MergeOntoAnExpiredTargetIsWritten) {
  const auto id = seed("db");
  auto s = session();
  auto target = s.get<Person>(id);
  s.commit();  // the target is expired
  auto merged = s.merge(make<Person>({.id = id, .name = "merged"}));
  EXPECT_EQ(merged, target);
  EXPECT_TRUE(is_modified(merged));
  s.commit();
  EXPECT_EQ(rows("SELECT name FROM people")[0][0].as_text(), "merged");
  EXPECT_EQ(target->name, "merged");
}

TEST_P(StatesTest, MergeLeavesAttributesExpiredOnTheSourceAlone) {
  const auto id = seed("name", "db nick");
  Ptr<Person> d;
  {
    auto s1 = session();
    d = s1.get<Person>(id);
    s1.expire(d, {"nickname"});
    s1.expunge(d);
  }
  d.get()->name = "merged name";
  d.get()->nickname = "stale, unloaded value";
  auto s = session();
  auto target = s.get<Person>(id);
  auto merged = s.merge(d);
  EXPECT_EQ(merged, target);
  EXPECT_EQ(target->name, "merged name");
  EXPECT_EQ(target->nickname, "db nick") << "an unloaded attribute of the source is not copied";
}

TEST_P(StatesTest, MergeOfAVersionMismatchRaisesStaleData) {
  {
    auto s = session();
    s.add(make<Doc>({.id = 1, .title = "t"}));
    s.commit();
  }
  Ptr<Doc> d;
  {
    auto s = session({.expire_on_commit = false});
    d = s.get<Doc>(1);
    ASSERT_EQ(d->version, 1);
  }
  {
    auto other = session();
    other.get<Doc>(1)->title = "someone else";
    other.commit();  // version 2
  }
  d.get()->title = "mine";
  auto s = session();
  auto msg = message_of<StaleDataError>([&] { (void)s.merge(d); });
  EXPECT_HAS(msg, "Doc");
  EXPECT_HAS(msg, "ersion");
  // Same when the target is already in the identity map.
  auto target = s.get<Doc>(1);
  (void)message_of<StaleDataError>([&] { (void)s.merge(d); });
  EXPECT_EQ(target->title, "someone else") << "nothing copied";
}

TEST_P(StatesTest, MergeWithLoadAutoflushes) {
  // Spec 6.4: merge(load=true) autoflushes, also when the target is in the map.
  const auto id = seed("m");
  auto s = session();
  auto target = loaded(s, id);
  auto pending = make<Person>({.name = "pending"});
  s.add(pending);
  auto source = make<Person>({.id = id, .name = "merged"});
  EXPECT_EQ(s.merge(source), target);
  EXPECT_EQ(recorder_.count("INSERT"), 1u);
  EXPECT_EQ(state_of(pending), ObjectState::persistent);
}

TEST_P(StatesTest, MergeWithoutKeyCreatesANewPendingObject) {
  auto s = session();
  auto source = make<Person>({.name = "no key"});
  auto merged = s.merge(source);
  EXPECT_NE(merged, source);
  EXPECT_EQ(state_of(source), ObjectState::transient);
  EXPECT_EQ(state_of(merged), ObjectState::pending);
  EXPECT_EQ(merged->name, "no key");
  s.commit();
  EXPECT_EQ(count_rows("people"), 1);
  EXPECT_EQ(source.get()->id, 0) << "the source is never modified";
}

}  // namespace
