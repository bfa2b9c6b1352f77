#pragma once
/// @file
/// SQL expressions: an immutable tree that a dialect compiles to text and bound
/// parameters. Expr is a cheap value (a shared pointer to a node); building one
/// never writes SQL, and values given to it always become bound parameters.
///
/// @code
///   users.c("name") == "jack" && users.c("id").in_({1, 2, 3})
///   relate::count(), relate::lower(users.c("name")).like("j%")
///   relate::bind("name")        a placeholder filled per execution (executemany)
/// @endcode

#include <concepts>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relate/core/types.hpp"
#include "relate/core/value.hpp"

namespace relate {

class Table;
class Column;
class Select;

namespace detail {
struct Node;      // src/core/node.hpp
struct FromNode;  // src/core/node.hpp
}  // namespace detail

/// Where NULLs go in an ORDER BY.
enum class NullsOrder : std::uint8_t { unspecified, first, last };

/// A SQL expression: a column, a bound value, an operator, a function call.
/// Immutable and cheap to copy; a dialect compiles it.
class Expr {
 public:
  /// Values become bound parameters; NULL compared with == / != becomes IS [NOT] NULL.
  Expr(Value value);
  Expr(const char* text);
  Expr(std::string_view text);
  Expr(std::nullptr_t);
  template <SqlValueType T>
  Expr(const T& value) : Expr(type_adapter<T>::to_value(value)) {}
  /// A reference to the column, qualified by its table.
  Expr(const Column& column);
  explicit Expr(std::shared_ptr<const detail::Node> node) noexcept : node_(std::move(node)) {}

  Expr is_null() const;
  Expr is_not_null() const;
  /// An empty list is valid: in_ is always false, not_in always true.
  Expr in_(std::vector<Expr> values) const;
  Expr not_in(std::vector<Expr> values) const;
  template <SqlValueType T>
  Expr in_(const std::vector<T>& values) const {
    return in_(to_exprs(values));
  }
  template <SqlValueType T>
  Expr not_in(const std::vector<T>& values) const {
    return not_in(to_exprs(values));
  }
  /// The select must have exactly one column. (A template only so that in_({})
  /// stays an empty list rather than an ambiguous empty Select.)
  template <std::same_as<Select> S>
  Expr in_(const S& subquery) const {
    return in_select(subquery, false);
  }
  template <std::same_as<Select> S>
  Expr not_in(const S& subquery) const {
    return in_select(subquery, true);
  }
  Expr like(Expr pattern, std::optional<char> escape = std::nullopt) const;
  Expr not_like(Expr pattern, std::optional<char> escape = std::nullopt) const;
  /// Case-insensitive LIKE: ILIKE on PostgreSQL, lower(a) LIKE lower(b) on SQLite.
  Expr ilike(Expr pattern, std::optional<char> escape = std::nullopt) const;
  Expr not_ilike(Expr pattern, std::optional<char> escape = std::nullopt) const;
  Expr between(Expr low, Expr high) const;
  /// String concatenation (SQL's ||, which C++ spells as logical or).
  Expr concat(Expr other) const;
  /// "expr AS name" in a select's column list; elsewhere the bare expression.
  Expr label(std::string name) const;
  /// Ordering for ORDER BY.
  Expr asc() const;
  Expr desc() const;
  Expr nulls_first() const;
  Expr nulls_last() const;

  /// The name a select column gets in a result or a subquery: the label, or the
  /// column name for a column reference; empty otherwise.
  std::string output_name() const;

  const detail::Node& node() const noexcept { return *node_; }
  const std::shared_ptr<const detail::Node>& node_ptr() const noexcept { return node_; }

  friend Expr operator==(const Expr& a, const Expr& b);
  friend Expr operator!=(const Expr& a, const Expr& b);
  friend Expr operator<(const Expr& a, const Expr& b);
  friend Expr operator<=(const Expr& a, const Expr& b);
  friend Expr operator>(const Expr& a, const Expr& b);
  friend Expr operator>=(const Expr& a, const Expr& b);
  friend Expr operator&&(const Expr& a, const Expr& b);
  friend Expr operator||(const Expr& a, const Expr& b);
  friend Expr operator!(const Expr& a);
  friend Expr operator+(const Expr& a, const Expr& b);
  friend Expr operator-(const Expr& a, const Expr& b);
  friend Expr operator*(const Expr& a, const Expr& b);
  friend Expr operator/(const Expr& a, const Expr& b);
  friend Expr operator%(const Expr& a, const Expr& b);
  friend Expr operator-(const Expr& a);

  Expr in_select(const Select& subquery, bool negated) const;

 private:
  template <class T>
  static std::vector<Expr> to_exprs(const std::vector<T>& values) {
    std::vector<Expr> out;
    out.reserve(values.size());
    for (const auto& v : values) out.emplace_back(v);
    return out;
  }

  std::shared_ptr<const detail::Node> node_;
};

/// A named placeholder: its value comes from the parameter set given at execution
/// (CompiledStatement::keys). The same name may appear several times.
Expr bind(std::string name);

/// A raw SQL fragment, for the rare thing relate cannot spell. It must not carry
/// values ('?', '$n' or ';' are refused): pass values through bind() instead.
Expr sql_expr(std::string sql);

/// Always true / always false conditions (1 = 1, 1 != 1).
Expr true_();
Expr false_();

/// AND / OR of any number of conditions; and_() of nothing is true, or_() of nothing false.
Expr and_(std::vector<Expr> conditions);
Expr or_(std::vector<Expr> conditions);
Expr not_(const Expr& condition);

Expr exists(const Select& subquery);
Expr not_exists(const Select& subquery);

Expr asc(const Expr& e);
Expr desc(const Expr& e);
Expr concat(const Expr& a, const Expr& b);
Expr cast(const Expr& e, SqlType type);

/// Aggregates.
Expr count();  // count(*)
Expr count(const Expr& e);
Expr count_distinct(const Expr& e);
Expr sum(const Expr& e);
Expr avg(const Expr& e);
Expr min(const Expr& e);
Expr max(const Expr& e);

/// Scalar functions.
Expr lower(const Expr& e);
Expr upper(const Expr& e);
Expr length(const Expr& e);
Expr abs(const Expr& e);
Expr coalesce(std::vector<Expr> args);

/// Any SQL function by name. The name must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*);
/// anything else is an InvalidRequest, so that a name cannot carry SQL.
Expr func(std::string name, std::vector<Expr> args = {});

}  // namespace relate
