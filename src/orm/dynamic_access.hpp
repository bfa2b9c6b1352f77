#pragma once
// The one way the rest of the library loads a Dynamic<T> or WriteOnly<T> as a
// whole: the unit of work, to null the children of a deleted owner.

namespace relate {
class SessionImpl;
namespace detail {
class RelationshipHandle;

// Fills the member with every row of the owner (its unflushed history kept on
// top); throws InvalidRequest for a write-only member, which is never loaded.
void load_query_collection(SessionImpl& session, RelationshipHandle& handle);
}  // namespace detail
}  // namespace relate
