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
std::atomic<std::size_t> live_blocks{0};
}

std::size_t live_objects() noexcept { return live_blocks.load(); }

namespace detail {

namespace {
std::mutex list_mutex;
ObjectBlock* list_head = nullptr;
thread_local std::size_t tracked_here = 0;
thread_local std::size_t threshold_here = 10000;

// Every object is tracked by the thread that loads or creates it. Each such
// thread has a number, 1 and up, that its objects carry in the 4 bytes beside
// their reference count (a thread id would take 8 more in every object). A
// number is reused after its thread ends, so threads alive together never
// share one. Both lists below are guarded by list_mutex.
std::vector<std::uint32_t> free_thread_numbers;
std::uint32_t next_thread_number = 1;

struct ThreadNumber {
  std::uint32_t n = 0;
  ThreadNumber() {
    std::lock_guard lock(list_mutex);
    if (free_thread_numbers.empty()) {
      n = next_thread_number++;
    } else {
      n = free_thread_numbers.back();
      free_thread_numbers.pop_back();
    }
  }
  ~ThreadNumber() {
    std::lock_guard lock(list_mutex);
    try {
      free_thread_numbers.push_back(n);
    } catch (...) {  // out of memory: the number is not reused
    }
  }
};

// Takes list_mutex the first time in a thread: call it before locking.
std::uint32_t this_thread() {
  thread_local const ThreadNumber number;
  return number.n;
}

}  // namespace

void ObjectBlock::count_new() noexcept { live_blocks.fetch_add(1); }

ObjectBlock::~ObjectBlock() {
  live_blocks.fetch_sub(1);
  if (thread_ != 0) CycleCollector::untrack(*this);
}

void CycleCollector::track(ObjectBlock& b) {
  if (b.thread_ != 0) return;
  const std::uint32_t me = this_thread();
  std::lock_guard lock(list_mutex);
  b.thread_ = me;
  b.prev_tracked_ = nullptr;
  b.next_tracked_ = list_head;
  if (list_head) list_head->prev_tracked_ = &b;
  list_head = &b;
  ++tracked_here;
}

void CycleCollector::untrack(ObjectBlock& b) noexcept {
  const std::uint32_t me = this_thread();
  std::lock_guard lock(list_mutex);
  if (b.prev_tracked_)
    b.prev_tracked_->next_tracked_ = b.next_tracked_;
  else
    list_head = b.next_tracked_;
  if (b.next_tracked_) b.next_tracked_->prev_tracked_ = b.prev_tracked_;
  if (b.thread_ == me && tracked_here > 0) --tracked_here;
  b.thread_ = 0;
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
    std::lock_guard lock(list_mutex);
    for (ObjectBlock* b = list_head; b != nullptr; b = b->next_tracked_)
      if (b->thread_ == me) blocks.push_back(b);
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
  std::lock_guard lock(list_mutex);
  for (ObjectBlock* b = list_head; b != nullptr;) {
    ObjectBlock* next = b->next_tracked_;
    const Mapper* m = b->state().mapper();
    if (m != nullptr && static_cast<const void*>(&m->registry()) == registry) {
      StateAccess::set_mapper(b->state(), nullptr);
      if (b->prev_tracked_)
        b->prev_tracked_->next_tracked_ = b->next_tracked_;
      else
        list_head = b->next_tracked_;
      if (b->next_tracked_) b->next_tracked_->prev_tracked_ = b->prev_tracked_;
      b->thread_ = 0;
    }
    b = next;
  }
}

void CycleCollector::collect_if_due() {
  if (tracked_here > threshold_here) collect();
}

}  // namespace detail

std::size_t collect_cycles() { return detail::CycleCollector::collect(); }

}  // namespace relate
