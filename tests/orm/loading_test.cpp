// Relationship loading strategies (spec 7.1): selectin, joined, raise and
// raise_on_sql, set on the relationship or per query with loader options, on
// both backends. Statement counts come from the engine's echo.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

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

// Strategies set on the relationships themselves.
struct Book;
struct Author {
  std::int64_t id = 0;
  std::string name{};
  Many<Book> books{};  // lazy = selectin
};
struct Book {
  std::int64_t id = 0;
  std::string title{};
  std::optional<std::int64_t> author_id{};
  One<Author> author{};  // lazy = joined
};
struct Coin;
struct Vault {
  std::int64_t id = 0;
  std::string label{};
  Many<Coin> coins{};  // lazy = raise
};
struct Coin {
  std::int64_t id = 0;
  std::optional<std::int64_t> vault_id{};
  One<Vault> vault{};  // lazy = raise_on_sql
};

// A composite primary key referenced by a composite foreign key.
struct Line;
struct Order {
  std::int64_t region = 0;
  std::int64_t number = 0;
  std::string customer{};
  Many<Line> lines{};
};
struct Line {
  std::int64_t id = 0;
  std::int64_t order_region = 0;
  std::int64_t order_number = 0;
  std::string item{};
  One<Order> order{};
};

// Text keys longer than any short-string buffer: rows hand their strings to
// the loaded objects, and the keys still find the owners.
struct City;
struct Country {
  std::string code{};
  std::optional<std::string> motto{};
  Many<City> cities{};
};
struct City {
  std::int64_t id = 0;
  std::string country_code{};
  std::optional<std::string> nickname{};
  One<Country> country{};
};

