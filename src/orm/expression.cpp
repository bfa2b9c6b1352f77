#include "relate/orm/expression.hpp"

namespace relate {

std::optional<int> compare_values(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return std::nullopt;
  auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  const bool a_num = a.kind() == ValueKind::integer || a.kind() == ValueKind::boolean;
  const bool b_num = b.kind() == ValueKind::integer || b.kind() == ValueKind::boolean;
  if (a_num && b_num) return sign(a.as_integer(), b.as_integer());
  if ((a_num || a.kind() == ValueKind::real) && (b_num || b.kind() == ValueKind::real))
    return sign(a.as_real(), b.as_real());
  if (a.kind() == ValueKind::text && b.kind() == ValueKind::text)
    return sign(a.as_text(), b.as_text());
  if (a.kind() == ValueKind::blob && b.kind() == ValueKind::blob)
    return sign(a.as_blob(), b.as_blob());
  throw InvalidRequest("cannot compare a " + std::string(to_string(a.kind())) + " value with a " +
                       std::string(to_string(b.kind())) + " value in memory");
}

}  // namespace relate
