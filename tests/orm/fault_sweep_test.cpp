// The fault sweep (DESIGN 4.1 under injected faults). One flush inserts,
// updates, nulls foreign keys, deletes by cascade and orphan, and changes
// association rows across six tables. It runs once without faults to learn its
// injection points (tests/support/fault_injection.hpp), then once per point with
// that statement failing: the error must reach the caller with its cause, the
// database must hold exactly what it held before, every object must be as it
// was before the flush, and the same flush must then succeed with the same
// outcome. Faults: a constraint violation, an operational and a data error
// raised by the database, and a lost transaction (on PostgreSQL the backend is
// killed from a second connection; on SQLite the transaction is rolled back
// under the statement, as SQLite does after I/O errors).
//
// flush_atomic_test.cpp covers the same promise with faults raised by real
// triggers, one table at a time.

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <set>

#include "support/fault_injection.hpp"
#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::FaultInjector;
using relate::testing::FaultKind;
using relate::testing::OrmTest;

namespace {

struct Book;
struct Publisher {
  std::int64_t id = 0;
  std::string name{};
  Many<Book> books{};
};
struct Author {
  std::int64_t id = 0;
  std::string name{};
  std::int64_t version = 0;
  Many<Book> books{};
};
struct Review;
struct Tag;
struct Book {
  std::int64_t id = 0;
  std::string title{};
  std::int64_t author_id = 0;
  std::optional<std::int64_t> publisher_id{};
  One<Author> author{};
  One<Publisher> publisher{};
  Many<Review> reviews{};
  Many<Tag> tags{};
};
struct Review {
  std::int64_t id = 0;
  std::string text{};
  std::int64_t book_id = 0;
  One<Book> book{};
};
struct Tag {
  std::int64_t id = 0;
  std::string label{};
  Many<Book> books{};
};

// Every object the flush touches, held by the test.
struct Objects {
  Ptr<Publisher> p1, p2;
  Ptr<Author> a1, a2, a3;
  Ptr<Book> b1, b2, b3, b4;
  Ptr<Review> r4;
  Ptr<Tag> t1, t2, t3;
};

const char* const tables[] = {"publishers", "authors", "books", "reviews", "tags", "book_tags"};

// What each object looks like to the user, its relationships included where
// they are loaded; read without loading anything.
class Describer {
 public:
  // Relationships a failed flush may have loaded (the rows it read are the
  // database's, so loading is no change): shown as unloaded if they were.
  explicit Describer(std::set<const void*>* unloaded = nullptr, bool record = false)
      : unloaded_(unloaded), record_(record) {}

  std::set<std::string> lines;

  template <class T>
  void visit(const Ptr<T>& p) {
    if (!p || !seen_.insert(p.block()).second) return;
    const T& o = *p.get();
    std::string line = std::string(to_string(state_of(p))) + " ";
    if (p.block()->state().needs_load()) line += "(expired) ";
    line += describe(o);
    lines.insert(line);
  }

 private:
  bool shown_unloaded(const detail::RelationshipHandle& h) {
    if (unloaded_ == nullptr) return !h.is_loaded();
    if (record_) {
      if (!h.is_loaded()) unloaded_->insert(&h);
      return !h.is_loaded();
    }
    return !h.is_loaded() || unloaded_->contains(&h);
  }
  template <class T>
  std::string ids(const Many<T>& m) {
    if (shown_unloaded(m)) return "unloaded";
    std::string out = "[";
    for (const auto& x : m) {
      out += std::to_string(x.get()->id) + " ";
      visit(x);
    }
    return out + "]";
  }
  template <class T>
  std::string id(const One<T>& o) {
    if (shown_unloaded(o)) return "unloaded";
    auto x = o.get();
    visit(x);
    return x ? std::to_string(x.get()->id) : "null";
  }
  static std::string opt(const std::optional<std::int64_t>& v) {
    return v ? std::to_string(*v) : "null";
  }

