// Dynamic<T> and WriteOnly<T> (spec 7.1 rows dynamic and write_only, 2.3
// passive_deletes): collections read through queries and written through the
// unit of work, on both backends. The stores-and-items flow is the second
// tutorial of DESIGN 1.

#include <gtest/gtest.h>

#include "relate/orm/dynamic.hpp"
#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::OrmTest;

namespace {

struct Item;
struct Store {
  std::int64_t id = 0;
  std::string name{};
  Dynamic<Item> items{};
};
struct Item {
  std::int64_t id = 0;
  std::string name{};
  double price = 0;
  std::optional<std::int64_t> store_id{};
  One<Store> store{};
};

// Items whose store is required: deleting a store that has items is refused.
struct Product;
struct Shop {
  std::int64_t id = 0;
  std::string name{};
  Dynamic<Product> products{};
};
struct Product {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::int64_t> shop_id{};
  One<Shop> shop{};
};

// Write-only, with the database deleting the entries of a deleted account.
struct Entry;
struct Account {
  std::int64_t id = 0;
  std::string owner{};
  WriteOnly<Entry> entries{};
};
struct Entry {
  std::int64_t id = 0;
  std::int64_t amount = 0;
  std::optional<std::int64_t> account_id{};
  One<Account> account{};
};

// Write-only without passive_deletes (unidirectional).
struct Line;
struct Ledger {
  std::int64_t id = 0;
  std::string title{};
  WriteOnly<Line> lines{};
};
struct Line {
  std::int64_t id = 0;
  std::string text{};
  std::optional<std::int64_t> ledger_id{};
};

// Many-to-many through an association table.
struct Course;
struct Student {
  std::int64_t id = 0;
  std::string name{};
  Dynamic<Course> courses{};
};
struct Course {
  std::int64_t id = 0;
  std::string title{};
  Many<Student> students{};
};

class DynamicTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<Store>("stores", [](auto& m) {
      m.column("id", &Store::id, primary_key());
      m.column("name", &Store::name);
      m.relationship("items", &Store::items, {.back_populates = "store", .order_by = {"name"}});
    });
    registry_.map<Item>("items", [](auto& m) {
      m.column("id", &Item::id, primary_key());
      m.column("name", &Item::name);
      m.column("price", &Item::price);
      m.column("store_id", &Item::store_id, foreign_key("stores.id"));
      m.relationship("store", &Item::store, {.back_populates = "items"});
    });
    registry_.map<Shop>("shops", [](auto& m) {
      m.column("id", &Shop::id, primary_key());
      m.column("name", &Shop::name);
      m.relationship("products", &Shop::products,
                     {.back_populates = "shop", .lazy = Loading::dynamic});
    });
    registry_.map<Product>("products", [](auto& m) {
      m.column("id", &Product::id, primary_key());
      m.column("name", &Product::name);
      m.column("shop_id", &Product::shop_id, foreign_key("shops.id"), not_null());
      m.relationship("shop", &Product::shop, {.back_populates = "products"});
    });
    registry_.map<Account>("accounts", [](auto& m) {
      m.column("id", &Account::id, primary_key());
      m.column("owner", &Account::owner);
      m.relationship(
          "entries", &Account::entries,
          {.back_populates = "account", .order_by = {"amount"}, .passive_deletes = true});
    });
    registry_.map<Entry>("entries", [](auto& m) {
      m.column("id", &Entry::id, primary_key());
      m.column("amount", &Entry::amount);
      m.column("account_id", &Entry::account_id,
               foreign_key("accounts.id", ReferentialAction::cascade));
      m.relationship("account", &Entry::account, {.back_populates = "entries"});
    });
    registry_.map<Ledger>("ledgers", [](auto& m) {
      m.column("id", &Ledger::id, primary_key());
      m.column("title", &Ledger::title);
      m.relationship("lines", &Ledger::lines);
    });
    registry_.map<Line>("lines", [](auto& m) {
      m.column("id", &Line::id, primary_key());
      m.column("text", &Line::text);
      m.column("ledger_id", &Line::ledger_id, foreign_key("ledgers.id"));
    });
    registry_.table("enrollments",
                    {column<std::int64_t>("student_id").primary_key().references("students.id"),
                     column<std::int64_t>("course_id").primary_key().references("courses.id")});
    registry_.map<Student>("students", [](auto& m) {
      m.column("id", &Student::id, primary_key());
      m.column("name", &Student::name);
      m.relationship(
          "courses", &Student::courses,
          {.back_populates = "students", .secondary = "enrollments", .order_by = {"title"}});
    });
    registry_.map<Course>("courses", [](auto& m) {
      m.column("id", &Course::id, primary_key());
      m.column("title", &Course::title);
      m.relationship("students", &Course::students,
                     {.back_populates = "courses", .secondary = "enrollments"});
    });
    create_schema();
  }

  // A store with three items, committed; returns its id.
  std::int64_t seed_store() {
    auto s = session();
    auto store = make<Store>({.name = "hardware"});
    store->items.append(make<Item>({.name = "hammer", .price = 12.5}));
    store->items.append(make<Item>({.name = "chair", .price = 40}));
    store->items.append(make<Item>({.name = "nails", .price = 3}));
    s.add(store);
    s.commit();
    return store.get()->id;
  }

  std::vector<std::string> item_names(const std::string& where) {
    std::vector<std::string> out;
    for (const auto& r : rows("SELECT name FROM items WHERE " + where + " ORDER BY name"))
      out.push_back(r[0].as_text());
    return out;
  }
};
RELATE_INSTANTIATE_BACKENDS(DynamicTest);

