// thread-pool-stress: checks the thread pool protocol (thread_pool.h) under load. Many jobs of
// varying sizes, from several caller threads at once, with nested calls and with workers that are
// slowed down at random (a stand-in for descheduled threads): every index of every job must be
// run exactly once, and the call must return only after all of them ran. Prints "ok <jobs>" and
// exits 0, or names the first violation and exits 1. Used by test/vm/thread-pool.test.ts.
//   thread-pool-stress [threads] [jobs per caller] [callers]
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "vm/thread_pool.h"

namespace {

struct Job {
  kestrel::ThreadPool* pool;
  std::vector<std::atomic<int>>* hits;
  uint32_t seed;
  bool nested;
};

void task(void* closure, int64_t begin, int64_t end) {
  Job* job = static_cast<Job*>(closure);
  for (int64_t i = begin; i < end; ++i) (*job->hits)[i].fetch_add(1, std::memory_order_relaxed);
  // Every few chunks stall for a while, as a descheduled worker would.
  if ((job->seed + static_cast<uint32_t>(begin) * 2654435761u) % 61 == 0) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  if (job->nested && begin == 0) {  // a nested loop runs inline and must still cover its range
    std::vector<std::atomic<int>> inner(5);
    Job in{job->pool, &inner, job->seed, false};
    job->pool->parallel_for(task, &in, 5);
    for (auto& h : inner) if (h.load() != 1) std::abort();
  }
}

bool caller(kestrel::ThreadPool* pool, int jobs, uint32_t seed) {
  for (int j = 0; j < jobs; ++j) {
    const int64_t n = 1 + (seed + j * 7919u) % 300;
    std::vector<std::atomic<int>> hits(n);
    Job job{pool, &hits, seed + static_cast<uint32_t>(j), j % 17 == 0};
    pool->parallel_for(task, &job, n);
    for (int64_t i = 0; i < n; ++i) {
      if (hits[i].load(std::memory_order_relaxed) != 1) {
        std::printf("job %d (n %lld): index %lld ran %d times\n", j, static_cast<long long>(n),
                    static_cast<long long>(i), hits[i].load());
        return false;
      }
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 4;
  const int jobs = argc > 2 ? std::atoi(argv[2]) : 2000;
  const int callers = argc > 3 ? std::atoi(argv[3]) : 3;
  kestrel::ThreadPool pool(threads);
  std::vector<std::thread> ts;
  std::atomic<bool> ok{true};
  for (int c = 0; c < callers; ++c) {
    ts.emplace_back([&, c] { if (!caller(&pool, jobs, 1000u * static_cast<uint32_t>(c))) ok = false; });
  }
  for (auto& t : ts) t.join();
  if (!ok) return 1;
  std::printf("ok %d\n", jobs * callers);
  return 0;
}
