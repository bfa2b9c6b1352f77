// Hostile input (issue 8): strings built to break SQL stay data on every path a
// value takes (INSERT, UPDATE, filters, IN lists, merge, bulk UPDATE), on both
// backends, and come back byte for byte. What a database refuses (PostgreSQL
// text cannot hold NUL or invalid UTF-8) is a clear DataError that leaves the
// Session and the database as they were. Values of the wrong type in SQLite's
// loosely typed columns are ConversionErrors naming the column, never a
// misread.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "orm/orm_test_util.hpp"
#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::message_of;
using relate::testing::OrmTest;

namespace {

struct Note {
  std::int64_t id = 0;
  std::string body{};
  std::optional<std::string> tag{};
};

// Quotes, statement separators, comment markers, every placeholder spelling,
// LIKE wildcards, backslashes, control characters, non-ASCII text and long text.
std::vector<std::string> hostile_strings() {
  return {"'",
          "''",
          "\"",
          "\\",
          "\\'",
          "'; DROP TABLE notes; --",
          "'); DROP TABLE notes; --",
          "\" OR \"1\"=\"1",
          "1 OR 1=1",
          "x' OR 'x'='x",
          "$1",
          "$2::text",
          "$$ dollar $$",
          "?",
          "?1",
          ":body",
          ":1",
          "%",
          "_",
          "%_\\%",
          "--",
          "/* comment */",
          ";",
          "\n\r\t\b\f",
          "\x01\x1f\x7f",
          "NULL",
          "",
          " ",
          "caf\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97 \xf0\x9f\x99\x82",
          std::string(100'000, 'x') + "'",
          std::string(1 << 20, '\'')};
}

// What PostgreSQL text cannot hold; SQLite keeps it.
std::vector<std::string> bytes_postgresql_refuses() {
  return {
      std::string("a\0b", 3), std::string(1, '\0'), "\xff\xfe", "\xc3\x28", "\xed\xa0\x80", "\x80"};
}

std::string shown(const std::string& s) {
  if (s.size() > 40) return "<" + std::to_string(s.size()) + " bytes>";
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

class BadInput : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<Note>("notes", [](auto& m) {
      m.column("id", &Note::id, primary_key());
      m.column("body", &Note::body);
      m.column("tag", &Note::tag);
    });
    create_schema();
  }

  // The strings this backend stores.
  std::vector<std::string> strings() const {
    auto out = hostile_strings();
    if (is_sqlite())
      for (auto& s : bytes_postgresql_refuses()) out.push_back(s);
    return out;
  }

  // Every note, read by a fresh Session, in id order.
  std::vector<Note> all_notes() {
    auto s = session();
    std::vector<Note> out;
    for (const auto& n : s.query<Note>().order_by(&Note::id).all()) out.push_back(*n);
    return out;
  }

  void insert_all(const std::vector<std::string>& values) {
    auto s = session();
    for (std::size_t i = 0; i < values.size(); ++i)
      s.add(make<Note>(
          {.id = static_cast<std::int64_t>(i + 1), .body = values[i], .tag = values[i]}));
    s.commit();
  }
};
RELATE_INSTANTIATE_BACKENDS(BadInput);

TEST_P(BadInput, InsertedStringsComeBackByteForByte) {
  const auto values = strings();
  insert_all(values);
  const auto notes = all_notes();
  ASSERT_EQ(notes.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(notes[i].body, values[i]) << shown(values[i]);
    EXPECT_EQ(notes[i].tag, values[i]) << shown(values[i]);
  }
  // The table is still there, with every row: nothing ran as SQL.
  EXPECT_EQ(count_rows("notes"), static_cast<std::int64_t>(values.size()));
  auto raw = rows("SELECT body FROM notes WHERE id = 6");
  EXPECT_EQ(raw.at(0).at(0).as_text(), "'; DROP TABLE notes; --");
}

TEST_P(BadInput, FiltersAndInListsMatchExactlyTheirString) {
  const auto values = strings();
  insert_all(values);
  auto s = session();
  for (std::size_t i = 0; i < values.size(); ++i) {
    SCOPED_TRACE(shown(values[i]));
    auto found = s.query<Note>().filter(col(&Note::body) == values[i]).all();
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0]->id, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(s.query<Note>().filter_by(&Note::tag, values[i]).count(), 1);
    EXPECT_EQ(s.query<Note>().filter(col(&Note::body) != values[i]).count(),
              static_cast<std::int64_t>(values.size() - 1));
  }
  EXPECT_EQ(s.query<Note>().filter(col(&Note::body).in(values)).count(),
            static_cast<std::int64_t>(values.size()));
  EXPECT_EQ(s.query<Note>().filter(col(&Note::body).not_in(values)).count(), 0);
  const std::vector<std::string> some{values[0], values[5], values[10], values.back()};
  auto picked = s.query<Note>().filter(col(&Note::tag).in(some)).order_by(&Note::id).all();
  ASSERT_EQ(picked.size(), 4u);
  EXPECT_EQ(picked[1]->body, values[5]);
  EXPECT_EQ(picked[3]->body, values.back());
  // Strings that look like SQL match nothing they spell.
  EXPECT_EQ(s.query<Note>().filter(col(&Note::body) == "x' OR 'x'='x'").count(), 0);
}

