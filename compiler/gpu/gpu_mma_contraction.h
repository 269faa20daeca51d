// The main loop of the tensor-core contraction kernel on mma.sync (sm_80+): what
// gpu_contraction_tiling.h emits for TF32 and for f16 / bf16 operands (sm_90a's wgmma kernel
// has its own loop). 8 warps as 2 (M) x 4 (N), each accumulating its (tm / 2) x (tn / 4) part of
// the block's tm x tn tile of C as 16 x 8 tiles of mma.sync.m16n8k8 (TF32) or m16n8k16 (f16,
// bf16) fragments, in f32.
//
// - K per step: 16 32-bit words of each operand row, i.e. 16 TF32 elements or 32 halves (a word
//   holds two halves adjacent in K, the instruction's register format): two MMAs deep.
// - Shared tiles in fragment order: each operand tile is chunks of 16 rows (M for A, N for B)
//   x 8 words, each chunk 32 slots of 4 words, slot `lane` holding exactly what lane (g, t) =
//   (lane / 4, lane % 4) needs: rows g and g + 8, words t and t + 4 (A's a0..a3; for B the
//   b0, b1 of two adjacent 8-column mma tiles). A fragment load is one 16-byte ld.shared.v4 per
//   lane over 512 contiguous bytes (4 per 16x8x8 A fragment and 16x16 of B in all: the scalar
//   layout this replaced took 4 + 2 + 2 scalar loads), free of bank conflicts by construction.
// - Staging: each thread loads whole slots from global memory (4 words, guarded: zeros past
//   the edges), rounds TF32 / packs half pairs, and stores each slot as one st.shared.v4: a
//   warp's stores are 512 contiguous bytes too.
// - Double-buffered: each step issues the next tiles' global loads, computes from one buffer,
//   stores into the other and meets one barrier (the single-buffer kernel before it met two).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "compiler/gpu/gpu_contraction_match.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace strata::gpu {

// The bf16 tensor-core instruction, as inline PTX: MLIR 19's nvvm.mma.sync verifier wants
// vector<2xf16> operands for bf16 while LLVM's intrinsic takes i32, so no nvvm op gets through.
// Operands: 4 A and 2 B registers (i32: two bf16 each), 4 f32 C; results: 4 f32 D. The GPU
// emulator (gpu_host_kernels.h) recognises this exact string.
inline constexpr char kMmaBf16Asm[] =
    "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {$0,$1,$2,$3}, {$4,$5,$6,$7}, {$8,$9}, {$10,$11,$12,$13};";
inline constexpr char kMmaBf16AsmConstraints[] = "=f,=f,=f,=f,r,r,r,r,r,r,f,f,f,f";

// What the instruction multiplies: TF32 (f32 operands rounded, or f16 and bf16 mixed and
// widened), or two f16 / two bf16 operands as they are.
enum class MmaOperands { kTf32, kF16, kBf16 };

struct MmaTiles {
  int64_t tm, tn;  // the block's tile of C: 128 or 64 each
  MmaOperands operands;
  bool half() const { return operands != MmaOperands::kTf32; }
  int64_t tk() const { return half() ? 32 : 16; }  // K elements per step
};
inline constexpr int64_t kMmaThreads = 256;

// The shared tiles' types (workgroup memory, f32 for TF32, i32 half pairs otherwise):
// A [2][tm * 16 words], B [2][tn * 16 words], both flat in fragment order.
std::pair<mlir::MemRefType, mlir::MemRefType> MmaSharedTileTypes(mlir::MLIRContext* ctx, const MmaTiles& tiles);

// Emits the loop over K in [k_begin, k_end) at `b`'s insertion point in the kernel body.
// `base_dims` holds the loop-dim values of the block's batch element (others unused).
BlockSums EmitMmaMainLoop(mlir::OpBuilder& b, mlir::Location loc, const MmaTiles& tiles, const TileOperand& a,
                          const TileOperand& bop, const std::vector<mlir::Value>& base_dims, mlir::Value tid,
                          mlir::Value k_begin, mlir::Value k_end);

// `v` (f32) rounded to TF32 (10 mantissa bits, to nearest, ties away from zero:
// cvt.rna.tf32.f32, as CUTLASS's round_half_ulp_truncate); Inf and NaN kept. Plain integer
// ops, so the emulator computes the same values as the GPU.
mlir::Value RoundToTf32(mlir::OpBuilder& b, mlir::Location loc, mlir::Value v);

// Two 16-bit floats as one 32-bit word (i32), `lo` in the low half (a .f16x2 / .bf16x2 register).
mlir::Value PackPair(mlir::OpBuilder& b, mlir::Location loc, mlir::Value lo, mlir::Value hi);

}  // namespace strata::gpu