template <class T>
std::vector<std::string> names(const std::vector<Ptr<T>>& objects) {
  std::vector<std::string> out;
  for (const auto& o : objects) out.push_back(o->name);
  return out;
}

using Names = std::vector<std::string>;

TEST_P(DynamicTest, MappingSetsTheStrategy) {
  registry_.configure();
  const auto& items = *registry_.mapper<Store>().find_relationship("items");
  EXPECT_EQ(items.loading(), Loading::dynamic);
  EXPECT_EQ(items.direction(), Direction::one_to_many);
  EXPECT_EQ(registry_.mapper<Account>().find_relationship("entries")->loading(),
            Loading::write_only);
}

TEST_P(DynamicTest, TransientOwnerIteratesWhatWasAppended) {
  auto store = make<Store>({.name = "s"});
  auto hammer = make<Item>({.name = "hammer"});
  auto nails = make<Item>({.name = "nails"});
  store->items.append(hammer);
  store->items.push_back(nails);
  store->items.append(hammer);  // already there
  EXPECT_EQ(store->items.count(), 2);
  EXPECT_EQ(names(store->items.all()), (Names{"hammer", "nails"}));
  EXPECT_EQ(hammer->store.get(), store) << "appending sets the reverse many-to-one";
  Names seen;
  for (auto i : store->items) seen.push_back(i->name);
  EXPECT_EQ(seen, (Names{"hammer", "nails"}));
  // The reverse side feeds the collection too.
  auto saw = make<Item>({.name = "saw"});
  saw->store = store;
  EXPECT_EQ(store->items.count(), 3);
  EXPECT_TRUE(store->items.remove(nails));
  EXPECT_FALSE(store->items.remove(nails));
  EXPECT_EQ(nails->store.get(), nullptr);
  EXPECT_EQ(names(store->items.all()), (Names{"hammer", "saw"}));
  // Objects given at construction are appended.
  auto other = make<Store>({.name = "o", .items = {make<Item>({.name = "x"})}});
  EXPECT_EQ(other->items.first()->store.get(), other);
  try {
    (void)store->items.query();
    FAIL() << "a transient owner has no Session to query";
  } catch (const InvalidRequest& e) {
    EXPECT_NE(std::string(e.what()).find("Store.items cannot be queried"), std::string::npos)
        << e.what();
  }
}

TEST_P(DynamicTest, PendingOwnerIsFlushedByItsFirstRead) {
  auto s = session();
  auto store = make<Store>({.name = "s"});
  store->items.append(make<Item>({.name = "b"}));
  store->items.append(make<Item>({.name = "a"}));
  s.add(store);
  EXPECT_EQ(s.new_objects().size(), 3u) << "save-update cascade through the dynamic member";
  recorder_.clear();
  EXPECT_EQ(store->items.count(), 2);
  ASSERT_EQ(recorder_.count("INSERT"), 2u) << "autoflush: stores, then items";
  ASSERT_EQ(recorder_.count("SELECT count(*)"), 1u) << "count() is a query once there is a row";
  EXPECT_EQ(state_of(store), ObjectState::persistent);
  EXPECT_EQ(names(store->items.all()), (Names{"a", "b"})) << "relationship order_by applies";
}

