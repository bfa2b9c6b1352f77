#include "support/backend.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace relate::testing {

namespace {

std::atomic<int> counter{0};

std::string unique_suffix() {
  return std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1));
}

void run_admin(const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(postgres_server_url().c_str()),
                                                    &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw std::runtime_error(std::string("cannot reach the PostgreSQL test server: ") +
                             PQerrorMessage(conn.get()));
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
  if (PQresultStatus(res.get()) != PGRES_COMMAND_OK)
    throw std::runtime_error("test setup statement failed: " + sql + ": " +
                             PQerrorMessage(conn.get()));
}

// Adds a query parameter to a postgresql:// URL.
std::string with_param(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

}  // namespace

std::vector<std::string> backend_names() { return {"sqlite", "postgresql"}; }

std::string postgres_server_url() {
  const char* url = std::getenv("RELATE_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0')
    throw std::runtime_error(
        "RELATE_TEST_POSTGRES_URL is not set, so the PostgreSQL tests cannot run. Run the "
        "suite with ./scripts/test (it starts a throwaway PostgreSQL server), or set "
        "RELATE_TEST_POSTGRES_URL to a server of your own.");
  return url;
}

TestDatabase::TestDatabase(std::string_view backend) : backend_(backend) {
  if (backend_ == "sqlite") {
    // A new directory every time: one named after the process id could be left
    // behind by a run that crashed, and a later process with that id would then
    // find the old tables in it.
    std::string pattern = (std::filesystem::temp_directory_path() / "relate_test_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("could not create a directory for a test database: " + pattern);
    const std::filesystem::path dir(pattern);
    location_ = (dir / "test.db").string();
    url_ = "sqlite:///" + location_;  // absolute path: sqlite:////tmp/...
  } else if (backend_ == "postgresql") {
    location_ = "relate_t_" + unique_suffix();
    run_admin("CREATE SCHEMA " + location_);
    url_ = with_param(postgres_server_url(), "options=-csearch_path%3D" + location_);
  } else {
    throw std::runtime_error("unknown test backend '" + std::string(backend) + "'");
  }
}

TestDatabase::~TestDatabase() {
  try {
    if (backend_ == "sqlite") {
      std::filesystem::remove_all(std::filesystem::path(location_).parent_path());
    } else {
      run_admin("DROP SCHEMA IF EXISTS " + location_ + " CASCADE");
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "test database cleanup failed: " << e.what();
  }
}

}  // namespace relate::testing
