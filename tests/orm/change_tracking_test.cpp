// How the flush finds changed plain members (DESIGN: snapshot comparison) and
// what an autoflush compares: objects reached through a handle since the last
// flush, plus every pending, deleted and relationship change. An explicit
// flush() or commit() compares every object reached since it was loaded.
// On SQLite and PostgreSQL.

#include <gtest/gtest.h>

#include "orm/orm_test_util.hpp"
#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::OrmTest;

namespace {

struct Owner;
struct Pet {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::int64_t> owner_id{};
  One<Owner> owner{};
};
struct Owner {
  std::int64_t id = 0;
  std::string name{};
  Many<Pet> pets{};
};

class ChangeTrackingTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<Owner>("owners", [](auto& m) {
      m.column("id", &Owner::id, primary_key());
      m.column("name", &Owner::name);
      m.relationship("pets", &Owner::pets,
                     {.back_populates = "owner", .cascade = "all, delete-orphan"});
    });
    registry_.map<Pet>("pets", [](auto& m) {
      m.column("id", &Pet::id, primary_key());
      m.column("name", &Pet::name);
      m.column("owner_id", &Pet::owner_id, foreign_key("owners.id"));
      m.relationship("owner", &Pet::owner, {.back_populates = "pets"});
    });
    create_schema();
    auto s = session();
    for (int i = 1; i <= 3; ++i) {
      auto o = make<Owner>({.name = "owner" + std::to_string(i)});
      for (int k = 1; k <= 2; ++k)
        o->pets.push_back(make<Pet>({.name = "pet" + std::to_string(i) + std::to_string(k)}));
      s.add(o);
    }
    s.commit();
    recorder_.clear();
  }

  std::int64_t count_named(const std::string& name, Session& s) {
    return static_cast<std::int64_t>(
        s.query<Owner>().filter(col(&Owner::name) == name).all().size());
  }
};

TEST_P(ChangeTrackingTest, AutoflushWritesAColumnChangedThroughAHandle) {
  auto s = session();
  auto o = s.get<Owner>(std::int64_t{1});
  o->name = "renamed";
  recorder_.clear();
  EXPECT_EQ(count_named("renamed", s), 1) << "the query saw the autoflushed UPDATE";
  EXPECT_EQ(recorder_.count("UPDATE"), 1u);
}

TEST_P(ChangeTrackingTest, AutoflushWithNothingChangedWritesNothing) {
  auto s = session();
  auto all = s.query<Owner>().all();
  for (const auto& o : all) EXPECT_FALSE(o->name.empty());
  recorder_.clear();
  for (std::int64_t id = 1; id <= 3; ++id) (void)s.get<Pet>(id);
  EXPECT_EQ(recorder_.count("UPDATE") + recorder_.count("INSERT") + recorder_.count("DELETE") +
                recorder_.count("SAVEPOINT"),
            0u);
  EXPECT_EQ(recorder_.count("SELECT"), 3u) << "one per get() of an object not in the map";
}

TEST_P(ChangeTrackingTest, AChangeMadeAfterAnEarlierAutoflushIsStillFound) {
  auto s = session();
  auto o = s.get<Owner>(std::int64_t{1});
  o->name = "first";
  EXPECT_EQ(count_named("first", s), 1);
  // Reached again after that flush: compared again at the next autoflush.
  o->name = "second";
  EXPECT_EQ(count_named("second", s), 1);
  s.commit();
  EXPECT_EQ(rows("SELECT name FROM owners WHERE id = 1").at(0).at(0), Value("second"));
}

TEST_P(ChangeTrackingTest, ARawPointerKeptAcrossAFlushIsWrittenByTheNextCommit) {
  auto s = session();
  auto o = s.get<Owner>(std::int64_t{2});
  Owner* raw = o.get();
  s.flush();
  raw->name = "through a raw pointer";  // no handle access after the flush
  recorder_.clear();
  // The documented limit: an autoflush does not compare objects not reached
  // through a handle since the last flush ...
  EXPECT_EQ(count_named("through a raw pointer", s), 0);
  EXPECT_EQ(recorder_.count("UPDATE"), 0u);
  // ... but flush() and commit() compare every object reached since it was loaded.
  s.commit();
  EXPECT_EQ(rows("SELECT name FROM owners WHERE id = 2").at(0).at(0),
            Value("through a raw pointer"));
}

