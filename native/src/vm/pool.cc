// Storage pool implementation (see pool.h).
//
// Under AddressSanitizer (the KESTREL_SANITIZE build) the pool poisons what no tensor may touch: a
// block's slack past the requested bytes while it is handed out, and the whole block while it is
// cached. A size class rounds a request up by as much as 25%, and a cached block is live memory to
// malloc, so without this an instrumented kernel (KESTREL_SANITIZE_KERNELS) that overran a tensor
// into its slack, or kept writing a freed one, would go unseen.
#include "vm/pool.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#if defined(__SANITIZE_ADDRESS__)
#define KESTREL_POOL_POISON 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KESTREL_POOL_POISON 1
#endif
#endif
#ifdef KESTREL_POOL_POISON
#include <sanitizer/asan_interface.h>
#endif

namespace kestrel {

namespace {

// [p, p + n) may be touched again / may not (no-ops without ASan, and for device memory).
void unpoison(const uint8_t* p, size_t n, bool host) {
#ifdef KESTREL_POOL_POISON
  if (host) ASAN_UNPOISON_MEMORY_REGION(p, n);
#else
  (void)p, (void)n, (void)host;
#endif
}

void poison(const uint8_t* p, size_t n, bool host) {
#ifdef KESTREL_POOL_POISON
  if (host) ASAN_POISON_MEMORY_REGION(p, n);
#else
  (void)p, (void)n, (void)host;
#endif
}

size_t block_bytes(size_t size_class) { return (size_class + 63) / 64 * 64; }

// A cgroup limit file's value in bytes, or 0 when absent, "max" or unreadable.
uint64_t cgroup_limit(const char* path) {
  std::ifstream f(path);
  std::string v;
  if (!(f >> v) || v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return 0;
  try {
    return std::stoull(v);
  } catch (...) {
    return 0;
  }
}

uint64_t usable_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  uint64_t m = pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
  for (const char* p : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    const uint64_t c = cgroup_limit(p);
    if (c && (!m || c < m)) m = c;
  }
  return m;
}

}  // namespace

uint64_t default_memory_limit() {
  static const uint64_t limit = [] {
    const uint64_t m = usable_memory();
    return m ? m / 2 : uint64_t{16} << 30;
  }();
  return limit;
}

Storage::~Storage() {
  if (pool) pool->release(data, size_class);
}

Pool::~Pool() {
  for (auto& kv : free_) {
    for (uint8_t* p : kv.second) give_back(p);
  }
}

uint8_t* Pool::obtain(size_t bytes) {
  if (source_) return source_->obtain(bytes);
  return static_cast<uint8_t*>(std::aligned_alloc(64, bytes));
}

void Pool::give_back(uint8_t* p) {
  if (source_) {
    source_->give_back(p);
  } else {
    std::free(p);  // ASan's free accepts a block the pool poisoned (its own shadow replaces ours)
  }
}

size_t Pool::size_class(uint64_t bytes) {
  if (bytes <= 64) return 64;
  if (bytes > (uint64_t{1} << 62)) return 0;
  uint64_t p = 64;
  while (p * 2 <= bytes) p *= 2;  // largest power of two <= bytes
  const uint64_t step = p / 4;
  return static_cast<size_t>((bytes + step - 1) / step * step);
}

Status Pool::allocate(uint64_t bytes, const std::string& what, std::shared_ptr<Storage>* out) {
  const size_t cls = size_class(bytes);
  std::unique_lock<std::mutex> lock(mu_);
  if (cls == 0 || cls > limit_ || live_ > limit_ - cls) {
    return Fail(code::kOutOfMemory, what + " needs " + std::to_string(bytes) + " bytes; with " +
                                        std::to_string(live_) + " bytes in use that exceeds the " +
                                        "session memory limit of " + std::to_string(limit_));
  }
  uint8_t* data = nullptr;
  auto& list = free_[cls];
  if (!list.empty()) {
    data = list.back();
    list.pop_back();
    cached_ -= cls;
  } else {
    lock.unlock();
    // aligned_alloc wants a size that is a multiple of the alignment.
    data = obtain(block_bytes(cls));
    lock.lock();
    if (!data) {
      return Fail(code::kOutOfMemory, what + ": the system refused " + std::to_string(cls) + " bytes");
    }
    ++os_allocations_;
  }
  live_ += cls;
  lock.unlock();
  unpoison(data, bytes, !source_);
  poison(data + bytes, block_bytes(cls) - bytes, !source_);
  auto s = std::make_shared<Storage>();
  s->data = data;
  s->size_class = cls;
  s->pool = shared_from_this();
  *out = std::move(s);
  return Ok();
}

void Pool::release(uint8_t* data, size_t size_class) {
  poison(data, block_bytes(size_class), !source_);
  std::lock_guard<std::mutex> lock(mu_);
  live_ -= size_class;
  free_[size_class].push_back(data);
  cached_ += size_class;
  if (cached_ > limit_) trim_locked();
}

void Pool::trim_locked() {
  for (auto& kv : free_) {
    for (uint8_t* p : kv.second) give_back(p);
    cached_ -= kv.first * kv.second.size();
    kv.second.clear();
  }
}

PoolStats Pool::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  return PoolStats{live_, cached_, os_allocations_};
}

}  // namespace kestrel
