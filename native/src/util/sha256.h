// SHA-256 (FIPS 180-4), the digest that seals every artifact (see artifact.h). Self-contained so
// the VM core needs no crypto library and still cross-builds for AArch64; the compiler computes
// the same digest with node:crypto, and test/vm/sha256.test.ts checks the two agree.
#ifndef KESTREL_SHA256_H_
#define KESTREL_SHA256_H_

#include <cstddef>
#include <cstdint>

namespace kestrel {

constexpr size_t kSha256Bytes = 32;

// Writes the SHA-256 of `data[0, size)` to `out` (with the x86 SHA extensions where the host has them).
void sha256(const uint8_t* data, uint64_t size, uint8_t out[kSha256Bytes]);
// The same without CPU-specific code (what sha256 uses where the extensions are missing).
void sha256_portable(const uint8_t* data, uint64_t size, uint8_t out[kSha256Bytes]);

}  // namespace kestrel

#endif
