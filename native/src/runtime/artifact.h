// Reading an artifact file before it is loaded: the whole file (one read, regular files only),
// its digest trailer, its ELF64 headers (bounds-checked against the file size), its dynamic
// segment (nothing may run or load at dlopen) and the manifest JSON in section ".kestrel_manifest",
// with the manifest's checks. Nothing here maps or executes
// anything: the loader (runtime.cc) runs all of it and maps the very bytes it checked
// (map_verified.cc) only when every check has passed.
//
// Digest trailer: the last kTrailerBytes of every artifact, appended by the compiler after linking
// (codegen/seal.ts) and outside every ELF segment, so the dynamic loader never sees it:
//   offset  size  field
//        0     8  magic "KSTRLDGT"
//        8     4  trailer version, 1 (little-endian)
//       12     4  digest algorithm, 1 = SHA-256
//       16     8  size of the file before the trailer (little-endian)
//       24     8  reserved, zero
//       32    32  SHA-256 of every byte of the file before this slot (offsets 0 .. size-32)
// So the digest covers every byte but its own slot: any bit flip in code, relocations, symbol
// tables, bytecode, constants, manifest or trailer fields is caught before dlopen. A digest is
// not a signature: it proves the file is the one the compiler wrote, not who wrote it.
#ifndef KESTREL_ARTIFACT_H_
#define KESTREL_ARTIFACT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/debug.h"
#include "util/status.h"

namespace kestrel {

// The kestrel release this runtime belongs to (see check_manifest for the version rule).
constexpr const char* kRuntimeVersion = "0.1.0";
// kManifestFormat comes from contract_generated.h (runtime-vm/contract.json).
constexpr uint64_t kTrailerBytes = 64;

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
  std::vector<std::string> required_features;  // target.requires: CPU features the code may use
  std::string bytecode_fnv1a64;
  std::string constants_fnv1a64;
  std::vector<IoSpec> inputs;
  std::vector<IoSpec> outputs;
  std::vector<std::string> kernel_names;  // optional in the manifest
  DebugInfo debug;                        // optional: the "debug" table (debug.h)
};

// A file whose digest and ELF headers have been checked, with its bytes (trailer included).
struct CheckedFile {
  std::string bytes;
  ElfFacts elf;
};

// Reads `path` in one pass (a regular file of at most 16 GiB; KR0001 otherwise), checks the digest
// trailer (KR0001 when missing or wrong), the ELF64 headers and extracts the manifest section.
Status read_checked(const std::string& path, CheckedFile* out);
// Validates the ELF64 headers of `f` and extracts the manifest section (used by read_checked).
Status read_elf(const std::string& path, const std::string& f, ElfFacts* out);
// Refuses what dlopen would run or load besides the artifact's own data (see elf_dynamic.cc).
Status check_load_time_code(const std::string& path, const std::string& f, uint16_t machine);
// With n > 0 trusted Ed25519 public keys (32 bytes each), requires a signature by one of them
// (signature.cc; KR0007); with n == 0, does nothing.
Status check_signature(const std::string& path, const std::string& f, const uint8_t* keys, size_t n);
// Parses the manifest JSON and its required fields.
Status parse_manifest(const std::string& text, Manifest* out);
// Checks format, version rule, bytecode format, architecture (manifest and ELF) and CPU features.
Status check_manifest(const Manifest& m, uint16_t e_machine);
// "x86_64" or "aarch64" (or "unknown").
const char* host_arch();
// FNV-1a 64 of `data`, as 16 lowercase hex digits.
std::string fnv1a64_hex(const uint8_t* data, uint64_t size);
// dlopen of verified bytes, see map_verified.cc. On success *handle and *fd are set; the caller
// dlcloses the handle, then closes the fd (which keeps the library's /proc/self/fd name unique).
Status dlopen_verified(const std::string& path, const std::string& bytes, void** handle, int* fd);

}  // namespace kestrel

#endif
