// LLVM-dialect module -> LLVM IR with a C entry point -> optimized -> object file.
#include "compiler/aot_object.h"

#include <algorithm>
#include <limits>
#include <mutex>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Export.h"

namespace strata {

namespace {

void InitializeLlvmOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

std::string ToString(llvm::Error e) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << e;
  return s;
}

// What JIT-compiled code binds at run time (compiler/jit.cc) -> what the AOT runtime exports
// (runtime/aot/abi.h).
constexpr std::pair<const char*, const char*> kRuntimeRenames[] = {
    {"_mlir_memref_to_llvm_alloc", "strata_aot_alloc"},
    {"_mlir_memref_to_llvm_aligned_alloc", "strata_aot_aligned_alloc"},
    {"_mlir_memref_to_llvm_free", "strata_aot_free"},
    {"strata_parallel_for", "strata_aot_parallel_for"},
};

// Undefined symbols an AOT object may have: the AOT runtime, libc's mem* functions, libm,
// libgcc's half-precision conversions (LLVM emits calls to them where the CPU lacks F16C), and
// the GOT that position-independent code refers to.
bool IsProvidedSymbol(const std::string& name) {
  static const std::set<std::string>* provided = new std::set<std::string>{
      "strata_aot_alloc", "strata_aot_aligned_alloc", "strata_aot_free", "strata_aot_parallel_for",
      "memcpy", "memmove", "memset", "__extendhfsf2", "__truncsfhf2", "__truncdfhf2", "_GLOBAL_OFFSET_TABLE_",
      "exp", "expf", "exp2", "exp2f", "expm1", "expm1f", "log", "logf", "log2", "log2f", "log10", "log10f",
      "log1p", "log1pf", "pow", "powf", "sqrt", "sqrtf", "cbrt", "cbrtf", "sin", "sinf", "cos", "cosf", "tan",
      "tanf", "asin", "asinf", "acos", "acosf", "atan", "atanf", "atan2", "atan2f", "sinh", "sinhf", "cosh",
      "coshf", "tanh", "tanhf", "asinh", "asinhf", "acosh", "acoshf", "atanh", "atanhf", "erf", "erff", "erfc",
      "erfcf", "tgamma", "tgammaf", "lgamma", "lgammaf", "floor", "floorf", "ceil", "ceilf", "round", "roundf",
      "roundeven", "roundevenf", "trunc", "truncf", "rint", "rintf", "nearbyint", "nearbyintf", "fmod", "fmodf",
      "fabs", "fabsf", "copysign", "copysignf", "fmin", "fminf", "fmax", "fmaxf", "fma", "fmaf", "ldexp",
      "ldexpf", "frexp", "frexpf", "sincos", "sincosf"};
  return provided->count(name) > 0;
}

int VectorBitsOf(const llvm::MCSubtargetInfo& sti) {
  if (sti.checkFeatures("+avx512f")) return 512;
  if (sti.checkFeatures("+avx2,+fma")) return 256;
  return 128;
}

// Row-major strides as the compiled code expects them (size-0 dims count as 1).
std::vector<int64_t> RowMajorStrides(const Shape& shape) {
  std::vector<int64_t> strides(shape.rank(), 1);
  for (int d = shape.rank() - 2; d >= 0; --d) strides[d] = strides[d + 1] * std::max<int64_t>(shape.dim(d + 1), 1);
  return strides;
}

// Builds `layout.entry_symbol` in `m` around the compiled function.
absl::Status BuildEntry(llvm::Module& m, const AotEntryLayout& layout) {
  llvm::LLVMContext& ctx = m.getContext();
  llvm::Function* fn = m.getFunction(layout.function);
  if (fn == nullptr || fn->isDeclaration()) {
    return absl::InternalError(absl::StrCat("AOT: the compiled function '", layout.function, "' is missing"));
  }
  if (m.getNamedValue(layout.entry_symbol) != nullptr) {
    return absl::InternalError(absl::StrCat("AOT: symbol '", layout.entry_symbol, "' exists already"));
  }
  llvm::Type* ptr = llvm::PointerType::get(ctx, 0);
  llvm::Type* i64 = llvm::Type::getInt64Ty(ctx);
  llvm::Type* i8 = llvm::Type::getInt8Ty(ctx);
  llvm::Type* i32 = llvm::Type::getInt32Ty(ctx);
  auto* type = llvm::FunctionType::get(i32, {ptr, ptr, ptr, ptr, ptr}, /*isVarArg=*/false);
  llvm::Function* entry = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage, layout.entry_symbol, m);
  entry->addFnAttr(llvm::Attribute::NoUnwind);
  llvm::Value* args = entry->getArg(0);
  llvm::Value* results = entry->getArg(1);
  llvm::Value* scratch = entry->getArg(3);
  llvm::Value* bad_value = entry->getArg(4);

