// The main loop of the f32 contraction kernel on CUDA cores (what gpu_contraction_tiling.h
// emits for f32 operands without TF32): 256 threads as 16 x 16, each accumulating
// (tm / 16) x (tn / 16) outputs of the block's tm x tn tile of C in registers.
//
// - Tiles: 128 x 128 with K 8 per step (8 x 8 outputs per thread) where there are at least 64
//   such tiles (a 1024^2 C), else 64 x 64 with K 16 (4 x 4 outputs per thread). A thread's
//   rows are ty * 4 + {0..3} (and 64 more of each), its columns tx * 4 + {0..3} (and 64 more),
//   so that per K it reads its A and B values as 16-byte vectors: 4 shared loads for 64 FMAs
//   at 128 x 128 (the scalar 64 x 64 kernel this replaced made 8 for 16).
// - Shared tiles K-major, A [k][m] and B [k][n] (rows padded by 4 floats), double-buffered:
//   each step issues the next tiles' global loads, computes from one buffer, stores the loads
//   into the other, and meets one barrier.
// - Staging moves groups of 4 elements adjacent along the source's contiguous dimension: one
//   16-byte global load when the source is an f32 buffer with an identity layout and a last
//   dimension divisible by 4 (every buffer starts 256-byte aligned: caching allocator,
//   emulator), else 4 guarded scalar loads. Groups along M or N are stored as one vector;
//   groups along K (a row-major A, a transposed B) as 4 words, lanes placed so that a warp's
//   stores still reach 32 banks (gpu_shared_bank_test).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "compiler/gpu/gpu_contraction_match.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace strata::gpu {

inline constexpr int64_t kFmaThreads = 256;
struct FmaTiles {
  int64_t tm, tn, tk;
};
FmaTiles FmaTilesFor(int64_t m, int64_t n, int64_t batch);

// The shared tiles' types (f32, workgroup memory): A [2][tk][tm + 4], B [2][tk][tn + 4].
std::pair<mlir::MemRefType, mlir::MemRefType> FmaSharedTileTypes(mlir::MLIRContext* ctx, const FmaTiles& tiles);

// Emits the loop over K in [k_begin, k_end) at `b`'s insertion point in the kernel body.
// `base_dims` holds the loop-dim values of the block's batch element (others unused).
BlockSums EmitFmaMainLoop(mlir::OpBuilder& b, mlir::Location loc, const FmaTiles& tiles, const TileOperand& a,
                            const TileOperand& bop, const std::vector<mlir::Value>& base_dims, mlir::Value tid,
                            mlir::Value k_begin, mlir::Value k_end);

}  // namespace strata::gpu
