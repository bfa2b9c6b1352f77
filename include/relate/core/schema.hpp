#pragma once
/// @file
/// Schema: MetaData owns Tables; a Table has Columns, a primary key, foreign keys,
/// unique constraints and indexes. Tables and columns never move once declared,
/// so expressions and statements refer to them directly: keep the MetaData alive
/// for as long as anything built from it.
///
/// @code
///   relate::MetaData md;
///   auto& users = md.table("users", {
///       relate::column<std::int64_t>("id").primary_key(),
///       relate::column<std::string>("name").length(50),
///   });
///   auto& addresses = md.table("addresses", {
///       relate::column<std::int64_t>("id").primary_key(),
///       relate::column<std::string>("email"),
///       relate::column<std::optional<std::int64_t>>("user_id")
///           .references("users.id", relate::ReferentialAction::cascade),
///   });
/// @endcode

#include <concepts>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "relate/core/expression.hpp"
#include "relate/core/types.hpp"
#include "relate/core/value.hpp"

namespace relate {

class MetaData;
class Table;

namespace detail {
struct TableSet;  // the tables of one MetaData; survives moves of the MetaData
}

/// What the database does to referring rows when the referenced row is deleted
/// or its key updated (ON DELETE / ON UPDATE).
enum class ReferentialAction : std::uint8_t { no_action, restrict, cascade, set_null, set_default };

std::string_view to_string(ReferentialAction action) noexcept;

/// A FOREIGN KEY constraint: local columns referring to columns of another table
/// (or the same one). Targets are kept by name and resolved against the MetaData
/// when DDL is generated or MetaData::validate() is called.
class ForeignKey {
 public:
  /// Targets are "table.column", one per local column.
  ForeignKey(std::vector<std::string> columns, std::vector<std::string> targets);
  ForeignKey(std::vector<std::string> columns, const Table& target,
             std::vector<std::string> target_columns);
  ForeignKey(std::string column, const Column& target);

  ForeignKey& on_delete(ReferentialAction action) {
    on_delete_ = action;
    return *this;
  }
  ForeignKey& on_update(ReferentialAction action) {
    on_update_ = action;
    return *this;
  }
  /// The constraint name; without one the database picks a name.
  ForeignKey& name(std::string name) {
    name_ = std::move(name);
    return *this;
  }

  const std::vector<std::string>& columns() const noexcept { return columns_; }
  const std::string& target_table() const noexcept { return target_table_; }
  const std::vector<std::string>& target_columns() const noexcept { return target_columns_; }
  ReferentialAction on_delete() const noexcept { return on_delete_; }
  ReferentialAction on_update() const noexcept { return on_update_; }
  const std::string& name() const noexcept { return name_; }
  /// The name, or `<table>_<columns>_fkey` (PostgreSQL's own choice) when none was given.
  std::string name_or_default(std::string_view table) const;

 private:
  std::vector<std::string> columns_;
  std::string target_table_;
  std::vector<std::string> target_columns_;
  ReferentialAction on_delete_ = ReferentialAction::no_action;
  ReferentialAction on_update_ = ReferentialAction::no_action;
  std::string name_;
};

/// A UNIQUE constraint over one or more columns.
class UniqueConstraint {
 public:
  explicit UniqueConstraint(std::vector<std::string> columns, std::string name = {})
      : columns_(std::move(columns)), name_(std::move(name)) {}
  const std::vector<std::string>& columns() const noexcept { return columns_; }
  const std::string& name() const noexcept { return name_; }

 private:
  std::vector<std::string> columns_;
  std::string name_;
};

/// A (possibly unique) index over one or more columns.
class Index {
 public:
  Index(std::string name, std::vector<std::string> columns, bool unique = false)
      : name_(std::move(name)), columns_(std::move(columns)), unique_(unique) {}
  const std::string& name() const noexcept { return name_; }
  const std::vector<std::string>& columns() const noexcept { return columns_; }
  bool unique() const noexcept { return unique_; }

