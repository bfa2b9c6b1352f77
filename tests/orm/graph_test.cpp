// The mapping as a Graphviz graph (relate/orm/graph.hpp): nodes, edges, the
// styles that show what a delete reaches, escaping, and delete_reach(). No
// database, and no Graphviz: CI does not install it, so the DOT is checked
// with a small reader of its own.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <relate/relate.hpp>

using namespace relate;

namespace {

struct Child;
struct Parent {
  std::int64_t id = 0;
  std::string name{};
  Many<Child> children{};
};
struct Child {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::int64_t> parent_id{};
  One<Parent> parent{};
};

struct Note {
  std::int64_t id = 0;
  std::optional<std::int64_t> parent_id{};
  std::optional<std::int64_t> child_id{};
};

struct Member;
struct Group {
  std::int64_t id = 0;
  Many<Member> members{};
};
struct Member {
  std::int64_t id = 0;
  Many<Group> groups{};
};

struct Node {
  std::int64_t id = 0;
  std::optional<std::int64_t> parent_id{};
  Many<Node> children{};
  One<Node> parent{};
};

struct Weird {
  std::int64_t id = 0;
  std::string value{};
};

// parents -< children: "all, delete-orphan" with passive_deletes and ON DELETE
// CASCADE; notes hang off both through foreign keys only; groups >-< members
// through an association table, one side viewonly.
void map_family(Registry& registry) {
  registry.map<Parent>("parents", [](auto& m) {
    m.column("id", &Parent::id, primary_key());
    m.column("name", &Parent::name);
    m.relationship(
        "children", &Parent::children,
        {.back_populates = "parent", .cascade = "all, delete-orphan", .passive_deletes = true});
  });
  registry.map<Child>("children", [](auto& m) {
    m.column("id", &Child::id, primary_key());
    m.column("name", &Child::name);
    m.column("parent_id", &Child::parent_id, foreign_key("parents.id", ReferentialAction::cascade));
    m.relationship("parent", &Child::parent, {.back_populates = "children"});
  });
  registry.map<Note>("notes", [](auto& m) {
    m.column("id", &Note::id, primary_key());
    m.column("parent_id", &Note::parent_id, foreign_key("parents.id", ReferentialAction::set_null));
    m.column("child_id", &Note::child_id, foreign_key("children.id", ReferentialAction::cascade));
  });
  registry.table("memberships",
                 {column<std::int64_t>("group_id").primary_key().references("groups.id"),
                  column<std::int64_t>("member_id").primary_key().references("members.id")});
  registry.map<Group>("groups", [](auto& m) {
    m.column("id", &Group::id, primary_key());
    m.relationship("members", &Group::members, {.secondary = "memberships"});
  });
  registry.map<Member>("members", [](auto& m) {
    m.column("id", &Member::id, primary_key());
    m.relationship("groups", &Member::groups, {.secondary = "memberships", .viewonly = true});
  });
}

const std::string label_table =
    "<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"1\">";

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

bool has_line(const std::string& dot, const std::string& line) {
  return dot.find("\n" + line + "\n") != std::string::npos;
}

// The line of the edge tail -> head (no ports), or "" when there is none.
std::string edge_line(const std::string& dot, const std::string& tail, const std::string& head) {
  const std::string start = "\n  \"" + tail + "\" -> \"" + head + "\" [";
  const auto at = dot.find(start);
  if (at == std::string::npos) return {};
  return dot.substr(at + 1, dot.find('\n', at + 1) - at - 1);
}

// A small DOT reader: quoted strings with their escapes, HTML strings with
// nested <...>, balanced braces and brackets outside them, and inside HTML
// strings well-formed tags and entities. Returns "" or what is wrong.
std::string check_html(const std::string& h) {
  std::vector<std::string> open;
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (h[i] == '&') {
      const auto semi = h.find(';', i);
      if (semi == std::string::npos || semi - i > 6) return "bare & in HTML label";
      const std::string entity = h.substr(i, semi - i + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" &&
          entity != "&#39;")
        return "unknown entity " + entity;
      continue;
    }
    if (h[i] == '>') return "bare > in HTML label";
    if (h[i] != '<') continue;
    const auto close = h.find('>', i);
    if (close == std::string::npos) return "unclosed tag";
    std::string tag = h.substr(i + 1, close - i - 1);
    if (tag.find('<') != std::string::npos) return "< inside a tag";
    // Attribute values must be quoted and free of quotes themselves.
    if (count(tag, "\"") % 2 != 0) return "odd quotes in tag <" + tag + ">";
    i = close;
    if (!tag.empty() && tag.back() == '/') continue;  // <BR/>
    const std::string name = tag.substr(0, tag.find(' '));
    if (name.starts_with("/")) {
      if (open.empty() || open.back() != name.substr(1)) return "mismatched </" + name + ">";
      open.pop_back();
    } else {
      open.push_back(name);
    }
  }
  return open.empty() ? "" : "unclosed <" + open.back() + ">";
}

