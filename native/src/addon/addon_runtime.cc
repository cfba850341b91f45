// kestrel_runtime.node: a thin node-addon-api layer over the C API (kestrel_runtime.h). It only
// converts arguments; all checks and semantics live behind the C API.
//
// JS surface (used by runtime-vm/session.ts):
//   new NativeSession(path, threads, memoryLimitBytes, maxSteps, maxIterations, trustedKeys?)
//       throws Error{code}; trustedKeys: Uint8Array of 32-byte Ed25519 public keys
//   .info() -> { inputs: Io[], outputs: Io[] }   Io = { name, dtype: code, shape: (number|string)[] }
//   .run([{ dtype, dims: number[], data: TypedArray }], maxIterations?, profile?)
//       (profile true: the resolved array also has `profile`, the JSON of kestrel_profile_json)
//       -> Promise<[{ dtype, dims, data: ArrayBuffer }]> & { id: number }
//   .cancel(id)   cancels the run whose promise carries `id`, if it is still in flight
//   .dispose()
// inspect(path) -> { manifest: string, check: null | { code, message } }   (nothing is mapped)
// Numbers for limits: 0 / absent = default; Infinity (or >= 2^64) = no limit. run()'s promise
// carries the run's id for cancel(id): it cancels that run only (a kestrel_cancel_token per run,
// so a run still waiting for the session is cancelled too, and other runs are not), rejecting it
// with KR0302; an id that has settled does nothing. A run allocates nothing whose release waits
// for V8's garbage collector but its output ArrayBuffers: a per-run native function (a cancel()
// closure) would hold its callback data, napi reference and weak handle until a major collection,
// and a small model's resident memory grew by about 10 MB before levelling off (bench/rss.mjs).
// Lifetime: the C session lives in a ref-counted State shared by the JS object and every run in
// flight. run() copies the input bytes on the JS thread, then runs on a thread of its own
// (EnvRuns below). dispose() marks the state disposed, cancels its runs in flight (they reject
// with KR0301 "disposed during the run") and unloads at once if no run is in flight,
// otherwise when the last run finishes; if the JS object is collected or its environment torn
// down first, the last State owner unloads. So memory is never freed under a running kernel.
// Runs after dispose() reject with KR0301. State is only mutated on the JS thread (or, once its
// environment is gone, destroyed by the last run thread holding it).
#include <napi.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "addon/addon_common.h"
#include "util/contract_generated.h"
#include "kestrel_runtime.h"

namespace {
using namespace kestrel::code;  // the error codes of the generated runtime contract

using namespace kestrel_addon;  // make_error, last_error and the string tensor helpers (addon_common.h)

struct State {
  kestrel_session* session = nullptr;
  int in_flight = 0;
  bool disposed = false;
  // The runs in flight (their ids and tokens), for cancel(id) and dispose().
  std::vector<std::pair<double, std::shared_ptr<kestrel_cancel_token>>> tokens;
  double next_id = 0;  // exact in a double up to 2^53 runs
  ~State() { kestrel_unload(session); }
  void unload() {
    kestrel_unload(session);
    session = nullptr;
  }
  void run_finished(const kestrel_cancel_token* token) {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i].second.get() == token) {
        tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    }
    if (--in_flight == 0 && disposed) unload();
  }
};

class NativeSession : public Napi::ObjectWrap<NativeSession> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeSession",
                       {InstanceMethod("info", &NativeSession::Info),
                        InstanceMethod("run", &NativeSession::Run),
                        InstanceMethod("cancel", &NativeSession::Cancel),
                        InstanceMethod("dispose", &NativeSession::Dispose)});
  }

  explicit NativeSession(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeSession>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) throw make_error(env, kArtifactInvalid, "path must be a string");
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
      if (keys.size() % 32) throw make_error(env, kSignature, "trusted keys must be 32 bytes each");
      o.trusted_keys = keys.data();
      o.trusted_key_count = keys.size() / 32;
    }
    const std::string device = info.Length() > 6 && info[6].IsString() ? info[6].ToString().Utf8Value() : "";
    if (!device.empty()) o.device = device.c_str();  // "cuda:N": GPU artifacts (kestrel_options.device)
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
    if (!state_->session) throw make_error(info.Env(), kDisposed, "the session was disposed");
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("inputs", Ios(info.Env(), 0));
    o.Set("outputs", Ios(info.Env(), 1));
    return o;
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (!state_->disposed) {
      state_->disposed = true;
      for (const auto& t : state_->tokens) kestrel_cancel_token_cancel(t.second.get());
      if (state_->in_flight == 0) state_->unload();
    }
    return info.Env().Undefined();
  }

  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    const double id = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
    for (const auto& t : state_->tokens) {
      if (t.first == id) kestrel_cancel_token_cancel(t.second.get());
    }
    return info.Env().Undefined();
  }

  Napi::Value Run(const Napi::CallbackInfo& info);
};

