#include "relate/engine/pool.hpp"

#include <algorithm>

#include "relate/core/error.hpp"

namespace relate {

Pool::Pool(Factory factory, std::size_t size, std::chrono::milliseconds timeout,
           std::string description)
    : factory_(std::move(factory)),
      size_(size),
      timeout_(timeout),
      description_(std::move(description)) {
  if (size_ == 0) throw ConfigurationError("pool_size must be at least 1");
}

Pool::~Pool() = default;

std::unique_ptr<DriverConnection> Pool::checkout() {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  const auto me = std::this_thread::get_id();
  for (;;) {
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      holders_[conn.get()] = me;
      return conn;
    }
    if (open_ < size_) {
      ++open_;
      const std::size_t generation = generation_;
      lock.unlock();
      std::unique_ptr<DriverConnection> conn;
      try {
        conn = factory_();
      } catch (...) {
        lock.lock();
        --open_;
        returned_.notify_one();
        throw;
      }
      lock.lock();
      holders_[conn.get()] = me;
      born_[conn.get()] = generation;
      return conn;
    }
    const bool all_mine =
        holders_.size() == open_ && std::all_of(holders_.begin(), holders_.end(),
                                                [&](const auto& h) { return h.second == me; });
    if (all_mine)
      throw PoolTimeout("no connection available for " + description_ + ": all " +
                        std::to_string(size_) +
                        " connection(s) of the pool (pool_size=" + std::to_string(size_) +
                        ") are checked out by this same thread, so waiting would never end. "
                        "Close a Connection (and finish its Results) before opening another, "
                        "or raise pool_size.");
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= size_)
      throw PoolTimeout("no connection available for " + description_ + " within " +
                        std::to_string(timeout_.count()) + " ms: all " + std::to_string(size_) +
                        " connection(s) are checked out (pool_size=" + std::to_string(size_) +
                        ", pool_timeout=" + std::to_string(timeout_.count()) +
                        " ms). Close Connections (and finish their Results) sooner, or raise "
                        "pool_size or pool_timeout.");
  }
}

void Pool::checkin(std::unique_ptr<DriverConnection> conn) noexcept {
  if (!conn) return;
  bool keep = false;
  try {
    if (conn->healthy()) {
      conn->reset();
      keep = conn->healthy();
    }
  } catch (...) {
    keep = false;
  }
  std::unique_ptr<DriverConnection> closing;
  {
    std::lock_guard lock(mutex_);
    holders_.erase(conn.get());
    auto born = born_.find(conn.get());
    if (born != born_.end() && born->second != generation_) keep = false;
    if (keep) {
      idle_.push_back(std::move(conn));
    } else {
      if (born != born_.end()) born_.erase(born);
      --open_;
      closing = std::move(conn);
    }
  }
  returned_.notify_one();
  // `closing` is closed here, outside the lock.
}

void Pool::dispose() {
  std::vector<std::unique_ptr<DriverConnection>> closing;
  {
    std::lock_guard lock(mutex_);
    closing.swap(idle_);
    for (const auto& c : closing) born_.erase(c.get());
    open_ -= closing.size();
    ++generation_;
  }
  returned_.notify_all();
}

std::size_t Pool::open() const {
  std::lock_guard lock(mutex_);
  return open_;
}
std::size_t Pool::idle() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}
std::size_t Pool::checked_out() const {
  std::lock_guard lock(mutex_);
  return holders_.size();
}

}  // namespace relate
