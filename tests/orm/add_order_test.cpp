// New objects are INSERTed in the order they were added (spec 6.7). The Session
// numbers them with 32 bits (the number lives in the object's state, which is
// kept at 64 bytes); when the numbers run out it numbers the pending objects
// again without changing their order. The end is reached here without 4
// billion adds, by telling the Session where its numbering stands. On SQLite
// and PostgreSQL.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "orm/session_impl.hpp"
#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::OrmTest;

namespace {

struct Note {
  std::int64_t id = 0;
  std::string text{};
};

// A handle is one pointer: collections and many-to-one members hold these.
static_assert(sizeof(Ptr<Note>) == sizeof(void*));

class AddOrderTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<Note>("notes", [](auto& m) {
      m.column("id", &Note::id, primary_key());
      m.column("text", &Note::text);
    });
    create_schema();
  }
  // The texts as the database has them, in the order their keys were given.
  std::vector<std::string> texts_by_key() {
    std::vector<std::string> out;
    for (const auto& r : rows("SELECT text FROM notes ORDER BY id"))
      out.push_back(r.at(0).as_text());
    return out;
  }
  static constexpr std::uint32_t last = std::numeric_limits<std::uint32_t>::max();
};

using Texts = std::vector<std::string>;

TEST_P(AddOrderTest, InsertsKeepTheAddOrderWhenTheNumbersRunOut) {
  auto s = session();
  std::vector<Ptr<Note>> notes;
  auto add = [&](const std::string& text) {
    notes.push_back(make<Note>({.text = text}));
    s.add(notes.back());
  };
  add("a");
  add("b");
  add("c");
  s.expunge(notes[1]);  // leaves a gap among the numbers
  s.impl().continue_add_order_at(last - 2);
  add("d");  // last - 2
  add("e");  // last - 1
  add("f");  // the numbers ran out: a, c, d, e are 1-4 now, f is 5
  add("g");
  EXPECT_EQ(s.new_objects().size(), 6u);
  s.commit();
  EXPECT_EQ(texts_by_key(), (Texts{"a", "c", "d", "e", "f", "g"}));

  // Objects added after the renumbering still go after the earlier ones, and
  // an object that is expunged and added again goes last.
  add("h");
  add("i");
  s.expunge(notes[7]);
  s.add(notes[7]);
  s.commit();
  EXPECT_EQ(texts_by_key(), (Texts{"a", "c", "d", "e", "f", "g", "i", "h"}));
}

TEST_P(AddOrderTest, RenumberingKeepsTheOrderOfObjectsAddedBeforeAFailedFlush) {
  auto s = session();
  auto first = make<Note>({.text = "first"});
  s.add(first);
  s.impl().continue_add_order_at(last - 1);
  auto second = make<Note>({.text = "second"});
  s.add(second);                                    // last - 1
  auto clash = make<Note>({.id = 1, .text = "x"});  // takes first's key once first is in
  s.add(clash);  // the numbers ran out: first 1, second 2, clash 3
  auto after = make<Note>({.text = "after"});
  s.add(after);  // 4 (without the renumbering it would wrap to 0 and go first)
  EXPECT_THROW(s.flush(), IntegrityError);
  // The failed flush left all four pending in their order; without the
  // clash the same objects go in as added.
  EXPECT_EQ(s.new_objects().size(), 4u);
  s.expunge(clash);
  s.commit();
  EXPECT_EQ(texts_by_key(), (Texts{"first", "second", "after"}));
}

RELATE_INSTANTIATE_BACKENDS(AddOrderTest);

}  // namespace
