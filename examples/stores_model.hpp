#pragma once
// The stores-and-items model of the second tutorial, shared by the example
// program and its acceptance test. Items are loaded dynamically: store->items is
// a query, not a list held in memory.

#include <cstdint>
#include <string>

#include <relate/relate.hpp>

namespace stores {

struct Item;

struct Store {
  std::int64_t id = 0;
  std::string name{};
  relate::Dynamic<Item> items{};
};

struct Item {
  std::int64_t id = 0;
  std::string name{};
  std::int64_t store_id = 0;  // NOT NULL: an item always belongs to a store
  relate::One<Store> store{};
};

// `cascade` is the cascade of Store.items: the default ("save-update, merge")
// or "all, delete".
inline void map(relate::Registry& registry, const char* cascade) {
  registry.map<Store>("stores", [cascade](auto& m) {
    m.column("id", &Store::id, relate::primary_key());
    m.column("name", &Store::name);
    m.relationship("items", &Store::items,
                   {.back_populates = "store", .cascade = cascade, .order_by = {"name"}});
  });
  registry.map<Item>("items", [](auto& m) {
    m.column("id", &Item::id, relate::primary_key());
    m.column("name", &Item::name);
    m.column("store_id", &Item::store_id, relate::foreign_key("stores.id"));
    m.relationship("store", &Item::store, {.back_populates = "items"});
  });
}

// "Store 1" with "Item 1" and "Item 2".
inline void fill(relate::Session& session) {
  auto store = relate::make<Store>({.name = "Store 1"});
  store->items.append(relate::make<Item>({.name = "Item 1"}));
  store->items.append(relate::make<Item>({.name = "Item 2"}));
  session.add(store);
  session.commit();
}

}  // namespace stores
