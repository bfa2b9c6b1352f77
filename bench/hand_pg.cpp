// The workloads by hand on libpq: statements prepared once per run, one
// transaction, batches sent in pipeline mode (one round trip per batch), arrays
// for set-based statements, single-row mode for streaming.

#include <charconv>
#include <stdexcept>

#include "hand.hpp"

namespace bench::pg {

namespace {

volatile std::size_t sink = 0;

[[noreturn]] void fail(PGconn* c, const std::string& what) {
  throw std::runtime_error("libpq: " + what + ": " + PQerrorMessage(c));
}

void check(PGconn* c, PGresult* r, const std::string& what) {
  const auto st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE) {
    std::string msg = PQresultErrorMessage(r);
    PQclear(r);
    throw std::runtime_error("libpq: " + what + ": " + msg + " " + PQerrorMessage(c));
  }
}

void exec(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  check(c, r, sql);
  PQclear(r);
}

void prepare(PGconn* c, const char* name, const std::string& sql) {
  PGresult* r = PQprepare(c, name, sql.c_str(), 0, nullptr);
  check(c, r, sql);
  PQclear(r);
}

std::int64_t integer(const PGresult* r, int row, int col) {
  const char* p = PQgetvalue(r, row, col);
  std::int64_t v = 0;
  std::from_chars(p, p + PQgetlength(r, row, col), v);
  return v;
}
std::string text(const PGresult* r, int row, int col) {
  return std::string(PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col)));
}

// Decimal text of an integer parameter, without allocating.
struct IntText {
  char buf[24];
  const char* set(std::int64_t v) {
    auto res = std::to_chars(buf, buf + sizeof buf - 1, v);
    *res.ptr = '\0';
    return buf;
  }
};

// n executions of a prepared statement in one pipeline and one sync. fill(i,
// values) points the parameters of execution i at text that stays valid until
// the next call; each result goes to on_result(i, result).
template <class Fill, class OnResult>
void pipeline(PGconn* c, const char* name, std::size_t n, int nparams, Fill fill,
              OnResult on_result) {
  if (PQenterPipelineMode(c) == 0) fail(c, "enter pipeline mode");
  const char* values[8] = {};
  for (std::size_t i = 0; i < n; ++i) {
    fill(i, values);
    if (PQsendQueryPrepared(c, name, nparams, values, nullptr, nullptr, 0) == 0)
      fail(c, "send in pipeline");
  }
  if (PQpipelineSync(c) == 0) fail(c, "pipeline sync");
  for (std::size_t i = 0; i < n; ++i) {
    PGresult* r = PQgetResult(c);
    check(c, r, name);
    on_result(i, r);
    PQclear(r);
    if (PGresult* end = PQgetResult(c); end != nullptr) {  // each query ends with a null
      PQclear(end);
      fail(c, "unexpected result in pipeline");
    }
  }
  PGresult* sync = PQgetResult(c);
  if (PQresultStatus(sync) != PGRES_PIPELINE_SYNC) fail(c, "pipeline end");
  PQclear(sync);
  if (PQexitPipelineMode(c) == 0) fail(c, "exit pipeline mode");
}

// {1,2,3}: one array parameter instead of an IN list of parameters.
std::string array_of(const std::vector<std::int64_t>& keys) {
  std::string out = "{";
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(keys[i]);
  }
  return out + "}";
}

void exec_with_array(PGconn* c, const std::string& sql, const std::vector<std::int64_t>& keys) {
  const std::string arr = array_of(keys);
  const char* values[1] = {arr.c_str()};
  PGresult* r = PQexecParams(c, sql.c_str(), 1, nullptr, values, nullptr, nullptr, 0);
  check(c, r, sql);
  PQclear(r);
}

UserRow user_row(const PGresult* r, int i) {
  return {integer(r, i, 0), text(r, i, 1), text(r, i, 2), text(r, i, 3), {}};
}

std::vector<UserRow> select_users(PGconn* c, const std::string& table) {
  PGresult* r = PQexec(c, ("SELECT id, name, fullname, nickname FROM " + table).c_str());
  check(c, r, "select users");
  std::vector<UserRow> users;
  const int n = PQntuples(r);
  users.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) users.push_back(user_row(r, i));
  PQclear(r);
  return users;
}

