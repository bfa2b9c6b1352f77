#pragma once
/// @file
/// Collections that are never loaded as a whole (spec 7.1):
///
/// @code
///   relate::Dynamic<T>    SQLAlchemy's lazy="dynamic": every read is a query
///                         (store->items.query().filter(...).count()), and
///                         append/remove queue changes for the next flush.
///   relate::WriteOnly<T>  lazy="write_only": add/remove only; reading is an
///                         explicit store->items.select() that the caller runs.
///
///   struct Store {
///     std::int64_t id = 0;
///     relate::Dynamic<Item> items{};
///   };
///   m.relationship("items", &Store::items, {.back_populates = "store"});
/// @endcode
///
/// Mapping sets lazy = Loading::dynamic (write_only) for these members; asking
/// for another strategy is a ConfigurationError, as is a many-to-one.
///
/// In memory a member holds only what was appended since the last flush (so
/// that a new owner's items can be iterated before it has a row, and so the
/// unit of work can write their foreign keys). Once the owner has a row, reads
/// autoflush and then ask the database.
///
/// Deleting an owner with the default cascade loads the whole collection once
/// to null the children's foreign keys, unless passive_deletes is set. A
/// write-only collection cannot be loaded, so deleting its owner without
/// passive_deletes fails at flush with InvalidRequest.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <type_traits>
#include <vector>

#include "relate/orm/expression.hpp"
#include "relate/orm/handles.hpp"
#include "relate/orm/query.hpp"

namespace relate {

namespace detail {

// The type-erased part of Dynamic<T> and WriteOnly<T> (orm/dynamic.cpp).
class QueryCollection : public CollectionBase {
 public:
  QueryCollection() = default;
  QueryCollection(const QueryCollection& o) : CollectionBase(o), items_(o.items_) {}
  QueryCollection& operator=(const QueryCollection&) = delete;

  void for_each(const std::function<void(ObjectBlock*)>& f) const override {
    for (const auto& o : items_) f(o.block());
  }
  void drop_references() noexcept override;
  std::size_t raw_size() const noexcept override { return items_.size(); }
  ObjectBlock* raw_at(std::size_t i) const noexcept override { return items_[i].block(); }
  void raw_insert(std::size_t pos, ObjectBlock* b) override {
    items_.insert(items_.begin() + static_cast<std::ptrdiff_t>(pos), Object(b));
  }
  void raw_erase(std::size_t pos) noexcept override {
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(pos));
  }

 protected:
  // Appends with sync and save-update; an object already appended since the
  // last flush is not appended twice.
  void add_item(ObjectBlock* b);
  // Records the removal of an object that is (or may be, for rows not in memory)
  // in the collection. False when it certainly is not.
  bool remove_item(ObjectBlock* b);
  // Whole-collection assignment; `loadable` is false for write-only members,
  // which refuse it once the owner has a row.
  void replace_items(const std::vector<ObjectBlock*>& items, bool loadable);
  // True when reads go to the database (the owner has a row, after an
  // autoflush); false when the in-memory items are the whole collection.
  bool reads_database() const;
  std::vector<Object> memory_items() const;
  // What query()/select() build on: the owner's Session (autoflushed first when
  // the owner is pending), the criterion that selects this owner's rows, and the
  // relationship's order_by.
  SessionImpl& query_session() const;
  const Mapper& target_mapper() const;
  Criterion parent_criterion() const;
  std::vector<OrderTerm> default_order() const;
  // In-memory view of an owner that has a row: only what was appended since
  // the last flush, the rest is in the database.
  void settle();
  void check_bound_target(ObjectBlock* b) const;

  friend void load_query_collection(SessionImpl& session, RelationshipHandle& handle);

  std::vector<Object> items_;
};

template <class T>
std::vector<Ptr<T>> typed(const std::vector<Object>& objects) {
  std::vector<Ptr<T>> out;
  out.reserve(objects.size());
  for (const auto& o : objects) out.push_back(Ptr<T>::from_block(o.block()));
  return out;
}

template <class T>
std::vector<ObjectBlock*> blocks_of(const std::vector<Ptr<T>>& items) {
  std::vector<ObjectBlock*> out;
  out.reserve(items.size());
  for (const auto& p : items) out.push_back(p.block());
  return out;
}

template <class>
inline constexpr bool dependent_false = false;

}  // namespace detail

/// A collection that is never loaded as a whole: reads are queries, appends
/// are queued for the next flush (SQLAlchemy's lazy="dynamic").
template <class T>
class Dynamic final : public detail::QueryCollection {
 public:
  using value_type = Ptr<T>;
  using size_type = std::size_t;

  Dynamic() = default;
  Dynamic(std::initializer_list<Ptr<T>> items) : Dynamic(std::vector<Ptr<T>>(items)) {}
  Dynamic(const std::vector<Ptr<T>>& items) {
    for (const auto& p : items) items_.emplace_back(p.block());
  }
  /// A copy holds the source's unflushed items, not its rows.
  Dynamic(const Dynamic& o) : QueryCollection(o) {}
  /// Assignment takes the other collection's current contents (its rows, if it
  /// reads from the database).
  Dynamic& operator=(const Dynamic& o) {
    if (this != &o) assign(o.all());
    return *this;
  }
  Dynamic& operator=(const std::vector<Ptr<T>>& items) {
    assign(items);
    return *this;
  }
  Dynamic& operator=(std::initializer_list<Ptr<T>> items) {
    assign(std::vector<Ptr<T>>(items));
    return *this;
  }

