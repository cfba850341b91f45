// Storage pool implementation (see pool.h).
#include "pool.h"

#include <cstdlib>

namespace kestrel {

Storage::~Storage() {
  if (pool) pool->release(data, size_class);
}

Pool::~Pool() {
  for (auto& kv : free_) {
    for (uint8_t* p : kv.second) std::free(p);
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
    data = static_cast<uint8_t*>(std::aligned_alloc(64, (cls + 63) / 64 * 64));
    lock.lock();
    if (!data) {
      return Fail(code::kOutOfMemory, what + ": the system refused " + std::to_string(cls) + " bytes");
    }
    ++os_allocations_;
  }
  live_ += cls;
  lock.unlock();
  auto s = std::make_shared<Storage>();
  s->data = data;
  s->size_class = cls;
  s->pool = shared_from_this();
  *out = std::move(s);
  return Ok();
}

void Pool::release(uint8_t* data, size_t size_class) {
  std::lock_guard<std::mutex> lock(mu_);
  live_ -= size_class;
  free_[size_class].push_back(data);
  cached_ += size_class;
  if (cached_ > limit_) trim_locked();
}

void Pool::trim_locked() {
  for (auto& kv : free_) {
    for (uint8_t* p : kv.second) std::free(p);
    cached_ -= kv.first * kv.second.size();
    kv.second.clear();
  }
}

PoolStats Pool::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  return PoolStats{live_, cached_, os_allocations_};
}

}  // namespace kestrel
