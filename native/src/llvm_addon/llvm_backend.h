// Plain C++ API of the LLVM backend (no N-API, no exceptions across it): functions return an
// empty string on success or an LLVM diagnostic on failure, and write their result to `out`.
// The N-API binding in llvm_addon.cc only converts arguments to and from these.
#ifndef KESTREL_LLVM_BACKEND_H_
#define KESTREL_LLVM_BACKEND_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kestrel_llvm {

struct HostInfo {
  std::string cpu, features, triple;
};

struct CompileOptions {
  std::string ir, triple, cpu, features;
  int optLevel = 3;
  bool assembly = false;  // emit assembly text instead of an ELF object
  // Instrument every function with AddressSanitizer after optimisation (see llvm_backend.cc):
  // the object then needs the ASan runtime already in the loading process.
  bool sanitizeAddress = false;
};

struct DataSection {
  std::string symbol, section;
  const uint8_t* bytes = nullptr;
  size_t size = 0;
  unsigned align = 1;
};

struct DataExport {
  std::string symbol;
  uint64_t value = 0;
};

// A parsed and verified module with its own LLVMContext and TargetMachine, so that the compiler
// pipeline can run O3 and object emission as separate, separately timed steps. Single-owner and
// single-threaded; optimise at most once, emit at most once (emission lowers the module in place).
struct ModuleHandle;
struct ModuleHandleDeleter {
  void operator()(ModuleHandle* h) const;
};
using ModulePtr = std::unique_ptr<ModuleHandle, ModuleHandleDeleter>;

// Parses and verifies `opts.ir` for (triple, cpu, features, optLevel); `opts.assembly` is ignored.
std::string parseModule(const CompileOptions& opts, ModulePtr* out);
// Runs the O`optLevel` pipeline on the module.
std::string optimizeModule(ModuleHandle& h);
// The module's current IR as text.
std::string printModule(ModuleHandle& h, std::string* out);
// Object file (or assembly) of the module.
std::string emitModuleFile(ModuleHandle& h, bool assembly, std::string* out);

// Initialises every configured LLVM target once (X86, AArch64, NVPTX here). Thread-compatible.
void initTargets();
HostInfo hostInfo();
std::string compileIR(const CompileOptions& opts, std::string* out);
// The CPU features code for (triple, cpu, features) may use that a loader can check (see
// cpu_features.h): what the manifest's target.requires lists.
std::string requiredFeatures(const std::string& triple, const std::string& cpu,
                             const std::string& features, std::vector<std::string>* out);
std::string emitDataObject(const std::string& triple, const std::vector<DataSection>& sections,
                           const std::vector<DataExport>& exports, std::string* out);

}  // namespace kestrel_llvm

#endif  // KESTREL_LLVM_BACKEND_H_
