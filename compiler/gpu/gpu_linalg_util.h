// Small IR-building helpers the GPU kernels built by hand from linalg ops share (the block
// reductions, the tiled contractions): loop dims to buffer indices, the fill that initializes
// an output, and a guarded index.
#pragma once

#include <cstdint>
#include <vector>

#include "llvm/ADT/ArrayRef.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace strata::gpu {

// The buffer indices indexing map `m` gives for loop-dim values `dims`.
std::vector<mlir::Value> ApplyMap(mlir::OpBuilder& b, mlir::Location loc, mlir::AffineMap m,
                                  const std::vector<mlir::Value>& dims);

// Delinearizes `linear` over the loop dims `which` (last fastest, extents from `ranges`) into `dims`.
void Delinearize(mlir::OpBuilder& b, mlir::Location loc, mlir::Value linear, llvm::ArrayRef<int64_t> ranges,
                 llvm::ArrayRef<unsigned> which, std::vector<mlir::Value>& dims);

// The linalg.fill that initializes `out` right before `op` (constants and allocs may sit
// between); null otherwise.
mlir::linalg::FillOp FillRightBefore(mlir::Operation* op, mlir::Value out);

// A `shape` x `element` buffer in the block's shared (workgroup) memory: a kernel's tiles.
mlir::MemRefType SharedMemRefType(mlir::MLIRContext* ctx, llvm::ArrayRef<int64_t> shape, mlir::Type element);

// The buffer a chain of views (expand/collapse_shape, subview, cast, ...) starts from.
mlir::Value Root(mlir::Value v);

// dims[dim] = g for a load that must stay inside [0, bound): unless `check` is false (the tiles
// divide the dimension), the index is clamped to bound - span (`span` elements read from it) and
// `in` (null: true) gains g < bound, for the caller to select zeros where it is false.
void GuardIndex(mlir::OpBuilder& b, mlir::Location loc, std::vector<mlir::Value>& dims, mlir::Value& in, mlir::Value g,
                unsigned dim, int64_t bound, bool check, int64_t span = 1);

}  // namespace strata::gpu
