// What change detection compares members with: the packed committed values
// and the expired-column flags of an object (unit tests), and exact change
// detection through real flushes for every common member type, on SQLite and
// PostgreSQL.

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>

#include "support/orm_fixture.hpp"

using namespace relate;
using relate::detail::ColumnBits;
using relate::detail::CommittedValues;
using relate::detail::ValuePacker;
using relate::testing::OrmTest;

namespace {

CommittedValues packed(const std::vector<Value>& values) {
  std::string buffer;
  ValuePacker packer(buffer);
  for (const auto& v : values) packer.value(v);
  CommittedValues c;
  c.assign(packer);
  return c;
}

TEST(CommittedValues, EveryKindRoundTrips) {
  std::string long_text(300, 'x');  // its size needs two bytes
  long_text[150] = '\0';
  const std::vector<Value> values = {Value(),
                                     Value(std::int64_t{0}),
                                     Value(std::int64_t{-1}),
                                     Value(std::int64_t{300}),
                                     Value(std::numeric_limits<std::int64_t>::min()),
                                     Value(std::numeric_limits<std::int64_t>::max()),
                                     Value(1.5),
                                     Value(-0.0),
                                     Value(true),
                                     Value(false),
                                     Value(std::string()),
                                     Value(long_text),
                                     Value(Blob{std::byte{0}, std::byte{255}}),
                                     Value(Blob{})};
  const CommittedValues c = packed(values);
  ASSERT_EQ(c.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(c[i], values[i]) << "value " << i;
    EXPECT_EQ(c.at(i), values[i]) << "value " << i;
    EXPECT_EQ(c.ref(i).kind(), values[i].kind()) << "value " << i;
    EXPECT_TRUE(c.ref(i) == values[i]) << "value " << i;
  }
  EXPECT_TRUE(std::signbit(c[7].as_real()));  // -0.0 keeps its sign
  EXPECT_EQ(c[11].as_text().size(), 300u);
  std::vector<Value> seen;
  c.for_each([&](std::size_t i, const detail::ValueRef& r) {
    EXPECT_EQ(i, seen.size());
    seen.push_back(r.to_value());
  });
  EXPECT_EQ(seen, values);
}

TEST(CommittedValues, RefComparesLikeValue) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const CommittedValues c =
      packed({Value(std::int64_t{1}), Value(std::string("a")), Value(nan), Value(false)});
  EXPECT_FALSE(c.ref(0) == Value(true));  // another kind, as Value's own == says
  EXPECT_FALSE(c.ref(0) == Value(std::int64_t{2}));
  EXPECT_FALSE(c.ref(0) == Value(1.0));
  EXPECT_FALSE(c.ref(1) == Value(std::string("b")));
  EXPECT_FALSE(c.ref(1) == Value(std::string("ab")));
  EXPECT_FALSE(c.ref(1) == Value());
  EXPECT_FALSE(c.ref(2) == Value(nan));  // NaN equals nothing, as with Value
  EXPECT_FALSE(Value(nan) == Value(nan));
  EXPECT_FALSE(c.ref(3) == Value(std::int64_t{0}));
  EXPECT_TRUE(c.ref(3) == Value(false));
}

TEST(CommittedValues, SetReplacesOneValueOrExtendsWithNulls) {
  CommittedValues c = packed({Value(std::int64_t{1}), Value(std::string("two"))});
  c.set(1, Value(std::string("zwei")));
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], Value(std::int64_t{1}));
  EXPECT_EQ(c[1], Value(std::string("zwei")));
  c.set(3, Value(4.0));
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[1], Value(std::string("zwei")));
  EXPECT_TRUE(c[2].is_null());
  EXPECT_EQ(c[3], Value(4.0));
}

