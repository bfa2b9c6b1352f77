#pragma once
/// @file
/// How an object's committed column values (what the database last had) are
/// kept: packed into one small allocation instead of one Value (40 bytes, and a
/// heap copy of every string) per column. Every loaded object carries them, since
/// comparing the members against them is how changes are found.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "relate/core/value.hpp"

namespace relate::detail {

/// One packed value, read in place.
class ValueRef {
 public:
  ValueKind kind() const noexcept { return kind_; }
  bool is_null() const noexcept { return kind_ == ValueKind::null; }
  // Each accessor is valid for its own kind only.
  std::int64_t as_integer() const noexcept { return integer_; }
  double as_real() const noexcept {
    double d;
    std::memcpy(&d, &integer_, sizeof d);
    return d;
  }
  bool as_boolean() const noexcept { return integer_ != 0; }
  std::string_view as_text() const noexcept { return {bytes_, size_}; }
  std::span<const std::byte> as_blob() const noexcept {
    return {reinterpret_cast<const std::byte*>(bytes_), size_};
  }
  Value to_value() const;

  /// The same value as `v` (as Value's own == compares: same kind, same content).
  friend bool operator==(const ValueRef& a, const Value& v) noexcept;

 private:
  friend class CommittedValues;
  ValueKind kind_ = ValueKind::null;
  std::int64_t integer_ = 0;  // integer, boolean, or the bits of a real
  const char* bytes_ = nullptr;
  std::size_t size_ = 0;
};

/// Packs values in column order (CommittedValues::pack).
class ValuePacker {
 public:
  explicit ValuePacker(std::string& buffer) : out_(buffer) { out_.clear(); }

  void add(const Value& v);
  void add(const ValueRef& v);
  void add_null() { tag(ValueKind::null); }
  void add_integer(std::int64_t i) {
    tag(ValueKind::integer);
    // zigzag: small negative numbers stay short too
    varint((static_cast<std::uint64_t>(i) << 1) ^ static_cast<std::uint64_t>(i >> 63));
  }
  void add_real(double d) {
    tag(ValueKind::real);
    char b[sizeof d];
    std::memcpy(b, &d, sizeof d);
    out_.append(b, sizeof d);
  }
  void add_boolean(bool b) {
    tag(ValueKind::boolean);
    out_.push_back(b ? 1 : 0);
  }
  void add_text(std::string_view s) { bytes(ValueKind::text, s); }
  void add_blob(std::span<const std::byte> b) {
    bytes(ValueKind::blob, {reinterpret_cast<const char*>(b.data()), b.size()});
  }
  std::size_t count() const noexcept { return count_; }
  const std::string& buffer() const noexcept { return out_; }

 private:
  void tag(ValueKind k) {
    out_.push_back(static_cast<char>(k));
    ++count_;
  }
  void varint(std::uint64_t x) {
    while (x >= 0x80) {
      out_.push_back(static_cast<char>((x & 0x7f) | 0x80));
      x >>= 7;
    }
    out_.push_back(static_cast<char>(x));
  }
  void bytes(ValueKind k, std::string_view s) {
    tag(k);
    varint(s.size());
    out_.append(s);
  }
  std::string& out_;
  std::size_t count_ = 0;
};

/// The committed values of one object's columns, by column index: used like the
/// std::vector<Value> it replaces, with reads returning Values (copies) or, for
/// comparisons, ValueRefs into the packed bytes.
class CommittedValues {
 public:
  CommittedValues() noexcept = default;

  std::size_t size() const noexcept {
    std::size_t n = 0;
    if (data_) read_count(data_.get(), n);
    return n;
  }
  bool empty() const noexcept { return size() == 0; }
  ValueRef ref(std::size_t i) const noexcept;
  Value operator[](std::size_t i) const { return ref(i).to_value(); }
  /// As std::vector::at: std::out_of_range past the end.
  Value at(std::size_t i) const;
  void clear() noexcept { data_.reset(); }
  /// Calls f(index, ValueRef) for every value in column order (cheaper than ref(i) each).
  template <class F>
  void for_each(F&& f) const {
    if (!data_) return;
    std::size_t n = 0;
    const char* p = read_count(data_.get(), n);
    for (std::size_t i = 0; i < n; ++i) {
      ValueRef r;
      p = read(p, r);
      f(i, r);
    }
  }
  /// Replaces the values with what `packer` holds.
  void assign(const ValuePacker& packer);
  /// Replaces one value (re-packs every value: for rare changes).
  void set(std::size_t i, const Value& v);

 private:
  static const char* read_count(const char* p, std::size_t& n) noexcept;
  static const char* read(const char* p, ValueRef& r) noexcept;
  // The number of values (a varint), then each value: its ValueKind, then an
  // integer as a zigzag varint, a real as 8 bytes, a boolean as 1 byte, text
  // and blobs as a varint size and the bytes. Null for no values.
  std::unique_ptr<char[]> data_;
};

}  // namespace relate::detail