class LoadingTest : public OrmTest {
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
      m.relationship("dings", &Address::dings,
                     {.back_populates = "address", .order_by = {"-note"}});
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
    registry_.map<Author>("authors", [](auto& m) {
      m.column("id", &Author::id, primary_key());
      m.column("name", &Author::name);
      m.relationship(
          "books", &Author::books,
          {.back_populates = "author", .order_by = {"title"}, .lazy = Loading::selectin});
    });
    registry_.map<Book>("books", [](auto& m) {
      m.column("id", &Book::id, primary_key());
      m.column("title", &Book::title);
      m.column("author_id", &Book::author_id, foreign_key("authors.id"));
      m.relationship("author", &Book::author, {.back_populates = "books", .lazy = Loading::joined});
    });
    registry_.map<Vault>("vaults", [](auto& m) {
      m.column("id", &Vault::id, primary_key());
      m.column("label", &Vault::label);
      m.relationship("coins", &Vault::coins, {.back_populates = "vault", .lazy = Loading::raise});
    });
    registry_.map<Coin>("coins", [](auto& m) {
      m.column("id", &Coin::id, primary_key());
      m.column("vault_id", &Coin::vault_id, foreign_key("vaults.id"));
      m.relationship("vault", &Coin::vault,
                     {.back_populates = "coins", .lazy = Loading::raise_on_sql});
    });
    registry_.map<Order>("orders", [](auto& m) {
      m.column("region", &Order::region, primary_key(), autoincrement(false));
      m.column("number", &Order::number, primary_key(), autoincrement(false));
      m.column("customer", &Order::customer);
      m.relationship("lines", &Order::lines, {.back_populates = "order", .order_by = {"item"}});
    });
    registry_.map<Line>("lines", [](auto& m) {
      m.column("id", &Line::id, primary_key());
      m.column("order_region", &Line::order_region);
      m.column("order_number", &Line::order_number);
      m.column("item", &Line::item);
      m.foreign_key({"order_region", "order_number"}, {"orders.region", "orders.number"});
      m.relationship("order", &Line::order, {.back_populates = "lines"});
    });
    registry_.map<Country>("countries", [](auto& m) {
      m.column("code", &Country::code, primary_key());
      m.column("motto", &Country::motto);
      m.relationship("cities", &Country::cities, {.back_populates = "country", .order_by = {"id"}});
    });
    registry_.map<City>("cities", [](auto& m) {
      m.column("id", &City::id, primary_key());
      m.column("country_code", &City::country_code, foreign_key("countries.code"));
      m.column("nickname", &City::nickname);
      m.relationship("country", &City::country, {.back_populates = "cities"});
    });
    create_schema();
  }

  // jack: a@x, b@x (a@x has dings d1, d2); ed: c@x; wendy: none.
  void seed_users() {
    auto s = session();
    auto jack = make<User>({.name = "jack"});
    auto a = make<Address>({.email = "a@x"});
    a->dings.push_back(make<Ding>({.note = "d1"}));
    a->dings.push_back(make<Ding>({.note = "d2"}));
    jack->addresses.push_back(make<Address>({.email = "b@x"}));
    jack->addresses.push_back(a);
    auto ed = make<User>({.name = "ed"});
    ed->addresses.push_back(make<Address>({.email = "c@x"}));
    s.add_all({jack, ed, make<User>({.name = "wendy"})});
    s.commit();
    recorder_.clear();
  }

  // root -> (a -> (a1 -> (a1x), a2), b)
  void seed_tree() {
    auto s = session();
    auto root = make<Node>({.name = "root"});
    auto a = make<Node>({.name = "a"});
    auto a1 = make<Node>({.name = "a1"});
    a1->children.push_back(make<Node>({.name = "a1x"}));
    a->children.push_back(a1);
    a->children.push_back(make<Node>({.name = "a2"}));
    root->children.push_back(a);
    root->children.push_back(make<Node>({.name = "b"}));
    s.add(root);
    s.commit();
    recorder_.clear();
  }

  void seed_posts() {
    auto s = session();
    auto t1 = make<Tag>({.label = "t1"});
    auto t2 = make<Tag>({.label = "t2"});
    auto t3 = make<Tag>({.label = "t3"});
    auto p1 = make<Post>({.title = "p1"});
    p1->tags.push_back(t2);
    p1->tags.push_back(t1);
    auto p2 = make<Post>({.title = "p2"});
    p2->tags.push_back(t3);
    s.add_all({p1, p2, make<Post>({.title = "p3"})});
    s.commit();
    recorder_.clear();
  }

  std::size_t selects() const { return recorder_.count("SELECT"); }

  static std::vector<std::string> emails(const Ptr<User>& u) {
    std::vector<std::string> out;
    for (const auto& a : u->addresses) out.push_back(a->email);
    return out;
  }
};
RELATE_INSTANTIATE_BACKENDS(LoadingTest);

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_P(LoadingTest, SelectinLoadsCollectionsWithOneMoreStatement) {
  seed_users();
  auto s = session();
  auto users = s.query<User>().options(selectinload(&User::addresses)).order_by(&User::name).all();
  ASSERT_EQ(users.size(), 3u);
  auto sel = recorder_.starting_with("SELECT");
  ASSERT_EQ(sel.size(), 2u);
  EXPECT_TRUE(contains(sel[1], "FROM addresses WHERE addresses.user_id IN (")) << sel[1];
  EXPECT_TRUE(contains(sel[1], "ORDER BY addresses.email")) << sel[1];
  recorder_.clear();
  EXPECT_EQ(emails(users[0]), (std::vector<std::string>{"c@x"}));         // ed
  EXPECT_EQ(emails(users[1]), (std::vector<std::string>{"a@x", "b@x"}));  // jack
  EXPECT_TRUE(users[2]->addresses.empty());                               // wendy
  for (const auto& u : users)
    for (const auto& a : u->addresses) EXPECT_EQ(a->user.get(), u) << "reverse set by the load";
  EXPECT_EQ(recorder_.statements().size(), 0u) << "nothing left to load";
}

TEST_P(LoadingTest, SelectinWithTenThousandParentsIsTwoStatements) {
  {
    auto conn = engine_->connect();
    auto tx = conn.begin();
    for (int chunk = 0; chunk < 10; ++chunk) {
      std::string users = "INSERT INTO users (id, name) VALUES ";
      std::string addresses = "INSERT INTO addresses (id, email, user_id) VALUES ";
      for (int i = 0; i < 1000; ++i) {
        const int id = chunk * 1000 + i + 1;
        const std::string sep = i == 0 ? "" : ", ";
        users += sep + "(" + std::to_string(id) + ", 'u" + std::to_string(id) + "')";
        addresses += sep + "(" + std::to_string(id) + ", 'e" + std::to_string(id) + "', " +
                     std::to_string(id) + ")";
      }
      conn.execute(text(users));
      conn.execute(text(addresses));
    }
    tx.commit();
  }
  recorder_.clear();
  auto s = session();
  auto users = s.query<User>().options(selectinload(&User::addresses)).all();
  ASSERT_EQ(users.size(), 10000u);
  EXPECT_EQ(selects(), 2u);
  recorder_.clear();
  std::size_t n = 0;
  for (const auto& u : users) {
    ASSERT_EQ(u->addresses.size(), 1u);
    EXPECT_EQ(u->addresses[0]->email, "e" + std::to_string(u->id));
    ++n;
  }
  EXPECT_EQ(n, 10000u);
  EXPECT_EQ(recorder_.statements().size(), 0u);
}

