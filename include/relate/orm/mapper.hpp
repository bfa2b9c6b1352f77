#pragma once
/// @file
/// Mapper: how one C++ struct maps to one table. Member pointers become
/// type-erased ColumnAttributes once, at mapping time; everything after that
/// (Session, unit of work, loading) works on Values through them.

#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "relate/core/params.hpp"
#include "relate/core/schema.hpp"
#include "relate/core/type_name.hpp"
#include "relate/core/types.hpp"
#include "relate/orm/committed_values.hpp"
#include "relate/orm/member_key.hpp"
#include "relate/orm/relationship.hpp"

namespace relate {

namespace detail {
class ObjectBlock;
}
template <class T>
class MapperBuilder;
class Registry;

/// One mapped scalar member, reached at a fixed byte offset in its object.
class ColumnAttribute {
 public:
  /// Mapper::add_column() gives it its name.
  ColumnAttribute(SqlType type, std::size_t offset) noexcept : type_(type), offset_(offset) {}
  virtual ~ColumnAttribute() = default;
  ColumnAttribute(const ColumnAttribute&) = delete;
  ColumnAttribute& operator=(const ColumnAttribute&) = delete;

  virtual Value get(const void* object) const = 0;
  /// Throws ConversionError (naming the column) when the value does not fit.
  virtual void set(void* object, const Value& value) const = 0;
  /// set() from a value the caller no longer needs: text may be moved out of it.
  virtual void set_taking(void* object, Value& value) const { set(object, value); }
  /// Whether the member currently holds `value` (cheaper than get() + compare).
  virtual bool holds(const void* object, const Value& value) const { return get(object) == value; }
  /// The same against a packed committed value (change detection).
  virtual bool holds_committed(const void* object, const detail::ValueRef& value) const {
    return value == get(object);
  }
  /// Packs what get() returns (snapshots of loaded and flushed objects).
  virtual void pack(const void* object, detail::ValuePacker& out) const { out.value(get(object)); }
  /// Writes what get() returns as a parameter, text in place (INSERTs of new objects).
  virtual void bind(const void* object, ParamSink& out) const { out.value(get(object)); }

  const std::string& column_name() const noexcept { return column_name_; }
  SqlType type() const noexcept { return type_; }
  std::size_t index() const noexcept { return index_; }
  const Column& column() const noexcept { return *column_; }
  /// Where the member sits: bytes from the start of the object.
  std::size_t offset() const noexcept { return offset_; }

 protected:
  /// A conversion error of set() again, prefixed with "Class.column: ".
  [[noreturn]] void rethrow_naming_column(const ConversionError& e) const;

 private:
  friend class Mapper;
  friend class Registry;
  std::string column_name_;
  SqlType type_;
  std::size_t offset_;
  std::size_t index_ = 0;
  const Column* column_ = nullptr;
  const Mapper* mapper_ = nullptr;
  detail::MemberKey member_;
};

namespace detail {

template <class M>
struct is_optional : std::false_type {};
template <class M>
struct is_optional<std::optional<M>> : std::true_type {};

// Whether a member holds `v` (a Value or a ValueRef) as its adapter would write
// it, compared in place for the common types: change detection at every flush
// asks this of every column of every object, and building a Value copies strings.
template <class M, class V>
bool member_holds(const M& member, const V& v) {
  if constexpr (std::same_as<M, std::string>) {
    return v.kind() == ValueKind::text && v.as_text() == member;
  } else if constexpr (std::same_as<M, bool>) {
    return v.kind() == ValueKind::boolean && v.as_boolean() == member;
  } else if constexpr (std::same_as<M, std::int64_t> || std::same_as<M, std::int32_t> ||
                       std::same_as<M, std::int16_t>) {
    return v.kind() == ValueKind::integer && v.as_integer() == member;
  } else if constexpr (std::same_as<M, double>) {
    return v.kind() == ValueKind::real && v.as_real() == member;
  } else if constexpr (is_optional<M>::value) {
    return member ? member_holds(*member, v) : v.is_null();
  } else {
    return v == type_adapter<M>::to_value(member);
  }
}

// Writes a member as its adapter's to_value() would give it, without building
// a Value (or copying text) for the common types. `Out` is a ValuePacker (the
// snapshot of a loaded or flushed object) or a ParamSink (an INSERT's
// parameters): both take null/integer/real/boolean/text/value.
template <class M, class Out>
void write_member(const M& member, Out& out) {
  if constexpr (std::same_as<M, std::string>) {
    out.text(member);
  } else if constexpr (std::same_as<M, bool>) {
    out.boolean(member);
  } else if constexpr (std::same_as<M, std::int64_t> || std::same_as<M, std::int32_t> ||
                       std::same_as<M, std::int16_t>) {
    out.integer(member);
  } else if constexpr (std::same_as<M, double>) {
    out.real(member);
  } else if constexpr (is_optional<M>::value) {
    if (member)
      write_member(*member, out);
    else
      out.null();
  } else {
    out.value(type_adapter<M>::to_value(member));
  }
}

// The column adapter of every member of type M, whichever struct it is in: one
// class per member type rather than per (struct, member) keeps the code a model
// of many structs compiles to small (docs/performance.md, "Build time"). The
// member is reached at its offset, an addition as cheap as `object->*member`.
// Member functions are defined outside the class so that the explicit
// instantiations in the library (below) are the only copies of the common ones.
template <class M>
class MemberColumnOf final : public ColumnAttribute {
 public:
  explicit MemberColumnOf(std::size_t offset) noexcept
      : ColumnAttribute(type_adapter<M>::sql_type, offset) {}

