#pragma once
/// @file
/// Typed criteria on mapped members: col(&User::name) == "jack". The member
/// pointer names the column; the value goes through the member's type adapter,
/// so an enum stored as text compares as text, and comparing a column with a
/// value of the wrong type does not compile.
///
/// A Criterion is resolved against the Registry when its Query runs.

#include <concepts>
#include <functional>
#include <initializer_list>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "relate/core/expression.hpp"
#include "relate/orm/registry.hpp"

namespace relate {

/// A condition on mapped members, for Query::filter(). Combine with `&&`, `||`, `!`.
class Criterion {
 public:
  using Resolver = std::function<Expr(const Registry&)>;
  /// Evaluates the criterion on one object in memory, with SQL's three-valued
  /// logic: nullopt is "unknown" (a comparison with NULL). Used by
  /// Synchronize::evaluate; criteria built from raw SQL have none.
  using Evaluator = std::function<std::optional<bool>(const void* object)>;

  explicit Criterion(Resolver r, Evaluator e = {})
      : resolve_(std::move(r)), evaluate_(std::move(e)) {}
  /// Any Core expression is a criterion as it is.
  Criterion(Expr e) : resolve_([e = std::move(e)](const Registry&) { return e; }) {}

  Expr resolve(const Registry& r) const { return resolve_(r); }
  bool can_evaluate() const noexcept { return static_cast<bool>(evaluate_); }
  std::optional<bool> evaluate(const void* object) const { return evaluate_(object); }

  friend Criterion operator&&(Criterion a, Criterion b) {
    Evaluator e;
    if (a.can_evaluate() && b.can_evaluate())
      e = [a, b](const void* o) -> std::optional<bool> {
        auto x = a.evaluate(o), y = b.evaluate(o);
        if ((x && !*x) || (y && !*y)) return false;
        if (!x || !y) return std::nullopt;
        return true;
      };
    return Criterion([a, b](const Registry& r) { return a.resolve(r) && b.resolve(r); },
                     std::move(e));
  }
  friend Criterion operator||(Criterion a, Criterion b) {
    Evaluator e;
    if (a.can_evaluate() && b.can_evaluate())
      e = [a, b](const void* o) -> std::optional<bool> {
        auto x = a.evaluate(o), y = b.evaluate(o);
        if ((x && *x) || (y && *y)) return true;
        if (!x || !y) return std::nullopt;
        return false;
      };
    return Criterion([a, b](const Registry& r) { return a.resolve(r) || b.resolve(r); },
                     std::move(e));
  }
  friend Criterion operator!(Criterion a) {
    Evaluator e;
    if (a.can_evaluate())
      e = [a](const void* o) -> std::optional<bool> {
        auto x = a.evaluate(o);
        if (!x) return std::nullopt;
        return !*x;
      };
    return Criterion([a](const Registry& r) { return !a.resolve(r); }, std::move(e));
  }

