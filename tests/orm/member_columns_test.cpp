// Column adapters are shared per member type and reach each member at its
// offset (mapper.hpp): members of one type at different places, members of a
// base class in a struct that is not standard-layout, user type adapters, and
// the errors that name the struct and column, on both backends.

#include <gtest/gtest.h>

#include "orm_test_util.hpp"
#include "support/orm_fixture.hpp"

namespace {

// Cents, never negative: its adapter refuses what the database may hold.
struct Money {
  std::int64_t cents = 0;
  friend bool operator==(const Money&, const Money&) = default;
};

}  // namespace

template <>
struct relate::type_adapter<Money> {
  static constexpr relate::SqlType sql_type{relate::TypeKind::big_integer};
  static relate::Value to_value(const Money& m) { return relate::Value(m.cents); }
  static Money from_value(const relate::Value& v) {
    if (v.as_integer() < 0) throw relate::ConversionError("a negative amount of money");
    return {v.as_integer()};
  }
};

using namespace relate;
using relate::testing::message_of;
using relate::testing::OrmTest;

namespace {

// Five members of one type and four of another, interleaved.
struct Contact {
  std::int64_t id = 0;
  std::string first{};
  std::int32_t rank = 0;
  std::string last{};
  std::int32_t age = 0;
  std::string email{};
  std::optional<std::string> phone{};
  std::int32_t score = 0;
  std::string city{};
  std::int32_t visits = 0;
  std::string unmapped{};
};

// The same members in the same places as Contact's first three.
struct Lookalike {
  std::int64_t id = 0;
  std::string first{};
  std::int32_t rank = 0;
};

// Another view of the contacts table.
struct ContactView {
  std::int64_t id = 0;
  std::string phone{};
};

struct Stamped {
  std::int64_t id = 0;
  std::string created{};
};
// Not standard-layout (a base with members, a virtual function): no offsetof.
struct Note : Stamped {
  std::string body{};
  Money fee{};
  std::optional<Money> tip{};
  virtual ~Note() = default;
  virtual std::string summary() const { return created + ": " + body; }
};

class MemberColumnsTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<Contact>("contacts", [](auto& m) {
      m.column("id", &Contact::id, primary_key());
      m.column("first", &Contact::first);
      m.column("rank", &Contact::rank);
      m.column("last", &Contact::last);
      m.column("age", &Contact::age);
      m.column("email", &Contact::email);
      m.column("phone", &Contact::phone);
      m.column("score", &Contact::score);
      m.column("city", &Contact::city);
      m.column("visits", &Contact::visits);
    });
    registry_.map<Lookalike>("lookalikes", [](auto& m) {
      m.column("id", &Lookalike::id, primary_key());
      m.column("first", &Lookalike::first);
    });
    registry_.map<Note>("notes", [](auto& m) {
      m.column("id", static_cast<std::int64_t Note::*>(&Stamped::id), primary_key());
      m.column("created", static_cast<std::string Note::*>(&Stamped::created));
      m.column("body", &Note::body);
      m.column("fee", &Note::fee);
      m.column("tip", &Note::tip);
    });
    create_schema();
  }

  Ptr<Contact> ann() {
    return make<Contact>({.first = "Ann",
                          .rank = 1,
                          .last = "Lee",
                          .age = 42,
                          .email = "ann@example.org",
                          .phone = "555-0101",
                          .score = 7,
                          .city = "Oslo",
                          .visits = 3});
  }
};

RELATE_INSTANTIATE_BACKENDS(MemberColumnsTest);

