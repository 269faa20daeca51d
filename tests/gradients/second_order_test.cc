// Second derivatives: the gradient graph is itself differentiated (its ops have gradients of their
// own: TanhGrad, SigmoidGrad, ReluGrad, the conv backprops, ...) and checked against central
// differences of the first gradient.
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/gradients/grad_test_util.h"

namespace strata {
namespace {

using testing::GradientsMatch;
using testing::Random;
using testing::RandomAwayFromZero;

Output Input(const Scope& s, const char* name, const Shape& shape) {
  return ops::Placeholder(s.WithOpName(name), DT_DOUBLE, ops::Placeholder::Shape(shape));
}

using Fn = std::function<Output(const Scope&, Output)>;

struct Case {
  const char* name;
  Fn f;
  double lo, hi;
  bool away_from_zero;
};

class SecondOrderTest : public ::testing::TestWithParam<Case> {};

// d/dx (d sum(w * f(x)) / dx) for fixed random weights w.
TEST_P(SecondOrderTest, GradientOfTheGradient) {
  const Case& c = GetParam();
  Scope root = Scope::NewRootScope();
  const Shape shape{2, 3};
  Output x = Input(root, "x", shape);
  Output y = ops::Mul(root, c.f(root, x), ops::Const(root, Random(DT_DOUBLE, shape, -1, 1, 11)));
  std::vector<Output> grads;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {x}, &grads));
  ASSERT_TRUE(grads[0].valid());
  Tensor value =
      c.away_from_zero ? RandomAwayFromZero(DT_DOUBLE, shape, c.lo, c.hi, 5) : Random(DT_DOUBLE, shape, c.lo, c.hi, 5);
  EXPECT_TRUE(GradientsMatch(root, {x}, {value}, {grads[0]}, 1e-6)) << c.name;
}

#define CASE(op, lo, hi, away)                                                          \
  Case {                                                                                \
#op, [](const Scope& s, Output x) -> Output { return ops::op(s, x); }, lo, hi, away \
  }

INSTANTIATE_TEST_SUITE_P(Ops, SecondOrderTest,
                         ::testing::Values(CASE(Tanh, -2, 2, false), CASE(Sigmoid, -3, 3, false),
                                           CASE(Sqrt, 0.2, 3, false), CASE(Rsqrt, 0.2, 3, false),
                                           CASE(Reciprocal, 0.2, 3, true), CASE(Exp, -1, 1, false),
                                           CASE(Log, 0.2, 3, false), CASE(Square, -2, 2, false),
                                           CASE(Softplus, -2, 2, false), CASE(Relu, 0.1, 2, true),
                                           CASE(Elu, 0.1, 2, true), CASE(Selu, 0.1, 2, true), CASE(Sin, -3, 3, false),
                                           CASE(Softmax, -2, 2, false), CASE(LogSoftmax, -2, 2, false),
                                           Case{"LeakyRelu",
                                                [](const Scope& s, Output x) -> Output {
                                                  return ops::LeakyRelu(s, x, ops::LeakyRelu::Alpha(0.3f));
                                                },
                                                0.1, 2, true}),
                         [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(SecondOrderBinaryTest, MulAndMatMulMixedPartials) {
  Scope root = Scope::NewRootScope();
  Output a = Input(root, "a", {2, 3}), b = Input(root, "b", {3, 2});
  Output y = ops::Square(root, ops::MatMul(root, ops::Mul(root, a, a), b));
  std::vector<Output> grads;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {a, b}, &grads));
  // d(dy/da)/d{a,b} and d(dy/db)/d{a,b}.
  EXPECT_TRUE(
      GradientsMatch(root, {a, b}, {Random(DT_DOUBLE, {2, 3}), Random(DT_DOUBLE, {3, 2}, -1, 1, 2)}, grads, 1e-6));
}

