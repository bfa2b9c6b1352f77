#pragma once
/// @file
/// Value: one SQL value as it travels between C++ and a driver. Every parameter
/// and every result cell is a Value; type adapters (types.hpp) convert to and
/// from the user's C++ types.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "relate/core/error.hpp"

namespace relate {

using Blob = std::vector<std::byte>;

class Value;
namespace detail {
// Moves a text Value's string into `out` (the Value is left holding empty
// text); false, with nothing changed, for a Value of another kind. For code
// that owns a Value it no longer needs: loading rows into objects.
bool take_text(Value& v, std::string& out) noexcept;
}  // namespace detail

/// What a Value holds.
enum class ValueKind : std::uint8_t { null, integer, real, text, blob, boolean };

std::string_view to_string(ValueKind kind) noexcept;

/// One SQL value: NULL, a 64-bit integer, a double, text, a blob or a boolean.
class Value {
 public:
  Value() noexcept = default;
  Value(std::nullptr_t) noexcept {}
  Value(bool b) noexcept : v_(b) {}
  template <std::integral I>
  requires(!std::same_as<I, bool> && !std::same_as<I, char>) Value(I i) : v_(checked(i)) {}
  Value(double d) noexcept : v_(d) {}
  Value(std::string s) noexcept : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(Blob b) noexcept : v_(std::move(b)) {}

  ValueKind kind() const noexcept { return static_cast<ValueKind>(v_.index()); }
  bool is_null() const noexcept { return kind() == ValueKind::null; }

  /// Accessors throw ConversionError naming both kinds when the kind differs.
  std::int64_t as_integer() const;
  double as_real() const;
  const std::string& as_text() const;
  const Blob& as_blob() const;
  bool as_boolean() const;
  /// The integer held, or null when the Value holds another kind (a boolean too).
  const std::int64_t* if_integer() const noexcept { return std::get_if<std::int64_t>(&v_); }

  /// A short human-readable rendering for logs and messages: strings quoted,
  /// long text and blobs abbreviated. Never used to build SQL.
  std::string repr() const;

  friend bool operator==(const Value&, const Value&) = default;

 private:
  friend bool detail::take_text(Value& v, std::string& out) noexcept;
  template <std::integral I>
  static std::int64_t checked(I i) {
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t)) {
      if (i > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throw ConversionError("unsigned value " + std::to_string(i) +
                              " does not fit a 64-bit SQL integer");
    }
    return static_cast<std::int64_t>(i);
  }

  // Order matches ValueKind.
  std::variant<std::monostate, std::int64_t, double, std::string, Blob, bool> v_;
};

/// The values of one result row, by column position.
using Row = std::vector<Value>;

}  // namespace relate
