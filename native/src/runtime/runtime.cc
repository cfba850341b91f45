// The C API (kestrel_runtime.h): loading with all checks in order, input validation, runs, and
// thread-local error reporting. No C++ exception crosses this boundary (bad_alloc included).
#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <new>

#include "runtime/artifact.h"
#include "vm/bytecode.h"
#include "cuda/cuda_device.h"
#include "util/dtype.h"
#include "kestrel_runtime.h"
#include "runtime/profile.h"
#include "vm/sequence.h"
#include "vm/strings.h"
#include "vm/vm.h"

namespace kestrel {

thread_local std::string t_error_code;
thread_local std::string t_error_message;

int32_t report_status(const Status& s) {
  t_error_code = s.code;
  t_error_message = s.message;
  return s.ok() ? KESTREL_OK : KESTREL_ERROR;
}

namespace {

kestrel_status report(const Status& s) { return report_status(s); }

struct IoView {  // C views of one IoSpec, kept alive with the session
  std::vector<const char*> symbols;
};

struct Symbols {
  const kestrel_kernel_fn* kernels = nullptr;
  const uint64_t* kernel_count = nullptr;
  const uint8_t* bytecode = nullptr;
  const uint64_t* bytecode_size = nullptr;
  const uint8_t* constants = nullptr;
  const uint64_t* constants_size = nullptr;
  const uint8_t* manifest = nullptr;
  const uint64_t* manifest_size = nullptr;
};

}  // namespace
}  // namespace kestrel

struct kestrel_session {
  std::string path;
  void* handle = nullptr;
  int fd = -1;  // the verified private copy the library was mapped from (see map_verified.cc)
  kestrel::Manifest manifest;
  kestrel::Program program;
  std::shared_ptr<kestrel::ThreadPool> threads;
  kestrel::Executable exec;
  kestrel::GpuInfo gpu;                        // the manifest's gpu record (GPU artifacts)
  std::shared_ptr<kestrel::CudaDevice> device;  // set for GPU artifacts loaded on a CUDA device
  std::vector<kestrel::IoView> input_views, output_views;
  std::mutex run_mu;  // serialises runs (register file and thread pool are per session)
  std::vector<kestrel::Value> regs;
  uint64_t max_iterations = kestrel::kDefaultMaxIterations;
  std::atomic<bool> cancel{false};  // kestrel_cancel; cleared when a run starts

  ~kestrel_session() {
    threads.reset();
    exec.pool.reset();  // its blocks may be the device's (outputs still held keep it alive)
    device.reset();
    if (handle) dlclose(handle);
    if (fd >= 0) close(fd);
  }
};

struct kestrel_cancel_token {
  std::atomic<bool> flag{false};
};

struct kestrel_outputs {
  std::vector<kestrel::Value> values;
  std::vector<std::vector<kestrel_tensor>> views;  // per output: its tensors (none when absent)
};

