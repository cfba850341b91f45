// inspect(path) -> { manifest: string, check: null | { code, message } }: reads and checks the
// artifact without mapping it (kestrel_read_manifest); `check` is why kestrel_load would refuse it
// on this host (kestrel_check_artifact), or null. Throws Error{code} when the file itself is bad.
#include "addon/addon_common.h"
#include "util/contract_generated.h"

namespace kestrel_addon {

Napi::Value Inspect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw make_error(env, kestrel::code::kArtifactInvalid, "path must be a string");
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  char* json = nullptr;
  if (kestrel_read_manifest(path.c_str(), &json) != KESTREL_OK) throw last_error(env);
  Napi::Object o = Napi::Object::New(env);
  o.Set("manifest", Napi::String::New(env, json));
  kestrel_free_string(json);
  if (kestrel_check_artifact(path.c_str()) == KESTREL_OK) {
    o.Set("check", env.Null());
  } else {
    Napi::Object c = Napi::Object::New(env);
    c.Set("code", kestrel_last_error_code());
    c.Set("message", kestrel_last_error_message());
    o.Set("check", c);
  }
  return o;
}

}  // namespace kestrel_addon
