// The users-and-addresses tutorial as an acceptance test on both backends: the
// same steps as examples/tutorial.cpp, asserting counts, rows and statements.

#include <gtest/gtest.h>

#include "../../examples/tutorial_model.hpp"
#include "support/orm_fixture.hpp"

using namespace relate;
using tutorial::Address;
using tutorial::User;

namespace {

class TutorialTest : public relate::testing::OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    tutorial::map(registry_);
    create_schema();
    auto s = session();
    for (const char* n : {"ed", "wendy", "mary", "fred"}) s.add(make<User>({.name = n}));
    auto jack = make<User>({.id = 5, .name = "jack", .fullname = "Jack Bean"});
    jack->addresses = {make<Address>({.email_address = "jack@google.com"}),
                       make<Address>({.email_address = "j25@yahoo.com"})};
    s.add(jack);
    s.commit();
    recorder_.clear();
  }
};
RELATE_INSTANTIATE_BACKENDS(TutorialTest);

TEST_P(TutorialTest, EraseAnAddressThenRemoveJack) {
  auto s = session();
  const auto jacks_emails = col(&Address::email_address).in({"jack@google.com", "j25@yahoo.com"});
  auto jack = s.get<User>(5);
  jack->addresses.erase(jack->addresses.begin() + 1);
  EXPECT_EQ(recorder_.count("SELECT"), 2u) << "jack, then the lazy load of his addresses";
  EXPECT_EQ(s.query<Address>().filter(jacks_emails).count(), 1);
  EXPECT_EQ(recorder_.count("DELETE FROM addresses"), 1u) << "autoflush deleted the orphan";
  s.remove(jack);
  EXPECT_EQ(s.query<User>().filter_by(&User::name, "jack").count(), 0);
  EXPECT_EQ(s.query<Address>().filter(jacks_emails).count(), 0);
  const auto statements = recorder_.statements();
  s.commit();
  s.close();
  // The remaining address went before jack.
  std::vector<std::string> deletes;
  for (const auto& st : statements)
    if (st.starts_with("DELETE")) deletes.push_back(st);
  ASSERT_EQ(deletes.size(), 3u);
  EXPECT_NE(deletes[1].find("addresses"), std::string::npos);
  EXPECT_NE(deletes[2].find("users"), std::string::npos);
  EXPECT_EQ(count_rows("users"), 4);
  EXPECT_EQ(count_rows("addresses"), 0);
}

}  // namespace
