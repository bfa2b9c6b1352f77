// Relationships (spec sections 3, 4, 5, 7): kinds, in-memory sync, foreign keys
// written at flush, save-update, lazy loading and memory, on both backends.

#include <gtest/gtest.h>

#include <barrier>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::OrmTest;

namespace {

struct Address;
struct Profile;
struct User {
  std::int64_t id = 0;
  std::string name{};
  Many<Address> addresses{};
  One<Profile> profile{};
};
struct Address {
  std::int64_t id = 0;
  std::string email{};
  std::optional<std::int64_t> user_id{};
  One<User> user{};
};
struct Profile {
  std::int64_t id = 0;
  std::string bio{};
  std::optional<std::int64_t> user_id{};
  One<User> user{};
};

struct Node {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::int64_t> parent_id{};
  Many<Node> children{};
  One<Node> parent{};
};

struct Tag;
struct Post {
  std::int64_t id = 0;
  std::string title{};
  Many<Tag> tags{};
};
struct Tag {
  std::int64_t id = 0;
  std::string label{};
  Many<Post> posts{};
};

class RelationshipTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<User>("users", [](auto& m) {
      m.column("id", &User::id, primary_key());
      m.column("name", &User::name);
      m.relationship("addresses", &User::addresses,
                     {.back_populates = "user", .order_by = {"email"}});
      m.relationship("profile", &User::profile, {.back_populates = "user"});
    });
    registry_.map<Address>("addresses", [](auto& m) {
      m.column("id", &Address::id, primary_key());
      m.column("email", &Address::email);
      m.column("user_id", &Address::user_id, foreign_key("users.id"));
      m.relationship("user", &Address::user, {.back_populates = "addresses"});
    });
    registry_.map<Profile>("profiles", [](auto& m) {
      m.column("id", &Profile::id, primary_key());
      m.column("bio", &Profile::bio);
      m.column("user_id", &Profile::user_id, foreign_key("users.id"), unique());
      m.relationship("user", &Profile::user, {.back_populates = "profile"});
    });
    registry_.map<Node>("nodes", [](auto& m) {
      m.column("id", &Node::id, primary_key());
      m.column("name", &Node::name);
      m.column("parent_id", &Node::parent_id, foreign_key("nodes.id"));
      m.relationship("children", &Node::children,
                     {.back_populates = "parent", .order_by = {"name"}});
      m.relationship("parent", &Node::parent, {.back_populates = "children"});
    });
    registry_.table("post_tags",
                    {column<std::int64_t>("post_id").primary_key().references("posts.id"),
                     column<std::int64_t>("tag_id").primary_key().references("tags.id")});
    registry_.map<Post>("posts", [](auto& m) {
      m.column("id", &Post::id, primary_key());
      m.column("title", &Post::title);
      m.relationship("tags", &Post::tags,
                     {.back_populates = "posts", .secondary = "post_tags", .order_by = {"label"}});
    });
    registry_.map<Tag>("tags", [](auto& m) {
      m.column("id", &Tag::id, primary_key());
      m.column("label", &Tag::label);
      m.relationship("posts", &Tag::posts,
                     {.back_populates = "tags", .secondary = "post_tags", .order_by = {"title"}});
    });
    create_schema();
  }
  // Commits a user "jack" with an address for each email; returns his id.
  std::int64_t commit_jack(std::initializer_list<const char*> emails) {
    auto s = session();
    auto jack = make<User>({.name = "jack"});
    for (const char* e : emails) jack->addresses.push_back(make<Address>({.email = e}));
    s.add(jack);
    s.commit();
    return jack->id;
  }
};
RELATE_INSTANTIATE_BACKENDS(RelationshipTest);

TEST_P(RelationshipTest, TransientObjectsStayInSync) {
  auto jack = make<User>({.name = "jack"});
  auto ed = make<User>({.name = "ed"});
  auto a = make<Address>({.email = "a@x"});
  jack->addresses.push_back(a);
  EXPECT_EQ(a->user.get(), jack) << "appending sets the reverse";
  a->user = ed;
  EXPECT_TRUE(jack->addresses.empty()) << "setting the reverse moves it out of the old collection";
  ASSERT_EQ(ed->addresses.size(), 1u);
  EXPECT_EQ(ed->addresses[0], a);
  ed->addresses.erase(ed->addresses.begin());
  EXPECT_EQ(a->user.get(), nullptr);
  // One-to-one from either side.
  auto p = make<Profile>({.bio = "hi"});
  jack->profile = p;
  EXPECT_EQ(p->user.get(), jack);
  p->user = ed;
  EXPECT_EQ(ed->profile.get(), p);
  EXPECT_EQ(jack->profile.get(), nullptr);
  // Objects given at construction are attached too.
  auto b = make<Address>({.email = "b@x"});
  auto wendy = make<User>({.name = "wendy", .addresses = {b}});
  EXPECT_EQ(b->user.get(), wendy);
}

