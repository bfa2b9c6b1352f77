// The samples of docs/queries.md: building and running Query<T>, joins and
// EXISTS criteria, column tuples, streaming, bulk statements, and Core
// statements inside a Session.
#undef NDEBUG  // the samples check what the documentation says with assert()
#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <relate/relate.hpp>

#include "sample_support.hpp"

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
  double price = 0;
  std::optional<std::string> genre{};
  std::optional<std::int64_t> author_id{};
  relate::One<Author> author{};
};

namespace {

using relate::col;

void map(relate::Registry& registry) {
  registry.map<Author>("authors", [](auto& m) {
    m.column("id", &Author::id, relate::primary_key());
    m.column("name", &Author::name);
    m.relationship("books", &Author::books, {.back_populates = "author"});
  });
  registry.map<Book>("books", [](auto& m) {
    m.column("id", &Book::id, relate::primary_key());
    m.column("title", &Book::title);
    m.column("year", &Book::year);
    m.column("price", &Book::price);
    m.column("genre", &Book::genre);
    m.column("author_id", &Book::author_id, relate::foreign_key("authors.id"));
    m.relationship("author", &Book::author, {.back_populates = "books"});
  });
}

void fill(const relate::Engine& engine, relate::Registry& registry) {
  relate::Session session(engine, registry);
  auto le_guin = relate::make<Author>({.name = "Ursula K. Le Guin"});
  le_guin->books = {
      relate::make<Book>(
          {.title = "A Wizard of Earthsea", .year = 1968, .price = 9.5, .genre = "fantasy"}),
      relate::make<Book>({.title = "The Dispossessed", .year = 1974, .price = 12, .genre = "sf"}),
      relate::make<Book>({.title = "The Lathe of Heaven", .year = 1971, .price = 8, .genre = "sf"}),
  };
  auto calvino = relate::make<Author>({.name = "Italo Calvino"});
  calvino->books = {relate::make<Book>({.title = "Invisible Cities", .year = 1972, .price = 11})};
  session.add_all({le_guin, calvino, relate::make<Author>({.name = "Anonymous"})});
  session.commit();
}

void building(relate::Session& session) {
  //! [filter]
  auto seventies = session.query<Book>()
                       .filter(col(&Book::year).between(1970, 1979))
                       .filter(col(&Book::genre) == "sf" || col(&Book::genre).is_null())
                       .order_by(relate::desc(&Book::year))
                       .all();
  assert(seventies.size() == 3);
  assert(seventies[0]->title == "The Dispossessed");
  //! [filter]

  // `== std::nullopt` is IS NULL (the table on the page says so).
  assert(session.query<Book>().filter(col(&Book::genre) == std::nullopt).count() == 1);
  assert(session.query<Book>().filter(col(&Book::genre) != std::nullopt).count() == 3);

  //! [filter-by]
  auto earthsea = session.query<Book>().filter_by(&Book::title, "A Wizard of Earthsea").one();
  auto cheap = session.query<Book>()
                   .filter(col(&Book::price) < 10.0 && col(&Book::title).like("The %"))
                   .first();
  assert(cheap && cheap->title == "The Lathe of Heaven");
  //! [filter-by]

  //! [in]
  auto some = session.query<Book>().filter(col(&Book::year).in({1968, 1972})).count();
  auto none = session.query<Book>().filter(col(&Book::year).in({})).count();  // no error
  assert(some == 2 && none == 0);
  //! [in]

  //! [results]
  auto q = session.query<Book>().filter(col(&Book::genre) == "sf");
  assert(q.count() == 2);                    // SELECT count(*) FROM (...)
  assert(q.exists());                        // SELECT EXISTS (...)
  assert(q.order_by(&Book::title).first());  // LIMIT 1
  assert(!session.query<Book>().filter(col(&Book::year) > 2000).one_or_none());
  try {
    (void)q.one();  // two rows
    assert(false);
  } catch (const relate::MultipleResultsFound&) {
  }
  //! [results]

  //! [page]
  auto page = session.query<Book>().order_by(&Book::title).limit(2).offset(2).all();
  assert(page.size() == 2 && page[0]->title == "The Dispossessed");
  //! [page]
  (void)earthsea;
}

void columns(relate::Session& session) {
  //! [values]
  auto rows = session.query<Book>()
                  .filter(col(&Book::genre) == "sf")
                  .order_by(&Book::year)
                  .values(&Book::title, &Book::year);
  // std::vector<std::tuple<std::string, int>>: no objects are made
  assert(rows.size() == 2);
  assert(std::get<0>(rows[0]) == "The Lathe of Heaven" && std::get<1>(rows[0]) == 1971);
  //! [values]
}

void streaming(relate::Session& session) {
  //! [stream]
  double total = 0;
  for (const auto& book : session.query<Book>().filter(col(&Book::price) > 0.0))
    total += book->price;  // one row at a time; each object lives as long as you keep it
  assert(total == 40.5);
  //! [stream]
}

void joins(relate::Session& session) {
  //! [join]
  // Books by authors whose name starts with "U": INNER JOIN authors ON ...
  auto by_u =
      session.query<Book>().join(&Book::author).filter(col(&Author::name).like("U%")).count();
  assert(by_u == 3);
  //! [join]

  //! [any-has]
  // Authors with at least one book before 1970: EXISTS (SELECT 1 FROM books WHERE ...)
  auto early = session.query<Author>().filter(col(&Author::books).any(col(&Book::year) < 1970));
  assert(early.count() == 1);
  auto without_books = session.query<Author>().filter(!col(&Author::books).any()).one();
  assert(without_books->name == "Anonymous");
  auto calvinos = session.query<Book>()
                      .filter(col(&Book::author).has(col(&Author::name) == "Italo Calvino"))
                      .count();
  assert(calvinos == 1);
  //! [any-has]

  //! [outer-join]
  auto everyone = session.query<Author>().outer_join(&Author::books).order_by(&Author::name).all();
  assert(everyone.size() == 3);  // authors without books too, each once
  //! [outer-join]
}

void bulk(relate::Session& session) {
  auto dispossessed = session.query<Book>().filter_by(&Book::title, "The Dispossessed").one();
  //! [bulk-update]
  auto changed = session.query<Book>()
                     .filter(col(&Book::genre) == "sf")
                     .bulk_update({relate::assign(&Book::price, 15.0)});
  assert(changed == 2);                 // one UPDATE ... WHERE books.genre = ?
  assert(dispossessed->price == 15.0);  // objects in the Session are brought up to date
  //! [bulk-update]

  //! [bulk-delete]
  auto deleted =
      session.query<Book>().filter(col(&Book::year) < 1970).bulk_delete(relate::Synchronize::fetch);
  assert(deleted == 1);  // one DELETE; no cascades, no per-object work
  //! [bulk-delete]
  session.rollback();
}

void core(relate::Session& session, relate::Registry& registry) {
  //! [core]
  const relate::Table& books = registry.metadata().at("books");
  auto per_genre = session.execute(relate::select({books.c("genre"), relate::count().label("n")})
                                       .where(books.c("genre").is_not_null())
                                       .group_by({books.c("genre")})
                                       .order_by({books.c("genre")}));
  for (const auto& row : per_genre) {
    // "fantasy" 1, then "sf" 2
    assert(row.get<std::int64_t>("n") == (row.get<std::string>("genre") == "sf" ? 2 : 1));
  }
  //! [core]
}

}  // namespace

int main() {
  relate::Registry registry;
  map(registry);
  auto engine = relate::create_engine("sqlite://");
  registry.create_all(engine);
  fill(engine, registry);
  relate::Session session(engine, registry);
  building(session);
  columns(session);
  streaming(session);
  joins(session);
  bulk(session);
  core(session, registry);
}
