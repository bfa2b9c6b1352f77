#pragma once
/// @file
/// How users hold mapped objects: `relate::Ptr<T>`, a shared handle like
/// std::shared_ptr whose control block also carries the object's InstanceState.
/// That gives the Session O(1) access to an object's state with no global lookup
/// table, and a hook on attribute access (operator->) that loads expired
/// attributes, as SQLAlchemy does on attribute access.
///
/// @code
///   auto jack = relate::make<User>({.name = "jack"});
///   session.add(jack);
/// @endcode
///
/// Ownership (see docs/memory.md): a Session holds strong references to pending,
/// deleted and modified objects; a clean persistent object lives as long as
/// handles to it exist outside the Session, and leaves the identity map when the
/// last one goes. Handles are not thread-safe beyond their reference count: use
/// an object in the thread of the Session it belongs to.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <typeinfo>
#include <utility>

#include "relate/orm/instance_state.hpp"

namespace relate {

namespace detail {

class CycleCollector;

class ObjectBlock {
 public:
  ObjectBlock() noexcept { count_new(); }
  ObjectBlock(const ObjectBlock&) = delete;
  ObjectBlock& operator=(const ObjectBlock&) = delete;
  virtual ~ObjectBlock();

  virtual void* object() noexcept = 0;
  virtual const std::type_info& type() const noexcept = 0;
  InstanceState& state() noexcept { return state_; }
  // The block that holds `state`.
  static ObjectBlock* of(const InstanceState& state) noexcept;
  std::size_t use_count() const noexcept { return refs_.load(std::memory_order_relaxed); }

  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  // When the count reaches zero the object's Session may keep it (it has unflushed
  // changes); otherwise it is destroyed.
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) last_reference_gone();
  }
  // Gives back a reference taken to protect a block under construction.
  void release_unchecked() noexcept { refs_.fetch_sub(1, std::memory_order_acq_rel); }

 private:
  friend class CycleCollector;
  void last_reference_gone() noexcept;
  static void count_new() noexcept;

  // Every loaded object has these: they are kept small (a count of 2^32
  // handles to one object would take 64 GiB of handles).
  std::atomic<std::uint32_t> refs_{0};
  // Objects with relationship members are on lists that the cycle collector
  // walks (memory.md): the number of the thread that put the object there (0:
  // not on a list), and the list's links. Atomic because another thread may
  // free the object; the lists' locks order every change to it.
  std::atomic<std::uint32_t> thread_{0};
  // Next to the count: a handle access reads the state's first fields.
  InstanceState state_;
  ObjectBlock* prev_tracked_ = nullptr;
  ObjectBlock* next_tracked_ = nullptr;
};

// A block is not standard-layout (it has virtual functions), so offsetof is
// "conditionally supported" for it; g++ and clang++ support it for a class
// without virtual bases, which is the case the warning guards.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
inline ObjectBlock* ObjectBlock::of(const InstanceState& state) noexcept {
  constexpr std::size_t at = offsetof(ObjectBlock, state_);
  return reinterpret_cast<ObjectBlock*>(
      const_cast<char*>(reinterpret_cast<const char*>(&state) - at));
}
#pragma GCC diagnostic pop

// Connects the relationship members of a new object to it (relationship.cpp).
void bind_handles(ObjectBlock& block);
// The same for an object the ORM creates from its mapper (rows being loaded).
void bind_handles(ObjectBlock& block, const Mapper& mapper);

// Selects the constructor of TypedBlock that value-initialises the object for a
// known mapper.
struct CreatedBy {
  const Mapper* mapper;
};

template <class T>
class TypedBlock final : public ObjectBlock {
 public:
  template <class... Args>
  explicit TypedBlock(Args&&... args) : value_{std::forward<Args>(args)...} {
    bind_handles(*this);
  }
  explicit TypedBlock(CreatedBy by) : value_{} { bind_handles(*this, *by.mapper); }
  void* object() noexcept override { return &value_; }
  const std::type_info& type() const noexcept override { return typeid(T); }
  // What a Ptr<T> reaches from its block: a fixed offset, no virtual call.
  T* value() noexcept { return &value_; }

 private:
  T value_;
};

// Before an access: tells the Session the object was reached, then loads
// expired attributes (or throws DetachedInstanceError).
void prepare_access(InstanceState& state);
// The same for access that loads nothing (Ptr::get()): never throws.
void note_access(InstanceState& state) noexcept;

}  // namespace detail

inline detail::ObjectBlock* InstanceState::block() const noexcept {
  return detail::ObjectBlock::of(*this);
}

