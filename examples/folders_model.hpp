#pragma once
// A tree of folders and files kept in a database, shared by the `folders`
// command-line program and its acceptance test.
//
// Folders refer to their parent; the root is a folder with no parent. Both
// Folder.children and Folder.files carry the cascade "all, delete-orphan", and
// both foreign keys say ON DELETE CASCADE, with passive_deletes = true: deleting
// a folder deletes what is loaded of its subtree through the ORM and leaves the
// rest to the database, which is what the foreign keys promise. Moving a folder
// is one UPDATE of its parent_id, whatever is below it: its subtree follows
// because it refers to the folder, not to a path.

#include <cstdint>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <relate/relate.hpp>

namespace folders {

struct File;

struct Folder {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::int64_t> parent_id{};  // NULL for the root
  relate::Many<Folder> children{};
  relate::One<Folder> parent{};
  relate::Many<File> files{};
};

struct File {
  std::int64_t id = 0;
  std::string name{};
  std::int64_t size = 0;
  std::int64_t folder_id = 0;
  relate::One<Folder> folder{};
};

inline void map(relate::Registry& registry) {
  using relate::ReferentialAction;
  registry.map<Folder>("folders", [](auto& m) {
    m.column("id", &Folder::id, relate::primary_key());
    m.column("name", &Folder::name);
    m.column("parent_id", &Folder::parent_id,
             relate::foreign_key("folders.id", ReferentialAction::cascade));
    m.unique({"parent_id", "name"});
    m.relationship("children", &Folder::children,
                   {.back_populates = "parent",
                    .cascade = "all, delete-orphan",
                    .order_by = {"name"},
                    .passive_deletes = true});
    m.relationship("parent", &Folder::parent, {.back_populates = "children"});
    m.relationship("files", &Folder::files,
                   {.back_populates = "folder",
                    .cascade = "all, delete-orphan",
                    .order_by = {"name"},
                    .passive_deletes = true});
  });
  registry.map<File>("files", [](auto& m) {
    m.column("id", &File::id, relate::primary_key());
    m.column("name", &File::name);
    m.column("size", &File::size);
    m.column("folder_id", &File::folder_id,
             relate::foreign_key("folders.id", ReferentialAction::cascade));
    m.unique({"folder_id", "name"});
    m.relationship("folder", &File::folder, {.back_populates = "files"});
  });
}

// What the command line is told when it asks for something impossible.
class TreeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The operations of the command line, on one Session. Each one that changes
// something commits, so a failure leaves the tree as it was.
class Tree {
 public:
  explicit Tree(relate::Session& session) : session_(session) {}

  // Creates the folder and any missing folder above it (mkdir -p).
  void mkdir(std::string_view path) {
    auto folder = root();
    for (const auto& name : split(path)) {
      auto next = child_folder(folder, name);
      if (!next) {
        if (child_file(folder, name))
          throw TreeError(std::string(path) + ": '" + name + "' is a file");
        next = relate::make<Folder>({.name = name});
        folder->children.push_back(next);  // save-update cascade: added with its parent
      }
      folder = next;
    }
    session_.commit();
  }

  // Creates a file in an existing folder, or sets the size of an existing file.
  void touch(std::string_view path, std::int64_t size) {
    auto [folder, name] = parent_and_name(path);
    if (child_folder(folder, name)) throw TreeError(std::string(path) + " is a folder");
    if (auto file = child_file(folder, name)) {
      file->size = size;
    } else {
      folder->files.push_back(relate::make<File>({.name = name, .size = size}));
    }
    session_.commit();
  }

  // Moves a folder (with everything under it) or a file into another folder.
  void move(std::string_view path, std::string_view into) {
    auto target = folder_at(into);
    if (auto folder = folder_or_null(path)) {
      for (auto f = target; f; f = f->parent.get())
        if (f == folder)
          throw TreeError("cannot move " + std::string(path) + " into itself (" +
                          std::string(into) + ")");
      check_free(target, folder->name, into);
      folder->parent = target;  // one UPDATE; never an orphan on the way
    } else {
      auto file = file_at(path);
      check_free(target, file->name, into);
      file->folder = target;
    }
    session_.commit();
  }

  void rename(std::string_view path, const std::string& name) {
    if (name.empty() || name.find('/') != std::string::npos)
      throw TreeError("'" + name + "' is not a name");
    if (auto folder = folder_or_null(path)) {
      if (!folder->parent) throw TreeError("the root has no name to change");
      check_free(folder->parent.get(), name, parent_path(path));
      folder->name = name;
    } else {
      auto file = file_at(path);
      check_free(file->folder.get(), name, parent_path(path));
      file->name = name;
    }
    session_.commit();
  }

