#pragma once
// The same workloads written by hand against the sqlite3 C API and libpq:
// prepared statements, one transaction, and for PostgreSQL pipeline mode. Deletes
// come in two forms, one statement per row and set-based (IN lists).

#include <libpq-fe.h>
#include <sqlite3.h>

#include <unordered_map>

#include "harness.hpp"

namespace bench {

// The W3 baseline: lookups in a std::unordered_map of the loaded rows.
// With `counted`, each hit also takes and drops an atomic reference count, as
// a returned Ptr<T> does: the floor of any lookup that hands out counted handles.
Outcome unordered_map_get(const std::vector<UserRow>& users, const Sizes& s, bool counted);

namespace sqlite {
Outcome insert(sqlite3* db, const Sizes& s);
Outcome load(sqlite3* db, const Sizes& s);
Outcome get_db(sqlite3* db, const Sizes& s);
std::vector<UserRow> load_users(sqlite3* db, bool with_addresses);
Outcome update(sqlite3* db, const Sizes& s);
Outcome orphan(sqlite3* db, const Sizes& s, bool set_based);
Outcome cascade(sqlite3* db, const Sizes& s, bool set_based);
Outcome passive(sqlite3* db, const Sizes& s, bool set_based);
Outcome stream(sqlite3* db, const Sizes& s);
}  // namespace sqlite

namespace pg {
Outcome insert(PGconn* c, const Sizes& s);
Outcome load(PGconn* c, const Sizes& s);
Outcome get_db(PGconn* c, const Sizes& s);
std::vector<UserRow> load_users(PGconn* c, bool with_addresses);
Outcome update(PGconn* c, const Sizes& s);
Outcome orphan(PGconn* c, const Sizes& s, bool set_based);
Outcome cascade(PGconn* c, const Sizes& s, bool set_based);
Outcome passive(PGconn* c, const Sizes& s, bool set_based);
Outcome stream(PGconn* c, const Sizes& s);
}  // namespace pg

}  // namespace bench
