// The CPU pass pipeline: from the tensor-level module MlirBuilder emits to the LLVM dialect.
//
//   1. tensor level: canonicalize + CSE, linalg elementwise fusion (chains of generics become one
//      loop nest; broadcasts, transposes and reshapes fold into their consumers);
//   2. tiling and vectorization of the fused ops (cpu_tiling.cc);
//   3. one-shot bufferization into the caller's result buffers (destination passing), with
//      ownership-based deallocation of the few intermediates that remain;
//   4. loops, math approximations, and the explicit conversion sequence to the LLVM dialect.
//
// Intra-op parallelism will come in as scf.forall tiling of the outermost parallel loop at
// stage 2, lowered to calls into the runtime's thread pool; the stages are kept separate so
// that this slots in without touching the rest.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "mlir/IR/BuiltinOps.h"

namespace strata {

struct CpuPipelineOptions {
  // Tile and vectorize linalg ops (off: scalar loops, for debugging the pipeline).
  bool vectorize = true;
  // Vector width in bits for the tiling heuristics (512 on AVX-512 hosts, 256 otherwise).
  int vector_bits = 256;
  // Polynomial approximations of exp/log/tanh/erf/... in f32 (vectorizable; ~1-2 ulp).
  bool math_approximations = true;
  // Keep the IR after the tensor-level and the loop-level stages (for DebugString / --emit).
  bool capture_ir = true;
  // Allocate each intermediate at its first use and free it after its last (AOT: the arena is
  // packed from these lifetimes; compiler/aot_buffer_lifetimes.h).
  bool tighten_buffer_lifetimes = false;
};

struct PipelineIr {
  std::string fused;      // after tensor-level fusion (and tiling)
  std::string bufferized; // after bufferization and lowering to loops, before LLVM conversion
};

// Runs the whole pipeline on `module` in place. Errors carry MLIR's diagnostics.
absl::Status RunCpuPipeline(mlir::ModuleOp module, const CpuPipelineOptions& options, PipelineIr* ir);

// Prints an op with large constants elided (for debug dumps).
std::string PrintIr(mlir::Operation* op);

}  // namespace strata
