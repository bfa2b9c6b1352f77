// The Session's bookkeeping of new objects in flushes larger than its
// containers' first sizes: pending objects keep their add order across
// expunges (gaps, compaction), rows of one table go out in chunks, and a
// rollback finds every object inserted in the transaction, also after others
// left the Session. On SQLite and PostgreSQL.

#include <gtest/gtest.h>

#include "orm/orm_test_util.hpp"
#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::OrmTest;

namespace {

struct Item {
  std::int64_t id = 0;
  std::string name{};
};

class FlushBookkeepingTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<Item>("items", [](auto& m) {
      m.column("id", &Item::id, primary_key());
      m.column("name", &Item::name);
    });
    create_schema();
  }
};

RELATE_INSTANTIATE_BACKENDS(FlushBookkeepingTest);

TEST_P(FlushBookkeepingTest, PendingObjectsKeepAddOrderAcrossExpunges) {
  auto s = session();
  std::vector<Ptr<Item>> items;
  for (int i = 0; i < 300; ++i) {
    items.push_back(make<Item>({.name = "i" + std::to_string(i)}));
    s.add(items.back());
  }
  // Most of them leave again (the pending list is left mostly gaps), and a
  // few come back: at the end of the add order.
  std::vector<std::string> expected;
  std::vector<Object> expected_objects;
  for (int i = 0; i < 300; ++i)
    if (i % 5 != 0) s.expunge(items[static_cast<std::size_t>(i)]);
  for (int i = 0; i < 300; i += 5) {
    expected.push_back("i" + std::to_string(i));
    expected_objects.emplace_back(items[static_cast<std::size_t>(i)]);
  }
  for (int i : {7, 3, 299}) {
    s.add(items[static_cast<std::size_t>(i)]);
    expected.push_back("i" + std::to_string(i));
    expected_objects.emplace_back(items[static_cast<std::size_t>(i)]);
  }
  auto extra = make<Item>({.name = "extra"});
  s.add(extra);
  expected.push_back("extra");
  expected_objects.emplace_back(extra);

  EXPECT_EQ(s.new_objects(), expected_objects);
  s.commit();
  std::vector<std::string> written;
  for (const auto& row : rows("SELECT name FROM items ORDER BY id"))
    written.push_back(row[0].as_text());
  EXPECT_EQ(written, expected);
}

TEST_P(FlushBookkeepingTest, RowsOfALargeFlushAllGetTheirKeysAndIdentities) {
  auto s = session();
  std::vector<Ptr<Item>> items;
  for (int i = 0; i < 2500; ++i) {  // more than one chunk of INSERTs
    items.push_back(make<Item>({.name = "n" + std::to_string(i)}));
    s.add(items.back());
  }
  s.flush();
  std::int64_t previous = 0;
  for (int i = 0; i < 2500; ++i) {
    const auto& item = items[static_cast<std::size_t>(i)];
    ASSERT_EQ(state_of(item), ObjectState::persistent) << i;
    EXPECT_GT(item->id, previous) << "keys follow the add order";
    previous = item->id;
    EXPECT_EQ(s.get<Item>(item->id), item) << "the identity map has it";
  }
  recorder_.clear();
  s.commit();
  EXPECT_EQ(count_rows("items"), 2500);
}

TEST_P(FlushBookkeepingTest, RollbackMakesEveryInsertedObjectTransient) {
  auto s = session();
  std::vector<Ptr<Item>> kept;
  for (int i = 0; i < 400; ++i) {
    auto item = make<Item>({.name = "r" + std::to_string(i)});
    s.add(item);
    if (i % 4 == 0) kept.push_back(item);  // the others are only held by the Session
  }
  s.flush();
  // Clean after the flush, the unheld ones leave the Session as their last
  // handle goes; some kept ones are expunged, and new ones join.
  for (std::size_t i = 0; i < kept.size(); i += 3) s.expunge(kept[i]);
  for (int i = 0; i < 100; ++i) {
    kept.push_back(make<Item>({.name = "late" + std::to_string(i)}));
    s.add(kept.back());
  }
  s.flush();
  s.rollback();
  EXPECT_EQ(count_rows("items"), 0);
  for (std::size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(state_of(kept[i]), ObjectState::transient) << i;
    EXPECT_FALSE(s.contains(kept[i])) << i;
  }
  // Transient again, they can be added and inserted anew.
  for (const auto& item : kept) s.add(item);
  s.commit();
  EXPECT_EQ(count_rows("items"), static_cast<std::int64_t>(kept.size()));
}

}  // namespace
