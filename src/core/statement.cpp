#include "relate/core/statement.hpp"

#include <algorithm>

#include "core/node.hpp"

namespace relate {

using detail::FromKind;
using detail::FromNode;

TableAlias::TableAlias(const Table& table, std::string name) : table_(&table) {
  if (name.empty()) throw InvalidRequest("an alias of table " + table.name() + " needs a name");
  FromNode node{FromKind::alias};
  node.table = &table;
  node.name = std::move(name);
  from_ = std::make_shared<const FromNode>(std::move(node));
}

const std::string& TableAlias::name() const { return from_->name; }

Expr TableAlias::c(std::string_view column) const {
  detail::Node n{detail::NodeKind::column};
  n.column = &table_->column(column);
  n.text = n.column->name();
  n.from = from_;
  return detail::make_expr(std::move(n));
}

TableAlias alias(const Table& table, std::string name) {
  return TableAlias(table, std::move(name));
}

const std::string& Subquery::name() const { return from_->name; }

Expr Subquery::c(std::string_view column) const {
  std::vector<std::string> names;
  for (const auto& e : from_->select->parts().columns) names.push_back(e.output_name());
  if (std::find(names.begin(), names.end(), column) == names.end()) {
    std::string known;
    for (const auto& n : names)
      if (!n.empty()) known += (known.empty() ? "" : ", ") + n;
    throw InvalidRequest("subquery " + from_->name + " has no column '" + std::string(column) +
                         "' (its columns: " + (known.empty() ? "none named" : known) +
                         "); label the select's expressions with .label(\"name\")");
  }
  detail::Node n{detail::NodeKind::column};
  n.text = std::string(column);
  n.from = from_;
  return detail::make_expr(std::move(n));
}

namespace {

From make_join(const From& left, const From& right, Expr on, bool outer) {
  FromNode node{FromKind::join};
  node.left = left.node();
  node.right = right.node();
  node.on = std::move(on);
  node.outer = outer;
  return From(std::make_shared<const FromNode>(std::move(node)));
}

template <class T>
std::vector<T> appended(std::vector<T> v, std::vector<T> more) {
  for (auto& x : more) v.push_back(std::move(x));
  return v;
}

void check_column(const Table& table, const std::string& column) { (void)table.column(column); }

}  // namespace

From join(const From& left, const From& right, Expr on) {
  return make_join(left, right, std::move(on), false);
}
From outer_join(const From& left, const From& right, Expr on) {
  return make_join(left, right, std::move(on), true);
}

Select Select::columns(std::vector<Expr> more) const {
  Select s = *this;
  s.parts_.columns = appended(std::move(s.parts_.columns), std::move(more));
  return s;
}

Select Select::from(const From& item) const {
  Select s = *this;
  s.parts_.froms.push_back(item);
  return s;
}

Select Select::join(const From& right, Expr on) const {
  Select s = *this;
  if (s.parts_.froms.empty()) {
    std::vector<std::shared_ptr<const FromNode>> sources;
    for (const auto& c : s.parts_.columns) detail::collect_sources(c, sources);
    if (sources.empty()) throw InvalidRequest("join(): nothing to join from; call from() first");
    s.parts_.froms.emplace_back(sources.front());
  }
  From& last = s.parts_.froms.back();
  last = make_join(last, right, std::move(on), false);
  return s;
}

Select Select::outer_join(const From& right, Expr on) const {
  Select s = join(right, std::move(on));
  // join() built an inner join; rebuild the same node as an outer one.
  FromNode node = *s.parts_.froms.back().node();
  node.outer = true;
  s.parts_.froms.back() = From(std::make_shared<const FromNode>(std::move(node)));
  return s;
}

Select Select::where(Expr condition) const {
  Select s = *this;
  s.parts_.where.push_back(std::move(condition));
  return s;
}

Select Select::group_by(std::vector<Expr> exprs) const {
  Select s = *this;
  s.parts_.group_by = appended(std::move(s.parts_.group_by), std::move(exprs));
  return s;
}

Select Select::having(Expr condition) const {
  Select s = *this;
  s.parts_.having.push_back(std::move(condition));
  return s;
}

Select Select::order_by(std::vector<Expr> exprs) const {
  Select s = *this;
  s.parts_.order_by = appended(std::move(s.parts_.order_by), std::move(exprs));
  return s;
}

Select Select::limit(std::int64_t n) const { return limit(Expr(Value(n))); }
Select Select::limit(Expr n) const {
  Select s = *this;
  s.parts_.limit = std::move(n);
  return s;
}
Select Select::offset(std::int64_t n) const { return offset(Expr(Value(n))); }
Select Select::offset(Expr n) const {
  Select s = *this;
  s.parts_.offset = std::move(n);
  return s;
}

Select Select::distinct(bool yes) const {
  Select s = *this;
  s.parts_.distinct = yes;
  return s;
}

Select Select::for_update(bool yes) const {
  Select s = *this;
  s.parts_.for_update = yes;
  return s;
}

Subquery Select::subquery(std::string name) const {
  if (name.empty()) throw InvalidRequest("a subquery in FROM needs a name");
  FromNode node{FromKind::subquery};
  node.name = std::move(name);
  node.select = std::make_shared<const Select>(*this);
  return Subquery(std::make_shared<const FromNode>(std::move(node)));
}

Expr Select::scalar_subquery() const {
  detail::Node n{detail::NodeKind::scalar_select};
  n.select = std::make_shared<const Select>(*this);
  return detail::make_expr(std::move(n));
}

Select Select::count() const { return relate::select({relate::count()}).from(subquery("anon_1")); }

Select select(std::vector<Expr> columns) { return Select().columns(std::move(columns)); }

Select select(const Table& table) {
  std::vector<Expr> columns;
  for (const auto& c : table.columns()) columns.emplace_back(c);
  return select(std::move(columns));
}

Insert::Insert(const Table& table) { parts_.table = &table; }

Insert Insert::values(std::vector<Assignment> row) const {
  for (const auto& [column, value] : row) check_column(*parts_.table, column);
  Insert s = *this;
  s.parts_.rows.push_back(std::move(row));
  return s;
}

Insert Insert::bind_columns(const std::vector<std::string>& columns) const {
  std::vector<Assignment> row;
  for (const auto& c : columns) row.emplace_back(c, bind(c));
  return values(std::move(row));
}

Insert Insert::returning(std::vector<Expr> exprs) const {
  Insert s = *this;
  s.parts_.returning = appended(std::move(s.parts_.returning), std::move(exprs));
  return s;
}

Insert insert(const Table& table) { return Insert(table); }

Update::Update(const Table& table) { parts_.table = &table; }

Update Update::set(std::string column, Expr value) const {
  check_column(*parts_.table, column);
  Update s = *this;
  s.parts_.set.emplace_back(std::move(column), std::move(value));
  return s;
}

Update Update::values(std::vector<Assignment> assignments) const {
  Update s = *this;
  for (auto& [column, value] : assignments) s = s.set(std::move(column), std::move(value));
  return s;
}

Update Update::where(Expr condition) const {
  Update s = *this;
  s.parts_.where.push_back(std::move(condition));
  return s;
}

Update Update::returning(std::vector<Expr> exprs) const {
  Update s = *this;
  s.parts_.returning = appended(std::move(s.parts_.returning), std::move(exprs));
  return s;
}

Update update(const Table& table) { return Update(table); }

Delete::Delete(const Table& table) { parts_.table = &table; }

Delete Delete::where(Expr condition) const {
  Delete s = *this;
  s.parts_.where.push_back(std::move(condition));
  return s;
}

Delete Delete::returning(std::vector<Expr> exprs) const {
  Delete s = *this;
  s.parts_.returning = appended(std::move(s.parts_.returning), std::move(exprs));
  return s;
}

Delete delete_from(const Table& table) { return Delete(table); }

TextStatement TextStatement::bind(std::string name, Value value) const {
  TextStatement s = *this;
  s.bound_.insert_or_assign(std::move(name), std::move(value));
  return s;
}

TextStatement text(std::string sql) { return TextStatement(std::move(sql)); }

CreateTable CreateTable::without(const ForeignKey& foreign_key) const {
  CreateTable s = *this;
  s.omitted_.push_back(&foreign_key);
  return s;
}

namespace ddl {

std::vector<CompiledStatement> create_all(const MetaData& metadata, const Dialect& dialect,
                                          bool checkfirst) {
  const auto order = metadata.sorted_tables();
  // SQLite does not check references at CREATE time, so cycles can stay inline there.
  const bool alter_cycles = dialect.name() != "sqlite";
  const auto cyclic = alter_cycles ? metadata.cyclic_foreign_keys() : std::vector<ForeignKeyRef>{};
  std::vector<CompiledStatement> out;
  for (const Table* t : order) {
    CreateTable create(*t, checkfirst);
    for (const auto& ref : cyclic)
      if (ref.table == t) create = create.without(*ref.foreign_key);
    out.push_back(dialect.compile(create));
    for (const auto& ix : t->indexes())
      out.push_back(dialect.compile(CreateIndex(*t, ix, checkfirst)));
  }
  for (const auto& ref : cyclic) {
    // With checkfirst the constraint may already be there, and PostgreSQL has no
    // ADD CONSTRAINT IF NOT EXISTS: drop and re-add it.
    if (checkfirst)
      out.push_back(dialect.compile(
          DropConstraint(*ref.table, ref.foreign_key->name_or_default(ref.table->name()), true)));
    out.push_back(dialect.compile(AddConstraint(*ref.table, *ref.foreign_key)));
  }
  return out;
}

std::vector<CompiledStatement> drop_all(const MetaData& metadata, const Dialect& dialect) {
  auto order = metadata.sorted_tables();
  std::vector<CompiledStatement> out;
  if (dialect.name() != "sqlite")
    for (const auto& ref : metadata.cyclic_foreign_keys())
      out.push_back(dialect.compile(
          DropConstraint(*ref.table, ref.foreign_key->name_or_default(ref.table->name()), true)));
  std::reverse(order.begin(), order.end());
  for (const Table* t : order) out.push_back(dialect.compile(DropTable(*t, true)));
  return out;
}

}  // namespace ddl
}  // namespace relate
