// Must not compile: a member whose type has no type adapter.
#include <relate/relate.hpp>

struct Point {
  int x = 0, y = 0;
};
struct Shape {
  std::int64_t id = 0;
  Point where{};
};

int main() {
  relate::Registry r;
  r.map<Shape>("shapes", [](auto& m) {
    m.column("id", &Shape::id, relate::primary_key());
    m.column("where", &Shape::where);
  });
}
