// Matmul-like contractions (linalg.matmul, linalg.batch_matmul and generics of the same shape:
// C[b, m, n] += A[b, m, k] * B[b, k, n] in f32 (A and B also f16/bf16), any operand layout the
// indexing maps express; gpu_contraction_match.h finds them) tiled through shared memory: one
// block of 256 threads per tile of C (grid x = N tiles, y = M tiles, z = batch x K splits, see
// split_k below), the K loop staging A and B tiles through workgroup memory (guarded loads that
// fill zeros past the edges; dimensions that the tiles divide are loaded without checks), the
// next K tile's global loads issued before the current tile's products.
// - f32 on CUDA cores (gpu_fma_contraction.h): 128 x 128 tiles with 8 x 8 outputs per thread
//   where there are at least 64 of them, else 64 x 64 with 4 x 4; 16-byte shared and global
//   loads, double-buffered K-major tiles, one barrier per step.
// - tensor cores on mma.sync (gpu_mma_contraction.h): 128 x 128 tiles (64 for a dimension of 64
//   or less), shared tiles in fragment order (16-byte fragment loads and staging stores),
//   double-buffered, one barrier per step; on sm_90a wgmma (below), one shared buffer.
// The init (a constant when C's last writer is a constant fill, or a copy of a constant-filled
// buffer; else the old C) is added in the epilogue, and so is the elementwise consumer of C
// (BiasAdd + Relu as one fused generic) when it is the next linalg op (independent ones between
// are moved in front) and reads C at its own element: it is computed in the same kernel and C
// is never written. An operand that a pure transpose generic wrote only for the contraction is
// read from the transpose's input instead (transpose_a / transpose_b cost no kernel).
//
// Behind GpuCompileOptions::tile_contractions (on by default; verified on the emulator and on an H100).
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace strata::gpu {

inline constexpr int64_t kContractionThreads = 256;  // every tiled kernel's block (and split-K's reduction's)

// On the bufferized host function, before the block reductions. Contractions with M or N below
// `min_dim` (a 1x784 by 784x10 MatMul: a 64x64 tile would be mostly idle) are left alone.
// With `split_k`, a contraction of fewer than 64 tiles (batch included) and K >= 128 is split
// along K into up to 16 ranges (about 128 blocks in all, >= 64 of K each): the tiled kernel
// writes each range's sums to a temp, and a second kernel (one thread per output of C) adds
// them in order, then the init and the fused consumer.
// With `tf32`, the kernel computes on tensor cores instead: 128 x 128 tiles of C (64 where M or
// N is at most 64) per block of 8 warps, K 16 per shared-memory step, the operands rounded to
// TF32 (10 mantissa bits, to nearest) as they are staged, and each warp's 64 x 32 part of C
// accumulated in f32 by mma.sync.m16n8k8 (sm_80+).
// Float16 and bfloat16 operands (MatMul on halves: f32 accumulation, linalg's extf of each input)
// of one type take mma.sync.m16n8k16 whatever `tf32` says (their products are exact in f32):
// the same tiles with K 32 per step, the operands staged as they are, two adjacent in K per
// 32-bit word of shared memory (one 32-bit global load where they are adjacent in the source
// too), which are the fragment registers. A mix of f16 and bf16 is widened to f32 as it is
// staged and takes the TF32 kernel (f16 and bf16 values are TF32 values).
// With `wgmma` (sm_90a), both tensor-core kernels run each warpgroup's 64-row part of the tile
// as wgmma.mma_async instead of warps of mma.sync: the same tiles and staging, the shared tiles
// laid out as the instruction's 8-row x 16-byte core matrices (no swizzle), the next tiles'
// global loads issued while the MMAs run.
absl::Status TileContractionsThroughSharedMemory(mlir::func::FuncOp func, int64_t min_dim, bool split_k, bool tf32,
                                                 bool wgmma = false);

}  // namespace strata::gpu
