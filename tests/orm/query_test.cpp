// Query<T> (spec section 8): criteria, ordering, paging, the execution methods
// and their errors, column-only queries, streaming, identity-map resolution and
// bulk UPDATE / DELETE with session synchronisation, on SQLite and PostgreSQL.

#include <gtest/gtest.h>

#include "orm/orm_test_util.hpp"
#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::message_of;
using relate::testing::OrmTest;

namespace {

struct Fruit {
  std::int64_t id = 0;
  std::string name{};
  std::int64_t qty = 0;
  std::int64_t grp = 0;
  std::optional<std::string> tag{};
};

class QueryTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<Fruit>("fruits", [](auto& m) {
      m.column("id", &Fruit::id, primary_key());
      m.column("name", &Fruit::name);
      m.column("qty", &Fruit::qty);
      m.column("grp", &Fruit::grp);
      m.column("tag", &Fruit::tag);
    });
    create_schema();
    auto s = session();
    s.add(make<Fruit>({.id = 1, .name = "apple", .qty = 5, .grp = 1, .tag = "fresh"}));
    s.add(make<Fruit>({.id = 2, .name = "banana", .qty = 10, .grp = 2}));
    s.add(make<Fruit>({.id = 3, .name = "cherry", .qty = 15, .grp = 1, .tag = "fresh"}));
    s.add(make<Fruit>({.id = 4, .name = "date", .qty = 20, .grp = 2, .tag = "dry"}));
    s.add(make<Fruit>({.id = 5, .name = "elder", .qty = 25, .grp = 1}));
    s.commit();
    recorder_.clear();
  }

  // Names of the matching rows, by id.
  static std::vector<std::string> names(Query<Fruit> q) {
    std::vector<std::string> out;
    for (const auto& f : q.order_by(&Fruit::id).all()) out.push_back(f->name);
    return out;
  }
  static std::vector<std::string> names_in_order(const Query<Fruit>& q) {
    std::vector<std::string> out;
    for (const auto& f : q.all()) out.push_back(f->name);
    return out;
  }
  using Names = std::vector<std::string>;
};
RELATE_INSTANTIATE_BACKENDS(QueryTest);

// ---- 8.1 criteria ---------------------------------------------------------------------

TEST_P(QueryTest, ComparisonOperators) {
  auto s = session();
  auto q = [&] { return s.query<Fruit>(); };
  EXPECT_EQ(names(q().filter(col(&Fruit::qty) == 10)), Names({"banana"}));
  EXPECT_EQ(names(q().filter(col(&Fruit::qty) != 10)), Names({"apple", "cherry", "date", "elder"}));
  EXPECT_EQ(names(q().filter(col(&Fruit::qty) < 15)), Names({"apple", "banana"}));
  EXPECT_EQ(names(q().filter(col(&Fruit::qty) <= 15)), Names({"apple", "banana", "cherry"}));
  EXPECT_EQ(names(q().filter(col(&Fruit::qty) > 15)), Names({"date", "elder"}));
  EXPECT_EQ(names(q().filter(col(&Fruit::qty) >= 15)), Names({"cherry", "date", "elder"}));
  EXPECT_EQ(names(q().filter(col(&Fruit::name) >= "cherry")), Names({"cherry", "date", "elder"}));
  EXPECT_EQ(names(q().filter(col(&Fruit::tag) == "dry")), Names({"date"}));
  EXPECT_EQ(names(q().filter(col(&Fruit::tag) != "dry")), Names({"apple", "cherry"}))
      << "SQL comparison: NULL tags match neither = nor !=";
  EXPECT_EQ(names(q().filter_by(&Fruit::name, "elder")), Names({"elder"}));
  // Several filter() calls are combined with AND.
  EXPECT_EQ(names(q().filter(col(&Fruit::qty) > 5).filter(col(&Fruit::grp) == 1)),
            Names({"cherry", "elder"}));
}

