// Running statements: results, execute_many, RETURNING, streaming.

#include <gtest/gtest.h>

#include "relate/relate.hpp"
#include "support/backend.hpp"
#include "support/sql.hpp"

using namespace relate;
using relate::testing::exec;
using relate::testing::raw;

namespace {

class Execute : public relate::testing::BackendTest {};

TEST_P(Execute, ResultRowsAndColumns) {
  relate::testing::TestDatabase db(backend());
  auto engine = create_engine(db.url());
  auto conn = engine.connect();
  exec(conn, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)");
  EXPECT_EQ(exec(conn, "INSERT INTO t (id, name) VALUES ({}, {})", {1, "a"}), 1);
  EXPECT_EQ(exec(conn, "INSERT INTO t (id, name) VALUES ({}, {})", {2, "b"}), 1);
  EXPECT_EQ(exec(conn, "UPDATE t SET name = {} WHERE id > {}", {"z", 0}), 2);

  auto result = conn.execute(raw(conn.dialect(), "SELECT id, name FROM t ORDER BY id"));
  EXPECT_TRUE(result.returns_rows());
  EXPECT_EQ(result.columns(), (std::vector<std::string>{"id", "name"}));
  std::vector<std::int64_t> ids;
  for (const auto& row : result) {
    ids.push_back(row.get<std::int64_t>("id"));
    EXPECT_EQ(row.get<std::string>(1), "z");
    EXPECT_EQ(row["name"], Value("z"));
  }
  EXPECT_EQ(ids, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(result.rows_affected(), 0);

  auto select = raw(conn.dialect(), "SELECT id, name FROM t WHERE id = {id}");
  auto one = conn.execute(select, {{"id", 2}}).one();
  EXPECT_EQ(one.get<std::int64_t>("id"), 2);
  try {
    (void)one.get<std::string>("missing");
    FAIL();
  } catch (const InvalidRequest& e) {
    EXPECT_NE(std::string(e.what()).find("no column named 'missing'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("id, name"), std::string::npos);
  }
  EXPECT_THROW((void)one[5], InvalidRequest);
  EXPECT_THROW((void)conn.execute(select, {{"id", 9}}).one(), NoResultFound);
  EXPECT_FALSE(conn.execute(select, {{"id", 9}}).one_or_none().has_value());
  EXPECT_TRUE(conn.execute(select, std::vector<Value>{1}).one_or_none().has_value());
  EXPECT_THROW((void)conn.execute(raw(conn.dialect(), "SELECT id FROM t")).one(),
               MultipleResultsFound);
  EXPECT_THROW((void)conn.execute(select), InvalidRequest);  // no value for "id"
  EXPECT_EQ(conn.execute(raw(conn.dialect(), "SELECT COUNT(*) FROM t")).scalar<int>(), 2);
  EXPECT_TRUE(conn.execute(select, {{"id", 7}}).scalar().is_null());
  EXPECT_EQ(conn.execute(raw(conn.dialect(), "SELECT id FROM t ORDER BY id")).rows(),
            (std::vector<Row>{{Value(1)}, {Value(2)}}));
  EXPECT_EQ(exec(conn, "DELETE FROM t"), 2);
}

TEST_P(Execute, ExecuteManyWithAThousandSets) {
  relate::testing::TestDatabase db(backend());
  auto engine = create_engine(db.url());
  auto conn = engine.connect();
  exec(conn, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score DOUBLE PRECISION)");
  auto insert =
      raw(conn.dialect(), "INSERT INTO t (id, name, score) VALUES ({id}, {name}, {})", {0.5});
  std::vector<std::vector<Value>> sets;
  for (int i = 1; i <= 1000; ++i)
    sets.push_back({i, i % 7 == 0 ? Value() : Value("n" + std::to_string(i))});
  auto result = conn.execute_many(insert, sets);
  EXPECT_EQ(result.rows_affected(), 1000);
  EXPECT_FALSE(result.returns_rows());
  auto check =
      conn.execute(raw(conn.dialect(), "SELECT COUNT(*), SUM(id), COUNT(name), SUM(score) FROM t"))
          .one();
  EXPECT_EQ(check.get<std::int64_t>(0), 1000);
  EXPECT_EQ(check.get<std::int64_t>(1), 500500);
  EXPECT_EQ(check.get<std::int64_t>(2), 1000 - 142);
  EXPECT_EQ(check.get<double>(3), 500.0);
  EXPECT_EQ(conn.execute_many(insert, {}).rows_affected(), 0);

  auto update = raw(conn.dialect(), "UPDATE t SET name = {name} WHERE id <= {id}");
  std::vector<std::vector<Value>> updates{{"x", 10}, {"y", 20}};
  EXPECT_EQ(conn.execute_many(update, updates).rows_affected(), 30);
}

// What lets the unit of work read SQLite's generated keys without RETURNING:
// which columns are the rowid, and the rowid of each INSERT of a batch.
TEST_P(Execute, RowidAliasesAndInsertedRowids) {
  relate::testing::TestDatabase db(backend());
  auto engine = create_engine(db.url());
  auto conn = engine.connect();
  exec(conn, "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT)");
  exec(conn, "CREATE TABLE b (id BIGINT PRIMARY KEY, name TEXT)");
  exec(conn, "CREATE TABLE c (x INTEGER, y INTEGER, PRIMARY KEY (x, y))");
  const bool sqlite = backend() == "sqlite";
  EXPECT_EQ(conn.driver().is_rowid_alias("a", "id"), sqlite);
  EXPECT_FALSE(conn.driver().is_rowid_alias("a", "name"));
  EXPECT_FALSE(conn.driver().is_rowid_alias("b", "id")) << "BIGINT is not INTEGER to SQLite";
  EXPECT_FALSE(conn.driver().is_rowid_alias("c", "x"));
  EXPECT_FALSE(conn.driver().is_rowid_alias("missing", "id"));
  if (sqlite) {
    exec(conn, "CREATE TABLE d (id INTEGER PRIMARY KEY DESC, name TEXT)");
    exec(conn, "CREATE TABLE e (id INTEGER PRIMARY KEY, name TEXT) WITHOUT ROWID");
    EXPECT_FALSE(conn.driver().is_rowid_alias("d", "id")) << "DESC makes it an ordinary key";
    EXPECT_FALSE(conn.driver().is_rowid_alias("e", "id"));
  }
  exec(conn, "INSERT INTO a (id, name) VALUES (40, 'first')");
  // PostgreSQL generates no key for an INTEGER PRIMARY KEY: it is given there.
  auto insert = raw(conn.dialect(), sqlite ? "INSERT INTO a (name) VALUES ({name})"
                                           : "INSERT INTO a (id, name) VALUES ({id}, {name})");
  std::vector<std::vector<Value>> sets;
  for (int i = 0; i < 3; ++i)
    sets.push_back(sqlite ? std::vector<Value>{"n" + std::to_string(i)}
                          : std::vector<Value>{41 + i, "n" + std::to_string(i)});
  auto result = conn.execute_many(insert, sets);
  EXPECT_EQ(result.rows_affected(), 3);
  if (sqlite)
    EXPECT_EQ(result.inserted_rowids(), (std::vector<std::int64_t>{41, 42, 43}));
  else
    EXPECT_TRUE(result.inserted_rowids().empty());
  auto update = raw(conn.dialect(), "UPDATE a SET name = {name} WHERE id = {id}");
  std::vector<std::vector<Value>> updates{{"q", 41}};
  EXPECT_TRUE(conn.execute_many(update, updates).inserted_rowids().empty());
}

TEST_P(Execute, ExecuteManyIsAllOrNothing) {
  relate::testing::TestDatabase db(backend());
  auto engine = create_engine(db.url());
  auto conn = engine.connect();
  exec(conn, "CREATE TABLE t (id INTEGER PRIMARY KEY)");
  auto insert = raw(conn.dialect(), "INSERT INTO t (id) VALUES ({id})");
  std::vector<std::vector<Value>> sets;
  for (int i = 1; i <= 500; ++i) sets.push_back({i});
  sets.push_back({250});  // duplicate key at the end
  for (int i = 501; i <= 600; ++i) sets.push_back({i});
  EXPECT_THROW((void)conn.execute_many(insert, sets), IntegrityError);
  EXPECT_EQ(conn.execute(raw(conn.dialect(), "SELECT COUNT(*) FROM t")).scalar<int>(), 0);
  // The connection is fine afterwards.
  sets.erase(sets.begin() + 500);
  EXPECT_EQ(conn.execute_many(insert, sets).rows_affected(), 600);
}

// Sets written on demand (how the unit of work binds new objects' members):
// every kind of value, text bound in place and text from a temporary Value,
// all or nothing, and statements that return rows.
class Written final : public ParamSets {
 public:
  explicit Written(std::size_t n, std::int64_t duplicate_at = -1) : n_(n), dup_(duplicate_at) {
    for (std::size_t i = 0; i < n; ++i) names_.push_back("name number " + std::to_string(i));
  }
  std::size_t size() const override { return n_; }
  std::size_t width() const override { return 6; }
  void write(std::size_t set, ParamSink& out) const override {
    const auto i = static_cast<std::int64_t>(set);
    out.integer(i == dup_ ? 0 : i);
    out.text(names_[set]);
    if (set % 3 == 0)
      out.null();
    else
      out.real(0.5 * static_cast<double>(set));
    out.boolean(set % 2 == 0);
    const std::byte bytes[] = {std::byte{0}, static_cast<std::byte>(set % 256)};
    out.blob(set % 4 == 0 ? std::span<const std::byte>() : std::span<const std::byte>(bytes));
    out.value(Value("tag" + std::to_string(set)));  // gone before the statement runs
  }

 private:
  std::size_t n_;
  std::int64_t dup_;
  std::vector<std::string> names_;
};

TEST_P(Execute, ExecuteManyWithWrittenSets) {
  relate::testing::TestDatabase db(backend());
  auto engine = create_engine(db.url());
  auto conn = engine.connect();
  const std::string blob = backend() == "sqlite" ? "BLOB" : "BYTEA";
  exec(conn,
       "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score DOUBLE PRECISION, "
       "flag BOOLEAN, data " +
           blob + ", tag TEXT)");
  auto insert = raw(conn.dialect(),
                    "INSERT INTO t (id, name, score, flag, data, tag) VALUES ({a}, {b}, {c}, {d}, "
                    "{e}, {f})");
  EXPECT_EQ(conn.execute_many(insert, Written(300)).rows_affected(), 300);
  auto rows = conn.execute(raw(conn.dialect(),
                               "SELECT id, name, score, flag, data, tag FROM t "
                               "ORDER BY id"))
                  .all();
  ASSERT_EQ(rows.size(), 300u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    EXPECT_EQ(r.get<std::int64_t>(0), static_cast<std::int64_t>(i));
    EXPECT_EQ(r.get<std::string>(1), "name number " + std::to_string(i));
    if (i % 3 == 0)
      EXPECT_TRUE(r[2].is_null());
    else
      EXPECT_EQ(r.get<double>(2), 0.5 * static_cast<double>(i));
    EXPECT_EQ(r.get<bool>(3), i % 2 == 0);
    const Blob want = i % 4 == 0 ? Blob{} : Blob{std::byte{0}, static_cast<std::byte>(i % 256)};
    EXPECT_EQ(r.get<Blob>(4), want) << i;
    EXPECT_EQ(r.get<std::string>(5), "tag" + std::to_string(i));
  }

  // A failing set undoes the batch.
  exec(conn, "DELETE FROM t");
  EXPECT_THROW((void)conn.execute_many(insert, Written(50, 40)), IntegrityError);
  EXPECT_EQ(conn.execute(raw(conn.dialect(), "SELECT COUNT(*) FROM t")).scalar<int>(), 0);

  // A statement that returns rows (read through a cursor, which binds Values).
  auto returning = raw(conn.dialect(),
                       "INSERT INTO t (id, name, score, flag, data, tag) VALUES ({a}, {b}, {c}, "
                       "{d}, {e}, {f}) RETURNING id, tag");
  auto back = conn.execute_many(returning, Written(3)).all();
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[2].get<std::int64_t>(0), 2);
  EXPECT_EQ(back[2].get<std::string>(1), "tag2");
  EXPECT_EQ(conn.execute_many(insert, Written(0)).rows_affected(), 0);
}

TEST_P(Execute, ReturningOneAndMany) {
  relate::testing::TestDatabase db(backend());
  auto engine = create_engine(db.url());
  auto conn = engine.connect();
  exec(conn, "CREATE TABLE t (id " + relate::testing::serial_pk(conn) + ", name TEXT NOT NULL)");
  auto insert = raw(conn.dialect(), "INSERT INTO t (name) VALUES ({name}) RETURNING id, name");

  auto first = conn.execute(insert, {{"name", "first"}});
  EXPECT_EQ(first.columns(), (std::vector<std::string>{"id", "name"}));
  auto row = first.one();
  EXPECT_EQ(row.get<std::int64_t>("id"), 1);
  EXPECT_EQ(row.get<std::string>("name"), "first");

  auto counted = conn.execute(insert, {{"name", "second"}});
  EXPECT_EQ(counted.rows_affected(), 1);
  EXPECT_EQ(counted.one().get<std::int64_t>(0), 2);

  std::vector<std::vector<Value>> sets;
  for (int i = 0; i < 50; ++i) sets.push_back({"batch" + std::to_string(i)});
  auto many = conn.execute_many(insert, sets);
  EXPECT_EQ(many.rows_affected(), 50);
  EXPECT_EQ(many.columns(), (std::vector<std::string>{"id", "name"}));
  auto rows = many.all();
  ASSERT_EQ(rows.size(), 50u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].get<std::int64_t>("id"), static_cast<std::int64_t>(i) + 3);
    EXPECT_EQ(rows[i].get<std::string>("name"), "batch" + std::to_string(i));
  }
}

TEST_P(Execute, StreamsALargeResultRowByRow) {
  relate::testing::TestDatabase db(backend());
  auto engine = create_engine(db.url());
  auto conn = engine.connect();
  const std::int64_t n = 200'000;
  auto result = conn.execute(raw(conn.dialect(),
                                 "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                                 "WHERE x < {}) SELECT x, 'row' AS label FROM c",
                                 {n}));
  std::int64_t count = 0, sum = 0;
  while (auto row = result.next()) {
    ++count;
    sum += row->get<std::int64_t>(0);
  }
  EXPECT_EQ(count, n);
  EXPECT_EQ(sum, n * (n + 1) / 2);
}

