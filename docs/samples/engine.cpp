// The samples of docs/engine.md: engines, connections, transactions, results,
// executemany and echo, on the Core layer.
#undef NDEBUG  // the samples check what the documentation says with assert()
#include <cassert>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <relate/relate.hpp>

#include "sample_support.hpp"

namespace {

void overview(const std::string& url, const relate::Table& items) {
  //! [overview]
  // url: "postgresql://app:secret@db.internal/shop", "sqlite:///shop.db", ...
  auto engine = relate::create_engine(url, {.pool_size = 10});
  auto conn = engine.connect();  // back to the pool when conn goes out of scope
  auto tx = conn.begin();        // rolls back unless committed
  conn.execute(relate::insert(items).values({{"name", "lamp"}}));
  {
    auto sp = conn.begin_nested();  // SAVEPOINT sp_1
    conn.execute(relate::delete_from(items));
  }  // ROLLBACK TO SAVEPOINT sp_1
  tx.commit();
  //! [overview]
  auto n = conn.execute(relate::select({relate::count()}).from(items)).scalar<std::int64_t>();
  assert(n == 1);
}

void masked() {
  //! [masked]
  auto engine = relate::create_engine("postgresql://app:secret@db.internal/shop");
  assert(engine.url() == "postgresql://app:***@db.internal/shop");  // nothing connects yet
  //! [masked]
}

void results(const relate::Engine& engine, const relate::Table& items) {
  auto conn = engine.connect();
  //! [execute-many]
  std::vector<std::vector<relate::Value>> rows{{"desk", 250}, {"chair", 80}, {"shelf", 120}};
  conn.execute_many(relate::insert(items).bind_columns({"name", "price"}), rows);
  //! [execute-many]

  //! [results]
  auto result = conn.execute(relate::select({items.c("name"), items.c("price")})
                                 .where(items.c("price") >= relate::bind("min"))
                                 .order_by({items.c("price")}),
                             {{"min", 100}});
  for (const auto& row : result)  // rows are read as the loop reaches them
    std::cout << row.get<std::string>("name") << " " << row.get<std::int64_t>(1) << "\n";
  //! [results]

  //! [text]
  auto cheapest =
      conn.execute(relate::text("SELECT name FROM items WHERE price < :limit").bind("limit", 100))
          .one()
          .get<std::string>(0);
  assert(cheapest == "chair");
  //! [text]
}

void echo(const relate::Table& items) {
  //! [echo]
  auto engine = relate::create_engine(
      "sqlite://",
      {.echo = true, .echo_sink = [](std::string_view line) { std::cout << line << "\n"; }});
  auto conn = engine.connect();
  auto tx = conn.begin();
  conn.execute(
      relate::text("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price INTEGER)"));
  conn.execute(relate::insert(items).values({{"name", "lamp"}, {"price", 30}}));
  tx.commit();
  //! [echo]
}

}  // namespace

int main() {
  //! [table]
  relate::MetaData metadata;
  auto& items = metadata.table("items", {relate::column<std::int64_t>("id").primary_key(),
                                         relate::column<std::string>("name"),
                                         relate::column<std::optional<std::int64_t>>("price")});
  //! [table]
  {
    auto engine = relate::create_engine("sqlite:///shop.db");
    relate::drop_all(engine, metadata);
    relate::create_all(engine, metadata);
    overview("sqlite:///shop.db", items);
  }
  masked();
  auto engine = relate::create_engine("sqlite://");
  relate::create_all(engine, metadata);
  output_region("results");
  results(engine, items);
  output_region("results");
  output_region("echo");
  echo(items);
  output_region("echo");
}