std::string check_dot(const std::string& dot) {
  std::vector<char> stack;
  for (std::size_t i = 0; i < dot.size(); ++i) {
    const char ch = dot[i];
    if (ch == '"') {
      for (++i; i < dot.size() && dot[i] != '"'; ++i) {
        if (dot[i] == '\n') return "newline inside a quoted string";
        if (dot[i] == '\\') ++i;
      }
      if (i >= dot.size()) return "unterminated quoted string";
    } else if (ch == '<') {
      const std::size_t start = i;
      int depth = 0;
      for (; i < dot.size(); ++i) {
        if (dot[i] == '<') ++depth;
        if (dot[i] == '>' && --depth == 0) break;
      }
      if (i >= dot.size()) return "unterminated HTML string";
      if (auto e = check_html(dot.substr(start + 1, i - start - 1)); !e.empty()) return e;
    } else if (ch == '-' && i + 1 < dot.size() && dot[i + 1] == '>') {
      ++i;
    } else if (ch == '/' && i + 1 < dot.size() && dot[i + 1] == '/') {
      i = dot.find('\n', i);
    } else if (ch == '{' || ch == '[') {
      stack.push_back(ch);
    } else if (ch == '}' || ch == ']') {
      if (stack.empty() || stack.back() != (ch == '}' ? '{' : '[')) return "unbalanced brackets";
      stack.pop_back();
    } else if (ch == '>' || ch == '&') {
      return std::string("stray ") + ch;
    }
  }
  return stack.empty() ? "" : "unclosed bracket";
}

TEST(GraphTest, OneNodePerTableWithColumnsAndKeys) {
  Registry registry;
  map_family(registry);
  const std::string dot = to_dot(registry);
  EXPECT_EQ(check_dot(dot), "");
  EXPECT_TRUE(dot.starts_with("digraph \"relate_mapping\" {\n"));
  EXPECT_TRUE(dot.ends_with("}\n"));
  for (const char* t : {"parents", "children", "notes", "memberships", "groups", "members"})
    EXPECT_EQ(count(dot, "\n  \"" + std::string(t) + "\" [label=<") +
                  count(dot, "\n  \"" + std::string(t) + "\" [color=\"#666666\", label=<"),
              1u)
        << t;
  // Header with the struct, then one row per column with its markers.
  EXPECT_NE(dot.find("<B>children</B><BR/><FONT POINT-SIZE=\"10\">struct Child</FONT>"),
            std::string::npos);
  EXPECT_NE(dot.find("<TR><TD ALIGN=\"LEFT\" PORT=\"c0\">PK</TD><TD ALIGN=\"LEFT\"><U>id</U></TD>"
                     "<TD ALIGN=\"LEFT\" PORT=\"c0_e\">BIGINT <B>NOT NULL</B></TD></TR>"),
            std::string::npos);
  EXPECT_NE(dot.find("<TR><TD ALIGN=\"LEFT\" PORT=\"c2\">FK</TD><TD ALIGN=\"LEFT\">parent_id</TD>"
                     "<TD ALIGN=\"LEFT\" PORT=\"c2_e\">BIGINT</TD></TR>"),
            std::string::npos);
  EXPECT_NE(dot.find("<TD ALIGN=\"LEFT\" PORT=\"c0\">PK FK</TD><TD ALIGN=\"LEFT\"><U>group_id"),
            std::string::npos);
}

TEST(GraphTest, AssociationTablesAreDrawnApart) {
  Registry registry;
  map_family(registry);
  const std::string dot = to_dot(registry);
  EXPECT_NE(dot.find("\n  \"memberships\" [color=\"#666666\", label=<<TABLE BORDER=\"2\" "
                     "CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"4\" STYLE=\"dashed\">"
                     "<TR><TD COLSPAN=\"3\" BGCOLOR=\"#e6e6e6\"><B>memberships</B><BR/>"
                     "<FONT POINT-SIZE=\"10\"><I>association table</I></FONT>"),
            std::string::npos);
}

TEST(GraphTest, BackPopulatesPairIsOneBoldRedEdgeWithOrphanDiamond) {
  Registry registry;
  map_family(registry);
  const std::string dot = to_dot(registry);
  EXPECT_EQ(count(dot, "\"parents\" -> \"children\" ["), 1u);
  EXPECT_EQ(count(dot, "\"children\" -> \"parents\" ["), 0u);
  EXPECT_EQ(
      edge_line(dot, "parents", "children"),
      "  \"parents\" -> \"children\" [dir=\"both\", arrowtail=\"teediamond\", "
      "arrowhead=\"crowvee\", color=\"#cc0000\", style=\"bold\", penwidth=\"2.5\", "
      "label=<" +
          label_table +
          "<TR><TD BGCOLOR=\"white\"><B><FONT COLOR=\"#cc0000\">"
          "Parent.children</FONT></B> [cascade: all, delete-orphan; passive_deletes]</TD></TR>"
          "<TR><TD BGCOLOR=\"white\">Child.parent</TD></TR></TABLE>>];");
}

