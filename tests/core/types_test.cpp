// Type adapters without a database: conversions, range checks and the text
// forms of dates. Round trips through real tables are in tests/engine.

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "relate/relate.hpp"

using namespace std::chrono;
using relate::ConversionError;
using relate::from_value;
using relate::to_value;
using relate::Value;

namespace {
enum class Color { red = 1, green = 2 };
enum class Size : std::int8_t { small = -1, large = 1 };
}  // namespace

template <>
struct relate::enum_labels<Color> {
  static constexpr std::array values{std::pair{Color::red, std::string_view("red")},
                                     std::pair{Color::green, std::string_view("green")}};
};

TEST(Value, KindsAndAccessors) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_EQ(Value(42).as_integer(), 42);
  EXPECT_EQ(Value("x").as_text(), "x");
  EXPECT_EQ(Value(true).kind(), relate::ValueKind::boolean);
  EXPECT_THROW((void)Value("x").as_integer(), ConversionError);
  EXPECT_EQ(Value(std::int64_t{1}).as_boolean(), true);
  EXPECT_THROW((void)Value(std::int64_t{2}).as_boolean(), ConversionError);
}

TEST(Value, UnsignedAboveInt64IsRejected) {
  EXPECT_THROW((void)Value{std::numeric_limits<std::uint64_t>::max()}, ConversionError);
  EXPECT_EQ(Value(std::uint64_t{std::numeric_limits<std::int64_t>::max()}).as_integer(),
            std::numeric_limits<std::int64_t>::max());
}

TEST(Value, ReprQuotesTextAndNeverShowsBlobBytes) {
  EXPECT_EQ(Value("it's").repr(), "'it''s'");
  EXPECT_EQ(Value(relate::Blob(3)).repr(), "<blob 3 bytes>");
  EXPECT_EQ(Value().repr(), "NULL");
  EXPECT_EQ(Value(0.5).repr(), "0.5");
}

template <class I>
void expect_integer_limits() {
  constexpr auto lo = std::numeric_limits<I>::min();
  constexpr auto hi = std::numeric_limits<I>::max();
  EXPECT_EQ(from_value<I>(to_value(lo)), lo);
  EXPECT_EQ(from_value<I>(to_value(hi)), hi);
  if constexpr (sizeof(I) < 8) {
    EXPECT_THROW((void)from_value<I>(Value(static_cast<std::int64_t>(hi) + 1)), ConversionError);
  }
  if constexpr (std::is_unsigned_v<I>) {
    EXPECT_THROW((void)from_value<I>(Value(-1)), ConversionError);
  } else if constexpr (sizeof(I) < 8) {
    EXPECT_THROW((void)from_value<I>(Value(static_cast<std::int64_t>(lo) - 1)), ConversionError);
  }
}

TEST(TypeAdapter, EveryIntegerWidthIsRangeChecked) {
  expect_integer_limits<std::int8_t>();
  expect_integer_limits<std::uint8_t>();
  expect_integer_limits<std::int16_t>();
  expect_integer_limits<std::uint16_t>();
  expect_integer_limits<std::int32_t>();
  expect_integer_limits<std::uint32_t>();
  expect_integer_limits<std::int64_t>();
  EXPECT_THROW((void)from_value<std::uint64_t>(Value(-5)), ConversionError);
}

TEST(TypeAdapter, OutOfRangeMessageNamesValueAndType) {
  try {
    (void)from_value<std::int8_t>(Value(300));
    FAIL() << "expected ConversionError";
  } catch (const ConversionError& e) {
    EXPECT_STREQ(e.what(), "integer 300 is out of range for int8_t");
  }
}

// Found by fuzz/value.cpp: a double beyond float's range read into a float
// member became infinity without a word, where integers are range-checked.
TEST(TypeAdapter, FloatIsRangeChecked) {
  EXPECT_EQ(from_value<float>(Value(3.25)), 3.25f);
  EXPECT_EQ(from_value<float>(Value(std::int64_t{1} << 40)), static_cast<float>(1LL << 40));
  EXPECT_EQ(from_value<float>(Value(-1.0e38)), -1.0e38f);
  EXPECT_TRUE(std::isinf(from_value<float>(Value(std::numeric_limits<double>::infinity()))));
  EXPECT_TRUE(std::isnan(from_value<float>(Value(std::numeric_limits<double>::quiet_NaN()))));
  try {
    (void)from_value<float>(Value(1.0e300));
    FAIL() << "1e300 does not fit a float";
  } catch (const ConversionError& e) {
    EXPECT_STREQ(e.what(), "real 1e+300 is out of range for float");
  }
  EXPECT_THROW((void)from_value<float>(Value(-1.0e39)), ConversionError);
}

