// The LLVM half of AOT compilation (internal to compiler/): the target machine for a CPU name,
// and the translation of the pipeline's LLVM-dialect module into an object file with a C entry
// point (see aot_compiler.h for what the entry does).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/shape.h"
#include "mlir/IR/BuiltinOps.h"

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
}  // namespace llvm

namespace strata {

struct AotTarget {
  std::string triple;
  std::string cpu;       // resolved ("native" becomes the host's name)
  std::string features;  // "+avx2,+fma,..." (host features for native, else implied by cpu)
  int vector_bits = 128;
  // The host has every feature the target has, so it can run the object (arena measurement).
  bool host_can_run = false;
  std::shared_ptr<llvm::TargetMachine> machine;
};

// InvalidArgument naming the CPU when LLVM does not know it.
absl::StatusOr<AotTarget> ResolveAotTarget(const std::string& cpu, int opt_level);

// How the entry point `entry_symbol(args, results, weights, scratch, bad_value)` calls the
// compiled function and finishes the results.
struct AotEntryLayout {
  std::string entry_symbol;
  std::string function;  // the compiled func (its memref arguments in order: see operands)
  struct Operand {
    enum Kind { kArg, kWeights, kResult, kScratch };
    Kind kind = kArg;
    int64_t index = 0;  // kArg/kResult: slot in args/results; kWeights/kScratch: byte offset
    Shape shape;
  };
  std::vector<Operand> operands;
  // After the call: results[to_result] = bytes copied from an arg, another result or weights.
  struct Copy {
    enum From { kArg, kResult, kWeights };
    From from = kArg;
    int64_t index = 0;  // kArg/kResult: slot; kWeights: byte offset
    int to_result = 0;
    int64_t bytes = 0;
  };
  std::vector<Copy> copies;
  // The run-time check flags are i64s in scratch at this offset (INT64_MAX: passed).
  int64_t check_flags_offset = 0;
  int num_checks = 0;
  // Embedded weights become a read-only global; external ones arrive through `weights`.
  bool embed_weights = true;
  const std::string* weights = nullptr;
};

struct AotLlvmCode {
  std::string object;
  // The optimized module as it went to code generation (when asked for: the arena measurement
  // runs it where the host cannot run the object).
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
  AotLlvmCode();
  ~AotLlvmCode();
  AotLlvmCode(AotLlvmCode&&) noexcept;
};

// `module` is in the LLVM dialect (after RunCpuPipeline). Internal errors for an unexpected
// signature or a call to a function that neither the AOT runtime nor libc/libm provides.
absl::StatusOr<AotLlvmCode> EmitAotObject(mlir::ModuleOp module, const AotEntryLayout& layout, const AotTarget& target,
                                          int opt_level, bool keep_module);

}  // namespace strata
