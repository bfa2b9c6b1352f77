// relate_bench: times each workload with relate and written by hand on the same
// databases, alternating the two over several rounds, and reports medians, the
// ratio relate / best hand-written variant, and heap figures. Every variant of a
// workload must leave the same row counts behind, or the run fails.
//
//   relate_bench [--users N] [--addresses K] [--gets G] [--stream-rows M]
//                [--rounds R] [--backends sqlite-file,sqlite-memory,postgresql]
//                [--workloads W1,...,W8] [--postgres-url URL] [--out DIR]

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "hand.hpp"
#include "model.hpp"
#include "relate_workloads.hpp"

namespace bench {

namespace {

struct WorkloadInfo {
  Workload id;
  const char* key;    // on the command line
  const char* label;  // in the report
  std::optional<double> target;
};

const std::vector<WorkloadInfo>& workloads() {
  static const std::vector<WorkloadInfo> all = {
      {Workload::insert, "W1", "W1 insert", 1.3},
      {Workload::load, "W2", "W2 load (selectin)", 2.0},
      {Workload::get_db, "W3", "W3 get, database", std::nullopt},
      {Workload::get_map, "W3", "W3 get, identity map", 3.0},
      {Workload::update, "W4", "W4 update", 1.3},
      {Workload::orphan, "W5", "W5 delete-orphan", 1.3},
      {Workload::cascade, "W6", "W6 cascade delete", 1.5},
      {Workload::passive, "W7", "W7 passive delete", 1.2},
      {Workload::stream, "W8", "W8 stream", std::nullopt},
  };
  return all;
}

const char* backend_name(Backend b) {
  switch (b) {
    case Backend::sqlite_file: return "sqlite-file";
    case Backend::sqlite_memory: return "sqlite-memory";
    case Backend::postgresql: return "postgresql";
  }
  return "?";
}

struct Options {
  Sizes sizes;
  int rounds = 3;
  std::vector<Backend> backends{Backend::sqlite_file, Backend::sqlite_memory, Backend::postgresql};
  std::vector<std::string> workloads{"W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8"};
  std::string postgres_url;
  std::string out;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  if (const char* url = std::getenv("RELATE_TEST_POSTGRES_URL")) o.postgres_url = url;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--users")
      o.sizes.users = std::stoi(value());
    else if (a == "--addresses")
      o.sizes.addresses = std::stoi(value());
    else if (a == "--gets")
      o.sizes.gets = std::stoi(value());
    else if (a == "--stream-rows")
      o.sizes.stream_rows = std::stoll(value());
    else if (a == "--rounds")
      o.rounds = std::stoi(value());
    else if (a == "--postgres-url")
      o.postgres_url = value();
    else if (a == "--out")
      o.out = value();
    else if (a == "--workloads")
      o.workloads = split(value());
    else if (a == "--backends") {
      o.backends.clear();
      for (const auto& b : split(value())) {
        if (b == "sqlite-file")
          o.backends.push_back(Backend::sqlite_file);
        else if (b == "sqlite-memory")
          o.backends.push_back(Backend::sqlite_memory);
        else if (b == "postgresql")
          o.backends.push_back(Backend::postgresql);
        else
          throw std::runtime_error("unknown backend '" + b + "'");
      }
    } else {
      throw std::runtime_error("unknown option '" + a +
                               "' (see the comment at the top of bench/main.cpp)");
    }
  }
  if (o.sizes.users < 1 || o.sizes.addresses < 1 || o.sizes.gets < 1 || o.sizes.stream_rows < 1 ||
      o.rounds < 1)
    throw std::runtime_error("sizes and rounds must be at least 1");
  return o;
}

// ---- the databases each side works on -------------------------------------------

class RelateDb final : public Db {
 public:
  explicit RelateDb(const relate::Engine& e) : engine_(e) {}
  void exec(const std::string& sql) override {
    auto conn = engine_.connect();
    conn.driver().execute(sql, {})->close();
  }
  std::int64_t scalar(const std::string& sql) override {
    auto conn = engine_.connect();
    auto cursor = conn.driver().execute(sql, {});
    relate::Row row;
    if (!cursor->next(row)) throw std::runtime_error("no row: " + sql);
    cursor->close();
    return row.at(0).as_integer();
  }

