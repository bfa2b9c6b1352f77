#pragma once
/// @file
/// Statements: SELECT, INSERT, UPDATE, DELETE, raw text and DDL. Each is a value
/// with generative builders (every builder returns a new statement and leaves the
/// old one as it was), compiled to SQL by a Dialect:
///
/// @code
///   auto q = relate::select({users.c("id"), users.c("name")})
///                .where(users.c("name") == "jack")
///                .order_by({relate::desc(users.c("id"))})
///                .limit(10);
///   relate::CompiledStatement s = relate::sqlite_dialect().compile(q);
/// @endcode

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "relate/core/compiled.hpp"
#include "relate/core/dialect.hpp"
#include "relate/core/expression.hpp"
#include "relate/core/schema.hpp"

namespace relate {

namespace detail {
class Compiler;  // src/core/compiler.cpp
}

/// Anything a Dialect can compile.
class Executable {
 public:
  virtual ~Executable() = default;
  virtual void accept(detail::Compiler& compiler) const = 0;

 protected:
  Executable() = default;
  Executable(const Executable&) = default;
  Executable& operator=(const Executable&) = default;
  Executable(Executable&&) = default;
  Executable& operator=(Executable&&) = default;
};

/// A table under another name (self-joins, several joins to one table).
class TableAlias {
 public:
  TableAlias(const Table& table, std::string name);
  Expr c(std::string_view column) const;
  const Table& table() const noexcept { return *table_; }
  const std::string& name() const;
  const std::shared_ptr<const detail::FromNode>& from_node() const noexcept { return from_; }

 private:
  const Table* table_;
  std::shared_ptr<const detail::FromNode> from_;
};

TableAlias alias(const Table& table, std::string name);

/// A SELECT used in FROM under a name; its columns are the select's output names.
class Subquery {
 public:
  /// Throws InvalidRequest when the select has no column of that name.
  Expr c(std::string_view column) const;
  const std::string& name() const;
  const std::shared_ptr<const detail::FromNode>& from_node() const noexcept { return from_; }

 private:
  friend class Select;
  explicit Subquery(std::shared_ptr<const detail::FromNode> from) : from_(std::move(from)) {}
  std::shared_ptr<const detail::FromNode> from_;
};

/// One item of a FROM clause: a table, an alias, a subquery or a join of them.
class From {
 public:
  From(const Table& table) : from_(table.from_node()) {}
  From(const TableAlias& alias) : from_(alias.from_node()) {}
  From(const Subquery& subquery) : from_(subquery.from_node()) {}
  explicit From(std::shared_ptr<const detail::FromNode> node) : from_(std::move(node)) {}
  const std::shared_ptr<const detail::FromNode>& node() const noexcept { return from_; }

 private:
  std::shared_ptr<const detail::FromNode> from_;
};

From join(const From& left, const From& right, Expr on);
From outer_join(const From& left, const From& right, Expr on);  // LEFT OUTER JOIN

/// A SELECT statement. Every builder returns a new Select.
class Select final : public Executable {
 public:
  struct Parts {
    std::vector<Expr> columns;
    std::vector<From> froms;  ///< explicit FROM items; tables of the columns are added
    std::vector<Expr> where;  ///< ANDed
    std::vector<Expr> group_by;
    std::vector<Expr> having;  ///< ANDed
    std::vector<Expr> order_by;
    std::optional<Expr> limit;
    std::optional<Expr> offset;
    bool distinct = false;
    bool for_update = false;
  };

  Select() = default;

  Select columns(std::vector<Expr> more) const;  // adds to the column list
  Select from(const From& item) const;
  /// Joins to the last FROM item (or, with none yet, to the first table of the columns).
  Select join(const From& right, Expr on) const;
  Select outer_join(const From& right, Expr on) const;
  Select where(Expr condition) const;  // repeated calls AND together
  Select group_by(std::vector<Expr> exprs) const;
  Select having(Expr condition) const;
  Select order_by(std::vector<Expr> exprs) const;
  Select limit(std::int64_t n) const;
  Select limit(Expr n) const;  // e.g. bind("limit")
  Select offset(std::int64_t n) const;
  Select offset(Expr n) const;
  Select distinct(bool yes = true) const;
  /// FOR UPDATE on PostgreSQL; SQLite locks the whole database and has no such clause.
  Select for_update(bool yes = true) const;

