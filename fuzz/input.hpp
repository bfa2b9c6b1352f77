#pragma once
// What the fuzz targets share: a reader that turns libFuzzer's bytes into
// choices, numbers and strings (running out of bytes reads zeros, so every
// input decodes to something), and the one way a target reports a broken
// property: a message on stderr and abort(), which libFuzzer records as a crash
// and the corpus replay as a failed test.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace relate::fuzz {

[[noreturn]] inline void fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "relate fuzz: property broken: %.*s\n", static_cast<int>(what.size()),
               what.data());
  if (!detail.empty()) {
    // NUL bytes shown as \0, so the whole detail is printed.
    std::string shown;
    for (char c : detail) shown += c == '\0' ? std::string("\\0") : std::string(1, c);
    std::fprintf(stderr, "  %s\n", shown.c_str());
  }
  std::abort();
}

inline void check(bool ok, std::string_view what, std::string_view detail = {}) {
  if (!ok) fail(what, detail);
}

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  bool empty() const noexcept { return pos_ >= size_; }
  std::size_t left() const noexcept { return empty() ? 0 : size_ - pos_; }

  std::uint8_t byte() noexcept { return empty() ? 0 : data_[pos_++]; }
  bool flag() noexcept { return (byte() & 1) != 0; }
  // A number in [0, n); n must not be 0.
  std::size_t pick(std::size_t n) noexcept { return byte() % n; }

  std::uint64_t bits64() noexcept {
    std::uint64_t out = 0;
    for (int i = 0; i < 8; ++i) out = (out << 8) | byte();
    return out;
  }
  // Mostly small numbers, sometimes any 64-bit value (the edges are where bugs live).
  std::int64_t integer() noexcept {
    switch (pick(4)) {
      case 0: return static_cast<std::int8_t>(byte());
      case 1: return static_cast<std::int16_t>((byte() << 8) | byte());
      case 2: return static_cast<std::int64_t>(bits64());
      default: return byte();
    }
  }
  double real() noexcept { return std::bit_cast<double>(bits64()); }

  // A length byte, then that many bytes (fewer if the input ends).
  std::string text(std::size_t max) {
    const std::size_t n = std::min<std::size_t>(byte(), max);
    std::string out;
    for (std::size_t i = 0; i < n && !empty(); ++i) out += static_cast<char>(byte());
    return out;
  }
  std::string rest() {
    std::string out(reinterpret_cast<const char*>(data_ + pos_), left());
    pos_ = size_;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace relate::fuzz
