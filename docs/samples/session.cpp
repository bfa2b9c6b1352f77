// The samples of docs/session.md: object states, the identity map, flush,
// commit and rollback, a failed flush, expiry, merge and detached objects.
#undef NDEBUG  // the samples check what the documentation says with assert()
#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <relate/relate.hpp>

//! [model]
struct Person {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> nickname{};
};
//! [model]

namespace {

void states(const relate::Engine& engine, relate::Registry& registry) {
  //! [states]
  relate::Session session(engine, registry);
  auto ada = relate::make<Person>({.name = "ada"});
  assert(relate::state_of(ada) == relate::ObjectState::transient);  // a plain object

  session.add(ada);
  assert(relate::state_of(ada) == relate::ObjectState::pending);  // INSERT at the next flush
  assert(ada->id == 0);

  session.flush();                                                   // INSERT INTO people ...
  assert(relate::state_of(ada) == relate::ObjectState::persistent);  // a row in this transaction
  assert(ada->id != 0);                                              // the key the database chose

  session.remove(ada);  // SQLAlchemy's session.delete()
  assert(relate::state_of(ada) == relate::ObjectState::persistent);
  session.flush();  // DELETE FROM people WHERE id = ?
  assert(relate::state_of(ada) == relate::ObjectState::deleted);

  session.commit();  // gone from the database, and from the Session:
  assert(relate::state_of(ada) == relate::ObjectState::detached);
  //! [states]
}

void identity(const relate::Engine& engine, relate::Registry& registry) {
  {
    relate::Session session(engine, registry);
    session.add(relate::make<Person>({.id = 7, .name = "grace"}));
    session.commit();
  }
  //! [identity]
  relate::Session session(engine, registry);
  auto a = session.get<Person>(7);  // SELECT ... WHERE people.id = ?
  auto b = session.get<Person>(7);  // no SQL: found in the identity map
  auto c = session.query<Person>().filter_by(&Person::name, "grace").one();
  assert(a == b && b == c);         // one row, one object
  assert(!session.get<Person>(8));  // no such row: a null handle
  //! [identity]
}

void autoflush(const relate::Engine& engine, relate::Registry& registry) {
  //! [autoflush]
  relate::Session session(engine, registry);
  session.add(relate::make<Person>({.name = "linus"}));
  // The query flushes first, so it sees the pending object.
  assert(session.query<Person>().filter_by(&Person::name, "linus").count() == 1);

  session.add(relate::make<Person>({.name = "ken"}));
  {
    auto guard = session.no_autoflush();
    assert(session.query<Person>().filter_by(&Person::name, "ken").count() == 0);
  }
  assert(session.query<Person>().filter_by(&Person::name, "ken").count() == 1);
  session.rollback();
  //! [autoflush]
}

void changes(const relate::Engine& engine, relate::Registry& registry) {
  //! [changes]
  relate::Session session(engine, registry);
  auto p = relate::make<Person>({.name = "barbara"});
  session.add(p);
  session.commit();  // expire_on_commit: p's values will be read again

  p->nickname = "babs";  // reloads p (one SELECT), then changes the member
  assert(relate::is_modified(p));
  assert(session.dirty_objects().size() == 1);
  session.commit();  // UPDATE people SET nickname = ? WHERE people.id = ?
  //! [changes]
  assert(!relate::is_modified(p));
}

void rollback(const relate::Engine& engine, relate::Registry& registry) {
  //! [rollback]
  relate::Session session(engine, registry);
  auto edsger = relate::make<Person>({.name = "edsger"});
  session.add(edsger);
  session.flush();  // INSERTed, inside the Session's transaction
  session.rollback();
  assert(relate::state_of(edsger) == relate::ObjectState::transient);  // the row never existed...
  assert(edsger->name == "edsger");  // ...the object keeps its values
  //! [rollback]
}

void failed_flush(const relate::Engine& engine) {
  //! [failed-flush]
  relate::Registry registry;
  registry.map<Person>("people", [](auto& m) {
    m.column("id", &Person::id, relate::primary_key());
    m.column("name", &Person::name, relate::unique());
    m.column("nickname", &Person::nickname);
  });
  registry.create_all(engine);

  relate::Session session(engine, registry);
  session.add(relate::make<Person>({.name = "alan"}));
  session.commit();

  auto first = relate::make<Person>({.name = "claude"});
  auto second = relate::make<Person>({.name = "alan"});  // UNIQUE(name) will refuse it
  session.add_all({first, second});
  try {
    session.flush();
    assert(false);
  } catch (const relate::IntegrityError&) {
    // Both INSERTs were undone, and the Session is as it was before the flush:
    assert(relate::state_of(first) == relate::ObjectState::pending);
    assert(relate::state_of(second) == relate::ObjectState::pending);
    assert(first->id == 0);
  }
  second->name = "alonzo";  // fix the cause...
  session.commit();         // ...and flush again
  assert(session.query<Person>().count() == 3);
  //! [failed-flush]
  session.close();
  registry.drop_all(engine);
}

void expiry(const relate::Engine& engine, relate::Registry& registry) {
  relate::Session setup(engine, registry);
  auto margaret = relate::make<Person>({.name = "margaret"});
  setup.add(margaret);
  setup.commit();
  const auto id = margaret.get()->id;

  //! [expire]
  relate::Session session(engine, registry);
  auto p = session.get<Person>(id);
  p->nickname = "maggie";
  session.expire(p);     // the unflushed change is discarded
  assert(!p->nickname);  // reloaded from the row

  session.execute(
      relate::text("UPDATE people SET nickname = 'hamilton' WHERE id = :id").bind("id", id));
  session.refresh(p);  // SELECT now
  assert(p->nickname == "hamilton");
  //! [expire]
}

void merging(const relate::Engine& engine, relate::Registry& registry) {
  relate::Session setup(engine, registry);
  setup.add(relate::make<Person>({.id = 42, .name = "donald"}));
  setup.commit();

  //! [merge]
  // An object that came from elsewhere (a cache, a message) with a key.
  auto incoming = relate::make<Person>({.id = 42, .name = "donald", .nickname = "don"});

  relate::Session session(engine, registry);
  auto p = session.merge(incoming);  // SELECT the row 42, copy incoming's values onto it
  assert(p != incoming);             // incoming itself is never attached
  assert(relate::state_of(incoming) == relate::ObjectState::transient);
  assert(relate::state_of(p) == relate::ObjectState::persistent && p->nickname == "don");
  session.commit();  // UPDATE people SET nickname = ? WHERE people.id = ?
  //! [merge]
}

void detached(const relate::Engine& engine, relate::Registry& registry) {
  relate::Session setup(engine, registry);
  setup.add(relate::make<Person>({.id = 99, .name = "frances"}));
  setup.commit();

  //! [detached]
  relate::Ptr<Person> p;
  {
    relate::Session session(engine, registry, {.expire_on_commit = false});
    p = session.get<Person>(99);
    session.commit();
  }  // the Session is gone; p is detached, its values still loaded
  assert(relate::state_of(p) == relate::ObjectState::detached);
  assert(p->name == "frances");

  relate::Session later(engine, registry);
  later.add(p);  // attached again, without SQL
  p->nickname = "fran";
  later.commit();
  try {
    later.close();
    (void)p->name;  // expired by that commit, and no Session to load it
    assert(false);
  } catch (const relate::DetachedInstanceError&) {
  }
  //! [detached]
}

}  // namespace

int main() {
  //! [setup]
  relate::Registry registry;
  registry.map<Person>("people", [](auto& m) {
    m.column("id", &Person::id, relate::primary_key());
    m.column("name", &Person::name);
    m.column("nickname", &Person::nickname);
  });
  auto engine = relate::create_engine("sqlite://");
  registry.create_all(engine);
  //! [setup]
  states(engine, registry);
  identity(engine, registry);
  autoflush(engine, registry);
  changes(engine, registry);
  rollback(engine, registry);
  expiry(engine, registry);
  merging(engine, registry);
  detached(engine, registry);
  registry.drop_all(engine);
  failed_flush(engine);
}
