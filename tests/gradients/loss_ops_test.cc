// The loss ops (ops/loss_ops.cc): values from hand-computed examples, shape functions and error
// paths, and their gradients against central differences (including the second derivative
// through SoftmaxCrossEntropyWithLogits' backprop output).
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
using testing::GradientsMatch;
using ::testing::HasSubstr;
using ::testing::Pointwise;
using testing::Random;
using testing::RunGraph;
using testing::Values;

Output Input(const Scope& s, const char* name, const Shape& shape, DType dtype = DT_DOUBLE) {
  return ops::Placeholder(s.WithOpName(name), dtype, ops::Placeholder::Shape(shape));
}

// Rows that sum to 1 (the loss ops' gradient assumes probability labels, as TF's does).
Tensor ProbabilityRows(const Shape& shape, uint32_t seed) {
  Tensor t = Random(DT_DOUBLE, shape, 0.1, 1.0, seed);
  auto v = t.flat<double>();
  const int64_t cols = shape.dim(1);
  for (int64_t r = 0; r < shape.dim(0); ++r) {
    double sum = 0;
    for (int64_t k = 0; k < cols; ++k) sum += v[r * cols + k];
    for (int64_t k = 0; k < cols; ++k) v[r * cols + k] /= sum;
  }
  return t;
}

TEST(LossOpsTest, Values) {
  for (const char* backend : {"cpu", "reference"}) {
    // Fed, not constants: constants would be folded on the host and the backend would compute nothing.
    Scope root = Scope::NewRootScope();
    Output logits = Input(root, "logits", {2, 2}), labels = Input(root, "labels", {2, 2});
    Output logits32 = Input(root, "logits32", {2, 2}, DT_FLOAT), t = Input(root, "t", {3}, DT_FLOAT);
    Output ids = ops::Placeholder(root.WithOpName("ids"), DT_INT32, ops::Placeholder::Shape({2}));
    auto dense = ops::SoftmaxCrossEntropyWithLogits(root, logits, labels);
    auto sparse = ops::SparseSoftmaxCrossEntropyWithLogits(root, logits32, ids);
    Output l2 = ops::L2Loss(root, t);
    absl::StatusOr<std::vector<Tensor>> out =
        RunGraph(root,
                 {{logits, Values(DT_DOUBLE, {2, 2}, {0, 0, 1, 3})},
                  {labels, Values(DT_DOUBLE, {2, 2}, {1, 0, 0.25, 0.75})},
                  {logits32, Values(DT_FLOAT, {2, 2}, {0, 0, 1, 3})},
                  {ids, Tensor::FromVector<int32_t>(std::vector<int32_t>{0, 1})},
                  {t, Values(DT_FLOAT, {3}, {1, 2, 3})}},
                 {dense.loss, dense.backprop, sparse.loss, sparse.backprop, l2}, backend);
    GRAD_ASSERT_OK(out.status());
    const double lse = std::log(std::exp(1.0) + std::exp(3.0));  // row 2's log-sum-exp
    const double p1 = std::exp(1.0 - lse), p3 = std::exp(3.0 - lse);
    EXPECT_THAT(AsDoubles((*out)[0]),
                Pointwise(DoubleNear(1e-12), {std::log(2.0), 0.25 * (lse - 1) + 0.75 * (lse - 3)}))
        << backend;
    EXPECT_THAT(AsDoubles((*out)[1]), Pointwise(DoubleNear(1e-12), {-0.5, 0.5, p1 - 0.25, p3 - 0.75})) << backend;
    EXPECT_THAT(AsDoubles((*out)[2]), Pointwise(DoubleNear(1e-6), {std::log(2.0), lse - 3})) << backend;
    EXPECT_THAT(AsDoubles((*out)[3]), Pointwise(DoubleNear(1e-6), {-0.5, 0.5, p1, p3 - 1})) << backend;
    EXPECT_THAT(AsDoubles((*out)[4]), ElementsAre(7)) << backend;
  }
}

TEST(LossOpsTest, LabelsBroadcastAgainstFeatures) {
  Scope root = Scope::NewRootScope();
  auto xent = ops::SoftmaxCrossEntropyWithLogits(root, ops::Const(root, Values(DT_DOUBLE, {2, 2}, {0, 0, 0, 0})),
                                                 ops::Const(root, Values(DT_DOUBLE, {1, 2}, {1, 0})));
  EXPECT_EQ(xent.loss.shape(), Shape{2});
  absl::StatusOr<std::vector<Tensor>> out = RunGraph(root, {}, {xent.loss});
  GRAD_ASSERT_OK(out.status());
  EXPECT_THAT(AsDoubles((*out)[0]), Pointwise(DoubleNear(1e-12), {std::log(2.0), std::log(2.0)}));
}

