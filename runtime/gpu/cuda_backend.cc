#include "runtime/gpu/cuda_backend.h"

#include <cstdio>
#include <cstdlib>
#include <set>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "graph/status_nodes.h"
#include "graph/str_util.h"
#include "runtime/device_partition.h"
#include "runtime/gpu/cuda_device.h"
#include "runtime/gpu/gpu_executable.h"

#if defined(STRATA_HAVE_CPU_BACKEND)  // set where libstrata_runtime links libstrata_compiler
#include "compiler/cpu_backend.h"
#include "compiler/gpu/gpu_backend.h"
#endif

namespace strata::gpu {

std::string CompileTargetForDevice(int sm_version) {
  for (int target : {90, 89, 86, 80}) {
    if (sm_version >= target) return absl::StrCat("sm_", target);
  }
  return "";
}

CudaBackend::CudaBackend(std::shared_ptr<CudaDevice> device, std::string cuda_arch)
    : device_(std::move(device)), cuda_arch_(std::move(cuda_arch)) {}

std::string CudaBackend::name() const { return device_->driver().host_emulator ? "gpu-emu" : "gpu"; }

std::string CudaBackend::device() const { return absl::StrCat("GPU:", device_->ordinal()); }

absl::StatusOr<std::unique_ptr<Executable>> CudaBackend::Compile(const CompileRequest& request) {
  absl::StatusOr<std::unique_ptr<Executable>> executable = CompileOnGpu(request);
  // Unimplemented: an op without a GPU lowering. Other errors (bad graphs, bad shapes) would
  // fail on the CPU as well, so they are not retried there.
  if (!absl::IsUnimplemented(executable.status())) return executable;
  return PlaceOnCpu(request, executable.status());
}

absl::StatusOr<std::unique_ptr<Executable>> CudaBackend::CompileOnGpu(const CompileRequest& request) {
  absl::StatusOr<GpuProgram> program = CompileForGpu(request, cuda_arch_, device_->driver().host_emulator);
  if (!program.ok()) return program.status();
  absl::StatusOr<std::unique_ptr<GpuExecutable>> executable = GpuExecutable::Create(device_, std::move(*program));
  if (!executable.ok()) return executable.status();
  return std::unique_ptr<Executable>(std::move(*executable));
}

absl::StatusOr<std::unique_ptr<Executable>> CudaBackend::PlaceOnCpu(const CompileRequest& request,
                                                                    const absl::Status& why) {
#if defined(STRATA_HAVE_CPU_BACKEND)
  // The nodes the request computes; only those can move.
  absl::flat_hash_set<std::string> computed;
  for (const Node* n : ComputedNodes(request)) computed.insert(n->name());
  // Each round moves the nodes the GPU compiler named to the CPU and compiles again: a
  // compile stops at its first error, so a graph with several such nodes takes several rounds.
  constexpr int kMaxRounds = 16;
  std::set<std::string> on_cpu;
  absl::Status last = why;
  CpuBackend cpu;
  for (int round = 0; round < kMaxRounds; ++round) {
    size_t moved = 0;
    for (const std::string& n : NodesOf(last)) {
      if (computed.contains(n)) moved += on_cpu.insert(n).second ? 1 : 0;
    }
    if (moved == 0 || on_cpu.size() == computed.size()) break;  // nothing (more) to move, or everything
    absl::StatusOr<std::unique_ptr<Executable>> executable = CompilePartitioned(
        request, {name(), "cpu"}, [&](const Node& n) { return on_cpu.contains(n.name()) ? 1 : 0; },
        [&](int device, const CompileRequest& part) { return device == 0 ? CompileOnGpu(part) : cpu.Compile(part); });
    if (executable.ok()) {
      RecordFallback(request, why, std::vector<std::string>(on_cpu.begin(), on_cpu.end()));
      return executable;
    }
    if (!absl::IsUnimplemented(executable.status())) return executable.status();
    last = executable.status();
  }
  // The whole request on the CPU: the compiler named no node it could move.
  absl::StatusOr<std::unique_ptr<Executable>> executable = cpu.Compile(request);
  if (!executable.ok()) {
    return absl::Status(executable.status().code(),
                        absl::StrCat(why.message(), "; compiling '", request.name,
                                     "' for the CPU instead failed too: ", executable.status().message()));
  }
  RecordFallback(request, why, {});
  return executable;
#else
  (void)request;
  return why;
#endif
}

void CudaBackend::RecordFallback(const CompileRequest& request, const absl::Status& why,
                                 std::vector<std::string> nodes) {
  bool first = false;
  const std::string what = nodes.empty() ? "all of" : absl::StrCat(nodes.size(), nodes.size() == 1 ? " node" : " nodes", " of");
  {
    std::lock_guard<std::mutex> lock(mu_);
    first = fallbacks_.empty();
    fallbacks_.push_back({request.name, std::string(why.message()), std::move(nodes)});
  }
  // Once per backend: a model that falls back does so for every signature it is run with.
  if (first) {
    std::fprintf(stderr, "strata: backend '%s' runs %s '%s' on the CPU: %s\n", name().c_str(), what.c_str(),
                 request.name.c_str(), std::string(why.message()).c_str());
  }
}

std::vector<CpuFallback> CudaBackend::cpu_fallbacks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fallbacks_;
}

