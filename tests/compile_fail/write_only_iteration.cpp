// Must not compile: iterating a write-only collection (spec 7.1).
#include <relate/relate.hpp>

struct Entry;
struct Account {
  std::int64_t id = 0;
  relate::WriteOnly<Entry> entries{};
};
struct Entry {
  std::int64_t id = 0;
};

int main() {
  auto a = relate::make<Account>();
  for (const auto& e : a->entries) (void)e;
}
