// The identity map under volume and churn (spec 6.2): many objects of
// two mappers with the same key values, objects leaving (expunge, last handle
// gone) and coming back, on SQLite and PostgreSQL.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::OrmTest;

namespace {

struct Item {
  std::int64_t id = 0;
  std::string name{};
};

struct Tag {
  std::int64_t id = 0;
  std::string name{};
};

struct Word {
  std::string spelling{};
  std::int64_t length = 0;
};

class IdentityMapTest : public OrmTest {
 protected:
  static constexpr std::int64_t n = 600;  // 1,200 objects: the table grows several times

  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<Item>("items", [](auto& m) {
      m.column("id", &Item::id, primary_key(), autoincrement(false));
      m.column("name", &Item::name);
    });
    registry_.map<Tag>("tags", [](auto& m) {
      m.column("id", &Tag::id, primary_key(), autoincrement(false));
      m.column("name", &Tag::name);
    });
    registry_.map<Word>("words", [](auto& m) {
      m.column("spelling", &Word::spelling, primary_key());
      m.column("length", &Word::length);
    });
    create_schema();
    auto s = session();
    for (std::int64_t i = 1; i <= n; ++i) {
      s.add(make<Item>({.id = i, .name = "item " + std::to_string(i)}));
      s.add(make<Tag>({.id = i, .name = "tag " + std::to_string(i)}));
    }
    s.commit();
    recorder_.clear();
  }
};

TEST_P(IdentityMapTest, ManyObjectsComeAndGo) {
  auto s = session();
  auto items = s.query<Item>().all();
  auto tags = s.query<Tag>().all();
  ASSERT_EQ(items.size(), static_cast<std::size_t>(n));
  ASSERT_EQ(tags.size(), static_cast<std::size_t>(n));
  recorder_.clear();
  // Every object by key, without SQL; the same key of the other mapper is
  // another object.
  for (std::int64_t i = 1; i <= n; ++i) {
    auto item = s.get<Item>(i);
    auto tag = s.get<Tag>(i);
    ASSERT_TRUE(item && tag) << i;
    EXPECT_EQ(item->name, "item " + std::to_string(i));
    EXPECT_EQ(tag->name, "tag " + std::to_string(i));
  }
  EXPECT_EQ(recorder_.count("SELECT"), 0u);

  // Every third item leaves through expunge; every fifth tag when its last
  // handle goes (clean objects are not kept by the Session).
  std::vector<Ptr<Item>> expunged;
  for (auto& item : items) {
    if (item->id % 3 == 0) {
      s.expunge(item);
      expunged.push_back(item);
    }
  }
  std::erase_if(tags, [](const Ptr<Tag>& t) { return t.get()->id % 5 == 0; });
  recorder_.clear();
  for (std::int64_t i = 1; i <= n; ++i) {
    auto item = s.get<Item>(i);
    ASSERT_TRUE(item) << i;
    EXPECT_EQ(item == items[static_cast<std::size_t>(i - 1)], i % 3 != 0) << i;
    EXPECT_TRUE(s.contains(item));
    auto tag = s.get<Tag>(i);
    ASSERT_TRUE(tag) << i;
    EXPECT_EQ(tag->name, "tag " + std::to_string(i));
  }
  // A SELECT for each object that left, and for nothing else.
  EXPECT_EQ(recorder_.count("SELECT"), static_cast<std::size_t>(n / 3 + n / 5));
  for (const auto& e : expunged) EXPECT_FALSE(s.contains(e));

  // Objects that came back are in the map like the others.
  recorder_.clear();
  for (std::int64_t i = 3; i <= n; i += 3) EXPECT_TRUE(s.get<Item>(i));
  EXPECT_EQ(recorder_.count("SELECT"), static_cast<std::size_t>(n / 3));  // not held: gone again
  std::vector<Ptr<Item>> held;
  for (std::int64_t i = 3; i <= n; i += 3) held.push_back(s.get<Item>(i));
  recorder_.clear();
  for (std::int64_t i = 3; i <= n; i += 3) EXPECT_EQ(s.get<Item>(i), held[i / 3 - 1]);
  EXPECT_EQ(recorder_.count("SELECT"), 0u);
}

// Keys that share their low bits all start at the same slot: the entries of
// one long collision chain, some taken out, are all found.
TEST_P(IdentityMapTest, KeysSharingTheirLowBits) {
  {
    auto s = session();
    for (std::int64_t k = 1; k <= 300; ++k)
      s.add(make<Item>({.id = k * 4096, .name = "far " + std::to_string(k)}));
    s.commit();
  }
  auto s = session();
  auto all = s.query<Item>().all();
  ASSERT_EQ(all.size(), static_cast<std::size_t>(n + 300));
  for (std::int64_t k = 2; k <= 300; k += 2) s.expunge(s.get<Item>(k * 4096));
  recorder_.clear();
  for (std::int64_t k = 1; k <= 300; k += 2) {
    auto item = s.get<Item>(k * 4096);
    ASSERT_TRUE(item) << k;
    EXPECT_EQ(item->name, "far " + std::to_string(k));
  }
  EXPECT_EQ(recorder_.count("SELECT"), 0u);
  for (std::int64_t k = 2; k <= 300; k += 2) {
    auto item = s.get<Item>(k * 4096);  // a new object, entered again
    ASSERT_TRUE(item) << k;
    EXPECT_EQ(s.get<Item>(k * 4096), item);
  }
  EXPECT_EQ(recorder_.count("SELECT"), 150u);
}