namespace kestrel {
namespace {

// The symbol's address, and the bytes its symbol-table entry declares (0 when dladdr1 finds
// another symbol there): sizes that the artifact's data states are checked against them, so a
// forged size never makes the loader read past what the library holds.
template <typename T>
Status sym(void* h, const char* name, const T** out, uint64_t* bytes) {
  *out = static_cast<const T*>(dlsym(h, name));
  if (!*out) return Fail(code::kArtifactInvalid, std::string("artifact does not export '") + name + "'");
  Dl_info info{};
  void* entry = nullptr;
  const bool found = dladdr1(*out, &info, &entry, RTLD_DL_SYMENT) && entry && info.dli_sname &&
                     std::strcmp(info.dli_sname, name) == 0;
  *bytes = found ? static_cast<const ElfW(Sym)*>(entry)->st_size : 0;
  return Ok();
}

Status find_symbols(void* h, Symbols* s) {
  uint64_t kernels = 0, bytecode = 0, constants = 0, manifest = 0, sizes[4] = {};
  KESTREL_TRY(sym(h, "kestrel_kernels", &s->kernels, &kernels));
  KESTREL_TRY(sym(h, "kestrel_kernel_count", &s->kernel_count, &sizes[0]));
  KESTREL_TRY(sym(h, "kestrel_bytecode", &s->bytecode, &bytecode));
  KESTREL_TRY(sym(h, "kestrel_bytecode_size", &s->bytecode_size, &sizes[1]));
  KESTREL_TRY(sym(h, "kestrel_constants", &s->constants, &constants));
  KESTREL_TRY(sym(h, "kestrel_constants_size", &s->constants_size, &sizes[2]));
  KESTREL_TRY(sym(h, "kestrel_manifest", &s->manifest, &manifest));
  KESTREL_TRY(sym(h, "kestrel_manifest_size", &s->manifest_size, &sizes[3]));
  for (const uint64_t n : sizes) {
    if (n < sizeof(uint64_t)) return Fail(code::kArtifactInvalid, "an artifact size symbol is malformed");
  }
  const void* words[] = {s->kernels, s->kernel_count, s->bytecode_size, s->constants_size, s->manifest_size};
  for (const void* p : words) {  // forged symbols may point anywhere; these are read as 8-byte words
    if (reinterpret_cast<uintptr_t>(p) % 8) return Fail(code::kArtifactInvalid, "misaligned artifact symbol");
  }
  if (*s->kernel_count > kernels / sizeof(kestrel_kernel_fn) || *s->bytecode_size > bytecode ||
      *s->constants_size > constants || *s->manifest_size > manifest) {
    return Fail(code::kArtifactInvalid, "an exported size exceeds the data the artifact holds");
  }
  return Ok();
}

Status check_hashes(const Manifest& m, const Symbols& s) {
  if (fnv1a64_hex(s.bytecode, *s.bytecode_size) != m.bytecode_fnv1a64) {
    return Fail(code::kManifestInvalid, "bytecode hash does not match the manifest (tampered artifact?)");
  }
  if (fnv1a64_hex(s.constants, *s.constants_size) != m.constants_fnv1a64) {
    return Fail(code::kManifestInvalid, "constants hash does not match the manifest (tampered artifact?)");
  }
  if (reinterpret_cast<uintptr_t>(s.constants) % 64 != 0) {
    return Fail(code::kArtifactInvalid, "artifact constants are not 64-byte aligned");
  }
  return Ok();
}

// Consistency between the manifest, the exported symbols and the program.
Status check_program(const Manifest& m, const Symbols& s, const Program& p) {
  if (*s.kernel_count != p.n_kernels) {
    return Fail(code::kBytecodeInvalid, "bytecode uses " + std::to_string(p.n_kernels) +
                                            " kernels, artifact exports " + std::to_string(*s.kernel_count));
  }
  for (uint64_t k = 0; k < *s.kernel_count; ++k) {
    if (!s.kernels[k]) return Fail(code::kArtifactInvalid, "kernel " + std::to_string(k) + " is null");
  }
  if (p.n_inputs != m.inputs.size() || p.n_outputs != m.outputs.size()) {
    return Fail(code::kBytecodeInvalid, "bytecode and manifest disagree on input/output counts");
  }
  return Ok();
}

void make_views(const std::vector<IoSpec>& specs, std::vector<IoView>* views) {
  for (const IoSpec& io : specs) {
    views->emplace_back();
    for (const std::string& sym : io.symbols) {
      views->back().symbols.push_back(sym.empty() ? nullptr : sym.c_str());
    }
  }
}

Status open_library(kestrel_session* s, const std::string& bytes, Symbols* syms) {
  KESTREL_TRY(dlopen_verified(s->path, bytes, &s->handle, &s->fd));
  KESTREL_TRY(find_symbols(s->handle, syms));
  KESTREL_TRY(check_hashes(s->manifest, *syms));
  return Ok();
}

Status load(const char* path, const kestrel_options& o, kestrel_session* s) {
  s->path = path ? path : "";
  CheckedFile file;
  KESTREL_TRY(read_checked(s->path, &file));
  KESTREL_TRY(check_signature(s->path, file.bytes, o.trusted_keys, o.trusted_key_count));
  const ElfFacts& elf = file.elf;
  KESTREL_TRY(parse_manifest(elf.manifest, &s->manifest));
  KESTREL_TRY(check_manifest(s->manifest, elf.machine));
  int ordinal = -1;
  KESTREL_TRY(parse_device(o.device, &ordinal));
  KESTREL_TRY(parse_gpu_manifest(elf.manifest, &s->gpu));
  KESTREL_TRY(check_device(s->gpu, ordinal));
  Symbols syms;
  KESTREL_TRY(open_library(s, file.bytes, &syms));
  std::string().swap(file.bytes);  // the mapped copy is all that is needed from here on
  if (*syms.manifest_size != elf.manifest.size() ||
      std::memcmp(syms.manifest, elf.manifest.data(), elf.manifest.size()) != 0) {
    return Fail(code::kManifestInvalid, "kestrel_manifest differs from the .kestrel_manifest section");
  }
  KESTREL_TRY(load_program(syms.bytecode, *syms.bytecode_size, &s->program));
  KESTREL_TRY(check_program(s->manifest, syms, s->program));
  s->threads = ThreadPool::shared(o.threads);
  s->exec.program = &s->program;
  s->exec.manifest = &s->manifest;
  s->exec.kernels = syms.kernels;
  s->exec.constants = syms.constants;
  s->exec.constants_size = *syms.constants_size;
  const uint64_t limit = o.memory_limit_bytes ? o.memory_limit_bytes : default_memory_limit();
  s->exec.pool = std::make_shared<Pool>(limit);
  if (s->gpu.present) {  // kernels on the CUDA device, tensors in its managed memory
    KESTREL_TRY(open_gpu(s->handle, s->gpu, ordinal, *syms.kernel_count, syms.constants, *syms.constants_size,
                         &s->device));
    s->exec.device = s->device.get();
    s->exec.constants = s->device->constants();
    s->exec.pool = std::make_shared<Pool>(limit, s->device);
  }
  s->exec.threads = s->threads.get();
  s->exec.max_steps = o.max_steps;
  s->max_iterations = o.max_iterations ? o.max_iterations : kDefaultMaxIterations;
  make_views(s->manifest.inputs, &s->input_views);
  make_views(s->manifest.outputs, &s->output_views);
  return Ok();
}

std::string expected_shape(const IoSpec& io) {
  std::string out = "[";
  for (size_t i = 0; i < io.dims.size(); ++i) {
    out += (i ? ", " : "") + (io.symbols[i].empty() ? std::to_string(io.dims[i]) : io.symbols[i]);
  }
  return out + "]";
}

// The data of `t` holds exactly dims x element size bytes, and is not NULL unless empty.
Status check_data(uint32_t dtype, const kestrel_tensor& t, const std::string& what) {
  uint64_t count = 0, bytes = 0;
  KESTREL_TRY(element_count(t.dims, t.rank, what, &count));
  KESTREL_TRY(byte_size(dtype, count, what, &bytes));
  if (bytes != t.nbytes) {
    return Fail(code::kInputData, what + " has " + std::to_string(t.nbytes) + " bytes of data, its dims " +
                                      "need " + std::to_string(bytes));
  }
  if (bytes > 0 && !t.data) return Fail(code::kInputData, what + ": data is NULL");
  return Ok();
}

// Checks one input against its manifest entry; records symbol bindings in `bound`.
Status check_input(const IoSpec& io, const kestrel_tensor& t,
                   std::map<std::string, std::pair<int64_t, std::string>>* bound) {
  const std::string what = "input '" + io.name + "'";
  if (static_cast<uint32_t>(t.dtype) != io.dtype) {
    return Fail(code::kInputDtype, what + " has dtype " + dtype_name(static_cast<uint32_t>(t.dtype)) +
                                       ", expected " + dtype_name(io.dtype));
  }
  if (t.rank != io.dims.size()) {
    return Fail(code::kInputShape, what + " has rank " + std::to_string(t.rank) + ", expected rank " +
                                       std::to_string(io.dims.size()) + " " + expected_shape(io));
  }
  if (t.rank > 0 && !t.dims) return Fail(code::kInputShape, what + ": dims is NULL");
  for (size_t i = 0; i < t.rank; ++i) {
    if (t.dims[i] < 0) {
      return Fail(code::kInputShape, what + ": dimension " + std::to_string(i) + " is negative");
    }
    if (io.symbols[i].empty()) {
      if (t.dims[i] == io.dims[i]) continue;
      return Fail(code::kInputShape, what + ": dimension " + std::to_string(i) + " is " +
                                         std::to_string(t.dims[i]) + ", expected " + expected_shape(io));
    }
    auto [it, fresh] = bound->emplace(io.symbols[i], std::make_pair(t.dims[i], io.name));
    if (!fresh && it->second.first != t.dims[i]) {
      return Fail(code::kInputSymbol, what + ": symbol '" + io.symbols[i] + "' is " +
                                          std::to_string(t.dims[i]) + " here but " +
                                          std::to_string(it->second.first) + " in input '" +
                                          it->second.second + "'");
    }
  }
  return check_data(io.dtype, t, what);
}

// One tensor of a sequence / optional input: its dtype, rank (unless unranked), dims and data size.
Status check_element(const IoSpec& io, const kestrel_tensor& t, const std::string& what) {
  if (static_cast<uint32_t>(t.dtype) != io.dtype) {
    return Fail(code::kInputDtype, what + " has dtype " + dtype_name(static_cast<uint32_t>(t.dtype)) +
                                       ", expected " + dtype_name(io.dtype));
  }
  if (!io.unranked && t.rank != io.dims.size()) {
    return Fail(code::kInputShape, what + " has rank " + std::to_string(t.rank) + ", expected rank " +
                                       std::to_string(io.dims.size()));
  }
  if (t.rank > 0 && !t.dims) return Fail(code::kInputShape, what + ": dims is NULL");
  return check_data(io.dtype, t, what);
}

// Checks the kind of input `io` and its tensors (tensor inputs: check_input, with symbols).
Status check_value(const IoSpec& io, const kestrel_value& v,
                   std::map<std::string, std::pair<int64_t, std::string>>* bound) {
  const std::string what = "input '" + io.name + "'";
  const bool seq = io.kind == IoKind::kSequence || (io.kind == IoKind::kOptional && io.optional_sequence);
  const int32_t want = seq ? KESTREL_KIND_SEQUENCE : KESTREL_KIND_TENSOR;
  if (io.kind == IoKind::kOptional && v.kind == KESTREL_KIND_NONE) return Ok();
  if (v.kind != want) {
    return Fail(code::kInputData, what + " must be a " + (seq ? "sequence" : "tensor") + " (kind " +
                                      std::to_string(want) + "), got kind " + std::to_string(v.kind));
  }
  if ((want == KESTREL_KIND_TENSOR && v.count != 1) || (v.count > 0 && !v.tensors)) {
    return Fail(code::kInputData, what + ": a tensor value needs count 1 and a tensor");
  }
  if (io.kind == IoKind::kTensor) return check_input(io, v.tensors[0], bound);
  for (size_t k = 0; k < v.count; ++k) {
    KESTREL_TRY(check_element(io, v.tensors[k], seq ? what + " element " + std::to_string(k) : what));
  }
  return Ok();
}

Status stage_inputs(kestrel_session* s, const kestrel_value* in, size_t n, std::vector<Value>* out) {
  const auto& specs = s->manifest.inputs;
  if (n != specs.size() || (n > 0 && !in)) {
    std::string names;
    for (const IoSpec& io : specs) names += (names.empty() ? "'" : ", '") + io.name + "'";
    return Fail(code::kInputNames, "expected " + std::to_string(specs.size()) + " inputs (" + names +
                                       "), got " + std::to_string(n));
  }
  std::map<std::string, std::pair<int64_t, std::string>> bound;
  for (size_t i = 0; i < n; ++i) KESTREL_TRY(check_value(specs[i], in[i], &bound));
  for (size_t i = 0; i < n; ++i) {
    const std::string what = "input '" + specs[i].name + "'";
    out->emplace_back();
    Value& v = out->back();
    if (in[i].kind == KESTREL_KIND_TENSOR) {
      v.kind = Value::kTensor;
      KESTREL_TRY(stage_tensor(s->exec.pool.get(), in[i].tensors[0], what, &v.t));
    } else if (in[i].kind == KESTREL_KIND_SEQUENCE) {
      v.kind = Value::kSequence;
      v.seq = std::make_shared<Sequence>();
      v.seq->dtype = specs[i].dtype;
      v.seq->items.resize(in[i].count);
      for (size_t k = 0; k < in[i].count; ++k) {
        KESTREL_TRY(stage_tensor(s->exec.pool.get(), in[i].tensors[k], what, &v.seq->items[k]));
      }
    }
  }
  return Ok();
}

void view_of(const Tensor& t, std::vector<kestrel_tensor>* out) {
  uint64_t count = 0;
  element_count(t.shape.data(), t.shape.size(), "output", &count);
  out->push_back(kestrel_tensor{static_cast<int32_t>(t.dtype), t.shape.size(), t.shape.data(), t.data,
                                count * dtype_size(t.dtype)});
}

kestrel_outputs* wrap_outputs(std::vector<Value>* values) {
  auto* o = new kestrel_outputs;
  o->values = std::move(*values);
  for (const Value& v : o->values) {
    o->views.emplace_back();
    if (v.kind == Value::kTensor) view_of(v.t, &o->views.back());
    if (v.kind == Value::kSequence) for (const Tensor& t : v.seq->items) view_of(t, &o->views.back());
  }
  return o;
}

}  // namespace
}  // namespace kestrel