 private:
  std::string name_;
  std::vector<std::string> columns_;
  bool unique_;
};

/// A column of a Table: name, SQL type, NULL rule, keys, defaults. The setters
/// chain: `column<std::string>("email").length(200).unique()`.
class Column {
 public:
  /// Nullable unless it is part of the primary key or not_null() is called.
  Column(std::string name, SqlType type) : name_(std::move(name)), type_(type) {}

  Column& primary_key() {
    primary_key_ = true;
    nullable_ = false;
    return *this;
  }
  Column& not_null() {
    nullable_ = false;
    return *this;
  }
  Column& nullable(bool yes) {
    nullable_ = yes;
    return *this;
  }
  /// VARCHAR(n) for a text column.
  Column& length(int n) {
    type_.length = n;
    return *this;
  }
  /// By default a single-column integer primary key without a foreign key gets
  /// its values from the database (SQLite rowid, PostgreSQL identity).
  Column& autoincrement(bool yes) {
    autoincrement_ = yes;
    return *this;
  }
  /// Keys never reused, even after deletes (SQLite AUTOINCREMENT; PostgreSQL
  /// identities behave so anyway).
  Column& strict_autoincrement() {
    autoincrement_ = true;
    strict_autoincrement_ = true;
    return *this;
  }
  Column& unique() {
    unique_ = true;
    return *this;
  }
  /// An index on this column alone, named `ix_<table>_<column>`; a unique index when
  /// unique() is set too.
  Column& index() {
    index_ = true;
    return *this;
  }
  /// A value relate supplies in INSERTs that do not give this column.
  Column& default_value(Value value) {
    default_value_ = std::move(value);
    return *this;
  }
  /// DEFAULT in the DDL: a literal value, rendered as an escaped SQL literal...
  Column& server_default(Value literal);
  /// ... or a raw SQL expression, server_default(sql_expr("CURRENT_TIMESTAMP")).
  template <std::same_as<Expr> E>
  Column& server_default(const E& raw_sql) {
    return server_default_expr(raw_sql);
  }
  /// A foreign key from this column alone, target "table.column".
  Column& references(std::string target, ReferentialAction on_delete = ReferentialAction::no_action,
                     ReferentialAction on_update = ReferentialAction::no_action);
  Column& references(const Column& target,
                     ReferentialAction on_delete = ReferentialAction::no_action,
                     ReferentialAction on_update = ReferentialAction::no_action);

  const std::string& name() const noexcept { return name_; }
  const SqlType& type() const noexcept { return type_; }
  bool is_nullable() const noexcept { return nullable_; }
  bool is_primary_key() const noexcept { return primary_key_; }
  /// Whether the column was asked for autoincrement (true / false) or left to the rule.
  std::optional<bool> autoincrement_setting() const noexcept { return autoincrement_; }
  bool is_strict_autoincrement() const noexcept { return strict_autoincrement_; }
  bool is_unique() const noexcept { return unique_; }
  bool has_index() const noexcept { return index_; }
  const std::optional<Value>& default_value() const noexcept { return default_value_; }
  bool has_server_default() const noexcept {
    return server_default_value_.has_value() || !server_default_sql_.empty();
  }
  const std::optional<Value>& server_default_value() const noexcept {
    return server_default_value_;
  }
  const std::string& server_default_sql() const noexcept { return server_default_sql_; }
  const std::optional<ForeignKey>& foreign_key() const noexcept { return foreign_key_; }
  /// The table this column belongs to; null until the column is added to one.
  const Table* table() const noexcept { return table_; }

 private:
  friend class Table;
  Column& server_default_expr(const Expr& raw_sql);

  std::string name_;
  SqlType type_;
  bool nullable_ = true;
  bool primary_key_ = false;
  std::optional<bool> autoincrement_;
  bool strict_autoincrement_ = false;
  bool unique_ = false;
  bool index_ = false;
  std::optional<Value> default_value_;
  std::optional<Value> server_default_value_;
  std::string server_default_sql_;
  std::optional<ForeignKey> foreign_key_;
  const Table* table_ = nullptr;
};

/// A column whose SQL type comes from the C++ type's adapter; NOT NULL unless T is
/// std::optional.
template <SqlValueType T>
Column column(std::string name) {
  Column c(std::move(name), type_adapter<T>::sql_type);
  c.nullable(is_optional_v<T>);
  return c;
}

using TableElement = std::variant<Column, ForeignKey, UniqueConstraint, Index>;

/// A table of a MetaData: columns, primary key, foreign keys, constraints and
/// indexes. Made by MetaData::table(); never moves.
class Table {
 public:
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  ~Table();

