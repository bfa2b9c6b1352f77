#pragma once
// Small helpers shared by the ORM behaviour suites.

#include <gtest/gtest.h>

#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace relate::testing {

// The message of the exception of type E that f throws; records a failure (and
// returns "") when f throws something else or nothing.
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "unexpected exception type: " << e.what();
    return {};
  }
  ADD_FAILURE() << "no exception was thrown";
  return {};
}

inline bool text_has(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Position of the first statement starting with `word`, or statements.size().
inline std::size_t first_index(const std::vector<std::string>& statements, std::string_view word) {
  for (std::size_t i = 0; i < statements.size(); ++i)
    if (statements[i].starts_with(word)) return i;
  return statements.size();
}

}  // namespace relate::testing

#define EXPECT_HAS(text, part) EXPECT_PRED2(::relate::testing::text_has, text, part)
