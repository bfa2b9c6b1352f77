#pragma once
// Helpers for the SQL-text tests: compile a statement for both dialects and
// compare the whole text and the parameter list.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "relate/relate.hpp"

namespace relate::testing {

// Each placeholder as text: a carried value as Value::repr(), a key as ":name".
inline std::vector<std::string> describe_params(const CompiledStatement& c) {
  std::vector<std::string> out;
  for (const auto& p : c.params)
    out.push_back(p.key < 0 ? p.value.repr() : ":" + c.keys.at(static_cast<std::size_t>(p.key)));
  return out;
}

inline CompiledStatement lite(const Executable& s) { return sqlite_dialect().compile(s); }
inline CompiledStatement pg(const Executable& s) { return postgresql_dialect().compile(s); }

// The text after " WHERE " of a select of users.id filtered by the condition.
inline std::string where_text(const CompiledStatement& c) {
  const auto at = c.sql.find(" WHERE ");
  EXPECT_NE(at, std::string::npos) << c.sql;
  return at == std::string::npos ? c.sql : c.sql.substr(at + 7);
}

// A small schema most tests use.
struct UsersAddresses {
  MetaData md;
  Table& users = md.table("users", {
                                       column<std::int64_t>("id").primary_key(),
                                       column<std::string>("name"),
                                       column<std::optional<std::string>>("fullname"),
                                   });
  Table& addresses = md.table(
      "addresses", {
                       column<std::int64_t>("id").primary_key(),
                       column<std::string>("email"),
                       column<std::optional<std::int64_t>>("user_id").references("users.id"),
                   });

  Select where(const Expr& condition) const {
    return select({users.c("id")}).from(users).where(condition);
  }
};

}  // namespace relate::testing
