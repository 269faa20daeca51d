// Lowerings of the nn ops (ops/nn_ops.cc), run on the reference evaluator and checked against
// hand-computed values and NumPy goldens (tests/golden/nn_goldens.py).
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ops/registry.h"
#include "tests/ops/nn_lowering_test_util.h"

namespace strata::testing {
namespace {

using ::testing::HasSubstr;

AttrMap ConvAttrs(std::vector<int64_t> strides, const std::string& padding,
                  const std::string& format = "NHWC", std::vector<int64_t> dilations = {1, 1, 1, 1},
                  std::vector<int64_t> explicit_paddings = {}) {
  AttrMap a;
  a["strides"] = Ints(strides);
  a["padding"] = MakeAttr(padding);
  a["data_format"] = MakeAttr(format);
  a["dilations"] = Ints(dilations);
  if (!explicit_paddings.empty()) a["explicit_paddings"] = Ints(explicit_paddings);
  return a;
}

AttrMap PoolAttrs(std::vector<int64_t> ksize, std::vector<int64_t> strides,
                  const std::string& padding, const std::string& format = "NHWC",
                  std::vector<int64_t> explicit_paddings = {}) {
  AttrMap a;
  a["ksize"] = Ints(ksize);
  a["strides"] = Ints(strides);
  a["padding"] = MakeAttr(padding);
  a["data_format"] = MakeAttr(format);
  if (!explicit_paddings.empty()) a["explicit_paddings"] = Ints(explicit_paddings);
  return a;
}

AttrMap Fused(AttrMap base, std::vector<std::string> ops, float epsilon = 1e-4f,
              float alpha = 0.2f) {
  base["fused_ops"] = Strs(std::move(ops));
  base["epsilon"] = MakeAttr(epsilon);
  base["leakyrelu_alpha"] = MakeAttr(alpha);
  return base;
}

Tensor F32(std::vector<float> v, Shape s) { return MakeTensor<float>(std::move(v), std::move(s)); }

// Values 1..n in `shape`.
Tensor Counting(Shape shape) {
  std::vector<float> v(shape.num_elements());
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i + 1);
  return F32(v, shape);
}

absl::StatusOr<Tensor> RunOne(const std::string& op, const std::vector<Tensor>& inputs,
                              AttrMap attrs = {}, const std::set<int>& constants = {}) {
  absl::StatusOr<std::vector<Tensor>> out = RunOp(op, inputs, std::move(attrs), constants);
  if (!out.ok()) return out.status();
  return (*out)[0];
}

TEST(NnLoweringTest, EveryNnOpHasALowering) {
  for (const char* op : {"MatMul", "BatchMatMulV2", "BiasAdd", "Conv2D", "DepthwiseConv2dNative",
                         "Conv2DBackpropInput", "MaxPool", "AvgPool", "FusedBatchNormV3", "Softmax",
                         "LogSoftmax", "_FusedConv2D", "_FusedMatMul",
                         "_FusedDepthwiseConv2dNative", "FusedDepthwiseConv2dNative", "Prelu"}) {
    const OpRegistration* reg = OpRegistry::Global().Find(op);
    ASSERT_NE(reg, nullptr) << op;
    EXPECT_TRUE(reg->lower) << op << " has no lowering";
  }
}

// ---- MatMul / BatchMatMulV2 ----

TEST(NnLoweringTest, MatMulByHand) {
  Tensor a = F32({1, 2, 3, 4}, Shape{2, 2}), b = F32({5, 6, 7, 8}, Shape{2, 2});
  absl::StatusOr<Tensor> y = RunOne("MatMul", {a, b});
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, F32({19, 22, 43, 50}, Shape{2, 2}));
  AttrMap t;
  t["transpose_a"] = MakeAttr(true);
  y = RunOne("MatMul", {a, b}, t);  // a^T b = [[1,3],[2,4]] x b
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, F32({26, 30, 38, 44}, Shape{2, 2}));
}

TEST(NnLoweringTest, MatMulGoldens) {
  ExpectGolden("matmul_f32", "MatMul", 2, 1);
  AttrMap both;
  both["transpose_a"] = MakeAttr(true);
  both["transpose_b"] = MakeAttr(true);
  ExpectGolden("matmul_ta_tb", "MatMul", 2, 1, both);
  AttrMap tb;
  tb["transpose_b"] = MakeAttr(true);
  ExpectGolden("matmul_tb_f64", "MatMul", 2, 1, tb);
  ExpectGolden("matmul_f16", "MatMul", 2, 1);
  ExpectGolden("matmul_i32", "MatMul", 2, 1);
}

