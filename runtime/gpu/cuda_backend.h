// The "gpu" Backend for the Session: compiles a request with the GPU compiler (compiler/gpu:
// graph -> PTX + launches) for the architecture of CUDA device `ordinal`, and runs it with
// GpuExecutable. Registering it is one line in runtime/backends.cc:
//   if (name == "gpu") return CreateCudaBackend();
//
// Soft placement (as TensorFlow's): a request the GPU compiler cannot lower (Unimplemented, e.g.
// float64 Exp, which needs libdevice) is compiled by the CPU backend instead, so a Session on
// "gpu" still runs the whole graph. The fallback is per compiled request (the Session compiles
// one per feed/fetch signature), listed by cpu_fallbacks() and announced once per backend on
// stderr. Any other compile error is returned as is.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/executable.h"
#include "runtime/gpu/gpu_program.h"

namespace strata::gpu {

class CudaDevice;

// A request that runs on the CPU because the GPU compiler could not lower it.
struct CpuFallback {
  std::string request;  // CompileRequest::name
  std::string reason;   // the GPU compiler's Unimplemented message (names the op and node)
};

class CudaBackend : public Backend {
 public:
  CudaBackend(std::shared_ptr<CudaDevice> device, std::string cuda_arch);
  // "gpu", or "gpu-emu" on the host emulator's device.
  std::string name() const override;
  // A GpuExecutable, or a CPU executable when the GPU compiler answers Unimplemented (and the
  // CPU backend is in this build).
  absl::StatusOr<std::unique_ptr<Executable>> Compile(const CompileRequest& request) override;

  const std::string& cuda_arch() const { return cuda_arch_; }
  // Every request compiled for the CPU so far, in order.
  std::vector<CpuFallback> cpu_fallbacks() const;

 private:
  absl::StatusOr<std::unique_ptr<Executable>> CompileOnCpu(const CompileRequest& request, const absl::Status& why);

  std::shared_ptr<CudaDevice> device_;
  std::string cuda_arch_;
  mutable std::mutex mu_;  // Compile may be called from several threads
  std::vector<CpuFallback> fallbacks_;
};

// Unavailable where there is no CUDA driver or device (the reason in the message);
// Unimplemented in a build without the MLIR compiler; FailedPrecondition for a GPU older than
// the compiler's oldest target (sm_80).
absl::StatusOr<std::unique_ptr<Backend>> CreateCudaBackend(int ordinal = 0);

// The same backend over a given device (tests open one over a fake driver). The errors of
// CreateCudaBackend, less Unavailable.
absl::StatusOr<std::unique_ptr<CudaBackend>> CreateCudaBackendForDevice(std::shared_ptr<CudaDevice> device);

// Compiles `request` for `cuda_arch` with the GPU compiler, without a device (what the backend
// does before loading the program). Unimplemented in a build without the MLIR compiler.
// `for_emulator` also keeps the kernels retargeted to the host (GpuProgram::host_ir).
absl::StatusOr<GpuProgram> CompileForGpu(const CompileRequest& request, const std::string& cuda_arch,
                                         bool for_emulator = false);

// The "gpu-emu" backend: the GPU backend on the host emulator's device (runtime/gpu/emulator),
// which runs the same compiled programs (kernels retargeted to the host CPU, every GPU thread
// played in turn) where there is no GPU. Slow; for tests. Unimplemented in a build without the
// MLIR compiler.
absl::StatusOr<std::unique_ptr<Backend>> CreateEmulatedGpuBackend();

// The emulator's device (one per process, opened on first use), to run a GpuProgram compiled with
// emit_host_ir through GpuExecutable::Create. Unimplemented without the MLIR compiler.
absl::StatusOr<std::shared_ptr<CudaDevice>> SharedEmulatedCudaDevice();

// The compiler target for a device of compute capability `sm_version` (80 for 8.0): the newest
// of sm_80/86/89/90 the device can run (PTX JIT-compiles forward, so sm_90 serves newer GPUs);
// empty when the device is older than sm_80.
std::string CompileTargetForDevice(int sm_version);

}  // namespace strata::gpu