TEST_P(ChangeTrackingTest, AnOrphanMadeThroughACollectionIsDeletedByTheNextAutoflush) {
  auto s = session();
  auto o = s.get<Owner>(std::int64_t{1});
  ASSERT_EQ(o->pets.size(), 2u);
  o->pets.erase(o->pets.begin());
  recorder_.clear();
  EXPECT_EQ(s.query<Pet>().all().size(), 5u);
  EXPECT_EQ(recorder_.count("DELETE"), 1u);
}

TEST_P(ChangeTrackingTest, AMoveThroughTheManyToOneIsWrittenByTheNextAutoflush) {
  auto s = session();
  auto pet = s.get<Pet>(std::int64_t{1});
  auto other = s.get<Owner>(std::int64_t{3});
  (void)s.query<Owner>().all();  // a flush in between: nothing reached since
  pet->owner = other;
  recorder_.clear();
  auto of_three = s.query<Pet>().filter(col(&Pet::owner_id) == std::int64_t{3}).all();
  EXPECT_EQ(of_three.size(), 3u);
  EXPECT_EQ(recorder_.count("UPDATE"), 1u);
}

TEST_P(ChangeTrackingTest, AnObjectChangedWhileDetachedIsWrittenWhenAddedBack) {
  Ptr<Owner> o;
  {
    auto s = session({.expire_on_commit = false});
    o = s.get<Owner>(std::int64_t{3});
    s.close();
  }
  o->name = "changed while detached";
  auto s = session();
  s.add(o);
  EXPECT_EQ(count_named("changed while detached", s), 1) << "autoflush after add()";
  s.commit();
  EXPECT_EQ(rows("SELECT name FROM owners WHERE id = 3").at(0).at(0),
            Value("changed while detached"));
}

TEST_P(ChangeTrackingTest, MergeOntoAnObjectNeverReachedIsWritten) {
  Ptr<Owner> detached;
  {
    auto s = session({.expire_on_commit = false});
    detached = s.get<Owner>(std::int64_t{2});
    s.close();
  }
  detached->name = "merged";
  auto s = session();
  (void)s.query<Owner>().all();  // loaded, never reached through a handle
  (void)s.merge(detached);
  EXPECT_EQ(count_named("merged", s), 1);
  s.commit();
  EXPECT_EQ(rows("SELECT name FROM owners WHERE id = 2").at(0).at(0), Value("merged"));
}

TEST_P(ChangeTrackingTest, AForeignKeySetByTheFlushOnAnUnreachedChildIsWritten) {
  auto s = session();
  auto pets = s.query<Pet>().all();  // loaded, not reached through a handle
  auto owner = s.get<Owner>(std::int64_t{3});
  owner->pets.push_back(pets.front());  // moves pet 1 from owner 1 to owner 3
  s.commit();
  EXPECT_EQ(rows("SELECT owner_id FROM pets WHERE id = 1").at(0).at(0), Value(std::int64_t{3}));
  EXPECT_EQ(count_rows("pets"), 6);
}

TEST_P(ChangeTrackingTest, DirtyObjectsListsOnlyChangedOnes) {
  auto s = session();
  auto all = s.query<Owner>().all();
  EXPECT_TRUE(s.dirty_objects().empty());
  all[1]->name = all[1]->name;  // a no-op assignment is not a change
  EXPECT_TRUE(s.dirty_objects().empty());
  all[2]->name = "x";
  ASSERT_EQ(s.dirty_objects().size(), 1u);
  EXPECT_EQ(s.dirty_objects().front(), Object(all[2]));
}

