#pragma once
// The expression tree behind Expr and From. Private to core: builders in
// expression.cpp / statement.cpp create nodes, the compiler reads them.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "relate/core/expression.hpp"
#include "relate/core/statement.hpp"

namespace relate::detail {

enum class NodeKind : std::uint8_t {
  column,         // from + text (column name), column (null for subquery columns)
  value,          // value
  bind,           // text = key
  raw,            // text = SQL fragment
  boolean,        // flag = true / false
  unary,          // text = "NOT" or "-", args[0]
  is_null,        // args[0]; negated = IS NOT NULL
  binary,         // text = operator, args[0] op args[1]
  conjunction,    // text = "AND" / "OR", args
  in_list,        // args[0] IN (args[1..]); negated = NOT IN
  in_select,      // args[0] IN (select); negated
  like,           // args[0] LIKE args[1] [ESCAPE args[2]]; negated; flag = case-insensitive
  between,        // args[0] BETWEEN args[1] AND args[2]
  function,       // text = name, args; flag = DISTINCT; star = count(*)
  cast,           // args[0], type
  ordering,       // args[0]; flag = descending; nulls
  label,          // args[0], text = name
  scalar_select,  // select
  exists,         // select; negated
};

struct Node {
  explicit Node(NodeKind k) : kind(k) {}
  NodeKind kind;
  std::string text;
  std::vector<Expr> args;
  Value value;
  SqlType type{};
  bool negated = false;
  bool flag = false;
  bool star = false;
  NullsOrder nulls = NullsOrder::unspecified;
  std::shared_ptr<const FromNode> from;  // column
  const Column* column = nullptr;        // column
  std::shared_ptr<const Select> select;  // in_select, scalar_select, exists
};

enum class FromKind : std::uint8_t { table, alias, subquery, join };

struct FromNode {
  explicit FromNode(FromKind k) : kind(k) {}
  FromKind kind;
  const Table* table = nullptr;          // table, alias
  std::string name;                      // alias and subquery name; table name
  std::shared_ptr<const Select> select;  // subquery
  std::shared_ptr<const FromNode> left, right;
  std::optional<Expr> on;  // join
  bool outer = false;      // join
};

inline Expr make_expr(Node node) { return Expr(std::make_shared<const Node>(std::move(node))); }

// Every FROM item (table, alias, subquery) that the expression's column references
// come from, in order of appearance, without descending into subqueries.
void collect_sources(const Expr& e, std::vector<std::shared_ptr<const FromNode>>& out);
// The tables, aliases and subqueries at the leaves of a FROM item.
void collect_leaves(const FromNode& from, std::vector<const FromNode*>& out);

}  // namespace relate::detail