TEST_P(LoadingTest, SelectinManyToOneSkipsObjectsInTheIdentityMap) {
  seed_users();
  auto s = session();
  auto jack = s.query<User>().filter_by(&User::name, "jack").one();
  recorder_.clear();
  auto addresses = s.query<Address>().options(selectinload(&Address::user)).all();
  ASSERT_EQ(addresses.size(), 3u);
  auto sel = recorder_.starting_with("SELECT");
  ASSERT_EQ(sel.size(), 2u);
  EXPECT_TRUE(contains(sel[1], "WHERE users.id IN (")) << sel[1];
  // Only ed's key is asked for: jack is in the identity map already.
  EXPECT_TRUE(contains(sel[1], "IN (?)") || contains(sel[1], "IN ($1)")) << sel[1];
  recorder_.clear();
  for (const auto& a : addresses) {
    ASSERT_TRUE(a->user.get());
    EXPECT_EQ(a->user->name, a->email == "c@x" ? "ed" : "jack");
    if (a->email != "c@x") {
      EXPECT_EQ(a->user.get(), jack);
    }
  }
  EXPECT_EQ(recorder_.statements().size(), 0u);
  // Every parent known: no second statement at all.
  s.expunge_all();
  auto all_users = s.query<User>().all();
  recorder_.clear();
  auto again = s.query<Address>().options(selectinload(&Address::user)).all();
  EXPECT_EQ(selects(), 1u);
}

TEST_P(LoadingTest, SelectinManyToMany) {
  seed_posts();
  auto s = session();
  auto posts = s.query<Post>().options(selectinload(&Post::tags)).order_by(&Post::title).all();
  auto sel = recorder_.starting_with("SELECT");
  ASSERT_EQ(sel.size(), 2u);
  EXPECT_TRUE(contains(sel[1], "JOIN post_tags ON")) << sel[1];
  EXPECT_TRUE(contains(sel[1], "post_tags.post_id IN (")) << sel[1];
  recorder_.clear();
  ASSERT_EQ(posts.size(), 3u);
  ASSERT_EQ(posts[0]->tags.size(), 2u);
  EXPECT_EQ(posts[0]->tags[0]->label, "t1");
  EXPECT_EQ(posts[0]->tags[1]->label, "t2");
  ASSERT_EQ(posts[1]->tags.size(), 1u);
  EXPECT_EQ(posts[1]->tags[0]->label, "t3");
  EXPECT_TRUE(posts[2]->tags.empty());
  EXPECT_EQ(recorder_.statements().size(), 0u);
}