  llvm::Value* weights = entry->getArg(2);
  if (layout.embed_weights) {
    if (layout.weights != nullptr && !layout.weights->empty()) {
      auto* data = llvm::ConstantDataArray::getRaw(*layout.weights, layout.weights->size(), i8);
      auto* global = new llvm::GlobalVariable(m, data->getType(), /*isConstant=*/true, llvm::GlobalValue::InternalLinkage,
                                              data, absl::StrCat(layout.entry_symbol, ".weights"));
      global->setAlignment(llvm::Align(64));
      global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
      weights = global;
    } else {
      weights = llvm::ConstantPointerNull::get(llvm::PointerType::get(ctx, 0));
    }
  }

  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
  auto load_slot = [&](llvm::Value* array, int64_t i) -> llvm::Value* {
    return b.CreateLoad(ptr, b.CreateConstInBoundsGEP1_64(ptr, array, i));
  };
  auto byte_at = [&](llvm::Value* base, int64_t offset) -> llvm::Value* {
    return b.CreateConstInBoundsGEP1_64(i8, base, offset);
  };

  std::vector<llvm::Value*> call_args;
  for (const AotEntryLayout::Operand& op : layout.operands) {
    llvm::Value* p = nullptr;
    switch (op.kind) {
      case AotEntryLayout::Operand::kArg: p = load_slot(args, op.index); break;
      case AotEntryLayout::Operand::kResult: p = load_slot(results, op.index); break;
      case AotEntryLayout::Operand::kWeights: p = byte_at(weights, op.index); break;
      case AotEntryLayout::Operand::kScratch: p = byte_at(scratch, op.index); break;
    }
    // The expanded memref descriptor: allocated, aligned, offset, sizes, strides.
    call_args.push_back(p);
    call_args.push_back(p);
    call_args.push_back(llvm::ConstantInt::get(i64, 0));
    for (int d = 0; d < op.shape.rank(); ++d) call_args.push_back(llvm::ConstantInt::get(i64, op.shape.dim(d)));
    for (int64_t s : RowMajorStrides(op.shape)) call_args.push_back(llvm::ConstantInt::get(i64, s));
  }
  llvm::FunctionType* fn_type = fn->getFunctionType();
  if (fn_type->getNumParams() != call_args.size()) {
    return absl::InternalError(absl::StrCat("AOT: the compiled function takes ", fn_type->getNumParams(),
                                            " parameters, the entry point passes ", call_args.size()));
  }
  for (size_t i = 0; i < call_args.size(); ++i) {
    if (fn_type->getParamType(i) != call_args[i]->getType()) {
      return absl::InternalError(absl::StrCat("AOT: parameter ", i, " of the compiled function has an unexpected type"));
    }
  }
  b.CreateCall(fn, call_args);

