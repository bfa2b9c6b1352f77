// folders: a tree of folders and files kept in a SQLite file (or any database
// URL), changed through relate's cascades.
//
//   folders tree.db mkdir /docs/letters        create folders (and their parents)
//   folders tree.db touch /docs/letters/a.txt 120   create a file, or set its size
//   folders tree.db mv /docs/letters /archive   move a folder or file into a folder
//   folders tree.db rename /archive old         rename a folder or file
//   folders tree.db rm /docs/todo.txt           remove a file or an empty folder
//   folders tree.db rm -r /archive              remove a folder and all below it
//   folders tree.db tree [/docs]                show the tree
//
// The first argument is a SQLite file, or a URL such as postgresql:///mydb.
// The model and the operations are in folders_model.hpp.

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "folders_model.hpp"

namespace {

int usage() {
  std::cerr << "usage: folders <database> mkdir|touch|mv|rename|rm|tree [args]\n"
               "  mkdir <path>            touch <path> [bytes]   mv <path> <folder>\n"
               "  rename <path> <name>    rm [-r] <path>         tree [path]\n";
  return 2;
}

std::string url_of(const std::string& database) {
  if (database.find("://") != std::string::npos) return database;
  return "sqlite:///" + database;  // relative, or sqlite:////absolute
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 3) return usage();
  const std::vector<std::string> args(argv + 3, argv + argc);
  const std::string command = argv[2];

  relate::Registry registry;
  folders::map(registry);
  auto engine = relate::create_engine(url_of(argv[1]));
  registry.create_all(engine);  // tables that exist already are left alone
  relate::Session session(engine, registry);
  folders::Tree tree(session);

  if (command == "mkdir" && args.size() == 1) {
    tree.mkdir(args[0]);
  } else if (command == "touch" && (args.size() == 1 || args.size() == 2)) {
    tree.touch(args[0], args.size() == 2 ? std::stoll(args[1]) : 0);
  } else if (command == "mv" && args.size() == 2) {
    tree.move(args[0], args[1]);
  } else if (command == "rename" && args.size() == 2) {
    tree.rename(args[0], args[1]);
  } else if (command == "rm" && (args.size() == 1 || (args.size() == 2 && args[0] == "-r"))) {
    const std::string& path = args.back();
    const std::string removed = tree.remove(path, args.size() == 2);
    std::cout << "removed " << path << " (" << removed << ")\n";
  } else if (command == "tree" && args.size() <= 1) {
    std::cout << tree.render(args.empty() ? "/" : args[0]);
  } else {
    return usage();
  }
  return 0;
} catch (const folders::TreeError& e) {
  std::cerr << "folders: " << e.what() << "\n";
  return 1;
} catch (const relate::Error& e) {
  std::cerr << "folders: " << e.what() << "\n";
  return 1;
}
