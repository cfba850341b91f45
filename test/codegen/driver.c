/* Test driver for compiled kernel .so files: dlopens the artifact, loads each buffer from a file
 * into 64-byte-aligned memory, runs kestrel_kernels[index] with a serial parallel_for that splits
 * [0, n) into three chunks (so begin/end offsets are exercised), writes the buffers back and
 * prints the kernel status.
 * usage: driver LIB.so INDEX NBUF FILE... NSCALAR VALUE...   */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../native/include/kestrel_kernel.h"

static void serial_for(void* pool, kestrel_task_fn fn, void* closure, int64_t n) {
  (void)pool;
  int64_t chunk = (n + 2) / 3;
  for (int64_t b = 0; b < n; b += chunk) fn(closure, b, b + chunk < n ? b + chunk : n);
}

static void* read_file(const char* path, long* size) {
  FILE* f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  *size = ftell(f);
  fseek(f, 0, SEEK_SET);
  void* p = aligned_alloc(64, (size_t)((*size + 63) / 64 * 64 + 64));
  if (*size && fread(p, 1, (size_t)*size, f) != (size_t)*size) { perror(path); exit(2); }
  fclose(f);
  return p;
}

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  void* lib = dlopen(argv[1], RTLD_NOW);
  if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 2; }
  const kestrel_kernel_fn* kernels = (const kestrel_kernel_fn*)dlsym(lib, "kestrel_kernels");
  const uint64_t* count = (const uint64_t*)dlsym(lib, "kestrel_kernel_count");
  int index = atoi(argv[2]);
  if (!kernels || !count || (uint64_t)index >= *count) { fprintf(stderr, "bad kernel table\n"); return 2; }
  int nbuf = atoi(argv[3]);
  void* bufs[64];
  long sizes[64];
  for (int i = 0; i < nbuf; i++) bufs[i] = read_file(argv[4 + i], &sizes[i]);
  int ns = atoi(argv[4 + nbuf]);
  int64_t scalars[64];
  for (int i = 0; i < ns; i++) scalars[i] = strtoll(argv[5 + nbuf + i], NULL, 10);
  kestrel_kernel_ctx ctx = {serial_for, NULL};
  int32_t status = kernels[index](&ctx, bufs, scalars);
  for (int i = 0; i < nbuf; i++) {
    FILE* f = fopen(argv[4 + i], "wb");
    if (sizes[i]) fwrite(bufs[i], 1, (size_t)sizes[i], f);
    fclose(f);
  }
  printf("%d\n", status);
  return 0;
}