  /// A query for this owner's objects, for filter(), order_by(), count(),
  /// first(), iteration and the bulk statements. It autoflushes when it runs.
  Query<T> query() const {
    Query<T> q(query_session(), target_mapper());
    q.filter(parent_criterion());
    for (auto& o : default_order()) q.order_by(std::move(o));
    return q;
  }

  /// SELECT count(*) once the owner has a row; the in-memory items before.
  std::int64_t count() const {
    if (reads_database()) return query().count();
    return static_cast<std::int64_t>(memory_items().size());
  }
  bool empty() const {
    if (reads_database()) return !query().exists();
    return memory_items().empty();
  }
  std::vector<Ptr<T>> all() const {
    if (reads_database()) return query().all();
    return detail::typed<T>(memory_items());
  }
  Ptr<T> first() const {
    if (reads_database()) return query().first();
    auto items = memory_items();
    return items.empty() ? Ptr<T>() : Ptr<T>::from_block(items.front().block());
  }

  /// Iteration runs all() once, when it starts.
  class iterator {
   public:
    using value_type = Ptr<T>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(std::shared_ptr<const std::vector<Ptr<T>>> items)
        : items_(std::move(items)) {}
    const Ptr<T>& operator*() const { return (*items_)[i_]; }
    const Ptr<T>* operator->() const { return &(*items_)[i_]; }
    iterator& operator++() {
      ++i_;
      return *this;
    }
    iterator operator++(int) {
      iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const iterator& a, const iterator& b) {
      return a.at_end() == b.at_end() && (a.at_end() || (a.items_ == b.items_ && a.i_ == b.i_));
    }

   private:
    bool at_end() const { return !items_ || i_ >= items_->size(); }
    std::shared_ptr<const std::vector<Ptr<T>>> items_;
    std::size_t i_ = 0;
  };
  using const_iterator = iterator;
  iterator begin() const { return iterator(std::make_shared<const std::vector<Ptr<T>>>(all())); }
  iterator end() const { return iterator(); }

  /// Queued for the next flush: no SELECT.
  void append(const Ptr<T>& p) { add_item(p.block()); }
  void push_back(const Ptr<T>& p) { add_item(p.block()); }
  void extend(const std::vector<Ptr<T>>& items) {
    for (const auto& p : items) add_item(p.block());
  }
  /// False if the object is known not to be in the collection.
  bool remove(const Ptr<T>& p) { return remove_item(p.block()); }
  /// Loads the collection once (without autoflush) to know what leaves.
  void clear() { assign({}); }

 private:
  void assign(const std::vector<Ptr<T>>& items) { replace_items(detail::blocks_of(items), true); }
};

/// A collection that is only added to and removed from; reading it is an
/// explicit select() (SQLAlchemy's lazy="write_only").
template <class T>
class WriteOnly final : public detail::QueryCollection {
 public:
  using value_type = Ptr<T>;

  WriteOnly() = default;
  WriteOnly(std::initializer_list<Ptr<T>> items) : WriteOnly(std::vector<Ptr<T>>(items)) {}
  WriteOnly(const std::vector<Ptr<T>>& items) {
    for (const auto& p : items) items_.emplace_back(p.block());
  }
  WriteOnly(const WriteOnly& o) : QueryCollection(o) {}
  /// Replacing the collection is allowed only while the owner has no row (spec
  /// 7.1); afterwards it would need the rows, which a write-only member never loads.
  WriteOnly& operator=(const WriteOnly& o) {
    if (this != &o) assign(detail::typed<T>(o.contents_for_copy()));
    return *this;
  }
  WriteOnly& operator=(const std::vector<Ptr<T>>& items) {
    assign(items);
    return *this;
  }
  WriteOnly& operator=(std::initializer_list<Ptr<T>> items) {
    assign(std::vector<Ptr<T>>(items));
    return *this;
  }

  void add(const Ptr<T>& p) { add_item(p.block()); }
  void add_all(const std::vector<Ptr<T>>& items) {
    for (const auto& p : items) add_item(p.block());
  }
  void add_all(std::initializer_list<Ptr<T>> items) {
    for (const auto& p : items) add_item(p.block());
  }
  bool remove(const Ptr<T>& p) { return remove_item(p.block()); }

  /// The owner's rows, as a query the caller runs (after an autoflush).
  Query<T> select() const {
    Query<T> q(query_session(), target_mapper());
    q.filter(parent_criterion());
    for (auto& o : default_order()) q.order_by(std::move(o));
    return q;
  }

  /// Reading the whole collection implicitly is what write-only rules out.
  template <class U = T>
  void begin() const {
    static_assert(detail::dependent_false<U>,
                  "relate: WriteOnly collection does not support implicit iteration; use "
                  ".select()");
  }
  template <class U = T>
  void end() const {
    static_assert(detail::dependent_false<U>,
                  "relate: WriteOnly collection does not support implicit iteration; use "
                  ".select()");
  }

 private:
  std::vector<Object> contents_for_copy() const;
  void assign(const std::vector<Ptr<T>>& items) { replace_items(detail::blocks_of(items), false); }
};

template <class T>
std::vector<Object> WriteOnly<T>::contents_for_copy() const {
  if (reads_database())
    throw InvalidRequest("WriteOnly collection does not support implicit iteration; use .select()");
  return memory_items();
}

}  // namespace relate