struct OwnedInput {
  int32_t dtype;
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
  std::vector<std::string> strings;  // dtype string: the JS strings as UTF-8 (read_strings)
  std::vector<kestrel_string> elems;  // ... and their elements, made when the run starts

  kestrel_tensor view() {
    if (dtype == KESTREL_DTYPE_STRING) string_elems(strings, &elems, &data);
    return kestrel_tensor{dtype, dims.size(), dims.data(), data.data(), data.size()};
  }
};

// One input value: a tensor, a sequence (a JS array of tensors) or none (null: an absent optional).
struct OwnedValue {
  int32_t kind = KESTREL_KIND_TENSOR;
  std::vector<OwnedInput> tensors;
};

// One run: its inputs, options and result. Built on the JS thread, executed on its own thread,
// settled on the JS thread (or dropped there or on its thread when the environment is gone).
struct RunJob {
  std::shared_ptr<State> state;  // keeps the C session alive while this run is in flight
  std::vector<OwnedValue> inputs;
  std::shared_ptr<kestrel_cancel_token> token;  // shared with cancel(id) and dispose()
  double id = 0;
  kestrel_run_options options;
  napi_deferred deferred = nullptr;
  kestrel_outputs* outputs = nullptr;
  kestrel_profile* profile = nullptr;  // profiled runs only
  std::string code;  // empty on success
  std::string message;
  ~RunJob() {
    kestrel_outputs_free(outputs);
    kestrel_profile_free(profile);
  }

  void Execute() {
    std::vector<std::vector<kestrel_tensor>> tensors;
    std::vector<kestrel_value> feeds;
    for (OwnedValue& v : inputs) {
      tensors.emplace_back();
      for (OwnedInput& in : v.tensors) {
        tensors.back().push_back(in.view());
      }
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      feeds.push_back(kestrel_value{inputs[i].kind, tensors[i].size(), tensors[i].data()});
    }
    if (kestrel_run_values(state->session, feeds.data(), feeds.size(), &options, &outputs) != KESTREL_OK) {
      code = kestrel_last_error_code();
      message = kestrel_last_error_message();
    }
  }

  void Settle(Napi::Env env) {
    if (code == kCancelled && state->disposed) {
      code = kDisposed;
      message = "the session was disposed during the run (" + message + ")";
    }
    if (!code.empty()) {
      napi_reject_deferred(env, deferred, make_error(env, code, message).Value());
      return;
    }
    const size_t n = kestrel_outputs_count(outputs);
    Napi::Array arr = Napi::Array::New(env, n);
    for (size_t i = 0; i < n; ++i) {
      kestrel_value v;
      kestrel_outputs_value(outputs, i, &v);
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
    if (profile) arr.Set("profile", Napi::String::New(env, kestrel_profile_json(profile)));
    napi_resolve_deferred(env, deferred, arr);
  }

  static Napi::Object Output(Napi::Env env, const kestrel_tensor* t) {
    Napi::Value data = string_array(env, *t);
    if (t->dtype != KESTREL_DTYPE_STRING) {
      Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, t->nbytes);
      if (t->nbytes) std::memcpy(buf.Data(), t->data, t->nbytes);
      data = buf;
    }
    Napi::Array dims = Napi::Array::New(env, t->rank);
    for (size_t d = 0; d < t->rank; ++d) {
      dims.Set(d, Napi::Number::New(env, static_cast<double>(t->dims[d])));
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("dtype", t->dtype);
    o.Set("dims", dims);
    o.Set("data", data);
    return o;
  }
};

// The runs in flight of one environment (the main thread or a worker). Runs execute on detached
// threads of this registry rather than libuv pool threads, because Node joins pool threads at
// process.exit() and waits for pool work before an environment's cleanup hooks run (so neither
// could cancel it). Threads are reused (a new one only when every thread is busy; one idle for
// kIdleExit leaves). Finished runs are queued and handed to the JS thread by a threadsafe
// function, which is referenced only while runs are unsettled (a pending run keeps the process
// alive, an idle session does not). At teardown (Shutdown: the environment's cleanup hook, or
// process 'exit') every run is cancelled and waited for at most kTeardownWait; a run still in a
// kernel then finishes on its thread, holding its State, and is dropped unsettled.
class EnvRuns : public std::enable_shared_from_this<EnvRuns> {
 public:
  static constexpr std::chrono::milliseconds kTeardownWait{50};
  static constexpr std::chrono::seconds kIdleExit{10};

