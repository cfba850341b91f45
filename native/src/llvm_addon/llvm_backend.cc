// LLVM 14 backend: textual LLVM IR -> verified module -> new-pass-manager O0..O3 pipeline ->
// object file or assembly for a (triple, cpu, features) TargetMachine; in one call (compileIR)
// or step by step on a ModuleHandle (parse+verify, optimise, print, emit) for the pipeline.
//
// AddressSanitizer (CompileOptions.sanitizeAddress, for `npm run test:asan`): after the O-level
// pipeline, as clang places it, every defined function gets `sanitize_address` and LLVM 14's
// function pass (AddressSanitizerPass) checks each load, store and memory intrinsic against the
// shadow memory of the process. Only the function pass runs: the module pass would add
// asan.module_ctor to llvm.global_ctors (it calls __asan_init and registers instrumented
// globals), and an artifact may have no initialisers (the loader refuses them). The ASan runtime
// is initialised by the sanitised process that loads the artifact; the object leaves
// __asan_report_*, __asan_mem* undefined for ld.so to bind to it (x86-64 and AArch64 Linux use a
// constant shadow offset, so no shadow-base global is referenced). Stack use-after-return is off
// (it would reference the runtime's option global and fake stacks); globals carry no redzones.
//
// Requires: the IR was written for LLVM 14 (typed pointers). Guarantees: no LLVM call here
// aborts the process on bad IR — parse and verifier errors are returned as text. Each call uses
// its own LLVMContext, so concurrent calls from different threads do not share state; the target
// registry is initialised exactly once (std::call_once).
#include "llvm_addon/llvm_backend.h"

#include <algorithm>
#include <memory>
#include <mutex>

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Triple.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/IRReader/IRReader.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/AArch64TargetParser.h"
#include "llvm/Support/Host.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/X86TargetParser.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/Transforms/Instrumentation/AddressSanitizer.h"
#include "llvm/Transforms/Instrumentation/AddressSanitizerOptions.h"
#include "util/cpu_features.h"

namespace kestrel_llvm {

void initTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    llvm::InitializeAllAsmParsers();
  });
}

HostInfo hostInfo() {
  HostInfo info;
  info.cpu = llvm::sys::getHostCPUName().str();
  info.triple = llvm::sys::getDefaultTargetTriple();
  llvm::StringMap<bool> feats;
  if (llvm::sys::getHostCPUFeatures(feats)) {
    for (const auto& f : feats) {
      if (!info.features.empty()) info.features += ",";
      info.features += (f.getValue() ? "+" : "-") + f.getKey().str();
    }
  }
  return info;
}

namespace {

std::unique_ptr<llvm::TargetMachine> makeTargetMachine(const std::string& triple,
                                                       const std::string& cpu,
                                                       const std::string& features, int optLevel,
                                                       std::string* err) {
  initTargets();
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple, *err);
  if (!target) return nullptr;
  llvm::TargetOptions options;
  // Contraction is decided per instruction by the IR's `contract` flags, not globally.
  options.AllowFPOpFusion = llvm::FPOpFusion::Standard;
  llvm::CodeGenOpt::Level level = optLevel >= 3   ? llvm::CodeGenOpt::Aggressive
                                  : optLevel == 0 ? llvm::CodeGenOpt::None
                                                  : llvm::CodeGenOpt::Default;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, cpu, features, options, llvm::Reloc::PIC_, llvm::None, level));
}

llvm::OptimizationLevel toLevel(int optLevel) {
  switch (optLevel) {
    case 1: return llvm::OptimizationLevel::O1;
    case 2: return llvm::OptimizationLevel::O2;
    default: return llvm::OptimizationLevel::O3;
  }
}

void optimize(llvm::Module& mod, llvm::TargetMachine* tm, int optLevel) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions pto;
  pto.LoopVectorization = optLevel >= 2;
  pto.SLPVectorization = optLevel >= 2;
  llvm::PassBuilder pb(tm, pto);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm = optLevel == 0
                                    ? pb.buildO0DefaultPipeline(llvm::OptimizationLevel::O0)
                                    : pb.buildPerModuleDefaultPipeline(toLevel(optLevel));
  mpm.run(mod, mam);
}

void instrumentAddress(llvm::Module& mod, llvm::TargetMachine* tm) {
  for (llvm::Function& f : mod) {
    if (!f.isDeclaration()) f.addFnAttr(llvm::Attribute::SanitizeAddress);
  }
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(tm);
  mam.registerPass([] { return llvm::ASanGlobalsMetadataAnalysis(); });  // the function pass needs it
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::AddressSanitizerOptions opts;
  opts.UseAfterReturn = llvm::AsanDetectStackUseAfterReturnMode::Never;
  llvm::ModulePassManager mpm;
  mpm.addPass(llvm::RequireAnalysisPass<llvm::ASanGlobalsMetadataAnalysis, llvm::Module>());
  mpm.addPass(llvm::createModuleToFunctionPassAdaptor(llvm::AddressSanitizerPass(opts)));
  mpm.run(mod, mam);
}

}  // namespace

// Shared with llvm_data.cc: runs codegen for `mod` on `tm` into `out`.
std::string emitModule(llvm::Module& mod, llvm::TargetMachine* tm, bool assembly,
                       std::string* out) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager cpm;
  auto kind = assembly ? llvm::CGFT_AssemblyFile : llvm::CGFT_ObjectFile;
  if (tm->addPassesToEmitFile(cpm, os, nullptr, kind)) {
    return "target machine cannot emit this file type";
  }
  cpm.run(mod);
  out->assign(buffer.data(), buffer.size());
  return "";
}

