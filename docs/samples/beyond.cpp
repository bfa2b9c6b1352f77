// The samples of docs/beyond.md: restrict policies, the delete preview, and
// what a delete reaches, asked of the mapping.
#undef NDEBUG  // the samples check what the documentation says with assert()
#include <cassert>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

#include <relate/relate.hpp>

#include "sample_support.hpp"

//! [restrict-model]
struct Book;

struct Author {
  std::int64_t id = 0;
  std::string name{};
  relate::Many<Book> books{};
};

struct Book {
  std::int64_t id = 0;
  std::string title{};
  std::optional<std::int64_t> author_id{};
  relate::One<Author> author{};
};
//! [restrict-model]

//! [preview-model]
struct Note;

struct Shelf {
  std::int64_t id = 0;
  std::string name{};
  relate::Many<Note> notes{};
};

struct Note {
  std::int64_t id = 0;
  std::string text{};
  std::int64_t shelf_id = 0;
  std::optional<std::int64_t> reply_to{};
};
//! [preview-model]

//! [set-based-model]
struct Track;

struct Album {
  std::int64_t id = 0;
  std::string title{};
  relate::Many<Track> tracks{};
};

struct Track {
  std::int64_t id = 0;
  std::string title{};
  std::optional<std::int64_t> album_id{};
};
//! [set-based-model]

