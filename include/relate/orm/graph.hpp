#pragma once
/// @file
/// The mapping as a picture: a registry's tables, relationships and cascade rules
/// as a Graphviz graph (DOT text), drawn so that a reader sees what a delete reaches.
///
/// @code
///   std::ofstream("mapping.dot") << relate::to_dot(registry);
///   // dot -Tpng mapping.dot -o mapping.png
/// @endcode
///
/// Relationship edges run from the table whose delete travels along them (the
/// parent, unless only the child side cascades) to the other one: bold red when
/// the ORM cascades delete that way. Thin edges are foreign keys, pointing at the
/// referenced key, blue when the database itself acts ON DELETE. docs/mapping.md
/// explains the picture.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace relate {

class Registry;

/// How to_dot() draws the mapping.
struct DotOptions {
  /// The DOT graph's name (an identifier, escaped as needed).
  std::string graph_name{"relate_mapping"};
  /// "LR" (parents left of children) or "TB".
  std::string rankdir{"LR"};
  /// Draw one thin edge per FOREIGN KEY besides the relationship edges.
  bool foreign_keys = true;
  bool legend = true;
  /// When set to a table name: shade every table that deleting one of its rows
  /// reaches (see delete_reach()).
  std::string highlight_delete_of{};
};

/// DOT text for the registry's mapping (configures it first).
std::string to_dot(Registry& registry, const DotOptions& options = {});

/// One table that deleting a row of another table reaches.
struct DeleteReach {
  enum class Effect : std::uint8_t {
    deleted,  ///< rows are deleted (ORM cascade, association rows, ON DELETE CASCADE)
    nulled,   ///< rows stay; their foreign key is set to NULL (or its default)
  };
  std::string table{};
  Effect effect = Effect::deleted;
  /// How: "User.addresses (cascade delete)", "addresses.user_id ON DELETE CASCADE".
  std::string via{};
  /// 1 for tables reached directly from the deleted row, 2 for the next step...
  std::size_t depth = 0;
};

/// What deleting one row of `table` through a Session can reach, breadth first:
/// ORM delete cascades, the rows of many-to-many association tables, the foreign
/// keys the ORM nulls in children it does not delete, and the database's
/// ON DELETE rules. Each table appears once per effect, at its shallowest depth;
/// only deleted rows reach further. Throws InvalidRequest for an unknown table.
std::vector<DeleteReach> delete_reach(Registry& registry, std::string_view table);

}  // namespace relate
