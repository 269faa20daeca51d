// Large elementwise kernels with 4 elements per thread and 16-byte accesses
// (compiler/gpu/gpu_vectorize_elementwise.h) compute what the CPU computes, element for element:
// same-shape and bias operands as vectors, column broadcasts and transposed reads as scalars,
// int32 as well as float, and shapes the rewrite leaves alone. gpu_ptx_test checks the
// instructions; this checks the values (on the emulator in CI, on a GPU where there is one).
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/graph_text_util.h"
#include "tests/runtime/gpu_vs_cpu_util.h"

namespace strata {
namespace {

using testing_util::NodeText;
using testing_util::PlaceholderText;

std::string TypeAttr(const char* type) { return absl::StrCat(R"(attr { key: "T" value { type: )", type, " } }"); }

class GpuVectorizedElementwiseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { testing_util::SkipUnlessTheGpuRuns(GetParam()); }

  // out = ((x + y) + c) * col with x, y [rows, inner] (x read through a Transpose when
  // `transposed`), c [inner], col [rows, 1]; the GPU's result must equal the CPU's exactly.
  void Check(int64_t rows, int64_t inner, bool transposed, DType dtype) {
    const char* type = dtype == DT_INT32 ? "DT_INT32" : "DT_FLOAT";
    std::string graph = PlaceholderText("xin", "unknown_rank: true", type) + PlaceholderText("y", "unknown_rank: true", type) +
                        PlaceholderText("c", "unknown_rank: true", type) + PlaceholderText("col", "unknown_rank: true", type);
    std::string x = "xin";
    if (transposed) {
      graph += R"(node { name: "perm" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 2 } } int_val: 1 int_val: 0 } } } })";
      graph += NodeText("xt", "Transpose", {"xin", "perm"}, "", TypeAttr(type));
      x = "xt";
    }
    graph += NodeText("xy", "Add", {x, "y"}, "", TypeAttr(type)) + NodeText("s", "Add", {"xy", "c"}, "", TypeAttr(type)) +
             NodeText("out", "Mul", {"s", "col"}, "", TypeAttr(type));
    const Shape xs = transposed ? Shape{inner, rows} : Shape{rows, inner};
    auto result = testing_util::RunOnGpuAndCpu(
        GetParam(), graph,
        {{"xin", testing_util::Integers(xs, 1, 50, dtype)},
         {"y", testing_util::Integers(Shape{rows, inner}, 2, 50, dtype)},
         {"c", testing_util::Integers(Shape{inner}, 3, 50, dtype)},
         {"col", testing_util::Integers(Shape{rows, 1}, 4, 5, dtype)}},
        "out", false);
    EXPECT_TRUE(result.first.Equals(result.second))
        << rows << "x" << inner << (transposed ? " transposed" : "") << " " << type << ": the GPU differs from the CPU";
  }
};

TEST_P(GpuVectorizedElementwiseTest, SameShapeAndBiasOperandsAsVectors) { Check(256, 512, false, DT_FLOAT); }

TEST_P(GpuVectorizedElementwiseTest, TransposedOperandStaysScalar) { Check(256, 512, true, DT_FLOAT); }

TEST_P(GpuVectorizedElementwiseTest, Int32) { Check(128, 1024, false, DT_INT32); }

TEST_P(GpuVectorizedElementwiseTest, InnerDimensionNotDivisibleByFour) { Check(1000, 257, false, DT_FLOAT); }

TEST_P(GpuVectorizedElementwiseTest, ThreeDimensionsWithBroadcasts) {
  // [8, 64, 256] + [256] + [8, 64, 1]: the innermost loop vectorized under two outer ones.
  std::string graph = PlaceholderText("x") + PlaceholderText("c") + PlaceholderText("col") +
                      NodeText("s", "Add", {"x", "c"}) + NodeText("out", "Sub", {"s", "col"});
  auto result = testing_util::RunOnGpuAndCpu(GetParam(), graph,
                                             {{"x", testing_util::Uniform(Shape{8, 64, 256}, 1)},
                                              {"c", testing_util::Uniform(Shape{256}, 2)},
                                              {"col", testing_util::Uniform(Shape{8, 64, 1}, 3)}},
                                             "out", false);
  EXPECT_TRUE(result.first.Equals(result.second)) << "the GPU differs from the CPU";
}

INSTANTIATE_TEST_SUITE_P(Backends, GpuVectorizedElementwiseTest, ::testing::Values("gpu", "gpu-emu"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return testing_util::GpuTargetName(info.param);
                         });

}  // namespace
}  // namespace strata
