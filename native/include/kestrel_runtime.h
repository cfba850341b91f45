/* kestrel runtime C API: load a compiled artifact (.so), describe its inputs/outputs, run it.
 *
 * Errors. No function throws or aborts on bad input. Functions that can fail return a
 * kestrel_status (0 = success); the error's stable code ("KR0104", see runtime-vm/errors.ts) and a
 * message naming the input / symbol / kernel concerned are then available from
 * kestrel_last_error_code() / kestrel_last_error_message(), which are THREAD-LOCAL: read them on
 * the thread that made the failing call, before making another call on that thread.
 *
 * Loading. An artifact is native code: loading it runs its kernels in this process. So kestrel_load
 * first reads the whole file once (a regular file only) and checks, on that copy and BEFORE anything
 * in it is mapped: the SHA-256 digest trailer over every byte of the file (KR0001), the ELF headers
 * (KR0001), that dlopen would run or load nothing of it (no initialisers, IFUNCs, foreign
 * libraries or search paths: KR0001), the ".kestrel_manifest" section (KR0002), the manifest
 * format, kestrel version rule and bytecode format (KR0004), the architecture (KR0003) and the CPU
 * features the code was compiled for against this host's cpuid / hwcaps (KR0006, naming the
 * missing features). Only then does it
 * map that same checked copy (a sealed memfd, so no other writer can change it in between) with
 * dlopen, check the exported symbols, kernel count and bytecode/constants hashes, and verify the
 * bytecode (KR0005). A file that fails a check is never mapped. The digest proves the file is
 * intact, not who made it: with kestrel_options.trusted_keys the artifact must also carry an
 * Ed25519 signature by one of those keys, checked right after the digest (KR0007); otherwise load
 * only artifacts from a source you trust. docs/artifacts.md has the details.
 *
 * Ownership. A session owns the library, a storage pool and a thread pool. kestrel_run copies each
 * input into pool storage (so inputs need no alignment and may be freed when kestrel_run returns)
 * and returns a kestrel_outputs the caller must release with kestrel_outputs_free. Output tensors
 * are runtime-owned, read-only and 64-byte aligned (non-NULL even when zero-sized); they stay
 * valid until kestrel_outputs_free, even after kestrel_unload. Strings and arrays returned by
 * kestrel_session_io stay valid until kestrel_unload.
 *
 * Threading. Calls on one session may come from any thread. Runs on one session are serialised by
 * a mutex (one run executes at a time; the others wait), so concurrent runs give serial results.
 * kestrel_unload must not be called while a kestrel_run on the same session is in progress
 * (callers that cannot guarantee that, such as the Node addon, keep a count of runs in flight and
 * unload when it drops to zero). Different sessions are independent.
 *
 * Loops and cancellation. The VM counts the backward jumps (loop iterations) of each run and fails
 * it with KR0302 "loop iteration limit N exceeded" beyond kestrel_options.max_iterations (0 =
 * default, 1e7, about 5 s of the tightest loop; UINT64_MAX = no limit), or beyond
 * kestrel_run_options.max_iterations when that is nonzero (a per-run override, larger or smaller).
 * kestrel_cancel(session), callable from any thread at any time, sets a flag that the running VM
 * reads at every backward jump and before and after every kernel call; the run then fails with
 * KR0302 "cancelled" and the session stays usable. The flag is cleared when each run starts (after
 * it acquires the session), so it cancels the run in progress only: a cancel that arrives between
 * runs is dropped. To cancel one particular run, which may still be waiting for the session, pass
 * a kestrel_cancel_token in kestrel_run_options and call kestrel_cancel_token_cancel: a token is
 * never cleared, and a run whose token is already set fails before executing anything. A kernel
 * already running is not interrupted; the run stops when it returns.
 *
 * Memory. Allocation is checked against the session's memory limit BEFORE allocating, with
 * overflow-checked size arithmetic (KR0201 over the limit, KR0203 on overflow or a negative dim).
 * Freed storage returns to a size-class pool and is reused by later runs, so repeated runs do not
 * grow resident memory.
 */
