// The artifact's debug table (manifest field "debug", written by compiler/lower/debug.ts): kernel
// call sites -> the ONNX nodes fused into them and their FLOPs, registers -> ONNX tensor names,
// kernel assert statuses -> what they check. The VM uses it only off the fast path: to word
// error messages in ONNX terms and to label profile events. An artifact without the table (or
// with parts of it missing) still runs; its messages then fall back to VM terms.
#ifndef KESTREL_DEBUG_H_
#define KESTREL_DEBUG_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "util/json.h"
#include "util/status.h"

namespace kestrel {

struct DebugCall {
  uint32_t kernel = 0;
  std::vector<uint32_t> nodes;  // indices into DebugInfo::nodes, the group's root first
  Json flops;                   // kNull when not counted (see compiler/lower/debug.ts DimExpr)
};

struct DebugInfo {
  std::vector<std::pair<std::string, std::string>> nodes;  // ONNX (name, op type)
  std::map<uint32_t, DebugCall> calls;                     // by word offset of the call_kernel
  std::map<uint32_t, std::pair<std::string, int64_t>> tensors;  // by register: name, node or -1
  std::map<int32_t, std::string> status;                   // kernel status -> what failed
  std::vector<std::pair<uint32_t, uint32_t>> groups;       // (first word offset, node), ascending

  // "node 'a' (Conv)" or "nodes 'a' (Conv), 'b' (Relu)" for the call at `at`; "" when unknown.
  std::string call_nodes(uint32_t at) const;
  // How messages name the tensor in register `reg`: "tensor 'x' (node 'n' (Op))" or "tensor rN".
  std::string tensor(uint32_t reg) const;
  // "node 'a' (Op)" for the node whose instructions include word offset `pc`; "" when unknown.
  std::string node_at(uint32_t pc) const;
  // FLOPs of the call at `at` given its scalar arguments; -1 when not known.
  double flops(uint32_t at, const int64_t* scalars, size_t n) const;
};

// Reads the optional "debug" member of the manifest root; malformed entries are KR0002.
Status parse_debug(const Json& root, DebugInfo* out);

}  // namespace kestrel

#endif
