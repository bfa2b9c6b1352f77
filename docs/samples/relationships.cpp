// The samples of docs/relationships.md: the kinds of relationship, how the two
// sides stay in sync, and how related objects are loaded.
#undef NDEBUG  // the samples check what the documentation says with assert()
#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <relate/relate.hpp>

#include "sample_support.hpp"

//! [structs]
struct Book;
struct Profile;
struct Tag;

struct Author {
  std::int64_t id = 0;
  std::string name{};
  relate::Many<Book> books{};      // one-to-many: books.author_id refers to authors.id
  relate::One<Profile> profile{};  // one-to-one: profiles.author_id, UNIQUE
};

struct Book {
  std::int64_t id = 0;
  std::string title{};
  std::optional<std::int64_t> author_id{};
  relate::One<Author> author{};  // many-to-one: the other side of Author.books
  relate::Many<Tag> tags{};      // many-to-many, through book_tags
};

struct Profile {
  std::int64_t id = 0;
  std::string bio{};
  std::optional<std::int64_t> author_id{};
  relate::One<Author> author{};
};

struct Tag {
  std::int64_t id = 0;
  std::string label{};
  relate::Many<Book> books{};
};
//! [structs]

//! [category]
struct Category {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::int64_t> parent_id{};
  relate::Many<Category> children{};  // a Many of its own struct: one-to-many
  relate::One<Category> parent{};     // a One of its own struct: many-to-one
};
//! [category]

//! [message]
struct Member {
  std::int64_t id = 0;
  std::string name{};
};

struct Message {
  std::int64_t id = 0;
  std::int64_t sender_id = 0;
  std::int64_t recipient_id = 0;
  relate::One<Member> sender{};
  relate::One<Member> recipient{};
};
//! [message]

