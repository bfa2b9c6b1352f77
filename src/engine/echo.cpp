#include "relate/engine/echo.hpp"

#include <iostream>

namespace relate {

std::string format_params(std::span<const Value> params) {
  std::string out;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i > 0) out += ", ";
    out += params[i].repr();
  }
  return out;
}

Echo::Echo(EchoSink sink) : sink_(std::move(sink)) {}

void Echo::write(std::span<const std::string> lines) const {
  std::lock_guard lock(mutex_);
  for (const auto& text : lines) {
    std::string full = std::string(prefix) + text;
    if (sink_) {
      sink_(full);
    } else {
      std::cerr << full << '\n';
    }
  }
  if (!sink_) std::cerr.flush();
}

void Echo::statement(std::string_view sql, std::span<const Value> params) const {
  const std::string lines[] = {std::string(sql), params.empty()
                                                     ? std::string("[no params]")
                                                     : "[params: " + format_params(params) + "]"};
  write(lines);
}

void Echo::batch(std::string_view sql, std::span<const std::vector<Value>> sets) const {
  std::string summary = "[params: " + std::to_string(sets.size()) + " sets";
  for (std::size_t i = 0; i < sets.size() && i < shown_sets; ++i)
    summary += (i == 0 ? ": (" : ", (") + format_params(sets[i]) + ")";
  if (sets.size() > shown_sets) summary += ", ...";
  summary += "]";
  const std::string lines[] = {std::string(sql), std::move(summary)};
  write(lines);
}

void Echo::line(std::string_view text) const {
  const std::string lines[] = {std::string(text)};
  write(lines);
}

}  // namespace relate
