#pragma once
/// @file
/// Registry: the set of mapped structs, and the MetaData their tables live in.
///
/// @code
///   relate::Registry registry;
///   registry.map<User>("users", [](auto& m) {
///     m.column("id", &User::id, relate::primary_key());
///     m.column("name", &User::name, relate::length(50));
///     m.column("nickname", &User::nickname);          // std::optional<std::string>: nullable
///   });
/// @endcode
///
/// Mapping is checked once, by configure(), which the first Session runs if the
/// user did not: a wrong mapping fails there with a ConfigurationError that names
/// the struct, the column or table, and the fix.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include "relate/core/error.hpp"
#include "relate/core/schema.hpp"
#include "relate/orm/handles.hpp"
#include "relate/orm/mapper.hpp"
#include "relate/orm/object.hpp"
#include "relate/orm/relationship.hpp"

namespace relate {

class Engine;

namespace detail {
// Dynamic<U> and WriteOnly<U> imply their loading strategy (`required`, spelt
// `spelling`); any other member cannot honour dynamic or write_only, so asking
// for it is a ConfigurationError.
void check_loading(const Mapper& mapper, const std::string& name, RelationshipOptions& options,
                   std::optional<Loading> required, const char* spelling);

template <class H>
struct is_relationship_handle : std::false_type {};
template <class U>
struct is_relationship_handle<Many<U>> : std::true_type {
  using target = U;
  static constexpr bool collection = true;
};
template <class U>
struct is_relationship_handle<One<U>> : std::true_type {
  using target = U;
  static constexpr bool collection = false;
};
// These two only work with their own loading strategy, which mapping sets.
template <class U>
struct is_relationship_handle<Dynamic<U>> : std::true_type {
  using target = U;
  static constexpr bool collection = true;
  static constexpr Loading loading = Loading::dynamic;
  static constexpr const char* spelling = "relate::Dynamic<...>";
};
template <class U>
struct is_relationship_handle<WriteOnly<U>> : std::true_type {
  using target = U;
  static constexpr bool collection = true;
  static constexpr Loading loading = Loading::write_only;
  static constexpr const char* spelling = "relate::WriteOnly<...>";
};
}  // namespace detail

/// Column options, applied in order to the column being mapped. Each is a small
/// callable on Column, so they also compose with Column's own chained setters.
struct ColumnOption {
  std::function<void(Column&)> apply;
};
ColumnOption primary_key();
ColumnOption autoincrement(bool yes = true);
ColumnOption not_null();
ColumnOption nullable();
ColumnOption unique();
ColumnOption index();
ColumnOption length(int n);
ColumnOption default_value(Value value);
ColumnOption server_default(Value literal);
ColumnOption server_default_sql(std::string raw_sql);
ColumnOption foreign_key(std::string target,
                         ReferentialAction on_delete = ReferentialAction::no_action,
                         ReferentialAction on_update = ReferentialAction::no_action);

/// What Registry::map() hands to its mapping function: column(),
/// relationship(), version_counter() and table constraints for struct T.
template <class T>
class MapperBuilder {
 public:
  explicit MapperBuilder(Mapper& mapper) : mapper_(mapper) {}

  /// Maps a member to a column. The column's SQL type comes from the member's
  /// type adapter; it is NOT NULL unless the member is a std::optional.
  template <class M, class... Options>
  Column& column(std::string name, M T::*member, Options&&... options) {
    static_assert(SqlValueType<M>,
                  "relate: this member's type has no type adapter. Map a type relate knows "
                  "(integers, double, bool, std::string, byte vectors, std::optional, "
                  "std::chrono dates and time points, enums) or specialise "
                  "relate::type_adapter<YourType> (see relate/core/types.hpp).");
    static_assert((std::same_as<std::remove_cvref_t<Options>, ColumnOption> && ...),
                  "relate: column options are relate::primary_key(), relate::not_null(), ...");
    Column& c = mapper_.add_column(std::make_unique<detail::MemberColumnOf<M>>(offset_of(member)),
                                   detail::MemberKey(member), std::move(name), is_optional_v<M>);
    (options.apply(c), ...);
    return c;
  }

  /// An optimistic-concurrency counter (spec 5.8): 1 on INSERT, incremented by
  /// every UPDATE, and checked in the WHERE of UPDATE and DELETE.
  template <class M>
  requires std::integral<M> Column& version_counter(std::string name, M T::*member) {
    mapper_.version_column_name_ = name;
    return column(std::move(name), member);
  }