 private:
  const relate::Engine& engine_;
};

class SqliteDb final : public Db {
 public:
  explicit SqliteDb(const std::string& path) {
    // The flags and settings relate applies to its own connections: without
    // SQLITE_OPEN_NOMUTEX (sqlite3_open's "serialized" mode) SQLite takes a
    // mutex around every call, which relate's driver does not pay.
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK)
      throw std::runtime_error("cannot open " + path);
    exec("PRAGMA foreign_keys=ON");
    if (path != ":memory:") scalar("PRAGMA journal_mode=WAL");
  }
  ~SqliteDb() override { sqlite3_close(db_); }
  void exec(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error("sqlite: " + sql + ": " + msg);
    }
  }
  std::int64_t scalar(const std::string& sql) override {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      throw std::runtime_error("sqlite: " + sql + ": " + sqlite3_errmsg(db_));
    std::int64_t v = 0;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
  }
  sqlite3* raw() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

class PgDb final : public Db {
 public:
  explicit PgDb(const std::string& url) : c_(PQconnectdb(url.c_str())) {
    if (PQstatus(c_) != CONNECTION_OK)
      throw std::runtime_error(std::string("cannot connect to PostgreSQL: ") + PQerrorMessage(c_));
    // "relation already exists, skipping" and the like are expected here.
    PQsetNoticeProcessor(
        c_, [](void*, const char*) {}, nullptr);
  }
  ~PgDb() override { PQfinish(c_); }
  void exec(const std::string& sql) override {
    PGresult* r = PQexec(c_, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    std::string msg = ok ? "" : PQresultErrorMessage(r);
    PQclear(r);
    if (!ok) throw std::runtime_error("libpq: " + sql + ": " + msg);
  }
  std::int64_t scalar(const std::string& sql) override {
    PGresult* r = PQexec(c_, sql.c_str());
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
      std::string msg = PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error("libpq: " + sql + ": " + msg);
    }
    const std::int64_t v = std::stoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
  }
  PGconn* raw() const { return c_; }

 private:
  PGconn* c_;
};

// postgresql://host/db?params with the database replaced.
std::string with_database(const std::string& url, const std::string& db) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) throw std::runtime_error("not a postgresql URL: " + url);
  const auto slash = url.find('/', scheme + 3);
  const auto query = url.find('?', scheme + 3);
  const std::string authority = url.substr(
      0,
      slash != std::string::npos && (query == std::string::npos || slash < query) ? slash : query);
  return authority + "/" + db + (query == std::string::npos ? "" : url.substr(query));
}

// ---- one backend ---------------------------------------------------------------

struct Measured {
  std::vector<Outcome> runs;
  std::vector<std::string> states;
};

using Results = std::map<std::pair<Backend, Workload>, std::map<std::string, Measured>>;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
template <class F>
double median_of(const std::vector<Outcome>& runs, F f) {
  std::vector<double> v;
  for (const auto& r : runs) v.push_back(static_cast<double>(f(r)));
  return median(v);
}

