// Ownership of mapped objects (DESIGN 6, spec 6.2): what the Session keeps, what
// it lets go, and that nothing leaks or dangles when Sessions and handles end in
// any order. Run under AddressSanitizer / LeakSanitizer in CI.

#include <gtest/gtest.h>

#include <unordered_set>

#include "orm/orm_test_util.hpp"
#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::message_of;
using relate::testing::OrmTest;

namespace {

struct Note {
  std::int64_t id = 0;
  std::string text{};
};

struct Other {
  std::int64_t id = 0;
};

class LifetimeTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<Note>("notes", [](auto& m) {
      m.column("id", &Note::id, primary_key());
      m.column("text", &Note::text);
    });
    registry_.map<Other>("others", [](auto& m) { m.column("id", &Other::id, primary_key()); });
    create_schema();
    auto s = session();
    for (int i = 1; i <= 3; ++i) s.add(make<Note>({.id = i, .text = "n" + std::to_string(i)}));
    s.commit();
    recorder_.clear();
  }
};
RELATE_INSTANTIATE_BACKENDS(LifetimeTest);

// ---- the memory model ------------------------------------------------------------------

TEST_P(LifetimeTest, CleanObjectLeavesTheIdentityMapWithItsLastHandle) {
  auto s = session();
  (void)s.get<Note>(1);  // the handle is dropped at once
  recorder_.clear();
  auto again = s.get<Note>(1);
  EXPECT_EQ(recorder_.count("SELECT"), 1u) << "nothing kept the clean object";
  ASSERT_TRUE(again);
  EXPECT_EQ(again->text, "n1");
  recorder_.clear();
  EXPECT_EQ(s.get<Note>(1), again) << "while a handle lives, the map answers";
  EXPECT_TRUE(recorder_.statements().empty());
}

TEST_P(LifetimeTest, ModifiedObjectIsKeptByTheSessionAndFlushed) {
  auto s = session({.expire_on_commit = false});
  s.get<Note>(1)->text = "changed";  // the only handle is a temporary
  EXPECT_EQ(s.dirty_objects().size(), 1u);
  recorder_.clear();
  auto kept = s.get<Note>(1);
  EXPECT_TRUE(recorder_.statements().empty()) << "the Session kept the object";
  EXPECT_EQ(kept.get()->text, "changed");
  kept = nullptr;
  s.commit();
  EXPECT_EQ(recorder_.count("UPDATE"), 1u);
  // Clean again: the Session lets it go.
  recorder_.clear();
  (void)s.get<Note>(1);
  EXPECT_EQ(recorder_.count("SELECT"), 1u);
  EXPECT_EQ(rows("SELECT text FROM notes WHERE id = 1")[0][0].as_text(), "changed");
}

TEST_P(LifetimeTest, MarkedAndPendingObjectsAreKeptWithoutHandles) {
  auto s = session();
  s.remove(s.get<Note>(2));
  s.add(make<Note>({.id = 9, .text = "nine"}));
  EXPECT_EQ(s.deleted_objects().size(), 1u);
  EXPECT_EQ(s.new_objects().size(), 1u);
  s.commit();
  EXPECT_EQ(rows("SELECT id FROM notes ORDER BY id").size(), 3u);
  EXPECT_EQ(rows("SELECT count(*) FROM notes WHERE id IN (2, 9)")[0][0].as_integer(), 1);
}

TEST_P(LifetimeTest, ManyDroppedObjectsAreFreed) {
  auto s = session();
  for (int i = 100; i < 300; ++i) s.add(make<Note>({.id = i, .text = "bulk"}));
  s.flush();
  int n = 0;
  for (const auto& note : s.query<Note>()) n += note ? 1 : 0;
  EXPECT_EQ(n, 203);
  s.commit();
  auto all = s.query<Note>().all();
  for (auto& note : all) s.remove(note);
  all.clear();
  s.commit();
  EXPECT_EQ(count_rows("notes"), 0);
}

// ---- Sessions ending before their objects --------------------------------------------