TEST_P(DynamicTest, PendingOwnerWithoutAutoflushShowsItsPendingItems) {
  auto s = session({.autoflush = false});
  auto store = make<Store>({.name = "s"});
  s.add(store);
  store->items.append(make<Item>({.name = "a"}));
  recorder_.clear();
  EXPECT_EQ(store->items.count(), 1);
  EXPECT_EQ(state_of(store->items.first()), ObjectState::pending);
  EXPECT_EQ(recorder_.statements().size(), 0u) << "nothing to ask the database";
}

TEST_P(DynamicTest, ReadsAreQueries) {
  const auto id = seed_store();
  auto s = session();
  auto store = s.get<Store>(id);
  recorder_.clear();
  EXPECT_EQ(store->items.count(), 3);
  auto counts = recorder_.starting_with("SELECT count(*)");
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_NE(counts[0].find("items.store_id = "), std::string::npos) << counts[0];
  recorder_.clear();
  EXPECT_EQ(names(store->items.all()), (Names{"chair", "hammer", "nails"}));
  EXPECT_EQ(store->items.count(), 3) << "every use asks again";
  EXPECT_EQ(recorder_.count("SELECT"), 2u);
  auto cheap = store->items.query().filter(col(&Item::price) < 20.0).all();
  EXPECT_EQ(names(cheap), (Names{"hammer", "nails"}));
  EXPECT_EQ(store->items.query().filter(col(&Item::price) > 10.0).count(), 2);
  auto hammer = store->items.query().order_by(desc(&Item::price)).offset(1).first();
  EXPECT_EQ(hammer->name, "hammer") << "the relationship's order_by (name) comes first";
  Names seen;
  for (auto i : store->items) seen.push_back(i->name);
  EXPECT_EQ(seen, (Names{"chair", "hammer", "nails"}));
  Names streamed;
  for (auto i : store->items.query().limit(2)) streamed.push_back(i->name);
  EXPECT_EQ(streamed, (Names{"chair", "hammer"}));
  EXPECT_FALSE(store->items.empty());
  EXPECT_EQ(store->items.first()->store.get(), store);
  // Objects come through the identity map.
  EXPECT_EQ(store->items.first(), s.query<Item>().filter_by(&Item::name, "chair").one());
}

TEST_P(DynamicTest, AppendIsQueuedWithoutSelectAndFlushedBeforeTheNextRead) {
  const auto id = seed_store();
  auto s = session();
  auto store = s.get<Store>(id);
  recorder_.clear();
  auto saw = make<Item>({.name = "saw", .price = 20});
  store->items.append(saw);
  EXPECT_EQ(recorder_.statements().size(), 0u) << "no SELECT on append";
  EXPECT_EQ(state_of(saw), ObjectState::pending) << "save-update cascade";
  EXPECT_EQ(saw->store.get(), store);
  EXPECT_EQ(store->items.count(), 4);
  ASSERT_GE(recorder_.statements().size(), 2u);
  auto inserts = recorder_.starting_with("INSERT");
  ASSERT_EQ(inserts.size(), 1u);
  EXPECT_LT(std::find(recorder_.statements().begin(), recorder_.statements().end(), inserts[0]),
            std::find_if(recorder_.statements().begin(), recorder_.statements().end(),
                         [](const std::string& q) { return q.starts_with("SELECT count"); }))
      << "the autoflush INSERT precedes the count";
  s.commit();
  EXPECT_EQ(item_names("store_id = " + std::to_string(id)),
            (Names{"chair", "hammer", "nails", "saw"}));
  // Setting the many-to-one side is seen by the next query as well.
  auto drill = make<Item>({.name = "drill"});
  s.add(drill);
  drill->store = store;
  EXPECT_EQ(store->items.query().filter_by(&Item::name, "drill").count(), 1);
}

