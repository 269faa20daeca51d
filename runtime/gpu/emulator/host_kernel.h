// The contract between the GPU emulator's two halves: kernels compiled for the host CPU
// (compiler/gpu/gpu_host_kernels.h JIT-compiles a program's kernels from their LLVM/NVVM-dialect
// MLIR) and the emulated CUDA driver that runs them (emulated_driver.h), which plays every
// thread of a launch on the host.
//
// A host kernel is the GPU kernel's own code, with the few GPU-only operations replaced by calls
// to the C functions below: the special registers (thread and block index and size), the block
// barrier and the warp shuffle. The emulator answers them for the thread it is running. Shared
// memory stays a global of the JIT-compiled module (the emulator runs one block at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

// Called by the JIT-compiled kernels (registered as symbols of the JIT, not linked by name).
// Defined by kernel_runner.cc; outside a launch they do nothing and return 0.
extern "C" {
// The special register `which` of the running thread (kStrataEmuSreg* below).
int32_t strata_emu_sreg(int32_t which);
// bar.sync 0: returns when every thread of the block has reached it.
void strata_emu_barrier();
// shfl.sync.<mode>.b32 (PTX ISA semantics: `mode` 0 up, 1 down, 2 bfly, 3 idx; `member_mask`
// the lanes that take part, `b` the lane or offset operand, `c` the clamp/segment operand):
// returns the 32 bits received in the low half and the valid predicate in bit 32.
int64_t strata_emu_shfl(int32_t mode, int32_t member_mask, int32_t value, int32_t b, int32_t c);
// Every load and store of a kernel goes through this first (the emulator's memcheck): returns
// `address` when [address, address + bytes) lies inside one live device allocation or one data
// range of a loaded module (its shared memory); otherwise the launch fails naming the access, and
// a scratch address is returned so that the wild access cannot touch host memory.
// `flags`: kStrataEmuAccessStore for a store, kStrataEmuAccessShared for shared memory, and the
// alignment the access claims (bytes, at kStrataEmuAccessAlignShift): a misaligned address
// fails the launch as on the GPU (CUDA_ERROR_MISALIGNED_ADDRESS).
void* strata_emu_access(void* address, int64_t bytes, int32_t flags);

// sm_90a's warpgroup MMA protocol (wgmma_emulation.h; lockstep kernels only).
// The shared-window address of a shared-memory pointer (what ptrtoint gives on the GPU: the
// block's shared globals are placed from 1024 on, each 1024-aligned, in the order first asked).
int64_t strata_emu_shared_window(void* address);
// fence.proxy.async: wgmma fails while a thread of the block has stored to shared memory (as
// strata_emu_access sees it) without fencing since.
void strata_emu_proxy_fence();
// wgmma.fence, wgmma.mma_async (queued, not computed: its thread's accumulators change at the
// wait that completes it, so a read before the wait sees the old values), commit_group, and
// wait_group `keep` over the thread's `count` accumulators.
void strata_emu_wgmma_fence();
void strata_emu_wgmma(int32_t type, int32_t n, int64_t desc_a, int64_t desc_b);
void strata_emu_wgmma_commit();
void strata_emu_wgmma_wait(int32_t keep, float* accumulators, int32_t count);
}

namespace strata::gpu::emu {

// strata_emu_sreg's `which`: tid, ntid, ctaid, nctaid, each .x/.y/.z.
inline constexpr int32_t kStrataEmuSregTidX = 0;    // 1: tid.y, 2: tid.z
inline constexpr int32_t kStrataEmuSregNtidX = 3;   // 4, 5
inline constexpr int32_t kStrataEmuSregCtaidX = 6;  // 7, 8
inline constexpr int32_t kStrataEmuSregNctaidX = 9;  // 10, 11
inline constexpr int32_t kStrataEmuAccessStore = 1, kStrataEmuAccessShared = 2;
inline constexpr int32_t kStrataEmuAccessAlignShift = 8;
inline constexpr uint64_t kStrataEmuAccessMaxAlign = 128;
// strata_emu_wgmma's `type`: the operands' element type.
inline constexpr int32_t kWgmmaF16 = 0, kWgmmaBf16 = 1, kWgmmaTf32 = 2;
inline constexpr int32_t kStrataEmuShflUp = 0, kStrataEmuShflDown = 1, kStrataEmuShflBfly = 2,
                         kStrataEmuShflIdx = 3;

// One kernel compiled for the host. `entry` takes the cuLaunchKernel parameter array as is:
// params[i] points to the value of parameter i (a device pointer or a 64-bit immediate).
struct HostKernel {
  void (*entry)(void** params) = nullptr;
  // The kernel calls strata_emu_barrier or strata_emu_shfl: its threads must run interleaved
  // (each to its next barrier/shuffle in turn). Otherwise they run one after the other.
  bool lockstep = false;
  // Its module's shared-memory globals (HostModule::DataRanges): what strata_emu_shared_window
  // maps.
  std::vector<std::pair<const void*, size_t>> shared;
};

// A loaded module (what cuModuleLoadDataEx returns in the emulator).
class HostModule {
 public:
  virtual ~HostModule() = default;
  // NotFound when the module has no kernel `name`.
  virtual absl::StatusOr<HostKernel> Find(const std::string& name) const = 0;
  // The module's own memory the kernels may touch (its shared-memory globals): start, bytes.
  virtual std::vector<std::pair<const void*, size_t>> DataRanges() const { return {}; }
};

// Compiles a module image (the `host_ir` of a GpuProgram) for the host. InvalidArgument with the
// reason when the image cannot be compiled.
using HostModuleLoader = absl::StatusOr<std::unique_ptr<HostModule>> (*)(const std::string& image);

}  // namespace strata::gpu::emu