 private:
  Resolver resolve_;
  Evaluator evaluate_;
};

/// In-memory comparison of two Values as SQL would compare them (nullopt when
/// either is NULL). Text compares bytewise, which is what the databases do under
/// the C collation.
std::optional<int> compare_values(const Value& a, const Value& b);

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

/// A value that can be compared with a member of type M.
template <class V, class M>
concept ComparableWith =
    std::convertible_to<V, M> || std::convertible_to<V, typename detail::value_of<M>::type>;

/// A mapped member in a criterion: `col(&User::name) == "jack"`.
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
    return compare(
        v, [](Expr a, Expr b) { return a == b; }, [](int c) { return c == 0; });
  }
  template <ComparableWith<M> V>
  Criterion operator!=(const V& v) const {
    return compare(
        v, [](Expr a, Expr b) { return a != b; }, [](int c) { return c != 0; });
  }
  template <ComparableWith<M> V>
  Criterion operator<(const V& v) const {
    return compare(
        v, [](Expr a, Expr b) { return a < b; }, [](int c) { return c < 0; });
  }
  template <ComparableWith<M> V>
  Criterion operator<=(const V& v) const {
    return compare(
        v, [](Expr a, Expr b) { return a <= b; }, [](int c) { return c <= 0; });
  }
  template <ComparableWith<M> V>
  Criterion operator>(const V& v) const {
    return compare(
        v, [](Expr a, Expr b) { return a > b; }, [](int c) { return c > 0; });
  }
  template <ComparableWith<M> V>
  Criterion operator>=(const V& v) const {
    return compare(
        v, [](Expr a, Expr b) { return a >= b; }, [](int c) { return c >= 0; });
  }
  /// Column against column of the same type.
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
        [a = *this, vs = to_exprs(values)](const Registry& r) { return a.resolve(r).in_(vs); },
        [a = *this, vs = to_values(values)](const void* o) { return a.member_in(o, vs); });
  }
  Criterion not_in(std::initializer_list<value_type> values) const {
    return not_in(std::vector<value_type>(values));
  }
  Criterion not_in(const std::vector<value_type>& values) const {
    return Criterion(
        [a = *this, vs = to_exprs(values)](const Registry& r) { return a.resolve(r).not_in(vs); },
        [a = *this, vs = to_values(values)](const void* o) -> std::optional<bool> {
          auto in = a.member_in(o, vs);
          if (!in) return std::nullopt;
          return !*in;
        });
  }
  Criterion is_null() const {
    return Criterion(
        [a = *this](const Registry& r) { return a.resolve(r).is_null(); },
        [a = *this](const void* o) -> std::optional<bool> { return a.value_of(o).is_null(); });
  }
  Criterion is_not_null() const {
    return Criterion(
        [a = *this](const Registry& r) { return a.resolve(r).is_not_null(); },
        [a = *this](const void* o) -> std::optional<bool> { return !a.value_of(o).is_null(); });
  }
  Criterion like(std::string pattern) const requires std::same_as<value_type, std::string> {
    return Criterion(
        [a = *this, p = std::move(pattern)](const Registry& r) { return a.resolve(r).like(p); });
  }
  Criterion between(const value_type& low, const value_type& high) const {
    Value lo = to_value<value_type>(low), hi = to_value<value_type>(high);
    return Criterion(
        [a = *this, lo, hi](const Registry& r) { return a.resolve(r).between(lo, hi); },
        [a = *this, lo, hi](const void* o) -> std::optional<bool> {
          Value v = a.value_of(o);
          auto x = compare_values(v, lo), y = compare_values(v, hi);
          if (!x || !y) return std::nullopt;
          return *x >= 0 && *y <= 0;
        });
  }

  /// The member's current value on an object of T.
  Value value_of(const void* object) const {
    return to_value<M>(static_cast<const T*>(object)->*member_);
  }

 private:
  template <class V, class Op, class Test>
  Criterion compare(const V& v, Op op, Test test) const {
    Value bound;
    if constexpr (std::convertible_to<V, value_type>) {
      bound = to_value<value_type>(value_type(v));
    } else {
      bound = to_value<M>(M(v));
    }
    return Criterion(
        [a = *this, bound, op](const Registry& r) { return op(a.resolve(r), Expr(bound)); },
        [a = *this, bound, test](const void* o) -> std::optional<bool> {
          auto c = compare_values(a.value_of(o), bound);
          if (!c) return std::nullopt;
          return test(*c);
        });
  }
  std::optional<bool> member_in(const void* o, const std::vector<Value>& values) const {
    Value v = value_of(o);
    if (v.is_null()) return values.empty() ? std::optional<bool>(false) : std::nullopt;
    for (const auto& x : values)
      if (compare_values(v, x) == 0) return true;
    return false;
  }
  static std::vector<Value> to_values(const std::vector<value_type>& values) {
    std::vector<Value> out;
    out.reserve(values.size());
    for (const auto& v : values) out.push_back(to_value<value_type>(v));
    return out;
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

/// An ORDER BY term on a member.
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
