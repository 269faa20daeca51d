// The gradient-helper ops (ops/grad_ops.cc, conv_grad_ops.cc, batch_norm_grad_op.cc,
// resize_grad_op.cc) run on their own: hand-computed values (TF's documented examples where
// there are some), shape functions, and error paths, on the cpu and reference backends.
#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gradients/grad_test_util.h"

namespace strata {
namespace {

using testing::AsDoubles;
using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pointwise;
using testing::RunGraph;
using testing::Values;

class GradOpsTest : public ::testing::TestWithParam<std::string> {
 protected:
  // A fed input holding `value` (a Const would fold: the backend would compute nothing).
  Output In(const Scope& root, const Tensor& value) {
    Output p = ops::Placeholder(root, value.dtype(), ops::Placeholder::Shape(value.shape()));
    feeds_.push_back({p, value});
    return p;
  }
  Output D(const Scope& root, const std::vector<double>& values) {
    return In(root, Values(DT_DOUBLE, {static_cast<int64_t>(values.size())}, values));
  }
  // Runs the fetches on the parameter's backend.
  std::vector<std::vector<double>> Run(const Scope& root, const std::vector<Output>& fetches) {
    absl::StatusOr<std::vector<Tensor>> out = RunGraph(root, feeds_, fetches, GetParam());
    EXPECT_TRUE(out.ok()) << out.status();
    std::vector<std::vector<double>> values;
    if (out.ok()) {
      for (const Tensor& t : *out) values.push_back(AsDoubles(t));
    }
    return values;
  }
  std::vector<FeedItem> feeds_;
};

TEST_P(GradOpsTest, BroadcastGradientArgs) {
  struct Case {
    std::vector<int32_t> s0, s1;
    std::vector<double> r0, r1;
  };
  for (const Case& c : {Case{{2, 3, 5}, {1}, {}, {0, 1, 2}},                           // TF's example
                        Case{{1, 3}, {2, 1}, {0}, {1}}, Case{{2, 3}, {2, 3}, {}, {}},  // equal shapes need nothing
                        Case{{4, 1, 1}, {1, 1}, {1, 2}, {0, 1, 2}},                    // both 1: both reduce
                        Case{{}, {2, 3}, {0, 1}, {}}}) {
    Scope root = Scope::NewRootScope();
    auto args = ops::BroadcastGradientArgs(root, ops::Const(root, Tensor::FromVector<int32_t>(c.s0)),
                                           ops::Const(root, Tensor::FromVector<int32_t>(c.s1)));
    // Known shapes fold at graph construction already.
    ASSERT_NE(args.r0.node->output_value(0), nullptr);
    std::vector<std::vector<double>> out = Run(root, {args.r0, args.r1});
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0], c.r0);
    EXPECT_EQ(out[1], c.r1);
  }
  Scope bad = Scope::NewRootScope();
  ops::BroadcastGradientArgs(bad, ops::Const(bad, {2, 3}), ops::Const(bad, {4}));
  EXPECT_THAT(bad.status().message(), HasSubstr("Incompatible shapes: [2,3] vs. [4]"));
}

