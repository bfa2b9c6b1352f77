// The mapping as a picture: maps the tutorial's users and addresses, the
// stores and items of the second tutorial, and a small document store (a
// folder tree, documents and tags), then writes the Graphviz graph of it all
// to stdout or to the file named by argv[1].
//
//   mapping_graph mapping.dot && dot -Tpng mapping.dot -o mapping.png
//
// docs/mapping.md shows the result and explains how to read it.

#include <cstdint>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include <relate/relate.hpp>

#include "stores_model.hpp"
#include "tutorial_model.hpp"

namespace files {

struct Document;
struct Tag;

struct Folder {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::int64_t> parent_id{};
  std::optional<std::int64_t> owner_id{};
  relate::Many<Folder> children{};
  relate::One<Folder> parent{};
  relate::Many<Document> documents{};
  relate::One<tutorial::User> owner{};
};

struct Document {
  std::int64_t id = 0;
  std::string title{};
  std::int64_t folder_id = 0;
  relate::One<Folder> folder{};
  relate::Many<Tag> tags{};
};

struct Tag {
  std::int64_t id = 0;
  std::string label{};
  relate::Many<Document> documents{};
};

void map(relate::Registry& registry) {
  using relate::ReferentialAction;
  registry.table("document_tags", {relate::column<std::int64_t>("document_id")
                                       .primary_key()
                                       .references("documents.id", ReferentialAction::cascade),
                                   relate::column<std::int64_t>("tag_id").primary_key().references(
                                       "tags.id", ReferentialAction::cascade)});
  registry.map<Folder>("folders", [](auto& m) {
    m.column("id", &Folder::id, relate::primary_key());
    m.column("name", &Folder::name);
    // A subtree goes with its folder even when it was never loaded: the ORM
    // deletes the loaded part, the database the rest.
    m.column("parent_id", &Folder::parent_id,
             relate::foreign_key("folders.id", ReferentialAction::cascade));
    m.column("owner_id", &Folder::owner_id,
             relate::foreign_key("users.id", ReferentialAction::set_null));
    m.relationship(
        "children", &Folder::children,
        {.back_populates = "parent", .cascade = "all, delete-orphan", .passive_deletes = true});
    m.relationship("parent", &Folder::parent, {.back_populates = "children"});
    m.relationship("documents", &Folder::documents,
                   {.back_populates = "folder", .cascade = "all, delete"});
    m.relationship("owner", &Folder::owner);
  });
  registry.map<Document>("documents", [](auto& m) {
    m.column("id", &Document::id, relate::primary_key());
    m.column("title", &Document::title, relate::length(200));
    m.column("folder_id", &Document::folder_id, relate::foreign_key("folders.id"));
    m.relationship("folder", &Document::folder, {.back_populates = "documents"});
    m.relationship("tags", &Document::tags, {.secondary = "document_tags"});
  });
  registry.map<Tag>("tags", [](auto& m) {
    m.column("id", &Tag::id, relate::primary_key());
    m.column("label", &Tag::label, relate::unique());
    m.relationship("documents", &Tag::documents, {.secondary = "document_tags", .viewonly = true});
  });
}

}  // namespace files

int main(int argc, char** argv) {
  relate::Registry registry;
  tutorial::map(registry);
  stores::map(registry, "all, delete");
  files::map(registry);

  const std::string dot = relate::to_dot(registry);
  if (argc < 2) {
    std::cout << dot;
    return 0;
  }
  std::ofstream file(argv[1]);
  file << dot;
  if (!file.flush()) {
    std::cerr << "mapping_graph: cannot write " << argv[1] << "\n";
    return 1;
  }
  return 0;
}