// make<T>(other) makes a new object holding what `other` holds now; the
// changes `other` made since its last flush stay with `other` (the save-update
// cascade follows them from `other`, never from the copy).
TEST_P(RelationshipTest, ACopyStartsWithoutTheOriginalsUnflushedChanges) {
  const std::int64_t jack_id = commit_jack({"a1@x", "a2@x"});
  Ptr<User> jack;
  Ptr<Address> a1, a2;
  {
    auto s = session();
    jack = s.get<User>(jack_id);
    a1 = jack->addresses[0];
    a2 = jack->addresses[1];
    // jack remembers both until a flush.
    jack->addresses.erase(jack->addresses.begin());
    jack->addresses.erase(jack->addresses.begin());
    s.close();
  }
  auto copy = make<User>(*jack);
  copy->id = 0;
  copy->name = "copy";
  EXPECT_TRUE(copy->addresses.empty());
  {
    auto s = session();
    s.add(copy);
    EXPECT_FALSE(s.contains(a1)) << "the copy never held a1";
    EXPECT_FALSE(s.contains(a2));
    EXPECT_FALSE(s.contains(jack));
    EXPECT_EQ(s.new_objects().size(), 1u);
    s.commit();
  }
  auto r = rows("SELECT email, user_id FROM addresses ORDER BY email");
  ASSERT_EQ(r.size(), 2u);
  for (const auto& row : r)
    EXPECT_EQ(row[1].as_integer(), jack_id) << "jack's unflushed changes are not the copy's";
  EXPECT_EQ(count_rows("users"), 2);

  // A many-to-one: a persistent address moved to a new user remembers its old
  // user until a flush; a copy of it does not.
  std::int64_t ann_id = 0;
  const std::int64_t a2_id = a2.get()->id;
  {
    auto s = session();
    auto ann = make<User>({.name = "ann"});
    s.add(ann);
    s.commit();
    ann_id = ann->id;
    auto a = s.get<Address>(a2_id);
    a->user = s.get<User>(ann_id);
    s.commit();
  }
  Ptr<Address> moved;
  Ptr<User> ann;
  {
    auto s = session();
    moved = s.get<Address>(a2_id);
    ann = moved->user.get();
    ASSERT_EQ(ann.get()->id, ann_id);
    moved->user = nullptr;
    s.close();  // moved and ann are detached; moved remembers ann
  }
  auto twin = make<Address>(*moved);
  twin->id = 0;
  twin->email = "twin@x";
  twin->user = make<User>({.name = "bob"});
  {
    auto s = session();
    s.add(twin);
    EXPECT_FALSE(s.contains(ann)) << "the copy never referred to ann";
    EXPECT_FALSE(s.contains(moved));
    s.commit();
    EXPECT_EQ(twin->user.get()->name, "bob");
  }
  auto after = rows("SELECT email, user_id FROM addresses ORDER BY email");
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[1][1].as_integer(), ann_id) << "moved's change was never flushed";
  EXPECT_EQ(after[2][0].as_text(), "twin@x");
  EXPECT_EQ(after[2][1].as_integer(), twin.get()->user.get().get()->id);
  auto u = rows("SELECT name FROM users ORDER BY name");
  ASSERT_EQ(u.size(), 4u) << "ann, bob, copy, jack";
  EXPECT_EQ(u[1][0].as_text(), "bob");
}

