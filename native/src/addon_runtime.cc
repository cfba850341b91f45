// kestrel_runtime.node: a thin node-addon-api layer over the C API (kestrel_runtime.h). It only
// converts arguments; all checks and semantics live behind the C API.
//
// JS surface (used by runtime-vm/session.ts):
//   new NativeSession(path, threads, memoryLimitBytes, maxSteps, maxIterations, trustedKeys?)
//       throws Error{code}; trustedKeys: Uint8Array of 32-byte Ed25519 public keys
//   .info() -> { inputs: Io[], outputs: Io[] }   Io = { name, dtype: code, shape: (number|string)[] }
//   .run([{ dtype, dims: number[], data: TypedArray }], maxIterations?, profile?)
//       -> Promise<[{ dtype, dims, data: ArrayBuffer }]> & { cancel(): void }
//       with profile true, the resolved array also has `profile`: the run's events as the JSON
//       text of kestrel_profile_json (Chrome trace events)
//   .dispose()
// inspect(path) -> { manifest: string, check: null | { code, message } }   (nothing is mapped)
// Numbers for limits: 0 / absent = default; Infinity (or >= 2^64) = no limit. run()'s promise
// carries cancel(): it cancels that run only (a kestrel_cancel_token per run, so a run still
// waiting for the session is cancelled too, and other runs are not), rejecting it with KR0302;
// calling it after the run settled does nothing.
// Lifetime: the C session lives in a ref-counted State shared by the JS object and every run in
// flight. run() copies the input bytes on the JS thread, then runs on a libuv worker
// (AsyncWorker). dispose() marks the state disposed and unloads at once if no run is in flight,
// otherwise when the last run finishes; if the JS object is collected or its environment torn
// down first, the last State owner unloads. So memory is never freed under a running kernel.
// Runs after dispose() reject with KR0301. State is only mutated on the JS thread.
#include <napi.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kestrel_runtime.h"

namespace {

Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

Napi::Error last_error(Napi::Env env) {
  return make_error(env, kestrel_last_error_code(), kestrel_last_error_message());
}

struct State {
  kestrel_session* session = nullptr;
  int in_flight = 0;
  bool disposed = false;
  ~State() { kestrel_unload(session); }
  void unload() {
    kestrel_unload(session);
    session = nullptr;
  }
  void run_finished() {
    if (--in_flight == 0 && disposed) unload();
  }
};

class NativeSession : public Napi::ObjectWrap<NativeSession> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeSession",
                       {InstanceMethod("info", &NativeSession::Info),
                        InstanceMethod("run", &NativeSession::Run),
                        InstanceMethod("dispose", &NativeSession::Dispose)});
  }

  explicit NativeSession(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeSession>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) throw make_error(env, "KR0001", "path must be a string");
    kestrel_options o;
    kestrel_options_init(&o);
    if (info.Length() > 1 && info[1].IsNumber()) o.threads = info[1].As<Napi::Number>().Int32Value();
    if (info.Length() > 2 && info[2].IsNumber()) o.memory_limit_bytes = number_u64(info[2]);
    if (info.Length() > 3 && info[3].IsNumber()) o.max_steps = number_u64(info[3]);
    if (info.Length() > 4 && info[4].IsNumber()) o.max_iterations = number_u64(info[4]);
    std::vector<uint8_t> keys;  // trusted Ed25519 public keys, 32 bytes each (only used by kestrel_load)
    if (info.Length() > 5 && info[5].IsTypedArray()) {
      Napi::TypedArray ta = info[5].As<Napi::TypedArray>();
      const uint8_t* p = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
      keys.assign(p, p + ta.ByteLength());
      if (keys.size() % 32) throw make_error(env, "KR0007", "trusted keys must be 32 bytes each");
      o.trusted_keys = keys.data();
      o.trusted_key_count = keys.size() / 32;
    }
    const std::string path = info[0].As<Napi::String>().Utf8Value();
    if (kestrel_load(path.c_str(), &o, &state_->session) != KESTREL_OK) throw last_error(env);
  }

 private:
  std::shared_ptr<State> state_ = std::make_shared<State>();

  static uint64_t number_u64(const Napi::Value& v) {
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!(d > 0)) return 0;  // NaN, negative, zero
    return d >= 18446744073709551616.0 ? UINT64_MAX : static_cast<uint64_t>(d);
  }

 public:
  static uint64_t arg_u64(const Napi::CallbackInfo& info, size_t i) {
    return info.Length() > i && info[i].IsNumber() ? number_u64(info[i]) : 0;
  }

 private:

  Napi::Array Ios(Napi::Env env, int is_output) {
    kestrel_session* s = state_->session;
    const size_t n = is_output ? kestrel_output_count(s) : kestrel_input_count(s);
    Napi::Array arr = Napi::Array::New(env, n);
    for (size_t i = 0; i < n; ++i) {
      kestrel_io_info io;
      kestrel_session_io(state_->session, is_output, i, &io);
      Napi::Array shape = Napi::Array::New(env, io.rank);
      for (size_t d = 0; d < io.rank; ++d) {
        if (io.symbols[d]) shape.Set(d, Napi::String::New(env, io.symbols[d]));
        else shape.Set(d, Napi::Number::New(env, static_cast<double>(io.dims[d])));
      }
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", io.name);
      o.Set("dtype", io.dtype);
      o.Set("shape", shape);
      o.Set("kind", io.kind == KESTREL_KIND_SEQUENCE   ? "sequence"
                    : io.kind == KESTREL_KIND_OPTIONAL ? "optional"
                                                       : "tensor");
      if (io.kind == KESTREL_KIND_OPTIONAL) o.Set("optionalOf", io.optional_sequence ? "sequence" : "tensor");
      arr.Set(i, o);
    }
    return arr;
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    if (!state_->session) throw make_error(info.Env(), "KR0301", "the session was disposed");
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("inputs", Ios(info.Env(), 0));
    o.Set("outputs", Ios(info.Env(), 1));
    return o;
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (!state_->disposed) {
      state_->disposed = true;
      if (state_->in_flight == 0) state_->unload();
    }
    return info.Env().Undefined();
  }

  Napi::Value Run(const Napi::CallbackInfo& info);
};

