// The samples of docs/memory.md: who keeps mapped objects alive, and how
// graphs that only keep each other alive are freed.
#undef NDEBUG  // the samples check what the documentation says with assert()
#include <cassert>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <relate/relate.hpp>

#include "sample_support.hpp"

struct Child;
struct Parent {
  std::int64_t id = 0;
  relate::Many<Child> children{};
};
struct Child {
  std::int64_t id = 0;
  std::optional<std::int64_t> parent_id{};
  relate::One<Parent> parent{};
};

int main() {
  relate::Registry registry;
  registry.map<Parent>("parents", [](auto& m) {
    m.column("id", &Parent::id, relate::primary_key());
    m.relationship("children", &Parent::children, {.back_populates = "parent"});
  });
  registry.map<Child>("children", [](auto& m) {
    m.column("id", &Child::id, relate::primary_key());
    m.column("parent_id", &Child::parent_id, relate::foreign_key("parents.id"));
    m.relationship("parent", &Child::parent, {.back_populates = "children"});
  });
  SqlLog log;
  auto engine = relate::create_engine("sqlite://", {.echo = true, .echo_sink = log.sink()});
  registry.create_all(engine);
  relate::Session session(engine, registry);
  for (int i = 0; i < 3; ++i) {
    auto p = relate::make<Parent>();
    p->children = {relate::make<Child>(), relate::make<Child>()};
    session.add(p);
  }
  session.commit();

  //! [clean]
  const auto before = relate::live_objects();
  {
    auto p = session.get<Parent>(1);  // clean and persistent
    assert(relate::live_objects() == before + 1);
  }  // the last handle is gone: so is the object, and its identity-map entry
  assert(relate::live_objects() == before);
  log.clear();
  auto again = session.get<Parent>(1);  // read again
  assert(log.count("SELECT") == 1);
  //! [clean]

  //! [changed]
  {
    auto p = session.get<Parent>(2);
    session.remove(p);  // the Session keeps p: a change waits for the flush
  }
  session.commit();  // DELETE: dropping a handle never loses a change
  //! [changed]

  //! [cycle]
  {
    auto p = relate::make<Parent>();
    p->children.push_back(relate::make<Child>());  // p holds the child, the child holds p
  }
  relate::collect_cycles();  // (also run by commit, rollback and close when due)
  //! [cycle]
  assert(relate::live_objects() == before + 1);  // `again`

  //! [shared]
  std::shared_ptr<Parent> shared = again.shared();  // shares the handle's ownership
  again = nullptr;
  assert(shared->children.size() == 2);
  //! [shared]
}
