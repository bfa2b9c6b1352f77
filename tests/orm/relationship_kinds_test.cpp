// More relationship kinds and options: association objects, several
// relationships between two tables, post_update and cycles, viewonly,
// single_parent, many-to-many delete cascade, merge cascade, configuration
// errors, and collections as sequences; on both backends.

#include <gtest/gtest.h>

#include "support/orm_fixture.hpp"

using namespace relate;
using relate::testing::OrmTest;

namespace {

// Association object: a line is keyed by its order and its item.
struct Line;
struct Order {
  std::int64_t id = 0;
  std::string customer{};
  Many<Line> lines{};
};
struct Item {
  std::int64_t id = 0;
  std::string name{};
};
struct Line {
  std::int64_t order_id = 0;
  std::int64_t item_id = 0;
  std::int64_t quantity = 0;
  One<Order> order{};
  One<Item> item{};
};

// Two relationships between the same two tables.
struct Place {
  std::int64_t id = 0;
  std::string city{};
};
struct Trip {
  std::int64_t id = 0;
  std::optional<std::int64_t> from_id{};
  std::optional<std::int64_t> to_id{};
  One<Place> from{};
  One<Place> to{};
};

// Rows that refer to each other (spec 5.6).
struct Entry;
struct Widget {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::int64_t> favorite_id{};
  Many<Entry> entries{};
  One<Entry> favorite{};
};
struct Entry {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::int64_t> widget_id{};
  One<Widget> widget{};
};

struct Group;
struct Member {
  std::int64_t id = 0;
  std::string name{};
  Many<Group> groups{};
};
struct Group {
  std::int64_t id = 0;
  std::string name{};
  Many<Member> members{};
};

class KindsTest : public OrmTest {
 protected:
  // Orders, items and lines; `lines` configures Order.lines, and `line_links`
  // whether Line maps its own relationships.
  void map_orders(RelationshipOptions lines = {.back_populates = "order",
                                               .cascade = "all, delete-orphan"},
                  bool line_links = true) {
    registry_.map<Order>("orders", [lines](auto& m) {
      m.column("id", &Order::id, primary_key());
      m.column("customer", &Order::customer);
      m.relationship("lines", &Order::lines, lines);
    });
    registry_.map<Item>("items", [](auto& m) {
      m.column("id", &Item::id, primary_key());
      m.column("name", &Item::name);
    });
    registry_.map<Line>("lines", [line_links](auto& m) {
      m.column("order_id", &Line::order_id, primary_key(), foreign_key("orders.id"));
      m.column("item_id", &Line::item_id, primary_key(), foreign_key("items.id"));
      m.column("quantity", &Line::quantity);
      if (line_links) {
        m.relationship("order", &Line::order, {.back_populates = "lines"});
        m.relationship("item", &Line::item);
      }
    });
  }
  void map_widgets(bool post_update) {
    registry_.map<Widget>("widgets", [post_update](auto& m) {
      m.column("id", &Widget::id, primary_key());
      m.column("name", &Widget::name);
      m.column("favorite_id", &Widget::favorite_id, foreign_key("entries.id"));
      m.relationship("entries", &Widget::entries,
                     {.back_populates = "widget", .foreign_keys = {"widget_id"}});
      m.relationship("favorite", &Widget::favorite,
                     {.foreign_keys = {"favorite_id"}, .post_update = post_update});
    });
    registry_.map<Entry>("entries", [](auto& m) {
      m.column("id", &Entry::id, primary_key());
      m.column("name", &Entry::name);
      m.column("widget_id", &Entry::widget_id, foreign_key("widgets.id"));
      m.relationship("widget", &Entry::widget,
                     {.back_populates = "entries", .foreign_keys = {"widget_id"}});
    });
  }
  void map_groups(const char* cascade) {
    registry_.table("memberships",
                    {column<std::int64_t>("member_id").primary_key().references("members.id"),
                     column<std::int64_t>("group_id").primary_key().references("groups.id")});
    registry_.map<Member>("members", [cascade](auto& m) {
      m.column("id", &Member::id, primary_key());
      m.column("name", &Member::name);
      m.relationship("groups", &Member::groups,
                     {.back_populates = "members", .cascade = cascade, .secondary = "memberships"});
    });
    registry_.map<Group>("groups", [](auto& m) {
      m.column("id", &Group::id, primary_key());
      m.column("name", &Group::name);
      m.relationship("members", &Group::members,
                     {.back_populates = "groups", .secondary = "memberships"});
    });
  }
};
RELATE_INSTANTIATE_BACKENDS(KindsTest);

TEST_P(KindsTest, AssociationObjectKeyedByTwoForeignKeys) {
  map_orders();
  create_schema();
  auto s = session();
  auto lamp = make<Item>({.name = "lamp"});
  auto desk = make<Item>({.name = "desk"});
  s.add_all({lamp, desk});
  s.flush();
  auto order = make<Order>({.customer = "ann"});
  order->lines.push_back(make<Line>({.quantity = 2, .item = lamp}));
  order->lines.push_back(make<Line>({.quantity = 1, .item = desk}));
  s.add(order);
  s.commit();
  auto r = rows("SELECT order_id, item_id, quantity FROM lines ORDER BY item_id");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0][0].as_integer(), order.get()->id);
  EXPECT_EQ(r[0][1].as_integer(), lamp.get()->id);
  // Removing a line deletes it (delete-orphan); its key cannot be nulled.
  order->lines.erase(order->lines.begin());
  s.commit();
  EXPECT_EQ(count_rows("lines"), 1);
}