  std::string describe(const Publisher& p) {
    return "publisher " + std::to_string(p.id) + " " + p.name + " books=" + ids(p.books);
  }
  std::string describe(const Author& a) {
    return "author " + std::to_string(a.id) + " " + a.name + " v" + std::to_string(a.version) +
           " books=" + ids(a.books);
  }
  std::string describe(const Book& b) {
    return "book " + std::to_string(b.id) + " " + b.title +
           " author_id=" + std::to_string(b.author_id) + " publisher_id=" + opt(b.publisher_id) +
           " author=" + id(b.author) + " publisher=" + id(b.publisher) +
           " reviews=" + ids(b.reviews) + " tags=" + ids(b.tags);
  }
  std::string describe(const Review& r) {
    return "review " + std::to_string(r.id) + " " + r.text +
           " book_id=" + std::to_string(r.book_id) + " book=" + id(r.book);
  }
  std::string describe(const Tag& t) {
    return "tag " + std::to_string(t.id) + " " + t.label + " books=" + ids(t.books);
  }

  std::set<const void*>* unloaded_;
  bool record_;
  std::set<const void*> seen_;
};

struct SessionPicture {
  std::set<std::string> objects;
  std::size_t pending = 0, dirty = 0, deleted = 0;
  bool operator==(const SessionPicture&) const = default;
};

std::ostream& operator<<(std::ostream& out, const SessionPicture& p) {
  out << "new=" << p.pending << " dirty=" << p.dirty << " deleted=" << p.deleted << "\n";
  for (const auto& line : p.objects) out << "  " << line << "\n";
  return out;
}

// How a variant's flush runs: inside the Session's open transaction (a
// savepoint), or as the first work of a transaction it begins itself.
enum class Variant { savepoint, own_transaction };

class FaultSweepTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    faults_ = std::make_unique<FaultInjector>(db_->url());
    EngineOptions options;
    options.echo = true;
    options.echo_sink = recorder_.sink();
    options.pool_size = 2;  // the Session's connection and one for checks
    options.wrap_connection = faults_->wrapper();
    engine_ = std::make_unique<Engine>(create_engine(db_->url(), options));

