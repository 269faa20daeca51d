// The arena plan of an AOT artifact, measured: the object file is loaded into this process
// (or, where the host lacks a feature of the target CPU, the optimized module is compiled for
// the host) and run once, serially, on filler inputs (ones) through the AOT runtime's own
// allocator (runtime/aot/arena.h). Shapes are static, so the compiled code allocates and frees
// the same sizes in the same order on every run and on every CPU. That run records the
// lifetime of every block of the main region; aot_arena_pack.h packs them, and a second run
// through the packed plan must give the same results bit for bit and need no heap, else the
// main region stays a stack of the first run's high-water mark. Chunk regions (parallel
// loops) stay stacks: their size is the high-water mark of a chunk.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/aot/arena.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace strata {

struct ArenaPlan {
  int64_t main_bytes = 0;   // the main region: packed, or the stack's high-water mark
  int64_t chunk_bytes = 0;  // per parallel-loop participant
  // Where each block of a run goes in the main region (in allocation order); empty: a stack.
  std::vector<aot::PlannedBlock> main_blocks;
  int64_t stack_main_bytes = 0;  // the main region as a stack (what main_bytes was before packing)
  int64_t sum_main_bytes = 0;    // every block of the main region in a slot of its own
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
