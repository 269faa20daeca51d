// Every op case of the GPU tests (tests/compiler/gpu_op_cases.h: the foundation op list and
// more), compiled by the GPU compiler and run on the GPU emulator (backend "gpu-emu": the same
// GpuProgram, kernels retargeted to the host, every GPU thread played with its barriers and warp
// shuffles), against the CPU backend. Runs without a GPU: this is what checks the generated
// kernels' indexing, launch geometry, block reductions and shared memory in CI. On a machine with
// a GPU, STRATA_GPU_OPS_BACKEND=gpu runs the very same cases on the device (tools/gpu_check.sh).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runtime/backends.h"
#include "runtime/gpu/cuda_backend.h"
#include "runtime/session.h"
#include "tests/compiler/gpu_op_cases.h"
#include "tests/gpu_test_util.h"

namespace strata {
namespace {

using testing_util::Feeds;
using testing_util::GraphBuilder;
using testing_util::OpCase;

// Element i of `t` as a double (float types), or as its bits (the rest compare exactly).
double AsDouble(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DT_FLOAT:
      return t.flat<float>()[i];
    case DT_DOUBLE:
      return t.flat<double>()[i];
    default:
      return 0;
  }
}

// Compares `got` (emulator) with `want` (CPU): floats within rtol 1e-4 + atol 1e-5 (half: 2e-3),
// everything else byte for byte. Reports the first few differences.
void ExpectClose(const std::string& label, const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.dtype(), want.dtype()) << label;
  ASSERT_EQ(got.shape(), want.shape()) << label;
  const int64_t n = want.shape().num_elements();
  if (want.dtype() == DT_FLOAT || want.dtype() == DT_DOUBLE) {
    int bad = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double g = AsDouble(got, i), w = AsDouble(want, i);
      const bool both_nan = std::isnan(g) && std::isnan(w);
      if (!both_nan && !(std::fabs(g - w) <= 1e-5 + 1e-4 * std::fabs(w)) && ++bad <= 5) {
        ADD_FAILURE() << label << "[" << i << "]: emulator " << g << ", cpu " << w;
      }
    }
    EXPECT_EQ(bad, 0) << label;
    return;
  }
  if (want.dtype() == DT_HALF) {
    absl::StatusOr<Tensor> g = got.Cast(DT_FLOAT), w = want.Cast(DT_FLOAT);
    ASSERT_TRUE(g.ok() && w.ok());
    int bad = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float gv = g->flat<float>()[i], wv = w->flat<float>()[i];
      if (!(std::fabs(gv - wv) <= 2e-3f * (1 + std::fabs(wv))) && ++bad <= 5) {
        ADD_FAILURE() << label << "[" << i << "]: emulator " << gv << ", cpu " << wv;
      }
    }
    EXPECT_EQ(bad, 0) << label;
    return;
  }
  ASSERT_EQ(got.byte_size(), want.byte_size()) << label;
  EXPECT_EQ(std::memcmp(got.raw_data(), want.raw_data(), want.byte_size()), 0) << label << ": the bytes differ";
}

// The backend under test: "gpu-emu", or $STRATA_GPU_OPS_BACKEND ("gpu" on a GPU machine).
std::string BackendUnderTest() {
  const char* name = std::getenv("STRATA_GPU_OPS_BACKEND");
  return name != nullptr && *name != '\0' ? name : "gpu-emu";
}

// Skips the current test when the backend under test is "gpu" and there is no GPU.
void SkipWithoutTheDevice() { testing_util::SkipWithoutTheGpu(BackendUnderTest()); }

// The backend under test, typed to see whether a request fell back to the CPU (a case that ran
// on the CPU would match trivially).
std::shared_ptr<gpu::CudaBackend> EmulatorBackend() {
  absl::StatusOr<std::unique_ptr<gpu::CudaBackend>> backend = gpu::CreateGpuBackend(BackendUnderTest());
  EXPECT_TRUE(backend.ok()) << backend.status();
  if (!backend.ok()) return nullptr;
  return *std::move(backend);
}

// Runs `fetches` of the graph on the emulator and on the CPU with `feeds`, and compares them.
void RunAndCompare(const std::string& label, GraphBuilder& g, const Feeds& feeds, const std::vector<Output>& fetches) {
  ASSERT_TRUE(g.status().ok()) << g.status();
  SkipWithoutTheDevice();
  if (::testing::Test::IsSkipped()) return;
  std::shared_ptr<gpu::CudaBackend> emu = EmulatorBackend();
  ASSERT_NE(emu, nullptr);
  EXPECT_EQ(emu->name(), BackendUnderTest());
  SessionOptions emu_options, cpu_options;
  emu_options.custom_backend = emu;
  cpu_options.backend = "cpu";
  Session on_emu(g.graph(), emu_options), on_cpu(g.graph(), cpu_options);
  ASSERT_TRUE(on_emu.status().ok()) << on_emu.status();
  ASSERT_TRUE(on_cpu.status().ok()) << on_cpu.status();
  std::vector<std::pair<std::string, Tensor>> named;
  for (const auto& [o, t] : feeds) named.push_back({o.name(), t});
  std::vector<std::string> names;
  for (const Output& o : fetches) names.push_back(o.name());
  std::vector<Tensor> got, want;
  absl::Status e = on_emu.Run(named, names, &got);
  ASSERT_TRUE(e.ok()) << label << ": " << e;
  absl::Status c = on_cpu.Run(named, names, &want);
  ASSERT_TRUE(c.ok()) << label << ": " << c;
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k) ExpectClose(absl::StrCat(label, " ", names[k]), got[k], want[k]);
  for (const gpu::CpuFallback& f : emu->cpu_fallbacks()) ADD_FAILURE() << label << " ran on the CPU: " << f.reason;
}

