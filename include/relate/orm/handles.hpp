#pragma once
/// @file
/// The members that hold related objects: `Many<T>` (a collection) and `One<T>` (a
/// nullable reference). They behave like a std::vector and a handle, and keep the
/// other side of a bidirectional relationship in sync as you change them
/// (spec 7.2): appending a child to parent.children sets child.parent, and setting
/// child.parent moves the child between the parents' loaded collections.
///
/// Unloaded values are loaded on first access (one SELECT, or none when the
/// identity map already has the object).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <vector>

#include "relate/orm/object.hpp"

namespace relate {

class Relationship;

namespace detail {

class RelationshipHandle {
 public:
  RelationshipHandle() noexcept = default;
  // A copy belongs to no object until it is placed in one (make<T>(copy)).
  RelationshipHandle(const RelationshipHandle&) noexcept {}
  RelationshipHandle& operator=(const RelationshipHandle&) noexcept { return *this; }
  virtual ~RelationshipHandle() = default;

  ObjectBlock* owner() const noexcept { return owner_; }
  const Relationship* relationship() const noexcept { return rel_; }
  bool is_loaded() const noexcept { return loaded_; }

  // The related objects currently in memory, without loading.
  virtual void for_each(const std::function<void(ObjectBlock*)>& f) const = 0;
  // The references kept for the unit of work (history), not visible as members.
  virtual void for_each_held(const std::function<void(ObjectBlock*)>& f) const = 0;
  // Drops every reference without any bookkeeping (cycle collection only).
  virtual void drop_references() noexcept = 0;

 protected:
  friend struct HandleAccess;
  // Loads an unloaded value; `to_change` marks loads made in order to modify the
  // value, which do not autoflush (DESIGN 4.5).
  void ensure_loaded(bool to_change) const {
    if (!loaded_) load(to_change);
  }
  void load(bool to_change) const;
  // Before a copy is taken: an unloaded value of an object in a Session loads,
  // as a read would; a detached object's is copied as it is (empty), so that a
  // detached object can still be copied.
  void load_to_copy() const {
    if (!loaded_) load_to_copy_slow();
  }
  void load_to_copy_slow() const;

  ObjectBlock* owner_ = nullptr;
  const Relationship* rel_ = nullptr;
  mutable bool loaded_ = true;
  // A per-object loader strategy set by a query option (0: the relationship's own).
  std::uint8_t strategy_ = 0;
};

// Type-erased collection operations, implemented once in the library.
class CollectionBase : public RelationshipHandle {
 public:
  // Compiled in the library, not inlined into every Many<T> and every mapped
  // struct's destructor (docs/performance.md, "Build time").
  CollectionBase() noexcept;
  CollectionBase(const CollectionBase& o);
  ~CollectionBase() override;

  virtual std::size_t raw_size() const noexcept = 0;
  virtual ObjectBlock* raw_at(std::size_t i) const noexcept = 0;
  virtual void raw_insert(std::size_t pos, ObjectBlock* b) = 0;
  virtual void raw_erase(std::size_t pos) noexcept = 0;
  // Room for n objects (a load knows how many are coming).
  virtual void raw_reserve(std::size_t /*n*/) {}

  // Appends with sync, single-parent check and save-update cascade.
  void append(ObjectBlock* child, std::size_t pos);
  // Removes the first occurrence, with sync. False if absent.
  bool remove(ObjectBlock* child);
  void replace_all(const std::vector<ObjectBlock*>& items);
  std::ptrdiff_t find(ObjectBlock* b) const noexcept;
  void for_each_held(const std::function<void(ObjectBlock*)>& f) const override {
    if (!history_) return;
    for (const auto* list : {&history_->added, &history_->removed, &history_->pending_added,
                             &history_->pending_removed})
      for (const auto& o : *list) f(o.block());
  }

