// The dialect compiler: the one place in relate that writes SQL text. Values
// never enter the text; each becomes a placeholder and an entry of `params`, in
// the order the placeholders appear. Placeholders are numbered as they are
// emitted, so text is built left to right in separate statements: the operands
// of a + b are evaluated in no fixed order.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "core/node.hpp"
#include "relate/core/dialect.hpp"
#include "relate/core/schema.hpp"
#include "relate/core/statement.hpp"

namespace relate {
namespace detail {

namespace {

// Binding strength, loosest first. A child is parenthesised when it binds more
// loosely than its parent needs.
enum Precedence : int {
  prec_none = 0,
  prec_or = 1,
  prec_and = 2,
  prec_not = 3,
  prec_comparison = 4,
  prec_concat = 5,
  prec_additive = 6,
  prec_multiplicative = 7,
  prec_unary = 8,
  prec_atom = 10,
};

int precedence(const Node& n) {
  switch (n.kind) {
    case NodeKind::conjunction: return n.text == "AND" ? prec_and : prec_or;
    case NodeKind::unary: return n.text == "NOT" ? prec_not : prec_unary;
    case NodeKind::binary:
      if (n.text == "||") return prec_concat;
      if (n.text == "+" || n.text == "-") return prec_additive;
      if (n.text == "*" || n.text == "/" || n.text == "%") return prec_multiplicative;
      return prec_comparison;
    case NodeKind::boolean:
    case NodeKind::is_null:
    case NodeKind::in_list:
    case NodeKind::in_select:
    case NodeKind::like:
    case NodeKind::between:
    case NodeKind::exists: return prec_comparison;
    // A raw fragment may be anything; parenthesising it is always safe.
    case NodeKind::raw: return prec_none;
    case NodeKind::label:
    case NodeKind::ordering: return precedence(n.args[0].node());
    default: return prec_atom;
  }
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

char upper_ascii(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool equals_upper(std::string_view word, std::string_view upper) {
  if (word.size() != upper.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (upper_ascii(word[i]) != upper[i]) return false;
  return true;
}

}  // namespace

class Compiler {
 public:
  explicit Compiler(const Dialect& dialect)
      : dialect_(dialect), postgres_(dialect.name() == "postgresql") {}

  CompiledStatement finish() { return std::move(out_); }

  void compile(const Select& s) {
    out_.kind = StatementKind::select;
    out_.returns_rows = true;
    out_.sql = select_sql(s, false);
  }

  void compile(const Insert& s) {
    out_.kind = StatementKind::insert;
    const auto& p = s.parts();
    const Table& table = *p.table;
    std::string sql = "INSERT INTO " + quote(table.name());
    // VALUES have no row of the table to correlate to: a subquery there keeps
    // every table it names in its own FROM. RETURNING does see the new row.
    std::optional<Target> target(std::in_place, *this, table, false);

    // Every row names the same columns, in the first row's order; client-side
    // defaults fill the columns no row names.
    std::vector<std::string> columns;
    if (!p.rows.empty())
      for (const auto& [c, v] : p.rows.front()) columns.push_back(c);
    for (const auto& row : p.rows) {
      bool same = row.size() == columns.size();
      for (const auto& [c, v] : row)
        same = same && std::find(columns.begin(), columns.end(), c) != columns.end();
      if (!same)
        throw InvalidRequest("INSERT INTO " + table.name() +
                             ": every row of a multi-row insert must name the same columns");
    }
    std::vector<const Column*> defaulted;
    for (const auto& c : table.columns())
      if (c.default_value() && std::find(columns.begin(), columns.end(), c.name()) == columns.end())
        defaulted.push_back(&c);

    if (columns.empty() && defaulted.empty()) {
      sql += " DEFAULT VALUES";
    } else {
      std::string names;
      for (const auto& c : columns) append_list(names, quote(c));
      for (const Column* c : defaulted) append_list(names, quote(c->name()));
      sql += " (" + names + ") VALUES ";
      const std::size_t row_count = std::max<std::size_t>(p.rows.size(), 1);
      for (std::size_t r = 0; r < row_count; ++r) {
        std::string values;
        for (const auto& c : columns) {
          const auto& row = p.rows[r];
          auto it =
              std::find_if(row.begin(), row.end(), [&](const auto& a) { return a.first == c; });
          append_list(values, expr(it->second));
        }
        for (const Column* c : defaulted) append_list(values, param(*c->default_value()));
        sql += (r == 0 ? "(" : ", (") + values + ")";
      }
    }
    target.reset();
    target.emplace(*this, table);
    sql += returning(p.returning);
    out_.sql = std::move(sql);
  }

  void compile(const Update& s) {
    out_.kind = StatementKind::update;
    const auto& p = s.parts();
    if (p.set.empty())
      throw InvalidRequest("UPDATE " + p.table->name() + " sets no column; call set() first");
    Target target(*this, *p.table);
    std::string sql = "UPDATE " + quote(p.table->name()) + " SET ";
    std::string sets;
    for (const auto& [c, v] : p.set) append_list(sets, quote(c) + " = " + expr(v));
    sql += sets;
    sql += where(p.where);
    sql += returning(p.returning);
    out_.sql = std::move(sql);
  }

  void compile(const Delete& s) {
    out_.kind = StatementKind::remove;
    const auto& p = s.parts();
    Target target(*this, *p.table);
    out_.sql = "DELETE FROM " + quote(p.table->name());
    out_.sql += where(p.where);
    out_.sql += returning(p.returning);
  }

  void compile(const TextStatement& s);

  void compile(const CreateTable& s);

  void compile(const DropTable& s) {
    out_.kind = StatementKind::ddl;
    out_.sql =
        std::string("DROP TABLE ") + (s.if_exists() ? "IF EXISTS " : "") + quote(s.table().name());
  }

  void compile(const CreateIndex& s) {
    out_.kind = StatementKind::ddl;
    const Index& ix = s.index();
    std::string cols;
    for (const auto& c : ix.columns()) {
      (void)s.table().column(c);
      append_list(cols, quote(c));
    }
    out_.sql = std::string("CREATE ") + (ix.unique() ? "UNIQUE " : "") + "INDEX " +
               (s.if_not_exists() ? "IF NOT EXISTS " : "") + quote(ix.name()) + " ON " +
               quote(s.table().name()) + " (" + cols + ")";
  }

  void compile(const DropIndex& s) {
    out_.kind = StatementKind::ddl;
    out_.sql = std::string("DROP INDEX ") + (s.if_exists() ? "IF EXISTS " : "") + quote(s.name());
  }

  void compile(const AddConstraint& s) {
    out_.kind = StatementKind::ddl;
    if (!postgres_)
      throw InvalidRequest("ALTER TABLE " + s.table().name() +
                           " ADD CONSTRAINT: SQLite cannot add constraints to a table; declare "
                           "the foreign key in CREATE TABLE");
    s.table().referenced_table(s.foreign_key());
    out_.sql = "ALTER TABLE " + quote(s.table().name()) + " ADD " +
               foreign_key_sql(s.table(), s.foreign_key(), true);
  }

  void compile(const DropConstraint& s) {
    out_.kind = StatementKind::ddl;
    if (!postgres_)
      throw InvalidRequest("ALTER TABLE " + s.table().name() +
                           " DROP CONSTRAINT: SQLite cannot drop constraints from a table");
    const char* if_exists = s.if_exists() ? "IF EXISTS " : "";
    out_.sql = std::string("ALTER TABLE ") + if_exists + quote(s.table().name()) +
               " DROP CONSTRAINT " + if_exists + quote(s.name());
  }

 private:
  // Makes a DML statement's own table the default for its columns: they are
  // written unqualified at the top level and correlate in subqueries.
  // (Without correlation the table only makes bare references to other tables
  // an error.)
  class Target {
   public:
    Target(Compiler& c, const Table& table, bool correlate = true) : c_(c), correlate_(correlate) {
      c_.unqualified_ = table.from_node().get();
      if (correlate_) c_.scope_.push_back(table.from_node().get());
    }
    ~Target() {
      c_.unqualified_ = nullptr;
      if (correlate_) c_.scope_.pop_back();
    }
    Target(const Target&) = delete;
    Target& operator=(const Target&) = delete;

   private:
    Compiler& c_;
    bool correlate_;
  };

  std::string quote(std::string_view id) const { return dialect_.quote_identifier(id); }

  static void append_list(std::string& list, const std::string& item) {
    if (!list.empty()) list += ", ";
    list += item;
  }

  std::string param(Value v) {
    out_.params.push_back({std::move(v), -1});
    return dialect_.placeholder(out_.params.size());
  }

  std::string key_param(const std::string& key) {
    int k = out_.key_index(key);
    if (k < 0) {
      out_.keys.push_back(key);
      k = static_cast<int>(out_.keys.size()) - 1;
    }
    out_.params.push_back({Value(), k});
    return dialect_.placeholder(out_.params.size());
  }

  std::string operand(const Expr& e, int parent, bool strict) {
    const int p = precedence(e.node());
    const bool paren = p < parent || (strict && p == parent);
    std::string s = expr(e);
    return paren ? "(" + s + ")" : s;
  }

  std::string column_ref(const Node& n) const {
    if (n.from.get() == unqualified_) return quote(n.text);
    // INSERT, UPDATE and DELETE name one table; another one is only reachable
    // through a subquery, and writing it bare would be an unknown-table error later.
    if (unqualified_ != nullptr)
      throw InvalidRequest("a statement on table " + unqualified_->name + " refers to " +
                           n.from->name + "." + n.text +
                           " outside a subquery; reach other tables with exists(select(...)) "
                           "or in_(select(...))");
    return quote(n.from->name) + "." + quote(n.text);
  }

  std::string type_sql(const SqlType& t) const {
    switch (t.kind) {
      case TypeKind::small_integer: return postgres_ ? "SMALLINT" : "INTEGER";
      case TypeKind::integer: return "INTEGER";
      case TypeKind::big_integer: return postgres_ ? "BIGINT" : "INTEGER";
      case TypeKind::real: return postgres_ ? "DOUBLE PRECISION" : "REAL";
      case TypeKind::text:
        return t.length > 0 ? "VARCHAR(" + std::to_string(t.length) + ")" : "TEXT";
      case TypeKind::blob: return postgres_ ? "BYTEA" : "BLOB";
      case TypeKind::boolean: return "BOOLEAN";
      case TypeKind::date: return "DATE";
      case TypeKind::timestamp: return "TIMESTAMP";
    }
    return "TEXT";
  }

  // CAST targets. SQLite gives DATE, TIMESTAMP and BOOLEAN numeric affinity, which
  // would turn '2024-01-02' into 2024: cast to the storage class relate uses.
  std::string cast_type_sql(const SqlType& t) const {
    if (!postgres_) {
      if (t.kind == TypeKind::date || t.kind == TypeKind::timestamp) return "TEXT";
      if (t.kind == TypeKind::boolean) return "INTEGER";
    }
    return type_sql(t);
  }

  std::string like_sql(const Node& n) {
    const bool lowered = n.flag && !postgres_;
    std::string op = n.negated ? "NOT LIKE" : "LIKE";
    if (n.flag && postgres_) op = n.negated ? "NOT ILIKE" : "ILIKE";
    std::string sql =
        lowered ? "lower(" + expr(n.args[0]) + ")" : operand(n.args[0], prec_comparison, true);
    sql += " " + op + " ";
    sql += lowered ? "lower(" + expr(n.args[1]) + ")" : operand(n.args[1], prec_comparison, true);
    if (n.args.size() > 2) sql += " ESCAPE " + expr(n.args[2]);
    return sql;
  }

  std::string expr(const Expr& e) {
    const Node& n = e.node();
    switch (n.kind) {
      case NodeKind::column: return column_ref(n);
      case NodeKind::value: return param(n.value);
      case NodeKind::bind: return key_param(n.text);
      case NodeKind::raw: return n.text;
      case NodeKind::boolean: return n.flag ? "1 = 1" : "1 != 1";
      case NodeKind::unary:
        if (n.text == "NOT") return "NOT " + operand(n.args[0], prec_atom, false);
        return n.text + operand(n.args[0], prec_unary, true);
      case NodeKind::is_null:
        return operand(n.args[0], prec_comparison, true) +
               (n.negated ? " IS NOT NULL" : " IS NULL");
      case NodeKind::binary: {
        const int p = precedence(n);
        if (p == prec_concat) {
          // || binds tighter than arithmetic on SQLite and looser on PostgreSQL:
          // parenthesise every operator operand so both read it alike.
          const bool left_concat =
              n.args[0].node().kind == NodeKind::binary && n.args[0].node().text == "||";
          std::string sql = left_concat ? expr(n.args[0]) : operand(n.args[0], prec_atom, false);
          sql += " || ";
          sql += operand(n.args[1], prec_atom, false);
          return sql;
        }
        std::string sql = operand(n.args[0], p, p == prec_comparison);
        sql += " " + n.text + " ";
        // "a - -b" is valid but reads like a comment marker: write "a - (-b)".
        const Node& right = n.args[1].node();
        const bool negative = right.kind == NodeKind::unary && right.text == "-";
        sql += negative ? "(" + expr(n.args[1]) + ")" : operand(n.args[1], p, true);
        return sql;
      }
      case NodeKind::conjunction: {
        const int p = precedence(n);
        std::string sql;
        for (std::size_t i = 0; i < n.args.size(); ++i) {
          if (i > 0) sql += " " + n.text + " ";
          sql += operand(n.args[i], p, false);
        }
        return sql;
      }
      case NodeKind::in_list: {
        if (n.args.size() == 1) return n.negated ? "1 = 1" : "1 != 1";
        std::string sql =
            operand(n.args[0], prec_comparison, true) + (n.negated ? " NOT IN (" : " IN (");
        for (std::size_t i = 1; i < n.args.size(); ++i) {
          if (i > 1) sql += ", ";
          sql += expr(n.args[i]);
        }
        return sql + ")";
      }
      case NodeKind::in_select: {
        std::string sql = operand(n.args[0], prec_comparison, true);
        sql += n.negated ? " NOT IN (" : " IN (";
        sql += select_sql(*n.select, false);
        return sql + ")";
      }
      case NodeKind::like: return like_sql(n);
      case NodeKind::between: {
        std::string sql = operand(n.args[0], prec_comparison, true);
        sql += " BETWEEN ";
        sql += operand(n.args[1], prec_comparison, true);
        sql += " AND ";
        sql += operand(n.args[2], prec_comparison, true);
        return sql;
      }
      case NodeKind::function: {
        if (n.star) return n.text + "(*)";
        std::string args;
        for (const auto& a : n.args) append_list(args, expr(a));
        return n.text + "(" + (n.flag ? "DISTINCT " : "") + args + ")";
      }
      case NodeKind::cast: return "CAST(" + expr(n.args[0]) + " AS " + cast_type_sql(n.type) + ")";
      case NodeKind::ordering: {
        std::string sql = expr(n.args[0]) + (n.flag ? " DESC" : " ASC");
        if (n.nulls == NullsOrder::first) sql += " NULLS FIRST";
        if (n.nulls == NullsOrder::last) sql += " NULLS LAST";
        return sql;
      }
      case NodeKind::label: return expr(n.args[0]);
      case NodeKind::scalar_select: return "(" + select_sql(*n.select, false) + ")";
      case NodeKind::exists:
        return std::string(n.negated ? "NOT EXISTS (" : "EXISTS (") + select_sql(*n.select, true) +
               ")";
    }
    return {};
  }

  // A column of a select list or RETURNING: labels become "AS name".
  std::string output_column(const Expr& e) {
    const Node& n = e.node();
    if (n.kind == NodeKind::label) return expr(n.args[0]) + " AS " + quote(n.text);
    return expr(e);
  }

  std::string where(const std::vector<Expr>& conditions) {
    if (conditions.empty()) return {};
    return " WHERE " + expr(and_(conditions));
  }

  std::string returning(const std::vector<Expr>& exprs) {
    if (exprs.empty()) return {};
    out_.returns_rows = true;
    std::string list;
    for (const auto& e : exprs) append_list(list, output_column(e));
    return " RETURNING " + list;
  }

  std::string from_sql(const FromNode& f) {
    switch (f.kind) {
      case FromKind::table: return quote(f.name);
      case FromKind::alias: return quote(f.table->name()) + " AS " + quote(f.name);
      case FromKind::subquery: {
        // A subquery in FROM cannot see the FROM items beside it (that would
        // take LATERAL), so it correlates to nothing: its tables are its own.
        std::vector<const FromNode*> enclosing;
        enclosing.swap(scope_);
        std::string sql = "(" + select_sql(*f.select, false) + ") AS " + quote(f.name);
        scope_.swap(enclosing);
        return sql;
      }
      case FromKind::join: {
        std::string sql = from_sql(*f.left);
        sql += f.outer ? " LEFT OUTER JOIN " : " JOIN ";
        sql += from_sql(*f.right);
        sql += " ON ";
        sql += expr(*f.on);
        return sql;
      }
    }
    return {};
  }

  std::string select_sql(const Select& s, bool in_exists) {
    const auto& p = s.parts();
    // Subqueries qualify every column: a bare name there could bind to the inner table.
    const FromNode* saved_unqualified = unqualified_;
    unqualified_ = nullptr;
    const std::size_t saved_scope = scope_.size();

    // FROM: the explicit items, then every other table the clauses refer to,
    // except those of enclosing statements (correlation).
    std::vector<const FromNode*> explicit_leaves;
    for (const auto& f : p.froms) collect_leaves(*f.node(), explicit_leaves);
    std::vector<std::shared_ptr<const FromNode>> sources;
    for (const auto& e : p.columns) collect_sources(e, sources);
    for (const auto& e : p.where) collect_sources(e, sources);
    for (const auto& e : p.group_by) collect_sources(e, sources);
    for (const auto& e : p.having) collect_sources(e, sources);
    for (const auto& e : p.order_by) collect_sources(e, sources);
    std::vector<const FromNode*> implicit;
    for (const auto& src : sources)
      if (std::find(explicit_leaves.begin(), explicit_leaves.end(), src.get()) ==
          explicit_leaves.end())
        implicit.push_back(src.get());
    std::vector<const FromNode*> uncorrelated;
    for (const FromNode* f : implicit)
      if (std::find(scope_.begin(), scope_.end(), f) == scope_.end()) uncorrelated.push_back(f);
    // A select whose every table is an outer one correlates nothing.
    if (!p.froms.empty() || !uncorrelated.empty()) implicit = std::move(uncorrelated);
    scope_.insert(scope_.end(), explicit_leaves.begin(), explicit_leaves.end());
    scope_.insert(scope_.end(), implicit.begin(), implicit.end());

    std::string sql = "SELECT ";
    if (p.distinct) sql += "DISTINCT ";
    if (p.columns.empty()) {
      if (!in_exists)
        throw InvalidRequest("a SELECT needs at least one column: select({table.c(\"id\"), ...})");
      sql += "1";
    } else {
      std::string list;
      for (const auto& e : p.columns) append_list(list, output_column(e));
      sql += list;
    }
    std::string froms;
    for (const auto& f : p.froms) append_list(froms, from_sql(*f.node()));
    for (const FromNode* f : implicit) append_list(froms, from_sql(*f));
    if (!froms.empty()) sql += " FROM " + froms;
    sql += where(p.where);
    if (!p.group_by.empty()) {
      std::string list;
      for (const auto& e : p.group_by) append_list(list, expr(e));
      sql += " GROUP BY " + list;
    }
    if (!p.having.empty()) sql += " HAVING " + expr(and_(p.having));
    if (!p.order_by.empty()) {
      std::string list;
      for (const auto& e : p.order_by) append_list(list, expr(e));
      sql += " ORDER BY " + list;
    }
    if (p.limit) sql += " LIMIT " + expr(*p.limit);
    if (p.offset) {
      // SQLite has no OFFSET without LIMIT; -1 means no limit.
      if (!p.limit && !postgres_) sql += " LIMIT -1";
      sql += " OFFSET " + expr(*p.offset);
    }
    if (p.for_update && postgres_) sql += " FOR UPDATE";

    scope_.resize(saved_scope);
    unqualified_ = saved_unqualified;
    return sql;
  }

  // DDL cannot take bound parameters: this is the one place a value becomes a literal.
  std::string literal(const Value& v, const Column& c) const {
    switch (v.kind()) {
      case ValueKind::null: return "NULL";
      case ValueKind::integer: return std::to_string(v.as_integer());
      case ValueKind::real: {
        const double d = v.as_real();
        if (!std::isfinite(d))
          throw ConfigurationError("server default of column " + c.name() +
                                   " is not a finite number; use sql_expr() for special values");
        char buf[32];
        auto res = std::to_chars(buf, buf + sizeof buf, d);
        return std::string(buf, res.ptr);
      }
      case ValueKind::boolean:
        return postgres_ ? (v.as_boolean() ? "TRUE" : "FALSE") : (v.as_boolean() ? "1" : "0");
      case ValueKind::text: {
        std::string out = "'";
        for (char ch : v.as_text()) {
          if (ch == '\0')
            throw ConfigurationError("server default of column " + c.name() +
                                     " contains a NUL character, which SQL text cannot hold");
          if (ch == '\'') out += '\'';
          out += ch;
        }
        return out + "'";
      }
      case ValueKind::blob: {
        static constexpr char hex[] = "0123456789abcdef";
        std::string digits;
        for (std::byte b : v.as_blob()) {
          const auto u = std::to_integer<unsigned>(b);
          digits += hex[u >> 4];
          digits += hex[u & 15];
        }
        return postgres_ ? "'\\x" + digits + "'" : "X'" + digits + "'";
      }
    }
    return "NULL";
  }

  std::string foreign_key_sql(const Table& table, const ForeignKey& fk, bool always_named) const {
    std::string sql;
    if (always_named || !fk.name().empty())
      sql += "CONSTRAINT " + quote(fk.name_or_default(table.name())) + " ";
    std::string local, remote;
    for (const auto& c : fk.columns()) append_list(local, quote(c));
    for (const auto& c : fk.target_columns()) append_list(remote, quote(c));
    sql +=
        "FOREIGN KEY (" + local + ") REFERENCES " + quote(fk.target_table()) + " (" + remote + ")";
    if (fk.on_delete() != ReferentialAction::no_action)
      sql += " ON DELETE " + std::string(to_string(fk.on_delete()));
    if (fk.on_update() != ReferentialAction::no_action)
      sql += " ON UPDATE " + std::string(to_string(fk.on_update()));
    return sql;
  }

  const Dialect& dialect_;
  const bool postgres_;
  CompiledStatement out_;
  // FROM items of the statements enclosing the current one, for correlation.
  std::vector<const FromNode*> scope_;
  // The table whose columns are written without qualification (DML target).
  const FromNode* unqualified_ = nullptr;
};

void Compiler::compile(const CreateTable& s) {
  out_.kind = StatementKind::ddl;
  const Table& t = s.table();
  if (t.columns().empty())
    throw ConfigurationError("table " + t.name() + " has no columns; CREATE TABLE needs one");
  t.validate();
  const Column* autoinc = t.autoincrement_column();
  const auto pk = t.primary_key();
  // SQLite makes an INTEGER PRIMARY KEY written on the column the rowid, which is
  // how it generates keys; AUTOINCREMENT is only allowed there.
  const bool sqlite_rowid = !postgres_ && autoinc != nullptr;

  std::string items;
  for (const auto& c : t.columns()) {
    std::string def = quote(c.name()) + " " + type_sql(c.type());
    if (postgres_ && &c == autoinc) {
      def += " GENERATED BY DEFAULT AS IDENTITY";
    } else {
      if (c.server_default_value()) def += " DEFAULT " + literal(*c.server_default_value(), c);
      if (!c.server_default_sql().empty()) def += " DEFAULT " + c.server_default_sql();
      if (!c.is_nullable()) def += " NOT NULL";
    }
    if (sqlite_rowid && &c == autoinc) {
      def += " PRIMARY KEY";
      if (c.is_strict_autoincrement()) def += " AUTOINCREMENT";
    }
    if (c.is_unique() && !c.has_index()) def += " UNIQUE";
    append_list(items, def);
  }
  if (!pk.empty() && !sqlite_rowid) {
    std::string cols;
    for (const Column* c : pk) append_list(cols, quote(c->name()));
    append_list(items, "PRIMARY KEY (" + cols + ")");
  }
  for (const auto& fk : t.foreign_keys()) {
    if (std::find(s.omitted().begin(), s.omitted().end(), &fk) != s.omitted().end()) continue;
    append_list(items, foreign_key_sql(t, fk, false));
  }
  for (const auto& uq : t.unique_constraints()) {
    std::string cols;
    for (const auto& c : uq.columns()) append_list(cols, quote(c));
    append_list(items, (uq.name().empty() ? "" : "CONSTRAINT " + quote(uq.name()) + " ") +
                           "UNIQUE (" + cols + ")");
  }
  out_.sql = std::string("CREATE TABLE ") + (s.if_not_exists() ? "IF NOT EXISTS " : "") +
             quote(t.name()) + " (" + items + ")";
}

// Copies raw SQL, turning :name markers into placeholders. Quoted strings, quoted
// identifiers, comments, PostgreSQL dollar-quoted strings and :: casts pass
// through untouched.
void Compiler::compile(const TextStatement& s) {
  out_.kind = StatementKind::text;
  const std::string& in = s.sql();
  const std::size_t n = in.size();
  std::string sql;
  sql.reserve(n);
  std::string first_word;
  bool has_returning = false;
  std::size_t i = 0;
  auto copy_until = [&](std::size_t from, std::string_view end) {
    const auto stop = in.find(end, from);
    const std::size_t to = stop == std::string::npos ? n : stop + end.size();
    sql.append(in, i, to - i);
    i = to;
  };
  while (i < n) {
    const char c = in[i];
    const char next = i + 1 < n ? in[i + 1] : '\0';
    if (c == '\'' || c == '"') {
      // '' and "" inside are two quoted runs back to back, which this handles too.
      copy_until(i + 1, std::string_view(&c, 1));
    } else if (c == '-' && next == '-') {
      copy_until(i + 2, "\n");
    } else if (c == '/' && next == '*') {
      copy_until(i + 2, "*/");
    } else if (c == '$' && postgres_ &&
               (next == '$' || (is_word_char(next) && !(next >= '0' && next <= '9')))) {
      std::size_t j = i + 1;
      while (j < n && is_word_char(in[j])) ++j;
      if (j < n && in[j] == '$') {
        const std::string tag = in.substr(i, j - i + 1);
        copy_until(j + 1, tag);
      } else {
        sql.append(in, i, j - i);
        i = j;
      }
    } else if (c == ':' && next == ':') {
      std::size_t j = i;
      while (j < n && in[j] == ':') ++j;
      sql.append(in, i, j - i);
      i = j;
    } else if (c == ':' && (is_word_char(next) && !(next >= '0' && next <= '9')) &&
               (i == 0 || !is_word_char(in[i - 1]))) {
      std::size_t j = i + 1;
      while (j < n && is_word_char(in[j])) ++j;
      const std::string name = in.substr(i + 1, j - i - 1);
      auto it = s.bound().find(name);
      sql += it != s.bound().end() ? param(it->second) : key_param(name);
      i = j;
    } else if (is_word_char(c)) {
      std::size_t j = i;
      while (j < n && is_word_char(in[j])) ++j;
      const std::string_view word(in.data() + i, j - i);
      if (first_word.empty()) first_word = word;
      if (equals_upper(word, "RETURNING")) has_returning = true;
      sql.append(word);
      i = j;
    } else {
      sql += c;
      ++i;
    }
  }
  for (std::string_view kw : {"SELECT", "WITH", "VALUES", "PRAGMA", "EXPLAIN", "SHOW", "TABLE"})
    if (equals_upper(first_word, kw)) has_returning = true;
  out_.returns_rows = has_returning;
  out_.sql = std::move(sql);
}

}  // namespace detail

void Select::accept(detail::Compiler& c) const { c.compile(*this); }
void Insert::accept(detail::Compiler& c) const { c.compile(*this); }
void Update::accept(detail::Compiler& c) const { c.compile(*this); }
void Delete::accept(detail::Compiler& c) const { c.compile(*this); }
void TextStatement::accept(detail::Compiler& c) const { c.compile(*this); }
void CreateTable::accept(detail::Compiler& c) const { c.compile(*this); }
void DropTable::accept(detail::Compiler& c) const { c.compile(*this); }
void CreateIndex::accept(detail::Compiler& c) const { c.compile(*this); }
void DropIndex::accept(detail::Compiler& c) const { c.compile(*this); }
void AddConstraint::accept(detail::Compiler& c) const { c.compile(*this); }
void DropConstraint::accept(detail::Compiler& c) const { c.compile(*this); }

CompiledStatement Dialect::compile(const Executable& statement) const {
  detail::Compiler compiler(*this);
  statement.accept(compiler);
  return compiler.finish();
}

}  // namespace relate