TEST_P(QueryTest, InAndNotInIncludingEmptyLists) {
  auto s = session();
  auto q = [&] { return s.query<Fruit>(); };
  EXPECT_EQ(names(q().filter(col(&Fruit::qty).in({5, 15, 99}))), Names({"apple", "cherry"}));
  EXPECT_EQ(names(q().filter(col(&Fruit::name).in(std::vector<std::string>{"date"}))),
            Names({"date"}));
  EXPECT_EQ(names(q().filter(col(&Fruit::qty).not_in({5, 25}))),
            Names({"banana", "cherry", "date"}));
  // Empty lists: IN () is always false, NOT IN () always true; no error.
  EXPECT_TRUE(q().filter(col(&Fruit::qty).in(std::vector<std::int64_t>{})).all().empty());
  EXPECT_EQ(q().filter(col(&Fruit::name).in(std::vector<std::string>{})).count(), 0);
  EXPECT_EQ(q().filter(col(&Fruit::qty).not_in(std::vector<std::int64_t>{})).count(), 5);
  EXPECT_EQ(names(q().filter(col(&Fruit::qty).not_in(std::vector<std::int64_t>{}) &&
                             col(&Fruit::grp) == 2)),
            Names({"banana", "date"}));
  // Values are bound parameters.
  recorder_.clear();
  (void)q().filter(col(&Fruit::name).in({"apple", "date"})).all();
  auto selects = recorder_.starting_with("SELECT");
  ASSERT_EQ(selects.size(), 1u);
  EXPECT_EQ(selects[0].find("apple"), std::string::npos) << selects[0];
}

TEST_P(QueryTest, LikeNullTestsAndBetween) {
  auto s = session();
  auto q = [&] { return s.query<Fruit>(); };
  EXPECT_EQ(names(q().filter(col(&Fruit::name).like("%an%"))), Names({"banana"}));
  EXPECT_EQ(names(q().filter(col(&Fruit::name).like("_pple"))), Names({"apple"}));
  EXPECT_EQ(names(q().filter(col(&Fruit::name).like("%e"))), Names({"apple", "date"}));
  EXPECT_EQ(names(q().filter(col(&Fruit::tag).is_null())), Names({"banana", "elder"}));
  EXPECT_EQ(names(q().filter(col(&Fruit::tag).is_not_null())), Names({"apple", "cherry", "date"}));
  EXPECT_EQ(names(q().filter(col(&Fruit::qty).between(10, 20))),
            Names({"banana", "cherry", "date"}))
      << "inclusive at both ends";
  EXPECT_EQ(names(q().filter(col(&Fruit::name).between("b", "d"))), Names({"banana", "cherry"}));
}

TEST_P(QueryTest, AndOrNot) {
  auto s = session();
  auto q = [&] { return s.query<Fruit>(); };
  EXPECT_EQ(names(q().filter(col(&Fruit::grp) == 1 && col(&Fruit::qty) > 5)),
            Names({"cherry", "elder"}));
  EXPECT_EQ(names(q().filter(col(&Fruit::qty) < 10 || col(&Fruit::qty) > 20)),
            Names({"apple", "elder"}));
  EXPECT_EQ(names(q().filter((col(&Fruit::qty) < 10 || col(&Fruit::qty) > 20) &&
                             col(&Fruit::tag).is_null())),
            Names({"elder"}))
      << "OR inside AND keeps its grouping";
  EXPECT_EQ(names(q().filter(col(&Fruit::qty) < 10 ||
                             (col(&Fruit::qty) > 20 && col(&Fruit::tag).is_not_null()))),
            Names({"apple"}));
  EXPECT_EQ(names(q().filter(!(col(&Fruit::qty) < 10 || col(&Fruit::qty) > 20))),
            Names({"banana", "cherry", "date"}))
      << "NOT applies to the whole OR";
  EXPECT_EQ(names(q().filter(!col(&Fruit::tag).is_null())), Names({"apple", "cherry", "date"}));
  EXPECT_EQ(names(q().filter(!!(col(&Fruit::grp) == 2))), Names({"banana", "date"}));
}

// ---- ordering and paging -------------------------------------------------------------

TEST_P(QueryTest, OrderByAscDescWithSeveralTerms) {
  auto s = session();
  EXPECT_EQ(names_in_order(s.query<Fruit>().order_by({desc(&Fruit::grp), asc(&Fruit::name)})),
            Names({"banana", "date", "apple", "cherry", "elder"}));
  EXPECT_EQ(names_in_order(s.query<Fruit>().order_by(&Fruit::grp).order_by(desc(&Fruit::qty))),
            Names({"elder", "cherry", "apple", "date", "banana"}))
      << "order_by() calls add terms";
  EXPECT_EQ(names_in_order(s.query<Fruit>().order_by(desc(&Fruit::name))),
            Names({"elder", "date", "cherry", "banana", "apple"}));
  EXPECT_EQ(names_in_order(s.query<Fruit>().order_by(col(&Fruit::qty))),
            Names({"apple", "banana", "cherry", "date", "elder"}));
}

