#pragma once
// Helpers for the samples: the statements an Engine ran, collected through its
// echo sink, so that a sample can check how many SELECTs something took; and
// the markers that cut a sample's output into regions for the documentation.

#include <cstddef>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <relate/relate.hpp>

struct SqlLog {
  std::vector<std::string> statements;

  relate::EchoSink sink() {
    return [this](std::string_view line) {
      line.remove_prefix(relate::Echo::prefix.size());
      if (!line.starts_with("[")) statements.emplace_back(line);  // not a parameter line
    };
  }
  // Statements starting with `word` ("SELECT", "UPDATE") since the last clear().
  std::size_t count(std::string_view word) const {
    std::size_t n = 0;
    for (const auto& s : statements) n += s.starts_with(word) ? 1 : 0;
    return n;
  }
  void clear() { statements.clear(); }
};

// Prints the line that opens or closes region `name` of the sample's output
// (its .expected file), so that docs can show that part of it.
inline void output_region(std::string_view name) { std::cout << "//! [" << name << "]\n"; }