TEST_P(KindsTest, NullingAForeignKeyThatIsPartOfThePrimaryKeyIsRefused) {
  map_orders({.back_populates = "order"});
  create_schema();
  auto s = session();
  auto lamp = make<Item>({.name = "lamp"});
  auto order = make<Order>({.customer = "ann"});
  s.add_all({lamp, order});
  s.flush();
  order->lines.push_back(make<Line>({.quantity = 2, .item = lamp}));
  s.commit();
  s.remove(order);
  recorder_.clear();
  try {
    s.flush();
    FAIL() << "expected FlushError";
  } catch (const FlushError& e) {
    EXPECT_NE(std::string(e.what()).find("delete cascade"), std::string::npos) << e.what();
  }
  EXPECT_EQ(recorder_.count("UPDATE"), 0u);
  EXPECT_EQ(recorder_.count("DELETE"), 0u);
  EXPECT_EQ(count_rows("lines"), 1);
}

TEST_P(KindsTest, TwoRelationshipsBetweenTheSameTables) {
  registry_.map<Place>("places", [](auto& m) {
    m.column("id", &Place::id, primary_key());
    m.column("city", &Place::city);
  });
  registry_.map<Trip>("trips", [](auto& m) {
    m.column("id", &Trip::id, primary_key());
    m.column("from_id", &Trip::from_id, foreign_key("places.id"));
    m.column("to_id", &Trip::to_id, foreign_key("places.id"));
    m.relationship("from", &Trip::from, {.foreign_keys = {"from_id"}});
    m.relationship("to", &Trip::to, {.foreign_keys = {"to_id"}});
  });
  create_schema();
  auto s = session();
  auto trip =
      make<Trip>({.from = make<Place>({.city = "Oslo"}), .to = make<Place>({.city = "Rome"})});
  s.add(trip);
  s.commit();
  auto s2 = session();
  auto t = s2.query<Trip>().one();
  EXPECT_EQ(t->from->city, "Oslo");
  EXPECT_EQ(t->to->city, "Rome");
}