bool run_backend(Backend b, const Options& o, relate::Registry& registry, Results& results) {
  const Sizes& s = o.sizes;
  std::string relate_url, hand_path;
  std::unique_ptr<PgDb> admin;
  std::string pg_db;
  std::filesystem::path dir;
  switch (b) {
    case Backend::sqlite_file:
      dir = std::filesystem::temp_directory_path() / ("relate_bench_" + std::to_string(::getpid()));
      std::filesystem::create_directories(dir);
      hand_path = (dir / "bench.db").string();
      relate_url = "sqlite:///" + hand_path;
      break;
    case Backend::sqlite_memory:
      hand_path = ":memory:";
      relate_url = "sqlite://";
      break;
    case Backend::postgresql:
      if (o.postgres_url.empty())
        throw std::runtime_error(
            "no PostgreSQL server: pass --postgres-url or set RELATE_TEST_POSTGRES_URL (or leave "
            "postgresql out of --backends)");
      admin = std::make_unique<PgDb>(o.postgres_url);
      pg_db = "relate_bench_" + std::to_string(::getpid());
      admin->exec("DROP DATABASE IF EXISTS " + pg_db);
      admin->exec("CREATE DATABASE " + pg_db);
      relate_url = with_database(o.postgres_url, pg_db);
      break;
  }
  bool ok = true;
  {
    relate::Engine engine = relate::create_engine(relate_url);
    RelateDb relate_db(engine);
    std::unique_ptr<SqliteDb> sq;
    std::unique_ptr<PgDb> pq;
    Db* hand_db;
    if (b == Backend::postgresql) {
      pq = std::make_unique<PgDb>(relate_url);
      hand_db = pq.get();
    } else {
      sq = std::make_unique<SqliteDb>(hand_path);
      hand_db = sq.get();
    }
    sqlite3* sdb = sq ? sq->raw() : nullptr;
    PGconn* pdb = pq ? pq->raw() : nullptr;
    const bool pg = b == Backend::postgresql;

    for (const auto& w : workloads()) {
      if (std::find(o.workloads.begin(), o.workloads.end(), w.key) == o.workloads.end()) continue;
      struct Side {
        std::string name;
        Db* db;
        std::function<Outcome()> run;
      };
      std::vector<Side> variants;
      auto rel = [&](Outcome (*f)(const relate::Engine&, relate::Registry&, const Sizes&)) {
        variants.push_back({"relate", &relate_db, [&, f] { return f(engine, registry, s); }});
      };
      auto hand = [&](std::string name, std::function<Outcome()> f) {
        variants.push_back({std::move(name), hand_db, std::move(f)});
      };
      switch (w.id) {
        case Workload::insert:
          rel(relate_insert);
          hand("hand-written", [&] { return pg ? pg::insert(pdb, s) : sqlite::insert(sdb, s); });
          break;
        case Workload::load:
          rel(relate_load);
          hand("hand-written", [&] { return pg ? pg::load(pdb, s) : sqlite::load(sdb, s); });
          break;
        case Workload::get_db:
          rel(relate_get_db);
          hand("hand-written", [&] { return pg ? pg::get_db(pdb, s) : sqlite::get_db(sdb, s); });
          break;
        case Workload::get_map:
          rel(relate_get_map);
          for (bool counted : {false, true})
            hand(counted ? "std::unordered_map, counted handle" : "std::unordered_map",
                 [&, counted] {
                   auto rows = pg ? pg::load_users(pdb, false) : sqlite::load_users(sdb, false);
                   return unordered_map_get(rows, s, counted);
                 });
          break;
        case Workload::update:
          rel(relate_update);
          hand("hand-written", [&] { return pg ? pg::update(pdb, s) : sqlite::update(sdb, s); });
          break;
        case Workload::orphan:
          rel(relate_orphan);
          for (bool set : {false, true})
            hand(set ? "hand-written, set-based" : "hand-written, per row",
                 [&, set] { return pg ? pg::orphan(pdb, s, set) : sqlite::orphan(sdb, s, set); });
          break;
        case Workload::cascade:
          rel(relate_cascade);
          for (bool set : {false, true})
            hand(set ? "hand-written, set-based" : "hand-written, per row",
                 [&, set] { return pg ? pg::cascade(pdb, s, set) : sqlite::cascade(sdb, s, set); });
          break;
        case Workload::passive:
          rel(relate_passive);
          for (bool set : {false, true})
            hand(set ? "hand-written, set-based" : "hand-written, per row",
                 [&, set] { return pg ? pg::passive(pdb, s, set) : sqlite::passive(sdb, s, set); });
          break;
        case Workload::stream:
          rel(relate_stream);
          hand("hand-written", [&] { return pg ? pg::stream(pdb, s) : sqlite::stream(sdb, s); });
          break;
      }
      auto& slot = results[{b, w.id}];
      for (int round = 0; round < o.rounds; ++round) {
        // Alternate who goes first, so that neither side always meets a warm
        // (or a cold) cache.
        std::vector<Side*> order;
        for (auto& v : variants) order.push_back(&v);
        if (round % 2 == 1) std::reverse(order.begin(), order.end());
        for (Side* v : order) {
          prepare(*v->db, b, w.id, s);
          Outcome out = v->run();
          auto& m = slot[v->name];
          m.runs.push_back(out);
          m.states.push_back(database_state(*v->db));
          std::fprintf(stderr, "%-14s %-22s %-26s round %d: %.4f s, %lld rows\n", backend_name(b),
                       w.label, v->name.c_str(), round + 1, out.seconds,
                       static_cast<long long>(out.rows));
        }
      }
      // The cross-check: the same rows counted and the same rows left behind.
      const auto& ref = slot.at("relate");
      for (const auto& [name, m] : slot) {
        for (std::size_t i = 0; i < m.runs.size(); ++i) {
          if (m.runs[i].rows != ref.runs[0].rows || m.states[i] != ref.states[0]) {
            std::fprintf(stderr,
                         "MISMATCH %s %s: %s counted %lld rows and left {%s}; relate counted "
                         "%lld and left {%s}\n",
                         backend_name(b), w.label, name.c_str(),
                         static_cast<long long>(m.runs[i].rows), m.states[i].c_str(),
                         static_cast<long long>(ref.runs[0].rows), ref.states[0].c_str());
            ok = false;
          }
        }
      }
    }
    engine.dispose();
  }
  if (admin) admin->exec("DROP DATABASE IF EXISTS " + pg_db);
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return ok;
}

