// Reading an artifact file before it is loaded: ELF64 headers (parsed here, bounds-checked against
// the file size) and the manifest JSON in section ".kestrel_manifest", with its checks. Nothing
// here dlopens or executes anything.
#ifndef KESTREL_ARTIFACT_H_
#define KESTREL_ARTIFACT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "debug.h"
#include "status.h"

namespace kestrel {

// The kestrel release this runtime belongs to; an artifact's `kestrel` major must match.
constexpr const char* kRuntimeVersion = "0.1.0";
constexpr int kManifestFormat = 1;

struct ElfFacts {
  uint16_t machine = 0;  // e_machine
  std::string manifest;  // the bytes of section .kestrel_manifest
};

// The manifest's "kind" of an input/output (kestrel_runtime.h KESTREL_KIND_*): a tensor; a sequence
// of tensors of `dtype` (dims/symbols then describe the elements, informational only: the runtime
// checks each element's dtype, and its rank unless `unranked`); an optional tensor or sequence,
// which may be absent.
enum class IoKind : uint32_t { kTensor = 0, kSequence = 1, kOptional = 2 };

struct IoSpec {
  std::string name;
  uint32_t dtype = 0;
  std::vector<int64_t> dims;         // -1 where symbolic
  std::vector<std::string> symbols;  // "" where static
  IoKind kind = IoKind::kTensor;
  bool optional_sequence = false;  // kOptional: holds a sequence (else a tensor)
  bool unranked = false;           // sequences: element rank unknown
};

struct Manifest {
  std::string kestrel_version;
  uint32_t bytecode_format = 0;
  std::string arch;
  std::string bytecode_fnv1a64;
  std::string constants_fnv1a64;
  std::vector<IoSpec> inputs;
  std::vector<IoSpec> outputs;
  std::vector<std::string> kernel_names;  // optional in the manifest
  DebugInfo debug;                        // optional: the "debug" table (debug.h)
};

// Reads `path`, validates the ELF64 headers and extracts the manifest section.
Status read_elf(const std::string& path, ElfFacts* out);
// Parses the manifest JSON and its required fields.
Status parse_manifest(const std::string& text, Manifest* out);
// Checks format, kestrel version, bytecode format and architecture (manifest and ELF).
Status check_manifest(const Manifest& m, uint16_t e_machine);
// "x86_64" or "aarch64" (or "unknown").
const char* host_arch();
// FNV-1a 64 of `data`, as 16 lowercase hex digits.
std::string fnv1a64_hex(const uint8_t* data, uint64_t size);

}  // namespace kestrel

#endif
