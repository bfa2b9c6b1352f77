// The type adapters (core/types.hpp) in both directions.
//
// From the database side: a Value of any kind and content (what a loosely typed
// SQLite column can hand back) goes through from_value<T> for every shipped
// adapter. Each either returns a T or throws ConversionError; nothing else
// escapes, and no conversion is undefined behaviour (UBSan watches the
// narrowing casts). What an adapter accepts it writes back consistently: the
// same integer, the same date text, a timestamp that parses to the same instant.
//
// From the C++ side: values of every adapted type go to a Value and back and
// come out equal (or the adapter refuses them with ConversionError, as for
// dates outside 0001-9999).
//
// Value::repr() and format_params(), which the echo log uses, take any Value.

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "input.hpp"
#include "relate/core/error.hpp"
#include "relate/core/type_name.hpp"
#include "relate/core/types.hpp"
#include "relate/core/value.hpp"
#include "relate/engine/echo.hpp"

using relate::ConversionError;
using relate::Value;
using relate::ValueKind;
using relate::fuzz::check;
using namespace std::chrono;

namespace fuzz_types {
enum class Color : std::int8_t { red = 1, green = 2 };
enum class Size : std::uint16_t { small = 10, large = 65535 };
}  // namespace fuzz_types

template <>
struct relate::enum_labels<fuzz_types::Color> {
  static constexpr std::array values{
      std::pair{fuzz_types::Color::red, std::string_view("red")},
      std::pair{fuzz_types::Color::green, std::string_view("green")}};
};

namespace {

Value read_value(relate::fuzz::Input& in) {
  switch (in.pick(9)) {
    case 0: return Value();
    case 1: return Value(in.integer());
    case 2: return Value(in.real());
    case 3: return Value(in.flag());
    case 4: {
      const std::string bytes = in.text(64);
      relate::Blob blob;
      for (char c : bytes) blob.push_back(static_cast<std::byte>(c));
      return Value(std::move(blob));
    }
    case 5: {
      // Date-shaped text: digits where a date has them, with a random change or two.
      std::string t = std::to_string(in.pick(10000) + 10000).substr(1) + "-" +
                      std::to_string(in.pick(100) + 100).substr(1) + "-" +
                      std::to_string(in.pick(100) + 100).substr(1);
      if (in.flag()) {
        t += in.flag() ? " " : "T";
        t += std::to_string(in.pick(100) + 100).substr(1) + ":" +
             std::to_string(in.pick(100) + 100).substr(1) + ":" +
             std::to_string(in.pick(100) + 100).substr(1);
      }
      const std::string tail = in.text(12);
      t += tail;
      if (!t.empty() && in.flag()) t[in.pick(t.size())] = static_cast<char>(in.byte());
      return Value(t);
    }
    default: return Value(in.text(64));
  }
}

bool same_real(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b));
}

// from_value<T>(v): a T, or ConversionError. Returns the T when there is one.
template <class T>
std::optional<T> convert(const Value& v) {
  try {
    return relate::from_value<T>(v);
  } catch (const ConversionError&) {
    return std::nullopt;
  }
}

template <class I>
void integer_from(const Value& v) {
  if (auto x = convert<I>(v)) {
    check(relate::to_value(*x).as_integer() == v.as_integer(),
          "an integer read back is the integer written", v.repr());
  } else if (v.kind() == ValueKind::integer) {
    const std::int64_t i = v.as_integer();
    check(i < static_cast<std::int64_t>(std::numeric_limits<I>::min()) ||
              (i > 0 && static_cast<std::uint64_t>(i) > std::numeric_limits<I>::max()),
          "an integer in range is accepted", v.repr());
  }
}

