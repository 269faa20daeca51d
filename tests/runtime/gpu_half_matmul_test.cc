// Float16 and bfloat16 contractions on the GPU's tensor cores (gpu_contraction_tiling.h:
// mma.sync m16n8k16 on the 16-bit operands with f32 sums, so they need no allow_tf32),
// on the GPU ("gpu", skipped without one) and on the GPU emulator ("gpu-emu"), against the "cpu"
// backend, which also multiplies halves with f32 sums:
//  - integer-valued inputs make exact f32 sums on both sides, so the results, rounded once to
//    the 16-bit type, must be the CPU's bit for bit: partial tiles, split K, transposed and
//    batched operands, a fused bias + relu epilogue, convolutions and their gradients;
//  - random inputs agree to within the last bit of the 16-bit result (the sums differ only in
//    their order).
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
using testing_util::NodeText;
using testing_util::PlaceholderText;

Tensor Integers(DType dtype, const Shape& shape, unsigned seed, int range) {
  return testing_util::Integers(shape, seed, range, dtype);
}
Tensor Uniform(DType dtype, const Shape& shape, unsigned seed) { return testing_util::Uniform(shape, seed, dtype); }

std::string TypeAttr(const char* key, DType dtype) {
  return absl::StrCat(R"(attr { key: ")", key, R"(" value { type: )", dtype == DT_HALF ? "DT_HALF" : "DT_BFLOAT16", " } }");
}
std::string BoolAttr(const char* key, bool value) {
  return absl::StrCat(R"(attr { key: ")", key, R"(" value { b: )", value ? "true" : "false", " } }");
}

class GpuHalfMatMulTest : public ::testing::TestWithParam<std::tuple<std::string, DType>> {
 protected:
  void SetUp() override { testing_util::SkipUnlessTheGpuRuns(backend()); }
  const std::string& backend() const { return std::get<0>(GetParam()); }
  DType dtype() const { return std::get<1>(GetParam()); }
  std::string Placeholder(const std::string& name) const {
    return PlaceholderText(name, "unknown_rank: true", dtype() == DT_HALF ? "DT_HALF" : "DT_BFLOAT16");
  }

  // {gpu, cpu} outputs of `fetch` (allow_tf32 off on both); the GPU side may not fall back.
  std::pair<Tensor, Tensor> Run(const std::string& graph_text, const Feeds& feeds, const std::string& fetch) {
    auto result = testing_util::RunOnGpuAndCpu(backend(), graph_text, feeds, fetch, /*allow_tf32=*/false);
    EXPECT_TRUE(!result.first.valid() || result.first.dtype() == dtype());
    return result;
  }

  static std::vector<float> Floats(const Tensor& t) {
    absl::StatusOr<Tensor> f = t.Cast(DT_FLOAT);
    return f.ok() ? std::vector<float>(f->flat<float>().begin(), f->flat<float>().end()) : std::vector<float>{};
  }

  // Every element equal; the first 5 that are not are reported.
  static void ExpectIdentical(const std::string& label, const Tensor& got, const Tensor& want) {
    const std::vector<float> g = Floats(got), w = Floats(want);
    ASSERT_EQ(g.size(), w.size()) << label;
    int bad = 0;
    for (size_t i = 0; i < g.size(); ++i) {
      if (g[i] != w[i] && ++bad <= 5) ADD_FAILURE() << label << "[" << i << "]: gpu " << g[i] << ", cpu " << w[i];
    }
    EXPECT_EQ(bad, 0) << label << ": " << bad << " of " << g.size() << " elements differ";
    EXPECT_TRUE(got.Equals(want) || bad > 0) << label << ": equal values, different bits";
  }
};

