// Tight buffer lifetimes for AOT code, so that the arena can be packed (aot_arena_pack.h).
//
// After bufferization the pipeline hoists every static allocation to the function's entry and
// the ownership-based deallocation puts every dealloc before the terminator: each intermediate
// is allocated before the first op runs and freed after the last, so the allocation trace that
// the arena plan is made from (aot_arena_measure.h) shows all of them live at once. This pass
// (on memrefs, after the deallocation pipeline) moves an entry-block `memref.alloc` to just
// before the first top-level op that uses it or any of its aliases, and its `memref.dealloc` to
// just after the last one. Uses inside a loop or an outlined parallel call count as the whole
// top-level op. A buffer is left alone when its dealloc is not a plain one in the entry block,
// or when an alias leaves the view flow (a pointer taken as an integer, a function result).
#pragma once

#include <memory>

namespace mlir {
class Pass;
}  // namespace mlir

namespace strata {

std::unique_ptr<mlir::Pass> CreateTightenBufferLifetimesPass();

}  // namespace strata
