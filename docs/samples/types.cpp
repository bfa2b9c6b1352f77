// The samples of docs/types.md: enums stored as text and a type of your own.
#undef NDEBUG  // the samples check what the documentation says with assert()
#include <array>
#include <cassert>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include <relate/relate.hpp>

//! [enum]
enum class Color { red, green };
template <>
struct relate::enum_labels<Color> {
  static constexpr std::array values{std::pair{Color::red, std::string_view("red")},
                                     std::pair{Color::green, std::string_view("green")}};
};
//! [enum]

//! [money]
struct Money {
  std::int64_t cents = 0;
};

template <>
struct relate::type_adapter<Money> {
  static constexpr relate::SqlType sql_type{relate::TypeKind::big_integer};
  static relate::Value to_value(const Money& m) { return m.cents; }
  static Money from_value(const relate::Value& v) { return {v.as_integer()}; }
};
//! [money]

//! [use]
struct Product {
  std::int64_t id = 0;
  Color color = Color::red;         // TEXT: 'red' or 'green'
  Money price{};                    // BIGINT
  std::optional<Money> discount{};  // BIGINT, nullable
};
//! [use]

int main() {
  relate::Registry registry;
  registry.map<Product>("products", [](auto& m) {
    m.column("id", &Product::id, relate::primary_key());
    m.column("color", &Product::color);
    m.column("price", &Product::price);
    m.column("discount", &Product::discount);
  });
  auto engine = relate::create_engine("sqlite://");
  registry.create_all(engine);
  relate::Session session(engine, registry);
  session.add(relate::make<Product>({.color = Color::green, .price = {1250}}));
  session.commit();

  auto raw = session.execute(relate::text("SELECT color, price, discount FROM products")).one();
  assert(raw.get<std::string>("color") == "green");
  assert(raw.get<std::int64_t>("price") == 1250);
  assert(raw["discount"].is_null());
  auto p = session.query<Product>().one();
  assert(p->color == Color::green && p->price.cents == 1250 && !p->discount);
  assert(registry.metadata().at("products").column("color").type().kind == relate::TypeKind::text);

  session.execute(relate::text("UPDATE products SET color = 'blue'"));
  session.expire(p);
  try {
    (void)p->color;
    assert(false);
  } catch (const relate::ConversionError&) {
    // 'blue' is not a label of enum_labels<Color>
  }
}
