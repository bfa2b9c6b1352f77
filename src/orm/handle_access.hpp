#pragma once
// Library-internal access to the bookkeeping inside relationship members.

#include <vector>

#include "relate/orm/handles.hpp"

namespace relate::detail {

struct HandleAccess {
  static CollectionBase& collection(RelationshipHandle& h) {
    return static_cast<CollectionBase&>(h);
  }
  static ScalarBase& scalar(RelationshipHandle& h) { return static_cast<ScalarBase&>(h); }
  static void bind(RelationshipHandle& h, ObjectBlock* owner, const Relationship* rel) {
    h.owner_ = owner;
    h.rel_ = rel;
    h.loaded_ = true;
  }
  static void set_loaded(RelationshipHandle& h, bool yes) { h.loaded_ = yes; }
  static std::uint8_t& strategy(RelationshipHandle& h) { return h.strategy_; }
  // A collection's history, to read (empty lists while nothing changed)...
  static const std::vector<Object>& added(const CollectionBase& c) { return c.history().added; }
  static const std::vector<Object>& removed(const CollectionBase& c) { return c.history().removed; }
  static const std::vector<Object>& pending_added(const CollectionBase& c) {
    return c.history().pending_added;
  }
  static const std::vector<Object>& pending_removed(const CollectionBase& c) {
    return c.history().pending_removed;
  }
  static bool has_history(const CollectionBase& c) { return c.history_ != nullptr; }
  // ... and to change (allocated on the first change; let go once empty).
  static CollectionBase::History& changes(CollectionBase& c) { return c.changes(); }
  static void trim_history(CollectionBase& c) noexcept { c.trim_history(); }
  static Object& committed(ScalarBase& s) { return s.committed_; }
  static bool& changed(ScalarBase& s) { return s.changed_; }
};

}  // namespace relate::detail
