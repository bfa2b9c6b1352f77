// The stores-and-items tutorial as an acceptance test on both backends.

#include <gtest/gtest.h>

#include "../../examples/stores_model.hpp"
#include "support/orm_fixture.hpp"

using namespace relate;
using stores::Item;
using stores::Store;

namespace {

class StoresTest : public relate::testing::OrmTest {
 protected:
  void setup(const char* cascade) {
    stores::map(registry_, cascade);
    create_schema();
    auto s = session();
    stores::fill(s);
    recorder_.clear();
  }
};
RELATE_INSTANTIATE_BACKENDS(StoresTest);

TEST_P(StoresTest, WithoutACascadeTheDatabaseRefusesAndNothingIsDeleted) {
  setup("save-update, merge");
  auto s = session();
  auto store = s.query<Store>().filter_by(&Store::name, "Store 1").one();
  EXPECT_EQ(store->items.count(), 2);
  s.remove(store);
  try {
    s.commit();
    FAIL() << "expected IntegrityError";
  } catch (const IntegrityError& e) {
    if (is_postgres()) {
      EXPECT_EQ(e.sqlstate(), "23502") << "not-null violation on items.store_id";
    } else {
      EXPECT_NE(std::string(e.what()).find("NOT NULL constraint failed: items.store_id"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_EQ(count_rows("stores"), 1);
  EXPECT_EQ(count_rows("items"), 2);
}

TEST_P(StoresTest, WithCascadeAllDeleteTheStoreAndItsItemsAreGone) {
  setup("all, delete");
  auto s = session();
  auto store = s.query<Store>().filter_by(&Store::name, "Store 1").one();
  s.remove(store);
  s.commit();
  auto deletes = recorder_.starting_with("DELETE");
  ASSERT_EQ(deletes.size(), 2u);
  EXPECT_NE(deletes[0].find("items"), std::string::npos) << "items before their store";
  EXPECT_EQ(count_rows("stores"), 0);
  EXPECT_EQ(count_rows("items"), 0);
}

}  // namespace