TEST_P(DynamicTest, TheManyToOneSideOfAnUntouchedStoreIsSeenByItsQueries) {
  const auto id = seed_store();
  auto s = session();
  auto store = s.get<Store>(id);
  auto outlet = make<Store>({.name = "outlet"});
  s.add(outlet);
  s.commit();
  auto chair = s.query<Item>().filter_by(&Item::name, "chair").one();
  chair->store = outlet;  // neither store's items were used in this Session
  s.add(make<Item>({.name = "lamp", .store = outlet}));
  EXPECT_EQ(names(outlet->items.all()), (Names{"chair", "lamp"}));
  EXPECT_EQ(names(store->items.all()), (Names{"hammer", "nails"}));
  chair->store = store;
  EXPECT_EQ(names(store->items.all()), (Names{"chair", "hammer", "nails"}));
  s.commit();
  EXPECT_EQ(item_names("store_id = " + std::to_string(outlet.get()->id)), (Names{"lamp"}));
}

TEST_P(DynamicTest, RemoveNullsTheForeignKey) {
  const auto id = seed_store();
  auto s = session();
  auto store = s.get<Store>(id);
  auto nails = store->items.query().filter_by(&Item::name, "nails").one();
  recorder_.clear();
  EXPECT_TRUE(store->items.remove(nails));
  EXPECT_EQ(recorder_.statements().size(), 0u) << "no SELECT on remove";
  EXPECT_EQ(nails->store.get(), nullptr) << "the reverse side follows";
  EXPECT_EQ(store->items.count(), 2) << "autoflush wrote the removal";
  s.commit();
  EXPECT_EQ(item_names("store_id IS NULL"), (Names{"nails"}));
  EXPECT_EQ(count_rows("items"), 3);
  // An item of another store is not in this collection.
  auto other = make<Store>({.name = "other", .items = {make<Item>({.name = "rake"})}});
  s.add(other);
  s.commit();
  auto rake = other->items.first();
  EXPECT_FALSE(store->items.remove(rake));
  EXPECT_FALSE(store->items.remove(nails)) << "its key is NULL now";
  s.commit();
  EXPECT_EQ(item_names("store_id IS NOT NULL"), (Names{"chair", "hammer", "rake"}));
  // Append then remove before a flush cancels out.
  auto tmp = make<Item>({.name = "tmp"});
  store->items.append(tmp);
  EXPECT_TRUE(store->items.remove(tmp));
  s.commit();
  EXPECT_EQ(item_names("name = 'tmp'"), (Names{"tmp"})) << "still saved (save-update)";
  EXPECT_EQ(item_names("name = 'tmp' AND store_id IS NULL"), (Names{"tmp"}));
}

TEST_P(DynamicTest, MovingAnItemBetweenStores) {
  const auto id = seed_store();
  auto s = session();
  auto store = s.get<Store>(id);
  auto outlet = make<Store>({.name = "outlet"});
  s.add(outlet);
  auto chair = store->items.first();
  outlet->items.append(chair);
  EXPECT_EQ(chair->store.get(), outlet);
  EXPECT_EQ(store->items.count(), 2);
  EXPECT_EQ(names(outlet->items.all()), (Names{"chair"}));
  s.commit();
  EXPECT_EQ(item_names("store_id = " + std::to_string(outlet.get()->id)), (Names{"chair"}));
}

TEST_P(DynamicTest, WholeCollectionAssignment) {
  const auto id = seed_store();
  auto s = session();
  auto store = s.get<Store>(id);
  auto hammer = store->items.query().filter_by(&Item::name, "hammer").one();
  auto saw = make<Item>({.name = "saw"});
  auto glue = make<Item>({.name = "glue"});
  store->items.append(glue);  // unflushed, then dropped by the assignment
  recorder_.clear();
  store->items = {hammer, saw};
  EXPECT_EQ(recorder_.count("INSERT"), 0u) << "loading to replace does not autoflush";
  EXPECT_EQ(recorder_.count("SELECT"), 1u) << "the current rows, once";
  EXPECT_EQ(state_of(saw), ObjectState::pending);
  EXPECT_EQ(glue->store.get(), nullptr);
  s.commit();
  EXPECT_EQ(item_names("store_id = " + std::to_string(id)), (Names{"hammer", "saw"}));
  EXPECT_EQ(item_names("store_id IS NULL"), (Names{"chair", "glue", "nails"}));
  store->items.clear();
  s.commit();
  EXPECT_EQ(count_rows("items") - static_cast<std::int64_t>(item_names("store_id IS NULL").size()),
            0);
  // A transient owner's list is simply replaced.
  auto fresh = make<Store>({.name = "fresh", .items = {make<Item>({.name = "x"})}});
  fresh->items = {saw};
  EXPECT_EQ(names(fresh->items.all()), (Names{"saw"}));
}

