#pragma once
/// @file
/// Session: one unit of work against one Engine (spec section 6, DESIGN 4).
/// It keeps the identity map (one object per row), tracks what is new, changed
/// and removed, and writes it all in one flush, in dependency order, atomically.
///
/// A Session is not thread-safe: use it, and the objects attached to it, from one
/// thread at a time.

#include <array>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "relate/core/compiled.hpp"
#include "relate/core/statement.hpp"
#include "relate/engine/engine.hpp"
#include "relate/orm/delete_preview.hpp"
#include "relate/orm/object.hpp"
#include "relate/orm/registry.hpp"

namespace relate {

template <class T>
class Query;

/// Options of a Session.
struct SessionOptions {
  /// Queries, database-bound get() and refresh() flush pending changes first.
  bool autoflush = true;
  /// commit() expires every object, so the next access reads the database again.
  bool expire_on_commit = true;
  /// The first operation that needs the database begins a transaction; without
  /// it, begin() must be called first.
  bool autobegin = true;
  /// A delete cascade (or the nulling of foreign keys) over children that are not
  /// in memory and need no per-object work runs as one statement per table level,
  /// `DELETE ... WHERE parent_id IN (...)`, instead of loading each child. false
  /// loads and visits every child, as SQLAlchemy does; the rows and the objects in
  /// memory end the same either way.
  bool set_based_cascades = true;
};

/// How a bulk UPDATE/DELETE brings objects already in the Session up to date
/// (spec 8.3).
enum class Synchronize : std::uint8_t {
  automatic,  ///< fetch where RETURNING is available (both supported databases)
  fetch,      ///< find the affected primary keys with RETURNING
  evaluate,   ///< evaluate the criteria in memory (simple comparisons only)
  none,       ///< leave the Session alone
};

class SessionImpl;

namespace detail {
// Integers that convert to a 64-bit SQL integer without a range check.
template <class K>
concept plain_integer_key = std::integral<K> && !std::same_as<K, bool> && !std::same_as<K, char> &&
                            (std::is_signed_v<K> || sizeof(K) < sizeof(std::int64_t));

// A primary-key argument of Session::get(): any mapped value type, and string
// literals for text keys (get<Seat>("main", 12)).
template <class K>
Value key_value(const K& key) {
  if constexpr (SqlValueType<K>)
    return to_value(key);
  else if constexpr (std::is_convertible_v<const K&, std::string_view>)
    return Value(std::string_view(key));
  else
    static_assert(SqlValueType<K>, "relate: a primary-key value must be of a mapped value type");
}
}  // namespace detail

/// A unit of work against one Engine, with an identity map; see the file
/// description and docs/session.md.
class Session {
 public:
  Session(Engine engine, Registry& registry, SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  /// transient -> pending; detached -> persistent; a marked delete is cancelled.
  void add(const Object& object);
  /// add() for each object.
  void add_all(std::initializer_list<Object> objects);
  template <class Range>
  void add_all(const Range& objects) {
    for (const auto& o : objects) add(Object(o));
  }

  /// The object with this primary key: from the identity map without SQL when it
  /// is there and not expired, else SELECT (after autoflush). Null if no row.
  /// Composite keys take one argument per key column, in key order.
  template <class T, class... Key>
  Ptr<T> get(const Key&... key) {
    if constexpr (sizeof...(Key) == 1 && (detail::plain_integer_key<Key> && ...)) {
      // The common integer key goes without a Value (see get_block_by_integer).
      return Ptr<T>::adopt(get_block_by_integer(typeid(T), static_cast<std::int64_t>(key)...));
    } else {
      const std::array<Value, sizeof...(Key)> values{detail::key_value(key)...};
      return Ptr<T>::adopt(get_block(registry_mapper(typeid(T)), values));
    }
  }

  /// SQLAlchemy's Session.delete(): the row is deleted at the next flush.
  void remove(const Object& object);

  /// Writes every pending change now, atomically: on failure the database and
  /// the Session are as they were before the flush, and the error is thrown.
  void flush();
  /// Flushes and commits; with expire_on_commit, expires every object.
  void commit();
  /// Rolls the transaction back: objects added or inserted in it become
  /// transient, objects deleted in it persistent again, and every object is expired.
  void rollback();
  /// Expunges everything and ends the transaction (ROLLBACK only if one is open).
  void close();
  /// Begins the transaction explicitly (needed when autobegin is off).
  void begin();
  /// Whether a transaction is open.
  bool in_transaction() const noexcept;

  /// Takes the object (and what its expunge cascades reach) out of the Session:
  /// persistent becomes detached, pending becomes transient.
  void expunge(const Object& object);
  /// Takes every object out of the Session.
  void expunge_all();
  /// Discards loaded values (unflushed changes included); the next access reloads.
  void expire(const Object& object, std::initializer_list<std::string_view> columns = {});
  /// Expires every object in the Session.
  void expire_all();
  /// Flushes, then reloads the object's columns now. InvalidRequest if the row is gone.
  void refresh(const Object& object);

  /// Copies the state of `source` onto the object of the same identity in this
  /// Session (loading it when load is true), or onto a new pending object.
  /// Returns that object; `source` is never attached.
  template <class T>
  Ptr<T> merge(const Ptr<T>& source, bool load = true) {
    return Ptr<T>::adopt(merge_block(source.block(), load));
  }

  /// Whether the object is pending or persistent in this Session.
  bool contains(const Object& object) const noexcept;
  std::vector<Object> new_objects() const;
  std::vector<Object> dirty_objects() const;
  std::vector<Object> deleted_objects() const;
  /// Everything the next flush would delete or null out, without changing anything.
  DeletePreview delete_preview();

  /// Autoflush is off while the returned guard lives.
  class NoAutoflush {
   public:
    explicit NoAutoflush(SessionImpl& s);
    ~NoAutoflush();
    NoAutoflush(const NoAutoflush&) = delete;
    NoAutoflush& operator=(const NoAutoflush&) = delete;

   private:
    SessionImpl& session_;
  };
  /// A guard that turns autoflush off until it is destroyed.
  [[nodiscard]] NoAutoflush no_autoflush();

  /// A query for objects of T (see Query).
  template <class T>
  Query<T> query();

  /// Runs a Core statement inside the Session's transaction (no autoflush).
  Result execute(const Executable& statement, const Params& params = {});

  /// The registry the Session maps with.
  Registry& registry() const noexcept;
  /// The engine the Session works against.
  const Engine& engine() const noexcept;
  SessionImpl& impl() const noexcept { return *impl_; }

 private:
  const Mapper& registry_mapper(const std::type_info& type) const;
  detail::ObjectBlock* get_block(const Mapper& mapper, std::span<const Value> key);
  // get() of one integer key: a probe of the identity map without building a
  // Value, falling back to get_block() for anything but an up-to-date object
  // under a single integer primary key.
  detail::ObjectBlock* get_block_by_integer(const std::type_info& type, std::int64_t key);
  detail::ObjectBlock* merge_block(detail::ObjectBlock* source, bool load);

  std::unique_ptr<SessionImpl> impl_;
};

/// The state of any object (transient if it never met a Session).
ObjectState state_of(const Object& object) noexcept;
/// Detaches the object from its Session and forgets its identity: the next add()
/// INSERTs it as a new row.
void make_transient(const Object& object);
/// Whether a persistent object has column changes not yet flushed.
bool is_modified(const Object& object);

}  // namespace relate
