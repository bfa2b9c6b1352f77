#pragma once
// Relationship loading strategies beyond the lazy loader (spec 7.1): the plan a
// query's options and the relationships' own settings make, the JOINs of joined
// loading, the IN queries of selectin loading, and filling relationship members.

#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "orm/session_impl.hpp"
#include "relate/orm/loader_options.hpp"

namespace relate::detail {

// Where a mapper's columns come from in one statement (its table, an alias of
// it, or a subquery), by column index.
using ColumnSource = std::function<Expr(std::size_t)>;
// Where the columns of a many-to-many's association table come from.
using SecondarySource = std::function<Expr(const Column&)>;

ColumnSource columns_of(const Mapper& m);
ColumnSource columns_of(const Mapper& m, const TableAlias& a);
SecondarySource secondary_columns();
SecondarySource secondary_columns(const TableAlias& a);

// The condition linking a relationship's owner rows to its target rows; for a
// many-to-many, the owner side to the association table and the association
// table to the target.
Expr owner_to_secondary(const Relationship& r, const ColumnSource& owner,
                        const SecondarySource& secondary);
Expr secondary_to_target(const Relationship& r, const SecondarySource& secondary,
                         const ColumnSource& target);
// Owner to target for one-to-many and many-to-one.
Expr direct_condition(const Relationship& r, const ColumnSource& owner, const ColumnSource& target);

// The expression with the mapper's table columns moved onto an alias of it.
Expr adapt_to_alias(const Expr& e, const Mapper& m, const TableAlias& a);

// The relationship's order_by, on the given columns of its target.
std::vector<Expr> relationship_order(const Relationship& r, const ColumnSource& target);

// How to load one relationship below its parent node; the root has no relationship.
struct LoadNode {
  const Relationship* relationship = nullptr;
  Loading strategy = Loading::lazy;
  bool from_option = false;  // the strategy applies to the objects this query loads
  std::vector<LoadNode> children;
};

// The relationships' own eager strategies, with the options on top.
LoadNode load_plan(const Registry& registry, const Mapper& root,
                   const std::vector<LoaderOption>& options);
// The eager strategies of the relationships of `via`'s target (lazy loads).
LoadNode default_plan(const Relationship& via);

// The effective strategy of an unloaded member: a query option, else the relationship's.
Loading strategy_of(RelationshipHandle& h);

// Replaces a handle's value with loaded objects (reverse-side changes made
// while it was unloaded apply on top; loaded children's reverse many-to-one is
// set to the owner).
void populate(SessionImpl& s, RelationshipHandle& h, std::span<const Object> items);

// An entity query with its loader plan: the parts of the statement that joined
// loading must see separately.
struct EntityQuery {
  Select select;               // everything: explicit joins, where, order, limit, offset
  std::vector<Expr> order_by;  // as in `select`
  bool limited = false;        // has LIMIT or OFFSET
};

// Runs an entity query: objects de-duplicated by identity, in first-seen
// order, as counted references, with every eager load of `plan` done.
std::vector<ObjectBlock*> load_entities(SessionImpl& s, const Mapper& m, const EntityQuery& q,
                                        const LoadNode& plan);

// Eager loads below `node` for objects already loaded (owners of node's children).
void load_below(SessionImpl& s, const LoadNode& node, const std::vector<Object>& owners);

// Options that need no SQL (lazyload/raiseload), applied to one streamed object.
void apply_strategies(const LoadNode& plan, ObjectBlock* b);

}  // namespace relate::detail
