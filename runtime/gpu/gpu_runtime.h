// The entry points the Session uses to run compiled GPU programs ("/gpu:0" placement): no CUDA
// type appears here, so session code needs nothing else from runtime/gpu.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/executable.h"
#include "runtime/gpu/gpu_program.h"

namespace strata::gpu {

// An Executable running `program` on CUDA device `ordinal` (the process-wide shared device: one
// context, stream and memory cache for every executable). Unavailable where there is no CUDA
// driver or device; see GpuExecutable::Create for the other errors.
absl::StatusOr<std::unique_ptr<Executable>> MakeGpuExecutable(GpuProgram program, int ordinal = 0);

// The device a Session would place "/gpu:<ordinal>" on, e.g. "NVIDIA H100 80GB HBM3 (sm_90,
// 132 SMs)"; Unavailable (with the reason) where it cannot be opened.
absl::StatusOr<std::string> DescribeGpu(int ordinal = 0);

// "sm_90" for the device, what the compiler should target; Unavailable where there is none.
absl::StatusOr<std::string> GpuArch(int ordinal = 0);

}  // namespace strata::gpu
