#pragma once
/// @file
/// Reclaiming objects that only keep each other alive through relationships
/// (docs/memory.md). relate runs the collector by itself when a Session commits,
/// rolls back or closes and enough new objects have appeared since the last run;
/// collect_cycles() runs it now.

#include <cstddef>

namespace relate {

namespace detail {
class ObjectBlock;
class CycleCollector {
 public:
  static void track(ObjectBlock& b);
  static void untrack(ObjectBlock& b) noexcept;
  static std::size_t collect();
  static void collect_if_due();
  // A Registry is going away: its objects that are still alive stop being
  // walked (their mappers are gone).
  static void forget(const void* registry) noexcept;

 private:
  static void unlink(ObjectBlock*& head, ObjectBlock& b) noexcept;
};
}  // namespace detail

/// Frees every object of this thread that is reachable only through relationship
/// members of other unreachable objects; returns how many were freed.
std::size_t collect_cycles();
/// How many mapped objects exist right now (all threads).
std::size_t live_objects() noexcept;

}  // namespace relate
