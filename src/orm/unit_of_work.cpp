// The unit of work (spec section 5, DESIGN 4.1 and 4.2): everything the Session
// knows to be new, changed or removed is written in one flush, parents before
// children by foreign key, in batches, inside a savepoint, and undone in memory
// as well as in the database if any statement fails.

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "orm/unit_of_work.hpp"

#include "orm/handle_access.hpp"
#include "relate/core/warning.hpp"

namespace relate {

namespace {

std::string join_names(const Mapper& m, const std::vector<std::size_t>& cols) {
  std::string out;
  for (auto i : cols) {
    out += m.columns()[i]->column_name();
    out += ',';
  }
  return out;
}

// Binds column `c` of `object`: the value given for it in `given` (a key
// chosen before the INSERT, a NULL forced into an UPDATE), else the member in
// place.
void bind_column(const ColumnAttribute& c, const void* object,
                 const std::vector<std::pair<std::size_t, Value>>& given, ParamSink& out) {
  auto g =
      std::find_if(given.begin(), given.end(), [&](const auto& p) { return p.first == c.index(); });
  if (g != given.end())
    out.value(g->second);
  else
    c.bind(object, out);
}

}  // namespace

bool key_less(std::span<const Value> a, std::span<const Value> b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const Value &x = a[i], &y = b[i];
    if (x == y) continue;
    if (x.kind() != y.kind()) return x.kind() < y.kind();
    switch (x.kind()) {
      case ValueKind::integer: return x.as_integer() < y.as_integer();
      case ValueKind::real: return x.as_real() < y.as_real();
      case ValueKind::text: return x.as_text() < y.as_text();
      case ValueKind::boolean: return !x.as_boolean();
      case ValueKind::blob: return x.as_blob() < y.as_blob();
      case ValueKind::null: return false;
    }
  }
  return a.size() < b.size();
}

bool key_less(const KeyRef& a, const KeyRef& b) {
  auto with = [](const KeyRef& k, auto&& use) {
    if (k.identity == nullptr) return use(k.values);
    const auto view = k.identity->view();
    return use(view.span());
  };
  return with(a, [&](std::span<const Value> x) {
    return with(b, [&](std::span<const Value> y) { return key_less(x, y); });
  });
}

void UnitOfWork::set_member(InstanceState& st, std::size_t column, const Value& v) {
  const auto& attr = *st.mapper_->columns()[column];
  void* obj = st.block()->object();
  undo_.push_back({&st, column, attr.get(obj)});
  s_.mark_touched(st);
  attr.set(obj, v);
}

UnitOfWork::Insert UnitOfWork::make_insert(InstanceState& st) {
  const Mapper& m = *st.mapper_;
  Insert row{&st, 0};
  shape_columns_.clear();
  shape_returning_.clear();
  const void* obj = st.block()->object();
  for (const auto& c : m.columns()) {
    const std::size_t i = c->index();
    const Column& col = c->column();
    const bool version = m.version_column() == i;
    // Only a generated key and a column with a default need their value now:
    // the others are bound from the member when the INSERT runs.
    if (m.generated_key() == i ||
        (!version && (col.default_value().has_value() || col.has_server_default()))) {
      Value v = c->get(obj);
      if (m.generated_key() == i && m.key_is_unassigned(std::span<const Value>(&v, 1))) {
        shape_returning_.push_back(i);
        continue;
      }
      if (!version && v.is_null() && col.default_value()) {
        v = *col.default_value();
        set_member(st, i, v);
        row.chosen.emplace_back(i, std::move(v));
      } else if (!version && v.is_null() && col.has_server_default()) {
        shape_returning_.push_back(i);
        continue;
      }
    }
    if (version) {
      Value v(1);
      set_member(st, i, v);
      row.chosen.emplace_back(i, std::move(v));
    }
    shape_columns_.push_back(i);
  }
  // Rows of one table nearly always share their shape: the last one is tried first.
  for (std::size_t k = insert_shapes_.size(); k-- > 0;) {
    const InsertShape& shape = insert_shapes_[k];
    if (shape.columns == shape_columns_ && shape.returning == shape_returning_) {
      row.shape = k;
      return row;
    }
  }
  insert_shapes_.push_back({shape_columns_, shape_returning_});
  row.shape = insert_shapes_.size() - 1;
  return row;
}

std::uint32_t UnitOfWork::update_columns(const std::vector<std::size_t>& columns) {
  if (!update_columns_.empty() && update_columns_.back() == columns)
    return static_cast<std::uint32_t>(update_columns_.size() - 1);
  auto [at, added] =
      update_columns_at_.emplace(columns, static_cast<std::uint32_t>(update_columns_.size()));
  if (added) update_columns_.push_back(columns);
  return at->second;
}

UnitOfWork::Update UnitOfWork::make_update(InstanceState& st, std::vector<std::size_t>& changed,
                                           InstanceState* replaces) {
  const Mapper& m = *st.mapper_;
  Update u{&st, 0, Update::no_extra, replaces};
  if (auto v = m.version_column()) {
    InstanceState& versioned = replaces ? *replaces : st;
    const Value old = versioned.committed_.at(*v);
    extra_of(u).old_version = old;
    std::erase(changed, *v);
    changed.push_back(*v);
    set_member(st, *v, Value(old.as_integer() + 1));
  }
  u.columns = update_columns(changed);
  return u;
}

UnitOfWork::UpdateExtra& UnitOfWork::extra_of(Update& u) {
  if (u.extra == Update::no_extra) {
    u.extra = static_cast<std::uint32_t>(update_extras_.size());
    update_extras_.emplace_back();
  }
  return update_extras_[u.extra];
}

void UnitOfWork::keep_updates(const Mapper& m, std::vector<Update>& rows) {
  auto& kept = updates_[&m];
  if (kept.empty()) {
    kept = std::move(rows);
    return;
  }
  kept.insert(kept.end(), std::make_move_iterator(rows.begin()),
              std::make_move_iterator(rows.end()));
}

bool UnitOfWork::is_orphan(const InstanceState& st) const {
  // Asked of every object in the identity map at every flush: the delete-orphan
  // relationships are listed once per flush, not per object.
  if (!orphan_relationships_) {
    orphan_relationships_.emplace();
    for (const Mapper* m : s_.registry_.mappers())
      for (const auto& r : m->relationships())
        if (r->cascade().has(Cascade::delete_orphan)) orphan_relationships_->push_back(r.get());
  }
  for (const Relationship* r : *orphan_relationships_)
    if (&r->target() == st.mapper_ && st.has_parent(r) == false) return true;
  return false;
}

// What this flush deletes (spec 1.3.5, 3.3; DESIGN 4.3): the objects removed with
// remove(), persistent orphans, and everything their delete cascades reach in
// memory now. An object that a delete cascade marked earlier but that is no
// longer reached (it was re-parented) is not deleted after all.
void UnitOfWork::resolve_deletes() {
  std::vector<Object> keep;
  std::vector<InstanceState*> roots;
  for (auto* st : s_.marked_deleted_)
    if (!st->deleted_by_cascade_) roots.push_back(st);
  // An orphan is deleted for being one, also when a delete cascade that may
  // no longer reach it marked it too. Only an object that left a parent since
  // the last flush can be one (the Session lists them).
  auto candidates = [&](auto&& visit) {
    if (s_.touched_overflow_) {
      for (auto& [k, st] : s_.identity_map_) visit(st);
      return;
    }
    detail::PointerIndex done;
    for (const auto& o : s_.left_parent_) {
      InstanceState* st = &o.block()->state();
      if (st->session_ == &s_ && st->has_identity_ && !st->deleted_ && done.insert(st)) visit(st);
    }
  };
  candidates([&](InstanceState* st) {
    if ((!st->marked_for_delete_ || st->deleted_by_cascade_) && is_orphan(*st)) roots.push_back(st);
  });
  std::vector<InstanceState*> pending_orphans;
  for (auto& [o, st] : s_.pending_)
    if (is_orphan(*st)) pending_orphans.push_back(st);
  for (auto* st : pending_orphans) {
    keep.emplace_back(st->block());
    s_.expunge_pending_orphan(*st);
  }
  SessionImpl::Visited reached;
  for (auto* st : roots) {
    keep.emplace_back(st->block());
    if (!st->marked_for_delete_) {
      st->marked_for_delete_ = true;
      s_.marked_deleted_.insert(st);
      s_.hold(*st);
    }
    s_.cascade_delete(*st, reached);
  }
  for (auto* st :
       std::vector<InstanceState*>(s_.marked_deleted_.begin(), s_.marked_deleted_.end())) {
    if (!st->deleted_by_cascade_ || reached.contains(st)) continue;
    st->marked_for_delete_ = false;
    st->deleted_by_cascade_ = false;
    s_.marked_deleted_.erase(st);
  }
}

