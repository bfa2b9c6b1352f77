// The workloads written with relate, as an application would write them.

#include "relate_workloads.hpp"
#include "model.hpp"

namespace bench {

namespace {

// What the loops read, so that the compiler cannot drop the reads.
volatile std::size_t sink = 0;

}  // namespace

Outcome relate_insert(const relate::Engine& e, relate::Registry& r, const Sizes& s) {
  return measured([&] {
    Outcome out;
    relate::Session session(e, r);
    // The program keeps what it built, as the hand-written one keeps its
    // vector of rows with their new keys (both are freed after the timer).
    std::vector<relate::Ptr<User>> users;
    Timer t;
    users.reserve(static_cast<std::size_t>(s.users));
    for (std::int64_t i = 1; i <= s.users; ++i) {
      auto u = relate::make<User>(
          User{.name = user_name(i), .fullname = user_fullname(i), .nickname = user_nickname(i)});
      for (int k = 1; k <= s.addresses; ++k)
        u->addresses.push_back(relate::make<Address>(Address{.email_address = email(i, k)}));
      session.add(u);
      users.push_back(std::move(u));
    }
    session.commit();
    out.seconds = t.seconds();
    out.rows = static_cast<std::int64_t>(s.users) * (1 + s.addresses);
    return out;
  });
}

Outcome relate_load(const relate::Engine& e, relate::Registry& r, const Sizes&) {
  return measured([&] {
    Outcome out;
    const std::size_t before = memory::live();
    relate::Session session(e, r);
    Timer t;
    auto users = session.query<User>().options(relate::selectinload(&User::addresses)).all();
    std::size_t chars = 0;
    for (const auto& u : users) {
      for (const auto& a : u->addresses) {
        chars += a->email_address.size();
        ++out.rows;
      }
      ++out.rows;
    }
    out.seconds = t.seconds();
    out.held_bytes = memory::live() - before;
    sink = sink + chars;
    return out;
  });
}

Outcome relate_get_db(const relate::Engine& e, relate::Registry& r, const Sizes& s) {
  const auto keys = get_keys(s);
  return measured([&] {
    Outcome out;
    relate::Session session(e, r);
    std::vector<relate::Ptr<User>> held;  // so that the identity map keeps them
    held.reserve(keys.size());
    std::int64_t sum = 0;
    Timer t;
    for (auto id : keys) {
      auto u = session.get<User>(id);
      sum += u->id;
      held.push_back(std::move(u));
    }
    out.seconds = t.seconds();
    out.rows = static_cast<std::int64_t>(held.size());
    sink = sink + static_cast<std::size_t>(sum);
    return out;
  });
}

Outcome relate_get_map(const relate::Engine& e, relate::Registry& r, const Sizes& s) {
  const auto keys = get_keys(s);
  return measured([&] {
    Outcome out;
    relate::Session session(e, r);
    auto all = session.query<User>().all();  // the identity map holds every user now
    std::int64_t sum = 0;
    Timer t;
    for (auto id : keys) {
      auto u = session.get<User>(id);
      sum += u->id;
      ++out.rows;
    }
    out.seconds = t.seconds();
    sink = sink + static_cast<std::size_t>(sum);
    return out;
  });
}

Outcome relate_update(const relate::Engine& e, relate::Registry& r, const Sizes&) {
  return measured([&] {
    Outcome out;
    relate::Session session(e, r);
    Timer t;
    auto users = session.query<User>().all();
    for (const auto& u : users) u->name = new_name(u->id);
    session.commit();
    out.seconds = t.seconds();
    out.rows = static_cast<std::int64_t>(users.size());
    return out;
  });
}

Outcome relate_orphan(const relate::Engine& e, relate::Registry& r, const Sizes&) {
  return measured([&] {
    Outcome out;
    relate::Session session(e, r);
    Timer t;
    auto users = session.query<User>().options(relate::selectinload(&User::addresses)).all();
    for (const auto& u : users) {
      if (u->addresses.empty()) continue;
      u->addresses.erase(u->addresses.begin());
      ++out.rows;
    }
    session.commit();
    out.seconds = t.seconds();
    return out;
  });
}

template <class U>
Outcome relate_delete_all(const relate::Engine& e, relate::Registry& r, const Sizes& s) {
  return measured([&] {
    Outcome out;
    relate::Session session(e, r);
    Timer t;
    auto users = session.query<U>().all();
    for (const auto& u : users) session.remove(u);
    session.commit();
    out.seconds = t.seconds();
    out.rows = static_cast<std::int64_t>(users.size()) * (1 + s.addresses);
    return out;
  });
}

Outcome relate_cascade(const relate::Engine& e, relate::Registry& r, const Sizes& s) {
  return relate_delete_all<User>(e, r, s);
}

Outcome relate_passive(const relate::Engine& e, relate::Registry& r, const Sizes& s) {
  return relate_delete_all<PUser>(e, r, s);
}

Outcome relate_stream(const relate::Engine& e, relate::Registry& r, const Sizes& s) {
  return measured([&] {
    Outcome out;
    relate::Session session(e, r);
    const std::int64_t early = std::max<std::int64_t>(1, s.stream_rows / 10);
    std::size_t chars = 0;
    Timer t;
    for (auto u : session.query<User>()) {
      chars += u->name.size();
      if (++out.rows == early) {
        out.peak_early = memory::peak();
        out.malloc_early = memory::malloc_in_use();
      }
    }
    out.seconds = t.seconds();
    out.malloc_end = memory::malloc_in_use();
    sink = sink + chars;
    return out;
  });
}

}  // namespace bench
