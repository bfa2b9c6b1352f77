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
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

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

// Every loaded object is tracked from the thread that loads it: the hash of its
// id once per thread.
std::size_t this_thread() {
  thread_local const std::size_t id = std::hash<std::thread::id>()(std::this_thread::get_id());
  return id;
}

}  // namespace

void ObjectBlock::count_new() noexcept { live_blocks.fetch_add(1); }

ObjectBlock::~ObjectBlock() {
  live_blocks.fetch_sub(1);
  if (tracked_) CycleCollector::untrack(*this);
}

void CycleCollector::track(ObjectBlock& b) {
  if (b.tracked_) return;
  std::lock_guard lock(list_mutex);
  b.tracked_ = true;
  b.thread_ = this_thread();
  b.prev_tracked_ = nullptr;
  b.next_tracked_ = list_head;
  if (list_head) list_head->prev_tracked_ = &b;
  list_head = &b;
  ++tracked_here;
}

void CycleCollector::untrack(ObjectBlock& b) noexcept {
  std::lock_guard lock(list_mutex);
  if (b.prev_tracked_)
    b.prev_tracked_->next_tracked_ = b.next_tracked_;
  else
    list_head = b.next_tracked_;
  if (b.next_tracked_) b.next_tracked_->prev_tracked_ = b.prev_tracked_;
  b.tracked_ = false;
  if (b.thread_ == this_thread() && tracked_here > 0) --tracked_here;
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
  const std::size_t me = this_thread();
  std::vector<ObjectBlock*> blocks;
  {
    std::lock_guard lock(list_mutex);
    for (ObjectBlock* b = list_head; b != nullptr; b = b->next_tracked_)
      if (b->thread_ == me) blocks.push_back(b);
  }
  std::unordered_map<ObjectBlock*, long> outside;
  outside.reserve(blocks.size());
  for (auto* b : blocks) outside[b] = static_cast<long>(b->use_count());
  for (auto* b : blocks)
    for_each_reference(b, [&](ObjectBlock* t) {
      auto it = outside.find(t);
      if (it != outside.end()) --it->second;
    });
  std::unordered_set<ObjectBlock*> reachable;
  std::vector<ObjectBlock*> work;
  for (auto* b : blocks)
    if (outside[b] > 0) {
      reachable.insert(b);
      work.push_back(b);
    }
  while (!work.empty()) {
    ObjectBlock* b = work.back();
    work.pop_back();
    for_each_reference(b, [&](ObjectBlock* t) {
      if (outside.contains(t) && reachable.insert(t).second) work.push_back(t);
    });
  }
  std::vector<ObjectBlock*> garbage;
  for (auto* b : blocks)
    if (!reachable.contains(b)) garbage.push_back(b);
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
      b->tracked_ = false;
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