// DESIGN 5 restrict: a parent being deleted must have no children through a
// restricting relationship (or, for Restrict::restrict, only children deleted in
// this same flush). Loaded collections are read in memory; unloaded ones with one
// query per relationship. Nothing has been written yet when this throws.
void UnitOfWork::check_restrictions() {
  for (const Mapper* pm : s_.registry_.mappers()) {
    for (const auto& rp : pm->relationships()) {
      const Relationship& r = *rp;
      if (r.options().restrict_delete == Restrict::none) continue;
      std::vector<InstanceState*> parents;
      for (auto* st : s_.marked_deleted_)
        if (st->mapper_ == pm) parents.push_back(st);
      if (parents.empty()) continue;
      const bool allow_deleted = r.options().restrict_delete == Restrict::restrict;
      std::vector<std::string> blocking;
      std::size_t total = 0;
      auto note = [&](const InstanceState* c, std::string what) {
        if (allow_deleted && c != nullptr && c->marked_for_delete_) return;
        ++total;
        if (blocking.size() < 5) blocking.push_back(std::move(what));
      };
      std::vector<InstanceState*> unloaded;
      for (auto* p : parents) {
        detail::RelationshipHandle& h = r.handle(p->block()->object());
        if (h.is_loaded() && r.loading() != Loading::dynamic &&
            r.loading() != Loading::write_only) {
          h.for_each([&](detail::ObjectBlock* b) {
            const InstanceState& c = b->state();
            note(&c, c.has_identity_ ? c.mapper_->describe(c.identity_.view())
                                     : c.mapper_->class_name() + " (new)");
          });
        } else {
          unloaded.push_back(p);
        }
      }
      // Not in memory: one query for the children's keys of all these parents.
      const Mapper& target = r.target();
      for (std::size_t from = 0; from < unloaded.size(); from += max_in_values) {
        const std::size_t to = std::min(unloaded.size(), from + max_in_values);
        std::vector<Expr> key_cols;
        for (auto k : target.primary_key()) key_cols.emplace_back(target.columns()[k]->column());
        Select q = select(key_cols).from(From(target.table()));
        // The parents' key columns: one IN list when it is a single column.
        std::vector<std::pair<const Column*, std::size_t>> cols;
        if (r.direction() == Direction::one_to_many) {
          for (const auto& pr : r.pairs())
            cols.emplace_back(&target.columns()[pr.child_column]->column(), pr.parent_column);
        } else {
          for (const auto& [i2, c] : r.secondary_owner()) cols.emplace_back(c, i2);
        }
        std::vector<Expr> any_parent;
        std::vector<Expr> values;
        for (std::size_t i = from; i < to; ++i) {
          const void* obj = unloaded[i]->block()->object();
          std::vector<Expr> match;
          for (const auto& [c, pc] : cols) {
            values.emplace_back(pm->columns()[pc]->get(obj));
            match.push_back(Expr(*c) == Expr(pm->columns()[pc]->get(obj)));
          }
          any_parent.push_back(and_(match));
        }
        Expr where = cols.size() == 1 ? Expr(*cols.front().first).in_(std::move(values))
                                      : or_(std::move(any_parent));
        if (r.direction() == Direction::many_to_many) {
          std::vector<Expr> on;
          for (const auto& [i, c] : r.secondary_target())
            on.push_back(Expr(target.columns()[i]->column()) == Expr(*c));
          q = q.join(From(*r.secondary()), on.size() == 1 ? on.front() : and_(on));
        }
        q = q.where(std::move(where));
        Result res = s_.connection().execute(s_.compile(q));
        for (const auto& row : res) {
          std::vector<Value> key = row.values();
          note(s_.find_identity(target, key), target.describe(key));
        }
      }
      if (total == 0) continue;
      std::string list;
      for (const auto& b : blocking) list += (list.empty() ? "" : ", ") + b;
      if (total > blocking.size()) list += ", ...";
      throw RestrictError("Cannot delete " + pm->class_name() + ": " + r.describe() +
                          " still has " + std::to_string(total) + " " + r.target().class_name() +
                          " row(s) (" + list + "); delete or move them first" +
                          (allow_deleted ? ", or delete them in the same flush" : ""));
    }
  }
}

void UnitOfWork::collect() {
  resolve_deletes();
  plan_set_cascades();
  check_restrictions();
  // A pending object with the identity of one marked for delete becomes an
  // UPDATE of that row (row switch, spec 5.6).
  // (Only looked up when there are pending objects.)
  std::unordered_map<IdentityKey, InstanceState*, IdentityKeyHash> deleted_by_key;
  std::unordered_set<InstanceState*> switched;
  if (!s_.pending_.empty())
    for (auto* st : s_.marked_deleted_)
      deleted_by_key[IdentityKey{st->mapper_, st->identity_.values()}] = st;

  bool work = false;
  // Every new object is linked (a child) or owns links, and is inserted.
  pending_.reserve(s_.pending_.size());
  linked_at_.reserve(s_.pending_.size());
  for (auto& [order, st] : s_.pending_) {
    keep_.emplace_back(st->block());
    pending_.push_back(st);
    work = true;
    if (deleted_by_key.empty()) continue;
    const Mapper& m = *st->mapper_;
    auto key = m.primary_key_of(st->block()->object());
    auto it =
        m.key_is_unassigned(key) ? deleted_by_key.end() : deleted_by_key.find(IdentityKey{&m, key});
    if (it != deleted_by_key.end()) {
      row_switch_[st] = it->second;
      switched.insert(it->second);
      deleted_by_key.erase(it);
    }
  }
  auto consider_owner = [&](InstanceState* st) {
    if (!st->relationships_changed_) return;
    keep_.emplace_back(st->block());
    changed_owners_.push_back(st);
    plan_links(*st);
    work = true;
  };
  for (auto* st : pending_) consider_owner(st);
  // Persistent owners whose relationships changed: the Session lists them
  // (consider_owner clears nothing, so each is taken once).
  detail::PointerIndex owners;
  owners.reserve(changed_owners_.size());
  for (auto* st : changed_owners_) owners.insert(st);
  auto persistent_owner = [&](InstanceState* st) {
    if (st->session_ == &s_ && st->has_identity_ && owners.insert(st)) consider_owner(st);
  };
  if (s_.touched_overflow_)
    for (auto& [k, st] : s_.identity_map_) persistent_owner(st);
  for (const auto& o : s_.changed_owners_) persistent_owner(&o.block()->state());
  for (auto* st : s_.marked_deleted_) persistent_owner(st);
  // Persistent rows that may need an UPDATE: objects reached since their last
  // load, and children whose foreign key a link sets.
  detail::PointerIndex listed;
  auto candidate = [&](InstanceState* st) {
    if (st->session_ != &s_ || !st->has_identity_ || st->deleted_ || st->marked_for_delete_ ||
        !listed.insert(st))
      return;
    update_candidates_[st->mapper_].push_back(st);
    if (!work && !s_.changed_columns(*st).empty()) work = true;
  };
  for (auto* st : s_.touched_objects()) candidate(st);
  for (const auto& l : linked_) candidate(l.child);
  for (auto* st : s_.marked_deleted_) {
    if (switched.contains(st)) continue;
    keep_.emplace_back(st->block());
    deletes_[st->mapper_].push_back(st);
    work = true;
  }
  empty_ = !work && set_statements_.empty();
}

