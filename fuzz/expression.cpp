// The dialect compiler over random statements. The input bytes are decoded
// into a well-typed statement over two small tables (quoted and reserved
// column names included): a SELECT with joins, aliases, subqueries in FROM,
// WHERE, GROUP BY/HAVING, ORDER BY, LIMIT/OFFSET, or an INSERT, UPDATE or
// DELETE with RETURNING; inside them expressions of every node kind
// (arithmetic, ||, comparisons, AND/OR/NOT, IS NULL, IN lists and subqueries,
// EXISTS, LIKE/ILIKE with ESCAPE, BETWEEN, CAST, functions and aggregates,
// scalar subqueries, bound values and named binds). Now and then the tables
// themselves are random instead: names of any bytes and server defaults of any
// value, which is where values become SQL literals.
//
// Each statement is compiled for SQLite and for PostgreSQL and the text is
// prepared for real, which parses it and resolves every name:
//   * SQLite: sqlite3_prepare_v2 on an in-memory database holding the tables;
//     the statement must prepare, be one statement, and have as many
//     placeholders as the compiler has parameters.
//   * PostgreSQL, when RELATE_FUZZ_POSTGRES_URL (or RELATE_TEST_POSTGRES_URL)
//     names a server: PQprepare on a connection holding the tables as
//     temporary tables, with each parameter typed as the driver types it; the
//     server must accept it and report as many parameters. Refusals that are
//     about the types of a random tree rather than the SQL text (SQLSTATE
//     42725 ambiguous function, 42883 no such operator for these types, 42P18
//     a parameter whose type nothing determines, 42P08 a parameter given two
//     types, 42804 mismatch) are counted and allowed; syntax errors, unknown
//     names and anything else are a crash.
//     RELATE_FUZZ_REQUIRE_POSTGRES=1 makes a missing server an error (the
//     corpus replay in the test suite sets it).
// Without a server, the PostgreSQL text is compiled and checked for its
// placeholders ($1..$n, each once, in order) only.
//
// The compiler may refuse a statement only with relate::Error for inputs a
// user could get wrong (identifiers holding NUL, server defaults SQL cannot
// spell); for the rest no exception may escape.
//
// The generator keeps to what both databases accept, so that a refusal means a
// compiler bug: aggregates only where SQL allows them and an aggregate select
// always groups; ORDER BY of a subquery names only its own columns (SQLite
// cannot see the enclosing statement's there); FOR UPDATE only on a plain
// top-level select; a table an enclosing statement already has is named in an
// explicit FROM, since without one it would correlate (which is the
// compiler's rule, and the generator must predict it).

#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "input.hpp"
#include "relate/relate.hpp"

using namespace relate;
using relate::fuzz::check;
using relate::fuzz::fail;

namespace {

enum class Ty { integer, real, text, boolean };
constexpr Ty all_types[] = {Ty::integer, Ty::real, Ty::text, Ty::boolean};

struct Col {
  Expr expr;
  Ty type;
  int source;  // which FROM item: 1 items, 2 tags, higher for aliases and subqueries
};

// ---- The fixed schema. ----

struct FixedSchema {
  MetaData md;
  Table& items =
      md.table("items", {
                            column<std::int64_t>("id").primary_key(),
                            column<std::string>("name"),
                            column<std::optional<double>>("score"),
                            column<std::optional<bool>>("flag"),
                            column<std::optional<std::int64_t>>("parent_id").references("items.id"),
                            column<std::optional<std::string>>("Mixed Case"),
                            column<std::optional<std::int64_t>>("order"),
                            column<std::optional<std::string>>("we\"ird"),
                            column<std::string>("note").default_value(Value("n/a")),
                        });
  Table& tags = md.table("tags", {
                                     column<std::int64_t>("id").primary_key(),
                                     column<std::optional<std::int64_t>>("item_id").references(
                                         "items.id", ReferentialAction::cascade),
                                     column<std::string>("label"),
                                     column<std::optional<double>>("select"),
                                 });
};

const FixedSchema& fixed() {
  static const FixedSchema s;
  return s;
}

Ty type_of(const Column& c) {
  switch (c.type().kind) {
    case TypeKind::small_integer:
    case TypeKind::integer:
    case TypeKind::big_integer: return Ty::integer;
    case TypeKind::real: return Ty::real;
    case TypeKind::boolean: return Ty::boolean;
    default: return Ty::text;
  }
}

int source_of(const Table& t) { return &t == &fixed().items ? 1 : 2; }

std::vector<Col> columns_of(const Table& t) {
  std::vector<Col> out;
  for (const auto& c : t.columns()) out.push_back({t.c(c.name()), type_of(c), source_of(t)});
  return out;
}

std::vector<Col> columns_of(const TableAlias& a, int source) {
  std::vector<Col> out;
  for (const auto& c : a.table().columns()) out.push_back({a.c(c.name()), type_of(c), source});
  return out;
}

bool has_source(const std::vector<Col>& cols, int source) {
  for (const auto& c : cols)
    if (c.source == source) return true;
  return false;
}

// ---- Statement generation. ----

class Gen {
 public:
  explicit Gen(fuzz::Input& in) : in_(in) {}

