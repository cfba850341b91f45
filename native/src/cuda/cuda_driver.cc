// Loading libcuda.so.1 and checking driver calls (cuda_driver.h).
#include "cuda/cuda_driver.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

namespace kestrel {
namespace cuda {
namespace {

template <typename F>
bool bind(void* lib, const char* name, F* f) {
  *f = reinterpret_cast<F>(dlsym(lib, name));
  return *f != nullptr;
}

// Fills `d` from `lib`; the name of the first missing entry point, or nullptr.
const char* bind_all(void* lib, Driver* d) {
#define KESTREL_BIND(field, name) \
  if (!bind(lib, name, &d->field)) return name;
  KESTREL_BIND(cuInit, "cuInit")
  KESTREL_BIND(cuDeviceGetCount, "cuDeviceGetCount")
  KESTREL_BIND(cuDeviceGet, "cuDeviceGet")
  KESTREL_BIND(cuDeviceGetAttribute, "cuDeviceGetAttribute")
  KESTREL_BIND(cuDeviceGetName, "cuDeviceGetName")
  KESTREL_BIND(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain")
  KESTREL_BIND(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2")
  KESTREL_BIND(cuCtxSetCurrent, "cuCtxSetCurrent")
  KESTREL_BIND(cuStreamCreate, "cuStreamCreate")
  KESTREL_BIND(cuStreamDestroy, "cuStreamDestroy_v2")
  KESTREL_BIND(cuStreamSynchronize, "cuStreamSynchronize")
  KESTREL_BIND(cuModuleLoadDataEx, "cuModuleLoadDataEx")
  KESTREL_BIND(cuModuleUnload, "cuModuleUnload")
  KESTREL_BIND(cuModuleGetFunction, "cuModuleGetFunction")
  KESTREL_BIND(cuLaunchKernel, "cuLaunchKernel")
  KESTREL_BIND(cuMemAllocManaged, "cuMemAllocManaged")
  KESTREL_BIND(cuMemFree, "cuMemFree_v2")
  KESTREL_BIND(cuGetErrorName, "cuGetErrorName")
  KESTREL_BIND(cuGetErrorString, "cuGetErrorString")
#undef KESTREL_BIND
  return nullptr;
}

Status load_driver(Driver* d) {
  const char* env = std::getenv("KESTREL_LIBCUDA");
  const std::string path = env && *env ? env : "libcuda.so.1";
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* why = dlerror();
    return Fail(code::kCudaUnavailable, "no CUDA driver: " + path + " cannot be loaded (" +
                                            (why ? why : "unknown reason") +
                                            "); a CUDA device needs the NVIDIA driver installed");
  }
  if (const char* missing = bind_all(lib, d)) {
    return Fail(code::kCudaUnavailable, path + " lacks the driver entry point " + missing +
                                            " (driver too old?)");
  }
  const CUresult r = d->cuInit(0);
  if (r != kSuccess) {
    Status s = d->check(r, "cuInit", "the CUDA driver");
    return Fail(code::kCudaUnavailable, s.message);
  }
  return Ok();
}

}  // namespace

Status Driver::check(CUresult r, const char* call, const std::string& what) const {
  if (r == kSuccess) return Ok();
  const char* name = nullptr;
  const char* text = nullptr;
  if (cuGetErrorName) cuGetErrorName(r, &name);
  if (cuGetErrorString) cuGetErrorString(r, &text);
  return Fail(code::kCudaError, std::string(call) + " failed for " + what + ": " +
                                    (name ? name : "CUDA error " + std::to_string(r)) +
                                    (text ? std::string(" (") + text + ")" : ""));
}

Status driver(const Driver** out) {
  static Driver d;
  static Status loaded;
  static std::once_flag once;
  std::call_once(once, [] { loaded = load_driver(&d); });
  if (!loaded.ok()) return loaded;
  *out = &d;
  return Ok();
}

}  // namespace cuda
}  // namespace kestrel
