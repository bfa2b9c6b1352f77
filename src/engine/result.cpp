#include "relate/engine/result.hpp"

#include "engine/state.hpp"

namespace relate {

namespace detail {

void column_conversion_failed(std::string_view column, const ConversionError& e) {
  throw ConversionError("column '" + std::string(column) + "': " + e.what());
}

bool ResultState::next(Row& row) {
  if (cursor) {
    bool got = false;
    try {
      got = cursor->next(row);
    } catch (...) {
      settle();
      throw;
    }
    settle();
    return got;
  }
  if (rows.empty()) return false;
  row = std::move(rows.front());
  rows.pop_front();
  return true;
}

}  // namespace detail

namespace {
const std::vector<std::string>& no_columns() {
  static const std::vector<std::string> empty;
  return empty;
}
}  // namespace

// ResultRow

const std::vector<std::string>& ResultRow::columns() const {
  return columns_ ? *columns_ : no_columns();
}

const Value& ResultRow::operator[](std::size_t index) const {
  if (index >= values_.size())
    throw InvalidRequest("column index " + std::to_string(index) +
                         " is out of range: the row has " + std::to_string(values_.size()) +
                         " column(s)");
  return values_[index];
}

const Value& ResultRow::operator[](std::string_view name) const { return values_[index_of(name)]; }

std::size_t ResultRow::index_of(std::string_view name) const {
  const auto& names = columns();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return i;
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  throw InvalidRequest("no column named '" + std::string(name) + "' in this result (columns: " +
                       (known.empty() ? std::string("none") : known) + ")");
}

// Result

Result::Result() = default;
Result::Result(std::shared_ptr<detail::ResultState> state) : state_(std::move(state)) {}
Result::Result(Result&&) noexcept = default;
Result& Result::operator=(Result&&) noexcept = default;
Result::~Result() = default;

const std::vector<std::string>& Result::columns() const {
  return state_ && state_->columns ? *state_->columns : no_columns();
}

bool Result::returns_rows() const { return !columns().empty(); }

std::optional<ResultRow> Result::next() {
  if (!state_) return std::nullopt;
  Row row;
  if (!state_->next(row)) return std::nullopt;
  return ResultRow(state_->columns, std::move(row));
}

bool Result::next_into(ResultRow& row) {
  if (!state_ || !state_->next(row.values_)) return false;
  if (row.columns_ != state_->columns) row.columns_ = state_->columns;
  return true;
}

Result::iterator::iterator(Result* result) : result_(result), row_(result->next()) {}

Result::iterator& Result::iterator::operator++() {
  // The row's vector (and its capacity) serves for the next row.
  if (!row_ || !result_->next_into(*row_)) row_.reset();
  return *this;
}

std::vector<ResultRow> Result::all() {
  std::vector<ResultRow> out;
  while (auto row = next()) out.push_back(std::move(*row));
  return out;
}

std::vector<Row> Result::rows() {
  std::vector<Row> out;
  while (auto row = next()) out.push_back(std::move(*row).values());
  return out;
}

ResultRow Result::one() {
  auto row = next();
  if (!row) throw NoResultFound("one() found no row; expected exactly one");
  if (next()) {
    close();
    throw MultipleResultsFound("one() found more than one row; expected exactly one");
  }
  return std::move(*row);
}

std::optional<ResultRow> Result::one_or_none() {
  auto row = next();
  if (row && next()) {
    close();
    throw MultipleResultsFound("one_or_none() found more than one row");
  }
  return row;
}

std::optional<ResultRow> Result::first() {
  auto row = next();
  close();
  return row;
}

Value Result::scalar() {
  auto row = first();
  if (!row || row->size() == 0) return Value();
  return (*row)[0];
}

std::int64_t Result::rows_affected() {
  if (!state_) return 0;
  if (state_->cursor) {
    const auto n = state_->cursor->rows_affected();
    state_->settle();
    return n;
  }
  return state_->affected;
}

const std::vector<std::int64_t>& Result::inserted_rowids() const {
  static const std::vector<std::int64_t> none;
  return state_ ? state_->rowids : none;
}

void Result::close() {
  if (!state_) return;
  if (state_->cursor) state_->cursor->close();
  state_->rows.clear();
  state_->settle();
}

}  // namespace relate
