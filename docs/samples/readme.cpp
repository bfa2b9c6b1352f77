// The example of README.md, run and checked.
#undef NDEBUG  // the samples check what the documentation says with assert()
#include <cassert>
#include <cstdint>
#include <optional>
#include <string>

#include <relate/relate.hpp>

// clang-format off
//! [example]
struct Address { std::int64_t id = 0; std::string email{}; std::optional<std::int64_t> user_id{}; };
struct User { std::int64_t id = 0; std::string name{}; relate::Many<Address> addresses{}; };
//! [example]
// clang-format on

int main() {
  //! [example]
  relate::Registry registry;
  registry.map<User>("users", [](auto& m) {
    m.column("id", &User::id, relate::primary_key());
    m.column("name", &User::name);
    m.relationship("addresses", &User::addresses, {.cascade = "all, delete-orphan"});
  });
  registry.map<Address>("addresses", [](auto& m) {
    m.column("id", &Address::id, relate::primary_key());
    m.column("email", &Address::email);
    m.column("user_id", &Address::user_id, relate::foreign_key("users.id"));
  });
  auto engine = relate::create_engine("sqlite://");  // or "postgresql://user@host/db"
  registry.create_all(engine);
  relate::Session session(engine, registry);
  auto jack = relate::make<User>({.name = "jack"});
  jack->addresses.push_back(relate::make<Address>({.email = "jack@example.com"}));
  session.add(jack);     // the address comes along
  session.commit();      // INSERT the user, then the address with its user_id
  session.remove(jack);  // DELETE the address, then the user, at the next commit
  session.commit();
  //! [example]
  assert(session.query<User>().count() == 0);
  assert(session.query<Address>().count() == 0);
}
