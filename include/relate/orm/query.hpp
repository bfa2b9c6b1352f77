#pragma once
// Query<T>: SQLAlchemy's legacy session.query(User) for one mapped struct
// (spec section 8). Results go through the identity map. Every execution
// autoflushes first.
//
//   auto users = session.query<User>()
//                    .filter(relate::col(&User::name).like("j%"))
//                    .order_by(relate::desc(&User::id))
//                    .limit(10)
//                    .all();

#include <cstdint>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "relate/engine/result.hpp"
#include "relate/orm/expression.hpp"
#include "relate/orm/object.hpp"
#include "relate/orm/session.hpp"

namespace relate {

// One column assignment of a bulk UPDATE: relate::assign(&User::name, "x").
struct ColumnAssignment {
  std::function<std::size_t(const Mapper&)> column;
  Value value;
};
template <class T, class M, class V>
requires ComparableWith<V, M> ColumnAssignment assign(M T::*member, const V& value) {
  return {[member](const Mapper& m) { return m.column_index(member); }, to_value<M>(M(value))};
}

class QueryBase {
 public:
  QueryBase(SessionImpl& session, const Mapper& mapper) : session_(&session), mapper_(&mapper) {}

  std::int64_t count() const;
  bool exists() const;
  // Bulk statements (spec 8.3): one statement for every matching row, returning
  // the number matched. They bypass the unit of work: no cascades, no version
  // checks; rows removed or changed are reflected on objects already in the
  // Session as `sync` says.
  std::int64_t bulk_delete(Synchronize sync = Synchronize::automatic) const;
  std::int64_t bulk_update(std::vector<ColumnAssignment> assignments,
                           Synchronize sync = Synchronize::automatic) const;

 protected:
  // The rows of this query, one object each, as counted references.
  class Cursor {
   public:
    Cursor(SessionImpl& s, const Mapper& m, Select q);
    ~Cursor();
    detail::ObjectBlock* next();  // null at the end

   private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

  Select build(std::vector<Expr> columns = {}) const;
  std::vector<detail::ObjectBlock*> fetch(std::optional<std::int64_t> limit) const;
  std::vector<Row> fetch_rows(std::vector<Expr> columns) const;
  std::shared_ptr<Cursor> cursor() const;
  Expr column_expr(std::size_t index) const;
  std::vector<Object> evaluate_in_memory(Synchronize sync) const;

  SessionImpl* session_;
  const Mapper* mapper_;
  std::vector<Criterion> where_;
  std::vector<OrderTerm> order_by_;
  std::optional<std::int64_t> limit_;
  std::optional<std::int64_t> offset_;
};

template <class T>
class Query : public QueryBase {
 public:
  using QueryBase::QueryBase;

  // Each builder works on a named query (returns it) and on a temporary (returns
  // a new query by value, so `for (auto u : s.query<U>().filter(...))` is safe).
  Query& filter(Criterion c) & {
    where_.push_back(std::move(c));
    return *this;
  }
  Query filter(Criterion c) && { return std::move(filter(std::move(c))); }
  template <class M, class V>
  requires ComparableWith<V, M> Query& filter_by(M T::*member, const V& value) & {
    return filter(col(member) == value);
  }
  template <class M, class V>
  requires ComparableWith<V, M> Query filter_by(M T::*member, const V& value) && {
    return std::move(filter(col(member) == value));
  }
  Query& order_by(std::initializer_list<OrderTerm> terms) & {
    order_by_.insert(order_by_.end(), terms.begin(), terms.end());
    return *this;
  }
  Query order_by(std::initializer_list<OrderTerm> terms) && { return std::move(order_by(terms)); }
  Query& order_by(OrderTerm term) & {
    order_by_.push_back(std::move(term));
    return *this;
  }
  Query order_by(OrderTerm term) && { return std::move(order_by(std::move(term))); }
  Query& limit(std::int64_t n) & {
    limit_ = n;
    return *this;
  }
  Query limit(std::int64_t n) && { return std::move(limit(n)); }
  Query& offset(std::int64_t n) & {
    offset_ = n;
    return *this;
  }
  Query offset(std::int64_t n) && { return std::move(offset(n)); }

  std::vector<Ptr<T>> all() const { return wrap(fetch(std::nullopt)); }
  Ptr<T> first() const {
    auto v = wrap(fetch(1));
    return v.empty() ? Ptr<T>() : v.front();
  }
  // Exactly one row, else NoResultFound / MultipleResultsFound.
  Ptr<T> one() const {
    auto v = wrap(fetch(2));
    if (v.empty()) throw NoResultFound("No row was found when one was required");
    if (v.size() > 1)
      throw MultipleResultsFound("Multiple rows were found when exactly one was required");
    return v.front();
  }
  Ptr<T> one_or_none() const {
    auto v = wrap(fetch(2));
    if (v.size() > 1)
      throw MultipleResultsFound("Multiple rows were found when one or none was required");
    return v.empty() ? Ptr<T>() : v.front();
  }

  // Only the named columns, as tuples (not objects, not de-duplicated).
  template <class... M>
  std::vector<std::tuple<M...>> values(M T::*... members) const {
    const Mapper& m = *mapper_;
    auto rows = fetch_rows({column_expr(m.column_index(members))...});
    std::vector<std::tuple<M...>> out;
    out.reserve(rows.size());
    for (const auto& row : rows)
      out.push_back(to_tuple<M...>(row, std::index_sequence_for<M...>()));
    return out;
  }

  // Streams rows: each object is made as the iteration reaches it, and is kept
  // only as long as the caller (or unflushed changes) keep it.
  class iterator {
   public:
    using value_type = Ptr<T>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(std::shared_ptr<Cursor> c) : cursor_(std::move(c)) { ++*this; }
    const Ptr<T>& operator*() const { return current_; }
    iterator& operator++() {
      current_ = Ptr<T>::adopt(cursor_->next());
      if (!current_) cursor_.reset();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) { return a.cursor_ == b.cursor_; }

   private:
    std::shared_ptr<Cursor> cursor_;
    Ptr<T> current_;
  };
  iterator begin() const { return iterator(cursor()); }
  iterator end() const { return iterator(); }

 private:
  template <class... M, std::size_t... I>
  static std::tuple<M...> to_tuple(const Row& row, std::index_sequence<I...>) {
    return std::tuple<M...>{from_value<M>(row[I])...};
  }
  static std::vector<Ptr<T>> wrap(std::vector<detail::ObjectBlock*> blocks) {
    std::vector<Ptr<T>> out;
    out.reserve(blocks.size());
    for (auto* b : blocks) out.push_back(Ptr<T>::adopt(b));
    return out;
  }
};

template <class T>
Query<T> Session::query() {
  return Query<T>(*impl_, registry_mapper(typeid(T)));
}

}  // namespace relate
