#include "relate/core/schema.hpp"

#include <algorithm>
#include <functional>

#include "core/node.hpp"

namespace relate {

namespace detail {
struct TableSet {
  std::vector<std::unique_ptr<Table>> tables;
  const Table* find(std::string_view name) const noexcept {
    for (const auto& t : tables)
      if (t->name() == name) return t.get();
    return nullptr;
  }
};
}  // namespace detail

std::string_view to_string(ReferentialAction action) noexcept {
  switch (action) {
    case ReferentialAction::no_action: return "NO ACTION";
    case ReferentialAction::restrict: return "RESTRICT";
    case ReferentialAction::cascade: return "CASCADE";
    case ReferentialAction::set_null: return "SET NULL";
    case ReferentialAction::set_default: return "SET DEFAULT";
  }
  return "NO ACTION";
}

namespace {

std::string join_names(const std::vector<std::string>& names, std::string_view sep = ", ") {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += sep;
    out += n;
  }
  return out;
}

std::string column_names(const Table& table) {
  std::vector<std::string> names;
  for (const auto& c : table.columns()) names.push_back(c.name());
  return names.empty() ? "none" : join_names(names);
}

// Splits "table.column" at the last dot.
std::pair<std::string, std::string> split_target(const std::string& target) {
  const auto dot = target.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == target.size())
    throw ConfigurationError("foreign key target \"" + target +
                             "\" is not of the form \"table.column\"; write e.g. \"users.id\"");
  return {target.substr(0, dot), target.substr(dot + 1)};
}

}  // namespace

ForeignKey::ForeignKey(std::vector<std::string> columns, std::vector<std::string> targets)
    : columns_(std::move(columns)) {
  if (columns_.empty() || columns_.size() != targets.size())
    throw ConfigurationError("foreign key (" + join_names(columns_) + ") -> (" +
                             join_names(targets) +
                             "): give one \"table.column\" target per local column");
  for (const auto& t : targets) {
    auto [table, column] = split_target(t);
    if (!target_table_.empty() && table != target_table_)
      throw ConfigurationError("foreign key (" + join_names(columns_) + ") -> (" +
                               join_names(targets) +
                               "): every target column must be in the same table");
    target_table_ = std::move(table);
    target_columns_.push_back(std::move(column));
  }
}

ForeignKey::ForeignKey(std::vector<std::string> columns, const Table& target,
                       std::vector<std::string> target_columns)
    : columns_(std::move(columns)),
      target_table_(target.name()),
      target_columns_(std::move(target_columns)) {
  if (columns_.empty() || columns_.size() != target_columns_.size())
    throw ConfigurationError("foreign key (" + join_names(columns_) + ") -> " + target_table_ +
                             " (" + join_names(target_columns_) +
                             "): give one target column per local column");
}

ForeignKey::ForeignKey(std::string column, const Column& target)
    : columns_{std::move(column)}, target_columns_{target.name()} {
  if (target.table() == nullptr)
    throw ConfigurationError("foreign key " + columns_[0] + " -> column '" + target.name() +
                             "' that belongs to no table; pass the table's column, e.g. "
                             "users.column(\"id\")");
  target_table_ = target.table()->name();
}

std::string ForeignKey::name_or_default(std::string_view table) const {
  if (!name_.empty()) return name_;
  return std::string(table) + "_" + join_names(columns_, "_") + "_fkey";
}

Column& Column::server_default(Value literal) {
  server_default_value_ = std::move(literal);
  server_default_sql_.clear();
  return *this;
}

Column& Column::server_default_expr(const Expr& raw_sql) {
  if (raw_sql.node().kind != detail::NodeKind::raw)
    throw ConfigurationError("server default of column '" + name_ +
                             "' must be a literal value or sql_expr(\"...\")");
  server_default_sql_ = raw_sql.node().text;
  server_default_value_.reset();
  return *this;
}

Column& Column::references(std::string target, ReferentialAction on_delete,
                           ReferentialAction on_update) {
  ForeignKey fk({name_}, {std::move(target)});
  fk.on_delete(on_delete).on_update(on_update);
  foreign_key_ = std::move(fk);
  return *this;
}

Column& Column::references(const Column& target, ReferentialAction on_delete,
                           ReferentialAction on_update) {
  ForeignKey fk(name_, target);
  fk.on_delete(on_delete).on_update(on_update);
  foreign_key_ = std::move(fk);
  return *this;
}

