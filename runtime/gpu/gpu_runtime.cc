#include "runtime/gpu/gpu_runtime.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/gpu/cuda_device.h"
#include "runtime/gpu/gpu_executable.h"

namespace strata::gpu {

absl::StatusOr<std::unique_ptr<Executable>> MakeGpuExecutable(GpuProgram program, int ordinal) {
  absl::StatusOr<std::shared_ptr<CudaDevice>> device = SharedCudaDevice(ordinal);
  if (!device.ok()) return device.status();
  absl::StatusOr<std::unique_ptr<GpuExecutable>> executable = GpuExecutable::Create(*device, std::move(program));
  if (!executable.ok()) return executable.status();
  return std::unique_ptr<Executable>(std::move(*executable));
}

absl::StatusOr<std::string> DescribeGpu(int ordinal) {
  absl::StatusOr<std::shared_ptr<CudaDevice>> device = SharedCudaDevice(ordinal);
  if (!device.ok()) return device.status();
  return (*device)->Description();
}

absl::StatusOr<std::string> GpuArch(int ordinal) {
  absl::StatusOr<std::shared_ptr<CudaDevice>> device = SharedCudaDevice(ordinal);
  if (!device.ok()) return device.status();
  return absl::StrCat("sm_", (*device)->sm_version());
}

}  // namespace strata::gpu
