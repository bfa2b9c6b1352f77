#include "relate/orm/cascade.hpp"

#include <vector>

#include "relate/core/error.hpp"

namespace relate {

namespace {
struct Word {
  std::string_view name;
  std::uint8_t flags;
};
constexpr Word words[] = {{"save-update", Cascade::save_update},
                          {"merge", Cascade::merge},
                          {"refresh-expire", Cascade::refresh_expire},
                          {"expunge", Cascade::expunge},
                          {"delete", Cascade::remove},
                          {"delete-orphan", Cascade::delete_orphan},
                          {"all", Cascade::all},
                          {"none", 0}};
}  // namespace

Cascade Cascade::parse(std::string_view text) {
  std::uint8_t bits = 0;
  bool none = false;
  std::vector<std::string> bad;
  std::size_t start = 0;
  const std::size_t n = text.size();
  if (n == 0) return Cascade(0);
  while (start <= n) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = n;
    std::string_view word = text.substr(start, comma - start);
    // Spaces around commas are ignored; the string's own ends are not trimmed.
    if (start > 0)
      while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
    if (comma < n)
      while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
    bool known = false;
    for (const auto& w : words) {
      if (w.name == word) {
        known = true;
        if (w.name == "none") none = true;
        bits |= w.flags;
      }
    }
    if (!known) bad.emplace_back(word);
    start = comma + 1;
  }
  if (!bad.empty()) {
    std::string msg = "Invalid cascade option(s): ";
    for (std::size_t i = 0; i < bad.size(); ++i) msg += (i ? ", '" : "'") + bad[i] + "'";
    msg +=
        "; the options are save-update, merge, refresh-expire, expunge, delete, "
        "delete-orphan, all and none, separated by commas";
    throw ConfigurationError(msg);
  }
  return Cascade(none ? std::uint8_t{0} : bits);
}

std::string Cascade::to_string() const {
  std::string out;
  for (const auto& w : words) {
    if (w.name == "all" || w.name == "none") continue;
    if (bits_ & w.flags) {
      if (!out.empty()) out += ", ";
      out += w.name;
    }
  }
  return out;
}

}  // namespace relate
