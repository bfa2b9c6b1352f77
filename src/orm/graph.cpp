#include "relate/orm/graph.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>

#include "relate/core/error.hpp"
#include "relate/core/schema.hpp"
#include "relate/orm/mapper.hpp"
#include "relate/orm/registry.hpp"
#include "relate/orm/relationship.hpp"

namespace relate {

namespace {

// A quoted DOT identifier. Graphviz reads \" as a quote and keeps \\ as a pair,
// so doubling backslashes also stops a trailing one from eating the closing quote.
std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (ch == '\n')
      out += "\\n";
    else if (ch != '\r')
      out += ch;
  }
  return out + "\"";
}

// Text inside an HTML-like label, which Graphviz parses as XML: markup
// characters become entities, and control characters (not even legal as XML
// character references) become spaces.
std::string html(std::string_view text) {
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20)
          out += ' ';
        else
          out += ch;
    }
  }
  return out;
}

// Generic SQL spellings: the picture describes the mapping, not one dialect.
std::string type_text(const SqlType& type) {
  switch (type.kind) {
    case TypeKind::small_integer: return "SMALLINT";
    case TypeKind::integer: return "INTEGER";
    case TypeKind::big_integer: return "BIGINT";
    case TypeKind::real: return "REAL";
    case TypeKind::text:
      return type.length > 0 ? "VARCHAR(" + std::to_string(type.length) + ")" : "TEXT";
    case TypeKind::blob: return "BLOB";
    case TypeKind::boolean: return "BOOLEAN";
    case TypeKind::date: return "DATE";
    case TypeKind::timestamp: return "TIMESTAMP";
  }
  return std::string(to_string(type.kind));
}

// Shorter than Cascade::to_string() where it can be: the default cascade says
// nothing about deletes, and "all" is what the mapping most likely spelled.
std::string cascade_text(Cascade c) {
  if (c.bits() == Cascade::none) return "none";
  if ((c.bits() & Cascade::all) == Cascade::all)
    return c.has(Cascade::delete_orphan) ? "all, delete-orphan" : "all";
  return c.to_string();
}

bool cascades_delete(const Relationship& r) {
  return !r.options().viewonly && r.cascade().has(Cascade::remove);
}

const char* const delete_red = "#cc0000";
const char* const database_blue = "#1f5fbf";
const char* const viewonly_grey = "#8c8c8c";

struct Model {
  std::vector<const Table*> tables{};
  std::unordered_map<std::string, const Mapper*> mapper_of{};  // by table name
  std::set<std::string> secondaries{};
};

Model model_of(Registry& registry) {
  Model m;
  m.tables = registry.metadata().tables();
  for (const Mapper* mapper : registry.mappers()) {
    m.mapper_of[mapper->table_name()] = mapper;
    for (const auto& r : mapper->relationships())
      if (r->secondary() != nullptr) m.secondaries.insert(r->secondary()->name());
  }
  return m;
}

std::size_t column_index(const Table& table, std::string_view name) {
  std::size_t i = 0;
  for (const auto& c : table.columns()) {
    if (c.name() == name) return i;
    ++i;
  }
  return 0;
}

std::string fk_columns_text(const Table& table, const ForeignKey& fk) {
  std::string out = table.name() + ".";
  if (fk.columns().size() == 1) return out + fk.columns().front();
  out += "(";
  for (std::size_t i = 0; i < fk.columns().size(); ++i)
    out += (i == 0 ? "" : ", ") + fk.columns()[i];
  return out + ")";
}

// The relationship edges: a back_populates pair is one edge.
struct RelationshipEdge {
  const Mapper* tail = nullptr;
  const Mapper* head = nullptr;
  std::vector<const Relationship*> from_tail{};
  std::vector<const Relationship*> from_head{};
  bool many_to_many = false;
};