  /// A relationship held in a `Many<U>` (collection) or `One<U>` (single object)
  /// member. Direction and columns come from the foreign keys between the two
  /// tables (or options.secondary for many-to-many), checked by configure().
  template <class H>
  Relationship& relationship(std::string name, H T::*member, RelationshipOptions options = {}) {
    static_assert(detail::is_relationship_handle<H>::value,
                  "relate: a relationship member must be a relate::Many<U>, relate::One<U>, "
                  "relate::Dynamic<U> or relate::WriteOnly<U>");
    using Handle = detail::is_relationship_handle<H>;
    if constexpr (requires { Handle::loading; })
      detail::check_loading(mapper_, name, options, Handle::loading, Handle::spelling);
    else
      detail::check_loading(mapper_, name, options, std::nullopt, nullptr);
    // The handle base of the member, which need not be at the member's own address.
    const detail::RelationshipHandle& handle = probe().*member;
    return mapper_.add_relationship(
        std::move(name), typeid(typename Handle::target), Handle::collection, std::move(options),
        detail::offset_within(std::addressof(probe()), &handle), detail::MemberKey(member));
  }

  /// Table-level constraints and indexes.
  void unique(std::vector<std::string> columns, std::string name = {}) {
    mapper_.extra_elements_.emplace_back(UniqueConstraint(std::move(columns), std::move(name)));
  }
  void index(std::string name, std::vector<std::string> columns, bool unique = false) {
    mapper_.extra_elements_.emplace_back(Index(std::move(name), std::move(columns), unique));
  }
  void foreign_key(std::vector<std::string> columns, std::vector<std::string> targets,
                   ReferentialAction on_delete = ReferentialAction::no_action,
                   ReferentialAction on_update = ReferentialAction::no_action) {
    ForeignKey fk(std::move(columns), std::move(targets));
    fk.on_delete(on_delete).on_update(on_update);
    mapper_.extra_elements_.emplace_back(std::move(fk));
  }

 private:
  // Where a member sits in every T, read from a value-initialised T made for the
  // purpose. An object is needed: the standard gives no way to get an offset from
  // a member pointer alone (offsetof wants a name, and standard layout), and
  // learning it from the first real object instead would put a test on every
  // access. Mapped structs are default-constructible anyway: loading makes them.
  template <class M>
  std::size_t offset_of(M T::*member) {
    return detail::offset_within(std::addressof(probe()), std::addressof(probe().*member));
  }
  const T& probe() {
    if (!probe_) probe_ = std::make_unique<T>();
    return *probe_;
  }

  Mapper& mapper_;
  std::unique_ptr<T> probe_;
};

/// The mapped structs and their tables; see the file description.
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  template <class T, class F>
  const Mapper& map(std::string table, F&& define) {
    static_assert(std::is_default_constructible_v<T>,
                  "relate: a mapped struct must be default-constructible (relate creates "
                  "objects when it loads rows)");
    Mapper& m = add_mapper(typeid(T), std::string(type_name<T>()), std::move(table));
    m.create_ = [](const Mapper& self) -> detail::ObjectBlock* {
      return new detail::TypedBlock<T>(detail::CreatedBy{&self});
    };
    m.registry_ = this;
    MapperBuilder<T> builder(m);
    std::forward<F>(define)(builder);
    return m;
  }

  /// Builds the tables and checks every mapping. Runs once; later calls do nothing.
  /// Threads may share a mapped Registry: the first of them to use it (a
  /// Session, make<T>()) configures it while the others wait.
  void configure();
  bool configured() const noexcept { return configured_.load(std::memory_order_acquire); }

  /// Throws InvalidRequest naming the type when it is not mapped.
  const Mapper& mapper_for(const std::type_info& type) const;
  template <class T>
  const Mapper& mapper() const {
    return mapper_for(typeid(T));
  }
  const Mapper* find_mapper(const std::type_info& type) const noexcept;
  std::vector<const Mapper*> mappers() const;

  /// The tables of every mapped struct (configures first).
  const MetaData& metadata();
  /// A table that is not mapped to a struct, such as a many-to-many association
  /// table; declare it before configure() (then find it in metadata()).
  void table(std::string name, std::initializer_list<TableElement> elements);

  void create_all(const Engine& engine);
  void drop_all(const Engine& engine);

 private:
  Mapper& add_mapper(const std::type_info& type, std::string class_name, std::string table);
  void resolve_relationships();

  MetaData metadata_;
  std::vector<std::pair<std::string, std::vector<TableElement>>> plain_tables_;
  std::vector<std::unique_ptr<Mapper>> mappers_;
  std::unordered_map<std::type_index, Mapper*> by_type_;
  // Set, with everything configure() builds, under configure_mutex_; read
  // without it once set.
  std::atomic<bool> configured_{false};
  std::mutex configure_mutex_;
};

}  // namespace relate
