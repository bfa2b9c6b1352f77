#pragma once
/// @file
/// A thread-safe pool of driver connections. checkout() hands out an idle
/// connection, opens a new one while fewer than `size` exist, or waits up to
/// `timeout` for one to come back and then throws PoolTimeout. A returned
/// connection is reset (its cursor finished, its transaction rolled back); one
/// that is broken or cannot be reset is closed and a new one opened when needed.
///
/// A thread that already holds every connection and asks for another would wait
/// for itself; that is reported at once instead of after the timeout.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "relate/engine/driver.hpp"

namespace relate {

/// The connection pool of an Engine; see the file description.
class Pool {
 public:
  using Factory = std::function<std::unique_ptr<DriverConnection>()>;

  /// `description` names the database in messages (a masked URL).
  Pool(Factory factory, std::size_t size, std::chrono::milliseconds timeout,
       std::string description);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool();

  std::unique_ptr<DriverConnection> checkout();
  void checkin(std::unique_ptr<DriverConnection> connection) noexcept;

  /// Closes the idle connections; checked-out ones are closed when returned.
  void dispose();

  std::size_t size() const noexcept { return size_; }
  std::chrono::milliseconds timeout() const noexcept { return timeout_; }
  /// Connections that exist, idle or checked out.
  std::size_t open() const;
  std::size_t idle() const;
  std::size_t checked_out() const;

 private:
  Factory factory_;
  std::size_t size_;
  std::chrono::milliseconds timeout_;
  std::string description_;

  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<DriverConnection>> idle_;
  std::size_t open_ = 0;
  std::unordered_map<const DriverConnection*, std::thread::id> holders_;
  std::size_t generation_ = 0;  // bumped by dispose(); older connections are not kept
  std::unordered_map<const DriverConnection*, std::size_t> born_;
};

}  // namespace relate
