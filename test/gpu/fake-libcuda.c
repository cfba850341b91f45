/* A stand-in for libcuda.so.1 that runs no kernel, for testing kestrel's CUDA device on machines
 * without a GPU (test/gpu/fake-driver.test.ts loads it through KESTREL_LIBCUDA). It implements the
 * driver entry points kestrel uses: managed memory is the host heap, modules keep their PTX text
 * (cuModuleGetFunction finds an entry only if the PTX defines it), and every call is appended to
 * the log file $FAKE_CUDA_LOG as one line:
 *   module <bytes> <.target>     function <name>     launch <name> <grid> <block> <params>
 * where <params> is the entry's parameter count, read from its PTX signature. Fault injection, read
 * at each call: FAKE_CUDA_SM (compute capability, default 90), FAKE_CUDA_STATUS=N (a launch writes
 * N into the status word, kestrel's last kernel parameter), FAKE_CUDA_FAIL_LAUNCH (cuLaunchKernel
 * returns 700, CUDA_ERROR_ILLEGAL_ADDRESS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
struct mod { const char* ptx; };
struct fn { char name[256]; int params; };

static void log_line(const char* line) {
  const char* path = getenv("FAKE_CUDA_LOG");
  FILE* f = path ? fopen(path, "a") : NULL;
  if (!f) return;
  fprintf(f, "%s\n", line);
  fclose(f);
}

CUresult cuInit(unsigned flags) { (void)flags; return 0; }
CUresult cuDeviceGetCount(int* n) { *n = 1; return 0; }
CUresult cuDeviceGet(int* d, int ordinal) { *d = ordinal; return 0; }
CUresult cuDeviceGetName(char* name, int len, int d) { (void)d; snprintf(name, len, "fake GPU"); return 0; }
CUresult cuDeviceGetAttribute(int* v, int attr, int d) {
  (void)d;
  const char* sm = getenv("FAKE_CUDA_SM");
  const int cc = sm ? atoi(sm) : 90;
  *v = attr == 75 ? cc / 10 : attr == 76 ? cc % 10 : attr == 16 ? 4 : 0;
  return 0;
}
static int ctx_token;
CUresult cuDevicePrimaryCtxRetain(void** c, int d) { (void)d; *c = &ctx_token; return 0; }
CUresult cuDevicePrimaryCtxRelease_v2(int d) { (void)d; return 0; }
CUresult cuCtxSetCurrent(void* c) { return c == &ctx_token ? 0 : 201; }
CUresult cuStreamCreate(void** s, unsigned f) { (void)f; *s = &ctx_token; return 0; }
CUresult cuStreamDestroy_v2(void* s) { (void)s; return 0; }
CUresult cuStreamSynchronize(void* s) { (void)s; return 0; }

CUresult cuModuleLoadDataEx(void** m, const void* image, unsigned n, int* o, void** v) {
  (void)n; (void)o; (void)v;
  const char* ptx = (const char*)image;
  const char* t = strstr(ptx, ".target");
  char line[64] = "none";
  if (t) sscanf(t, ".target %63s", line);
  if (!strstr(ptx, ".version")) return 218; /* CUDA_ERROR_INVALID_PTX */
  struct mod* md = malloc(sizeof *md);
  md->ptx = ptx;
  *m = md;
  char msg[128];
  snprintf(msg, sizeof msg, "module %zu %s", strlen(ptx), line);
  log_line(msg);
  return 0;
}
CUresult cuModuleUnload(void* m) { free(m); return 0; }

CUresult cuModuleGetFunction(void** out, void* m, const char* name) {
  const struct mod* md = m;
  char want[300];
  snprintf(want, sizeof want, ".entry %s(", name);
  const char* at = strstr(md->ptx, want);
  if (!at) return 500; /* CUDA_ERROR_NOT_FOUND */
  struct fn* f = malloc(sizeof *f);
  snprintf(f->name, sizeof f->name, "%s", name);
  f->params = 0;
  const char* end = strchr(at, ')');
  for (const char* p = at; p && p < end; p = strstr(p + 1, ".param")) if (p != at) f->params++;
  *out = f;
  char msg[300];
  snprintf(msg, sizeof msg, "function %s", name);
  log_line(msg);
  return 0;
}

CUresult cuLaunchKernel(void* fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, void* stream, void** params, void** extra) {
  (void)gy; (void)gz; (void)by; (void)bz; (void)shared; (void)stream; (void)extra;
  const struct fn* f = fn;
  if (getenv("FAKE_CUDA_FAIL_LAUNCH")) return 700;
  const char* st = getenv("FAKE_CUDA_STATUS");
  if (st && f->params > 0) **(int**)params[f->params - 1] = atoi(st);
  char msg[400];
  snprintf(msg, sizeof msg, "launch %s %u %u %d", f->name, gx, bx, f->params);
  log_line(msg);
  return 0;
}

CUresult cuMemAllocManaged(unsigned long long* p, size_t bytes, unsigned flags) {
  (void)flags;
  void* m = aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (!m) return 2; /* CUDA_ERROR_OUT_OF_MEMORY */
  *p = (unsigned long long)m;
  return 0;
}
CUresult cuMemFree_v2(unsigned long long p) { free((void*)p); return 0; }

CUresult cuGetErrorName(CUresult r, const char** s) {
  *s = r == 700 ? "CUDA_ERROR_ILLEGAL_ADDRESS" : r == 500 ? "CUDA_ERROR_NOT_FOUND" : "CUDA_ERROR_UNKNOWN";
  return 0;
}
CUresult cuGetErrorString(CUresult r, const char** s) {
  *s = r == 700 ? "an illegal memory access was encountered" : "fake driver error";
  return 0;
}
