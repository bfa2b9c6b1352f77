// The users-and-addresses tutorial (SQLAlchemy's ORM tutorial, in C++).
//
// Five users; jack (primary key 5) has two addresses. User.addresses carries the
// cascade "all, delete, delete-orphan": erasing an address from jack's collection
// deletes it at the next flush, and removing jack deletes his addresses too.
// Echo is on, so every statement is printed.
//
// Run it with ./scripts/example (in-memory SQLite), or give a URL:
//   ./build/example/examples/tutorial postgresql:///mydb

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

#include <relate/relate.hpp>

#include "tutorial_model.hpp"

using tutorial::Address;
using tutorial::User;

int main(int argc, char** argv) try {
  relate::Registry registry;
  tutorial::map(registry);

  auto engine = relate::create_engine(argc > 1 ? argv[1] : "sqlite://", {.echo = true});
  registry.drop_all(engine);
  registry.create_all(engine);

  {
    relate::Session session(engine, registry);
    session.add_all({
        relate::make<User>({.name = "ed", .fullname = "Ed Jones", .nickname = "eddie"}),
        relate::make<User>({.name = "wendy", .fullname = "Wendy Williams", .nickname = "windy"}),
        relate::make<User>({.name = "mary", .fullname = "Mary Contrary", .nickname = "mary"}),
        relate::make<User>({.name = "fred", .fullname = "Fred Flintstone", .nickname = "freddy"}),
    });
    auto jack = relate::make<User>(
        {.id = 5, .name = "jack", .fullname = "Jack Bean", .nickname = "gjffdd"});
    jack->addresses = {relate::make<Address>({.email_address = "jack@google.com"}),
                       relate::make<Address>({.email_address = "j25@yahoo.com"})};
    session.add(jack);
    session.commit();
  }

  relate::Session session(engine, registry);
  const auto jacks_emails =
      relate::col(&Address::email_address).in({"jack@google.com", "j25@yahoo.com"});

  auto jack = session.get<User>(5);
  // The lazy load of jack's addresses fires here; the second one is now an orphan.
  jack->addresses.erase(jack->addresses.begin() + 1);
  // The query autoflushes first: the orphan is deleted.
  const auto after_erase = session.query<Address>().filter(jacks_emails).count();
  std::cout << "addresses left among jack's two: " << after_erase << '\n';

  session.remove(jack);  // SQLAlchemy's session.delete(jack)
  const auto jacks = session.query<User>().filter_by(&User::name, "jack").count();
  const auto addresses = session.query<Address>().filter(jacks_emails).count();
  std::cout << "users named jack: " << jacks << '\n'
            << "addresses left among jack's two: " << addresses << '\n';
  session.commit();
  session.close();
  return 0;
} catch (const relate::Error& e) {
  std::cerr << "error: " << e.what() << '\n';
  return 1;
}
