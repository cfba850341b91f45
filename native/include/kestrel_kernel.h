/* kestrel kernel ABI: how the VM calls compiled kernels and what an artifact exports.
 *
 * Every kernel compiled by kestrel has the signature of kestrel_kernel_fn. `bufs[i]` is the data
 * pointer of the i-th tensor argument (never NULL even for zero-sized tensors; 64-byte aligned when
 * freshly allocated, element-aligned when it is a view such as a Scan slice),
 * `scalars[i]` the i-th int64 argument (symbolic extents). A kernel returns 0, or a nonzero
 * status code when a run-time check inside it failed (e.g. an index out of range).
 *
 * Kernels never create threads. A parallel loop calls ctx->parallel_for, which runs
 * fn(closure, begin, end) over disjoint chunks covering [0, n) on the runtime's thread pool and
 * returns when all chunks are done. fn may be called on the calling thread.
 *
 * An artifact (.so) exports these symbols:
 *   const kestrel_kernel_fn kestrel_kernels[];      uint64_t kestrel_kernel_count;
 *   const uint8_t kestrel_bytecode[];               uint64_t kestrel_bytecode_size;
 *   const uint8_t kestrel_constants[] (64-aligned); uint64_t kestrel_constants_size;
 *   const uint8_t kestrel_manifest[];               uint64_t kestrel_manifest_size;
 * and the manifest bytes (JSON, UTF-8) also live alone in the ELF section ".kestrel_manifest", so a
 * loader can read and check them from the file before dlopen runs anything in it.
 */
#ifndef KESTREL_KERNEL_H_
#define KESTREL_KERNEL_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*kestrel_task_fn)(void* closure, int64_t begin, int64_t end);

typedef struct kestrel_kernel_ctx {
  void (*parallel_for)(void* pool, kestrel_task_fn fn, void* closure, int64_t n);
  void* pool;
} kestrel_kernel_ctx;

typedef int32_t (*kestrel_kernel_fn)(const kestrel_kernel_ctx* ctx, void* const* bufs,
                                     const int64_t* scalars);

#ifdef __cplusplus
}
#endif

#endif /* KESTREL_KERNEL_H_ */