namespace {

void map(relate::Registry& registry) {
  //! [map]
  registry.map<Author>("authors", [](auto& m) {
    m.column("id", &Author::id, relate::primary_key());
    m.column("name", &Author::name);
    m.relationship("books", &Author::books, {.back_populates = "author", .order_by = {"title"}});
    m.relationship("profile", &Author::profile, {.back_populates = "author"});
  });
  registry.map<Book>("books", [](auto& m) {
    m.column("id", &Book::id, relate::primary_key());
    m.column("title", &Book::title);
    m.column("author_id", &Book::author_id, relate::foreign_key("authors.id"));
    m.relationship("author", &Book::author, {.back_populates = "books"});
    m.relationship("tags", &Book::tags, {.back_populates = "books", .secondary = "book_tags"});
  });
  registry.map<Profile>("profiles", [](auto& m) {
    m.column("id", &Profile::id, relate::primary_key());
    m.column("bio", &Profile::bio);
    m.column("author_id", &Profile::author_id, relate::foreign_key("authors.id"), relate::unique());
    m.relationship("author", &Profile::author, {.back_populates = "profile"});
  });
  // The association table of a many-to-many is a table, not a struct.
  registry.table("book_tags",
                 {relate::column<std::int64_t>("book_id").primary_key().references("books.id"),
                  relate::column<std::int64_t>("tag_id").primary_key().references("tags.id")});
  registry.map<Tag>("tags", [](auto& m) {
    m.column("id", &Tag::id, relate::primary_key());
    m.column("label", &Tag::label, relate::unique());
    m.relationship("books", &Tag::books, {.back_populates = "tags", .secondary = "book_tags"});
  });
  //! [map]
  //! [map-category]
  registry.map<Category>("categories", [](auto& m) {
    m.column("id", &Category::id, relate::primary_key());
    m.column("name", &Category::name);
    m.column("parent_id", &Category::parent_id, relate::foreign_key("categories.id"));
    m.relationship("children", &Category::children, {.back_populates = "parent"});
    m.relationship("parent", &Category::parent, {.back_populates = "children"});
  });
  //! [map-category]
  //! [map-message]
  registry.map<Member>("members", [](auto& m) {
    m.column("id", &Member::id, relate::primary_key());
    m.column("name", &Member::name);
  });
  registry.map<Message>("messages", [](auto& m) {
    m.column("id", &Message::id, relate::primary_key());
    m.column("sender_id", &Message::sender_id, relate::foreign_key("members.id"));
    m.column("recipient_id", &Message::recipient_id, relate::foreign_key("members.id"));
    // Two foreign keys lead to members: each relationship names its own.
    m.relationship("sender", &Message::sender, {.foreign_keys = {"sender_id"}});
    m.relationship("recipient", &Message::recipient, {.foreign_keys = {"recipient_id"}});
  });
  //! [map-message]
}

void in_memory() {
  //! [sync]
  auto le_guin = relate::make<Author>({.name = "Ursula K. Le Guin"});
  auto tolkien = relate::make<Author>({.name = "J. R. R. Tolkien"});
  auto book = relate::make<Book>({.title = "The Lathe of Heaven"});

  le_guin->books.push_back(book);
  assert(book->author == le_guin);  // appending set the other side

  book->author = tolkien;  // moves the book between the collections
  assert(le_guin->books.empty());
  assert(tolkien->books.size() == 1 && tolkien->books[0] == book);

  auto fantasy = relate::make<Tag>({.label = "fantasy"});
  book->tags.push_back(fantasy);  // many-to-many: both sides too
  assert(fantasy->books.contains(book));

  le_guin->profile = relate::make<Profile>({.bio = "Portland"});
  assert(le_guin->profile->author == le_guin);
  //! [sync]
}

void persist(const relate::Engine& engine, relate::Registry& registry) {
  //! [persist]
  relate::Session session(engine, registry);
  auto le_guin = relate::make<Author>({.name = "Ursula K. Le Guin"});
  auto fantasy = relate::make<Tag>({.label = "fantasy"});
  auto earthsea = relate::make<Book>({.title = "A Wizard of Earthsea", .tags = {fantasy}});
  le_guin->books = {earthsea, relate::make<Book>({.title = "The Dispossessed"})};
  session.add(le_guin);  // the books and the tag come along (save-update cascade)
  session.commit();      // authors, then books with author_id, then tags and book_tags
  //! [persist]

  //! [self]
  auto fiction = relate::make<Category>({.name = "fiction"});
  fiction->children.push_back(relate::make<Category>({.name = "fantasy"}));
  fiction->children.push_back(relate::make<Category>({.name = "science fiction"}));
  session.add(fiction);
  session.commit();  // fiction first, then its children with parent_id set
  //! [self]
  assert(session.query<Category>().filter(relate::col(&Category::parent_id).is_null()).count() ==
         1);
}

void lazy(const relate::Engine& engine, relate::Registry& registry, SqlLog& log) {
  //! [lazy]
  relate::Session session(engine, registry);
  auto le_guin = session.query<Author>().filter_by(&Author::name, "Ursula K. Le Guin").one();
  log.clear();
  assert(le_guin->books.size() == 2);  // SELECT ... FROM books WHERE books.author_id = ?
  assert(log.count("SELECT") == 1);

  log.clear();
  assert(le_guin->books[0]->author == le_guin);  // many-to-one: from the identity map
  assert(log.count("SELECT") == 0);
  //! [lazy]
}

void eager(const relate::Engine& engine, relate::Registry& registry, SqlLog& log) {
  //! [options]
  relate::Session session(engine, registry);
  log.clear();
  auto authors = session.query<Author>()
                     .options(relate::selectinload(&Author::books).selectinload(&Book::tags),
                              relate::joinedload(&Author::profile))
                     .all();
  // One SELECT for the authors (with a LEFT OUTER JOIN to profiles), one for
  // all their books, one for all those books' tags: three, however many authors.
  assert(log.count("SELECT") == 3);
  log.clear();
  for (const auto& a : authors)
    for (const auto& b : a->books) (void)b->tags.size();
  assert(log.count("SELECT") == 0);
  //! [options]

  session.close();
  //! [raise]
  auto quick = session.query<Author>().options(relate::raiseload(&Author::books)).first();
  try {
    (void)quick->books.size();  // would be a SELECT: refused
    assert(false);
  } catch (const relate::InvalidRequest&) {
  }
  //! [raise]
}

//! [dynamic-structs]
struct Item;
struct Store {
  std::int64_t id = 0;
  std::string name{};
  relate::Dynamic<Item> items{};  // each read is a query
  relate::WriteOnly<Item> archive{};
};
struct Item {
  std::int64_t id = 0;
  std::string name{};
  double price = 0;
  std::optional<std::int64_t> store_id{};
  std::optional<std::int64_t> archive_id{};
};
//! [dynamic-structs]

void dynamic(const relate::Engine& engine, SqlLog& log) {
  relate::Registry registry;
  //! [dynamic-map]
  registry.map<Store>("stores", [](auto& m) {
    m.column("id", &Store::id, relate::primary_key());
    m.column("name", &Store::name);
    m.relationship("items", &Store::items, {.foreign_keys = {"store_id"}, .order_by = {"name"}});
    m.relationship("archive", &Store::archive,
                   {.foreign_keys = {"archive_id"}, .passive_deletes = true});
  });
  registry.map<Item>("items", [](auto& m) {
    m.column("id", &Item::id, relate::primary_key());
    m.column("name", &Item::name);
    m.column("price", &Item::price);
    m.column("store_id", &Item::store_id, relate::foreign_key("stores.id"));
    m.column("archive_id", &Item::archive_id,
             relate::foreign_key("stores.id", relate::ReferentialAction::set_null));
  });
  //! [dynamic-map]
  registry.create_all(engine);

  relate::Session session(engine, registry);
  auto corner = relate::make<Store>({.name = "corner shop"});
  session.add(corner);
  session.commit();

  (void)corner->name;  // reloaded after the commit
  log.clear();
  //! [dynamic]
  corner->items.append(relate::make<Item>({.name = "tea", .price = 3.5}));
  corner->items.append(relate::make<Item>({.name = "cake", .price = 12}));
  assert(log.count("SELECT") == 0);  // appending loads nothing

  // Reads flush what was appended, then ask the database.
  assert(corner->items.count() == 2);  // SELECT count(*) ...
  auto cheap = corner->items.query().filter(relate::col(&Item::price) < 10.0).all();
  assert(cheap.size() == 1 && cheap[0]->name == "tea");
  //! [dynamic]

  //! [write-only]
  corner->archive.add(relate::make<Item>({.name = "old stock"}));
  session.flush();  // INSERTed with archive_id set; nothing was ever read
  auto archived = corner->archive.select().all();  // reading is explicit
  assert(archived.size() == 1);
  //! [write-only]
  session.close();
  registry.drop_all(engine);
}

}  // namespace

int main() {
  SqlLog log;
  relate::Registry registry;
  map(registry);
  auto engine = relate::create_engine("sqlite://", {.echo = true, .echo_sink = log.sink()});
  registry.create_all(engine);
  in_memory();
  persist(engine, registry);
  lazy(engine, registry, log);
  eager(engine, registry, log);
  registry.drop_all(engine);
  dynamic(engine, log);
}
