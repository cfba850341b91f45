// Thread pool implementation (see thread_pool.h for the protocol).
#include "vm/thread_pool.h"

#include <algorithm>
#include <chrono>

namespace kestrel {
namespace {
thread_local bool t_in_parallel = false;

constexpr uint32_t kChunksPerThread = 4;   // granularity of dynamic claiming
constexpr uint32_t kClosed = 0xffffffffu;  // chunk index while a job's fields are being written
// Spin budgets. A worker spins this long for the next job before sleeping: long enough to stay
// awake between the kernels of one run (and between back-to-back runs), short enough not to hold
// a core while the process is idle. The caller spins this long for running chunks to finish.
constexpr int64_t kWorkerSpinNs = 2000000;
constexpr int64_t kCallerSpinNs = 2000000;
constexpr int64_t kContendedSpinNs = 2000;  // while the pool is marked contended
// A gap this long between two polls of a spin loop (normally a few microseconds apart) means the
// spinning thread was descheduled: the machine is oversubscribed. Spinning then stays short for
// kContendedNs before it is tried again.
constexpr int64_t kGapNs = 100000;
constexpr int64_t kContendedNs = 20000000;
constexpr int kPollEvery = 64;  // pauses between clock reads
// Loops predicted to take less than this much work of one thread run inline (see the header).
constexpr int64_t kInlineNs = 8000;

inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline uint32_t job_of(uint64_t state) { return static_cast<uint32_t>(state >> 32); }
inline uint32_t chunk_of(uint64_t state) { return static_cast<uint32_t>(state); }

void run_chunk(kestrel_task_fn fn, void* closure, int64_t n, int64_t chunks, int64_t index) {
  const int64_t begin = n / chunks * index + std::min<int64_t>(index, n % chunks);
  const int64_t end = begin + n / chunks + (index < n % chunks ? 1 : 0);
  if (begin < end) fn(closure, begin, end);
}
}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::min(threads, 256);
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

int64_t ThreadPool::spin_budget(int64_t quiet_ns) const {
  return now_ns() < contended_until_.load(std::memory_order_relaxed) ? kContendedSpinNs : quiet_ns;
}

template <typename Ready>
bool ThreadPool::spin_until(Ready ready, int64_t budget_ns) {
  const int64_t start = now_ns();
  int64_t last = start;
  for (;;) {
    for (int i = 0; i < kPollEvery; ++i) {
      if (ready()) return true;
      relax();
    }
    const int64_t t = now_ns();
    if (t - last > kGapNs) {  // descheduled while spinning: stop competing for the core
      contended_until_.store(t + kContendedNs, std::memory_order_relaxed);
      return ready();
    }
    if (t - start >= budget_ns) return ready();
    last = t;
  }
}

void ThreadPool::worker() {
  uint32_t seen = 0;
  uint64_t state = 0;
  while (wait_for_job(seen, &state)) {
    seen = job_of(state);
    participate(state);
  }
}

// Waits for a job other than `seen` whose fields are published; false when the pool stops.
bool ThreadPool::wait_for_job(uint32_t seen, uint64_t* state) {
  auto ready = [&] {
    *state = state_.load(std::memory_order_seq_cst);
    return stop_.load(std::memory_order_relaxed) || (job_of(*state) != seen && chunk_of(*state) != kClosed);
  };
  if (!spin_until(ready, spin_budget(kWorkerSpinNs))) {
    std::unique_lock<std::mutex> lock(mu_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);  // then re-check: see the header (Dekker)
    wake_.wait(lock, ready);
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }
  return !stop_.load(std::memory_order_relaxed);
}

// Claims and runs chunks of the job `state` was read from until none is left (or the job is
// over). The fields are validated by the claim: see the seqlock paragraph in the header.
void ThreadPool::participate(uint64_t state) {
  const kestrel_task_fn fn = fn_.load(std::memory_order_relaxed);
  void* const closure = closure_.load(std::memory_order_relaxed);
  const int64_t n = n_.load(std::memory_order_relaxed);
  const uint32_t chunks = chunks_.load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  const uint32_t job = job_of(state);
  uint64_t cur = state_.load(std::memory_order_relaxed);
  for (;;) {
    if (job_of(cur) != job || chunk_of(cur) >= chunks) return;  // kClosed >= any chunk count
    if (!state_.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel, std::memory_order_relaxed)) {
      continue;
    }
    run_chunk(fn, closure, n, chunks, chunk_of(cur));
    finish_chunk(chunks);
    cur = state_.load(std::memory_order_relaxed);
  }
}