  Value get(const void* object) const override;
  void set(void* object, const Value& value) const override;
  void set_taking(void* object, Value& value) const override;
  bool holds(const void* object, const Value& value) const override;
  bool holds_committed(const void* object, const ValueRef& value) const override;
  void pack(const void* object, ValuePacker& out) const override;
  void bind(const void* object, ParamSink& out) const override;

 private:
  M& member(void* object) const noexcept {
    return *static_cast<M*>(static_cast<void*>(static_cast<char*>(object) + offset()));
  }
  const M& member(const void* object) const noexcept {
    return *static_cast<const M*>(
        static_cast<const void*>(static_cast<const char*>(object) + offset()));
  }
};

template <class M>
Value MemberColumnOf<M>::get(const void* object) const {
  return type_adapter<M>::to_value(member(object));
}

template <class M>
void MemberColumnOf<M>::set(void* object, const Value& value) const {
  try {
    member(object) = from_value<M>(value);
  } catch (const ConversionError& e) {
    rethrow_naming_column(e);
  }
}

template <class M>
void MemberColumnOf<M>::set_taking(void* object, Value& value) const {
  if constexpr (std::same_as<M, std::string>) {
    if (take_text(value, member(object))) return;
  } else if constexpr (std::same_as<M, std::optional<std::string>>) {
    auto& m = member(object);
    if (value.is_null()) {
      m.reset();
      return;
    }
    if (value.kind() == ValueKind::text) {
      if (!m) m.emplace();
      take_text(value, *m);
      return;
    }
  }
  set(object, value);
}

template <class M>
bool MemberColumnOf<M>::holds(const void* object, const Value& value) const {
  return member_holds(member(object), value);
}

template <class M>
bool MemberColumnOf<M>::holds_committed(const void* object, const ValueRef& value) const {
  return member_holds(member(object), value);
}

template <class M>
void MemberColumnOf<M>::pack(const void* object, ValuePacker& out) const {
  write_member(member(object), out);
}

template <class M>
void MemberColumnOf<M>::bind(const void* object, ParamSink& out) const {
  write_member(member(object), out);
}

// The member types most models are made of are compiled once, in the library
// (src/orm/member_columns.cpp); any other type is instantiated where it is mapped.
extern template class MemberColumnOf<std::int64_t>;
extern template class MemberColumnOf<std::int32_t>;
extern template class MemberColumnOf<bool>;
extern template class MemberColumnOf<double>;
extern template class MemberColumnOf<std::string>;
extern template class MemberColumnOf<std::optional<std::int64_t>>;
extern template class MemberColumnOf<std::optional<std::int32_t>>;
extern template class MemberColumnOf<std::optional<bool>>;
extern template class MemberColumnOf<std::optional<double>>;
extern template class MemberColumnOf<std::optional<std::string>>;

// Bytes from the start of `object` to `member`, a subobject of it.
inline std::size_t offset_within(const void* object, const void* member) noexcept {
  return static_cast<std::size_t>(static_cast<const char*>(member) -
                                  static_cast<const char*>(object));
}

}  // namespace detail

/// How one struct maps to one table: its column attributes, primary key and
/// relationships. Registry::map() makes one; Registry::mapper<T>() finds it.
class Mapper {
 public:
  Mapper(const std::type_info& type, std::string class_name, std::string table_name)
      : type_(type), class_name_(std::move(class_name)), table_name_(std::move(table_name)) {}
  Mapper(const Mapper&) = delete;
  Mapper& operator=(const Mapper&) = delete;

