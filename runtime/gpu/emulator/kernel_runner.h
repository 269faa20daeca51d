// Runs one launch of a host-compiled GPU kernel (host_kernel.h) on the calling thread, playing
// every GPU thread of the grid, and answers the kernel's strata_emu_* calls for the thread it is
// running.
//
// Blocks run one at a time in order (x fastest, then y, then z), all under one process-wide
// mutex: a kernel's shared memory is a global of its JIT-compiled module, so no two launches may
// overlap. A kernel that is not `lockstep` runs its threads one after the other by plain calls;
// a lockstep kernel runs each thread of a block as a fiber (fiber.h), switched round-robin at
// barriers and shuffles.
//
// strata_emu_* called outside a launch (no thread is being run) does nothing and returns 0.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "runtime/gpu/emulator/host_kernel.h"

namespace strata::gpu::emu {

inline constexpr int kWarpSize = 32;
inline constexpr unsigned kMaxThreadsPerBlock = 1024;

// Runs kernel `name` (the name only appears in errors) over grid x block with the cuLaunchKernel
// parameter array `params`. InvalidArgument for a null entry or a geometry the GPU rejects (a
// zero dimension, more than 1024 threads a block, a grid beyond the CUDA limits); Internal,
// naming the kernel, the block and the thread, when the kernel deadlocks (barrier divergence, a
// shuffle waiting for a lane that exited) or misuses the emulator (a barrier or shuffle in a
// kernel not compiled as lockstep). After an error the launch stops at once: threads still
// waiting are abandoned, and the next launch starts clean.
// Fails the launch being run on this thread with `what` (the runner adds kernel, block and
// thread); does nothing outside a launch. For strata_emu_access.
void FailCurrentThread(std::string what);

// A shared-memory access of the running thread (kernels with barriers only): a store is
// unfenced for wgmma until the thread's next fence.proxy.async, and while counting is on
// (shared_bank_stats.h) the access is kept for the bank-conflict counts.
void NoteSharedAccess(const void* address, int64_t bytes, bool store);

absl::Status RunHostKernel(const HostKernel& kernel, const std::string& name, const unsigned grid[3],
                           const unsigned block[3], void** params);

}  // namespace strata::gpu::emu
