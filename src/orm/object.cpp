// Object blocks and the cycle collector (docs/memory.md).
//
// Relationship members hold their objects with counted references, so a parent
// and its children (or the two sides of any bidirectional relationship) keep each
// other alive. Such cycles are found the way CPython finds them: for every tracked
// object, subtract the references held by other tracked objects from its count;
// what is left over is held from outside (user handles, the Session). Everything
// not reachable from those is garbage, and dropping its relationship references
// frees it.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "orm/pointer_index.hpp"
#include "relate/orm/collector.hpp"
#include "relate/orm/handles.hpp"
#include "relate/orm/mapper.hpp"
#include "relate/orm/object.hpp"

namespace relate {

namespace {
// The count of live objects is split over cache lines by thread, so that
// threads creating and freeing objects do not pass one line back and forth.
// An object freed by another thread than its creator's makes one part go
// down and another up; only the sum means anything.
struct alignas(64) LiveCount {
  std::atomic<std::int64_t> n{0};
};
constexpr std::size_t live_parts = 64;
LiveCount live_blocks[live_parts];

// This thread's part: from the address of a thread-local byte, which stays
// valid while thread-local objects are destroyed (objects can die then).
LiveCount& live_part() noexcept {
  thread_local char here;
  const auto a = reinterpret_cast<std::uintptr_t>(&here);
  return live_blocks[(a * 0x9E3779B97F4A7C15u) >> 58];
}
}  // namespace

std::size_t live_objects() noexcept {
  std::int64_t n = 0;
  for (const auto& part : live_blocks) n += part.n.load(std::memory_order_relaxed);
  return n < 0 ? 0 : static_cast<std::size_t>(n);
}

namespace detail {

namespace {
// The tracked objects are on one of several lists, by the number of the
// thread that tracks them, each with its own lock: threads that create and
// free objects in their own Sessions do not wait for each other, as they did
// when every object took one process-wide lock to be tracked and untracked.
struct alignas(64) TrackedList {  // a cache line each: no false sharing
  std::mutex mutex;
  ObjectBlock* head = nullptr;
};
constexpr std::uint32_t list_count = 64;
TrackedList lists[list_count];
TrackedList& list_of(std::uint32_t thread) { return lists[thread % list_count]; }

thread_local std::size_t tracked_here = 0;
thread_local std::size_t threshold_here = 10000;

// Every object is tracked by the thread that loads or creates it. Each such
// thread has a number, 1 and up, that its objects carry in the 4 bytes beside
// their reference count (a thread id would take 8 more in every object). A
// number is reused after its thread ends, so threads alive together never
// share one. Both below are guarded by numbers_mutex.
std::mutex numbers_mutex;
std::vector<std::uint32_t> free_thread_numbers;
std::uint32_t next_thread_number = 1;

struct ThreadNumber {
  std::uint32_t n = 0;
  ThreadNumber() {
    std::lock_guard lock(numbers_mutex);
    if (free_thread_numbers.empty()) {
      n = next_thread_number++;
    } else {
      n = free_thread_numbers.back();
      free_thread_numbers.pop_back();
    }
  }
  ~ThreadNumber() {
    std::lock_guard lock(numbers_mutex);
    try {
      free_thread_numbers.push_back(n);
    } catch (...) {  // out of memory: the number is not reused
    }
  }
};

// Takes numbers_mutex the first time in a thread.
std::uint32_t this_thread() {
  thread_local const ThreadNumber number;
  return number.n;
}

}  // namespace

void ObjectBlock::count_new() noexcept { live_part().n.fetch_add(1, std::memory_order_relaxed); }

ObjectBlock::~ObjectBlock() {
  live_part().n.fetch_sub(1, std::memory_order_relaxed);
  if (thread_.load(std::memory_order_relaxed) != 0) CycleCollector::untrack(*this);
}

void CycleCollector::unlink(ObjectBlock*& head, ObjectBlock& b) noexcept {
  if (b.prev_tracked_)
    b.prev_tracked_->next_tracked_ = b.next_tracked_;
  else
    head = b.next_tracked_;
  if (b.next_tracked_) b.next_tracked_->prev_tracked_ = b.prev_tracked_;
  b.thread_.store(0, std::memory_order_relaxed);
}

void CycleCollector::track(ObjectBlock& b) {
  if (b.thread_.load(std::memory_order_relaxed) != 0) return;
  const std::uint32_t me = this_thread();
  TrackedList& list = list_of(me);
  std::lock_guard lock(list.mutex);
  b.thread_.store(me, std::memory_order_relaxed);
  b.prev_tracked_ = nullptr;
  b.next_tracked_ = list.head;
  if (list.head) list.head->prev_tracked_ = &b;
  list.head = &b;
  ++tracked_here;
}

void CycleCollector::untrack(ObjectBlock& b) noexcept {
  // The number only changes under its list's lock (forget() clears it), so
  // it is read again once that lock is held.
  const std::uint32_t me = this_thread();
  const std::uint32_t owner = b.thread_.load(std::memory_order_relaxed);
  if (owner == 0) return;
  TrackedList& list = list_of(owner);
  std::lock_guard lock(list.mutex);
  if (b.thread_.load(std::memory_order_relaxed) != owner) return;
  unlink(list.head, b);
  if (owner == me && tracked_here > 0) --tracked_here;
}

namespace {
// Every reference a block holds through its relationship members, history included.
void for_each_reference(ObjectBlock* b, const std::function<void(ObjectBlock*)>& f) {
  const Mapper* m = b->state().mapper();
  if (m == nullptr) return;
  for (const auto& r : m->relationships()) {
    RelationshipHandle& h = r->handle(b->object());
    h.for_each(f);
    h.for_each_held(f);
  }
}
}  // namespace

std::size_t CycleCollector::collect() {
  const std::uint32_t me = this_thread();
  std::vector<ObjectBlock*> blocks;
  {
    TrackedList& list = list_of(me);
    std::lock_guard lock(list.mutex);
    for (ObjectBlock* b = list.head; b != nullptr; b = b->next_tracked_)
      if (b->thread_.load(std::memory_order_relaxed) == me) blocks.push_back(b);
  }
  // Each tracked block's place in `blocks`: one flat table instead of a node
  // per object (a Session that closes with 100,000 related objects comes here).
  PointerIndex place;
  place.reserve(blocks.size());
  for (std::size_t i = 0; i < blocks.size(); ++i)
    place.emplace(blocks[i], static_cast<std::uint32_t>(i));
  // References from outside the tracked blocks: their count less the
  // references among them.
  std::vector<long> outside(blocks.size());
  for (std::size_t i = 0; i < blocks.size(); ++i)
    outside[i] = static_cast<long>(blocks[i]->use_count());
  for (auto* b : blocks)
    for_each_reference(b, [&](ObjectBlock* t) {
      const std::uint32_t at = place.find(t);
      if (at != PointerIndex::none) --outside[at];
    });
  std::vector<char> reachable(blocks.size(), 0);
  std::vector<ObjectBlock*> work;
  for (std::size_t i = 0; i < blocks.size(); ++i)
    if (outside[i] > 0) {
      reachable[i] = 1;
      work.push_back(blocks[i]);
    }
  while (!work.empty()) {
    ObjectBlock* b = work.back();
    work.pop_back();
    for_each_reference(b, [&](ObjectBlock* t) {
      const std::uint32_t at = place.find(t);
      if (at != PointerIndex::none && reachable[at] == 0) {
        reachable[at] = 1;
        work.push_back(t);
      }
    });
  }
  std::vector<ObjectBlock*> garbage;
  for (std::size_t i = 0; i < blocks.size(); ++i)
    if (reachable[i] == 0) garbage.push_back(blocks[i]);
  // Hold every piece of garbage until all references among them are dropped, so
  // none is destroyed half-way through.
  for (auto* b : garbage) b->retain();
  for (auto* b : garbage) {
    const Mapper* m = b->state().mapper();
    for (const auto& r : m->relationships()) r->handle(b->object()).drop_references();
  }
  for (auto* b : garbage) b->release();
  threshold_here = std::max<std::size_t>(10000, 2 * tracked_here);
  return garbage.size();
}

void CycleCollector::forget(const void* registry) noexcept {
  for (TrackedList& list : lists) {
    std::lock_guard lock(list.mutex);
    for (ObjectBlock* b = list.head; b != nullptr;) {
      ObjectBlock* next = b->next_tracked_;
      const Mapper* m = b->state().mapper();
      if (m != nullptr && static_cast<const void*>(&m->registry()) == registry) {
        StateAccess::set_mapper(b->state(), nullptr);
        unlink(list.head, *b);
      }
      b = next;
    }
  }
}

void CycleCollector::collect_if_due() {
  if (tracked_here > threshold_here) collect();
}

}  // namespace detail

std::size_t collect_cycles() { return detail::CycleCollector::collect(); }

}  // namespace relate
