// Shared by the GPU contraction tests (gpu_tf32_test, gpu_half_matmul_test): deterministic
// inputs, and one graph run on a GPU backend and on the CPU for comparison.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "graph/graph_def_io.h"
#include "gtest/gtest.h"
#include "runtime/gpu/cuda_backend.h"
#include "runtime/session.h"
#include "tests/gpu_test_util.h"

namespace strata::testing_util {

using Feeds = std::vector<std::pair<std::string, Tensor>>;

// Integers in [-range, range] as `dtype`, a different sequence per seed.
inline Tensor Integers(const Shape& shape, unsigned seed, int range, DType dtype = DT_FLOAT) {
  Tensor t(DT_FLOAT, shape);
  auto f = t.flat<float>();
  for (size_t i = 0; i < f.size(); ++i) {
    f[i] = static_cast<float>(static_cast<int64_t>((i * 2654435761u + seed * 40503u) % (2 * range + 1)) - range);
  }
  return dtype == DT_FLOAT ? t : *t.Cast(dtype);
}

// Values in [-1, 1) that use all 23 mantissa bits, then cast to `dtype`.
inline Tensor Uniform(const Shape& shape, unsigned seed, DType dtype = DT_FLOAT) {
  Tensor t(DT_FLOAT, shape);
  auto f = t.flat<float>();
  uint64_t state = 0x9E3779B97F4A7C15ull * (seed + 1);
  for (size_t i = 0; i < f.size(); ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    f[i] = static_cast<float>(static_cast<double>(state >> 11) / 9007199254740992.0 * 2 - 1);
  }
  return dtype == DT_FLOAT ? t : *t.Cast(dtype);
}

// A test's GPU target: "gpu" or "gpu-emu", optionally with "@ARCH" for a compile target other
// than the device's default ("gpu-emu@sm_90a": the wgmma kernels, on the emulator).
struct GpuTarget {
  std::string backend, arch;
};
inline GpuTarget ParseGpuTarget(const std::string& target) {
  const size_t at = target.find('@');
  if (at == std::string::npos) return GpuTarget{target, ""};
  return GpuTarget{target.substr(0, at), target.substr(at + 1)};
}

// "Gpu" / "Emulator", then the arch ("Sm90a"), for test names.
inline std::string GpuTargetName(const std::string& target) {
  const GpuTarget t = ParseGpuTarget(target);
  std::string name = t.backend == "gpu" ? "Gpu" : "Emulator";
  for (size_t i = 0; i < t.arch.size(); ++i) {
    if (t.arch[i] != '_') name += i == 0 ? static_cast<char>(t.arch[i] - 'a' + 'A') : t.arch[i];
  }
  return name;
}

// Skips the test without the target's GPU, or when it cannot run the target's arch (sm_90a on
// anything but compute 9.0).
inline void SkipUnlessTheGpuRuns(const std::string& target) {
  const GpuTarget t = ParseGpuTarget(target);
  SkipWithoutTheGpu(t.backend);
  if (::testing::Test::IsSkipped() || t.arch.empty()) return;
  absl::StatusOr<std::unique_ptr<gpu::CudaBackend>> backend = gpu::CreateGpuBackend(t.backend, t.arch);
  if (absl::IsFailedPrecondition(backend.status())) GTEST_SKIP() << backend.status().message();
}

// Runs `graph_text` on GPU target `target` ("gpu", "gpu-emu", "gpu-emu@sm_90a") and on "cpu", both with
// `allow_tf32` (which the CPU ignores); returns their outputs of `fetch`, {gpu, cpu}, or empty
// tensors after a test failure. The GPU side may not fall back to the CPU.
inline std::pair<Tensor, Tensor> RunOnGpuAndCpu(const std::string& backend, const std::string& graph_text,
                                                const Feeds& feeds, const std::string& fetch, bool allow_tf32) {
  absl::StatusOr<tf::GraphDef> def = ParseGraphDefText(graph_text);
  EXPECT_TRUE(def.ok()) << def.status();
  if (!def.ok()) return {};
  const GpuTarget target = ParseGpuTarget(backend);
  absl::StatusOr<std::unique_ptr<gpu::CudaBackend>> created = gpu::CreateGpuBackend(target.backend, target.arch);
  EXPECT_TRUE(created.ok()) << created.status();
  if (!created.ok()) return {};
  std::shared_ptr<gpu::CudaBackend> cuda = *std::move(created);
  SessionOptions gpu_options, cpu_options;
  gpu_options.custom_backend = cuda;
  gpu_options.allow_tf32 = allow_tf32;
  cpu_options.backend = "cpu";
  cpu_options.allow_tf32 = allow_tf32;
  Session gpu(*def, gpu_options), cpu(*def, cpu_options);
  std::vector<Tensor> got, want;
  absl::Status g = gpu.Run(feeds, {fetch}, &got);
  EXPECT_TRUE(g.ok()) << g;
  absl::Status c = cpu.Run(feeds, {fetch}, &want);
  EXPECT_TRUE(c.ok()) << c;
  for (const gpu::CpuFallback& f : cuda->cpu_fallbacks()) ADD_FAILURE() << f.request << " ran on the CPU: " << f.reason;
  if (got.size() != 1 || want.size() != 1) return {};
  EXPECT_EQ(got[0].dtype(), want[0].dtype());
  EXPECT_EQ(got[0].shape(), want[0].shape());
  return {got[0], want[0]};
}

}  // namespace strata::testing_util
