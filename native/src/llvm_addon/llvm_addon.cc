// N-API binding of the LLVM backend. It only converts arguments: JS objects -> the plain C++
// API in llvm_backend.h, results -> Buffers/strings. Backend failures become JS Errors whose
// `code` is 'KC0901' and whose message carries the LLVM diagnostic.
#include <napi.h>

#include "llvm_addon/llvm_backend.h"

namespace {

using kestrel_llvm::CompileOptions;

[[noreturn]] void throwBackend(Napi::Env env, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, "KC0901: " + message);
  e.Set("code", Napi::String::New(env, "KC0901"));
  throw e;
}

std::string str(const Napi::Object& o, const char* key, const std::string& def = "") {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : def;
}

uint64_t toU64(Napi::Value v) {
  if (v.IsBigInt()) {
    bool lossless = true;
    return v.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  return static_cast<uint64_t>(v.As<Napi::Number>().Int64Value());
}

CompileOptions compileOptions(const Napi::CallbackInfo& info, bool assembly) {
  if (info.Length() < 1 || !info[0].IsObject()) {
    throw Napi::TypeError::New(info.Env(), "compileIR expects an options object");
  }
  Napi::Object o = info[0].As<Napi::Object>();
  CompileOptions opts;
  opts.ir = str(o, "ir");
  opts.triple = str(o, "triple");
  opts.cpu = str(o, "cpu", "generic");
  opts.features = str(o, "features");
  Napi::Value lvl = o.Get("optLevel");
  opts.optLevel = lvl.IsNumber() ? lvl.As<Napi::Number>().Int32Value() : 3;
  opts.assembly = assembly || o.Get("assembly").ToBoolean().Value();
  opts.sanitizeAddress = str(o, "sanitize") == "address";
  return opts;
}

Napi::Value HostInfo(const Napi::CallbackInfo& info) {
  kestrel_llvm::HostInfo h = kestrel_llvm::hostInfo();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("cpu", h.cpu);
  o.Set("features", h.features);
  o.Set("triple", h.triple);
  return o;
}

Napi::Value Compile(const Napi::CallbackInfo& info, bool assembly) {
  CompileOptions opts = compileOptions(info, assembly);
  std::string out;
  std::string err = kestrel_llvm::compileIR(opts, &out);
  if (!err.empty()) throwBackend(info.Env(), err);
  if (opts.assembly) return Napi::String::New(info.Env(), out);
  return Napi::Buffer<char>::Copy(info.Env(), out.data(), out.size());
}

Napi::Value CompileIR(const Napi::CallbackInfo& info) { return Compile(info, false); }

// Module handles: an External owning a kestrel_llvm::ModuleHandle, freed by the GC or dispose().
using kestrel_llvm::ModuleHandle;
using kestrel_llvm::ModulePtr;

ModuleHandle& handleOf(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "expected an LLVM module handle");
  }
  auto* p = info[0].As<Napi::External<ModulePtr>>().Data();
  if (!*p) throw Napi::Error::New(info.Env(), "LLVM module handle used after dispose");
  return **p;
}

Napi::Value ParseModule(const Napi::CallbackInfo& info) {
  CompileOptions opts = compileOptions(info, false);
  auto* h = new ModulePtr();
  std::string err = kestrel_llvm::parseModule(opts, h);
  if (!err.empty()) {
    delete h;
    throwBackend(info.Env(), err);
  }
  return Napi::External<ModulePtr>::New(info.Env(), h, [](Napi::Env, ModulePtr* p) { delete p; });
}

Napi::Value OptimizeModule(const Napi::CallbackInfo& info) {
  std::string err = kestrel_llvm::optimizeModule(handleOf(info));
  if (!err.empty()) throwBackend(info.Env(), err);
  return info.Env().Undefined();
}

Napi::Value PrintModule(const Napi::CallbackInfo& info) {
  std::string out;
  std::string err = kestrel_llvm::printModule(handleOf(info), &out);
  if (!err.empty()) throwBackend(info.Env(), err);
  return Napi::String::New(info.Env(), out);
}