  const std::type_info& type() const noexcept { return type_; }
  const std::string& class_name() const noexcept { return class_name_; }
  const std::string& table_name() const noexcept { return table_name_; }
  /// Valid once the registry is configured.
  const Table& table() const noexcept { return *table_; }

  const std::vector<std::unique_ptr<ColumnAttribute>>& columns() const noexcept { return columns_; }
  /// Indexes into columns(), in primary-key order.
  const std::vector<std::size_t>& primary_key() const noexcept { return primary_key_; }
  /// The column the database fills in on INSERT, if any.
  std::optional<std::size_t> generated_key() const noexcept { return generated_key_; }
  /// Whether the primary key is one integer column (valid once configured).
  bool integer_key() const noexcept { return integer_key_; }
  std::optional<std::size_t> version_column() const noexcept { return version_column_; }

  /// The column index of a mapped member; throws InvalidRequest when not mapped.
  template <class T, class M>
  std::size_t column_index(M T::*member) const {
    for (const auto& c : columns_)
      if (c->member_.is(member)) return c->index();
    throw_not_mapped_member();
  }
  const ColumnAttribute* find_column(std::string_view column_name) const noexcept;

  const std::vector<std::unique_ptr<Relationship>>& relationships() const noexcept {
    return relationships_;
  }
  const Relationship* find_relationship(std::string_view name) const noexcept;
  Registry& registry() const noexcept { return *registry_; }

  /// A new, value-initialised object with no references yet.
  detail::ObjectBlock* create() const { return create_(*this); }

  /// The primary-key values of an object as it is in memory now.
  std::vector<Value> primary_key_of(const void* object) const;
  /// True when the key holds "not assigned yet" values: NULL, or 0 in a
  /// database-generated integer key (the C++ default of an int64_t member).
  bool key_is_unassigned(std::span<const Value> key) const;
  std::string describe(std::span<const Value> key) const;

 private:
  friend class Registry;
  template <class T>
  friend class MapperBuilder;
  [[noreturn]] void throw_not_mapped_member() const;
  // Takes a column adapter made by MapperBuilder::column(), with the member it
  // reaches, and declares its column (NOT NULL unless `nullable`) for
  // configure() to build the table from.
  Column& add_column(std::unique_ptr<ColumnAttribute> attribute, detail::MemberKey member,
                     std::string name, bool nullable);
  // The same for MapperBuilder::relationship(): the handle base of the member is
  // `handle_at` bytes from the start of the object.
  Relationship& add_relationship(std::string name, const std::type_info& target, bool collection,
                                 RelationshipOptions&& options, std::size_t handle_at,
                                 detail::MemberKey member);

  const std::type_info& type_;
  std::string class_name_;
  std::string table_name_;
  const Table* table_ = nullptr;
  std::vector<std::unique_ptr<ColumnAttribute>> columns_;
  std::deque<Column> column_specs_;  // as declared, until configure() builds the table
  std::vector<TableElement> extra_elements_;
  std::vector<std::size_t> primary_key_;
  std::optional<std::size_t> generated_key_;
  bool integer_key_ = false;
  std::optional<std::size_t> version_column_;
  std::string version_column_name_;
  detail::ObjectBlock* (*create_)(const Mapper&) = nullptr;
  std::vector<std::unique_ptr<Relationship>> relationships_;
  Registry* registry_ = nullptr;
};

}  // namespace relate
