// Element types as the VM sees them: stable codes, names as written in manifests, and element
// sizes, from the table generated from runtime-vm/contract.json (as ir/dtype.ts is).
#ifndef KESTREL_DTYPE_H_
#define KESTREL_DTYPE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "util/contract_generated.h"  // kDTypes, kDTypeCount

namespace kestrel {

inline bool dtype_valid(uint32_t code) { return code < kDTypeCount; }
inline size_t dtype_size(uint32_t code) { return dtype_valid(code) ? kDTypes[code].bytes : 0; }
inline const char* dtype_name(uint32_t code) { return dtype_valid(code) ? kDTypes[code].name : "?"; }

// The code for a manifest dtype name, or -1.
inline int dtype_from_name(const std::string& name) {
  for (uint32_t i = 0; i < kDTypeCount; ++i) {
    if (name == kDTypes[i].name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace kestrel

#endif
