// Element types as the VM sees them: stable codes (the `code` field of ir/dtype.ts, never
// reordered), names as written in manifests, and element sizes.
#ifndef KESTREL_DTYPE_H_
#define KESTREL_DTYPE_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace kestrel {

struct DTypeEntry {
  const char* name;
  size_t bytes;
};

constexpr DTypeEntry kDTypes[] = {
    {"float32", 4}, {"uint8", 1},   {"int8", 1},    {"uint16", 2}, {"int16", 2},  {"int32", 4},
    {"int64", 8},   {"bool", 1},    {"float16", 2}, {"float64", 8}, {"uint32", 4}, {"uint64", 8},
};
constexpr uint32_t kDTypeCount = sizeof(kDTypes) / sizeof(kDTypes[0]);

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