TEST_P(RelationshipTest, AddCascadesAndForeignKeysAreWrittenAtFlush) {
  auto s = session();
  auto jack = make<User>({.name = "jack"});
  jack->addresses.push_back(make<Address>({.email = "jack@google.com"}));
  jack->addresses.push_back(make<Address>({.email = "j25@yahoo.com"}));
  s.add(jack);
  EXPECT_EQ(s.new_objects().size(), 3u) << "save-update cascade adds the children at once";
  s.commit();
  auto inserts = recorder_.starting_with("INSERT");
  ASSERT_EQ(inserts.size(), 2u) << "users, then one batch of addresses";
  EXPECT_NE(inserts[0].find("users"), std::string::npos);
  auto r = rows("SELECT email, user_id FROM addresses ORDER BY email");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0][1].as_integer(), jack.get()->id);
  EXPECT_EQ(r[1][1].as_integer(), jack.get()->id);
  // Appending to a collection of an object in the Session adds the child at once.
  auto c = make<Address>({.email = "c@x"});
  jack->addresses.push_back(c);
  EXPECT_TRUE(s.contains(c));
}

TEST_P(RelationshipTest, LazyLoadingAndTheIdentityMap) {
  const std::int64_t id = commit_jack({"b@x", "a@x"});
  auto s = session();
  auto jack = s.get<User>(id);
  recorder_.clear();
  ASSERT_EQ(jack->addresses.size(), 2u);
  EXPECT_EQ(recorder_.count("SELECT"), 1u) << "one SELECT for the collection";
  EXPECT_EQ(jack->addresses[0]->email, "a@x") << "order_by";
  recorder_.clear();
  EXPECT_EQ(jack->addresses[0]->user.get(), jack) << "many-to-one from the identity map";
  EXPECT_EQ(recorder_.count("SELECT"), 0u);
  s.close();
  auto other = s.get<User>(id);
  s.close();
  try {
    (void)other->addresses.size();
    FAIL() << "expected DetachedInstanceError";
  } catch (const DetachedInstanceError& e) {
    EXPECT_NE(std::string(e.what()).find("is not bound to a Session; lazy load operation of "
                                         "attribute 'addresses' cannot proceed"),
              std::string::npos)
        << e.what();
  }
}

// Copying a relationship member reads it as any other access does: an
// unloaded collection or reference is loaded first, not copied as empty.
TEST_P(RelationshipTest, CopyingAnUnloadedRelationshipLoadsItFirst) {
  const std::int64_t id = commit_jack({"b@x", "a@x"});
  auto s = session();
  auto jack = s.get<User>(id);
  recorder_.clear();
  Many<Address> copied = jack->addresses;
  EXPECT_EQ(recorder_.count("SELECT"), 1u) << "the collection is loaded to be copied";
  ASSERT_EQ(copied.size(), 2u);
  EXPECT_EQ(copied[0]->email, "a@x");
  EXPECT_EQ(copied[1], jack->addresses[1]);

  Many<Address> assigned;
  auto s2 = session();
  auto jack2 = s2.get<User>(id);
  assigned = jack2->addresses;
  ASSERT_EQ(assigned.size(), 2u);
  EXPECT_EQ(assigned[1]->email, "b@x");

  const std::int64_t address_id = copied[0]->id;
  auto s3 = session();
  auto a = s3.get<Address>(address_id);
  recorder_.clear();
  One<User> owner = a->user;
  EXPECT_EQ(recorder_.count("SELECT"), 1u) << "the reference is loaded to be copied";
  ASSERT_TRUE(owner.get());
  EXPECT_EQ(owner->name, "jack");

  // A detached object cannot load: it is copied as it is, so that it can be
  // copied at all (reading the member itself still fails).
  auto other = s3.get<User>(id);
  s3.close();
  recorder_.clear();
  auto twin = make<User>(*other);
  EXPECT_EQ(recorder_.count("SELECT"), 0u);
  EXPECT_EQ(twin->name, "jack");
  EXPECT_TRUE(twin->addresses.empty()) << "a new object: nothing was loaded";
  EXPECT_THROW((void)other->addresses.size(), DetachedInstanceError);
}

TEST_P(RelationshipTest, NewChildOfAnUnloadedCollectionOutsideTheSessionIsAFlushError) {
  // DESIGN 4.7: the back reference puts the child in the parent's collection
  // (queued, as the collection is not loaded), but it is not in the Session.
  auto s = session();
  s.add(make<User>({.name = "jack"}));
  s.commit();
  auto s2 = session();
  auto jack = s2.query<User>().one();
  auto a = make<Address>({.email = "new@x"});
  a->user = jack;
  try {
    s2.commit();
    FAIL() << "expected FlushError";
  } catch (const FlushError& e) {
    EXPECT_NE(std::string(e.what()).find("The Address object referenced by User.addresses is not "
                                         "in the Session"),
              std::string::npos)
        << e.what();
  }
  s2.add(a);
  s2.commit();
  EXPECT_EQ(count_rows("addresses"), 1) << "added, it is written";
}