  const std::string& name() const noexcept { return name_; }
  /// Columns in declaration order.
  const std::deque<Column>& columns() const noexcept { return columns_; }
  const Column* find_column(std::string_view name) const noexcept;
  /// Throws InvalidRequest naming the table and its columns when there is no such column.
  const Column& column(std::string_view name) const;
  /// A reference to a column for use in expressions: users.c("name") == "jack".
  Expr c(std::string_view name) const;

  /// Primary key columns in declaration order.
  std::vector<const Column*> primary_key() const;
  /// The column whose values the database generates: a single-column integer
  /// primary key with autoincrement not turned off, no server default, and no
  /// foreign key unless autoincrement(true) was asked for. Null when there is none.
  const Column* autoincrement_column() const noexcept;
  /// Every foreign key, column-level ones included, in declaration order.
  const std::vector<ForeignKey>& foreign_keys() const noexcept { return foreign_keys_; }
  const std::vector<UniqueConstraint>& unique_constraints() const noexcept { return uniques_; }
  /// Every index, those from Column::index() included.
  const std::vector<Index>& indexes() const noexcept { return indexes_; }

  Table& add(TableElement element);

  /// The table a foreign key of this table refers to, in the same MetaData.
  /// Throws ConfigurationError naming this table, the column, the target and the fix
  /// when the target table or one of its columns does not exist.
  const Table& referenced_table(const ForeignKey& foreign_key) const;
  /// Checks every foreign key, unique constraint and index of this table.
  void validate() const;

  /// The node that expressions use to refer to this table.
  const std::shared_ptr<const detail::FromNode>& from_node() const noexcept { return from_; }

 private:
  friend class MetaData;
  Table(const detail::TableSet& owner, std::string name);

  const detail::TableSet* owner_;
  std::string name_;
  std::deque<Column> columns_;
  std::vector<ForeignKey> foreign_keys_;
  std::vector<UniqueConstraint> uniques_;
  std::vector<Index> indexes_;
  std::shared_ptr<const detail::FromNode> from_;
};

/// A foreign key together with the table that declares it.
struct ForeignKeyRef {
  const Table* table = nullptr;
  const ForeignKey* foreign_key = nullptr;
};

/// The tables of one schema. Owns its Tables; keep it alive as long as
/// anything built from them.
class MetaData {
 public:
  MetaData();
  ~MetaData();
  MetaData(MetaData&&) noexcept;
  MetaData& operator=(MetaData&&) noexcept;
  MetaData(const MetaData&) = delete;
  MetaData& operator=(const MetaData&) = delete;

  /// Declares a table; a second table of the same name is a ConfigurationError.
  Table& table(std::string name, std::initializer_list<TableElement> elements = {});

  const Table* find(std::string_view name) const noexcept;
  Table* find(std::string_view name) noexcept;
  /// Throws InvalidRequest when there is no such table.
  const Table& at(std::string_view name) const;
  /// Tables in declaration order.
  std::vector<const Table*> tables() const;

  /// Resolves every foreign key: the target table and columns must exist and the
  /// column counts match. Throws ConfigurationError naming the table, the column,
  /// the target and the fix.
  void validate() const;

  /// Tables in dependency order: referenced tables before the tables that refer
  /// to them, ties broken by declaration order. Cycles are broken at the earliest
  /// declared table of the cycle; see cyclic_foreign_keys(). Validates first.
  std::vector<const Table*> sorted_tables() const;
  /// The foreign keys that point forward in sorted_tables() order (from a table
  /// to one created after it): they cannot be declared inline on a database that
  /// checks references at CREATE time. Self-references are not included.
  std::vector<ForeignKeyRef> cyclic_foreign_keys() const;

 private:
  std::unique_ptr<detail::TableSet> tables_;
};

}  // namespace relate
