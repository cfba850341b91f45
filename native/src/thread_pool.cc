// Thread pool implementation (see thread_pool.h for the protocol).
#include "thread_pool.h"

#include <algorithm>

namespace kestrel {
namespace {
thread_local bool t_in_parallel = false;

// Polls of an atomic before falling back to sleeping (a few hundred microseconds): long enough to
// stay awake between the kernels of one run, short enough not to hold a core between runs.
constexpr int kSpin = 20000;

inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

template <typename Ready>
bool spin_until(Ready ready) {
  for (int i = 0; i < kSpin; ++i) {
    if (ready()) return true;
    relax();
  }
  return false;
}

void run_chunk(kestrel_task_fn fn, void* closure, int64_t n, int chunks, int index) {
  const int64_t begin = n / chunks * index + std::min<int64_t>(index, n % chunks);
  const int64_t end = begin + n / chunks + (index < n % chunks ? 1 : 0);
  if (begin < end) fn(closure, begin, end);
}
}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::min(threads, 256);
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  for (;;) {
    spin_until([&] {
      return stop_.load(std::memory_order_relaxed) || generation_.load(std::memory_order_acquire) != seen;
    });
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    if (index >= chunks_) continue;
    kestrel_task_fn fn = fn_;
    void* closure = closure_;
    const int64_t n = n_;
    const int chunks = chunks_;
    lock.unlock();
    t_in_parallel = true;
    run_chunk(fn, closure, n, chunks, index);
    t_in_parallel = false;
    lock.lock();
    if (--pending_ == 0) done_.notify_one();
  }
}

void ThreadPool::parallel_for(kestrel_task_fn fn, void* closure, int64_t n) {
  if (n <= 0) return;
  const int chunks = static_cast<int>(std::min<int64_t>(n, threads()));
  if (chunks == 1 || t_in_parallel) {
    fn(closure, 0, n);
    return;
  }
  std::lock_guard<std::mutex> call(call_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = fn;
    closure_ = closure;
    n_ = n;
    chunks_ = chunks;
    pending_ = chunks - 1;
    ++generation_;
  }
  wake_.notify_all();
  t_in_parallel = true;
  run_chunk(fn, closure, n, chunks, 0);
  t_in_parallel = false;
  if (spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; })) {
    std::lock_guard<std::mutex> lock(mu_);  // the last worker may still hold it to notify
    return;
  }
  std::unique_lock<std::mutex> lock(mu_);
  done_.wait(lock, [&] { return pending_ == 0; });
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
