#include "runtime/gpu/cuda_backend.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/gpu/cuda_device.h"
#include "runtime/gpu/gpu_executable.h"

#if defined(STRATA_HAVE_CPU_BACKEND)  // set where libstrata_runtime links libstrata_compiler
#include "compiler/gpu/gpu_backend.h"
#endif

namespace strata::gpu {

std::string CompileTargetForDevice(int sm_version) {
  for (int target : {90, 89, 86, 80}) {
    if (sm_version >= target) return absl::StrCat("sm_", target);
  }
  return "";
}

#if defined(STRATA_HAVE_CPU_BACKEND)
namespace {

class CudaBackend : public Backend {
 public:
  CudaBackend(std::shared_ptr<CudaDevice> device, std::string cuda_arch)
      : device_(std::move(device)), cuda_arch_(std::move(cuda_arch)) {}

  std::string name() const override { return "gpu"; }

  absl::StatusOr<std::unique_ptr<Executable>> Compile(const CompileRequest& request) override {
    absl::StatusOr<GpuProgram> program = CompileForGpu(request, cuda_arch_);
    if (!program.ok()) return program.status();
    absl::StatusOr<std::unique_ptr<GpuExecutable>> executable = GpuExecutable::Create(device_, std::move(*program));
    if (!executable.ok()) return executable.status();
    return std::unique_ptr<Executable>(std::move(*executable));
  }

 private:
  std::shared_ptr<CudaDevice> device_;
  std::string cuda_arch_;
};

}  // namespace
#endif

absl::StatusOr<GpuProgram> CompileForGpu(const CompileRequest& request, const std::string& cuda_arch) {
#if defined(STRATA_HAVE_CPU_BACKEND)
  GpuCompileOptions options;
  options.cuda_arch = cuda_arch;
  return CompileGpuProgram(request, options);
#else
  return absl::UnimplementedError("the GPU compiler is not in this build (libstrata_runtime was built without MLIR)");
#endif
}

absl::StatusOr<std::unique_ptr<Backend>> CreateCudaBackend(int ordinal) {
#if defined(STRATA_HAVE_CPU_BACKEND)
  absl::StatusOr<std::shared_ptr<CudaDevice>> device = SharedCudaDevice(ordinal);
  if (!device.ok()) return device.status();
  std::string arch = CompileTargetForDevice((*device)->sm_version());
  if (arch.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the GPU backend needs sm_80 or newer; device ", ordinal, " is ", (*device)->Description()));
  }
  return std::unique_ptr<Backend>(new CudaBackend(*std::move(device), std::move(arch)));
#else
  return absl::UnimplementedError(
      absl::StrCat("backend 'gpu' is not in this build (libstrata_runtime was built without the MLIR compiler); "
                   "device ",
                   ordinal, " was not opened"));
#endif
}

}  // namespace strata::gpu