  void Init(Napi::Env env) {
    auto* keep = new std::shared_ptr<EnvRuns>(shared_from_this());  // freed with the function
    napi_status st = napi_create_threadsafe_function(
        env, nullptr, nullptr, Napi::String::New(env, "kestrel.run"), 0, 1, keep,
        [](napi_env, void* data, void*) { delete static_cast<std::shared_ptr<EnvRuns>*>(data); }, this,
        &EnvRuns::Deliver, &tsfn_);
    if (st != napi_ok) {
      delete keep;
      throw make_error(env, kOutOfMemory, "cannot create the run completion queue");
    }
    napi_unref_threadsafe_function(env, tsfn_);
  }

  // JS thread. Queues the run for a thread; the job's promise settles later in Deliver.
  void Start(Napi::Env env, std::shared_ptr<RunJob> job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      active_.insert(job);
      queue_.push_back(job);
      if (queue_.size() > idle_) {
        try {
          std::thread([self = shared_from_this()] { self->Serve(); }).detach();
        } catch (const std::system_error&) {
          active_.erase(job);
          queue_.pop_back();
          throw make_error(env, kOutOfMemory, "cannot start a thread for the run");
        }
      } else {
        work_cv_.notify_one();
      }
    }
    ++job->state->in_flight;
    job->state->tokens.emplace_back(job->id, job->token);
    if (unsettled_++ == 0) napi_ref_threadsafe_function(env, tsfn_);
  }

  // Cancels every run in flight and waits (bounded) for them to stop; `final` also stops
  // delivery (the environment is going away) and drops finished runs unsettled.
  void Shutdown(bool final) {
    std::unique_lock<std::mutex> lock(mu_);
    for (const std::shared_ptr<RunJob>& j : active_) kestrel_cancel_token_cancel(j->token.get());
    cv_.wait_for(lock, kTeardownWait, [this] { return active_.empty(); });
    if (!final || !alive_) return;
    alive_ = false;
    for (const std::shared_ptr<RunJob>& j : queue_) active_.erase(j);
    queue_.clear();
    done_.clear();
    work_cv_.notify_all();
    napi_release_threadsafe_function(tsfn_, napi_tsfn_abort);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;                   // a run finished
  std::condition_variable work_cv_;              // a run was queued, or the environment is gone
  std::deque<std::shared_ptr<RunJob>> queue_;    // waiting for a thread (guarded by mu_)
  size_t idle_ = 0;                              // threads waiting for work (guarded by mu_)
  bool alive_ = true;                            // false once the environment is torn down
  std::set<std::shared_ptr<RunJob>> active_;     // executing (guarded by mu_)
  std::vector<std::shared_ptr<RunJob>> done_;    // executed, not yet settled (guarded by mu_)
  napi_threadsafe_function tsfn_ = nullptr;
  size_t unsettled_ = 0;                         // JS thread only

  // A run thread: executes queued runs until idle for kIdleExit or the environment is gone.
  void Serve() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      ++idle_;
      const bool work = work_cv_.wait_for(lock, kIdleExit, [this] { return !queue_.empty() || !alive_; });
      --idle_;
      if (!work || !alive_) return;
      std::shared_ptr<RunJob> job = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      job->Execute();
      lock.lock();
      Finished(job);
    }
  }

  // A run thread, holding mu_.
  void Finished(const std::shared_ptr<RunJob>& job) {
    active_.erase(job);
    if (alive_) {
      done_.push_back(job);
      napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
    }
    cv_.notify_all();
  }

  // JS thread (env is null when the function itself is being torn down: nothing may be touched).
  static void Deliver(napi_env env, napi_value, void* context, void*) {
    if (!env) return;
    EnvRuns* self = static_cast<EnvRuns*>(context);
    std::vector<std::shared_ptr<RunJob>> jobs;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      jobs.swap(self->done_);
    }
    for (const std::shared_ptr<RunJob>& job : jobs) {
      job->state->run_finished(job->token.get());
      try {
        Napi::HandleScope scope(env);
        job->Settle(Napi::Env(env));
      } catch (...) {
        // environment shutting down: nobody is left to observe the promise
      }
    }
    self->unsettled_ -= jobs.size();
    if (!jobs.empty() && self->unsettled_ == 0) napi_unref_threadsafe_function(env, self->tsfn_);
  }
};