void UnitOfWork::plan_links(InstanceState& owner) {
  using detail::HandleAccess;
  const Mapper& m = *owner.mapper_;
  detail::ObjectBlock* ob = owner.block();
  for (const auto& rp : m.relationships()) {
    const Relationship& r = *rp;
    if (r.options().viewonly) continue;
    detail::RelationshipHandle& h = r.handle(ob->object());
    auto link = [&](detail::ObjectBlock* child, detail::ObjectBlock* parent) {
      InstanceState& c = child->state();
      // Children of an object being deleted that left the Session (pending ones
      // expunged by its delete cascade, DESIGN 4.4) need no key.
      if (c.session_ != &s_ && owner.marked_for_delete_) return;
      if (c.session_ != &s_) {
        // DESIGN 4.7: the flush needs this object and it is not in the Session.
        throw FlushError("The " + c.mapper_->class_name() + " object referenced by " +
                         r.describe() + " is not in the Session, so " + r.describe() +
                         " cannot be written; add it with session.add(), or enable the "
                         "save-update cascade on " +
                         r.describe());
      }
      keep_.emplace_back(child);
      add_link(c, {&r, parent});
    };
    if (r.direction() == Direction::many_to_many) {
      auto& c = HandleAccess::collection(h);
      for (const auto& o : HandleAccess::added(c))
        associations_.push_back({&r, ob, o.block(), true});
      for (const auto& o : HandleAccess::removed(c))
        associations_.push_back({&r, ob, o.block(), false});
      for (const auto& a : associations_) keep_.emplace_back(a.target);
      continue;
    }
    if (r.direction() == Direction::many_to_one) {
      auto& sc = HandleAccess::scalar(h);
      if (!HandleAccess::changed(sc)) continue;
      detail::ObjectBlock* value = sc.raw_get();
      if (value != nullptr && value->state().session_ != &s_)
        throw FlushError("The " + value->state().mapper_->class_name() + " object referenced by " +
                         r.describe() + " is not in the Session, so " + r.describe() +
                         " cannot be written; add it with session.add(), or enable the "
                         "save-update cascade on " +
                         r.describe());
      if (value) keep_.emplace_back(value);
      add_link(owner, {&r, value});
      continue;
    }
    // One-to-many: children take this object's key; children that left and found
    // no other parent lose it.
    if (r.is_collection()) {
      auto& c = HandleAccess::collection(h);
      for (const auto& o : HandleAccess::added(c)) link(o.block(), ob);
      // A new child that joined the unloaded collection through its many-to-one
      // (c->parent = p) waits there; if it is not in the Session, DESIGN 4.7's
      // error applies as for a loaded collection.
      if (!h.is_loaded())
        for (const auto& o : HandleAccess::pending_added(c))
          if (o.block()->state().session_ != &s_) link(o.block(), ob);
      for (const auto& o : HandleAccess::removed(c))
        if (o.block()->state().has_parent(&r) != true) link(o.block(), nullptr);
    } else {
      auto& sc = HandleAccess::scalar(h);
      if (!HandleAccess::changed(sc)) continue;
      detail::ObjectBlock* now = sc.raw_get();
      detail::ObjectBlock* before = HandleAccess::committed(sc).block();
      if (now) link(now, ob);
      if (before && before != now && before->state().has_parent(&r) != true) link(before, nullptr);
    }
  }
}

namespace {
// Whether two links write the same parent's key into the same columns: a new
// child is linked from its parent's collection and again from its own
// many-to-one, and the second link would change nothing.
bool same_link(const Relationship* a, const Relationship* b) {
  if (a->reverse() != b || b->reverse() != a || a->options().post_update ||
      b->options().post_update)
    return false;
  const auto &pa = a->pairs(), &pb = b->pairs();
  if (pa.size() != pb.size()) return false;
  for (std::size_t i = 0; i < pa.size(); ++i)
    if (pa[i].parent_column != pb[i].parent_column || pa[i].child_column != pb[i].child_column)
      return false;
  return true;
}
}  // namespace

void UnitOfWork::add_link(InstanceState& child, Link link) {
  const auto at = static_cast<std::uint32_t>(link_entries_.size());
  auto [place, added] = linked_at_.emplace(&child, static_cast<std::uint32_t>(linked_.size()));
  if (added) {
    link_entries_.push_back({link, no_link});
    linked_.push_back({&child, at, at});
    return;
  }
  Linked& l = linked_[place];
  const Link& last = link_entries_[l.last].link;
  if (link.parent != nullptr && last.parent == link.parent && same_link(last.rel, link.rel)) return;
  link_entries_.push_back({link, no_link});
  link_entries_[l.last].next = at;
  l.last = at;
}

bool UnitOfWork::waits_for_pending_parent(InstanceState& child, const Mapper& m) const {
  const std::uint32_t at = linked_at_.find(&child);
  if (at == no_link) return false;
  for (std::uint32_t e = linked_[at].first; e != no_link; e = link_entries_[e].next) {
    const Link& l = link_entries_[e].link;
    if (l.parent == nullptr) continue;
    InstanceState& p = l.parent->state();
    if (&p == &child) continue;
    if (p.mapper_ == &m && !p.has_identity_ && !p.inserted_in_transaction_) return true;
  }
  return false;
}

void UnitOfWork::apply_links(InstanceState& child) {
  const std::uint32_t at = linked_at_.find(&child);
  if (at == no_link) return;
  // An expired key is neither compared nor written as a change: read it first
  // (a child moved after a commit expired it).
  if (child.has_identity_ && child.needs_load()) s_.load_expired(child);
  // Unlinks first: when a child left one parent for another, the new parent's
  // key is what stays.
  const std::uint32_t first = linked_[at].first;
  for (std::uint32_t e = first; e != no_link; e = link_entries_[e].next)
    if (link_entries_[e].link.parent == nullptr) apply_link(child, link_entries_[e].link);
  for (std::uint32_t e = first; e != no_link; e = link_entries_[e].next)
    if (link_entries_[e].link.parent != nullptr) apply_link(child, link_entries_[e].link);
}

void UnitOfWork::apply_link(InstanceState& child, const Link& l) {
  // post_update links are written by their own UPDATE once both rows exist.
  if (l.rel->options().post_update) return;
  // Unlinking a child that is being deleted writes nothing.
  if (l.parent == nullptr && child.marked_for_delete_) return;
  const auto& cols = child.mapper_->columns();
  const auto& pairs = l.rel->pairs();
  // The parent's key, read in full before any of it is copied (a row may be its
  // own parent).
  std::vector<Value>& values = link_values_;
  values.clear();
  if (l.parent != nullptr) {
    InstanceState& p = l.parent->state();
    if (!p.has_identity_ && !p.inserted_in_transaction_)
      throw CircularDependencyError(
          "Circular dependency detected: " + child.mapper_->class_name() + " needs the key of " +
          p.mapper_->class_name() + " through " + l.rel->describe() + ", and that row is not " +
          "written yet; set post_update = true on one of the relationships of the cycle");
    for (const auto& pr : pairs)
      values.push_back(p.mapper_->columns()[pr.parent_column]->get(l.parent->object()));
  }
  // A new child of a parent deleted in this flush is written without the link
  // (the parent's delete nulls its persistent children the same way, spec 2.1).
  const bool parent_going =
      l.parent != nullptr && l.parent->state().marked_for_delete_ && !child.has_identity_;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const Value v = l.parent && !parent_going ? values[i] : Value();
    if (cols[pairs[i].child_column]->holds(child.block()->object(), v)) continue;
    try {
      set_member(child, pairs[i].child_column, v);
    } catch (const ConversionError&) {
      undo_.pop_back();
      if (!parent_going) throw;
      // The member cannot hold NULL: the row keeps the parent's key and the
      // database refuses the parent's DELETE, as it would any other way.
    }
  }
}

void UnitOfWork::save_mapper(const Mapper& m) {
  // UPDATEs of persistent rows, after their foreign keys are synchronised.
  auto update_rows = [&](const std::vector<InstanceState*>& states) {
    std::vector<Update> updates;
    updates.reserve(states.size());  // 24 bytes a candidate
    for (auto* st : states) {
      apply_links(*st);
      s_.changed_columns(*st, changed_);
      if (changed_.empty()) continue;
      keep_.emplace_back(st->block());
      updates.push_back(make_update(*st, changed_, nullptr));
    }
    if (updates.empty()) return;
    execute_updates(m, updates);
    keep_updates(m, updates);
  };
  // Persistent rows first (spec 5.5), unless their new parent is a new row of this
  // very table (self-referential): those wait for the INSERTs.
  std::vector<InstanceState*> now, later;
  if (auto c = update_candidates_.find(&m); c != update_candidates_.end())
    for (auto* st : c->second) {
      if (st->marked_for_delete_) continue;
      (waits_for_pending_parent(*st, m) ? later : now).push_back(st);
    }
  update_rows(now);
  // New rows in levels: a row whose parent is a new row of the same table waits
  // for the level that inserts it (spec 5.4).
  std::vector<InstanceState*> remaining;
  for (auto* st : pending_)
    if (st->mapper_ == &m) remaining.push_back(st);
  while (!remaining.empty()) {
    std::vector<InstanceState*> ready, waiting;
    ready.reserve(remaining.size());
    for (auto* st : remaining) (waits_for_pending_parent(*st, m) ? waiting : ready).push_back(st);
    if (ready.empty()) {
      throw CircularDependencyError(
          "Circular dependency detected among new " + m.class_name() +
          " rows that reference each other; set post_update = true on one of the relationships");
    }
    // Row switches first (spec 5.6): their UPDATEs run before the level's INSERTs.
    std::vector<InstanceState*> new_rows;
    if (row_switch_.empty()) {
      new_rows = std::move(ready);
    } else {
      std::vector<Update> switched;
      for (auto* st : ready) {
        auto rs = row_switch_.find(st);
        if (rs == row_switch_.end()) {
          new_rows.push_back(st);
          continue;
        }
        apply_links(*st);
        std::vector<std::size_t> all;
        for (const auto& c : m.columns()) all.push_back(c->index());
        switched.push_back(make_update(*st, all, rs->second));
      }
      if (!switched.empty()) {
        execute_updates(m, switched);
        for (auto& u : switched) u.st->inserted_in_transaction_ = true;
        keep_updates(m, switched);
      }
    }
    // INSERTs in chunks, each built just before it runs: the values of a
    // chunk stay in the cache, and a large flush does not hold a copy of every
    // new row's values at once.
    constexpr std::size_t rows_per_chunk = 1024;
    std::vector<Insert> rows;
    rows.reserve(std::min(new_rows.size(), rows_per_chunk));
    for (std::size_t from = 0; from < new_rows.size(); from += rows_per_chunk) {
      const std::size_t to = std::min(new_rows.size(), from + rows_per_chunk);
      rows.clear();
      for (std::size_t i = from; i < to; ++i) {
        apply_links(*new_rows[i]);
        rows.push_back(make_insert(*new_rows[i]));
      }
      execute_inserts(m, rows);
      for (const auto& r : rows) {
        inserts_.push_back(r.st);
        r.st->inserted_in_transaction_ = true;
      }
    }
    remaining = std::move(waiting);
  }
  update_rows(later);
}