TEST(TypeAdapter, SqlTypesFollowTheCppType) {
  EXPECT_EQ(relate::type_adapter<std::int16_t>::sql_type.kind, relate::TypeKind::small_integer);
  EXPECT_EQ(relate::type_adapter<std::int32_t>::sql_type.kind, relate::TypeKind::integer);
  EXPECT_EQ(relate::type_adapter<std::uint32_t>::sql_type.kind, relate::TypeKind::big_integer);
  EXPECT_EQ(relate::type_adapter<std::int64_t>::sql_type.kind, relate::TypeKind::big_integer);
  EXPECT_EQ(relate::type_adapter<std::optional<std::string>>::sql_type.kind,
            relate::TypeKind::text);
  EXPECT_EQ(relate::type_adapter<Color>::sql_type.kind, relate::TypeKind::text);
  EXPECT_EQ(relate::type_adapter<Size>::sql_type.kind, relate::TypeKind::small_integer);
  EXPECT_EQ(relate::type_adapter<sys_days>::sql_type.kind, relate::TypeKind::date);
  EXPECT_EQ(relate::type_adapter<sys_time<microseconds>>::sql_type.kind,
            relate::TypeKind::timestamp);
}

TEST(TypeAdapter, NullNeedsOptional) {
  EXPECT_EQ(from_value<std::optional<int>>(Value()), std::nullopt);
  EXPECT_EQ(from_value<std::optional<int>>(Value(3)), 3);
  EXPECT_TRUE(to_value(std::optional<std::string>{}).is_null());
  try {
    (void)from_value<std::string>(Value());
    FAIL() << "expected ConversionError";
  } catch (const ConversionError& e) {
    EXPECT_NE(std::string(e.what()).find("std::optional"), std::string::npos) << e.what();
  }
}

TEST(TypeAdapter, BlobsKeepZeroBytes) {
  std::vector<std::uint8_t> bytes{0, 1, 0, 255};
  auto back = from_value<std::vector<std::uint8_t>>(to_value(bytes));
  EXPECT_EQ(back, bytes);
  relate::Blob blob{std::byte{0}, std::byte{0x7f}};
  EXPECT_EQ(from_value<relate::Blob>(to_value(blob)), blob);
}

TEST(TypeAdapter, EnumsAsIntegerAndAsText) {
  EXPECT_EQ(to_value(Size::small), Value(-1));
  EXPECT_EQ(from_value<Size>(Value(1)), Size::large);
  EXPECT_EQ(to_value(Color::green), Value("green"));
  EXPECT_EQ(from_value<Color>(Value("red")), Color::red);
  EXPECT_THROW((void)from_value<Color>(Value("blue")), ConversionError);
  EXPECT_THROW((void)to_value(static_cast<Color>(7)), ConversionError);
}