template <bool Passive>
Outcome delete_all(PGconn* c, const Sizes& s, bool set_based) {
  const std::string users = Passive ? "pusers" : "users";
  return measured([&] {
    Outcome out;
    Timer t;
    exec(c, "BEGIN");
    auto rows = select_users(c, users);
    std::vector<std::int64_t> ids;
    ids.reserve(rows.size());
    for (const auto& u : rows) ids.push_back(u.id);
    if (set_based) {
      if (!Passive) exec_with_array(c, "DELETE FROM addresses WHERE user_id = ANY($1)", ids);
      exec_with_array(c, "DELETE FROM " + users + " WHERE id = ANY($1)", ids);
    } else {
      IntText k;
      auto fill = [&](std::size_t i, const char** v) { v[0] = k.set(ids[i]); };
      auto ignore = [](std::size_t, const PGresult*) {};
      if (!Passive) {
        prepare(c, "da", "DELETE FROM addresses WHERE user_id = $1");
        pipeline(c, "da", ids.size(), 1, fill, ignore);
      }
      prepare(c, "du", "DELETE FROM " + users + " WHERE id = $1");
      pipeline(c, "du", ids.size(), 1, fill, ignore);
    }
    exec(c, "COMMIT");
    out.seconds = t.seconds();
    out.rows = static_cast<std::int64_t>(rows.size()) * (1 + s.addresses);
    exec(c, "DEALLOCATE ALL");
    return out;
  });
}

}  // namespace

std::vector<UserRow> load_users(PGconn* c, bool with_addresses) {
  auto users = select_users(c, "users");
  if (!with_addresses) return users;
  std::unordered_map<std::int64_t, std::size_t> at;
  at.reserve(users.size());
  std::vector<std::int64_t> ids;
  ids.reserve(users.size());
  for (std::size_t i = 0; i < users.size(); ++i) {
    at.emplace(users[i].id, i);
    ids.push_back(users[i].id);
  }
  const std::string arr = array_of(ids);
  const char* values[1] = {arr.c_str()};
  PGresult* r =
      PQexecParams(c, "SELECT id, email_address, user_id FROM addresses WHERE user_id = ANY($1)", 1,
                   nullptr, values, nullptr, nullptr, 0);
  check(c, r, "select addresses");
  const int n = PQntuples(r);
  for (int i = 0; i < n; ++i) {
    const std::int64_t user_id = integer(r, i, 2);
    users[at.at(user_id)].addresses.push_back({integer(r, i, 0), text(r, i, 1), user_id});
  }
  PQclear(r);
  return users;
}

Outcome insert(PGconn* c, const Sizes& s) {
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
    exec(c, "BEGIN");
    prepare(c, "iu",
            "INSERT INTO users (name, fullname, nickname) VALUES ($1, $2, $3) RETURNING id");
    pipeline(
        c, "iu", users.size(), 3,
        [&](std::size_t i, const char** v) {
          v[0] = users[i].name.c_str();
          v[1] = users[i].fullname.c_str();
          v[2] = users[i].nickname.c_str();
        },
        [&](std::size_t i, const PGresult* r) { users[i].id = integer(r, 0, 0); });
    std::vector<AddressRow*> all;
    for (auto& u : users)
      for (auto& a : u.addresses) {
        a.user_id = u.id;
        all.push_back(&a);
      }
    prepare(c, "ia", "INSERT INTO addresses (email_address, user_id) VALUES ($1, $2) RETURNING id");
    IntText k;
    pipeline(
        c, "ia", all.size(), 2,
        [&](std::size_t i, const char** v) {
          v[0] = all[i]->email_address.c_str();
          v[1] = k.set(all[i]->user_id);
        },
        [&](std::size_t i, const PGresult* r) { all[i]->id = integer(r, 0, 0); });
    exec(c, "COMMIT");
    out.seconds = t.seconds();
    out.rows = static_cast<std::int64_t>(s.users) * (1 + s.addresses);
    exec(c, "DEALLOCATE ALL");
    return out;
  });
}