TEST_P(LoadingTest, SelectinWithCompositeKeys) {
  {
    auto s = session();
    auto o1 = make<Order>({.region = 1, .number = 1, .customer = "x"});
    auto o2 = make<Order>({.region = 1, .number = 2, .customer = "y"});
    auto o3 = make<Order>({.region = 2, .number = 1, .customer = "z"});
    o1->lines.push_back(make<Line>({.item = "b"}));
    o1->lines.push_back(make<Line>({.item = "a"}));
    o3->lines.push_back(make<Line>({.item = "c"}));
    s.add_all({o1, o2, o3});
    s.commit();
  }
  recorder_.clear();
  auto s = session();
  auto orders = s.query<Order>()
                    .options(selectinload(&Order::lines))
                    .order_by({&Order::region, &Order::number})
                    .all();
  auto sel = recorder_.starting_with("SELECT");
  ASSERT_EQ(sel.size(), 2u);
  EXPECT_TRUE(contains(sel[1], "lines.order_region = ")) << sel[1];
  EXPECT_TRUE(contains(sel[1], " OR ")) << sel[1];
  recorder_.clear();
  ASSERT_EQ(orders.size(), 3u);
  ASSERT_EQ(orders[0]->lines.size(), 2u);
  EXPECT_EQ(orders[0]->lines[0]->item, "a");
  EXPECT_EQ(orders[0]->lines[1]->item, "b");
  EXPECT_TRUE(orders[1]->lines.empty());
  ASSERT_EQ(orders[2]->lines.size(), 1u);
  EXPECT_EQ(orders[2]->lines[0]->order.get(), orders[2]);
  EXPECT_EQ(recorder_.statements().size(), 0u);
  // And the many-to-one side, through a composite foreign key.
  s.expunge_all();
  recorder_.clear();
  auto lines = s.query<Line>().options(selectinload(&Line::order)).order_by(&Line::item).all();
  ASSERT_EQ(selects(), 2u);
  recorder_.clear();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]->order->customer, "x");
  EXPECT_EQ(lines[2]->order->customer, "z");
  EXPECT_EQ(lines[0]->order.get(), lines[1]->order.get());
  EXPECT_EQ(recorder_.statements().size(), 0u);
  // Joined loading with the composite condition gives the same.
  s.expunge_all();
  recorder_.clear();
  auto joined = s.query<Order>()
                    .options(joinedload(&Order::lines))
                    .order_by({&Order::region, &Order::number})
                    .all();
  ASSERT_EQ(selects(), 1u);
  EXPECT_TRUE(contains(recorder_.statements().back(), "lines_1.order_number = orders.number") ||
              contains(recorder_.statements().back(), "orders.number = lines_1.order_number"))
      << recorder_.statements().back();
  recorder_.clear();
  ASSERT_EQ(joined.size(), 3u);
  EXPECT_EQ(joined[0]->lines.size(), 2u);
  EXPECT_EQ(joined[0]->lines[0]->item, "a");
  EXPECT_EQ(recorder_.statements().size(), 0u);
}

TEST_P(LoadingTest, TextKeysAndValuesSurviveEveryLoader) {
  const std::string north = "the-northern-kingdom-of-somewhere";
  const std::string south = "the-southern-republic-of-elsewhere";
  {
    auto s = session();
    auto n = make<Country>({.code = north, .motto = "a motto longer than fifteen characters"});
    auto so = make<Country>({.code = south, .motto = std::nullopt});
    n->cities.push_back(make<City>({.id = 1, .nickname = "first city with a long nickname"}));
    n->cities.push_back(make<City>({.id = 2, .nickname = std::nullopt}));
    so->cities.push_back(make<City>({.id = 3, .nickname = "x"}));
    s.add_all({n, so, make<Country>({.code = "empty-country-without-cities"})});
    s.commit();
  }
  auto check = [&](const std::vector<Ptr<Country>>& all, const char* how) {
    ASSERT_EQ(all.size(), 3u) << how;
    for (const auto& c : all) {
      EXPECT_FALSE(is_modified(c)) << how << " " << c->code;
      for (const auto& city : c->cities) {
        EXPECT_EQ(city->country_code, c->code) << how;
        EXPECT_EQ(city->country.get(), c) << how;
        EXPECT_FALSE(is_modified(city)) << how << " " << city->id;
      }
    }
    auto by_code = [&](const std::string& code) {
      for (const auto& c : all)
        if (c->code == code) return c;
      return Ptr<Country>();
    };
    auto n = by_code(north);
    ASSERT_TRUE(n) << how;
    EXPECT_EQ(n->motto, std::optional<std::string>("a motto longer than fifteen characters"));
    ASSERT_EQ(n->cities.size(), 2u) << how;
    EXPECT_EQ(n->cities[0]->nickname,
              std::optional<std::string>("first city with a long nickname"));
    EXPECT_EQ(n->cities[1]->nickname, std::nullopt);
    auto so = by_code(south);
    ASSERT_TRUE(so) << how;
    EXPECT_EQ(so->motto, std::nullopt);
    ASSERT_EQ(so->cities.size(), 1u) << how;
    EXPECT_EQ(so->cities[0]->nickname, std::optional<std::string>("x"));
    EXPECT_TRUE(by_code("empty-country-without-cities")->cities.empty()) << how;
  };
  {
    auto s = session();
    check(s.query<Country>().options(selectinload(&Country::cities)).all(), "selectin");
    s.commit();  // nothing to write: no UPDATE
  }
  {
    auto s = session();
    check(s.query<Country>().options(joinedload(&Country::cities)).all(), "joined");
  }
  {
    auto s = session();
    check(s.query<Country>().all(), "lazy");
    auto cities = s.query<City>().options(selectinload(&City::country)).order_by(&City::id).all();
    ASSERT_EQ(cities.size(), 3u);
    EXPECT_EQ(cities[0]->country->code, north);
    EXPECT_EQ(cities[2]->country->code, south);
  }
  {
    auto s = session();
    std::vector<Ptr<Country>> streamed;
    for (auto c : s.query<Country>()) streamed.push_back(c);
    check(streamed, "streamed");
  }
  EXPECT_EQ(recorder_.count("UPDATE"), 0u);
}

