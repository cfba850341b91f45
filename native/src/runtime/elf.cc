// ELF64 parsing for the loader (see artifact.h), on bytes already read and digest-checked. Every
// offset and size read from the file is checked against the file size with overflow-safe
// arithmetic before it is used; section names are checked to be NUL-terminated inside the string
// table.
#include <cstring>

#include "runtime/artifact.h"

namespace kestrel {
namespace {

template <typename T>
T rd(const std::string& f, uint64_t off) {
  T v;
  std::memcpy(&v, f.data() + off, sizeof(T));
  return v;  // little-endian host assumed (checked via EI_DATA below)
}

bool in_bounds(uint64_t off, uint64_t size, uint64_t total) {
  return off <= total && size <= total - off;
}

Status bad(const std::string& path, const std::string& why) {
  return Fail(code::kArtifactInvalid, "artifact '" + path + "' is not a valid kestrel artifact: " + why);
}

struct Shdr {
  uint32_t name;
  uint64_t offset;
  uint64_t size;
  uint32_t type;
};

Shdr section(const std::string& f, uint64_t at) {
  return Shdr{rd<uint32_t>(f, at), rd<uint64_t>(f, at + 24), rd<uint64_t>(f, at + 32),
              rd<uint32_t>(f, at + 4)};
}

}  // namespace

Status read_elf(const std::string& path, const std::string& f, ElfFacts* out) {
  const uint64_t n = f.size();
  if (n < 64 || std::memcmp(f.data(), "\x7f" "ELF", 4) != 0) return bad(path, "not an ELF file");
  if (f[4] != 2) return bad(path, "not a 64-bit ELF file");
  if (f[5] != 1) return bad(path, "not a little-endian ELF file");
  if (rd<uint16_t>(f, 16) != 3) return bad(path, "not a shared object (ET_DYN)");
  out->machine = rd<uint16_t>(f, 18);
  const uint64_t shoff = rd<uint64_t>(f, 40);
  const uint16_t shentsize = rd<uint16_t>(f, 58);
  const uint16_t shnum = rd<uint16_t>(f, 60);
  const uint16_t shstrndx = rd<uint16_t>(f, 62);
  if (shentsize != 64 || shnum == 0 || shstrndx >= shnum) return bad(path, "bad section headers");
  if (!in_bounds(shoff, uint64_t{shnum} * 64, n)) return bad(path, "truncated (section headers)");
  const Shdr strtab = section(f, shoff + uint64_t{shstrndx} * 64);
  if (!in_bounds(strtab.offset, strtab.size, n)) return bad(path, "truncated (section names)");
  for (uint16_t i = 0; i < shnum; ++i) {
    const Shdr s = section(f, shoff + uint64_t{i} * 64);
    if (s.name >= strtab.size) continue;
    const char* name = f.data() + strtab.offset + s.name;
    const size_t max_len = strtab.size - s.name;
    if (strnlen(name, max_len) == max_len || std::strcmp(name, ".kestrel_manifest") != 0) continue;
    if (s.type == 8 /* SHT_NOBITS */ || !in_bounds(s.offset, s.size, n)) {
      return bad(path, "truncated (manifest section)");
    }
    out->manifest.assign(f.data() + s.offset, s.size);
    return Ok();
  }
  return Fail(code::kManifestInvalid, "artifact '" + path + "' has no .kestrel_manifest section");
}

std::string fnv1a64_hex(const uint8_t* data, uint64_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint64_t i = 0; i < size; ++i) {
    h ^= data[i];
    h *= 0x100000001b3ull;
  }
  static const char* digits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) s[i] = digits[h & 15];
  return s;
}

const char* host_arch() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "unknown";
#endif
}

}  // namespace kestrel
