#include "relate/core/expression.hpp"

#include <algorithm>

#include "core/node.hpp"
#include "relate/core/schema.hpp"
#include "relate/core/statement.hpp"

namespace relate {

using detail::make_expr;
using detail::Node;
using detail::NodeKind;

namespace {

Expr value_node(Value v) {
  Node n{NodeKind::value};
  n.value = std::move(v);
  return make_expr(std::move(n));
}

Expr unary(std::string op, const Expr& e) {
  Node n{NodeKind::unary};
  n.text = std::move(op);
  n.args = {e};
  return make_expr(std::move(n));
}

Expr binary(std::string op, const Expr& a, const Expr& b) {
  Node n{NodeKind::binary};
  n.text = std::move(op);
  n.args = {a, b};
  return make_expr(std::move(n));
}

Expr conjunction(std::string op, std::vector<Expr> items) {
  // Nested conjunctions of the same kind are flattened so a chain of && reads
  // as one AND list rather than a ladder of parentheses.
  std::vector<Expr> flat;
  for (auto& e : items) {
    const Node& n = e.node();
    if (n.kind == NodeKind::conjunction && n.text == op)
      flat.insert(flat.end(), n.args.begin(), n.args.end());
    else
      flat.push_back(std::move(e));
  }
  if (flat.empty()) return op == "AND" ? true_() : false_();
  if (flat.size() == 1) return flat.front();
  Node n{NodeKind::conjunction};
  n.text = std::move(op);
  n.args = std::move(flat);
  return make_expr(std::move(n));
}

bool is_null_value(const Expr& e) {
  return e.node().kind == NodeKind::value && e.node().value.is_null();
}

Expr null_test(const Expr& e, bool negated) {
  Node n{NodeKind::is_null};
  n.args = {e};
  n.negated = negated;
  return make_expr(std::move(n));
}

Expr like_node(const Expr& e, Expr pattern, std::optional<char> escape, bool negated,
               bool case_insensitive) {
  Node n{NodeKind::like};
  n.args = {e, std::move(pattern)};
  if (escape) n.args.push_back(value_node(Value(std::string(1, *escape))));
  n.negated = negated;
  n.flag = case_insensitive;
  return make_expr(std::move(n));
}

Expr in_list(const Expr& e, std::vector<Expr> values, bool negated) {
  Node n{NodeKind::in_list};
  n.args.reserve(values.size() + 1);
  n.args.push_back(e);
  for (auto& v : values) n.args.push_back(std::move(v));
  n.negated = negated;
  return make_expr(std::move(n));
}

Expr ordering(const Expr& e, std::optional<bool> descending, NullsOrder nulls) {
  Node n{NodeKind::ordering};
  if (e.node().kind == NodeKind::ordering) {
    // Refines an existing ordering rather than nesting "x DESC ASC".
    n = e.node();
  } else {
    n.args = {e};
  }
  if (descending) n.flag = *descending;
  if (nulls != NullsOrder::unspecified) n.nulls = nulls;
  return make_expr(std::move(n));
}

Expr function(std::string name, std::vector<Expr> args, bool distinct = false) {
  Node n{NodeKind::function};
  n.text = std::move(name);
  n.args = std::move(args);
  n.flag = distinct;
  return make_expr(std::move(n));
}

Expr select_node(NodeKind kind, const Select& s, bool negated) {
  Node n{kind};
  n.select = std::make_shared<const Select>(s);
  n.negated = negated;
  return make_expr(std::move(n));
}

bool is_identifier(std::string_view name) {
  if (name.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

}  // namespace

Expr::Expr(Value value) : Expr(value_node(std::move(value))) {}
Expr::Expr(const char* text) : Expr(Value(text)) {}
Expr::Expr(std::string_view text) : Expr(Value(text)) {}
Expr::Expr(std::nullptr_t) : Expr(Value()) {}

Expr::Expr(const Column& column) {
  if (column.table() == nullptr)
    throw InvalidRequest("column '" + column.name() +
                         "' belongs to no table yet; refer to it through its table, "
                         "e.g. table.c(\"" +
                         column.name() + "\")");
  Node n{NodeKind::column};
  n.text = column.name();
  n.column = &column;
  n.from = column.table()->from_node();
  node_ = std::make_shared<const Node>(std::move(n));
}

Expr Expr::is_null() const { return null_test(*this, false); }
Expr Expr::is_not_null() const { return null_test(*this, true); }
Expr Expr::in_(std::vector<Expr> values) const { return in_list(*this, std::move(values), false); }
Expr Expr::not_in(std::vector<Expr> values) const {
  return in_list(*this, std::move(values), true);
}

Expr Expr::in_select(const Select& subquery, bool negated) const {
  if (subquery.parts().columns.size() != 1)
    throw InvalidRequest("IN (SELECT ...) needs a select of exactly one column, this one has " +
                         std::to_string(subquery.parts().columns.size()));
  Node n{NodeKind::in_select};
  n.args = {*this};
  n.select = std::make_shared<const Select>(subquery);
  n.negated = negated;
  return make_expr(std::move(n));
}

Expr Expr::like(Expr pattern, std::optional<char> escape) const {
  return like_node(*this, std::move(pattern), escape, false, false);
}
Expr Expr::not_like(Expr pattern, std::optional<char> escape) const {
  return like_node(*this, std::move(pattern), escape, true, false);
}
Expr Expr::ilike(Expr pattern, std::optional<char> escape) const {
  return like_node(*this, std::move(pattern), escape, false, true);
}
Expr Expr::not_ilike(Expr pattern, std::optional<char> escape) const {
  return like_node(*this, std::move(pattern), escape, true, true);
}

Expr Expr::between(Expr low, Expr high) const {
  Node n{NodeKind::between};
  n.args = {*this, std::move(low), std::move(high)};
  return make_expr(std::move(n));
}

Expr Expr::concat(Expr other) const { return binary("||", *this, other); }

Expr Expr::label(std::string name) const {
  if (name.empty()) throw InvalidRequest("a label needs a name");
  Node n{NodeKind::label};
  n.text = std::move(name);
  n.args = {node().kind == NodeKind::label ? node().args[0] : *this};
  return make_expr(std::move(n));
}

Expr Expr::asc() const { return ordering(*this, false, NullsOrder::unspecified); }
Expr Expr::desc() const { return ordering(*this, true, NullsOrder::unspecified); }
Expr Expr::nulls_first() const { return ordering(*this, std::nullopt, NullsOrder::first); }
Expr Expr::nulls_last() const { return ordering(*this, std::nullopt, NullsOrder::last); }

std::string Expr::output_name() const {
  const Node& n = node();
  if (n.kind == NodeKind::label || n.kind == NodeKind::column) return n.text;
  return {};
}

Expr operator==(const Expr& a, const Expr& b) {
  if (is_null_value(b)) return null_test(a, false);
  if (is_null_value(a)) return null_test(b, false);
  return binary("=", a, b);
}
Expr operator!=(const Expr& a, const Expr& b) {
  if (is_null_value(b)) return null_test(a, true);
  if (is_null_value(a)) return null_test(b, true);
  return binary("!=", a, b);
}
Expr operator<(const Expr& a, const Expr& b) { return binary("<", a, b); }
Expr operator<=(const Expr& a, const Expr& b) { return binary("<=", a, b); }
Expr operator>(const Expr& a, const Expr& b) { return binary(">", a, b); }
Expr operator>=(const Expr& a, const Expr& b) { return binary(">=", a, b); }
Expr operator&&(const Expr& a, const Expr& b) { return conjunction("AND", {a, b}); }
Expr operator||(const Expr& a, const Expr& b) { return conjunction("OR", {a, b}); }
Expr operator!(const Expr& a) { return not_(a); }
Expr operator+(const Expr& a, const Expr& b) { return binary("+", a, b); }
Expr operator-(const Expr& a, const Expr& b) { return binary("-", a, b); }
Expr operator*(const Expr& a, const Expr& b) { return binary("*", a, b); }
Expr operator/(const Expr& a, const Expr& b) { return binary("/", a, b); }
Expr operator%(const Expr& a, const Expr& b) { return binary("%", a, b); }
Expr operator-(const Expr& a) { return unary("-", a); }

Expr bind(std::string name) {
  if (name.empty()) throw InvalidRequest("bind() needs a parameter name");
  Node n{NodeKind::bind};
  n.text = std::move(name);
  return make_expr(std::move(n));
}

Expr sql_expr(std::string sql) {
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    const bool dollar_number =
        c == '$' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9';
    if (c == '?' || c == ';' || dollar_number)
      throw InvalidRequest("sql_expr(\"" + sql +
                           "\") contains '?', '$n' or ';': a raw fragment cannot carry values "
                           "or statements; pass values with bind(\"name\") instead");
  }
  if (sql.empty()) throw InvalidRequest("sql_expr() needs some SQL");
  Node n{NodeKind::raw};
  n.text = std::move(sql);
  return make_expr(std::move(n));
}

Expr true_() {
  Node n{NodeKind::boolean};
  n.flag = true;
  return make_expr(std::move(n));
}
Expr false_() { return make_expr(Node{NodeKind::boolean}); }

Expr and_(std::vector<Expr> conditions) { return conjunction("AND", std::move(conditions)); }
Expr or_(std::vector<Expr> conditions) { return conjunction("OR", std::move(conditions)); }

Expr not_(const Expr& condition) {
  const Node& n = condition.node();
  // Negating a negatable test flips it, so !x.is_null() reads IS NOT NULL.
  switch (n.kind) {
    case NodeKind::is_null:
    case NodeKind::in_list:
    case NodeKind::in_select:
    case NodeKind::like:
    case NodeKind::exists: {
      Node flipped = n;
      flipped.negated = !n.negated;
      return make_expr(std::move(flipped));
    }
    case NodeKind::boolean: {
      Node flipped = n;
      flipped.flag = !n.flag;
      return make_expr(std::move(flipped));
    }
    default: return unary("NOT", condition);
  }
}

Expr exists(const Select& subquery) { return select_node(NodeKind::exists, subquery, false); }
Expr not_exists(const Select& subquery) { return select_node(NodeKind::exists, subquery, true); }

Expr asc(const Expr& e) { return e.asc(); }
Expr desc(const Expr& e) { return e.desc(); }
Expr concat(const Expr& a, const Expr& b) { return a.concat(b); }

Expr cast(const Expr& e, SqlType type) {
  Node n{NodeKind::cast};
  n.args = {e};
  n.type = type;
  return make_expr(std::move(n));
}

Expr count() {
  Node n{NodeKind::function};
  n.text = "count";
  n.star = true;
  return make_expr(std::move(n));
}
Expr count(const Expr& e) { return function("count", {e}); }
Expr count_distinct(const Expr& e) { return function("count", {e}, true); }
Expr sum(const Expr& e) { return function("sum", {e}); }
Expr avg(const Expr& e) { return function("avg", {e}); }
Expr min(const Expr& e) { return function("min", {e}); }
Expr max(const Expr& e) { return function("max", {e}); }
Expr lower(const Expr& e) { return function("lower", {e}); }
Expr upper(const Expr& e) { return function("upper", {e}); }
Expr length(const Expr& e) { return function("length", {e}); }
Expr abs(const Expr& e) { return function("abs", {e}); }
Expr coalesce(std::vector<Expr> args) {
  if (args.empty()) throw InvalidRequest("coalesce() needs at least one argument");
  return function("coalesce", std::move(args));
}

Expr func(std::string name, std::vector<Expr> args) {
  if (!is_identifier(name))
    throw InvalidRequest("func(\"" + name +
                         "\"): a function name must be a plain identifier "
                         "([A-Za-z_][A-Za-z0-9_]*); use sql_expr() for anything else");
  return function(std::move(name), std::move(args));
}

namespace detail {

void collect_sources(const Expr& e, std::vector<std::shared_ptr<const FromNode>>& out) {
  const Node& n = e.node();
  if (n.kind == NodeKind::column) {
    if (std::find(out.begin(), out.end(), n.from) == out.end()) out.push_back(n.from);
    return;
  }
  // The left side of IN (SELECT ...) belongs to this level; the select does not.
  for (const auto& a : n.args) collect_sources(a, out);
}

void collect_leaves(const FromNode& from, std::vector<const FromNode*>& out) {
  if (from.kind == FromKind::join) {
    collect_leaves(*from.left, out);
    collect_leaves(*from.right, out);
  } else {
    out.push_back(&from);
  }
}

}  // namespace detail
}  // namespace relate
