// Storage pool (Nimble style). Tensors get their memory from here as ref-counted Storage blocks.
//
// Invariants: every block is 64-byte aligned and at least 64 bytes, so zero-sized tensors get a
// valid non-null pointer. Requests are rounded up to a size class (64 bytes, then four classes
// per power of two, so at most 25% waste); a freed block goes onto the free list of its class and
// is handed out again by the next request of that class, so repeated runs with the same shapes
// allocate nothing from the OS after the first. `live` counts the bytes of blocks in use; a
// request that would take `live` past the limit fails with KR0201 before anything is allocated.
// Cached free blocks are trimmed when the cache exceeds the limit. All size math is checked for
// overflow. Thread-safe (a mutex): storage may be released on any thread. A Storage keeps its pool
// alive (shared_ptr), so tensors handed to callers stay valid after the session is gone.
#ifndef KESTREL_POOL_H_
#define KESTREL_POOL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "util/status.h"

namespace kestrel {

class Pool;

// Where a pool's blocks come from: the host's heap by default, or a device's memory
// (cuda_device.cc: CUDA managed memory, usable by kernels and the VM alike). The pool keeps its
// source alive, so blocks are returned to it even after the session is gone.
class BlockSource {
 public:
  virtual ~BlockSource() = default;
  // A block of `bytes` bytes (a multiple of 64), 64-byte aligned; nullptr when refused.
  virtual uint8_t* obtain(size_t bytes) = 0;
  virtual void give_back(uint8_t* p) = 0;
};

struct Storage {
  uint8_t* data = nullptr;
  size_t size_class = 0;
  std::shared_ptr<Pool> pool;
  ~Storage();
};

struct PoolStats {
  uint64_t live_bytes;
  uint64_t cached_bytes;
  uint64_t os_allocations;
};

// The default session memory limit: half of the memory this process may use, the smaller of the
// machine's physical memory and a cgroup limit (v2 memory.max, v1 memory.limit_in_bytes), read
// once; 16 GiB when neither can be read. Half, because a run's tensors are not the process's only
// memory and the limit exists to refuse a run before the machine starts swapping or OOM-killing.
uint64_t default_memory_limit();

class Pool : public std::enable_shared_from_this<Pool> {
 public:
  explicit Pool(uint64_t limit_bytes, std::shared_ptr<BlockSource> source = nullptr)
      : limit_(limit_bytes), source_(std::move(source)) {}
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A block of at least `bytes` bytes. `what` names the tensor for the error message.
  Status allocate(uint64_t bytes, const std::string& what, std::shared_ptr<Storage>* out);
  void release(uint8_t* data, size_t size_class);
  PoolStats stats();
  uint64_t limit() const { return limit_; }

  // The size class for `bytes`, or 0 when it overflows.
  static size_t size_class(uint64_t bytes);

 private:
  std::mutex mu_;
  const uint64_t limit_;
  uint64_t live_ = 0;
  uint64_t cached_ = 0;
  uint64_t os_allocations_ = 0;
  std::unordered_map<size_t, std::vector<uint8_t*>> free_;
  const std::shared_ptr<BlockSource> source_;  // null: the host heap

  uint8_t* obtain(size_t bytes);
  void give_back(uint8_t* p);

  void trim_locked();
};

}  // namespace kestrel

#endif
