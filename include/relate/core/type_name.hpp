#pragma once
/// @file
/// Readable C++ type names for error messages ("User", not a mangled symbol).

#include <string_view>

namespace relate {

template <class T>
constexpr std::string_view type_name() {
  std::string_view p = __PRETTY_FUNCTION__;
  // g++: "... [with T = Foo; std::string_view = ...]"; clang++: "... [T = Foo]"
  auto start = p.find("T = ");
  if (start == std::string_view::npos) return p;
  start += 4;
  auto end = p.find_first_of(";]", start);
  return p.substr(start, end - start);
}

}  // namespace relate
