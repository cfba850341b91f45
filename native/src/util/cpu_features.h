// The CPU features an artifact may require, and whether this host has them. One table per
// architecture names every LLVM target feature that LLVM's own host detection reports
// (llvm/lib/Support/Host.cpp, getHostCPUFeatures) with the cpuid bits (x86-64: leaves 1, 7.0, 7.1,
// 0xd.1, 0x14, 0x19, 0x80000001, 0x80000008, plus XGETBV for the OS-saved register state, as
// LLVM does) or the AT_HWCAP/AT_HWCAP2 bits (AArch64) that prove it.
//
// Two users, one table: the compiler (through the kestrel_llvm addon) writes into the manifest
// the features of the compile target that appear in the table (`target.requires`), and the loader
// refuses an artifact that requires a feature the host lacks, or one this table does not know,
// before anything in it is mapped. Features outside the table are LLVM tuning flags
// ("slow-unaligned-mem-16", "fast-gather"...) that no instruction depends on.
#ifndef KESTREL_CPU_FEATURES_H_
#define KESTREL_CPU_FEATURES_H_

#include <string>
#include <vector>

namespace kestrel {

// True when `name` is a feature of `arch` ("x86_64" | "aarch64") that the table knows.
bool cpu_feature_known(const std::string& arch, const std::string& name);
// True when this host has the feature (false for unknown names and other architectures).
bool host_has_cpu_feature(const std::string& name);
// The features of `wanted` that this host lacks, and those the table does not know.
void missing_cpu_features(const std::vector<std::string>& wanted, std::vector<std::string>* missing,
                          std::vector<std::string>* unknown);

}  // namespace kestrel

#endif
