// The CUDA device (cuda_device.h): opening the device, loading the PTX modules, launches and
// managed-memory blocks.
#include "cuda/cuda_device.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>

#include "util/json.h"

namespace kestrel {
namespace {

Status bad_gpu(const std::string& why) {
  return Fail(code::kManifestInvalid, "manifest 'gpu' record: " + why);
}

Status parse_kernel(const Json& k, GpuKernelInfo* out) {
  const Json* off = k.get("offset");
  const Json* size = k.get("size");
  const Json* entries = k.get("entries");
  if (!off || !size || !entries || off->type != Json::kNumber || size->type != Json::kNumber ||
      entries->type != Json::kArray || entries->array.empty() || off->number < 0 || size->number < 1) {
    return bad_gpu("a kernel needs offset, size >= 1 and entries");
  }
  out->offset = static_cast<uint64_t>(off->number);
  out->size = static_cast<uint64_t>(size->number);
  for (const Json& e : entries->array) {
    if (e.type != Json::kString || e.str.empty()) return bad_gpu("entry names must be strings");
    out->entries.push_back(e.str);
  }
  return Ok();
}

// "sm_80" -> 80; 0 when malformed.
int sm_number(const std::string& arch) {
  if (arch.size() < 4 || arch.compare(0, 3, "sm_") != 0) return 0;
  int n = 0;
  for (size_t i = 3; i < arch.size(); ++i) {
    if (arch[i] < '0' || arch[i] > '9') return 0;
    n = n * 10 + (arch[i] - '0');
  }
  return n;
}

template <typename T>
Status gpu_sym(void* h, const char* name, const T** out) {
  *out = static_cast<const T*>(dlsym(h, name));
  if (!*out) return Fail(code::kArtifactInvalid, std::string("GPU artifact does not export '") + name + "'");
  return Ok();
}

}  // namespace

Status check_device(const GpuInfo& gpu, int ordinal) {
  if (gpu.present && ordinal < 0) {
    return Fail(code::kDeviceMismatch, "the artifact's kernels are PTX for an NVIDIA GPU (" + gpu.arch +
                                           "): load it with device 'cuda:0' (kestrel run --device cuda:0)");
  }
  if (!gpu.present && ordinal >= 0) {
    return Fail(code::kDeviceMismatch, "the artifact's kernels are for the host CPU, not a CUDA device: "
                                       "compile with --target nvptx to run on cuda:" +
                                           std::to_string(ordinal));
  }
  return Ok();
}

Status open_gpu(void* handle, const GpuInfo& gpu, int ordinal, uint64_t kernel_count,
                const uint8_t* constants, uint64_t constants_size, std::shared_ptr<CudaDevice>* out) {
  GpuArtifact a;
  a.info = &gpu;
  const uint64_t* ptx_size = nullptr;
  const uint64_t* n_launches = nullptr;
  KESTREL_TRY(gpu_sym(handle, "kestrel_gpu_ptx", &a.ptx));
  KESTREL_TRY(gpu_sym(handle, "kestrel_gpu_ptx_size", &ptx_size));
  KESTREL_TRY(gpu_sym(handle, "kestrel_gpu_grids", &a.grids));
  KESTREL_TRY(gpu_sym(handle, "kestrel_gpu_launch_count", &n_launches));
  a.ptx_size = *ptx_size;
  a.n_launches = *n_launches;
  if (gpu.kernels.size() != kernel_count) {
    return Fail(code::kManifestInvalid, "the manifest's gpu record lists " +
                                            std::to_string(gpu.kernels.size()) +
                                            " kernels, the artifact has " + std::to_string(kernel_count));
  }
  a.constants = constants;
  a.constants_size = constants_size;
  return CudaDevice::open(ordinal, a, out);
}

Status parse_gpu_manifest(const std::string& text, GpuInfo* out) {
  Json root;
  std::string err;
  if (!parse_json(text.data(), text.size(), &root, &err)) return bad_gpu(err);
  const Json* g = root.get("gpu");
  if (!g) return Ok();
  const Json* arch = g->get("arch");
  const Json* block = g->get("block");
  const Json* ks = g->get("kernels");
  if (!arch || arch->type != Json::kString || sm_number(arch->str) == 0) return bad_gpu("bad 'arch'");
  if (!block || block->type != Json::kNumber || block->number < 1 || block->number > 1024) {
    return bad_gpu("'block' must be 1..1024");
  }
  if (!ks || ks->type != Json::kArray) return bad_gpu("missing 'kernels'");
  out->present = true;
  out->arch = arch->str;
  out->block = static_cast<uint32_t>(block->number);
  for (const Json& k : ks->array) {
    out->kernels.emplace_back();
    KESTREL_TRY(parse_kernel(k, &out->kernels.back()));
  }
  return Ok();
}

Status parse_device(const char* device, int* ordinal) {
  const std::string d = device ? device : "";
  *ordinal = -1;
  if (d.empty() || d == "cpu") return Ok();
  if (d == "cuda") {
    *ordinal = 0;
    return Ok();
  }
  if (d.size() > 5 && d.size() <= 8 && d.compare(0, 5, "cuda:") == 0 &&
      std::all_of(d.begin() + 5, d.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    *ordinal = std::stoi(d.substr(5));
    return Ok();
  }
  return Fail(code::kOptionsInvalid, "unknown device '" + d + "' (cpu, cuda, cuda:N)");
}

Status CudaDevice::check(cuda::CUresult r, const char* call, const std::string& what) const {
  return d_->check(r, call, what);
}

Status CudaDevice::open(int ordinal, const GpuArtifact& a, std::shared_ptr<CudaDevice>* out) {
  std::shared_ptr<CudaDevice> dev(new CudaDevice());
  KESTREL_TRY(dev->init(ordinal, a));
  *out = std::move(dev);
  return Ok();
}

Status CudaDevice::init(int ordinal, const GpuArtifact& a) {
  KESTREL_TRY(cuda::driver(&d_));
  int count = 0;
  KESTREL_TRY(check(d_->cuDeviceGetCount(&count), "cuDeviceGetCount", "the CUDA driver"));
  if (ordinal >= count) {
    return Fail(code::kCudaUnavailable, "no CUDA device cuda:" + std::to_string(ordinal) +
                                            " (this machine has " + std::to_string(count) + ")");
  }
  const std::string what = "cuda:" + std::to_string(ordinal);
  KESTREL_TRY(check(d_->cuDeviceGet(&dev_, ordinal), "cuDeviceGet", what));
  char name[256] = {0};
  KESTREL_TRY(check(d_->cuDeviceGetName(name, sizeof name - 1, dev_), "cuDeviceGetName", what));
  name_ = name;
  int major = 0, minor = 0;
  const char* attr = "cuDeviceGetAttribute";
  KESTREL_TRY(check(d_->cuDeviceGetAttribute(&major, cuda::kAttrComputeMajor, dev_), attr, what));
  KESTREL_TRY(check(d_->cuDeviceGetAttribute(&minor, cuda::kAttrComputeMinor, dev_), attr, what));
  KESTREL_TRY(check(d_->cuDeviceGetAttribute(&sms_, cuda::kAttrMultiprocessors, dev_), attr, what));
  if (major * 10 + minor < sm_number(a.info->arch)) {
    return Fail(code::kDeviceMismatch, "the artifact's kernels are for " + a.info->arch + "; " + what + " (" +
                                           name_ + ") is sm_" + std::to_string(major * 10 + minor));
  }
  KESTREL_TRY(check(d_->cuDevicePrimaryCtxRetain(&ctx_, dev_), "cuDevicePrimaryCtxRetain", what));
  KESTREL_TRY(check(d_->cuCtxSetCurrent(ctx_), "cuCtxSetCurrent", what));
  KESTREL_TRY(check(d_->cuStreamCreate(&stream_, 0), "cuStreamCreate", what));
  cuda::CUdeviceptr p = 0;
  KESTREL_TRY(check(d_->cuMemAllocManaged(&p, 64, cuda::kMemAttachGlobal), "cuMemAllocManaged",
                    "the status word"));
  status_ = reinterpret_cast<int32_t*>(p);
  *status_ = 0;
  const uint64_t csize = std::max<uint64_t>(a.constants_size, 64);
  KESTREL_TRY(check(d_->cuMemAllocManaged(&p, csize, cuda::kMemAttachGlobal), "cuMemAllocManaged",
                    "the constants (" + std::to_string(a.constants_size) + " bytes)"));
  constants_ = reinterpret_cast<uint8_t*>(p);
  if (a.constants_size) std::memcpy(constants_, a.constants, a.constants_size);
  block_ = a.info->block;
  return load_modules(a);
}

Status CudaDevice::load_modules(const GpuArtifact& a) {
  uint64_t launch = 0;
  for (size_t k = 0; k < a.info->kernels.size(); ++k) {
    const GpuKernelInfo& ki = a.info->kernels[k];
    const std::string what = "kernel " + std::to_string(k) + " (" + ki.entries[0] + ")";
    if (ki.offset > a.ptx_size || ki.size > a.ptx_size - ki.offset || a.ptx[ki.offset + ki.size - 1] != 0) {
      return Fail(code::kArtifactInvalid, what + ": its PTX lies outside the artifact's PTX blob");
    }
    char log[4096] = {0};
    int opts[] = {cuda::kJitErrorLogBuffer, cuda::kJitErrorLogBufferSize};
    void* vals[] = {log, reinterpret_cast<void*>(static_cast<uintptr_t>(sizeof log - 1))};
    cuda::CUmodule m = nullptr;
    Status s = check(d_->cuModuleLoadDataEx(&m, a.ptx + ki.offset, 2, opts, vals), "cuModuleLoadDataEx",
                     what);
    if (!s.ok()) return Fail(s.code.c_str(), s.message + (log[0] ? std::string(": ") + log : ""));
    modules_.push_back(m);
    kernels_.emplace_back();
    kernel_names_.push_back(ki.entries[0]);
    for (const std::string& e : ki.entries) {
      if (launch >= a.n_launches) {
        return Fail(code::kArtifactInvalid, what + ": more entries than grid functions");
      }
      cuda::CUfunction fn = nullptr;
      KESTREL_TRY(check(d_->cuModuleGetFunction(&fn, m, e.c_str()), "cuModuleGetFunction",
                        what + " entry " + e));
      kernels_.back().push_back({fn, a.grids[launch++]});
    }
  }
  if (launch != a.n_launches) {
    return Fail(code::kArtifactInvalid, "GPU launch count differs from the manifest");
  }
  return Ok();
}

Status CudaDevice::launch(uint32_t kernel, void* const* bufs, size_t nbufs, const int64_t* scalars,
                          size_t nscalars, int32_t* status) {
  const std::string what = "kernel " + kernel_names_.at(kernel);
  KESTREL_TRY(check(d_->cuCtxSetCurrent(ctx_), "cuCtxSetCurrent", what));
  params_.clear();
  for (size_t i = 0; i < nbufs; ++i) params_.push_back(const_cast<void**>(bufs + i));
  for (size_t i = 0; i < nscalars; ++i) params_.push_back(const_cast<int64_t*>(scalars + i));
  params_.push_back(&status_);
  for (const Entry& e : kernels_[kernel]) {
    const int64_t threads = e.grid(scalars);
    if (threads == 0) continue;
    const int64_t want = threads < 0 ? int64_t{8} * sms_ : (threads + block_ - 1) / block_;
    const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(want, int64_t{1} << 30));
    const cuda::CUresult r =
        d_->cuLaunchKernel(e.fn, blocks, 1, 1, block_, 1, 1, 0, stream_, params_.data(), nullptr);
    KESTREL_TRY(check(r, "cuLaunchKernel", what));
  }
  KESTREL_TRY(check(d_->cuStreamSynchronize(stream_), "cuStreamSynchronize", what));
  *status = *status_;
  *status_ = 0;
  return Ok();
}

uint8_t* CudaDevice::obtain(size_t bytes) {
  if (d_->cuCtxSetCurrent(ctx_) != cuda::kSuccess) return nullptr;
  cuda::CUdeviceptr p = 0;
  if (d_->cuMemAllocManaged(&p, bytes, cuda::kMemAttachGlobal) != cuda::kSuccess) return nullptr;
  return reinterpret_cast<uint8_t*>(p);
}

void CudaDevice::give_back(uint8_t* p) {
  d_->cuCtxSetCurrent(ctx_);
  d_->cuMemFree(reinterpret_cast<cuda::CUdeviceptr>(p));
}

CudaDevice::~CudaDevice() {
  if (!d_ || !ctx_) return;
  d_->cuCtxSetCurrent(ctx_);
  if (stream_) d_->cuStreamSynchronize(stream_);
  for (cuda::CUmodule m : modules_) d_->cuModuleUnload(m);
  if (stream_) d_->cuStreamDestroy(stream_);
  if (status_) d_->cuMemFree(reinterpret_cast<cuda::CUdeviceptr>(status_));
  if (constants_) d_->cuMemFree(reinterpret_cast<cuda::CUdeviceptr>(constants_));
  d_->cuDevicePrimaryCtxRelease(dev_);
}

}  // namespace kestrel