  for (const AotEntryLayout::Copy& c : layout.copies) {
    llvm::Value* from = nullptr;
    switch (c.from) {
      case AotEntryLayout::Copy::kArg: from = load_slot(args, c.index); break;
      case AotEntryLayout::Copy::kResult: from = load_slot(results, c.index); break;
      case AotEntryLayout::Copy::kWeights: from = byte_at(weights, c.index); break;
    }
    if (c.bytes > 0) b.CreateMemCpy(load_slot(results, c.to_result), llvm::MaybeAlign(1), from, llvm::MaybeAlign(1), c.bytes);
  }

  for (int i = 0; i < layout.num_checks; ++i) {
    llvm::Value* flag = b.CreateLoad(i64, byte_at(scratch, layout.check_flags_offset + 8 * i));
    llvm::Value* failed = b.CreateICmpNE(flag, llvm::ConstantInt::get(i64, std::numeric_limits<int64_t>::max()));
    auto* report = llvm::BasicBlock::Create(ctx, "check_failed", entry);
    auto* next = llvm::BasicBlock::Create(ctx, "check_passed", entry);
    b.CreateCondBr(failed, report, next);
    b.SetInsertPoint(report);
    b.CreateStore(flag, bad_value);
    b.CreateRet(llvm::ConstantInt::get(i32, i + 1));
    b.SetInsertPoint(next);
  }
  b.CreateRet(llvm::ConstantInt::get(i32, 0));
  return absl::OkStatus();
}

absl::Status CheckUndefinedSymbols(const std::string& object) {
  auto file = llvm::object::ObjectFile::createObjectFile(llvm::MemoryBufferRef(object, "aot.o"));
  if (!file) return absl::InternalError(absl::StrCat("AOT: cannot read back the object: ", ToString(file.takeError())));
  std::vector<std::string> missing;
  for (const llvm::object::SymbolRef& sym : (*file)->symbols()) {
    llvm::Expected<uint32_t> flags = sym.getFlags();
    if (!flags) return absl::InternalError(ToString(flags.takeError()));
    if (!(*flags & llvm::object::SymbolRef::SF_Undefined)) continue;
    llvm::Expected<llvm::StringRef> name = sym.getName();
    if (!name) return absl::InternalError(ToString(name.takeError()));
    if (name->empty() || IsProvidedSymbol(name->str())) continue;
    missing.push_back(name->str());
  }
  if (!missing.empty()) {
    return absl::InternalError(absl::StrCat("AOT: the compiled code calls ", absl::StrJoin(missing, ", "),
                                            ", which neither the AOT runtime nor libc/libm provides"));
  }
  return absl::OkStatus();
}

}  // namespace

AotLlvmCode::AotLlvmCode() = default;
AotLlvmCode::~AotLlvmCode() {
  module.reset();  // before its context
}
AotLlvmCode::AotLlvmCode(AotLlvmCode&&) noexcept = default;