TEST(CommittedValues, EmptyAndOutOfRange) {
  CommittedValues c;
  EXPECT_EQ(c.size(), 0u);
  EXPECT_TRUE(c.empty());
  EXPECT_TRUE(c.ref(0).is_null());
  EXPECT_THROW((void)c.at(0), std::out_of_range);
  c = packed({Value(std::int64_t{7})});
  EXPECT_EQ(c.at(0), Value(std::int64_t{7}));
  EXPECT_THROW((void)c.at(1), std::out_of_range);
  EXPECT_TRUE(c.ref(1).is_null());
  c.clear();
  EXPECT_TRUE(c.empty());
}

TEST(ColumnBits, InOneWordAndBeyond) {
  ColumnBits b;
  EXPECT_EQ(b.size(), 0u);
  b.assign(70, false);
  ASSERT_EQ(b.size(), 70u);
  for (std::size_t i = 0; i < 70; ++i) EXPECT_FALSE(b[i]) << i;
  b.set(0, true);
  b.set(63, true);
  b.set(64, true);
  b.set(69, true);
  b.set(64, false);
  for (std::size_t i = 0; i < 70; ++i) EXPECT_EQ(b[i], i == 0 || i == 63 || i == 69) << i;
  b.assign(70, false);
  for (std::size_t i = 0; i < 70; ++i) EXPECT_FALSE(b[i]) << i;
  b.assign(3, false);
  ASSERT_EQ(b.size(), 3u);
  b.set(2, true);
  EXPECT_FALSE(b[0]);
  EXPECT_TRUE(b[2]);
}

// The flags share one word with their count up to 57 columns; from 58 they
// are a heap array. Either way assign() sets them all, and the size moves
// between the two without losing track.
TEST(ColumnBits, AtTheEdgeOfTheInlineWord) {
  ColumnBits b;
  for (std::size_t n : {1u, 56u, 57u, 58u, 64u, 65u, 129u, 57u, 0u, 200u, 2u}) {
    b.assign(n, true);
    ASSERT_EQ(b.size(), n);
    EXPECT_EQ(b.any(), n != 0) << n;
    for (std::size_t i = 0; i < n; ++i) EXPECT_TRUE(b[i]) << n << " " << i;
    if (n != 0) b.set(n - 1, false);
    if (n > 1) b.set(0, false);
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(b[i], i != 0 && i != n - 1) << n << " " << i;
    b.assign(n, false);
    EXPECT_FALSE(b.any()) << n;
    for (std::size_t i = 0; i < n; ++i) EXPECT_FALSE(b[i]) << n << " " << i;
    if (n != 0) {
      b.set(n / 2, true);
      EXPECT_TRUE(b.any()) << n;
      for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(b[i], i == n / 2) << n << " " << i;
      // Only the last flag on (in the last word of a heap array).
      b.set(n / 2, false);
      EXPECT_FALSE(b.any()) << n;
      b.set(n - 1, true);
      EXPECT_TRUE(b.any()) << n;
    }
  }
}

// ---- through the Session ----------------------------------------------------------

enum class Color : std::int16_t { red = 1, green = 2 };

struct Kinds {
  std::int64_t id = 0;
  std::int32_t small = 0;
  std::int16_t tiny = 0;
  double ratio = 0;
  float weight = 0;
  bool flag = false;
  std::string name{};
  std::optional<std::string> note{};
  std::optional<std::int64_t> count{};
  Blob data{};
  Color color = Color::red;
};

// 70 columns: the expired flags of one object no longer fit in one word.
// (clang-format reflows this list differently on every run: left as written.)
// clang-format off
#define RELATE_WIDE_COLUMNS(F) \
  F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) \
  F(10) F(11) F(12) F(13) F(14) F(15) F(16) F(17) F(18) F(19) \
  F(20) F(21) F(22) F(23) F(24) F(25) F(26) F(27) F(28) F(29) \
  F(30) F(31) F(32) F(33) F(34) F(35) F(36) F(37) F(38) F(39) \
  F(40) F(41) F(42) F(43) F(44) F(45) F(46) F(47) F(48) F(49) \
  F(50) F(51) F(52) F(53) F(54) F(55) F(56) F(57) F(58) F(59) \
  F(60) F(61) F(62) F(63) F(64) F(65) F(66) F(67) F(68)