TEST_P(RelationshipTest, RemovingAChildNullsItsForeignKey) {
  auto s = session();
  auto jack = make<User>({.name = "jack", .addresses = {make<Address>({.email = "a@x"})}});
  s.add(jack);
  s.commit();
  auto a = jack->addresses[0];
  jack->addresses.erase(jack->addresses.begin());
  s.commit();
  auto r = rows("SELECT user_id FROM addresses");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0][0].is_null()) << "the default cascade keeps the child and nulls its key";
}

TEST_P(RelationshipTest, MovingAChildIsOneUpdate) {
  auto s = session();
  auto jack = make<User>({.name = "jack", .addresses = {make<Address>({.email = "a@x"})}});
  auto ed = make<User>({.name = "ed"});
  s.add_all({jack, ed});
  s.commit();
  auto a = jack->addresses[0];
  (void)ed->addresses.size();
  recorder_.clear();
  a->user = ed;
  EXPECT_TRUE(jack->addresses.empty());
  EXPECT_EQ(ed->addresses.size(), 1u);
  s.commit();
  EXPECT_EQ(recorder_.count("UPDATE"), 1u);
  EXPECT_EQ(recorder_.count("DELETE"), 0u);
  EXPECT_EQ(rows("SELECT user_id FROM addresses")[0][0].as_integer(), ed.get()->id);
}

TEST_P(RelationshipTest, DeletingAParentNullsItsChildren) {
  for (const bool set_based : {false, true}) {
    SCOPED_TRACE(set_based ? "set-based" : "per object");
    auto s = session();
    auto jack = make<User>(
        {.name = "jack",
         .addresses = {make<Address>({.email = "a@x"}), make<Address>({.email = "b@x"})}});
    s.add(jack);
    s.commit();
    auto s2 = session({.set_based_cascades = set_based});
    auto j = s2.get<User>(jack.get()->id);
    s2.remove(j);
    recorder_.clear();
    s2.commit();
    if (set_based) {
      EXPECT_EQ(recorder_.count("SELECT"), 0u) << "nothing is loaded";
      const auto updates = recorder_.starting_with("UPDATE");
      ASSERT_EQ(updates.size(), 2u) << "one statement per child table (addresses, profiles)";
      for (const auto& u : updates) {
        EXPECT_NE(u.find(" SET user_id = "), std::string::npos) << u;
        EXPECT_NE(u.find(" WHERE user_id IN ("), std::string::npos) << u;
      }
    } else {
      EXPECT_EQ(recorder_.count("SELECT"), 2u)
          << "the children (addresses, profile) are loaded to null their keys";
      EXPECT_EQ(recorder_.count("UPDATE"), 1u) << "one batch";
    }
    EXPECT_EQ(count_rows("users"), 0);
    EXPECT_EQ(count_rows("addresses"), 2);
    EXPECT_EQ(rows("SELECT count(*) FROM addresses WHERE user_id IS NULL")[0][0].as_integer(), 2);
    (void)rows("DELETE FROM addresses");
  }
}

TEST_P(RelationshipTest, SelfReferentialTreeInsertsLevelByLevel) {
  auto s = session();
  auto root = make<Node>({.name = "root"});
  auto a = make<Node>({.name = "a"});
  auto b = make<Node>({.name = "b"});
  auto a1 = make<Node>({.name = "a1"});
  a->children.push_back(a1);  // grandchild first: order must come from the tree
  root->children.push_back(a);
  root->children.push_back(b);
  s.add(a1);
  s.add(root);
  s.commit();
  auto r = rows(
      "SELECT n.name, p.name FROM nodes n LEFT JOIN nodes p ON n.parent_id = p.id "
      "ORDER BY n.name");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0][0].as_text(), "a");
  EXPECT_EQ(r[0][1].as_text(), "root");
  EXPECT_EQ(r[1][1].as_text(), "a");
  EXPECT_TRUE(r[3][1].is_null());
  auto s2 = session();
  auto loaded = s2.query<Node>().filter_by(&Node::name, "root").one();
  ASSERT_EQ(loaded->children.size(), 2u);
  EXPECT_EQ(loaded->children[0]->children[0]->name, "a1");
  EXPECT_EQ(loaded->children[0]->children[0]->parent->parent.get(), loaded);
}