  // The type each bind() name was created for: a user would bind such a value.
  std::map<std::string, Ty> keys;

  std::unique_ptr<Executable> statement() {
    const FixedSchema& s = fixed();
    switch (in_.pick(8)) {
      case 0: return insert_stmt();
      case 1: return update_stmt(s.items);
      case 2: return update_stmt(s.tags);
      case 3: return delete_stmt(in_.flag() ? s.items : s.tags);
      default: {
        Level top;
        return std::make_unique<Select>(select_stmt(top, 0, Ty::integer, false, true));
      }
    }
  }

 private:
  // What the expressions of one SELECT (or DML statement) may refer to.
  struct Level {
    std::vector<Col> own;        // columns of this level's FROM
    std::vector<Col> outer;      // columns of enclosing statements (correlation)
    std::vector<Col> group;      // GROUP BY columns: the only bare columns in an aggregate select
    std::vector<int> enclosing;  // sources in the FROM of every enclosing statement
    bool aggregate = false;      // this is an aggregate select's list, HAVING or ORDER BY
    bool aggregates_ok = false;  // aggregate functions may appear here
    int subquery_depth = 0;
  };

  fuzz::Input& in_;
  int budget_ = 60;  // nodes left, so one input cannot build an enormous tree
  int names_ = 0;
  int sources_ = 2;

  std::string name(std::string_view prefix) {
    // Mostly plain, sometimes any bytes: labels and aliases are quoted identifiers.
    if (in_.pick(8) == 0) {
      // Bytes above 0x7f become a valid UTF-8 letter: PostgreSQL refuses SQL
      // text that is not UTF-8 before it looks at the statement.
      std::string n;
      for (char c : in_.text(10))
        n += static_cast<unsigned char>(c) < 0x80 ? std::string(1, c) : "\u00e9";
      if (!n.empty()) return n + "#" + std::to_string(names_++);
    }
    return std::string(prefix) + std::to_string(names_++);
  }

  Value value(Ty t) {
    switch (t) {
      case Ty::integer: return Value(in_.integer());
      case Ty::real: return Value(in_.real());
      case Ty::text: return Value(in_.text(16));
      case Ty::boolean: return Value(in_.flag());
    }
    return Value();
  }

  Expr bind_key(Ty t) {
    const std::string key = "k" + std::to_string(in_.pick(4)) + "_" + std::to_string(int(t));
    keys.emplace(key, t);
    return bind(key);
  }

  std::vector<Col> visible(const Level& l) const {
    std::vector<Col> out = l.aggregate ? l.group : l.own;
    out.insert(out.end(), l.outer.begin(), l.outer.end());
    return out;
  }

  Expr leaf(const Level& l, Ty t) {
    std::vector<Expr> cols;
    for (const auto& c : visible(l))
      if (c.type == t) cols.push_back(c.expr);
    switch (in_.pick(8)) {
      case 0:
      case 1:
      case 2:
        if (!cols.empty()) return cols[in_.pick(cols.size())];
        return Expr(value(t));
      case 3: return bind_key(t);
      case 4: return Expr(Value());  // NULL as a bound value
      case 5:
        if (t == Ty::boolean) return in_.flag() ? true_() : false_();
        return Expr(value(t));
      default: return Expr(value(t));
    }
  }

  // An aggregate call of type t over this level's own columns.
  std::optional<Expr> aggregate(const Level& l, Ty t, int depth) {
    if (!l.aggregates_ok) return std::nullopt;
    // The arguments use this level's columns only: an aggregate of outer columns
    // would belong to the outer statement.
    Level arg = l;
    arg.aggregate = false;
    arg.aggregates_ok = false;
    arg.outer.clear();
    switch (t) {
      case Ty::integer:
        switch (in_.pick(5)) {
          case 0: return count();
          case 1: return count(expr(arg, all_types[in_.pick(4)], depth - 1));
          case 2: return count_distinct(expr(arg, all_types[in_.pick(4)], depth - 1));
          case 3: return sum(expr(arg, Ty::integer, depth - 1));
          default:
            return in_.flag() ? min(expr(arg, Ty::integer, depth - 1))
                              : max(expr(arg, Ty::integer, depth - 1));
        }
      case Ty::real:
        switch (in_.pick(3)) {
          case 0: return avg(expr(arg, in_.flag() ? Ty::real : Ty::integer, depth - 1));
          case 1: return sum(expr(arg, Ty::real, depth - 1));
          default: return max(expr(arg, Ty::real, depth - 1));
        }
      case Ty::text:
        return in_.flag() ? min(expr(arg, Ty::text, depth - 1))
                          : max(expr(arg, Ty::text, depth - 1));
      case Ty::boolean: return std::nullopt;
    }
    return std::nullopt;
  }