TEST_P(GradOpsTest, ElementwiseGradients) {
  Scope root = Scope::NewRootScope();
  Output g = D(root, {10.0, 10.0, 10.0, 10.0});
  Output f = D(root, {-1.0, 0.0, 3.0, 7.0});
  Output y = D(root, {0.5, 0.25, -0.5, 2.0});
  std::vector<std::vector<double>> out =
      Run(root, {ops::ReluGrad(root, g, f), ops::Relu6Grad(root, g, f), ops::EluGrad(root, g, y),
                 ops::LeakyReluGrad(root, g, f, ops::LeakyReluGrad::Alpha(0.5f)), ops::SigmoidGrad(root, y, g),
                 ops::TanhGrad(root, y, g), ops::SqrtGrad(root, D(root, {2.0, 4.0}), D(root, {1.0, 8.0})),
                 ops::RsqrtGrad(root, D(root, {2.0}), D(root, {1.0})),
                 ops::ReciprocalGrad(root, D(root, {2.0}), D(root, {3.0})),
                 ops::SoftplusGrad(root, D(root, {4.0}), D(root, {0.0}))});
  ASSERT_EQ(out.size(), 10u);
  EXPECT_THAT(out[0], ElementsAre(0, 0, 10, 10));
  EXPECT_THAT(out[1], ElementsAre(0, 0, 10, 0));
  EXPECT_THAT(out[2], ElementsAre(10, 10, 5, 10));  // y < 0: g * (y + 1)
  EXPECT_THAT(out[3], ElementsAre(5, 5, 10, 10));
  EXPECT_THAT(out[4], ElementsAre(2.5, 1.875, -7.5, -20));  // g y (1 - y)
  EXPECT_THAT(out[5], ElementsAre(7.5, 9.375, 7.5, -30));   // g (1 - y^2)
  EXPECT_THAT(out[6], ElementsAre(0.25, 1));                // 0.5 dy / y
  EXPECT_THAT(out[7], ElementsAre(-4));                     // -0.5 dy y^3
  EXPECT_THAT(out[8], ElementsAre(-12));                    // -dy y^2
  EXPECT_THAT(out[9], ElementsAre(2));                      // g / (1 + e^0)
}

TEST_P(GradOpsTest, ElementwiseGradientsNeedOneShape) {
  Scope root = Scope::NewRootScope();
  ops::ReluGrad(root, ops::Const(root, {1.0, 2.0}), D(root, {1.0, 2.0, 3.0}));
  EXPECT_FALSE(root.ok());
}