/// A type-erased handle to any mapped object (the Session's views return these).
class Object {
 public:
  Object() noexcept = default;
  explicit Object(detail::ObjectBlock* block) noexcept : block_(block) {
    if (block_) block_->retain();
  }
  Object(const Object& o) noexcept : Object(o.block_) {}
  /// Takes over a reference the block already counts (used by relate itself).
  static Object adopt(detail::ObjectBlock* block) noexcept {
    Object o;
    o.block_ = block;
    return o;
  }
  Object(Object&& o) noexcept : block_(std::exchange(o.block_, nullptr)) {}
  Object& operator=(Object o) noexcept {
    std::swap(block_, o.block_);
    return *this;
  }
  ~Object() {
    if (block_) block_->release();
  }

  explicit operator bool() const noexcept { return block_ != nullptr; }
  const std::type_info& type() const noexcept { return block_->type(); }
  template <class T>
  bool is() const noexcept {
    return block_ && block_->type() == typeid(T);
  }
  detail::ObjectBlock* block() const noexcept { return block_; }
  friend bool operator==(const Object& a, const Object& b) noexcept { return a.block_ == b.block_; }

 private:
  detail::ObjectBlock* block_ = nullptr;
};

/// A shared handle to a mapped object of type T, like `std::shared_ptr<T>`;
/// see the file description.
template <class T>
class Ptr {
 public:
  using element_type = T;

  Ptr() noexcept = default;
  Ptr(std::nullptr_t) noexcept {}
  Ptr(const Ptr& o) noexcept : block_(o.block_) {
    if (block_) block_->retain();
  }
  Ptr(Ptr&& o) noexcept : block_(std::exchange(o.block_, nullptr)) {}
  Ptr& operator=(Ptr o) noexcept {
    std::swap(block_, o.block_);
    return *this;
  }
  ~Ptr() {
    if (block_) block_->release();
  }

  /// Adopts a block that already counts this reference (used by relate itself).
  static Ptr adopt(detail::ObjectBlock* block) noexcept {
    Ptr p;
    p.block_ = block;
    return p;
  }
  /// A new reference to a block (used by relate itself).
  static Ptr from_block(detail::ObjectBlock* block) noexcept {
    if (block) block->retain();
    return adopt(block);
  }
  /// The checked conversion from a type-erased handle; null if the type differs.
  static Ptr from(const Object& o) noexcept { return o.is<T>() ? from_block(o.block()) : Ptr(); }

  /// Access loads expired attributes first (one SELECT), and on a detached
  /// object with expired attributes throws DetachedInstanceError.
  T* operator->() const {
    prepare();
    return object();
  }
  T& operator*() const {
    prepare();
    return *object();
  }
  /// The object without loading anything.
  T* get() const noexcept {
    if (!block_) return nullptr;
    if (block_->state().needs_access_hook()) detail::note_access(block_->state());
    return object();
  }

  explicit operator bool() const noexcept { return block_ != nullptr; }
  detail::ObjectBlock* block() const noexcept { return block_; }
  operator Object() const noexcept { return Object(block_); }

  /// A std::shared_ptr view sharing this handle's ownership.
  std::shared_ptr<T> shared() const {
    if (!block_) return nullptr;
    if (block_->state().needs_access_hook()) detail::note_access(block_->state());
    block_->retain();
    return std::shared_ptr<T>(object(), [b = block_](T*) { b->release(); });
  }

  friend bool operator==(const Ptr& a, const Ptr& b) noexcept { return a.block_ == b.block_; }
  friend bool operator==(const Ptr& a, std::nullptr_t) noexcept { return a.block_ == nullptr; }

 private:
  void prepare() const {
    auto& st = block_->state();
    if (st.needs_access_hook()) detail::prepare_access(st);
  }

  // A Ptr<T> only ever holds a TypedBlock<T> (from() checks the type), so the
  // object is found from the block and a handle is one pointer: a collection's
  // array and a many-to-one member hold half the bytes two pointers took.
  T* object() const noexcept { return static_cast<detail::TypedBlock<T>*>(block_)->value(); }

  detail::ObjectBlock* block_ = nullptr;
};

/// Creates a mapped object: `make<User>()` value-initialises, `make<User>({.name = "x"})`
/// or `make<User>(other_user)` copies or moves in an existing value.
template <class T, class... Args>
Ptr<T> make(Args&&... args) {
  auto* block = new detail::TypedBlock<T>(std::forward<Args>(args)...);
  block->retain();
  return Ptr<T>::adopt(block);
}
template <class T>
Ptr<T> make(T&& value) {
  auto* block = new detail::TypedBlock<T>(std::move(value));
  block->retain();
  return Ptr<T>::adopt(block);
}

}  // namespace relate

template <class T>
struct std::hash<relate::Ptr<T>> {
  std::size_t operator()(const relate::Ptr<T>& p) const noexcept {
    return std::hash<const void*>()(p.block());
  }
};
template <>
struct std::hash<relate::Object> {
  std::size_t operator()(const relate::Object& o) const noexcept {
    return std::hash<const void*>()(o.block());
  }
};