void ThreadPool::finish_chunk(uint32_t chunks) {
  if (done_.fetch_add(1, std::memory_order_seq_cst) + 1 != chunks) return;
  if (caller_waiting_.load(std::memory_order_seq_cst)) {
    std::lock_guard<std::mutex> lock(mu_);
    done_cv_.notify_one();
  }
}

void ThreadPool::wait_done(uint32_t chunks) {
  auto all = [&] { return done_.load(std::memory_order_seq_cst) == chunks; };
  if (spin_until(all, spin_budget(kCallerSpinNs))) return;
  caller_waiting_.store(true, std::memory_order_seq_cst);
  {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, all);
  }
  caller_waiting_.store(false, std::memory_order_relaxed);
}

ThreadPool::Cost* ThreadPool::cost_of(kestrel_task_fn fn) {
  const uintptr_t h = reinterpret_cast<uintptr_t>(fn);
  const size_t start = static_cast<size_t>((h >> 4) ^ (h >> 14)) % costs_.size();
  for (size_t probe = 0; probe < 8; ++probe) {
    Cost& c = costs_[(start + probe) % costs_.size()];
    kestrel_task_fn seen = c.fn.load(std::memory_order_relaxed);
    if (seen == fn) return &c;
    if (seen == nullptr && c.fn.compare_exchange_strong(seen, fn, std::memory_order_relaxed)) return &c;
    if (seen == fn) return &c;  // another thread claimed the slot for the same function
  }
  return nullptr;  // table crowded: no estimate, the loop is shared
}

void ThreadPool::learn(Cost* cost, int64_t elapsed_ns, int64_t n, int threads) {
  if (cost) cost->ns_per_iter.store(static_cast<float>(elapsed_ns) * threads / n, std::memory_order_relaxed);
}

// Runs the loop on the caller when its predicted work is small; false when it should be shared.
bool ThreadPool::run_small(Cost* cost, kestrel_task_fn fn, void* closure, int64_t n) {
  const float per = cost ? cost->ns_per_iter.load(std::memory_order_relaxed) : 0.0f;
  if (per <= 0.0f || static_cast<double>(per) * static_cast<double>(n) >= kInlineNs) return false;
  const int64_t t0 = now_ns();
  fn(closure, 0, n);
  learn(cost, now_ns() - t0, n, 1);
  return true;
}

void ThreadPool::parallel_for(kestrel_task_fn fn, void* closure, int64_t n) {
  if (n <= 0) return;
  const uint32_t chunks =
      static_cast<uint32_t>(std::min<int64_t>(n, static_cast<int64_t>(threads()) * kChunksPerThread));
  if (chunks == 1 || t_in_parallel) {
    fn(closure, 0, n);  // nothing to share, or nested
    return;
  }
  Cost* const cost = cost_of(fn);
  if (run_small(cost, fn, closure, n)) return;
  std::unique_lock<std::mutex> call(call_mu_, std::try_to_lock);
  if (!call.owns_lock()) {
    fn(closure, 0, n);  // the pool serves another caller right now
    return;
  }
  const int64_t start = now_ns();
  if (++job_ == 0) ++job_;  // job 0 is the initial state, which workers have "seen"
  const uint64_t base = static_cast<uint64_t>(job_) << 32;
  state_.store(base | kClosed, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  fn_.store(fn, std::memory_order_relaxed);
  closure_.store(closure, std::memory_order_relaxed);
  n_.store(n, std::memory_order_relaxed);
  chunks_.store(chunks, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  state_.store(base, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    { std::lock_guard<std::mutex> lock(mu_); }
    wake_.notify_all();
  }
  t_in_parallel = true;
  participate(base);
  t_in_parallel = false;
  wait_done(chunks);
  learn(cost, now_ns() - start, n, threads());
}

std::shared_ptr<ThreadPool> ThreadPool::shared(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  static std::mutex mu;
  static std::map<int, std::weak_ptr<ThreadPool>> pools;
  std::lock_guard<std::mutex> lock(mu);
  std::shared_ptr<ThreadPool> pool = pools[threads].lock();
  if (!pool) {
    pool = std::make_shared<ThreadPool>(threads);
    pools[threads] = pool;
  }
  return pool;
}

void ThreadPool::parallel_for_c(void* pool, kestrel_task_fn fn, void* closure, int64_t n) {
  static_cast<ThreadPool*>(pool)->parallel_for(fn, closure, n);
}

}  // namespace kestrel
