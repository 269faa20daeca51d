// An accumulator that a sequential loop inside a GPU loop reads and writes back at the same
// place every iteration (a thread-per-output dot product, pooling window or depthwise
// convolution: `acc[i] = acc[i] + x * w` per k) is kept in a register across the loop instead:
// one load before it, one store after it. LLVM cannot do this itself: kernel pointers are not
// `noalias`, so any other load in the loop might read what the store wrote.
//
// A load/store pair qualifies when both are in the loop's own body at the same loop-invariant
// indices of the same memref, the load first, and nothing else in the loop touches that buffer
// (buffers with different roots do not alias: distinct allocations, arguments and globals).
// Innermost loops first, so a window's two nested loops both keep it in a register.
#pragma once

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace strata::gpu {

// On the host function's top-level scf.parallel loops (before they are mapped to the GPU).
void PromoteLoopAccumulators(mlir::func::FuncOp func);

}  // namespace strata::gpu
