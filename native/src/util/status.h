// Status: how every fallible function in the VM core reports failure (no exceptions). An empty
// code means success; otherwise `code` is a stable runtime code (runtime-vm/contract.json) and
// `message` says what failed in the user's terms (input, symbol, kernel, instruction).
#ifndef KESTREL_STATUS_H_
#define KESTREL_STATUS_H_

#include <cstdint>
#include <string>
#include <utility>

#include "util/contract_generated.h"

namespace kestrel {

// The runtime codes (code::kShapeCheck, ...) are generated from runtime-vm/contract.json.

struct Status {
  std::string code;
  std::string message;
  bool ok() const { return code.empty(); }
};

inline Status Ok() { return Status{}; }
inline Status Fail(const char* c, std::string message) { return Status{c, std::move(message)}; }

// Records `s` as the calling thread's last error (kestrel_last_error_code/message); returns
// KESTREL_OK (0) when `s` is ok, KESTREL_ERROR otherwise. Defined in runtime.cc.
int32_t report_status(const Status& s);

#define KESTREL_TRY(expr)              \
  do {                                 \
    ::kestrel::Status s_ = (expr);     \
    if (!s_.ok()) return s_;           \
  } while (0)

}  // namespace kestrel

#endif