  std::optional<Expr> scalar_subquery(const Level& l, Ty t) {
    if (l.subquery_depth >= 2 || budget_ < 10) return std::nullopt;
    Level inner = subquery_level(l);
    return select_stmt(inner, 1, t, false, false).scalar_subquery();
  }

  Level subquery_level(const Level& l) const {
    Level inner;
    inner.outer = visible(l);
    inner.enclosing = l.enclosing;
    for (const auto& c : l.own) inner.enclosing.push_back(c.source);
    inner.subquery_depth = l.subquery_depth + 1;
    return inner;
  }

  Expr expr(const Level& l, Ty t, int depth) {
    --budget_;
    if (depth <= 0 || budget_ <= 0 || in_.pick(4) == 0) return leaf(l, t);
    switch (t) {
      case Ty::integer: return integer_expr(l, depth);
      case Ty::real: return real_expr(l, depth);
      case Ty::text: return text_expr(l, depth);
      case Ty::boolean: return boolean_expr(l, depth);
    }
    return leaf(l, t);
  }

  Expr arith(const Expr& a, const Expr& b, bool modulo) {
    switch (in_.pick(modulo ? 5 : 4)) {
      case 0: return a + b;
      case 1: return a - b;
      case 2: return a * b;
      case 3: return a / b;
      default: return a % b;
    }
  }

  Expr integer_expr(const Level& l, int depth) {
    const int d = depth - 1;
    switch (in_.pick(10)) {
      case 0: return -expr(l, Ty::integer, d);
      case 1:
      case 2: return arith(expr(l, Ty::integer, d), expr(l, Ty::integer, d), true);
      case 3: return length(expr(l, Ty::text, d));
      case 4: return abs(expr(l, Ty::integer, d));
      case 5: {
        static constexpr TypeKind kinds[] = {TypeKind::small_integer, TypeKind::integer,
                                             TypeKind::big_integer};
        return cast(expr(l, in_.flag() ? Ty::real : Ty::text, d), SqlType{kinds[in_.pick(3)]});
      }
      case 6: return coalesce({expr(l, Ty::integer, d), expr(l, Ty::integer, d)});
      case 7:
        if (auto a = aggregate(l, Ty::integer, depth)) return *a;
        return func("abs", {expr(l, Ty::integer, d)});
      case 8:
        if (auto s = scalar_subquery(l, Ty::integer)) return *s;
        return leaf(l, Ty::integer);
      default: return leaf(l, Ty::integer);
    }
  }

  Expr real_expr(const Level& l, int depth) {
    const int d = depth - 1;
    switch (in_.pick(8)) {
      case 0: return -expr(l, Ty::real, d);
      case 1:
      case 2: {
        Expr a = expr(l, Ty::real, d);
        Expr b = expr(l, in_.flag() ? Ty::real : Ty::integer, d);
        return in_.flag() ? arith(a, b, false) : arith(b, a, false);
      }
      case 3: return abs(expr(l, Ty::real, d));
      case 4: return cast(expr(l, in_.flag() ? Ty::integer : Ty::text, d), SqlType{TypeKind::real});
      case 5:
        if (auto a = aggregate(l, Ty::real, depth)) return *a;
        return coalesce({expr(l, Ty::real, d), expr(l, Ty::real, d)});
      case 6:
        if (auto s = scalar_subquery(l, Ty::real)) return *s;
        return leaf(l, Ty::real);
      default: return leaf(l, Ty::real);
    }
  }

  Expr text_expr(const Level& l, int depth) {
    const int d = depth - 1;
    switch (in_.pick(9)) {
      case 0: return lower(expr(l, Ty::text, d));
      case 1: return upper(expr(l, Ty::text, d));
      case 2:
      case 3: return expr(l, Ty::text, d).concat(expr(l, Ty::text, d));
      case 4:
        return cast(expr(l, all_types[in_.pick(4)], d),
                    SqlType{TypeKind::text, in_.flag() ? 0 : static_cast<int>(in_.pick(40)) + 1});
      case 5: return coalesce({expr(l, Ty::text, d), expr(l, Ty::text, d)});
      case 6:
        if (auto a = aggregate(l, Ty::text, depth)) return *a;
        return leaf(l, Ty::text);
      case 7:
        if (auto s = scalar_subquery(l, Ty::text)) return *s;
        return leaf(l, Ty::text);
      default: return leaf(l, Ty::text);
    }
  }

  Expr comparison(const Expr& a, const Expr& b) {
    switch (in_.pick(6)) {
      case 0: return a == b;
      case 1: return a != b;
      case 2: return a < b;
      case 3: return a <= b;
      case 4: return a > b;
      default: return a >= b;
    }
  }

