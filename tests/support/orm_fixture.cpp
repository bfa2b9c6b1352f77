#include "support/orm_fixture.hpp"

namespace relate::testing {

namespace {
constexpr std::string_view echo_prefix = "relate.engine: ";
}

EchoSink StatementRecorder::sink() {
  return [this](std::string_view line) {
    if (line.starts_with(echo_prefix)) line.remove_prefix(echo_prefix.size());
    if (line.starts_with("[params") || line.starts_with("[no params"))
      params_.emplace_back(line);
    else
      statements_.emplace_back(line);
  };
}

std::vector<std::string> StatementRecorder::starting_with(std::string_view word) const {
  std::vector<std::string> out;
  for (const auto& s : statements_)
    if (s.starts_with(word)) out.push_back(s);
  return out;
}

void OrmTest::SetUp() {
  db_ = std::make_unique<TestDatabase>(backend());
  EngineOptions options;
  options.echo = true;
  options.echo_sink = recorder_.sink();
  engine_ = std::make_unique<Engine>(create_engine(db_->url(), options));
}

void OrmTest::TearDown() {
  engine_.reset();
  db_.reset();
}

void OrmTest::create_schema() {
  registry_.create_all(*engine_);
  recorder_.clear();
}

Session OrmTest::session(SessionOptions options) { return Session(*engine_, registry_, options); }

std::vector<Row> OrmTest::rows(const std::string& sql, const Params& params) {
  auto conn = engine_->connect();
  auto result = conn.execute(text(sql), params);
  auto out = result.rows();
  recorder_.clear();
  return out;
}

std::int64_t OrmTest::count_rows(const std::string& table) {
  auto r = rows("SELECT count(*) FROM " + table);
  return r.at(0).at(0).as_integer();
}

}  // namespace relate::testing
