#include <gtest/gtest.h>

#include "sql_support.hpp"

using namespace relate;
using relate::testing::describe_params;
using relate::testing::lite;
using relate::testing::pg;

namespace {

using Strings = std::vector<std::string>;

class Statements : public ::testing::Test, public relate::testing::UsersAddresses {
 protected:
  void check(const Executable& s, const std::string& sqlite_sql, const std::string& pg_sql,
             const Strings& params) {
    const auto a = lite(s);
    const auto b = pg(s);
    EXPECT_EQ(a.sql, sqlite_sql);
    EXPECT_EQ(b.sql, pg_sql);
    EXPECT_EQ(describe_params(a), params);
    EXPECT_EQ(describe_params(b), params);
  }
};

TEST_F(Statements, SimpleSelect) {
  auto q = select({users.c("id"), users.c("name")})
               .from(users)
               .where(users.c("name") == "jack")
               .order_by({desc(users.c("id"))})
               .limit(10);
  check(
      q,
      "SELECT users.id, users.name FROM users WHERE users.name = ? ORDER BY users.id DESC LIMIT ?",
      "SELECT users.id, users.name FROM users WHERE users.name = $1 ORDER BY users.id DESC LIMIT "
      "$2",
      {"'jack'", "10"});
  const auto c = pg(q);
  EXPECT_EQ(c.kind, StatementKind::select);
  EXPECT_TRUE(c.returns_rows);
  EXPECT_TRUE(c.keys.empty());
}

TEST_F(Statements, SelectInfersFromAndAllColumns) {
  check(select(users), "SELECT users.id, users.name, users.fullname FROM users",
        "SELECT users.id, users.name, users.fullname FROM users", {});
  // A table used only in WHERE is in FROM too (a cross join, as written).
  check(select({users.c("name")}).where(addresses.c("user_id") == users.c("id")),
        "SELECT users.name FROM users, addresses WHERE addresses.user_id = users.id",
        "SELECT users.name FROM users, addresses WHERE addresses.user_id = users.id", {});
  check(select({count()}), "SELECT count(*)", "SELECT count(*)", {});
  EXPECT_THROW((void)lite(select({}).from(users)), InvalidRequest);
}

TEST_F(Statements, RepeatedWhereAndsTogether) {
  check(select({users.c("id")})
            .where(users.c("id") > 1)
            .where(users.c("name") == "a" || users.c("name") == "b"),
        "SELECT users.id FROM users WHERE users.id > ? AND (users.name = ? OR users.name = ?)",
        "SELECT users.id FROM users WHERE users.id > $1 AND (users.name = $2 OR users.name = $3)",
        {"1", "'a'", "'b'"});
}

TEST_F(Statements, Joins) {
  check(select({users.c("name"), addresses.c("email")})
            .join(addresses, addresses.c("user_id") == users.c("id")),
        "SELECT users.name, addresses.email FROM users JOIN addresses ON addresses.user_id = "
        "users.id",
        "SELECT users.name, addresses.email FROM users JOIN addresses ON addresses.user_id = "
        "users.id",
        {});
  check(select({users.c("name"), addresses.c("email")})
            .from(users)
            .outer_join(addresses,
                        addresses.c("user_id") == users.c("id") && addresses.c("email") != "x"),
        "SELECT users.name, addresses.email FROM users LEFT OUTER JOIN addresses ON "
        "addresses.user_id = "
        "users.id AND addresses.email != ?",
        "SELECT users.name, addresses.email FROM users LEFT OUTER JOIN addresses ON "
        "addresses.user_id = "
        "users.id AND addresses.email != $1",
        {"'x'"});
  auto boss = alias(users, "boss");
  auto other = alias(addresses, "a2");
  check(select({users.c("name"), boss.c("name").label("boss_name")})
            .from(join(users, boss, boss.c("id") == users.c("id")))
            .outer_join(other, other.c("user_id") == boss.c("id"))
            .where(other.c("email").is_null()),
        "SELECT users.name, boss.name AS boss_name FROM users JOIN users AS boss ON boss.id = "
        "users.id "
        "LEFT OUTER JOIN addresses AS a2 ON a2.user_id = boss.id WHERE a2.email IS NULL",
        "SELECT users.name, boss.name AS boss_name FROM users JOIN users AS boss ON boss.id = "
        "users.id "
        "LEFT OUTER JOIN addresses AS a2 ON a2.user_id = boss.id WHERE a2.email IS NULL",
        {});
  EXPECT_THROW((void)select({count()}).join(addresses, true_()), InvalidRequest);
}

TEST_F(Statements, GroupByHavingDistinct) {
  check(
      select({addresses.c("user_id"), count().label("n")})
          .distinct()
          .group_by({addresses.c("user_id")})
          .having(count() > 2)
          .having(min(addresses.c("id")) > 0)
          .order_by({count().desc()}),
      "SELECT DISTINCT addresses.user_id, count(*) AS n FROM addresses GROUP BY addresses.user_id "
      "HAVING count(*) > ? AND min(addresses.id) > ? ORDER BY count(*) DESC",
      "SELECT DISTINCT addresses.user_id, count(*) AS n FROM addresses GROUP BY addresses.user_id "
      "HAVING count(*) > $1 AND min(addresses.id) > $2 ORDER BY count(*) DESC",
      {"2", "0"});
}

TEST_F(Statements, LimitAndOffsetAreParameters) {
  check(select({users.c("id")}).limit(5).offset(10), "SELECT users.id FROM users LIMIT ? OFFSET ?",
        "SELECT users.id FROM users LIMIT $1 OFFSET $2", {"5", "10"});
  // SQLite has no OFFSET without LIMIT.
  check(select({users.c("id")}).offset(10), "SELECT users.id FROM users LIMIT -1 OFFSET ?",
        "SELECT users.id FROM users OFFSET $1", {"10"});
  check(select({users.c("id")}).limit(bind("page_size")), "SELECT users.id FROM users LIMIT ?",
        "SELECT users.id FROM users LIMIT $1", {":page_size"});
}

TEST_F(Statements, ForUpdateOnlyOnPostgresql) {
  check(select({users.c("id")}).where(users.c("id") == 1).for_update(),
        "SELECT users.id FROM users WHERE users.id = ?",
        "SELECT users.id FROM users WHERE users.id = $1 FOR UPDATE", {"1"});
}

TEST_F(Statements, SubqueryInFrom) {
  auto counts = select({addresses.c("user_id"), count().label("n")})
                    .where(addresses.c("email").like("%@x"))
                    .group_by({addresses.c("user_id")})
                    .subquery("counts");
  check(select({users.c("name"), counts.c("n")})
            .join(counts, counts.c("user_id") == users.c("id"))
            .where(counts.c("n") > 1),
        "SELECT users.name, counts.n FROM users JOIN (SELECT addresses.user_id, count(*) AS n FROM "
        "addresses WHERE addresses.email LIKE ? GROUP BY addresses.user_id) AS counts ON "
        "counts.user_id = users.id WHERE counts.n > ?",
        "SELECT users.name, counts.n FROM users JOIN (SELECT addresses.user_id, count(*) AS n FROM "
        "addresses WHERE addresses.email LIKE $1 GROUP BY addresses.user_id) AS counts ON "
        "counts.user_id = users.id WHERE counts.n > $2",
        {"'%@x'", "1"});
  check(select({counts.c("n")}),
        "SELECT counts.n FROM (SELECT addresses.user_id, count(*) AS n FROM addresses WHERE "
        "addresses.email LIKE ? GROUP BY addresses.user_id) AS counts",
        "SELECT counts.n FROM (SELECT addresses.user_id, count(*) AS n FROM addresses WHERE "
        "addresses.email LIKE $1 GROUP BY addresses.user_id) AS counts",
        {"'%@x'"});
  EXPECT_THROW((void)counts.c("email"), InvalidRequest);
}

// Found while writing fuzz/expression.cpp: a subquery in FROM correlated to the FROM item
// beside it (or to an enclosing statement), leaving that table out of its own
// FROM. The text referred to a table it could not see: SQLite said "no such
// column", PostgreSQL "invalid reference to FROM-clause entry".
TEST_F(Statements, SubqueryInFromNeverCorrelates) {
  auto mine = select({addresses.c("user_id"), addresses.c("email")})
                  .where(addresses.c("user_id") == users.c("id"))
                  .subquery("mine");
  check(select({users.c("name"), mine.c("email")}).join(mine, mine.c("user_id") == users.c("id")),
        "SELECT users.name, mine.email FROM users JOIN (SELECT addresses.user_id, addresses.email "
        "FROM addresses, users WHERE addresses.user_id = users.id) AS mine ON mine.user_id = "
        "users.id",
        "SELECT users.name, mine.email FROM users JOIN (SELECT addresses.user_id, addresses.email "
        "FROM addresses, users WHERE addresses.user_id = users.id) AS mine ON mine.user_id = "
        "users.id",
        {});
  // Inside a correlated subquery too: only the scalar subquery correlates.
  auto firsts = select({addresses.c("id").label("aid")})
                    .where(addresses.c("user_id") == users.c("id"))
                    .subquery("firsts");
  check(select({users.c("id")})
            .where(exists(select({firsts.c("aid")}).where(firsts.c("aid") == users.c("id")))),
        "SELECT users.id FROM users WHERE EXISTS (SELECT firsts.aid FROM (SELECT addresses.id AS "
        "aid FROM addresses, users WHERE addresses.user_id = users.id) AS firsts WHERE firsts.aid "
        "= users.id)",
        "SELECT users.id FROM users WHERE EXISTS (SELECT firsts.aid FROM (SELECT addresses.id AS "
        "aid FROM addresses, users WHERE addresses.user_id = users.id) AS firsts WHERE firsts.aid "
        "= users.id)",
        {});
}

TEST_F(Statements, CountWrapsTheSelect) {
  check(select({users.c("id")}).where(users.c("name") == "jack").count(),
        "SELECT count(*) FROM (SELECT users.id FROM users WHERE users.name = ?) AS anon_1",
        "SELECT count(*) FROM (SELECT users.id FROM users WHERE users.name = $1) AS anon_1",
        {"'jack'"});
}

TEST_F(Statements, CorrelatedSubqueries) {
  auto address_count =
      select({count()}).where(addresses.c("user_id") == users.c("id")).scalar_subquery();
  check(
      select({users.c("name"), address_count.label("n")}),
      "SELECT users.name, (SELECT count(*) FROM addresses WHERE addresses.user_id = users.id) AS n "
      "FROM users",
      "SELECT users.name, (SELECT count(*) FROM addresses WHERE addresses.user_id = users.id) AS n "
      "FROM users",
      {});
  // A subquery that names only the outer table keeps it in its own FROM.
  check(
      select({users.c("id")})
          .where(users.c("id").in_(select({users.c("id")}).where(users.c("name") == "a"))),
      "SELECT users.id FROM users WHERE users.id IN (SELECT users.id FROM users WHERE users.name = "
      "?)",
      "SELECT users.id FROM users WHERE users.id IN (SELECT users.id FROM users WHERE users.name = "
      "$1)",
      {"'a'"});
}

TEST_F(Statements, SelectsAreImmutable) {
  auto base = select({users.c("id")});
  auto a = base.where(users.c("id") == 1);
  auto b = base.where(users.c("id") == 2).limit(1);
  EXPECT_EQ(lite(base).sql, "SELECT users.id FROM users");
  EXPECT_EQ(describe_params(lite(a)), Strings{"1"});
  EXPECT_EQ(describe_params(lite(b)), (Strings{"2", "1"}));
}

TEST_F(Statements, InsertSingleRow) {
  auto s = insert(users).values({{"name", "jack"}, {"fullname", "Jack Jones"}});
  check(s, "INSERT INTO users (name, fullname) VALUES (?, ?)",
        "INSERT INTO users (name, fullname) VALUES ($1, $2)", {"'jack'", "'Jack Jones'"});
  const auto c = lite(s);
  EXPECT_EQ(c.kind, StatementKind::insert);
  EXPECT_FALSE(c.returns_rows);
}

TEST_F(Statements, InsertManyRowsAndReturning) {
  auto s = insert(users)
               .values({{"name", "a"}, {"fullname", nullptr}})
               .values({{"fullname", "B"}, {"name", "b"}})
               .returning({users.c("id"), users.c("name").label("n")});
  check(s, "INSERT INTO users (name, fullname) VALUES (?, ?), (?, ?) RETURNING id, name AS n",
        "INSERT INTO users (name, fullname) VALUES ($1, $2), ($3, $4) RETURNING id, name AS n",
        {"'a'", "NULL", "'b'", "'B'"});
  EXPECT_TRUE(pg(s).returns_rows);
  EXPECT_THROW((void)lite(insert(users).values({{"name", "a"}}).values({{"fullname", "b"}})),
               InvalidRequest);
  EXPECT_THROW((void)insert(users).values({{"nmae", "a"}}), InvalidRequest);
}

// Found by fuzz/expression.cpp: a subquery in VALUES correlated to the table
// being inserted into, which has no row there, and dropped it from its FROM.
TEST_F(Statements, InsertValuesSubqueryKeepsItsTables) {
  auto last = select({max(addresses.c("id"))})
                  .where(addresses.c("user_id") == users.c("id"))
                  .where(users.c("name") == "jack")
                  .scalar_subquery();
  check(insert(addresses).values({{"id", last + 1}, {"email", "x"}}),
        "INSERT INTO addresses (id, email) VALUES ((SELECT max(addresses.id) FROM addresses, "
        "users WHERE addresses.user_id = users.id AND users.name = ?) + ?, ?)",
        "INSERT INTO addresses (id, email) VALUES ((SELECT max(addresses.id) FROM addresses, "
        "users WHERE addresses.user_id = users.id AND users.name = $1) + $2, $3)",
        {"'jack'", "1", "'x'"});
  // RETURNING sees the inserted row.
  auto mine = select({count()}).where(addresses.c("user_id") == users.c("id")).scalar_subquery();
  check(insert(users).values({{"name", "x"}}).returning({mine.label("n")}),
        "INSERT INTO users (name) VALUES (?) RETURNING (SELECT count(*) FROM addresses WHERE "
        "addresses.user_id = users.id) AS n",
        "INSERT INTO users (name) VALUES ($1) RETURNING (SELECT count(*) FROM addresses WHERE "
        "addresses.user_id = users.id) AS n",
        {"'x'"});
}

TEST_F(Statements, InsertForExecutemanyWithNamedPlaceholders) {
  auto s = insert(users).bind_columns({"name", "fullname"});
  check(s, "INSERT INTO users (name, fullname) VALUES (?, ?)",
        "INSERT INTO users (name, fullname) VALUES ($1, $2)", {":name", ":fullname"});
  const auto c = pg(s);
  EXPECT_EQ(c.keys, (Strings{"name", "fullname"}));
  EXPECT_EQ(c.bind(Params{{"fullname", Value("Jack Jones")}, {"name", Value("jack")}}),
            (std::vector<Value>{Value("jack"), Value("Jack Jones")}));
  const std::vector<Value> positional{Value("wendy"), Value()};
  EXPECT_EQ(c.bind(positional), positional);
  // The same through values() and bind(), mixed with a fixed value.
  check(insert(users).values({{"name", bind("n")}, {"fullname", "fixed"}}),
        "INSERT INTO users (name, fullname) VALUES (?, ?)",
        "INSERT INTO users (name, fullname) VALUES ($1, $2)", {":n", "'fixed'"});
}

TEST_F(Statements, InsertDefaultValues) {
  check(insert(users), "INSERT INTO users DEFAULT VALUES", "INSERT INTO users DEFAULT VALUES", {});
  check(insert(users).returning({users.c("id")}), "INSERT INTO users DEFAULT VALUES RETURNING id",
        "INSERT INTO users DEFAULT VALUES RETURNING id", {});
}

TEST(InsertDefaults, ClientSideDefaultsFillMissingColumns) {
  MetaData md;
  auto& t = md.table("jobs", {column<std::int64_t>("id").primary_key(), column<std::string>("name"),
                              column<std::string>("state").default_value("new"),
                              column<int>("tries").default_value(0)});
  EXPECT_EQ(pg(insert(t).values({{"name", "x"}, {"tries", 3}})).sql,
            "INSERT INTO jobs (name, tries, state) VALUES ($1, $2, $3)");
  EXPECT_EQ(describe_params(pg(insert(t).values({{"name", "x"}, {"tries", 3}}))),
            (Strings{"'x'", "3", "'new'"}));
  EXPECT_EQ(lite(insert(t)).sql, "INSERT INTO jobs (state, tries) VALUES (?, ?)");
  EXPECT_EQ(describe_params(lite(insert(t).bind_columns({"name"}))),
            (Strings{":name", "'new'", "0"}));
}

TEST_F(Statements, Update) {
  auto s = update(users)
               .set("name", "ed")
               .set("fullname", users.c("name").concat(" Jones"))
               .where(users.c("id") == 5);
  check(s, "UPDATE users SET name = ?, fullname = name || ? WHERE id = ?",
        "UPDATE users SET name = $1, fullname = name || $2 WHERE id = $3",
        {"'ed'", "' Jones'", "5"});
  EXPECT_EQ(lite(s).kind, StatementKind::update);
  EXPECT_FALSE(lite(s).returns_rows);
  auto r = update(users)
               .values({{"name", bind("name")}})
               .where(users.c("id") == bind("id"))
               .returning({users.c("id"), users.c("name")});
  check(r, "UPDATE users SET name = ? WHERE id = ? RETURNING id, name",
        "UPDATE users SET name = $1 WHERE id = $2 RETURNING id, name", {":name", ":id"});
  EXPECT_TRUE(pg(r).returns_rows);
  check(update(users).set("name", "x"), "UPDATE users SET name = ?", "UPDATE users SET name = $1",
        {"'x'"});
  EXPECT_THROW((void)lite(update(users)), InvalidRequest);
  EXPECT_THROW((void)update(users).set("nope", 1), InvalidRequest);
}

TEST_F(Statements, UpdateWithCorrelatedSubqueryQualifiesInside) {
  auto s = update(users)
               .set("fullname", select({max(addresses.c("email"))})
                                    .where(addresses.c("user_id") == users.c("id"))
                                    .scalar_subquery())
               .where(exists(
                   select({addresses.c("id")}).where(addresses.c("user_id") == users.c("id"))));
  check(s,
        "UPDATE users SET fullname = (SELECT max(addresses.email) FROM addresses WHERE "
        "addresses.user_id = users.id) WHERE EXISTS (SELECT addresses.id FROM addresses WHERE "
        "addresses.user_id = users.id)",
        "UPDATE users SET fullname = (SELECT max(addresses.email) FROM addresses WHERE "
        "addresses.user_id = users.id) WHERE EXISTS (SELECT addresses.id FROM addresses WHERE "
        "addresses.user_id = users.id)",
        {});
}

TEST_F(Statements, Delete) {
  auto s = delete_from(addresses).where(addresses.c("user_id").in_({1, 2}));
  check(s, "DELETE FROM addresses WHERE user_id IN (?, ?)",
        "DELETE FROM addresses WHERE user_id IN ($1, $2)", {"1", "2"});
  EXPECT_EQ(pg(s).kind, StatementKind::remove);
  EXPECT_FALSE(pg(s).returns_rows);
  check(delete_from(addresses), "DELETE FROM addresses", "DELETE FROM addresses", {});
  auto r = delete_from(users).where(users.c("name") == "x").returning({users.c("id")});
  check(r, "DELETE FROM users WHERE name = ? RETURNING id",
        "DELETE FROM users WHERE name = $1 RETURNING id", {"'x'"});
  EXPECT_TRUE(lite(r).returns_rows);
  check(delete_from(users).where(
            not_exists(select({addresses.c("id")}).where(addresses.c("user_id") == users.c("id")))),
        "DELETE FROM users WHERE NOT EXISTS (SELECT addresses.id FROM addresses WHERE "
        "addresses.user_id = users.id)",
        "DELETE FROM users WHERE NOT EXISTS (SELECT addresses.id FROM addresses WHERE "
        "addresses.user_id = users.id)",
        {});
}

TEST_F(Statements, OtherTablesOnlyThroughSubqueriesInDml) {
  const auto joined = addresses.c("user_id") == users.c("id");
  EXPECT_THROW((void)pg(delete_from(users).where(joined)), InvalidRequest);
  EXPECT_THROW((void)lite(update(users).set("name", addresses.c("email"))), InvalidRequest);
  EXPECT_THROW((void)pg(insert(users).values({{"name", "x"}}).returning({addresses.c("id")})),
               InvalidRequest);
  auto other = alias(users, "other");
  EXPECT_THROW((void)pg(update(users).set("name", "x").where(other.c("id") == 1)), InvalidRequest);
  EXPECT_NO_THROW(
      (void)pg(delete_from(users).where(exists(select({addresses.c("id")}).where(joined)))));
}

TEST(Text, NamedMarkersBecomePlaceholders) {
  auto t = text("SELECT * FROM users WHERE name = :name AND id > :min OR name = :name");
  const auto a = lite(t);
  const auto b = pg(t);
  EXPECT_EQ(a.sql, "SELECT * FROM users WHERE name = ? AND id > ? OR name = ?");
  EXPECT_EQ(b.sql, "SELECT * FROM users WHERE name = $1 AND id > $2 OR name = $3");
  EXPECT_EQ(b.keys, (Strings{"name", "min"}));
  EXPECT_EQ(describe_params(b), (Strings{":name", ":min", ":name"}));
  EXPECT_EQ(b.kind, StatementKind::text);
  EXPECT_TRUE(b.returns_rows);
}

TEST(Text, CastsQuotesAndCommentsAreNotMarkers) {
  auto t = text(
      "SELECT a::int, ':notaparam', 'it''s :x', \"col:y\", b::text -- :comment\n"
      "FROM t /* :block */ WHERE c = :c");
  EXPECT_EQ(pg(t).sql,
            "SELECT a::int, ':notaparam', 'it''s :x', \"col:y\", b::text -- :comment\n"
            "FROM t /* :block */ WHERE c = $1");
  EXPECT_EQ(pg(t).keys, Strings{"c"});
  EXPECT_EQ(lite(t).params.size(), 1u);
  auto dollar = text("SELECT $$ :no $$, $tag$ it's :no $tag$ WHERE x = :yes");
  EXPECT_EQ(pg(dollar).sql, "SELECT $$ :no $$, $tag$ it's :no $tag$ WHERE x = $1");
  EXPECT_EQ(pg(dollar).keys, Strings{"yes"});
}

TEST(Text, AttachedValuesAndReturnsRows) {
  auto t = text("UPDATE users SET name = :name WHERE id = :id").bind("id", 5);
  const auto c = pg(t);
  EXPECT_EQ(c.sql, "UPDATE users SET name = $1 WHERE id = $2");
  EXPECT_EQ(describe_params(c), (Strings{":name", "5"}));
  EXPECT_FALSE(c.returns_rows);
  EXPECT_EQ(c.bind(Params{{"name", Value("x")}}), (std::vector<Value>{Value("x"), Value(5)}));
  EXPECT_TRUE(lite(text("  with x as (select 1) select * from x")).returns_rows);
  EXPECT_TRUE(lite(text("-- hi\nVALUES (1)")).returns_rows);
  EXPECT_TRUE(lite(text("PRAGMA table_info(users)")).returns_rows);
  EXPECT_TRUE(lite(text("(SELECT 1)")).returns_rows);
  EXPECT_TRUE(pg(text("DELETE FROM users RETURNING id")).returns_rows);
  EXPECT_FALSE(pg(text("DELETE FROM users WHERE name = 'RETURNING'")).returns_rows);
  EXPECT_FALSE(pg(text("CREATE TABLE selected (x int)")).returns_rows);
}

}  // namespace
