#include "support/fault_injection.hpp"

#include <sqlite3.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace relate::testing {

namespace {

// relate_fault(code, message): fails the statement with `code` as its extended
// result code, as if SQLite itself had reported it.
void fault_function(sqlite3_context* context, int, sqlite3_value** argv) {
  const auto* message = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
  sqlite3_result_error(context, message != nullptr ? message : "injected fault", -1);
  sqlite3_result_error_code(context, sqlite3_value_int(argv[0]));
}

int register_fault_function(sqlite3* db, const char**, const sqlite3_api_routines*) {
  return sqlite3_create_function(db, "relate_fault", 2, SQLITE_UTF8, nullptr, fault_function,
                                 nullptr, nullptr);
}

void register_sqlite_probe_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    // sqlite3_auto_extension takes every entry point as void(*)(void).
    sqlite3_auto_extension(reinterpret_cast<void (*)()>(register_fault_function));
  });
}

}  // namespace

std::string to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::integrity: return "integrity";
    case FaultKind::operational: return "operational";
    case FaultKind::data: return "data";
    case FaultKind::transaction_lost: return "transaction lost";
  }
  return "?";
}

struct FaultInjector::State {
  std::string url;
  bool postgres = false;
  std::unique_ptr<DriverConnection> admin;  // PostgreSQL: the connection that kills
  std::size_t count = 0;
  std::vector<std::string> statements;
  std::size_t target = 0;  // 0: nothing armed
  FaultKind kind = FaultKind::integrity;
  bool fired = false;

  // Index inside the next `n` points at which the armed fault fires, if it does.
  std::optional<std::size_t> due(const std::string& sql, std::size_t n) {
    statements.insert(statements.end(), n, sql);
    const std::size_t before = count;
    count += n;
    if (target == 0 || fired || target <= before || target > count) return std::nullopt;
    fired = true;
    return target - before - 1;
  }

