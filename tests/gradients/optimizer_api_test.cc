// The training helpers of frontends/cc/training.h: variables (ref and resource), optimizers
// (first steps checked against TF's update rules computed by hand), slots, global step,
// learning-rate schedules, checkpoints and freezing of resource variables, and a small training
// run that must learn.
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "frontends/cc/training.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gradients/grad_test_util.h"

namespace strata {
namespace {

using ::testing::FloatNear;
using ::testing::HasSubstr;
using ::testing::Pointwise;
using testing::AsDoubles;
using testing::Values;

std::unique_ptr<Session> MakeSession(const Scope& root, const std::string& backend = "cpu") {
  SessionOptions options;
  options.backend = backend;
  absl::StatusOr<std::unique_ptr<Session>> s = Session::Create(*root.graph(), options);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

Tensor Fetch(Session& s, const std::string& name) {
  std::vector<Tensor> out;
  absl::Status st = s.Run({}, {name}, {}, &out);
  EXPECT_TRUE(st.ok()) << st;
  return st.ok() ? out[0] : Tensor();
}

// loss = sum((x w - t)^2), x [4, 2], w [2, 1] starting at 0: the first gradient is
// 2 x^T (x w - t) = -2 x^T t = [-40, 18] (see training_step_test.cc).
struct LeastSquares {
  Scope root = Scope::NewRootScope();
  train::Variable w;
  Output loss;
  explicit LeastSquares(train::VariableKind kind) {
    Output x = ops::Const(root, Values(DT_FLOAT, {4, 2}, {1, 0, 0, 1, 1, 1, 2, -1}));
    Output t = ops::Const(root, Values(DT_FLOAT, {4, 1}, {3, -2, 1, 8}));
    w = train::MakeVariable(root.WithOpName("w"), Values(DT_FLOAT, {2, 1}, {0, 0}), {kind});
    loss = ops::Sum(root.WithOpName("loss"), ops::Square(root, ops::Sub(root, ops::MatMul(root, x, w.value), t)),
                    ops::Const(root, {0, 1}));
  }
};

class OptimizerTest : public ::testing::TestWithParam<train::VariableKind> {
 protected:
  // Runs `steps` steps of `opt` from w = 0 and returns w.
  std::vector<double> Train(train::Optimizer& opt, int steps, LeastSquares& problem, std::unique_ptr<Session>* keep = nullptr) {
    Output step = train::GetOrCreateGlobalStep(problem.root);
    absl::StatusOr<Operation> train_op = opt.Minimize(problem.root, problem.loss, {}, &step);
    EXPECT_TRUE(train_op.ok()) << train_op.status();
    Operation init = train::GlobalVariablesInitializer(problem.root);
    EXPECT_TRUE(problem.root.ok()) << problem.root.status();
    std::unique_ptr<Session> session = MakeSession(problem.root);
    if (session == nullptr || !train_op.ok()) return {};
    std::vector<Tensor> out;
    EXPECT_TRUE(session->Run({}, {}, {init.name()}, &out).ok());
    for (int i = 0; i < steps; ++i) {
      absl::Status s = session->Run({}, {}, {train_op->name()}, &out);
      EXPECT_TRUE(s.ok()) << s;
      if (!s.ok()) return {};
    }
    EXPECT_EQ(Fetch(*session, "global_step").scalar<int64_t>(), steps);
    std::vector<double> w = AsDoubles(Fetch(*session, problem.w.value.name()));
    if (keep != nullptr) *keep = std::move(session);
    return w;
  }
};

TEST_P(OptimizerTest, GradientDescentFirstStep) {
  LeastSquares p(GetParam());
  train::GradientDescentOptimizer opt(0.05f);
  EXPECT_THAT(Train(opt, 1, p), Pointwise(FloatNear(1e-5), std::vector<double>{2, -0.9}));
}

TEST_P(OptimizerTest, MomentumFirstTwoSteps) {
  LeastSquares p(GetParam());
  train::MomentumOptimizer opt(0.01f, 0.9f);
  // Step 1: accum = g = [-40, 18], w = -0.01 g = [0.4, -0.18].
  // Step 2: g = 2 x^T (x w - t); x w = [0.4, -0.18, 0.22, 0.98]; r = x w - t = [-2.6, 1.82, -0.78, -7.02];
  // x^T r = [-2.6 - 0.78 - 14.04, 1.82 - 0.78 + 7.02] = [-17.42, 8.06]; g = [-34.84, 16.12];
  // accum = 0.9 [-40, 18] + g = [-70.84, 32.32]; w = [0.4, -0.18] - 0.01 accum = [1.1084, -0.5032].
  EXPECT_THAT(Train(opt, 2, p), Pointwise(FloatNear(1e-4), std::vector<double>{1.1084, -0.5032}));
}

TEST_P(OptimizerTest, NesterovFirstStep) {
  LeastSquares p(GetParam());
  train::MomentumOptimizer opt(0.01f, 0.9f, /*use_nesterov=*/true);
  // w -= lr g + lr momentum accum, accum = g: w = -0.01 * 1.9 g.
  EXPECT_THAT(Train(opt, 1, p), Pointwise(FloatNear(1e-5), std::vector<double>{0.76, -0.342}));
}

TEST_P(OptimizerTest, AdamFirstStepMovesByTheLearningRate) {
  LeastSquares p(GetParam());
  train::AdamOptimizer opt(0.1f);
  std::unique_ptr<Session> session;
  // m = 0.1 g, v = 0.001 g^2, lr_t = 0.1 sqrt(0.001) / 0.1: w = -lr_t m / (sqrt(v) + eps) = -0.1 sign(g).
  EXPECT_THAT(Train(opt, 1, p, &session), Pointwise(FloatNear(1e-5), std::vector<double>{0.1, -0.1}));
  ASSERT_NE(session, nullptr);
  // The bias corrections advanced once; the slots are TF's names and hold the moments.
  EXPECT_NEAR(Fetch(*session, "beta1_power").scalar<float>(), 0.81f, 1e-6);
  EXPECT_NEAR(Fetch(*session, "beta2_power").scalar<float>(), 0.999f * 0.999f, 1e-6);
  std::optional<train::Variable> m = opt.GetSlot(p.w, "m");
  std::optional<train::Variable> v = opt.GetSlot(p.w, "v");
  ASSERT_TRUE(m && v);
  EXPECT_EQ(m->name(), "w/Adam");
  EXPECT_EQ(v->name(), "w/Adam_1");
  EXPECT_THAT(AsDoubles(Fetch(*session, m->value.name())), Pointwise(FloatNear(1e-4), std::vector<double>{-4, 1.8}));
  EXPECT_THAT(AsDoubles(Fetch(*session, v->value.name())), Pointwise(FloatNear(1e-4), std::vector<double>{1.6, 0.324}));
  EXPECT_FALSE(opt.GetSlot(p.w, "nope").has_value());
}

TEST_P(OptimizerTest, RMSPropFirstStep) {
  LeastSquares p(GetParam());
  train::RMSPropOptimizer opt(0.01f, 0.9f, 0.0f, 1e-10f);
  // ms starts at 1: ms = 1 + 0.1 (g^2 - 1) = [160.9, 33.3]; w = -0.01 g / sqrt(ms).
  const double w0 = 0.01 * 40 / std::sqrt(160.9), w1 = -0.01 * 18 / std::sqrt(33.3);
  EXPECT_THAT(Train(opt, 1, p), Pointwise(FloatNear(1e-5), std::vector<double>{w0, w1}));
}

TEST_P(OptimizerTest, AdagradFirstStep) {
  LeastSquares p(GetParam());
  train::AdagradOptimizer opt(0.1f, 0.1f);
  // accum = 0.1 + g^2; w = -0.1 g / sqrt(accum).
  const double w0 = 0.1 * 40 / std::sqrt(1600.1), w1 = -0.1 * 18 / std::sqrt(324.1);
  EXPECT_THAT(Train(opt, 1, p), Pointwise(FloatNear(1e-5), std::vector<double>{w0, w1}));
}

TEST_P(OptimizerTest, AdamConverges) {
  LeastSquares p(GetParam());
  train::AdamOptimizer opt(0.1f);
  EXPECT_THAT(Train(opt, 400, p), Pointwise(FloatNear(2e-3), std::vector<double>{3, -2}));
}

INSTANTIATE_TEST_SUITE_P(Kinds, OptimizerTest, ::testing::Values(train::VariableKind::kRef, train::VariableKind::kResource),
                         [](const ::testing::TestParamInfo<train::VariableKind>& info) {
                           return info.param == train::VariableKind::kRef ? std::string("Ref") : std::string("Resource");
                         });

TEST(ResourceVariableTest, ReadAssignAndErrors) {
  Scope root = Scope::NewRootScope();
  train::Variable v = train::MakeVariable(root.WithOpName("v"), Values(DT_FLOAT, {2}, {1, 2}), {train::VariableKind::kResource});
  EXPECT_TRUE(v.resource());
  EXPECT_EQ(v.value.shape(), (Shape{2}));  // ReadVariableOp's shape comes from the handle's VarHandleOp
  ops::AssignAddVariableOp(root.WithOpName("add"), v.handle, Values(DT_FLOAT, {2}, {10, 20}));
  ops::AssignVariableOp(root.WithOpName("bad_shape"), v.handle, Values(DT_FLOAT, {3}, {1, 2, 3}));
  ops::AssignVariableOp(root.WithOpName("bad_dtype"), v.handle, Values(DT_DOUBLE, {2}, {1, 2}));
  ops::VarIsInitializedOp(root.WithOpName("is_init"), v.handle);
  ASSERT_TRUE(root.ok()) << root.status();
  std::unique_ptr<Session> s = MakeSession(root);
  ASSERT_NE(s, nullptr);
  std::vector<Tensor> out;
  EXPECT_FALSE(Fetch(*s, "is_init").scalar<bool>());
  absl::Status uninit = s->Run({}, {v.value.name()}, {}, &out);
  EXPECT_EQ(uninit.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(uninit.message(), HasSubstr("uninitialized value v"));
  GRAD_ASSERT_OK(s->Run({}, {}, {v.initializer.name()}, &out));
  EXPECT_TRUE(Fetch(*s, "is_init").scalar<bool>());
  GRAD_ASSERT_OK(s->Run({}, {}, {"add"}, &out));
  EXPECT_THAT(AsDoubles(Fetch(*s, v.value.name())), Pointwise(FloatNear(0), std::vector<double>{11, 22}));
  absl::Status shape = s->Run({}, {}, {"bad_shape"}, &out);
  EXPECT_EQ(shape.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(shape.message(), HasSubstr("variable v has shape [2]"));
  absl::Status dtype = s->Run({}, {}, {"bad_dtype"}, &out);
  EXPECT_THAT(dtype.message(), HasSubstr("variable v holds float32, cannot assign a float64"));
  EXPECT_THAT(AsDoubles(Fetch(*s, v.value.name())), Pointwise(FloatNear(0), std::vector<double>{11, 22}));
}

TEST(ResourceVariableTest, CheckpointRoundTripAndFreeze) {
  Scope root = Scope::NewRootScope();
  Output x = ops::Placeholder(root.WithOpName("x"), DT_FLOAT, ops::Placeholder::Shape({-1, 2}));
  train::Variable w = train::MakeVariable(root.WithOpName("w"), Values(DT_FLOAT, {2, 2}, {1, 2, 3, 4}),
                                          {train::VariableKind::kResource});
  ops::Identity(root.WithOpName("y"), ops::MatMul(root, x, w.value));
  ops::AssignVariableOp(root.WithOpName("zero"), w.handle, Values(DT_FLOAT, {2, 2}, {0, 0, 0, 0}));
  ASSERT_TRUE(root.ok()) << root.status();
  std::unique_ptr<Session> s = MakeSession(root);
  ASSERT_NE(s, nullptr);
  std::vector<Tensor> out;
  GRAD_ASSERT_OK(s->Run({}, {}, {w.initializer.name()}, &out));
  const std::string path = (std::filesystem::temp_directory_path() / "strata_resource_ckpt").string();
  GRAD_ASSERT_OK(s->Save(path));
  GRAD_ASSERT_OK(s->Run({}, {}, {"zero"}, &out));
  GRAD_ASSERT_OK(s->Restore(path));
  const Tensor xv = Values(DT_FLOAT, {1, 2}, {1, 1});
  GRAD_ASSERT_OK(s->Run({{"x", xv}}, {"y"}, {}, &out));
  EXPECT_THAT(AsDoubles(out[0]), Pointwise(FloatNear(0), std::vector<double>{4, 6}));

  absl::StatusOr<tf::GraphDef> frozen = s->Freeze({"y"});
  GRAD_ASSERT_OK(frozen.status());
  for (const tf::NodeDef& n : frozen->node()) {
    EXPECT_NE(n.op(), "VarHandleOp") << n.name();
    EXPECT_NE(n.op(), "ReadVariableOp") << n.name();
  }
  Session frozen_session(*frozen);
  GRAD_ASSERT_OK(frozen_session.Run({{"x", xv}}, {"y"}, {}, &out));
  EXPECT_THAT(AsDoubles(out[0]), Pointwise(FloatNear(0), std::vector<double>{4, 6}));
  std::filesystem::remove(path);
}

TEST(LearningRateTest, ExponentialDecayAndPiecewiseConstant) {
  Scope root = Scope::NewRootScope();
  Output step = ops::Placeholder(root.WithOpName("step"), DT_INT64, ops::Placeholder::Shape({}));
  Output smooth = train::ExponentialDecay(root.NewSubScope("smooth"), 0.1f, step, 10, 0.5f);
  Output stairs = train::ExponentialDecay(root.NewSubScope("stairs"), 0.1f, step, 10, 0.5f, /*staircase=*/true);
  Output piecewise = train::PiecewiseConstant(root, step, {10, 20}, {1.0f, 0.5f, 0.1f});
  ASSERT_TRUE(root.ok()) << root.status();
  std::unique_ptr<Session> s = MakeSession(root);
  ASSERT_NE(s, nullptr);
  struct Case { int64_t step; double smooth, stairs, piecewise; };
  for (const Case& c : {Case{0, 0.1, 0.1, 1.0}, Case{5, 0.1 * std::pow(0.5, 0.5), 0.1, 1.0}, Case{10, 0.05, 0.05, 1.0},
                        Case{11, 0.1 * std::pow(0.5, 1.1), 0.05, 0.5}, Case{20, 0.025, 0.025, 0.5},
                        Case{25, 0.1 * std::pow(0.5, 2.5), 0.025, 0.1}}) {
    std::vector<Tensor> out;
    GRAD_ASSERT_OK(s->Run({{"step", Tensor::FromVector<int64_t>({c.step}, Shape{})}},
                          {smooth.name(), stairs.name(), piecewise.name()}, {}, &out));
    EXPECT_NEAR(out[0].scalar<float>(), c.smooth, 1e-6) << "step " << c.step;
    EXPECT_NEAR(out[1].scalar<float>(), c.stairs, 1e-6) << "step " << c.step;
    EXPECT_NEAR(out[2].scalar<float>(), c.piecewise, 1e-6) << "step " << c.step;
  }
}

TEST(LearningRateTest, BadSchedulesAreErrors) {
  Scope root = Scope::NewRootScope();
  Output step = ops::Placeholder(root.WithOpName("step"), DT_INT64);
  train::PiecewiseConstant(root, step, {10, 20}, {1.0f, 0.5f});
  EXPECT_THAT(root.status().message(), HasSubstr("2 values for 2 boundaries"));
  Scope other = Scope::NewRootScope();
  train::PiecewiseConstant(other, ops::Placeholder(other, DT_INT64), {20, 10}, {1.0f, 0.5f, 0.1f});
  EXPECT_THAT(other.status().message(), HasSubstr("boundaries must increase"));
}

TEST(OptimizerErrorsTest, LossWithoutVariables) {
  Scope root = Scope::NewRootScope();
  train::MakeVariable(root.WithOpName("unused"), Values(DT_FLOAT, {2}, {1, 2}));
  Output loss = ops::Sum(root, ops::Const(root, Values(DT_FLOAT, {2}, {1, 2})), ops::Const(root, {0}));
  train::GradientDescentOptimizer opt(0.1f);
  absl::StatusOr<Operation> op = opt.Minimize(root, loss);
  ASSERT_FALSE(op.ok());
  EXPECT_THAT(op.status().message(), HasSubstr("does not depend on them"));
}

// Softmax regression on two well-separated Gaussian blobs in 4-D (a few hundred steps of SGD
// on synthetic data) must reduce the loss and classify nearly everything.
TEST(TrainingRunTest, SoftmaxRegressionLearns) {
  constexpr int kN = 256;
  std::vector<float> xs;
  std::vector<int32_t> ys;
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 0.7f);
  for (int i = 0; i < kN; ++i) {
    const int label = i % 2;
    for (int d = 0; d < 4; ++d) xs.push_back((label == 0 ? -1.0f : 1.0f) * (d % 2 == 0 ? 1.0f : 0.5f) + noise(rng));
    ys.push_back(label);
  }
  Scope root = Scope::NewRootScope();
  Output x = ops::Placeholder(root.WithOpName("x"), DT_FLOAT, ops::Placeholder::Shape({-1, 4}));
  Output y = ops::Placeholder(root.WithOpName("y"), DT_INT32, ops::Placeholder::Shape({-1}));
  train::Variable w = train::MakeVariable(root.WithOpName("w"), ops::TruncatedNormal(root, ops::Const(root, {4, 2}), DT_FLOAT,
                                                                                     ops::TruncatedNormal::Seed(1)));
  train::Variable b = train::MakeVariable(root.WithOpName("b"), Values(DT_FLOAT, {2}, {0, 0}));
  Output logits = ops::Add(root, ops::MatMul(root, x, w.value), b.value);
  Output loss = ops::Mean(root.WithOpName("loss"), ops::SparseSoftmaxCrossEntropyWithLogits(root, logits, y).loss,
                          ops::Const(root, {0}));
  Output correct = ops::Equal(root, ops::ArgMax(root, logits, ops::Const(root, 1), ops::ArgMax::OutputType(DT_INT32)), y);
  ops::Mean(root.WithOpName("accuracy"), ops::Cast(root, correct, DT_FLOAT), ops::Const(root, {0}));
  train::GradientDescentOptimizer sgd(0.5f);
  absl::StatusOr<Operation> step = sgd.Minimize(root, loss);
  GRAD_ASSERT_OK(step.status());
  Operation init = train::GlobalVariablesInitializer(root);
  ASSERT_TRUE(root.ok()) << root.status();
  std::unique_ptr<Session> s = MakeSession(root);
  ASSERT_NE(s, nullptr);
  std::vector<Tensor> out;
  GRAD_ASSERT_OK(s->Run({}, {}, {init.name()}, &out));
  const std::vector<std::pair<std::string, Tensor>> feeds = {
      {"x", Tensor::FromVector<float>(xs, Shape{kN, 4})}, {"y", Tensor::FromVector<int32_t>(ys, Shape{kN})}};
  GRAD_ASSERT_OK(s->Run(feeds, {"loss"}, {}, &out));
  const float first_loss = out[0].scalar<float>();
  for (int i = 0; i < 200; ++i) GRAD_ASSERT_OK(s->Run(feeds, {}, {step->name()}, &out));
  GRAD_ASSERT_OK(s->Run(feeds, {"loss", "accuracy"}, {}, &out));
  EXPECT_LT(out[0].scalar<float>(), first_loss * 0.5f);
  EXPECT_GE(out[1].scalar<float>(), 0.95f);
}

}  // namespace
}  // namespace strata