TEST_P(DynamicTest, DeletingTheStoreNullsItsItems) {
  const auto id = seed_store();
  auto s = session();
  auto store = s.get<Store>(id);
  auto saw = make<Item>({.name = "saw"});
  store->items.append(saw);
  s.flush();  // (a new item appended to a store deleted in the same flush is a unit-of-work matter)
  s.remove(store);
  recorder_.clear();
  s.commit();
  auto selects = recorder_.starting_with("SELECT");
  ASSERT_EQ(selects.size(), 1u) << "the whole collection is loaded once";
  EXPECT_NE(selects[0].find("FROM items"), std::string::npos) << selects[0];
  EXPECT_EQ(recorder_.count("UPDATE"), 1u) << "one batch nulls them";
  EXPECT_EQ(count_rows("stores"), 0);
  EXPECT_EQ(item_names("store_id IS NULL"), (Names{"chair", "hammer", "nails", "saw"}));
}

TEST_P(DynamicTest, StoresAndItemsTutorial) {
  // Create stores and items; list, filter and count through the dynamic member.
  auto s = session();
  auto hardware = make<Store>({.name = "hardware"});
  auto garden = make<Store>({.name = "garden"});
  s.add_all({hardware, garden});
  s.commit();
  for (auto [name, price] : {std::pair{"hammer", 12.5}, {"nails", 3.0}, {"chair", 40.0}})
    hardware->items.append(make<Item>({.name = name, .price = price}));
  garden->items.append(make<Item>({.name = "rake", .price = 15}));
  s.commit();
  EXPECT_EQ(hardware->items.count(), 3);
  EXPECT_EQ(garden->items.count(), 1);
  EXPECT_EQ(hardware->items.query().filter(col(&Item::price).between(10.0, 20.0)).count(), 1);
  // Update an item found through its store.
  auto hammer = hardware->items.query().filter_by(&Item::name, "hammer").one();
  hammer->price = 14;
  s.commit();
  EXPECT_EQ(rows("SELECT price FROM items WHERE name = 'hammer'")[0][0].as_real(), 14.0);
  // Bulk delete through the query, synchronised with the Session.
  EXPECT_EQ(hardware->items.query().filter(col(&Item::price) < 5.0).bulk_delete(), 1);
  EXPECT_EQ(
      hardware->items.query().filter(col(&Item::price) < 50.0).bulk_delete(Synchronize::evaluate),
      2);
  s.commit();
  EXPECT_EQ(hardware->items.count(), 0);
  // Deleting the garden store keeps its items with no store.
  s.remove(garden);
  s.commit();
  EXPECT_EQ(item_names("store_id IS NULL"), (Names{"rake"}));
  EXPECT_EQ(count_rows("stores"), 1);
}

TEST_P(DynamicTest, RequiredForeignKeyRefusesTheDelete) {
  auto s = session();
  auto shop = make<Shop>({.name = "shop"});
  shop->products.append(make<Product>({.name = "p"}));
  s.add(shop);
  s.commit();
  EXPECT_EQ(rows("SELECT shop_id FROM products")[0][0].as_integer(), shop.get()->id);
  s.remove(shop);
  EXPECT_THROW(s.commit(), IntegrityError) << "nulling a NOT NULL key fails in the database";
  EXPECT_EQ(count_rows("shops"), 1);
  EXPECT_EQ(count_rows("products"), 1);
  // DESIGN 4.1: the Session is usable; removing the product first works.
  Ptr<Product> p;
  {
    auto guard = s.no_autoflush();  // the failing delete is still queued
    p = shop->products.first();
  }
  s.remove(p);
  s.commit();
  EXPECT_EQ(count_rows("shops"), 0);
  EXPECT_EQ(count_rows("products"), 0);
}

