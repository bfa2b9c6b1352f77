#pragma once
/// @file
/// What a dialect's compiler hands to a driver: SQL text with placeholders and
/// the values for them. Values are never part of the text.

#include <map>
#include <span>
#include <string>
#include <vector>

#include "relate/core/value.hpp"

namespace relate {

/// Named parameter values for statements with bind("name") / :name placeholders.
using Params = std::map<std::string, Value, std::less<>>;

/// What kind of statement a CompiledStatement is.
enum class StatementKind : std::uint8_t { select, insert, update, remove, ddl, text, other };

/// A statement compiled for one dialect: SQL text with placeholders, and what
/// to bind to them. Values are never part of the text.
struct CompiledStatement {
  /// One entry per placeholder in the text, in order. A placeholder either carries
  /// its value (key < 0) or takes it from a parameter set at execution (key indexes
  /// `keys`), which is how one statement is executed for many parameter sets.
  struct Param {
    Value value;
    int key = -1;
  };

  std::string sql;
  std::vector<Param> params;
  std::vector<std::string> keys;
  StatementKind kind = StatementKind::other;
  bool returns_rows = false;

  /// The placeholder values for one execution. `set` is positional in `keys` order.
  std::vector<Value> bind(std::span<const Value> set = {}) const;
  /// The same with named values; a key without a value is an InvalidRequest.
  std::vector<Value> bind(const Params& named) const;
  /// Index of a key, or -1.
  int key_index(std::string_view name) const;
};

}  // namespace relate