TEST_P(QueryTest, LimitAndOffset) {
  auto s = session();
  auto ordered = [&] { return s.query<Fruit>().order_by(&Fruit::id); };
  EXPECT_EQ(names_in_order(ordered().limit(2)), Names({"apple", "banana"}));
  EXPECT_EQ(names_in_order(ordered().limit(2).offset(1)), Names({"banana", "cherry"}));
  EXPECT_EQ(names_in_order(ordered().offset(3)), Names({"date", "elder"}))
      << "OFFSET without LIMIT";
  EXPECT_TRUE(ordered().limit(0).all().empty());
  EXPECT_TRUE(ordered().offset(10).all().empty());
  EXPECT_EQ(ordered().offset(1).first()->name, "banana");
  // Spec 8.1: LIMIT ? OFFSET ? with bound parameters.
  recorder_.clear();
  (void)ordered().limit(2).offset(1).all();
  auto selects = recorder_.starting_with("SELECT");
  ASSERT_EQ(selects.size(), 1u);
  EXPECT_EQ(selects[0].find("LIMIT 2"), std::string::npos) << selects[0];
  EXPECT_HAS(selects[0], "LIMIT");
  EXPECT_HAS(selects[0], "OFFSET");
}

// ---- 8.2 execution --------------------------------------------------------------------

TEST_P(QueryTest, FirstOneAndOneOrNone) {
  auto s = session();
  recorder_.clear();
  auto first = s.query<Fruit>().order_by(desc(&Fruit::qty)).first();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->name, "elder");
  auto selects = recorder_.starting_with("SELECT");
  ASSERT_EQ(selects.size(), 1u);
  EXPECT_HAS(selects[0], "LIMIT");
  EXPECT_EQ(s.query<Fruit>().filter(col(&Fruit::qty) > 100).first(), nullptr);

  EXPECT_EQ(s.query<Fruit>().filter_by(&Fruit::name, "date").one()->qty, 20);
  EXPECT_EQ(message_of<NoResultFound>(
                [&] { (void)s.query<Fruit>().filter(col(&Fruit::qty) > 100).one(); }),
            "No row was found when one was required");
  EXPECT_EQ(message_of<MultipleResultsFound>(
                [&] { (void)s.query<Fruit>().filter(col(&Fruit::grp) == 2).one(); }),
            "Multiple rows were found when exactly one was required");

  EXPECT_EQ(s.query<Fruit>().filter_by(&Fruit::name, "date").one_or_none()->qty, 20);
  EXPECT_EQ(s.query<Fruit>().filter(col(&Fruit::qty) > 100).one_or_none(), nullptr);
  EXPECT_EQ(message_of<MultipleResultsFound>(
                [&] { (void)s.query<Fruit>().filter(col(&Fruit::grp) == 2).one_or_none(); }),
            "Multiple rows were found when one or none was required");
  // one() on a query limited to one row of several is exactly one.
  EXPECT_EQ(s.query<Fruit>().order_by(&Fruit::id).limit(1).one()->name, "apple");
}

TEST_P(QueryTest, CountAndExists) {
  auto s = session();
  EXPECT_EQ(s.query<Fruit>().count(), 5);
  EXPECT_EQ(s.query<Fruit>().filter(col(&Fruit::grp) == 1).count(), 3);
  EXPECT_EQ(s.query<Fruit>().filter(col(&Fruit::grp) == 3).count(), 0);
  EXPECT_EQ(s.query<Fruit>().order_by(&Fruit::id).limit(2).count(), 2) << "count of the query";
  EXPECT_EQ(s.query<Fruit>().order_by(&Fruit::id).offset(4).count(), 1);
  recorder_.clear();
  (void)s.query<Fruit>().filter(col(&Fruit::grp) == 1).count();
  auto selects = recorder_.starting_with("SELECT");
  ASSERT_EQ(selects.size(), 1u);
  EXPECT_TRUE(selects[0].starts_with("SELECT count(*) FROM (SELECT")) << selects[0];

  EXPECT_TRUE(s.query<Fruit>().exists());
  EXPECT_TRUE(s.query<Fruit>().filter(col(&Fruit::tag) == "dry").exists());
  EXPECT_FALSE(s.query<Fruit>().filter(col(&Fruit::tag) == "wet").exists());
}