// ---- the report ------------------------------------------------------------------

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
std::string mib(double bytes) { return fixed(bytes / (1024.0 * 1024.0), 1); }
std::string kib(double bytes) { return fixed(bytes / 1024.0, 0); }

struct Best {
  std::string name;
  double seconds = 0;
};

Best best_hand(const std::map<std::string, Measured>& m) {
  Best best;
  for (const auto& [name, v] : m) {
    if (name == "relate") continue;
    const double t = median_of(v.runs, [](const Outcome& o) { return o.seconds; });
    if (best.name.empty() || t < best.seconds) best = {name, t};
  }
  return best;
}

void report(const Options& o, const Results& results, std::ostream& md, std::ostream& csv,
            std::ostream& dat) {
  const Sizes& s = o.sizes;
  md << "Parameters: " << s.users << " users x " << s.addresses << " addresses, " << s.gets
     << " gets, " << s.stream_rows << " streamed rows, " << o.rounds
     << " round(s); medians of the rounds.\n\n";
  csv << "backend,workload,variant,median_seconds,rows,rows_per_second,peak_bytes,held_bytes\n";
  for (Backend b : o.backends) {
    md << "### " << backend_name(b) << "\n\n"
       << "| Workload | relate (s) | relate rows/s | best hand-written (s) | variant | ratio | "
          "target | met |\n"
       << "|---|---:|---:|---:|---|---:|---:|---|\n";
    for (const auto& w : workloads()) {
      auto it = results.find({b, w.id});
      if (it == results.end()) continue;
      for (const auto& [name, m] : it->second) {
        const double t = median_of(m.runs, [](const Outcome& x) { return x.seconds; });
        const double rows = static_cast<double>(m.runs.front().rows);
        csv << backend_name(b) << ',' << w.label << ",\"" << name << "\"," << fixed(t, 6) << ','
            << m.runs.front().rows << ',' << fixed(t > 0 ? rows / t : 0, 0) << ','
            << fixed(median_of(m.runs, [](const Outcome& x) { return x.peak_bytes; }), 0) << ','
            << fixed(median_of(m.runs, [](const Outcome& x) { return x.held_bytes; }), 0) << '\n';
      }
      const auto& rel = it->second.at("relate");
      const double t = median_of(rel.runs, [](const Outcome& x) { return x.seconds; });
      const Best best = best_hand(it->second);
      const double ratio = best.seconds > 0 ? t / best.seconds : 0;
      const double rows = static_cast<double>(rel.runs.front().rows);
      md << "| " << w.label << " | " << fixed(t, 4) << " | " << fixed(t > 0 ? rows / t : 0, 0)
         << " | " << fixed(best.seconds, 4) << " | " << best.name << " | " << fixed(ratio, 2)
         << " | " << (w.target ? "≤ " + fixed(*w.target, 1) : "—") << " | "
         << (w.target ? (ratio <= *w.target ? "yes" : "**no**") : "") << " |\n";
    }
    md << "\n";
  }

  // Memory: W2's loaded objects against plain structs, W8's heap at a tenth and
  // at the end of the stream.
  md << "### Memory\n\n"
     << "C++ heap counted by the bench binary's global operator new/delete (bytes from "
        "`malloc_usable_size`), relative to the start of each run.\n\n"
     << "| Backend | W2 held, relate (MiB) | W2 held, plain structs (MiB) | ratio | target |\n"
     << "|---|---:|---:|---:|---:|\n";
  for (Backend b : o.backends) {
    auto it = results.find({b, Workload::load});
    if (it == results.end()) continue;
    const double r =
        median_of(it->second.at("relate").runs, [](const Outcome& x) { return x.held_bytes; });
    const double h = median_of(it->second.at("hand-written").runs,
                               [](const Outcome& x) { return x.held_bytes; });
    md << "| " << backend_name(b) << " | " << mib(r) << " | " << mib(h) << " | "
       << fixed(h > 0 ? r / h : 0, 2) << " | ≤ 3.0 |\n";
  }
  md << "\n| Backend | W8 variant | C++ heap peak after 10% (KiB) | after 100% (KiB) | malloc in "
        "use after 10% (KiB) | after 100% (KiB) |\n|---|---|---:|---:|---:|---:|\n";
  for (Backend b : o.backends) {
    auto it = results.find({b, Workload::stream});
    if (it == results.end()) continue;
    for (const auto& [name, m] : it->second)
      md << "| " << backend_name(b) << " | " << name << " | "
         << kib(median_of(m.runs, [](const Outcome& x) { return x.peak_early; })) << " | "
         << kib(median_of(m.runs, [](const Outcome& x) { return x.peak_bytes; })) << " | "
         << kib(median_of(m.runs, [](const Outcome& x) { return x.malloc_early; })) << " | "
         << kib(median_of(m.runs, [](const Outcome& x) { return x.malloc_end; })) << " |\n";
  }
  md << "\n| Backend | Workload | relate peak (MiB) | hand-written peak (MiB, best variant) |\n"
        "|---|---|---:|---:|\n";
  for (Backend b : o.backends)
    for (const auto& w : workloads()) {
      auto it = results.find({b, w.id});
      if (it == results.end()) continue;
      const Best best = best_hand(it->second);
      md << "| " << backend_name(b) << " | " << w.label << " | "
         << mib(median_of(it->second.at("relate").runs,
                          [](const Outcome& x) { return x.peak_bytes; }))
         << " | "
         << mib(median_of(it->second.at(best.name).runs,
                          [](const Outcome& x) { return x.peak_bytes; }))
         << " |\n";
    }

  // For the chart: one line per workload with a target, one column per backend.
  dat << "workload";
  for (Backend b : o.backends) dat << ' ' << backend_name(b);
  dat << " target\n";
  for (const auto& w : workloads()) {
    if (!w.target) continue;
    std::string label = w.label;
    std::replace(label.begin(), label.end(), ' ', '_');
    dat << '"' << w.label << '"';
    for (Backend b : o.backends) {
      auto it = results.find({b, w.id});
      if (it == results.end()) {
        dat << " ?";
        continue;
      }
      const double t =
          median_of(it->second.at("relate").runs, [](const Outcome& x) { return x.seconds; });
      const Best best = best_hand(it->second);
      dat << ' ' << fixed(best.seconds > 0 ? t / best.seconds : 0, 4);
    }
    dat << ' ' << *w.target << '\n';
  }
}

}  // namespace

}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  try {
    const Options o = parse(argc, argv);
    relate::Registry registry;
    map_all(registry);
    Results results;
    bool ok = true;
    for (Backend b : o.backends) ok = run_backend(b, o, registry, results) && ok;
    std::ostringstream md, csv, dat;
    report(o, results, md, csv, dat);
    std::cout << md.str();
    if (!o.out.empty()) {
      std::filesystem::create_directories(o.out);
      std::ofstream(std::filesystem::path(o.out) / "results.md") << md.str();
      std::ofstream(std::filesystem::path(o.out) / "results.csv") << csv.str();
      std::ofstream(std::filesystem::path(o.out) / "ratios.dat") << dat.str();
    }
    if (!ok) {
      std::cerr << "relate_bench: variants disagree (see MISMATCH above)\n";
      return 1;
    }
    std::cerr << "relate_bench: every variant of every workload agreed on the rows\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "relate_bench: " << e.what() << "\n";
    return 1;
  }
}
