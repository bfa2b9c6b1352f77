#include "relate/core/warning.hpp"

#include <atomic>
#include <iostream>
#include <mutex>
#include <utility>

namespace relate {

namespace {
std::mutex handler_mutex;
WarningHandler& handler() {
  static WarningHandler h;
  return h;
}
std::atomic<bool> as_errors{false};
thread_local WarningCapture* capture = nullptr;
}  // namespace

WarningHandler set_warning_handler(WarningHandler h) {
  std::lock_guard lock(handler_mutex);
  return std::exchange(handler(), std::move(h));
}

void set_warnings_as_errors(bool yes) { as_errors.store(yes); }

void warn(std::string code, std::string message) {
  Warning w{std::move(code), std::move(message)};
  if (capture != nullptr) {
    capture->warnings_.push_back(std::move(w));
    return;
  }
  if (as_errors.load()) throw WarningError(w);
  WarningHandler h;
  {
    std::lock_guard lock(handler_mutex);
    h = handler();
  }
  if (h) {
    h(w);
  } else {
    std::cerr << "relate warning [" << w.code << "]: " << w.message << '\n';
  }
}

WarningCapture::WarningCapture() : previous_(capture) { capture = this; }
WarningCapture::~WarningCapture() { capture = previous_; }

bool WarningCapture::has(std::string_view code) const noexcept {
  for (const auto& w : warnings_)
    if (w.code == code) return true;
  return false;
}

}  // namespace relate
