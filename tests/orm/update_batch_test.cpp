// The UPDATEs of a flush: rows are addressed by their identity (composite and
// text keys as well as single integers), go out in key order with consecutive
// rows of the same changed columns in one batch, and the members are bound in
// place when no echo asks for the values. Each case runs through an engine
// with echo (the SQL and parameters are asserted) and one without (the
// values are bound straight from the members), on SQLite and PostgreSQL.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "orm/orm_test_util.hpp"
#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::message_of;
using relate::testing::OrmTest;

namespace {

// A composite key: an integer and a text column.
struct Stock {
  std::int64_t shop = 0;
  std::string sku{};
  std::int64_t count = 0;
  std::optional<std::string> note{};
};

// A text key and a version counter.
struct Page {
  std::string slug{};
  std::string title{};
  std::int64_t version = 0;
};

// Rows that refer to each other: the favorite is written by a post_update
// UPDATE of a row inserted by the same flush (addressed by its new key).
struct Entry;
struct Widget {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::int64_t> favorite_id{};
  Many<Entry> entries{};
  One<Entry> favorite{};
};
struct Entry {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::int64_t> widget_id{};
  One<Widget> widget{};
};

class UpdateBatchTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<Stock>("stock", [](auto& m) {
      m.column("shop", &Stock::shop, primary_key());
      m.column("sku", &Stock::sku, primary_key());
      m.column("count", &Stock::count);
      m.column("note", &Stock::note);
    });
    registry_.map<Page>("pages", [](auto& m) {
      m.column("slug", &Page::slug, primary_key());
      m.column("title", &Page::title);
      m.version_counter("version", &Page::version);
    });
    registry_.map<Widget>("widgets", [](auto& m) {
      m.column("id", &Widget::id, primary_key());
      m.column("name", &Widget::name);
      m.column("favorite_id", &Widget::favorite_id, foreign_key("entries.id"));
      m.relationship("entries", &Widget::entries,
                     {.back_populates = "widget", .foreign_keys = {"widget_id"}});
      m.relationship("favorite", &Widget::favorite,
                     {.foreign_keys = {"favorite_id"}, .post_update = true});
    });
    registry_.map<Entry>("entries", [](auto& m) {
      m.column("id", &Entry::id, primary_key());
      m.column("name", &Entry::name);
      m.column("widget_id", &Entry::widget_id, foreign_key("widgets.id"));
      m.relationship("widget", &Entry::widget,
                     {.back_populates = "entries", .foreign_keys = {"widget_id"}});
    });
    create_schema();
    quiet_ = std::make_unique<Engine>(create_engine(db_->url()));
  }
  void TearDown() override {
    quiet_.reset();
    OrmTest::TearDown();
  }

  // A Session on the echoing engine, or on one without echo (in-place binding).
  Session session_on(bool echo) { return echo ? session() : Session(*quiet_, registry_); }

  // Runs `pass` through the echoing engine (echo true: the SQL and parameters
  // can be asserted) and then through the one without echo, with the
  // recorder cleared before and the tables emptied after each pass.
  template <class Pass>
  void on_both_engines(Pass pass) {
    for (bool echo : {true, false}) {
      SCOPED_TRACE(echo ? "echo" : "no echo");
      recorder_.clear();
      pass(echo);
      auto conn = engine_->connect();
      for (const char* table : {"stock", "pages"})
        conn.execute(text(std::string("DELETE FROM ") + table));
    }
  }

  void add_stock() {
    auto s = session();
    // Added out of key order: the UPDATEs below must still go in key order.
    for (auto [shop, sku] :
         {std::pair{2, "b"}, std::pair{1, "b"}, std::pair{2, "a"}, std::pair{1, "a"}})
      s.add(make<Stock>({.shop = shop, .sku = sku, .count = 10 * shop, .note = std::nullopt}));
    s.commit();
    recorder_.clear();
  }

  std::vector<std::string> stock_rows() {
    std::vector<std::string> out;
    for (const auto& r : rows("SELECT shop, sku, count, note FROM stock ORDER BY shop, sku"))
      out.push_back(std::to_string(r[0].as_integer()) + r[1].as_text() + "=" +
                    std::to_string(r[2].as_integer()) + "/" +
                    (r[3].is_null() ? std::string("null") : r[3].as_text()));
    return out;
  }

  std::unique_ptr<Engine> quiet_;
};