TEST_P(BadInput, UpdatedMergedAndBulkUpdatedStringsStayData) {
  const auto values = strings();
  insert_all(values);
  {
    // Unit-of-work UPDATE: each row takes the next row's string.
    auto s = session();
    auto notes = s.query<Note>().order_by(&Note::id).all();
    for (std::size_t i = 0; i < notes.size(); ++i) notes[i]->body = values[(i + 1) % values.size()];
    s.commit();
  }
  auto notes = all_notes();
  for (std::size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(notes[i].body, values[(i + 1) % values.size()]) << shown(values[i]);
  {
    // merge() of detached copies carrying the strings back.
    auto s = session();
    for (std::size_t i = 0; i < values.size(); ++i)
      (void)s.merge(make<Note>(
          {.id = static_cast<std::int64_t>(i + 1), .body = values[i], .tag = std::nullopt}));
    s.commit();
  }
  notes = all_notes();
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(notes[i].body, values[i]) << shown(values[i]);
    EXPECT_EQ(notes[i].tag, std::nullopt);
  }
  {
    // A bulk UPDATE with a hostile value, selected by a hostile value.
    auto s = session();
    EXPECT_EQ(s.query<Note>()
                  .filter(col(&Note::body) == "'); DROP TABLE notes; --")
                  .bulk_update({assign(&Note::tag, std::string("$1 ? :tag '"))}),
              1);
    s.commit();
  }
  EXPECT_EQ(rows("SELECT tag FROM notes WHERE id = 7").at(0).at(0).as_text(), "$1 ? :tag '");
  EXPECT_EQ(count_rows("notes"), static_cast<std::int64_t>(values.size()));
}

// PostgreSQL refuses NUL and invalid UTF-8 in text. The refusal is a DataError
// with SQLSTATE 22021 naming the problem; the failed flush leaves the object
// pending with its value, and once the value is fixed the same Session flushes.
TEST(BadInputPostgresql, TextPostgresqlCannotHoldIsAClearErrorAndChangesNothing) {
  relate::testing::TestDatabase db("postgresql");
  Registry registry;
  registry.map<Note>("notes", [](auto& m) {
    m.column("id", &Note::id, primary_key());
    m.column("body", &Note::body);
    m.column("tag", &Note::tag);
  });
  auto engine = create_engine(db.url());
  registry.create_all(engine);
  {
    Session s(engine, registry);
    s.add(make<Note>({.id = 1, .body = "kept"}));
    s.commit();
  }
  std::int64_t next = 2;
  for (const auto& bad : bytes_postgresql_refuses()) {
    SCOPED_TRACE(shown(bad));
    Session s(engine, registry);
    auto note = make<Note>({.id = next, .body = bad});
    s.add(note);
    try {
      s.flush();
      FAIL() << "PostgreSQL stored text it cannot hold";
    } catch (const DataError& e) {
      EXPECT_EQ(e.sqlstate(), "22021");
      EXPECT_NE(std::string(e.what()).find("invalid byte sequence for encoding \"UTF8\""),
                std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("INSERT INTO notes"), std::string::npos) << e.what();
    }
    EXPECT_EQ(state_of(note), ObjectState::pending);
    EXPECT_EQ(note->body, bad);
    note->body = "fixed";
    s.commit();
    ++next;
  }
  {
    Session s(engine, registry);
    EXPECT_EQ(s.query<Note>().count(), next - 1);
    EXPECT_EQ(s.get<Note>(1)->body, "kept");
    // In a filter the refusal is the same error. PostgreSQL then refuses every
    // statement of that transaction until it is rolled back; after rollback()
    // the Session works again.
    EXPECT_THROW(
        (void)s.query<Note>().filter(col(&Note::body) == bytes_postgresql_refuses()[0]).all(),
        DataError);
    try {
      (void)s.query<Note>().count();
      FAIL() << "PostgreSQL went on after an error inside the transaction";
    } catch (const DatabaseError& e) {
      EXPECT_EQ(e.sqlstate(), "25P02");
      EXPECT_NE(std::string(e.what()).find("current transaction is aborted"), std::string::npos)
          << e.what();
    }
    s.rollback();
    EXPECT_EQ(s.query<Note>().filter(col(&Note::body) == "kept").count(), 1);
  }
}