TEST_P(QueryTest, ValuesAreColumnTuplesNotObjects) {
  auto s = session();
  auto tags = s.query<Fruit>().order_by(&Fruit::id).values(&Fruit::tag);
  ASSERT_EQ(tags.size(), 5u) << "not de-duplicated";
  EXPECT_EQ(std::get<0>(tags[0]), "fresh");
  EXPECT_EQ(std::get<0>(tags[1]), std::nullopt);
  EXPECT_EQ(std::get<0>(tags[2]), "fresh");
  auto pairs = s.query<Fruit>()
                   .filter(col(&Fruit::grp) == 2)
                   .order_by(desc(&Fruit::qty))
                   .values(&Fruit::name, &Fruit::qty);
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0], std::make_tuple(std::string("date"), std::int64_t{20}));
  EXPECT_EQ(pairs[1], std::make_tuple(std::string("banana"), std::int64_t{10}));
  EXPECT_EQ(s.query<Fruit>().order_by(&Fruit::id).limit(1).offset(4).values(&Fruit::name),
            (std::vector<std::tuple<std::string>>{{"elder"}}));
  // No objects were made: get() has to ask the database.
  recorder_.clear();
  (void)s.get<Fruit>(1);
  EXPECT_EQ(recorder_.count("SELECT"), 1u);
}

TEST_P(QueryTest, StreamingIteration) {
  auto s = session();
  std::vector<std::string> seen;
  // (Builder calls return Query&: keep a chained query in a variable before a
  // range-for, or the temporary it refers to is gone.)
  auto group1 = s.query<Fruit>();
  group1.filter(col(&Fruit::grp) == 1).order_by(&Fruit::id);
  for (const auto& f : group1) {
    EXPECT_EQ(state_of(f), ObjectState::persistent);
    seen.push_back(f->name);
  }
  EXPECT_EQ(seen, Names({"apple", "cherry", "elder"}));
  // Stopping early, then using the Session again.
  int n = 0;
  auto ordered = s.query<Fruit>();
  ordered.order_by(&Fruit::id);
  for (const auto& f : ordered) {
    (void)f;
    if (++n == 2) break;
  }
  EXPECT_EQ(n, 2);
  EXPECT_EQ(s.query<Fruit>().count(), 5);
  // Empty result.
  auto q = s.query<Fruit>().filter(col(&Fruit::qty) > 100);
  EXPECT_TRUE(q.begin() == q.end());
}

// ---- identity-map resolution (6.2) ------------------------------------------------

TEST_P(QueryTest, ResultsAreTheObjectsAlreadyInTheSession) {
  auto s = session();
  auto cherry = s.get<Fruit>(3);
  auto all = s.query<Fruit>().order_by(&Fruit::id).all();
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[2], cherry);
  EXPECT_EQ(s.query<Fruit>().filter_by(&Fruit::name, "cherry").one(), cherry);
  auto third = s.query<Fruit>();
  third.filter(col(&Fruit::id) == 3);
  for (const auto& f : third) EXPECT_EQ(f, cherry);
  EXPECT_EQ(s.get<Fruit>(1), all[0]);
}

TEST_P(QueryTest, LoadedAttributesAreKeptExpiredOnesFilled) {
  auto s = session();
  auto apple = s.get<Fruit>(1);
  s.execute(text("UPDATE fruits SET name = 'APPLE', qty = 50 WHERE id = 1"));
  s.expire(apple, {"qty"});
  recorder_.clear();
  auto found = s.query<Fruit>().filter(col(&Fruit::qty) == 50).one();
  EXPECT_EQ(found, apple);
  EXPECT_EQ(recorder_.count("SELECT"), 1u);
  EXPECT_EQ(apple->qty, 50) << "the expired attribute was filled from the row";
  EXPECT_EQ(apple->name, "apple") << "the loaded attribute was not overwritten";
  EXPECT_EQ(recorder_.count("SELECT"), 1u) << "nothing left to load";
  EXPECT_FALSE(is_modified(apple));
}

// ---- 8.3 bulk statements -----------------------------------------------------------