TEST_P(KindsTest, AmbiguousForeignKeysAreAConfigurationError) {
  registry_.map<Place>("places", [](auto& m) {
    m.column("id", &Place::id, primary_key());
    m.column("city", &Place::city);
  });
  registry_.map<Trip>("trips", [](auto& m) {
    m.column("id", &Trip::id, primary_key());
    m.column("from_id", &Trip::from_id, foreign_key("places.id"));
    m.column("to_id", &Trip::to_id, foreign_key("places.id"));
    m.relationship("from", &Trip::from);
  });
  try {
    registry_.configure();
    FAIL() << "expected ConfigurationError";
  } catch (const ConfigurationError& e) {
    EXPECT_NE(std::string(e.what()).find("Trip.from"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("foreign_keys"), std::string::npos) << e.what();
  }
}

TEST_P(KindsTest, RowsThatReferToEachOtherNeedPostUpdate) {
  map_widgets(true);
  create_schema();
  auto s = session();
  auto w = make<Widget>({.name = "w"});
  auto e = make<Entry>({.name = "e"});
  w->entries.push_back(e);
  w->favorite = e;
  s.add(w);
  s.commit();
  auto statements = recorder_.statements();
  std::vector<std::string> dml;
  for (const auto& st : statements)
    if (st.starts_with("INSERT") || st.starts_with("UPDATE")) dml.push_back(st.substr(0, 20));
  ASSERT_EQ(dml.size(), 3u);
  EXPECT_TRUE(dml[0].starts_with("INSERT INTO widgets"));
  EXPECT_TRUE(dml[1].starts_with("INSERT INTO entries"));
  EXPECT_TRUE(dml[2].starts_with("UPDATE widgets"));
  auto r = rows("SELECT favorite_id FROM widgets");
  EXPECT_EQ(r[0][0].as_integer(), e.get()->id);
  // Deleting clears the post_update key first.
  s.remove(e);
  s.remove(w);
  s.commit();
  EXPECT_EQ(count_rows("widgets") + count_rows("entries"), 0);
}

TEST_P(KindsTest, RowsThatReferToEachOtherWithoutPostUpdateAreACycle) {
  map_widgets(false);
  create_schema();
  auto s = session();
  auto w = make<Widget>({.name = "w"});
  auto e = make<Entry>({.name = "e"});
  w->entries.push_back(e);
  w->favorite = e;
  s.add(w);
  try {
    s.flush();
    FAIL() << "expected CircularDependencyError";
  } catch (const CircularDependencyError& e) {
    EXPECT_NE(std::string(e.what()).find("post_update"), std::string::npos) << e.what();
  }
  EXPECT_EQ(count_rows("widgets"), 0);
}

TEST_P(KindsTest, ManyToManyDeleteCascade) {
  map_groups("all");
  create_schema();
  auto s = session();
  auto ann = make<Member>({.name = "ann"});
  auto g1 = make<Group>({.name = "g1"});
  auto g2 = make<Group>({.name = "g2"});
  ann->groups = {g1, g2};
  auto bob = make<Member>({.name = "bob", .groups = {g2}});
  s.add_all({ann, bob});
  s.commit();
  EXPECT_EQ(count_rows("memberships"), 3);
  s.remove(ann);
  s.commit();
  EXPECT_EQ(count_rows("groups"), 0) << "both of ann's groups deleted";
  EXPECT_EQ(count_rows("memberships"), 0) << "bob's row to g2 went with g2";
  EXPECT_EQ(count_rows("members"), 1);
}

TEST_P(KindsTest, SingleParentIsCheckedWhenAttached) {
  map_orders({.back_populates = "order", .cascade = "all, delete-orphan", .single_parent = true});
  create_schema();
  auto a = make<Order>({.customer = "a"});
  auto b = make<Order>({.customer = "b"});
  auto line = make<Line>({.quantity = 1});
  a->lines.push_back(line);
  try {
    b->lines.push_back(line);
    FAIL() << "expected InvalidRequest";
  } catch (const InvalidRequest& e) {
    EXPECT_NE(std::string(e.what()).find("is only allowed a single parent"), std::string::npos)
        << e.what();
  }
  line->order = b;  // through the reverse, the move is allowed
  EXPECT_TRUE(a->lines.empty());
  EXPECT_EQ(b->lines.size(), 1u);
}

TEST_P(KindsTest, DeleteOrphanOnManyToOneNeedsSingleParent) {
  registry_.map<Place>("places", [](auto& m) {
    m.column("id", &Place::id, primary_key());
    m.column("city", &Place::city);
  });
  registry_.map<Trip>("trips", [](auto& m) {
    m.column("id", &Trip::id, primary_key());
    m.column("from_id", &Trip::from_id, foreign_key("places.id"));
    m.column("to_id", &Trip::to_id);
    m.relationship("from", &Trip::from, {.cascade = "all, delete-orphan"});
  });
  try {
    registry_.configure();
    FAIL() << "expected ConfigurationError";
  } catch (const ConfigurationError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("many-to-one relationship Trip.from"), std::string::npos) << msg;
    EXPECT_NE(msg.find("single_parent = true"), std::string::npos) << msg;
  }
}

