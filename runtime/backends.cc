// Backend selection: "cpu", "reference", "gpu-emu" (the GPU path on a host emulator, not listed
// as available: it is for tests), and "gpu"/"gpu:N" (runtime/gpu: the CUDA driver is
// loaded with dlopen when a GPU backend is asked for, so this builds and runs without one). The CPU backend's header is free of MLIR (compiler/cpu_backend.h), so this
// file only needs STRATA_HAVE_CPU_BACKEND (set by runtime/CMakeLists.txt when it links
// libstrata_compiler) to know whether it may use it.
#include "runtime/backends.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/gpu/cuda_backend.h"
#include "runtime/gpu/cuda_device.h"
#include "runtime/reference/evaluator.h"

#if defined(STRATA_HAVE_CPU_BACKEND)
#include "compiler/cpu_backend.h"
#endif

namespace strata {

namespace {

// The backends that need no device, default first.
std::vector<std::string> HostBackends() {
#if defined(STRATA_HAVE_CPU_BACKEND)
  return {"cpu", "reference"};
#else
  return {"reference"};
#endif
}

}  // namespace

std::vector<std::string> AvailableBackends() {
  std::vector<std::string> names = HostBackends();
  // Probes the CUDA driver (dlopen) and opens device 0: only when someone asks for the list.
  if (gpu::CudaAvailable()) names.push_back("gpu");
  return names;
}

std::string DefaultBackendName() { return HostBackends().front(); }

bool IsBackendAvailable(std::string_view name) {
  for (const std::string& b : AvailableBackends()) {
    if (b == name) return true;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(std::string_view name) {
  if (name.empty()) name = DefaultBackendName();
  if (name == "reference") return std::unique_ptr<Backend>(new ReferenceBackend());
  // The GPU compiler's programs on the host emulator (tests; runtime/gpu/emulator).
  if (name == "gpu-emu") return gpu::CreateEmulatedGpuBackend();
  // "gpu" / "gpu:N": the CUDA device N (Unavailable, with the reason, where there is none).
  if (const int ordinal = gpu::GpuBackendOrdinal(name); ordinal >= 0) return gpu::CreateCudaBackend(ordinal);
#if defined(STRATA_HAVE_CPU_BACKEND)
  if (name == "cpu") return std::unique_ptr<Backend>(new CpuBackend());
#else
  if (name == "cpu") {
    return absl::UnimplementedError(
        "backend 'cpu' is not in this build (libstrata_runtime was built without the MLIR compiler); "
        "use backend 'reference'");
  }
#endif
  return absl::InvalidArgumentError(absl::StrCat("unknown backend '", std::string(name), "' (available: ",
                                                 absl::StrJoin(AvailableBackends(), ", "), ")"));
}

}  // namespace strata
