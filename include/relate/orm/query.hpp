#pragma once
/// @file
/// `Query<T>`: SQLAlchemy's legacy session.query(User) for one mapped struct
/// (spec section 8). Results go through the identity map. Every execution
/// autoflushes first.
///
/// @code
///   auto users = session.query<User>()
///                    .filter(relate::col(&User::name).like("j%"))
///                    .order_by(relate::desc(&User::id))
///                    .limit(10)
///                    .all();
/// @endcode

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "relate/engine/result.hpp"
#include "relate/orm/expression.hpp"
#include "relate/orm/loader_options.hpp"
#include "relate/orm/object.hpp"
#include "relate/orm/session.hpp"

namespace relate {

/// One column assignment of a bulk UPDATE: relate::assign(&User::name, "x").
struct ColumnAssignment {
  std::function<std::size_t(const Mapper&)> column;
  Value value;
};
template <class T, class M, class V>
requires ComparableWith<V, M> ColumnAssignment assign(M T::*member, const V& value) {
  return {[member](const Mapper& m) { return m.column_index(member); }, to_value<M>(M(value))};
}

namespace detail {
// The relationship mapped on a member, found when a query runs.
using RelationshipResolver = std::function<const Relationship&(const Registry&)>;
template <class T, class H>
RelationshipResolver relationship_resolver(H T::*member) {
  static_assert(is_relationship_handle<H>::value,
                "relate: name a relate::Many<U> or relate::One<U> member here");
  return [member](const Registry& r) -> const Relationship& {
    for (const auto& rel : r.mapper_for(typeid(T)).relationships())
      if (rel->is_member(member)) return *rel;
    throw InvalidRequest("this member of " + std::string(type_name<T>()) +
                         " is not a mapped relationship");
  };
}
// EXISTS (SELECT 1 FROM <target> WHERE <join condition> AND <criterion>).
Expr related_exists(const Relationship& r, const Criterion* criterion, const Registry& registry);
}  // namespace detail

/// Criteria on related rows: col(&User::addresses).any(col(&Address::email).like("%@x"))
/// and col(&Address::user).has(col(&User::name) == "jack"), as EXISTS subqueries.
/// Inside a self-referential relationship's criterion, the struct's columns name
/// the related row (the subquery aliases the table), never the outer one.
template <class T, class H>
class RelationshipRef {
 public:
  explicit RelationshipRef(H T::*member) : resolve_(detail::relationship_resolver(member)) {}

  /// Some related object (matching the criterion) exists: for collections.
  Criterion any() const requires detail::is_relationship_handle<H>::collection {
    return exists(std::nullopt);
  }
  Criterion any(Criterion c) const requires detail::is_relationship_handle<H>::collection {
    return exists(std::move(c));
  }
  /// The related object exists (and matches): for single-object members.
  Criterion has() const requires(!detail::is_relationship_handle<H>::collection) {
    return exists(std::nullopt);
  }
  Criterion has(Criterion c) const requires(!detail::is_relationship_handle<H>::collection) {
    return exists(std::move(c));
  }

 private:
  Criterion exists(std::optional<Criterion> c) const {
    return Criterion([resolve = resolve_, c = std::move(c)](const Registry& r) {
      return detail::related_exists(resolve(r), c ? &*c : nullptr, r);
    });
  }
  detail::RelationshipResolver resolve_;
};

template <class T, class H>
requires detail::is_relationship_handle<H>::value RelationshipRef<T, H> col(H T::*member) {
  return RelationshipRef<T, H>(member);
}

/// The part of Query<T> that does not depend on T.
class QueryBase {
 public:
  QueryBase(SessionImpl& session, const Mapper& mapper) : session_(&session), mapper_(&mapper) {}

  /// SELECT count(*) FROM (this query): rows, not objects.
  std::int64_t count() const;
  /// Whether the query has a row.
  bool exists() const;
  /// Bulk statements (spec 8.3): one statement for every matching row, returning
  /// the number matched. They bypass the unit of work: no relationship cascades
  /// (children are left to the database's ON DELETE rules, as in SQLAlchemy), no
  /// version checks; rows removed or changed are reflected on objects already in
  /// the Session as `sync` says. bulk_delete_with_cascades() keeps the cascades.
  std::int64_t bulk_delete(Synchronize sync = Synchronize::automatic) const;
  /// A bulk delete that keeps the mapping's cascade rules: the matching rows are
  /// removed as if by Session::remove() and flushed, with delete cascades, nulled
  /// foreign keys, association rows and restrict checks carried out as set
  /// statements (one per table level) wherever no object in memory needs
  /// visiting. Rows with objects in the Session go through the unit of work like
  /// any removed object. Returns the number of matching rows.
  std::int64_t bulk_delete_with_cascades() const;
  std::int64_t bulk_update(std::vector<ColumnAssignment> assignments,
                           Synchronize sync = Synchronize::automatic) const;