TEST(NnLoweringTest, MatMulWithEmptyInnerDimIsZeros) {
  absl::StatusOr<Tensor> y = RunOne("MatMul", {F32({}, Shape{2, 0}), F32({}, Shape{0, 3})});
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, F32({0, 0, 0, 0, 0, 0}, Shape{2, 3}));
}

TEST(NnLoweringTest, BatchMatMulV2Goldens) {
  AttrMap adj_y;
  adj_y["adj_y"] = MakeAttr(true);
  ExpectGolden("bmm_broadcast_adj_y", "BatchMatMulV2", 2, 1, adj_y);
  AttrMap adj_x;
  adj_x["adj_x"] = MakeAttr(true);
  ExpectGolden("bmm_adj_x_rank2_y", "BatchMatMulV2", 2, 1, adj_x);
  ExpectGolden("bmm_f64", "BatchMatMulV2", 2, 1);
}

TEST(NnLoweringTest, BatchMatMulV2WithEmptyBatch) {
  absl::StatusOr<Tensor> y =
      RunOne("BatchMatMulV2", {F32({}, Shape{0, 2, 3}), F32({}, Shape{0, 3, 4})});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->shape().ToString(), "[0,2,4]");
}

// ---- BiasAdd ----

TEST(NnLoweringTest, BiasAddNhwcAndNchw) {
  Tensor value = Counting(Shape{1, 2, 1, 3});
  Tensor bias3 = F32({10, 20, 30}, Shape{3});
  absl::StatusOr<Tensor> y = RunOne("BiasAdd", {value, bias3});
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, F32({11, 22, 33, 14, 25, 36}, Shape{1, 2, 1, 3}));

  AttrMap nchw;
  nchw["data_format"] = MakeAttr("NCHW");
  Tensor bias2 = F32({100, 200}, Shape{2});
  y = RunOne("BiasAdd", {value, bias2}, nchw);  // channels are dim 1 (size 2)
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, F32({101, 102, 103, 204, 205, 206}, Shape{1, 2, 1, 3}));

  // Rank 3 NCHW: still dim 1.
  y = RunOne("BiasAdd", {Counting(Shape{1, 2, 2}), bias2}, nchw);
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, F32({101, 102, 203, 204}, Shape{1, 2, 2}));

  Tensor ints = MakeTensor<int32_t>({1, 2, 3, 4}, Shape{2, 2});
  y = RunOne("BiasAdd", {ints, MakeTensor<int32_t>({-1, 5}, Shape{2})});
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, MakeTensor<int32_t>({0, 7, 2, 9}, Shape{2, 2}));
}

// ---- Conv2D ----

TEST(NnLoweringTest, Conv2DByHand) {
  Tensor x = Counting(Shape{1, 3, 3, 1});
  Tensor ones = F32({1, 1, 1, 1}, Shape{2, 2, 1, 1});
  absl::StatusOr<Tensor> y = RunOne("Conv2D", {x, ones}, ConvAttrs({1, 1, 1, 1}, "VALID"));
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, F32({12, 16, 24, 28}, Shape{1, 2, 2, 1}));
  // SAME with stride 2 on an odd input: one padding row/col, after the data.
  y = RunOne("Conv2D", {x, ones}, ConvAttrs({1, 2, 2, 1}, "SAME"));
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, F32({12, 9, 15, 9}, Shape{1, 2, 2, 1}));
}

