#include <gtest/gtest.h>

#include "sql_support.hpp"

using namespace relate;
using relate::testing::describe_params;
using relate::testing::lite;
using relate::testing::pg;

namespace {

using Strings = std::vector<std::string>;

Strings names(const std::vector<const Table*>& tables) {
  Strings out;
  for (const Table* t : tables) out.push_back(t->name());
  return out;
}

Strings sqls(const std::vector<CompiledStatement>& statements) {
  Strings out;
  for (const auto& s : statements) out.push_back(s.sql);
  return out;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigurationError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ConfigurationError";
  return {};
}

TEST(Schema, TablesAndColumns) {
  MetaData md;
  auto& users = md.table(
      "users", {column<std::int64_t>("id").primary_key(), column<std::string>("name").length(50),
                column<std::optional<std::string>>("nick")});
  EXPECT_EQ(&md.at("users"), &users);
  EXPECT_EQ(md.find("nope"), nullptr);
  EXPECT_THROW((void)md.at("nope"), InvalidRequest);
  ASSERT_EQ(users.columns().size(), 3u);
  EXPECT_EQ(users.columns()[1].name(), "name");
  EXPECT_EQ(users.column("name").type(), (SqlType{TypeKind::text, 50}));
  EXPECT_FALSE(users.column("id").is_nullable());
  EXPECT_FALSE(users.column("name").is_nullable());
  EXPECT_TRUE(users.column("nick").is_nullable());
  EXPECT_EQ(users.column("id").table(), &users);
  EXPECT_EQ(users.primary_key(), std::vector<const Column*>{&users.column("id")});
  EXPECT_EQ(users.autoincrement_column(), &users.column("id"));
  // Columns keep their addresses when more are added.
  const Column* name = &users.column("name");
  for (int i = 0; i < 50; ++i) users.add(column<int>("c" + std::to_string(i)));
  EXPECT_EQ(&users.column("name"), name);
}

TEST(Schema, DuplicatesAreConfigurationErrors) {
  MetaData md;
  md.table("users", {column<std::int64_t>("id").primary_key()});
  EXPECT_THROW(md.table("users"), ConfigurationError);
  EXPECT_THROW(md.table("t", {column<int>("a"), column<int>("a")}), ConfigurationError);
  EXPECT_THROW((void)ForeignKey({"a"}, {"users"}), ConfigurationError);
  EXPECT_THROW((void)ForeignKey({"a", "b"}, {"users.id"}), ConfigurationError);
  EXPECT_THROW((void)ForeignKey({"a", "b"}, {"users.id", "other.id"}), ConfigurationError);
}

TEST(Schema, AutoincrementRule) {
  MetaData md;
  auto& plain = md.table("plain", {column<int>("id").primary_key()});
  auto& off = md.table("off", {column<int>("id").primary_key().autoincrement(false)});
  auto& text_key = md.table("text_key", {column<std::string>("code").primary_key()});
  auto& composite =
      md.table("composite", {column<int>("a").primary_key(), column<int>("b").primary_key()});
  auto& fk_key = md.table("fk_key", {column<int>("id").primary_key().references("plain.id")});
  auto& fk_forced = md.table(
      "fk_forced", {column<int>("id").primary_key().references("plain.id").autoincrement(true)});
  EXPECT_NE(plain.autoincrement_column(), nullptr);
  EXPECT_EQ(off.autoincrement_column(), nullptr);
  EXPECT_EQ(text_key.autoincrement_column(), nullptr);
  EXPECT_EQ(composite.autoincrement_column(), nullptr);
  EXPECT_EQ(fk_key.autoincrement_column(), nullptr);
  EXPECT_NE(fk_forced.autoincrement_column(), nullptr);
}

TEST(Schema, ForeignKeyToMissingTableNamesTableColumnTargetAndFix) {
  MetaData md;
  md.table("addresses", {column<std::int64_t>("id").primary_key(),
                         column<std::int64_t>("user_id").references("users.id")});
  const std::string m = message_of([&] { md.validate(); });
  EXPECT_NE(m.find("addresses.user_id"), std::string::npos) << m;
  EXPECT_NE(m.find("users.id"), std::string::npos) << m;
  EXPECT_NE(m.find("no table 'users'"), std::string::npos) << m;
  EXPECT_NE(m.find("declare table 'users'"), std::string::npos) << m;
  // DDL generation resolves too.
  EXPECT_THROW((void)ddl::create_all(md, sqlite_dialect()), ConfigurationError);
  EXPECT_THROW((void)pg(CreateTable(md.at("addresses"))), ConfigurationError);
}

TEST(Schema, ForeignKeyToMissingColumnNamesTableColumnTargetAndFix) {
  MetaData md;
  md.table("users", {column<std::int64_t>("id").primary_key(), column<std::string>("name")});
  md.table("addresses", {column<std::int64_t>("id").primary_key(),
                         column<std::int64_t>("user_id").references("users.uid")});
  const std::string m = message_of([&] { md.validate(); });
  EXPECT_NE(m.find("addresses.user_id"), std::string::npos) << m;
  EXPECT_NE(m.find("users.uid"), std::string::npos) << m;
  EXPECT_NE(m.find("no column 'uid'"), std::string::npos) << m;
  EXPECT_NE(m.find("id, name"), std::string::npos) << m;
  EXPECT_NE(m.find("fix the target column name"), std::string::npos) << m;
}

TEST(Schema, ConstraintOnMissingLocalColumn) {
  MetaData md;
  md.table("users", {column<std::int64_t>("id").primary_key()});
  auto& t = md.table("t", {column<int>("a")});
  t.add(ForeignKey({"b"}, {"users.id"}));
  const std::string m = message_of([&] { md.validate(); });
  EXPECT_NE(m.find("table t"), std::string::npos) << m;
  EXPECT_NE(m.find("'b'"), std::string::npos) << m;
  MetaData md2;
  md2.table("t", {column<int>("a"), UniqueConstraint({"a", "zz"})});
  EXPECT_THROW(md2.validate(), ConfigurationError);
}

TEST(SortedTables, ChainIsReferencedFirst) {
  MetaData md;
  md.table("c", {column<int>("id").primary_key(), column<int>("b_id").references("b.id")});
  md.table("b", {column<int>("id").primary_key(), column<int>("a_id").references("a.id")});
  md.table("a", {column<int>("id").primary_key()});
  md.table("lonely", {column<int>("id").primary_key()});
  EXPECT_EQ(names(md.sorted_tables()), (Strings{"a", "b", "c", "lonely"}));
  EXPECT_TRUE(md.cyclic_foreign_keys().empty());
}

TEST(SortedTables, DiamondKeepsDeclarationOrderAmongEquals) {
  MetaData md;
  md.table("bottom", {column<int>("id").primary_key(), column<int>("left_id").references("left.id"),
                      column<int>("right_id").references("right.id")});
  md.table("right", {column<int>("id").primary_key(), column<int>("top_id").references("top.id")});
  md.table("left", {column<int>("id").primary_key(), column<int>("top_id").references("top.id")});
  md.table("top", {column<int>("id").primary_key()});
  EXPECT_EQ(names(md.sorted_tables()), (Strings{"top", "right", "left", "bottom"}));
}

TEST(SortedTables, SelfReferenceIsNotACycle) {
  MetaData md;
  md.table("node", {column<int>("id").primary_key(),
                    column<std::optional<int>>("parent_id").references("node.id")});
  EXPECT_EQ(names(md.sorted_tables()), Strings{"node"});
  EXPECT_TRUE(md.cyclic_foreign_keys().empty());
}

TEST(SortedTables, CyclesAreBrokenAndReported) {
  MetaData md;
  md.table("root", {column<int>("id").primary_key()});
  md.table("a", {column<int>("id").primary_key(),
                 column<std::optional<int>>("b_id").references("b.id")});
  md.table("b",
           {column<int>("id").primary_key(), column<std::optional<int>>("c_id").references("c.id"),
            column<int>("root_id").references("root.id")});
  md.table("c", {column<int>("id").primary_key(),
                 column<std::optional<int>>("a_id").references("a.id")});
  md.table("leaf", {column<int>("id").primary_key(), column<int>("a_id").references("a.id")});
  EXPECT_EQ(names(md.sorted_tables()), (Strings{"root", "a", "c", "b", "leaf"}));
  const auto cyclic = md.cyclic_foreign_keys();
  ASSERT_EQ(cyclic.size(), 1u);
  EXPECT_EQ(cyclic[0].table->name(), "a");
  EXPECT_EQ(cyclic[0].foreign_key->columns(), Strings{"b_id"});
}

TEST(Ddl, EveryColumnType) {
  MetaData md;
  auto& t = md.table("everything", {
                                       Column("small", SqlType{TypeKind::small_integer}),
                                       Column("int", SqlType{TypeKind::integer}),
                                       Column("big", SqlType{TypeKind::big_integer}),
                                       Column("real", SqlType{TypeKind::real}),
                                       Column("text", SqlType{TypeKind::text}),
                                       Column("varchar", SqlType{TypeKind::text, 30}),
                                       Column("blob", SqlType{TypeKind::blob}),
                                       Column("flag", SqlType{TypeKind::boolean}),
                                       Column("day", SqlType{TypeKind::date}),
                                       Column("at", SqlType{TypeKind::timestamp}).not_null(),
                                   });
  EXPECT_EQ(lite(CreateTable(t)).sql,
            "CREATE TABLE everything (small INTEGER, int INTEGER, big INTEGER, real REAL, "
            "text TEXT, varchar VARCHAR(30), blob BLOB, flag BOOLEAN, day DATE, at TIMESTAMP NOT "
            "NULL)");
  EXPECT_EQ(pg(CreateTable(t)).sql,
            "CREATE TABLE everything (small SMALLINT, int INTEGER, big BIGINT, real DOUBLE "
            "PRECISION, text TEXT, varchar VARCHAR(30), blob BYTEA, flag BOOLEAN, day DATE, at "
            "TIMESTAMP NOT NULL)");
  const auto c = pg(CreateTable(t, true));
  EXPECT_EQ(c.sql.rfind("CREATE TABLE IF NOT EXISTS everything (", 0), 0u) << c.sql;
  EXPECT_EQ(c.kind, StatementKind::ddl);
  EXPECT_FALSE(c.returns_rows);
  EXPECT_TRUE(c.params.empty());
}

TEST(Ddl, TypedColumnsFollowTheirAdapters) {
  MetaData md;
  auto& t = md.table("typed", {column<std::int16_t>("s"), column<std::int32_t>("i"),
                               column<std::optional<std::int64_t>>("b"), column<double>("d"),
                               column<bool>("f"), column<std::chrono::sys_days>("day"),
                               column<std::chrono::sys_time<std::chrono::microseconds>>("at"),
                               column<Blob>("raw")});
  EXPECT_EQ(pg(CreateTable(t)).sql,
            "CREATE TABLE typed (s SMALLINT NOT NULL, i INTEGER NOT NULL, b BIGINT, d DOUBLE "
            "PRECISION NOT NULL, f BOOLEAN NOT NULL, day DATE NOT NULL, at TIMESTAMP NOT NULL, raw "
            "BYTEA NOT NULL)");
}

TEST(Ddl, AutoincrementPrimaryKeys) {
  MetaData md;
  auto& big = md.table("big", {column<std::int64_t>("id").primary_key(), column<std::string>("x")});
  auto& small = md.table("small", {column<std::int16_t>("id").primary_key()});
  auto& strict =
      md.table("strict", {column<std::int64_t>("id").strict_autoincrement().primary_key()});
  auto& manual =
      md.table("manual", {column<std::int32_t>("id").primary_key().autoincrement(false)});
  EXPECT_EQ(lite(CreateTable(big)).sql,
            "CREATE TABLE big (id INTEGER NOT NULL PRIMARY KEY, x TEXT NOT NULL)");
  EXPECT_EQ(
      pg(CreateTable(big)).sql,
      "CREATE TABLE big (id BIGINT GENERATED BY DEFAULT AS IDENTITY, x TEXT NOT NULL, PRIMARY "
      "KEY (id))");
  EXPECT_EQ(lite(CreateTable(small)).sql, "CREATE TABLE small (id INTEGER NOT NULL PRIMARY KEY)");
  EXPECT_EQ(pg(CreateTable(small)).sql,
            "CREATE TABLE small (id SMALLINT GENERATED BY DEFAULT AS IDENTITY, PRIMARY KEY (id))");
  EXPECT_EQ(lite(CreateTable(strict)).sql,
            "CREATE TABLE strict (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT)");
  EXPECT_EQ(pg(CreateTable(strict)).sql,
            "CREATE TABLE strict (id BIGINT GENERATED BY DEFAULT AS IDENTITY, PRIMARY KEY (id))");
  EXPECT_EQ(lite(CreateTable(manual)).sql,
            "CREATE TABLE manual (id INTEGER NOT NULL, PRIMARY KEY (id))");
  EXPECT_EQ(pg(CreateTable(manual)).sql,
            "CREATE TABLE manual (id INTEGER NOT NULL, PRIMARY KEY (id))");
}

TEST(Ddl, CompositePrimaryAndForeignKeys) {
  MetaData md;
  auto& orders =
      md.table("orders", {column<int>("region").primary_key(), column<int>("number").primary_key(),
                          column<std::string>("note")});
  auto& lines = md.table("order_lines",
                         {column<int>("region").primary_key(), column<int>("number").primary_key(),
                          column<int>("line").primary_key(),
                          ForeignKey({"region", "number"}, {"orders.region", "orders.number"})
                              .on_delete(ReferentialAction::cascade)
                              .name("fk_lines_order")});
  const std::string both_orders =
      "CREATE TABLE orders (region INTEGER NOT NULL, number INTEGER NOT NULL, note TEXT NOT NULL, "
      "PRIMARY KEY (region, number))";
  EXPECT_EQ(lite(CreateTable(orders)).sql, both_orders);
  EXPECT_EQ(pg(CreateTable(orders)).sql, both_orders);
  const std::string both_lines =
      "CREATE TABLE order_lines (region INTEGER NOT NULL, number INTEGER NOT NULL, line INTEGER "
      "NOT "
      "NULL, PRIMARY KEY (region, number, line), CONSTRAINT fk_lines_order FOREIGN KEY (region, "
      "number) REFERENCES orders (region, number) ON DELETE CASCADE)";
  EXPECT_EQ(lite(CreateTable(lines)).sql, both_lines);
  EXPECT_EQ(pg(CreateTable(lines)).sql, both_lines);
}

TEST(Ddl, EveryReferentialAction) {
  MetaData md;
  auto& users = md.table("users", {column<std::int64_t>("id").primary_key()});
  using RA = ReferentialAction;
  auto& t = md.table(
      "refs",
      {column<std::int64_t>("id").primary_key(),
       column<std::optional<std::int64_t>>("a").references("users.id", RA::no_action),
       column<std::optional<std::int64_t>>("b").references("users.id", RA::restrict, RA::cascade),
       column<std::optional<std::int64_t>>("c").references("users.id", RA::cascade, RA::set_null),
       column<std::optional<std::int64_t>>("d").references(users.column("id"), RA::set_null,
                                                           RA::set_default),
       column<std::optional<std::int64_t>>("e").default_value(0)});
  t.add(ForeignKey({"e"}, users, {"id"}).on_delete(RA::set_default).on_update(RA::restrict));
  const std::string sql =
      "CREATE TABLE refs (id BIGINT GENERATED BY DEFAULT AS IDENTITY, a BIGINT, b BIGINT, c "
      "BIGINT, "
      "d BIGINT, e BIGINT, PRIMARY KEY (id), FOREIGN KEY (a) REFERENCES users (id), FOREIGN KEY "
      "(b) "
      "REFERENCES users (id) ON DELETE RESTRICT ON UPDATE CASCADE, FOREIGN KEY (c) REFERENCES "
      "users "
      "(id) ON DELETE CASCADE ON UPDATE SET NULL, FOREIGN KEY (d) REFERENCES users (id) ON DELETE "
      "SET "
      "NULL ON UPDATE SET DEFAULT, FOREIGN KEY (e) REFERENCES users (id) ON DELETE SET DEFAULT ON "
      "UPDATE RESTRICT)";
  EXPECT_EQ(pg(CreateTable(t)).sql, sql);
  EXPECT_EQ(to_string(RA::set_default), "SET DEFAULT");
}

TEST(Ddl, UniqueConstraintsAndIndexes) {
  MetaData md;
  auto& t = md.table(
      "accounts",
      {column<std::int64_t>("id").primary_key(), column<std::string>("email").unique(),
       column<std::string>("login").index(), column<std::string>("token").unique().index(),
       column<int>("org"), column<int>("seq"), UniqueConstraint({"org", "seq"}, "uq_org_seq"),
       UniqueConstraint({"org", "login"}), Index("ix_org_seq_desc", {"org", "seq"})});
  EXPECT_EQ(lite(CreateTable(t)).sql,
            "CREATE TABLE accounts (id INTEGER NOT NULL PRIMARY KEY, email TEXT NOT NULL UNIQUE, "
            "login TEXT NOT NULL, token TEXT NOT NULL, org INTEGER NOT NULL, seq INTEGER NOT NULL, "
            "CONSTRAINT uq_org_seq UNIQUE (org, seq), UNIQUE (org, login))");
  EXPECT_EQ(
      sqls(ddl::create_all(md, postgresql_dialect())),
      (Strings{"CREATE TABLE accounts (id BIGINT GENERATED BY DEFAULT AS IDENTITY, email TEXT NOT "
               "NULL UNIQUE, login TEXT NOT NULL, token TEXT NOT NULL, org INTEGER NOT NULL, seq "
               "INTEGER NOT NULL, PRIMARY KEY (id), CONSTRAINT uq_org_seq UNIQUE (org, seq), "
               "UNIQUE (org, login))",
               "CREATE INDEX ix_accounts_login ON accounts (login)",
               "CREATE UNIQUE INDEX ix_accounts_token ON accounts (token)",
               "CREATE INDEX ix_org_seq_desc ON accounts (org, seq)"}));
  EXPECT_EQ(lite(CreateIndex(t, Index("ix_x", {"org"}, true), true)).sql,
            "CREATE UNIQUE INDEX IF NOT EXISTS ix_x ON accounts (org)");
  EXPECT_EQ(lite(DropIndex("ix_x", true)).sql, "DROP INDEX IF EXISTS ix_x");
  EXPECT_EQ(pg(DropIndex("Ix")).sql, "DROP INDEX \"Ix\"");
  EXPECT_THROW((void)lite(CreateIndex(t, Index("ix_bad", {"nope"}))), InvalidRequest);
}

TEST(Ddl, ServerDefaults) {
  MetaData md;
  auto& t = md.table(
      "defaults",
      {column<std::string>("quote").server_default("it's a 'test'; --"),
       column<int>("n").server_default(-42), column<double>("x").server_default(1.5),
       column<bool>("yes").server_default(true), column<bool>("no").server_default(false),
       column<std::optional<std::string>>("nothing").server_default(nullptr),
       column<Blob>("raw").server_default(Blob{std::byte{0xde}, std::byte{0xad}}),
       Column("at", SqlType{TypeKind::timestamp}).server_default(sql_expr("CURRENT_TIMESTAMP"))});
  EXPECT_EQ(
      lite(CreateTable(t)).sql,
      "CREATE TABLE defaults (quote TEXT DEFAULT 'it''s a ''test''; --' NOT NULL, n INTEGER "
      "DEFAULT -42 NOT NULL, x REAL DEFAULT 1.5 NOT NULL, yes BOOLEAN DEFAULT 1 NOT NULL, \"no\" "
      "BOOLEAN DEFAULT 0 NOT NULL, \"nothing\" TEXT DEFAULT NULL, raw BLOB DEFAULT X'dead' NOT "
      "NULL, at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)");
  EXPECT_EQ(pg(CreateTable(t)).sql,
            "CREATE TABLE defaults (quote TEXT DEFAULT 'it''s a ''test''; --' NOT NULL, n INTEGER "
            "DEFAULT -42 NOT NULL, x DOUBLE PRECISION DEFAULT 1.5 NOT NULL, yes BOOLEAN DEFAULT "
            "TRUE NOT NULL, \"no\" BOOLEAN DEFAULT FALSE NOT NULL, \"nothing\" TEXT DEFAULT NULL, "
            "raw BYTEA "
            "DEFAULT '\\xdead' NOT NULL, at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)");
  // Only raw SQL fragments are accepted as expressions, never a bound value or a column.
  Column c("c", SqlType{TypeKind::integer});
  EXPECT_THROW(c.server_default(Expr(5)), ConfigurationError);
  auto& bad = md.table("bad", {column<std::string>("s").server_default(std::string("a\0b", 3))});
  EXPECT_THROW((void)lite(CreateTable(bad)), ConfigurationError);
}

TEST(Ddl, ServerDefaultTurnsOffAutoincrement) {
  MetaData md;
  auto& t = md.table(
      "seq",
      {column<std::int64_t>("id").primary_key().server_default(sql_expr("nextval('my_seq')"))});
  EXPECT_EQ(pg(CreateTable(t)).sql,
            "CREATE TABLE seq (id BIGINT DEFAULT nextval('my_seq') NOT NULL, PRIMARY KEY (id))");
}

TEST(Ddl, CreateAllAndDropAllInDependencyOrder) {
  MetaData md;
  md.table("addresses",
           {column<std::int64_t>("id").primary_key(),
            column<std::int64_t>("user_id").references("users.id", ReferentialAction::cascade)});
  md.table("users",
           {column<std::int64_t>("id").primary_key(), column<std::string>("name").index()});
  EXPECT_EQ(
      sqls(ddl::create_all(md, sqlite_dialect(), true)),
      (Strings{
          "CREATE TABLE IF NOT EXISTS users (id INTEGER NOT NULL PRIMARY KEY, name TEXT NOT "
          "NULL)",
          "CREATE INDEX IF NOT EXISTS ix_users_name ON users (name)",
          "CREATE TABLE IF NOT EXISTS addresses (id INTEGER NOT NULL PRIMARY KEY, user_id "
          "INTEGER NOT NULL, FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE)"}));
  EXPECT_EQ(sqls(ddl::drop_all(md, postgresql_dialect())),
            (Strings{"DROP TABLE IF EXISTS addresses", "DROP TABLE IF EXISTS users"}));
  EXPECT_EQ(lite(DropTable(md.at("users"))).sql, "DROP TABLE users");
}

TEST(Ddl, CyclesUseAlterTableOnPostgresqlAndStayInlineOnSqlite) {
  MetaData md;
  md.table("a",
           {column<int>("id").primary_key().autoincrement(false),
            column<std::optional<int>>("b_id").references("b.id", ReferentialAction::set_null)});
  md.table("b", {column<int>("id").primary_key().autoincrement(false),
                 column<std::optional<int>>("a_id").references("a.id")});
  EXPECT_EQ(
      sqls(ddl::create_all(md, postgresql_dialect())),
      (Strings{"CREATE TABLE a (id INTEGER NOT NULL, b_id INTEGER, PRIMARY KEY (id))",
               "CREATE TABLE b (id INTEGER NOT NULL, a_id INTEGER, PRIMARY KEY (id), FOREIGN KEY "
               "(a_id) REFERENCES a (id))",
               "ALTER TABLE a ADD CONSTRAINT a_b_id_fkey FOREIGN KEY (b_id) REFERENCES b (id) ON "
               "DELETE SET NULL"}));
  EXPECT_EQ(sqls(ddl::create_all(md, postgresql_dialect(), true)).at(2),
            "ALTER TABLE IF EXISTS a DROP CONSTRAINT IF EXISTS a_b_id_fkey");
  EXPECT_EQ(sqls(ddl::drop_all(md, postgresql_dialect())),
            (Strings{"ALTER TABLE IF EXISTS a DROP CONSTRAINT IF EXISTS a_b_id_fkey",
                     "DROP TABLE IF EXISTS b", "DROP TABLE IF EXISTS a"}));
  EXPECT_EQ(
      sqls(ddl::create_all(md, sqlite_dialect())),
      (Strings{"CREATE TABLE a (id INTEGER NOT NULL, b_id INTEGER, PRIMARY KEY (id), FOREIGN KEY "
               "(b_id) REFERENCES b (id) ON DELETE SET NULL)",
               "CREATE TABLE b (id INTEGER NOT NULL, a_id INTEGER, PRIMARY KEY (id), FOREIGN KEY "
               "(a_id) REFERENCES a (id))"}));
  EXPECT_EQ(sqls(ddl::drop_all(md, sqlite_dialect())),
            (Strings{"DROP TABLE IF EXISTS b", "DROP TABLE IF EXISTS a"}));
  const auto& a = md.at("a");
  EXPECT_THROW((void)lite(AddConstraint(a, a.foreign_keys()[0])), InvalidRequest);
  EXPECT_THROW((void)lite(DropConstraint(a, "x")), InvalidRequest);
  EXPECT_EQ(pg(DropConstraint(a, "Fk")).sql, "ALTER TABLE a DROP CONSTRAINT \"Fk\"");
}

TEST(Ddl, QuotedNamesInDdl) {
  MetaData md;
  md.table("user",
           {column<std::int64_t>("id").primary_key(), column<std::string>("Name").unique()});
  md.table("order", {column<std::int64_t>("id").primary_key(),
                     column<std::int64_t>("user").references("user.id").index(),
                     UniqueConstraint({"user"}, "uq \"odd\"")});
  EXPECT_EQ(
      sqls(ddl::create_all(md, sqlite_dialect())),
      (Strings{"CREATE TABLE \"user\" (id INTEGER NOT NULL PRIMARY KEY, \"Name\" TEXT NOT NULL "
               "UNIQUE)",
               "CREATE TABLE \"order\" (id INTEGER NOT NULL PRIMARY KEY, \"user\" INTEGER NOT "
               "NULL, FOREIGN KEY (\"user\") REFERENCES \"user\" (id), CONSTRAINT \"uq "
               "\"\"odd\"\"\" UNIQUE (\"user\"))",
               "CREATE INDEX ix_order_user ON \"order\" (\"user\")"}));
}

}  // namespace