// The Session keeps one list of reached objects, with those reached since the
// last flush at its end. Objects reached before a flush and again after it, in
// another order, and objects expired or expunged from either part in between,
// are each compared by the flush that should compare them: an autoflush with
// nothing else to write compares the objects reached since the last flush, any
// other flush every object reached since it was loaded.
TEST_P(ChangeTrackingTest, ObjectsReachedBeforeAndAfterAFlushInAnyOrder) {
  auto s = session();
  auto pets = s.query<Pet>().order_by(col(&Pet::id)).all();
  ASSERT_EQ(pets.size(), 6u);
  std::vector<Pet*> raw;
  std::vector<std::string> original;
  for (auto& p : pets) {
    raw.push_back(p.get());  // all reached
    original.push_back(raw.back()->name);
  }
  s.flush();  // none reached since
  auto named = [&](const std::string& name) {
    return s.query<Pet>().filter(col(&Pet::name) == name).all().size();
  };
  s.expunge(pets[2]);  // leaves while not reached since the flush
  s.expire(pets[0]);
  raw[3]->name = "three";  // no handle access since the flush
  EXPECT_EQ(named("three"), 0u) << "an autoflush with nothing else to write compares only "
                                   "objects reached since the last flush";
  pets[4]->name = "four";
  pets[1]->name = "one";
  pets[5]->name = "five";
  s.expunge(pets[5]);  // leaves while reached since the flush: not written
  pets[2]->name = "two";
  EXPECT_EQ(named("four"), 1u);
  EXPECT_EQ(named("one"), 1u);
  EXPECT_EQ(named("three"), 1u) << "an autoflush with work compares every reached object";
  // Reached again after that autoflush, one of them expired in between.
  s.expire(pets[1]);
  pets[1]->name = "one again";
  pets[0]->name = "zero";
  pets[4]->name = "four again";
  EXPECT_EQ(named("one again"), 1u);
  EXPECT_EQ(named("zero"), 1u);
  EXPECT_EQ(named("four again"), 1u);
  raw[4]->name = "four through a raw pointer";
  EXPECT_EQ(named("four through a raw pointer"), 0u);
  s.commit();
  auto names = rows("SELECT name FROM pets ORDER BY id");
  ASSERT_EQ(names.size(), 6u);
  EXPECT_EQ(names[0].at(0), Value("zero"));
  EXPECT_EQ(names[1].at(0), Value("one again"));
  EXPECT_EQ(names[2].at(0), Value(original[2])) << "expunged: its change is not written";
  EXPECT_EQ(names[3].at(0), Value("three"));
  EXPECT_EQ(names[4].at(0), Value("four through a raw pointer"));
  EXPECT_EQ(names[5].at(0), Value(original[5])) << "expunged: its change is not written";
}

// Commit expires every object in one pass over the identity map. Expiring an
// owner's collection drops the only handles to its pets, so they die in the
// middle of that pass: they are let go after it, and nothing is left behind
// (no object, no identity-map entry), including a pet whose change the commit
// wrote. (Run under AddressSanitizer in CI.)
TEST_P(ChangeTrackingTest, ObjectsThatOnlyExpiredCollectionsHeldAreFreedAfterCommit) {
  auto s = session();
  auto owners = s.query<Owner>().options(selectinload(&Owner::pets)).all();
  ASSERT_EQ(owners.size(), 3u);
  const std::int64_t renamed_id = owners[0]->pets.front()->id;
  owners[0]->pets.front()->name = "renamed";
  const std::size_t before = live_objects();
  s.commit();
  EXPECT_EQ(live_objects(), before - 6) << "the six pets were freed, the owners kept";
  EXPECT_EQ(rows("SELECT name FROM pets WHERE id = :id", {{"id", Value(renamed_id)}}).at(0).at(0),
            Value("renamed"));

  recorder_.clear();
  auto pet = s.get<Pet>(renamed_id);  // not in the identity map any more
  EXPECT_EQ(recorder_.count("SELECT"), 1u);
  ASSERT_TRUE(pet);
  EXPECT_EQ(pet->name, "renamed");
  ASSERT_EQ(owners[0]->pets.size(), 2u);  // the expired collection loads again
  EXPECT_TRUE(owners[0]->pets.contains(pet)) << "the reloaded collection holds the same object";
}

RELATE_INSTANTIATE_BACKENDS(ChangeTrackingTest);

}  // namespace
