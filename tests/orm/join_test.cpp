// Joins along relationships and criteria on related rows (spec 8.1):
// Query::join/outer_join, col(&X::many).any(...), col(&X::one).has(...), with
// entity results de-duplicated, on both backends.

#include <gtest/gtest.h>

#include <algorithm>

#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::OrmTest;

namespace {

struct Address;
struct Ding;
struct User {
  std::int64_t id = 0;
  std::string name{};
  Many<Address> addresses{};
};
struct Address {
  std::int64_t id = 0;
  std::string email{};
  std::optional<std::int64_t> user_id{};
  One<User> user{};
  Many<Ding> dings{};
};
struct Ding {
  std::int64_t id = 0;
  std::string note{};
  std::optional<std::int64_t> address_id{};
  One<Address> address{};
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

class JoinTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<User>("users", [](auto& m) {
      m.column("id", &User::id, primary_key());
      m.column("name", &User::name);
      m.relationship("addresses", &User::addresses,
                     {.back_populates = "user", .order_by = {"email"}});
    });
    registry_.map<Address>("addresses", [](auto& m) {
      m.column("id", &Address::id, primary_key());
      m.column("email", &Address::email);
      m.column("user_id", &Address::user_id, foreign_key("users.id"));
      m.relationship("user", &Address::user, {.back_populates = "addresses"});
      m.relationship("dings", &Address::dings, {.back_populates = "address"});
    });
    registry_.map<Ding>("dings", [](auto& m) {
      m.column("id", &Ding::id, primary_key());
      m.column("note", &Ding::note);
      m.column("address_id", &Ding::address_id, foreign_key("addresses.id"));
      m.relationship("address", &Ding::address, {.back_populates = "dings"});
    });
    registry_.map<Node>("nodes", [](auto& m) {
      m.column("id", &Node::id, primary_key());
      m.column("name", &Node::name);
      m.column("parent_id", &Node::parent_id, foreign_key("nodes.id"));
      m.relationship("children", &Node::children, {.back_populates = "parent"});
      m.relationship("parent", &Node::parent, {.back_populates = "children"});
    });
    registry_.table("post_tags",
                    {column<std::int64_t>("post_id").primary_key().references("posts.id"),
                     column<std::int64_t>("tag_id").primary_key().references("tags.id")});
    registry_.map<Post>("posts", [](auto& m) {
      m.column("id", &Post::id, primary_key());
      m.column("title", &Post::title);
      m.relationship("tags", &Post::tags, {.back_populates = "posts", .secondary = "post_tags"});
    });
    registry_.map<Tag>("tags", [](auto& m) {
      m.column("id", &Tag::id, primary_key());
      m.column("label", &Tag::label);
      m.relationship("posts", &Tag::posts, {.back_populates = "tags", .secondary = "post_tags"});
    });
    create_schema();
    seed();
  }

  // jack: a@x (dings d1), b@x; ed: c@y; wendy: none.
  // root -> (a -> (a1), b); posts p1 [t1, t2], p2 [t2], p3 [].
  void seed() {
    auto s = session();
    auto jack = make<User>({.name = "jack"});
    auto a = make<Address>({.email = "a@x"});
    a->dings.push_back(make<Ding>({.note = "d1"}));
    jack->addresses.push_back(a);
    jack->addresses.push_back(make<Address>({.email = "b@x"}));
    auto ed = make<User>({.name = "ed"});
    ed->addresses.push_back(make<Address>({.email = "c@y"}));
    s.add_all({jack, ed, make<User>({.name = "wendy"})});
    auto root = make<Node>({.name = "root"});
    auto na = make<Node>({.name = "a"});
    na->children.push_back(make<Node>({.name = "a1"}));
    root->children.push_back(na);
    root->children.push_back(make<Node>({.name = "b"}));
    s.add(root);
    auto t1 = make<Tag>({.label = "t1"});
    auto t2 = make<Tag>({.label = "t2"});
    auto p1 = make<Post>({.title = "p1"});
    p1->tags.push_back(t1);
    p1->tags.push_back(t2);
    auto p2 = make<Post>({.title = "p2"});
    p2->tags.push_back(t2);
    s.add_all({p1, p2, make<Post>({.title = "p3"})});
    s.commit();
    recorder_.clear();
  }

