#pragma once
// The users-and-addresses model of the tutorial, shared by the example program
// and its acceptance test.

#include <cstdint>
#include <optional>
#include <string>

#include <relate/relate.hpp>

namespace tutorial {

struct Address;

struct User {
  std::int64_t id = 0;
  std::string name{};
  std::string fullname{};
  std::string nickname{};
  relate::Many<Address> addresses{};
};

struct Address {
  std::int64_t id = 0;
  std::string email_address{};
  std::optional<std::int64_t> user_id{};
  relate::One<User> user{};
};

inline void map(relate::Registry& registry) {
  registry.map<User>("users", [](auto& m) {
    m.column("id", &User::id, relate::primary_key());
    m.column("name", &User::name);
    m.column("fullname", &User::fullname);
    m.column("nickname", &User::nickname);
    m.relationship("addresses", &User::addresses,
                   {.back_populates = "user", .cascade = "all, delete, delete-orphan"});
  });
  registry.map<Address>("addresses", [](auto& m) {
    m.column("id", &Address::id, relate::primary_key());
    m.column("email_address", &Address::email_address, relate::not_null());
    m.column("user_id", &Address::user_id, relate::foreign_key("users.id"));
    m.relationship("user", &Address::user, {.back_populates = "addresses"});
  });
}

}  // namespace tutorial
