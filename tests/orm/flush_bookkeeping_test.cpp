// The Session's bookkeeping of new objects in flushes larger than its
// containers' first sizes: pending objects keep their add order across
// expunges (gaps, compaction), rows of one table go out in chunks, and a
// rollback finds every object inserted in the transaction, also after others
// left the Session. On SQLite and PostgreSQL.

#include <gtest/gtest.h>

#include <optional>
#include <tuple>

#include "orm/orm_test_util.hpp"
#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::OrmTest;

namespace {

struct Item {
  std::int64_t id = 0;
  std::string name{};
};

// A row the database refuses when `note` is missing.
struct Noted {
  std::int64_t id = 0;
  std::optional<std::string> note{};
  double weight = 0;
};

// A child with three parents: its parent links (one per relationship) grow.
struct Holder;
struct Piece {
  std::int64_t id = 0;
  std::optional<std::int64_t> a_id{}, b_id{}, c_id{};
  One<Holder> a{}, b{}, c{};
};
struct Holder {
  std::int64_t id = 0;
  Many<Piece> as{}, bs{}, cs{};
};

class FlushBookkeepingTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<Item>("items", [](auto& m) {
      m.column("id", &Item::id, primary_key());
      m.column("name", &Item::name);
    });
    registry_.map<Noted>("noted", [](auto& m) {
      m.column("id", &Noted::id, primary_key());
      m.column("note", &Noted::note, not_null());
      m.column("weight", &Noted::weight);
    });
    registry_.map<Holder>("holders", [](auto& m) {
      m.column("id", &Holder::id, primary_key());
      for (auto [name, member, key, back] :
           {std::tuple{"as", &Holder::as, "a_id", "a"}, std::tuple{"bs", &Holder::bs, "b_id", "b"},
            std::tuple{"cs", &Holder::cs, "c_id", "c"}})
        m.relationship(
            name, member,
            {.back_populates = back, .cascade = "all, delete-orphan", .foreign_keys = {key}});
    });
    registry_.map<Piece>("pieces", [](auto& m) {
      m.column("id", &Piece::id, primary_key());
      m.column("a_id", &Piece::a_id, foreign_key("holders.id"));
      m.column("b_id", &Piece::b_id, foreign_key("holders.id"));
      m.column("c_id", &Piece::c_id, foreign_key("holders.id"));
      m.relationship("a", &Piece::a, {.back_populates = "as", .foreign_keys = {"a_id"}});
      m.relationship("b", &Piece::b, {.back_populates = "bs", .foreign_keys = {"b_id"}});
      m.relationship("c", &Piece::c, {.back_populates = "cs", .foreign_keys = {"c_id"}});
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

// A flush whose second chunk of INSERTs fails leaves every object as it was:
// pending in its add order, its members (the generated key too) unchanged.
TEST_P(FlushBookkeepingTest, AFailedSecondChunkLeavesEveryObjectPending) {
  auto s = session();
  std::vector<Ptr<Noted>> all;
  std::vector<Object> added;
  for (int i = 0; i < 1500; ++i) {
    all.push_back(make<Noted>({.note = "n" + std::to_string(i), .weight = 0.25 * i}));
    if (i == 1300) all.back()->note.reset();  // past the first 1,024 rows
    s.add(all.back());
    added.emplace_back(all.back());
  }
  EXPECT_THROW(s.flush(), IntegrityError);
  EXPECT_EQ(count_rows("noted"), 0);
  EXPECT_EQ(s.new_objects(), added);
  for (std::size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(state_of(all[i]), ObjectState::pending) << i;
    EXPECT_EQ(all[i]->id, 0) << i;
    EXPECT_EQ(all[i]->weight, 0.25 * static_cast<double>(i));
  }
  all[1300]->note = "fixed";
  s.commit();
  std::int64_t previous = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_GT(all[i]->id, previous) << i;
    previous = all[i]->id;
  }
  const auto written = rows("SELECT note, weight FROM noted ORDER BY id");
  ASSERT_EQ(written.size(), all.size());
  EXPECT_EQ(written[1300][0], Value("fixed"));
  EXPECT_EQ(written[1499][0], Value("n1499"));
  EXPECT_EQ(written[1499][1].as_real(), 0.25 * 1499);
}

// Each relationship keeps its own "has a parent" flag: a piece taken out of
// one of its three parents is an orphan of that one (and so deleted), while
// the other two still hold it until then.
TEST_P(FlushBookkeepingTest, ParentLinksOfSeveralRelationships) {
  auto s = session();
  auto h1 = make<Holder>(), h2 = make<Holder>(), h3 = make<Holder>();
  std::vector<Ptr<Piece>> pieces;
  for (int i = 0; i < 5; ++i) {
    pieces.push_back(make<Piece>());
    h1->as.push_back(pieces.back());
    h2->bs.push_back(pieces.back());
    h3->cs.push_back(pieces.back());
  }
  s.add(h1);
  s.commit();
  for (const auto& p : pieces) {
    EXPECT_EQ(p->a_id, h1->id);
    EXPECT_EQ(p->b_id, h2->id);
    EXPECT_EQ(p->c_id, h3->id);
  }
  h2->bs.erase(h2->bs.begin() + 1);  // pieces[1] leaves its b parent only
  s.commit();
  EXPECT_EQ(count_rows("pieces"), 4);
  EXPECT_EQ(state_of(pieces[1]), ObjectState::detached);
  EXPECT_EQ(h1->as.size(), 4u);
  EXPECT_EQ(h3->cs.size(), 4u);
}

// What a rollback makes transient again is what was inserted in its own
// transaction: an object expunged and added back, and one inserted and then
// deleted, count; objects committed before do not.
TEST_P(FlushBookkeepingTest, RollbackUndoesOnlyTheInsertsOfItsTransaction) {
  auto s = session();
  auto committed = make<Item>({.name = "committed"});
  auto readded = make<Item>({.name = "readded"});
  s.add(committed);
  s.add(readded);
  s.flush();
  s.expunge(readded);
  s.add(readded);  // persistent again, still inserted in this transaction
  s.commit();
  EXPECT_EQ(state_of(readded), ObjectState::persistent);

  auto fresh = make<Item>({.name = "fresh"});
  auto gone = make<Item>({.name = "gone"});
  auto back = make<Item>({.name = "back"});
  s.add(fresh);
  s.add(gone);
  s.add(back);
  s.flush();
  s.remove(gone);
  s.expunge(back);
  s.add(back);
  s.flush();  // gone: inserted and deleted in this transaction
  committed->name = "renamed";
  s.flush();
  s.rollback();
  for (const auto& item : {fresh, gone, back}) EXPECT_EQ(state_of(item), ObjectState::transient);
  EXPECT_EQ(back->name, "back");  // values stay as they were
  EXPECT_EQ(state_of(committed), ObjectState::persistent);
  EXPECT_EQ(state_of(readded), ObjectState::persistent);
  EXPECT_EQ(committed->name, "committed");  // reloaded
  EXPECT_EQ(count_rows("items"), 2);
}

}  // namespace