TEST_P(MemberColumnsTest, EachMemberOfOneTypeReachesItsOwnColumn) {
  {
    auto s = session();
    s.add(ann());
    s.commit();
  }
  auto r = rows("SELECT first, rank, last, age, email, phone, score, city, visits FROM contacts");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0].as_text(), "Ann");
  EXPECT_EQ(r[0][1].as_integer(), 1);
  EXPECT_EQ(r[0][2].as_text(), "Lee");
  EXPECT_EQ(r[0][3].as_integer(), 42);
  EXPECT_EQ(r[0][4].as_text(), "ann@example.org");
  EXPECT_EQ(r[0][5].as_text(), "555-0101");
  EXPECT_EQ(r[0][6].as_integer(), 7);
  EXPECT_EQ(r[0][7].as_text(), "Oslo");
  EXPECT_EQ(r[0][8].as_integer(), 3);

  auto s = session();
  auto c = s.query<Contact>().one();
  EXPECT_EQ(c->first, "Ann");
  EXPECT_EQ(c->rank, 1);
  EXPECT_EQ(c->last, "Lee");
  EXPECT_EQ(c->age, 42);
  EXPECT_EQ(c->email, "ann@example.org");
  EXPECT_EQ(c->phone, "555-0101");
  EXPECT_EQ(c->score, 7);
  EXPECT_EQ(c->city, "Oslo");
  EXPECT_EQ(c->visits, 3);

  // A change to one of them updates that column alone.
  c->last = "Park";
  recorder_.clear();
  s.flush();
  const auto updates = recorder_.starting_with("UPDATE");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_NE(updates[0].find("\"last\""), std::string::npos) << updates[0];
  for (const char* other : {"\"first\"", "\"email\"", "\"city\"", "\"rank\"", "\"age\""})
    EXPECT_EQ(updates[0].find(other), std::string::npos) << updates[0];
}

TEST_P(MemberColumnsTest, ColumnIndexTellsMembersOfOneTypeApart) {
  const Mapper& m = registry_.mapper<Contact>();
  EXPECT_EQ(m.columns()[m.column_index(&Contact::first)]->column_name(), "first");
  EXPECT_EQ(m.columns()[m.column_index(&Contact::last)]->column_name(), "last");
  EXPECT_EQ(m.columns()[m.column_index(&Contact::email)]->column_name(), "email");
  EXPECT_EQ(m.columns()[m.column_index(&Contact::city)]->column_name(), "city");
  EXPECT_EQ(m.columns()[m.column_index(&Contact::rank)]->column_name(), "rank");
  EXPECT_EQ(m.columns()[m.column_index(&Contact::visits)]->column_name(), "visits");
  EXPECT_EQ(m.columns()[m.column_index(&Contact::phone)]->column_name(), "phone");

  {
    auto s = session();
    s.add(ann());
    s.add(make<Contact>({.first = "Lee", .last = "Ann", .city = "Lee", .visits = 1}));
    s.commit();
  }
  auto s = session();
  auto firsts = [&](Criterion where) {
    std::vector<std::string> out;
    for (const auto& c : s.query<Contact>().filter(where).order_by(asc(&Contact::first)).all())
      out.push_back(c->first);
    return out;
  };
  EXPECT_EQ(firsts(col(&Contact::first) == "Lee"), std::vector<std::string>{"Lee"});
  EXPECT_EQ(firsts(col(&Contact::last) == "Lee"), std::vector<std::string>{"Ann"});
  EXPECT_EQ(firsts(col(&Contact::city) == "Lee"), std::vector<std::string>{"Lee"});
  EXPECT_EQ(firsts(col(&Contact::visits) == 3), std::vector<std::string>{"Ann"});
  EXPECT_EQ(firsts(col(&Contact::rank) == 0), std::vector<std::string>{"Lee"});
}

TEST_P(MemberColumnsTest, AnUnmappedMemberOrAnotherStructsMemberIsAnInvalidRequest) {
  const Mapper& contacts = registry_.mapper<Contact>();
  const std::string unmapped =
      message_of<InvalidRequest>([&] { (void)contacts.column_index(&Contact::unmapped); });
  EXPECT_NE(unmapped.find("is not mapped to a column"), std::string::npos) << unmapped;
  EXPECT_NE(unmapped.find("Contact"), std::string::npos) << unmapped;
  // Same type, same offset as the mapped Contact::first, but of another struct.
  EXPECT_THROW((void)contacts.column_index(&Lookalike::first), InvalidRequest);
  // And the other way round: Lookalike maps `first` but not `rank`.
  const Mapper& lookalikes = registry_.mapper<Lookalike>();
  EXPECT_EQ(lookalikes.columns()[lookalikes.column_index(&Lookalike::first)]->column_name(),
            "first");
  EXPECT_THROW((void)lookalikes.column_index(&Lookalike::rank), InvalidRequest);
}

