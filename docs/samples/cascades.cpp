// The samples of docs/cascades.md, and every row of its passive_deletes table:
// each configuration is mapped, a parent with two children is deleted, and the
// outcome is compared with what the table says.
#undef NDEBUG  // the samples check what the documentation says with assert()
#include <cassert>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <relate/relate.hpp>

#include "sample_support.hpp"

//! [model]
struct Child;

struct Parent {
  std::int64_t id = 0;
  std::string name{};
  relate::Many<Child> children{};
};

struct Child {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::int64_t> parent_id{};
  relate::One<Parent> parent{};
};
//! [model]

namespace {

using relate::ReferentialAction;

//! [config]
// One row of the table in docs/cascades.md.
struct Config {
  const char* cascade = "save-update, merge";
  bool passive_deletes = false;
  bool passive_deletes_all = false;
  relate::ReferentialAction on_delete = relate::ReferentialAction::no_action;
  bool not_null = false;  // the foreign key column refuses NULL
};
//! [config]

void map(relate::Registry& registry, const Config& c) {
  //! [map]
  registry.map<Parent>("parents", [&](auto& m) {
    m.column("id", &Parent::id, relate::primary_key());
    m.column("name", &Parent::name);
    m.relationship("children", &Parent::children,
                   {.back_populates = "parent",
                    .cascade = c.cascade,
                    .passive_deletes = c.passive_deletes,
                    .passive_deletes_all = c.passive_deletes_all});
  });
  registry.map<Child>("children", [&](auto& m) {
    m.column("id", &Child::id, relate::primary_key());
    m.column("name", &Child::name);
    auto& fk =
        m.column("parent_id", &Child::parent_id, relate::foreign_key("parents.id", c.on_delete));
    if (c.not_null) fk.not_null();
    m.relationship("parent", &Child::parent, {.back_populates = "children"});
  });
  //! [map]
}

// A parent "p" with children "a" and "b", committed.
std::int64_t seed(const relate::Engine& engine, relate::Registry& registry) {
  registry.create_all(engine);
  relate::Session session(engine, registry);
  auto p = relate::make<Parent>({.name = "p"});
  p->children = {relate::make<Child>({.name = "a"}), relate::make<Child>({.name = "b"})};
  session.add(p);
  session.commit();
  return p.get()->id;
}

std::int64_t scalar(const relate::Engine& engine, const char* sql) {
  return engine.connect().execute(relate::text(sql)).scalar<std::int64_t>();
}

struct Outcome {
  std::string result;   // what happened to the children
  bool warned = false;  // whether the mapping drew a cascade-mismatch warning
};

// Deletes the parent, its children loaded or not, and says what became of them.
Outcome delete_parent(const Config& c, bool loaded) {
  SqlLog log;
  auto engine = relate::create_engine("sqlite://", {.echo = true, .echo_sink = log.sink()});
  relate::Registry registry;
  Outcome out;
  {
    relate::WarningCapture warnings;
    map(registry, c);
    registry.configure();
    out.warned = warnings.has("cascade-mismatch");
  }
  const auto id = seed(engine, registry);
  relate::Session session(engine, registry);
  auto p = session.get<Parent>(id);
  if (loaded) (void)p->children.size();
  session.remove(p);
  log.clear();
  try {
    session.commit();
  } catch (const relate::IntegrityError&) {
    session.rollback();
    assert(scalar(engine, "SELECT count(*) FROM parents") == 1);
    out.result = "IntegrityError; nothing changes";
    return out;
  }
  const auto children = scalar(engine, "SELECT count(*) FROM children");
  const auto nulls = scalar(engine, "SELECT count(*) FROM children WHERE parent_id IS NULL");
  const std::string by = log.count("DELETE FROM children") + log.count("UPDATE children") > 0
                             ? "the ORM"
                             : "the database";
  if (children == 0)
    out.result = "deleted by " + by;
  else if (nulls == 2)
    out.result = "kept, parent_id NULL (by " + by + ")";
  else
    out.result = "kept, parent_id unchanged";
  return out;
}

void matrix() {
  const auto none = ReferentialAction::no_action, set_null = ReferentialAction::set_null,
             cascade = ReferentialAction::cascade;
  struct Row {
    Config config;
    bool loaded;
    const char* result;
    bool warned;
  };
  // The table of docs/cascades.md, row by row.
  const std::vector<Row> rows{
      {{.on_delete = none}, false, "kept, parent_id NULL (by the ORM)", false},
      {{.on_delete = none}, true, "kept, parent_id NULL (by the ORM)", false},
      {{.on_delete = none, .not_null = true}, false, "IntegrityError; nothing changes", false},
      {{.passive_deletes = true, .on_delete = none},
       false,
       "IntegrityError; nothing changes",
       true},
      {{.passive_deletes = true, .on_delete = set_null},
       false,
       "kept, parent_id NULL (by the database)",
       false},
      {{.passive_deletes = true, .on_delete = set_null},
       true,
       "kept, parent_id NULL (by the ORM)",
       false},
      {{.passive_deletes = true, .on_delete = cascade}, false, "deleted by the database", true},
      {{.passive_deletes = true, .on_delete = cascade},
       true,
       "kept, parent_id NULL (by the ORM)",
       true},
      {{.on_delete = cascade}, false, "kept, parent_id NULL (by the ORM)", true},
      {{.cascade = "all", .on_delete = none}, false, "deleted by the ORM", false},
      {{.cascade = "all", .on_delete = cascade}, false, "deleted by the ORM", true},
      {{.cascade = "all", .passive_deletes = true, .on_delete = cascade},
       false,
       "deleted by the database",
       false},
      {{.cascade = "all", .passive_deletes = true, .on_delete = cascade},
       true,
       "deleted by the ORM",
       false},
      {{.cascade = "all", .on_delete = set_null}, false, "deleted by the ORM", true},
      {{.passive_deletes_all = true, .on_delete = none},
       true,
       "IntegrityError; nothing changes",
       true},
      {{.passive_deletes_all = true, .on_delete = set_null},
       true,
       "kept, parent_id NULL (by the database)",
       false},
  };
  int n = 0;
  for (const auto& row : rows) {
    ++n;
    const Outcome got = delete_parent(row.config, row.loaded);
    if (got.result != row.result || got.warned != row.warned) {
      std::cerr << "row " << n << ": " << got.result << (got.warned ? " (warned)" : "")
                << " instead of " << row.result << (row.warned ? " (warned)" : "") << "\n";
      assert(false);
    }
  }
}

void words() {
  //! [words]
  using relate::Cascade;
  assert(Cascade::parse("all, delete-orphan") == Cascade(Cascade::all | Cascade::delete_orphan));
  assert(Cascade::parse("all").to_string() ==
         "save-update, merge, refresh-expire, expunge, delete");  // no delete-orphan
  assert(Cascade().to_string() == "save-update, merge");          // the default
  assert(Cascade::parse("all, none") == Cascade(Cascade::none));
  try {
    Cascade::parse("all, delete_orphan");
    assert(false);
  } catch (const relate::ConfigurationError& e) {
    // Invalid cascade option(s): 'delete_orphan'; the options are save-update, ...
  }
  //! [words]
}

void orphans() {
  relate::Registry registry;
  map(registry, {.cascade = "all, delete-orphan"});
  SqlLog log;
  auto engine = relate::create_engine("sqlite://", {.echo = true, .echo_sink = log.sink()});
  const auto id = seed(engine, registry);
  relate::Session session(engine, registry);
  //! [orphan]
  auto p = session.get<Parent>(id);
  auto a = p->children[0];
  p->children.remove(a);  // an orphan now, but nothing is written yet
  assert(relate::state_of(a) == relate::ObjectState::persistent);
  session.flush();  // DELETE FROM children WHERE id = ?
  assert(relate::state_of(a) == relate::ObjectState::deleted);
  //! [orphan]
  session.commit();

  auto q = relate::make<Parent>({.name = "q"});
  session.add(q);
  session.commit();
  //! [move]
  auto b = p->children[0];
  b->parent = q;  // from p's collection to q's: one UPDATE, never a DELETE
  log.clear();
  session.commit();
  assert(log.count("UPDATE") == 1 && log.count("DELETE") == 0);
  //! [move]

  //! [reparent]
  session.remove(q);  // would delete b with it...
  assert(relate::state_of(b) == relate::ObjectState::persistent);
  b->parent = p;  // ...but b moves back to p first
  session.commit();
  assert(session.get<Child>(b->id));  // b survives the flush, and every later one
  //! [reparent]

  //! [pending]
  auto late = relate::make<Child>({.name = "late"});
  p->children.push_back(late);  // pending, through the save-update cascade
  session.remove(p);            // p's delete cascade reaches late, which has no row yet:
  assert(relate::state_of(late) == relate::ObjectState::transient);  // never INSERTed
  session.commit();
  //! [pending]
  assert(scalar(engine, "SELECT count(*) FROM children") == 0);
}

void database_cascade() {
  relate::Registry registry;
  //! [passive]
  map(registry, {.cascade = "all, delete-orphan",
                 .passive_deletes = true,
                 .on_delete = ReferentialAction::cascade});
  //! [passive]
  SqlLog log;
  auto engine = relate::create_engine("sqlite://", {.echo = true, .echo_sink = log.sink()});
  const auto id = seed(engine, registry);
  relate::Session session(engine, registry);
  auto p = session.get<Parent>(id);
  session.remove(p);
  log.clear();
  session.commit();
  assert(log.count("SELECT") == 0);  // the children were never loaded...
  assert(log.count("DELETE") == 1);  // ...nor deleted one by one
  assert(scalar(engine, "SELECT count(*) FROM children") == 0);
}

void mismatch() {
  relate::Registry registry;
  //! [mismatch]
  relate::WarningCapture warnings;  // (warnings go to stderr unless captured or handled)
  map(registry, {.passive_deletes = true, .on_delete = ReferentialAction::cascade});
  registry.configure();
  assert(warnings.has("cascade-mismatch"));
  // Parent.children (foreign key children.parent_id ON DELETE CASCADE): the database
  // deletes the children, but the relationship has no 'delete' cascade, so children
  // loaded in memory are nulled instead; add cascade "all" with passive_deletes = true
  //! [mismatch]
  assert(warnings.warnings()[0].message.find("add cascade \"all\" with passive_deletes = true") !=
         std::string::npos);
}

}  // namespace

int main() {
  words();
  orphans();
  database_cascade();
  mismatch();
  matrix();
}
