// Adjacent top-level parallel loops over the same space merged into one loop (one GPU launch)
// where no thread would read or overwrite an element another thread touches: a fill, the
// one-thread-per-output contraction accumulating into what it filled, and the elementwise
// consumer of that result (MatMul + BiasAdd + Relu at batch 1: one kernel instead of three).
//
// Loops L1 then L2 (only constants and allocations between them) merge when
// - both iterate over the same constant space and produce no scf.reduce results;
// - their bodies touch memory only through memref.load / memref.store (any nesting of scf.for,
//   scf.if and pure ops around them);
// - every buffer that one of them writes and the other accesses is accessed, in both, through
//   the same memref value at the same indices, each index an induction variable of the loop
//   or a constant, every induction variable among them: iteration i touches its own element of
//   that buffer only, so running L2's body right after L1's in each thread keeps every value
//   each thread reads. Different buffers (allocations, function arguments, globals) do not
//   alias; views of one buffer through different memref values make the loops stay apart.
#pragma once

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace strata::gpu {

// On the host function's top-level scf.parallel loops (after linalg became parallel loops and
// memref alias ops were folded, before the loops are collapsed and mapped).
void FuseAdjacentParallelLoops(mlir::func::FuncOp func);

}  // namespace strata::gpu
