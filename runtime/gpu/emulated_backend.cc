// The "gpu-emu" backend: CudaBackend over the host emulator's driver table, whose modules are
// loaded by the compiler's LoadHostKernels (compiler/gpu/gpu_host_kernels.h).
#include <memory>
#include <mutex>
#include <utility>

#include "runtime/gpu/cuda_backend.h"
#include "runtime/gpu/cuda_device.h"
#include "runtime/gpu/emulator/emulated_driver.h"

#if defined(STRATA_HAVE_CPU_BACKEND)  // set where libstrata_runtime links libstrata_compiler
#include "compiler/gpu/gpu_host_kernels.h"
#endif

namespace strata::gpu {

absl::StatusOr<std::shared_ptr<CudaDevice>> SharedEmulatedCudaDevice() {
#if defined(STRATA_HAVE_CPU_BACKEND)
  // One emulated device per process, shared like the real ones (SharedCudaDevice).
  static std::mutex mu;
  static std::unique_ptr<CudaDriver> driver;
  static std::shared_ptr<CudaDevice> device;
  std::lock_guard<std::mutex> lock(mu);
  if (device == nullptr) {
    if (driver == nullptr) driver = emu::MakeEmulatedCudaDriver(&LoadHostKernels);
    absl::StatusOr<std::unique_ptr<CudaDevice>> opened = CudaDevice::Open(driver.get(), 0);
    if (!opened.ok()) return opened.status();
    device = std::shared_ptr<CudaDevice>(std::move(*opened));
  }
  return device;
#else
  return absl::UnimplementedError(
      "backend 'gpu-emu' is not in this build (libstrata_runtime was built without the MLIR compiler)");
#endif
}

absl::StatusOr<std::unique_ptr<Backend>> CreateEmulatedGpuBackend() {
  absl::StatusOr<std::unique_ptr<CudaBackend>> backend = CreateGpuBackend("gpu-emu");
  if (!backend.ok()) return backend.status();
  return std::unique_ptr<Backend>(std::move(*backend));
}

}  // namespace strata::gpu
