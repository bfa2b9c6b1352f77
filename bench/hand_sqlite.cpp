// The workloads by hand on the sqlite3 C API: statements prepared once per run,
// one transaction, values bound, rows read into plain structs.

#include <atomic>
#include <concepts>
#include <stdexcept>

#include "hand.hpp"

namespace bench::sqlite {

namespace {

volatile std::size_t sink = 0;

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw std::runtime_error("sqlite: " + what + ": " + sqlite3_errmsg(db));
}

void exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, sql);
}

class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &s_, nullptr) !=
        SQLITE_OK)
      fail(db, sql);
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  // True while rows come back.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail(db_, "step");
    return false;
  }
  void done() {
    while (step()) {
    }
    sqlite3_reset(s_);
  }
  void reset() { sqlite3_reset(s_); }
  std::int64_t integer(int c) const { return sqlite3_column_int64(s_, c); }
  std::string text(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, c)));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

std::string in_list(std::size_t n) {
  std::string out = "(";
  for (std::size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ",?";
  return out + ")";
}

// Runs `sql_prefix (?,?,...)` over `keys`, keys_per_statement at a time.
void delete_in(sqlite3* db, const std::string& sql_prefix, const std::vector<std::int64_t>& keys) {
  for (std::size_t start = 0; start < keys.size(); start += keys_per_statement) {
    const std::size_t n = std::min(keys_per_statement, keys.size() - start);
    Stmt st(db, sql_prefix + in_list(n));
    for (std::size_t i = 0; i < n; ++i) st.bind(static_cast<int>(i) + 1, keys[start + i]);
    st.done();
  }
}

UserRow user_row(const Stmt& st) { return {st.integer(0), st.text(1), st.text(2), st.text(3), {}}; }

template <bool Passive>
Outcome delete_all(sqlite3* db, const Sizes& s, bool set_based) {
  const std::string users = Passive ? "pusers" : "users";
  return measured([&] {
    Outcome out;
    Timer t;
    exec(db, "BEGIN");
    std::vector<UserRow> rows;
    {
      Stmt q(db, "SELECT id, name, fullname, nickname FROM " + users);
      while (q.step()) rows.push_back(user_row(q));
    }
    std::vector<std::int64_t> ids;
    ids.reserve(rows.size());
    for (const auto& u : rows) ids.push_back(u.id);
    if (set_based) {
      if (!Passive) delete_in(db, "DELETE FROM addresses WHERE user_id IN ", ids);
      delete_in(db, "DELETE FROM " + users + " WHERE id IN ", ids);
    } else {
      if (!Passive) {
        Stmt d(db, "DELETE FROM addresses WHERE user_id = ?");
        for (auto id : ids) d.bind(1, id).done();
      }
      Stmt d(db, "DELETE FROM " + users + " WHERE id = ?");
      for (auto id : ids) d.bind(1, id).done();
    }
    exec(db, "COMMIT");
    out.seconds = t.seconds();
    out.rows = static_cast<std::int64_t>(rows.size()) * (1 + s.addresses);
    return out;
  });
}

}  // namespace

std::vector<UserRow> load_users(sqlite3* db, bool with_addresses) {
  std::vector<UserRow> users;
  {
    Stmt q(db, "SELECT id, name, fullname, nickname FROM users");
    while (q.step()) users.push_back(user_row(q));
  }
  if (!with_addresses) return users;
  std::unordered_map<std::int64_t, std::size_t> at;
  at.reserve(users.size());
  for (std::size_t i = 0; i < users.size(); ++i) at.emplace(users[i].id, i);
  for (std::size_t start = 0; start < users.size(); start += keys_per_statement) {
    const std::size_t n = std::min(keys_per_statement, users.size() - start);
    Stmt q(db, "SELECT id, email_address, user_id FROM addresses WHERE user_id IN " + in_list(n));
    for (std::size_t i = 0; i < n; ++i) q.bind(static_cast<int>(i) + 1, users[start + i].id);
    while (q.step()) {
      const std::int64_t user_id = q.integer(2);
      users[at.at(user_id)].addresses.push_back({q.integer(0), q.text(1), user_id});
    }
  }
  return users;
}

Outcome insert(sqlite3* db, const Sizes& s) {
  return measured([&] {
    Outcome out;
    Timer t;
    std::vector<UserRow> users;
    users.reserve(static_cast<std::size_t>(s.users));
    for (std::int64_t i = 1; i <= s.users; ++i) {
      UserRow u{0, user_name(i), user_fullname(i), user_nickname(i), {}};
      for (int k = 1; k <= s.addresses; ++k) u.addresses.push_back({0, email(i, k), 0});
      users.push_back(std::move(u));
    }
    exec(db, "BEGIN");
    Stmt iu(db, "INSERT INTO users (name, fullname, nickname) VALUES (?, ?, ?)");
    Stmt ia(db, "INSERT INTO addresses (email_address, user_id) VALUES (?, ?)");
    for (auto& u : users) {
      iu.bind(1, u.name).bind(2, u.fullname).bind(3, u.nickname).done();
      u.id = sqlite3_last_insert_rowid(db);
      for (auto& a : u.addresses) {
        a.user_id = u.id;
        ia.bind(1, a.email_address).bind(2, a.user_id).done();
        a.id = sqlite3_last_insert_rowid(db);
      }
    }
    exec(db, "COMMIT");
    out.seconds = t.seconds();
    out.rows = static_cast<std::int64_t>(s.users) * (1 + s.addresses);
    return out;
  });
}

