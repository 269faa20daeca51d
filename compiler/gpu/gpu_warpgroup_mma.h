// sm_90a's warpgroup MMA (wgmma.mma_async) as the tiled contractions emit it
// (gpu_contraction_tiling.h): f32 += A * B with both operands K-major in shared memory, as
// 8-row x 16-byte core matrices without swizzle, read through matrix descriptors. Everything is
// inline PTX with side effects: MLIR 19 has an nvvm op for wgmma, but only its own PTX builder
// lowers it, and the GPU emulator (gpu_host_kernels.h) must know the exact text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mlir/IR/Builders.h"

namespace strata::gpu {

// wgmma.mma_async.sync.aligned.m64n<N>k<16|8>.f32.<type>.<type> (N 8..256, a multiple of 8;
// `type` "f16", "bf16" (K 16) or "tf32" (K 8)). Outputs $0..$N/2-1: the thread's f32
// accumulators; inputs: the A and B descriptors (i64), then the accumulators, tied to the
// outputs (D = A * B + D: scale-d is the immediate 1).
std::string WgmmaAsm(int64_t n, std::string_view type);
std::string WgmmaAsmConstraints(int64_t n);
// The other instructions of the protocol. The wait passes the accumulators through (outputs
// tied to inputs, WgmmaWaitAsmConstraints) so that nothing reads them before the MMAs that
// write them are complete.
inline constexpr char kWgmmaFenceAsm[] = "wgmma.fence.sync.aligned;";
inline constexpr char kWgmmaCommitAsm[] = "wgmma.commit_group.sync.aligned;";
inline constexpr char kWgmmaWaitAsm[] = "wgmma.wait_group.sync.aligned 0;";
inline constexpr char kProxyFenceAsm[] = "fence.proxy.async.shared::cta;";  // st.shared -> wgmma
std::string WgmmaWaitAsmConstraints(int64_t n);

// One warpgroup's MMAs over one shared tile's K.
struct WgmmaStep {
  std::string type;       // "f16", "bf16" or "tf32"
  int64_t n = 0;          // the warpgroup's columns (N of the instruction)
  int64_t instructions = 0;  // per tile: its K / the instruction's K
  // Descriptor strides in bytes: between the core matrices along K (leading byte offset) and
  // between 8-row groups (stride byte offset). An instruction's K spans two core matrices.
  int64_t leading_bytes = 0, stride_bytes = 0;
};

// fence.proxy.async.shared::cta: each thread's shared stores become visible to the MMAs (after
// the block's barrier).
void EmitAsyncProxyFence(mlir::OpBuilder& b, mlir::Location loc);

// wgmma.fence, the step's MMAs, wgmma.commit_group. `a_address`/`b_address` are the shared
// tiles' addresses (i64); the warpgroup's A rows start at `a_row0`, its B rows (B is stored
// [n][k]) at `b_row0` (index values, multiples of 8). `acc` (the thread's n / 2 accumulators)
// is replaced by the MMAs' results, which are only complete after WgmmaWait.
void WgmmaIssue(mlir::OpBuilder& b, mlir::Location loc, const WgmmaStep& step, mlir::Value a_address,
                mlir::Value b_address, mlir::Value a_row0, mlir::Value b_row0, std::vector<mlir::Value>& acc);

// wgmma.wait_group 0, with the accumulators passed through it.
void WgmmaWait(mlir::OpBuilder& b, mlir::Location loc, std::vector<mlir::Value>& acc);

}  // namespace strata::gpu
