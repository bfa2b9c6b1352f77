#include "relate/orm/committed_values.hpp"

#include "relate/core/params.hpp"

#include <algorithm>
#include <stdexcept>

namespace relate::detail {

namespace {

const char* read_varint(const char* p, std::uint64_t& x) noexcept {
  x = 0;
  for (int shift = 0;; shift += 7) {
    const auto b = static_cast<unsigned char>(*p++);
    x |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return p;
  }
}

}  // namespace

Value ValueRef::to_value() const {
  switch (kind_) {
    case ValueKind::null: return Value();
    case ValueKind::integer: return Value(integer_);
    case ValueKind::real: return Value(as_real());
    case ValueKind::boolean: return Value(as_boolean());
    case ValueKind::text: return Value(std::string(as_text()));
    case ValueKind::blob: {
      const auto b = as_blob();
      return Value(Blob(b.begin(), b.end()));
    }
  }
  return Value();
}

bool operator==(const ValueRef& a, const Value& v) noexcept {
  if (a.kind() != v.kind()) return false;
  switch (a.kind()) {
    case ValueKind::null: return true;
    case ValueKind::integer: return a.as_integer() == v.as_integer();
    case ValueKind::real: return a.as_real() == v.as_real();
    case ValueKind::boolean: return a.as_boolean() == v.as_boolean();
    case ValueKind::text: return a.as_text() == v.as_text();
    case ValueKind::blob: {
      const auto b = a.as_blob();
      const Blob& w = v.as_blob();
      return b.size() == w.size() && std::equal(b.begin(), b.end(), w.begin());
    }
  }
  return false;
}

// A Value and a packed ValueRef answer the same accessors.
void ValuePacker::value(const Value& v) { write_value(v, *this); }
void ValuePacker::value(const ValueRef& v) { write_value(v, *this); }

const char* CommittedValues::read_count(const char* p, std::size_t& n) noexcept {
  std::uint64_t x = 0;
  p = read_varint(p, x);
  n = static_cast<std::size_t>(x);
  return p;
}

const char* CommittedValues::read(const char* p, ValueRef& r) noexcept {
  r.kind_ = static_cast<ValueKind>(*p++);
  switch (r.kind_) {
    case ValueKind::null: break;
    case ValueKind::integer: {
      std::uint64_t z = 0;
      p = read_varint(p, z);
      r.integer_ = static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
      break;
    }
    case ValueKind::real:
      std::memcpy(&r.integer_, p, sizeof r.integer_);
      p += sizeof r.integer_;
      break;
    case ValueKind::boolean: r.integer_ = *p++ != 0 ? 1 : 0; break;
    case ValueKind::text:
    case ValueKind::blob: {
      std::uint64_t n = 0;
      p = read_varint(p, n);
      r.bytes_ = p;
      r.size_ = static_cast<std::size_t>(n);
      p += n;
      break;
    }
  }
  return p;
}

ValueRef CommittedValues::ref(std::size_t i) const noexcept {
  ValueRef r;
  if (!data_) return r;
  std::size_t n = 0;
  const char* p = read_count(data_.get(), n);
  if (i >= n) return r;
  for (std::size_t j = 0; j <= i; ++j) p = read(p, r);
  return r;
}

Value CommittedValues::at(std::size_t i) const {
  if (i >= size())
    throw std::out_of_range("committed value " + std::to_string(i) + " of " +
                            std::to_string(size()));
  return ref(i).to_value();
}

void CommittedValues::assign(const ValuePacker& packer) {
  // The count as a varint, right before the values.
  char count[ValuePacker::head];
  char* end = ValuePacker::varint(count, packer.count_);
  const auto n = static_cast<std::size_t>(end - count);
  char* start = packer.buf_.data() + ValuePacker::head - n;
  std::memcpy(start, count, n);
  const std::size_t size = packer.used_ - (ValuePacker::head - n);
  auto data = std::make_unique_for_overwrite<char[]>(size);
  std::memcpy(data.get(), start, size);
  data_ = std::move(data);
}

void CommittedValues::set(std::size_t i, const Value& v) {
  std::string buffer;
  ValuePacker packer(buffer);
  for_each([&](std::size_t j, const ValueRef& r) {
    if (j == i)
      packer.value(v);
    else
      packer.value(r);
  });
  for (std::size_t j = size(); j <= i; ++j) {
    if (j == i)
      packer.value(v);
    else
      packer.null();
  }
  assign(packer);
}

}  // namespace relate::detail