// Integer keys that share their low bits start at one slot of the table the
// rows find their owners in.
TEST_P(LoadingTest, SelectinFindsOwnersWhoseKeysShareTheirLowBits) {
  {
    auto s = session();
    for (std::int64_t k = 1; k <= 40; ++k) {
      auto u = make<User>({.id = k * 4096, .name = "u" + std::to_string(k)});
      for (std::int64_t a = 0; a < k % 3; ++a)
        u->addresses.push_back(
            make<Address>({.email = std::to_string(k) + "." + std::to_string(a) + "@x"}));
      s.add(u);
    }
    s.commit();
  }
  auto s = session();
  auto users = s.query<User>().options(selectinload(&User::addresses)).order_by(&User::id).all();
  ASSERT_EQ(users.size(), 40u);
  recorder_.clear();
  for (std::int64_t k = 1; k <= 40; ++k) {
    const auto& u = users[static_cast<std::size_t>(k - 1)];
    ASSERT_EQ(u->id, k * 4096);
    std::vector<std::string> expected;
    for (std::int64_t a = 0; a < k % 3; ++a)
      expected.push_back(std::to_string(k) + "." + std::to_string(a) + "@x");
    EXPECT_EQ(emails(u), expected) << k;
  }
  EXPECT_EQ(recorder_.statements().size(), 0u);
}

TEST_P(LoadingTest, ChainsLoadThreeLevelsDeep) {
  seed_tree();
  auto s = session();
  auto root = s.query<Node>()
                  .filter_by(&Node::name, "root")
                  .options(selectinload(&Node::children)
                               .selectinload(&Node::children)
                               .selectinload(&Node::children))
                  .one();
  EXPECT_EQ(selects(), 4u);
  recorder_.clear();
  ASSERT_EQ(root->children.size(), 2u);
  auto a = root->children[0];
  EXPECT_EQ(a->name, "a");
  ASSERT_EQ(a->children.size(), 2u);
  EXPECT_EQ(a->children[0]->name, "a1");
  ASSERT_EQ(a->children[0]->children.size(), 1u);
  EXPECT_EQ(a->children[0]->children[0]->name, "a1x");
  EXPECT_TRUE(a->children[1]->children.empty());
  EXPECT_TRUE(root->children[1]->children.empty());
  EXPECT_EQ(a->children[0]->children[0]->parent.get(), a->children[0]);
  EXPECT_EQ(recorder_.statements().size(), 0u);
  // A fourth level was not asked for.
  EXPECT_TRUE(a->children[0]->children[0]->children.empty());
  EXPECT_EQ(selects(), 1u);
}

TEST_P(LoadingTest, ChainsMixStrategies) {
  seed_users();
  auto s = session();
  auto users = s.query<User>()
                   .options(joinedload(&User::addresses).selectinload(&Address::dings))
                   .order_by(&User::name)
                   .all();
  auto sel = recorder_.starting_with("SELECT");
  ASSERT_EQ(sel.size(), 2u);
  EXPECT_TRUE(contains(sel[0], "LEFT OUTER JOIN addresses AS addresses_1")) << sel[0];
  EXPECT_TRUE(contains(sel[1], "dings.address_id IN (")) << sel[1];
  recorder_.clear();
  auto jack = users[1];
  ASSERT_EQ(jack->name, "jack");
  ASSERT_EQ(jack->addresses.size(), 2u);
  auto a = jack->addresses[0];
  ASSERT_EQ(a->dings.size(), 2u);
  EXPECT_EQ(a->dings[0]->note, "d2") << "order_by -note";
  EXPECT_TRUE(jack->addresses[1]->dings.empty());
  EXPECT_EQ(recorder_.statements().size(), 0u);
  // defaultload() leads to a deeper option without changing the first step.
  s.expunge_all();
  recorder_.clear();
  auto u = s.query<User>()
               .filter_by(&User::name, "jack")
               .options(defaultload(&User::addresses).selectinload(&Address::dings))
               .one();
  EXPECT_EQ(selects(), 1u) << "addresses stay lazy, so nothing below them loads";
  ASSERT_EQ(u->addresses.size(), 2u);
  EXPECT_EQ(selects(), 2u);
}