  // Ends the backend and waits until it is gone (pg_terminate_backend's own
  // wait polls every 100 ms, too slow for a sweep).
  void kill(std::int64_t pid) {
    if (!admin) admin = connect_postgresql(Url::parse(url));
    const Value args[] = {Value(pid)};
    auto scalar = [&](const char* sql) {
      auto cursor = admin->execute(sql, args);
      Row row;
      if (!cursor->next(row)) throw std::runtime_error(std::string("no row from ") + sql);
      cursor->close();
      return row.at(0);
    };
    if (!scalar("SELECT pg_terminate_backend(CAST($1 AS integer))").as_boolean())
      throw std::runtime_error("pg_terminate_backend did not end backend " + std::to_string(pid));
    for (int i = 0; i < 10'000; ++i) {
      if (scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = $1").as_integer() == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    throw std::runtime_error("backend " + std::to_string(pid) + " outlived pg_terminate_backend");
  }
};

namespace {

class FaultyConnection final : public DriverConnection {
 public:
  FaultyConnection(std::unique_ptr<DriverConnection> inner,
                   std::shared_ptr<FaultInjector::State> state)
      : inner_(std::move(inner)), state_(std::move(state)) {
    if (state_->postgres) {
      auto cursor = inner_->execute("SELECT pg_backend_pid()", {});
      Row row;
      if (cursor->next(row)) pid_ = row.at(0).as_integer();
      cursor->close();
    }
  }

  const Dialect& dialect() const noexcept override { return inner_->dialect(); }
  bool in_transaction() const override { return inner_->in_transaction(); }
  bool transaction_failed() const override { return inner_->transaction_failed(); }
  bool healthy() const override { return inner_->healthy(); }
  void reset() override { inner_->reset(); }

 protected:
  std::unique_ptr<DriverCursor> run(const std::string& sql,
                                    std::span<const Value> params) override {
    if (!state_->due(sql, 1)) return inner_->execute(sql, params);
    fail(sql, [&] { inner_->execute(sql, params); });
  }

  BatchOutcome run_many(const std::string& sql, std::span<const std::vector<Value>> sets) override {
    const auto at = state_->due(sql, sets.size());
    if (!at) return inner_->execute_many(sql, sets);
    if (*at > 0) inner_->execute_many(sql, sets.first(*at));
    fail(sql, [&] { inner_->execute_many(sql, sets.subspan(*at)); });
  }

 private:
  // Makes the statement `sql` fail; `run_real` runs it (or what is left of its
  // batch) for real.
  template <class F>
  [[noreturn]] void fail(const std::string& sql, F&& run_real) {
    const FaultKind kind = state_->kind;
    const std::string message = FaultInjector::marker(state_->target) + " instead of: " + sql;
    if (kind == FaultKind::transaction_lost) {
      if (state_->postgres) {
        state_->kill(pid_);
        run_real();
        throw std::logic_error("a statement succeeded on a killed PostgreSQL connection");
      }
      if (inner_->in_transaction()) inner_->rollback();
    }
    if (state_->postgres) {
      const Value args[] = {Value(FaultInjector::sqlstate(kind)), Value(message)};
      inner_->execute("SELECT relate_fault($1, $2)", args);
    } else {
      const Value args[] = {Value(FaultInjector::sqlite_code(kind)), Value(message)};
      inner_->execute("SELECT relate_fault(?, ?)", args);
    }
    throw std::logic_error("the fault probe did not fail");
  }

  std::unique_ptr<DriverConnection> inner_;
  std::shared_ptr<FaultInjector::State> state_;
  std::int64_t pid_ = 0;
};

}  // namespace

FaultInjector::FaultInjector(std::string url) : state_(std::make_shared<State>()) {
  state_->url = std::move(url);
  state_->postgres = Url::parse(state_->url).backend() == Backend::postgresql;
  if (state_->postgres) {
    state_->admin = connect_postgresql(Url::parse(state_->url));
    state_->admin
        ->execute(
            "CREATE OR REPLACE FUNCTION relate_fault(code text, message text) RETURNS void AS $$ "
            "BEGIN RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message; END $$ "
            "LANGUAGE plpgsql",
            {})
        ->close();
  } else {
    register_sqlite_probe_once();
  }
}

FaultInjector::~FaultInjector() = default;

std::function<std::unique_ptr<DriverConnection>(std::unique_ptr<DriverConnection>)>
FaultInjector::wrapper() const {
  return [state = state_](std::unique_ptr<DriverConnection> inner) {
    return std::unique_ptr<DriverConnection>(
        std::make_unique<FaultyConnection>(std::move(inner), state));
  };
}

void FaultInjector::start_counting() {
  state_->count = 0;
  state_->statements.clear();
  state_->target = 0;
  state_->fired = false;
}

void FaultInjector::arm(std::size_t point, FaultKind kind) {
  start_counting();
  state_->target = point;
  state_->kind = kind;
}

void FaultInjector::disarm() { state_->target = 0; }
std::size_t FaultInjector::points() const { return state_->count; }
bool FaultInjector::fired() const { return state_->fired; }
const std::vector<std::string>& FaultInjector::statements() const { return state_->statements; }

std::string FaultInjector::marker(std::size_t point) {
  return "[injected fault #" + std::to_string(point) + "]";
}

std::string FaultInjector::sqlstate(FaultKind kind) {
  switch (kind) {
    case FaultKind::integrity: return "23505";
    case FaultKind::operational: return "40001";
    case FaultKind::data: return "22003";
    case FaultKind::transaction_lost: return "57P01";
  }
  return "";
}

int FaultInjector::sqlite_code(FaultKind kind) {
  switch (kind) {
    case FaultKind::integrity: return SQLITE_CONSTRAINT_UNIQUE;
    case FaultKind::operational: return SQLITE_BUSY;
    case FaultKind::data: return SQLITE_TOOBIG;
    case FaultKind::transaction_lost: return SQLITE_IOERR_WRITE;
  }
  return SQLITE_ERROR;
}

}  // namespace relate::testing