absl::StatusOr<AotTarget> ResolveAotTarget(const std::string& cpu, int opt_level) {
  InitializeLlvmOnce();
  AotTarget target;
  target.triple = llvm::sys::getDefaultTargetTriple();
  std::string error;
  const llvm::Target* t = llvm::TargetRegistry::lookupTarget(target.triple, error);
  if (t == nullptr) return absl::InternalError(absl::StrCat("AOT: no LLVM target for ", target.triple, ": ", error));
  if (cpu == "native" || cpu.empty()) {
    target.cpu = llvm::sys::getHostCPUName().str();
    std::vector<std::string> on;
    for (const auto& f : llvm::sys::getHostCPUFeatures()) {
      if (f.getValue()) on.push_back(absl::StrCat("+", f.getKey().str()));
    }
    std::sort(on.begin(), on.end());
    target.features = absl::StrJoin(on, ",");
  } else {
    // Asked of a generic subtarget: one made for an unknown CPU complains on stderr.
    std::unique_ptr<llvm::MCSubtargetInfo> sti(t->createMCSubtargetInfo(target.triple, "", ""));
    if (sti == nullptr || !sti->isCPUStringValid(cpu)) {
      return absl::InvalidArgumentError(absl::StrCat("compile: unknown --target_cpu '", cpu,
                                                     "' (try native, x86-64-v2, x86-64-v3, x86-64-v4, or an LLVM CPU name such as skylake-avx512)"));
    }
    target.cpu = cpu;
  }
  llvm::TargetOptions options;
  const llvm::CodeGenOptLevel level = opt_level >= 3 ? llvm::CodeGenOptLevel::Aggressive : llvm::CodeGenOptLevel::Default;
  target.machine.reset(t->createTargetMachine(target.triple, target.cpu, target.features, options, llvm::Reloc::PIC_,
                                              std::nullopt, level));
  if (target.machine == nullptr) return absl::InternalError(absl::StrCat("AOT: no target machine for ", target.cpu));
  const llvm::MCSubtargetInfo& sti = *target.machine->getMCSubtargetInfo();
  target.vector_bits = VectorBitsOf(sti);
  if (cpu == "native" || cpu.empty()) {
    target.host_can_run = true;
  } else {
    // The host's instruction-set features (cpuid), on or off; tuning features are not among them.
    target.host_can_run = true;
    for (const auto& f : llvm::sys::getHostCPUFeatures()) {
      if (!f.getValue() && sti.checkFeatures(absl::StrCat("+", f.getKey().str()))) target.host_can_run = false;
    }
  }
  return target;
}

absl::StatusOr<AotLlvmCode> EmitAotObject(mlir::ModuleOp module, const AotEntryLayout& layout, const AotTarget& target,
                                          int opt_level, bool keep_module) {
  AotLlvmCode code;
  code.context = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> m = mlir::translateModuleToLLVMIR(module, *code.context, layout.entry_symbol);
  if (m == nullptr) return absl::InternalError("AOT: translation of the LLVM dialect to LLVM IR failed");
  m->setTargetTriple(target.triple);
  m->setDataLayout(target.machine->createDataLayout());

  for (const auto& [from, to] : kRuntimeRenames) {
    if (llvm::Function* f = m->getFunction(from)) f->setName(to);
  }
  if (absl::Status s = BuildEntry(*m, layout); !s.ok()) return s;
  // Only the entry point is visible: artifacts of several models link into one program, and
  // the optimizer may inline and drop everything else (the _mlir_ciface_ wrapper included).
  for (llvm::Function& f : *m) {
    if (!f.isDeclaration() && f.getName() != layout.entry_symbol) f.setLinkage(llvm::GlobalValue::InternalLinkage);
  }
  for (llvm::GlobalVariable& g : m->globals()) {
    if (!g.isDeclaration() && !g.getName().starts_with("llvm.")) g.setLinkage(llvm::GlobalValue::InternalLinkage);
  }
  std::string broken;
  llvm::raw_string_ostream broken_os(broken);
  if (llvm::verifyModule(*m, &broken_os)) return absl::InternalError(absl::StrCat("AOT: invalid LLVM IR: ", broken));

  auto optimize = mlir::makeOptimizingTransformer(opt_level, /*sizeLevel=*/0, target.machine.get());
  if (llvm::Error e = optimize(m.get())) return absl::InternalError(absl::StrCat("AOT: LLVM optimization failed: ", ToString(std::move(e))));
  if (keep_module) code.module = llvm::CloneModule(*m);

  llvm::SmallVector<char, 0> buffer;
  {
    llvm::raw_svector_ostream os(buffer);
    llvm::legacy::PassManager pm;
    if (target.machine->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
      return absl::InternalError(absl::StrCat("AOT: ", target.cpu, " cannot emit object files"));
    }
    pm.run(*m);
  }
  code.object.assign(buffer.begin(), buffer.end());
  if (absl::Status s = CheckUndefinedSymbols(code.object); !s.ok()) return s;
  return code;
}

}  // namespace strata