namespace {
std::vector<Value> key_of(const Mapper& m, const void* obj,
                          const std::vector<std::pair<std::size_t, const Column*>>& cols) {
  std::vector<Value> out;
  for (const auto& [i, c] : cols) out.push_back(m.columns()[i]->get(obj));
  return out;
}
}  // namespace

// Mappers in foreign-key order (DESIGN 4.2), except that a foreign key written by
// a post_update relationship creates no ordering: that is how post_update breaks
// cycles between rows that refer to each other (spec 5.6).
std::vector<const Mapper*> UnitOfWork::mapper_order() const {
  std::vector<const Mapper*> sorted;
  for (const Table* t : s_.registry_.metadata().sorted_tables())
    for (const Mapper* m : s_.registry_.mappers())
      if (&m->table() == t) sorted.push_back(m);
  auto post_updated = [&](const Mapper& child, const ForeignKey& fk) {
    for (const auto& r : child.relationships()) {
      if (!r->options().post_update || r->direction() != Direction::many_to_one) continue;
      for (const auto& p : r->pairs())
        for (const auto& c : fk.columns())
          if (child.columns()[p.child_column]->column_name() == c) return true;
    }
    return false;
  };
  std::vector<const Mapper*> order;
  std::vector<const Mapper*> left = sorted;
  while (!left.empty()) {
    bool progressed = false;
    for (auto it = left.begin(); it != left.end(); ++it) {
      const Mapper* m = *it;
      bool ready = true;
      for (const auto& fk : m->table().foreign_keys()) {
        if (fk.target_table() == m->table_name() || post_updated(*m, fk)) continue;
        for (const Mapper* other : left)
          if (other != m && other->table_name() == fk.target_table()) ready = false;
      }
      if (ready) {
        order.push_back(m);
        left.erase(it);
        progressed = true;
        break;
      }
    }
    if (!progressed) {  // a cycle without post_update: fall back to the table order
      order.insert(order.end(), left.begin(), left.end());
      break;
    }
  }
  return order;
}

void UnitOfWork::write_post_updates() {
  std::map<const Mapper*, std::vector<Update>> updates;
  for (const Linked& lc : linked_) {
    InstanceState* child = lc.child;
    auto links = [&](auto&& f) {
      for (std::uint32_t e = lc.first; e != no_link; e = link_entries_[e].next)
        f(link_entries_[e].link);
    };
    bool post_updated = false;
    links([&](const Link& l) { post_updated = post_updated || l.rel->options().post_update; });
    if (!post_updated || child->marked_for_delete_) continue;
    bool any = false;
    links([&](const Link& l) {
      if (!l.rel->options().post_update) return;
      std::vector<Value> values;
      if (l.parent) {
        InstanceState& p = l.parent->state();
        for (const auto& pr : l.rel->pairs())
          values.push_back(p.mapper_->columns()[pr.parent_column]->get(l.parent->object()));
      }
      const auto& pairs = l.rel->pairs();
      for (std::size_t i = 0; i < pairs.size(); ++i) {
        const Value v = l.parent ? values[i] : Value();
        if (child->mapper_->columns()[pairs[i].child_column]->holds(child->block()->object(), v))
          continue;
        set_member(*child, pairs[i].child_column, v);
        any = true;
      }
    });
    if (!any) continue;
    const Mapper& m = *child->mapper_;
    if (child->has_identity_) {
      auto changed = s_.changed_columns(*child);
      updates[&m].push_back(make_update(*child, changed, nullptr));
      continue;
    }
    // A row inserted by this flush: address it by its new key and set only the
    // post_update columns.
    std::vector<std::size_t> columns;
    links([&](const Link& l) {
      if (l.rel->options().post_update)
        for (const auto& pr : l.rel->pairs()) columns.push_back(pr.child_column);
    });
    Update u{child, update_columns(columns)};
    UpdateExtra& x = extra_of(u);
    x.new_key = m.primary_key_of(child->block()->object());
    if (auto v = m.version_column()) x.old_version = m.columns()[*v]->get(child->block()->object());
    updates[&m].push_back(std::move(u));
  }
  for (auto& [m, rows] : updates) {
    execute_updates(*m, rows);
    keep_updates(*m, rows);
  }
}

// Before rows are deleted, post_update foreign keys pointing at or from them are
// cleared so that the DELETEs can run in any order (spec 5.6).
void UnitOfWork::clear_post_updates_of_deleted() {
  std::map<const Mapper*, std::vector<Update>> updates;
  for (auto& [m, rows] : deletes_) {
    for (const auto& r : m->relationships()) {
      if (!r->options().post_update || r->direction() != Direction::many_to_one) continue;
      for (auto* st : rows) {
        bool set = false;
        std::vector<std::size_t> cols;
        for (const auto& p : r->pairs()) {
          // An expired value is unknown: clear it to be safe.
          if (st->is_expired(p.child_column) || !st->committed_.at(p.child_column).is_null())
            set = true;
          cols.push_back(p.child_column);
        }
        if (!set) continue;
        for (auto c : cols) set_member(*st, c, Value());
        updates[m].push_back(make_update(*st, cols, nullptr));
      }
    }
  }
  for (auto& [m, rows] : updates) execute_updates(*m, rows);
}

void UnitOfWork::write_associations() {
  // Each link once, whichever side recorded it (spec 4.1).
  struct Key {
    const Relationship* rel;
    detail::ObjectBlock* a;
    detail::ObjectBlock* b;
    bool operator==(const Key&) const = default;
  };
  std::vector<Key> seen;
  std::map<std::pair<const Relationship*, bool>, std::vector<std::vector<Value>>> sets;
  for (const auto& a : associations_) {
    const Relationship* rel = a.rel;
    detail::ObjectBlock* owner = a.owner;
    detail::ObjectBlock* target = a.target;
    if (rel->reverse() && rel->reverse() < rel) {
      rel = rel->reverse();
      std::swap(owner, target);
    }
    // The link rows of an object whose DELETE a flush has run went with it; a
    // collection may still hold it (spec 5.9). A new link of an object this
    // flush deletes would go with it too: it is not written.
    if (!a.add && (owner->state().deleted_ || target->state().deleted_)) continue;
    if (a.add && (owner->state().marked_for_delete_ || target->state().marked_for_delete_))
      continue;
    Key k{rel, owner, target};
    if (std::find(seen.begin(), seen.end(), k) != seen.end()) continue;
    seen.push_back(k);
    for (auto* b : {owner, target}) {
      InstanceState& st = b->state();
      if (st.session_ != &s_)
        throw FlushError("The " + st.mapper_->class_name() + " object linked through " +
                         a.rel->describe() + " is not in the Session; add it with session.add()");
    }
    auto row = key_of(rel->owner(), owner->object(), rel->secondary_owner());
    auto t = key_of(rel->target(), target->object(), rel->secondary_target());
    row.insert(row.end(), t.begin(), t.end());
    sets[{rel, a.add}].push_back(std::move(row));
  }
  Connection& conn = s_.connection();
  // Removals first, so that removing and re-adding a link in one flush works.
  for (bool add : {false, true}) {
    for (auto& [key, rows] : sets) {
      if (key.second != add) continue;
      const Relationship& rel = *key.first;
      const Table& sec = *rel.secondary();
      std::vector<std::string> names;
      for (const auto& [i, c] : rel.secondary_owner()) names.push_back(c->name());
      for (const auto& [i, c] : rel.secondary_target()) names.push_back(c->name());
      if (add) {
        const auto& stmt =
            s_.compiled("assoc-insert:" + rel.describe(), insert(sec).bind_columns(names));
        conn.execute_many(stmt, rows);
      } else {
        auto del = delete_from(sec);
        for (const auto& n : names) del = del.where(Expr(sec.column(n)) == bind(n));
        const auto& stmt = s_.compiled("assoc-delete:" + rel.describe(), del);
        Result r = conn.execute_many(stmt, rows);
        const auto matched = r.rows_affected();
        if (matched != static_cast<std::int64_t>(rows.size()))
          throw StaleDataError("DELETE statement on table '" + sec.name() +
                               "' expected to delete " + std::to_string(rows.size()) +
                               " row(s); Only " + std::to_string(matched) + " were matched.");
      }
    }
  }
}