TEST(TypeAdapter, DatesFarFromToday) {
  const sys_days first = year{1} / January / 1;
  const sys_days last = year{9999} / December / 31;
  EXPECT_EQ(to_value(first), Value("0001-01-01"));
  EXPECT_EQ(to_value(last), Value("9999-12-31"));
  EXPECT_EQ(from_value<sys_days>(Value("0001-01-01")), first);
  EXPECT_EQ(from_value<sys_days>(Value("9999-12-31")), last);
  EXPECT_EQ(from_value<year_month_day>(Value("2024-02-29")), year{2024} / February / 29);
  EXPECT_THROW((void)to_value(sys_days(year{10000} / January / 1)), ConversionError);
  // Found by fuzz/value.cpp: a day count beyond year 32767 wrapped around to a
  // year inside 0001-9999 and was written as that wrong date.
  const sys_days year_67536 = sys_days(days(23'947'500));  // read as 2000-01-12 before
  EXPECT_THROW((void)to_value(year_67536), ConversionError);
  EXPECT_THROW((void)to_value(sys_days(days(-800'000))), ConversionError);
  EXPECT_THROW((void)from_value<sys_days>(Value("2023-02-29")), ConversionError);
  EXPECT_THROW((void)from_value<sys_days>(Value("2023-1-01")), ConversionError);
}

TEST(TypeAdapter, TimestampsWithMicroseconds) {
  const sys_time<microseconds> tp = sys_days(year{1969} / July / 20) + hours(20) + minutes(17) +
                                    seconds(40) + microseconds(123456);
  EXPECT_EQ(to_value(tp), Value("1969-07-20 20:17:40.123456"));
  EXPECT_EQ(from_value<sys_time<microseconds>>(Value("1969-07-20 20:17:40.123456")), tp);
  // PostgreSQL prints no fraction when it is zero, and timestamptz adds +00.
  EXPECT_EQ(from_value<sys_time<microseconds>>(Value("1969-07-20T20:17:40+00")),
            tp - microseconds(123456));
  EXPECT_EQ(from_value<sys_time<microseconds>>(Value("1969-07-20 20:17:40.5")),
            tp - microseconds(123456) + milliseconds(500));
  const sys_time<microseconds> far = sys_days(year{9999} / December / 31) + hours(23) +
                                     minutes(59) + seconds(59) + microseconds(999999);
  EXPECT_EQ(from_value<sys_time<microseconds>>(to_value(far)), far);
  // Found by fuzz/value.cpp: at the ends of the clock's range the day arithmetic
  // overflowed (undefined behaviour) before the year was checked.
  EXPECT_THROW((void)to_value(sys_time<microseconds>::min()), ConversionError);
  EXPECT_THROW((void)to_value(sys_time<microseconds>::max()), ConversionError);
  EXPECT_THROW((void)to_value(far + microseconds(1)), ConversionError);
  EXPECT_THROW(
      (void)to_value(sys_time<microseconds>(sys_days(year{1} / January / 1)) - microseconds(1)),
      ConversionError);
  // Coarser durations are checked before they are converted to microseconds.
  EXPECT_THROW((void)to_value(sys_time<seconds>::min()), ConversionError);
  EXPECT_THROW((void)to_value(sys_time<hours>::max()), ConversionError);
  EXPECT_EQ(to_value(floor<seconds>(far)), Value("9999-12-31 23:59:59.000000"));
  // Nanosecond time points (system_clock's here) reach 1677-2262 only: a later
  // timestamp read into one is refused instead of overflowing.
  EXPECT_THROW((void)from_value<sys_time<nanoseconds>>(Value("2263-01-01 00:00:00")),
               ConversionError);
  EXPECT_THROW((void)from_value<sys_time<nanoseconds>>(Value("1677-01-01 00:00:00")),
               ConversionError);
  EXPECT_EQ(from_value<sys_time<nanoseconds>>(Value("2262-01-01 00:00:00")),
            sys_time<nanoseconds>(sys_days(year{2262} / January / 1)));
  EXPECT_THROW((void)from_value<sys_time<microseconds>>(Value("1969-07-20 25:00:00")),
               ConversionError);
  EXPECT_THROW((void)from_value<sys_time<microseconds>>(Value("1969-07-20 20:17:40+02")),
               ConversionError);
  // system_clock time points (nanoseconds on this platform) are truncated to microseconds.
  const auto now = system_clock::now();
  EXPECT_EQ(from_value<system_clock::time_point>(to_value(now)), floor<microseconds>(now));
}

namespace {
struct Money {
  std::int64_t cents = 0;
  friend bool operator==(const Money&, const Money&) = default;
};
}  // namespace

template <>
struct relate::type_adapter<Money> {
  static constexpr relate::SqlType sql_type{relate::TypeKind::big_integer};
  static relate::Value to_value(const Money& m) { return m.cents; }
  static Money from_value(const relate::Value& v) { return {v.as_integer()}; }
};

TEST(TypeAdapter, UserDefinedType) {
  static_assert(relate::SqlValueType<Money>);
  static_assert(relate::SqlValueType<std::optional<Money>>);
  static_assert(!relate::SqlValueType<std::vector<int>>);
  EXPECT_EQ(from_value<Money>(to_value(Money{1250})), Money{1250});
  EXPECT_EQ(from_value<std::optional<Money>>(Value()), std::nullopt);
}