  // Two types that compare: the same, or integer with real.
  std::pair<Ty, Ty> comparable() {
    const Ty t = all_types[in_.pick(4)];
    if ((t == Ty::integer || t == Ty::real) && in_.flag())
      return {t, t == Ty::integer ? Ty::real : Ty::integer};
    return {t, t};
  }

  Expr boolean_expr(const Level& l, int depth) {
    const int d = depth - 1;
    switch (in_.pick(16)) {
      case 0:
      case 1: {
        auto [a, b] = comparable();
        return comparison(expr(l, a, d), expr(l, b, d));
      }
      case 2: return expr(l, Ty::boolean, d) && expr(l, Ty::boolean, d);
      case 3: return expr(l, Ty::boolean, d) || expr(l, Ty::boolean, d);
      case 4: {
        std::vector<Expr> items;
        for (std::size_t i = in_.pick(4); i > 0; --i) items.push_back(expr(l, Ty::boolean, d));
        return in_.flag() ? and_(std::move(items)) : or_(std::move(items));
      }
      case 5: return in_.flag() ? !expr(l, Ty::boolean, d) : not_(expr(l, Ty::boolean, d));
      case 6: {
        Expr e = expr(l, all_types[in_.pick(4)], d);
        return in_.flag() ? e.is_null() : e.is_not_null();
      }
      case 7: {
        auto [a, b] = comparable();
        Expr left = expr(l, a, d);
        std::vector<Expr> list;
        for (std::size_t i = in_.pick(4); i > 0; --i) list.push_back(expr(l, b, d));
        return in_.flag() ? left.in_(std::move(list)) : left.not_in(std::move(list));
      }
      case 8: {
        if (l.subquery_depth >= 2 || budget_ < 10) return leaf(l, Ty::boolean);
        auto [a, b] = comparable();
        Expr left = expr(l, a, d);
        Level inner = subquery_level(l);
        Select sub = select_stmt(inner, 1, b, false, false);
        return in_.flag() ? left.in_(sub) : left.not_in(sub);
      }
      case 9: {
        if (l.subquery_depth >= 2 || budget_ < 10) return leaf(l, Ty::boolean);
        Level inner = subquery_level(l);
        Select sub = select_stmt(inner, 0, Ty::integer, true, false);
        return in_.flag() ? exists(sub) : not_exists(sub);
      }
      case 10: {
        Expr a = expr(l, Ty::text, d);
        Expr p = expr(l, Ty::text, d);
        std::optional<char> escape;
        if (in_.flag()) escape = static_cast<char>(in_.byte());
        switch (in_.pick(4)) {
          case 0: return a.like(p, escape);
          case 1: return a.not_like(p, escape);
          case 2: return a.ilike(p, escape);
          default: return a.not_ilike(p, escape);
        }
      }
      case 11: {
        auto [a, b] = comparable();
        return expr(l, a, d).between(expr(l, b, d), expr(l, b, d));
      }
      case 12:
        if (auto a = aggregate(l, Ty::integer, depth))
          return comparison(*a, expr(l, Ty::integer, d));
        return leaf(l, Ty::boolean);
      case 13:
        return cast(expr(l, in_.flag() ? Ty::text : Ty::boolean, d), SqlType{TypeKind::boolean});
      default: return leaf(l, Ty::boolean);
    }
  }

