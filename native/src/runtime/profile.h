// Per-run profiles (kestrel_runtime.h kestrel_profile_*): the events a profiled run recorded
// (vm.h Profile) and their rendering as Chrome trace events, named in ONNX terms from the
// manifest's debug table.
#ifndef KESTREL_PROFILE_H_
#define KESTREL_PROFILE_H_

#include <string>

#include "runtime/artifact.h"
#include "vm/vm.h"

struct kestrel_profile {
  kestrel::Profile data;
  std::string json;  // rendered after each run made with this profile
};

namespace kestrel {

// A JSON array of Chrome trace "complete" events (ph "X", ts/dur in microseconds from the start
// of the run): kernels as cat "kernel" named after the kernel, with args.nodes ([name, op type] of
// the ONNX nodes fused into the call), args.shapes and args.flops (when known); builtins as cat
// "builtin" named after the instruction, with args.tensor where the register holds a named tensor.
std::string profile_json(const Profile& p, const Manifest& m);

}  // namespace kestrel

#endif