TEST(SecondOrderBinaryTest, BroadcastingDivision) {
  Scope root = Scope::NewRootScope();
  Output a = Input(root, "a", {2, 3}), b = Input(root, "b", {3});
  Output y = ops::Div(root, ops::Square(root, a), b);
  std::vector<Output> grads;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {a, b}, &grads));
  EXPECT_TRUE(
      GradientsMatch(root, {a, b}, {Random(DT_DOUBLE, {2, 3}), Random(DT_DOUBLE, {3}, 0.5, 2, 2)}, grads, 1e-6));
}

TEST(SecondOrderNnTest, Conv2DThroughItsBackpropOps) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {1, 4, 4, 2}), f = Input(root, "f", {2, 2, 2, 2});
  Output y = ops::Square(root, ops::Conv2D(root, x, f, {1, 2, 2, 1}, "SAME"));
  std::vector<Output> grads;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {x, f}, &grads));
  EXPECT_TRUE(GradientsMatch(root, {x, f}, {Random(DT_DOUBLE, {1, 4, 4, 2}), Random(DT_DOUBLE, {2, 2, 2, 2}, -1, 1, 2)},
                             grads, 1e-6));
}

TEST(SecondOrderNnTest, DepthwiseConvAvgPoolAndBiasAdd) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {1, 4, 4, 2}), f = Input(root, "f", {2, 2, 2, 1}), b = Input(root, "b", {2});
  Output conv = ops::DepthwiseConv2dNative(root, x, f, {1, 1, 1, 1}, "VALID");
  Output pooled = ops::AvgPool(root, ops::BiasAdd(root, conv, b), {1, 2, 2, 1}, {1, 1, 1, 1}, "SAME");
  Output y = ops::Square(root, pooled);
  std::vector<Output> grads;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {x, f, b}, &grads));
  EXPECT_TRUE(GradientsMatch(
      root, {x, f, b},
      {Random(DT_DOUBLE, {1, 4, 4, 2}), Random(DT_DOUBLE, {2, 2, 2, 1}, -1, 1, 2), Random(DT_DOUBLE, {2}, -1, 1, 3)},
      grads, 1e-6));
}

TEST(SecondOrderNnTest, SoftmaxCrossEntropy) {
  Scope root = Scope::NewRootScope();
  Output logits = Input(root, "logits", {2, 3});
  Output labels = ops::Const(root, testing::Values(DT_DOUBLE, {2, 3}, {0.2, 0.3, 0.5, 1.0, 0.0, 0.0}));
  Output loss = ops::SoftmaxCrossEntropyWithLogits(root, logits, labels).loss;
  std::vector<Output> grads;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {loss}, {logits}, &grads));
  EXPECT_TRUE(GradientsMatch(root, {logits}, {Random(DT_DOUBLE, {2, 3}, -2, 2)}, grads, 1e-6));
}

TEST(SecondOrderNnTest, StridedSliceAndReductions) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {4, 3});
  Output sliced =
      ops::StridedSlice(root, x, ops::Const(root, {0, 0}), ops::Const(root, {4, 3}), ops::Const(root, {2, 1}));
  Output y = ops::Mean(root, ops::Square(root, ops::Tanh(root, sliced)), ops::Const(root, {0}));
  std::vector<Output> grads;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {x}, &grads));
  EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {4, 3})}, grads, 1e-6));
}

TEST(SecondOrderNnTest, MirrorPad) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {4});
  Output padded = ops::MirrorPad(root, x, ops::Const(root, {{2, 1}}), "REFLECT");
  Output y = ops::Mul(root, ops::Square(root, padded), ops::Const(root, Random(DT_DOUBLE, {7}, -1, 1, 3)));
  std::vector<Output> grads;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {x}, &grads));
  EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {4})}, grads, 1e-6));
}

// Third order, for good measure: d3/dx3 tanh(x).
TEST(HigherOrderTest, ThirdDerivativeOfTanh) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {4});
  Output y = ops::Tanh(root, x);
  std::vector<Output> first, second;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {x}, &first));
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {first[0]}, {x}, &second));
  EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {4}, -1.5, 1.5)}, second, 1e-6));
}

}  // namespace
}  // namespace strata