Napi::Value EmitModuleObject(const Napi::CallbackInfo& info) {
  std::string out;
  std::string err = kestrel_llvm::emitModuleFile(handleOf(info), false, &out);
  if (!err.empty()) throwBackend(info.Env(), err);
  return Napi::Buffer<char>::Copy(info.Env(), out.data(), out.size());
}

// Frees the module now (the External's finalizer then has nothing left to free).
Napi::Value DisposeModule(const Napi::CallbackInfo& info) {
  if (info.Length() >= 1 && info[0].IsExternal()) info[0].As<Napi::External<ModulePtr>>().Data()->reset();
  return info.Env().Undefined();
}
Napi::Value EmitAsm(const Napi::CallbackInfo& info) { return Compile(info, true); }

Napi::Value EmitDataObject(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) {
    throw Napi::TypeError::New(info.Env(), "emitDataObject expects an options object");
  }
  Napi::Object o = info[0].As<Napi::Object>();
  std::vector<kestrel_llvm::DataSection> sections;
  Napi::Array secs = o.Get("sections").As<Napi::Array>();
  for (uint32_t i = 0; i < secs.Length(); i++) {
    Napi::Object s = secs.Get(i).As<Napi::Object>();
    Napi::Uint8Array bytes = s.Get("bytes").As<Napi::Uint8Array>();
    kestrel_llvm::DataSection d;
    d.symbol = str(s, "symbol");
    d.section = str(s, "section");
    d.bytes = bytes.Data();
    d.size = bytes.ByteLength();
    Napi::Value align = s.Get("align");
    d.align = align.IsNumber() ? align.As<Napi::Number>().Uint32Value() : 1;
    sections.push_back(d);
  }
  std::vector<kestrel_llvm::DataExport> exports;
  Napi::Value ex = o.Get("exports");
  Napi::Array exArr = ex.IsArray() ? ex.As<Napi::Array>() : Napi::Array::New(info.Env());
  for (uint32_t i = 0; i < exArr.Length(); i++) {
    Napi::Object e = exArr.Get(i).As<Napi::Object>();
    exports.push_back({str(e, "symbol"), toU64(e.Get("value"))});
  }
  std::string out;
  std::string err = kestrel_llvm::emitDataObject(str(o, "triple"), sections, exports, &out);
  if (!err.empty()) throwBackend(info.Env(), err);
  return Napi::Buffer<char>::Copy(info.Env(), out.data(), out.size());
}

Napi::Value RequiredFeatures(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) {
    throw Napi::TypeError::New(info.Env(), "requiredFeatures expects { triple, cpu, features }");
  }
  Napi::Object o = info[0].As<Napi::Object>();
  std::vector<std::string> names;
  std::string err = kestrel_llvm::requiredFeatures(str(o, "triple"), str(o, "cpu", "generic"),
                                                   str(o, "features"), &names);
  if (!err.empty()) throwBackend(info.Env(), err);
  Napi::Array out = Napi::Array::New(info.Env(), names.size());
  for (size_t i = 0; i < names.size(); ++i) out.Set(static_cast<uint32_t>(i), names[i]);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("requiredFeatures", Napi::Function::New(env, RequiredFeatures));
  exports.Set("hostInfo", Napi::Function::New(env, HostInfo));
  exports.Set("compileIR", Napi::Function::New(env, CompileIR));
  exports.Set("emitAsm", Napi::Function::New(env, EmitAsm));
  exports.Set("parseModule", Napi::Function::New(env, ParseModule));
  exports.Set("optimizeModule", Napi::Function::New(env, OptimizeModule));
  exports.Set("printModule", Napi::Function::New(env, PrintModule));
  exports.Set("emitModuleObject", Napi::Function::New(env, EmitModuleObject));
  exports.Set("disposeModule", Napi::Function::New(env, DisposeModule));
  exports.Set("emitDataObject", Napi::Function::New(env, EmitDataObject));
  return exports;
}

}  // namespace

NODE_API_MODULE(kestrel_llvm, Init)