TEST_P(DynamicTest, ManyToMany) {
  auto s = session();
  auto ann = make<Student>({.name = "ann"});
  auto bob = make<Student>({.name = "bob"});
  auto math = make<Course>({.title = "math"});
  auto art = make<Course>({.title = "art"});
  ann->courses.append(math);
  ann->courses.append(art);
  EXPECT_EQ(math->students.size(), 1u) << "the reverse collection follows";
  bob->courses.append(math);
  s.add_all({ann, bob});
  s.commit();
  EXPECT_EQ(count_rows("enrollments"), 3);
  recorder_.clear();
  EXPECT_EQ(ann->courses.count(), 2);
  auto q = recorder_.starting_with("SELECT count(*)");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_NE(q[0].find("enrollments"), std::string::npos) << q[0];
  auto titles = [](const std::vector<Ptr<Course>>& v) {
    Names out;
    for (const auto& c : v) out.push_back(c->title);
    return out;
  };
  EXPECT_EQ(titles(ann->courses.all()), (Names{"art", "math"}));
  EXPECT_EQ(titles(bob->courses.all()), (Names{"math"}));
  EXPECT_EQ(ann->courses.query().filter_by(&Course::title, "math").count(), 1);
  EXPECT_TRUE(ann->courses.remove(math));
  s.commit();
  EXPECT_EQ(count_rows("enrollments"), 2);
  EXPECT_EQ(titles(ann->courses.all()), (Names{"art"}));
  s.remove(ann);
  s.commit();
  EXPECT_EQ(count_rows("enrollments"), 1) << "a deleted student's rows go without a load";
}

TEST_P(DynamicTest, WriteOnlyAddsRemovesAndSelects) {
  auto s = session();
  auto acct = make<Account>({.owner = "ann"});
  acct->entries.add(make<Entry>({.amount = 5}));
  acct->entries = {make<Entry>({.amount = 10}), make<Entry>({.amount = 7})};  // still transient
  s.add(acct);
  s.commit();
  EXPECT_EQ(count_rows("entries"), 2) << "the replaced list is what was saved";
  EXPECT_EQ(acct->owner, "ann");  // loads the expired row
  recorder_.clear();
  auto e = make<Entry>({.amount = 1});
  acct->entries.add_all({e, make<Entry>({.amount = 20})});
  EXPECT_EQ(recorder_.statements().size(), 0u) << "no SELECT on add";
  EXPECT_EQ(e->account.get(), acct);
  std::vector<std::int64_t> amounts;
  for (auto x : acct->entries.select()) amounts.push_back(x->amount);
  EXPECT_EQ(amounts, (std::vector<std::int64_t>{1, 7, 10, 20})) << "autoflushed, ordered";
  EXPECT_EQ(acct->entries.select().filter(col(&Entry::amount) >= 10).count(), 2);
  EXPECT_TRUE(acct->entries.remove(e));
  s.commit();
  EXPECT_EQ(rows("SELECT count(*) FROM entries WHERE account_id IS NULL")[0][0].as_integer(), 1);
  try {
    acct->entries = {e};
    FAIL() << "replacing a persistent owner's write-only collection";
  } catch (const InvalidRequest& ex) {
    EXPECT_NE(std::string(ex.what()).find("Collection \"Account.entries\" does not support "
                                          "implicit iteration; collection replacement "
                                          "operations can't be used"),
              std::string::npos)
        << ex.what();
  }
}

TEST_P(DynamicTest, WriteOnlyOwnerDeleteWithPassiveDeletesLeavesRowsToTheDatabase) {
  auto s = session();
  auto acct = make<Account>({.owner = "ann"});
  acct->entries.add_all({make<Entry>({.amount = 1}), make<Entry>({.amount = 2})});
  s.add(acct);
  s.commit();
  s.remove(acct);
  recorder_.clear();
  s.commit();
  EXPECT_EQ(recorder_.count("SELECT"), 0u) << "passive_deletes: nothing loaded";
  EXPECT_EQ(recorder_.count("UPDATE"), 0u);
  EXPECT_EQ(count_rows("entries"), 0) << "ON DELETE CASCADE removed them";
}