 protected:
  friend struct HandleAccess;
  struct History {
    // Changes since the last flush (what the unit of work writes).
    std::vector<Object> added;
    std::vector<Object> removed;
    // Changes made through the reverse side while this collection was
    // unloaded, applied when it loads (spec 7.2).
    std::vector<Object> pending_added;
    std::vector<Object> pending_removed;
  };
  // To read: the lists, empty ones while nothing changed.
  const History& history() const noexcept { return history_ ? *history_ : no_history(); }
  // To change: allocated on the first change.
  History& changes();
  // Lets the lists go (all of them, or only once they are all empty).
  void drop_history() noexcept;
  void trim_history() noexcept;
  static const History& no_history() noexcept;

  // Most loaded collections never change: their history is one null pointer
  // instead of four vectors (96 bytes in each).
  std::unique_ptr<History> history_;
};

class ScalarBase : public RelationshipHandle {
 public:
  // Compiled in the library, as CollectionBase's are.
  ScalarBase() noexcept;
  ScalarBase(const ScalarBase& o) noexcept;
  ~ScalarBase() override;

  virtual ObjectBlock* raw_get() const noexcept = 0;
  virtual void raw_set(ObjectBlock* b) = 0;

  // Assigns with sync, single-parent check and save-update cascade.
  void assign(ObjectBlock* value);
  void for_each_held(const std::function<void(ObjectBlock*)>& f) const override {
    if (committed_) f(committed_.block());
  }

 protected:
  friend struct HandleAccess;
  // The value at the last flush or load; `changed_` until the next flush.
  // (changed_ first: it fits in the padding at the end of RelationshipHandle.)
  bool changed_ = false;
  Object committed_;
};

}  // namespace detail

/// A collection relationship member, used like a `std::vector<Ptr<T>>`;
/// see the file description.
template <class T>
class Many final : public detail::CollectionBase {
 public:
  using value_type = Ptr<T>;
  using const_iterator = typename std::vector<Ptr<T>>::const_iterator;
  using iterator = const_iterator;
  using size_type = std::size_t;

  Many() = default;
  Many(std::initializer_list<Ptr<T>> items) : items_(items) {}
  Many(std::vector<Ptr<T>> items) : items_(std::move(items)) {}
  Many(const Many& o) : CollectionBase(o), items_(to_copy(o)) {}
  Many& operator=(const Many& o) {
    if (this != &o) assign(to_copy(o));
    return *this;
  }
  Many& operator=(std::vector<Ptr<T>> items) {
    assign(items);
    return *this;
  }
  Many& operator=(std::initializer_list<Ptr<T>> items) {
    assign(std::vector<Ptr<T>>(items));
    return *this;
  }

  size_type size() const {
    ensure_loaded(false);
    return items_.size();
  }
  bool empty() const { return size() == 0; }
  const Ptr<T>& operator[](size_type i) const {
    ensure_loaded(false);
    return items_[i];
  }
  const Ptr<T>& at(size_type i) const {
    ensure_loaded(false);
    return items_.at(i);
  }
  const Ptr<T>& front() const { return at(0); }
  const Ptr<T>& back() const { return at(size() - 1); }
  const_iterator begin() const {
    ensure_loaded(false);
    return items_.begin();
  }
  const_iterator end() const {
    ensure_loaded(false);
    return items_.end();
  }
  bool contains(const Ptr<T>& p) const {
    ensure_loaded(false);
    return std::find(items_.begin(), items_.end(), p) != items_.end();
  }

  void push_back(const Ptr<T>& p) {
    ensure_loaded(true);
    append(p.block(), items_.size());
  }
  const_iterator insert(const_iterator pos, const Ptr<T>& p) {
    ensure_loaded(true);
    const auto at = static_cast<std::size_t>(pos - items_.begin());
    append(p.block(), at);
    return items_.begin() + static_cast<std::ptrdiff_t>(at);
  }
  const_iterator erase(const_iterator pos) {
    ensure_loaded(true);
    const auto at = pos - items_.begin();
    detail::ObjectBlock* b = pos->block();
    // remove() takes the first occurrence; a duplicate earlier in the list is
    // the same object, so the outcome is the same list.
    remove(b);
    return items_.begin() +
           std::min<std::ptrdiff_t>(at, static_cast<std::ptrdiff_t>(items_.size()));
  }
  const_iterator erase(const_iterator first, const_iterator last) {
    ensure_loaded(true);
    auto at = first - items_.begin();
    auto n = last - first;
    for (std::ptrdiff_t i = 0; i < n; ++i) remove(items_[static_cast<std::size_t>(at)].block());
    return items_.begin() + at;
  }
  /// SQLAlchemy's list.remove(): false if the object is not in the collection.
  bool remove(const Ptr<T>& p) {
    ensure_loaded(true);
    return CollectionBase::remove(p.block());
  }
  void clear() { assign({}); }

