// Built with nothing but `pkg-config --cflags --libs relate`: the include path,
// the library and its SQLite, libpq and thread dependencies must all be there.

#include <iostream>

#include <relate/relate.hpp>

int main() {
  auto engine = relate::create_engine("sqlite://");
  auto conn = engine.connect();
  const auto answer = conn.execute(relate::text("SELECT 6 * 7")).scalar<int>();
  std::cout << "relate " << relate::version() << " via pkg-config: " << answer << "\n";
  return answer == 42 ? 0 : 1;
}
