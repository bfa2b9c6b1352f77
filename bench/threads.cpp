// relate_bench_threads: how object creation scales with threads. Each thread
// makes and frees pairs of related objects (a user and an address), as a
// service's worker threads do while each loads rows into a Session of its
// own; what they share is the cycle collector's lists and the count of live
// objects (docs/performance.md, finding 19). Prints nanoseconds per pair for
// 1..N threads; with as many threads as cores and nothing shared, the time
// per pair stays flat.
//
//   relate_bench_threads [max_threads (default: the number of cores)] [pairs per thread]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "model.hpp"

int main(int argc, char** argv) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const unsigned max_threads = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : cores;
  const long pairs = argc > 2 ? std::atol(argv[2]) : 400'000;
  relate::Registry registry;
  bench::map_all(registry);
  registry.configure();
  for (unsigned threads = 1; threads <= max_threads; ++threads) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t)
      workers.emplace_back([pairs] {
        for (long i = 0; i < pairs; ++i) {
          auto user = relate::make<bench::User>();
          auto address = relate::make<bench::Address>();
          address->email_address = "x";
        }
      });
    for (auto& w : workers) w.join();
    const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
    std::printf("%u thread(s): %.0f ns per pair per thread\n", threads,
                took.count() / static_cast<double>(pairs));
  }
}
