#pragma once
/// @file
/// How an object's committed column values (what the database last had) are
/// kept: packed into one small allocation instead of one Value (40 bytes, and a
/// heap copy of every string) per column. Every loaded object carries them, since
/// comparing the members against them is how changes are found.

#include <algorithm>
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

/// Packs values in column order (CommittedValues::assign), in a buffer that
/// the caller keeps for the next object.
class ValuePacker {
 public:
  explicit ValuePacker(std::string& buffer) : buf_(buffer) {
    if (buf_.size() < 128) buf_.resize(128);
  }

  // The same methods as ParamSink's, so that one function writes a member to either.
  void value(const Value& v);
  void value(const ValueRef& v);
  void null() { done(tag(room(1), ValueKind::null)); }
  void integer(std::int64_t i) {
    // zigzag: small negative numbers stay short too
    done(varint(tag(room(11), ValueKind::integer),
                (static_cast<std::uint64_t>(i) << 1) ^ static_cast<std::uint64_t>(i >> 63)));
  }
  void real(double d) {
    char* p = tag(room(1 + sizeof d), ValueKind::real);
    std::memcpy(p, &d, sizeof d);
    done(p + sizeof d);
  }
  void boolean(bool b) {
    char* p = tag(room(2), ValueKind::boolean);
    *p++ = b ? 1 : 0;
    done(p);
  }
  void text(std::string_view s) { bytes(ValueKind::text, s.data(), s.size()); }
  void blob(std::span<const std::byte> b) {
    bytes(ValueKind::blob, reinterpret_cast<const char*>(b.data()), b.size());
  }

 private:
  friend class CommittedValues;
  // The count goes in front of the values when they are done (at most 10 bytes).
  static constexpr std::size_t head = 10;
  char* room(std::size_t n) {
    if (used_ + n > buf_.size()) buf_.resize(std::max(2 * buf_.size(), used_ + n));
    return buf_.data() + used_;
  }
  char* tag(char* p, ValueKind k) {
    *p++ = static_cast<char>(k);
    ++count_;
    return p;
  }
  void done(char* end) { used_ = static_cast<std::size_t>(end - buf_.data()); }
  static char* varint(char* p, std::uint64_t x) {
    while (x >= 0x80) {
      *p++ = static_cast<char>((x & 0x7f) | 0x80);
      x >>= 7;
    }
    *p++ = static_cast<char>(x);
    return p;
  }
  void bytes(ValueKind k, const char* data, std::size_t n) {
    char* p = varint(tag(room(11 + n), k), n);
    if (n != 0) std::memcpy(p, data, n);
    done(p + n);
  }
  std::string& buf_;
  std::size_t used_ = head;
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
