#pragma once
// Small text helpers shared by the engine's sources.

#include <string_view>

namespace relate::detail {

// ASCII case-insensitive equality (URL schemes, SQLite declared types).
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

}  // namespace relate::detail