Table::Table(const detail::TableSet& owner, std::string name)
    : owner_(&owner), name_(std::move(name)) {
  if (name_.empty()) throw ConfigurationError("a table needs a name");
  detail::FromNode node{detail::FromKind::table};
  node.table = this;
  node.name = name_;
  from_ = std::make_shared<const detail::FromNode>(std::move(node));
}

Table::~Table() = default;

const Column* Table::find_column(std::string_view name) const noexcept {
  for (const auto& c : columns_)
    if (c.name() == name) return &c;
  return nullptr;
}

const Column& Table::column(std::string_view name) const {
  if (const Column* c = find_column(name)) return *c;
  throw InvalidRequest("table " + name_ + " has no column '" + std::string(name) +
                       "' (its columns: " + column_names(*this) + ")");
}

Expr Table::c(std::string_view name) const { return Expr(column(name)); }

std::vector<const Column*> Table::primary_key() const {
  std::vector<const Column*> out;
  for (const auto& c : columns_)
    if (c.is_primary_key()) out.push_back(&c);
  return out;
}

const Column* Table::autoincrement_column() const noexcept {
  const Column* pk = nullptr;
  for (const auto& c : columns_) {
    if (!c.is_primary_key()) continue;
    if (pk != nullptr) return nullptr;  // composite keys are the application's to give
    pk = &c;
  }
  if (pk == nullptr || pk->has_server_default()) return nullptr;
  const TypeKind k = pk->type().kind;
  if (k != TypeKind::small_integer && k != TypeKind::integer && k != TypeKind::big_integer)
    return nullptr;
  const auto setting = pk->autoincrement_setting();
  if (setting) return *setting ? pk : nullptr;
  // A key that refers to another row's key is copied from it, not generated.
  for (const auto& fk : foreign_keys_)
    if (std::find(fk.columns().begin(), fk.columns().end(), pk->name()) != fk.columns().end())
      return nullptr;
  return pk;
}

Table& Table::add(TableElement element) {
  if (auto* col = std::get_if<Column>(&element)) {
    if (col->name().empty()) throw ConfigurationError("table " + name_ + ": a column needs a name");
    if (find_column(col->name()) != nullptr)
      throw ConfigurationError("table " + name_ + " already has a column named '" + col->name() +
                               "'");
    Column& c = columns_.emplace_back(std::move(*col));
    c.table_ = this;
    if (c.foreign_key()) foreign_keys_.push_back(*c.foreign_key());
    if (c.has_index())
      indexes_.emplace_back("ix_" + name_ + "_" + c.name(), std::vector<std::string>{c.name()},
                            c.is_unique());
  } else if (auto* fk = std::get_if<ForeignKey>(&element)) {
    foreign_keys_.push_back(std::move(*fk));
  } else if (auto* uq = std::get_if<UniqueConstraint>(&element)) {
    if (uq->columns().empty())
      throw ConfigurationError("table " + name_ + ": a unique constraint needs columns");
    uniques_.push_back(std::move(*uq));
  } else if (auto* ix = std::get_if<Index>(&element)) {
    if (ix->columns().empty() || ix->name().empty())
      throw ConfigurationError("table " + name_ + ": an index needs a name and columns");
    indexes_.push_back(std::move(*ix));
  }
  return *this;
}

const Table& Table::referenced_table(const ForeignKey& fk) const {
  const std::string local = name_ + "." + join_names(fk.columns(), ", ");
  std::vector<std::string> targets;
  for (const auto& c : fk.target_columns()) targets.push_back(fk.target_table() + "." + c);
  const std::string target = join_names(targets);
  for (const auto& c : fk.columns())
    if (find_column(c) == nullptr)
      throw ConfigurationError("table " + name_ + ": foreign key to " + target + " names column '" +
                               c + "', which the table does not have (its columns: " +
                               column_names(*this) + "); fix the column name");
  const Table* ref = owner_->find(fk.target_table());
  if (ref == nullptr)
    throw ConfigurationError("foreign key " + local + " references " + target +
                             ", but there is no table '" + fk.target_table() +
                             "' in this MetaData; declare table '" + fk.target_table() +
                             "' or fix the target name");
  for (const auto& c : fk.target_columns())
    if (ref->find_column(c) == nullptr)
      throw ConfigurationError("foreign key " + local + " references " + target + ", but table " +
                               ref->name() + " has no column '" + c + "' (its columns: " +
                               column_names(*ref) + "); fix the target column name");
  return *ref;
}