void from_database(const Value& v) {
  integer_from<std::int8_t>(v);
  integer_from<std::uint8_t>(v);
  integer_from<std::int16_t>(v);
  integer_from<std::uint16_t>(v);
  integer_from<std::int32_t>(v);
  integer_from<std::uint32_t>(v);
  integer_from<std::int64_t>(v);
  integer_from<std::uint64_t>(v);
  integer_from<long long>(v);
  integer_from<unsigned long long>(v);

  if (auto b = convert<bool>(v)) check(v.as_integer() == (*b ? 1 : 0), "a boolean is 0 or 1");
  if (auto d = convert<double>(v)) check(same_real(*d, v.as_real()), "a double reads exactly");
  if (auto f = convert<float>(v)) {
    const double d = v.as_real();
    check(std::isnan(*f) == std::isnan(d) && std::isinf(*f) == std::isinf(d),
          "a float reads as the nearest float, never infinity for a finite value", v.repr());
  } else if (v.kind() == ValueKind::real || v.kind() == ValueKind::integer) {
    check(std::isfinite(v.as_real()) && std::abs(v.as_real()) > std::numeric_limits<float>::max(),
          "only a finite real beyond float's range is refused", v.repr());
  }
  if (auto s = convert<std::string>(v)) check(*s == v.as_text(), "text reads byte for byte");
  if (auto b = convert<relate::Blob>(v)) check(*b == v.as_blob(), "a blob reads byte for byte");
  if (auto b = convert<std::vector<std::uint8_t>>(v)) check(b->size() == v.as_blob().size(), "");

  if (auto o = convert<std::optional<std::int32_t>>(v)) check(o->has_value() != v.is_null(), "");

  if (auto day = convert<sys_days>(v)) {
    check(relate::to_value(*day) == v, "a date writes back as the text it was read from", v.repr());
  }
  if (auto ymd = convert<year_month_day>(v)) check(relate::to_value(*ymd) == v, "", v.repr());

  // Timestamps accept several spellings; written back, they are the canonical
  // one, which reads as the same instant.
  if (auto tp = convert<sys_time<microseconds>>(v)) {
    const Value canonical = relate::to_value(*tp);
    check(relate::from_value<sys_time<microseconds>>(canonical) == *tp,
          "a timestamp written back reads as the same instant", v.repr() + " " + canonical.repr());
  }
  if (auto tp = convert<sys_time<seconds>>(v)) (void)relate::to_value(*tp);
  if (auto tp = convert<sys_time<nanoseconds>>(v)) (void)relate::to_value(*tp);

  if (auto c = convert<fuzz_types::Color>(v)) check(relate::to_value(*c) == v, "", v.repr());
  if (auto s = convert<fuzz_types::Size>(v))
    check(relate::to_value(*s).as_integer() == v.as_integer(), "", v.repr());

  (void)v.repr();
  const Value values[] = {v, v};
  (void)relate::format_params(values);
}

template <class T>
void round_trip(const T& x) {
  T back;
  try {
    back = relate::from_value<T>(relate::to_value(x));
  } catch (const ConversionError&) {
    return;
  }
  if constexpr (std::is_floating_point_v<T>) {
    check(std::isnan(x) ? std::isnan(back) : back == x, "a real survives the round trip",
          relate::type_name<T>());
  } else {
    check(back == x, "a C++ value survives the round trip", relate::type_name<T>());
  }
}

void from_cpp(relate::fuzz::Input& in) {
  const std::int64_t i = in.integer();
  round_trip(static_cast<std::int8_t>(i));
  round_trip(static_cast<std::uint16_t>(i));
  round_trip(static_cast<std::int32_t>(i));
  round_trip(static_cast<std::uint32_t>(i));
  round_trip(i);
  round_trip(static_cast<std::uint64_t>(i));
  round_trip(in.real());
  round_trip(static_cast<float>(in.pick(2) ? in.integer() : 0.5));
  round_trip(in.text(32));
  round_trip(
      std::optional<std::int64_t>(in.flag() ? std::optional<std::int64_t>(i) : std::nullopt));

  // Dates and times across the whole range of the clock, inside and outside 0001-9999.
  const auto day = sys_days(days(static_cast<std::int32_t>(in.bits64())));
  round_trip(day);
  const auto near_day = sys_days(days(static_cast<std::int32_t>(in.integer() % 4'000'000)));
  round_trip(near_day);
  round_trip(year_month_day(near_day));
  const auto tp = sys_time<microseconds>(microseconds(static_cast<std::int64_t>(in.bits64())));
  round_trip(tp);
  round_trip(floor<seconds>(tp));
  const auto ns = sys_time<nanoseconds>(nanoseconds(static_cast<std::int64_t>(in.bits64())));
  try {
    const auto back = relate::from_value<sys_time<nanoseconds>>(relate::to_value(ns));
    check(back == floor<microseconds>(ns), "nanoseconds are truncated to microseconds");
  } catch (const ConversionError&) {
  }
  round_trip(static_cast<fuzz_types::Color>(in.byte()));
  round_trip(static_cast<fuzz_types::Size>(in.bits64()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  relate::fuzz::Input in(data, size);
  if (in.flag()) {
    from_database(read_value(in));
  } else {
    from_cpp(in);
  }
  return 0;
}
