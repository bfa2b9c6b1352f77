// The samples of docs/errors.md: what relate throws and when, what a database
// error carries, and the warning channel.
#undef NDEBUG  // the samples check what the documentation says with assert()
#include <cassert>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <relate/relate.hpp>

#include "sample_support.hpp"

struct Account {
  std::int64_t id = 0;
  std::string owner{};
  std::int64_t balance = 0;
  std::int64_t version = 0;
};

struct Entry;
struct Ledger {
  std::int64_t id = 0;
  relate::Many<Entry> entries{};
};
struct Entry {
  std::int64_t id = 0;
  std::int64_t amount = 0;
  std::optional<std::int64_t> ledger_id{};
};

namespace {

void map(relate::Registry& registry) {
  registry.map<Account>("accounts", [](auto& m) {
    m.column("id", &Account::id, relate::primary_key());
    m.column("owner", &Account::owner, relate::unique());
    m.column("balance", &Account::balance);
    m.version_counter("version", &Account::version);
  });
  registry.map<Ledger>("ledgers", [](auto& m) {
    m.column("id", &Ledger::id, relate::primary_key());
    // No save-update: entries appended here are not added to the Session.
    m.relationship("entries", &Ledger::entries, {.cascade = "merge"});
  });
  registry.map<Entry>("entries", [](auto& m) {
    m.column("id", &Entry::id, relate::primary_key());
    m.column("amount", &Entry::amount);
    m.column("ledger_id", &Entry::ledger_id, relate::foreign_key("ledgers.id"));
  });
}

void integrity(const relate::Engine& engine, relate::Registry& registry) {
  //! [integrity]
  relate::Session session(engine, registry);
  session.add(relate::make<Account>({.owner = "ann"}));
  session.add(relate::make<Account>({.owner = "ann"}));
  try {
    session.commit();
  } catch (const relate::IntegrityError& e) {
    // SQLite: e.sqlite_code() == 2067 (SQLITE_CONSTRAINT_UNIQUE);
    // PostgreSQL: e.sqlstate() == "23505", e.constraint() == "accounts_owner_key".
    std::cout << e.what() << "\n";
    assert(e.sqlite_code() == 2067);
  }
  assert(session.new_objects().size() == 2);  // still pending: fix one and commit again
  //! [integrity]
  session.expunge_all();
}

void stale(const relate::Engine& engine, relate::Registry& registry) {
  {
    relate::Session session(engine, registry);
    session.add(relate::make<Account>({.id = 1, .owner = "bob", .balance = 10}));
    session.commit();
  }
  //! [stale]
  relate::Session alice(engine, registry, {.expire_on_commit = false});
  relate::Session bob(engine, registry);
  auto a = alice.get<Account>(1);  // version 1
  alice.commit();
  auto b = bob.get<Account>(1);
  b->balance += 5;
  bob.commit();  // UPDATE ... WHERE id = ? AND version = ?: the row is at version 2

  a->balance -= 5;  // a still says version 1...
  try {
    alice.commit();  // ...so its UPDATE matches no row
    assert(false);
  } catch (const relate::StaleDataError& e) {
    std::cout << e.what() << "\n";
  }
  //! [stale]
}

void misuse(const relate::Engine& engine, relate::Registry& registry) {
  relate::Session session(engine, registry);
  output_region("invalid");
  //! [invalid]
  try {
    session.remove(relate::make<Account>({.owner = "nobody"}));
  } catch (const relate::InvalidRequest& e) {
    std::cout << e.what() << "\n";
  }
  try {
    (void)session.query<Account>().filter_by(&Account::owner, "nobody").one();
  } catch (const relate::NoResultFound& e) {  // an InvalidRequest too
    std::cout << e.what() << "\n";
  }
  //! [invalid]
  output_region("invalid");

  output_region("flush-error");
  //! [flush-error]
  auto ledger = relate::make<Ledger>();
  ledger->entries.push_back(relate::make<Entry>({.amount = 5}));
  session.add(ledger);  // the entry is not added: Ledger.entries has no save-update
  try {
    session.flush();
  } catch (const relate::FlushError& e) {
    std::cout << e.what() << "\n";
  }
  //! [flush-error]
  output_region("flush-error");
  session.expunge_all();
}

void warnings(const relate::Engine& engine, relate::Registry& registry) {
  relate::Session setup(engine, registry);
  auto gone = relate::make<Entry>({.amount = 1});
  setup.add(gone);
  setup.commit();
  const auto id = gone.get()->id;

  //! [warnings]
  relate::Session session(engine, registry);
  auto entry = session.get<Entry>(id);
  session.execute(relate::text("DELETE FROM entries WHERE id = :id").bind("id", id));
  session.remove(entry);

  relate::WarningCapture captured;  // collects this thread's warnings while it lives
  session.commit();                 // DELETE ... matches no row: a warning, not an error
  assert(captured.has("delete-rowcount"));
  std::cout << captured.warnings()[0].message << "\n";
  //! [warnings]
}

void handlers() {
  //! [handler]
  // Send warnings to the application's log instead of stderr...
  std::vector<std::string> log;
  auto previous = relate::set_warning_handler(
      [&log](const relate::Warning& w) { log.push_back(w.code + ": " + w.message); });
  relate::warn("example", "something worth knowing");
  assert(log.size() == 1);
  relate::set_warning_handler(previous);

  // ...or make every warning a relate::WarningError.
  relate::set_warnings_as_errors(true);
  try {
    relate::warn("example", "now an error");
    assert(false);
  } catch (const relate::WarningError& e) {
    assert(e.warning.code == "example");
  }
  relate::set_warnings_as_errors(false);
  //! [handler]
}

}  // namespace

int main() {
  relate::Registry registry;
  map(registry);
  auto engine = relate::create_engine("sqlite://");
  registry.create_all(engine);
  output_region("integrity");
  integrity(engine, registry);
  output_region("integrity");
  output_region("stale");
  stale(engine, registry);
  output_region("stale");
  misuse(engine, registry);
  output_region("warnings");
  warnings(engine, registry);
  output_region("warnings");
  handlers();
}
