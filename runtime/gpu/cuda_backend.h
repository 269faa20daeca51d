// The "gpu" Backend for the Session: compiles a request with the GPU compiler (compiler/gpu:
// graph -> PTX + launches) for the architecture of CUDA device `ordinal`, and runs it with
// GpuExecutable. Registering it is one line in runtime/backends.cc:
//   if (name == "gpu") return CreateCudaBackend();
//
// Soft placement (as TensorFlow's): the nodes the GPU compiler cannot lower (Unimplemented
// naming them, e.g. a float64 Exp, which would need libdevice) run on the CPU and the rest on
// the GPU, with the tensors between them copied through the host (runtime/device_partition.h).
// When the compiler names no node, the whole request runs on the CPU. Each request that
// falls back is listed by cpu_fallbacks() and the first is announced on stderr. Any other
// compile error is returned as is.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/executable.h"
#include "runtime/gpu/gpu_program.h"

namespace strata::gpu {

class CudaDevice;

// A request that runs (partly) on the CPU because the GPU compiler could not lower all of it.
struct CpuFallback {
  std::string request;             // CompileRequest::name
  std::string reason;              // the GPU compiler's first Unimplemented message (names the op and node)
  std::vector<std::string> nodes;  // the nodes placed on the CPU, sorted; empty: the whole request
};

class CudaBackend : public Backend {
 public:
  CudaBackend(std::shared_ptr<CudaDevice> device, std::string cuda_arch);
  // "gpu", or "gpu-emu" on the host emulator's device.
  std::string name() const override;
  // "GPU:<ordinal>".
  std::string device() const override;
  // A GpuExecutable; or, when the GPU compiler answers Unimplemented (and the CPU backend is
  // in this build), an executable that runs the nodes it could not lower on the CPU.
  absl::StatusOr<std::unique_ptr<Executable>> Compile(const CompileRequest& request) override;

  const std::string& cuda_arch() const { return cuda_arch_; }
  // Every request compiled for the CPU so far, in order.
  std::vector<CpuFallback> cpu_fallbacks() const;

 private:
  // The GPU compiler and GpuExecutable only, no fallback.
  absl::StatusOr<std::unique_ptr<Executable>> CompileOnGpu(const CompileRequest& request);
  // After the GPU compiler's Unimplemented `why`: the nodes it names on the CPU, round after
  // round, else the whole request.
  absl::StatusOr<std::unique_ptr<Executable>> PlaceOnCpu(const CompileRequest& request, const absl::Status& why);
  void RecordFallback(const CompileRequest& request, const absl::Status& why, std::vector<std::string> nodes);

  std::shared_ptr<CudaDevice> device_;
  std::string cuda_arch_;
  mutable std::mutex mu_;  // Compile may be called from several threads
  std::vector<CpuFallback> fallbacks_;
};

// Unavailable where there is no CUDA driver or device (the reason in the message);
// Unimplemented in a build without the MLIR compiler; FailedPrecondition for a GPU older than
// the compiler's oldest target (sm_80).
absl::StatusOr<std::unique_ptr<Backend>> CreateCudaBackend(int ordinal = 0);

// "gpu" -> 0, "gpu:N" -> N; -1 when `name` is not a CUDA device's backend name.
int GpuBackendOrdinal(std::string_view name);

// A GPU backend by its name as CreateBackend knows it, typed (to read cpu_fallbacks()): "gpu",
// "gpu:N" or "gpu-emu". InvalidArgument for any other name; otherwise the errors of
// CreateCudaBackend / CreateEmulatedGpuBackend.
// `cuda_arch` (e.g. "sm_90a") chooses the compile target; empty: $STRATA_CUDA_ARCH when set,
// else the newest plain target the device runs (sm_90 on an H100).
absl::StatusOr<std::unique_ptr<CudaBackend>> CreateGpuBackend(std::string_view name, std::string_view cuda_arch = "");

// The same backend over a given device (tests open one over a fake driver). The errors of
// CreateCudaBackend, less Unavailable; InvalidArgument for a `cuda_arch` the compiler does not
// know, FailedPrecondition for one the device cannot run (sm_90a only runs on compute 9.0).
absl::StatusOr<std::unique_ptr<CudaBackend>> CreateCudaBackendForDevice(std::shared_ptr<CudaDevice> device,
                                                                        std::string_view cuda_arch = "");

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