void UnitOfWork::delete_associations_of_deleted() {
  Connection& conn = s_.connection();
  std::map<std::pair<const Table*, std::string>, std::vector<std::vector<Value>>> sets;
  std::map<std::pair<const Table*, std::string>, std::vector<const Column*>> columns;
  for (auto& [m, rows] : deletes_) {
    for (const Mapper* any : s_.registry_.mappers()) {
      for (const auto& r : any->relationships()) {
        if (r->direction() != Direction::many_to_many || r->options().viewonly) continue;
        for (bool owner_side : {true, false}) {
          const Mapper& side = owner_side ? r->owner() : r->target();
          if (&side != m) continue;
          // passive_deletes on the deleted object's side: the association
          // table's ON DELETE CASCADE removes the rows (spec 4.4).
          const Relationship* from_here = owner_side ? r.get() : r->reverse();
          if (from_here != nullptr && from_here->options().passive_deletes) continue;
          const auto& cols = owner_side ? r->secondary_owner() : r->secondary_target();
          std::string sig;
          std::vector<const Column*> cs;
          for (const auto& [i, c] : cols) {
            sig += c->name() + ",";
            cs.push_back(c);
          }
          auto key = std::make_pair(r->secondary(), sig);
          if (columns.contains(key) && !sets[key].empty() && sets[key].size() >= rows.size())
            continue;
          columns[key] = cs;
          for (auto* st : rows) sets[key].push_back(key_of(*m, st->block()->object(), cols));
        }
      }
    }
  }
  for (auto& [key, rows] : sets) {
    auto del = delete_from(*key.first);
    for (const Column* c : columns[key]) del = del.where(Expr(*c) == bind(c->name()));
    const auto& stmt = s_.compiled("assoc-delete-all:" + key.first->name() + ":" + key.second, del);
    conn.execute_many(stmt, rows);
  }
}

void UnitOfWork::null_children_of_deleted(const Mapper& m) {
  using detail::HandleAccess;
  std::vector<Update> updates;
  for (auto& [pm, parents] : deletes_) {
    for (const auto& rp : pm->relationships()) {
      const Relationship& r = *rp;
      if (r.direction() != Direction::one_to_many || &r.target() != &m || r.options().viewonly ||
          r.cascade().has(Cascade::remove) || r.options().passive_deletes_all)
        continue;
      for (auto* p : parents) {
        if (set_handled_.contains({p, &r})) continue;  // a set statement nulls them
        detail::RelationshipHandle& h = r.handle(p->block()->object());
        // A dynamic or write-only member never holds all its rows in memory.
        if (!h.is_loaded() || r.loading() == Loading::dynamic ||
            r.loading() == Loading::write_only) {
          if (r.options().passive_deletes) continue;  // the database's ON DELETE decides
          s_.load_relationship(h, true);
        }
        std::vector<Object> children;
        h.for_each([&](detail::ObjectBlock* b) { children.emplace_back(b); });
        for (const auto& o : children) {
          InstanceState& c = o.block()->state();
          // A child whose DELETE an earlier flush ran may still be listed (spec 5.9).
          if (c.marked_for_delete_ || c.deleted_ || c.session_ != &s_ || !c.has_identity_) continue;
          bool points_here = true;
          for (const auto& pr : r.pairs())
            points_here =
                points_here && m.columns()[pr.child_column]->holds(
                                   o.block()->object(),
                                   pm->columns()[pr.parent_column]->get(p->block()->object()));
          if (!points_here) continue;
          for (const auto& pr : r.pairs()) {
            for (auto k : m.primary_key())
              if (k == pr.child_column)
                throw FlushError("Deleting " + pm->describe(p->identity_.view()) + " would set " +
                                 m.class_name() + "." + m.columns()[k]->column_name() +
                                 ", part of the primary key of " + m.describe(c.identity_.view()) +
                                 ", to NULL; give " + r.describe() +
                                 " a delete cascade (cascade = \"all\") instead");
          }
          std::vector<std::pair<std::size_t, Value>> forced;
          for (const auto& pr : r.pairs()) {
            try {
              set_member(c, pr.child_column, Value());
            } catch (const ConversionError&) {
              undo_.pop_back();  // nothing was changed
              forced.emplace_back(pr.child_column, Value());
            }
          }
          keep_.push_back(o);
          auto changed = s_.changed_columns(c);
          // The key is written even when it was NULL at the last flush: this
          // flush may have set it to the parent already (a child attached to
          // a parent that is deleted in the same flush).
          for (const auto& pr : r.pairs())
            if (std::find(changed.begin(), changed.end(), pr.child_column) == changed.end() &&
                std::none_of(forced.begin(), forced.end(),
                             [&](const auto& f) { return f.first == pr.child_column; }))
              changed.push_back(pr.child_column);
          for (const auto& f : forced) changed.push_back(f.first);
          Update u = make_update(c, changed, nullptr);
          if (!forced.empty()) extra_of(u).forced = std::move(forced);
          updates.push_back(std::move(u));
        }
      }
    }
  }
  if (!updates.empty()) {
    execute_updates(m, updates);
    keep_updates(m, updates);
  }
}

void UnitOfWork::execute_inserts(const Mapper& m, std::vector<Insert>& rows) {
  Connection& conn = s_.connection();
  std::size_t i = 0;
  while (i < rows.size()) {
    // Consecutive rows (add order) with the same columns go out as one batch.
    std::size_t j = i + 1;
    while (j < rows.size() && rows[j].shape == rows[i].shape) ++j;
    const InsertShape& first = insert_shapes_[rows[i].shape];
    std::vector<std::string> names;
    for (auto c : first.columns) names.push_back(m.columns()[c]->column_name());
    // A key SQLite generates as the rowid is read back as the rowid: RETURNING
    // costs SQLite a temporary table per statement, several times the INSERT.
    const auto generated = m.generated_key();
    const bool by_rowid =
        first.returning.size() == 1 && generated && first.returning.front() == *generated &&
        m.primary_key().size() == 1 &&
        conn.driver().is_rowid_alias(m.table_name(), m.columns()[*generated]->column_name());
    std::vector<Expr> returning;
    if (!by_rowid)
      for (auto c : first.returning) returning.emplace_back(m.columns()[c]->column());
    std::string key = "insert:" + m.table_name() + ":" + join_names(m, first.columns) + ":" +
                      (by_rowid ? "rowid" : join_names(m, first.returning));
    const CompiledStatement& stmt = s_.compiled(
        key, relate::insert(m.table()).bind_columns(names).returning(std::move(returning)));
    // The rows' values as the statement binds them: members in place.
    class Written final : public ParamSets {
     public:
      Written(const Mapper& m, const InsertShape& shape, const Insert* rows, std::size_t n)
          : m_(m), shape_(shape), rows_(rows), n_(n) {}
      std::size_t size() const override { return n_; }
      std::size_t width() const override { return shape_.columns.size(); }
      void write(std::size_t set, ParamSink& out) const override {
        const Insert& row = rows_[set];
        const void* obj = row.st->block()->object();
        for (auto c : shape_.columns) bind_column(*m_.columns()[c], obj, row.chosen, out);
      }

     private:
      const Mapper& m_;
      const InsertShape& shape_;
      const Insert* rows_;
      std::size_t n_;
    };
    Result outcome = conn.execute_many(stmt, Written(m, first, rows.data() + i, j - i));
    if (by_rowid) {
      const auto& rowids = outcome.inserted_rowids();
      if (rowids.size() != j - i)
        throw FlushError("INSERT into '" + m.table_name() + "' reported " +
                         std::to_string(rowids.size()) + " rowid(s) for " + std::to_string(j - i) +
                         " inserted");
      for (std::size_t r = i; r < j; ++r) set_member(*rows[r].st, *generated, Value(rowids[r - i]));
    } else if (!first.returning.empty()) {
      const std::vector<Row> back_rows = outcome.rows();
      if (back_rows.size() != j - i)
        throw FlushError("INSERT into '" + m.table_name() + "' returned " +
                         std::to_string(back_rows.size()) + " row(s) for " + std::to_string(j - i) +
                         " inserted");
      for (std::size_t r = i; r < j; ++r) {
        const Row& back = back_rows[r - i];
        for (std::size_t k = 0; k < first.returning.size(); ++k)
          set_member(*rows[r].st, first.returning[k], back[k]);
      }
    }
    i = j;
  }
}

