// The arithmetic of sm_90a's warpgroup MMA (wgmma.mma_async) for the GPU emulator: one thread's
// share of D += A * B, both operands K-major in shared memory and read through their matrix
// descriptors (PTX ISA, "Asynchronous Warpgroup Level Matrix Multiply-Accumulate"). The
// protocol around it (wgmma.fence, commit and wait groups, the async-proxy fence) is
// kernel_runner's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "runtime/gpu/emulator/host_kernel.h"

namespace strata::gpu::emu {

// One wgmma.mma_async.m64n<n>k<16|8>.f32.<type>.<type> as issued.
struct WgmmaOp {
  int32_t type = kWgmmaF16;
  int32_t n = 0;
  uint64_t desc_a = 0, desc_b = 0;
};

// The host bytes at [address, address + bytes) of the block's shared-memory window; null when
// they are not all inside it.
using SharedReader = std::function<const void*(uint64_t address, size_t bytes)>;

// Adds thread `index` (0..127 in its warpgroup)'s part of A * B to its n / 2 accumulators:
// accumulators 4j .. 4j + 3 are D's (r, 8j + 2t), (r, 8j + 2t + 1), (r + 8, 8j + 2t),
// (r + 8, 8j + 2t + 1) with r = 16 * (index / 32) + lane / 4, t = lane % 4; each sum in f32 in
// K order. Elements are widened as the tensor cores take them (TF32: the low 13 mantissa bits
// dropped). Only no-swizzle descriptors are implemented; InvalidArgument for any other, for a
// bad type or N, or a read outside the shared window.
absl::Status ApplyWgmma(const WgmmaOp& op, int index, const SharedReader& read, float* accumulators);

}  // namespace strata::gpu::emu
