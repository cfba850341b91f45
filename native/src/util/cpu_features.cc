// CPU feature tables and host detection (see cpu_features.h). The x86-64 rows and their register
// state conditions follow LLVM's getHostCPUFeatures bit for bit, so a feature LLVM detects on a
// host (and may therefore use in a host build) is detected here on the same host.
#include "util/cpu_features.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace kestrel {
namespace {

// x86-64: cpuid leaf/subleaf, register, bit, and which OS-saved state the feature also needs.
enum Reg : uint8_t { kEax, kEbx, kEcx, kEdx };
enum Save : uint8_t { kNone, kAvx, kAvx512, kAmx };
struct X86Row {
  const char* name;
  uint32_t leaf, subleaf;
  Reg reg;
  uint8_t bit;
  Save save;
};

constexpr X86Row kX86[] = {
    {"cx8", 1, 0, kEdx, 8, kNone}, {"cmov", 1, 0, kEdx, 15, kNone}, {"mmx", 1, 0, kEdx, 23, kNone},
    {"fxsr", 1, 0, kEdx, 24, kNone}, {"sse", 1, 0, kEdx, 25, kNone}, {"sse2", 1, 0, kEdx, 26, kNone},
    {"sse3", 1, 0, kEcx, 0, kNone}, {"pclmul", 1, 0, kEcx, 1, kNone}, {"ssse3", 1, 0, kEcx, 9, kNone},
    {"cx16", 1, 0, kEcx, 13, kNone}, {"sse4.1", 1, 0, kEcx, 19, kNone},
    {"sse4.2", 1, 0, kEcx, 20, kNone}, {"crc32", 1, 0, kEcx, 20, kNone},
    {"movbe", 1, 0, kEcx, 22, kNone}, {"popcnt", 1, 0, kEcx, 23, kNone},
    {"aes", 1, 0, kEcx, 25, kNone}, {"rdrnd", 1, 0, kEcx, 30, kNone}, {"avx", 1, 0, kEcx, 28, kAvx},
    {"fma", 1, 0, kEcx, 12, kAvx}, {"xsave", 1, 0, kEcx, 26, kAvx}, {"f16c", 1, 0, kEcx, 29, kAvx},
    {"sahf", 0x80000001, 0, kEcx, 0, kNone}, {"lzcnt", 0x80000001, 0, kEcx, 5, kNone},
    {"sse4a", 0x80000001, 0, kEcx, 6, kNone}, {"prfchw", 0x80000001, 0, kEcx, 8, kNone},
    {"xop", 0x80000001, 0, kEcx, 11, kAvx}, {"lwp", 0x80000001, 0, kEcx, 15, kNone},
    {"fma4", 0x80000001, 0, kEcx, 16, kAvx}, {"tbm", 0x80000001, 0, kEcx, 21, kNone},
    {"mwaitx", 0x80000001, 0, kEcx, 29, kNone}, {"64bit", 0x80000001, 0, kEdx, 29, kNone},
    {"clzero", 0x80000008, 0, kEbx, 0, kNone}, {"rdpru", 0x80000008, 0, kEbx, 4, kNone},
    {"wbnoinvd", 0x80000008, 0, kEbx, 9, kNone}, {"fsgsbase", 7, 0, kEbx, 0, kNone},
    {"sgx", 7, 0, kEbx, 2, kNone}, {"bmi", 7, 0, kEbx, 3, kNone}, {"avx2", 7, 0, kEbx, 5, kAvx},
    {"bmi2", 7, 0, kEbx, 8, kNone}, {"invpcid", 7, 0, kEbx, 10, kNone}, {"rtm", 7, 0, kEbx, 11, kNone},
    {"avx512f", 7, 0, kEbx, 16, kAvx512}, {"avx512dq", 7, 0, kEbx, 17, kAvx512},
    {"rdseed", 7, 0, kEbx, 18, kNone}, {"adx", 7, 0, kEbx, 19, kNone},
    {"avx512ifma", 7, 0, kEbx, 21, kAvx512}, {"clflushopt", 7, 0, kEbx, 23, kNone},
    {"clwb", 7, 0, kEbx, 24, kNone}, {"avx512pf", 7, 0, kEbx, 26, kAvx512},
    {"avx512er", 7, 0, kEbx, 27, kAvx512}, {"avx512cd", 7, 0, kEbx, 28, kAvx512},
    {"sha", 7, 0, kEbx, 29, kNone}, {"avx512bw", 7, 0, kEbx, 30, kAvx512},
    {"avx512vl", 7, 0, kEbx, 31, kAvx512}, {"prefetchwt1", 7, 0, kEcx, 0, kNone},
    {"avx512vbmi", 7, 0, kEcx, 1, kAvx512}, {"pku", 7, 0, kEcx, 4, kNone},
    {"waitpkg", 7, 0, kEcx, 5, kNone}, {"avx512vbmi2", 7, 0, kEcx, 6, kAvx512},
    {"shstk", 7, 0, kEcx, 7, kNone}, {"gfni", 7, 0, kEcx, 8, kNone}, {"vaes", 7, 0, kEcx, 9, kAvx},
    {"vpclmulqdq", 7, 0, kEcx, 10, kAvx}, {"avx512vnni", 7, 0, kEcx, 11, kAvx512},
    {"avx512bitalg", 7, 0, kEcx, 12, kAvx512}, {"avx512vpopcntdq", 7, 0, kEcx, 14, kAvx512},
    {"rdpid", 7, 0, kEcx, 22, kNone}, {"kl", 7, 0, kEcx, 23, kNone}, {"cldemote", 7, 0, kEcx, 25, kNone},
    {"movdiri", 7, 0, kEcx, 27, kNone}, {"movdir64b", 7, 0, kEcx, 28, kNone},
    {"enqcmd", 7, 0, kEcx, 29, kNone}, {"uintr", 7, 0, kEdx, 5, kNone},
    {"avx512vp2intersect", 7, 0, kEdx, 8, kAvx512}, {"serialize", 7, 0, kEdx, 14, kNone},
    {"tsxldtrk", 7, 0, kEdx, 16, kNone}, {"pconfig", 7, 0, kEdx, 18, kNone},
    {"amx-bf16", 7, 0, kEdx, 22, kAmx}, {"avx512fp16", 7, 0, kEdx, 23, kAvx512},
    {"amx-tile", 7, 0, kEdx, 24, kAmx}, {"amx-int8", 7, 0, kEdx, 25, kAmx},
    {"raoint", 7, 1, kEax, 3, kNone}, {"avxvnni", 7, 1, kEax, 4, kAvx},
    {"avx512bf16", 7, 1, kEax, 5, kAvx512}, {"cmpccxadd", 7, 1, kEax, 7, kNone},
    {"amx-fp16", 7, 1, kEax, 21, kAmx}, {"hreset", 7, 1, kEax, 22, kNone},
    {"avxifma", 7, 1, kEax, 23, kAvx}, {"avxvnniint8", 7, 1, kEdx, 4, kAvx},
    {"avxneconvert", 7, 1, kEdx, 5, kAvx}, {"prefetchi", 7, 1, kEdx, 14, kNone},
    {"xsaveopt", 0xd, 1, kEax, 0, kAvx}, {"xsavec", 0xd, 1, kEax, 1, kAvx},
    {"xsaves", 0xd, 1, kEax, 3, kAvx}, {"ptwrite", 0x14, 0, kEbx, 4, kNone},
    {"widekl", 0x19, 0, kEbx, 2, kNone},
};

// AArch64 (Linux): all bits of `mask` in AT_HWCAP (word 1) or AT_HWCAP2 (word 2).
struct ArmRow {
  const char* name;
  uint8_t word;
  uint64_t mask;
};

constexpr ArmRow kArm[] = {
    {"fp-armv8", 1, 1u << 0}, {"neon", 1, 1u << 1}, {"aes", 1, (1u << 3) | (1u << 4)},
    {"sha2", 1, (1u << 5) | (1u << 6)}, {"crypto", 1, (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6)},
    {"crc", 1, 1u << 7}, {"lse", 1, 1u << 8}, {"fullfp16", 1, (1u << 9) | (1u << 10)},
    {"rdm", 1, 1u << 12}, {"jsconv", 1, 1u << 13}, {"complxnum", 1, 1u << 14}, {"rcpc", 1, 1u << 15},
    {"ccpp", 1, 1u << 16}, {"sha3", 1, (1u << 17) | (1u << 21)}, {"sm4", 1, (1u << 18) | (1u << 19)},
    {"dotprod", 1, 1u << 20}, {"sve", 1, 1u << 22}, {"fp16fml", 1, 1u << 23}, {"dit", 1, 1u << 24},
    {"rcpc-immo", 1, 1u << 26}, {"flagm", 1, 1u << 27}, {"ssbs", 1, 1u << 28}, {"sb", 1, 1u << 29},
    {"sve2", 2, 1u << 1}, {"i8mm", 2, 1u << 13}, {"bf16", 2, 1u << 14}, {"rand", 2, 1u << 16},
    {"bti", 2, 1u << 17},
};

template <typename Row, size_t N>
const Row* find(const Row (&table)[N], const std::string& name) {
  for (const Row& r : table) {
    if (name == r.name) return &r;
  }
  return nullptr;
}

#if defined(__x86_64__)
struct X86Host {
  uint32_t max_leaf = 0, max_ext = 0;
  bool avx = false, avx512 = false, amx = false;
};

X86Host x86_host() {
  X86Host h;
  unsigned a, b, c, d;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return h;
  h.max_leaf = a;
  __cpuid(0x80000000, a, b, c, d);
  h.max_ext = a;
  __cpuid_count(1, 0, a, b, c, d);
  if (!((c >> 27) & 1)) return h;  // no OSXSAVE: XGETBV would fault
  uint32_t xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  h.avx = ((c >> 28) & 1) && (xcr0_lo & 0x6) == 0x6;
  h.avx512 = h.avx && (xcr0_lo & 0xe0) == 0xe0;
  const uint32_t amx_bits = (1u << 17) | (1u << 18);
  h.amx = (xcr0_lo & amx_bits) == amx_bits;
  return h;
}

bool x86_has(const X86Row& r) {
  static const X86Host host = x86_host();
  const bool ext = r.leaf >= 0x80000000u;
  if (ext ? r.leaf > host.max_ext : r.leaf > host.max_leaf) return false;
  unsigned regs[4];
  __cpuid_count(r.leaf, r.subleaf, regs[0], regs[1], regs[2], regs[3]);
  if (!((regs[r.reg] >> r.bit) & 1)) return false;
  switch (r.save) {
    case kNone: return true;
    case kAvx: return host.avx;
    case kAvx512: return host.avx512;
    case kAmx: return host.amx;
  }
  return false;
}
#endif

#if defined(__aarch64__) && defined(__linux__)
bool arm_has(const ArmRow& r) {
  const uint64_t caps = getauxval(r.word == 1 ? AT_HWCAP : AT_HWCAP2);
  return (caps & r.mask) == r.mask;
}
#endif

}  // namespace

bool cpu_feature_known(const std::string& arch, const std::string& name) {
  if (arch == "x86_64") return find(kX86, name) != nullptr;
  if (arch == "aarch64") return find(kArm, name) != nullptr;
  return false;
}

bool host_has_cpu_feature(const std::string& name) {
#if defined(__x86_64__)
  const X86Row* r = find(kX86, name);
  return r && x86_has(*r);
#elif defined(__aarch64__) && defined(__linux__)
  const ArmRow* r = find(kArm, name);
  return r && arm_has(*r);
#else
  (void)name;
  return false;
#endif
}

void missing_cpu_features(const std::vector<std::string>& wanted, std::vector<std::string>* missing,
                          std::vector<std::string>* unknown) {
#if defined(__x86_64__)
  const std::string arch = "x86_64";
#elif defined(__aarch64__)
  const std::string arch = "aarch64";
#else
  const std::string arch = "unknown";
#endif
  for (const std::string& f : wanted) {
    if (!cpu_feature_known(arch, f)) unknown->push_back(f);
    else if (!host_has_cpu_feature(f)) missing->push_back(f);
  }
}

}  // namespace kestrel
