#include "relate/core/dialect.hpp"

#include <algorithm>
#include <array>

namespace relate {

namespace {

// Words that must be quoted as identifiers on at least one of the supported
// databases (the union keeps quoting identical across dialects).
constexpr std::array<std::string_view, 98> reserved_words{"all",
                                                          "alter",
                                                          "analyse",
                                                          "analyze",
                                                          "and",
                                                          "any",
                                                          "array",
                                                          "as",
                                                          "asc",
                                                          "asymmetric",
                                                          "authorization",
                                                          "between",
                                                          "binary",
                                                          "both",
                                                          "by",
                                                          "case",
                                                          "cast",
                                                          "check",
                                                          "collate",
                                                          "column",
                                                          "concurrently",
                                                          "constraint",
                                                          "create",
                                                          "cross",
                                                          "current_catalog",
                                                          "current_date",
                                                          "current_role",
                                                          "current_schema",
                                                          "current_time",
                                                          "current_timestamp",
                                                          "current_user",
                                                          "default",
                                                          "deferrable",
                                                          "delete",
                                                          "desc",
                                                          "distinct",
                                                          "do",
                                                          "drop",
                                                          "else",
                                                          "end",
                                                          "escape",
                                                          "except",
                                                          "exists",
                                                          "false",
                                                          "fetch",
                                                          "for",
                                                          "foreign",
                                                          "freeze",
                                                          "from",
                                                          "full",
                                                          "glob",
                                                          "grant",
                                                          "group",
                                                          "having",
                                                          "ilike",
                                                          "in",
                                                          "index",
                                                          "initially",
                                                          "inner",
                                                          "insert",
                                                          "intersect",
                                                          "into",
                                                          "is",
                                                          "isnull",
                                                          "join",
                                                          "key",
                                                          "lateral",
                                                          "leading",
                                                          "left",
                                                          "like",
                                                          "limit",
                                                          "localtime",
                                                          "localtimestamp",
                                                          "natural",
                                                          "not",
                                                          "notnull",
                                                          "null",
                                                          "offset",
                                                          "on",
                                                          "only",
                                                          "or",
                                                          "order",
                                                          "outer",
                                                          "overlaps",
                                                          "placing",
                                                          "primary",
                                                          "references",
                                                          "returning",
                                                          "right",
                                                          "select",
                                                          "session_user",
                                                          "set",
                                                          "similar",
                                                          "some",
                                                          "symmetric",
                                                          "table",
                                                          "then",
                                                          "to"};
constexpr std::array<std::string_view, 14> more_reserved_words{
    "trailing", "transaction", "true",     "union",   "unique", "update", "user",
    "using",    "values",      "variadic", "verbose", "when",   "where",  "window"};

// SQLite's own keywords. Many are accepted as names in some positions only
// ("nothing" breaks a column list since ON CONFLICT DO NOTHING), so all are quoted.
constexpr std::array<std::string_view, 147> sqlite_keywords{"abort",
                                                            "action",
                                                            "add",
                                                            "after",
                                                            "all",
                                                            "alter",
                                                            "always",
                                                            "analyze",
                                                            "and",
                                                            "as",
                                                            "asc",
                                                            "attach",
                                                            "autoincrement",
                                                            "before",
                                                            "begin",
                                                            "between",
                                                            "by",
                                                            "cascade",
                                                            "case",
                                                            "cast",
                                                            "check",
                                                            "collate",
                                                            "column",
                                                            "commit",
                                                            "conflict",
                                                            "constraint",
                                                            "create",
                                                            "cross",
                                                            "current",
                                                            "current_date",
                                                            "current_time",
                                                            "current_timestamp",
                                                            "database",
                                                            "default",
                                                            "deferrable",
                                                            "deferred",
                                                            "delete",
                                                            "desc",
                                                            "detach",
                                                            "distinct",
                                                            "do",
                                                            "drop",
                                                            "each",
                                                            "else",
                                                            "end",
                                                            "escape",
                                                            "except",
                                                            "exclude",
                                                            "exclusive",
                                                            "exists",
                                                            "explain",
                                                            "fail",
                                                            "filter",
                                                            "first",
                                                            "following",
                                                            "for",
                                                            "foreign",
                                                            "from",
                                                            "full",
                                                            "generated",
                                                            "glob",
                                                            "group",
                                                            "groups",
                                                            "having",
                                                            "if",
                                                            "ignore",
                                                            "immediate",
                                                            "in",
                                                            "index",
                                                            "indexed",
                                                            "initially",
                                                            "inner",
                                                            "insert",
                                                            "instead",
                                                            "intersect",
                                                            "into",
                                                            "is",
                                                            "isnull",
                                                            "join",
                                                            "key",
                                                            "last",
                                                            "left",
                                                            "like",
                                                            "limit",
                                                            "match",
                                                            "materialized",
                                                            "natural",
                                                            "no",
                                                            "not",
                                                            "nothing",
                                                            "notnull",
                                                            "null",
                                                            "nulls",
                                                            "of",
                                                            "offset",
                                                            "on",
                                                            "or",
                                                            "order",
                                                            "others",
                                                            "outer",
                                                            "over",
                                                            "partition",
                                                            "plan",
                                                            "pragma",
                                                            "preceding",
                                                            "primary",
                                                            "query",
                                                            "raise",
                                                            "range",
                                                            "recursive",
                                                            "references",
                                                            "regexp",
                                                            "reindex",
                                                            "release",
                                                            "rename",
                                                            "replace",
                                                            "restrict",
                                                            "returning",
                                                            "right",
                                                            "rollback",
                                                            "row",
                                                            "rows",
                                                            "savepoint",
                                                            "select",
                                                            "set",
                                                            "table",
                                                            "temp",
                                                            "temporary",
                                                            "then",
                                                            "ties",
                                                            "to",
                                                            "transaction",
                                                            "trigger",
                                                            "unbounded",
                                                            "union",
                                                            "unique",
                                                            "update",
                                                            "using",
                                                            "vacuum",
                                                            "values",
                                                            "view",
                                                            "virtual",
                                                            "when",
                                                            "where",
                                                            "window",
                                                            "with",
                                                            "without"};

bool is_reserved(std::string_view word) {
  auto in = [word](const auto& words) {
    return std::find(words.begin(), words.end(), word) != words.end();
  };
  return in(reserved_words) || in(more_reserved_words) || in(sqlite_keywords);
}

bool needs_quotes(std::string_view id) {
  if (id.empty()) return true;
  if (!(id[0] == '_' || (id[0] >= 'a' && id[0] <= 'z'))) return true;
  for (char c : id)
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return true;
  return is_reserved(id);
}

class SqliteDialect final : public Dialect {
 public:
  std::vector<std::string> connection_setup_sql(const ConnectionSetup& setup) const override;
  std::string_view name() const noexcept override { return "sqlite"; }
  std::string placeholder(std::size_t) const override { return "?"; }
};

class PostgresqlDialect final : public Dialect {
 public:
  std::string deallocate_sql(std::string_view name) const override;
  std::string_view name() const noexcept override { return "postgresql"; }
  std::string placeholder(std::size_t n) const override { return "$" + std::to_string(n); }
};

}  // namespace

std::string Dialect::quote_identifier(std::string_view id) const {
  // Neither database can take a NUL in SQL text (libpq ends the text there),
  // so such a name could only be cut short.
  if (id.find('\0') != std::string_view::npos) {
    std::string shown;
    for (char c : id) shown += c == '\0' ? std::string("\\0") : std::string(1, c);
    throw InvalidRequest("the identifier '" + shown +
                         "' contains a NUL character, which SQL cannot quote");
  }
  if (!needs_quotes(id)) return std::string(id);
  std::string out = "\"";
  for (char c : id) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string Dialect::savepoint_sql(std::string_view name) const {
  return "SAVEPOINT " + quote_identifier(name);
}
std::string Dialect::release_savepoint_sql(std::string_view name) const {
  return "RELEASE SAVEPOINT " + quote_identifier(name);
}
std::string Dialect::rollback_to_savepoint_sql(std::string_view name) const {
  return "ROLLBACK TO SAVEPOINT " + quote_identifier(name);
}

// ---- Connection housekeeping for engine/ drivers. ----

std::vector<std::string> Dialect::connection_setup_sql(const ConnectionSetup&) const { return {}; }
std::string Dialect::deallocate_sql(std::string_view) const { return {}; }

std::vector<std::string> SqliteDialect::connection_setup_sql(const ConnectionSetup& setup) const {
  std::vector<std::string> out;
  out.emplace_back(setup.foreign_keys ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF");
  if (setup.write_ahead_log) out.emplace_back("PRAGMA journal_mode=WAL");
  return out;
}

std::string PostgresqlDialect::deallocate_sql(std::string_view name) const {
  return name.empty() ? "DEALLOCATE ALL" : "DEALLOCATE " + quote_identifier(name);
}

const Dialect& sqlite_dialect() {
  static const SqliteDialect d;
  return d;
}
const Dialect& postgresql_dialect() {
  static const PostgresqlDialect d;
  return d;
}

}  // namespace relate
