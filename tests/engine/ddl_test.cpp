// DDL round trips on live databases: the schema core/ generates is created,
// used (defaults, ON DELETE rules, constraints) and dropped on both backends.

#include <gtest/gtest.h>

#include "relate/relate.hpp"
#include "support/backend.hpp"

using namespace relate;

namespace {

class LiveDdl : public relate::testing::BackendTest {
 protected:
  void SetUp() override {
    db_ = std::make_unique<relate::testing::TestDatabase>(backend());
    engine_ = std::make_unique<Engine>(create_engine(db_->url()));
    md_.table("owners", {
                            column<std::int64_t>("id").primary_key(),
                            column<std::string>("name").length(40).unique(),
                            column<std::string>("motto").server_default(Value("it's fine")),
                            column<std::optional<std::int64_t>>("favourite_pet_id"),
                        });
    md_.table(
        "pets",
        {
            column<std::int64_t>("id").primary_key(),
            column<std::int64_t>("owner_id").references("owners.id", ReferentialAction::cascade),
            column<std::optional<std::int64_t>>("sitter_id")
                .references("owners.id", ReferentialAction::set_null),
            column<std::optional<std::int64_t>>("mother_id").references("pets.id"),
            column<bool>("vaccinated").server_default(Value(false)),
            column<std::optional<double>>("weight"),
            column<std::optional<Blob>>("photo"),
            column<std::optional<std::chrono::sys_days>>("born"),
            column<std::optional<std::chrono::sys_time<std::chrono::microseconds>>>("seen"),
            column<std::int16_t>("legs").server_default(Value(4)),
            Index("ix_pets_owner", {"owner_id"}),
        });
    // A cycle: owners.favourite_pet_id -> pets.id, added after both tables exist.
    md_.find("owners")->add(
        ForeignKey({"favourite_pet_id"}, {"pets.id"}).on_delete(ReferentialAction::set_null));
    md_.table("vet_visits",
              {
                  column<std::int64_t>("pet_id").primary_key(),
                  column<std::int64_t>("visit_no").primary_key(),
                  column<std::string>("note"),
                  ForeignKey({"pet_id"}, {"pets.id"}).on_delete(ReferentialAction::restrict),
                  UniqueConstraint({"pet_id", "note"}),
              });
  }

  std::vector<std::string> tables() {
    auto conn = engine_->connect();
    auto r = conn.execute(text(is_sqlite() ? "SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "ORDER BY name"
                                           : "SELECT tablename FROM pg_tables WHERE schemaname = "
                                             "current_schema() ORDER BY tablename"));
    std::vector<std::string> out;
    for (const auto& row : r) out.push_back(row.get<std::string>(0));
    return out;
  }

  std::unique_ptr<relate::testing::TestDatabase> db_;
  std::unique_ptr<Engine> engine_;
  MetaData md_;
};
RELATE_INSTANTIATE_BACKENDS(LiveDdl);

TEST_P(LiveDdl, CreateUseAndDrop) {
  create_all(*engine_, md_);
  EXPECT_EQ(tables(), (std::vector<std::string>{"owners", "pets", "vet_visits"}));
  create_all(*engine_, md_);  // checkfirst: a second run changes nothing
  EXPECT_EQ(tables().size(), 3u);

  auto conn = engine_->connect();
  const Table& owners = md_.at("owners");
  const Table& pets = md_.at("pets");
  const Table& visits = md_.at("vet_visits");
  conn.execute(insert(owners).values({{"id", 1}, {"name", "ann"}}));
  conn.execute(insert(owners).values({{"id", 2}, {"name", "bob"}}));
  conn.execute(insert(pets).values({{"id", 10}, {"owner_id", 1}, {"sitter_id", 2}}));
  conn.execute(insert(pets).values({{"id", 11}, {"owner_id", 2}, {"mother_id", 10}}));
  conn.execute(update(owners).set("favourite_pet_id", 11).where(owners.c("id") == 2));

  // Server defaults, one with a quote in it.
  auto row = conn.execute(select({owners.c("motto")}).where(owners.c("id") == 1)).one();
  EXPECT_EQ(row.get<std::string>(0), "it's fine");
  auto pet =
      conn.execute(select({pets.c("vaccinated"), pets.c("legs")}).where(pets.c("id") == 10)).one();
  EXPECT_FALSE(pet.get<bool>(0));
  EXPECT_EQ(pet.get<std::int16_t>(1), 4);

  // UNIQUE and the composite primary key.
  EXPECT_THROW(conn.execute(insert(owners).values({{"id", 3}, {"name", "ann"}})), IntegrityError);
  conn.execute(insert(visits).values({{"pet_id", 11}, {"visit_no", 1}, {"note", "ok"}}));
  EXPECT_THROW(
      conn.execute(insert(visits).values({{"pet_id", 11}, {"visit_no", 1}, {"note", "x"}})),
      IntegrityError);
  EXPECT_THROW(
      conn.execute(insert(visits).values({{"pet_id", 11}, {"visit_no", 2}, {"note", "ok"}})),
      IntegrityError);

  // Deleting bob would CASCADE to his pet 11, which a RESTRICT visit still
  // references: refused. Without the visit, the CASCADE goes through and SET NULL
  // clears bob as the sitter of ann's pet 10.
  EXPECT_THROW(conn.execute(delete_from(owners).where(owners.c("id") == 2)), IntegrityError);
  conn.execute(delete_from(visits));
  conn.execute(delete_from(owners).where(owners.c("id") == 2));
  EXPECT_EQ(conn.execute(select({count()}).from(pets)).scalar<std::int64_t>(), 1)
      << "CASCADE removed bob's pet";
  EXPECT_TRUE(
      conn.execute(select({pets.c("sitter_id")}).where(pets.c("id") == 10)).scalar().is_null())
      << "SET NULL cleared the sitter";

  drop_all(*engine_, md_);
  EXPECT_TRUE(tables().empty());
  drop_all(*engine_, md_);  // IF EXISTS
}

}  // namespace
