#pragma once
/// @file
/// Loader options: how a query loads relationships, overriding the relationship's
/// own `lazy` setting for the objects that query loads (spec 7.1).
///
/// @code
///   session.query<User>()
///       .options(relate::selectinload(&User::addresses).selectinload(&Address::dings),
///                relate::joinedload(&User::profile),
///                relate::raiseload(&User::orders))
///       .all();
/// @endcode
///
/// A chain names one path from the queried struct: each step's member belongs to
/// the struct the previous step leads to (checked at compile time). defaultload()
/// keeps a step's own strategy and only leads to the next one.

#include <functional>
#include <string>
#include <typeinfo>
#include <vector>

#include "relate/core/type_name.hpp"
#include "relate/orm/registry.hpp"
#include "relate/orm/relationship.hpp"

namespace relate {

/// A path of relationships and the loading strategy for each step, for
/// Query::options(). Made by selectinload(), joinedload(), lazyload(),
/// raiseload() and defaultload().
class LoaderOption {
 public:
  struct Step {
    const std::type_info* owner = nullptr;  ///< the struct holding the member
    std::string member;                     ///< "User.addresses", for messages
    /// The relationship mapped on the member; throws InvalidRequest when none is.
    std::function<const Relationship&(const Registry&)> resolve;
    std::optional<Loading> strategy;  ///< nullopt: the relationship's own (defaultload)
  };

  const std::vector<Step>& steps() const noexcept { return steps_; }

 protected:
  template <class T, class H>
  void add(H T::*member, std::optional<Loading> strategy) {
    static_assert(detail::is_relationship_handle<H>::value,
                  "relate: loader options name a relate::Many<U> or relate::One<U> member");
    std::string name = std::string(type_name<T>()) + " member";
    steps_.push_back({&typeid(T), name,
                      [member, name](const Registry& r) -> const Relationship& {
                        for (const auto& rel : r.mapper_for(typeid(T)).relationships())
                          if (rel->is_member(member)) return *rel;
                        throw_not_relationship(name);
                      },
                      strategy});
  }
  [[noreturn]] static void throw_not_relationship(const std::string& member);

  std::vector<Step> steps_;
};

/// A loader path that ends at struct T; its next step must be a member of T.
template <class T>
class LoaderChain : public LoaderOption {
 public:
  template <class H>
  using target_of = typename detail::is_relationship_handle<H>::target;

  template <class H>
  LoaderChain<target_of<H>> selectinload(H T::*member) const {
    return next(member, Loading::selectin);
  }
  template <class H>
  LoaderChain<target_of<H>> joinedload(H T::*member) const {
    return next(member, Loading::joined);
  }
  template <class H>
  LoaderChain<target_of<H>> lazyload(H T::*member) const {
    return next(member, Loading::lazy);
  }
  template <class H>
  LoaderChain<target_of<H>> raiseload(H T::*member, bool sql_only = false) const {
    return next(member, sql_only ? Loading::raise_on_sql : Loading::raise);
  }
  template <class H>
  LoaderChain<target_of<H>> defaultload(H T::*member) const {
    return next(member, std::nullopt);
  }

  /// The first step of a chain (use the free functions below).
  template <class U, class H>
  static LoaderChain start(H U::*member, std::optional<Loading> strategy) {
    LoaderChain out;
    out.add(member, strategy);
    return out;
  }

 private:
  template <class>
  friend class LoaderChain;
  template <class H>
  LoaderChain<target_of<H>> next(H T::*member, std::optional<Loading> strategy) const {
    LoaderChain<target_of<H>> out;
    out.steps_ = steps_;
    out.add(member, strategy);
    return out;
  }
};

/// One SELECT ... WHERE fk IN (...) per relationship, right after the parent
/// query, with up to 30,000 bound values per statement.
template <class T, class H>
LoaderChain<typename detail::is_relationship_handle<H>::target> selectinload(H T::*member) {
  return LoaderChain<typename detail::is_relationship_handle<H>::target>::start(member,
                                                                                Loading::selectin);
}
/// A LEFT OUTER JOIN in the parent query.
template <class T, class H>
LoaderChain<typename detail::is_relationship_handle<H>::target> joinedload(H T::*member) {
  return LoaderChain<typename detail::is_relationship_handle<H>::target>::start(member,
                                                                                Loading::joined);
}
/// Loaded on first access.
template <class T, class H>
LoaderChain<typename detail::is_relationship_handle<H>::target> lazyload(H T::*member) {
  return LoaderChain<typename detail::is_relationship_handle<H>::target>::start(member,
                                                                                Loading::lazy);
}
/// Access of the unloaded value raises InvalidRequest; with sql_only, only when
/// loading it would need SQL (lazy='raise_on_sql').
template <class T, class H>
LoaderChain<typename detail::is_relationship_handle<H>::target> raiseload(H T::*member,
                                                                          bool sql_only = false) {
  return LoaderChain<typename detail::is_relationship_handle<H>::target>::start(
      member, sql_only ? Loading::raise_on_sql : Loading::raise);
}
/// The relationship's own strategy; a path to deeper options.
template <class T, class H>
LoaderChain<typename detail::is_relationship_handle<H>::target> defaultload(H T::*member) {
  return LoaderChain<typename detail::is_relationship_handle<H>::target>::start(member,
                                                                                std::nullopt);
}

}  // namespace relate