RelationshipEdge edge_for(const Relationship& r) {
  RelationshipEdge e;
  e.many_to_many = r.direction() == Direction::many_to_many;
  std::vector<const Relationship*> both{&r};
  if (r.reverse() != nullptr) both.push_back(r.reverse());
  for (const Relationship* x : both) {
    // The parent (the referenced side) is the tail; for many-to-many, whichever
    // side was mapped first.
    const bool at_tail = e.many_to_many ? x == &r : x->direction() == Direction::one_to_many;
    (at_tail ? e.from_tail : e.from_head).push_back(x);
  }
  if (e.many_to_many) {
    e.tail = &r.owner();
    e.head = &r.target();
  } else {
    e.tail = &r.parent_mapper();
    e.head = &r.child_mapper();
  }
  const auto deletes = [](const std::vector<const Relationship*>& rs) {
    return std::any_of(rs.begin(), rs.end(), [](auto* x) { return cascades_delete(*x); });
  };
  // Red edges point the way a delete travels, so a child-to-parent delete
  // cascade turns its edge round.
  if (deletes(e.from_head) && !deletes(e.from_tail)) {
    std::swap(e.tail, e.head);
    std::swap(e.from_tail, e.from_head);
  }
  return e;
}

std::vector<RelationshipEdge> relationship_edges(Registry& registry) {
  std::vector<RelationshipEdge> out;
  std::set<const Relationship*> drawn;
  for (const Mapper* mapper : registry.mappers())
    for (const auto& r : mapper->relationships()) {
      if (drawn.contains(r.get())) continue;
      drawn.insert(r.get());
      if (r->reverse() != nullptr) drawn.insert(r->reverse());
      out.push_back(edge_for(*r));
    }
  return out;
}

// Crow's foot at an end that holds many rows, a bar at an end that holds one,
// a filled diamond (composition) where a delete-orphan owner sits, and an
// arrowhead where a cascaded delete arrives.
std::string arrow_at(const RelationshipEdge& e, bool tail) {
  const auto& mine = tail ? e.from_tail : e.from_head;
  const auto& theirs = tail ? e.from_head : e.from_tail;
  bool many = false;
  if (e.many_to_many) {
    many = true;
  } else {
    const bool parent_end = !mine.empty() ? mine.front()->direction() == Direction::one_to_many
                                          : theirs.front()->direction() == Direction::many_to_one;
    // The child end holds many rows unless the parent's side is a scalar.
    if (!parent_end) {
      many = true;
      for (const Relationship* x : theirs)
        if (x->direction() == Direction::one_to_many) many = x->is_collection();
    }
  }
  std::string out = many ? "crow" : "tee";
  for (const Relationship* x : mine)
    if (!x->options().viewonly && x->cascade().has(Cascade::delete_orphan)) out += "diamond";
  if (std::any_of(theirs.begin(), theirs.end(), [](auto* x) { return cascades_delete(*x); }))
    out += "vee";
  return out;
}

std::string relationship_line(const Relationship& r) {
  std::string line = html(r.describe());
  if (cascades_delete(r))
    line = "<B><FONT COLOR=\"" + std::string(delete_red) + "\">" + line + "</FONT></B>";
  std::vector<std::string> notes;
  // A viewonly relationship keeps a vestigial "merge" that writes nothing.
  if (!r.options().viewonly && r.cascade().bits() != Cascade::default_flags)
    notes.push_back("cascade: " + html(cascade_text(r.cascade())));
  if (r.options().passive_deletes_all)
    notes.emplace_back("passive_deletes=all");
  else if (r.options().passive_deletes)
    notes.emplace_back("passive_deletes");
  if (r.options().viewonly) notes.emplace_back("viewonly");
  if (r.secondary() != nullptr) notes.push_back("via " + html(r.secondary()->name()));
  for (std::size_t i = 0; i < notes.size(); ++i) line += (i == 0 ? " [" : "; ") + notes[i];
  if (!notes.empty()) line += "]";
  return line;
}

void write_relationship_edge(std::string& out, const RelationshipEdge& e) {
  std::vector<const Relationship*> all = e.from_tail;
  all.insert(all.end(), e.from_head.begin(), e.from_head.end());
  const bool viewonly =
      std::all_of(all.begin(), all.end(), [](auto* r) { return r->options().viewonly; });
  const bool deletes =
      std::any_of(all.begin(), all.end(), [](auto* r) { return cascades_delete(*r); });
  // A table, not <BR/>s: Graphviz 2.4x misplaces text that follows a font
  // change at the end of a line, and the white cells keep labels readable
  // where lines cross them.
  std::string label = "<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"1\">";
  for (const Relationship* r : all)
    label += "<TR><TD BGCOLOR=\"white\">" + relationship_line(*r) + "</TD></TR>";
  label += "</TABLE>";

  out += "  " + quote(e.tail->table_name()) + " -> " + quote(e.head->table_name()) + " [";
  out += "dir=\"both\", arrowtail=\"" + arrow_at(e, true) + "\", arrowhead=\"" +
         arrow_at(e, false) + "\", ";
  if (deletes)
    out += "color=\"" + std::string(delete_red) + "\", style=\"bold\", penwidth=\"2.5\", ";
  else if (viewonly)
    out += "color=\"" + std::string(viewonly_grey) + "\", fontcolor=\"" + viewonly_grey +
           "\", style=\"dashed\", ";
  else
    out += "color=\"black\", penwidth=\"1.2\", ";
  out += "label=<" + label + ">];\n";
}

