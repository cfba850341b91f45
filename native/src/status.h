// Status: how every fallible function in the VM core reports failure (no exceptions). An empty
// code means success; otherwise `code` is a stable runtime code (runtime-vm/errors.ts) and
// `message` says what failed in the user's terms (input, symbol, kernel, instruction).
#ifndef KESTREL_STATUS_H_
#define KESTREL_STATUS_H_

#include <cstdint>
#include <string>
#include <utility>

namespace kestrel {

namespace code {
constexpr const char* kArtifactInvalid = "KR0001";
constexpr const char* kManifestInvalid = "KR0002";
constexpr const char* kArtifactArch = "KR0003";
constexpr const char* kArtifactVersion = "KR0004";
constexpr const char* kBytecodeInvalid = "KR0005";
constexpr const char* kCpuFeatures = "KR0006";
constexpr const char* kSignature = "KR0007";
constexpr const char* kInputNames = "KR0101";
constexpr const char* kInputDtype = "KR0102";
constexpr const char* kInputShape = "KR0103";
constexpr const char* kInputSymbol = "KR0104";
constexpr const char* kInputData = "KR0105";
constexpr const char* kOutOfMemory = "KR0201";
constexpr const char* kKernelFailed = "KR0202";
constexpr const char* kShapeArith = "KR0203";
constexpr const char* kShapeCheck = "KR0204";
constexpr const char* kDisposed = "KR0301";
constexpr const char* kCancelled = "KR0302";
}  // namespace code

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
