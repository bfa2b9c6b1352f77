#pragma once
/// @file
/// Relationship: a link between two mapped structs through foreign keys (or an
/// association table), with its direction, its reverse, its cascade and how it
/// loads. Declared on the mapper with m.relationship(...); resolved by
/// Registry::configure().

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "relate/orm/cascade.hpp"
#include "relate/orm/member_key.hpp"

namespace relate {

class Mapper;
class Table;
class Column;

namespace detail {
class ObjectBlock;
class RelationshipHandle;
}  // namespace detail

/// Which side holds the foreign key (spec 0.2).
enum class Direction : std::uint8_t { one_to_many, many_to_one, many_to_many };

/// When related objects are loaded (spec 7.1).
enum class Loading : std::uint8_t {
  lazy,          ///< on first access, one SELECT
  selectin,      ///< after the parent query, one SELECT ... WHERE fk IN (...) per batch
  joined,        ///< in the parent query, LEFT OUTER JOIN
  raise,         ///< access of an unloaded value raises InvalidRequest
  raise_on_sql,  ///< raises only if the load would need SQL
  dynamic,       ///< the attribute is a query (`Dynamic<T>`)
  write_only,    ///< never loaded; add/remove and queries only (`WriteOnly<T>`)
};

/// Whether deleting a parent is refused while it still has children through this
/// relationship (Django's PROTECT / RESTRICT; DESIGN 5).
enum class Restrict : std::uint8_t {
  none,
  protect,   ///< refused whenever children exist
  restrict,  ///< refused unless those children are deleted in the same flush
};

std::string_view to_string(Direction d) noexcept;
std::string_view to_string(Loading l) noexcept;

/// Options of MapperBuilder::relationship().
struct RelationshipOptions {
  /// The name of the relationship on the other struct that is this one's reverse.
  std::string back_populates{};
  /// Default "save-update, merge".
  std::optional<CascadeSpec> cascade{};
  /// Many-to-many: the association table (declared with registry.table(...)).
  std::string secondary{};
  /// The foreign-key column(s) this relationship uses, when the two tables are
  /// linked by more than one ("billing_address_id").
  std::vector<std::string> foreign_keys{};
  /// Order of a collection when loaded: a column of the target, "-name" for descending.
  std::vector<std::string> order_by{};
  Loading lazy = Loading::lazy;
  bool viewonly = false;
  bool single_parent = false;
  /// Write this relationship's foreign key with a separate UPDATE after both rows
  /// exist (and clear it before deletes): breaks cycles between rows.
  bool post_update = false;
  /// false, true, or "all" (spec 2.3): leave unloaded children to the database's
  /// ON DELETE rules.
  bool passive_deletes = false;
  bool passive_deletes_all = false;
  Restrict restrict_delete = Restrict::none;
};

/// One mapped relationship, resolved by Registry::configure().
class Relationship {
 public:
  const std::string& name() const noexcept { return name_; }
  const Mapper& owner() const noexcept { return *owner_; }
  const Mapper& target() const noexcept { return *target_; }
  Direction direction() const noexcept { return direction_; }
  bool is_collection() const noexcept { return collection_; }
  const Relationship* reverse() const noexcept { return reverse_; }
  Cascade cascade() const noexcept { return cascade_; }
  const RelationshipOptions& options() const noexcept { return options_; }
  Loading loading() const noexcept { return options_.lazy; }
  /// "User.addresses"
  std::string describe() const;

  /// Column pairs: for one-to-many and many-to-one, (parent key column, child
  /// foreign-key column), indexes into the respective mappers' columns. For
  /// many-to-many, the owner's key columns with the secondary table's columns
  /// that refer to them, and the same for the target.
  struct Pair {
    std::size_t parent_column;  ///< in the referenced ("one") side's mapper
    std::size_t child_column;   ///< in the referencing side's mapper
  };
  const std::vector<Pair>& pairs() const noexcept { return pairs_; }
  const Table* secondary() const noexcept { return secondary_; }
  /// Many-to-many: (owner key column index, secondary column) and (target key
  /// column index, secondary column).
  const std::vector<std::pair<std::size_t, const Column*>>& secondary_owner() const noexcept {
    return secondary_owner_;
  }
  const std::vector<std::pair<std::size_t, const Column*>>& secondary_target() const noexcept {
    return secondary_target_;
  }
  /// The "one" side (holder of the referenced key) and the "many" side (holder of
  /// the foreign key) of a one-to-many or many-to-one.
  const Mapper& parent_mapper() const noexcept {
    return direction_ == Direction::many_to_one ? *target_ : *owner_;
  }
  const Mapper& child_mapper() const noexcept {
    return direction_ == Direction::many_to_one ? *owner_ : *target_;
  }

  /// The handle of this relationship inside an object of the owner struct.
  detail::RelationshipHandle& handle(void* object) const {
    // The member sits at the same place in every object of the struct.
    return *reinterpret_cast<detail::RelationshipHandle*>(static_cast<char*>(object) + handle_at_);
  }
  detail::RelationshipHandle& handle(detail::ObjectBlock* block) const;
  std::size_t index() const noexcept { return index_; }
  /// Whether `member` is the struct member this relationship was mapped on
  /// (loader options and query joins name relationships by member pointer).
  template <class T, class H>
  bool is_member(H T::*member) const noexcept {
    return member_.is(member);
  }

 private:
  friend class Registry;
  friend class Mapper;

  std::string name_;
  const Mapper* owner_ = nullptr;
  const Mapper* target_ = nullptr;
  const std::type_info* target_type_ = nullptr;
  Direction direction_ = Direction::one_to_many;
  bool collection_ = true;
  const Relationship* reverse_ = nullptr;
  Cascade cascade_;
  RelationshipOptions options_;
  std::vector<Pair> pairs_;
  const Table* secondary_ = nullptr;
  std::vector<std::pair<std::size_t, const Column*>> secondary_owner_;
  std::vector<std::pair<std::size_t, const Column*>> secondary_target_;
  std::size_t handle_at_ = 0;  // bytes from the start of the object
  std::size_t index_ = 0;
  detail::MemberKey member_;
};

}  // namespace relate