std::unique_ptr<llvm::TargetMachine> targetMachineFor(const std::string& triple,
                                                      const std::string& cpu,
                                                      const std::string& features, int optLevel,
                                                      std::string* err) {
  return makeTargetMachine(triple, cpu, features, optLevel, err);
}

struct ModuleHandle {
  std::unique_ptr<llvm::TargetMachine> tm;
  llvm::LLVMContext ctx;  // declared before `mod`, so it outlives it
  std::unique_ptr<llvm::Module> mod;
  int optLevel = 3;
  bool sanitizeAddress = false;
  bool optimized = false, emitted = false;
};

void ModuleHandleDeleter::operator()(ModuleHandle* h) const { delete h; }

std::string parseModule(const CompileOptions& opts, ModulePtr* out) {
  std::string err;
  ModulePtr h(new ModuleHandle());
  h->tm = makeTargetMachine(opts.triple, opts.cpu, opts.features, opts.optLevel, &err);
  if (!h->tm) return "no target for '" + opts.triple + "': " + err;
  h->optLevel = opts.optLevel;
  h->sanitizeAddress = opts.sanitizeAddress;
  llvm::SMDiagnostic diag;
  auto buf = llvm::MemoryBuffer::getMemBuffer(opts.ir, "kestrel-module", false);
  h->mod = llvm::parseIR(buf->getMemBufferRef(), diag, h->ctx);
  if (!h->mod) {
    llvm::raw_string_ostream os(err);
    diag.print("kestrel-module", os, false);
    return "LLVM IR parse error: " + os.str();
  }
  {
    llvm::raw_string_ostream os(err);
    if (llvm::verifyModule(*h->mod, &os)) return "LLVM IR verifier error: " + os.str();
  }
  h->mod->setTargetTriple(opts.triple);
  h->mod->setDataLayout(h->tm->createDataLayout());
  *out = std::move(h);
  return "";
}

std::string optimizeModule(ModuleHandle& h) {
  if (h.optimized || h.emitted) return "module already optimised or emitted";
  optimize(*h.mod, h.tm.get(), h.optLevel);
  if (h.sanitizeAddress) instrumentAddress(*h.mod, h.tm.get());
  h.optimized = true;
  return "";
}

std::string printModule(ModuleHandle& h, std::string* out) {
  llvm::raw_string_ostream os(*out);
  h.mod->print(os, nullptr);
  os.flush();
  return "";
}

std::string emitModuleFile(ModuleHandle& h, bool assembly, std::string* out) {
  if (h.emitted) return "module already emitted";
  h.emitted = true;
  return emitModule(*h.mod, h.tm.get(), assembly, out);
}

std::string compileIR(const CompileOptions& opts, std::string* out) {
  ModulePtr h;
  std::string err = parseModule(opts, &h);
  if (err.empty()) err = optimizeModule(*h);
  if (err.empty()) err = emitModuleFile(*h, opts.assembly, out);
  return err;
}

// Every feature the (cpu, features) pair enables, implied ones included (x86-64-v3 implies bmi,
// lzcnt, movbe...: LLVM's X86 target parser, as clang uses it), kept where the runtime's table
// (cpu_features.h) can check it on a host. AArch64: the '+' features of the string (host builds
// list every detected feature there), and fp-armv8 with neon.
std::string requiredFeatures(const std::string& triple, const std::string& cpu,
                             const std::string& features, std::vector<std::string>* out) {
  const llvm::Triple t(triple);
  const bool x86 = t.getArch() == llvm::Triple::x86_64;
  if (!x86 && t.getArch() != llvm::Triple::aarch64) return "";  // GPU targets: nothing to check
  llvm::StringMap<bool> on;
  if (x86) {
    llvm::SmallVector<llvm::StringRef, 64> base;
    llvm::X86::getFeaturesForCPU(cpu, base);
    for (llvm::StringRef f : base) {
      on[f] = true;  // updateImpliedFeatures sets what `f` implies, not `f` itself
      llvm::X86::updateImpliedFeatures(f, true, on);
    }
  } else {
    // A named AArch64 CPU (neoverse-n1) implies extensions (dotprod, rcpc, ...) that LLVM uses.
    const llvm::AArch64::ArchKind ak = llvm::AArch64::parseCPUArch(cpu);
    std::vector<llvm::StringRef> implied;
    if (ak != llvm::AArch64::ArchKind::INVALID &&
        llvm::AArch64::getExtensionFeatures(llvm::AArch64::getDefaultExtensions(cpu, ak), implied)) {
      for (llvm::StringRef f : implied) {
        if (f.startswith("+")) on[f.drop_front()] = true;
      }
    }
  }
  llvm::SmallVector<llvm::StringRef, 64> parts;
  llvm::StringRef(features).split(parts, ',', -1, false);
  for (llvm::StringRef f : parts) {
    const bool enable = f.startswith("+");
    if (!enable && !f.startswith("-")) continue;
    on[f.drop_front()] = enable;
    if (x86) llvm::X86::updateImpliedFeatures(f.drop_front(), enable, on);
  }
  if (!x86 && on.lookup("neon")) on["fp-armv8"] = true;
  const std::string arch = x86 ? "x86_64" : "aarch64";
  for (const auto& f : on) {
    if (f.getValue() && kestrel::cpu_feature_known(arch, f.getKey().str())) out->push_back(f.getKey().str());
  }
  std::sort(out->begin(), out->end());
  return "";
}

}  // namespace kestrel_llvm