// Products of integers in [-8, 8] summed over K <= 784 are exact in f32 on both sides; each
// result is then rounded once to the 16-bit type.
TEST_P(GpuHalfMatMulTest, IntegerMatMulsAreExact) {
  struct Case {
    int64_t m, k, n;
    bool ta, tb;
  };
  // Partial tiles, an odd K (the last K pair is half outside), split K, tiles that divide every
  // dimension with both operands transposed (no bounds checks), one transposed operand with
  // partial tiles.
  for (const Case& c : {Case{130, 70, 50, false, false}, Case{96, 71, 64, true, false}, Case{64, 784, 512, false, false},
                        Case{256, 128, 256, true, true}, Case{200, 96, 130, false, true}}) {
    const std::string label = absl::StrCat(DTypeName(dtype()), " ", c.m, "x", c.k, "x", c.n, " ta=", c.ta, " tb=", c.tb);
    const Shape sa = c.ta ? Shape{c.k, c.m} : Shape{c.m, c.k}, sb = c.tb ? Shape{c.n, c.k} : Shape{c.k, c.n};
    const std::string graph = Placeholder("a") + Placeholder("b") +
                              NodeText("y", "MatMul", {"a", "b"}, "",
                                       TypeAttr("T", dtype()) + BoolAttr("transpose_a", c.ta) + BoolAttr("transpose_b", c.tb));
    auto [got, want] = Run(graph, {{"a", Integers(dtype(), sa, 1, 8)}, {"b", Integers(dtype(), sb, 2, 8)}}, "y");
    ExpectIdentical(label, got, want);
  }
}

TEST_P(GpuHalfMatMulTest, IntegerBatchMatMulAndFusedEpilogueAreExact) {
  const std::string bmm = Placeholder("a") + Placeholder("b") +
                          NodeText("y", "BatchMatMulV2", {"a", "b"}, "", TypeAttr("T", dtype()));
  auto [got, want] = Run(bmm, {{"a", Integers(dtype(), {3, 70, 96}, 3, 8)}, {"b", Integers(dtype(), {3, 96, 90}, 4, 8)}}, "y");
  ExpectIdentical("BatchMatMulV2 3x70x96x90", got, want);

  const std::string dense = Placeholder("x") + Placeholder("w") + Placeholder("bias") +
                            NodeText("mm", "MatMul", {"x", "w"}, "", TypeAttr("T", dtype())) +
                            NodeText("biased", "BiasAdd", {"mm", "bias"}, "", TypeAttr("T", dtype())) +
                            NodeText("y", "Relu", {"biased"}, "", TypeAttr("T", dtype()));
  auto [dgot, dwant] = Run(dense,
                           {{"x", Integers(dtype(), {64, 200}, 5, 6)},
                            {"w", Integers(dtype(), {200, 150}, 6, 6)},
                            {"bias", Integers(dtype(), {150}, 7, 40)}},
                           "y");
  ExpectIdentical("Dense 64x200x150 + BiasAdd + Relu", dgot, dwant);
}

std::string ConvAttrs(DType dtype, int stride, const char* padding) {
  return TypeAttr("T", dtype) +
         absl::StrCat(R"(attr { key: "strides" value { list { i: 1 i: )", stride, " i: ", stride, R"( i: 1 } } } )",
                      R"(attr { key: "padding" value { s: ")", padding, R"(" } })");
}

std::string SizesText(const std::string& name, const std::vector<int>& sizes) {
  std::string values;
  for (int v : sizes) absl::StrAppend(&values, " int_val: ", v);
  return absl::StrCat(R"(node { name: ")", name, R"(" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } )",
                      R"(attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: )", sizes.size(),
                      " } }", values, " } } } }\n");
}

// The convolutions keep their 16-bit operands (im2col into a 16-bit column buffer, then the
// 16-bit tensor-core kernel; gpu_ptx_test checks the instructions): 3x3x16 -> 48 channels over
// 2 x 15 x 15, at stride 1 (SAME) and 2 (VALID), and a 1x1 one.
TEST_P(GpuHalfMatMulTest, IntegerConvolutionsAreExact) {
  struct Case {
    int64_t kernel, stride;
    const char* padding;
  };
  for (const Case& c : {Case{3, 1, "SAME"}, Case{3, 2, "VALID"}, Case{1, 1, "VALID"}}) {
    const std::string label = absl::StrCat("conv2d ", c.kernel, "x", c.kernel, " stride ", c.stride, " ", c.padding);
    const std::string graph = Placeholder("x") + Placeholder("w") +
                              NodeText("y", "Conv2D", {"x", "w"}, "", ConvAttrs(dtype(), c.stride, c.padding));
    auto [got, want] = Run(graph,
                           {{"x", Integers(dtype(), {2, 15, 15, 16}, 8, 8)},
                            {"w", Integers(dtype(), {c.kernel, c.kernel, 16, 48}, 9, 8)}},
                           "y");
    ExpectIdentical(label, got, want);
  }
}