TEST_P(LoadingTest, JoinedLoadingGivesWhatLazyLoadingGives) {
  seed_users();
  std::map<std::string, std::vector<std::string>> lazy, joined;
  {
    auto s = session();
    for (const auto& u : s.query<User>().all()) lazy[u->name] = emails(u);
    EXPECT_EQ(selects(), 4u) << "one per user";
  }
  recorder_.clear();
  auto s = session();
  auto users = s.query<User>().options(joinedload(&User::addresses)).all();
  auto sel = recorder_.starting_with("SELECT");
  ASSERT_EQ(sel.size(), 1u);
  EXPECT_TRUE(contains(sel[0], "LEFT OUTER JOIN addresses AS addresses_1 ON")) << sel[0];
  EXPECT_EQ(users.size(), 3u) << "parents de-duplicated";
  recorder_.clear();
  for (const auto& u : users) joined[u->name] = emails(u);
  EXPECT_EQ(recorder_.statements().size(), 0u);
  EXPECT_EQ(joined, lazy);
  // The identity of the objects is the Session's.
  auto jack = s.query<User>().filter_by(&User::name, "jack").one();
  EXPECT_NE(std::find(users.begin(), users.end(), jack), users.end());
}

TEST_P(LoadingTest, JoinedCollectionWithLimitCountsParents) {
  seed_users();
  auto s = session();
  auto users =
      s.query<User>().options(joinedload(&User::addresses)).order_by(&User::name).limit(2).all();
  auto sel = recorder_.starting_with("SELECT");
  ASSERT_EQ(sel.size(), 1u);
  EXPECT_TRUE(contains(sel[0], "AS anon_1")) << sel[0];
  EXPECT_TRUE(contains(sel[0], "ORDER BY anon_1.name")) << sel[0];
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0]->name, "ed");
  EXPECT_EQ(users[1]->name, "jack");
  recorder_.clear();
  EXPECT_EQ(emails(users[1]), (std::vector<std::string>{"a@x", "b@x"}));
  EXPECT_EQ(recorder_.statements().size(), 0u);
  s.expunge_all();
  recorder_.clear();
  auto first = s.query<User>()
                   .filter(col(&User::name) == "jack")
                   .options(joinedload(&User::addresses))
                   .first();
  ASSERT_TRUE(first);
  EXPECT_EQ(selects(), 1u);
  EXPECT_EQ(first->addresses.size(), 2u) << "LIMIT 1 did not cut the collection";
  EXPECT_EQ(selects(), 1u);
  auto one = s.query<User>()
                 .filter(col(&User::name) == "jack")
                 .options(joinedload(&User::addresses))
                 .one();
  EXPECT_EQ(one, first);
}

TEST_P(LoadingTest, JoinedManyToOneManyToManyAndSelfReferential) {
  seed_users();
  seed_posts();
  seed_tree();
  auto s = session();
  auto addresses =
      s.query<Address>().options(joinedload(&Address::user)).order_by(&Address::email).all();
  ASSERT_EQ(selects(), 1u);
  recorder_.clear();
  ASSERT_EQ(addresses.size(), 3u);
  EXPECT_EQ(addresses[0]->user->name, "jack");
  EXPECT_EQ(addresses[2]->user->name, "ed");
  EXPECT_EQ(addresses[0]->user.get(), addresses[1]->user.get());
  EXPECT_EQ(recorder_.statements().size(), 0u);

  auto posts = s.query<Post>().options(joinedload(&Post::tags)).order_by(&Post::title).all();
  auto sel = recorder_.starting_with("SELECT");
  ASSERT_EQ(sel.size(), 1u);
  EXPECT_TRUE(contains(sel[0], "LEFT OUTER JOIN post_tags AS post_tags_")) << sel[0];
  recorder_.clear();
  ASSERT_EQ(posts.size(), 3u);
  ASSERT_EQ(posts[0]->tags.size(), 2u);
  EXPECT_EQ(posts[0]->tags[0]->label, "t1");
  EXPECT_TRUE(posts[2]->tags.empty());
  EXPECT_EQ(recorder_.statements().size(), 0u);

  // Self-referential, three levels in one statement with three aliases.
  auto root =
      s.query<Node>()
          .filter(col(&Node::name) == "root")
          .options(
              joinedload(&Node::children).joinedload(&Node::children).joinedload(&Node::children))
          .one();
  sel = recorder_.starting_with("SELECT");
  ASSERT_EQ(sel.size(), 1u);
  EXPECT_TRUE(contains(sel[0], "nodes AS nodes_3")) << sel[0];
  recorder_.clear();
  ASSERT_EQ(root->children.size(), 2u);
  auto a = root->children[0];
  ASSERT_EQ(a->children.size(), 2u);
  EXPECT_EQ(a->children[0]->name, "a1");
  ASSERT_EQ(a->children[0]->children.size(), 1u);
  EXPECT_EQ(a->children[0]->children[0]->name, "a1x");
  EXPECT_EQ(recorder_.statements().size(), 0u);
  EXPECT_EQ(a->parent.get(), root);
}

