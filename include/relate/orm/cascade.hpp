#pragma once
/// @file
/// Cascade: what an operation on a parent does to the objects its relationship
/// refers to (spec section 1). A plain set of six flags, given as SQLAlchemy's
/// text ("all, delete-orphan") or as typed flags (Cascade::all | Cascade::delete_orphan).

#include <cstdint>
#include <string>
#include <string_view>

namespace relate {

/// A relationship's cascade: a set of six flags. `Cascade::parse("all, delete-orphan")`
/// or `Cascade(Cascade::all | Cascade::delete_orphan)`.
class Cascade {
 public:
  enum Flag : std::uint8_t {
    save_update = 1,
    merge = 2,
    refresh_expire = 4,
    expunge = 8,
    remove = 16,  ///< "delete"; `delete` is a C++ keyword
    delete_orphan = 32,
  };
  static constexpr std::uint8_t all = save_update | merge | refresh_expire | expunge | remove;
  static constexpr std::uint8_t none = 0;
  static constexpr std::uint8_t default_flags = save_update | merge;

  constexpr Cascade() noexcept : bits_(default_flags) {}
  constexpr Cascade(std::uint8_t flags) noexcept : bits_(flags) {}
  /// Parsed as spec 1.1 says: split on commas, spaces around commas ignored, case
  /// and outer spaces not normalised; "all" expands (without delete-orphan); "none"
  /// anywhere empties the set. Unknown words throw ConfigurationError listing
  /// every one of them.
  static Cascade parse(std::string_view text);

  constexpr bool has(Flag f) const noexcept { return (bits_ & f) != 0; }
  constexpr std::uint8_t bits() const noexcept { return bits_; }
  /// "save-update, merge" style, in a fixed order.
  std::string to_string() const;
  friend constexpr bool operator==(Cascade a, Cascade b) noexcept { return a.bits_ == b.bits_; }

 private:
  std::uint8_t bits_;
};

/// What a relationship option accepts: text or flags.
class CascadeSpec {
 public:
  CascadeSpec(const char* text) : text_(text), is_text_(true) {}
  CascadeSpec(std::string text) : text_(std::move(text)), is_text_(true) {}
  CascadeSpec(std::uint8_t flags) : flags_(flags) {}
  CascadeSpec(Cascade flags) : flags_(flags) {}
  Cascade resolve() const { return is_text_ ? Cascade::parse(text_) : flags_; }

 private:
  std::string text_;
  Cascade flags_;
  bool is_text_ = false;
};

}  // namespace relate