  // The FROM of a select and the columns it brings. A subquery in FROM sees no
  // enclosing statement (that would need LATERAL).
  std::vector<From> from_clause(Level& l, bool& outer_join, bool& from_subquery,
                                std::optional<Expr>& anchor) {
    const FixedSchema& s = fixed();
    std::vector<From> froms;
    switch (in_.pick(7)) {
      case 0: {
        froms.emplace_back(s.items);
        l.own = columns_of(s.items);
        break;
      }
      case 1: {
        froms.emplace_back(s.tags);
        l.own = columns_of(s.tags);
        break;
      }
      case 2: {
        l.own = columns_of(s.items);
        auto tags = columns_of(s.tags);
        l.own.insert(l.own.end(), tags.begin(), tags.end());
        Level on = l;
        outer_join = in_.flag();
        Expr cond = in_.flag() ? s.tags.c("item_id") == s.items.c("id") : expr(on, Ty::boolean, 3);
        froms.push_back(outer_join ? outer_join_of(s.items, s.tags, cond)
                                   : relate::join(s.items, s.tags, cond));
        break;
      }
      case 3: {
        TableAlias parent = alias(s.items, name("p"));
        l.own = columns_of(s.items);
        auto more = columns_of(parent, ++sources_);
        l.own.insert(l.own.end(), more.begin(), more.end());
        Expr cond = s.items.c("parent_id") == parent.c("id");
        if (in_.flag()) {
          Level on = l;
          cond = cond && expr(on, Ty::boolean, 2);
        }
        froms.push_back(relate::join(s.items, parent, cond));
        break;
      }
      case 4: {
        if (l.subquery_depth >= 2 || budget_ < 15) {
          froms.emplace_back(s.items);
          l.own = columns_of(s.items);
          break;
        }
        Level inner;
        inner.subquery_depth = l.subquery_depth + 1;
        std::vector<Ty> types;
        Select sub = select_stmt(inner, 0, Ty::integer, false, false, &types);
        Subquery sq = sub.subquery(name("sq"));
        const int source = ++sources_;
        for (std::size_t i = 0; i < types.size(); ++i)
          l.own.push_back({sq.c(sub.parts().columns[i].output_name()), types[i], source});
        froms.emplace_back(sq);
        from_subquery = true;
        break;
      }
      case 5: {
        // Two tables without FROM or join condition, when no enclosing
        // statement has either (else they would correlate).
        const auto enclosed = [&](const Table& t) {
          return std::find(l.enclosing.begin(), l.enclosing.end(), source_of(t)) !=
                 l.enclosing.end();
        };
        if (!enclosed(s.items) && !enclosed(s.tags)) {
          l.own = columns_of(s.items);
          auto tags = columns_of(s.tags);
          l.own.insert(l.own.end(), tags.begin(), tags.end());
          anchor = s.items.c("id").is_not_null() && s.tags.c("id").is_not_null();
          break;
        }
        [[fallthrough]];
      }
      default: {
        // No explicit FROM: the compiler adds the tables the columns name,
        // unless an enclosing statement (at any depth) has them: then they
        // correlate, so here the table is named explicitly.
        const Table& t = in_.flag() ? s.items : s.tags;
        if (std::find(l.enclosing.begin(), l.enclosing.end(), source_of(t)) != l.enclosing.end())
          froms.emplace_back(t);
        l.own = columns_of(t);
        // Only columns named at this level bring their table into FROM (one
        // named only in a nested subquery does not): name one for certain.
        anchor = t.c("id").is_not_null();
        break;
      }
    }
    // A table named again here hides the enclosing statement's one of the same name.
    std::erase_if(l.outer, [&](const Col& c) { return has_source(l.own, c.source); });
    return froms;
  }

  static From outer_join_of(const Table& a, const Table& b, const Expr& on) {
    return relate::outer_join(a, b, on);
  }

  // A SELECT. `want` columns (0: one to three of any type; 1: one of type t).
  // Every output column gets a distinct name, so a subquery's columns can be named.
  Select select_stmt(Level l, int want, Ty t, bool for_exists, bool top,
                     std::vector<Ty>* types_out = nullptr) {
    bool outer_join = false, from_subquery = false;
    std::optional<Expr> anchor;
    std::vector<From> froms = from_clause(l, outer_join, from_subquery, anchor);
    const bool aggregate = in_.pick(4) == 0;
    const int depth = 4;

    Level list = l;
    if (aggregate) {
      for (const auto& c : l.own)
        if (in_.pick(3) == 0 && list.group.size() < 3) list.group.push_back(c);
      // A GROUP BY makes it an aggregate select even when no aggregate is drawn
      // (SQLite refuses an aggregate in ORDER BY or HAVING of a plain select).
      if (list.group.empty()) list.group.push_back(l.own[in_.pick(l.own.size())]);
      list.aggregate = true;
      list.aggregates_ok = true;
    }

    std::vector<Expr> columns;
    std::vector<Ty> types;
    const std::size_t n = want == 1 ? 1 : (for_exists ? in_.pick(2) : 1 + in_.pick(3));
    for (std::size_t i = 0; i < n; ++i) {
      const Ty ct = want == 1 ? t : all_types[in_.pick(4)];
      columns.push_back(expr(list, ct, depth).label(name("c")));
      types.push_back(ct);
    }
    if (types_out) *types_out = types;

    Select s = select(columns);
    for (const auto& f : froms) s = s.from(f);

    if (anchor) s = s.where(*anchor);
    Level where = l;  // no aggregates in WHERE
    if (in_.flag()) s = s.where(expr(where, Ty::boolean, depth));
    if (in_.pick(4) == 0) s = s.where(expr(where, Ty::boolean, 2));

    const bool distinct = !aggregate && in_.pick(6) == 0;
    if (distinct) s = s.distinct();
    if (aggregate) {
      std::vector<Expr> group;
      for (const auto& c : list.group) group.push_back(c.expr);
      if (!group.empty()) s = s.group_by(group);
      if (in_.flag()) s = s.having(expr(list, Ty::boolean, 3));
    }
    if (!distinct && in_.flag()) {
      // SQLite resolves ORDER BY of a subquery without the enclosing statements'
      // columns ("no such column"), so ordering uses this level's own.
      Level by = aggregate ? list : where;
      by.outer.clear();
      std::vector<Expr> order;
      for (std::size_t i = 1 + in_.pick(2); i > 0; --i) {
        Expr e = expr(by, all_types[in_.pick(4)], 2);
        switch (in_.pick(5)) {
          case 0: e = e.asc(); break;
          case 1: e = e.desc(); break;
          case 2: e = e.desc().nulls_first(); break;
          case 3: e = e.nulls_last(); break;
          default: break;
        }
        order.push_back(e);
      }
      s = s.order_by(order);
    }
    if (in_.pick(3) == 0) s = in_.flag() ? s.limit(in_.integer()) : s.limit(bind_key(Ty::integer));
    if (in_.pick(4) == 0)
      s = in_.flag() ? s.offset(in_.integer()) : s.offset(bind_key(Ty::integer));
    // FOR UPDATE locks rows of plain tables only.
    if (top && !aggregate && !distinct && !outer_join && !from_subquery && in_.pick(4) == 0)
      s = s.for_update();
    if (top && want == 0 && in_.pick(8) == 0) s = s.count();
    return s;
  }

