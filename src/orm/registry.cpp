#include "relate/orm/registry.hpp"

#include <set>

#include "orm/mapping_table.hpp"
#include "relate/orm/collector.hpp"

#include "relate/core/statement.hpp"
#include "relate/engine/ddl.hpp"

namespace relate {

ColumnOption primary_key() {
  return {[](Column& c) { c.primary_key(); }};
}
ColumnOption autoincrement(bool yes) {
  return {[yes](Column& c) { c.autoincrement(yes); }};
}
ColumnOption not_null() {
  return {[](Column& c) { c.not_null(); }};
}
ColumnOption nullable() {
  return {[](Column& c) { c.nullable(true); }};
}
ColumnOption unique() {
  return {[](Column& c) { c.unique(); }};
}
ColumnOption index() {
  return {[](Column& c) { c.index(); }};
}
ColumnOption length(int n) {
  return {[n](Column& c) { c.length(n); }};
}
ColumnOption default_value(Value value) {
  return {[v = std::move(value)](Column& c) { c.default_value(v); }};
}
ColumnOption server_default(Value literal) {
  return {[v = std::move(literal)](Column& c) { c.server_default(v); }};
}
ColumnOption server_default_sql(std::string raw_sql) {
  return {[s = std::move(raw_sql)](Column& c) { c.server_default(sql_expr(s)); }};
}
ColumnOption foreign_key(std::string target, ReferentialAction on_delete,
                         ReferentialAction on_update) {
  return {[t = std::move(target), on_delete, on_update](Column& c) {
    c.references(t, on_delete, on_update);
  }};
}

Registry::Registry() = default;
Registry::~Registry() {
  // Cycles among this registry's objects are freed now; objects still held
  // elsewhere lose their mapping (a Registry must outlive the objects it maps).
  detail::CycleCollector::collect();
  detail::CycleCollector::forget(this);
  detail::forget_registry(this);
}

Mapper& Registry::add_mapper(const std::type_info& type, std::string class_name,
                             std::string table) {
  // Messages name the struct as its author wrote it.
  for (std::string_view anon : {"{anonymous}::", "(anonymous namespace)::"})
    for (auto at = class_name.find(anon); at != std::string::npos; at = class_name.find(anon))
      class_name.erase(at, anon.size());
  if (configured_)
    throw InvalidRequest("Registry is already configured; map " + class_name +
                         " before the first Session or configure() call");
  if (by_type_.contains(std::type_index(type)))
    throw ConfigurationError(class_name +
                             " is mapped twice in this Registry; map each struct once");
  auto& m = mappers_.emplace_back(
      std::make_unique<Mapper>(type, std::move(class_name), std::move(table)));
  by_type_[std::type_index(type)] = m.get();
  detail::remember_mapper(type, m.get());
  return *m;
}

const Mapper* Registry::find_mapper(const std::type_info& type) const noexcept {
  auto it = by_type_.find(std::type_index(type));
  return it == by_type_.end() ? nullptr : it->second;
}

const Mapper& Registry::mapper_for(const std::type_info& type) const {
  if (auto* m = find_mapper(type)) return *m;
  throw InvalidRequest(std::string("type '") + type.name() +
                       "' is not mapped in this Registry; map it with registry.map<T>(...)");
}

std::vector<const Mapper*> Registry::mappers() const {
  std::vector<const Mapper*> out;
  for (const auto& m : mappers_) out.push_back(m.get());
  return out;
}

const MetaData& Registry::metadata() {
  configure();
  return metadata_;
}

void Registry::configure() {
  if (configured_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(configure_mutex_);
  if (configured_.load(std::memory_order_relaxed)) return;
  MetaData md;
  std::set<std::string> tables;
  for (const auto& mp : mappers_) {
    Mapper& m = *mp;
    const std::string where = m.class_name_ + " (table '" + m.table_name_ + "')";
    if (m.columns_.empty())
      throw ConfigurationError(where + " maps no columns; map its members with m.column(...)");
    if (!tables.insert(m.table_name_).second)
      throw ConfigurationError(where + ": another struct is already mapped to table '" +
                               m.table_name_ + "'; map each table once");
    std::set<std::string> seen;
    for (const auto& c : m.column_specs_)
      if (!seen.insert(c.name()).second)
        throw ConfigurationError(where + " maps two members to column '" + c.name() +
                                 "'; each column takes one member: remove one of the "
                                 "m.column(\"" +
                                 c.name() + "\", ...) calls or rename it");
    m.primary_key_.clear();
    for (std::size_t i = 0; i < m.column_specs_.size(); ++i)
      if (m.column_specs_[i].is_primary_key()) m.primary_key_.push_back(i);
    if (m.primary_key_.empty())
      throw ConfigurationError(where +
                               " has no primary key; mark its key member with "
                               "relate::primary_key() (several members for a composite key)");
    m.version_column_.reset();
    if (!m.version_column_name_.empty())
      for (std::size_t i = 0; i < m.columns_.size(); ++i)
        if (m.columns_[i]->column_name() == m.version_column_name_) m.version_column_ = i;

    Table& t = md.table(m.table_name_);
    for (const auto& c : m.column_specs_) t.add(c);
    for (const auto& e : m.extra_elements_) t.add(e);
  }
  for (const auto& [name, elements] : plain_tables_) {
    if (!tables.insert(name).second)
      throw ConfigurationError("table '" + name + "' is declared twice in this Registry");
    Table& t = md.table(name);
    for (const auto& e : elements) t.add(e);
  }
  try {
    md.validate();
  } catch (const ConfigurationError& e) {
    throw ConfigurationError(std::string(e.what()));
  }
  metadata_ = std::move(md);
  for (const auto& mp : mappers_) {
    Mapper& m = *mp;
    m.table_ = metadata_.find(m.table_name_);
    for (auto& c : m.columns_) c->column_ = &m.table_->column(c->column_name());
    m.generated_key_.reset();
    if (const Column* ai = m.table_->autoincrement_column())
      for (auto& c : m.columns_)
        if (c->column_ == ai) m.generated_key_ = c->index();
    const TypeKind key_kind = m.primary_key_.size() == 1
                                  ? m.columns_[m.primary_key_.front()]->type().kind
                                  : TypeKind::text;
    m.integer_key_ = key_kind == TypeKind::integer || key_kind == TypeKind::big_integer ||
                     key_kind == TypeKind::small_integer;
  }
  resolve_relationships();
  configured_.store(true, std::memory_order_release);
}

void Registry::table(std::string name, std::initializer_list<TableElement> elements) {
  if (configured_)
    throw InvalidRequest("Registry is already configured; declare table '" + name +
                         "' before the first Session or configure() call");
  plain_tables_.emplace_back(std::move(name), std::vector<TableElement>(elements));
}

void Registry::create_all(const Engine& engine) { relate::create_all(engine, metadata()); }

void Registry::drop_all(const Engine& engine) { relate::drop_all(engine, metadata()); }

}  // namespace relate