  // What removing the path deleted, as "2 folders, 3 files"; without
  // `recursive`, a folder must be empty. The delete itself is one remove():
  // the cascades do the rest.
  std::string remove(std::string_view path, bool recursive) {
    relate::Object target;
    if (auto folder = folder_or_null(path)) {
      if (!folder->parent) throw TreeError("refusing to remove the root");
      if (!recursive && (!folder->children.empty() || !folder->files.empty()))
        throw TreeError(std::string(path) + " is not empty; use rm -r");
      target = folder;
    } else {
      target = file_at(path);
    }
    session_.remove(target);
    const relate::DeletePreview preview = session_.delete_preview();
    session_.commit();
    std::string folders = count(preview, "folders", "folder"),
                files = count(preview, "files", "file");
    return folders.empty() ? files : files.empty() ? folders : folders + ", " + files;
  }

  // The tree under a folder, one entry per line, folders first, by name.
  std::string render(std::string_view path = "/") {
    auto folder = folder_at(path);
    std::ostringstream out;
    out << (folder->parent ? folder->name + "/" : std::string("/")) << "\n";
    render(folder, 1, out);
    return out.str();
  }

 private:
  using FolderPtr = relate::Ptr<Folder>;
  using FilePtr = relate::Ptr<File>;

  static std::vector<std::string> split(std::string_view path) {
    if (!path.starts_with('/')) throw TreeError(std::string(path) + ": paths start with /");
    std::vector<std::string> names;
    std::size_t at = 1;
    while (at < path.size()) {
      auto end = path.find('/', at);
      if (end == std::string_view::npos) end = path.size();
      if (end > at) names.emplace_back(path.substr(at, end - at));
      at = end + 1;
    }
    return names;
  }

  // The root folder, made the first time the tree is used.
  FolderPtr root() {
    auto r = session_.query<Folder>().filter(relate::col(&Folder::parent_id).is_null()).first();
    if (r) return r;
    r = relate::make<Folder>({.name = ""});
    session_.add(r);
    return r;
  }

  static FolderPtr child_folder(const FolderPtr& folder, const std::string& name) {
    for (const auto& c : folder->children)
      if (c->name == name) return c;
    return nullptr;
  }
  static FilePtr child_file(const FolderPtr& folder, const std::string& name) {
    for (const auto& f : folder->files)
      if (f->name == name) return f;
    return nullptr;
  }

  FolderPtr folder_or_null(std::string_view path) {
    auto folder = root();
    for (const auto& name : split(path)) {
      folder = child_folder(folder, name);
      if (!folder) return nullptr;
    }
    return folder;
  }
  FolderPtr folder_at(std::string_view path) {
    auto folder = folder_or_null(path);
    if (!folder) throw TreeError(std::string(path) + ": no such folder");
    return folder;
  }
  static std::string parent_path(std::string_view path) {
    while (path.size() > 1 && path.ends_with('/')) path.remove_suffix(1);
    const auto parent = path.substr(0, path.rfind('/'));
    return parent.empty() ? "/" : std::string(parent);
  }
  std::pair<FolderPtr, std::string> parent_and_name(std::string_view path) {
    auto names = split(path);
    if (names.empty()) throw TreeError(std::string(path) + " is the root");
    return {folder_at(parent_path(path)), names.back()};
  }
  FilePtr file_at(std::string_view path) {
    auto [folder, name] = parent_and_name(path);
    auto file = child_file(folder, name);
    if (!file) throw TreeError(std::string(path) + ": no such file or folder");
    return file;
  }
  static void check_free(const FolderPtr& folder, const std::string& name, std::string_view where) {
    if (child_folder(folder, name) || child_file(folder, name))
      throw TreeError(std::string(where) + " already has an entry named '" + name + "'");
  }

  static std::string count(const relate::DeletePreview& preview, const std::string& table,
                           const std::string& noun) {
    auto it = preview.per_table.find(table);
    const std::size_t n = it == preview.per_table.end() ? 0 : it->second.deleted;
    if (n == 0) return {};
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
  }

  static void render(const FolderPtr& folder, int depth, std::ostringstream& out) {
    const std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
    for (const auto& c : folder->children) {
      out << indent << c->name << "/\n";
      render(c, depth + 1, out);
    }
    for (const auto& f : folder->files) out << indent << f->name << " (" << f->size << " bytes)\n";
  }

  relate::Session& session_;
};

}  // namespace folders