OwnedInput convert_input(Napi::Env env, const Napi::Value& v, uint32_t index) {
  const std::string where = "input #" + std::to_string(index);
  if (!v.IsObject()) throw make_error(env, kInputData, where + " is not an object");
  Napi::Object o = v.As<Napi::Object>();
  OwnedInput in;
  in.dtype = o.Get("dtype").As<Napi::Number>().Int32Value();
  Napi::Value dims = o.Get("dims");
  if (!dims.IsArray()) throw make_error(env, kInputData, where + ": dims must be an array");
  Napi::Array d = dims.As<Napi::Array>();
  for (uint32_t k = 0; k < d.Length(); ++k) in.dims.push_back(d.Get(k).As<Napi::Number>().Int64Value());
  Napi::Value data = o.Get("data");
  if (in.dtype == KESTREL_DTYPE_STRING) {
    read_strings(env, data, where, &in.strings);
    return in;
  }
  if (!data.IsTypedArray()) throw make_error(env, kInputData, where + ": data must be a TypedArray");
  Napi::TypedArray ta = data.As<Napi::TypedArray>();
  const uint8_t* p = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  in.data.assign(p, p + ta.ByteLength());
  return in;
}

Napi::Value NativeSession::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!state_->session || state_->disposed) throw make_error(env, kDisposed, "the session was disposed");
  if (info.Length() < 1 || !info[0].IsArray()) throw make_error(env, kInputNames, "run expects an array");
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
  if (!token) throw make_error(env, kOutOfMemory, "out of memory");
  auto job = std::make_shared<RunJob>();
  job->state = state_;
  job->inputs = std::move(inputs);
  job->token = token;
  job->id = state_->next_id++;
  kestrel_run_options_init(&job->options);
  job->options.max_iterations = arg_u64(info, 1);
  job->options.cancel = token.get();
  if (info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value()) {
    job->profile = kestrel_profile_new();
    job->options.profile = job->profile;
  }
  napi_value promise_value;
  if (napi_create_promise(env, &job->deferred, &promise_value) != napi_ok) throw Napi::Error::New(env);
  Napi::Promise promise(env, promise_value);
  promise.Set("id", Napi::Number::New(env, job->id));
  env.GetInstanceData<std::shared_ptr<EnvRuns>>()->get()->Start(env, job);
  return promise;
}

// Per environment: the run registry (instance data), cancelled and released by the environment's
// cleanup hook (worker.terminate(), environment teardown) and cancelled at process 'exit'
// (process.exit() runs no cleanup hooks on the main thread, and a run must not keep computing
// while the process destroys its statics).
void InitRuns(Napi::Env env) {
  auto runs = std::make_shared<EnvRuns>();
  runs->Init(env);
  env.SetInstanceData(new std::shared_ptr<EnvRuns>(runs));
  env.AddCleanupHook([runs] { runs->Shutdown(true); });
  Napi::Object process = env.Global().Get("process").As<Napi::Object>();
  std::weak_ptr<EnvRuns> weak = runs;
  Napi::Function on_exit = Napi::Function::New(env, [weak](const Napi::CallbackInfo& ci) -> Napi::Value {
    if (auto r = weak.lock()) r->Shutdown(false);
    return ci.Env().Undefined();
  }, "kestrelCancelRuns");
  process.Get("on").As<Napi::Function>().Call(process, {Napi::String::New(env, "exit"), on_exit});
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitRuns(env);
  exports.Set("NativeSession", NativeSession::Define(env));
  exports.Set("inspect", Napi::Function::New(env, kestrel_addon::Inspect));
  return exports;
}

}  // namespace

NODE_API_MODULE(kestrel_runtime, Init)