void Table::validate() const {
  auto check_local = [&](const std::vector<std::string>& cols, const std::string& what) {
    for (const auto& c : cols)
      if (find_column(c) == nullptr)
        throw ConfigurationError("table " + name_ + ": " + what + " names column '" + c +
                                 "', which the table does not have (its columns: " +
                                 column_names(*this) + "); fix the column name");
  };
  for (const auto& fk : foreign_keys_) (void)referenced_table(fk);
  for (const auto& uq : uniques_) check_local(uq.columns(), "a unique constraint");
  for (const auto& ix : indexes_) check_local(ix.columns(), "index " + ix.name());
}

MetaData::MetaData() : tables_(std::make_unique<detail::TableSet>()) {}
MetaData::~MetaData() = default;
MetaData::MetaData(MetaData&&) noexcept = default;
MetaData& MetaData::operator=(MetaData&&) noexcept = default;

Table& MetaData::table(std::string name, std::initializer_list<TableElement> elements) {
  if (find(name) != nullptr)
    throw ConfigurationError("MetaData already has a table named '" + name +
                             "'; table names must be unique");
  std::unique_ptr<Table> t(new Table(*tables_, std::move(name)));
  for (const auto& e : elements) t->add(e);
  tables_->tables.push_back(std::move(t));
  return *tables_->tables.back();
}

const Table* MetaData::find(std::string_view name) const noexcept { return tables_->find(name); }

Table* MetaData::find(std::string_view name) noexcept {
  return const_cast<Table*>(tables_->find(name));
}

const Table& MetaData::at(std::string_view name) const {
  if (const Table* t = find(name)) return *t;
  throw InvalidRequest("MetaData has no table named '" + std::string(name) + "'");
}

std::vector<const Table*> MetaData::tables() const {
  std::vector<const Table*> out;
  for (const auto& t : tables_->tables) out.push_back(t.get());
  return out;
}

void MetaData::validate() const {
  for (const auto& t : tables_->tables) t->validate();
}

std::vector<const Table*> MetaData::sorted_tables() const {
  validate();
  const auto& tables = tables_->tables;
  const std::size_t n = tables.size();
  auto index_of = [&](const std::string& name) {
    for (std::size_t i = 0; i < n; ++i)
      if (tables[i]->name() == name) return i;
    return n;  // unreachable after validate()
  };
  // deps[i]: the tables i refers to (self-references need no ordering).
  std::vector<std::vector<std::size_t>> deps(n);
  for (std::size_t i = 0; i < n; ++i)
    for (const auto& fk : tables[i]->foreign_keys()) {
      const std::size_t j = index_of(fk.target_table());
      if (j != i && std::find(deps[i].begin(), deps[i].end(), j) == deps[i].end())
        deps[i].push_back(j);
    }

  std::vector<bool> placed(n, false);
  std::vector<const Table*> order;
  auto ready = [&](std::size_t i) {
    return std::all_of(deps[i].begin(), deps[i].end(), [&](std::size_t j) { return placed[j]; });
  };
  // Whether i can reach itself through tables not yet placed.
  auto in_cycle = [&](std::size_t start) {
    std::vector<bool> seen(n, false);
    std::function<bool(std::size_t)> reach = [&](std::size_t i) {
      for (std::size_t j : deps[i]) {
        if (placed[j]) continue;
        if (j == start) return true;
        if (!seen[j]) {
          seen[j] = true;
          if (reach(j)) return true;
        }
      }
      return false;
    };
    return reach(start);
  };
  while (order.size() < n) {
    std::size_t pick = n;
    for (std::size_t i = 0; i < n && pick == n; ++i)
      if (!placed[i] && ready(i)) pick = i;
    // Every remaining table waits on another: break the earliest declared cycle.
    for (std::size_t i = 0; i < n && pick == n; ++i)
      if (!placed[i] && in_cycle(i)) pick = i;
    placed[pick] = true;
    order.push_back(tables[pick].get());
  }
  return order;
}

std::vector<ForeignKeyRef> MetaData::cyclic_foreign_keys() const {
  const auto order = sorted_tables();
  auto position = [&](std::string_view name) {
    for (std::size_t i = 0; i < order.size(); ++i)
      if (order[i]->name() == name) return i;
    return order.size();
  };
  std::vector<ForeignKeyRef> out;
  for (std::size_t i = 0; i < order.size(); ++i)
    for (const auto& fk : order[i]->foreign_keys())
      if (position(fk.target_table()) > i) out.push_back({order[i], &fk});
  return out;
}

}  // namespace relate