Outcome load(sqlite3* db, const Sizes&) {
  return measured([&] {
    Outcome out;
    const std::size_t before = memory::live();
    Timer t;
    exec(db, "BEGIN");
    auto users = load_users(db, true);
    exec(db, "COMMIT");
    std::size_t chars = 0;
    for (const auto& u : users) {
      for (const auto& a : u.addresses) {
        chars += a.email_address.size();
        ++out.rows;
      }
      ++out.rows;
    }
    out.seconds = t.seconds();
    out.held_bytes = memory::live() - before;
    sink = sink + chars;
    return out;
  });
}

Outcome get_db(sqlite3* db, const Sizes& s) {
  const auto keys = get_keys(s);
  return measured([&] {
    Outcome out;
    std::vector<UserRow> held;
    held.reserve(keys.size());
    Timer t;
    exec(db, "BEGIN");
    Stmt q(db, "SELECT id, name, fullname, nickname FROM users WHERE id = ?");
    for (auto id : keys) {
      q.bind(1, id);
      if (q.step()) held.push_back(user_row(q));
      q.reset();
    }
    exec(db, "COMMIT");
    out.seconds = t.seconds();
    out.rows = static_cast<std::int64_t>(held.size());
    return out;
  });
}

Outcome update(sqlite3* db, const Sizes&) {
  return measured([&] {
    Outcome out;
    Timer t;
    exec(db, "BEGIN");
    auto users = load_users(db, false);
    for (auto& u : users) u.name = new_name(u.id);
    Stmt up(db, "UPDATE users SET name = ? WHERE id = ?");
    for (const auto& u : users) up.bind(1, u.name).bind(2, u.id).done();
    exec(db, "COMMIT");
    out.seconds = t.seconds();
    out.rows = static_cast<std::int64_t>(users.size());
    return out;
  });
}

Outcome orphan(sqlite3* db, const Sizes&, bool set_based) {
  return measured([&] {
    Outcome out;
    Timer t;
    exec(db, "BEGIN");
    auto users = load_users(db, true);
    std::vector<std::int64_t> gone;
    for (auto& u : users) {
      if (u.addresses.empty()) continue;
      gone.push_back(u.addresses.front().id);
      u.addresses.erase(u.addresses.begin());
    }
    if (set_based) {
      delete_in(db, "DELETE FROM addresses WHERE id IN ", gone);
    } else {
      Stmt d(db, "DELETE FROM addresses WHERE id = ?");
      for (auto id : gone) d.bind(1, id).done();
    }
    exec(db, "COMMIT");
    out.seconds = t.seconds();
    out.rows = static_cast<std::int64_t>(gone.size());
    return out;
  });
}

Outcome cascade(sqlite3* db, const Sizes& s, bool set_based) {
  return delete_all<false>(db, s, set_based);
}

Outcome passive(sqlite3* db, const Sizes& s, bool set_based) {
  return delete_all<true>(db, s, set_based);
}

Outcome stream(sqlite3* db, const Sizes& s) {
  return measured([&] {
    Outcome out;
    const std::int64_t early = std::max<std::int64_t>(1, s.stream_rows / 10);
    std::size_t chars = 0;
    Timer t;
    exec(db, "BEGIN");
    Stmt q(db, "SELECT id, name, fullname, nickname FROM users");
    while (q.step()) {
      UserRow u = user_row(q);
      chars += u.name.size();
      if (++out.rows == early) {
        out.peak_early = memory::peak();
        out.malloc_early = memory::malloc_in_use();
      }
    }
    q.reset();
    exec(db, "COMMIT");
    out.seconds = t.seconds();
    out.malloc_end = memory::malloc_in_use();
    sink = sink + chars;
    return out;
  });
}

}  // namespace bench::sqlite

namespace bench {

namespace {
struct CountedRow {
  UserRow row;
  std::atomic<std::uint32_t> refs{1};
};
const UserRow& row_of(const UserRow& r) { return r; }
const UserRow& row_of(const CountedRow& r) { return r.row; }

template <class Entry>
Outcome map_get(const std::vector<UserRow>& users, const Sizes& s) {
  const auto keys = get_keys(s);
  std::unordered_map<std::int64_t, Entry> map;
  map.reserve(users.size());
  for (const auto& u : users) {
    if constexpr (std::same_as<Entry, UserRow>)
      map.emplace(u.id, u);
    else
      map[u.id].row = u;
  }
  return measured([&] {
    Outcome out;
    std::int64_t sum = 0;
    Timer t;
    for (auto id : keys) {
      auto it = map.find(id);
      if (it == map.end()) continue;
      if constexpr (!std::same_as<Entry, UserRow>)
        it->second.refs.fetch_add(1, std::memory_order_relaxed);
      sum += row_of(it->second).id;
      if constexpr (!std::same_as<Entry, UserRow>)
        it->second.refs.fetch_sub(1, std::memory_order_acq_rel);
      ++out.rows;
    }
    out.seconds = t.seconds();
    static volatile std::int64_t keep = 0;
    keep = keep + sum;
    return out;
  });
}
}  // namespace

Outcome unordered_map_get(const std::vector<UserRow>& users, const Sizes& s, bool counted) {
  return counted ? map_get<CountedRow>(users, s) : map_get<UserRow>(users, s);
}

}  // namespace bench