void write_table(std::string& out, const Table& table, const Model& model,
                 const std::map<std::string, std::string>& shading) {
  std::set<std::string> fk_columns;
  for (const auto& fk : table.foreign_keys())
    fk_columns.insert(fk.columns().begin(), fk.columns().end());
  const auto mapper = model.mapper_of.find(table.name());
  const bool mapped = mapper != model.mapper_of.end();

  std::string header_colour = mapped ? "#cfe2f3" : "#e6e6e6";
  std::string subtitle = mapped ? "struct " + mapper->second->class_name()
                         : model.secondaries.contains(table.name()) ? "association table"
                                                                    : "table, not mapped";
  if (auto s = shading.find(table.name()); s != shading.end()) {
    header_colour = s->second == "source"    ? "#e06666"
                    : s->second == "deleted" ? "#f4cccc"
                                             : "#fff2cc";
    subtitle += s->second == "source"    ? " (the deleted row)"
                : s->second == "deleted" ? " (rows deleted too)"
                                         : " (keys set to NULL)";
  }

  out += "  " + quote(table.name()) + " [";
  if (!mapped) out += "color=\"#666666\", ";
  out += "label=<<TABLE BORDER=\"" + std::string(mapped ? "1" : "2") +
         "\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"4\"" +
         (mapped ? "" : " STYLE=\"dashed\"") + ">";
  out += "<TR><TD COLSPAN=\"3\" BGCOLOR=\"" + header_colour + "\"><B>" + html(table.name()) +
         "</B><BR/><FONT POINT-SIZE=\"10\">" + (mapped ? "" : "<I>") + html(subtitle) +
         (mapped ? "" : "</I>") + "</FONT></TD></TR>";
  std::size_t i = 0;
  for (const auto& c : table.columns()) {
    std::string keys;
    if (c.is_primary_key()) keys = "PK";
    if (fk_columns.contains(c.name())) keys += keys.empty() ? "FK" : " FK";
    std::string name = html(c.name());
    if (c.is_primary_key()) name = "<U>" + name + "</U>";
    std::string type = html(type_text(c.type()));
    if (!c.is_nullable()) type += " <B>NOT NULL</B>";
    // Two ports a row: foreign-key edges arrive on the west cell and leave from
    // the east one, so that in a left-to-right layout they do not cross the row.
    const std::string port = "c" + std::to_string(i);
    out += "<TR><TD ALIGN=\"LEFT\" PORT=\"" + port + "\">" + keys + "</TD><TD ALIGN=\"LEFT\">" +
           name + "</TD><TD ALIGN=\"LEFT\" PORT=\"" + port + "_e\">" + type + "</TD></TR>";
    ++i;
  }
  out += "</TABLE>>];\n";
}

void write_foreign_keys(std::string& out, const Table& table) {
  for (const auto& fk : table.foreign_keys()) {
    const Table& target = table.referenced_table(fk);
    const bool self = &target == &table;
    const std::string from = quote(target.name()) + ":\"c" +
                             std::to_string(column_index(target, fk.target_columns().front())) +
                             "_e\":e";
    const std::string to = quote(table.name()) + ":\"c" +
                           std::to_string(column_index(table, fk.columns().front())) +
                           (self ? "_e\":e" : "\":w");
    // (A self-reference's loop gets an xlabel: a label proper lands on
    // whatever else leaves the node on that side.)
    // Tail at the referenced key and dir=back keep the layout's parent-to-child
    // order while the arrow still points at the key, as a reference does.
    out += "  " + from + " -> " + to + " [dir=\"back\", arrowtail=\"normal\", arrowhead=\"none\", ";
    std::vector<std::string> rules;
    if (fk.on_delete() != ReferentialAction::no_action)
      rules.push_back("ON DELETE " + std::string(to_string(fk.on_delete())));
    if (fk.on_update() != ReferentialAction::no_action)
      rules.push_back("ON UPDATE " + std::string(to_string(fk.on_update())));
    if (rules.empty()) {
      out += "color=\"#999999\", style=\"dotted\", arrowsize=\"0.7\"];\n";
      continue;
    }
    std::string label;
    for (const auto& r : rules) label += (label.empty() ? "" : "<BR/>") + html(r);
    out += "color=\"" + std::string(database_blue) + "\", fontcolor=\"" + database_blue +
           "\", penwidth=\"1.5\", " + (self ? "xlabel" : "label") + "=<<B>" + label + "</B>>];\n";
  }
}