// ---- SQLite's loose typing ---------------------------------------------------------------

struct Reading {
  std::int64_t id = 0;
  std::int32_t count = 0;
  double ratio = 0;
  bool flag = false;
  std::chrono::sys_days day{};
  std::optional<std::string> label{};
};

class LooseTyping : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.map<Reading>("readings", [](auto& m) {
      m.column("id", &Reading::id, primary_key());
      m.column("count", &Reading::count);
      m.column("ratio", &Reading::ratio);
      m.column("flag", &Reading::flag);
      m.column("day", &Reading::day);
      m.column("label", &Reading::label);
    });
    registry_.create_all(engine_);
    auto conn = engine_.connect();
    conn.execute(text("INSERT INTO readings VALUES (1, 3, 0.5, 1, '2024-02-29', 'fine')"));
  }

  // A row whose one column holds what SQLite let through.
  void store(std::int64_t id, const std::string& column, const std::string& sql_value) {
    auto conn = engine_.connect();
    conn.execute(text("INSERT INTO readings VALUES (" + std::to_string(id) +
                      ", 3, 0.5, 1, '2024-02-29', 'x')"));
    conn.execute(text("UPDATE readings SET \"" + column + "\" = " + sql_value +
                      " WHERE id = " + std::to_string(id)));
  }

  relate::testing::TestDatabase db_{"sqlite"};
  Engine engine_ = create_engine(db_.url());
  Registry registry_;
};

TEST_F(LooseTyping, WrongValueInAColumnIsAConversionErrorNamingIt) {
  struct Case {
    const char* column;
    const char* stored;
    const char* says;
  };
  const Case cases[] = {
      {"count", "'abc'", "expected an integer value, got text"},
      {"count", "3.5", "expected an integer value, got real"},
      {"count", "x'00ff'", "expected an integer value, got blob"},
      {"count", "4294967296", "integer 4294967296 is out of range for int32_t"},
      {"ratio", "'abc'", "expected a real value, got text"},
      {"flag", "2", "integer 2 is not a boolean (0 or 1)"},
      {"flag", "'yes'", "expected a boolean value, got text"},
      {"day", "'yesterday'", "'yesterday' is not a valid date (YYYY-MM-DD)"},
      {"day", "20240229", "expected a text value, got integer"},
      {"label", "x'01'", "expected a text value, got blob"},
  };
  std::int64_t id = 10;
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.column) + " = " + c.stored);
    store(id, c.column, c.stored);
    Session s(engine_, registry_);
    const std::string message = message_of<ConversionError>([&] { (void)s.get<Reading>(id); });
    EXPECT_NE(message.find("Reading." + std::string(c.column) + ": "), std::string::npos)
        << message;
    EXPECT_NE(message.find(c.says), std::string::npos) << message;
    // The same through a query, and the Session still loads good rows.
    EXPECT_THROW((void)s.query<Reading>().filter(col(&Reading::id) == id).all(), ConversionError);
    EXPECT_EQ(s.get<Reading>(1)->day,
              std::chrono::sys_days(std::chrono::year{2024} / std::chrono::February / 29));
    ++id;
  }
}

}  // namespace
