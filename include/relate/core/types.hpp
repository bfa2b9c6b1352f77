#pragma once
/// @file
/// Type adapters: how a C++ type becomes a Value and back, and which SQL type a
/// column of it gets. relate ships adapters for integers of every width, float and
/// double, bool, std::string, byte vectors, std::optional, std::chrono dates and
/// time points, and enums. Users add their own by specialising relate::type_adapter:
///
/// @code
///   struct Money { std::int64_t cents; };
///   template <> struct relate::type_adapter<Money> {
///     static constexpr relate::SqlType sql_type{relate::TypeKind::big_integer};
///     static relate::Value to_value(const Money& m) { return m.cents; }
///     static Money from_value(const relate::Value& v) { return {v.as_integer()}; }
///   };
/// @endcode
///
/// from_value never receives NULL for a non-optional type: the caller reports that
/// as a ConversionError first. Throw ConversionError for any value you cannot accept.

#include <array>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "relate/core/type_name.hpp"
#include "relate/core/value.hpp"

namespace relate {

/// The SQL types relate knows; each dialect names them its own way.
enum class TypeKind : std::uint8_t {
  small_integer,  ///< SMALLINT
  integer,        ///< INTEGER
  big_integer,    ///< BIGINT
  real,           ///< DOUBLE PRECISION / REAL
  text,           ///< TEXT, or VARCHAR(n) when a length is given
  blob,           ///< BYTEA / BLOB
  boolean,        ///< BOOLEAN
  date,           ///< DATE, carried as 'YYYY-MM-DD' text
  timestamp,      ///< TIMESTAMP (UTC, microseconds), carried as 'YYYY-MM-DD HH:MM:SS.ffffff' text
};

std::string_view to_string(TypeKind kind) noexcept;

/// The SQL type of a column. A text length of 0 means unbounded.
struct SqlType {
  TypeKind kind = TypeKind::text;
  int length = 0;
  friend bool operator==(const SqlType&, const SqlType&) = default;
};

template <class T>
inline constexpr bool is_optional_v = false;
template <class T>
inline constexpr bool is_optional_v<std::optional<T>> = true;

template <class T>
struct type_adapter;  // specialise for your own types (see above)

/// A C++ type relate knows how to store.
template <class T>
concept SqlValueType = requires(const T& t, const Value& v) {
  { type_adapter<T>::sql_type } -> std::convertible_to<SqlType>;
  { type_adapter<T>::to_value(t) } -> std::same_as<Value>;
  { type_adapter<T>::from_value(v) } -> std::same_as<T>;
};

namespace detail {
[[noreturn]] void integer_out_of_range(std::int64_t value, std::string_view cpp_type);
// The double as a float; ConversionError when it is finite but beyond float's
// range (the cast would make it infinite).
float narrow_to_float(double value);
std::string format_date(std::chrono::sys_days day);
std::chrono::sys_days parse_date(std::string_view text);
std::string format_timestamp(std::chrono::sys_time<std::chrono::microseconds> tp);
std::chrono::sys_time<std::chrono::microseconds> parse_timestamp(std::string_view text);
// ConversionError unless the time, in seconds from 1970, is about within 0001-9999
// (format_timestamp checks exactly; this only keeps conversions from overflowing).
void check_timestamp_range(double seconds_since_epoch);
[[noreturn]] void timestamp_does_not_fit(std::string_view text, std::string_view cpp_type);

template <class I>
constexpr std::string_view integer_name() {
  if constexpr (std::same_as<I, std::int8_t>)
    return "int8_t";
  else if constexpr (std::same_as<I, std::uint8_t>)
    return "uint8_t";
  else if constexpr (std::same_as<I, std::int16_t>)
    return "int16_t";
  else if constexpr (std::same_as<I, std::uint16_t>)
    return "uint16_t";
  else if constexpr (std::same_as<I, std::int32_t>)
    return "int32_t";
  else if constexpr (std::same_as<I, std::uint32_t>)
    return "uint32_t";
  else if constexpr (std::same_as<I, std::int64_t>)
    return "int64_t";
  else if constexpr (std::same_as<I, std::uint64_t>)
    return "uint64_t";
  else if constexpr (std::is_signed_v<I>)
    return "signed integer";
  else
    return "unsigned integer";
}
}  // namespace detail

/// Every integer width. Values coming back are range-checked.
template <std::integral I>
requires(!std::same_as<I, bool> && !std::same_as<I, char> && !std::same_as<I, wchar_t> &&
         !std::same_as<I, char8_t> && !std::same_as<I, char16_t> &&
         !std::same_as<I, char32_t>) struct type_adapter<I> {
  static constexpr SqlType sql_type{sizeof(I) < 4 ? TypeKind::small_integer
                                    : sizeof(I) == 4 && std::is_signed_v<I>
                                        ? TypeKind::integer
                                        : TypeKind::big_integer};
  static Value to_value(I i) { return Value(i); }
  static I from_value(const Value& v) {
    const std::int64_t x = v.as_integer();
    if constexpr (std::is_signed_v<I>) {
      if (x < std::numeric_limits<I>::min() || x > std::numeric_limits<I>::max())
        detail::integer_out_of_range(x, detail::integer_name<I>());
    } else {
      if (x < 0 || static_cast<std::uint64_t>(x) > std::numeric_limits<I>::max())
        detail::integer_out_of_range(x, detail::integer_name<I>());
    }
    return static_cast<I>(x);
  }
};

template <>
struct type_adapter<bool> {
  static constexpr SqlType sql_type{TypeKind::boolean};
  static Value to_value(bool b) { return Value(b); }
  static bool from_value(const Value& v) { return v.as_boolean(); }
};

template <>
struct type_adapter<double> {
  static constexpr SqlType sql_type{TypeKind::real};
  static Value to_value(double d) { return Value(d); }
  static double from_value(const Value& v) { return v.as_real(); }
};

template <>
struct type_adapter<float> {
  static constexpr SqlType sql_type{TypeKind::real};
  static Value to_value(float f) { return Value(static_cast<double>(f)); }
  static float from_value(const Value& v) { return detail::narrow_to_float(v.as_real()); }
};

template <>
struct type_adapter<std::string> {
  static constexpr SqlType sql_type{TypeKind::text};
  static Value to_value(const std::string& s) { return Value(s); }
  static std::string from_value(const Value& v) { return v.as_text(); }
};

template <>
struct type_adapter<Blob> {
  static constexpr SqlType sql_type{TypeKind::blob};
  static Value to_value(const Blob& b) { return Value(b); }
  static Blob from_value(const Value& v) { return v.as_blob(); }
};

template <>
struct type_adapter<std::vector<std::uint8_t>> {
  static constexpr SqlType sql_type{TypeKind::blob};
  static Value to_value(const std::vector<std::uint8_t>& b) {
    Blob out(b.size());
    for (std::size_t i = 0; i < b.size(); ++i) out[i] = static_cast<std::byte>(b[i]);
    return Value(std::move(out));
  }
  static std::vector<std::uint8_t> from_value(const Value& v) {
    const Blob& b = v.as_blob();
    std::vector<std::uint8_t> out(b.size());
    for (std::size_t i = 0; i < b.size(); ++i) out[i] = static_cast<std::uint8_t>(b[i]);
    return out;
  }
};

/// NULL maps to std::nullopt; any other value goes through T's adapter.
template <SqlValueType T>
struct type_adapter<std::optional<T>> {
  static constexpr SqlType sql_type = type_adapter<T>::sql_type;
  static Value to_value(const std::optional<T>& o) {
    return o ? type_adapter<T>::to_value(*o) : Value();
  }
  static std::optional<T> from_value(const Value& v) {
    if (v.is_null()) return std::nullopt;
    return type_adapter<T>::from_value(v);
  }
};

/// Dates: proleptic Gregorian, years 0001 to 9999.
template <>
struct type_adapter<std::chrono::sys_days> {
  static constexpr SqlType sql_type{TypeKind::date};
  static Value to_value(std::chrono::sys_days d) { return Value(detail::format_date(d)); }
  static std::chrono::sys_days from_value(const Value& v) {
    return detail::parse_date(v.as_text());
  }
};

template <>
struct type_adapter<std::chrono::year_month_day> {
  static constexpr SqlType sql_type{TypeKind::date};
  static Value to_value(std::chrono::year_month_day d) {
    if (!d.ok()) throw ConversionError("invalid calendar date");
    return Value(detail::format_date(std::chrono::sys_days(d)));
  }
  static std::chrono::year_month_day from_value(const Value& v) {
    return std::chrono::year_month_day(detail::parse_date(v.as_text()));
  }
};

/// Time points are stored as UTC timestamps with microsecond precision; finer
/// durations are truncated toward the past on the way in.
template <class Duration>
requires(!std::same_as<Duration,
                       std::chrono::days>) struct type_adapter<std::chrono::sys_time<Duration>> {
  static constexpr SqlType sql_type{TypeKind::timestamp};
  static Value to_value(std::chrono::sys_time<Duration> tp) {
    // Far outside 0001-9999 a coarse Duration would overflow on its way to
    // microseconds: look at it in floating-point seconds first.
    detail::check_timestamp_range(std::chrono::duration<double>(tp.time_since_epoch()).count());
    return Value(detail::format_timestamp(std::chrono::floor<std::chrono::microseconds>(tp)));
  }
  static std::chrono::sys_time<Duration> from_value(const Value& v) {
    auto us = detail::parse_timestamp(v.as_text());
    if constexpr (std::is_convertible_v<std::chrono::microseconds, Duration>) {
      // A finer Duration spans fewer years (nanoseconds, system_clock's on
      // Linux: 1677-2262); what it cannot hold is refused, not overflowed.
      using std::chrono::microseconds;
      if (us.time_since_epoch() > std::chrono::floor<microseconds>(Duration::max()) ||
          us.time_since_epoch() < std::chrono::ceil<microseconds>(Duration::min()))
        detail::timestamp_does_not_fit(v.as_text(), type_name<std::chrono::sys_time<Duration>>());
      return std::chrono::sys_time<Duration>(us);
    } else {
      return std::chrono::floor<Duration>(us);
    }
  }
};

/// Enums are stored as their underlying integer unless `enum_labels<E>` is
/// specialised, in which case they are stored as text:
///
/// @code
///   template <> struct relate::enum_labels<Color> {
///     static constexpr std::array values{std::pair{Color::red, std::string_view("red")},
///                                        std::pair{Color::green, std::string_view("green")}};
///   };
/// @endcode
template <class E>
struct enum_labels;

template <class E>
concept LabelledEnum = std::is_enum_v<E> && requires {
  { enum_labels<E>::values.size() } -> std::convertible_to<std::size_t>;
};

template <class E>
requires std::is_enum_v<E>
struct type_adapter<E> {
  using underlying = std::underlying_type_t<E>;
  static constexpr SqlType sql_type =
      LabelledEnum<E> ? SqlType{TypeKind::text} : type_adapter<underlying>::sql_type;