TEST(NnLoweringTest, Conv2DGoldens) {
  ExpectGolden("conv_valid", "Conv2D", 2, 1, ConvAttrs({1, 1, 1, 1}, "VALID"));
  ExpectGolden("conv_same_s2_even", "Conv2D", 2, 1, ConvAttrs({1, 2, 2, 1}, "SAME"));
  ExpectGolden("conv_same_s2_odd", "Conv2D", 2, 1, ConvAttrs({1, 2, 2, 1}, "SAME"));
  ExpectGolden("conv_dilated_same", "Conv2D", 2, 1,
               ConvAttrs({1, 1, 1, 1}, "SAME", "NHWC", {1, 2, 2, 1}));
  ExpectGolden("conv_nchw_valid_s12", "Conv2D", 2, 1, ConvAttrs({1, 1, 1, 2}, "VALID", "NCHW"));
  ExpectGolden("conv_explicit_s2", "Conv2D", 2, 1,
               ConvAttrs({1, 2, 2, 1}, "EXPLICIT", "NHWC", {1, 1, 1, 1}, {0, 0, 1, 2, 0, 1, 0, 0}));
  ExpectGolden("conv_grouped", "Conv2D", 2, 1, ConvAttrs({1, 1, 1, 1}, "SAME"));
  ExpectGolden("conv_f64_nchw_dilated", "Conv2D", 2, 1,
               ConvAttrs({1, 1, 1, 1}, "SAME", "NCHW", {1, 1, 2, 1}));
  ExpectGolden("conv_f16", "Conv2D", 2, 1, ConvAttrs({1, 1, 1, 1}, "SAME"));
}

TEST(NnLoweringTest, Conv2DEmptyBatchAndChannels) {
  absl::StatusOr<Tensor> y =
      RunOne("Conv2D", {F32({}, Shape{0, 5, 5, 3}), Counting(Shape{3, 3, 3, 2})},
             ConvAttrs({1, 2, 2, 1}, "SAME"));
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->shape().ToString(), "[0,3,3,2]");
  // No input channels: every output is an empty sum.
  y = RunOne("Conv2D", {F32({}, Shape{1, 2, 2, 0}), F32({}, Shape{1, 1, 0, 2})},
             ConvAttrs({1, 1, 1, 1}, "VALID"));
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, F32(std::vector<float>(8, 0), Shape{1, 2, 2, 2}));
}

TEST(NnLoweringTest, Conv2DInt32) {
  Tensor x = MakeTensor<int32_t>({1, 2, 3, 4, 5, 6, 7, 8, 9}, Shape{1, 3, 3, 1});
  Tensor w = MakeTensor<int32_t>({1, 1, 1, -1}, Shape{2, 2, 1, 1});
  absl::StatusOr<Tensor> y = RunOne("Conv2D", {x, w}, ConvAttrs({1, 1, 1, 1}, "VALID"));
  ASSERT_TRUE(y.ok()) << y.status();
  // 1+2+4-5, 2+3+5-6, 4+5+7-8, 5+6+8-9
  ExpectTensorNear(*y, MakeTensor<int32_t>({2, 4, 8, 10}, Shape{1, 2, 2, 1}));
}

TEST(NnLoweringTest, EmptyBatchesThroughEveryConvolution) {
  Tensor x = F32({}, Shape{0, 4, 4, 2});
  absl::StatusOr<Tensor> y = RunOne("DepthwiseConv2dNative", {x, Counting(Shape{3, 3, 2, 2})},
                                    ConvAttrs({1, 2, 2, 1}, "SAME"));
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->shape().ToString(), "[0,2,2,4]");
  y = RunOne("Conv2DBackpropInput",
             {MakeTensor<int32_t>({0, 4, 4, 2}, Shape{4}), Counting(Shape{3, 3, 2, 3}),
              F32({}, Shape{0, 2, 2, 3})},
             ConvAttrs({1, 2, 2, 1}, "SAME"), {0});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->shape().ToString(), "[0,4,4,2]");
  y = RunOne("_FusedConv2D", {x, Counting(Shape{1, 1, 2, 3}), F32({1, 2, 3}, Shape{3})},
             Fused(ConvAttrs({1, 1, 1, 1}, "VALID"), {"BiasAdd", "Relu"}));
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->shape().ToString(), "[0,4,4,3]");
}

TEST(NnLoweringTest, Conv2DRejectsBatchStrides) {
  absl::StatusOr<Tensor> y =
      RunOne("Conv2D", {Counting(Shape{2, 3, 3, 1}), Counting(Shape{1, 1, 1, 1})},
             ConvAttrs({2, 1, 1, 1}, "VALID"));
  ASSERT_FALSE(y.ok());
  EXPECT_THAT(std::string(y.status().message()), HasSubstr("batch and depth"));
}

