// Shared by the runtime addon's files (addon_runtime.cc, addon_inspect.cc): errors thrown to JS
// carry the C API's stable code as `code` (KestrelError in runtime-vm/errors.ts maps them).
#ifndef KESTREL_ADDON_COMMON_H_
#define KESTREL_ADDON_COMMON_H_

#include <napi.h>

#include <string>
#include <vector>

#include "kestrel_runtime.h"
#include "util/contract_generated.h"

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

// String tensors (kestrel_runtime.h): a JS array of strings in, the strings as UTF-8 bytes.
inline void read_strings(Napi::Env env, const Napi::Value& data, const std::string& where,
                         std::vector<std::string>* out) {
  const char* code = kestrel::code::kInputData;
  if (!data.IsArray()) throw make_error(env, code, where + ": string data must be an array of strings");
  Napi::Array a = data.As<Napi::Array>();
  for (uint32_t k = 0; k < a.Length(); ++k) {
    const Napi::Value e = a.Get(k);
    if (!e.IsString()) {
      throw make_error(env, code, where + ": element " + std::to_string(k) + " is not a string");
    }
    out->push_back(e.As<Napi::String>().Utf8Value());
  }
}

// The kestrel_string elements of `strings` (which must outlive them), as the bytes of `data`.
inline void string_elems(const std::vector<std::string>& strings, std::vector<kestrel_string>* elems,
                         std::vector<uint8_t>* data) {
  elems->clear();
  for (const std::string& s : strings) elems->push_back(kestrel_string{s.data(), s.size()});
  const uint8_t* p = reinterpret_cast<const uint8_t*>(elems->data());
  data->assign(p, p + elems->size() * sizeof(kestrel_string));
}

// A string output as a JS array of strings (copied: the output's bytes go with kestrel_outputs);
// undefined for other dtypes.
inline Napi::Value string_array(Napi::Env env, const kestrel_tensor& t) {
  if (t.dtype != KESTREL_DTYPE_STRING) return env.Undefined();
  const size_t n = t.nbytes / sizeof(kestrel_string);
  const kestrel_string* e = static_cast<const kestrel_string*>(t.data);
  Napi::Array a = Napi::Array::New(env, n);
  for (size_t k = 0; k < n; ++k) a.Set(k, Napi::String::New(env, e[k].data, e[k].size));
  return a;
}

// inspect(path): see addon_inspect.cc.
Napi::Value Inspect(const Napi::CallbackInfo& info);

}  // namespace kestrel_addon

#endif
