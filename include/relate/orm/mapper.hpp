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
#include "relate/orm/relationship.hpp"

namespace relate {

namespace detail {
class ObjectBlock;
}
template <class T>
class MapperBuilder;
class Registry;

/// One mapped scalar member.
class ColumnAttribute {
 public:
  ColumnAttribute(std::string column_name, SqlType type)
      : column_name_(std::move(column_name)), type_(type) {}
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
  virtual void pack(const void* object, detail::ValuePacker& out) const { out.add(get(object)); }
  /// Writes what get() returns as a parameter, text in place (INSERTs of new objects).
  virtual void bind(const void* object, ParamSink& out) const { out.value(get(object)); }

  const std::string& column_name() const noexcept { return column_name_; }
  SqlType type() const noexcept { return type_; }
  std::size_t index() const noexcept { return index_; }
  const Column& column() const noexcept { return *column_; }

 private:
  friend class Mapper;
  friend class Registry;
  template <class T>
  friend class MapperBuilder;
  std::string column_name_;
  SqlType type_;
  std::size_t index_ = 0;
  const Column* column_ = nullptr;
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

// Packs a member as its adapter's to_value() would give it, without building a
// Value for the common types.
template <class M>
void pack_member(const M& member, ValuePacker& out) {
  if constexpr (std::same_as<M, std::string>) {
    out.add_text(member);
  } else if constexpr (std::same_as<M, bool>) {
    out.add_boolean(member);
  } else if constexpr (std::same_as<M, std::int64_t> || std::same_as<M, std::int32_t> ||
                       std::same_as<M, std::int16_t>) {
    out.add_integer(member);
  } else if constexpr (std::same_as<M, double>) {
    out.add_real(member);
  } else if constexpr (is_optional<M>::value) {
    if (member)
      pack_member(*member, out);
    else
      out.add_null();
  } else {
    out.add(type_adapter<M>::to_value(member));
  }
}

// Writes a member as a parameter as its adapter's to_value() would give it,
// without building a Value (or copying text) for the common types.
template <class M>
void bind_member(const M& member, ParamSink& out) {
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
      bind_member(*member, out);
    else
      out.null();
  } else {
    out.value(type_adapter<M>::to_value(member));
  }
}

template <class T, class M>
class MemberColumn final : public ColumnAttribute {
 public:
  MemberColumn(std::string column_name, M T::*member)
      : ColumnAttribute(std::move(column_name), type_adapter<M>::sql_type), member_(member) {}

  Value get(const void* object) const override {
    return type_adapter<M>::to_value(static_cast<const T*>(object)->*member_);
  }
  void set(void* object, const Value& value) const override {
    try {
      static_cast<T*>(object)->*member_ = from_value<M>(value);
    } catch (const ConversionError& e) {
      throw ConversionError(std::string(type_name<T>()) + "." + column_name() + ": " + e.what());
    }
  }
  void set_taking(void* object, Value& value) const override {
    if constexpr (std::same_as<M, std::string>) {
      if (detail::take_text(value, static_cast<T*>(object)->*member_)) return;
    } else if constexpr (std::same_as<M, std::optional<std::string>>) {
      auto& member = static_cast<T*>(object)->*member_;
      if (value.is_null()) {
        member.reset();
        return;
      }
      if (value.kind() == ValueKind::text) {
        if (!member) member.emplace();
        detail::take_text(value, *member);
        return;
      }
    }
    set(object, value);
  }
  bool holds(const void* object, const Value& value) const override {
    return member_holds(static_cast<const T*>(object)->*member_, value);
  }
  bool holds_committed(const void* object, const ValueRef& value) const override {
    return member_holds(static_cast<const T*>(object)->*member_, value);
  }
  void pack(const void* object, ValuePacker& out) const override {
    pack_member(static_cast<const T*>(object)->*member_, out);
  }
  void bind(const void* object, ParamSink& out) const override {
    bind_member(static_cast<const T*>(object)->*member_, out);
  }
  M T::*member() const noexcept { return member_; }

 private:
  M T::*member_;
};

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
  std::optional<std::size_t> version_column() const noexcept { return version_column_; }

  /// The column index of a mapped member; throws InvalidRequest when not mapped.
  template <class T, class M>
  std::size_t column_index(M T::*member) const {
    for (const auto& c : columns_)
      if (auto* mc = dynamic_cast<const detail::MemberColumn<T, M>*>(c.get()))
        if (mc->member() == member) return mc->index();
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
  std::string describe(const std::vector<Value>& key) const;

 private:
  friend class Registry;
  template <class T>
  friend class MapperBuilder;
  [[noreturn]] void throw_not_mapped_member() const;

  const std::type_info& type_;
  std::string class_name_;
  std::string table_name_;
  const Table* table_ = nullptr;
  std::vector<std::unique_ptr<ColumnAttribute>> columns_;
  std::deque<Column> column_specs_;  // as declared, until configure() builds the table
  std::vector<TableElement> extra_elements_;
  std::vector<std::size_t> primary_key_;
  std::optional<std::size_t> generated_key_;
  std::optional<std::size_t> version_column_;
  std::string version_column_name_;
  detail::ObjectBlock* (*create_)(const Mapper&) = nullptr;
  std::vector<std::unique_ptr<Relationship>> relationships_;
  Registry* registry_ = nullptr;
};

}  // namespace relate
