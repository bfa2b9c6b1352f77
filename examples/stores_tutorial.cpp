// The stores-and-items tutorial: what happens to a store's items when the store
// is deleted, without a cascade and with cascade "all, delete".
//
// Runs on the PostgreSQL server given as the first argument, or on an in-memory
// SQLite database:
//   ./build/example/examples/stores_tutorial postgresql:///mydb

#include <iostream>

#include "stores_model.hpp"

using stores::Item;
using stores::Store;

namespace {

void show_counts(relate::Session& session) {
  const auto store_count = session.query<Store>().count();
  const auto item_count = session.query<Item>().count();
  std::cout << "  stores: " << store_count << ", items: " << item_count << '\n';
}

void run(const relate::Engine& engine, const char* cascade) {
  std::cout << "\n== Store.items with cascade \"" << cascade << "\"\n";
  relate::Registry registry;
  stores::map(registry, cascade);
  registry.drop_all(engine);
  registry.create_all(engine);
  relate::Session session(engine, registry);
  stores::fill(session);

  auto store = session.query<Store>().filter_by(&Store::name, "Store 1").one();
  std::cout << "  Store 1 has " << store->items.count() << " items\n";
  session.remove(store);
  try {
    session.commit();
    std::cout << "  deleted Store 1\n";
  } catch (const relate::IntegrityError& e) {
    std::cout << "  the database refused: " << e.what() << '\n';
    if (!e.sqlstate().empty()) std::cout << "  SQLSTATE " << e.sqlstate() << '\n';
    session.rollback();
    std::cout << "  nothing was deleted:\n";
  }
  show_counts(session);
  session.close();
  registry.drop_all(engine);
}

}  // namespace

int main(int argc, char** argv) try {
  auto engine = relate::create_engine(argc > 1 ? argv[1] : "sqlite://", {.echo = argc > 2});
  run(engine, "save-update, merge");
  run(engine, "all, delete");
  return 0;
} catch (const relate::Error& e) {
  std::cerr << "error: " << e.what() << '\n';
  return 1;
}