TEST(NnLoweringTest, DepthwiseConv2dNativeGoldens) {
  ExpectGolden("dw_same", "DepthwiseConv2dNative", 2, 1, ConvAttrs({1, 1, 1, 1}, "SAME"));
  ExpectGolden("dw_valid_s2_odd", "DepthwiseConv2dNative", 2, 1, ConvAttrs({1, 2, 2, 1}, "VALID"));
  ExpectGolden("dw_nchw_dilated", "DepthwiseConv2dNative", 2, 1,
               ConvAttrs({1, 1, 1, 1}, "SAME", "NCHW", {1, 1, 2, 2}));
  ExpectGolden("dw_explicit", "DepthwiseConv2dNative", 2, 1,
               ConvAttrs({1, 1, 1, 1}, "EXPLICIT", "NHWC", {1, 1, 1, 1}, {0, 0, 1, 0, 2, 1, 0, 0}));
}

TEST(NnLoweringTest, DepthwiseByHand) {
  // Channel c's M=2 outputs are adjacent: [c0*w00, c0*w01, c1*w10, c1*w11].
  Tensor x = F32({1, 10}, Shape{1, 1, 1, 2});
  Tensor w = F32({2, 3, 4, 5}, Shape{1, 1, 2, 2});
  absl::StatusOr<Tensor> y =
      RunOne("DepthwiseConv2dNative", {x, w}, ConvAttrs({1, 1, 1, 1}, "VALID"));
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, F32({2, 3, 40, 50}, Shape{1, 1, 1, 4}));
}

// ---- Conv2DBackpropInput ----

TEST(NnLoweringTest, Conv2DBackpropInputGoldens) {
  const std::set<int> sizes_const = {0};
  ExpectGolden("bp_same_s2_even", "Conv2DBackpropInput", 3, 1, ConvAttrs({1, 2, 2, 1}, "SAME"),
               sizes_const);
  ExpectGolden("bp_same_s2_odd", "Conv2DBackpropInput", 3, 1, ConvAttrs({1, 2, 2, 1}, "SAME"),
               sizes_const);
  ExpectGolden("bp_valid_s2_leftover", "Conv2DBackpropInput", 3, 1,
               ConvAttrs({1, 2, 2, 1}, "VALID"), sizes_const);
  ExpectGolden("bp_nchw_dilated", "Conv2DBackpropInput", 3, 1,
               ConvAttrs({1, 1, 1, 1}, "SAME", "NCHW", {1, 1, 2, 2}), sizes_const);
  ExpectGolden("bp_explicit_large_pads", "Conv2DBackpropInput", 3, 1,
               ConvAttrs({1, 1, 1, 1}, "EXPLICIT", "NHWC", {1, 1, 1, 1}, {0, 0, 3, 0, 1, 2, 0, 0}),
               sizes_const);
  ExpectGolden("bp_explicit_s2", "Conv2DBackpropInput", 3, 1,
               ConvAttrs({1, 2, 2, 1}, "EXPLICIT", "NHWC", {1, 1, 1, 1}, {0, 0, 2, 1, 0, 3, 0, 0}),
               sizes_const);
  ExpectGolden("bp_grouped", "Conv2DBackpropInput", 3, 1, ConvAttrs({1, 1, 1, 1}, "SAME"),
               sizes_const);
}

TEST(NnLoweringTest, Conv2DBackpropInputByHand) {
  // 1x1 filter, stride 2, VALID on a 3x3 input: the gradient lands on the even positions only.
  Tensor sizes = MakeTensor<int32_t>({1, 3, 3, 1}, Shape{4});
  Tensor w = F32({2}, Shape{1, 1, 1, 1});
  Tensor dy = F32({1, 2, 3, 4}, Shape{1, 2, 2, 1});
  absl::StatusOr<Tensor> dx =
      RunOne("Conv2DBackpropInput", {sizes, w, dy}, ConvAttrs({1, 2, 2, 1}, "VALID"), {0});
  ASSERT_TRUE(dx.ok()) << dx.status();
  ExpectTensorNear(*dx, F32({2, 0, 4, 0, 0, 0, 6, 0, 8}, Shape{1, 3, 3, 1}));
}

