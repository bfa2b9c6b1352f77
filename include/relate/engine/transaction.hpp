#pragma once
/// @file
/// Transaction and Savepoint are guards returned by Connection::begin() and
/// Connection::begin_nested(). Each must be ended with commit() (release() for a
/// savepoint) or rollback(); a guard destroyed while still active rolls back, so
/// an exception leaves no trace in the database.
///
/// @code
///   auto tx = conn.begin();
///   conn.execute(insert_user);
///   {
///     auto sp = conn.begin_nested();   // SAVEPOINT sp_1
///     conn.execute(risky);
///     sp.release();                    // or leave the scope: ROLLBACK TO SAVEPOINT sp_1
///   }
///   tx.commit();
/// @endcode

#include <cstdint>
#include <memory>
#include <string>

namespace relate {

namespace detail {
class ConnectionState;
}

/// A database transaction; rolls back when destroyed while still active.
class Transaction {
 public:
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  /// If a statement in the transaction failed on PostgreSQL, the database can
  /// only roll back: commit() then rolls back and throws InvalidRequest.
  void commit();
  /// Does nothing when the transaction has already ended.
  void rollback();
  bool is_active() const noexcept;

 private:
  friend class Connection;
  Transaction(std::shared_ptr<detail::ConnectionState> state, std::uint64_t id);
  std::shared_ptr<detail::ConnectionState> state_;
  std::uint64_t id_;
};

/// A SAVEPOINT inside a transaction; rolls back to it when destroyed while
/// still active.
class Savepoint {
 public:
  Savepoint(Savepoint&& other) noexcept;
  Savepoint& operator=(Savepoint&&) = delete;
  ~Savepoint();

  /// RELEASE SAVEPOINT: the work joins the enclosing transaction.
  void release();
  void commit() { release(); }
  /// ROLLBACK TO SAVEPOINT: undoes the work since the savepoint, including
  /// savepoints opened inside it. Does nothing when already ended.
  void rollback();
  bool is_active() const noexcept;
  /// The generated name: sp_1, sp_2, ... counted per transaction.
  const std::string& name() const noexcept { return name_; }

 private:
  friend class Connection;
  Savepoint(std::shared_ptr<detail::ConnectionState> state, std::uint64_t id, std::string name);
  std::shared_ptr<detail::ConnectionState> state_;
  std::uint64_t id_;
  std::string name_;
};

}  // namespace relate
