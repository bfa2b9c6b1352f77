// The folders example (examples/folders.cpp) as an acceptance test on both
// backends: a tree of folders and files whose subtrees move with one UPDATE
// and go with one remove(), through the ORM's cascades for what is loaded and
// the database's ON DELETE CASCADE for the rest.

#include <gtest/gtest.h>

#include "../../examples/folders_model.hpp"
#include "support/orm_fixture.hpp"

using namespace relate;
using folders::Folder;
using folders::Tree;
using folders::TreeError;

namespace {

class FoldersTest : public relate::testing::OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    folders::map(registry_);
    create_schema();
    auto s = session();
    Tree tree(s);
    tree.mkdir("/docs/letters");
    tree.touch("/docs/letters/a.txt", 120);
    tree.touch("/docs/todo.txt", 5);
    tree.mkdir("/photos/2024/summer");
    tree.touch("/photos/2024/summer/beach.jpg", 2048);
    tree.touch("/photos/2024/cover.jpg", 300);
    recorder_.clear();
  }

  std::string folder_names() {
    std::string out;
    for (const auto& row :
         rows("SELECT name FROM folders WHERE parent_id IS NOT NULL ORDER BY name"))
      out += row[0].as_text() + " ";
    return out;
  }
};
RELATE_INSTANTIATE_BACKENDS(FoldersTest);

TEST_P(FoldersTest, TheTreeIsStoredAndShown) {
  EXPECT_EQ(count_rows("folders"), 6) << "the root and five folders";
  EXPECT_EQ(count_rows("files"), 4);
  auto s = session();
  EXPECT_EQ(Tree(s).render(),
            "/\n"
            "  docs/\n"
            "    letters/\n"
            "      a.txt (120 bytes)\n"
            "    todo.txt (5 bytes)\n"
            "  photos/\n"
            "    2024/\n"
            "      summer/\n"
            "        beach.jpg (2048 bytes)\n"
            "      cover.jpg (300 bytes)\n");
}

TEST_P(FoldersTest, MovingASubtreeIsOneUpdateOfItsTopFolder) {
  auto s = session();
  Tree(s).move("/photos/2024", "/docs");
  const auto updates = recorder_.starting_with("UPDATE");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_NE(updates[0].find("parent_id"), std::string::npos) << updates[0];
  EXPECT_EQ(recorder_.count("DELETE"), 0u) << "delete-orphan never fires for a move";
  EXPECT_EQ(rows("SELECT count(*) FROM folders f JOIN folders p ON f.parent_id = p.id "
                 "WHERE f.name = '2024' AND p.name = 'docs'")[0][0]
                .as_integer(),
            1);
  EXPECT_EQ(count_rows("files"), 4) << "the files came along";
}

TEST_P(FoldersTest, MovingAFolderIntoItsOwnSubtreeIsRefusedAndChangesNothing) {
  auto s = session();
  Tree tree(s);
  EXPECT_THROW(tree.move("/photos", "/photos/2024/summer"), TreeError);
  EXPECT_THROW(tree.move("/docs/todo.txt", "/photos/2024/summer/beach.jpg"), TreeError)
      << "a file is not a folder";
  EXPECT_EQ(recorder_.count("UPDATE"), 0u);
  s.rollback();
  EXPECT_EQ(folder_names(), "2024 docs letters photos summer ");
}

TEST_P(FoldersTest, RenamingChecksTheNameIsFree) {
  auto s = session();
  Tree tree(s);
  tree.rename("/docs/letters", "mail");
  EXPECT_EQ(recorder_.count("UPDATE"), 1u);
  EXPECT_THROW(tree.rename("/docs/mail", "todo.txt"), TreeError) << "a file has that name";
  EXPECT_EQ(folder_names(), "2024 docs mail photos summer ");
}

TEST_P(FoldersTest, RemovingAnUnloadedSubtreeLeavesItToTheDatabase) {
  auto s = session();
  EXPECT_EQ(Tree(s).remove("/photos", true), "3 folders, 2 files");
  // passive_deletes: the children were never loaded, so the ORM deletes the
  // one folder it was given and ON DELETE CASCADE removes the rest.
  const auto deletes = recorder_.starting_with("DELETE");
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_NE(deletes[0].find("folders"), std::string::npos) << deletes[0];
  EXPECT_EQ(folder_names(), "docs letters ");
  EXPECT_EQ(count_rows("files"), 2);
}

TEST_P(FoldersTest, RemovingALoadedSubtreeGoesThroughTheOrmCascades) {
  auto s = session();
  Tree tree(s);
  (void)tree.render("/photos");  // loads the whole subtree
  recorder_.clear();
  EXPECT_EQ(tree.remove("/photos", true), "3 folders, 2 files");
  // The loaded rows are deleted by the ORM, deepest first: files, then the
  // folders from the bottom up.
  const auto deletes = recorder_.starting_with("DELETE");
  ASSERT_GE(deletes.size(), 3u);
  EXPECT_NE(deletes.front().find("files"), std::string::npos) << deletes.front();
  EXPECT_EQ(folder_names(), "docs letters ");
  EXPECT_EQ(count_rows("files"), 2);
}

TEST_P(FoldersTest, RemovingANonEmptyFolderNeedsRecursive) {
  auto s = session();
  Tree tree(s);
  EXPECT_THROW(tree.remove("/docs", false), TreeError);
  EXPECT_THROW(tree.remove("/", true), TreeError) << "the root stays";
  EXPECT_EQ(recorder_.count("DELETE"), 0u);
  EXPECT_EQ(tree.remove("/docs/todo.txt", false), "1 file");
  EXPECT_EQ(count_rows("files"), 3);
}

}  // namespace
