#pragma once
// Typed criteria on mapped members: col(&User::name) == "jack". The member
// pointer names the column; the value goes through the member's type adapter,
// so an enum stored as text compares as text, and comparing a column with a
// value of the wrong type does not compile.
//
// A Criterion is resolved against the Registry when its Query runs.

#include <concepts>
#include <functional>
#include <initializer_list>
#include <type_traits>
#include <utility>
#include <vector>

#include "relate/core/expression.hpp"
#include "relate/orm/registry.hpp"

namespace relate {

class Criterion {
 public:
  using Resolver = std::function<Expr(const Registry&)>;
  explicit Criterion(Resolver r) : resolve_(std::move(r)) {}
  // Any Core expression is a criterion as it is.
  Criterion(Expr e) : resolve_([e = std::move(e)](const Registry&) { return e; }) {}
  Expr resolve(const Registry& r) const { return resolve_(r); }

  friend Criterion operator&&(Criterion a, Criterion b) {
    return Criterion([a = std::move(a), b = std::move(b)](const Registry& r) {
      return a.resolve(r) && b.resolve(r);
    });
  }
  friend Criterion operator||(Criterion a, Criterion b) {
    return Criterion([a = std::move(a), b = std::move(b)](const Registry& r) {
      return a.resolve(r) || b.resolve(r);
    });
  }
  friend Criterion operator!(Criterion a) {
    return Criterion([a = std::move(a)](const Registry& r) { return !a.resolve(r); });
  }

 private:
  Resolver resolve_;
};

namespace detail {
template <class M>
struct value_of {
  using type = M;
};
template <class M>
struct value_of<std::optional<M>> {
  using type = M;
};
}  // namespace detail

// A value that can be compared with a member of type M.
template <class V, class M>
concept ComparableWith =
    std::convertible_to<V, M> || std::convertible_to<V, typename detail::value_of<M>::type>;

template <class T, class M>
class MemberRef {
 public:
  using value_type = typename detail::value_of<M>::type;

  explicit constexpr MemberRef(M T::*member) : member_(member) {}

  Expr resolve(const Registry& r) const {
    const Mapper& m = r.mapper<T>();
    return Expr(m.columns()[m.column_index(member_)]->column());
  }
  M T::*member() const noexcept { return member_; }

  template <ComparableWith<M> V>
  Criterion operator==(const V& v) const {
    return compare(v, [](Expr a, Expr b) { return a == b; });
  }
  template <ComparableWith<M> V>
  Criterion operator!=(const V& v) const {
    return compare(v, [](Expr a, Expr b) { return a != b; });
  }
  template <ComparableWith<M> V>
  Criterion operator<(const V& v) const {
    return compare(v, [](Expr a, Expr b) { return a < b; });
  }
  template <ComparableWith<M> V>
  Criterion operator<=(const V& v) const {
    return compare(v, [](Expr a, Expr b) { return a <= b; });
  }
  template <ComparableWith<M> V>
  Criterion operator>(const V& v) const {
    return compare(v, [](Expr a, Expr b) { return a > b; });
  }
  template <ComparableWith<M> V>
  Criterion operator>=(const V& v) const {
    return compare(v, [](Expr a, Expr b) { return a >= b; });
  }
  // Column against column of the same type.
  template <class U>
  Criterion operator==(const MemberRef<U, M>& other) const {
    return Criterion(
        [a = *this, other](const Registry& r) { return a.resolve(r) == other.resolve(r); });
  }

  Criterion in(std::initializer_list<value_type> values) const {
    return in(std::vector<value_type>(values));
  }
  Criterion in(const std::vector<value_type>& values) const {
    return Criterion(
        [a = *this, vs = to_exprs(values)](const Registry& r) { return a.resolve(r).in_(vs); });
  }
  Criterion not_in(std::initializer_list<value_type> values) const {
    return not_in(std::vector<value_type>(values));
  }
  Criterion not_in(const std::vector<value_type>& values) const {
    return Criterion(
        [a = *this, vs = to_exprs(values)](const Registry& r) { return a.resolve(r).not_in(vs); });
  }
  Criterion is_null() const {
    return Criterion([a = *this](const Registry& r) { return a.resolve(r).is_null(); });
  }
  Criterion is_not_null() const {
    return Criterion([a = *this](const Registry& r) { return a.resolve(r).is_not_null(); });
  }
  Criterion like(std::string pattern) const requires std::same_as<value_type, std::string> {
    return Criterion(
        [a = *this, p = std::move(pattern)](const Registry& r) { return a.resolve(r).like(p); });
  }
  Criterion between(const value_type& low, const value_type& high) const {
    return Criterion([a = *this, lo = to_value<value_type>(low), hi = to_value<value_type>(high)](
                         const Registry& r) { return a.resolve(r).between(lo, hi); });
  }

 private:
  template <class V, class Op>
  Criterion compare(const V& v, Op op) const {
    Value bound;
    if constexpr (std::convertible_to<V, value_type>) {
      bound = to_value<value_type>(value_type(v));
    } else {
      bound = to_value<M>(M(v));
    }
    return Criterion([a = *this, bound = std::move(bound), op](const Registry& r) {
      return op(a.resolve(r), Expr(bound));
    });
  }
  static std::vector<Expr> to_exprs(const std::vector<value_type>& values) {
    std::vector<Expr> out;
    out.reserve(values.size());
    for (const auto& v : values) out.emplace_back(to_value<value_type>(v));
    return out;
  }

  M T::*member_;
};

template <class T, class M>
constexpr MemberRef<T, M> col(M T::*member) {
  return MemberRef<T, M>(member);
}

// An ORDER BY term on a member.
class OrderTerm {
 public:
  template <class T, class M>
  OrderTerm(M T::*member)
      : resolve_([m = MemberRef<T, M>(member)](const Registry& r) { return m.resolve(r); }) {}
  template <class T, class M>
  OrderTerm(MemberRef<T, M> m) : resolve_([m](const Registry& r) { return m.resolve(r); }) {}
  OrderTerm(Expr e) : resolve_([e = std::move(e)](const Registry&) { return e; }) {}
  explicit OrderTerm(std::function<Expr(const Registry&)> f) : resolve_(std::move(f)) {}
  Expr resolve(const Registry& r) const { return resolve_(r); }

 private:
  std::function<Expr(const Registry&)> resolve_;
};

template <class T, class M>
OrderTerm desc(M T::*member) {
  return OrderTerm(
      [m = MemberRef<T, M>(member)](const Registry& r) { return m.resolve(r).desc(); });
}
template <class T, class M>
OrderTerm asc(M T::*member) {
  return OrderTerm([m = MemberRef<T, M>(member)](const Registry& r) { return m.resolve(r).asc(); });
}

}  // namespace relate
