// SpaceToBatchND and BatchToSpaceND (ops/space_batch_ops.cc) compiled by the CPU backend:
// the documented examples by hand-derived values, a dilated depthwise convolution pattern
// (SpaceToBatchND -> DepthwiseConv2dNative -> BatchToSpaceND, what TF emits for atrous
// convolutions and what the rvm model uses) against the reference evaluator, and the
// compile-time error for a block_shape that is not a constant.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/reference/evaluator.h"
#include "tests/compiler/graph_test_util.h"

namespace strata {
namespace {

using testing_util::AllClose;
using testing_util::F32;
using testing_util::GraphBuilder;
using testing_util::Pattern;
using testing_util::Values;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Feeds = std::vector<std::pair<Output, Tensor>>;

Tensor I32s(std::vector<int32_t> v, Shape s) { return Tensor::FromVector<int32_t>(absl::MakeConstSpan(v), s); }
Tensor I64s(std::vector<int64_t> v, Shape s) { return Tensor::FromVector<int64_t>(absl::MakeConstSpan(v), s); }

// TF's fourth documented example: [2, 2, 4, 1] with block [2, 2] and paddings [[0, 0], [2, 0]]
// gives [8, 1, 3, 1]; BatchToSpaceND with the same crops takes it back.
TEST(SpaceBatchCompiledTest, DocumentedPaddedExampleRoundTrip) {
  std::vector<float> v;
  for (int i = 1; i <= 16; ++i) v.push_back(static_cast<float>(i));
  GraphBuilder g;
  Output x = g.Placeholder("x", DT_FLOAT, Shape{2, 2, 4, 1});
  Output block = g.Const("block", I64s({2, 2}, {2}));
  Output pads = g.Const("pads", I32s({0, 0, 2, 0}, {2, 2}));
  Output s2b = g.Add("s2b", "SpaceToBatchND", {x, block, pads});
  Output b2s = g.Add("b2s", "BatchToSpaceND", {s2b, block, pads});
  ASSERT_TRUE(g.status().ok()) << g.status();
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), {{x, F32(v, {2, 2, 4, 1})}}, {s2b, b2s});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->results[0].shape(), (Shape{8, 1, 3, 1}));
  EXPECT_THAT(Values<float>(run->results[0]),
              ElementsAre(0, 1, 3, 0, 9, 11, 0, 2, 4, 0, 10, 12, 0, 5, 7, 0, 13, 15, 0, 6, 8, 0, 14, 16));
  EXPECT_TRUE(AllClose(run->results[1], F32(v, {2, 2, 4, 1})));
}

// An atrous depthwise convolution as TF writes it (dilation 2, SAME): the spatial dims padded
// to a multiple of the block, convolved per block offset, and cropped back.
TEST(SpaceBatchCompiledTest, AtrousDepthwiseConvolutionMatchesReference) {
  GraphBuilder g;
  const Shape in_shape{1, 9, 10, 3};
  Output x = g.Placeholder("x", DT_FLOAT, in_shape);
  Output block = g.Const("block", I32s({2, 2}, {2}));
  Output pads = g.Const("pads", I32s({2, 3, 2, 2}, {2, 2}));
  Output crops = g.Const("crops", I32s({0, 1, 0, 0}, {2, 2}));
  Output filter = g.Const("filter", F32(Pattern(3 * 3 * 3, 4, 0.5f), {3, 3, 3, 1}));
  Output s2b = g.Add("s2b", "SpaceToBatchND", {x, block, pads});
  Output conv = g.Add("conv", "DepthwiseConv2dNative", {s2b, filter},
                      {{"strides", MakeAttr(std::vector<int64_t>{1, 1, 1, 1})}, {"padding", MakeAttr(std::string("VALID"))}});
  Output b2s = g.Add("b2s", "BatchToSpaceND", {conv, block, crops});
  Output relu = g.Add("relu", "Relu", {b2s});
  ASSERT_TRUE(g.status().ok()) << g.status();
  Feeds feeds{{x, F32(Pattern(in_shape.num_elements(), 1), in_shape)}};
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), feeds, {s2b, relu});
  ASSERT_TRUE(run.ok()) << run.status();
  absl::StatusOr<std::vector<Tensor>> want = Evaluate(g.graph(), feeds, {s2b, relu});
  ASSERT_TRUE(want.ok()) << want.status();
  EXPECT_EQ(run->results[1].shape(), (Shape{1, 9, 10, 3}));
  EXPECT_TRUE(AllClose(run->results[0], (*want)[0]));
  EXPECT_TRUE(AllClose(run->results[1], (*want)[1], 1e-5, 1e-5));
}

// Compiled code needs block_shape and paddings at compile time; a fed one is an error naming
// the node and the input.
TEST(SpaceBatchCompiledTest, FedBlockShapeIsACompileError) {
  GraphBuilder g;
  Output x = g.Placeholder("x", DT_FLOAT, Shape{1, 2, 2, 1});
  Output block = g.Placeholder("block", DT_INT32, Shape{2});
  Output pads = g.Const("pads", I32s({0, 0, 0, 0}, {2, 2}));
  Output s2b = g.Add("s2b", "SpaceToBatchND", {x, block, pads});
  ASSERT_TRUE(g.status().ok()) << g.status();
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(
      g.graph(), {{x, F32({1, 2, 3, 4}, {1, 2, 2, 1})}, {block, I32s({2, 2}, {2})}}, {s2b});
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(std::string(run.status().message()), HasSubstr("s2b"));
  EXPECT_THAT(std::string(run.status().message()), HasSubstr("must be known at compile time"));
}

}  // namespace
}  // namespace strata
