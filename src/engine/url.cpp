#include "relate/engine/url.hpp"
#include "engine/text.hpp"

#include <charconv>

#include "relate/core/error.hpp"

namespace relate {

namespace {

constexpr std::string_view mask = "***";

using detail::iequals;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `what` names the component in the error; the component's text is not quoted
// because it may be a password.
std::string decode(std::string_view text, std::string_view what) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int hi = i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
    int lo = hi >= 0 ? hex_digit(text[i + 2]) : -1;
    if (lo < 0)
      throw UrlError("invalid percent-escape in the " + std::string(what) +
                     " of a database URL (expected %XX with two hex digits)");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string encode(std::string_view text, std::string_view reserved) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '%' || reserved.find(c) != std::string_view::npos) {
      out += '%';
      out += digits[u >> 4];
      out += digits[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0)
      throw UrlError("malformed query parameter '" + std::string(item.substr(0, eq)) +
                     "' in database URL: write key=value");
    std::string key = decode(item.substr(0, eq), "query parameter name");
    out.emplace_back(key, decode(item.substr(eq + 1), "query parameter '" + key + "'"));
  }
  return out;
}

}  // namespace

std::string_view Url::backend_name() const noexcept {
  return backend_ == Backend::sqlite ? "sqlite" : "postgresql";
}

std::optional<std::string> Url::query_value(std::string_view key) const {
  for (const auto& [k, v] : query_)
    if (k == key) return v;
  return std::nullopt;
}

Url Url::parse(std::string_view text) {
  Url url;
  auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0)
    throw UrlError(
        "malformed database URL: expected scheme://..., e.g. sqlite:///app.db or "
        "postgresql://user@host/db");
  url.scheme_ = std::string(text.substr(0, sep));
  std::string_view rest = text.substr(sep + 3);
  if (iequals(url.scheme_, "sqlite")) {
    url.backend_ = Backend::sqlite;
  } else if (iequals(url.scheme_, "postgresql") || iequals(url.scheme_, "postgres")) {
    url.backend_ = Backend::postgresql;
  } else {
    throw UrlError("unknown database URL scheme '" + url.scheme_ +
                   "': relate supports sqlite:// and postgresql:// (or postgres://)");
  }
  if (rest.find('#') != std::string_view::npos)
    throw UrlError("database URLs cannot have a #fragment; percent-encode '#' as %23");

  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }

  if (url.backend_ == Backend::sqlite) {
    if (!rest.empty() && rest.front() != '/')
      throw UrlError(
          "a sqlite URL has no host: write sqlite:// (memory), sqlite:///relative.db or "
          "sqlite:////absolute/path.db");
    if (!query.empty())
      throw UrlError("sqlite URLs take no query parameters; use EngineOptions instead");
    url.database_ = rest.empty() ? std::string() : decode(rest.substr(1), "file path");
    return url;
  }

  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view path =
      authority.size() < rest.size() ? rest.substr(authority.size() + 1) : std::string_view();
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    url.user_ = decode(userinfo.substr(0, colon), "user name");
    if (colon != std::string_view::npos)
      url.password_ = decode(userinfo.substr(colon + 1), "password");
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      throw UrlError("malformed IPv6 host in database URL: missing ']'");
    url.host_ = decode(authority.substr(1, close - 1), "host");
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        throw UrlError("malformed host in database URL: expected ':port' after ']'");
      port = after.substr(1);
      if (port.empty()) throw UrlError("empty port in database URL");
    }
  } else {
    auto colon = authority.rfind(':');
    url.host_ = decode(authority.substr(0, colon), "host");
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) throw UrlError("empty port in database URL");
    }
  }
  if (!port.empty()) {
    unsigned value = 0;
    auto res = std::from_chars(port.data(), port.data() + port.size(), value);
    if (res.ec != std::errc() || res.ptr != port.data() + port.size() || value == 0 ||
        value > 65535)
      throw UrlError("invalid port '" + std::string(port) +
                     "' in database URL: expected a number from 1 to 65535");
    url.port_ = static_cast<std::uint16_t>(value);
  }
  url.database_ = decode(path, "database name");
  url.query_ = parse_query(query);
  return url;
}

std::string Url::masked() const {
  std::string out = scheme_ + "://";
  if (backend_ == Backend::sqlite) {
    if (!database_.empty()) out += "/" + encode(database_, "?#");
    return out;
  }
  if (!user_.empty() || !password_.empty()) {
    out += encode(user_, ":@/?#");
    if (!password_.empty()) out += ":" + std::string(mask);
    out += '@';
  }
  // A host with ':' (IPv6) goes in brackets, which must not close early.
  if (host_.find(':') != std::string::npos)
    out += "[" + encode(host_, "@/?#[]") + "]";
  else
    out += encode(host_, ":@/?#[]");
  if (port_) out += ":" + std::to_string(*port_);
  if (!database_.empty() || !query_.empty()) out += "/" + encode(database_, "?#/");
  char sep = '?';
  for (const auto& [key, value] : query_) {
    out += sep;
    sep = '&';
    out += encode(key, "&=#+");
    out += '=';
    out += key == "password" ? std::string(mask) : encode(value, "&=#+");
  }
  return out;
}

std::vector<std::string> Url::secrets() const {
  std::vector<std::string> out;
  if (!password_.empty()) out.push_back(password_);
  for (const auto& [key, value] : query_)
    if (key == "password" && !value.empty()) out.push_back(value);
  return out;
}

std::ostream& operator<<(std::ostream& out, const Url& url) { return out << url.masked(); }

}  // namespace relate