TEST_P(Execute, AnotherStatementWhileStreamingKeepsTheFirstResultWhole) {
  relate::testing::TestDatabase db(backend());
  auto engine = create_engine(db.url(), {.pool_size = 1});
  auto conn = engine.connect();
  exec(conn, "CREATE TABLE t (id INTEGER PRIMARY KEY)");
  std::vector<std::vector<Value>> sets;
  for (int i = 1; i <= 100; ++i) sets.push_back({i});
  (void)conn.execute_many(raw(conn.dialect(), "INSERT INTO t (id) VALUES ({id})"), sets);

  auto select = raw(conn.dialect(), "SELECT id FROM t ORDER BY id");
  auto outer = conn.execute(select);
  std::int64_t seen = 0, sum = 0;
  for (int i = 0; i < 10; ++i) sum += outer.next()->get<std::int64_t>(0), ++seen;
  // Same SQL again (same cached statement) and a write, mid-stream.
  EXPECT_EQ(conn.execute(select).all().size(), 100u);
  exec(conn, "INSERT INTO t (id) VALUES ({})", {1000});
  for (const auto& row : outer) sum += row.get<std::int64_t>(0), ++seen;
  EXPECT_EQ(seen, 100);
  EXPECT_EQ(sum, 5050);
}

// Rows read all at once (what the ORM does when it loads objects) are the rows
// a streamed execution gives, and the cursor behaves the same way.
TEST_P(Execute, BufferedExecutionGivesTheSameRows) {
  relate::testing::TestDatabase db(backend());
  auto engine = create_engine(db.url(), {.pool_size = 1});
  auto conn = engine.connect();
  exec(conn, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score DOUBLE PRECISION, data " +
                 relate::testing::blob_type(conn) + ")");
  std::vector<std::vector<Value>> sets;
  for (int i = 1; i <= 50; ++i)
    sets.push_back({i, i % 5 == 0 ? Value() : Value("n" + std::to_string(i)), i / 4.0,
                    i % 7 == 0 ? Value() : Value(Blob{std::byte{0}, static_cast<std::byte>(i)})});
  (void)conn.execute_many(
      raw(conn.dialect(), "INSERT INTO t (id, name, score, data) VALUES ({a}, {b}, {c}, {d})"),
      sets);
  auto select =
      raw(conn.dialect(), "SELECT id, name, score, data FROM t WHERE id > {} ORDER BY id", {10});
  DriverConnection& driver = conn.driver();
  const auto params = select.bind(Params{});
  std::vector<Row> streamed;
  {
    auto cursor = driver.execute(select.sql, params);
    Row row;
    while (cursor->next(row)) streamed.push_back(row);
  }
  ASSERT_EQ(streamed.size(), 40u);

  auto cursor = driver.execute_buffered(select.sql, params);
  EXPECT_EQ(cursor->columns() ? *cursor->columns() : std::vector<std::string>{},
            (std::vector<std::string>{"id", "name", "score", "data"}));
  std::vector<Row> buffered;
  Row row;
  for (int i = 0; i < 5 && cursor->next(row); ++i) buffered.push_back(row);
  // Another statement mid-way: the rest of the rows are kept, as when streaming.
  {
    auto other = driver.execute_buffered(select.sql, params);
    std::size_t n = 0;
    while (other->next(row)) ++n;
    EXPECT_EQ(n, 40u);
  }
  exec(conn, "DELETE FROM t WHERE id > {}", {30});
  while (cursor->next(row)) buffered.push_back(row);
  EXPECT_EQ(buffered, streamed);
  EXPECT_FALSE(cursor->next(row));

  // No rows; a statement without rows; an error, after which the connection works.
  auto none = driver.execute_buffered(raw(conn.dialect(), "SELECT id FROM t WHERE id < 0").sql,
                                      std::span<const Value>());
  EXPECT_FALSE(none->next(row));
  auto update = raw(conn.dialect(), "UPDATE t SET name = {} WHERE id <= {}", {"x", 20});
  EXPECT_EQ(driver.execute_buffered(update.sql, update.bind(Params{}))->rows_affected(), 20);
  EXPECT_THROW((void)driver.execute_buffered("SELECT nope FROM t", {}), DatabaseError);
  EXPECT_EQ(conn.execute(raw(conn.dialect(), "SELECT COUNT(*) FROM t")).scalar<int>(), 30);
}

