// The CUDA device: runs a GPU artifact's kernels (PTX, one module per kernel) on an NVIDIA GPU
// through the driver API (cuda_driver.h), while the VM, shape computation and bytecode stay on
// the host.
//
// Memory. Tensors live in CUDA managed memory, pooled: the session's Pool takes its blocks from
// the device (BlockSource), so repeated runs allocate nothing after the first, and the VM's host
// side (input staging, load_int of shape tensors, views, output copies) reads and writes the same
// blocks the kernels use; the driver migrates pages on demand (host->device for inputs, the
// reverse for outputs). The artifact's constants are copied once into a managed block at load.
//
// Launches. Kernel k has one or more entries (codegen/nvptx/bind.ts), launched in order on the
// device's stream with GPU_BLOCK threads per block and a grid sized on the host by the artifact's
// grid function for that launch (kestrel_gpu_grids: threads wanted, from the kernel's scalars;
// -1: a fixed grid of 8 blocks per multiprocessor, correct because every entry is a grid-stride
// loop). After a kernel's launches the stream is synchronised (so the VM may read what it wrote,
// and a failed assert's status word, kept in managed memory, is read and cleared).
//
// Threads. The current context is set before every driver call sequence, so runs and storage
// releases may happen on any thread. Requires: launch() calls serialised per device (a session
// runs one run at a time). Errors: KR0501 no driver/device, KR0502 a failed driver call naming it
// and the kernel or tensor, KR0008 an artifact for another GPU (compute capability too low).
#ifndef KESTREL_CUDA_DEVICE_H_
#define KESTREL_CUDA_DEVICE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cuda/cuda_driver.h"
#include "vm/pool.h"
#include "util/status.h"
#include "vm/vm.h"

namespace kestrel {

struct GpuKernelInfo {
  uint64_t offset = 0, size = 0;  // its PTX in the kestrel_gpu_ptx blob (NUL included)
  std::vector<std::string> entries;
};

// The manifest's "gpu" record (absent: a CPU artifact).
struct GpuInfo {
  bool present = false;
  std::string arch;  // "sm_80"
  uint32_t block = 256;
  std::vector<GpuKernelInfo> kernels;
};

// Parses the optional "gpu" member of the manifest JSON (KR0002 when malformed).
Status parse_gpu_manifest(const std::string& manifest_json, GpuInfo* out);

// "cuda" / "cuda:N" -> N; "cpu" or empty -> -1; anything else: KR0401.
Status parse_device(const char* device, int* ordinal);

using GridFn = int64_t (*)(const int64_t* scalars);

struct GpuArtifact {
  const GpuInfo* info = nullptr;
  const uint8_t* ptx = nullptr;
  uint64_t ptx_size = 0;
  const GridFn* grids = nullptr;  // one per launch, kernels' entries in order
  uint64_t n_launches = 0;
  const uint8_t* constants = nullptr;
  uint64_t constants_size = 0;
};

class CudaDevice : public KernelDevice, public BlockSource {
 public:
  // Opens device `ordinal` and loads every kernel's module and entries.
  static Status open(int ordinal, const GpuArtifact& a, std::shared_ptr<CudaDevice>* out);
  ~CudaDevice() override;

  Status launch(uint32_t kernel, void* const* bufs, size_t nbufs, const int64_t* scalars, size_t nscalars,
                int32_t* status) override;
  uint8_t* obtain(size_t bytes) override;
  void give_back(uint8_t* p) override;
  // The constants, in managed memory (valid while the device lives).
  const uint8_t* constants() const { return constants_; }
  const std::string& name() const { return name_; }

 private:
  CudaDevice() = default;
  Status init(int ordinal, const GpuArtifact& a);
  Status load_modules(const GpuArtifact& a);
  Status check(cuda::CUresult r, const char* call, const std::string& what) const;

  const cuda::Driver* d_ = nullptr;
  cuda::CUdevice dev_ = 0;
  cuda::CUcontext ctx_ = nullptr;
  cuda::CUstream stream_ = nullptr;
  std::string name_;
  int sms_ = 1;
  uint32_t block_ = 256;
  std::vector<cuda::CUmodule> modules_;
  struct Entry {
    cuda::CUfunction fn;
    GridFn grid;
  };
  std::vector<std::vector<Entry>> kernels_;  // per kernel, its launches in order
  std::vector<std::string> kernel_names_;
  int32_t* status_ = nullptr;  // managed: a failed assert's code
  uint8_t* constants_ = nullptr;
  std::vector<void*> params_;
};

// A GPU artifact needs a CUDA device (ordinal >= 0) and a CPU artifact the host (KR0008 says
// which device to ask for).
Status check_device(const GpuInfo& gpu, int ordinal);

// Opens device `ordinal` for the GPU artifact mapped at `handle` (its kestrel_gpu_* symbols).
Status open_gpu(void* handle, const GpuInfo& gpu, int ordinal, uint64_t kernel_count,
                const uint8_t* constants, uint64_t constants_size, std::shared_ptr<CudaDevice>* out);

}  // namespace kestrel

#endif
