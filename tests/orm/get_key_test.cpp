// Session::get() with text primary keys given the way C++ spells text: string
// literals, std::string and std::string_view, alone or in a composite key.

#include <gtest/gtest.h>

#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::OrmTest;

namespace {

struct Country {
  std::string code{};
  std::string name{};
};

struct Seat {
  std::string hall{};
  std::int32_t number = 0;
  bool accessible = false;
};

class GetKeyTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<Country>("countries", [](auto& m) {
      m.column("code", &Country::code, primary_key());
      m.column("name", &Country::name);
    });
    registry_.map<Seat>("seats", [](auto& m) {
      m.column("hall", &Seat::hall, primary_key());
      m.column("number", &Seat::number, primary_key());
      m.column("accessible", &Seat::accessible);
    });
    create_schema();
    auto s = session();
    s.add(make<Country>({.code = "NZ", .name = "New Zealand"}));
    s.add(make<Seat>({.hall = "main", .number = 12, .accessible = true}));
    s.commit();
  }
};
RELATE_INSTANTIATE_BACKENDS(GetKeyTest);

TEST_P(GetKeyTest, StringLiteralsStringsAndViewsNameTheSameRow) {
  auto s = session();
  auto by_literal = s.get<Country>("NZ");
  ASSERT_TRUE(by_literal);
  EXPECT_EQ(by_literal->name, "New Zealand");
  recorder_.clear();
  const std::string code = "NZ";
  EXPECT_EQ(s.get<Country>(code), by_literal);
  EXPECT_EQ(s.get<Country>(std::string_view(code)), by_literal);
  EXPECT_EQ(recorder_.count("SELECT"), 0u) << "the same identity, found in the identity map";
  EXPECT_FALSE(s.get<Country>("AU"));
}

TEST_P(GetKeyTest, CompositeKeysMixLiteralsAndNumbers) {
  auto s = session();
  auto seat = s.get<Seat>("main", 12);
  ASSERT_TRUE(seat);
  EXPECT_TRUE(seat->accessible);
  EXPECT_FALSE(s.get<Seat>("main", 13));
}

}  // namespace