TEST_P(QueryTest, BulkUpdateFetchUpdatesObjectsInTheSession) {
  auto s = session();
  auto apple = s.get<Fruit>(1);
  auto banana = s.get<Fruit>(2);
  auto fig = make<Fruit>({.id = 6, .name = "fig", .qty = 1, .grp = 3, .tag = "fresh"});
  s.add(fig);  // pending: the bulk statement autoflushes it first
  auto n = s.query<Fruit>()
               .filter(col(&Fruit::tag) == "fresh")
               .bulk_update({assign(&Fruit::qty, 0), assign(&Fruit::grp, 9)}, Synchronize::fetch);
  EXPECT_EQ(n, 3);
  EXPECT_EQ(state_of(fig), ObjectState::persistent);
  EXPECT_EQ(apple.get()->qty, 0);
  EXPECT_EQ(apple.get()->grp, 9);
  EXPECT_EQ(fig.get()->qty, 0);
  EXPECT_EQ(banana.get()->qty, 10) << "not matched";
  EXPECT_TRUE(s.dirty_objects().empty()) << "the new values are the database's";
  s.commit();
  EXPECT_EQ(rows("SELECT count(*) FROM fruits WHERE qty = 0 AND grp = 9")[0][0].as_integer(), 3);
}

TEST_P(QueryTest, BulkUpdateNoneLeavesObjectsAlone) {
  auto s = session();
  auto apple = s.get<Fruit>(1);
  recorder_.clear();
  auto n = s.query<Fruit>()
               .filter(col(&Fruit::tag) == "fresh")
               .bulk_update({assign(&Fruit::qty, 0)}, Synchronize::none);
  EXPECT_EQ(n, 2);
  auto updates = recorder_.starting_with("UPDATE");
  ASSERT_EQ(updates.size(), 1u) << "one statement for all matching rows";
  EXPECT_EQ(apple.get()->qty, 5) << "not synchronised";
  EXPECT_FALSE(is_modified(apple));
  s.refresh(apple);
  EXPECT_EQ(apple.get()->qty, 0);
}

TEST_P(QueryTest, BulkDeleteFetchMovesObjectsToDeleted) {
  auto s = session();
  auto apple = s.get<Fruit>(1);
  auto banana = s.get<Fruit>(2);
  recorder_.clear();
  auto n = s.query<Fruit>().filter(col(&Fruit::tag) == "fresh").bulk_delete(Synchronize::fetch);
  EXPECT_EQ(n, 2);
  EXPECT_EQ(recorder_.count("DELETE"), 1u);
  EXPECT_EQ(state_of(apple), ObjectState::deleted);
  EXPECT_FALSE(s.contains(apple));
  EXPECT_EQ(state_of(banana), ObjectState::persistent);
  recorder_.clear();
  EXPECT_EQ(s.get<Fruit>(1), nullptr);
  EXPECT_EQ(recorder_.count("SELECT"), 1u);
  s.commit();
  EXPECT_EQ(state_of(apple), ObjectState::detached);
  EXPECT_EQ(count_rows("fruits"), 3);
}

TEST_P(QueryTest, BulkDeleteNoneLeavesObjectsAlone) {
  auto s = session();
  auto apple = s.get<Fruit>(1);
  auto n = s.query<Fruit>().filter(col(&Fruit::tag) == "fresh").bulk_delete(Synchronize::none);
  EXPECT_EQ(n, 2);
  EXPECT_EQ(state_of(apple), ObjectState::persistent);
  EXPECT_TRUE(s.contains(apple));
  EXPECT_EQ(apple.get()->name, "apple");
  s.commit();
  EXPECT_EQ(count_rows("fruits"), 3);
}

TEST_P(QueryTest, BulkUpdateEvaluateOnSimpleEquality) {
  // session.hpp: Synchronize::evaluate evaluates simple equality criteria in memory.
  auto s = session();
  auto date = s.get<Fruit>(4);
  try {
    auto n = s.query<Fruit>()
                 .filter_by(&Fruit::name, "date")
                 .bulk_update({assign(&Fruit::qty, 99)}, Synchronize::evaluate);
    EXPECT_EQ(n, 1);
    EXPECT_EQ(date.get()->qty, 99);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "evaluate on a simple equality threw: " << e.what();
  }
}

}  // namespace