// clang-format on

struct Wide {
  std::int64_t id = 0;
#define RELATE_WIDE_MEMBER(n) std::int64_t c##n = 0;
  RELATE_WIDE_COLUMNS(RELATE_WIDE_MEMBER)
#undef RELATE_WIDE_MEMBER
};

class CommittedValuesTest : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    registry_.map<Kinds>("kinds", [](auto& m) {
      m.column("id", &Kinds::id, primary_key());
      m.column("small", &Kinds::small);
      m.column("tiny", &Kinds::tiny);
      m.column("ratio", &Kinds::ratio);
      m.column("weight", &Kinds::weight);
      m.column("flag", &Kinds::flag);
      m.column("name", &Kinds::name);
      m.column("note", &Kinds::note);
      m.column("count", &Kinds::count);
      m.column("data", &Kinds::data);
      m.column("color", &Kinds::color);
    });
    registry_.map<Wide>("wide", [](auto& m) {
      m.column("id", &Wide::id, primary_key());
#define RELATE_WIDE_MAP(n) m.column("c" #n, &Wide::c##n);
      RELATE_WIDE_COLUMNS(RELATE_WIDE_MAP)
#undef RELATE_WIDE_MAP
    });
    create_schema();
    auto s = session();
    s.add(make<Kinds>({.id = 1,
                       .small = 5,
                       .tiny = 3,
                       .ratio = 1.5,
                       .weight = 0.5f,
                       .flag = false,
                       .name = "abc",
                       .note = "x",
                       .count = std::nullopt,
                       .data = Blob{std::byte{0}, std::byte{1}},
                       .color = Color::red}));
    auto w = make<Wide>();
    w->id = 1;
    w->c1 = 1;
    w->c66 = 66;
    s.add(w);
    s.commit();
    recorder_.clear();
  }

  // The UPDATE statements since the last clear().
  std::vector<std::string> updates() const { return recorder_.starting_with("UPDATE"); }
};

TEST_P(CommittedValuesTest, AssigningTheSameValuesIsNoChange) {
  auto s = session();
  auto k = s.get<Kinds>(1);
  ASSERT_TRUE(k);
  Kinds same = *k;
  k->small = same.small;
  k->tiny = same.tiny;
  k->ratio = same.ratio;
  k->weight = same.weight;
  k->flag = same.flag;
  k->name = std::string("ab") + "c";
  k->note = std::string("x");
  k->count = std::nullopt;
  k->data = Blob{std::byte{0}, std::byte{1}};
  k->color = Color::red;
  EXPECT_FALSE(is_modified(k));
  EXPECT_TRUE(s.dirty_objects().empty());
  s.commit();
  EXPECT_TRUE(updates().empty());
}

