#pragma once
/// @file
/// The warning channel (DESIGN 7): conditions that are not errors but that a user
/// should hear about (a DELETE that matched fewer rows than expected, a related
/// object that is not in the Session). By default they go to stderr; an
/// application can install its own handler or turn them into errors, and tests
/// capture them with WarningCapture.

#include <functional>
#include <string>
#include <vector>

#include "relate/core/error.hpp"

namespace relate {

/// One warning: a stable code and a message.
struct Warning {
  std::string code;     ///< stable identifier, e.g. "delete-rowcount"
  std::string message;  ///< the sentence a person reads
};

/// Raised instead of a warning when warnings are errors.
class WarningError : public Error {
 public:
  explicit WarningError(const Warning& w) : Error(w.message), warning(w) {}
  Warning warning;
};

using WarningHandler = std::function<void(const Warning&)>;

/// Installs the process-wide handler and returns the previous one. An empty
/// handler restores the default (print to stderr).
WarningHandler set_warning_handler(WarningHandler handler);
/// Every later warning throws WarningError instead.
void set_warnings_as_errors(bool yes);

void warn(std::string code, std::string message);

/// Collects the warnings raised on this thread while it lives.
class WarningCapture {
 public:
  WarningCapture();
  ~WarningCapture();
  WarningCapture(const WarningCapture&) = delete;
  WarningCapture& operator=(const WarningCapture&) = delete;
  const std::vector<Warning>& warnings() const noexcept { return warnings_; }
  bool has(std::string_view code) const noexcept;

 private:
  friend void warn(std::string code, std::string message);
  std::vector<Warning> warnings_;
  WarningCapture* previous_;
};

}  // namespace relate