  std::vector<Expr> returning(const Level& l) {
    std::vector<Expr> out;
    if (in_.pick(3) != 0) return out;
    for (std::size_t i = 1 + in_.pick(2); i > 0; --i)
      out.push_back(expr(l, all_types[in_.pick(4)], 2).label(name("r")));
    return out;
  }

  std::unique_ptr<Executable> insert_stmt() {
    const FixedSchema& s = fixed();
    const Table& table = in_.flag() ? s.items : s.tags;
    // VALUES see no columns; subqueries in them see the tables they select from.
    Level values;
    std::vector<std::string> names;
    for (const auto& c : table.columns())
      if (in_.flag()) names.push_back(c.name());
    Insert ins = insert(table);
    const std::size_t rows = in_.pick(3);
    for (std::size_t r = 0; r < rows; ++r) {
      std::vector<Assignment> row;
      for (const auto& n : names) row.emplace_back(n, expr(values, type_of(table.column(n)), 2));
      ins = ins.values(row);
    }
    if (rows == 1 && in_.pick(4) == 0) {
      ins = insert(table).bind_columns(names);
      for (const auto& n : names) keys.emplace(n, type_of(table.column(n)));
    }
    Level own;
    own.own = columns_of(table);
    return std::make_unique<Insert>(ins.returning(returning(own)));
  }

  std::unique_ptr<Executable> update_stmt(const Table& table) {
    Level l;
    l.own = columns_of(table);
    Update u = update(table);
    for (const auto& c : table.columns())
      if (in_.pick(3) == 0) u = u.set(c.name(), expr(l, type_of(c), 3));
    if (u.parts().set.empty())
      u = u.set(table.columns().back().name(), expr(l, type_of(table.columns().back()), 3));
    if (in_.flag()) u = u.where(expr(l, Ty::boolean, 4));
    return std::make_unique<Update>(u.returning(returning(l)));
  }

  std::unique_ptr<Executable> delete_stmt(const Table& table) {
    Level l;
    l.own = columns_of(table);
    Delete d = delete_from(table);
    if (in_.flag()) d = d.where(expr(l, Ty::boolean, 4));
    return std::make_unique<Delete>(d.returning(returning(l)));
  }
};

// ---- Random tables: identifiers and server defaults. ----

struct RandomSchema {
  MetaData md;
  const Table* table = nullptr;
};

std::unique_ptr<RandomSchema> random_schema(fuzz::Input& in) {
  auto s = std::make_unique<RandomSchema>();
  std::vector<Column> cols;
  cols.push_back(column<std::int64_t>(in.text(12) + "id").primary_key());
  for (std::size_t i = in.pick(4); i > 0; --i) {
    const std::string n = in.text(12) + "_" + std::to_string(i);
    static constexpr TypeKind kinds[] = {TypeKind::integer, TypeKind::big_integer,
                                         TypeKind::real,    TypeKind::text,
                                         TypeKind::blob,    TypeKind::boolean};
    Column c(n, SqlType{kinds[in.pick(6)]});
    switch (in.pick(7)) {
      case 0: c.server_default(Value(in.integer())); break;
      case 1: c.server_default(Value(in.real())); break;
      case 2: c.server_default(Value(in.flag())); break;
      case 3: c.server_default(Value(in.text(24))); break;
      case 4: {
        const std::string bytes = in.text(16);
        Blob b(bytes.size());
        for (std::size_t k = 0; k < bytes.size(); ++k) b[k] = static_cast<std::byte>(bytes[k]);
        c.server_default(Value(std::move(b)));
        break;
      }
      case 5: c.server_default(Value()); break;
      default: break;
    }
    if (in.flag()) c.not_null();
    cols.push_back(std::move(c));
  }
  Table& t = s->md.table(in.text(12) + "t");
  for (auto& c : cols) t.add(std::move(c));
  s->table = &t;
  return s;
}

// ---- Preparing for real. ----

struct Sqlite {
  sqlite3* db = nullptr;
  Sqlite() {
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) fail("cannot open in-memory SQLite");
    for (const auto& c : ddl::create_all(fixed().md, sqlite_dialect())) exec(c.sql);
  }
  void exec(const std::string& sql) const {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK)
      fail("SQLite setup failed", sql + ": " + (err ? err : ""));
  }
  // Prepares and frees the statement; checks it is one statement with n placeholders.
  void prepare(const CompiledStatement& c) const {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc =
        sqlite3_prepare_v2(db, c.sql.data(), static_cast<int>(c.sql.size()), &stmt, &tail);
    if (rc != SQLITE_OK)
      fail("SQLite prepares the compiled SQL", c.sql + "\n  " + sqlite3_errmsg(db));
    check(stmt != nullptr, "the SQL holds a statement", c.sql);
    check(tail == c.sql.data() + c.sql.size(), "the SQL is one statement", c.sql);
    const int n = sqlite3_bind_parameter_count(stmt);
    sqlite3_finalize(stmt);
    check(static_cast<std::size_t>(n) == c.params.size(),
          "SQLite sees one placeholder per parameter", c.sql);
  }
};