// get() of an integer key takes a shorter way into the map than other keys:
// every integer type names the same object, a key of another kind or an
// expired object goes the general way, and a miss still reaches the database.
TEST_P(IdentityMapTest, IntegerKeysOfEveryTypeFindTheSameObject) {
  auto s = session();
  auto item = s.get<Item>(std::int64_t{7});
  ASSERT_TRUE(item);
  recorder_.clear();
  EXPECT_EQ(s.get<Item>(7), item);
  EXPECT_EQ(s.get<Item>(short{7}), item);
  EXPECT_EQ(s.get<Item>(7u), item);
  EXPECT_EQ(s.get<Item>(std::uint64_t{7}), item);  // range-checked: the general way
  EXPECT_EQ(s.get<Item>(7L), item);
  auto tag = s.get<Tag>(7);  // the same value under another mapper
  ASSERT_TRUE(tag);
  EXPECT_NE(static_cast<const void*>(tag.get()), static_cast<const void*>(item.get()));
  EXPECT_EQ(recorder_.count("SELECT"), 1u) << "only the Tag comes from the database";

  recorder_.clear();
  s.expire(item);
  EXPECT_EQ(s.get<Item>(7), item);  // expired: reloaded into the same object
  EXPECT_EQ(recorder_.count("SELECT"), 1u);
  EXPECT_FALSE(s.get<Item>(n + 1));  // not in the map, no row
  EXPECT_EQ(recorder_.count("SELECT"), 2u);
  EXPECT_THROW(s.get<Item>(std::numeric_limits<std::uint64_t>::max()), ConversionError);
}

// Keys that are not one integer (text here) are found by their values: the
// map re-hashes them from the objects' own keys as it grows (its slots keep
// no hash), and entries taken out and entered again are found like the others.

TEST_P(IdentityMapTest, TextKeysThroughGrowthAndChurn) {
  constexpr int words = 400;
  auto spelling = [](int i) { return "word number " + std::to_string(i); };
  {
    auto s = session();
    for (int i = 0; i < words; ++i) {
      auto w = spelling(i);
      s.add(make<Word>({.spelling = w, .length = static_cast<std::int64_t>(w.size())}));
    }
    s.commit();
  }
  auto s = session();
  auto items = s.query<Item>().all();  // integer keys in the same map
  auto all = s.query<Word>().all();
  ASSERT_EQ(all.size(), static_cast<std::size_t>(words));
  for (int i = 0; i < words; i += 4) s.expunge(s.get<Word>(spelling(i)));
  recorder_.clear();
  for (int i = 0; i < words; ++i) {
    if (i % 4 == 0) continue;
    auto w = s.get<Word>(spelling(i));
    ASSERT_TRUE(w) << i;
    EXPECT_EQ(w->spelling, spelling(i));
  }
  for (std::int64_t i = 1; i <= n; ++i) EXPECT_EQ(s.get<Item>(i)->id, i);
  EXPECT_EQ(recorder_.count("SELECT"), 0u);
  std::vector<Ptr<Word>> back;
  for (int i = 0; i < words; i += 4) back.push_back(s.get<Word>(spelling(i)));
  EXPECT_EQ(recorder_.count("SELECT"), static_cast<std::size_t>(words / 4));
  recorder_.clear();
  for (int i = 0; i < words; i += 4) EXPECT_EQ(s.get<Word>(spelling(i)), back[i / 4]);
  EXPECT_EQ(recorder_.count("SELECT"), 0u);
}

RELATE_INSTANTIATE_BACKENDS(IdentityMapTest);

}  // namespace

// An object's identity keeps one integer inline and any other key in a heap
// array; both read back as the same values, and assigning from its own view
// (what re-entering an object under its key does) keeps them.
TEST(IdentityTest, IntegerInlineOtherKeysOnTheHeap) {
  detail::Identity id;
  EXPECT_TRUE(id.empty());
  EXPECT_EQ(id.if_integer(), nullptr);

  const std::vector<Value> one{Value(42)};
  id.assign(one);
  ASSERT_NE(id.if_integer(), nullptr);
  EXPECT_EQ(*id.if_integer(), 42);
  EXPECT_EQ(id.values(), one);
  EXPECT_TRUE(id.equals(one));
  EXPECT_FALSE(id.equals(std::vector<Value>{Value(43)}));
  EXPECT_FALSE(id.equals(std::vector<Value>{Value("42")}));
  EXPECT_FALSE(id.equals(std::vector<Value>{Value(42), Value(1)}));

  const std::vector<Value> composite{Value("a long text key that does not fit inline"), Value(7)};
  id.assign(composite);
  EXPECT_EQ(id.if_integer(), nullptr);
  EXPECT_EQ(id.size(), 2u);
  EXPECT_EQ(id.values(), composite);
  EXPECT_TRUE(id.equals(composite));
  EXPECT_FALSE(id.equals(one));

  id.assign(id.view());  // its own values: copied before the old ones go
  EXPECT_EQ(id.values(), composite);

  id.assign_integer(-5);
  EXPECT_EQ(id.values(), std::vector<Value>{Value(-5)});
  id.assign(id.view());
  ASSERT_NE(id.if_integer(), nullptr);
  EXPECT_EQ(*id.if_integer(), -5);

  // A boolean is not an integer key, though it is one Value.
  id.assign(std::vector<Value>{Value(true)});
  EXPECT_EQ(id.if_integer(), nullptr);
  EXPECT_EQ(id.values(), std::vector<Value>{Value(true)});
  id.clear();
  EXPECT_TRUE(id.empty());
  EXPECT_TRUE(id.values().empty());
}