TEST_P(DynamicTest, WriteOnlyOwnerDeleteWithoutPassiveDeletesFailsAtFlush) {
  auto s = session();
  auto ledger = make<Ledger>({.title = "l"});
  ledger->lines.add(make<Line>({.text = "a"}));
  s.add(ledger);
  s.commit();
  EXPECT_EQ(rows("SELECT ledger_id FROM lines")[0][0].as_integer(), ledger.get()->id)
      << "a unidirectional write-only member writes the key itself";
  s.remove(ledger);
  try {
    s.flush();
    FAIL() << "expected InvalidRequest";
  } catch (const InvalidRequest& e) {
    EXPECT_NE(std::string(e.what()).find("Attribute Ledger.lines can't load the existing state "
                                         "from the database for this operation; full iteration "
                                         "is not permitted. If this is a delete operation, "
                                         "configure passive_deletes = true"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(count_rows("ledgers"), 1);
  EXPECT_EQ(state_of(ledger), ObjectState::persistent);
  EXPECT_EQ(s.deleted_objects().size(), 1u) << "still marked: fix the cause and flush again";
}

TEST_P(DynamicTest, DetachedOwnerCannotRead) {
  const auto id = seed_store();
  auto s = session();
  auto store = s.get<Store>(id);
  s.close();
  try {
    (void)store->items.count();
    FAIL() << "expected DetachedInstanceError";
  } catch (const DetachedInstanceError& e) {
    EXPECT_NE(std::string(e.what()).find("is not bound to a Session; lazy load operation of "
                                         "attribute 'items' cannot proceed"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW((void)store->items.query(), DetachedInstanceError);
}

TEST_P(DynamicTest, GraphsAreReclaimed) {
  const auto id = seed_store();
  collect_cycles();
  const auto before = live_objects();
  {
    auto store = make<Store>({.name = "t"});
    for (int i = 0; i < 5; ++i) store->items.append(make<Item>({.name = "x"}));
    auto s = session();
    auto loaded = s.get<Store>(id);
    for (auto i : loaded->items) (void)i->store->name;
    loaded->items.append(make<Item>({.name = "y"}));
    s.commit();
    s.close();
  }
  collect_cycles();
  EXPECT_EQ(live_objects(), before);
}

// Mapping mistakes fail early, naming the relationship.
struct BadStore {
  std::int64_t id = 0;
  Dynamic<Item> items{};
  Many<Item> others{};
};
struct BadItem {
  std::int64_t id = 0;
  std::optional<std::int64_t> store_id{};
  Dynamic<BadStore> store{};
};

TEST(DynamicConfiguration, MismatchedStrategiesAndManyToOneAreRefused) {
  {
    Registry r;
    try {
      r.map<BadStore>("bad_stores", [](auto& m) {
        m.column("id", &BadStore::id, primary_key());
        m.relationship("items", &BadStore::items, {.lazy = Loading::selectin});
      });
      FAIL() << "expected ConfigurationError";
    } catch (const ConfigurationError& e) {
      EXPECT_NE(std::string(e.what()).find("BadStore.items is a relate::Dynamic<...>, which loads "
                                           "as lazy = dynamic, not selectin"),
                std::string::npos)
          << e.what();
    }
  }
  {
    Registry r;
    try {
      r.map<BadStore>("bad_stores", [](auto& m) {
        m.column("id", &BadStore::id, primary_key());
        m.relationship("others", &BadStore::others, {.lazy = Loading::dynamic});
      });
      FAIL() << "expected ConfigurationError";
    } catch (const ConfigurationError& e) {
      EXPECT_NE(std::string(e.what()).find("BadStore.others has lazy = dynamic; declare the member "
                                           "as relate::Dynamic<...>"),
                std::string::npos)
          << e.what();
    }
  }
  {
    Registry r;
    r.map<BadStore>("bad_stores", [](auto& m) { m.column("id", &BadStore::id, primary_key()); });
    r.map<BadItem>("bad_items", [](auto& m) {
      m.column("id", &BadItem::id, primary_key());
      m.column("store_id", &BadItem::store_id, foreign_key("bad_stores.id"));
      m.relationship("store", &BadItem::store);
    });
    try {
      r.configure();
      FAIL() << "expected ConfigurationError";
    } catch (const ConfigurationError& e) {
      EXPECT_NE(std::string(e.what()).find("BadItem.store"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("many-to-one"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
