#pragma once
/// @file
/// Parameter sets written straight into a driver's bindings: the unit of work
/// binds the members of new objects in place this way, instead of building a
/// Value (and a copy of every string) per column per row.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "relate/core/value.hpp"

namespace relate {

/// Receives the values of one parameter set in placeholder order.
class ParamSink {
 public:
  virtual ~ParamSink() = default;
  virtual void null() = 0;
  virtual void integer(std::int64_t i) = 0;
  virtual void real(double d) = 0;
  virtual void boolean(bool b) = 0;
  /// The text must stay as it is until the set has run (it may be bound in place).
  virtual void text(std::string_view s) = 0;
  /// The same for bytes.
  virtual void blob(std::span<const std::byte> b) = 0;
  /// Any Value; copied where it must outlive this call.
  virtual void value(const Value& v);
};

/// Hands a value to `out` by its kind, through the methods ParamSink has
/// (null, integer, real, boolean, text, blob). `V` is a Value or anything with
/// its accessors; `Out` is a ParamSink or a sink with the same methods.
template <class V, class Out>
void write_value(const V& v, Out& out) {
  switch (v.kind()) {
    case ValueKind::null: out.null(); break;
    case ValueKind::integer: out.integer(v.as_integer()); break;
    case ValueKind::real: out.real(v.as_real()); break;
    case ValueKind::boolean: out.boolean(v.as_boolean()); break;
    case ValueKind::text: out.text(v.as_text()); break;
    case ValueKind::blob: out.blob(v.as_blob()); break;
  }
}

/// A batch of parameter sets that writes each set on demand.
class ParamSets {
 public:
  virtual ~ParamSets() = default;
  virtual std::size_t size() const = 0;
  /// Values per set.
  virtual std::size_t width() const = 0;
  virtual void write(std::size_t set, ParamSink& out) const = 0;
};

/// The sets as Values (drivers and paths that bind Values).
std::vector<std::vector<Value>> collect_values(const ParamSets& sets);

}  // namespace relate