TEST_P(Execute, AbandonedResultsGiveTheConnectionBack) {
  relate::testing::TestDatabase db(backend());
  auto engine = create_engine(db.url(), {.pool_size = 1});
  auto big = [&](Connection& c) {
    return c.execute(raw(c.dialect(),
                         "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x "
                         "< 5000) SELECT x FROM c"));
  };
  {
    auto conn = engine.connect();
    auto result = big(conn);
    (void)result.next();
  }  // Connection and Result dropped mid-stream
  {
    // A Result outliving its Connection keeps it until the rows are read.
    auto result = [&] {
      auto conn = engine.connect();
      return big(conn);
    }();
    EXPECT_EQ(engine.pool().checked_out(), 1u);
    EXPECT_EQ(result.all().size(), 5000u);
    EXPECT_EQ(engine.pool().checked_out(), 0u);
  }
  {
    auto conn = engine.connect();
    auto result = big(conn);
    EXPECT_EQ(result.first()->get<int>(0), 1);
    EXPECT_EQ(conn.execute(raw(conn.dialect(), "SELECT 42")).scalar<int>(), 42);
  }
  EXPECT_EQ(engine.pool().checked_out(), 0u);
  EXPECT_EQ(engine.pool().open(), 1u);
}

TEST(ExecuteSqlite, MemoryDatabaseIsOneDatabaseForTheEngine) {
  auto engine = create_engine("sqlite://", {.pool_size = 4});
  EXPECT_EQ(engine.pool().size(), 1u);
  {
    auto conn = engine.connect();
    exec(conn, "CREATE TABLE t (x INTEGER)");
    exec(conn, "INSERT INTO t (x) VALUES ({})", {5});
  }
  auto conn = engine.connect();
  EXPECT_EQ(conn.execute(raw(conn.dialect(), "SELECT x FROM t")).scalar<int>(), 5);
  // A second Connection from the same thread would wait for itself.
  EXPECT_THROW((void)engine.connect(), PoolTimeout);
}