TEST(NnLoweringTest, Conv2DBackpropInputRejectsMismatchedOutBackprop) {
  // A 5x5 input with a 3x3 VALID filter has a 3x3 output, not 2x2.
  Tensor sizes = MakeTensor<int32_t>({1, 5, 5, 1}, Shape{4});
  absl::StatusOr<Tensor> dx = RunOne(
      "Conv2DBackpropInput", {sizes, Counting(Shape{3, 3, 1, 1}), Counting(Shape{1, 2, 2, 1})},
      ConvAttrs({1, 1, 1, 1}, "VALID"), {0});
  ASSERT_FALSE(dx.ok());
  EXPECT_THAT(std::string(dx.status().message()), HasSubstr("doesn't match computed"));
}

// ---- Pooling ----

TEST(NnLoweringTest, PoolingByHand) {
  absl::StatusOr<Tensor> y = RunOne("MaxPool", {Counting(Shape{1, 4, 4, 1})},
                                    PoolAttrs({1, 2, 2, 1}, {1, 2, 2, 1}, "VALID"));
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, F32({6, 8, 14, 16}, Shape{1, 2, 2, 1}));
  // AvgPool SAME divides by the elements inside the image: (1+2+4+5)/4, (3+6)/2, (7+8)/2, 9/1.
  y = RunOne("AvgPool", {Counting(Shape{1, 3, 3, 1})},
             PoolAttrs({1, 2, 2, 1}, {1, 2, 2, 1}, "SAME"));
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, F32({3, 4.5, 7.5, 9}, Shape{1, 2, 2, 1}));
  // MaxPool over negative values: padding never wins.
  y = RunOne("MaxPool", {F32({-5, -6, -7, -8}, Shape{1, 2, 2, 1})},
             PoolAttrs({1, 3, 3, 1}, {1, 1, 1, 1}, "SAME"));
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, F32({-5, -5, -5, -5}, Shape{1, 2, 2, 1}));
  // Integer max pooling.
  y = RunOne("MaxPool", {MakeTensor<int32_t>({3, -1, 7, 2}, Shape{1, 2, 2, 1})},
             PoolAttrs({1, 2, 1, 1}, {1, 1, 1, 1}, "VALID"));
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, MakeTensor<int32_t>({7, 2}, Shape{1, 1, 2, 1}));
}

TEST(NnLoweringTest, PoolingGoldens) {
  ExpectGolden("maxpool_valid_odd", "MaxPool", 1, 1,
               PoolAttrs({1, 2, 2, 1}, {1, 2, 2, 1}, "VALID"));
  ExpectGolden("maxpool_same_s2_even", "MaxPool", 1, 1,
               PoolAttrs({1, 3, 3, 1}, {1, 2, 2, 1}, "SAME"));
  ExpectGolden("maxpool_same_s2_odd", "MaxPool", 1, 1,
               PoolAttrs({1, 3, 3, 1}, {1, 2, 2, 1}, "SAME"));
  ExpectGolden("maxpool_nchw_same", "MaxPool", 1, 1,
               PoolAttrs({1, 1, 3, 3}, {1, 1, 1, 1}, "SAME", "NCHW"));
  ExpectGolden("maxpool_explicit", "MaxPool", 1, 1,
               PoolAttrs({1, 2, 3, 1}, {1, 2, 1, 1}, "EXPLICIT", "NHWC", {0, 0, 1, 1, 0, 2, 0, 0}));
  ExpectGolden("maxpool_f16", "MaxPool", 1, 1, PoolAttrs({1, 2, 2, 1}, {1, 2, 2, 1}, "SAME"));
  ExpectGolden("avgpool_same_s2_odd", "AvgPool", 1, 1,
               PoolAttrs({1, 3, 3, 1}, {1, 2, 2, 1}, "SAME"));
  ExpectGolden("avgpool_same_s2_even", "AvgPool", 1, 1,
               PoolAttrs({1, 2, 2, 1}, {1, 2, 2, 1}, "SAME"));
  ExpectGolden("avgpool_same_k3_s1", "AvgPool", 1, 1,
               PoolAttrs({1, 3, 3, 1}, {1, 1, 1, 1}, "SAME"));
  ExpectGolden("avgpool_nchw_valid", "AvgPool", 1, 1,
               PoolAttrs({1, 1, 2, 3}, {1, 1, 1, 3}, "VALID", "NCHW"));
  ExpectGolden("avgpool_f64_same", "AvgPool", 1, 1, PoolAttrs({1, 2, 2, 1}, {1, 2, 2, 1}, "SAME"));
  ExpectGolden("avgpool_f16", "AvgPool", 1, 1, PoolAttrs({1, 3, 3, 1}, {1, 2, 2, 1}, "SAME"));
}