TEST_P(RelationshipTest, AChildAttachedToAParentDeletedInTheSameFlushIsNulled) {
  auto s = session();
  auto root = make<Node>({.name = "root"});
  auto n = make<Node>({.name = "n"});
  s.add(root);
  s.add(n);
  s.flush();
  n->parent = root;  // root.children is not loaded: the change waits for it
  s.remove(root);
  s.commit();
  EXPECT_EQ(count_rows("nodes"), 1);
  EXPECT_TRUE(rows("SELECT parent_id FROM nodes")[0][0].is_null());
}

TEST_P(RelationshipTest, AManyToOneChangeUndoneByRollbackStaysUndone) {
  auto s = session();
  auto root = make<Node>({.name = "root"});
  auto a = make<Node>({.name = "a"});
  auto b = make<Node>({.name = "b"});
  root->children.push_back(a);
  s.add(root);
  s.add(b);
  s.commit();
  a->parent = b;
  s.rollback();                                       // a is expired: the change is gone
  a->children.push_back(make<Node>({.name = "a1"}));  // another change to a
  s.commit();
  auto r = rows("SELECT p.name FROM nodes n JOIN nodes p ON n.parent_id = p.id WHERE n.name = 'a'");
  ASSERT_EQ(r.size(), 1u) << "a lost its parent";
  EXPECT_EQ(r[0][0].as_text(), "root");
}

TEST_P(RelationshipTest, RowsOfATreeDeletedAfterARollbackGoInTheDatabasesOrder) {
  auto s = session();
  auto a = make<Node>({.name = "a"});
  auto b = make<Node>({.name = "b"});
  a->children.push_back(b);
  s.add(a);
  s.commit();
  a->children.remove(b);
  a->parent = b;  // the other way round, flushed and then rolled back
  s.flush();
  s.rollback();
  EXPECT_EQ(b->name, "b");  // b is read again; a stays expired
  s.remove(a);
  s.remove(b);
  EXPECT_NO_THROW(s.commit()) << "b (which refers to a) goes first";
  EXPECT_EQ(count_rows("nodes"), 0);
}

TEST_P(RelationshipTest, ManyToManyRowsFollowBothSides) {
  auto s = session();
  auto p1 = make<Post>({.title = "p1"});
  auto p2 = make<Post>({.title = "p2"});
  auto red = make<Tag>({.label = "red"});
  auto blue = make<Tag>({.label = "blue"});
  p1->tags.push_back(red);
  p1->tags.push_back(blue);
  blue->posts.push_back(p2);
  EXPECT_EQ(red->posts.size(), 1u) << "the reverse collection follows";
  s.add_all({p1, p2});
  s.commit();
  EXPECT_EQ(count_rows("post_tags"), 3) << "each link written once";
  (void)p1->tags.size();
  p1->tags.remove(red);
  s.commit();
  EXPECT_EQ(count_rows("post_tags"), 2);
  auto s2 = session();
  auto b = s2.query<Tag>().filter_by(&Tag::label, "blue").one();
  ASSERT_EQ(b->posts.size(), 2u);
  EXPECT_EQ(b->posts[0]->title, "p1");
  s2.remove(b);
  s2.commit();
  EXPECT_EQ(count_rows("post_tags"), 0) << "rows of a deleted object go with it";
  EXPECT_EQ(count_rows("posts"), 2);
}

TEST_P(RelationshipTest, RemovingADeletedObjectFromAManyToManyCollectionWritesNothing) {
  auto s = session({.expire_on_commit = false});
  auto p = make<Post>({.title = "p"});
  auto red = make<Tag>({.label = "red"});
  auto blue = make<Tag>({.label = "blue"});
  p->tags.push_back(red);
  p->tags.push_back(blue);
  s.add(p);
  s.flush();
  s.remove(red);
  s.flush();  // red and its link rows are gone; p.tags still holds it (spec 5.9)
  p->tags.remove(red);
  EXPECT_NO_THROW(s.flush()) << "no DELETE for a link row that went with red";
  s.commit();
  EXPECT_EQ(count_rows("post_tags"), 1);
  p->tags.remove(blue);
  s.remove(blue);
  s.commit();
  EXPECT_EQ(count_rows("post_tags"), 0);
  EXPECT_EQ(count_rows("tags"), 0);
}

