// Cascade::parse over arbitrary text. Properties: it either returns a set of
// the six flags or throws ConfigurationError with its "Invalid cascade
// option(s)" sentence (nothing else escapes); text it accepts holds only the
// words' letters, '-', ',' and spaces; and a parsed set written back with
// to_string() parses to the same set.

#include <string>
#include <string_view>

#include "input.hpp"
#include "relate/core/error.hpp"
#include "relate/orm/cascade.hpp"

using relate::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  relate::Cascade parsed;
  try {
    parsed = relate::Cascade::parse(text);
  } catch (const relate::ConfigurationError& e) {
    check(std::string_view(e.what()).starts_with("Invalid cascade option(s): '"),
          "a rejected cascade says which options are invalid", e.what());
    return 0;
  }
  check((parsed.bits() & ~relate::Cascade::all & ~relate::Cascade::delete_orphan) == 0,
        "a parsed cascade holds only the six flags");
  for (char c : text)
    check((c >= 'a' && c <= 'z') || c == '-' || c == ',' || c == ' ',
          "accepted cascade text holds only option words, commas and spaces", std::string(text));
  if (parsed.has(relate::Cascade::delete_orphan))
    check(text.find("delete-orphan") != std::string_view::npos,
          "delete-orphan is only set when named ('all' does not include it)", std::string(text));
  const std::string written = parsed.to_string();
  check(relate::Cascade::parse(written) == parsed, "to_string() parses back to the same cascade",
        written);
  return 0;
}
