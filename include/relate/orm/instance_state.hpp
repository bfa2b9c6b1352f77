#pragma once
/// @file
/// InstanceState: what the ORM knows about one mapped object. It lives in the
/// object's handle block (object.hpp), so every handle reaches it directly.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "relate/core/value.hpp"
#include "relate/orm/committed_values.hpp"

namespace relate {

class Mapper;
class Relationship;
class SessionImpl;
class UnitOfWork;
class InstanceState;
class ReachedStates;

namespace detail {
class ObjectBlock;

// One flag per mapped column (which columns are expired), used like a
// std::vector<bool>: every loaded object carries one, and a vector<bool> costs a
// heap allocation and 40 bytes. One word: up to 57 flags and their count fit in
// it (low bit set); more go to a heap array that starts with its count.
class ColumnBits {
 public:
  ColumnBits() noexcept = default;
  ColumnBits(const ColumnBits&) = delete;
  ColumnBits& operator=(const ColumnBits&) = delete;
  ~ColumnBits() { release(); }

  std::size_t size() const noexcept {
    return inline_() ? static_cast<std::size_t>((word_ >> 1) & size_mask) : heap()[0];
  }
  bool operator[](std::size_t i) const noexcept {
    if (inline_()) return (word_ >> (first_flag + i)) & 1u;
    return (heap()[1 + i / 64] >> (i % 64)) & 1u;
  }
  void set(std::size_t i, bool on) noexcept {
    std::uint64_t* word = &word_;
    if (inline_())
      i += first_flag;
    else
      word = heap() + 1 + i / 64;
    const std::uint64_t bit = std::uint64_t{1} << (i % 64);
    if (on)
      *word |= bit;
    else
      *word &= ~bit;
  }
  // n flags, all `on` (the vector<bool>::assign of the code that used one).
  void assign(std::size_t n, bool on) {
    if (n <= inline_bits) {
      release();
      const std::uint64_t flags = on && n != 0 ? (~std::uint64_t{0} >> (64 - n)) << first_flag : 0;
      word_ = 1u | (std::uint64_t{n} << 1) | flags;
      return;
    }
    const std::size_t words = (n + 63) / 64;
    if (size() != n) {
      auto* h = new std::uint64_t[1 + words];
      release();
      h[0] = n;
      word_ = reinterpret_cast<std::uintptr_t>(h);
    }
    std::memset(heap() + 1, on ? 0xff : 0, words * sizeof(std::uint64_t));
  }
  // Whether any flag is on: the flags themselves answer, so nothing keeps a
  // separate count in step with them.
  bool any() const noexcept {
    if (inline_()) return (word_ >> first_flag) != 0;
    const std::uint64_t* h = heap();
    return std::any_of(h + 1, h + 1 + (h[0] + 63) / 64, [](std::uint64_t w) { return w != 0; });
  }

 private:
  // Inline: bit 0 set, bits 1-6 the count, bits 7-63 the flags (no flags
  // yet: the count is zero). On the heap: the array's address (even).
  static constexpr std::size_t first_flag = 7;
  static constexpr std::size_t inline_bits = 64 - first_flag;
  static constexpr std::uint64_t size_mask = 63;
  bool inline_() const noexcept { return (word_ & 1u) != 0; }
  std::uint64_t* heap() const noexcept {
    return reinterpret_cast<std::uint64_t*>(static_cast<std::uintptr_t>(word_));
  }
  void release() noexcept {
    if (!inline_()) delete[] heap();
    word_ = 1;
  }
  std::uint64_t word_ = 1;
};

// The primary-key values of the row an object stands for. A key of one integer,
// what nearly every table has, is held inline: an identity-map hit then reads
// it from the cache line that holds the object's state, and a loaded object
// needs no heap array for its key (which cost 64 bytes an object). Any other
// key is one heap array.
class Identity {
 public:
  // The values as a span; a single integer is made a Value here, so a View
  // stays where it was made (no copy, no move) while its span is in use.
  class View {
   public:
    View(const View&) = delete;
    View& operator=(const View&) = delete;
    std::span<const Value> span() const noexcept {
      return values_ != nullptr ? std::span<const Value>(values_, size_)
                                : std::span<const Value>(&one_, size_);
    }
    operator std::span<const Value>() const noexcept { return span(); }
    std::vector<Value> vector() const {
      const auto s = span();
      return {s.begin(), s.end()};
    }

   private:
    friend class Identity;
    View(std::int64_t one) noexcept : one_(one), size_(1) {}
    View(const Value* values, std::size_t size) noexcept : values_(values), size_(size) {}
    Value one_;
    const Value* values_ = nullptr;
    std::size_t size_ = 0;
  };