Outcome load(PGconn* c, const Sizes&) {
  return measured([&] {
    Outcome out;
    const std::size_t before = memory::live();
    Timer t;
    exec(c, "BEGIN");
    auto users = load_users(c, true);
    exec(c, "COMMIT");
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

Outcome get_db(PGconn* c, const Sizes& s) {
  const auto keys = get_keys(s);
  return measured([&] {
    Outcome out;
    std::vector<UserRow> held;
    held.reserve(keys.size());
    Timer t;
    exec(c, "BEGIN");
    prepare(c, "gu", "SELECT id, name, fullname, nickname FROM users WHERE id = $1");
    IntText k;
    for (auto id : keys) {
      const char* v[1] = {k.set(id)};
      PGresult* r = PQexecPrepared(c, "gu", 1, v, nullptr, nullptr, 0);
      check(c, r, "get");
      if (PQntuples(r) == 1) held.push_back(user_row(r, 0));
      PQclear(r);
    }
    exec(c, "COMMIT");
    out.seconds = t.seconds();
    out.rows = static_cast<std::int64_t>(held.size());
    exec(c, "DEALLOCATE ALL");
    return out;
  });
}

Outcome update(PGconn* c, const Sizes&) {
  return measured([&] {
    Outcome out;
    Timer t;
    exec(c, "BEGIN");
    auto users = load_users(c, false);
    for (auto& u : users) u.name = new_name(u.id);
    prepare(c, "up", "UPDATE users SET name = $1 WHERE id = $2");
    IntText k;
    pipeline(
        c, "up", users.size(), 2,
        [&](std::size_t i, const char** v) {
          v[0] = users[i].name.c_str();
          v[1] = k.set(users[i].id);
        },
        [](std::size_t, const PGresult*) {});
    exec(c, "COMMIT");
    out.seconds = t.seconds();
    out.rows = static_cast<std::int64_t>(users.size());
    exec(c, "DEALLOCATE ALL");
    return out;
  });
}

Outcome orphan(PGconn* c, const Sizes&, bool set_based) {
  return measured([&] {
    Outcome out;
    Timer t;
    exec(c, "BEGIN");
    auto users = load_users(c, true);
    std::vector<std::int64_t> gone;
    for (auto& u : users) {
      if (u.addresses.empty()) continue;
      gone.push_back(u.addresses.front().id);
      u.addresses.erase(u.addresses.begin());
    }
    if (set_based) {
      exec_with_array(c, "DELETE FROM addresses WHERE id = ANY($1)", gone);
    } else {
      prepare(c, "do", "DELETE FROM addresses WHERE id = $1");
      IntText k;
      pipeline(
          c, "do", gone.size(), 1, [&](std::size_t i, const char** v) { v[0] = k.set(gone[i]); },
          [](std::size_t, const PGresult*) {});
    }
    exec(c, "COMMIT");
    out.seconds = t.seconds();
    out.rows = static_cast<std::int64_t>(gone.size());
    exec(c, "DEALLOCATE ALL");
    return out;
  });
}

Outcome cascade(PGconn* c, const Sizes& s, bool set_based) {
  return delete_all<false>(c, s, set_based);
}

Outcome passive(PGconn* c, const Sizes& s, bool set_based) {
  return delete_all<true>(c, s, set_based);
}

Outcome stream(PGconn* c, const Sizes& s) {
  return measured([&] {
    Outcome out;
    const std::int64_t early = std::max<std::int64_t>(1, s.stream_rows / 10);
    std::size_t chars = 0;
    Timer t;
    exec(c, "BEGIN");
    if (PQsendQueryParams(c, "SELECT id, name, fullname, nickname FROM users", 0, nullptr, nullptr,
                          nullptr, nullptr, 0) == 0)
      fail(c, "stream");
    PQsetSingleRowMode(c);
    while (PGresult* r = PQgetResult(c)) {
      check(c, r, "stream");
      if (PQresultStatus(r) == PGRES_SINGLE_TUPLE) {
        UserRow u = user_row(r, 0);
        chars += u.name.size();
        if (++out.rows == early) {
          out.peak_early = memory::peak();
          out.malloc_early = memory::malloc_in_use();
        }
      }
      PQclear(r);
    }
    exec(c, "COMMIT");
    out.seconds = t.seconds();
    out.malloc_end = memory::malloc_in_use();
    sink = sink + chars;
    return out;
  });
}

}  // namespace bench::pg