// The two gradients of a strided 3x3 convolution: the input's (a convolution of the dilated
// out_backprop with the reversed filter) and the filter's (K = 2 x 8 x 8 products per output).
TEST_P(GpuHalfMatMulTest, IntegerConvolutionGradientsAreExact) {
  const std::string attrs = ConvAttrs(dtype(), 2, "SAME");
  const Feeds feeds = {{"x", Integers(dtype(), {2, 16, 16, 32}, 10, 4)},
                       {"w", Integers(dtype(), {3, 3, 32, 64}, 11, 4)},
                       {"dy", Integers(dtype(), {2, 8, 8, 64}, 12, 4)}};
  const std::string input_grad = Placeholder("w") + Placeholder("dy") + SizesText("sizes", {2, 16, 16, 32}) +
                                 NodeText("dx", "Conv2DBackpropInput", {"sizes", "w", "dy"}, "", attrs);
  auto [dx, dx_cpu] = Run(input_grad, {feeds[1], feeds[2]}, "dx");
  ExpectIdentical("Conv2DBackpropInput", dx, dx_cpu);
  const std::string filter_grad = Placeholder("x") + Placeholder("dy") + SizesText("sizes", {3, 3, 32, 64}) +
                                  NodeText("dw", "Conv2DBackpropFilter", {"x", "sizes", "dy"}, "", attrs);
  auto [dw, dw_cpu] = Run(filter_grad, {feeds[0], feeds[2]}, "dw");
  ExpectIdentical("Conv2DBackpropFilter", dw, dw_cpu);
}

// Random operands: the products are exact on both sides and the f32 sums differ only in order
// (each within K 2^-24 sum_k |a||b| of the exact sum), so the 16-bit results are at most one
// step of the 16-bit type apart, plus twice that f32 error.
TEST_P(GpuHalfMatMulTest, RandomValuesAgreeToTheLastBit) {
  constexpr int64_t kM = 150, kK = 500, kN = 140;
  const Tensor a = Uniform(dtype(), {kM, kK}, 1), b = Uniform(dtype(), {kK, kN}, 2);
  const std::string graph = Placeholder("a") + Placeholder("b") + NodeText("y", "MatMul", {"a", "b"}, "", TypeAttr("T", dtype()));
  auto [got, want] = Run(graph, {{"a", a}, {"b", b}}, "y");
  const std::vector<float> g = Floats(got), w = Floats(want), fa = Floats(a), fb = Floats(b);
  ASSERT_EQ(g.size(), static_cast<size_t>(kM * kN));
  const int mantissa_bits = dtype() == DT_HALF ? 10 : 7;
  int differ = 0;
  for (int64_t i = 0; i < kM; ++i) {
    for (int64_t j = 0; j < kN; ++j) {
      double magnitude = 0;
      for (int64_t k = 0; k < kK; ++k) magnitude += std::fabs(fa[i * kK + k] * fb[k * kN + j]);
      const size_t e = i * kN + j;
      const double step = std::ldexp(1.0, std::ilogb(std::max(std::fabs(w[e]), 1e-30f)) - mantissa_bits);
      const double bound = step + 2 * kK * std::ldexp(magnitude, -24);
      ASSERT_LE(std::fabs(g[e] - w[e]), bound) << "[" << i << "," << j << "]: gpu " << g[e] << ", cpu " << w[e];
      differ += g[e] != w[e];
    }
  }
  EXPECT_LT(differ, static_cast<int>(g.size()) / 10) << "most sums round the same way";
}

std::string ParamName(const ::testing::TestParamInfo<GpuHalfMatMulTest::ParamType>& info) {
  return testing_util::GpuTargetName(std::get<0>(info.param)) + (std::get<1>(info.param) == DT_HALF ? "Half" : "Bfloat16");
}

// "@sm_90a": the same kernels on wgmma (compiled for sm_90a; its GPU runs need compute 9.0).
INSTANTIATE_TEST_SUITE_P(Backends, GpuHalfMatMulTest,
                         ::testing::Combine(::testing::Values("gpu", "gpu-emu", "gpu@sm_90a", "gpu-emu@sm_90a"),
                                            ::testing::Values(DT_HALF, DT_BFLOAT16)),
                         ParamName);

}  // namespace
}  // namespace strata