TEST_P(LoadingTest, StrategiesSetOnTheRelationship) {
  {
    auto s = session();
    auto tolkien = make<Author>({.name = "tolkien"});
    tolkien->books.push_back(make<Book>({.title = "the hobbit"}));
    tolkien->books.push_back(make<Book>({.title = "silmarillion"}));
    s.add_all({tolkien, make<Author>({.name = "nobody"})});
    s.commit();
  }
  recorder_.clear();
  auto s = session();
  // Author.books is selectin; Book.author (joined) is its reverse, set by the load.
  auto authors = s.query<Author>().order_by(&Author::name).all();
  EXPECT_EQ(selects(), 2u);
  recorder_.clear();
  ASSERT_EQ(authors[1]->books.size(), 2u);
  EXPECT_EQ(authors[1]->books[0]->title, "silmarillion");
  EXPECT_EQ(authors[1]->books[0]->author.get(), authors[1]);
  EXPECT_TRUE(authors[0]->books.empty());
  EXPECT_EQ(recorder_.statements().size(), 0u);

  // Book.author is joined; its Author.books (selectin) is the reverse: not reloaded.
  s.expunge_all();
  recorder_.clear();
  auto books = s.query<Book>().order_by(&Book::title).all();
  auto sel = recorder_.starting_with("SELECT");
  ASSERT_EQ(sel.size(), 1u);
  EXPECT_TRUE(contains(sel[0], "LEFT OUTER JOIN authors AS authors_1")) << sel[0];
  recorder_.clear();
  EXPECT_EQ(books[0]->author->name, "tolkien");
  EXPECT_EQ(recorder_.statements().size(), 0u);

  // A query option overrides the relationship's strategy.
  s.expunge_all();
  recorder_.clear();
  auto lazy = s.query<Author>().options(lazyload(&Author::books)).order_by(&Author::name).all();
  EXPECT_EQ(selects(), 1u);
  EXPECT_EQ(lazy[1]->books.size(), 2u);
  EXPECT_EQ(selects(), 2u) << "loaded on access";
}

TEST_P(LoadingTest, RaiseRefusesUnloadedAccess) {
  {
    auto s = session();
    auto v = make<Vault>({.label = "v"});
    v->coins.push_back(make<Coin>());
    v->coins.push_back(make<Coin>());
    s.add(v);
    s.commit();
  }
  auto s = session();
  auto v = s.query<Vault>().one();
  recorder_.clear();
  try {
    (void)v->coins.size();
    FAIL() << "expected InvalidRequest";
  } catch (const InvalidRequest& e) {
    EXPECT_STREQ(e.what(), "'Vault.coins' is not available due to lazy='raise'");
  }
  EXPECT_THROW(v->coins.push_back(make<Coin>()), InvalidRequest) << "changing needs it loaded";
  EXPECT_EQ(recorder_.statements().size(), 0u);
  // An eager option loads it anyway.
  auto loaded = s.query<Vault>().options(selectinload(&Vault::coins)).one();
  EXPECT_EQ(loaded, v);
  EXPECT_EQ(v->coins.size(), 2u);
  // lazyload() makes it loadable on access for the objects the query loads.
  s.expunge_all();
  auto again = s.query<Vault>().options(lazyload(&Vault::coins)).one();
  EXPECT_EQ(again->coins.size(), 2u);

  // raiseload() as a query option, on a relationship that is lazy by default.
  s.commit();
  seed_users();
  auto u =
      s.query<User>().filter_by(&User::name, "jack").options(raiseload(&User::addresses)).one();
  EXPECT_THROW((void)u->addresses.size(), InvalidRequest);
  // raiseload down a chain.
  s.expunge_all();
  auto u2 = s.query<User>()
                .filter_by(&User::name, "jack")
                .options(selectinload(&User::addresses).raiseload(&Address::dings))
                .one();
  ASSERT_EQ(u2->addresses.size(), 2u);
  EXPECT_THROW((void)u2->addresses[0]->dings.size(), InvalidRequest);
}

