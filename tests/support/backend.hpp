#pragma once
// Where the shared behavioural suites get their databases. Every suite that
// tests behaviour common to both backends is instantiated for "sqlite" and
// "postgresql" (value-parameterised GoogleTest fixtures, as SOCI does).
//
// PostgreSQL comes from RELATE_TEST_POSTGRES_URL, which ./scripts/test sets after
// starting a throwaway server. If it is missing, every PostgreSQL test fails with
// a message saying so: the suite never skips PostgreSQL silently.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace relate::testing {

// "sqlite" and "postgresql".
std::vector<std::string> backend_names();

// A database of its own for one test. SQLite: a fresh file in a temporary
// folder. PostgreSQL: a fresh schema on the test server, put first on the
// search_path of every connection made from url(); dropped at destruction.
class TestDatabase {
 public:
  explicit TestDatabase(std::string_view backend);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& backend() const noexcept { return backend_; }
  const std::string& url() const noexcept { return url_; }
  // For SQLite, the database file; for PostgreSQL, the schema name.
  const std::string& location() const noexcept { return location_; }

 private:
  std::string backend_;
  std::string url_;
  std::string location_;
};

// The PostgreSQL server URL the suite runs against (throws if not configured).
std::string postgres_server_url();

// Base fixture for suites parameterised by backend name.
class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  const std::string& backend() const { return GetParam(); }
  bool is_sqlite() const { return GetParam() == "sqlite"; }
  bool is_postgres() const { return GetParam() == "postgresql"; }
};

struct BackendName {
  std::string operator()(const ::testing::TestParamInfo<std::string>& info) const {
    return info.param;
  }
};

}  // namespace relate::testing

// Instantiates a BackendTest-derived suite for every backend.
#define RELATE_INSTANTIATE_BACKENDS(Suite)                                          \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite,                                         \
                           ::testing::ValuesIn(::relate::testing::backend_names()), \
                           ::relate::testing::BackendName())