TEST(GraphTest, ManyToManyAndViewonly) {
  Registry registry;
  map_family(registry);
  const std::string dot = to_dot(registry);
  // Two relationships without back_populates: two edges, crow's feet at both ends.
  EXPECT_EQ(edge_line(dot, "groups", "members"),
            "  \"groups\" -> \"members\" [dir=\"both\", arrowtail=\"crow\", arrowhead=\"crow\", "
            "color=\"black\", penwidth=\"1.2\", label=<" +
                label_table +
                "<TR><TD BGCOLOR=\"white\">Group.members [via memberships]</TD></TR></TABLE>>];");
  EXPECT_EQ(edge_line(dot, "members", "groups"),
            "  \"members\" -> \"groups\" [dir=\"both\", arrowtail=\"crow\", arrowhead=\"crow\", "
            "color=\"#8c8c8c\", fontcolor=\"#8c8c8c\", style=\"dashed\", "
            "label=<" +
                label_table +
                "<TR><TD BGCOLOR=\"white\">Member.groups [viewonly; via memberships]</TD></TR>"
                "</TABLE>>];");
}

TEST(GraphTest, ForeignKeyEdgesShowDatabaseRules) {
  Registry registry;
  map_family(registry);
  const std::string dot = to_dot(registry);
  EXPECT_TRUE(
      has_line(dot,
               "  \"parents\":\"c0_e\":e -> \"children\":\"c2\":w [dir=\"back\", "
               "arrowtail=\"normal\", arrowhead=\"none\", color=\"#1f5fbf\", "
               "fontcolor=\"#1f5fbf\", penwidth=\"1.5\", label=<<B>ON DELETE CASCADE</B>>];"))
      << dot;
  EXPECT_NE(
      dot.find("\"parents\":\"c0_e\":e -> \"notes\":\"c1\":w [dir=\"back\", arrowtail=\"normal\", "
               "arrowhead=\"none\", color=\"#1f5fbf\", fontcolor=\"#1f5fbf\", "
               "penwidth=\"1.5\", label=<<B>ON DELETE SET NULL</B>>];"),
      std::string::npos);
  EXPECT_TRUE(has_line(dot,
                       "  \"groups\":\"c0_e\":e -> \"memberships\":\"c0\":w [dir=\"back\", "
                       "arrowtail=\"normal\", arrowhead=\"none\", color=\"#999999\", "
                       "style=\"dotted\", arrowsize=\"0.7\"];"));

  const std::string bare = to_dot(registry, {.foreign_keys = false, .legend = false});
  EXPECT_EQ(check_dot(bare), "");
  EXPECT_EQ(bare.find(":\"c0_e\":e ->"), std::string::npos);
  EXPECT_EQ(bare.find("cluster_legend"), std::string::npos);
}

TEST(GraphTest, LegendIsASubgraph) {
  Registry registry;
  map_family(registry);
  const std::string dot = to_dot(registry);
  EXPECT_TRUE(has_line(dot, "  subgraph \"cluster_legend\" {"));
  EXPECT_NE(dot.find("ORM cascade delete"), std::string::npos);
  EXPECT_NE(dot.find("delete-orphan"), std::string::npos);
  EXPECT_NE(dot.find("viewonly: read only"), std::string::npos);
  EXPECT_NE(dot.find("ON DELETE rule the database applies"), std::string::npos);
}

TEST(GraphTest, SelfReferentialAndChildSideDeleteCascade) {
  Registry registry;
  registry.map<Node>("nodes", [](auto& m) {
    m.column("id", &Node::id, primary_key());
    m.column("parent_id", &Node::parent_id, foreign_key("nodes.id"));
    m.relationship("children", &Node::children, {.back_populates = "parent"});
    // Deleting a node deletes its parent: the edge turns to point that way.
    m.relationship("parent", &Node::parent, {.back_populates = "children", .cascade = "delete"});
  });
  const std::string dot = to_dot(registry);
  EXPECT_EQ(check_dot(dot), "");
  EXPECT_EQ(count(dot, "\"nodes\" -> \"nodes\" ["), 1u);
  EXPECT_NE(dot.find("\"nodes\" -> \"nodes\" [dir=\"both\", arrowtail=\"crow\", "
                     "arrowhead=\"teevee\", color=\"#cc0000\""),
            std::string::npos);
  EXPECT_NE(dot.find("<B><FONT COLOR=\"#cc0000\">Node.parent</FONT></B> [cascade: delete]</TD>"
                     "</TR><TR><TD BGCOLOR=\"white\">Node.children</TD>"),
            std::string::npos);
  // The loop of the self-referencing foreign key leaves and returns on one side.
  EXPECT_NE(dot.find("\"nodes\":\"c0_e\":e -> \"nodes\":\"c1_e\":e ["), std::string::npos);
}

