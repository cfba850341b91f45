// Fixed thread pool behind kestrel_kernel_ctx::parallel_for.
//
// Protocol: `threads` counts the caller, so threads-1 workers are started (1 = no workers: every
// loop runs inline). parallel_for(fn, closure, n) splits [0, n) statically into
// min(n, threads) contiguous chunks; the caller runs chunk 0 and workers the others, and the call
// returns only when every chunk is done. One parallel_for at a time per pool: concurrent callers
// are serialised by a mutex, and a nested call (from inside a chunk, detected with a thread-local
// flag) runs inline rather than deadlocking. Between loops, workers first spin briefly on the
// generation counter (a kernel's parallel loops usually come in quick succession, e.g. one per
// time step of a recurrence), then sleep on a condition variable; the caller likewise spins
// briefly before sleeping while it waits for the last chunk. The counters are atomics so they can
// be polled without the mutex, but they only change under it, so the condition variables never
// miss a wake-up.
#ifndef KESTREL_THREAD_POOL_H_
#define KESTREL_THREAD_POOL_H_

#include <atomic>
#include <map>
#include <memory>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "kestrel_kernel.h"

namespace kestrel {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // <= 0: hardware concurrency
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void parallel_for(kestrel_task_fn fn, void* closure, int64_t n);
  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // The process-wide pool with `threads` threads (<= 0: hardware concurrency), shared by every
  // session that asks for that many: several sessions then do not keep separate sets of workers
  // competing for the same cores. It lives while a session holds it.
  static std::shared_ptr<ThreadPool> shared(int threads);

  // The C entry point stored in kestrel_kernel_ctx (pool = this).
  static void parallel_for_c(void* pool, kestrel_task_fn fn, void* closure, int64_t n);

 private:
  std::mutex call_mu_;  // one parallel_for at a time
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
  kestrel_task_fn fn_ = nullptr;
  void* closure_ = nullptr;
  int64_t n_ = 0;
  int chunks_ = 0;
  std::atomic<int> pending_{0};

  void worker(int index);
};

}  // namespace kestrel

#endif
