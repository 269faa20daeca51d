// Large elementwise loops take 4 consecutive elements of their innermost dimension per thread,
// reading and writing same-shape operands as 16-byte vectors (the "vectorized loads"),
// so that a thread has 4 elements in flight and a warp moves 512 bytes per access.
//
// On the host function's top-level scf.parallel loops (after fills are fused into their
// consumers, before the loops are collapsed to one dimension): a loop from 0 step 1 with no
// results, a straight-line body (no nested loops or branches), an innermost extent divisible by
// 4 and at least 65,536 iterations in all gets an innermost extent / 4 and a body that does the
// old body's work for the 4 iterations 4 q + j in lockstep (each op for j = 0..3 before the
// next op, so each iteration's own order stays). A load or store whose last index is the
// innermost induction variable and whose other indices do not depend on it, of a whole buffer
// (alloc, global or argument: 256-byte aligned) with an identity layout, 32-bit elements and a
// last dimension divisible by 4, becomes one vector.load / vector.store of 4 (16-byte aligned:
// gpu_pipeline.cc's AlignVectorAccesses); anything else (a broadcast operand, a transposed read)
// is done 4 times. Iterations of an scf.parallel are independent, so the interleaving is safe.
#pragma once

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace strata::gpu {

void VectorizeElementwiseLoops(mlir::func::FuncOp func);

}  // namespace strata::gpu
