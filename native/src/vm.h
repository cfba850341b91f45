// The interpreter: values, tensors and the instruction loop.
//
// Register lifetime: the register file holds Values (empty | int64 | tensor). A tensor is a dtype,
// a shape and a data pointer into ref-counted Storage from the pool; views (reshape, move) share
// the Storage, constants are views into the artifact's constants blob with no Storage owner. When
// a run ends, successfully or not, every register is cleared, so all storage not returned as an
// output goes back to the pool. Outputs never point into the artifact: a constant returned by
// `ret` is copied into pool storage first.
//
// Requires: a Program that passed verification (operands are decoded without bounds checks).
// Error codes: `check` and `fail` carry the numeric part of a runtime code (204 -> "KR0204");
// check_dim fails with KR0104 and its `what` string; a wrong register kind is KR0005.
// Run-time checks: register kinds (integer vs tensor), dims, sizes, axes, constant bounds and
// alignment, kernel status, integer overflow and division by zero, and an optional step limit.
#ifndef KESTREL_VM_H_
#define KESTREL_VM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "artifact.h"
#include "bytecode.h"
#include "kestrel_kernel.h"
#include "pool.h"
#include "status.h"
#include "thread_pool.h"

namespace kestrel {

struct Tensor {
  uint32_t dtype = 0;
  std::vector<int64_t> shape;
  uint8_t* data = nullptr;
  std::shared_ptr<Storage> storage;  // null for constant views
};

struct Value {
  enum Kind : uint8_t { kEmpty, kInt, kTensor };
  Kind kind = kEmpty;
  int64_t i = 0;
  Tensor t;
};

// Everything a run reads; owned by the session, immutable after load.
struct Executable {
  const Program* program = nullptr;
  const Manifest* manifest = nullptr;
  const kestrel_kernel_fn* kernels = nullptr;
  const uint8_t* constants = nullptr;
  uint64_t constants_size = 0;
  std::shared_ptr<Pool> pool;
  ThreadPool* threads = nullptr;
  uint64_t max_steps = 0;  // 0 = unlimited
};

// product(dims) into *count; KR0203 on a negative dim or overflow; `what` names the tensor.
Status element_count(const int64_t* dims, size_t rank, const std::string& what, uint64_t* count);
// count * dtype size into *bytes with the same checks.
Status byte_size(uint32_t dtype, uint64_t count, const std::string& what, uint64_t* bytes);

// Runs the program on `inputs` (already validated and in pool storage). `regs` is scratch the
// caller keeps between runs (resized to n_regs, cleared on return).
Status execute(const Executable& ex, std::vector<Tensor>* inputs, std::vector<Value>* regs,
               std::vector<Tensor>* outputs);

}  // namespace kestrel

#endif
