// The first program of docs/quickstart.md.
// What it prints is checked against quickstart.expected.

//! [program]
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

#include <relate/relate.hpp>

struct Book;

struct Author {
  std::int64_t id = 0;
  std::string name{};
  relate::Many<Book> books{};
};

struct Book {
  std::int64_t id = 0;
  std::string title{};
  int year = 0;
  std::optional<std::int64_t> author_id{};
  relate::One<Author> author{};
};

void map(relate::Registry& registry) {
  registry.map<Author>("authors", [](auto& m) {
    m.column("id", &Author::id, relate::primary_key());
    m.column("name", &Author::name, relate::unique());
    m.relationship("books", &Author::books,
                   {.back_populates = "author", .cascade = "all, delete-orphan"});
  });
  registry.map<Book>("books", [](auto& m) {
    m.column("id", &Book::id, relate::primary_key());
    m.column("title", &Book::title);
    m.column("year", &Book::year);
    m.column("author_id", &Book::author_id, relate::foreign_key("authors.id"));
    m.relationship("author", &Book::author, {.back_populates = "books"});
  });
}

void run(const std::string& url) {
  relate::Registry registry;
  map(registry);
  auto engine = relate::create_engine(url);
  registry.create_all(engine);  // CREATE TABLE for tables not there yet

  relate::Session session(engine, registry);
  auto le_guin = relate::make<Author>({.name = "Ursula K. Le Guin"});
  le_guin->books.push_back(relate::make<Book>({.title = "A Wizard of Earthsea", .year = 1968}));
  le_guin->books.push_back(relate::make<Book>({.title = "The Dispossessed", .year = 1974}));
  session.add(le_guin);  // her books come along
  session.commit();      // INSERT INTO authors ...; INSERT INTO books ... (author_id set)

  auto early = session.query<Book>().filter(relate::col(&Book::year) < 1970).all();
  for (const auto& book : early) std::cout << book->title << " by " << book->author->name << "\n";
}

int main(int argc, char** argv) try {
  run(argc > 1 ? argv[1] : "sqlite://");
  return 0;
} catch (const relate::Error& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
//! [program]