TEST_P(CommittedValuesTest, EveryChangedMemberIsWrittenAndOnlyIt) {
  struct Change {
    std::string column;
    std::function<void(Kinds&)> apply;
  };
  const std::vector<Change> changes = {
      {"small", [](Kinds& k) { k.small = 6; }},
      {"tiny", [](Kinds& k) { k.tiny = -3; }},
      {"ratio", [](Kinds& k) { k.ratio = 1.25; }},
      {"weight", [](Kinds& k) { k.weight = 0.75f; }},
      {"flag", [](Kinds& k) { k.flag = true; }},
      {"name", [](Kinds& k) { k.name = "abd"; }},  // same length, other content
      {"note", [](Kinds& k) { k.note = std::nullopt; }},
      {"count", [](Kinds& k) { k.count = 0; }},  // null to a value that packs as zero
      {"data", [](Kinds& k) { k.data[1] = std::byte{2}; }},
      {"color", [](Kinds& k) { k.color = Color::green; }},
  };
  auto s = session();
  auto k = s.get<Kinds>(1);
  ASSERT_TRUE(k);
  for (const auto& c : changes) {
    recorder_.clear();
    c.apply(*k);
    EXPECT_TRUE(is_modified(k)) << c.column;
    s.flush();
    const auto u = updates();
    ASSERT_EQ(u.size(), 1u) << c.column;
    const std::string set = u[0].substr(0, u[0].find(" WHERE"));
    EXPECT_EQ(set.rfind("UPDATE kinds SET ", 0), 0u) << set;
    EXPECT_NE(set.find(c.column), std::string::npos) << set;
    EXPECT_EQ(set.find(','), std::string::npos) << set;  // that column only
    EXPECT_FALSE(is_modified(k)) << c.column;
  }
  s.commit();
  const auto r =
      rows("SELECT small, tiny, ratio, weight, flag, name, note, count, data, color FROM kinds");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0].as_integer(), 6);
  EXPECT_EQ(r[0][1].as_integer(), -3);
  EXPECT_EQ(r[0][2].as_real(), 1.25);
  EXPECT_EQ(r[0][3].as_real(), 0.75);
  EXPECT_TRUE(r[0][4].as_boolean());
  EXPECT_EQ(r[0][5].as_text(), "abd");
  EXPECT_TRUE(r[0][6].is_null());
  EXPECT_EQ(r[0][7].as_integer(), 0);
  EXPECT_EQ(r[0][8].as_blob(), (Blob{std::byte{0}, std::byte{2}}));
  EXPECT_EQ(r[0][9].as_integer(), 2);
}

TEST_P(CommittedValuesTest, LoadingExpiredColumnsKeepsOtherUnflushedChanges) {
  auto s = session();
  auto k = s.get<Kinds>(1);
  ASSERT_TRUE(k);
  s.execute(text("UPDATE kinds SET name = 'renamed', small = 50"));
  k->ratio = 9.5;  // unflushed
  s.expire(k, {"name"});
  EXPECT_EQ(k->name, "renamed");  // the expired column only is loaded
  EXPECT_EQ(k->small, 5);
  EXPECT_EQ(k->ratio, 9.5);
  EXPECT_TRUE(is_modified(k));
  // A query that meets the object fills expired columns the same way.
  s.expire(k, {"tiny"});
  k.get()->ratio = 8.5;  // without loading
  {
    auto guard = s.no_autoflush();
    auto all = s.query<Kinds>().all();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0], k);
  }
  EXPECT_EQ(k.get()->tiny, 3);
  EXPECT_FALSE(k.block()->state().needs_load());
  EXPECT_TRUE(is_modified(k));
  recorder_.clear();
  s.flush();
  const auto u = updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].substr(0, u[0].find(" WHERE")),
            is_sqlite() ? "UPDATE kinds SET ratio = ?" : "UPDATE kinds SET ratio = $1");
  s.commit();
  const auto r = rows("SELECT name, small, ratio FROM kinds");
  EXPECT_EQ(r[0][0].as_text(), "renamed");
  EXPECT_EQ(r[0][1].as_integer(), 50);
  EXPECT_EQ(r[0][2].as_real(), 8.5);
}

TEST_P(CommittedValuesTest, ColumnsPastTheSixtyFourthExpireAndReload) {
  auto s = session();
  auto w = s.get<Wide>(1);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->c66, 66);
  s.execute(text("UPDATE wide SET c66 = 660, c65 = 650"));
  w->c1 = 10;  // unflushed
  s.expire(w, {"c66"});
  EXPECT_EQ(w->c66, 660);
  EXPECT_EQ(w->c65, 0);  // not expired: not reloaded
  recorder_.clear();
  s.flush();
  const auto u = updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].substr(0, u[0].find(" WHERE")),
            is_sqlite() ? "UPDATE wide SET c1 = ?" : "UPDATE wide SET c1 = $1");
  s.expire(w);  // every column, past the first word too
  EXPECT_EQ(w->c65, 650);
  EXPECT_EQ(w->c66, 660);
  EXPECT_EQ(w->c1, 10);
  EXPECT_FALSE(is_modified(w));
}

RELATE_INSTANTIATE_BACKENDS(CommittedValuesTest);

}  // namespace
