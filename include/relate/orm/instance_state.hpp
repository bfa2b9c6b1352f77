#pragma once
/// @file
/// InstanceState: what the ORM knows about one mapped object. It lives in the
/// object's handle block (object.hpp), so every handle reaches it directly.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "relate/core/value.hpp"

namespace relate {

class Mapper;
class Relationship;
class SessionImpl;
class UnitOfWork;

namespace detail {
class ObjectBlock;
}

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
  const std::vector<Value>& identity() const noexcept { return identity_; }
  /// Marked by Session::remove() and not yet flushed.
  bool marked_for_delete() const noexcept { return marked_for_delete_; }
  detail::ObjectBlock* block() const noexcept { return block_; }

  bool needs_load() const noexcept { return expired_count_ != 0; }
  /// Hot path of every handle access: whether it must load expired columns or
  /// tell the Session that the object was reached (see `unseen_`).
  bool needs_access_hook() const noexcept { return expired_count_ != 0 || unseen_; }
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
  friend class detail::ObjectBlock;
  friend struct StateAccess;

  detail::ObjectBlock* block_ = nullptr;
  const Mapper* mapper_ = nullptr;
  SessionImpl* session_ = nullptr;
  std::vector<Value> identity_;
  // Column values as the database last had them (index = mapper column index);
  // comparing against them is how changes to plain struct members are found.
  std::vector<Value> committed_;
  std::vector<bool> expired_;
  std::size_t expired_count_ = 0;
  std::uint64_t insert_order_ = 0;
  bool has_identity_ = false;
  bool deleted_ = false;            // DELETE flushed, transaction not yet ended
  bool marked_for_delete_ = false;  // in session.deleted(), waiting for flush
  bool held_strongly_ = false;      // the Session owns a reference
  bool relationships_changed_ = false;
  bool deleted_by_cascade_ = false;  // marked through a delete cascade, not remove()
  // Plain members cannot be intercepted, but they can only be reached through a
  // handle. An object not reached since its columns were last read or expired
  // cannot differ from its snapshot, so the flush skips comparing it. New
  // objects start as reached (their creator holds them).
  bool touched_ = true;
  // Persistent in a Session and not reached since the last flush: the next
  // handle access records it on the Session's list of objects an autoflush
  // compares (SessionImpl::seen_), at the place seen_at_.
  bool unseen_ = false;
  static constexpr std::uint32_t not_seen = 0xffffffffu;
  std::uint32_t seen_at_ = not_seen;
  // Place on the Session's list of persistent objects with touched_ set
  // (SessionImpl::touched_), which the flush compares.
  std::uint32_t touched_at_ = not_seen;
  struct ParentLink {
    const Relationship* relationship;
    const void* parent;
    bool has;
  };
  std::vector<ParentLink> parents_;
};

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
