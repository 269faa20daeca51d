// SessionOptions::allow_tf32: float32 contractions on tensor cores (mma.sync.m16n8k8 with
// TensorFloat-32 inputs, gpu_contraction_tiling.h), on the GPU ("gpu", skipped without one) and
// on the GPU emulator ("gpu-emu", which expands each mma.sync into the warp's shuffles and f32
// sums), against the "cpu" backend:
//  - integer-valued inputs are exact in TF32 and their sums exact in f32, so every result must
//    equal the CPU's bit for bit: this pins the fragment layouts, partial tiles, split K,
//    transposed and batched operands, the fused bias + relu epilogue and im2col convolutions;
//  - values between TF32's steps come out rounded to nearest, ties away from zero (1 + 2^-11
//    -> 1 + 2^-10, 1 + 2^-12 -> 1), which also shows that the tensor-core path ran;
//  - random values stay within the TF32 error bound derived below, and miss f32 exactness.
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/gpu_test_util.h"
#include "tests/graph_text_util.h"
#include "tests/runtime/gpu_vs_cpu_util.h"

namespace strata {
namespace {

using testing_util::Feeds;
using testing_util::Integers;
using testing_util::NodeText;
using testing_util::PlaceholderText;
using testing_util::Uniform;

std::string BoolAttr(const char* key, bool value) {
  return absl::StrCat(R"(attr { key: ")", key, R"(" value { b: )", value ? "true" : "false", " } }");
}

class GpuTf32Test : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { testing_util::SkipUnlessTheGpuRuns(GetParam()); }

  // {gpu, cpu} outputs of `fetch`, allow_tf32 on (or off) for both.
  std::pair<Tensor, Tensor> Run(const std::string& graph_text, const Feeds& feeds, const std::string& fetch,
                                bool allow_tf32 = true) {
    return testing_util::RunOnGpuAndCpu(GetParam(), graph_text, feeds, fetch, allow_tf32);
  }

