// Url::parse over arbitrary text, in two modes chosen by the first byte.
//
// Free text: parse either returns a Url or throws UrlError (nothing else
// escapes), and a parsed Url's masked() form parses again to the same
// components, with every password shown as ***. So masked() is a faithful
// rendering that holds no password.
//
// A marked password: the text is built as "postgresql://<user>:<password>@<rest>"
// with a marker inside the password. Whether parsing succeeds or fails, neither
// the error message nor masked() may contain the marker.

#include <string>
#include <string_view>

#include "input.hpp"
#include "relate/core/error.hpp"
#include "relate/engine/url.hpp"

using relate::Url;
using relate::fuzz::check;

namespace {

constexpr std::string_view marker = "S3CRET";

std::string without(std::string text, std::string_view chars) {
  std::string out;
  for (char c : text)
    if (chars.find(c) == std::string_view::npos) out += c;
  return out;
}

std::string without_marker(std::string text) {
  for (auto pos = text.find(marker); pos != std::string::npos; pos = text.find(marker))
    text.erase(pos, marker.size());
  return text;
}

std::string describe(const Url& url) {
  std::string out = std::string(url.backend_name()) + " user=[" + url.user() + "] host=[" +
                    url.host() + "] port=" + (url.port() ? std::to_string(*url.port()) : "-") +
                    " db=[" + url.database() + "]";
  for (const auto& [k, v] : url.query()) out += " " + k + "=[" + v + "]";
  return out;
}

void check_round_trip(const Url& url) {
  const std::string masked = url.masked();
  Url again;
  try {
    again = Url::parse(masked);
  } catch (const relate::UrlError& e) {
    relate::fuzz::fail("masked() parses again", masked + " -> " + e.what());
  }
  const std::string detail =
      describe(url) + "\n  masked: " + masked + "\n  again: " + describe(again);
  check(again.backend() == url.backend(), "masked() keeps the backend", detail);
  check(again.user() == url.user(), "masked() keeps the user", detail);
  check(again.host() == url.host(), "masked() keeps the host", detail);
  check(again.port() == url.port(), "masked() keeps the port", detail);
  check(again.database() == url.database(), "masked() keeps the database", detail);
  check(again.password() == (url.password().empty() ? "" : "***"),
        "masked() shows the password as ***", detail);
  check(again.query().size() == url.query().size(), "masked() keeps every query parameter", detail);
  for (std::size_t i = 0; i < url.query().size(); ++i) {
    const auto& [key, value] = url.query()[i];
    check(again.query()[i].first == key, "masked() keeps query parameter names", detail);
    check(again.query()[i].second == (key == "password" ? "***" : value),
          "masked() keeps query values and masks password=", detail);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  relate::fuzz::Input in(data, size);
  if (in.byte() % 2 == 0) {
    const std::string text = in.rest();
    Url url;
    try {
      url = Url::parse(text);
    } catch (const relate::UrlError&) {
      return 0;
    }
    check_round_trip(url);
    return 0;
  }

  // The user part cannot end the authority or start the password; the password
  // part cannot end the authority. Outside the password there are no escapes,
  // which could spell the marker once decoded (free text covers them).
  const std::string user = without_marker(without(in.text(24), ":@/?#%"));
  const std::string password = "pw" + std::string(marker) + without(in.text(24), "@/?#");
  const std::string rest = without_marker(without(in.rest(), "%"));
  const std::string text = "postgresql://" + user + ":" + password + "@" + rest;
  try {
    const Url url = Url::parse(text);
    check(url.password().find(marker) != std::string::npos ||
              (url.query_value("password") &&
               url.query_value("password")->find(marker) != std::string::npos),
          "the marked password is parsed as a password", describe(url));
    check(url.masked().find(marker) == std::string::npos, "masked() never shows a password",
          url.masked());
    check_round_trip(url);
  } catch (const relate::UrlError& e) {
    check(std::string_view(e.what()).find(marker) == std::string_view::npos,
          "a URL error never shows the password", e.what());
  }
  return 0;
}
