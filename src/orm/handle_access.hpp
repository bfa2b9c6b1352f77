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
  static std::vector<Object>& added(CollectionBase& c) { return c.added_; }
  static std::vector<Object>& removed(CollectionBase& c) { return c.removed_; }
  static std::vector<Object>& pending_added(CollectionBase& c) { return c.pending_added_; }
  static std::vector<Object>& pending_removed(CollectionBase& c) { return c.pending_removed_; }
  static Object& committed(ScalarBase& s) { return s.committed_; }
  static bool& changed(ScalarBase& s) { return s.changed_; }
};

}  // namespace relate::detail
