// Every Value kind and every type adapter through real tables on both backends.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "relate/relate.hpp"
#include "support/backend.hpp"
#include "support/sql.hpp"

using namespace relate;
using relate::testing::exec;
using relate::testing::raw;

namespace {

enum class Color : std::uint8_t { red, green, blue };
enum class Level : std::int16_t { low = -3, high = 300 };

}  // namespace

template <>
struct relate::enum_labels<Color> {
  static constexpr std::array values{std::pair{Color::red, std::string_view("red")},
                                     std::pair{Color::green, std::string_view("green")},
                                     std::pair{Color::blue, std::string_view("blue")}};
};

namespace {

class Types : public relate::testing::BackendTest {
 protected:
  void SetUp() override {
    db_ = std::make_unique<relate::testing::TestDatabase>(backend());
    engine_ = std::make_unique<Engine>(create_engine(db_->url()));
    conn_ = std::make_unique<Connection>(engine_->connect());
  }
  void TearDown() override {
    conn_.reset();
    engine_.reset();
    db_.reset();
  }

  // Stores `v` in a fresh column of `type` and reads it back.
  template <class T>
  T round_trip(const std::string& type, const T& v) {
    exec(*conn_, "DROP TABLE IF EXISTS rt");
    exec(*conn_, "CREATE TABLE rt (v " + type + ")");
    exec(*conn_, "INSERT INTO rt (v) VALUES ({})", {to_value(v)});
    return conn_->execute(raw(conn_->dialect(), "SELECT v FROM rt")).one().template get<T>("v");
  }
  Value round_trip_value(const std::string& type, const Value& v) {
    exec(*conn_, "DROP TABLE IF EXISTS rt");
    exec(*conn_, "CREATE TABLE rt (v " + type + ")");
    exec(*conn_, "INSERT INTO rt (v) VALUES ({})", {v});
    return conn_->execute(raw(conn_->dialect(), "SELECT v FROM rt")).scalar();
  }
  std::string blob() const { return is_sqlite() ? "BLOB" : "BYTEA"; }