 protected:
  // The rows of this query, one object each, as counted references.
  class Cursor {
   public:
    Cursor(SessionImpl& s, const Mapper& m, Select q, const std::vector<LoaderOption>& options);
    ~Cursor();
    detail::ObjectBlock* next();  // null at the end

   private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

  struct Join {
    detail::RelationshipResolver relationship;
    bool outer = false;
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
  std::vector<Join> joins_;
  std::vector<LoaderOption> options_;
};

/// A query for objects of T: see the file description and docs/queries.md.
template <class T>
class Query : public QueryBase {
 public:
  using QueryBase::QueryBase;

  /// Each builder works on a named query (returns it) and on a temporary (returns
  /// a new query by value, so `for (auto u : s.query<U>().filter(...))` is safe).
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
  /// Adds ORDER BY terms: members (ascending), asc(member), desc(member).
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
  /// At most n rows.
  Query& limit(std::int64_t n) & {
    limit_ = n;
    return *this;
  }
  Query limit(std::int64_t n) && { return std::move(limit(n)); }
  /// Skips the first n rows.
  Query& offset(std::int64_t n) & {
    offset_ = n;
    return *this;
  }
  Query offset(std::int64_t n) && { return std::move(offset(n)); }

  /// Loader options (see loader_options.hpp): how this query loads relationships.
  template <class... O>
  requires(std::derived_from<O, LoaderOption>&&...) Query& options(O... o) & {
    (options_.push_back(std::move(o)), ...);
    return *this;
  }
  template <class... O>
  requires(std::derived_from<O, LoaderOption>&&...) Query options(O... o) && {
    return std::move(options(std::move(o)...));
  }
  /// INNER JOIN along a relationship of T or of a struct joined before:
  /// .join(&User::addresses).join(&Address::dings). Entity results stay
  /// de-duplicated; filter on the joined struct's members with col().
  template <class U, class H>
  Query& join(H U::*member) & {
    joins_.push_back({detail::relationship_resolver(member), false});
    return *this;
  }
  template <class U, class H>
  Query join(H U::*member) && {
    return std::move(join(member));
  }
  /// LEFT OUTER JOIN along a relationship.
  template <class U, class H>
  Query& outer_join(H U::*member) & {
    joins_.push_back({detail::relationship_resolver(member), true});
    return *this;
  }
  template <class U, class H>
  Query outer_join(H U::*member) && {
    return std::move(outer_join(member));
  }

  /// De-duplicated by identity (spec 8.2), with eager loads done.
  std::vector<Ptr<T>> all() const { return wrap(fetch(std::nullopt)); }
  /// The first object (LIMIT 1), or a null Ptr.
  Ptr<T> first() const {
    auto v = wrap(fetch(1));
    return v.empty() ? Ptr<T>() : v.front();
  }
  /// Exactly one row, else NoResultFound / MultipleResultsFound.
  Ptr<T> one() const {
    auto v = wrap(fetch(2));
    if (v.empty()) throw NoResultFound("No row was found when one was required");
    if (v.size() > 1)
      throw MultipleResultsFound("Multiple rows were found when exactly one was required");
    return v.front();
  }
  /// One object or a null Ptr; MultipleResultsFound for more.
  Ptr<T> one_or_none() const {
    auto v = wrap(fetch(2));
    if (v.size() > 1)
      throw MultipleResultsFound("Multiple rows were found when one or none was required");
    return v.empty() ? Ptr<T>() : v.front();
  }

  /// Only the named columns, as tuples (not objects, not de-duplicated).
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

  /// Streams rows: each object is made as the iteration reaches it, and is kept
  /// only as long as the caller (or unflushed changes) keep it. Streaming loads
  /// no relationship eagerly (no JOINs, no IN queries): a second statement would
  /// make the driver buffer the rest of the rows, and memory must stay bounded.
  /// Members load lazily on access; lazyload/raiseload options apply. Rows are
  /// not de-duplicated either (that would mean remembering every row).
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
  /// Runs the query and streams its rows (see iterator).
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
