#pragma once
// A map from object addresses to small integers (or a set of addresses), for
// the bookkeeping a flush keeps per object. One flat table: a node-based
// std::unordered_set spends an allocation per object and a cache miss per
// lookup, which for a flush of 100,000 new objects costs more than the
// bookkeeping itself.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

namespace relate::detail {

class PointerIndex {
 public:
  static constexpr std::uint32_t none = 0xffffffffu;

  PointerIndex() = default;
  PointerIndex(const PointerIndex&) = delete;
  PointerIndex& operator=(const PointerIndex&) = delete;

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  bool contains(const void* key) const noexcept { return find(key) != none; }
  // The value entered for `key`, or `none`.
  std::uint32_t find(const void* key) const noexcept {
    if (size_ == 0) return none;
    for (std::size_t i = start(key);; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return slots_[i].value;
      if (slots_[i].key == nullptr) return none;
    }
  }
  // Enters key -> value unless `key` is there; returns the value it has then,
  // and whether it was entered now.
  std::pair<std::uint32_t, bool> emplace(const void* key, std::uint32_t value) {
    if (4 * (size_ + 1) > 3 * capacity()) grow();
    for (std::size_t i = start(key);; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return {slots_[i].value, false};
      if (slots_[i].key == nullptr) {
        slots_[i] = {key, value};
        ++size_;
        return {value, true};
      }
    }
  }
  bool insert(const void* key) { return emplace(key, 0).second; }
  // Room for n keys without growing on the way.
  void reserve(std::size_t n) {
    while (4 * n > 3 * capacity()) grow();
  }
  // Changes the value of a key that is there.
  void set(const void* key, std::uint32_t value) noexcept {
    for (std::size_t i = start(key);; i = (i + 1) & mask_)
      if (slots_[i].key == key) {
        slots_[i].value = value;
        return;
      }
  }
  bool erase(const void* key) noexcept {
    if (size_ == 0) return false;
    std::size_t i = start(key);
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) break;
      if (slots_[i].key == nullptr) return false;
    }
    // Later entries of the same run move back into the hole when their own
    // start is not between the hole and where they are (linear probing
    // without tombstones).
    for (std::size_t j = (i + 1) & mask_; slots_[j].key != nullptr; j = (j + 1) & mask_) {
      const std::size_t k = start(slots_[j].key);
      const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i] = Slot{};
    --size_;
    return true;
  }
  void clear() noexcept {
    slots_.reset();
    mask_ = static_cast<std::size_t>(-1);
    size_ = 0;
  }

 private:
  struct Slot {
    const void* key = nullptr;
    std::uint32_t value = 0;
  };
  std::size_t capacity() const noexcept { return slots_ ? mask_ + 1 : 0; }
  std::size_t start(const void* key) const noexcept {
    // Objects are at least 16 bytes apart: the low bits say nothing.
    auto h = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(key) >> 4);
    h *= 0x9e3779b97f4a7c15ull;
    return static_cast<std::size_t>(h >> 32) & mask_;
  }
  void grow() {
    const std::size_t old_capacity = capacity();
    const std::size_t capacity = old_capacity == 0 ? 64 : 2 * old_capacity;
    auto old = std::move(slots_);
    slots_ = std::make_unique<Slot[]>(capacity);
    mask_ = capacity - 1;
    for (std::size_t j = 0; j < old_capacity; ++j) {
      if (old[j].key == nullptr) continue;
      std::size_t i = start(old[j].key);
      while (slots_[i].key != nullptr) i = (i + 1) & mask_;
      slots_[i] = old[j];
    }
  }

  std::unique_ptr<Slot[]> slots_;
  std::size_t mask_ = static_cast<std::size_t>(-1);
  std::size_t size_ = 0;
};

}  // namespace relate::detail