TEST_P(RelationshipTest, ALinkRemovedWhileTheOtherSideWasUnloadedIsDeletedOnce) {
  auto s = session();
  auto p = make<Post>({.title = "p"});
  auto red = make<Tag>({.label = "red"});
  p->tags.push_back(red);
  s.add(p);
  s.commit();
  (void)p->tags.size();
  p->tags.remove(red);  // red.posts is not loaded: it hears of it when it loads
  s.flush();
  red->posts.push_back(make<Post>({.title = "q"}));  // loads red.posts
  EXPECT_NO_THROW(s.commit()) << "the removed link is not deleted a second time";
  EXPECT_EQ(count_rows("post_tags"), 1);
}

TEST_P(RelationshipTest, ALinkWaitingForAnUnloadedCollectionIsNotWrittenAgainAfterItsFlush) {
  auto s = session();
  auto p = make<Post>({.title = "p"});
  s.add(p);
  s.commit();
  auto red = make<Tag>({.label = "red"});
  s.add(red);
  red->posts.push_back(p);  // p.tags is not loaded: the link waits for it there
  s.flush();
  s.remove(red);
  s.flush();                                        // red and its link are gone
  p->tags.push_back(make<Tag>({.label = "blue"}));  // loads p.tags
  EXPECT_NO_THROW(s.commit()) << "the link to red is not inserted again";
  EXPECT_EQ(count_rows("post_tags"), 1);
  EXPECT_EQ(p->tags.size(), 1u);
}

TEST_P(RelationshipTest, TransientGraphsAreReclaimed) {
  collect_cycles();
  const auto before = live_objects();
  {
    auto jack = make<User>({.name = "jack"});
    for (int i = 0; i < 10; ++i) jack->addresses.push_back(make<Address>({.email = "x"}));
    auto root = make<Node>({.name = "r"});
    root->children.push_back(make<Node>({.name = "c"}));
    auto p = make<Post>({.title = "p"});
    p->tags.push_back(make<Tag>({.label = "t"}));
  }
  EXPECT_GT(live_objects(), before) << "the graphs keep themselves alive";
  collect_cycles();
  EXPECT_EQ(live_objects(), before);
}

// A graph reached from one outside handle survives a collection whole: the
// handle's object, what it refers to, and what those refer to in turn.
TEST_P(RelationshipTest, GraphsReachedFromAHandleSurviveCollection) {
  collect_cycles();
  const auto before = live_objects();
  {
    Ptr<Address> kept;
    {
      auto jack = make<User>({.name = "jack"});
      jack->addresses.push_back(make<Address>({.email = "first"}));
      jack->addresses.push_back(make<Address>({.email = "second"}));
      kept = jack->addresses[0];
    }
    EXPECT_EQ(collect_cycles(), 0u);
    EXPECT_EQ(live_objects(), before + 3);
    ASSERT_TRUE(kept->user);
    EXPECT_EQ(kept->user->name, "jack");
    ASSERT_EQ(kept->user->addresses.size(), 2u);
    EXPECT_EQ(kept->user->addresses[1]->email, "second");
  }
  EXPECT_EQ(collect_cycles(), 3u);
  EXPECT_EQ(live_objects(), before);
}

// The collector of one thread leaves another thread's objects alone, while
// that thread lives and after a later thread takes over its number.
TEST_P(RelationshipTest, EachThreadCollectsItsOwnCycles) {
  collect_cycles();
  const auto before = live_objects();
  auto garbage = [] {
    auto jack = make<User>({.name = "jack"});
    for (int i = 0; i < 5; ++i) jack->addresses.push_back(make<Address>({.email = "x"}));
  };
  std::mutex m;
  std::condition_variable cv;
  int step = 0;
  std::size_t freed_by_worker = 0;
  std::thread worker([&] {
    garbage();
    {
      std::unique_lock lock(m);
      step = 1;
      cv.notify_all();
      cv.wait(lock, [&] { return step == 2; });
    }
    freed_by_worker = collect_cycles();
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return step == 1; });
    EXPECT_EQ(live_objects(), before + 6);
    EXPECT_EQ(collect_cycles(), 0u) << "the worker's objects are not this thread's";
    EXPECT_EQ(live_objects(), before + 6);
    step = 2;
    cv.notify_all();
  }
  worker.join();
  EXPECT_EQ(freed_by_worker, 6u);
  EXPECT_EQ(live_objects(), before);
  for (int round = 0; round < 3; ++round) {  // later threads, each with its own garbage
    std::size_t freed = 0;
    std::thread later([&] {
      garbage();
      freed = collect_cycles();
    });
    later.join();
    EXPECT_EQ(freed, 6u);
    EXPECT_EQ(live_objects(), before);
  }
}

