// The numerical gradient checker itself (runtime/gradient_checker.h): Jacobian layout and values
// for a hand-derived function, a wrong gradient is caught, NoGradient gives a zero Jacobian,
// and bad arguments are errors.
#include "runtime/gradient_checker.h"

#include <vector>

#include "gmock/gmock.h"
#include "graph/shape_inference.h"
#include "gtest/gtest.h"
#include "ops/gradient.h"
#include "tests/gradients/grad_test_util.h"

namespace strata {
namespace {

using testing::AsDoubles;
using ::testing::DoubleNear;
using ::testing::HasSubstr;
using ::testing::Pointwise;
using testing::Values;

// An op computing y = x whose registered gradient is wrong (2 dy).
REGISTER_OP("StrataGradCheckerTestWrong")
    .Input("x: double")
    .Output("y: double")
    .SetShapeFn(UnchangedShape)
    .SetLowering([](LoweringContext& c) {
      c.set_output(0, c.input(0));
      return absl::OkStatus();
    })
    .SetGradient([](GradientContext& c) {
      c.set_dx(0, c.Mul(c.dy(0), c.ScalarLike(c.dy(0), 2)));
      return c.status();
    });

Output Input(const Scope& s, const char* name, const Shape& shape) {
  return ops::Placeholder(s.WithOpName(name), DT_DOUBLE, ops::Placeholder::Shape(shape));
}

TEST(GradientCheckerTest, JacobianLayoutAndValues) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {2});
  Output w = Input(root, "w", {3, 2});
  // y = w x (3 values): dy[j]/dx[k] = w[j][k]; dy[j]/dw[j][k] = x[k].
  Output y =
      ops::Reshape(root, ops::MatMul(root, w, ops::Reshape(root, x, ops::Const(root, {2, 1}))), ops::Const(root, {3}));
  Tensor xv = Values(DT_DOUBLE, {2}, {1, 2});
  Tensor wv = Values(DT_DOUBLE, {3, 2}, {1, 2, 3, 4, 5, 6});
  absl::StatusOr<GradientCheck> check = CheckGradients(*root.graph(), {x, w}, {xv, wv}, {y});
  GRAD_ASSERT_OK(check.status());
  ASSERT_EQ(check->symbolic.size(), 2u);
  EXPECT_EQ(check->symbolic[0][0].shape(), (Shape{2, 3}));
  EXPECT_EQ(check->symbolic[1][0].shape(), (Shape{6, 3}));
  // Row k = x element, column j = y element: J[k][j] = w[j][k].
  EXPECT_THAT(AsDoubles(check->symbolic[0][0]), Pointwise(DoubleNear(1e-12), {1, 3, 5, 2, 4, 6}));
  EXPECT_THAT(AsDoubles(check->numeric[0][0]), Pointwise(DoubleNear(1e-8), {1, 3, 5, 2, 4, 6}));
  EXPECT_THAT(AsDoubles(check->symbolic[1][0]),
              Pointwise(DoubleNear(1e-12), {1, 0, 0, 2, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 1, 0, 0, 2}));
  EXPECT_LT(check->max_error, 1e-8);
}

TEST(GradientCheckerTest, CatchesAWrongGradient) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {3});
  NodeSpec spec;
  spec.name = "wrong";
  spec.op = "StrataGradCheckerTestWrong";
  spec.inputs = {x};
  absl::StatusOr<Node*> node = root.graph()->AddNode(std::move(spec));
  GRAD_ASSERT_OK(node.status());
  GRAD_ASSERT_OK(InferNodeShapes(*node));
  absl::StatusOr<GradientCheck> check =
      CheckGradients(*root.graph(), {x}, {Values(DT_DOUBLE, {3}, {1, 2, 3})}, {Output(*node, 0)});
  GRAD_ASSERT_OK(check.status());
  EXPECT_NEAR(check->max_error, 1.0, 1e-6);  // symbolic 2, numeric 1 on the diagonal
  EXPECT_FALSE(testing::GradientsMatch(root, {x}, {Values(DT_DOUBLE, {3}, {1, 2, 3})}, {Output(*node, 0)}, 1e-3));
}

TEST(GradientCheckerTest, NoGradientMeansAZeroJacobian) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {2});
  Output y = ops::Floor(root, x);
  absl::StatusOr<GradientCheck> check = CheckGradients(*root.graph(), {x}, {Values(DT_DOUBLE, {2}, {0.3, 1.6})}, {y});
  GRAD_ASSERT_OK(check.status());
  EXPECT_THAT(AsDoubles(check->symbolic[0][0]), Pointwise(DoubleNear(0), {0, 0, 0, 0}));
  EXPECT_EQ(check->max_error, 0);
}

TEST(GradientCheckerTest, LeavesTheGraphUnchanged) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {2});
  Output y = ops::Square(root, x);
  const int before = root.graph()->num_nodes();
  GRAD_ASSERT_OK(CheckGradients(*root.graph(), {x}, {Values(DT_DOUBLE, {2}, {1, 2})}, {y}).status());
  EXPECT_EQ(root.graph()->num_nodes(), before);
}

TEST(GradientCheckerTest, BadArgumentsAreErrors) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {2});
  Output y = ops::Square(root, x);
  Output ints = ops::Placeholder(root.WithOpName("ints"), DT_INT32, ops::Placeholder::Shape({2}));
  const Graph& g = *root.graph();
  EXPECT_THAT(CheckGradients(g, {x}, {}, {y}).status().message(), HasSubstr("1 xs but 0 x_values"));
  EXPECT_THAT(CheckGradients(g, {x}, {Values(DT_FLOAT, {2}, {1, 2})}, {y}).status().message(),
              HasSubstr("both must be the same float dtype"));
  EXPECT_THAT(
      CheckGradients(g, {ints}, {Tensor::FromVector<int32_t>(std::vector<int32_t>{1, 2})}, {y}).status().message(),
      HasSubstr("both must be the same float dtype"));
  EXPECT_THAT(CheckGradients(g, {x}, {Values(DT_DOUBLE, {3}, {1, 2, 3})}, {y}).status().message(),
              HasSubstr("has shape [2] but its value has shape [3]"));
  EXPECT_THAT(CheckGradients(g, {x}, {Values(DT_DOUBLE, {2}, {1, 2})}, {Output()}).status().message(),
              HasSubstr("ys[0] is invalid"));
  // A placeholder the ys need but nobody feeds: the Session's error names it.
  Output z = Input(root, "z", {2});
  Output yz = ops::Mul(root, x, z);
  EXPECT_THAT(CheckGradients(g, {x}, {Values(DT_DOUBLE, {2}, {1, 2})}, {yz}).status().message(), HasSubstr("'z'"));
}

}  // namespace
}  // namespace strata