TEST(NnLoweringTest, PoolingEdgeCases) {
  absl::StatusOr<Tensor> y = RunOne("AvgPool", {F32({}, Shape{0, 4, 4, 2})},
                                    PoolAttrs({1, 2, 2, 1}, {1, 2, 2, 1}, "SAME"));
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->shape().ToString(), "[0,2,2,2]");
  y = RunOne("MaxPool", {Counting(Shape{2, 2, 2, 1})},
             PoolAttrs({2, 1, 1, 1}, {1, 1, 1, 1}, "VALID"));
  ASSERT_FALSE(y.ok());
  EXPECT_THAT(std::string(y.status().message()), HasSubstr("batch dimension"));
  // MaxPool may pool over depth (ksize on C): max of each pair of channels.
  y = RunOne("MaxPool", {F32({1, 5, 3, 2}, Shape{1, 1, 1, 4})},
             PoolAttrs({1, 1, 1, 2}, {1, 1, 1, 2}, "VALID"));
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, F32({5, 3}, Shape{1, 1, 1, 2}));
}

// ---- FusedBatchNormV3 ----

AttrMap BnAttrs(bool training, float epsilon, const std::string& format = "NHWC",
                float factor = 1.0f) {
  AttrMap a;
  a["is_training"] = MakeAttr(training);
  a["epsilon"] = MakeAttr(epsilon);
  a["data_format"] = MakeAttr(format);
  a["exponential_avg_factor"] = MakeAttr(factor);
  return a;
}

TEST(NnLoweringTest, FusedBatchNormTrainingByHand) {
  // One channel with values 1 and 3: mean 2, biased variance 1, Bessel-corrected 2.
  Tensor x = F32({1, 3}, Shape{1, 1, 2, 1});
  Tensor one = F32({1}, Shape{1}), zero = F32({0}, Shape{1});
  absl::StatusOr<std::vector<Tensor>> out =
      RunOp("FusedBatchNormV3", {x, one, zero, F32({}, Shape{0}), F32({}, Shape{0})},
            BnAttrs(true, 0.001f));
  ASSERT_TRUE(out.ok()) << out.status();
  const float r = 1.0f / std::sqrt(1.001f);
  ExpectTensorNear((*out)[0], F32({-r, r}, Shape{1, 1, 2, 1}), 1e-6, "y");
  ExpectTensorNear((*out)[1], F32({2}, Shape{1}), -1, "batch_mean");
  ExpectTensorNear((*out)[2], F32({2}, Shape{1}), -1, "batch_variance");
  ExpectTensorNear((*out)[3], F32({2}, Shape{1}), -1, "reserve_space_1");
  ExpectTensorNear((*out)[4], F32({1}, Shape{1}), -1, "reserve_space_2");
  EXPECT_EQ((*out)[5].num_elements(), 1);  // TF's dummy reserve_space_3
}

TEST(NnLoweringTest, FusedBatchNormGoldens) {
  ExpectGolden("bn_infer_nhwc", "FusedBatchNormV3", 5, 3, BnAttrs(false, 1e-3f), {}, 1e-5);
  ExpectGolden("bn_train_nhwc", "FusedBatchNormV3", 5, 5, BnAttrs(true, 1e-3f), {}, 1e-5);
  ExpectGolden("bn_train_nchw_avg", "FusedBatchNormV3", 5, 5, BnAttrs(true, 1e-4f, "NCHW", 0.3f),
               {}, 1e-5);
  ExpectGolden("bn_train_f16", "FusedBatchNormV3", 5, 5, BnAttrs(true, 1e-3f), {}, 4e-3);
  ExpectGolden("bn_train_single", "FusedBatchNormV3", 5, 5, BnAttrs(true, 1e-3f), {}, 1e-5);
  ExpectGolden("bn_infer_ncdhw", "FusedBatchNormV3", 5, 3, BnAttrs(false, 1e-3f, "NCDHW"), {},
               1e-5);
}