void write_legend(std::string& out) {
  const std::string red = delete_red;
  const std::string blue = database_blue;
  const std::string grey = viewonly_grey;
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"dir=\"both\", arrowtail=\"tee\", arrowhead=\"crowvee\", color=\"" + red +
           "\", style=\"bold\", penwidth=\"2.5\"",
       "ORM cascade delete: deleting a row deletes the related rows the arrow points at"},
      {"dir=\"both\", arrowtail=\"teediamond\", arrowhead=\"crowvee\", color=\"" + red +
           "\", style=\"bold\", penwidth=\"2.5\"",
       "delete-orphan (diamond at its owner): a child taken out of the collection is deleted"},
      {"dir=\"both\", arrowtail=\"tee\", arrowhead=\"crow\", color=\"black\", penwidth=\"1.2\"",
       "no delete cascade (a one-to-many side sets its loaded children's key to NULL)"},
      {"dir=\"both\", arrowtail=\"crow\", arrowhead=\"crow\", color=\"black\", penwidth=\"1.2\"",
       "many-to-many: deleting either side deletes its association rows"},
      {"dir=\"both\", arrowtail=\"tee\", arrowhead=\"crow\", color=\"" + grey +
           "\", style=\"dashed\"",
       "viewonly: read only, never writes or cascades"},
      {"dir=\"back\", arrowtail=\"normal\", arrowhead=\"none\", color=\"" + blue +
           "\", penwidth=\"1.5\"",
       "FOREIGN KEY with an ON DELETE rule the database applies itself"},
      {"dir=\"back\", arrowtail=\"normal\", arrowhead=\"none\", color=\"#999999\", "
       "style=\"dotted\"",
       "FOREIGN KEY without ON DELETE rule (points at the referenced key)"},
  };
  out += "  subgraph \"cluster_legend\" {\n";
  // The notes go in the cluster's label: as a node of their own they would
  // share a rank with the sample edges and push them out of line.
  out +=
      "    label=<<TABLE BORDER=\"0\" CELLPADDING=\"2\">"
      "<TR><TD><B>Legend</B></TD></TR>"
      "<TR><TD ALIGN=\"LEFT\"><B>PK</B> primary key (underlined), <B>FK</B> foreign key, "
      "<B>NOT NULL</B> no NULLs allowed</TD></TR>"
      "<TR><TD ALIGN=\"LEFT\">Edge labels: Struct.relationship [cascade; options]; "
      "a back_populates pair shares one edge</TD></TR>"
      "<TR><TD ALIGN=\"LEFT\"><I>passive_deletes</I>: children that are not loaded are "
      "left to the database&#39;s ON DELETE rule</TD></TR>"
      "<TR><TD ALIGN=\"LEFT\">Grey tables with a double border: association tables "
      "(no struct)</TD></TR></TABLE>>;\n";
  out += "    style=\"rounded\"; color=\"#999999\"; fontsize=\"11\"; labeljust=\"l\";\n";
  out += "    node [shape=\"plaintext\", fontsize=\"10\"];\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string a = quote("legend_" + std::to_string(i) + "_a");
    const std::string b = quote("legend_" + std::to_string(i) + "_b");
    out += "    " + a + " [label=\"\", shape=\"point\", width=\"0.05\", color=\"white\"];\n";
    // One width for every text, left-aligned, keeps the sample edges equally long.
    out += "    " + b + " [label=<<TABLE BORDER=\"0\"><TR><TD WIDTH=\"430\" ALIGN=\"LEFT\">" +
           html(rows[i].second) + "</TD></TR></TABLE>>];\n";
    out += "    " + a + " -> " + b + " [" + rows[i].first + ", minlen=\"1\"];\n";
  }
  out += "  }\n";
}

}  // namespace