TEST_P(KindsTest, ViewonlyRelationshipsKeepOnlyNonWritingCascades) {
  map_orders({.cascade = "all, delete-orphan", .viewonly = true}, false);
  registry_.configure();
  const Relationship* r = registry_.mapper<Order>().find_relationship("lines");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->cascade().to_string(), "merge, refresh-expire, expunge") << "viewonly trims";
}

TEST_P(KindsTest, MergeCascadesAlongRelationships) {
  map_orders();
  create_schema();
  std::int64_t order_id = 0, lamp_id = 0;
  {
    auto s = session();
    auto lamp = make<Item>({.name = "lamp"});
    s.add(lamp);
    s.flush();
    auto order = make<Order>({.customer = "ann"});
    order->lines.push_back(make<Line>({.quantity = 2, .item = lamp}));
    s.add(order);
    s.commit();
    order_id = order->id;
    lamp_id = lamp->id;
  }
  // A detached copy built by hand (e.g. from a request), with a changed quantity.
  auto copy = make<Order>({.id = order_id, .customer = "ann"});
  copy->lines.push_back(make<Line>({.order_id = order_id, .item_id = lamp_id, .quantity = 7}));
  auto s = session();
  auto merged = s.merge(copy);
  EXPECT_NE(merged, copy);
  ASSERT_EQ(merged->lines.size(), 1u);
  EXPECT_EQ(merged->lines[0]->quantity, 7);
  s.commit();
  EXPECT_EQ(rows("SELECT quantity FROM lines")[0][0].as_integer(), 7);
}

TEST_P(KindsTest, CollectionsBehaveLikeSequences) {
  map_groups("save-update, merge");
  create_schema();
  auto m = make<Member>({.name = "m"});
  auto a = make<Group>({.name = "a"});
  auto b = make<Group>({.name = "b"});
  auto c = make<Group>({.name = "c"});
  m->groups.push_back(a);
  m->groups.insert(m->groups.begin(), b);
  m->groups.insert(m->groups.end(), c);
  ASSERT_EQ(m->groups.size(), 3u);
  EXPECT_EQ(m->groups[0], b);
  EXPECT_EQ(m->groups.back(), c);
  EXPECT_TRUE(m->groups.contains(a));
  std::vector<std::string> names;
  for (const auto& g : m->groups) names.push_back(g->name);
  EXPECT_EQ(names, (std::vector<std::string>{"b", "a", "c"}));
  m->groups.erase(m->groups.begin() + 1);
  EXPECT_FALSE(m->groups.contains(a));
  EXPECT_TRUE(a->members.empty()) << "erase unlinks both sides";
  m->groups = {c, a};
  EXPECT_EQ(m->groups.size(), 2u);
  EXPECT_TRUE(b->members.empty()) << "assignment removes what is not in the new list";
  EXPECT_EQ(a->members.size(), 1u);
  m->groups.clear();
  EXPECT_TRUE(m->groups.empty());
  EXPECT_TRUE(c->members.empty());
  auto s = session();
  m->groups = {a, b};
  s.add(m);
  s.commit();
  EXPECT_EQ(count_rows("memberships"), 2);
}

}  // namespace
