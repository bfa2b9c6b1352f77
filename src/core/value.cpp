#include "relate/core/value.hpp"

#include <charconv>

namespace relate {

std::string_view to_string(ValueKind kind) noexcept {
  switch (kind) {
    case ValueKind::null: return "null";
    case ValueKind::integer: return "integer";
    case ValueKind::real: return "real";
    case ValueKind::text: return "text";
    case ValueKind::blob: return "blob";
    case ValueKind::boolean: return "boolean";
  }
  return "unknown";
}

namespace {
[[noreturn]] void wrong_kind(ValueKind wanted, ValueKind got) {
  const char* article = wanted == ValueKind::integer ? "an " : "a ";
  throw ConversionError("expected " + std::string(article) + std::string(to_string(wanted)) +
                        " value, got " + std::string(to_string(got)));
}
}  // namespace

bool detail::take_text(Value& v, std::string& out) noexcept {
  auto* p = std::get_if<std::string>(&v.v_);
  if (p == nullptr) return false;
  out = std::move(*p);
  p->clear();
  return true;
}

std::int64_t Value::as_integer() const {
  if (auto* p = std::get_if<std::int64_t>(&v_)) return *p;
  if (auto* b = std::get_if<bool>(&v_)) return *b ? 1 : 0;
  wrong_kind(ValueKind::integer, kind());
}

double Value::as_real() const {
  if (auto* p = std::get_if<double>(&v_)) return *p;
  if (auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*i);
  wrong_kind(ValueKind::real, kind());
}

const std::string& Value::as_text() const {
  if (auto* p = std::get_if<std::string>(&v_)) return *p;
  wrong_kind(ValueKind::text, kind());
}

const Blob& Value::as_blob() const {
  if (auto* p = std::get_if<Blob>(&v_)) return *p;
  wrong_kind(ValueKind::blob, kind());
}

bool Value::as_boolean() const {
  if (auto* p = std::get_if<bool>(&v_)) return *p;
  // SQLite has no boolean storage class: 0 and 1 come back as integers.
  if (auto* i = std::get_if<std::int64_t>(&v_)) {
    if (*i == 0 || *i == 1) return *i == 1;
    throw ConversionError("integer " + std::to_string(*i) + " is not a boolean (0 or 1)");
  }
  wrong_kind(ValueKind::boolean, kind());
}

std::string Value::repr() const {
  constexpr std::size_t max_text = 80;
  switch (kind()) {
    case ValueKind::null: return "NULL";
    case ValueKind::integer: return std::to_string(std::get<std::int64_t>(v_));
    case ValueKind::real: {
      char buf[32];
      auto res = std::to_chars(buf, buf + sizeof buf, std::get<double>(v_));
      return std::string(buf, res.ptr);
    }
    case ValueKind::boolean: return std::get<bool>(v_) ? "true" : "false";
    case ValueKind::text: {
      const auto& s = std::get<std::string>(v_);
      std::string out = "'";
      for (char c : s.substr(0, max_text)) {
        if (c == '\'')
          out += "''";
        else
          out += c;
      }
      out += s.size() > max_text ? "...'" : "'";
      return out;
    }
    case ValueKind::blob: return "<blob " + std::to_string(std::get<Blob>(v_).size()) + " bytes>";
  }
  return "?";
}

}  // namespace relate