std::vector<DeleteReach> delete_reach(Registry& registry, std::string_view table) {
  const Model model = model_of(registry);
  const MetaData& metadata = registry.metadata();
  if (metadata.find(table) == nullptr)
    throw InvalidRequest("delete_reach: there is no table '" + std::string(table) +
                         "' in this Registry");

  std::vector<DeleteReach> out;
  std::set<std::pair<std::string, DeleteReach::Effect>> seen;
  std::deque<std::pair<std::string, std::size_t>> queue{{std::string(table), 0}};
  std::set<std::string> expanded;
  const auto reach = [&](const std::string& name, DeleteReach::Effect effect, std::string via,
                         std::size_t depth) {
    if (!seen.insert({name, effect}).second) return;
    out.push_back({.table = name, .effect = effect, .via = std::move(via), .depth = depth});
    if (effect == DeleteReach::Effect::deleted) queue.emplace_back(name, depth);
  };

  while (!queue.empty()) {
    auto [name, depth] = queue.front();
    queue.pop_front();
    if (!expanded.insert(name).second) continue;
    if (auto m = model.mapper_of.find(name); m != model.mapper_of.end())
      for (const auto& r : m->second->relationships()) {
        if (r->options().viewonly) continue;
        const bool cascade = r->cascade().has(Cascade::remove);
        if (r->direction() == Direction::many_to_many) {
          reach(r->secondary()->name(), DeleteReach::Effect::deleted,
                r->describe() + " (association rows)", depth + 1);
          if (cascade)
            reach(r->target().table_name(), DeleteReach::Effect::deleted,
                  r->describe() + " (cascade delete)", depth + 1);
        } else if (cascade) {
          reach(r->target().table_name(), DeleteReach::Effect::deleted,
                r->describe() + " (cascade delete)", depth + 1);
        } else if (r->direction() == Direction::one_to_many && !r->options().passive_deletes_all) {
          reach(r->target().table_name(), DeleteReach::Effect::nulled,
                r->describe() + " (the ORM sets the key to NULL)", depth + 1);
        }
      }
    for (const Table* t : model.tables)
      for (const auto& fk : t->foreign_keys()) {
        if (fk.target_table() != name) continue;
        const std::string via =
            fk_columns_text(*t, fk) + " ON DELETE " + std::string(to_string(fk.on_delete()));
        if (fk.on_delete() == ReferentialAction::cascade)
          reach(t->name(), DeleteReach::Effect::deleted, via, depth + 1);
        else if (fk.on_delete() == ReferentialAction::set_null ||
                 fk.on_delete() == ReferentialAction::set_default)
          reach(t->name(), DeleteReach::Effect::nulled, via, depth + 1);
      }
  }
  return out;
}

std::string to_dot(Registry& registry, const DotOptions& options) {
  const Model model = model_of(registry);

  std::map<std::string, std::string> shading;
  if (!options.highlight_delete_of.empty()) {
    for (const auto& r : delete_reach(registry, options.highlight_delete_of))
      if (!shading.contains(r.table) || r.effect == DeleteReach::Effect::deleted)
        shading[r.table] = r.effect == DeleteReach::Effect::deleted ? "deleted" : "nulled";
    shading[options.highlight_delete_of] = "source";
  }

  std::string out = "digraph " + quote(options.graph_name) + " {\n";
  out += "  graph [rankdir=" + quote(options.rankdir) +
         ", fontname=\"Helvetica\", charset=\"UTF-8\", nodesep=\"0.4\", ranksep=\"1.1\"];\n";
  out += "  node [shape=\"plain\", fontname=\"Helvetica\", fontsize=\"11\"];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=\"10\"];\n";

  out += "  // Tables\n";
  for (const Table* t : model.tables) write_table(out, *t, model, shading);
  out += "  // Relationships\n";
  for (const auto& e : relationship_edges(registry)) write_relationship_edge(out, e);
  if (options.foreign_keys) {
    out += "  // Foreign keys\n";
    for (const Table* t : model.tables) write_foreign_keys(out, *t);
  }
  if (options.legend) write_legend(out);
  out += "}\n";
  return out;
}

}  // namespace relate
