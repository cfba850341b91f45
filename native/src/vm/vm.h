// The interpreter: values, tensors, sequences and the instruction loop.
//
// Register kinds: the register file holds Values: empty | int (int64) | tensor | sequence.
// Instructions check the kind of every register they read at run time (KR0005 naming the register
// and the kind it holds); a sequence register cannot be passed to a kernel or used as an integer.
// `ret` returns tensors, sequences (manifest outputs of kind sequence) and empty registers (absent
// optionals); `input` / `input_seq` / `input_opt` read inputs of kind tensor / sequence / optional.
//
// Tensors: a dtype, a shape and a data pointer into ref-counted Storage from the pool; views
// (reshape, move, index_view, seq_at, seq_split along axis 0) share the Storage, constants are views
// into the artifact's constants blob with no Storage owner. Views made by index_view / seq_split
// point at an element offset, so a kernel receiving one may only assume element alignment (which
// is what codegen assumes); `ret` copies such a view (and any constant) into fresh 64-aligned pool
// storage, so outputs are always 64-aligned and never point into the artifact.
//
// Sequences (sequence.h): an immutable, ref-counted list of tensors of one dtype, held by
// shared_ptr; `move` shares it. Every seq_* instruction produces a new sequence, except that
// seq_insert / seq_erase with dst == seq update in place when that register holds the only
// reference (copy-on-write). A sequence holds tensors the way a register does (sharing storage),
// so the compiler must not write into a tensor after inserting it, nor into a tensor read back by
// seq_at (copy first), just as for any other shared view.
//
// When a run ends, successfully or not, every register is cleared, so all storage not returned as
// an output (sequence elements included) goes back to the pool.
//
// make_ints makes int32, int64 or bool (dtype 7: value != 0 -> 1, how Loop's condition reaches
// its body) tensors; the isa.json doc of make_ints predates bool and cannot be edited in place.
//
// Requires: a Program that passed verification (operands are decoded without bounds checks).
// Messages speak ONNX where the manifest's debug table (debug.h) allows: a failing kernel (KR0202)
// names the ONNX nodes fused into its call and what the assert checks, an allocation names the
// ONNX tensor.
// Error codes: `check`, `check_dims` and `fail` carry the numeric part of a runtime code (204 -> "KR0204");
// check_dim fails with KR0104 and its `what` string; a wrong register kind or a malformed operand
// the verifier cannot see (a flag not 0/1, an axis out of range, two `pos` registers) is KR0005;
// shape/dtype disagreements in sequence ops KR0204; positions and indices out of range KR0205.
// Run-time checks: register kinds, dims, sizes, axes, constant bounds and alignment, kernel
// status, integer overflow and division by zero, an optional step limit, and run control (below).
//
// Run control (RunControl): cancellation flags are read (relaxed atomics) at every backward jump
// (a jump/jump_if whose target is at or before itself) and before and after every call_kernel; a set flag
// fails the run with KR0302 "cancelled". Backward jumps taken are counted per run; more than
// max_iterations fails with KR0302 "loop iteration limit N exceeded". A kernel already running is
// not interrupted: cancellation takes effect when it returns.
#ifndef KESTREL_VM_H_
#define KESTREL_VM_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/artifact.h"
#include "vm/bytecode.h"
#include "kestrel_kernel.h"
#include "vm/pool.h"
#include "util/status.h"
#include "vm/thread_pool.h"

namespace kestrel {

struct Tensor {
  uint32_t dtype = 0;
  std::vector<int64_t> shape;
  uint8_t* data = nullptr;
  std::shared_ptr<Storage> storage;  // null for constant views
};

struct Sequence;  // sequence.h

struct Value {
  enum Kind : uint8_t { kEmpty, kInt, kTensor, kSequence };
  Kind kind = kEmpty;
  int64_t i = 0;
  Tensor t;
  std::shared_ptr<Sequence> seq;  // kSequence only; treated as immutable unless use_count() == 1
};

// Default for max_iterations when the options give 0: a safety net against loops that never end.
// 1e7 backward jumps is about 5 s of the tightest VM loop (0.47 us per trip of a one-Add Loop), and
// far above what real models iterate (a Loop/Scan trip per token or time step, summed over loops).
constexpr uint64_t kDefaultMaxIterations = 10000000;

// One profiled instruction: a kernel call (with its tensors' shapes and FLOPs, -1 when not known)
// or a builtin. Times are steady-clock nanoseconds.
struct ProfileEvent {
  uint32_t at = 0;  // word offset of the instruction
  uint32_t op = 0;  // opcode
  uint32_t kernel = 0;  // call_kernel: the kernel index
  int64_t reg = -1;     // builtins: the register written (first operand), -1 when none
  uint64_t start_ns = 0;
  uint64_t dur_ns = 0;
  double flops = -1;
  std::vector<std::vector<int64_t>> shapes;
};

// Filled by a run whose RunControl has one (cleared when the run starts). Profiling costs a
// run without it one predictable branch per instruction.
struct Profile {
  uint64_t run_start_ns = 0;
  std::vector<ProfileEvent> events;
};

// Per-run limits and cancellation, owned by the caller for the duration of execute().
struct RunControl {
  uint64_t max_iterations = kDefaultMaxIterations;  // backward jumps per run (UINT64_MAX: no limit)
  const std::atomic<bool>* cancel = nullptr;        // session-wide flag (kestrel_cancel)
  const std::atomic<bool>* cancel_run = nullptr;    // this run's token (kestrel_cancel_token)
  Profile* profile = nullptr;                       // null: not profiling
};

// Runs the kernels of an artifact built for a device (cuda_device.h) in place of the kernel table.
class KernelDevice {
 public:
  virtual ~KernelDevice() = default;
  // Runs kernel `kernel` to completion; `status` gets 0 or its failed assert's code. A non-ok
  // result is a device failure (KR05xx), not a kernel status.
  virtual Status launch(uint32_t kernel, void* const* bufs, size_t nbufs, const int64_t* scalars,
                        size_t nscalars, int32_t* status) = 0;
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
  KernelDevice* device = nullptr;  // set: kernels run there (GPU artifacts), not from `kernels`
};

// product(dims) into *count; KR0203 on a negative dim or overflow; `what` names the tensor.
Status element_count(const int64_t* dims, size_t rank, const std::string& what, uint64_t* count);
// count * dtype size into *bytes with the same checks.
Status byte_size(uint32_t dtype, uint64_t count, const std::string& what, uint64_t* bytes);

// Runs the program on `inputs` (already validated and in pool storage): one Value per manifest
// input, a tensor, a sequence (kind sequence) or, for an absent optional, an empty Value. `regs`
// is scratch the caller keeps between runs (resized to n_regs, cleared on return). `ctl` may be
// null (defaults). `outputs` gets one Value per `ret` register: a tensor, a sequence whose tensors
// are all owned and 64-aligned, or empty (an absent optional).
Status execute(const Executable& ex, std::vector<Value>* inputs, std::vector<Value>* regs,
               std::vector<Value>* outputs, const RunControl* ctl = nullptr);

}  // namespace kestrel

#endif
