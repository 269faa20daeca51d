// JIT compilation of an LLVM-dialect module with mlir::ExecutionEngine for the host CPU.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir {
class ExecutionEngine;
}

namespace strata {

struct HostCpu {
  std::string name;      // e.g. "skylake-avx512"
  std::string features;  // "+avx2,+fma,+avx512f,..."
  bool avx512 = false;
  bool avx2 = false;
  int vector_bits() const { return avx512 ? 512 : (avx2 ? 256 : 128); }
};
// Detected once per process.
const HostCpu& GetHostCpu();

struct JitOptions {
  int opt_level = 3;
  bool capture_llvm_ir = false;
};

// The compiled code and the entry point of `function` through its packed C interface
// (`_mlir_ciface_<function>` called with an array of pointers to its arguments).
struct JitFunction {
  std::unique_ptr<mlir::ExecutionEngine> engine;
  void (*entry)(void**) = nullptr;
  std::string llvm_ir;  // when captured
  ~JitFunction();
  JitFunction();
  JitFunction(JitFunction&&) noexcept;
  JitFunction& operator=(JitFunction&&) noexcept;
};

// Extra C symbols the compiled code may call, by name.
using JitSymbols = std::vector<std::pair<std::string, void*>>;

// The engine for every function of `module` (each reachable through lookupPacked), with the
// runtime support symbols (runtime_support.h) and `extra` bound.
absl::StatusOr<std::unique_ptr<mlir::ExecutionEngine>> JitCompileModule(mlir::ModuleOp module, const JitOptions& options,
                                                                       const JitSymbols& extra = {});

absl::StatusOr<JitFunction> JitCompile(mlir::ModuleOp module, const std::string& function, const JitOptions& options);

}  // namespace strata