  std::unique_ptr<relate::testing::TestDatabase> db_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Connection> conn_;
};

TEST_P(Types, NullOfEveryKind) {
  for (const char* type : {"BIGINT", "DOUBLE PRECISION", "TEXT", "BOOLEAN", "DATE", "TIMESTAMP"}) {
    EXPECT_TRUE(round_trip_value(type, Value()).is_null()) << type;
  }
  EXPECT_TRUE(round_trip_value(blob(), Value()).is_null());
  EXPECT_EQ(round_trip<std::optional<std::int64_t>>("BIGINT", std::nullopt), std::nullopt);
  EXPECT_EQ(round_trip<std::optional<std::string>>("TEXT", std::nullopt), std::nullopt);
  EXPECT_EQ(round_trip<std::optional<std::string>>("TEXT", "x"), "x");
  // NULL into a non-optional is an error that names the column.
  try {
    (void)round_trip<std::int64_t>("BIGINT", 0);
    exec(*conn_, "UPDATE rt SET v = NULL");
    (void)conn_->execute(raw(conn_->dialect(), "SELECT v FROM rt")).one().get<std::int64_t>(0);
    FAIL();
  } catch (const ConversionError& e) {
    EXPECT_NE(std::string(e.what()).find("column 'v'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("std::optional"), std::string::npos) << e.what();
  }
}

TEST_P(Types, IntegerLimitsOfEveryWidth) {
  using L64 = std::numeric_limits<std::int64_t>;
  EXPECT_EQ(round_trip<std::int64_t>("BIGINT", L64::min()), L64::min());
  EXPECT_EQ(round_trip<std::int64_t>("BIGINT", L64::max()), L64::max());
  EXPECT_EQ(round_trip<std::int32_t>("INTEGER", INT32_MIN), INT32_MIN);
  EXPECT_EQ(round_trip<std::int32_t>("INTEGER", INT32_MAX), INT32_MAX);
  EXPECT_EQ(round_trip<std::int16_t>("SMALLINT", INT16_MIN), INT16_MIN);
  EXPECT_EQ(round_trip<std::int16_t>("SMALLINT", INT16_MAX), INT16_MAX);
  EXPECT_EQ(round_trip<std::int8_t>("SMALLINT", INT8_MIN), INT8_MIN);
  EXPECT_EQ(round_trip<std::int8_t>("SMALLINT", INT8_MAX), INT8_MAX);
  EXPECT_EQ(round_trip<std::uint8_t>("SMALLINT", UINT8_MAX), UINT8_MAX);
  EXPECT_EQ(round_trip<std::uint16_t>("INTEGER", UINT16_MAX), UINT16_MAX);
  EXPECT_EQ(round_trip<std::uint32_t>("BIGINT", UINT32_MAX), UINT32_MAX);
  EXPECT_EQ(round_trip<std::uint64_t>("BIGINT", std::uint64_t{L64::max()}),
            std::uint64_t{L64::max()});
  EXPECT_EQ(round_trip<std::uint64_t>("BIGINT", std::uint64_t{0}), 0u);
  // Beyond int64 a value cannot even be made.
  EXPECT_THROW((void)to_value(std::uint64_t{L64::max()} + 1), ConversionError);
}

TEST_P(Types, IntegersOutOfRangeComeBackAsErrors) {
  exec(*conn_, "CREATE TABLE wide (v BIGINT)");
  exec(*conn_, "INSERT INTO wide (v) VALUES ({})", {300});
  exec(*conn_, "INSERT INTO wide (v) VALUES ({})", {-1});
  exec(*conn_, "INSERT INTO wide (v) VALUES ({})", {std::int64_t{1} << 40});
  auto rows = conn_->execute(raw(conn_->dialect(), "SELECT v FROM wide ORDER BY v")).all();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_THROW((void)rows[0].get<std::uint8_t>(0), ConversionError);  // -1
  EXPECT_THROW((void)rows[0].get<std::uint64_t>(0), ConversionError);
  EXPECT_EQ(rows[0].get<std::int8_t>(0), -1);
  EXPECT_THROW((void)rows[1].get<std::int8_t>(0), ConversionError);  // 300
  EXPECT_EQ(rows[1].get<std::int16_t>(0), 300);
  EXPECT_THROW((void)rows[2].get<std::int32_t>(0), ConversionError);  // 2^40
  try {
    (void)rows[1].get<std::int8_t>("v");
  } catch (const ConversionError& e) {
    EXPECT_NE(std::string(e.what()).find("column 'v': integer 300 is out of range for int8_t"),
              std::string::npos)
        << e.what();
  }
}

TEST_P(Types, Reals) {
  const double values[] = {0.0,
                           1.5,
                           -2.25,
                           1e300,
                           -1e-300,
                           0.1,
                           1.7976931348623157e308,
                           2.2250738585072014e-308,
                           123456789.123456789};
  for (double d : values) EXPECT_EQ(round_trip<double>("DOUBLE PRECISION", d), d);
  EXPECT_EQ(round_trip<float>("DOUBLE PRECISION", 3.25f), 3.25f);
  const double neg_zero = round_trip<double>("DOUBLE PRECISION", -0.0);
  EXPECT_EQ(neg_zero, 0.0);
  if (is_postgres()) {
    EXPECT_TRUE(std::signbit(neg_zero));
  }
  // SQLite writes integral REAL values as integers on disk, so -0.0 comes back as 0.0.
  EXPECT_TRUE(std::isinf(round_trip<double>("DOUBLE PRECISION", HUGE_VAL)));
  // An integer read as a real is fine; a real read as an integer is not.
  EXPECT_EQ(round_trip_value("BIGINT", 7).as_real(), 7.0);
}

TEST_P(Types, Text) {
  EXPECT_EQ(round_trip<std::string>("TEXT", ""), "");
  const std::string unicode = "Zoë ünïcødé ✓ 日本語 🎉 Ω";
  EXPECT_EQ(round_trip<std::string>("TEXT", unicode), unicode);
  const std::string long_text(100'000, 'x');
  EXPECT_EQ(round_trip<std::string>("TEXT", long_text), long_text);
  EXPECT_EQ(round_trip<std::string>("VARCHAR(20)", "short"), "short");
  // Empty text and NULL stay different.
  EXPECT_FALSE(round_trip_value("TEXT", "").is_null());
}

TEST_P(Types, TextWithEmbeddedNul) {
  const std::string with_nul("a\0b", 3);
  if (is_sqlite()) {
    EXPECT_EQ(round_trip<std::string>("TEXT", with_nul), with_nul);
  } else {
    // PostgreSQL text cannot hold NUL; the server says so rather than truncating.
    try {
      (void)round_trip<std::string>("TEXT", with_nul);
      FAIL() << "PostgreSQL accepted a NUL byte in text";
    } catch (const DataError& e) {
      EXPECT_EQ(e.sqlstate().substr(0, 2), "22") << e.what();
    }
  }
}

TEST_P(Types, Blobs) {
  const Blob bytes{std::byte{0},    std::byte{0xff}, std::byte{0}, std::byte{0x7f},
                   std::byte{'\''}, std::byte{'\\'}, std::byte{0}};
  EXPECT_EQ(round_trip<Blob>(blob(), bytes), bytes);
  const Value empty = round_trip_value(blob(), Blob{});
  ASSERT_EQ(empty.kind(), ValueKind::blob);
  EXPECT_TRUE(empty.as_blob().empty());
  Blob all(256);
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<std::byte>(i);
  EXPECT_EQ(round_trip<Blob>(blob(), all), all);
  const std::vector<std::uint8_t> v{0, 1, 2, 0, 255};
  EXPECT_EQ(round_trip<std::vector<std::uint8_t>>(blob(), v), v);
}

TEST_P(Types, Booleans) {
  EXPECT_EQ(round_trip<bool>("BOOLEAN", true), true);
  EXPECT_EQ(round_trip<bool>("BOOLEAN", false), false);
  EXPECT_EQ(round_trip_value("BOOLEAN", true).kind(), ValueKind::boolean);
  EXPECT_EQ(round_trip<std::optional<bool>>("BOOLEAN", std::nullopt), std::nullopt);
}

TEST_P(Types, DatesAndTimestamps) {
  using namespace std::chrono;
  const sys_days first = year{1} / January / 1;
  const sys_days last = year{9999} / December / 31;
  const sys_days leap = year{2024} / February / 29;
  EXPECT_EQ(round_trip<sys_days>("DATE", first), first);
  EXPECT_EQ(round_trip<sys_days>("DATE", last), last);
  EXPECT_EQ(round_trip<sys_days>("DATE", leap), leap);
  const year_month_day ymd = year{2020} / 1 / 1;
  EXPECT_EQ(round_trip<year_month_day>("DATE", ymd), ymd);

  const auto tp = sys_days(year{2021} / March / 14) + hours(1) + minutes(59) + seconds(26) +
                  microseconds(535897);
  EXPECT_EQ(round_trip<sys_time<microseconds>>("TIMESTAMP", tp), tp);
  const sys_time<microseconds> early = sys_days(first);
  EXPECT_EQ(round_trip<sys_time<microseconds>>("TIMESTAMP", early), early);
  const sys_time<microseconds> late =
      sys_days(last) + hours(23) + minutes(59) + seconds(59) + microseconds(999999);
  EXPECT_EQ(round_trip<sys_time<microseconds>>("TIMESTAMP", late), late);
  // Whole seconds come back as such (PostgreSQL drops the fraction in its output).
  const sys_seconds whole = sys_days(leap) + hours(12);
  EXPECT_EQ(round_trip<sys_seconds>("TIMESTAMP", whole), whole);
}

TEST_P(Types, DateColumnAcceptsText) {
  exec(*conn_, "CREATE TABLE d (v DATE)");
  exec(*conn_, "INSERT INTO d (v) VALUES ({})", {"2020-01-01"});
  EXPECT_EQ(conn_->execute(raw(conn_->dialect(), "SELECT v FROM d")).scalar<std::string>(),
            "2020-01-01");
}

TEST_P(Types, Enums) {
  EXPECT_EQ(round_trip<Color>("TEXT", Color::green), Color::green);
  EXPECT_EQ(round_trip_value("TEXT", to_value(Color::blue)), Value("blue"));
  EXPECT_EQ(round_trip<Level>("SMALLINT", Level::low), Level::low);
  EXPECT_EQ(round_trip<Level>("SMALLINT", Level::high), Level::high);
  EXPECT_EQ(round_trip_value("SMALLINT", to_value(Level::high)), Value(300));
  EXPECT_EQ(round_trip<std::optional<Color>>("TEXT", std::nullopt), std::nullopt);
  exec(*conn_, "UPDATE rt SET v = {}", {"purple"});
  EXPECT_THROW((void)conn_->execute(raw(conn_->dialect(), "SELECT v FROM rt")).one().get<Color>(0),
               ConversionError);
}

TEST_P(Types, HostileStringsAreStoredVerbatim) {
  exec(*conn_, "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)");
  const std::vector<std::string> hostile{"'",
                                         "''",
                                         "\"",
                                         ";",
                                         "--",
                                         "/* comment */",
                                         "'); DROP TABLE t; --",
                                         "Robert'); DROP TABLE students;--",
                                         "\\",
                                         "$1",
                                         "?",
                                         ":name",
                                         "%s",
                                         "\n\r\t",
                                         "E'\\x00'"};
  int id = 0;
  for (const auto& s : hostile) exec(*conn_, "INSERT INTO t (id, s) VALUES ({}, {})", {++id, s});
  auto rows = conn_->execute(raw(conn_->dialect(), "SELECT s FROM t ORDER BY id")).all();
  ASSERT_EQ(rows.size(), hostile.size());
  for (std::size_t i = 0; i < hostile.size(); ++i)
    EXPECT_EQ(rows[i].get<std::string>(0), hostile[i]);
  // The table survived, and filtering on a hostile value finds exactly it.
  EXPECT_EQ(conn_
                ->execute(raw(conn_->dialect(), "SELECT COUNT(*) FROM t WHERE s = {}",
                              {"'); DROP TABLE t; --"}))
                .scalar<std::int64_t>(),
            1);
}

RELATE_INSTANTIATE_BACKENDS(Types);

}  // namespace
