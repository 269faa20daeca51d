// From bufferized linalg to GPU-mapped parallel loops, on the host function (memrefs):
//   1. every linalg op gets its parallel dims first (a generic, interchanged), so that lowering
//      to loops gives one scf.parallel over the output with sequential reduction loops inside;
//   2. after lowering to loops and folding views into loads/stores, adjacent loops over the
//      same space merge where each iteration only touches its own elements of what they share
//      (gpu_fuse_parallel_loops.h: a fill, the contraction accumulating into it, its
//      elementwise consumer), accumulators of sequential loops stay in registers
//      (gpu_promote_accumulators.h), then large elementwise loops take 4 elements per thread
//      (gpu_vectorize_elementwise.h);
//   3. whatever is left at the top level that is not a buffer, a constant, a launch or a
//      parallel loop (a short reduction to a scalar, a store of one element) is wrapped in a
//      one-iteration scf.parallel: the host runs no computation;
//   4. each top-level scf.parallel is collapsed to one dimension and tiled by the block size:
//      the tile loop maps to blocks, the loop inside a tile to threads (out-of-range threads of
//      the last block are guarded by an scf.if).
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace strata::gpu {

// Step 1 (before convert-linalg-to-parallel-loops).
absl::Status PrepareLinalgForGpu(mlir::func::FuncOp func);

// Step 2 and the collapse of step 4 (after loops and fold-memref-alias-ops). Canonicalize
// after it: the collapsed bounds are products of constants.
absl::Status CollapseParallelLoopsForGpu(mlir::func::FuncOp func);

// Step 3 (after that canonicalization, which would inline one-iteration loops) and the tiling
// of step 4; gpu-map-parallel-loops then maps tile loops to blocks and the loops inside to
// threads. Run no canonicalization between this and convert-parallel-loops-to-gpu.
absl::Status TileParallelLoopsForGpu(mlir::func::FuncOp func, int64_t block_size);

}  // namespace strata::gpu