namespace {

//! [restrict-map]
void map_authors(relate::Registry& registry, relate::Restrict policy) {
  registry.map<Author>("authors", [&](auto& m) {
    m.column("id", &Author::id, relate::primary_key());
    m.column("name", &Author::name);
    m.relationship("books", &Author::books,
                   {.back_populates = "author", .restrict_delete = policy});
  });
  registry.map<Book>("books", [](auto& m) {
    m.column("id", &Book::id, relate::primary_key());
    m.column("title", &Book::title);
    m.column("author_id", &Book::author_id, relate::foreign_key("authors.id"));
    m.relationship("author", &Book::author, {.back_populates = "books"});
  });
}
//! [restrict-map]

std::int64_t add_author(const relate::Engine& engine, relate::Registry& registry, int books) {
  relate::Session session(engine, registry);
  auto a = relate::make<Author>({.name = "Ada"});
  for (int i = 1; i <= books; ++i)
    a->books.push_back(relate::make<Book>({.title = "Notes " + std::to_string(i)}));
  session.add(a);
  session.commit();
  return a.get()->id;
}

void protect() {
  SqlLog log;
  auto engine = relate::create_engine("sqlite://", {.echo = true, .echo_sink = log.sink()});
  relate::Registry registry;
  //! [protect]
  map_authors(registry, relate::Restrict::protect);
  //! [protect]
  registry.create_all(engine);
  const auto id = add_author(engine, registry, 7);

  //! [protect-use]
  output_region("protect");
  relate::Session session(engine, registry);
  auto ada = session.get<Author>(id);
  session.remove(ada);
  try {
    session.flush();  // one SELECT finds the books; nothing is written
    assert(false);
  } catch (const relate::RestrictError& e) {
    std::cout << e.what() << "\n";
  }
  //! [protect-use]
  output_region("protect");
  assert(log.count("UPDATE") == 0 && log.count("DELETE") == 0);
  assert(session.deleted_objects().size() == 1);  // still marked, to be fixed or undone
}

void restrict_policy() {
  auto engine = relate::create_engine("sqlite://");
  relate::Registry registry;
  map_authors(registry, relate::Restrict::restrict);
  registry.create_all(engine);
  const auto id = add_author(engine, registry, 2);

  //! [restrict-use]
  relate::Session session(engine, registry);
  auto ada = session.get<Author>(id);
  for (const auto& book : ada->books) session.remove(book);
  session.remove(ada);  // allowed: every book goes in the same flush
  session.commit();
  //! [restrict-use]
  assert(session.query<Book>().count() == 0);
}

void map_shelves(relate::Registry& registry) {
  //! [preview-map]
  using relate::ReferentialAction;
  registry.map<Shelf>("shelves", [](auto& m) {
    m.column("id", &Shelf::id, relate::primary_key());
    m.column("name", &Shelf::name);
    m.relationship("notes", &Shelf::notes, {.cascade = "all", .passive_deletes = true});
  });
  registry.map<Note>("notes", [](auto& m) {
    m.column("id", &Note::id, relate::primary_key());
    m.column("text", &Note::text);
    m.column("shelf_id", &Note::shelf_id,
             relate::foreign_key("shelves.id", ReferentialAction::cascade));
    m.column("reply_to", &Note::reply_to,
             relate::foreign_key("notes.id", ReferentialAction::set_null));
  });
  //! [preview-map]
}

void preview() {
  SqlLog log;
  auto engine = relate::create_engine("sqlite://", {.echo = true, .echo_sink = log.sink()});
  relate::Registry registry;
  map_shelves(registry);
  registry.create_all(engine);
  {
    relate::Session session(engine, registry);
    auto kitchen = relate::make<Shelf>({.name = "kitchen"});
    auto hall = relate::make<Shelf>({.name = "hall"});
    kitchen->notes = {relate::make<Note>({.text = "milk"}), relate::make<Note>({.text = "eggs"})};
    hall->notes = {relate::make<Note>({.text = "keys"})};
    session.add_all({kitchen, hall});
    session.commit();
    auto reply = relate::make<Note>(
        {.text = "bought", .shelf_id = hall->id, .reply_to = kitchen->notes[0]->id});
    session.add(reply);
    session.commit();
  }

  output_region("preview");
  //! [preview]
  relate::Session session(engine, registry);
  auto kitchen = session.query<Shelf>().filter_by(&Shelf::name, "kitchen").one();
  session.remove(kitchen);
  const relate::DeletePreview preview = session.delete_preview();  // reads only

  for (const auto& row : preview.deleted)
    std::cout << "delete " << row.table << " id " << row.key[0].repr() << ": "
              << relate::to_string(row.reason) << (row.via.empty() ? "" : ", " + row.via) << "\n";
  for (const auto& row : preview.nulled)
    std::cout << "null   " << row.table << " id " << row.key[0].repr() << ": " << row.via << "\n";
  for (const auto& [table, counts] : preview.per_table)
    std::cout << table << ": " << counts.deleted << " deleted, " << counts.nulled << " nulled\n";
  //! [preview]
  output_region("preview");
  assert(session.deleted_objects().size() == 1);
  assert(preview.per_table.at("notes").deleted == 2);
  log.clear();
  session.commit();  // does what the preview said
  assert(log.count("DELETE") == 1);
  assert(session.query<Note>().count() == 2);
}

void reach() {
  relate::Registry registry;
  map_shelves(registry);
  output_region("reach");
  //! [reach]
  for (const relate::DeleteReach& r : relate::delete_reach(registry, "shelves"))
    std::cout << r.depth << " " << r.table << " "
              << (r.effect == relate::DeleteReach::Effect::deleted ? "deleted" : "nulled")
              << " via " << r.via << "\n";
  //! [reach]
  output_region("reach");
}

void map_albums(relate::Registry& registry) {
  //! [set-based-map]
  registry.map<Album>("albums", [](auto& m) {
    m.column("id", &Album::id, relate::primary_key());
    m.column("title", &Album::title);
    m.relationship("tracks", &Album::tracks, {.cascade = "all, delete-orphan"});
  });
  registry.map<Track>("tracks", [](auto& m) {
    m.column("id", &Track::id, relate::primary_key());
    m.column("title", &Track::title);
    m.column("album_id", &Track::album_id, relate::foreign_key("albums.id"));
  });
  //! [set-based-map]
}

void add_albums(const relate::Engine& engine, relate::Registry& registry) {
  relate::Session session(engine, registry);
  for (const char* title : {"live", "b-sides", "demos"}) {
    auto album = relate::make<Album>({.title = title});
    for (int i = 1; i <= 3; ++i)
      album->tracks.push_back(relate::make<Track>({.title = "track " + std::to_string(i)}));
    session.add(album);
  }
  session.commit();
}

void set_based() {
  SqlLog log;
  auto engine = relate::create_engine("sqlite://", {.echo = true, .echo_sink = log.sink()});
  relate::Registry registry;
  map_albums(registry);
  registry.create_all(engine);
  add_albums(engine, registry);
  log.clear();

  //! [set-based-use]
  relate::Session session(engine, registry);
  for (const auto& album :
       session.query<Album>().filter(relate::col(&Album::title) != "live").all())
    session.remove(album);  // the tracks are not loaded, now or at the flush
  session.commit();         // DELETE FROM tracks WHERE album_id IN (?, ?), then the albums
  //! [set-based-use]
  assert(log.count("SELECT") == 1);  // the query; no track was loaded
  assert(session.query<Track>().count() == 3);

  //! [bulk-cascade]
  // Every album called "live", and its tracks: three statements in all.
  auto n = session.query<Album>().filter_by(&Album::title, "live").bulk_delete_with_cascades();
  //! [bulk-cascade]
  assert(n == 1);
  assert(session.query<Track>().count() == 0);
}

}  // namespace

int main() {
  protect();
  restrict_policy();
  preview();
  reach();
  set_based();
}
