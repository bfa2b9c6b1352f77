#pragma once
// The benchmark's schema: users and their addresses, as in the tutorial. The
// same structs are mapped twice: on users/addresses for every workload but W7,
// and on pusers/paddresses, whose foreign key deletes children ON DELETE
// CASCADE and whose relationship is passive_deletes (W7).

#include <cstdint>
#include <optional>
#include <string>

#include <relate/relate.hpp>

namespace bench {

template <bool Passive>
struct AddressT;

template <bool Passive>
struct UserT {
  std::int64_t id = 0;
  std::string name{};
  std::string fullname{};
  std::string nickname{};
  relate::Many<AddressT<Passive>> addresses{};
};

template <bool Passive>
struct AddressT {
  std::int64_t id = 0;
  std::string email_address{};
  std::optional<std::int64_t> user_id{};
  relate::One<UserT<Passive>> user{};
};

using User = UserT<false>;
using Address = AddressT<false>;
using PUser = UserT<true>;
using PAddress = AddressT<true>;

template <bool Passive>
void map_model(relate::Registry& registry) {
  using U = UserT<Passive>;
  using A = AddressT<Passive>;
  const std::string users = Passive ? "pusers" : "users";
  const std::string addresses = Passive ? "paddresses" : "addresses";
  registry.map<U>(users, [](auto& m) {
    m.column("id", &U::id, relate::primary_key());
    m.column("name", &U::name);
    m.column("fullname", &U::fullname);
    m.column("nickname", &U::nickname);
    m.relationship(
        "addresses", &U::addresses,
        {.back_populates = "user", .cascade = "all, delete-orphan", .passive_deletes = Passive});
  });
  registry.map<A>(addresses, [&users](auto& m) {
    m.column("id", &A::id, relate::primary_key());
    m.column("email_address", &A::email_address, relate::not_null());
    if constexpr (Passive)
      m.column("user_id", &A::user_id,
               relate::foreign_key(users + ".id", relate::ReferentialAction::cascade));
    else
      m.column("user_id", &A::user_id, relate::foreign_key(users + ".id"));
    m.relationship("user", &A::user, {.back_populates = "addresses"});
  });
}

inline void map_all(relate::Registry& registry) {
  map_model<false>(registry);
  map_model<true>(registry);
}

}  // namespace bench