absl::StatusOr<GpuProgram> CompileForGpu(const CompileRequest& request, const std::string& cuda_arch,
                                         bool for_emulator) {
#if defined(STRATA_HAVE_CPU_BACKEND)
  GpuCompileOptions options;
  options.cuda_arch = cuda_arch;
  options.emit_host_ir = for_emulator;
  options.allow_tf32 = request.allow_tf32;
  return CompileGpuProgram(request, options);
#else
  (void)for_emulator;
  return absl::UnimplementedError("the GPU compiler is not in this build (libstrata_runtime was built without MLIR)");
#endif
}

absl::StatusOr<std::unique_ptr<CudaBackend>> CreateCudaBackendForDevice(std::shared_ptr<CudaDevice> device,
                                                                        std::string_view cuda_arch) {
  if (device == nullptr) return absl::InvalidArgumentError("CreateCudaBackendForDevice: no device");
#if defined(STRATA_HAVE_CPU_BACKEND)
  std::string arch = CompileTargetForDevice(device->sm_version());
  if (arch.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("the GPU backend needs sm_80 or newer; device ",
                                                      device->ordinal(), " is ", device->Description()));
  }
  const char* from_env = std::getenv("STRATA_CUDA_ARCH");
  std::string chosen(cuda_arch.empty() && from_env != nullptr ? std::string_view(from_env) : cuda_arch);
  if (!chosen.empty()) {
    if (absl::StatusOr<std::string> known = DefaultPtxFeatures(chosen); !known.ok()) return known.status();
    absl::StatusOr<bool> runs = device->RunsArch(chosen);
    if (!runs.ok()) return runs.status();
    if (!*runs) {
      return absl::FailedPreconditionError(absl::StrCat("cuda_arch ", chosen, " cannot run on device ", device->ordinal(),
                                                        " (", device->Description(), ")"));
    }
    arch = chosen;
  }
  return std::make_unique<CudaBackend>(std::move(device), std::move(arch));
#else
  (void)cuda_arch;
  return absl::UnimplementedError(
      absl::StrCat("backend 'gpu' is not in this build (libstrata_runtime was built without the MLIR compiler); "
                   "device ",
                   device->ordinal(), " is not used"));
#endif
}

namespace {

absl::StatusOr<std::unique_ptr<CudaBackend>> CreateTypedCudaBackend(int ordinal, std::string_view cuda_arch = "") {
#if defined(STRATA_HAVE_CPU_BACKEND)
  absl::StatusOr<std::shared_ptr<CudaDevice>> device = SharedCudaDevice(ordinal);
  if (!device.ok()) return device.status();
  return CreateCudaBackendForDevice(*std::move(device), cuda_arch);
#else
  (void)cuda_arch;
  return absl::UnimplementedError(
      absl::StrCat("backend 'gpu' is not in this build (libstrata_runtime was built without the MLIR compiler); "
                   "device ",
                   ordinal, " was not opened"));
#endif
}

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> CreateCudaBackend(int ordinal) {
  absl::StatusOr<std::unique_ptr<CudaBackend>> backend = CreateTypedCudaBackend(ordinal);
  if (!backend.ok()) return backend.status();
  return std::unique_ptr<Backend>(std::move(*backend));
}

int GpuBackendOrdinal(std::string_view name) {
  if (name == "gpu") return 0;
  int ordinal = -1;
  if (name.size() > 4 && name.substr(0, 4) == "gpu:" && absl::SimpleAtoi(Absl(name.substr(4)), &ordinal) && ordinal >= 0) {
    return ordinal;
  }
  return -1;
}

absl::StatusOr<std::unique_ptr<CudaBackend>> CreateGpuBackend(std::string_view name, std::string_view cuda_arch) {
  if (name == "gpu-emu") {
    absl::StatusOr<std::shared_ptr<CudaDevice>> device = SharedEmulatedCudaDevice();
    if (!device.ok()) return device.status();
    return CreateCudaBackendForDevice(*std::move(device), cuda_arch);
  }
  const int ordinal = GpuBackendOrdinal(name);
  if (ordinal < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", std::string(name), "' is not a GPU backend name (gpu, gpu:N, gpu-emu)"));
  }
  return CreateTypedCudaBackend(ordinal, cuda_arch);
}

}  // namespace strata::gpu