class GpuEmulatorOpsTest : public ::testing::TestWithParam<OpCase> {};

TEST_P(GpuEmulatorOpsTest, MatchesTheCpu) {
  const OpCase& c = GetParam();
  GraphBuilder g;
  Feeds feeds;
  std::vector<Output> fetches = c.build(g, feeds);
  RunAndCompare(c.name, g, feeds, fetches);
}

std::string CaseName(const ::testing::TestParamInfo<OpCase>& info) {
  std::string name = info.param.name;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Ops, GpuEmulatorOpsTest, ::testing::ValuesIn(testing_util::Cases()), CaseName);
INSTANTIATE_TEST_SUITE_P(MoreOps, GpuEmulatorOpsTest, ::testing::ValuesIn(testing_util::MoreCases()), CaseName);

// Shapes that exercise the launch mapping's edges: a 1-element tensor, a tail block (1000 =
// 3 x 256 + 232), a long row reduction (block reduction, 4096 per row) and a wide one (16385
// outputs: one thread per output).
TEST(GpuEmulatorShapesTest, TailsAndReductionMappings) {
  for (const auto& [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {1, 1000}, {3, 4096}, {16385, 3}}) {
    GraphBuilder g;
    Feeds feeds;
    Output x = testing_util::Feed(g, feeds, "x", testing_util::Rand({rows, cols}, 7, 2));
    Output axis = g.Const("axis", Tensor::Scalar<int32_t>(1));
    Output e = g.Add("e", "Exp", {x});
    Output s = g.Add("s", "Sum", {e, axis});
    Output m = g.Add("m", "Max", {x, axis});
    RunAndCompare(absl::StrCat("rows ", rows, " cols ", cols), g, feeds, {e, s, m});
  }
}

// Results that start from one fill: three depthwise convolutions of one input and two matmuls
// of another, all fetched (facemesh's three branches when a partition makes them results).
// CSE merges their zero fills into one; MLIR 19's bufferization then computed two results in
// the same destination and copied one over the other, so the last result came back as the
// first (SplitEmptyTensors now gives each its own fill).
TEST(GpuEmulatorResultsTest, ResultsThatStartFromOneFillEachGetTheirOwn) {
  GraphBuilder g;
  Feeds feeds;
  Output x = testing_util::Feed(g, feeds, "x", testing_util::Rand({1, 6, 6, 8}, 3));
  Output relu = g.Add("relu", "Relu", {x});
  std::vector<Output> fetches;
  for (int k = 0; k < 3; ++k) {
    Output w = g.Const(absl::StrCat("w", k), testing_util::Rand({3, 3, 8, 1}, 10 + k));
    fetches.push_back(g.Add(absl::StrCat("dw", k), "DepthwiseConv2dNative", {relu, w},
                            {{"T", MakeAttr(DT_FLOAT)},
                             {"strides", MakeAttr(std::vector<int>{1, 2, 2, 1})},
                             {"padding", MakeAttr("SAME")}}));
  }
  Output a = testing_util::Feed(g, feeds, "a", testing_util::Rand({4, 5}, 4));
  for (int k = 0; k < 2; ++k) {
    Output w = g.Const(absl::StrCat("m", k), testing_util::Rand({5, 3}, 20 + k));
    fetches.push_back(g.Add(absl::StrCat("mm", k), "MatMul", {a, w}, {{"T", MakeAttr(DT_FLOAT)}}));
  }
  RunAndCompare("shared fill", g, feeds, fetches);
}

// Gather's index check on the emulator: the kernel flags the bad index and the run fails with
// the CPU path's message.
TEST(GpuEmulatorChecksTest, OutOfRangeGatherIndexIsAnError) {
  GraphBuilder g;
  Feeds feeds;
  Output p = testing_util::Feed(g, feeds, "p", testing_util::Rand({5, 3}, 1));
  Output i = testing_util::Feed(g, feeds, "i", testing_util::I32({4, 0, 7, 2}, {4}));
  Output gathered = g.Add("g", "GatherV2", {p, i, g.Const("ax", Tensor::Scalar<int32_t>(0))});
  ASSERT_TRUE(g.status().ok()) << g.status();
  SkipWithoutTheDevice();
  if (::testing::Test::IsSkipped()) return;
  SessionOptions options;
  options.custom_backend = EmulatorBackend();
  Session s(g.graph(), options);
  ASSERT_TRUE(s.status().ok()) << s.status();
  std::vector<Tensor> out;
  absl::Status run = s.Run({{"p", feeds[0].second}, {"i", feeds[1].second}}, {gathered.name()}, &out);
  EXPECT_TRUE(absl::IsInvalidArgument(run)) << run;
  EXPECT_NE(std::string(run.message()).find("flat position 2 is outside [0, 5)"), std::string::npos) << run;
}

}  // namespace
}  // namespace strata
