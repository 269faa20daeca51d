// The "gpu" Backend for the Session: compiles a request with the GPU compiler (compiler/gpu:
// graph -> PTX + launches) for the architecture of CUDA device `ordinal`, and runs it with
// GpuExecutable. Registering it is one line in runtime/backends.cc:
//   if (name == "gpu") return CreateCudaBackend();
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/executable.h"
#include "runtime/gpu/gpu_program.h"

namespace strata::gpu {

// Unavailable where there is no CUDA driver or device (the reason in the message);
// Unimplemented in a build without the MLIR compiler; FailedPrecondition for a GPU older than
// the compiler's oldest target (sm_80).
absl::StatusOr<std::unique_ptr<Backend>> CreateCudaBackend(int ordinal = 0);

// Compiles `request` for `cuda_arch` with the GPU compiler, without a device (what the backend
// does before loading the program). Unimplemented in a build without the MLIR compiler.
absl::StatusOr<GpuProgram> CompileForGpu(const CompileRequest& request, const std::string& cuda_arch);

// The compiler target for a device of compute capability `sm_version` (80 for 8.0): the newest
// of sm_80/86/89/90 the device can run (PTX JIT-compiles forward, so sm_90 serves newer GPUs);
// empty when the device is older than sm_80.
std::string CompileTargetForDevice(int sm_version);

}  // namespace strata::gpu
