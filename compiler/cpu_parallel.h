// Intra-op parallelism of compiled CPU code.
//
// Tiling marks the outermost tile loop of each big root (matmul, convolution, large
// elementwise/reduction) with its estimated cost per iteration. After bufferization, each
// marked loop's body is outlined into a private function over an iteration range, and the loop
// becomes a call of that function on [0, trip count). After conversion to the LLVM dialect the
// call becomes `strata_parallel_for(task, context, n, cost)`: the captured values are stored in
// a stack struct, and a trampoline `task(context, begin, end)` loads them and calls the body.
// strata_parallel_for (runtime_support.h) splits the range over the thread pool the executable
// was run with. Outlining happens before buffers are hoisted out of loops, so every chunk gets
// its own scratch buffers: iterations share nothing but the disjoint tiles they write.
#pragma once

#include <cstdint>
#include <memory>

#include "llvm/ADT/ArrayRef.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Pass/Pass.h"

namespace strata {

// Marks the outermost loop of `loops` (outermost first) whose trip count is at least 2 as
// parallel, when the nest's total cost (~ns) makes a thread hand-off worthwhile. Loops whose
// bounds are not constant are left alone.
void MarkParallelLoop(llvm::ArrayRef<mlir::LoopLikeOpInterface> loops, int64_t total_cost_ns);

// Drops the parallel mark (e.g. from the one-iteration remainder of a peeled loop).
void ClearParallelMark(mlir::Operation* loop);

// Memref level, module pass: outlines the marked loops into `<func>__par<N>` functions.
std::unique_ptr<mlir::Pass> CreateOutlineParallelLoopsPass();

// LLVM dialect, module pass: turns calls of outlined bodies into strata_parallel_for calls.
std::unique_ptr<mlir::Pass> CreateLowerParallelCallsPass();

}  // namespace strata