const Sqlite& sqlite() {
  static const Sqlite s;
  return s;
}

// The driver's parameter types (postgres_driver.cpp): text and NULL go untyped
// so the server infers them from context.
Oid oid_for(const Value& v) {
  switch (v.kind()) {
    case ValueKind::integer: return 20;
    case ValueKind::real: return 701;
    case ValueKind::boolean: return 16;
    case ValueKind::blob: return 17;
    case ValueKind::text: return v.as_text().find('\0') != std::string::npos ? 25 : 0;
    case ValueKind::null: return 0;
  }
  return 0;
}

Oid oid_for(Ty t) {
  switch (t) {
    case Ty::integer: return 20;
    case Ty::real: return 701;
    case Ty::boolean: return 16;
    case Ty::text: return 0;
  }
  return 0;
}

struct Postgres {
  PGconn* conn = nullptr;
  long prepared = 0;
  std::map<std::string, long> type_refusals;  // by SQLSTATE

  static const char* url() {
    const char* u = std::getenv("RELATE_FUZZ_POSTGRES_URL");
    if (u == nullptr || *u == '\0') u = std::getenv("RELATE_TEST_POSTGRES_URL");
    return (u == nullptr || *u == '\0') ? nullptr : u;
  }

  Postgres() {
    const char* u = url();
    if (u == nullptr) {
      const char* require = std::getenv("RELATE_FUZZ_REQUIRE_POSTGRES");
      if (require != nullptr && *require == '1')
        fail(
            "RELATE_FUZZ_REQUIRE_POSTGRES=1 but no RELATE_FUZZ_POSTGRES_URL or "
            "RELATE_TEST_POSTGRES_URL names a server");
      return;
    }
    conn = PQconnectdb(u);
    if (PQstatus(conn) != CONNECTION_OK) fail("cannot connect to PostgreSQL", PQerrorMessage(conn));
    exec("SET client_min_messages = warning");
    for (const auto& c : ddl::create_all(fixed().md, postgresql_dialect())) exec(temporary(c.sql));
  }

  ~Postgres() {
    if (conn == nullptr) return;
    std::string refused;
    for (const auto& [state, n] : type_refusals) refused += " " + state + ":" + std::to_string(n);
    std::fprintf(stderr,
                 "relate fuzz: PostgreSQL prepared %ld statements; refused for the types of a "
                 "random tree (by SQLSTATE):%s\n",
                 prepared, refused.empty() ? " none" : refused.c_str());
    PQfinish(conn);
  }

  static std::string temporary(std::string sql) {
    if (sql.starts_with("CREATE TABLE ")) sql.replace(0, 13, "CREATE TEMPORARY TABLE ");
    return sql;
  }

  void exec(const std::string& sql) const {
    PGresult* r = PQexec(conn, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) fail("PostgreSQL setup failed", sql + ": " + PQerrorMessage(conn));
  }

