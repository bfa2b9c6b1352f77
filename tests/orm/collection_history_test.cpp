// A collection's history (children appended and removed since the last flush,
// and changes made through the reverse side while it was unloaded) is
// allocated on its first change and let go once written: changes before and
// after a flush, changes that cancel out, a rollback, and changes waiting in an
// unloaded collection are each written once. On SQLite and PostgreSQL.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

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

class CollectionHistoryTest : public OrmTest {
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
    for (int i = 1; i <= 2; ++i) {
      auto o = make<Owner>({.name = "owner" + std::to_string(i)});
      for (int k = 1; k <= 2; ++k)
        o->pets.push_back(make<Pet>({.name = "pet" + std::to_string(i) + std::to_string(k)}));
      s.add(o);
    }
    s.commit();
    recorder_.clear();
  }

  // The pets of an owner as the database has them, by name.
  std::vector<std::string> pets_of(std::int64_t owner) {
    std::vector<std::string> out;
    for (const auto& r : rows("SELECT name FROM pets WHERE owner_id = :owner ORDER BY name",
                              {{"owner", Value(owner)}}))
      out.push_back(r.at(0).as_text());
    return out;
  }
  std::size_t writes() const {
    return recorder_.count("INSERT") + recorder_.count("UPDATE") + recorder_.count("DELETE");
  }
};

using Names = std::vector<std::string>;

TEST_P(CollectionHistoryTest, AppendAndEraseBeforeAndAfterAFlush) {
  auto s = session();
  auto o = s.get<Owner>(std::int64_t{1});
  ASSERT_EQ(o->pets.size(), 2u);
  o->pets.push_back(make<Pet>({.name = "new1"}));
  o->pets.erase(o->pets.begin());  // an orphan: deleted
  s.flush();
  EXPECT_EQ(recorder_.count("INSERT"), 1u);
  EXPECT_EQ(recorder_.count("DELETE"), 1u);

  // After the flush the history starts again: an append and its removal
  // cancel out and write nothing.
  recorder_.clear();
  auto extra = make<Pet>({.name = "extra"});
  o->pets.push_back(extra);
  o->pets.remove(extra);
  s.flush();
  EXPECT_EQ(writes(), 0u);
  EXPECT_EQ(o->pets.size(), 2u);

  // A further change is written on its own.
  recorder_.clear();
  o->pets.push_back(make<Pet>({.name = "new2"}));
  s.flush();
  EXPECT_EQ(recorder_.count("INSERT"), 1u);
  EXPECT_EQ(recorder_.count("DELETE"), 0u);
  s.commit();
  EXPECT_EQ(pets_of(1), (Names{"new1", "new2", "pet12"}));
  EXPECT_EQ(count_rows("pets"), 5);
}

TEST_P(CollectionHistoryTest, MovingAChildBetweenLoadedCollections) {
  auto s = session();
  auto one = s.get<Owner>(std::int64_t{1});
  auto two = s.get<Owner>(std::int64_t{2});
  ASSERT_EQ(one->pets.size(), 2u);
  ASSERT_EQ(two->pets.size(), 2u);
  auto pet = one->pets.front();
  two->pets.push_back(pet);  // removed from one's collection through the reverse side
  EXPECT_EQ(one->pets.size(), 1u);
  EXPECT_EQ(pet->owner.get(), two);
  s.commit();
  EXPECT_EQ(pets_of(1), (Names{"pet12"}));
  EXPECT_EQ(pets_of(2), (Names{"pet11", "pet21", "pet22"}));
  EXPECT_EQ(count_rows("pets"), 4);
}

TEST_P(CollectionHistoryTest, RollbackForgetsUnwrittenAndFlushedChanges) {
  auto s = session();
  auto o = s.get<Owner>(std::int64_t{1});
  o->pets.push_back(make<Pet>({.name = "flushed"}));
  s.flush();
  o->pets.erase(o->pets.begin());
  o->pets.push_back(make<Pet>({.name = "unflushed"}));
  s.rollback();
  // The collection loads again from the rows the rollback left.
  ASSERT_EQ(o->pets.size(), 2u);
  Names names;
  for (const auto& p : o->pets) names.push_back(p->name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (Names{"pet11", "pet12"}));
  recorder_.clear();
  s.commit();
  EXPECT_EQ(writes(), 0u) << "nothing of the rolled-back history is left to write";
  EXPECT_EQ(pets_of(1), (Names{"pet11", "pet12"}));
  EXPECT_EQ(count_rows("pets"), 4);
}

// Changes made through the many-to-one while the owner's collection is not
// loaded wait in the collection's history and apply when it loads.
TEST_P(CollectionHistoryTest, ChangesWaitingInAnUnloadedCollection) {
  auto s = session();
  auto one = s.get<Owner>(std::int64_t{1});  // pets not loaded
  auto pet = s.query<Pet>().filter(col(&Pet::name) == std::string("pet21")).one();
  auto leaving = s.query<Pet>().filter(col(&Pet::name) == std::string("pet11")).one();
  {
    auto guard = s.no_autoflush();
    pet->owner = one;          // joins the unloaded collection
    leaving->owner = nullptr;  // leaves it
    Names names;
    for (const auto& p : one->pets) names.push_back(p->name);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (Names{"pet12", "pet21"}));
  }
  s.commit();
  EXPECT_EQ(pets_of(1), (Names{"pet12", "pet21"}));
  EXPECT_EQ(pets_of(2), (Names{"pet22"}));
  EXPECT_EQ(count_rows("pets"), 3) << "pet11 left its owner: an orphan, deleted";
}

RELATE_INSTANTIATE_BACKENDS(CollectionHistoryTest);

}  // namespace
