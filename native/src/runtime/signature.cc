// Artifact signatures (optional): an Ed25519 signature by the compiling party, checked before
// anything in the artifact is mapped when the loader is given trusted public keys
// (kestrel_options.trusted_keys). Layout: a 128-byte block between the ELF file and the digest
// trailer (artifact.h), written by codegen/seal.ts:
//   offset  size  field
//        0     8  magic "KSTRLSIG"
//        8     4  block version, 1 (little-endian)
//       12     4  algorithm, 1 = Ed25519 over the SHA-256 of every byte before this block
//       16    16  reserved, zero
//       32    32  the signer's Ed25519 public key
//       64    64  the signature
// The digest trailer after it covers the block too. Verification uses libsodium's
// crypto_sign_verify_detached, loaded with dlopen (libsodium.so.23, Debian's libsodium23) the
// first time trusted keys are given: no build dependency, and a runtime on a machine without
// libsodium refuses trusted keys (KR0007) rather than ignoring them. Without trusted keys,
// signatures are neither required nor checked.
#include <dlfcn.h>

#include <cstring>

#include "runtime/artifact.h"
#include "util/sha256.h"

namespace kestrel {
namespace {

constexpr uint64_t kBlockBytes = 128;
constexpr char kMagic[8] = {'K', 'S', 'T', 'R', 'L', 'S', 'I', 'G'};

Status refuse(const std::string& path, const std::string& why) {
  return Fail(code::kSignature, "artifact '" + path + "' " + why);
}

using Verify = int (*)(const unsigned char* sig, const unsigned char* msg, unsigned long long len,
                      const unsigned char* pk);

// libsodium's verifier, initialised once; nullptr when libsodium cannot be loaded.
Verify sodium_verify() {
  static const Verify fn = []() -> Verify {
    void* h = dlopen("libsodium.so.23", RTLD_NOW | RTLD_LOCAL);
    if (!h) h = dlopen("libsodium.so", RTLD_NOW | RTLD_LOCAL);
    if (!h) return nullptr;
    auto init = reinterpret_cast<int (*)()>(dlsym(h, "sodium_init"));
    auto verify = reinterpret_cast<Verify>(dlsym(h, "crypto_sign_verify_detached"));
    return init && verify && init() >= 0 ? verify : nullptr;
  }();
  return fn;
}

bool trusted(const uint8_t* key, const uint8_t* keys, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (std::memcmp(key, keys + 32 * i, 32) == 0) return true;
  }
  return false;
}

}  // namespace

Status check_signature(const std::string& path, const std::string& f, const uint8_t* keys, size_t n) {
  if (n == 0) return Ok();
  if (!keys) return refuse(path, "cannot be checked: trusted_keys is NULL");
  const Verify verify = sodium_verify();
  if (!verify) return refuse(path, "cannot be checked: libsodium (libsodium.so.23) cannot be loaded");
  if (f.size() < kTrailerBytes + kBlockBytes) return refuse(path, "is not signed");
  const uint64_t at = f.size() - kTrailerBytes - kBlockBytes;
  const auto* b = reinterpret_cast<const uint8_t*>(f.data()) + at;
  uint32_t version, algorithm;
  std::memcpy(&version, b + 8, 4);
  std::memcpy(&algorithm, b + 12, 4);
  if (std::memcmp(b, kMagic, 8) != 0) return refuse(path, "is not signed, and trusted keys were given");
  if (version != 1 || algorithm != 1) return refuse(path, "has a signature of an unknown kind");
  if (!trusted(b + 32, keys, n)) return refuse(path, "is signed by a key that is not among the trusted keys");
  uint8_t digest[kSha256Bytes];
  sha256(reinterpret_cast<const uint8_t*>(f.data()), at, digest);
  if (verify(b + 64, digest, sizeof digest, b + 32) != 0) {
    return refuse(path, "has a signature that does not verify: it was changed after it was signed");
  }
  return Ok();
}

}  // namespace kestrel
