// What the contraction tiler (gpu_contraction_tiling.h) finds in a bufferized host function:
// matmul-like linalg ops, where their operands' elements come from and the constant C starts
// as (the consumer computed in the epilogue: gpu_epilogue.h). Shared by the tiler and the
// kernels' main loops (gpu_fma_contraction.h, gpu_mma_contraction.h); nothing here rewrites IR.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "compiler/gpu/gpu_linalg_util.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace strata::gpu {

// C[batch.., m, n] += A[.., m, k] * B[.., k, n] in f32, as a linalg op with its loop dims.
struct Contraction {
  mlir::linalg::LinalgOp op;
  unsigned dm = 0, dn = 0, dk = 0;
  std::vector<unsigned> batch_dims;
  mlir::OpOperand* a = nullptr;  // reads (batch, m, k)
  mlir::OpOperand* b = nullptr;  // reads (batch, k, n)
  llvm::SmallVector<int64_t> ranges;
  int64_t m = 0, n = 0, k = 0, batch = 1;
  // The constant C holds when the contraction starts (see ConstantInit), and the linalg.copy
  // that put it there, if any; null when unknown (the epilogue then reads C).
  mlir::Value init_value;
  mlir::Operation* init_copy = nullptr;
};

// Where an operand's elements come from: the operand itself through the contraction's map, or,
// for a temp that a pure permutation generic (TensorFlow's transpose_a/b, a Transpose op)
// wrote only to feed the contraction, that generic's input through the composed map; the
// generic is then dropped.
struct Source {
  mlir::Value buffer;
  mlir::AffineMap map;                              // loop dims -> buffer indices
  mlir::linalg::GenericOp folded_transpose = nullptr;
  // Whether the buffer's contiguous (last) index follows loop dim `dim`: a tile whose rows run
  // along `dim` is then staged a column at a time (consecutive threads, consecutive rows).
  bool ContiguousAlong(unsigned dim) const {
    return map.getNumResults() > 0 && map.getResult(map.getNumResults() - 1).isFunctionOfDim(dim);
  }
};

// Set on a kernel's main loop (an integer attribute): the pipeline turns it into the outlined
// kernel's nvvm.minctasm, so that ptxas keeps the 128 x 128 kernels within 128 registers (2
// blocks of 256 threads per SM; the f32 one would take 130 for some shapes, leaving one).
inline constexpr char kMinBlocksPerSmAttr[] = "strata.min_blocks_per_sm";

// One operand as a kernel's main loop stages it (gpu_fma_contraction.h, gpu_mma_contraction.h):
// its loop dims along K and along the tile's other axis (M for A, N for B), their extents, the
// block's origin on that axis and the shared tile.
struct TileOperand {
  const Source* src;
  unsigned k_dim, x_dim;
  int64_t k_bound, x_bound;
  mlir::Value x0;
  mlir::Value tile;
};

// What a kernel's main loop leaves each thread: its sums of products for some outputs of C, and
// where those sit in the block's tile (row, column offsets).
struct BlockSums {
  std::vector<mlir::Value> sums;
  std::vector<std::pair<mlir::Value, mlir::Value>> slots;
};

mlir::Type ElementType(mlir::Value memref);
// What the kernels widen to f32 as they stage it. Every f16 and bf16 value is also a TF32
// value (10 and 7 mantissa bits, exponents in range), so they go through the tensor cores
// exactly: the products and f32 sums a native f16 mma.sync would make.
inline bool IsHalfFloat(mlir::Type t) { return t.isF16() || t.isBF16(); }

// `op` as a contraction: two static inputs (f32, f16 or bf16), one static f32 init, a
// yield(acc + x * y) body (inputs possibly widened), exactly one reduction dim; else nullopt.
std::optional<Contraction> Match(mlir::linalg::LinalgOp op);
// The linalg.fill of `out` with a constant right before `op` (constants and allocs between).
mlir::linalg::FillOp ConstantFillRightBefore(mlir::Operation* op, mlir::Value out);
Source SourceOf(Contraction& c, mlir::OpOperand* operand);
// Sets c.init_value / c.init_copy when every element of C is one constant before `c.op`.
void FindConstantInit(Contraction& c);
// A generic without inputs that writes one constant into the whole of a buffer (a broadcast
// zero, e.g. the other operand of Relu's max): that constant, else null.
mlir::Value BroadcastConstant(mlir::Operation* op);
// The constant every element of `buffer` (a whole temp) holds right before `op`, else null.
mlir::Value ConstantContent(mlir::Operation* op, mlir::Value buffer);

}  // namespace strata::gpu