TEST(GraphTest, HostileNamesAreEscaped) {
  Registry registry;
  const std::string table = "we<ird> & \"t\\";
  registry.map<Weird>(table, [](auto& m) {
    m.column("id", &Weird::id, primary_key());
    m.column("<b>\"v\"&amp;'\n", &Weird::value);
  });
  const std::string dot = to_dot(registry, {.graph_name = "g\"raph\\", .rankdir = "TB"});
  EXPECT_EQ(check_dot(dot), "") << dot;
  EXPECT_TRUE(dot.starts_with("digraph \"g\\\"raph\\\\\" {\n"));
  EXPECT_NE(dot.find("\n  \"we<ird> & \\\"t\\\\\" [label=<"), std::string::npos);
  EXPECT_NE(dot.find("<B>we&lt;ird&gt; &amp; &quot;t\\</B>"), std::string::npos);
  EXPECT_NE(dot.find("<TD ALIGN=\"LEFT\">&lt;b&gt;&quot;v&quot;&amp;amp;&#39; </TD>"),
            std::string::npos);
  EXPECT_NE(dot.find("rankdir=\"TB\""), std::string::npos);
}

TEST(GraphTest, TheReaderCatchesBrokenDot) {
  // The checks above mean something only if the reader rejects bad text.
  EXPECT_NE(check_dot("digraph { \"a\" [label=<<B>x</I>>]; }"), "");
  EXPECT_NE(check_dot("digraph { \"a\" [label=<a & b>]; }"), "");
  EXPECT_NE(check_dot("digraph { \"a\\\" [label=\"x\"]; }"), "");
  EXPECT_NE(check_dot("digraph { \"a\" [label=\"x\"; }"), "");
  EXPECT_EQ(check_dot("digraph { \"a\\\\\" [label=<<B>x</B><BR/>>]; }"), "");
}

TEST(GraphTest, DeleteReachFollowsOrmAndDatabaseRules) {
  Registry registry;
  map_family(registry);
  const auto reach = delete_reach(registry, "parents");
  const auto find = [&](const std::string& t, DeleteReach::Effect e) {
    return std::find_if(reach.begin(), reach.end(),
                        [&](const DeleteReach& r) { return r.table == t && r.effect == e; });
  };
  using E = DeleteReach::Effect;
  ASSERT_NE(find("children", E::deleted), reach.end());
  EXPECT_EQ(find("children", E::deleted)->via, "Parent.children (cascade delete)");
  EXPECT_EQ(find("children", E::deleted)->depth, 1u);
  ASSERT_NE(find("notes", E::nulled), reach.end());
  EXPECT_EQ(find("notes", E::nulled)->via, "notes.parent_id ON DELETE SET NULL");
  // Notes of the deleted children go with them, one level further down.
  ASSERT_NE(find("notes", E::deleted), reach.end());
  EXPECT_EQ(find("notes", E::deleted)->via, "notes.child_id ON DELETE CASCADE");
  EXPECT_EQ(find("notes", E::deleted)->depth, 2u);
  EXPECT_EQ(find("groups", E::deleted), reach.end());

  const auto groups = delete_reach(registry, "groups");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].table, "memberships");
  EXPECT_EQ(groups[0].via, "Group.members (association rows)");
  // The viewonly side never writes, and nothing refers to members by ON DELETE.
  EXPECT_TRUE(delete_reach(registry, "members").empty());
  EXPECT_THROW(delete_reach(registry, "nope"), InvalidRequest);
}

TEST(GraphTest, HighlightShadesWhatADeleteReaches) {
  Registry registry;
  map_family(registry);
  const std::string dot = to_dot(registry, {.highlight_delete_of = "parents"});
  EXPECT_EQ(check_dot(dot), "");
  EXPECT_NE(dot.find("BGCOLOR=\"#e06666\"><B>parents</B><BR/><FONT POINT-SIZE=\"10\">struct "
                     "Parent (the deleted row)"),
            std::string::npos);
  EXPECT_NE(dot.find("BGCOLOR=\"#f4cccc\"><B>children</B>"), std::string::npos);
  EXPECT_NE(dot.find("BGCOLOR=\"#f4cccc\"><B>notes</B>"), std::string::npos);
  EXPECT_NE(dot.find("BGCOLOR=\"#cfe2f3\"><B>groups</B>"), std::string::npos);
}

}  // namespace