struct OwnedInput {
  int32_t dtype;
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

// One input value: a tensor, a sequence (a JS array of tensors) or none (null: an absent optional).
struct OwnedValue {
  int32_t kind = KESTREL_KIND_TENSOR;
  std::vector<OwnedInput> tensors;
};

class RunWorker : public Napi::AsyncWorker {
 public:
  RunWorker(Napi::Env env, std::shared_ptr<State> state, std::vector<OwnedValue> inputs,
            uint64_t max_iterations, std::shared_ptr<kestrel_cancel_token> token, bool profile)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), state_(std::move(state)),
        inputs_(std::move(inputs)), token_(std::move(token)) {
    ++state_->in_flight;
    kestrel_run_options_init(&options_);
    options_.max_iterations = max_iterations;
    options_.cancel = token_.get();
    if (profile) profile_ = kestrel_profile_new();
    options_.profile = profile_;
  }
  ~RunWorker() override {
    kestrel_outputs_free(outputs_);
    kestrel_profile_free(profile_);
  }

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    std::vector<std::vector<kestrel_tensor>> tensors;
    std::vector<kestrel_value> feeds;
    for (OwnedValue& v : inputs_) {
      tensors.emplace_back();
      for (OwnedInput& in : v.tensors) {
        tensors.back().push_back(
            kestrel_tensor{in.dtype, in.dims.size(), in.dims.data(), in.data.data(), in.data.size()});
      }
    }
    for (size_t i = 0; i < inputs_.size(); ++i) {
      feeds.push_back(kestrel_value{inputs_[i].kind, tensors[i].size(), tensors[i].data()});
    }
    if (kestrel_run_values(state_->session, feeds.data(), feeds.size(), &options_, &outputs_) != KESTREL_OK) {
      code_ = kestrel_last_error_code();
      message_ = kestrel_last_error_message();
    }
  }

  // Replaces AsyncWorker's completion so that nothing can throw out of it: when the environment
  // is being torn down (a worker thread terminated mid-run) N-API calls fail, and the run is then
  // only accounted for, never settled.
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    state_->run_finished();
    if (status != napi_cancelled) {
      try {
        Napi::HandleScope scope(env);
        Settle(env);
      } catch (...) {
        // environment shutting down: nobody is left to observe the promise
      }
    }
    Destroy();
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<State> state_;  // keeps the C session alive while this run is in flight
  std::vector<OwnedValue> inputs_;
  std::shared_ptr<kestrel_cancel_token> token_;  // shared with the promise's cancel()
  kestrel_run_options options_;
  kestrel_outputs* outputs_ = nullptr;
  kestrel_profile* profile_ = nullptr;  // profiled runs only
  std::string code_;  // empty on success
  std::string message_;

  void Settle(Napi::Env env) {
    if (!code_.empty()) {
      deferred_.Reject(make_error(env, code_, message_).Value());
      return;
    }
    const size_t n = kestrel_outputs_count(outputs_);
    Napi::Array arr = Napi::Array::New(env, n);
    for (size_t i = 0; i < n; ++i) {
      kestrel_value v;
      kestrel_outputs_value(outputs_, i, &v);
      if (v.kind == KESTREL_KIND_TENSOR) {
        arr.Set(i, Output(env, &v.tensors[0]));
      } else if (v.kind == KESTREL_KIND_SEQUENCE) {
        Napi::Array seq = Napi::Array::New(env, v.count);
        for (size_t k = 0; k < v.count; ++k) seq.Set(k, Output(env, &v.tensors[k]));
        arr.Set(i, seq);
      } else {
        arr.Set(i, env.Null());
      }
    }
    if (profile_) arr.Set("profile", Napi::String::New(env, kestrel_profile_json(profile_)));
    deferred_.Resolve(arr);
  }

  static Napi::Object Output(Napi::Env env, const kestrel_tensor* t) {
    Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, t->nbytes);
    if (t->nbytes) std::memcpy(buf.Data(), t->data, t->nbytes);
    Napi::Array dims = Napi::Array::New(env, t->rank);
    for (size_t d = 0; d < t->rank; ++d) {
      dims.Set(d, Napi::Number::New(env, static_cast<double>(t->dims[d])));
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("dtype", t->dtype);
    o.Set("dims", dims);
    o.Set("data", buf);
    return o;
  }
};