TEST_P(GradOpsTest, BiasAddGrad) {
  Scope root = Scope::NewRootScope();
  Tensor dy = Values(DT_DOUBLE, {2, 2, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  Output nhwc = ops::BiasAddGrad(root, In(root, dy));
  Output nchw = ops::BiasAddGrad(root, In(root, dy), ops::BiasAddGrad::DataFormat("NCHW"));
  EXPECT_EQ(nhwc.shape(), Shape{3});
  EXPECT_EQ(nchw.shape(), Shape{2});
  std::vector<std::vector<double>> out = Run(root, {nhwc, nchw});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_THAT(out[0], ElementsAre(22, 26, 30));
  EXPECT_THAT(out[1], ElementsAre(30, 48));
  Scope bad = Scope::NewRootScope();
  ops::BiasAddGrad(bad, ops::Const(bad, {1.0, 2.0}));
  EXPECT_FALSE(bad.ok());
}

TEST_P(GradOpsTest, StridedSliceGrad) {
  Scope root = Scope::NewRootScope();
  Output shape = ops::Const(root, {5});
  // x[1:5:2] of a [5]: dy lands on elements 1 and 3.
  Output forward = ops::StridedSliceGrad(root, shape, ops::Const(root, {1}), ops::Const(root, {5}),
                                         ops::Const(root, {2}), D(root, {10.0, 20.0}));
  // x[::-2]: elements 4, 2, 0.
  Output backward = ops::StridedSliceGrad(root, shape, ops::Const(root, {-1}), ops::Const(root, {-6}),
                                          ops::Const(root, {-2}), D(root, {1.0, 2.0, 3.0}));
  // x[2] with shrink_axis_mask: a scalar dy.
  Output shrink =
      ops::StridedSliceGrad(root, shape, ops::Const(root, {2}), ops::Const(root, {3}), ops::Const(root, {1}),
                            In(root, Values(DT_FLOAT, {}, {7})), ops::StridedSliceGrad::ShrinkAxisMask(1));
  EXPECT_EQ(forward.shape(), Shape{5});
  std::vector<std::vector<double>> out = Run(root, {forward, backward, shrink});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_THAT(out[0], ElementsAre(0, 10, 0, 20, 0));
  EXPECT_THAT(out[1], ElementsAre(3, 0, 2, 0, 1));
  EXPECT_THAT(out[2], ElementsAre(0, 0, 7, 0, 0));
}

TEST_P(GradOpsTest, MirrorPadGradAddsTheMirroredCopiesBack) {
  Scope root = Scope::NewRootScope();
  // [a, b, c] padded by 2 before and 1 after: REFLECT gives [c, b, a, b, c, b], SYMMETRIC
  // [b, a, a, b, c, c].
  Output g = D(root, {1, 10, 100, 1000, 10000, 100000});
  Output paddings = ops::Const(root, {{2, 1}});
  Output reflect = ops::MirrorPadGrad(root, g, paddings, "REFLECT");
  Output symmetric = ops::MirrorPadGrad(root, g, paddings, "SYMMETRIC");
  EXPECT_EQ(reflect.shape(), Shape{3});
  std::vector<std::vector<double>> out = Run(root, {reflect, symmetric});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_THAT(out[0], ElementsAre(100, 101010, 10001));
  EXPECT_THAT(out[1], ElementsAre(110, 1001, 110000));
  Scope bad = Scope::NewRootScope();
  ops::MirrorPadGrad(bad, ops::Const(bad, {1.0, 2.0}), ops::Const(bad, {{2, 1}}), "REFLECT");
  EXPECT_FALSE(bad.ok());
}

TEST_P(GradOpsTest, MaxPoolGradRoutesEachWindowToItsFirstMax) {
  Scope root = Scope::NewRootScope();
  // One 2x3 image, 2x2 windows, stride 1: ties go to the first max in row-major order.
  Output x = In(root, Values(DT_FLOAT, {1, 2, 3, 1}, {1, 5, 5, 5, 2, 0}));
  Output y = ops::MaxPool(root, x, {1, 2, 2, 1}, {1, 1, 1, 1}, "VALID");
  Output g = In(root, Values(DT_FLOAT, {1, 1, 2, 1}, {10, 20}));
  Output dx = ops::MaxPoolGrad(root, x, y, g, {1, 2, 2, 1}, {1, 1, 1, 1}, "VALID");
  std::vector<std::vector<double>> out = Run(root, {dx});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_THAT(out[0], ElementsAre(0, 30, 0, 0, 0, 0));
}

TEST_P(GradOpsTest, MaxPoolGradNeverRoutesToPadding) {
  Scope root = Scope::NewRootScope();
  // SAME padding around all-negative values: the padded zeros are not maxima.
  Output x = In(root, Values(DT_FLOAT, {1, 1, 3, 1}, {-3, -1, -2}));
  Output y = ops::MaxPool(root, x, {1, 1, 2, 1}, {1, 1, 2, 1}, "SAME");
  Output dx = ops::MaxPoolGrad(root, x, y, In(root, Values(DT_FLOAT, {1, 1, 2, 1}, {1, 2})), {1, 1, 2, 1}, {1, 1, 2, 1},
                               "SAME");
  std::vector<std::vector<double>> out = Run(root, {dx});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_THAT(out[0], ElementsAre(0, 1, 2));
}

TEST_P(GradOpsTest, AvgPoolGradCountsOnlyInputElements) {
  Scope root = Scope::NewRootScope();
  // [1, 1, 3, 1], 2-wide windows, stride 1: VALID has windows {0,1}, {1,2}; SAME adds {2, pad}.
  Output valid =
      ops::AvgPoolGrad(root, ops::Const(root, {1, 1, 3, 1}), In(root, Values(DT_FLOAT, {1, 1, 2, 1}, {2, 4})),
                       {1, 1, 2, 1}, {1, 1, 1, 1}, "VALID");
  Output same =
      ops::AvgPoolGrad(root, ops::Const(root, {1, 1, 3, 1}), In(root, Values(DT_FLOAT, {1, 1, 3, 1}, {2, 4, 6})),
                       {1, 1, 2, 1}, {1, 1, 1, 1}, "SAME");
  std::vector<std::vector<double>> out = Run(root, {valid, same});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_THAT(out[0], ElementsAre(1, 3, 2));
  EXPECT_THAT(out[1], ElementsAre(1, 3, 2 + 6));  // the last window holds one element
}

TEST_P(GradOpsTest, ConvBackpropFilterIsTheCorrelationOfInputAndGradient) {
  Scope root = Scope::NewRootScope();
  // 1-D: input [1, 2, 3, 4], filter width 2, VALID: d filter[k] = sum_o x[o + k] dy[o].
  Output x = In(root, Values(DT_FLOAT, {1, 1, 4, 1}, {1, 2, 3, 4}));
  Output dy = In(root, Values(DT_FLOAT, {1, 1, 3, 1}, {1, 10, 100}));
  Output df = ops::Conv2DBackpropFilter(root, x, ops::Const(root, {1, 2, 1, 1}), dy, {1, 1, 1, 1}, "VALID");
  // Stride 2: outputs read x[0..1] and x[2..3].
  Output dy2 = In(root, Values(DT_FLOAT, {1, 1, 2, 1}, {1, 10}));
  Output df2 = ops::Conv2DBackpropFilter(root, x, ops::Const(root, {1, 2, 1, 1}), dy2, {1, 1, 2, 1}, "VALID");
  // Depthwise, two channels with multiplier 1: each channel on its own.
  Output xd = In(root, Values(DT_FLOAT, {1, 1, 3, 2}, {1, -1, 2, -2, 3, -3}));
  Output dyd = In(root, Values(DT_FLOAT, {1, 1, 2, 2}, {1, 1, 10, 10}));
  Output dfd =
      ops::DepthwiseConv2dNativeBackpropFilter(root, xd, ops::Const(root, {1, 2, 2, 1}), dyd, {1, 1, 1, 1}, "VALID");
  std::vector<std::vector<double>> out = Run(root, {df, df2, dfd});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_THAT(out[0], ElementsAre(1 + 20 + 300, 2 + 30 + 400));
  EXPECT_THAT(out[1], ElementsAre(1 + 30, 2 + 40));
  EXPECT_THAT(out[2], ElementsAre(21, -21, 32, -32));  // [kw, c]
}

TEST_P(GradOpsTest, DepthwiseBackpropInputSpreadsEachChannel) {
  Scope root = Scope::NewRootScope();
  // Width-2 filter per channel: dx[i] = sum_k f[k] dy[i - k].
  Output f = In(root, Values(DT_FLOAT, {1, 2, 2, 1}, {1, 10, 2, 20}));  // [kw][c]
  Output dy = In(root, Values(DT_FLOAT, {1, 1, 2, 2}, {1, 1, 3, 3}));
  Output dx =
      ops::DepthwiseConv2dNativeBackpropInput(root, ops::Const(root, {1, 1, 3, 2}), f, dy, {1, 1, 1, 1}, "VALID");
  std::vector<std::vector<double>> out = Run(root, {dx});
  ASSERT_EQ(out.size(), 1u);
  // channel 0: f = [1, 2]; channel 1: f = [10, 20].
  EXPECT_THAT(out[0], ElementsAre(1, 10, 3 + 2, 30 + 20, 6, 60));
}

TEST_P(GradOpsTest, ResizeBilinearGradSpreadsByTheInterpolationWeights) {
  Scope root = Scope::NewRootScope();
  // [1, 1, 2, 1] -> [1, 1, 4, 1]: source positions 0, 0.5, 1, 1.5 (clamped).
  Output image = In(root, Values(DT_FLOAT, {1, 1, 2, 1}, {0, 0}));
  Output grads = In(root, Values(DT_FLOAT, {1, 1, 4, 1}, {1, 1, 1, 1}));
  Output dx = ops::ResizeBilinearGrad(root, grads, image);
  Output nearest = ops::ResizeNearestNeighborGrad(root, grads, ops::Const(root, {1, 2}));
  EXPECT_EQ(nearest.shape(), (Shape{1, 1, 2, 1}));
  std::vector<std::vector<double>> out = Run(root, {dx, nearest});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_THAT(out[0], ElementsAre(1.5, 2.5));
  EXPECT_THAT(out[1], ElementsAre(2, 2));
}

TEST_P(GradOpsTest, FusedBatchNormGradV3) {
  Scope root = Scope::NewRootScope();
  // One channel, x = [1, 3] (mean 2, biased variance 1), epsilon 0: x_hat = [-1, 1].
  Output x = In(root, Values(DT_FLOAT, {1, 1, 2, 1}, {1, 3}));
  Output dy = In(root, Values(DT_FLOAT, {1, 1, 2, 1}, {1, 5}));
  Output scale = In(root, Values(DT_FLOAT, {1}, {2}));
  auto training = ops::FusedBatchNormGradV3(root, dy, x, scale, In(root, Values(DT_FLOAT, {1}, {2})),
                                            In(root, Values(DT_FLOAT, {1}, {1})), ops::Const(root, 0.0f, Shape{0}),
                                            ops::FusedBatchNormGradV3::Epsilon(0));
  auto inference = ops::FusedBatchNormGradV3(root, dy, x, scale, In(root, Values(DT_FLOAT, {1}, {2})),
                                             In(root, Values(DT_FLOAT, {1}, {4})), ops::Const(root, 0.0f, Shape{0}),
                                             ops::FusedBatchNormGradV3::Epsilon(0).IsTraining(false));
  EXPECT_EQ(training.reserve_space_4.shape(), Shape{0});
  std::vector<std::vector<double>> out =
      Run(root, {training.x_backprop, training.scale_backprop, training.offset_backprop, training.reserve_space_4,
                 inference.x_backprop, inference.scale_backprop, inference.offset_backprop});
  ASSERT_EQ(out.size(), 7u);
  // d_offset = 6, d_scale = -1 + 5 = 4; dx = 2/2 * (2 dy - 6 - x_hat * 4) = [0, 0].
  EXPECT_THAT(out[0], Pointwise(DoubleNear(1e-6), {0.0, 0.0}));
  EXPECT_THAT(out[1], ElementsAre(4));
  EXPECT_THAT(out[2], ElementsAre(6));
  EXPECT_THAT(out[3], IsEmpty());
  // Inference with variance 4: dx = dy * 2 / 2, x_hat = [-0.5, 0.5].
  EXPECT_THAT(out[4], Pointwise(DoubleNear(1e-6), {1.0, 5.0}));
  EXPECT_THAT(out[5], ElementsAre(2));
  EXPECT_THAT(out[6], ElementsAre(6));
}

TEST_P(GradOpsTest, SizeInputsMustBeConstantAtCompileTime) {
  Scope root = Scope::NewRootScope();
  Output sizes = ops::Placeholder(root.WithOpName("sizes"), DT_INT32, ops::Placeholder::Shape({4}));
  Output x = In(root, Values(DT_FLOAT, {1, 1, 4, 1}, {1, 2, 3, 4}));
  Output df = ops::Conv2DBackpropFilter(root, x, sizes, In(root, Values(DT_FLOAT, {1, 1, 3, 1}, {1, 1, 1})),
                                        {1, 1, 1, 1}, "VALID");
  absl::StatusOr<std::vector<Tensor>> out =
      RunGraph(root, {{sizes, Tensor::FromVector<int32_t>(std::vector<int32_t>{1, 2, 1, 1})}}, {df}, GetParam());
  EXPECT_FALSE(out.ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, GradOpsTest, ::testing::Values("cpu", "reference"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace strata