#ifndef KESTREL_RUNTIME_H_
#define KESTREL_RUNTIME_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t kestrel_status; /* 0 = ok, otherwise failed: see kestrel_last_error_* */
#define KESTREL_OK 0
#define KESTREL_ERROR 1

typedef struct kestrel_session kestrel_session;
typedef struct kestrel_outputs kestrel_outputs;

typedef struct kestrel_options {
  int32_t threads;             /* worker count incl. the caller; 0 = hardware concurrency; 1 = none */
  uint64_t memory_limit_bytes; /* 0 = default: half of physical memory (or cgroup limit) */
  uint64_t max_steps;          /* instruction limit per run (KR0302 when hit); 0 = unlimited */
  uint64_t max_iterations;     /* backward jumps per run (KR0302 beyond); 0 = default 1e7 */
  /* Ed25519 public keys, 32 bytes each, trusted_key_count of them: when any are given, the
   * artifact must carry a signature by one of them, checked before it is mapped (KR0007). */
  const uint8_t* trusted_keys;
  size_t trusted_key_count;
  /* NULL or "cpu": the host; "cuda" or "cuda:N": NVIDIA GPU N, for artifacts compiled with
   * --target nvptx (libcuda.so.1 is loaded then; KR0501 without a driver or device, KR0008 when
   * artifact and device disagree). */
  const char* device;
} kestrel_options;

typedef struct kestrel_cancel_token kestrel_cancel_token;
typedef struct kestrel_profile kestrel_profile;

/* Per-run options for kestrel_run_ex; initialise with kestrel_run_options_init. */
typedef struct kestrel_run_options {
  uint64_t max_iterations;      /* 0 = the session's max_iterations; otherwise replaces it */
  kestrel_cancel_token* cancel; /* NULL = none; must outlive the call */
  kestrel_profile* profile;     /* NULL = not profiled; else filled by the run (kestrel_profile_json) */
} kestrel_run_options;

/* Element types: the dtype codes of kestrel_tensor.dtype and kestrel_io_info.dtype. Stable (the
 * `code` of ir/dtype.ts and runtime-vm/dtypes.ts; never reordered). Data layout follows ONNX and
 * onnxruntime: little-endian elements, row-major; BOOL is one byte (0 or 1); FLOAT16 is IEEE
 * binary16 bits; BFLOAT16 and the FLOAT8 formats are their raw bits (ONNX's encodings, see
 * ir/small-floats.ts). kestrel_dtype_size gives the element size. */
#define KESTREL_DTYPE_FLOAT32 0 /* float, 4 bytes */
#define KESTREL_DTYPE_UINT8 1   /* uint8_t */
#define KESTREL_DTYPE_INT8 2    /* int8_t */
#define KESTREL_DTYPE_UINT16 3  /* uint16_t */
#define KESTREL_DTYPE_INT16 4   /* int16_t */
#define KESTREL_DTYPE_INT32 5   /* int32_t */
#define KESTREL_DTYPE_INT64 6   /* int64_t */
#define KESTREL_DTYPE_BOOL 7    /* 1 byte, 0 or 1 */
#define KESTREL_DTYPE_FLOAT16 8 /* IEEE binary16, 2 bytes (uint16_t bits) */
#define KESTREL_DTYPE_FLOAT64 9 /* double, 8 bytes */
#define KESTREL_DTYPE_UINT32 10 /* uint32_t */
#define KESTREL_DTYPE_UINT64 11 /* uint64_t */
#define KESTREL_DTYPE_BFLOAT16 12       /* 2 bytes (uint16_t bits: float32's upper half) */
#define KESTREL_DTYPE_FLOAT8E4M3FN 13   /* 1 byte of bits, ONNX FLOAT8E4M3FN */
#define KESTREL_DTYPE_FLOAT8E4M3FNUZ 14 /* 1 byte of bits, ONNX FLOAT8E4M3FNUZ */
#define KESTREL_DTYPE_FLOAT8E5M2 15     /* 1 byte of bits, ONNX FLOAT8E5M2 */
#define KESTREL_DTYPE_FLOAT8E5M2FNUZ 16 /* 1 byte of bits, ONNX FLOAT8E5M2FNUZ */
/* The sub-byte types are held unpacked, one element per byte (INT4/INT2 sign-extended, FLOAT4E2M1
 * one 4-bit code per byte); ONNX files pack them, kestrel's loaders unpack them. */