TEST_P(LifetimeTest, SessionDestroyedWhileObjectsAreHeld) {
  Ptr<Note> loaded, expired, pending, modified;
  {
    auto s = session();
    loaded = s.get<Note>(1);
    expired = s.get<Note>(2);
    s.expire(expired);
    modified = s.get<Note>(3);
    modified->text = "unflushed";
    (void)s.query<Note>().count();  // autoflushes the change
    pending = make<Note>({.id = 4, .text = "pending"});
    s.add(pending);
    // Destroyed without commit: the flushed change is rolled back.
  }
  EXPECT_EQ(state_of(loaded), ObjectState::detached);
  EXPECT_EQ(loaded->text, "n1") << "loaded values stay readable";
  EXPECT_EQ(state_of(expired), ObjectState::detached);
  (void)message_of<DetachedInstanceError>([&] { (void)expired->text; });
  EXPECT_EQ(state_of(pending), ObjectState::transient);
  EXPECT_EQ(pending->text, "pending");
  EXPECT_EQ(modified->text, "unflushed") << "in-memory values are untouched";
  EXPECT_EQ(count_rows("notes"), 3);
  EXPECT_EQ(rows("SELECT text FROM notes WHERE id = 3")[0][0].as_text(), "n3");
}

TEST_P(LifetimeTest, SessionDestroyedAfterFlushedDeleteAndInsert) {
  Ptr<Note> gone, fresh;
  {
    auto s = session();
    gone = s.get<Note>(1);
    s.remove(gone);
    fresh = make<Note>({.id = 5, .text = "five"});
    s.add(fresh);
    s.flush();
  }
  EXPECT_NE(state_of(gone), ObjectState::persistent);
  EXPECT_NE(state_of(fresh), ObjectState::persistent);
  EXPECT_NE(state_of(fresh), ObjectState::pending);
  EXPECT_EQ(fresh.get()->text, "five");
  EXPECT_EQ(count_rows("notes"), 3) << "never committed";
}

TEST_P(LifetimeTest, ObjectsOutliveTheirSessionAndJoinANewOne) {
  Ptr<Note> kept, expired;
  {
    auto s = session({.expire_on_commit = false});
    kept = s.get<Note>(1);
    expired = s.get<Note>(2);
    s.commit();
    s.expire(expired);
  }
  ASSERT_EQ(state_of(kept), ObjectState::detached);
  kept->text = "edited while detached";
  auto s = session();
  s.add(kept);
  s.add(expired);
  EXPECT_EQ(state_of(kept), ObjectState::persistent);
  EXPECT_EQ(state_of(expired), ObjectState::persistent);
  recorder_.clear();
  EXPECT_EQ(expired->text, "n2") << "the new Session loads the expired object";
  EXPECT_EQ(recorder_.count("SELECT"), 1u);
  s.commit();
  EXPECT_EQ(rows("SELECT text FROM notes WHERE id = 1")[0][0].as_text(), "edited while detached");
}

TEST_P(LifetimeTest, DetachedObjectConflictingWithALoadedOneIsRefused) {
  Ptr<Note> detached;
  {
    auto s = session({.expire_on_commit = false});
    detached = s.get<Note>(1);
  }
  auto s = session();
  auto loaded = s.get<Note>(1);
  auto msg = message_of<InvalidRequest>([&] { s.add(detached); });
  EXPECT_HAS(msg, "same identity");
  EXPECT_EQ(state_of(detached), ObjectState::detached);
  EXPECT_EQ(s.get<Note>(1), loaded);
}

TEST_P(LifetimeTest, MovedSessionKeepsItsObjects) {
  auto s1 = session();
  auto note = s1.get<Note>(1);
  note->text = "moved";
  Session s2 = std::move(s1);
  EXPECT_TRUE(s2.contains(note));
  s2.commit();
  EXPECT_EQ(rows("SELECT text FROM notes WHERE id = 1")[0][0].as_text(), "moved");
  auto s3 = session();
  auto other = s3.get<Note>(2);
  s3 = std::move(s2);  // s3's own Session is destroyed here
  EXPECT_EQ(state_of(other), ObjectState::detached);
  EXPECT_TRUE(s3.contains(note));
}

// ---- handles ----------------------------------------------------------------------------

