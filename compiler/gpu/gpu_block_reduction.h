// Long reductions (Sum/Mean/Max/Min/Prod over many elements per output, softmax's row max and
// sum over wide rows, with whatever elementwise producers fusion put in front of them) become
// one block of threads per output element instead of one thread: each thread folds a strided
// part of the reduced elements, then gpu.all_reduce combines the partials (warp shuffles +
// shared memory once MLIR's all-reduce rewrite has run on the kernel) and thread 0 folds the
// total into the result.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace strata::gpu {

// On the bufferized host function, before linalg is lowered to loops. Reductions of fewer
// than `min_elements` elements per output, with more than `max_outputs` outputs, with several
// results (ArgMax), or whose combiner is not a plain add/mul/max/min of the accumulator, stay
// one thread per output.
absl::Status LowerLongReductionsToBlocks(mlir::func::FuncOp func, int64_t block_size, int64_t min_elements,
                                         int64_t max_outputs);

// Rewrites gpu.all_reduce in the kernels into shuffles and shared memory (before NVVM).
absl::Status LowerAllReduces(mlir::ModuleOp module);

}  // namespace strata::gpu