    registry_.map<Publisher>("publishers", [](auto& m) {
      m.column("id", &Publisher::id, primary_key());
      m.column("name", &Publisher::name);
      m.relationship("books", &Publisher::books,
                     {.back_populates = "publisher", .order_by = {"id"}});
    });
    registry_.map<Author>("authors", [](auto& m) {
      m.column("id", &Author::id, primary_key());
      m.column("name", &Author::name);
      m.version_counter("version", &Author::version);
      m.relationship(
          "books", &Author::books,
          {.back_populates = "author", .cascade = "all, delete-orphan", .order_by = {"id"}});
    });
    registry_.table("book_tags",
                    {column<std::int64_t>("book_id").primary_key().references("books.id"),
                     column<std::int64_t>("tag_id").primary_key().references("tags.id")});
    registry_.map<Book>("books", [](auto& m) {
      m.column("id", &Book::id, primary_key());
      m.column("title", &Book::title);
      m.column("author_id", &Book::author_id, foreign_key("authors.id"), not_null());
      m.column("publisher_id", &Book::publisher_id, foreign_key("publishers.id"));
      m.relationship("author", &Book::author, {.back_populates = "books"});
      m.relationship("publisher", &Book::publisher, {.back_populates = "books"});
      m.relationship("reviews", &Book::reviews,
                     {.back_populates = "book", .cascade = "all", .order_by = {"id"}});
      m.relationship("tags", &Book::tags,
                     {.back_populates = "books", .secondary = "book_tags", .order_by = {"id"}});
    });
    registry_.map<Review>("reviews", [](auto& m) {
      m.column("id", &Review::id, primary_key());
      m.column("text", &Review::text);
      m.column("book_id", &Review::book_id, foreign_key("books.id"), not_null());
      m.relationship("book", &Review::book, {.back_populates = "reviews"});
    });
    registry_.map<Tag>("tags", [](auto& m) {
      m.column("id", &Tag::id, primary_key());
      m.column("label", &Tag::label);
      m.relationship("books", &Tag::books,
                     {.back_populates = "tags", .secondary = "book_tags", .order_by = {"id"}});
    });
    create_schema();
    seed();
    seeded_ = dump();
  }

  void TearDown() override {
    engine_.reset();
    faults_.reset();
    OrmTest::TearDown();
  }

  void seed() {
    auto conn = engine_->connect();
    auto tx = conn.begin();
    for (const char* t : {"book_tags", "reviews", "books", "tags", "authors", "publishers"})
      conn.execute(text(std::string("DELETE FROM ") + t));
    for (const char* sql : {
             "INSERT INTO publishers (id, name) VALUES (1, 'Ace'), (2, 'Tor')",
             "INSERT INTO authors (id, name, version) VALUES (1, 'Le Guin', 1), (2, 'Banks', 1)",
             "INSERT INTO books (id, title, author_id, publisher_id) VALUES "
             "(1, 'Earthsea', 1, 1), (2, 'The Lathe of Heaven', 1, 1), "
             "(3, 'Consider Phlebas', 2, 2)",
             "INSERT INTO reviews (id, text, book_id) VALUES (1, 'great', 1), (2, 'fine', 1), "
             "(3, 'odd', 2)",
             "INSERT INTO tags (id, label) VALUES (1, 'fantasy'), (2, 'sf')",
             "INSERT INTO book_tags (book_id, tag_id) VALUES (1, 1), (2, 2), (3, 2)",
         })
      conn.execute(text(sql));
    tx.commit();
    recorder_.clear();
  }

  // Every row of every table, read with `run`.
  template <class Run>
  static std::string dump(Run&& run) {
    std::string out;
    for (const char* t : tables) {
      out += std::string(t) + ":";
      auto result = run(text(std::string("SELECT * FROM ") + t + " ORDER BY 1, 2"));
      for (const auto& row : result.rows()) {
        for (const auto& v : row) out += v.repr() + ",";
        out += ";";
      }
      out += "\n";
    }
    return out;
  }
  // What is committed.
  std::string dump() {
    auto conn = engine_->connect();
    return dump([&](const auto& sql) { return conn.execute(sql); });
  }

  // Loads what the flush works on. For the own-transaction variant every
  // collection the changes touch is loaded here, so that making the changes
  // runs no SQL and the flush begins the transaction itself.
  Objects load(Session& s, Variant variant) {
    Objects o;
    o.p1 = s.get<Publisher>(1);
    o.p2 = s.get<Publisher>(2);
    o.a1 = s.get<Author>(1);
    o.a2 = s.get<Author>(2);
    o.b1 = s.get<Book>(1);
    o.b2 = s.get<Book>(2);
    o.b3 = s.get<Book>(3);
    o.t1 = s.get<Tag>(1);
    o.t2 = s.get<Tag>(2);
    if (variant == Variant::own_transaction) {
      (void)o.a1->books.size();
      (void)o.b1->reviews.size();
      (void)o.b3->tags.size();
      (void)o.t2->books.size();
      (void)o.p1->books.size();
      (void)o.b2->author.get();
      (void)o.b3->publisher.get();
      s.commit();
    }
    return o;
  }

  // The changes of the flush under test.
  static void change(Session& s, Objects& o) {
    o.a1->name = "Ursula K. Le Guin";  // UPDATE with a version check
    o.b3->title = "Consider Phlebas (1987)";
    o.a1->books.remove(o.b2);  // an orphan: deleted, with its review and association row
    s.remove(o.b1);            // deleted with its reviews ("all") and association row
    s.remove(o.p2);            // its book keeps living, with publisher_id nulled
    o.a3 = make<Author>({.id = 3, .name = "Jemisin"});
    o.b4 = make<Book>({.id = 4, .title = "The Fifth Season"});
    o.r4 = make<Review>({.id = 4, .text = "stunning"});
    o.t3 = make<Tag>({.id = 3, .label = "new weird"});
    o.b4->reviews.push_back(o.r4);
    o.a3->books.push_back(o.b4);
    o.b4->publisher = o.p1;
    o.b4->tags.push_back(o.t2);
    s.add(o.a3);                 // with its book and review (save-update)
    o.b3->tags.push_back(o.t3);  // a new tag and an association row
    o.t2->books.remove(o.b3);    // an association row deleted from the other side
  }

  // With `unloaded`: the relationships unloaded now are recorded there
  // (record) or shown as unloaded whatever happened since (!record).
  static SessionPicture picture(Session& s, const Objects& o,
                                std::set<const void*>* unloaded = nullptr, bool record = false) {
    Describer d(unloaded, record);
    d.visit(o.p1);
    d.visit(o.p2);
    d.visit(o.a1);
    d.visit(o.a2);
    d.visit(o.a3);
    d.visit(o.b1);
    d.visit(o.b2);
    d.visit(o.b3);
    d.visit(o.b4);
    d.visit(o.r4);
    d.visit(o.t1);
    d.visit(o.t2);
    d.visit(o.t3);
    return {std::move(d.lines), s.new_objects().size(), s.dirty_objects().size(),
            s.deleted_objects().size()};
  }

  struct Reference {
    std::size_t points = 0;
    std::vector<std::string> statements;  // of each point
    SessionPicture after;
    std::string rows;
  };

  // The flush without faults: its injection points and its outcome.
  Reference reference(Variant variant) {
    Reference ref;
    {
      auto s = session({.expire_on_commit = false});
      auto o = load(s, variant);
      change(s, o);
      if (variant == Variant::own_transaction) {
        EXPECT_FALSE(s.in_transaction());
      }
      faults_->start_counting();
      s.flush();
      ref.points = faults_->points();
      ref.statements = faults_->statements();
      ref.after = picture(s, o);
      s.commit();
    }
    ref.rows = dump();
    seed();
    return ref;
  }

  // One injection point, one fault.
  void run_case(Variant variant, const Reference& ref, std::size_t point, FaultKind kind) {
    const std::string& statement = ref.statements.at(point - 1);
    SCOPED_TRACE("fault '" + to_string(kind) + "' at injection point " + std::to_string(point) +
                 (variant == Variant::savepoint ? " (savepoint): " : " (own transaction): ") +
                 statement);
    auto s = session({.expire_on_commit = false});
    auto o = load(s, variant);
    change(s, o);
    std::set<const void*> unloaded;
    const SessionPicture before = picture(s, o, &unloaded, true);
    faults_->arm(point, kind);
    try {
      s.flush();
      ADD_FAILURE() << "the flush should have failed";
    } catch (const DatabaseError& e) {
      check_cause(e, kind, point);
    }
    ASSERT_TRUE(faults_->fired());
    // The flush's own transaction is rolled back. An open one goes on, unless
    // the fault ended it, or, on PostgreSQL, a statement failed before the
    // flush's savepoint existed (the loads that find what delete cascades
    // reach, or the SAVEPOINT itself): that leaves a transaction good only for
    // a rollback.
    bool before_savepoint = variant == Variant::savepoint;
    for (std::size_t i = 0; i + 1 < point; ++i)
      if (ref.statements[i].starts_with("SAVEPOINT")) before_savepoint = false;
    const bool lost = kind == FaultKind::transaction_lost || (is_postgres() && before_savepoint);
    if (variant == Variant::own_transaction || lost) {
      EXPECT_FALSE(s.in_transaction()) << "the transaction is over";
    } else {
      EXPECT_TRUE(s.in_transaction()) << "the Session's transaction goes on";
    }
    EXPECT_EQ(dump(), seeded_) << "the database holds what it held before";
    if (s.in_transaction()) {
      auto guard = s.no_autoflush();
      EXPECT_EQ(dump([&](const auto& sql) { return s.execute(sql); }), seeded_)
          << "also inside the Session's transaction";
    }
    EXPECT_EQ(picture(s, o, &unloaded), before) << "every object is as it was before the flush";

    recorder_.clear();
    s.flush();  // the fault fired once; the same flush now succeeds
    EXPECT_EQ(picture(s, o), ref.after) << "the retried flush has the same outcome";
    s.commit();
    EXPECT_EQ(dump(), ref.rows);
    seed();
  }

  static void check_cause(const DatabaseError& e, FaultKind kind, std::size_t point) {
    const std::string what = e.what();
    switch (kind) {
      case FaultKind::integrity:
        EXPECT_NE(dynamic_cast<const IntegrityError*>(&e), nullptr) << what;
        break;
      case FaultKind::data: EXPECT_NE(dynamic_cast<const DataError*>(&e), nullptr) << what; break;
      case FaultKind::operational:
      case FaultKind::transaction_lost:
        EXPECT_NE(dynamic_cast<const OperationalError*>(&e), nullptr) << what;
        break;
    }
    const bool killed = kind == FaultKind::transaction_lost && !e.sqlite_code();
    if (killed) {
      // The server's own farewell (57P01), or libpq noticing the closed socket.
      EXPECT_TRUE(e.sqlstate() == "57P01" ||
                  what.find("server closed the connection") != std::string::npos)
          << what;
      return;
    }
    EXPECT_NE(what.find(FaultInjector::marker(point)), std::string::npos) << what;
    if (e.sqlite_code()) {
      EXPECT_EQ(*e.sqlite_code(), FaultInjector::sqlite_code(kind)) << what;
    } else {
      EXPECT_EQ(e.sqlstate(), FaultInjector::sqlstate(kind)) << what;
    }
  }

  void sweep(Variant variant) {
    const Reference ref = reference(variant);
    EXPECT_EQ(ref.rows,
              "publishers:1,'Ace',;\n"
              "authors:1,'Ursula K. Le Guin',2,;2,'Banks',1,;3,'Jemisin',1,;\n"
              "books:3,'Consider Phlebas (1987)',2,NULL,;4,'The Fifth Season',3,1,;\n"
              "reviews:4,'stunning',4,;\n"
              "tags:1,'fantasy',;2,'sf',;3,'new weird',;\n"
              "book_tags:3,3,;4,2,;\n")
        << "the flush without faults";
    ASSERT_GT(ref.points, 10u);
    std::size_t cases = 0;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t point = 1; point <= ref.points; ++point) {
      for (FaultKind kind : {FaultKind::integrity, FaultKind::operational, FaultKind::data,
                             FaultKind::transaction_lost}) {
        run_case(variant, ref, point, kind);
        ++cases;
        if (::testing::Test::HasFailure()) return;  // one case at a time is enough to read
      }
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    std::cout << "[ fault sweep ] " << backend() << ", "
              << (variant == Variant::savepoint ? "inside a transaction" : "own transaction")
              << ": " << ref.points << " injection points, " << cases << " faults injected ("
              << ms.count() << " ms)\n";
  }

  std::unique_ptr<FaultInjector> faults_;
  std::string seeded_;
};
RELATE_INSTANTIATE_BACKENDS(FaultSweepTest);

