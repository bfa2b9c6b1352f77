// Dynamic<T> and WriteOnly<T> (spec 7.1): collections read through queries,
// written through the history (added_/removed_) that the unit of work already
// turns into foreign keys and association rows.

#include "relate/orm/dynamic.hpp"

#include <algorithm>

#include "orm/dynamic_access.hpp"
#include "orm/handle_access.hpp"
#include "orm/session_impl.hpp"

namespace relate::detail {

namespace {

bool holds_block(const std::vector<Object>& v, ObjectBlock* b) {
  return std::any_of(v.begin(), v.end(), [b](const Object& o) { return o.block() == b; });
}

std::string describe_owner(ObjectBlock* b) {
  const InstanceState& st = b->state();
  if (st.has_identity()) return st.mapper()->describe(st.identity().view());
  return st.mapper()->class_name() + " (not yet persisted)";
}

// The owner's key columns for this relationship, as they are now in memory.
std::vector<Value> owner_key(const Relationship& r, ObjectBlock* owner) {
  std::vector<Value> out;
  const void* obj = owner->object();
  if (r.direction() == Direction::many_to_many) {
    for (const auto& [i, c] : r.secondary_owner()) out.push_back(r.owner().columns()[i]->get(obj));
  } else {
    for (const auto& p : r.pairs()) out.push_back(r.owner().columns()[p.parent_column]->get(obj));
  }
  return out;
}

}  // namespace

void QueryCollection::drop_references() noexcept {
  items_.clear();
  drop_history();
}

void QueryCollection::settle() {
  if (owner_ == nullptr || !owner_->state().has_identity()) return;
  // What was appended before the last flush is in the database now; changes
  // echoed from the reverse side are written by that side.
  std::erase_if(items_,
                [this](const Object& o) { return !holds_block(history().added, o.block()); });
  if (history_) {
    history_->pending_added.clear();
    history_->pending_removed.clear();
    trim_history();
  }
  // "Loaded" here means "the in-memory list is this member's history", so that
  // the reverse side records its changes in it.
  loaded_ = true;
}

void QueryCollection::check_bound_target(ObjectBlock* b) const {
  if (b == nullptr) throw InvalidRequest("cannot put a null object into " + rel_->describe());
  if (b->type() != rel_->target().type())
    throw InvalidRequest("an object of another type cannot be put into " + rel_->describe() +
                         ", which holds " + rel_->target().class_name() + " objects");
}

void QueryCollection::add_item(ObjectBlock* b) {
  if (owner_ == nullptr) {  // not part of a mapped object yet: a plain list
    if (!holds_block(items_, b)) items_.emplace_back(b);
    return;
  }
  check_bound_target(b);
  settle();
  if (find(b) >= 0) return;
  append(b, raw_size());
}

bool QueryCollection::remove_item(ObjectBlock* b) {
  if (owner_ == nullptr) {
    auto it =
        std::find_if(items_.begin(), items_.end(), [b](const Object& o) { return o.block() == b; });
    if (it == items_.end()) return false;
    items_.erase(it);
    return true;
  }
  check_bound_target(b);
  settle();
  if (find(b) < 0) {
    // Not appended since the last flush: it can only be one of the owner's rows.
    InstanceState& child = b->state();
    if (!owner_->state().has_identity() || !child.has_identity()) return false;
    if (rel_->direction() == Direction::one_to_many) {
      // The child's foreign key says whether it belongs here (expired after a
      // commit, it is read again, as any access would).
      if (child.needs_load()) prepare_access(child);
      const auto key = owner_key(*rel_, owner_);
      const auto& pairs = rel_->pairs();
      for (std::size_t i = 0; i < pairs.size(); ++i)
        if (!rel_->target().columns()[pairs[i].child_column]->holds(b->object(), key[i]))
          return false;
    }
    // Present for CollectionBase::remove to find, which then unlinks it with
    // sync and history.
    raw_insert(raw_size(), b);
  }
  return remove(b);
}

void QueryCollection::replace_items(const std::vector<ObjectBlock*>& items, bool loadable) {
  if (owner_ == nullptr) {
    items_.clear();
    for (auto* b : items) items_.emplace_back(b);
    return;
  }
  for (auto* b : items) check_bound_target(b);
  settle();
  if (owner_->state().has_identity()) {
    if (!loadable)
      throw InvalidRequest("Collection \"" + rel_->describe() +
                           "\" does not support implicit iteration; collection replacement "
                           "operations can't be used");
    if (owner_->state().session() == nullptr)
      throw DetachedInstanceError("Parent instance '" + describe_owner(owner_) +
                                  "' is not bound to a Session; lazy load operation of "
                                  "attribute '" +
                                  rel_->name() + "' cannot proceed");
    // The current members, to know which leave (read without an autoflush,
    // DESIGN 4.5).
    load(true);
  }
  replace_all(items);
}

bool QueryCollection::reads_database() const {
  if (owner_ == nullptr) return false;
  InstanceState& st = owner_->state();
  SessionImpl* s = st.session();
  if (s == nullptr) {
    if (!st.has_identity()) return false;  // transient: the list is everything
    throw DetachedInstanceError("Parent instance '" + describe_owner(owner_) +
                                "' is not bound to a Session; lazy load operation of attribute '" +
                                rel_->name() + "' cannot proceed");
  }
  // A pending owner gets its row first; with autoflush off it stays pending and
  // its appended items are the whole collection.
  if (!st.has_identity()) s->autoflush();
  return st.has_identity();
}

std::vector<Object> QueryCollection::memory_items() const {
  std::vector<Object> out;
  for (const auto& o : items_)
    if (!holds_block(history().pending_removed, o.block())) out.push_back(o);
  for (const auto& o : history().pending_added)
    if (!holds_block(out, o.block())) out.push_back(o);
  return out;
}

SessionImpl& QueryCollection::query_session() const {
  if (owner_ == nullptr)
    throw InvalidRequest(
        "this collection belongs to no mapped object yet; only objects made with "
        "relate::make<...>() can query their relationships");
  InstanceState& st = owner_->state();
  SessionImpl* s = st.session();
  if (s == nullptr) {
    if (st.has_identity())
      throw DetachedInstanceError("Parent instance '" + describe_owner(owner_) +
                                  "' is not bound to a Session; lazy load operation of "
                                  "attribute '" +
                                  rel_->name() + "' cannot proceed");
    throw InvalidRequest("Instance '" + describe_owner(owner_) + "' is not in a Session, so " +
                         rel_->describe() + " cannot be queried; add it with session.add() first");
  }
  // The criterion reads the owner's key: a pending owner needs its row first.
  if (!st.has_identity()) s->autoflush();
  return *s;
}

const Mapper& QueryCollection::target_mapper() const { return rel_->target(); }

Criterion QueryCollection::parent_criterion() const {
  const Relationship* r = rel_;
  Object owner(owner_);
  // Resolved when the query runs, so the owner's key is the one it has then.
  auto resolve = [r, owner](const Registry&) -> Expr {
    const Mapper& target = r->target();
    const auto key = owner_key(*r, owner.block());
    std::vector<Expr> terms;
    if (r->direction() == Direction::many_to_many) {
      const Table& sec = *r->secondary();
      std::vector<Expr> targets;
      for (const auto& [i, c] : r->secondary_target()) targets.emplace_back(*c);
      std::vector<Expr> match;
      for (std::size_t k = 0; k < r->secondary_owner().size(); ++k)
        match.push_back(Expr(*r->secondary_owner()[k].second) == Expr(key[k]));
      if (r->secondary_target().size() == 1) {
        // target.id IN (SELECT secondary.target_id FROM secondary WHERE secondary.owner_id = ?)
        Select sub = select(targets).from(From(sec));
        for (auto& m : match) sub = sub.where(std::move(m));
        const auto& [i, c] = r->secondary_target().front();
        return Expr(target.columns()[i]->column()).in_(sub);
      }
      Select sub = select({Expr(Value(1))}).from(From(sec));
      for (auto& m : match) sub = sub.where(std::move(m));
      for (const auto& [i, c] : r->secondary_target())
        sub = sub.where(Expr(*c) == Expr(target.columns()[i]->column()));
      return exists(sub);
    }
    const auto& pairs = r->pairs();
    for (std::size_t k = 0; k < pairs.size(); ++k)
      terms.push_back(Expr(target.columns()[pairs[k].child_column]->column()) == Expr(key[k]));
    return terms.size() == 1 ? terms.front() : and_(std::move(terms));
  };
  Criterion::Evaluator evaluate;
  if (r->direction() == Direction::one_to_many) {
    // Synchronize::evaluate for the query's bulk statements.
    evaluate = [r, owner](const void* object) -> std::optional<bool> {
      const auto key = owner_key(*r, owner.block());
      const auto& pairs = r->pairs();
      for (std::size_t k = 0; k < pairs.size(); ++k) {
        Value v = r->target().columns()[pairs[k].child_column]->get(object);
        auto c = compare_values(v, key[k]);
        if (!c) return std::nullopt;
        if (*c != 0) return false;
      }
      return true;
    };
  }
  return Criterion(std::move(resolve), std::move(evaluate));
}

std::vector<OrderTerm> QueryCollection::default_order() const {
  std::vector<OrderTerm> out;
  const Mapper& target = rel_->target();
  for (const auto& spec : rel_->options().order_by) {
    const bool descending = !spec.empty() && spec.front() == '-';
    const auto* c = target.find_column(descending ? spec.substr(1) : spec);
    if (c == nullptr)
      throw ConfigurationError(rel_->describe() + " orders by '" + spec +
                               "', which is not a column of " + target.class_name());
    out.emplace_back(descending ? Expr(c->column()).desc() : Expr(c->column()).asc());
  }
  return out;
}

void load_query_collection(SessionImpl& session, RelationshipHandle& handle) {
  auto& c = static_cast<QueryCollection&>(handle);
  const Relationship& r = *c.rel_;
  if (r.loading() == Loading::write_only)
    throw InvalidRequest("Attribute " + r.describe() +
                         " can't load the existing state from the database for this operation; "
                         "full iteration is not permitted. If this is a delete operation, "
                         "configure passive_deletes = true on the " +
                         r.describe() + " relationship in order to resolve this error.");
  Object keep(c.owner_);
  const Mapper& target = r.target();
  const Registry& registry = session.registry();
  Select q = session.select_columns(target).where(c.parent_criterion().resolve(registry));
  std::vector<Expr> order;
  for (const auto& o : c.default_order()) order.push_back(o.resolve(registry));
  if (!order.empty()) q = q.order_by(std::move(order));
  Result result = session.connection().execute(session.compile(q));
  // During a flush, rows this flush inserted belong to objects that get their
  // identity only when it ends; they must be found here, not loaded again.
  std::vector<Object> unkeyed;
  const std::vector<Object>& items = c.items_;
  for (const auto* list : {&items, &c.history().pending_added})
    for (const auto& o : *list)
      if (!o.block()->state().has_identity()) unkeyed.push_back(o);
  std::vector<Object> rows;
  for (const auto& row : result) {
    const Row values = row.values();
    std::vector<Value> key;
    for (auto i : target.primary_key()) key.push_back(values[i]);
    auto same = std::find_if(unkeyed.begin(), unkeyed.end(), [&](const Object& o) {
      return target.primary_key_of(o.block()->object()) == key;
    });
    if (same != unkeyed.end()) {
      rows.push_back(*same);
    } else if (ObjectBlock* b = session.instance_from_row(target, values, 0)) {
      rows.emplace_back(b);
      b->release();
    }
  }
  // The rows, with this member's unflushed history on top.
  std::vector<Object> merged;
  for (const auto& o : rows)
    if (!holds_block(c.history().removed, o.block()) &&
        !holds_block(c.history().pending_removed, o.block()) && !holds_block(merged, o.block()))
      merged.push_back(o);
  for (const auto* list : {&c.history().added, &c.history().pending_added})
    for (const auto& o : *list)
      if (!holds_block(merged, o.block())) merged.push_back(o);
  c.items_ = std::move(merged);
  c.loaded_ = true;
}

}  // namespace relate::detail