// Tracked objects are kept on 64 lists, by thread number. With 65 threads
// alive at once, two of them share a list; each still collects exactly its
// own garbage.
TEST_P(RelationshipTest, ThreadsSharingATrackingListCollectOnlyTheirOwn) {
  collect_cycles();
  const auto before = live_objects();
  constexpr int threads = 65;
  std::barrier made(threads + 1), collect(threads + 1);
  std::vector<std::size_t> freed(threads, 0);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      {
        auto jack = make<User>({.name = "jack"});
        for (int i = 0; i <= t % 3; ++i) jack->addresses.push_back(make<Address>({.email = "x"}));
      }
      made.arrive_and_wait();
      collect.arrive_and_wait();
      freed[static_cast<std::size_t>(t)] = collect_cycles();
    });
  std::size_t made_objects = 0;
  for (int t = 0; t < threads; ++t) made_objects += static_cast<std::size_t>(2 + t % 3);
  made.arrive_and_wait();
  EXPECT_EQ(live_objects(), before + made_objects);
  EXPECT_EQ(collect_cycles(), 0u) << "none of them is this thread's";
  collect.arrive_and_wait();
  for (auto& w : workers) w.join();
  for (int t = 0; t < threads; ++t)
    EXPECT_EQ(freed[static_cast<std::size_t>(t)], static_cast<std::size_t>(2 + t % 3)) << t;
  EXPECT_EQ(live_objects(), before);
}

// An object freed by another thread than the one that tracks it leaves that
// thread's list, while the thread lives and after it has ended.
TEST_P(RelationshipTest, ObjectsFreedByAnotherThreadLeaveTheirList) {
  collect_cycles();
  const auto before = live_objects();
  Ptr<User> kept_alive, outlives_thread;
  std::barrier handed(2), dropped(2);
  std::size_t freed_by_worker = 99;
  std::thread worker([&] {
    // Made last, "a" is at the head of the worker's list when this thread
    // frees it: freeing it under the wrong list would leave that head dangling
    // for the worker's collect_cycles(), which the sanitizer build reports.
    outlives_thread = make<User>({.name = "b", .addresses = {make<Address>({.email = "y"})}});
    kept_alive = make<User>({.name = "a", .addresses = {make<Address>({.email = "x"})}});
    handed.arrive_and_wait();
    dropped.arrive_and_wait();
    // Its list no longer holds the user this thread dropped, only the other.
    freed_by_worker = collect_cycles();
  });
  handed.arrive_and_wait();
  kept_alive->addresses.clear();  // no cycle left: the last handle frees both
  kept_alive = nullptr;
  EXPECT_EQ(live_objects(), before + 2);
  dropped.arrive_and_wait();
  worker.join();
  EXPECT_EQ(freed_by_worker, 0u) << "the other user is still held here";
  ASSERT_TRUE(outlives_thread);
  EXPECT_EQ(outlives_thread->addresses.size(), 1u);
  outlives_thread->addresses.clear();
  outlives_thread = nullptr;
  EXPECT_EQ(live_objects(), before);
}

TEST_P(RelationshipTest, LoadedAndDetachedGraphsAreReclaimed) {
  {
    auto s = session();
    auto jack = make<User>({.name = "jack", .addresses = {make<Address>({.email = "a"})}});
    s.add(jack);
    s.commit();
  }
  collect_cycles();
  const auto before = live_objects();
  {
    auto s = session();
    auto u = s.query<User>().one();
    (void)u->addresses[0]->user->name;
    s.close();  // u is now a detached graph
  }
  collect_cycles();
  EXPECT_EQ(live_objects(), before);
}

}  // namespace