TEST_P(FaultSweepTest, EveryStatementOfAFlushInsideATransaction) { sweep(Variant::savepoint); }

TEST_P(FaultSweepTest, EveryStatementOfAFlushThatBeginsTheTransaction) {
  sweep(Variant::own_transaction);
}

}  // namespace

namespace {

// A transaction lost under a flush takes with it what earlier flushes wrote in
// it: the Session must not keep believing in those rows (a commit would then
// "succeed" without them), so it does what rollback() does.
TEST_P(FaultSweepTest, ALostTransactionWithEarlierWorkEndsAsARollback) {
  auto s = session();
  auto a1 = s.get<Author>(1);
  auto a4 = make<Author>({.id = 4, .name = "Tchaikovsky"});
  s.add(a4);
  s.flush();  // written in the transaction that is about to be lost
  ASSERT_EQ(state_of(a4), ObjectState::persistent);
  a1->name = "Ursula K. Le Guin";
  faults_->arm(1, FaultKind::transaction_lost);
  EXPECT_THROW(s.flush(), OperationalError);
  EXPECT_FALSE(s.in_transaction());
  EXPECT_EQ(state_of(a4), ObjectState::transient) << "its row went with the transaction";
  EXPECT_EQ(a1->name, "Le Guin") << "expired and read again, as after rollback()";
  s.commit();
  EXPECT_EQ(dump(), seeded_);
}

// The same with nothing written earlier: only the flush is undone, and it can
// simply run again, on a new connection where the old one died.
TEST_P(FaultSweepTest, ALostTransactionWithoutEarlierWorkKeepsTheChanges) {
  auto s = session();
  auto a1 = s.get<Author>(1);
  a1->name = "Ursula K. Le Guin";
  faults_->arm(1, FaultKind::transaction_lost);
  EXPECT_THROW(s.flush(), OperationalError);
  EXPECT_FALSE(s.in_transaction());
  EXPECT_EQ(a1.get()->name, "Ursula K. Le Guin");
  EXPECT_EQ(s.dirty_objects().size(), 1u);
  s.commit();
  EXPECT_EQ(rows("SELECT name FROM authors WHERE id = 1").at(0).at(0).as_text(),
            "Ursula K. Le Guin");
}

// A flush whose BEGIN fails on a dead connection gives that connection back
// instead of trying it again forever.
TEST_P(FaultSweepTest, AFailedBeginGivesTheConnectionBack) {
  auto s = session({.expire_on_commit = false});
  auto a1 = s.get<Author>(1);
  s.commit();
  a1->name = "Ursula K. Le Guin";
  ASSERT_FALSE(s.in_transaction());
  faults_->arm(1, FaultKind::transaction_lost);  // the flush's BEGIN
  EXPECT_THROW(s.flush(), OperationalError);
  ASSERT_TRUE(faults_->fired());
  EXPECT_FALSE(s.in_transaction());
  s.commit();
  EXPECT_EQ(rows("SELECT name FROM authors WHERE id = 1").at(0).at(0).as_text(),
            "Ursula K. Le Guin");
}

}  // namespace