void UnitOfWork::execute_updates(const Mapper& m, std::vector<Update>& rows) {
  Connection& conn = s_.connection();
  sort_by_key(rows, [this](const Update& u) { return where(u); });
  std::size_t i = 0;
  while (i < rows.size()) {
    std::size_t j = i + 1;
    while (j < rows.size() && rows[j].columns == rows[i].columns) ++j;
    const auto& cols = update_columns_[rows[i].columns];
    auto stmt_builder = relate::update(m.table());
    for (auto c : cols) {
      const auto& name = m.columns()[c]->column_name();
      stmt_builder = stmt_builder.set(name, bind("v_" + name));
    }
    for (auto k : m.primary_key()) {
      const auto& name = m.columns()[k]->column_name();
      stmt_builder = stmt_builder.where(Expr(m.columns()[k]->column()) == bind("k_" + name));
    }
    const bool versioned = m.version_column().has_value();
    if (versioned)
      stmt_builder = stmt_builder.where(Expr(m.columns()[*m.version_column()]->column()) ==
                                        bind("old_version"));
    const CompiledStatement& stmt =
        s_.compiled("update:" + m.table_name() + ":" + join_names(m, cols), stmt_builder);
    // What each placeholder takes, worked out once per statement rather than
    // by name for every row.
    struct Slot {
      enum { version, value, key } kind;
      const ColumnAttribute* attr = nullptr;
      std::size_t key_at = 0;
    };
    std::vector<Slot> slots;
    for (const auto& name : stmt.keys) {
      if (name == "old_version") {
        slots.push_back({Slot::version});
        continue;
      }
      const auto* attr = m.find_column(std::string_view(name).substr(2));
      if (name.starts_with("v_")) {
        slots.push_back({Slot::value, attr});
        continue;
      }
      for (std::size_t p = 0; p < m.primary_key().size(); ++p)
        if (m.primary_key()[p] == attr->index()) slots.push_back({Slot::key, attr, p});
    }
    // The rows' values as the statement binds them: members in place (a
    // string is not copied), the key from the identity.
    class Written final : public ParamSets {
     public:
      Written(const UnitOfWork& uow, const std::vector<Slot>& slots, const Update* rows,
              std::size_t n)
          : uow_(uow), slots_(slots), rows_(rows), n_(n) {}
      std::size_t size() const override { return n_; }
      std::size_t width() const override { return slots_.size(); }
      void write(std::size_t set, ParamSink& out) const override {
        const Update& u = rows_[set];
        const UpdateExtra* extra = uow_.extra_of(u);
        const void* obj = u.st->block()->object();
        for (const auto& slot : slots_) {
          switch (slot.kind) {
            case Slot::version: out.value(*extra->old_version); break;
            case Slot::key: {
              const KeyRef key = uow_.where(u);
              if (key.identity == nullptr) {
                out.value(key.values[slot.key_at]);
              } else if (const std::int64_t* n = key.identity->if_integer()) {
                out.integer(*n);
              } else {
                const auto view = key.identity->view();
                out.value(view.span()[slot.key_at]);
              }
              break;
            }
            case Slot::value:
              if (extra != nullptr)
                bind_column(*slot.attr, obj, extra->forced, out);
              else
                slot.attr->bind(obj, out);
              break;
          }
        }
      }

     private:
      const UnitOfWork& uow_;
      const std::vector<Slot>& slots_;
      const Update* rows_;
      std::size_t n_;
    };
    Result outcome = conn.execute_many(stmt, Written(*this, slots, rows.data() + i, j - i));
    const std::int64_t matched = outcome.rows_affected();
    if (matched != static_cast<std::int64_t>(j - i))
      throw StaleDataError("UPDATE statement on table '" + m.table_name() +
                           "' expected to update " + std::to_string(j - i) + " row(s); " +
                           std::to_string(matched) + " were matched.");
    i = j;
  }
}

void UnitOfWork::execute_deletes(const Mapper& m, std::vector<InstanceState*>& all_rows) {
  sort_by_key(all_rows,
              [](const InstanceState* st) -> const detail::Identity& { return st->identity(); });
  // In a self-referential table, rows go before the rows they refer to
  // (deepest first, spec 5.4); each level is one batch.
  std::vector<const Relationship*> self;
  for (const auto& r : m.relationships())
    if (r->direction() == Direction::many_to_one && &r->target() == &m) self.push_back(r.get());
  // The order below and the version check use the values of the last flush or
  // load, which a rollback may have undone since: expired rows are read again
  // (a row already gone is left to the DELETE's row count).
  if (!self.empty() || m.version_column())
    for (auto* st : all_rows)
      if (st->needs_load()) s_.load_into(*st, true);
  if (self.empty()) {
    delete_batch(m, all_rows);
    return;
  }
  std::vector<InstanceState*> remaining = all_rows;
  while (!remaining.empty()) {
    std::vector<InstanceState*> level, later;
    for (auto* st : remaining) {
      bool referenced = false;
      for (auto* other : remaining) {
        if (other == st) continue;
        for (const Relationship* r : self) {
          bool points = true;
          for (const auto& p : r->pairs())
            points = points && other->committed_.size() > p.child_column &&
                     st->identity_.size() > 0 &&
                     other->committed_[p.child_column] == st->committed_.at(p.parent_column);
          if (points) referenced = true;
        }
      }
      (referenced ? later : level).push_back(st);
    }
    if (level.empty())
      throw CircularDependencyError(
          "Circular dependency detected among " + m.class_name() +
          " rows being deleted that reference each other; set post_update = true on " +
          self.front()->describe());
    delete_batch(m, level);
    remaining = std::move(later);
  }
}

void UnitOfWork::delete_batch(const Mapper& m, std::vector<InstanceState*>& rows) {
  Connection& conn = s_.connection();
  if (rows.size() > 1 && m.primary_key().size() == 1 && !m.version_column()) {
    // Without a version to check per row, one DELETE ... WHERE key IN (...)
    // per chunk does the same work as a statement per row, and the row count
    // is checked the same way (as SQLAlchemy's executemany rowcount).
    const Column& key = m.columns()[m.primary_key().front()]->column();
    std::int64_t matched = 0;
    for (std::size_t from = 0; from < rows.size(); from += max_in_values) {
      const std::size_t to = std::min(rows.size(), from + max_in_values);
      std::vector<Expr> keys;
      keys.reserve(to - from);
      for (std::size_t i = from; i < to; ++i)
        keys.emplace_back(rows[i]->identity_.view().span().front());
      matched +=
          conn.execute(s_.compile(delete_from(m.table()).where(Expr(key).in_(std::move(keys)))))
              .rows_affected();
    }
    if (matched != static_cast<std::int64_t>(rows.size()))
      warn("delete-rowcount", "DELETE statement on table '" + m.table_name() +
                                  "' expected to delete " + std::to_string(rows.size()) +
                                  " row(s); " + std::to_string(matched) + " were matched.");
    return;
  }
  auto stmt_builder = delete_from(m.table());
  for (auto k : m.primary_key())
    stmt_builder = stmt_builder.where(Expr(m.columns()[k]->column()) ==
                                      bind("k_" + m.columns()[k]->column_name()));
  const bool versioned = m.version_column().has_value();
  if (versioned)
    stmt_builder =
        stmt_builder.where(Expr(m.columns()[*m.version_column()]->column()) == bind("old_version"));
  const CompiledStatement& stmt = s_.compiled("delete:" + m.table_name(), stmt_builder);
  std::vector<std::vector<Value>> sets;
  for (auto* st : rows) {
    std::vector<Value> set = st->identity_.values();
    if (versioned) set.push_back(st->committed_.at(*m.version_column()));
    sets.push_back(std::move(set));
  }
  Result outcome = conn.execute_many(stmt, sets);
  const std::int64_t matched = outcome.rows_affected();
  if (matched != static_cast<std::int64_t>(rows.size())) {
    std::string msg = "DELETE statement on table '" + m.table_name() + "' expected to delete " +
                      std::to_string(rows.size()) + " row(s); " + std::to_string(matched) +
                      " were matched.";
    if (versioned) throw StaleDataError(msg);
    warn("delete-rowcount", msg);
  }
}

void UnitOfWork::undo() noexcept {
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    try {
      it->st->mapper_->columns()[it->column]->set(it->st->block()->object(), it->old);
    } catch (...) {
      // The old value came out of this very member, so it converts back.
    }
  }
}