  Identity() noexcept = default;
  Identity(const Identity&) = delete;
  Identity& operator=(const Identity&) = delete;
  ~Identity() { clear(); }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  /// The key when it is one integer, else null.
  const std::int64_t* if_integer() const noexcept { return inline_ ? &integer_ : nullptr; }
  View view() const noexcept {
    return inline_ ? View(integer_) : View(size_ == 0 ? nullptr : values_, size_);
  }
  std::vector<Value> values() const { return view().vector(); }

  void assign(std::span<const Value> key);
  void assign_integer(std::int64_t key) noexcept {
    clear();
    integer_ = key;
    size_ = 1;
    inline_ = true;
  }
  void clear() noexcept {
    if (!inline_ && size_ != 0) delete[] values_;
    integer_ = 0;
    size_ = 0;
    inline_ = false;
  }
  bool equals(std::span<const Value> key) const noexcept {
    if (key.size() != size_) return false;
    if (inline_) {
      const std::int64_t* k = key.front().if_integer();
      return k != nullptr && *k == integer_;
    }
    return std::equal(key.begin(), key.end(), values_);
  }

 private:
  union {
    std::int64_t integer_ = 0;
    Value* values_;
  };
  std::uint32_t size_ = 0;
  bool inline_ = false;
};
}  // namespace detail

/// The five states of spec 6.1.
enum class ObjectState : std::uint8_t { transient, pending, persistent, deleted, detached };

std::string_view to_string(ObjectState state) noexcept;

/// The ORM's view of one object: its state, identity, loaded values and links.
class InstanceState {
 public:
  ObjectState state() const noexcept {
    if (session_ == nullptr) return has_identity_ ? ObjectState::detached : ObjectState::transient;
    if (!has_identity_) return ObjectState::pending;
    return deleted_ ? ObjectState::deleted : ObjectState::persistent;
  }

  const Mapper* mapper() const noexcept { return mapper_; }
  SessionImpl* session() const noexcept { return session_; }
  bool has_identity() const noexcept { return has_identity_; }
  /// Primary-key values of the row this object stands for (valid with an identity).
  const detail::Identity& identity() const noexcept { return identity_; }
  /// Marked by Session::remove() and not yet flushed.
  bool marked_for_delete() const noexcept { return marked_for_delete_; }
  /// The block that holds this state (object.hpp; every state lives in one).
  detail::ObjectBlock* block() const noexcept;

  bool needs_load() const noexcept { return expired_.any(); }
  /// Hot path of every handle access: whether it must load expired columns or
  /// tell the Session that the object was reached (see `unseen_`).
  bool needs_access_hook() const noexcept { return unseen_ || expired_.any(); }
  bool is_expired(std::size_t column) const noexcept {
    return column < expired_.size() && expired_[column];
  }

  /// The "has parent" flag of spec 3.1, per relationship that can own this object:
  /// the parent it was last attached to, or null. Unknown (never attached or
  /// detached through this relationship) is std::nullopt from has_parent().
  const void* parent_via(const Relationship* r) const noexcept {
    for (const auto& l : parents_)
      if (l.relationship == r && l.has) return l.parent;
    return nullptr;
  }
  std::optional<bool> has_parent(const Relationship* r) const noexcept {
    for (const auto& l : parents_)
      if (l.relationship == r) return l.has;
    return std::nullopt;
  }
  /// Attaching records the parent; detaching clears the flag only if it is the
  /// recorded parent it is detached from (so "append to new, remove from old" and
  /// "remove, then append" end the same way).
  void set_parent(const Relationship* r, const void* parent, bool attached) {
    for (auto& l : parents_) {
      if (l.relationship != r) continue;
      if (attached) {
        l.parent = parent;
        l.has = true;
      } else if (!l.has || l.parent == parent) {
        l.has = false;
        l.parent = nullptr;
      }
      return;
    }
    parents_.push_back({r, attached ? parent : nullptr, attached});
  }

 private:
  friend class SessionImpl;
  friend class UnitOfWork;
  friend class Mapper;
  friend struct StateAccess;
  friend class ReachedStates;

