// Delete preview (DESIGN 5): what the next flush would delete or null out, asked
// without changing the database or the Session; on both backends.

#include <gtest/gtest.h>

#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::OrmTest;

namespace {

struct Shelf;
struct Room {
  std::int64_t id = 0;
  std::string name{};
  Many<Shelf> shelves{};
};
struct Jar;
struct Shelf {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::int64_t> room_id{};
  One<Room> room{};
  Many<Jar> jars{};
};
struct Jar {
  std::int64_t id = 0;
  std::optional<std::int64_t> shelf_id{};
};

class DeletePreviewTest : public OrmTest {
 protected:
  void map(const char* cascade, bool passive, ReferentialAction on_delete) {
    registry_.map<Room>("rooms", [=](auto& m) {
      m.column("id", &Room::id, primary_key());
      m.column("name", &Room::name);
      m.relationship("shelves", &Room::shelves,
                     {.back_populates = "room", .cascade = cascade, .passive_deletes = passive});
    });
    registry_.map<Shelf>("shelves", [=](auto& m) {
      m.column("id", &Shelf::id, primary_key());
      m.column("name", &Shelf::name);
      m.column("room_id", &Shelf::room_id, foreign_key("rooms.id", on_delete));
      m.relationship("room", &Shelf::room, {.back_populates = "shelves"});
      m.relationship("jars", &Shelf::jars, {.cascade = cascade, .passive_deletes = passive});
    });
    registry_.map<Jar>("jars", [=](auto& m) {
      m.column("id", &Jar::id, primary_key());
      m.column("shelf_id", &Jar::shelf_id, foreign_key("shelves.id", on_delete));
    });
    create_schema();
    auto s = session();
    auto room = make<Room>({.name = "pantry"});
    for (const char* n : {"top", "bottom"}) {
      auto shelf = make<Shelf>({.name = n});
      shelf->jars.push_back(make<Jar>());
      shelf->jars.push_back(make<Jar>());
      room->shelves.push_back(shelf);
    }
    s.add(room);
    s.commit();
    recorder_.clear();
  }

  static std::size_t count(const DeletePreview& p, DeletePreview::Reason r) {
    std::size_t n = 0;
    for (const auto& row : p.deleted) n += row.reason == r ? 1 : 0;
    return n;
  }
};
RELATE_INSTANTIATE_BACKENDS(DeletePreviewTest);

TEST_P(DeletePreviewTest, CascadedDeletesAreListedAndNothingChanges) {
  map("all", false, ReferentialAction::no_action);
  auto s = session();
  auto room = s.query<Room>().one();
  s.remove(room);
  const auto before = s.deleted_objects().size();
  recorder_.clear();
  auto p = s.delete_preview();
  for (const auto& st : recorder_.statements())
    EXPECT_TRUE(st.starts_with("SELECT") || st.starts_with("BEGIN")) << "only reads: " << st;
  EXPECT_EQ(s.deleted_objects().size(), before);
  EXPECT_EQ(count(p, DeletePreview::Reason::removed), 1u);
  EXPECT_EQ(p.per_table["rooms"].deleted, 1u);
  EXPECT_EQ(p.per_table["shelves"].deleted, 2u);
  EXPECT_EQ(p.per_table["jars"].deleted, 4u);
  EXPECT_TRUE(p.nulled.empty());
  EXPECT_EQ(count_rows("jars"), 4) << "the preview wrote nothing";
  // The flush then does what the preview said.
  s.commit();
  EXPECT_EQ(count_rows("rooms") + count_rows("shelves") + count_rows("jars"), 0);
}

TEST_P(DeletePreviewTest, ForeignKeysToBeNulledAreListed) {
  map("save-update, merge", false, ReferentialAction::no_action);
  auto s = session();
  auto room = s.query<Room>().one();
  s.remove(room);
  auto p = s.delete_preview();
  EXPECT_EQ(p.deleted.size(), 1u);
  ASSERT_EQ(p.nulled.size(), 2u);
  EXPECT_EQ(p.nulled[0].table, "shelves");
  EXPECT_EQ(p.nulled[0].via, "Room.shelves");
  EXPECT_FALSE(p.nulled[0].object) << "not loaded by the preview";
  EXPECT_FALSE(room->shelves.is_loaded()) << "the preview loaded nothing into objects";
}

TEST_P(DeletePreviewTest, RowsTheDatabaseRemovesAreCounted) {
  map("all", true, ReferentialAction::cascade);
  auto s = session();
  auto room = s.query<Room>().one();
  s.remove(room);
  auto p = s.delete_preview();
  EXPECT_EQ(count(p, DeletePreview::Reason::database_cascade), 6u) << "2 shelves and 4 jars";
  EXPECT_EQ(p.per_table["jars"].deleted, 4u);
  for (const auto& row : p.deleted) {
    if (row.reason == DeletePreview::Reason::database_cascade) {
      EXPECT_NE(row.via.find("ON DELETE CASCADE"), std::string::npos) << row.via;
    }
  }
  s.commit();
  EXPECT_EQ(count_rows("jars"), 0);
}

TEST_P(DeletePreviewTest, OrphansAreListed) {
  map("all, delete-orphan", false, ReferentialAction::no_action);
  auto s = session();
  auto room = s.query<Room>().one();
  auto shelf = room->shelves[0];
  room->shelves.remove(shelf);
  auto p = s.delete_preview();
  EXPECT_EQ(count(p, DeletePreview::Reason::orphan), 1u);
  EXPECT_EQ(p.per_table["jars"].deleted, 2u) << "the orphan's own cascade";
  EXPECT_TRUE(s.deleted_objects().empty()) << "orphans are not marked by asking";
}

}  // namespace