// The V1 op (float, 2-D formats, five outputs) shares V3's shape function and lowering.
TEST(NnLoweringTest, FusedBatchNormV1MatchesTheV3Goldens) {
  ExpectGolden("bn_infer_nhwc", "FusedBatchNorm", 5, 3, BnAttrs(false, 1e-3f), {}, 1e-5);
  ExpectGolden("bn_train_nhwc", "FusedBatchNorm", 5, 5, BnAttrs(true, 1e-3f), {}, 1e-5);
  ExpectGolden("bn_train_nchw_avg", "FusedBatchNorm", 5, 5, BnAttrs(true, 1e-4f, "NCHW", 0.3f), {}, 1e-5);
  Tensor x = F32({1, 3}, Shape{1, 1, 2, 1}), v = F32({1}, Shape{1});
  absl::StatusOr<std::vector<Tensor>> out = RunOp("FusedBatchNorm", {x, v, v, v, v}, BnAttrs(true, 1e-3f));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->size(), 5u);
  absl::StatusOr<std::vector<Tensor>> ncdhw =
      RunOp("FusedBatchNorm", {F32({}, Shape{1, 1, 1, 1, 0}), v, v, v, v}, BnAttrs(true, 1e-3f, "NCDHW"));
  EXPECT_FALSE(ncdhw.ok());  // V1 only knows NHWC and NCHW
}

TEST(NnLoweringTest, FusedBatchNormEmptyBatchGivesNanStatistics) {
  Tensor x = F32({}, Shape{0, 2, 2, 3});
  Tensor v = F32({1, 1, 1}, Shape{3});
  absl::StatusOr<std::vector<Tensor>> out =
      RunOp("FusedBatchNormV3", {x, v, v, v, v}, BnAttrs(true, 1e-3f));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape().ToString(), "[0,2,2,3]");
  for (int i = 1; i <= 2; ++i) {
    ASSERT_EQ((*out)[i].num_elements(), 3);
    EXPECT_TRUE(std::isnan((*out)[i].ElementAsDouble(0))) << "output " << i;
  }
}

// ---- Softmax / LogSoftmax ----

TEST(NnLoweringTest, SoftmaxByHand) {
  Tensor x = F32({1, 2, 3}, Shape{1, 3});
  const double e1 = std::exp(1.0), e2 = std::exp(2.0), e3 = std::exp(3.0), s = e1 + e2 + e3;
  absl::StatusOr<Tensor> y = RunOne("Softmax", {x});
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, F32({float(e1 / s), float(e2 / s), float(e3 / s)}, Shape{1, 3}));
  y = RunOne("LogSoftmax", {x});
  ASSERT_TRUE(y.ok()) << y.status();
  const double ls = std::log(s);
  ExpectTensorNear(*y, F32({float(1 - ls), float(2 - ls), float(3 - ls)}, Shape{1, 3}));
  // Empty rows and an empty class dim.
  for (const Shape& shape : {Shape{0, 4}, Shape{2, 0}}) {
    y = RunOne("Softmax", {F32({}, shape)});
    ASSERT_TRUE(y.ok()) << y.status();
    EXPECT_EQ(y->shape(), shape);
  }
}

TEST(NnLoweringTest, SoftmaxGoldens) {
  ExpectGolden("softmax_large", "Softmax", 1, 1);
  ExpectGolden("log_softmax_large", "LogSoftmax", 1, 1, {}, {}, 1e-5);
  ExpectGolden("softmax_rank3_f64", "Softmax", 1, 1);
  ExpectGolden("log_softmax_rank3_f64", "LogSoftmax", 1, 1);
  ExpectGolden("softmax_f16", "Softmax", 1, 1);
  ExpectGolden("log_softmax_rank1", "LogSoftmax", 1, 1, {}, {}, 1e-5);
}

// ---- Prelu ----

TEST(NnLoweringTest, PreluByHand) {
  absl::StatusOr<Tensor> y =
      RunOne("Prelu", {F32({-2, -1, 0, 1, 2, -4}, Shape{3, 2}), F32({0.5f, 0.25f}, Shape{2})});
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectTensorNear(*y, F32({-1, -0.25f, 0, 1, 2, -1}, Shape{3, 2}));
}

// ---- Fused ops ----

