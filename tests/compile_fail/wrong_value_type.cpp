// Must not compile: comparing an integer column with text.
#include <relate/relate.hpp>

struct User {
  std::int64_t id = 0;
};

int main() {
  auto c = relate::col(&User::id) == "five";
  (void)c;
}