TEST_P(LifetimeTest, HandlesCopyMoveAndCompare) {
  auto s = session();
  auto a = s.get<Note>(1);
  auto b = s.get<Note>(2);
  Ptr<Note> copy = a;
  EXPECT_EQ(copy, a);
  EXPECT_FALSE(copy == b);
  EXPECT_EQ(copy.get(), a.get());
  Ptr<Note> moved = std::move(copy);
  EXPECT_EQ(moved, a);
  EXPECT_TRUE(copy == nullptr);  // NOLINT(bugprone-use-after-move): moved-from is null
  EXPECT_FALSE(copy);
  copy = b;
  EXPECT_EQ(copy, b);
  const Ptr<Note>& alias = copy;
  copy = alias;  // self-assignment is safe
  EXPECT_EQ(copy, b);
  Ptr<Note> empty;
  EXPECT_TRUE(empty == nullptr);
  EXPECT_FALSE(empty);
  empty = nullptr;

  Object oa = a;
  EXPECT_TRUE(oa.is<Note>());
  EXPECT_FALSE(oa.is<Other>());
  EXPECT_EQ(oa, Object(moved));
  EXPECT_EQ(Ptr<Note>::from(oa), a);
  EXPECT_EQ(Ptr<Other>::from(oa), nullptr);
  Object omoved = std::move(oa);
  EXPECT_FALSE(oa);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(omoved);

  std::unordered_set<Ptr<Note>> set{a, moved, b};
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(std::hash<Object>()(omoved), std::hash<Ptr<Note>>()(a));
  // Handles to the same row from two Sessions are different objects.
  auto s2 = session();
  EXPECT_NE(s2.get<Note>(1), a);
}

TEST_P(LifetimeTest, SharedPtrViewKeepsTheObjectAlive) {
  auto s = session();
  std::shared_ptr<Note> sp;
  {
    auto p = s.get<Note>(1);
    sp = p.shared();
    EXPECT_EQ(sp.get(), p.get());
  }
  EXPECT_EQ(sp->text, "n1");
  recorder_.clear();
  auto again = s.get<Note>(1);
  EXPECT_TRUE(recorder_.statements().empty()) << "the shared_ptr kept it in the identity map";
  EXPECT_EQ(again.get(), sp.get());
  again = nullptr;
  auto sp2 = sp;
  sp.reset();
  EXPECT_EQ(sp2->text, "n1");
  sp2.reset();
  recorder_.clear();
  (void)s.get<Note>(1);
  EXPECT_EQ(recorder_.count("SELECT"), 1u) << "released with the last shared_ptr";
  EXPECT_EQ(Ptr<Note>().shared(), nullptr);

  // A shared_ptr may also outlive the Session.
  std::shared_ptr<Note> outlives;
  {
    auto s2 = session();
    outlives = s2.get<Note>(2).shared();
  }
  EXPECT_EQ(outlives->text, "n2");
}

TEST_P(LifetimeTest, TransientGraphsAndExpungedObjectsAreFreed) {
  {
    auto t = make<Note>({.id = 7, .text = "never added"});
    auto copy = t;
  }
  auto s = session();
  {
    auto p = make<Note>({.id = 8, .text = "expunged"});
    s.add(p);
    s.expunge(p);
  }
  {
    auto p = s.get<Note>(1);
    make_transient(p);
  }
  {
    auto p = make<Note>({.id = 9, .text = "rolled back"});
    s.add(p);
    s.flush();
  }
  s.rollback();
  EXPECT_TRUE(s.new_objects().empty());
  EXPECT_EQ(count_rows("notes"), 3);
}

TEST_P(LifetimeTest, QueryResultsOutliveTheSession) {
  std::vector<Ptr<Note>> all;
  {
    auto s = session({.expire_on_commit = false});
    all = s.query<Note>().order_by(&Note::id).all();
    s.commit();
  }
  ASSERT_EQ(all.size(), 3u);
  for (const auto& n : all) EXPECT_EQ(state_of(n), ObjectState::detached);
  EXPECT_EQ(all[2]->text, "n3");
  auto s = session();
  auto merged = s.merge(all[0]);
  EXPECT_NE(merged, all[0]);
  EXPECT_EQ(state_of(all[0]), ObjectState::detached);
}

}  // namespace