  void prepare(const CompiledStatement& c, const std::map<std::string, Ty>& keys) {
    check(c.sql.find('\0') == std::string::npos, "PostgreSQL SQL text holds no NUL", c.sql);
    std::vector<Oid> types;
    for (const auto& p : c.params)
      types.push_back(p.key < 0 ? oid_for(p.value)
                                : oid_for(keys.at(c.keys.at(static_cast<std::size_t>(p.key)))));
    PGresult* r = PQprepare(conn, "", c.sql.c_str(), static_cast<int>(types.size()), types.data());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      const std::string sqlstate = state ? state : "";
      const std::string message = PQresultErrorMessage(r);
      PQclear(r);
      if (sqlstate == "42725" || sqlstate == "42883" || sqlstate == "42P18" ||
          sqlstate == "42P08" || sqlstate == "42804") {
        ++type_refusals[sqlstate];
        return;
      }
      fail("PostgreSQL prepares the compiled SQL", c.sql + "\n  " + message);
    }
    PQclear(r);
    r = PQdescribePrepared(conn, "");
    const int n = PQnparams(r);
    PQclear(r);
    check(static_cast<std::size_t>(n) == c.params.size(),
          "PostgreSQL sees one placeholder per parameter", c.sql);
    ++prepared;
  }

  // DDL is parsed, not run: a Parse message runs the raw parser on any statement.
  void parse_only(const CompiledStatement& c) const {
    PGresult* r = PQprepare(conn, "", c.sql.c_str(), 0, nullptr);
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const std::string sqlstate = state ? state : "";
    const std::string message = PQresultErrorMessage(r);
    PQclear(r);
    // 22021: text that is not valid UTF-8, which the server refuses as data.
    if (!ok && sqlstate != "22021")
      fail("PostgreSQL parses the compiled DDL", c.sql + "\n  " + message);
  }
};

Postgres& postgres() {
  static Postgres p;
  return p;
}

// $1..$n, each once and in order, outside quoted identifiers.
void check_pg_placeholders(const CompiledStatement& c) {
  std::size_t next = 1;
  bool quoted = false;
  for (std::size_t i = 0; i < c.sql.size(); ++i) {
    if (c.sql[i] == '"') quoted = !quoted;
    if (quoted || c.sql[i] != '$') continue;
    std::size_t j = i + 1;
    while (j < c.sql.size() && c.sql[j] >= '0' && c.sql[j] <= '9') ++j;
    check(c.sql.substr(i + 1, j - i - 1) == std::to_string(next), "placeholders run $1..$n", c.sql);
    ++next;
  }
  check(next - 1 == c.params.size(), "one $n per parameter", c.sql);
}

void run_ddl(fuzz::Input& in) {
  std::unique_ptr<RandomSchema> s;
  CompiledStatement lite, pg;
  try {
    s = random_schema(in);
    lite = sqlite_dialect().compile(CreateTable(*s->table));
    pg = postgresql_dialect().compile(CreateTable(*s->table));
  } catch (const Error& e) {
    // Only what SQL cannot spell: NUL in an identifier or a text default, a
    // default that is not a finite number, duplicate column names.
    const std::string_view what = e.what();
    check(what.find("NUL") != std::string_view::npos ||
              what.find("finite number") != std::string_view::npos ||
              what.find("more than once") != std::string_view::npos ||
              what.find("duplicate") != std::string_view::npos,
          "CREATE TABLE is refused only for what SQL cannot spell", e.what());
    return;
  }
  check(lite.params.empty() && pg.params.empty(), "DDL carries no parameters");
  // Prepared inside a savepoint-free database: CREATE TABLE of a new name.
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(sqlite().db, lite.sql.data(), static_cast<int>(lite.sql.size()),
                                    &stmt, nullptr);
  const std::string message = sqlite3_errmsg(sqlite().db);
  sqlite3_finalize(stmt);
  // A random table name may be one SQLite reserves (sqlite_...), or already exist.
  if (rc != SQLITE_OK && message.find("reserved for internal use") == std::string::npos &&
      message.find("already exists") == std::string::npos)
    fail("SQLite prepares the compiled CREATE TABLE", lite.sql + "\n  " + message);
  if (postgres().conn != nullptr) postgres().parse_only(pg);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  if (in.pick(16) == 0) {
    run_ddl(in);
    return 0;
  }
  Gen gen(in);
  std::unique_ptr<Executable> statement;
  CompiledStatement lite, pg;
  try {
    statement = gen.statement();
    lite = sqlite_dialect().compile(*statement);
    pg = postgresql_dialect().compile(*statement);
  } catch (const InvalidRequest& e) {
    // Labels, aliases and subquery names may be given any bytes; NUL is the one
    // byte an identifier cannot hold.
    check(std::string_view(e.what()).find("NUL") != std::string_view::npos,
          "a well-typed statement compiles", e.what());
    return 0;
  }
  static const bool show = std::getenv("RELATE_FUZZ_SHOW") != nullptr;
  if (show) std::fprintf(stderr, "sqlite: %s\npostgresql: %s\n", lite.sql.c_str(), pg.sql.c_str());
  check(lite.params.size() == pg.params.size(), "both dialects bind the same parameters");
  for (std::size_t i = 0; i < lite.params.size(); ++i)
    check(lite.params[i].key == pg.params[i].key, "both dialects bind the same parameters");
  sqlite().prepare(lite);
  check_pg_placeholders(pg);
  if (postgres().conn != nullptr) postgres().prepare(pg, gen.keys);
  return 0;
}