  // Every element equal; the first 5 that are not are reported.
  static void ExpectIdentical(const std::string& label, const Tensor& got, const Tensor& want) {
    ASSERT_EQ(got.shape(), want.shape()) << label;
    auto g = got.flat<float>(), w = want.flat<float>();
    int bad = 0;
    for (size_t i = 0; i < g.size(); ++i) {
      if (g[i] != w[i] && ++bad <= 5) ADD_FAILURE() << label << "[" << i << "]: gpu " << g[i] << ", cpu " << w[i];
    }
    EXPECT_EQ(bad, 0) << label << ": " << bad << " of " << g.size() << " elements differ";
  }
};

// Products of integers in [-8, 8] summed over K <= 784 stay below 2^24: exact in f32.
TEST_P(GpuTf32Test, IntegerMatMulsAreExact) {
  struct Case {
    int64_t m, k, n;
    bool ta, tb;
  };
  // Partial tiles (130 x 70 x 50), 64-wide tiles with K split (64 x 784 x 512), 128-wide ones
  // (300 x 96 x 260), tiles that divide every dimension (no bounds checks; K split in two:
  // 256 x 128 x 256), and the transposed operands folded into the tile loads.
  for (const Case& c : {Case{130, 70, 50, false, false}, Case{64, 784, 512, false, false},
                        Case{256, 128, 256, false, false}, Case{256, 128, 256, true, true},
                        Case{300, 96, 260, false, false}, Case{200, 96, 130, true, false},
                        Case{200, 96, 130, false, true}, Case{200, 96, 130, true, true}}) {
    const std::string label = absl::StrCat(c.m, "x", c.k, "x", c.n, " ta=", c.ta, " tb=", c.tb);
    const Shape sa = c.ta ? Shape{c.k, c.m} : Shape{c.m, c.k}, sb = c.tb ? Shape{c.n, c.k} : Shape{c.k, c.n};
    const std::string graph = PlaceholderText("a") + PlaceholderText("b") +
                              NodeText("y", "MatMul", {"a", "b"}, "", BoolAttr("transpose_a", c.ta) + BoolAttr("transpose_b", c.tb));
    auto [got, want] = Run(graph, {{"a", Integers(sa, 1, 8)}, {"b", Integers(sb, 2, 8)}}, "y");
    ExpectIdentical(label, got, want);
  }
}

TEST_P(GpuTf32Test, IntegerBatchMatMulAndFusedEpilogueAreExact) {
  {
    const std::string graph = PlaceholderText("a") + PlaceholderText("b") + NodeText("y", "BatchMatMulV2", {"a", "b"});
    auto [got, want] = Run(graph, {{"a", Integers(Shape{4, 128, 64}, 3, 8)}, {"b", Integers(Shape{4, 64, 96}, 4, 8)}}, "y");
    ExpectIdentical("batch matmul", got, want);
  }
  // Dense + BiasAdd + Relu: the bias and relu computed in the matmul kernel's epilogue.
  const std::string graph = PlaceholderText("x") + PlaceholderText("w") + PlaceholderText("bias") +
                            NodeText("mm", "MatMul", {"x", "w"}) + NodeText("biased", "BiasAdd", {"mm", "bias"}) +
                            NodeText("y", "Relu", {"biased"});
  auto [got, want] = Run(
      graph, {{"x", Integers(Shape{100, 160}, 5, 8)}, {"w", Integers(Shape{160, 200}, 6, 8)}, {"bias", Integers(Shape{200}, 7, 50)}},
      "y");
  ExpectIdentical("dense + bias + relu", got, want);
}

TEST_P(GpuTf32Test, IntegerConvolutionIsExact) {
  // Conv2D as im2col + the tensor-core matmul: 3x3x16 -> 48 channels over 2 x 15 x 15.
  const std::string graph = PlaceholderText("x") + PlaceholderText("w") +
                            NodeText("y", "Conv2D", {"x", "w"}, "",
                                     R"(attr { key: "strides" value { list { i: 1 i: 1 i: 1 i: 1 } } } )"
                                     R"(attr { key: "padding" value { s: "SAME" } })");
  auto [got, want] = Run(graph, {{"x", Integers(Shape{2, 15, 15, 16}, 8, 8)}, {"w", Integers(Shape{3, 3, 16, 48}, 9, 8)}}, "y");
  ExpectIdentical("conv2d", got, want);
}

// Row i of A holds one value v_i in column 0, B is all ones: C[i][j] is v_i rounded to TF32.
TEST_P(GpuTf32Test, InputsAreRoundedToNearestTiesAway) {
  struct Case {
    float in, tf32;  // TF32's step at 1 is 2^-10
  };
  const float s = std::ldexp(1.f, -10);
  const Case cases[] = {
      {1 + s / 2, 1 + s},           // a tie: away from zero
      {-(1 + s / 2), -(1 + s)},     // a tie, negative
      {1 + s / 4, 1},               // below half a step: down
      {1 + 3 * s / 4, 1 + s},       // above: up
      {1 + s + s / 2, 1 + 2 * s},   // a tie from an odd step: away, not to even
      {3.f, 3.f},                   // exact
  };
  const int64_t m = 64, k = 64, n = 64;
  Tensor a(DT_FLOAT, Shape{m, k}), b(DT_FLOAT, Shape{k, n});
  for (float& v : a.flat<float>()) v = 0;
  for (float& v : b.flat<float>()) v = 1;
  for (int64_t i = 0; i < m; ++i) a.flat<float>()[static_cast<size_t>(i * k)] = cases[i % 6].in;
  const std::string graph = PlaceholderText("a") + PlaceholderText("b") + NodeText("y", "MatMul", {"a", "b"});
  for (bool tf32 : {true, false}) {
    auto [got, want] = Run(graph, {{"a", a}, {"b", b}}, "y", tf32);
    ASSERT_EQ(got.shape(), (Shape{m, n}));
    for (int64_t i = 0; i < m; ++i) {
      const Case& c = cases[i % 6];
      for (int64_t j = 0; j < n; ++j) {
        const float value = got.flat<float>()[static_cast<size_t>(i * n + j)];
        ASSERT_EQ(value, tf32 ? c.tf32 : c.in) << "allow_tf32=" << tf32 << " row " << i << " col " << j << " input "
                                               << c.in;
      }
    }
  }
}

// Each input rounded to TF32 is off by at most 2^-11 of itself, so a product by at most
// 2^-10 + 2^-22 of |a||b|; the f32 sums of K products (the GPU's and the CPU's, in any order)
// add at most K 2^-24 of sum |a||b| each. Hence
//   |gpu - cpu| <= (2^-10 + 2^-22 + 2 K 2^-24) sum_k |a_ik| |b_kj|.
// Inputs with all 23 mantissa bits cannot all be exact in TF32: the worst error must be > 0.
TEST_P(GpuTf32Test, RandomValuesStayWithinTheTf32Bound) {
  const int64_t m = 150, k = 500, n = 140;
  const Tensor a = Uniform(Shape{m, k}, 1), b = Uniform(Shape{k, n}, 2);
  const std::string graph = PlaceholderText("a") + PlaceholderText("b") + NodeText("y", "MatMul", {"a", "b"});
  auto [got, want] = Run(graph, {{"a", a}, {"b", b}}, "y");
  ASSERT_EQ(got.shape(), (Shape{m, n}));
  const double unit = std::ldexp(1.0, -10) + std::ldexp(1.0, -22) + 2.0 * static_cast<double>(k) * std::ldexp(1.0, -24);
  double worst = 0, worst_of_bound = 0;
  int bad = 0;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double magnitude = 0;
      for (int64_t p = 0; p < k; ++p) {
        magnitude += std::fabs(static_cast<double>(a.flat<float>()[static_cast<size_t>(i * k + p)]) *
                               b.flat<float>()[static_cast<size_t>(p * n + j)]);
      }
      const size_t at = static_cast<size_t>(i * n + j);
      const double err = std::fabs(static_cast<double>(got.flat<float>()[at]) - want.flat<float>()[at]);
      worst = std::max(worst, err);
      worst_of_bound = std::max(worst_of_bound, err / (unit * magnitude));
      if (err > unit * magnitude && ++bad <= 5) {
        ADD_FAILURE() << "[" << i << "][" << j << "]: gpu " << got.flat<float>()[at] << ", cpu " << want.flat<float>()[at]
                      << ", bound " << unit * magnitude;
      }
    }
  }
  EXPECT_EQ(bad, 0);
  EXPECT_GT(worst, 0) << "every result equals the f32 one: the TF32 path did not run";
  std::printf("[ tf32 %lldx%lldx%lld ] worst abs error %.3g, worst error / bound %.3f\n", static_cast<long long>(m),
              static_cast<long long>(k), static_cast<long long>(n), worst, worst_of_bound);
}

std::string BackendName(const ::testing::TestParamInfo<std::string>& info) {
  return testing_util::GpuTargetName(info.param);
}

// "@sm_90a": the TF32 kernel on wgmma (compiled for sm_90a; its GPU runs need compute 9.0).
INSTANTIATE_TEST_SUITE_P(Backends, GpuTf32Test, ::testing::Values("gpu", "gpu-emu", "gpu@sm_90a", "gpu-emu@sm_90a"),
                         BackendName);

}  // namespace
}  // namespace strata
