#pragma once
// Shared pieces of the benchmark harness: sizes, outcomes of a timed run, the
// plain structs the hand-written variants load into, and the SQL that prepares
// the data before each run (never timed).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bench {

enum class Backend { sqlite_file, sqlite_memory, postgresql };

struct Sizes {
  int users = 10'000;
  int addresses = 10;  // per user
  int gets = 10'000;
  std::int64_t stream_rows = 1'000'000;
};

enum class Workload { insert, load, get_db, get_map, update, orphan, cascade, passive, stream };

// What one timed run reports. `rows` counts the rows the run wrote, read or
// looked up, so that every variant of a workload can be checked against the
// others.
struct Outcome {
  double seconds = 0;
  std::int64_t rows = 0;
  std::size_t peak_bytes = 0;  // C++ heap above the level at the start of the run
  std::size_t held_bytes = 0;  // W2: C++ heap held by the loaded rows or objects
  // W8: the C++ heap peak and the bytes malloc had in use after a tenth of the
  // rows and at the end.
  std::size_t peak_early = 0;
  std::size_t malloc_early = 0;
  std::size_t malloc_end = 0;
};

// The rows of the hand-written variants.
struct AddressRow {
  std::int64_t id = 0;
  std::string email_address;
  std::int64_t user_id = 0;
};
struct UserRow {
  std::int64_t id = 0;
  std::string name;
  std::string fullname;
  std::string nickname;
  std::vector<AddressRow> addresses;
};

// Generated values, the same in every variant.
std::string user_name(std::int64_t i);
std::string user_fullname(std::int64_t i);
std::string user_nickname(std::int64_t i);
std::string email(std::int64_t user, int k);
std::string new_name(std::int64_t i);  // W4

// Random user keys for W3 (a fixed seed: every variant gets the same keys).
std::vector<std::int64_t> get_keys(const Sizes& s);

// A database connection as the harness sees it: runs setup SQL, counts rows.
class Db {
 public:
  virtual ~Db() = default;
  virtual void exec(const std::string& sql) = 0;
  virtual std::int64_t scalar(const std::string& sql) = 0;
};

// Schema (if missing), then the rows the workload starts from.
void prepare(Db& db, Backend backend, Workload w, const Sizes& s);
// Row counts after a run: every variant of a workload must leave the same.
std::string database_state(Db& db);

class Timer {
 public:
  Timer() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// C++ heap accounting through the bench binary's global operator new/delete.
namespace memory {
std::size_t live() noexcept;
std::size_t peak() noexcept;
void reset_peak() noexcept;            // peak := live
std::size_t malloc_in_use() noexcept;  // mallinfo2: every malloc, C libraries included
}  // namespace memory

// Runs one variant and fills in its heap figures, relative to the start.
template <class F>
Outcome measured(F&& work) {
  const std::size_t before = memory::live();
  memory::reset_peak();
  Outcome out = work();
  out.peak_bytes = memory::peak() - before;
  if (out.peak_early != 0) out.peak_early -= before;
  return out;
}

// How many keys one IN (...) list carries (below both databases' limits).
constexpr std::size_t keys_per_statement = 30'000;

// A variant of a workload: relate or hand-written.
struct Variant {
  std::string name;
  std::function<Outcome()> run;
};

}  // namespace bench