RELATE_INSTANTIATE_BACKENDS(UpdateBatchTest);

TEST_P(UpdateBatchTest, CompositeKeyRowsGoInKeyOrderBatchedByChangedColumns) {
  on_both_engines([&](bool echo) {
    add_stock();
    {
      auto s = session_on(echo);
      auto all = s.query<Stock>().all();
      ASSERT_EQ(all.size(), 4u);
      for (const auto& st : all) {
        st->count += 1;
        // (1,b) and (2,a) change a second column: in key order (1a 1b 2a 2b)
        // the column lists go count / count+note / count+note / count, so
        // the two middle rows share a batch and the others have one each.
        if ((st->shop == 1 && st->sku == "b") || (st->shop == 2 && st->sku == "a"))
          st->note = "n" + std::to_string(st->shop) + st->sku;
      }
      s.commit();
    }
    if (echo) {
      const auto updates = recorder_.starting_with("UPDATE");
      const bool q = is_sqlite();
      EXPECT_EQ(updates, (std::vector<std::string>{
                             q ? "UPDATE stock SET count = ? WHERE shop = ? AND sku = ?"
                               : "UPDATE stock SET count = $1 WHERE shop = $2 AND sku = $3",
                             q ? "UPDATE stock SET count = ?, note = ? WHERE shop = ? AND sku "
                                 "= ?"
                               : "UPDATE stock SET count = $1, note = $2 WHERE shop = $3 AND "
                                 "sku = $4",
                             q ? "UPDATE stock SET count = ? WHERE shop = ? AND sku = ?"
                               : "UPDATE stock SET count = $1 WHERE shop = $2 AND sku = $3"}));
      std::vector<std::string> params;
      for (const auto& p : recorder_.params())
        if (p.starts_with("[params: 1 sets") || p.starts_with("[params: 2 sets"))
          params.push_back(p);
      EXPECT_EQ(params, (std::vector<std::string>{
                            "[params: 1 sets: (11, 1, 'a')]",
                            "[params: 2 sets: (11, 'n1b', 1, 'b'), (21, 'n2a', 2, 'a')]",
                            "[params: 1 sets: (21, 2, 'b')]"}));
    }
    EXPECT_EQ(stock_rows(),
              (std::vector<std::string>{"1a=11/null", "1b=11/n1b", "2a=21/n2a", "2b=21/null"}));
  });
}

TEST_P(UpdateBatchTest, RowsWithTheSameColumnsShareOneBatch) {
  on_both_engines([&](bool echo) {
    add_stock();
    {
      auto s = session_on(echo);
      for (const auto& st : s.query<Stock>().all()) st->note = "same";
      s.commit();
    }
    if (echo) {
      ASSERT_EQ(recorder_.count("UPDATE"), 1u);
      std::vector<std::string> params;
      for (const auto& p : recorder_.params())
        if (p.starts_with("[params: 4 sets")) params.push_back(p);
      ASSERT_EQ(params.size(), 1u);
      EXPECT_TRUE(params[0].starts_with("[params: 4 sets: ('same', 1, 'a'), ('same', 1, 'b')"))
          << params[0];
    }
    EXPECT_EQ(stock_rows(),
              (std::vector<std::string>{"1a=10/same", "1b=10/same", "2a=20/same", "2b=20/same"}));
  });
}

TEST_P(UpdateBatchTest, ChangedCompositeKeyIsWrittenWhereTheOldKeyWasAndRekeys) {
  on_both_engines([&](bool echo) {
    add_stock();
    auto s = session_on(echo);
    auto moved = s.get<Stock>(2, "b");
    ASSERT_TRUE(moved);
    moved->sku = "c";
    moved->count = 99;
    s.flush();
    if (echo) {
      ASSERT_EQ(recorder_.count("UPDATE"), 1u);
      bool found = false;
      for (const auto& p : recorder_.params())
        found = found || p == "[params: 1 sets: ('c', 99, 2, 'b')]";
      EXPECT_TRUE(found) << "the new values, then the old key";
    }
    EXPECT_EQ(s.get<Stock>(2, "c"), moved) << "the identity map has the new key";
    s.commit();
    EXPECT_EQ(stock_rows(),
              (std::vector<std::string>{"1a=10/null", "1b=10/null", "2a=20/null", "2c=99/null"}));
  });
}