  /// This select in FROM: select({sub.c("n")}).from(sub).
  Subquery subquery(std::string name) const;
  /// This select as a value: (SELECT ...).
  Expr scalar_subquery() const;
  /// `SELECT count(*) FROM (this select) AS anon_1`.
  Select count() const;

  const Parts& parts() const noexcept { return parts_; }
  void accept(detail::Compiler& compiler) const override;

 private:
  Parts parts_;
};

/// SELECT of the given columns and expressions.
Select select(std::vector<Expr> columns);
/// Every column of the table, in declaration order.
Select select(const Table& table);

/// A column name and what to store in it.
using Assignment = std::pair<std::string, Expr>;

/// An INSERT statement.
class Insert final : public Executable {
 public:
  struct Parts {
    const Table* table = nullptr;
    std::vector<std::vector<Assignment>> rows;  ///< empty: DEFAULT VALUES
    std::vector<Expr> returning;
  };

  explicit Insert(const Table& table);

  /// Adds a row; several rows make a multi-row VALUES and must name the same columns.
  Insert values(std::vector<Assignment> row) const;
  /// One row whose every named column takes the parameter of the same name, for
  /// executing one statement with many parameter sets.
  Insert bind_columns(const std::vector<std::string>& columns) const;
  Insert returning(std::vector<Expr> exprs) const;

  const Parts& parts() const noexcept { return parts_; }
  void accept(detail::Compiler& compiler) const override;

 private:
  Parts parts_;
};

/// INSERT INTO the table.
Insert insert(const Table& table);

/// An UPDATE statement.
class Update final : public Executable {
 public:
  struct Parts {
    const Table* table = nullptr;
    std::vector<Assignment> set;
    std::vector<Expr> where;
    std::vector<Expr> returning;
  };

  explicit Update(const Table& table);

  Update set(std::string column, Expr value) const;
  Update values(std::vector<Assignment> assignments) const;
  Update where(Expr condition) const;
  Update returning(std::vector<Expr> exprs) const;

  const Parts& parts() const noexcept { return parts_; }
  void accept(detail::Compiler& compiler) const override;

 private:
  Parts parts_;
};

/// UPDATE the table.
Update update(const Table& table);

/// A DELETE statement.
class Delete final : public Executable {
 public:
  struct Parts {
    const Table* table = nullptr;
    std::vector<Expr> where;
    std::vector<Expr> returning;
  };

  explicit Delete(const Table& table);

  Delete where(Expr condition) const;
  Delete returning(std::vector<Expr> exprs) const;

  const Parts& parts() const noexcept { return parts_; }
  void accept(detail::Compiler& compiler) const override;

 private:
  Parts parts_;
};

/// DELETE FROM table (`delete` is a C++ keyword).
Delete delete_from(const Table& table);

/// A whole statement in raw SQL. ":name" marks a placeholder (not "::", and not
/// inside quoted strings, quoted identifiers or comments); its value is attached
/// with bind() or supplied at execution.
class TextStatement final : public Executable {
 public:
  explicit TextStatement(std::string sql) : sql_(std::move(sql)) {}
  TextStatement bind(std::string name, Value value) const;

  const std::string& sql() const noexcept { return sql_; }
  const Params& bound() const noexcept { return bound_; }
  void accept(detail::Compiler& compiler) const override;

 private:
  std::string sql_;
  Params bound_;
};

/// A statement in raw SQL with `:name` placeholders.
TextStatement text(std::string sql);

/// DDL. Each takes the schema objects by reference: keep the MetaData alive.
class CreateTable final : public Executable {
 public:
  explicit CreateTable(const Table& table, bool if_not_exists = false)
      : table_(&table), if_not_exists_(if_not_exists) {}
  /// Leaves a foreign key out of the CREATE TABLE, to be added with AddConstraint.
  CreateTable without(const ForeignKey& foreign_key) const;