  template <class T>
  static std::vector<std::string> names(const std::vector<Ptr<T>>& v, std::string T::*member) {
    std::vector<std::string> out;
    for (const auto& x : v) out.push_back(x.get()->*member);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string last_select() const { return recorder_.starting_with("SELECT").back(); }
};
RELATE_INSTANTIATE_BACKENDS(JoinTest);

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

using Names = std::vector<std::string>;

TEST_P(JoinTest, JoinAlongOneToManyFiltersOnTheJoinedStruct) {
  auto s = session();
  auto q = s.query<User>().join(&User::addresses).filter(col(&Address::email).like("%@x"));
  auto users = q.all();
  EXPECT_TRUE(contains(last_select(), "FROM users JOIN addresses ON users.id = addresses.user_id"))
      << last_select();
  EXPECT_EQ(names(users, &User::name), (Names{"jack"})) << "jack once, not once per address";
  EXPECT_EQ(q.count(), 2) << "count() is not de-duplicated (spec 8.2)";
  EXPECT_EQ(q.values(&User::name).size(), 2u) << "column queries are not de-duplicated";
  auto all = s.query<User>().join(&User::addresses).all();
  EXPECT_EQ(names(all, &User::name), (Names{"ed", "jack"}));
}

TEST_P(JoinTest, OuterJoinKeepsParentsWithoutChildren) {
  auto s = session();
  auto lonely =
      s.query<User>().outer_join(&User::addresses).filter(col(&Address::id).is_null()).all();
  EXPECT_TRUE(contains(last_select(), "LEFT OUTER JOIN addresses ON")) << last_select();
  EXPECT_EQ(names(lonely, &User::name), (Names{"wendy"}));
  EXPECT_EQ(s.query<User>().outer_join(&User::addresses).all().size(), 3u);
}

TEST_P(JoinTest, JoinChainsAndManyToOne) {
  auto s = session();
  auto users = s.query<User>()
                   .join(&User::addresses)
                   .join(&Address::dings)
                   .filter(col(&Ding::note) == "d1")
                   .all();
  EXPECT_TRUE(contains(last_select(), "JOIN dings ON addresses.id = dings.address_id"))
      << last_select();
  EXPECT_EQ(names(users, &User::name), (Names{"jack"}));
  auto addresses = s.query<Address>().join(&Address::user).filter(col(&User::name) == "jack").all();
  EXPECT_TRUE(contains(last_select(), "JOIN users ON addresses.user_id = users.id"))
      << last_select();
  EXPECT_EQ(names(addresses, &Address::email), (Names{"a@x", "b@x"}));
}

TEST_P(JoinTest, JoinManyToManyGoesThroughTheAssociationTable) {
  auto s = session();
  auto posts = s.query<Post>().join(&Post::tags).filter(col(&Tag::label) == "t2").all();
  EXPECT_TRUE(contains(last_select(), "JOIN post_tags ON posts.id = post_tags.post_id"))
      << last_select();
  EXPECT_TRUE(contains(last_select(), "JOIN tags ON tags.id = post_tags.tag_id")) << last_select();
  EXPECT_EQ(names(posts, &Post::title), (Names{"p1", "p2"}));
  auto all = s.query<Post>().join(&Post::tags).all();
  EXPECT_EQ(names(all, &Post::title), (Names{"p1", "p2"})) << "p1 once although it has 2 tags";
}

TEST_P(JoinTest, AnyAndHasAreExistsSubqueries) {
  auto s = session();
  auto with_x = s.query<User>().filter(col(&User::addresses).any(col(&Address::email).like("%@x")));
  auto users = with_x.all();
  EXPECT_TRUE(contains(last_select(), "WHERE EXISTS (SELECT 1 FROM addresses WHERE"))
      << last_select();
  EXPECT_EQ(names(users, &User::name), (Names{"jack"}));
  EXPECT_EQ(with_x.count(), 1);
  EXPECT_EQ(names(s.query<User>().filter(col(&User::addresses).any()).all(), &User::name),
            (Names{"ed", "jack"}));
  EXPECT_EQ(names(s.query<User>().filter(!col(&User::addresses).any()).all(), &User::name),
            (Names{"wendy"}));
  auto of_jack =
      s.query<Address>().filter(col(&Address::user).has(col(&User::name) == "jack")).all();
  EXPECT_EQ(names(of_jack, &Address::email), (Names{"a@x", "b@x"}));
  // Nested: users with an address that has a ding.
  auto nested = s.query<User>().filter(col(&User::addresses).any(col(&Address::dings).any())).all();
  EXPECT_EQ(names(nested, &User::name), (Names{"jack"}));
  // Many-to-many.
  auto tagged = s.query<Post>().filter(col(&Post::tags).any(col(&Tag::label) == "t1")).all();
  EXPECT_EQ(names(tagged, &Post::title), (Names{"p1"}));
  auto untagged = s.query<Tag>().filter(!col(&Tag::posts).any()).all();
  EXPECT_TRUE(untagged.empty());
  // Combined with a join on the same table: the subquery has its own FROM.
  auto both = s.query<User>()
                  .join(&User::addresses)
                  .filter(col(&Address::email) == "b@x")
                  .filter(col(&User::addresses).any(col(&Address::email) == "a@x"))
                  .all();
  EXPECT_EQ(names(both, &User::name), (Names{"jack"}));
}

TEST_P(JoinTest, SelfReferentialAnyAndHasAliasTheRelatedRows) {
  auto s = session();
  auto parents_of_a1 =
      s.query<Node>().filter(col(&Node::children).any(col(&Node::name) == "a1")).all();
  EXPECT_TRUE(contains(last_select(), "nodes AS nodes_1")) << last_select();
  EXPECT_EQ(names(parents_of_a1, &Node::name), (Names{"a"}));
  auto leaves = s.query<Node>().filter(!col(&Node::children).any()).all();
  EXPECT_EQ(names(leaves, &Node::name), (Names{"a1", "b"}));
  auto under_root =
      s.query<Node>().filter(col(&Node::parent).has(col(&Node::name) == "root")).all();
  EXPECT_EQ(names(under_root, &Node::name), (Names{"a", "b"}));
  EXPECT_THROW(s.query<Node>().join(&Node::children).all(), InvalidRequest)
      << "a self-join needs an alias Query::join() does not make";
}

TEST_P(JoinTest, JoinsCombineWithEagerLoading) {
  auto s = session();
  auto users = s.query<User>()
                   .join(&User::addresses)
                   .filter(col(&Address::email) == "a@x")
                   .options(joinedload(&User::addresses))
                   .all();
  EXPECT_TRUE(contains(last_select(), "JOIN addresses ON")) << last_select();
  EXPECT_TRUE(contains(last_select(), "LEFT OUTER JOIN addresses AS addresses_1")) << last_select();
  ASSERT_EQ(users.size(), 1u);
  recorder_.clear();
  EXPECT_EQ(users[0]->addresses.size(), 2u) << "the eager join is not filtered by the criteria";
  EXPECT_EQ(recorder_.statements().size(), 0u);
  s.expunge_all();
  recorder_.clear();
  auto limited = s.query<User>()
                     .join(&User::addresses)
                     .filter(col(&Address::email).like("%@x"))
                     .options(selectinload(&User::addresses))
                     .limit(5)
                     .all();
  ASSERT_EQ(limited.size(), 1u);
  EXPECT_EQ(recorder_.count("SELECT"), 2u);
  EXPECT_EQ(limited[0]->addresses.size(), 2u);
  EXPECT_EQ(recorder_.count("SELECT"), 2u);
}

}  // namespace
