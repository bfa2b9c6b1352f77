#pragma once
// Shared fixture for ORM suites: an isolated database per test on each backend,
// an Engine whose echo feeds a statement recorder, and a Registry to map into.

#include <string>
#include <vector>

#include "relate/relate.hpp"
#include "support/backend.hpp"

namespace relate::testing {

// Records the SQL text of every statement an Engine runs (parameter lines are
// kept apart), so tests can assert what was emitted.
class StatementRecorder {
 public:
  EchoSink sink();
  // SQL lines since the last clear(), BEGIN/COMMIT/SAVEPOINT included.
  const std::vector<std::string>& statements() const noexcept { return statements_; }
  const std::vector<std::string>& params() const noexcept { return params_; }
  // Statements that start with the given word (e.g. "INSERT").
  std::vector<std::string> starting_with(std::string_view word) const;
  std::size_t count(std::string_view word) const { return starting_with(word).size(); }
  void clear() {
    statements_.clear();
    params_.clear();
  }

 private:
  std::vector<std::string> statements_;
  std::vector<std::string> params_;
};

class OrmTest : public BackendTest {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Configures the registry, creates its tables and clears the recorder.
  void create_schema();
  Session session(SessionOptions options = {});
  // Rows of a raw query through a separate connection (what is committed);
  // values go in as bound parameters (`:name` in the SQL).
  std::vector<Row> rows(const std::string& sql, const Params& params = {});
  std::int64_t count_rows(const std::string& table);

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Engine> engine_;
  Registry registry_;
  StatementRecorder recorder_;
};

}  // namespace relate::testing
