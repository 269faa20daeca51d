// Gradients of a loss with respect to TF1 variables (VariableV2 refs), fed into
// ApplyGradientDescent: one training step is one Session::Run, and repeated steps fit a linear
// model. Checks the gradient transform against the Session's variables and optimizer ops, on
// every backend (the "gpu" one skips without a GPU).
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gpu_test_util.h"
#include "tests/gradients/grad_test_util.h"

namespace strata {
namespace {

using testing::AsDoubles;
using ::testing::FloatNear;
using ::testing::Pointwise;
using testing::Values;

class TrainingStepTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainingStepTest, GradientDescentOnAVariable) {
  Scope root = Scope::NewRootScope();
  // loss = sum((x w - t)^2) for x [4, 2], w [2, 1].
  Output x = ops::Const(root, Values(DT_FLOAT, {4, 2}, {1, 0, 0, 1, 1, 1, 2, -1}));
  Output t = ops::Const(root, Values(DT_FLOAT, {4, 1}, {3, -2, 1, 8}));  // w* = [3, -2]
  Output w = ops::VariableV2(root.WithOpName("w"), Shape{2, 1}, DT_FLOAT);
  ops::Assign(root.WithOpName("w/init"), w, ops::Const(root, Values(DT_FLOAT, {2, 1}, {0, 0})));
  Output loss = ops::Sum(root.WithOpName("loss"), ops::Square(root, ops::Sub(root, ops::MatMul(root, x, w), t)),
                         ops::Const(root, {0, 1}));
  std::vector<Output> grads;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {loss}, {w}, &grads));
  ASSERT_TRUE(grads[0].valid());
  EXPECT_EQ(grads[0].dtype(), DT_FLOAT);
  ops::ApplyGradientDescent(root.WithOpName("step"), w, ops::Const(root, 0.05f), grads[0]);
  ASSERT_TRUE(root.ok()) << root.status();
  testing_util::SkipWithoutTheGpu(GetParam());
  if (IsSkipped()) return;

  SessionOptions options;
  options.backend = GetParam();
  absl::StatusOr<std::unique_ptr<Session>> session = Session::Create(*root.graph(), options);
  GRAD_ASSERT_OK(session.status());
  std::vector<Tensor> out;
  GRAD_ASSERT_OK((*session)->Run({}, {}, {"w/init"}, &out));
  // First step from w = 0: grad = 2 x^T (x w - t) = -2 x^T t = [-2 (3 + 1 + 16), -2 (-2 + 1 - 8)].
  GRAD_ASSERT_OK((*session)->Run({}, {grads[0].name()}, {}, &out));
  EXPECT_THAT(AsDoubles(out[0]), Pointwise(FloatNear(1e-5), std::vector<float>{-40, 18}));
  GRAD_ASSERT_OK((*session)->Run({}, {}, {"step"}, &out));
  GRAD_ASSERT_OK((*session)->Run({}, {"w"}, &out));
  EXPECT_THAT(AsDoubles(out[0]), Pointwise(FloatNear(1e-5), std::vector<float>{2, -0.9f}));
  for (int i = 0; i < 200; ++i) GRAD_ASSERT_OK((*session)->Run({}, {}, {"step"}, &out));
  GRAD_ASSERT_OK((*session)->Run({}, {"w", "loss"}, &out));
  EXPECT_THAT(AsDoubles(out[0]), Pointwise(FloatNear(1e-3), std::vector<float>{3, -2}));
  EXPECT_LT(out[1].scalar<float>(), 1e-5f);
}

INSTANTIATE_TEST_SUITE_P(Backends, TrainingStepTest, ::testing::Values("cpu", "reference", "gpu-emu", "gpu"),
                         [](const ::testing::TestParamInfo<std::string>& info) { std::string name = info.param; for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_'; return name; });

}  // namespace
}  // namespace strata