#define KESTREL_DTYPE_UINT4 17          /* uint8_t, 0 .. 15 */
#define KESTREL_DTYPE_INT4 18           /* int8_t, -8 .. 7 */
#define KESTREL_DTYPE_FLOAT4E2M1 19     /* uint8_t, a 4-bit ONNX FLOAT4E2M1 code */
#define KESTREL_DTYPE_UINT2 20          /* uint8_t, 0 .. 3 */
#define KESTREL_DTYPE_INT2 21           /* int8_t, -2 .. 1 */
/* A string tensor's data is an array of kestrel_string, one per element (nbytes = 16 x count):
 * UTF-8 bytes, not NUL-terminated. Inputs: the caller owns the bytes (read only during the call;
 * the runtime copies them). Outputs: the bytes belong to the outputs, valid until
 * kestrel_outputs_free. */
#define KESTREL_DTYPE_STRING 22         /* kestrel_string, 16 bytes */
#define KESTREL_DTYPE_COUNT 23          /* codes are 0 .. KESTREL_DTYPE_COUNT - 1 */

typedef struct kestrel_string {
  const char* data;
  uint64_t size;
} kestrel_string;

/* Kinds of values (kestrel_io_info.kind, kestrel_value.kind). An ONNX sequence input/output is a
 * list of tensors of one dtype; an optional one may be absent (KESTREL_KIND_NONE in a
 * kestrel_value) or hold a tensor or a sequence (kestrel_io_info.optional_sequence says which). */
#define KESTREL_KIND_TENSOR 0
#define KESTREL_KIND_SEQUENCE 1
#define KESTREL_KIND_OPTIONAL 2 /* kestrel_io_info only */
#define KESTREL_KIND_NONE 3     /* kestrel_value only: an absent optional */

/* Describes one input or output as declared in the manifest. dims[i] is -1 where symbols[i] is a
 * symbolic dim expression (e.g. "batch"); symbols[i] is NULL for static dims. For sequences and
 * optionals, rank/dims describe the elements and are informational: the runtime checks each
 * element's dtype, and its rank unless `unranked`. */
typedef struct kestrel_io_info {
  const char* name;
  int32_t dtype; /* KESTREL_DTYPE_* */
  size_t rank;
  const int64_t* dims;
  const char* const* symbols;
  int32_t kind;              /* KESTREL_KIND_TENSOR, _SEQUENCE or _OPTIONAL */
  int32_t optional_sequence; /* kind OPTIONAL: 1 when it holds a sequence, 0 a tensor */
  int32_t unranked;          /* sequences: 1 when the elements' rank is not known */
} kestrel_io_info;

/* A tensor passed in (inputs) or handed out (outputs). */
typedef struct kestrel_tensor {
  int32_t dtype; /* KESTREL_DTYPE_* */
  size_t rank;
  const int64_t* dims;
  void* data;     /* inputs: read only by the runtime; outputs: runtime-owned */
  uint64_t nbytes; /* must equal product(dims) * element size */
} kestrel_tensor;

/* A value passed in or handed out: a tensor (count 1), a sequence (count tensors, possibly 0) or an
 * absent optional (KESTREL_KIND_NONE, count 0). The tensors follow kestrel_tensor's rules. */
typedef struct kestrel_value {
  int32_t kind; /* KESTREL_KIND_TENSOR, _SEQUENCE or _NONE */
  size_t count;
  const kestrel_tensor* tensors;
} kestrel_value;

void kestrel_options_init(kestrel_options* options);

/* Reads the artifact at `path` and checks its digest, ELF headers and manifest syntax WITHOUT
 * mapping it; on success *manifest_json receives the manifest's JSON text (NUL-terminated; release
 * it with kestrel_free_string). Compatibility with this host is not checked: see below. */
