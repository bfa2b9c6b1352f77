#pragma once
/// @file
/// The rows of an executed statement. A Result streams: rows are read from the
/// database one at a time as you iterate (SQLite steps lazily, PostgreSQL reads
/// in single-row mode), so a large SELECT runs in bounded memory unless you ask
/// for all() or rows(). While a Result is streaming it keeps its Connection's
/// database connection checked out; running another statement on that
/// Connection reads the remaining rows into memory first, so the Result stays
/// valid.
///
/// @code
///   for (const auto& row : conn.execute(stmt))
///     use(row.get<std::int64_t>("id"), row.get<std::optional<std::string>>(1));
/// @endcode

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relate/core/types.hpp"
#include "relate/core/value.hpp"
#include "relate/engine/driver.hpp"

namespace relate {

namespace detail {
struct ResultState;
struct ResultAccess;
// Rethrows a conversion error with the column named.
[[noreturn]] void column_conversion_failed(std::string_view column, const ConversionError& e);
}  // namespace detail

/// One row of a Result: values with the result's column names.
class ResultRow {
 public:
  ResultRow() = default;
  ResultRow(ColumnNames columns, Row values)
      : columns_(std::move(columns)), values_(std::move(values)) {}

  std::size_t size() const noexcept { return values_.size(); }
  const std::vector<std::string>& columns() const;
  const Row& values() const& noexcept { return values_; }
  Row values() && noexcept { return std::move(values_); }

  /// InvalidRequest for an index out of range or an unknown name.
  const Value& operator[](std::size_t index) const;
  const Value& operator[](std::string_view name) const;
  std::size_t index_of(std::string_view name) const;

  /// The value converted by `relate::from_value<T>`: integers are range-checked,
  /// NULL needs `std::optional<T>`. Errors name the column.
  template <SqlValueType T>
  T get(std::size_t index) const {
    const Value& v = (*this)[index];
    try {
      return from_value<T>(v);
    } catch (const ConversionError& e) {
      detail::column_conversion_failed(columns().at(index), e);
    }
  }
  template <SqlValueType T>
  T get(std::string_view name) const {
    return get<T>(index_of(name));
  }

 private:
  friend class Result;
  friend struct detail::ResultAccess;
  ColumnNames columns_;
  Row values_;
};

/// The rows of an executed statement, streamed; see the file description.
class Result {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = ResultRow;
    using difference_type = std::ptrdiff_t;
    using pointer = const ResultRow*;
    using reference = const ResultRow&;

    iterator() = default;
    reference operator*() const { return *row_; }
    pointer operator->() const { return &*row_; }
    iterator& operator++();
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) {
      return a.row_.has_value() == b.row_.has_value();
    }

   private:
    friend class Result;
    explicit iterator(Result* result);
    Result* result_ = nullptr;
    std::optional<ResultRow> row_;
  };

  /// An empty result: no columns, no rows.
  Result();
  explicit Result(std::shared_ptr<detail::ResultState> state);
  Result(Result&&) noexcept;
  Result& operator=(Result&&) noexcept;
  ~Result();

  /// The column names; empty for statements that return no rows.
  const std::vector<std::string>& columns() const;
  bool returns_rows() const;

  /// The next row, or nothing at the end.
  std::optional<ResultRow> next();
  /// Iteration reads the rows not yet read; a Result can be iterated once.
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

  /// The remaining rows, in memory.
  std::vector<ResultRow> all();
  std::vector<Row> rows();
  /// Exactly one row: NoResultFound / MultipleResultsFound otherwise.
  ResultRow one();
  /// None or one row: MultipleResultsFound for more.
  std::optional<ResultRow> one_or_none();
  /// The first row, if any; the rest are discarded.
  std::optional<ResultRow> first();
  /// The first column of the first row (NULL when there is no row); the rest are discarded.
  Value scalar();
  template <SqlValueType T>
  T scalar() {
    Value v = scalar();
    try {
      return from_value<T>(v);
    } catch (const ConversionError& e) {
      detail::column_conversion_failed(columns().empty() ? "?" : columns().front(), e);
    }
  }

  /// Rows changed by INSERT, UPDATE or DELETE (the total for execute_many); 0
  /// for other statements. For a statement with RETURNING the count is known at
  /// the end, so unread rows are read into memory first.
  std::int64_t rows_affected();

  /// execute_many of an INSERT on SQLite: the rowid each parameter set inserted,
  /// in order (empty otherwise). This is how the unit of work learns keys that
  /// SQLite generates without RETURNING, which costs SQLite a temporary table per
  /// statement.
  const std::vector<std::int64_t>& inserted_rowids() const;

  /// Discards unread rows and lets go of the connection.
  void close();

 private:
  friend struct detail::ResultAccess;
  // The next row into `row`, reusing its storage (iteration); false at the end.
  bool next_into(ResultRow& row);

  std::shared_ptr<detail::ResultState> state_;
};

}  // namespace relate