namespace {
// Whether an object's key members still hold its identity: asked of every
// updated row, without building the key (primary_key_of() allocates).
bool key_members_hold_identity(const Mapper& m, const InstanceState& st) {
  const auto identity = st.identity().view();
  const auto key = identity.span();
  const auto& pk = m.primary_key();
  if (key.size() != pk.size()) return false;
  const void* obj = st.block()->object();
  for (std::size_t i = 0; i < pk.size(); ++i)
    if (!m.columns()[pk[i]]->holds(obj, key[i])) return false;
  return true;
}
}  // namespace

void UnitOfWork::finalize() {
  // New rows leave the pending list in one pass at the end (whatever happens
  // on the way): objects whose insert_order_ is cleared below.
  struct LeavePending {
    PendingObjects& pending;
    ~LeavePending() {
      pending.erase_where([](const InstanceState& st) { return st.insert_order_ == 0; });
    }
  } leave_pending{s_.pending_};
  std::vector<InstanceState*> release;
  release.reserve(inserts_.size());
  for (InstanceState* row : inserts_) {
    InstanceState& st = *row;
    st.insert_order_ = 0;
    s_.install_identity_from_members(st);
    s_.snapshot(st);
    release.push_back(&st);
  }
  for (auto& [m, rows] : updates_) {
    for (auto& u : rows) {
      InstanceState& st = *u.st;
      if (u.replaces) {  // row switch: the new object takes over the row
        s_.mark_bulk_deleted(*u.replaces);
        st.insert_order_ = 0;
        s_.install_identity_from_members(st);
      } else if (!key_members_hold_identity(*m, st)) {
        // The primary key itself changed: re-key the identity map, and remember
        // the old key so a rollback can put it back (spec 6.6).
        s_.identity_map_.remove(st);
        s_.rekeyed_.emplace_back(&st, st.identity_.values());
        s_.install_identity_from_members(st);
      }
      s_.snapshot(st);
      release.push_back(&st);
    }
  }
  for (auto* st : changed_owners_) {
    s_.reset_relationship_history(*st);
    if (!st->marked_for_delete_) release.push_back(st);
  }
  for (auto& [m, rows] : deletes_)
    for (auto* st : rows) s_.mark_bulk_deleted(*st);
  s_.forget_written_waiting_changes();
  // Pending and changed objects were held so they could not vanish before their
  // statements; as clean persistent objects they now live as long as the user
  // keeps them (keep_ still holds them until this flush returns).
  for (auto* st : release)
    if (st->session_ == &s_ && !st->deleted_ && !st->marked_for_delete_) s_.unhold(*st);
}

void UnitOfWork::run() {
  std::optional<Savepoint> savepoint;
  // Loads made while collecting the work may begin the transaction: it is
  // still the flush's own, rolled back as a whole if the flush fails.
  const bool began_here = !s_.in_transaction();
  // resolve_deletes() marks orphans and what delete cascades reach now, and
  // unmarks what they no longer reach; a failed flush puts the marks back.
  std::vector<std::pair<InstanceState*, bool>> marks;  // with deleted_by_cascade_
  for (auto* st : s_.marked_deleted_) marks.emplace_back(st, st->deleted_by_cascade_);
  std::vector<std::pair<Object, std::uint32_t>> expunged;
  s_.expunged_by_flush_ = &expunged;
  struct Stop {
    SessionImpl& s;
    ~Stop() { s.expunged_by_flush_ = nullptr; }
  } stop{s_};
  try {
    collect();
    if (empty_) return;
    // Tables in foreign-key order: referenced rows are written first, deleted last.
    const std::vector<const Mapper*> order = mapper_order();

    Connection& conn = s_.connection();
    if (!began_here) savepoint.emplace(conn.begin_nested());
    for (const Mapper* m : order) save_mapper(*m);
    write_associations();
    write_post_updates();
    if (!deletes_.empty() || !set_statements_.empty()) {
      clear_post_updates_of_deleted();
      delete_associations_of_deleted();
      for (auto it = order.rbegin(); it != order.rend(); ++it) {
        run_set_statements(**it);
        null_children_of_deleted(**it);
        if (auto d = deletes_.find(*it); d != deletes_.end()) execute_deletes(**it, d->second);
      }
    }
    if (savepoint) savepoint->release();
  } catch (...) {
    // DESIGN 4.1: the database and every object go back to before the flush.
    for (auto* st : inserts_) st->inserted_in_transaction_ = false;
    for (auto& [m, rows] : updates_)
      for (auto& u : rows)
        if (u.replaces != nullptr) u.st->inserted_in_transaction_ = false;
    bool lost = false;
    try {
      if (savepoint) {
        savepoint->rollback();
      } else if (began_here && s_.transaction_) {
        s_.transaction_->rollback();
        s_.transaction_.reset();
        s_.connection_.reset();
      }
    } catch (...) {
      lost = true;
    }
    // Without a savepoint to go back to, the transaction may be over (the
    // connection died; SQLite rolls back by itself after I/O errors) or good
    // only for a rollback (PostgreSQL after a failed SAVEPOINT).
    if (s_.transaction_ && !lost) {
      const DriverConnection& d = s_.connection_->driver();
      lost = !d.healthy() || !d.in_transaction() || d.transaction_failed();
    }
    undo();
    for (auto* st :
         std::vector<InstanceState*>(s_.marked_deleted_.begin(), s_.marked_deleted_.end())) {
      st->marked_for_delete_ = false;
      st->deleted_by_cascade_ = false;
      s_.marked_deleted_.erase(st);
    }
    // Objects marked here stay held: holding longer than needed loses nothing.
    for (auto [st, by_cascade] : marks) {
      st->marked_for_delete_ = true;
      st->deleted_by_cascade_ = by_cascade;
      s_.marked_deleted_.insert(st);
    }
    // New objects expunged here are pending again, in their place.
    for (auto& [o, order] : expunged) {
      InstanceState& st = o.block()->state();
      if (st.session_ != nullptr || st.has_identity_) continue;
      st.session_ = &s_;
      st.insert_order_ = order;
      s_.pending_.emplace(order, &st);
      s_.hold(st);
    }
    if (lost) s_.lose_transaction();
    throw;
  }
  finalize();
  s_.wrote_in_transaction_ = true;
}

namespace {

[[noreturn]] void rethrow_with_hint(const std::string& hint) {
  try {
    throw;
  } catch (const IntegrityError& e) {
    throw IntegrityError(e.what() + hint, e.info());
  } catch (const DataError& e) {
    throw DataError(e.what() + hint, e.info());
  } catch (const ProgrammingError& e) {
    throw ProgrammingError(e.what() + hint, e.info());
  } catch (const OperationalError& e) {
    throw OperationalError(e.what() + hint, e.info());
  } catch (const DatabaseError& e) {
    throw DatabaseError(e.what() + hint, e.info());
  } catch (const StaleDataError& e) {
    throw StaleDataError(e.what() + hint);
  } catch (const FlushError& e) {
    throw FlushError(e.what() + hint);
  } catch (const CircularDependencyError& e) {
    throw CircularDependencyError(e.what() + hint);
  }
}

}  // namespace

void SessionImpl::autoflush() {
  if (!options_.autoflush || no_autoflush_depth_ != 0 || flushing_) return;
  // Autoflush runs before every query, lazy load and database-bound get():
  // with nothing to write it must cost O(objects reached), not a pass over
  // the identity map. (A column changed through a raw pointer kept from
  // before the last flush is written by the next flush() or commit().)
  if (!autoflush_has_work()) {
    reset_seen();
    return;
  }
  try {
    flush();
  } catch (const Error&) {
    rethrow_with_hint(
        " (raised as a result of autoflush before a query; consider using a "
        "session.no_autoflush() block if this flush is occurring prematurely)");
  }
}

std::string_view to_string(DeletePreview::Reason r) noexcept {
  switch (r) {
    case DeletePreview::Reason::removed: return "removed";
    case DeletePreview::Reason::cascade: return "cascade";
    case DeletePreview::Reason::orphan: return "orphan";
    case DeletePreview::Reason::database_cascade: return "database cascade";
  }
  return "?";
}