TEST(ExecuteSqlite, OnlyOneStatementPerExecution) {
  auto engine = create_engine("sqlite://");
  auto conn = engine.connect();
  EXPECT_THROW(exec(conn, "CREATE TABLE a (x INTEGER); CREATE TABLE b (x INTEGER)"),
               ProgrammingError);
  EXPECT_NO_THROW(exec(conn, "CREATE TABLE a (x INTEGER);"));
}

RELATE_INSTANTIATE_BACKENDS(Execute);

}  // namespace

namespace {

TEST(ExecutePostgresql, ExecuteManyIsOnePipelinedTransaction) {
  relate::testing::TestDatabase db("postgresql");
  auto engine = create_engine(db.url());
  auto conn = engine.connect();
  exec(conn, "CREATE TABLE t (id INTEGER PRIMARY KEY)");
  std::vector<std::vector<Value>> sets;
  for (int i = 1; i <= 1000; ++i) sets.push_back({i});
  EXPECT_EQ(conn.execute_many(raw(conn.dialect(), "INSERT INTO t (id) VALUES ({id})"), sets)
                .rows_affected(),
            1000);
  // Every row was written by the same transaction (xmin): the sets went out
  // with one sync, where statement-by-statement autocommit would use 1000.
  EXPECT_EQ(conn.execute(raw(conn.dialect(), "SELECT COUNT(DISTINCT CAST(xmin AS TEXT)) FROM t"))
                .scalar<int>(),
            1);
}

TEST(ExecutePostgresql, StatementsPreparedBeforeASchemaChangeArePreparedAgain) {
  relate::testing::TestDatabase db("postgresql");
  auto engine = create_engine(db.url(), {.pool_size = 2});
  auto reader = engine.connect();
  auto writer = engine.connect();
  exec(writer, "CREATE TABLE t (a INTEGER)");
  exec(writer, "INSERT INTO t (a) VALUES ({})", {1});
  auto select = raw(reader.dialect(), "SELECT * FROM t");
  EXPECT_EQ(reader.execute(select).one().size(), 1u);
  exec(writer, "ALTER TABLE t ADD COLUMN b TEXT");
  // Outside a transaction the stale statement is prepared again transparently.
  EXPECT_EQ(reader.execute(select).one().size(), 2u);
  exec(writer, "ALTER TABLE t ADD COLUMN c TEXT");
  {
    // Inside one the error surfaces (the transaction is lost), and the next
    // attempt works.
    auto tx = reader.begin();
    EXPECT_THROW((void)reader.execute(select), DatabaseError);
  }
  EXPECT_EQ(reader.execute(select).one().size(), 3u);
}

}  // namespace