TEST(LossOpsTest, ShapeErrors) {
  {
    Scope root = Scope::NewRootScope();
    ops::SparseSoftmaxCrossEntropyWithLogits(root, Input(root, "f", {2, 3}), ops::Const(root, {{0}, {1}}));
    EXPECT_THAT(root.status().message(), HasSubstr("labels"));
  }
  {
    Scope root = Scope::NewRootScope();
    ops::SparseSoftmaxCrossEntropyWithLogits(root, Input(root, "f", {2, 3}), ops::Const(root, {0, 1, 2}));
    EXPECT_FALSE(root.ok());
  }
  {
    Scope root = Scope::NewRootScope();
    ops::SoftmaxCrossEntropyWithLogits(root, Input(root, "f", {2, 3, 1}), Input(root, "l", {2, 3, 1}));
    EXPECT_THAT(root.status().message(), HasSubstr("rank 2"));
  }
}

TEST(LossOpsTest, SparseLabelOutOfRangeIsARunTimeError) {
  for (const char* backend : {"cpu", "reference"}) {
    Scope root = Scope::NewRootScope();
    Output labels = ops::Placeholder(root.WithOpName("labels"), DT_INT32, ops::Placeholder::Shape({2}));
    Output logits = Input(root, "logits", {2, 2}, DT_FLOAT);
    auto xent = ops::SparseSoftmaxCrossEntropyWithLogits(root, logits, labels);
    absl::StatusOr<std::vector<Tensor>> out =
        RunGraph(root,
                 {{logits, Values(DT_FLOAT, {2, 2}, {0, 0, 1, 3})},
                  {labels, Tensor::FromVector<int32_t>(std::vector<int32_t>{0, 2})}},
                 {xent.loss}, backend);
    EXPECT_FALSE(out.ok()) << backend;
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << backend;
  }
}

TEST(LossGradTest, SoftmaxCrossEntropyWithLogits) {
  Scope root = Scope::NewRootScope();
  Output logits = Input(root, "logits", {3, 4}), labels = Input(root, "labels", {3, 4});
  auto xent = ops::SoftmaxCrossEntropyWithLogits(root, logits, labels);
  EXPECT_TRUE(GradientsMatch(root, {logits, labels}, {Random(DT_DOUBLE, {3, 4}, -2, 2), ProbabilityRows({3, 4}, 2)},
                             {xent.loss}, 1e-6));
}

// The backprop output is differentiable too (a second derivative of the loss).
TEST(LossGradTest, SoftmaxCrossEntropyBackpropOutput) {
  Scope root = Scope::NewRootScope();
  Output logits = Input(root, "logits", {2, 3}), labels = Input(root, "labels", {2, 3});
  auto xent = ops::SoftmaxCrossEntropyWithLogits(root, logits, labels);
  EXPECT_TRUE(GradientsMatch(root, {logits, labels}, {Random(DT_DOUBLE, {2, 3}, -2, 2), ProbabilityRows({2, 3}, 3)},
                             {xent.loss, xent.backprop}, 1e-6));
}

TEST(LossGradTest, SparseSoftmaxCrossEntropyWithLogits) {
  Scope root = Scope::NewRootScope();
  Output logits = Input(root, "logits", {4, 3});
  auto xent = ops::SparseSoftmaxCrossEntropyWithLogits(root, logits, ops::Const(root, {2, 0, 1, 2}));
  EXPECT_TRUE(GradientsMatch(root, {logits}, {Random(DT_DOUBLE, {4, 3}, -2, 2)}, {xent.loss}, 1e-6));
}

TEST(LossGradTest, SparseSecondDerivativeIsRefused) {
  Scope root = Scope::NewRootScope();
  Output logits = Input(root, "logits", {4, 3});
  auto xent = ops::SparseSoftmaxCrossEntropyWithLogits(root, logits, ops::Const(root, {2, 0, 1, 2}));
  std::vector<Output> dxs;
  absl::Status s = AddSymbolicGradients(root, {xent.backprop}, {logits}, &dxs);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(s.message(), HasSubstr("second derivative of SparseSoftmaxCrossEntropyWithLogits"));
}

TEST(LossGradTest, L2Loss) {
  for (const Shape& shape : {Shape{}, Shape{3}, Shape{2, 3}}) {
    Scope root = Scope::NewRootScope();
    Output t = Input(root, "t", shape);
    Output y = ops::L2Loss(root, t);
    EXPECT_TRUE(GradientsMatch(root, {t}, {Random(DT_DOUBLE, shape)}, {y}, 1e-6)) << shape.ToString();
  }
}

}  // namespace
}  // namespace strata