OwnedInput convert_input(Napi::Env env, const Napi::Value& v, uint32_t index) {
  const std::string where = "input #" + std::to_string(index);
  if (!v.IsObject()) throw make_error(env, "KR0105", where + " is not an object");
  Napi::Object o = v.As<Napi::Object>();
  OwnedInput in;
  in.dtype = o.Get("dtype").As<Napi::Number>().Int32Value();
  Napi::Value dims = o.Get("dims");
  if (!dims.IsArray()) throw make_error(env, "KR0105", where + ": dims must be an array");
  Napi::Array d = dims.As<Napi::Array>();
  for (uint32_t k = 0; k < d.Length(); ++k) in.dims.push_back(d.Get(k).As<Napi::Number>().Int64Value());
  Napi::Value data = o.Get("data");
  if (!data.IsTypedArray()) throw make_error(env, "KR0105", where + ": data must be a TypedArray");
  Napi::TypedArray ta = data.As<Napi::TypedArray>();
  const uint8_t* p = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  in.data.assign(p, p + ta.ByteLength());
  return in;
}

Napi::Value NativeSession::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!state_->session || state_->disposed) throw make_error(env, "KR0301", "the session was disposed");
  if (info.Length() < 1 || !info[0].IsArray()) throw make_error(env, "KR0101", "run expects an array");
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<OwnedValue> inputs;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const Napi::Value v = arr.Get(i);
    inputs.emplace_back();
    if (v.IsNull() || v.IsUndefined()) {
      inputs.back().kind = KESTREL_KIND_NONE;
    } else if (v.IsArray()) {
      Napi::Array seq = v.As<Napi::Array>();
      inputs.back().kind = KESTREL_KIND_SEQUENCE;
      for (uint32_t k = 0; k < seq.Length(); ++k) {
        inputs.back().tensors.push_back(convert_input(env, seq.Get(k), i));
      }
    } else {
      inputs.back().tensors.push_back(convert_input(env, v, i));
    }
  }
  std::shared_ptr<kestrel_cancel_token> token(kestrel_cancel_token_new(), kestrel_cancel_token_free);
  if (!token) throw make_error(env, "KR0201", "out of memory");
  Napi::Function cancel = Napi::Function::New(env, [token](const Napi::CallbackInfo& ci) -> Napi::Value {
    kestrel_cancel_token_cancel(token.get());
    return ci.Env().Undefined();
  }, "cancel");
  const bool profile = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  auto* worker = new RunWorker(env, state_, std::move(inputs), arg_u64(info, 1), token, profile);
  Napi::Promise promise = worker->promise();
  promise.Set("cancel", cancel);
  worker->Queue();
  return promise;
}

// inspect(path) -> { manifest: string, check: null | { code, message } }: reads and checks the
// artifact without mapping it (kestrel_read_manifest); `check` is why kestrel_load would refuse it
// on this host (kestrel_check_artifact), or null. Throws Error{code} when the file itself is bad.
Napi::Value Inspect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw make_error(env, "KR0001", "path must be a string");
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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeSession", NativeSession::Define(env));
  exports.Set("inspect", Napi::Function::New(env, Inspect));
  return exports;
}

}  // namespace

NODE_API_MODULE(kestrel_runtime, Init)