kestrel_status kestrel_read_manifest(const char* path, char** manifest_json);
/* Runs every check kestrel_load makes before mapping (the above, then version rule, architecture and
 * CPU features), maps nothing; KESTREL_OK when kestrel_load would go on to map the file. */
kestrel_status kestrel_check_artifact(const char* path);
void kestrel_free_string(char* s);

kestrel_status kestrel_load(const char* path, const kestrel_options* options /* NULL = defaults */,
                            kestrel_session** out);
void kestrel_unload(kestrel_session* session); /* NULL is fine */

size_t kestrel_input_count(const kestrel_session* session);
size_t kestrel_output_count(const kestrel_session* session);
kestrel_status kestrel_session_io(const kestrel_session* session, int is_output, size_t index,
                                  kestrel_io_info* out);

/* inputs[i] is the i-th manifest input; n_inputs must equal kestrel_input_count. */
kestrel_status kestrel_run(kestrel_session* session, const kestrel_tensor* inputs, size_t n_inputs,
                           kestrel_outputs** out);
/* kestrel_run with per-run options (NULL = defaults). */
kestrel_status kestrel_run_ex(kestrel_session* session, const kestrel_tensor* inputs, size_t n_inputs,
                              const kestrel_run_options* options, kestrel_outputs** out);
void kestrel_run_options_init(kestrel_run_options* options);
/* kestrel_run_ex with values: needed for sequence and optional inputs (kestrel_run_ex passes every
 * input as a tensor). inputs[i] is the i-th manifest input. */
kestrel_status kestrel_run_values(kestrel_session* session, const kestrel_value* inputs, size_t n_inputs,
                                  const kestrel_run_options* options, kestrel_outputs** out);

/* Cancels the run executing now on `session` (KR0302); thread-safe; NULL is fine. */
void kestrel_cancel(kestrel_session* session);
/* A cancellation token for one run: new returns NULL when out of memory; cancel is thread-safe and
 * idempotent; free it only after every run using it has returned. */
kestrel_cancel_token* kestrel_cancel_token_new(void);
void kestrel_cancel_token_cancel(kestrel_cancel_token* token);
void kestrel_cancel_token_free(kestrel_cancel_token* token);

/* Profiling. A run given a kestrel_profile (kestrel_run_options.profile) times every kernel call
 * and VM builtin; kestrel_profile_json then returns its events as a JSON array of Chrome trace
 * events (ph "X", ts/dur in microseconds from the start of the run; kernels: cat "kernel", the
 * kernel's name, args.nodes = [name, op type] of the ONNX nodes fused into the call, args.shapes =
 * its tensors' shapes, args.flops when known; builtins: cat "builtin", the instruction's name,
 * args.tensor when it writes a named tensor). The string stays valid until the next run with the
 * same profile or kestrel_profile_free. Runs without a profile pay nothing for this. */
kestrel_profile* kestrel_profile_new(void); /* NULL when out of memory */
const char* kestrel_profile_json(const kestrel_profile* profile);
void kestrel_profile_free(kestrel_profile* profile);

size_t kestrel_outputs_count(const kestrel_outputs* outputs);
/* Output `index` when it is a tensor; NULL when it is a sequence or an absent optional. */
const kestrel_tensor* kestrel_outputs_get(const kestrel_outputs* outputs, size_t index);
/* Output `index` of any kind, valid until kestrel_outputs_free; KESTREL_ERROR when out of range. */
kestrel_status kestrel_outputs_value(const kestrel_outputs* outputs, size_t index, kestrel_value* out);
void kestrel_outputs_free(kestrel_outputs* outputs); /* NULL is fine */

const char* kestrel_last_error_code(void);    /* "" when the last call succeeded */
const char* kestrel_last_error_message(void); /* "" when the last call succeeded */

/* Size in bytes of one element of `dtype`, or 0 when the code is unknown. */
size_t kestrel_dtype_size(int32_t dtype);

#ifdef __cplusplus
}
#endif

#endif /* KESTREL_RUNTIME_H_ */