DeletePreview UnitOfWork::preview() {
  using detail::HandleAccess;
  using Reason = DeletePreview::Reason;
  DeletePreview out;
  struct Node {
    const Mapper* mapper;
    std::vector<Value> key;
    detail::ObjectBlock* object;
  };
  std::set<std::string> deleted, nulled;
  auto id = [](const std::string& table, const std::vector<Value>& key) {
    std::string s = table;
    for (const auto& v : key) s += "|" + v.repr();
    return s;
  };
  std::vector<Node> work;
  auto mark_deleted = [&](const Mapper& m, std::vector<Value> key, detail::ObjectBlock* obj,
                          Reason why, std::string via) {
    if (!deleted.insert(id(m.table_name(), key)).second) return;
    out.deleted.push_back({m.table_name(), key, Object(obj), why, std::move(via)});
    work.push_back({&m, std::move(key), obj});
  };
  auto child_keys = [&](const Relationship& r, const Mapper& owner,
                        const std::vector<Value>& owner_key, detail::ObjectBlock* obj) {
    // Key-only query for rows not in memory: nothing is loaded into objects.
    const Mapper& target = r.target();
    std::vector<Expr> key_cols;
    for (auto k : target.primary_key()) key_cols.emplace_back(target.columns()[k]->column());
    Select q = select(key_cols).from(From(target.table()));
    auto owner_value = [&](std::size_t column) {
      if (obj) return owner.columns()[column]->get(obj->object());
      for (std::size_t i = 0; i < owner.primary_key().size(); ++i)
        if (owner.primary_key()[i] == column) return owner_key[i];
      return Value();
    };
    if (r.direction() == Direction::one_to_many) {
      for (const auto& pr : r.pairs())
        q = q.where(Expr(target.columns()[pr.child_column]->column()) ==
                    Expr(owner_value(pr.parent_column)));
    } else if (r.direction() == Direction::many_to_many) {
      std::vector<Expr> on;
      for (const auto& [i, c] : r.secondary_target())
        on.push_back(Expr(target.columns()[i]->column()) == Expr(*c));
      q = q.join(From(*r.secondary()), on.size() == 1 ? on.front() : and_(on));
      for (const auto& [i, c] : r.secondary_owner()) q = q.where(Expr(*c) == Expr(owner_value(i)));
    } else {
      std::vector<Value> fk;
      for (const auto& pr : r.pairs()) fk.push_back(owner_value(pr.child_column));
      std::vector<std::vector<Value>> one;
      bool any_null = false;
      for (const auto& v : fk) any_null = any_null || v.is_null();
      if (!any_null) one.push_back(fk);
      return one;
    }
    std::vector<std::vector<Value>> keys;
    auto stmt = s_.compile(q);
    Result res = s_.connection().execute(stmt);
    for (const auto& row : res) keys.push_back(row.values());
    return keys;
  };

  for (auto* st : s_.marked_deleted_)
    mark_deleted(*st->mapper_, st->identity_.values(), st->block(),
                 st->deleted_by_cascade_ ? Reason::cascade : Reason::removed, "");
  for (auto& [k, st] : s_.identity_map_)
    if (!st->marked_for_delete_ && is_orphan(*st))
      mark_deleted(*st->mapper_, st->identity_.values(), st->block(), Reason::orphan, "");

  std::vector<DeletePreview::Row> maybe_nulled;
  while (!work.empty()) {
    Node n = work.back();
    work.pop_back();
    for (const auto& rp : n.mapper->relationships()) {
      const Relationship& r = *rp;
      if (r.options().viewonly) continue;
      const bool deletes = r.cascade().has(Cascade::remove);
      const bool nulls =
          !deletes && r.direction() == Direction::one_to_many && !r.options().passive_deletes_all;
      if (!deletes && !nulls) continue;
      std::vector<std::pair<std::vector<Value>, detail::ObjectBlock*>> children;
      detail::RelationshipHandle* h = n.object ? &r.handle(n.object->object()) : nullptr;
      const bool in_memory = h && h->is_loaded() && r.loading() != Loading::dynamic &&
                             r.loading() != Loading::write_only;
      if (in_memory) {
        h->for_each([&](detail::ObjectBlock* b) {
          const InstanceState& c = b->state();
          if (c.has_identity_ && c.session_ == &s_) children.emplace_back(c.identity_.values(), b);
        });
      } else if (r.options().passive_deletes && r.direction() != Direction::many_to_one) {
        continue;  // the database's ON DELETE rule decides (counted below)
      } else {
        for (auto& key : child_keys(r, *n.mapper, n.key, n.object)) {
          InstanceState* c = s_.find_identity(r.target(), key);
          children.emplace_back(std::move(key), c ? c->block() : nullptr);
        }
      }
      for (auto& [key, obj] : children) {
        if (deletes)
          mark_deleted(r.target(), key, obj, Reason::cascade, r.describe());
        else
          maybe_nulled.push_back(
              {r.target().table_name(), key, Object(obj), Reason::cascade, r.describe()});
      }
    }
  }
  for (auto& row : maybe_nulled)
    if (!deleted.contains(id(row.table, row.key)) && nulled.insert(id(row.table, row.key)).second)
      out.nulled.push_back(std::move(row));

  // Rows the database removes or nulls itself through ON DELETE, recursively for
  // CASCADE: found by key, never loaded.
  std::vector<std::pair<const Table*, std::vector<Value>>> db_work;
  const MetaData& md = s_.registry_.metadata();
  for (const auto& row : out.deleted) db_work.emplace_back(md.find(row.table), row.key);
  while (!db_work.empty()) {
    auto [parent, key] = db_work.back();
    db_work.pop_back();
    for (const Table* child : md.tables()) {
      for (const auto& fk : child->foreign_keys()) {
        if (fk.target_table() != parent->name()) continue;
        const ReferentialAction a = fk.on_delete();
        if (a != ReferentialAction::cascade && a != ReferentialAction::set_null) continue;
        std::vector<Expr> key_cols;
        for (const Column* c : child->primary_key()) key_cols.emplace_back(*c);
        Select q = select(key_cols).from(From(*child));
        for (std::size_t i = 0; i < fk.columns().size(); ++i) {
          const auto pk = parent->primary_key();
          std::size_t at = 0;
          for (std::size_t j = 0; j < pk.size(); ++j)
            if (pk[j]->name() == fk.target_columns()[i]) at = j;
          q = q.where(Expr(child->column(fk.columns()[i])) == Expr(key.at(at)));
        }
        auto stmt = s_.compile(q);
        Result res = s_.connection().execute(stmt);
        for (const auto& r : res) {
          std::vector<Value> ck = r.values();
          const std::string cid = id(child->name(), ck);
          if (deleted.contains(cid) || nulled.contains(cid)) continue;
          const std::string via = "ON DELETE " + std::string(to_string(a)) + " of " +
                                  child->name() + "." + fk.columns().front();
          const Mapper* cm = nullptr;
          for (const Mapper* m : s_.registry_.mappers())
            if (&m->table() == child) cm = m;
          InstanceState* st = cm ? s_.find_identity(*cm, ck) : nullptr;
          Object obj(st ? st->block() : nullptr);
          if (a == ReferentialAction::cascade) {
            deleted.insert(cid);
            out.deleted.push_back({child->name(), ck, obj, Reason::database_cascade, via});
            db_work.emplace_back(child, std::move(ck));
          } else {
            nulled.insert(cid);
            out.nulled.push_back(
                {child->name(), std::move(ck), obj, Reason::database_cascade, via});
          }
        }
      }
    }
  }
  for (const auto& r : out.deleted) ++out.per_table[r.table].deleted;
  for (const auto& r : out.nulled) ++out.per_table[r.table].nulled;
  return out;
}

DeletePreview SessionImpl::delete_preview() { return UnitOfWork(*this).preview(); }

void SessionImpl::flush(KeyOnlyDeletes key_only) {
  if (flushing_) throw InvalidRequest("Session is already flushing");
  flushing_ = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{flushing_};
  UnitOfWork(*this, std::move(key_only)).run();
  forget_change_notes();
}

void SessionImpl::delete_rows_with_cascades(const Mapper& mapper,
                                            std::vector<std::vector<Value>> keys) {
  const std::unordered_set<InstanceState*> marked_before = marked_deleted_;
  KeyOnlyDeletes key_only;
  std::vector<Object> keep;
  try {
    for (auto& key : keys) {
      if (InstanceState* st = find_identity(mapper, key)) {
        keep.emplace_back(st->block());
        remove(*st);
      } else if (key.size() == 1) {
        key_only[&mapper].push_back(std::move(key.front()));
      } else if (detail::ObjectBlock* b = get(mapper, std::move(key))) {
        keep.emplace_back(b);  // composite keys go object by object
        b->release();          // get() hands out a counted reference
        remove(b->state());
      }
    }
    flush(std::move(key_only));
  } catch (...) {
    // The call had no effect: what it marked for deletion is unmarked again.
    for (auto* st : std::vector<InstanceState*>(marked_deleted_.begin(), marked_deleted_.end())) {
      if (marked_before.contains(st)) continue;
      st->marked_for_delete_ = false;
      st->deleted_by_cascade_ = false;
      marked_deleted_.erase(st);
    }
    throw;
  }
}

}  // namespace relate