  const Table& table() const noexcept { return *table_; }
  bool if_not_exists() const noexcept { return if_not_exists_; }
  const std::vector<const ForeignKey*>& omitted() const noexcept { return omitted_; }
  void accept(detail::Compiler& compiler) const override;

 private:
  const Table* table_;
  bool if_not_exists_;
  std::vector<const ForeignKey*> omitted_;
};

/// DROP TABLE [IF EXISTS].
class DropTable final : public Executable {
 public:
  explicit DropTable(const Table& table, bool if_exists = false)
      : table_(&table), if_exists_(if_exists) {}
  const Table& table() const noexcept { return *table_; }
  bool if_exists() const noexcept { return if_exists_; }
  void accept(detail::Compiler& compiler) const override;

 private:
  const Table* table_;
  bool if_exists_;
};

/// CREATE [UNIQUE] INDEX [IF NOT EXISTS].
class CreateIndex final : public Executable {
 public:
  CreateIndex(const Table& table, Index index, bool if_not_exists = false)
      : table_(&table), index_(std::move(index)), if_not_exists_(if_not_exists) {}
  const Table& table() const noexcept { return *table_; }
  const Index& index() const noexcept { return index_; }
  bool if_not_exists() const noexcept { return if_not_exists_; }
  void accept(detail::Compiler& compiler) const override;

 private:
  const Table* table_;
  Index index_;
  bool if_not_exists_;
};

/// DROP INDEX [IF EXISTS].
class DropIndex final : public Executable {
 public:
  explicit DropIndex(std::string name, bool if_exists = false)
      : name_(std::move(name)), if_exists_(if_exists) {}
  const std::string& name() const noexcept { return name_; }
  bool if_exists() const noexcept { return if_exists_; }
  void accept(detail::Compiler& compiler) const override;

 private:
  std::string name_;
  bool if_exists_;
};

/// ALTER TABLE ... ADD CONSTRAINT for a foreign key (PostgreSQL; SQLite cannot alter
/// constraints and compiling this for it is an InvalidRequest).
class AddConstraint final : public Executable {
 public:
  AddConstraint(const Table& table, const ForeignKey& foreign_key)
      : table_(&table), foreign_key_(&foreign_key) {}
  const Table& table() const noexcept { return *table_; }
  const ForeignKey& foreign_key() const noexcept { return *foreign_key_; }
  void accept(detail::Compiler& compiler) const override;

 private:
  const Table* table_;
  const ForeignKey* foreign_key_;
};

/// ALTER TABLE [IF EXISTS] ... DROP CONSTRAINT [IF EXISTS] (PostgreSQL only).
class DropConstraint final : public Executable {
 public:
  DropConstraint(const Table& table, std::string name, bool if_exists = false)
      : table_(&table), name_(std::move(name)), if_exists_(if_exists) {}
  const Table& table() const noexcept { return *table_; }
  const std::string& name() const noexcept { return name_; }
  bool if_exists() const noexcept { return if_exists_; }
  void accept(detail::Compiler& compiler) const override;

 private:
  const Table* table_;
  std::string name_;
  bool if_exists_;
};

namespace ddl {

/// Every CREATE TABLE and CREATE INDEX of the MetaData in dependency order, then
/// (PostgreSQL) the foreign keys of cycles as ALTER TABLE ... ADD CONSTRAINT.
/// checkfirst adds IF NOT EXISTS. Validates the MetaData first.
std::vector<CompiledStatement> create_all(const MetaData& metadata, const Dialect& dialect,
                                          bool checkfirst = false);
/// DROP TABLE IF EXISTS in reverse dependency order, after dropping (PostgreSQL)
/// the foreign keys of cycles.
std::vector<CompiledStatement> drop_all(const MetaData& metadata, const Dialect& dialect);

}  // namespace ddl

}  // namespace relate
