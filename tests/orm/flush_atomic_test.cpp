// DESIGN 4.1: a flush is atomic and leaves the Session usable. Every statement of
// a multi-table flush is made to fail in turn (a database trigger raises), and
// each time the database and every object must be as before the flush, and the
// same flush must succeed once the trigger is gone.

#include <gtest/gtest.h>

#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::OrmTest;

namespace {

struct Author {
  std::int64_t id = 0;
  std::string name{};
};
struct Book {
  std::int64_t id = 0;
  std::string title{};
  std::int64_t author_id = 0;
};
struct Counter {
  std::int64_t id = 0;
  std::int64_t value = 0;
  std::int64_t version = 0;
};
struct Tag {
  std::int64_t id = 0;
  std::string label{};
};

struct Failing {
  std::string table;
  std::string event;  // INSERT, UPDATE or DELETE
};

class FlushAtomicTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<Author>("authors", [](auto& m) {
      m.column("id", &Author::id, primary_key());
      m.column("name", &Author::name);
    });
    registry_.map<Book>("books", [](auto& m) {
      m.column("id", &Book::id, primary_key());
      m.column("title", &Book::title);
      m.column("author_id", &Book::author_id, foreign_key("authors.id"));
    });
    registry_.map<Counter>("counters", [](auto& m) {
      m.column("id", &Counter::id, primary_key());
      m.column("value", &Counter::value);
      m.version_counter("version", &Counter::version);
    });
    registry_.map<Tag>("tags", [](auto& m) {
      m.column("id", &Tag::id, primary_key());
      m.column("label", &Tag::label);
    });
    create_schema();
    auto s = session();
    s.add(make<Counter>({.id = 1, .value = 10}));
    s.add(make<Tag>({.id = 1, .label = "old"}));
    s.commit();
  }

  void add_trigger(const Failing& f) {
    auto conn = engine_->connect();
    const std::string name = "fail_" + f.table;
    if (is_sqlite()) {
      conn.execute(text("CREATE TRIGGER " + name + " BEFORE " + f.event + " ON " + f.table +
                        " BEGIN SELECT RAISE(ABORT, 'injected failure'); END"));
    } else {
      conn.execute(
          text("CREATE OR REPLACE FUNCTION relate_fail() RETURNS trigger AS $$ BEGIN "
               "RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql"));
      conn.execute(text("CREATE TRIGGER " + name + " BEFORE " + f.event + " ON " + f.table +
                        " FOR EACH ROW EXECUTE FUNCTION relate_fail()"));
    }
  }
  // The session's own connection sees its own transaction: what the flush left.
  std::string table_dump(Session& s) {
    std::string out;
    for (const char* t : {"authors", "books", "counters", "tags"}) {
      out += t;
      out += ":";
      auto result = s.execute(text(std::string("SELECT * FROM ") + t + " ORDER BY id"));
      for (const auto& row : result.rows()) {
        for (const auto& v : row) out += v.repr() + ",";
        out += ";";
      }
      out += "\n";
    }
    return out;
  }

  void run_case(const Failing& failing, bool own_transaction) {
    SCOPED_TRACE(failing.event + " on " + failing.table +
                 (own_transaction ? " (the flush's own transaction)" : " (savepoint)"));
    add_trigger(failing);  // before the Session holds any lock
    auto s = session({.expire_on_commit = !own_transaction});
    auto counter = s.get<Counter>(1);
    auto tag = s.get<Tag>(1);
    const std::string before = table_dump(s);
    if (own_transaction) {
      s.commit();
      ASSERT_FALSE(s.in_transaction());
    }
    auto author = make<Author>({.id = 7, .name = "Le Guin"});
    auto book = make<Book>({.id = 70, .title = "The Dispossessed", .author_id = 7});
    s.add(book);
    s.add(author);
    counter->value = 11;
    s.remove(tag);
    try {
      s.flush();
      FAIL() << "the trigger should have failed the flush";
    } catch (const DatabaseError& e) {
      EXPECT_NE(std::string(e.what()).find("injected failure"), std::string::npos) << e.what();
    }
    if (own_transaction) {
      EXPECT_FALSE(s.in_transaction());
    }

    {
      auto guard = s.no_autoflush();
      EXPECT_EQ(table_dump(s), before) << "the database is as before the flush";
    }
    EXPECT_EQ(state_of(author), ObjectState::pending);
    EXPECT_EQ(state_of(book), ObjectState::pending);
    EXPECT_EQ(counter.get()->value, 11) << "the change is kept";
    EXPECT_EQ(counter.get()->version, 1) << "the version increment is undone";
    EXPECT_EQ(s.new_objects().size(), 2u);
    EXPECT_EQ(s.dirty_objects().size(), 1u);
    EXPECT_EQ(s.deleted_objects().size(), 1u);
    EXPECT_EQ(state_of(tag), ObjectState::persistent);

    s.execute(text(is_sqlite() ? "DROP TRIGGER fail_" + failing.table
                               : "DROP TRIGGER fail_" + failing.table + " ON " + failing.table));
    s.commit();
    EXPECT_EQ(count_rows("authors"), 1);
    EXPECT_EQ(count_rows("books"), 1);
    EXPECT_EQ(count_rows("tags"), 0);
    auto c = rows("SELECT value, version FROM counters");
    EXPECT_EQ(c.at(0).at(0).as_integer(), 11);
    EXPECT_EQ(c.at(0).at(1).as_integer(), 2);
  }

  void reset() {
    auto conn = engine_->connect();
    conn.execute(text("DELETE FROM books"));
    conn.execute(text("DELETE FROM authors"));
    conn.execute(text("UPDATE counters SET value = 10, version = 1"));
    conn.execute(text("INSERT INTO tags (id, label) VALUES (1, 'old')"));
  }
};
RELATE_INSTANTIATE_BACKENDS(FlushAtomicTest);

const Failing every_statement[] = {
    {"authors", "INSERT"}, {"books", "INSERT"}, {"counters", "UPDATE"}, {"tags", "DELETE"}};

TEST_P(FlushAtomicTest, EachStatementFailingInsideAnOpenTransaction) {
  for (const auto& f : every_statement) {
    run_case(f, false);
    reset();
  }
}

TEST_P(FlushAtomicTest, EachStatementFailingInTheFlushsOwnTransaction) {
  for (const auto& f : every_statement) {
    run_case(f, true);
    reset();
  }
}

}  // namespace
