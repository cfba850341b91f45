// Shared by the runtime addon's files (addon_runtime.cc, addon_inspect.cc): errors thrown to JS
// carry the C API's stable code as `code` (KestrelError in runtime-vm/errors.ts maps them).
#ifndef KESTREL_ADDON_COMMON_H_
#define KESTREL_ADDON_COMMON_H_

#include <napi.h>

#include <string>

#include "kestrel_runtime.h"

namespace kestrel_addon {

inline Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

// The error of the C API call that just failed on this thread.
inline Napi::Error last_error(Napi::Env env) {
  return make_error(env, kestrel_last_error_code(), kestrel_last_error_message());
}

// inspect(path): see addon_inspect.cc.
Napi::Value Inspect(const Napi::CallbackInfo& info);

}  // namespace kestrel_addon

#endif
