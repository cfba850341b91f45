// The C API's look at an artifact without loading it (kestrel_read_manifest,
// kestrel_check_artifact): the same reads and checks as kestrel_load (artifact_file.cc, elf.cc,
// manifest.cc), stopping before anything is mapped. `kestrel inspect model.so` uses these, so it
// can describe a foreign, corrupt or incompatible artifact without ever running its code.
#include <cstdlib>
#include <cstring>
#include <new>

#include "runtime/artifact.h"
#include "kestrel_runtime.h"

namespace kestrel {
namespace {

Status read_manifest(const char* path, char** out) {
  CheckedFile file;
  KESTREL_TRY(read_checked(path ? path : "", &file));
  Manifest m;
  KESTREL_TRY(parse_manifest(file.elf.manifest, &m));
  char* text = static_cast<char*>(std::malloc(file.elf.manifest.size() + 1));
  if (!text) return Fail(code::kOutOfMemory, "out of memory while reading the manifest");
  std::memcpy(text, file.elf.manifest.data(), file.elf.manifest.size());
  text[file.elf.manifest.size()] = '\0';
  *out = text;
  return Ok();
}

Status check_artifact(const char* path) {
  CheckedFile file;
  KESTREL_TRY(read_checked(path ? path : "", &file));
  Manifest m;
  KESTREL_TRY(parse_manifest(file.elf.manifest, &m));
  return check_manifest(m, file.elf.machine);
}

template <typename F>
kestrel_status guarded(F f) {
  try {
    return report_status(f());
  } catch (const std::bad_alloc&) {
    return report_status(Fail(code::kOutOfMemory, "out of memory while reading the artifact"));
  } catch (...) {
    return report_status(Fail(code::kArtifactInvalid, "unexpected failure while reading the artifact"));
  }
}

}  // namespace
}  // namespace kestrel

extern "C" {

kestrel_status kestrel_read_manifest(const char* path, char** manifest_json) {
  using namespace kestrel;
  if (!manifest_json) {
    return report_status(Fail(code::kArtifactInvalid, "kestrel_read_manifest: out is NULL"));
  }
  *manifest_json = nullptr;
  return guarded([&] { return read_manifest(path, manifest_json); });
}

kestrel_status kestrel_check_artifact(const char* path) {
  return kestrel::guarded([&] { return kestrel::check_artifact(path); });
}

void kestrel_free_string(char* s) { std::free(s); }

}  // extern "C"
