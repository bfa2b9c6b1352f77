// A small program built against relate from outside its tree: maps a struct,
// writes two rows to an in-memory SQLite database and reads them back.

#include <cstdint>
#include <iostream>
#include <string>

#include <relate/relate.hpp>

struct Note {
  std::int64_t id = 0;
  std::string text{};
};

int main() {
  if (relate::version() != RELATE_VERSION_STRING) {
    std::cerr << "headers " << RELATE_VERSION_STRING << " but library " << relate::version()
              << "\n";
    return 1;
  }
  relate::Registry registry;
  registry.map<Note>("notes", [](auto& m) {
    m.column("id", &Note::id, relate::primary_key());
    m.column("text", &Note::text);
  });
  auto engine = relate::create_engine("sqlite://");
  registry.create_all(engine);
  relate::Session session(engine, registry);
  session.add(relate::make<Note>({.text = "first"}));
  session.add(relate::make<Note>({.text = "second"}));
  session.commit();
  const auto notes = session.query<Note>().count();
  std::cout << "relate " << relate::version() << ": " << notes << " notes\n";
  return notes == 2 ? 0 : 1;
}