TEST(NnLoweringTest, FusedConv2DGoldens) {
  ExpectGolden("fconv_bias_relu", "_FusedConv2D", 3, 1,
               Fused(ConvAttrs({1, 1, 1, 1}, "SAME"), {"BiasAdd", "Relu"}));
  ExpectGolden("fconv_bias_leakyrelu", "_FusedConv2D", 3, 1,
               Fused(ConvAttrs({1, 2, 2, 1}, "VALID"), {"BiasAdd", "LeakyRelu"}, 1e-4f, 0.3f));
  ExpectGolden("fconv_bn_relu6", "_FusedConv2D", 6, 1,
               Fused(ConvAttrs({1, 1, 1, 1}, "SAME"), {"FusedBatchNorm", "Relu6"}, 1e-3f), {},
               1e-5);
  ExpectGolden("fconv_nchw_bias_elu", "_FusedConv2D", 3, 1,
               Fused(ConvAttrs({1, 1, 1, 1}, "VALID", "NCHW"), {"BiasAdd", "Elu"}));
  ExpectGolden("fconv_bn", "_FusedConv2D", 6, 1,
               Fused(ConvAttrs({1, 1, 1, 1}, "SAME"), {"FusedBatchNorm"}), {}, 1e-5);
}

TEST(NnLoweringTest, FusedMatMulGoldens) {
  for (const char* act : {"Relu", "Relu6", "Elu", "LeakyRelu", "Tanh", "Sigmoid", "GeluExact"}) {
    std::string name = absl::StrCat("fmatmul_bias_", act);
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    ExpectGolden(name, "_FusedMatMul", 3, 1, Fused({}, {"BiasAdd", act}), {}, 1e-5);
  }
  AttrMap tb;
  tb["transpose_b"] = MakeAttr(true);
  ExpectGolden("fmatmul_tb_bias", "_FusedMatMul", 3, 1, Fused(tb, {"BiasAdd"}), {}, 1e-5);
}

TEST(NnLoweringTest, FusedDepthwiseGoldens) {
  ExpectGolden("fdw_bias_prelu", "FusedDepthwiseConv2dNative", 4, 1,
               Fused(ConvAttrs({1, 1, 1, 1}, "SAME"), {"BiasAdd", "Prelu"}));
  ExpectGolden("fdw_bias_relu6", "_FusedDepthwiseConv2dNative", 3, 1,
               Fused(ConvAttrs({1, 2, 2, 1}, "SAME"), {"BiasAdd", "Relu6"}), {}, 1e-5);
}

TEST(NnLoweringTest, FusedOpsErrors) {
  Tensor x = Counting(Shape{1, 3, 3, 2}), w = Counting(Shape{1, 1, 2, 2}),
         bias = F32({1, 2}, Shape{2});
  // An activation before the bias is not a pattern TensorFlow emits.
  absl::StatusOr<Tensor> y = RunOne("_FusedConv2D", {x, w, bias},
                                    Fused(ConvAttrs({1, 1, 1, 1}, "SAME"), {"Relu", "BiasAdd"}));
  ASSERT_FALSE(y.ok());
  EXPECT_THAT(std::string(y.status().message()),
              HasSubstr("unsupported fused_ops pattern [Relu, BiasAdd]"));
  // BiasAdd with two args.
  y = RunOne("_FusedConv2D", {x, w, bias, bias},
             Fused(ConvAttrs({1, 1, 1, 1}, "SAME"), {"BiasAdd"}));
  ASSERT_FALSE(y.ok());
  EXPECT_THAT(std::string(y.status().message()), HasSubstr("num_args"));
  // FusedBatchNorm needs four args.
  y = RunOne("_FusedConv2D", {x, w, bias},
             Fused(ConvAttrs({1, 1, 1, 1}, "SAME"), {"FusedBatchNorm"}));
  ASSERT_FALSE(y.ok());
  EXPECT_THAT(std::string(y.status().message()), HasSubstr("missing offset"));
  // A bias of the wrong length.
  y = RunOne("_FusedMatMul", {Counting(Shape{2, 2}), Counting(Shape{2, 3}), bias},
             Fused({}, {"BiasAdd"}));
  ASSERT_FALSE(y.ok());
  EXPECT_THAT(std::string(y.status().message()), HasSubstr("vector of 3"));
}

}  // namespace
}  // namespace strata::testing