extern "C" {

void kestrel_options_init(kestrel_options* o) {
  if (o) *o = kestrel_options{0, 0, 0, 0, nullptr, 0, nullptr};
}

kestrel_status kestrel_load(const char* path, const kestrel_options* options, kestrel_session** out) {
  using namespace kestrel;
  if (!out) return report(Fail(code::kArtifactInvalid, "kestrel_load: out is NULL"));
  *out = nullptr;
  kestrel_options o;
  kestrel_options_init(&o);
  if (options) o = *options;
  try {
    auto s = std::make_unique<kestrel_session>();
    Status st = load(path, o, s.get());
    if (st.ok()) *out = s.release();
    return report(st);
  } catch (const std::bad_alloc&) {
    return report(Fail(code::kOutOfMemory, "out of memory while loading the artifact"));
  } catch (...) {
    return report(Fail(code::kArtifactInvalid, "unexpected failure while loading the artifact"));
  }
}

void kestrel_unload(kestrel_session* s) { delete s; }

size_t kestrel_input_count(const kestrel_session* s) { return s ? s->manifest.inputs.size() : 0; }
size_t kestrel_output_count(const kestrel_session* s) { return s ? s->manifest.outputs.size() : 0; }

kestrel_status kestrel_session_io(const kestrel_session* s, int is_output, size_t index,
                                  kestrel_io_info* out) {
  using namespace kestrel;
  const auto* specs = s ? (is_output ? &s->manifest.outputs : &s->manifest.inputs) : nullptr;
  if (!specs || !out || index >= specs->size()) {
    return report(Fail(code::kInputNames, "kestrel_session_io: index out of range"));
  }
  const IoSpec& io = (*specs)[index];
  const IoView& view = (is_output ? s->output_views : s->input_views)[index];
  *out = kestrel_io_info{io.name.c_str(), static_cast<int32_t>(io.dtype), io.dims.size(), io.dims.data(),
                         view.symbols.data(), static_cast<int32_t>(io.kind), io.optional_sequence ? 1 : 0,
                         io.unranked ? 1 : 0};
  return report(Ok());
}

void kestrel_run_options_init(kestrel_run_options* o) {
  if (o) *o = kestrel_run_options{0, nullptr, nullptr};
}

kestrel_cancel_token* kestrel_cancel_token_new(void) { return new (std::nothrow) kestrel_cancel_token; }
void kestrel_cancel_token_cancel(kestrel_cancel_token* t) {
  if (t) t->flag.store(true, std::memory_order_relaxed);
}
void kestrel_cancel_token_free(kestrel_cancel_token* t) { delete t; }

void kestrel_cancel(kestrel_session* s) {
  if (s) s->cancel.store(true, std::memory_order_relaxed);
}

kestrel_status kestrel_run(kestrel_session* s, const kestrel_tensor* inputs, size_t n_inputs,
                           kestrel_outputs** out) {
  return kestrel_run_ex(s, inputs, n_inputs, nullptr, out);
}

kestrel_status kestrel_run_ex(kestrel_session* s, const kestrel_tensor* inputs, size_t n_inputs,
                              const kestrel_run_options* options, kestrel_outputs** out) {
  std::vector<kestrel_value> values;
  try {
    for (size_t i = 0; inputs && i < n_inputs; ++i) {
      values.push_back(kestrel_value{KESTREL_KIND_TENSOR, 1, &inputs[i]});
    }
  } catch (const std::bad_alloc&) {
    return kestrel::report(kestrel::Fail(kestrel::code::kOutOfMemory, "out of memory"));
  }
  return kestrel_run_values(s, inputs ? values.data() : nullptr, n_inputs, options, out);
}

kestrel_status kestrel_run_values(kestrel_session* s, const kestrel_value* inputs, size_t n_inputs,
                                  const kestrel_run_options* options, kestrel_outputs** out) {
  using namespace kestrel;
  if (!s || !out) return report(Fail(code::kDisposed, "kestrel_run: no session"));
  *out = nullptr;
  try {
    std::lock_guard<std::mutex> lock(s->run_mu);
    s->cancel.store(false, std::memory_order_relaxed);
    RunControl ctl;
    ctl.max_iterations = options && options->max_iterations ? options->max_iterations : s->max_iterations;
    ctl.cancel = &s->cancel;
    ctl.cancel_run = options && options->cancel ? &options->cancel->flag : nullptr;
    kestrel_profile* profile = options ? options->profile : nullptr;
    ctl.profile = profile ? &profile->data : nullptr;
    std::vector<Value> staged, results;
    Status st = stage_inputs(s, inputs, n_inputs, &staged);
    if (st.ok()) st = execute(s->exec, &staged, &s->regs, &results, &ctl);
    if (profile) profile->json = profile_json(profile->data, s->manifest);
    if (st.ok()) *out = wrap_outputs(&results);
    return report(st);
  } catch (const std::bad_alloc&) {
    return report(Fail(code::kOutOfMemory, "out of memory during the run"));
  } catch (...) {
    return report(Fail(code::kKernelFailed, "unexpected failure during the run"));
  }
}

size_t kestrel_outputs_count(const kestrel_outputs* o) { return o ? o->values.size() : 0; }

const kestrel_tensor* kestrel_outputs_get(const kestrel_outputs* o, size_t i) {
  if (!o || i >= o->values.size() || o->values[i].kind != kestrel::Value::kTensor) return nullptr;
  return o->views[i].data();
}

kestrel_status kestrel_outputs_value(const kestrel_outputs* o, size_t i, kestrel_value* out) {
  using namespace kestrel;
  if (!o || !out || i >= o->values.size()) {
    return report(Fail(code::kInputNames, "kestrel_outputs_value: index out of range"));
  }
  const Value::Kind k = o->values[i].kind;
  const int32_t kind = k == Value::kTensor ? KESTREL_KIND_TENSOR
                       : k == Value::kSequence ? KESTREL_KIND_SEQUENCE : KESTREL_KIND_NONE;
  *out = kestrel_value{kind, o->views[i].size(), o->views[i].empty() ? nullptr : o->views[i].data()};
  return report(Ok());
}

void kestrel_outputs_free(kestrel_outputs* o) { delete o; }

const char* kestrel_last_error_code(void) { return kestrel::t_error_code.c_str(); }
const char* kestrel_last_error_message(void) { return kestrel::t_error_message.c_str(); }

size_t kestrel_dtype_size(int32_t dtype) {
  return dtype < 0 ? 0 : kestrel::dtype_size(static_cast<uint32_t>(dtype));
}

}  // extern "C"
