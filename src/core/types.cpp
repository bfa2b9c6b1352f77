#include "relate/core/types.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace relate {

std::string_view to_string(TypeKind kind) noexcept {
  switch (kind) {
    case TypeKind::small_integer: return "small_integer";
    case TypeKind::integer: return "integer";
    case TypeKind::big_integer: return "big_integer";
    case TypeKind::real: return "real";
    case TypeKind::text: return "text";
    case TypeKind::blob: return "blob";
    case TypeKind::boolean: return "boolean";
    case TypeKind::date: return "date";
    case TypeKind::timestamp: return "timestamp";
  }
  return "unknown";
}

namespace detail {

void integer_out_of_range(std::int64_t value, std::string_view cpp_type) {
  throw ConversionError("integer " + std::to_string(value) + " is out of range for " +
                        std::string(cpp_type));
}

float narrow_to_float(double value) {
  if (std::isfinite(value) && std::abs(value) > std::numeric_limits<float>::max()) {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, value);
    throw ConversionError("real " + std::string(buf, res.ptr) + " is out of range for float");
  }
  return static_cast<float>(value);
}

namespace {

using namespace std::chrono;

void check_year(int y) {
  if (y < 1 || y > 9999)
    throw ConversionError("year " + std::to_string(y) +
                          " is outside the supported range 0001-9999");
}

[[noreturn]] void bad_text(std::string_view what, std::string_view text) {
  throw ConversionError("'" + std::string(text) + "' is not a valid " + std::string(what));
}

// Reads exactly `width` digits at `pos`.
bool read_digits(std::string_view text, std::size_t pos, std::size_t width, int& out) {
  if (pos + width > text.size()) return false;
  for (std::size_t i = pos; i < pos + width; ++i)
    if (text[i] < '0' || text[i] > '9') return false;
  auto res = std::from_chars(text.data() + pos, text.data() + pos + width, out);
  return res.ec == std::errc();
}

sys_days parse_date_prefix(std::string_view text, std::string_view what) {
  int y = 0, m = 0, d = 0;
  if (text.size() < 10 || !read_digits(text, 0, 4, y) || text[4] != '-' ||
      !read_digits(text, 5, 2, m) || text[7] != '-' || !read_digits(text, 8, 2, d))
    bad_text(what, text);
  year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) bad_text(what, text);
  check_year(y);
  return sys_days(ymd);
}

constexpr sys_days first_day = year{1} / January / 1;
constexpr sys_days last_day = year{9999} / December / 31;

}  // namespace

// The range is checked on the day count: year_month_day keeps its year in 16
// bits, so a day far outside it would wrap around to some year inside.
std::string format_date(sys_days day) {
  if (day < first_day || day > last_day)
    throw ConversionError("the date " + std::to_string(day.time_since_epoch().count()) +
                          " days from 1970-01-01 is outside the supported range 0001-9999");
  const year_month_day ymd(day);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

sys_days parse_date(std::string_view text) {
  if (text.size() != 10) bad_text("date (YYYY-MM-DD)", text);
  return parse_date_prefix(text, "date (YYYY-MM-DD)");
}

void check_timestamp_range(double seconds) {
  constexpr double first = -62135596800.0, end = 253402300800.0;  // 0001-01-01, 10000-01-01
  if (!(seconds >= first - 1 && seconds < end + 1))
    throw ConversionError("the timestamp " + std::to_string(seconds) +
                          " seconds from 1970-01-01 is outside the supported range 0001-9999");
}

void timestamp_does_not_fit(std::string_view text, std::string_view cpp_type) {
  throw ConversionError("timestamp '" + std::string(text) + "' does not fit " +
                        std::string(cpp_type));
}

std::string format_timestamp(sys_time<microseconds> tp) {
  // Checked before any arithmetic: near the ends of the clock's range the
  // day arithmetic below would overflow.
  if (tp < first_day || tp >= last_day + days(1))
    throw ConversionError("the timestamp " + std::to_string(tp.time_since_epoch().count()) +
                          " microseconds from 1970-01-01 is outside the supported range 0001-9999");
  const auto day = floor<days>(tp);
  const auto us = (tp - day).count();
  const auto secs = us / 1000000;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s %02lld:%02lld:%02lld.%06lld", format_date(day).c_str(),
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60), static_cast<long long>(us % 1000000));
  return buf;
}

// Accepts 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS', an optional fraction of up to six
// digits, 'T' as separator, and a trailing 'Z' or '+00' / '+00:00' (UTC only).
sys_time<microseconds> parse_timestamp(std::string_view text) {
  constexpr std::string_view what = "timestamp (YYYY-MM-DD HH:MM:SS[.ffffff])";
  sys_time<microseconds> tp = parse_date_prefix(text, what);
  if (text.size() == 10) return tp;
  int h = 0, mi = 0, s = 0;
  if ((text[10] != ' ' && text[10] != 'T') || !read_digits(text, 11, 2, h) || text.size() < 19 ||
      text[13] != ':' || !read_digits(text, 14, 2, mi) || text[16] != ':' ||
      !read_digits(text, 17, 2, s) || h > 23 || mi > 59 || s > 59)
    bad_text(what, text);
  std::size_t pos = 19;
  long long frac = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) {
        frac = frac * 10 + (text[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) bad_text(what, text);
    for (; digits < 6; ++digits) frac *= 10;
  }
  std::string_view zone = text.substr(pos);
  if (!zone.empty() && zone != "Z" && zone != "+00" && zone != "+00:00") bad_text(what, text);
  return tp + hours(h) + minutes(mi) + seconds(s) + microseconds(frac);
}

}  // namespace detail
}  // namespace relate