TEST_P(LoadingTest, RaiseOnSqlAllowsTheIdentityMap) {
  {
    auto s = session();
    auto v = make<Vault>({.label = "v"});
    v->coins.push_back(make<Coin>());
    s.add(v);
    s.commit();
  }
  auto s = session();
  auto coin = s.query<Coin>().one();
  try {
    (void)coin->vault.get();
    FAIL() << "expected InvalidRequest";
  } catch (const InvalidRequest& e) {
    EXPECT_STREQ(e.what(), "'Coin.vault' is not available due to lazy='raise_on_sql'");
  }
  auto v = s.query<Vault>().one();
  s.expunge(coin);
  auto coin2 = s.query<Coin>().one();
  recorder_.clear();
  EXPECT_EQ(coin2->vault.get(), v) << "found in the identity map without SQL";
  EXPECT_EQ(recorder_.statements().size(), 0u);

  // raiseload(member, true) as an option.
  s.commit();
  seed_users();
  s.expunge_all();
  auto a = s.query<Address>()
               .filter_by(&Address::email, "c@x")
               .options(raiseload(&Address::user, true))
               .one();
  EXPECT_THROW((void)a->user.get(), InvalidRequest);
}

TEST_P(LoadingTest, TheUnitOfWorkIgnoresRaise) {
  {
    auto s = session();
    auto v = make<Vault>({.label = "v"});
    v->coins.push_back(make<Coin>());
    s.add(v);
    s.commit();
  }
  auto s = session();
  auto v = s.query<Vault>().one();
  s.remove(v);
  EXPECT_NO_THROW(s.commit()) << "the flush loads the coins to null their foreign key";
  auto r = rows("SELECT vault_id FROM coins");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0][0].is_null());
}

TEST_P(LoadingTest, LoadedOrChangedMembersAreNotOverwritten) {
  seed_users();
  auto s = session({.autoflush = false});
  auto jack = s.query<User>().filter_by(&User::name, "jack").one();
  jack->addresses.erase(jack->addresses.begin());  // unflushed
  ASSERT_EQ(jack->addresses.size(), 1u);
  recorder_.clear();
  auto users = s.query<User>()
                   .filter(col(&User::name) == "jack")
                   .options(selectinload(&User::addresses))
                   .all();
  EXPECT_EQ(selects(), 1u) << "no keys left to load";
  EXPECT_EQ(jack->addresses.size(), 1u);
  EXPECT_EQ(jack->addresses[0]->email, "b@x");
  auto joined = s.query<User>()
                    .filter(col(&User::name) == "jack")
                    .options(joinedload(&User::addresses))
                    .all();
  EXPECT_EQ(jack->addresses.size(), 1u) << "joined rows do not replace it either";
}

TEST_P(LoadingTest, StreamingLoadsNothingEagerly) {
  seed_users();
  auto s = session();
  std::size_t n = 0;
  for (auto u : s.query<User>().options(selectinload(&User::addresses))) {
    (void)u;
    ++n;
  }
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(selects(), 1u) << "a second statement would buffer the rest of the rows";
  s.expunge_all();
  for (auto u : s.query<User>().options(raiseload(&User::addresses)))
    EXPECT_THROW((void)u->addresses.size(), InvalidRequest) << "options without SQL apply";
}

TEST_P(LoadingTest, OptionsMustStartFromTheQueriedStruct) {
  seed_users();
  auto s = session();
  EXPECT_THROW(s.query<User>().options(selectinload(&Address::dings)).all(), InvalidRequest);
}

}  // namespace
