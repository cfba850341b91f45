// Fixed thread pool behind kestrel_kernel_ctx::parallel_for.
//
// Protocol: `threads` counts the caller, so threads-1 workers are started (1 = no workers: every
// loop runs inline). parallel_for(fn, closure, n) cuts [0, n) into min(n, threads * 4) contiguous
// chunks and publishes them as one job; the caller and every worker that is awake claim chunks
// one at a time from a shared counter until none is left, and the call returns when every claimed
// chunk is done. The caller therefore never waits for a worker that has not started: a worker
// that is asleep or descheduled (the cores are shared with other processes) simply claims
// nothing, and the caller runs the chunks itself. It waits only for chunks already running.
//
// The job lives in a 64-bit state word, (job id << 32) | next chunk index; a chunk is claimed by a
// compare-and-swap that also checks the job id, so a worker that wakes late, after its job is
// over, cannot claim (or run) anything of the next one. The job's fields (fn, closure, n, chunks)
// are published before the state word and read like a seqlock: read the state (acquire), read
// the fields, fence, then claim by CAS on the state read first. The done counter is reset before
// a job is published; only claimers increment it, and a job is over only when every claimed
// chunk has been counted, so no late increment can leak into the next job.
//
// Waiting is adaptive. Workers spin on the state word between jobs (kernels of one run come in
// quick succession) and then sleep on a condition variable; the caller likewise spins before it
// sleeps while the last chunks finish. A spinning thread that notices it was descheduled (a gap
// in its clock between two polls) marks the pool contended for a while, and while it is
// contended nobody spins longer than a few microseconds: on an oversubscribed machine spinning
// only takes the core from the thread that holds the work. Sleepers are counted so that a job
// costs a wake-up system call only when someone sleeps. Both sleeps use the Dekker pattern
// (sequentially consistent flag store, then re-check) plus a mutex around the notify, so no
// wake-up is lost.
//
// Small loops run inline. Per task function the pool keeps the work one iteration took (ns of one
// thread), learned from its previous calls: a loop predicted below kInlineNs runs on the caller
// without publishing a job (sharing it would save at most half of a few microseconds, and costs
// the publication, the claims and the wait). A function not seen before runs shared, and its time
// teaches the estimate. The table is a fixed open-addressed array of (fn, estimate) slots updated
// with relaxed atomics: a race only gives a stale estimate, which decides where a loop runs,
// never what it computes.
//
// One parallel_for at a time per pool: a second caller (another session or thread) that finds the
// pool busy runs its loop inline, and a nested call (from inside a chunk, detected with a
// thread-local flag) runs inline rather than deadlocking.
#ifndef KESTREL_THREAD_POOL_H_
#define KESTREL_THREAD_POOL_H_

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
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
  std::mutex call_mu_;  // one parallel_for at a time (try_lock: a busy pool runs callers inline)
  std::mutex mu_;       // guards sleeping only
  std::condition_variable wake_;
  std::condition_variable done_cv_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stop_{false};

  std::atomic<uint64_t> state_{0};  // (job id << 32) | next chunk
  std::atomic<kestrel_task_fn> fn_{nullptr};
  std::atomic<void*> closure_{nullptr};
  std::atomic<int64_t> n_{0};
  std::atomic<uint32_t> chunks_{0};
  std::atomic<uint32_t> done_{0};          // chunks of the current job finished
  std::atomic<int> sleepers_{0};           // workers asleep (or about to sleep) on wake_
  std::atomic<bool> caller_waiting_{false};
  std::atomic<int64_t> contended_until_{0};  // steady-clock ns; spin briefly until then
  uint32_t job_ = 0;                         // last job id (under call_mu_)

  void worker();
  bool wait_for_job(uint32_t seen, uint64_t* state);
  void participate(uint64_t state);
  void finish_chunk(uint32_t chunks);
  void wait_done(uint32_t chunks);
  template <typename Ready>
  bool spin_until(Ready ready, int64_t budget_ns);
  int64_t spin_budget(int64_t quiet_ns) const;

  struct Cost {
    std::atomic<kestrel_task_fn> fn{nullptr};
    std::atomic<float> ns_per_iter{0};  // 0: not measured yet
  };
  std::array<Cost, 1024> costs_;
  Cost* cost_of(kestrel_task_fn fn);
  bool run_small(Cost* cost, kestrel_task_fn fn, void* closure, int64_t n);
  static void learn(Cost* cost, int64_t elapsed_ns, int64_t n, int threads);
};

}  // namespace kestrel

#endif
