// The arena plan of an AOT artifact, measured: the object file is loaded into this process
// (or, where the host lacks a feature of the target CPU, the optimized module is compiled for
// the host) and run once, serially, on filler inputs (ones) through the AOT runtime's own
// allocator (runtime/aot/arena.h). Shapes are static, so the compiled code allocates and frees
// the same sizes in the same order on every run and on every CPU: the high-water marks of the
// main region and of a parallel chunk's region are the plan.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace strata {

struct ArenaPlan {
  int64_t main_bytes = 0;
  int64_t chunk_bytes = 0;
};

struct ArenaMeasureInputs {
  std::string entry_symbol;
  struct Buffer {
    int64_t bytes = 0;
    int element_bytes = 1;
    bool is_float = false;  // filler: 1.0 for floats, 1 otherwise
    bool is_half = false;   // 16-bit float storage (f16/bf16)
    bool is_bfloat = false;
  };
  std::vector<Buffer> args;
  std::vector<int64_t> result_bytes;
  int64_t scratch_bytes = 0;
  const std::string* weights = nullptr;  // the blob the code reads (external weights)
};

// Runs `object` when given, else `module` (taking it and its context). Errors are Internal.
absl::StatusOr<ArenaPlan> MeasureArena(const std::string* object, std::unique_ptr<llvm::LLVMContext> context,
                                       std::unique_ptr<llvm::Module> module, const ArenaMeasureInputs& inputs);

}  // namespace strata