TEST_P(UpdateBatchTest, TextKeyWithVersionCounterChecksTheOldVersion) {
  on_both_engines([&](bool echo) {
    {
      auto s = session();
      s.add(make<Page>({.slug = "home", .title = "Home"}));
      s.add(make<Page>({.slug = "about", .title = "About"}));
      s.commit();
    }
    recorder_.clear();
    auto s = session_on(echo);
    auto pages = s.query<Page>().all();
    for (const auto& p : pages) p->title += "!";
    s.commit();
    if (echo) {
      ASSERT_EQ(recorder_.count("UPDATE"), 1u);
      bool found = false;
      for (const auto& p : recorder_.params())
        found = found || p == "[params: 2 sets: ('About!', 2, 'about', 1), "
                              "('Home!', 2, 'home', 1)]";
      EXPECT_TRUE(found) << "key order; the new version, then the key and the old version";
    }
    auto written = rows("SELECT slug, title, version FROM pages ORDER BY slug");
    ASSERT_EQ(written.size(), 2u);
    EXPECT_EQ(written[0][1].as_text(), "About!");
    EXPECT_EQ(written[0][2].as_integer(), 2);
    EXPECT_EQ(written[1][1].as_text(), "Home!");

    // The row's version moves on behind the Session's back: the UPDATE matches
    // no row, and the Session is left as it was (the change still pending, the
    // version not bumped).
    auto home = s.get<Page>("home");
    (void)home->title;
    s.execute(text("UPDATE pages SET version = 7 WHERE slug = 'home'"));
    home->title = "Mine";
    EXPECT_EQ(message_of<StaleDataError>([&] { s.flush(); }),
              "UPDATE statement on table 'pages' expected to update 1 row(s); "
              "0 were matched.");
    EXPECT_EQ(home->title, "Mine");
    EXPECT_EQ(home->version, 2);
    s.rollback();
    EXPECT_EQ(rows("SELECT title FROM pages WHERE slug = 'home'").at(0).at(0).as_text(), "Home!");
  });
}

TEST_P(UpdateBatchTest, PostUpdateOfRowsInsertedByTheSameFlushUsesTheirNewKeys) {
  on_both_engines([&](bool echo) {
    std::vector<Ptr<Widget>> widgets;
    std::vector<Ptr<Entry>> favorites;
    {
      auto s = session_on(echo);
      for (int i = 0; i < 3; ++i) {
        auto w = make<Widget>({.name = "w" + std::to_string(i)});
        auto other = make<Entry>({.name = "other" + std::to_string(i)});
        auto favorite = make<Entry>({.name = "fav" + std::to_string(i)});
        w->entries.push_back(other);
        w->entries.push_back(favorite);
        w->favorite = favorite;
        s.add(w);
        widgets.push_back(w);
        favorites.push_back(favorite);
      }
      s.commit();
      if (echo) {
        const auto updates = recorder_.starting_with("UPDATE");
        ASSERT_EQ(updates.size(), 1u);
        EXPECT_EQ(updates[0], is_sqlite() ? "UPDATE widgets SET favorite_id = ? WHERE id = ?"
                                          : "UPDATE widgets SET favorite_id = $1 WHERE id = $2");
        std::string expected = "[params: 3 sets: ";
        for (int i = 0; i < 3; ++i)
          expected += std::string(i == 0 ? "" : ", ") + "(" +
                      std::to_string(favorites[static_cast<std::size_t>(i)]->id) + ", " +
                      std::to_string(widgets[static_cast<std::size_t>(i)]->id) + ")";
        expected += "]";
        bool found = false;
        for (const auto& p : recorder_.params()) found = found || p == expected;
        EXPECT_TRUE(found) << expected;
      }
      std::vector<std::string> written, wanted;
      for (const auto& r : rows("SELECT w.name, e.name FROM widgets w JOIN entries e ON "
                                "e.id = w.favorite_id ORDER BY w.name"))
        written.push_back(r[0].as_text() + ":" + r[1].as_text());
      for (int i = 0; i < 3; ++i)
        wanted.push_back("w" + std::to_string(i) + ":fav" + std::to_string(i));
      EXPECT_EQ(written, wanted);
      // Deleting clears the post_update keys first (an UPDATE of persistent
      // rows).
      for (const auto& w : widgets) {
        for (const auto& e : w->entries) s.remove(e);
        s.remove(w);
      }
      s.commit();
    }
    EXPECT_EQ(count_rows("widgets") + count_rows("entries"), 0);
  });
}

}  // namespace