  void for_each(const std::function<void(detail::ObjectBlock*)>& f) const override {
    for (const auto& p : items_) f(p.block());
  }
  void drop_references() noexcept override {
    items_.clear();
    drop_history();
  }
  std::size_t raw_size() const noexcept override { return items_.size(); }
  detail::ObjectBlock* raw_at(std::size_t i) const noexcept override { return items_[i].block(); }
  void raw_insert(std::size_t pos, detail::ObjectBlock* b) override {
    items_.insert(items_.begin() + static_cast<std::ptrdiff_t>(pos), Ptr<T>::from_block(b));
  }
  void raw_erase(std::size_t pos) noexcept override {
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(pos));
  }
  void raw_reserve(std::size_t n) override { items_.reserve(n); }

 private:
  using CollectionBase::remove;
  static const std::vector<Ptr<T>>& to_copy(const Many& o) {
    o.load_to_copy();
    return o.items_;
  }
  void assign(const std::vector<Ptr<T>>& items) {
    if (owner_ == nullptr) {  // not part of a mapped object yet: a plain list
      items_ = items;
      return;
    }
    ensure_loaded(true);
    std::vector<detail::ObjectBlock*> blocks;
    blocks.reserve(items.size());
    for (const auto& p : items) blocks.push_back(p.block());
    replace_all(blocks);
  }

  std::vector<Ptr<T>> items_;
};

/// A single-object relationship member, used like a Ptr<T>; see the file
/// description.
template <class T>
class One final : public detail::ScalarBase {
 public:
  One() = default;
  One(std::nullptr_t) {}
  One(Ptr<T> p) : value_(std::move(p)) {}
  One(const One& o) : ScalarBase(o), value_(to_copy(o)) {}
  One& operator=(const One& o) {
    if (this != &o) set(o.get());
    return *this;
  }
  One& operator=(Ptr<T> p) {
    set(std::move(p));
    return *this;
  }
  One& operator=(std::nullptr_t) {
    set(Ptr<T>());
    return *this;
  }

  /// The related object (loading it if needed), or null.
  Ptr<T> get() const {
    ensure_loaded(false);
    return value_;
  }
  T* operator->() const { return get().operator->(); }
  T& operator*() const { return *get(); }
  explicit operator bool() const { return static_cast<bool>(get()); }
  friend bool operator==(const One& a, const Ptr<T>& b) { return a.get() == b; }
  friend bool operator==(const One& a, std::nullptr_t) { return !a.get(); }

  void for_each(const std::function<void(detail::ObjectBlock*)>& f) const override {
    if (value_) f(value_.block());
  }
  void drop_references() noexcept override {
    value_ = nullptr;
    committed_ = Object();
  }
  detail::ObjectBlock* raw_get() const noexcept override { return value_.block(); }
  void raw_set(detail::ObjectBlock* b) override { value_ = Ptr<T>::from_block(b); }

 private:
  static const Ptr<T>& to_copy(const One& o) {
    o.load_to_copy();
    return o.value_;
  }
  void set(Ptr<T> p) {
    if (owner_ == nullptr) {
      value_ = std::move(p);
      return;
    }
    assign(p.block());
  }
  Ptr<T> value_;
};

}  // namespace relate

// Collections too large to load as a whole (spec 7.1, lazy="dynamic" and
// lazy="write_only"): each read is a query. Defined in relate/orm/dynamic.hpp,
// which needs Query<T>; declared here so that the registry can recognise them.
namespace relate {
template <class T>
class Dynamic;
template <class T>
class WriteOnly;
}  // namespace relate
