// Restrict (DESIGN 5): deleting a parent that still has children is refused
// before any data changes, naming the relationship and the blocking rows.

#include <gtest/gtest.h>

#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::OrmTest;

namespace {

struct Book;
struct Author {
  std::int64_t id = 0;
  std::string name{};
  Many<Book> books{};
};
struct Book {
  std::int64_t id = 0;
  std::string title{};
  std::optional<std::int64_t> author_id{};
  One<Author> author{};
};

class RestrictTest : public OrmTest {
 protected:
  void map(Restrict policy) {
    registry_.map<Author>("authors", [policy](auto& m) {
      m.column("id", &Author::id, primary_key());
      m.column("name", &Author::name);
      m.relationship("books", &Author::books,
                     {.back_populates = "author", .restrict_delete = policy});
    });
    registry_.map<Book>("books", [](auto& m) {
      m.column("id", &Book::id, primary_key());
      m.column("title", &Book::title);
      m.column("author_id", &Book::author_id, foreign_key("authors.id"));
      m.relationship("author", &Book::author, {.back_populates = "books"});
    });
    create_schema();
    auto s = session();
    auto a = make<Author>({.name = "a"});
    for (int i = 1; i <= 7; ++i) a->books.push_back(make<Book>({.title = "b" + std::to_string(i)}));
    s.add(a);
    s.add(make<Author>({.name = "empty"}));
    s.commit();
    recorder_.clear();
  }
};
RELATE_INSTANTIATE_BACKENDS(RestrictTest);

TEST_P(RestrictTest, UnloadedChildrenAreFoundWithOneQueryAndBlock) {
  map(Restrict::protect);
  auto s = session();
  auto a = s.query<Author>().filter_by(&Author::name, "a").one();
  s.remove(a);
  recorder_.clear();
  try {
    s.flush();
    FAIL() << "expected RestrictError";
  } catch (const RestrictError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("Cannot delete Author: Author.books still has 7 Book row(s)"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("Book(id=1)"), std::string::npos) << msg;
    EXPECT_NE(msg.find(", ..."), std::string::npos) << "the first few keys, then the total";
  }
  EXPECT_EQ(recorder_.count("SELECT"), 1u) << "one query finds the unloaded children";
  EXPECT_EQ(recorder_.count("UPDATE") + recorder_.count("DELETE"), 0u) << "no data changed";
  EXPECT_EQ(s.deleted_objects().size(), 1u) << "the delete stays marked";
  EXPECT_EQ(count_rows("authors"), 2);
  // A parent without children is deleted normally.
  s.expunge(a);
  s.remove(s.query<Author>().filter_by(&Author::name, "empty").one());
  s.commit();
  EXPECT_EQ(count_rows("authors"), 1);
}

TEST_P(RestrictTest, ManyParentsAreCheckedWithOneQuery) {
  map(Restrict::protect);
  auto s = session();
  for (const auto& a : s.query<Author>().all()) s.remove(a);
  recorder_.clear();
  EXPECT_THROW(s.flush(), RestrictError);
  const auto selects = recorder_.starting_with("SELECT");
  ASSERT_EQ(selects.size(), 1u) << "both authors' books in one query";
  EXPECT_NE(selects[0].find("author_id IN ("), std::string::npos) << selects[0];
}

TEST_P(RestrictTest, LoadedChildrenAreCheckedInMemory) {
  map(Restrict::protect);
  auto s = session();
  auto a = s.query<Author>().filter_by(&Author::name, "a").one();
  (void)a->books.size();
  // Moving every book away lifts the restriction.
  auto other = s.query<Author>().filter_by(&Author::name, "empty").one();
  for (const auto& b : std::vector<Ptr<Book>>(a->books.begin(), a->books.end())) b->author = other;
  s.remove(a);
  s.commit();
  EXPECT_EQ(count_rows("authors"), 1);
  EXPECT_EQ(count_rows("books"), 7);
}

TEST_P(RestrictTest, RestrictAllowsChildrenDeletedInTheSameFlush) {
  map(Restrict::restrict);
  auto s = session();
  auto a = s.query<Author>().filter_by(&Author::name, "a").one();
  for (const auto& b : s.query<Book>().all()) s.remove(b);
  s.remove(a);
  s.commit();
  EXPECT_EQ(count_rows("authors"), 1);
  EXPECT_EQ(count_rows("books"), 0);
}

TEST_P(RestrictTest, ProtectRefusesEvenWhenChildrenAreDeletedToo) {
  map(Restrict::protect);
  auto s = session();
  auto a = s.query<Author>().filter_by(&Author::name, "a").one();
  for (const auto& b : s.query<Book>().all()) s.remove(b);
  s.remove(a);
  EXPECT_THROW(s.flush(), RestrictError);
  EXPECT_EQ(count_rows("books"), 7);
}

TEST(RestrictConfiguration, RestrictWithADeleteCascadeIsRefused) {
  Registry r;
  r.map<Author>("authors", [](auto& m) {
    m.column("id", &Author::id, primary_key());
    m.column("name", &Author::name);
    m.relationship("books", &Author::books,
                   {.cascade = "all", .restrict_delete = Restrict::protect});
  });
  r.map<Book>("books", [](auto& m) {
    m.column("id", &Book::id, primary_key());
    m.column("title", &Book::title);
    m.column("author_id", &Book::author_id, foreign_key("authors.id"));
  });
  EXPECT_THROW(r.configure(), ConfigurationError);
}

}  // namespace
