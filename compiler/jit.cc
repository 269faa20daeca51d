// JIT with mlir::ExecutionEngine (see jit.h).
#include "compiler/jit.h"

#include "compiler/runtime_support.h"

#include <cstdlib>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
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

}  // namespace

const HostCpu& GetHostCpu() {
  static const HostCpu* cpu = [] {
    auto* c = new HostCpu;
    c->name = llvm::sys::getHostCPUName().str();
    std::vector<std::string> on;
    for (const auto& f : llvm::sys::getHostCPUFeatures()) {
      if (f.getValue()) on.push_back(absl::StrCat("+", f.getKey().str()));
    }
    std::sort(on.begin(), on.end());
    c->features = absl::StrJoin(on, ",");
    auto has = [&](const char* name) { return std::find(on.begin(), on.end(), absl::StrCat("+", name)) != on.end(); };
    c->avx512 = has("avx512f");
    c->avx2 = has("avx2") && has("fma");
    return c;
  }();
  return *cpu;
}

JitFunction::JitFunction() = default;
JitFunction::~JitFunction() = default;
JitFunction::JitFunction(JitFunction&&) noexcept = default;
JitFunction& JitFunction::operator=(JitFunction&&) noexcept = default;

namespace {

// JitCompileModule, also keeping the optimized LLVM IR in `llvm_ir` (with capture_llvm_ir).
absl::StatusOr<std::unique_ptr<mlir::ExecutionEngine>> CompileEngine(mlir::ModuleOp module, const JitOptions& options,
                                                                     const JitSymbols& extra, std::string* llvm_ir) {
  InitializeLlvmOnce();
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();  // host CPU name and features
  if (!builder) return absl::InternalError(absl::StrCat("JIT: cannot detect the host: ", ToString(builder.takeError())));
  builder->setCodeGenOptLevel(options.opt_level >= 3 ? llvm::CodeGenOptLevel::Aggressive : llvm::CodeGenOptLevel::Default);
  auto tm = builder->createTargetMachine();
  if (!tm) return absl::InternalError(absl::StrCat("JIT: no target machine: ", ToString(tm.takeError())));

  std::function<llvm::Error(llvm::Module*)> optimize = mlir::makeOptimizingTransformer(options.opt_level, 0, tm->get());
  std::function<llvm::Error(llvm::Module*)> transform = [&](llvm::Module* m) -> llvm::Error {
    if (llvm::Error e = optimize(m)) return e;
    if (options.capture_llvm_ir && llvm_ir != nullptr) {
      llvm::raw_string_ostream os(*llvm_ir);
      m->print(os, nullptr);
    }
    return llvm::Error::success();
  };
  mlir::ExecutionEngineOptions eopts;
  eopts.transformer = transform;
  eopts.jitCodeGenOptLevel = options.opt_level >= 3 ? llvm::CodeGenOptLevel::Aggressive : llvm::CodeGenOptLevel::Default;
  eopts.enableGDBNotificationListener = false;
  // STRATA_PERF_JIT=1 lets `perf record -k 1` + `perf inject --jit` name the compiled functions.
  eopts.enablePerfNotificationListener = std::getenv("STRATA_PERF_JIT") != nullptr;
  auto engine = mlir::ExecutionEngine::create(module, eopts, std::move(*tm));
  if (!engine) return absl::InternalError(absl::StrCat("JIT compilation failed: ", ToString(engine.takeError())));
  (*engine)->registerSymbols([&extra](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    auto bind = [&](const std::string& name, void* fn) {
      symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn), llvm::JITSymbolFlags::Exported};
    };
    bind("_mlir_memref_to_llvm_aligned_alloc", reinterpret_cast<void*>(&RuntimeAlignedAlloc));
    bind("_mlir_memref_to_llvm_alloc", reinterpret_cast<void*>(&RuntimeAlloc));
    bind("_mlir_memref_to_llvm_free", reinterpret_cast<void*>(&RuntimeFree));
    bind("strata_parallel_for", reinterpret_cast<void*>(&strata_parallel_for));
    for (const auto& [name, fn] : extra) bind(name, fn);
    return symbols;
  });
  return std::move(*engine);
}

}  // namespace

absl::StatusOr<std::unique_ptr<mlir::ExecutionEngine>> JitCompileModule(mlir::ModuleOp module, const JitOptions& options,
                                                                       const JitSymbols& extra) {
  return CompileEngine(module, options, extra, nullptr);
}

absl::StatusOr<JitFunction> JitCompile(mlir::ModuleOp module, const std::string& function, const JitOptions& options) {
  JitFunction out;
  absl::StatusOr<std::unique_ptr<mlir::ExecutionEngine>> engine = CompileEngine(module, options, {}, &out.llvm_ir);
  if (!engine.ok()) return engine.status();
  out.engine = *std::move(engine);
  auto entry = out.engine->lookupPacked(absl::StrCat("_mlir_ciface_", function));
  if (!entry) return absl::InternalError(absl::StrCat("JIT: entry point missing: ", ToString(entry.takeError())));
  out.entry = *entry;
  return out;
}

}  // namespace strata