  // What a handle access and an identity-map hit read comes first, so that
  // with the block's reference count it shares one cache line (ObjectBlock).
  // The state holds no pointer to its block: ObjectBlock::of() finds the
  // block from the state's address (docs/performance.md, finding 17).
  const Mapper* mapper_ = nullptr;
  SessionImpl* session_ = nullptr;
  detail::ColumnBits expired_;
  // The three bytes after the key's fields are the flags below (the key's
  // padding is reused): that and 32-bit places keep the state at 64 bytes.
  [[no_unique_address]] detail::Identity identity_;
  // Persistent in a Session and not reached since the last flush: the next
  // handle access records it on the Session's list of objects an autoflush
  // compares (the seen part of SessionImpl::reached_).
  bool unseen_ = false;
  // Marked through a delete cascade, not remove() (a whole byte: a flush
  // takes it by reference to put it back if it fails).
  bool deleted_by_cascade_ = false;
  // Flags read off the hot path are bits (one byte for all seven).
  //
  // Its INSERT ran in the open transaction (a rollback makes it transient
  // again). Set when the INSERT runs, so that the flush also knows which new
  // rows exist already; a failed flush clears it again.
  bool inserted_in_transaction_ : 1 = false;
  bool has_identity_ : 1 = false;
  bool deleted_ : 1 = false;            // DELETE flushed, transaction not yet ended
  bool marked_for_delete_ : 1 = false;  // in session.deleted(), waiting for flush
  bool held_strongly_ : 1 = false;      // the Session owns a reference
  bool relationships_changed_ : 1 = false;
  // Plain members cannot be intercepted, but they can only be reached through a
  // handle. An object not reached since its columns were last read or expired
  // cannot differ from its snapshot, so the flush skips comparing it. New
  // objects start as reached (their creator holds them).
  bool touched_ : 1 = true;
  static constexpr std::uint32_t not_reached = 0xffffffffu;
  // Place on the Session's list of persistent objects with touched_ set
  // (SessionImpl::reached_), which the flush compares.
  std::uint32_t reached_at_ = not_reached;
  // A pending object's place in the order of add() (0: not pending); the
  // Session numbers them again when 32 bits run out (PendingObjects).
  std::uint32_t insert_order_ = 0;
  // Column values as the database last had them (index = mapper column index);
  // comparing against them is how changes to plain struct members are found.
  detail::CommittedValues committed_;
  struct ParentLink {
    const Relationship* relationship;
    const void* parent;
    bool has;
  };
  // A vector used like std::vector<ParentLink> that takes one pointer while
  // empty (loaded objects have no links until their relationships change), and
  // one allocation, count included, once used: every new child gets a link.
  class ParentLinks {
   public:
    ParentLinks() noexcept = default;
    ParentLinks(const ParentLinks&) = delete;
    ParentLinks& operator=(const ParentLinks&) = delete;
    ~ParentLinks() { clear(); }
    ParentLink* begin() noexcept { return heap_ ? items(heap_) : nullptr; }
    ParentLink* end() noexcept { return heap_ ? items(heap_) + heap_->size : nullptr; }
    const ParentLink* begin() const noexcept { return heap_ ? items(heap_) : nullptr; }
    const ParentLink* end() const noexcept { return heap_ ? items(heap_) + heap_->size : nullptr; }
    void push_back(const ParentLink& l) {
      if (heap_ == nullptr || heap_->size == heap_->capacity) grow();
      items(heap_)[heap_->size++] = l;
    }
    void clear() noexcept {
      ::operator delete(heap_);
      heap_ = nullptr;
    }

   private:
    // The links follow the header in the same block.
    struct Heap {
      std::uint32_t size;
      std::uint32_t capacity;
    };
    static_assert(sizeof(Heap) % alignof(ParentLink) == 0);
    static ParentLink* items(Heap* h) noexcept { return reinterpret_cast<ParentLink*>(h + 1); }
    static const ParentLink* items(const Heap* h) noexcept {
      return reinterpret_cast<const ParentLink*>(h + 1);
    }
    void grow() {
      const std::uint32_t capacity = heap_ ? 2 * heap_->capacity : 1;
      auto* h = static_cast<Heap*>(::operator new(sizeof(Heap) + capacity * sizeof(ParentLink)));
      h->size = heap_ ? heap_->size : 0;
      h->capacity = capacity;
      if (heap_)
        std::memcpy(static_cast<void*>(items(h)), items(heap_), h->size * sizeof(ParentLink));
      ::operator delete(heap_);
      heap_ = h;
    }
    Heap* heap_ = nullptr;
  };
  ParentLinks parents_;
};

// Every loaded object carries one (docs/performance.md, W2 memory). 64 bytes
// rely on the compiler placing the flags in the key's tail padding, as the
// Itanium C++ ABI that g++ and clang++ follow does for [[no_unique_address]].
static_assert(sizeof(void*) != 8 || sizeof(InstanceState) <= 64);

}  // namespace relate

namespace relate {
/// Narrow write access for free functions of the ORM (make_transient on an object
/// that has no Session).
struct StateAccess {
  static void forget_identity(InstanceState& st);
  static void set_mapper(InstanceState& st, const Mapper* m) { st.mapper_ = m; }
  static void mark_relationships_changed(InstanceState& st) { st.relationships_changed_ = true; }
};
}  // namespace relate
