#pragma once
/// @file
/// What the next flush would delete or null out (DESIGN 5): objects removed
/// explicitly, what delete cascades and orphan rules reach, foreign keys that will
/// be set to NULL, and rows the database itself will delete or null through its
/// ON DELETE rules. Asking changes nothing: no flush, no loading into objects, no
/// writes; rows that are not in memory are found with key-only queries.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "relate/core/schema.hpp"
#include "relate/orm/object.hpp"

namespace relate {

/// What Session::delete_preview() found; see the file description.
struct DeletePreview {
  enum class Reason : std::uint8_t { removed, cascade, orphan, database_cascade };
  struct Row {
    std::string table;
    std::vector<Value> key;
    Object object;  ///< null when the row is not loaded
    Reason reason = Reason::removed;
    std::string via;  ///< the relationship or foreign key that reaches it
  };
  std::vector<Row> deleted;  ///< rows the flush deletes (or the database, for database_cascade)
  std::vector<Row> nulled;   ///< rows whose foreign key is set to NULL (by the ORM or the database)
  struct Counts {
    std::size_t deleted = 0;
    std::size_t nulled = 0;
  };
  std::map<std::string, Counts> per_table;

  bool empty() const noexcept { return deleted.empty() && nulled.empty(); }
};

std::string_view to_string(DeletePreview::Reason r) noexcept;

}  // namespace relate
