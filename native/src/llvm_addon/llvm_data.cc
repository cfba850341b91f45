// Constant-data objects: a module holding only constant globals (weights, bytecode, manifest)
// and i64 size/value globals, emitted as an ELF object for the artifact.
//
// Requires: symbols are valid C identifiers, align is a power of two. Guarantees: bytes are
// copied with ConstantDataArray::getRaw (one memcpy, no per-element Constants), so tens of MB
// are cheap; every global has external linkage and default visibility so dlsym finds it.
#include <memory>

#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm_addon/llvm_backend.h"

namespace kestrel_llvm {

std::string emitModule(llvm::Module& mod, llvm::TargetMachine* tm, bool assembly,
                       std::string* out);
std::unique_ptr<llvm::TargetMachine> targetMachineFor(const std::string& triple,
                                                      const std::string& cpu,
                                                      const std::string& features, int optLevel,
                                                      std::string* err);

namespace {

void addBytes(llvm::Module& mod, const DataSection& s) {
  llvm::LLVMContext& ctx = mod.getContext();
  auto* i8 = llvm::Type::getInt8Ty(ctx);
  llvm::StringRef raw(reinterpret_cast<const char*>(s.bytes), s.size);
  llvm::Constant* init = llvm::ConstantDataArray::getRaw(raw, s.size, i8);
  auto* gv = new llvm::GlobalVariable(mod, init->getType(), true,
                                      llvm::GlobalValue::ExternalLinkage, init, s.symbol);
  gv->setAlignment(llvm::MaybeAlign(s.align ? s.align : 1));
  if (!s.section.empty()) gv->setSection(s.section);
}

void addValue(llvm::Module& mod, const DataExport& e) {
  auto* i64 = llvm::Type::getInt64Ty(mod.getContext());
  auto* gv = new llvm::GlobalVariable(mod, i64, true, llvm::GlobalValue::ExternalLinkage,
                                      llvm::ConstantInt::get(i64, e.value), e.symbol);
  gv->setAlignment(llvm::MaybeAlign(8));
}

}  // namespace

std::string emitDataObject(const std::string& triple, const std::vector<DataSection>& sections,
                           const std::vector<DataExport>& exports, std::string* out) {
  std::string err;
  auto tm = targetMachineFor(triple, "generic", "", 0, &err);
  if (!tm) return "no target for '" + triple + "': " + err;
  llvm::LLVMContext ctx;
  llvm::Module mod("kestrel-data", ctx);
  mod.setTargetTriple(triple);
  mod.setDataLayout(tm->createDataLayout());
  for (const auto& s : sections) addBytes(mod, s);
  for (const auto& e : exports) addValue(mod, e);
  return emitModule(mod, tm.get(), false, out);
}

}  // namespace kestrel_llvm