TEST_P(MemberColumnsTest, BaseMembersOfAStructThatIsNotStandardLayout) {
  std::int64_t id = 0;
  {
    auto s = session();
    Note n;
    n.created = "2024-05-01";
    n.body = "paid";
    n.fee = Money{250};
    auto note = make<Note>(std::move(n));
    s.add(note);
    s.commit();
    id = note->id;
    EXPECT_GT(id, 0);
  }
  auto r = rows("SELECT id, created, body, fee, tip FROM notes");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0].as_integer(), id);
  EXPECT_EQ(r[0][1].as_text(), "2024-05-01");
  EXPECT_EQ(r[0][2].as_text(), "paid");
  EXPECT_EQ(r[0][3].as_integer(), 250);
  EXPECT_TRUE(r[0][4].is_null());

  auto s = session();
  auto note = s.get<Note>(id);
  ASSERT_TRUE(note);
  EXPECT_EQ(note->summary(), "2024-05-01: paid");
  EXPECT_EQ(note->fee, Money{250});
  EXPECT_FALSE(note->tip.has_value());
  const Mapper& m = registry_.mapper<Note>();
  EXPECT_EQ(
      m.columns()[m.column_index(static_cast<std::int64_t Note::*>(&Stamped::id))]->column_name(),
      "id");
  EXPECT_EQ(m.columns()[m.column_index(&Note::fee)]->column_name(), "fee");

  // A user type's change is found like any other, and only it is written.
  recorder_.clear();
  s.flush();
  EXPECT_EQ(recorder_.count("UPDATE"), 0u);
  note->tip = Money{40};
  s.commit();
  EXPECT_EQ(rows("SELECT tip FROM notes")[0][0].as_integer(), 40);
}

TEST_P(MemberColumnsTest, ConversionErrorsNameTheStructAndColumn) {
  {
    auto s = session();
    s.add(make<Contact>({.first = "Ann"}));
    Note n;
    n.body = "refund";
    s.add(make<Note>(std::move(n)));
    s.commit();
  }
  {
    auto conn = engine_->connect();
    auto tx = conn.begin();
    conn.execute(text("UPDATE notes SET fee = -5"));
    tx.commit();
  }
  // A user adapter's refusal (a type the library does not compile in).
  {
    auto s = session();
    const std::string fee = message_of<ConversionError>([&] { (void)s.query<Note>().all(); });
    EXPECT_NE(fee.find("Note.fee: a negative amount of money"), std::string::npos) << fee;
  }
  // NULL (contacts.phone is nullable) for a member of a type the library does
  // compile in, mapped as not optional by a second registry.
  Registry views;
  views.map<ContactView>("contacts", [](auto& m) {
    m.column("id", &ContactView::id, primary_key());
    m.column("phone", &ContactView::phone);
  });
  Session s(*engine_, views);
  const std::string phone =
      message_of<ConversionError>([&] { (void)s.query<ContactView>().all(); });
  EXPECT_NE(phone.find("ContactView.phone: NULL cannot be stored in a non-optional"),
            std::string::npos)
      << phone;
}

}  // namespace

// make<T>() finds T's mapper in a process-wide table, and each thread keeps its
// last answer while the table is unchanged. Mapping T in another Registry, and
// that Registry going away, both change the table: an object made afterwards
// must not carry the other (by then destroyed) Registry's mapper.
TEST_P(MemberColumnsTest, ObjectsMadeAfterTheirTypeIsMappedAgainUseTheLatestMapping) {
  auto first = make<Lookalike>({.first = "one"});  // the thread remembers registry_'s mapper
  {
    Registry other;
    other.map<Lookalike>("other_lookalikes", [](auto& m) {
      m.column("id", &Lookalike::id, primary_key());
      m.column("first", &Lookalike::first);
      m.column("rank", &Lookalike::rank);
    });
    other.create_all(*engine_);
    auto second = make<Lookalike>({.first = "two", .rank = 2});
    Session s(*engine_, other);
    s.add(second);
    s.commit();
  }
  // `other` is gone, and so is its mapping of Lookalike: a new object has no
  // mapper until a Session of registry_ takes it.
  auto third = make<Lookalike>({.first = "three"});
  {
    auto s = session();
    s.add(first);
    s.add(third);
    s.commit();
  }
  auto mine = rows("SELECT first FROM lookalikes ORDER BY first");
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0][0].as_text(), "one");
  EXPECT_EQ(mine[1][0].as_text(), "three");
  auto others = rows("SELECT first, rank FROM other_lookalikes");
  ASSERT_EQ(others.size(), 1u);
  EXPECT_EQ(others[0][0].as_text(), "two");
  EXPECT_EQ(others[0][1].as_integer(), 2);
}
