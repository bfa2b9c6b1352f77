// The main example: relate's Core layer on an in-memory SQLite database with
// SQL echo on. Tables are declared once, created, filled with bound parameters,
// queried, and a transaction is rolled back without a trace.
//
// Run it with ./scripts/example (or pass another URL: ./scripts/example postgresql:///db).

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

#include <relate/relate.hpp>

int main(int argc, char** argv) try {
  const std::string url = argc > 1 ? argv[1] : "sqlite://";
  auto engine = relate::create_engine(url, {.echo = true});

  relate::MetaData metadata;
  auto& users = metadata.table("users", {
                                            relate::column<std::int64_t>("id").primary_key(),
                                            relate::column<std::string>("name").unique(),
                                            relate::column<std::optional<std::string>>("fullname"),
                                        });
  auto& addresses =
      metadata.table("addresses", {
                                      relate::column<std::int64_t>("id").primary_key(),
                                      relate::column<std::string>("email_address"),
                                      relate::column<std::int64_t>("user_id").references(
                                          "users.id", relate::ReferentialAction::cascade),
                                  });

  relate::create_all(engine, metadata);
  auto conn = engine.connect();

  {
    auto tx = conn.begin();
    auto jack = conn.execute(relate::insert(users)
                                 .values({{"name", "jack"}, {"fullname", "Jack Bean"}})
                                 .returning({users.c("id")}))
                    .scalar<std::int64_t>();
    // One statement, many parameter sets.
    std::vector<std::vector<relate::Value>> rows{{"jack@google.com", jack},
                                                 {"j25@yahoo.com", jack}};
    conn.execute_many(relate::insert(addresses).bind_columns({"email_address", "user_id"}), rows);
    tx.commit();
  }

  auto result = conn.execute(
      relate::select({users.c("name"), addresses.c("email_address")})
          .from(relate::join(users, addresses, users.c("id") == addresses.c("user_id")))
          .where(addresses.c("email_address").like("%@google.com"))
          .order_by({addresses.c("email_address")}));
  for (const auto& row : result)
    std::cout << row.get<std::string>("name") << " <" << row.get<std::string>("email_address")
              << ">\n";

  {
    auto tx = conn.begin();
    conn.execute(relate::delete_from(addresses));
    auto left =
        conn.execute(relate::select({relate::count()}).from(addresses)).scalar<std::int64_t>();
    std::cout << "inside the transaction: " << left << " addresses\n";
  }  // not committed: rolled back here

  auto kept =
      conn.execute(relate::select({relate::count()}).from(addresses)).scalar<std::int64_t>();
  std::cout << "after the rollback: " << kept << " addresses\n";
  return 0;
} catch (const relate::Error& e) {
  std::cerr << "error: " << e.what() << '\n';
  return 1;
}
