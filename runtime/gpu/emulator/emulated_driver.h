// A CudaDriver table (cuda_driver.h) whose device is the host CPU: "device memory" is host memory
// and kernels are host-compiled GPU kernels (host_kernel.h) run by the kernel runner
// (kernel_runner.h). It lets every GPU code path run, and be tested, where there is no GPU.
//
// One device ("strata GPU emulator (host CPU)", compute capability 9.0, 1 multiprocessor); the
// context and streams are tokens and all work is synchronous (stream sync does nothing).
// cuModuleLoadDataEx takes a NUL-terminated module image (a GpuProgram's host_ir) and compiles it
// with the HostModuleLoader; its error goes into the CU_JIT_ERROR_LOG_BUFFER option.
// Copies and memsets must lie inside one live allocation (else CUDA_ERROR_ILLEGAL_ADDRESS); a
// failed launch returns CUDA_ERROR_LAUNCH_FAILED and cuGetErrorString then gives the runner's
// message ("unspecified launch failure: <why>"), so CudaDriver::Check carries it into the Status.
//
// The table's members are plain function pointers, so the emulator's state (the loader, the
// allocations, the modules) is one process-wide static: every table MakeEmulatedCudaDriver
// returns shares it, and the loader given to the latest call is the one used from then on.
#pragma once

#include <memory>

#include "runtime/gpu/cuda_driver.h"
#include "runtime/gpu/emulator/host_kernel.h"

namespace strata::gpu::emu {

inline constexpr char kEmulatorPath[] = "strata GPU emulator";
inline constexpr char kEmulatorDeviceName[] = "strata GPU emulator (host CPU)";

// The emulator's driver table (every member set, host_emulator true, path kEmulatorPath).
std::unique_ptr<CudaDriver> MakeEmulatedCudaDriver(HostModuleLoader loader);

}  // namespace strata::gpu::emu
