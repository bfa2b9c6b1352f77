#pragma once
/// @file
/// The statement log that EngineOptions::echo turns on. Every statement goes out
/// with its parameters, and transaction control (BEGIN, COMMIT, ROLLBACK,
/// SAVEPOINT ...) as its own line:
///
/// @code
///   relate.engine: INSERT INTO t (a, b) VALUES (?, ?)
///   relate.engine: [params: 1, 'x']
/// @endcode
///
/// Lines go to stderr unless a sink is given. A statement and its parameter line
/// are written together, so lines from several threads never interleave.

#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "relate/core/value.hpp"

namespace relate {

using EchoSink = std::function<void(std::string_view line)>;

/// Writes the statement log that EngineOptions::echo turns on.
class Echo {
 public:
  static constexpr std::string_view prefix = "relate.engine: ";
  /// How many parameter sets of an execute_many are shown.
  static constexpr std::size_t shown_sets = 3;

  /// An empty sink writes to stderr.
  explicit Echo(EchoSink sink = {});

  void statement(std::string_view sql, std::span<const Value> params) const;
  void batch(std::string_view sql, std::span<const std::vector<Value>> sets) const;
  /// A line of its own, e.g. "BEGIN".
  void line(std::string_view text) const;

 private:
  void write(std::span<const std::string> lines) const;

  EchoSink sink_;
  mutable std::mutex mutex_;
};

/// "1, 'x', NULL": values rendered with Value::repr().
std::string format_params(std::span<const Value> params);

}  // namespace relate