  static Value to_value(E e) {
    if constexpr (LabelledEnum<E>) {
      for (const auto& [value, label] : enum_labels<E>::values)
        if (value == e) return Value(std::string(label));
      throw ConversionError("enum value " + std::to_string(static_cast<underlying>(e)) +
                            " has no label in enum_labels<" + std::string(type_name<E>()) + ">");
    } else {
      return type_adapter<underlying>::to_value(static_cast<underlying>(e));
    }
  }
  static E from_value(const Value& v) {
    if constexpr (LabelledEnum<E>) {
      const std::string& text = v.as_text();
      for (const auto& [value, label] : enum_labels<E>::values)
        if (label == text) return value;
      throw ConversionError("'" + text + "' is not a label of enum_labels<" +
                            std::string(type_name<E>()) + ">");
    } else {
      return static_cast<E>(type_adapter<underlying>::from_value(v));
    }
  }
};

/// Conversions used by result rows and the mapper: NULL into a type that cannot
/// hold it is an error that says which type.
template <SqlValueType T>
Value to_value(const T& t) {
  return type_adapter<T>::to_value(t);
}

template <SqlValueType T>
T from_value(const Value& v) {
  if constexpr (is_optional_v<T>) {
    return type_adapter<T>::from_value(v);
  } else {
    if (v.is_null())
      throw ConversionError(std::string("NULL cannot be stored in a non-optional ") +
                            std::string(type_name<T>()) + "; map the member as std::optional");
    return type_adapter<T>::from_value(v);
  }
}

}  // namespace relate
