#pragma once
/// @file
/// Database URLs in SQLAlchemy's spelling:
///
/// @code
///   sqlite://                         an in-memory database
///   sqlite:///relative/path.db        a file relative to the working directory
///   sqlite:////absolute/path.db       an absolute file path
///   postgresql://user:pass@host:5432/db?sslmode=require
///   postgresql:///db?host=/run/postgresql   (a Unix socket directory)
/// @endcode
///
/// `postgres://` is accepted as a synonym. Components are percent-decoded. A Url
/// never renders its password: masked() replaces it with ***, and there is no
/// other rendering, so a Url cannot leak a password into a log or a message.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relate {

/// The databases relate supports.
enum class Backend : std::uint8_t { sqlite, postgresql };

/// A parsed database URL; see the file description.
class Url {
 public:
  /// Throws UrlError naming what is wrong.
  static Url parse(std::string_view text);

  Backend backend() const noexcept { return backend_; }
  /// "sqlite" or "postgresql", matching Dialect::name().
  std::string_view backend_name() const noexcept;

  const std::string& user() const noexcept { return user_; }
  const std::string& password() const noexcept { return password_; }
  const std::string& host() const noexcept { return host_; }
  std::optional<std::uint16_t> port() const noexcept { return port_; }
  /// The database name (PostgreSQL) or file path (SQLite; empty for memory).
  const std::string& database() const noexcept { return database_; }
  /// Query parameters in the order written, decoded.
  const std::vector<std::pair<std::string, std::string>>& query() const noexcept { return query_; }
  /// The value of a query parameter, if present.
  std::optional<std::string> query_value(std::string_view key) const;

  /// SQLite only: `sqlite://` or `sqlite:///:memory:`.
  bool is_memory() const noexcept {
    return backend_ == Backend::sqlite && (database_.empty() || database_ == ":memory:");
  }

  /// The URL with every password (user info and a password= parameter) shown as ***.
  std::string masked() const;

  /// Every password this URL carries, for scrubbing driver messages.
  std::vector<std::string> secrets() const;

 private:
  Backend backend_ = Backend::sqlite;
  std::string scheme_;
  std::string user_;
  std::string password_;
  std::string host_;
  std::optional<std::uint16_t> port_;
  std::string database_;
  std::vector<std::pair<std::string, std::string>> query_;
};

/// Writes masked().
std::ostream& operator<<(std::ostream& out, const Url& url);

}  // namespace relate
