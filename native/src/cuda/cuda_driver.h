// The CUDA driver API, loaded at run time: libcuda.so.1 (installed with the NVIDIA driver, no
// CUDA toolkit needed) is opened with dlopen the first time a session asks for a CUDA device, and
// the entry points kestrel uses are looked up by name (the _v2 names where the driver's header
// maps to them). Nothing here needs CUDA headers: the few types and constants are declared below
// with the driver ABI's values.
//
// Every call is checked: `check(r, "cuModuleLoadDataEx", what)` turns a CUresult into KR0502
// naming the call, the driver's error name and description, and `what` (which kernel, tensor or
// device). A missing library or entry point is KR0501. Requires: Linux (dlopen). Thread-safe:
// the table is filled once (std::call_once) and never unloaded.
#ifndef KESTREL_CUDA_DRIVER_H_
#define KESTREL_CUDA_DRIVER_H_

#include <cstddef>
#include <string>

#include "util/status.h"

namespace kestrel {

// code::kCudaUnavailable (KR0501), code::kCudaError (KR0502) and code::kDeviceMismatch (KR0008)
// come with the other runtime codes from contract_generated.h (runtime-vm/contract.json).

namespace cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st*;
using CUmodule = struct CUmod_st*;
using CUfunction = struct CUfunc_st*;
using CUstream = struct CUstream_st*;

constexpr CUresult kSuccess = 0;
constexpr int kAttrComputeMajor = 75;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
constexpr int kAttrComputeMinor = 76;
constexpr int kAttrMultiprocessors = 16;  // CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT
constexpr unsigned kMemAttachGlobal = 1;  // CU_MEM_ATTACH_GLOBAL
constexpr int kJitErrorLogBuffer = 5;      // CU_JIT_ERROR_LOG_BUFFER
constexpr int kJitErrorLogBufferSize = 6;  // CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES

struct Driver {
  CUresult (*cuInit)(unsigned) = nullptr;
  CUresult (*cuDeviceGetCount)(int*) = nullptr;
  CUresult (*cuDeviceGet)(CUdevice*, int) = nullptr;
  CUresult (*cuDeviceGetAttribute)(int*, int, CUdevice) = nullptr;
  CUresult (*cuDeviceGetName)(char*, int, CUdevice) = nullptr;
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext*, CUdevice) = nullptr;
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice) = nullptr;
  CUresult (*cuCtxSetCurrent)(CUcontext) = nullptr;
  CUresult (*cuStreamCreate)(CUstream*, unsigned) = nullptr;
  CUresult (*cuStreamDestroy)(CUstream) = nullptr;
  CUresult (*cuStreamSynchronize)(CUstream) = nullptr;
  CUresult (*cuModuleLoadDataEx)(CUmodule*, const void*, unsigned, int*, void**) = nullptr;
  CUresult (*cuModuleUnload)(CUmodule) = nullptr;
  CUresult (*cuModuleGetFunction)(CUfunction*, CUmodule, const char*) = nullptr;
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                             unsigned, CUstream, void**, void**) = nullptr;
  CUresult (*cuMemAllocManaged)(CUdeviceptr*, size_t, unsigned) = nullptr;
  CUresult (*cuMemFree)(CUdeviceptr) = nullptr;
  CUresult (*cuGetErrorName)(CUresult, const char**) = nullptr;
  CUresult (*cuGetErrorString)(CUresult, const char**) = nullptr;

  // Ok, or KR0502: "<call> failed for <what>: <NAME> (<description>)".
  Status check(CUresult r, const char* call, const std::string& what) const;
};

// The process's driver table; KR0501 when libcuda.so.1 (or $KESTREL_LIBCUDA, for tests) cannot be
// loaded or lacks an entry point, or cuInit fails (no device, driver too old, ...). The outcome
// of the first attempt is kept: a process either has a driver or it does not.
Status driver(const Driver** out);

}  // namespace cuda
}  // namespace kestrel

#endif
