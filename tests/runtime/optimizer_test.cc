// Optimizer updates (ops/training_ops.cc, runtime/optimizer_expansion.h) in a Session: one step
// of each from known values, checked against values worked out by hand from TensorFlow's
// formulas; repeated steps keep their slots.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "graph/graph_def_io.h"
#include "gtest/gtest.h"
#include "runtime/backends.h"
#include "runtime/session.h"
#include "tests/compiler/graph_test_util.h"

namespace strata {
namespace {

using testing_util::GraphBuilder;
using ::testing::ElementsAre;
using ::testing::FloatNear;
using ::testing::Pointwise;

// A float [3] variable `name` with an initializer `name/init` holding `init`.
Output Variable(GraphBuilder& g, const std::string& name, std::vector<float> init) {
  Output v = g.Add(name, "VariableV2", {}, {{"shape", MakeAttr(Shape({3}))}, {"dtype", MakeAttr(DT_FLOAT)}});
  g.Add(name + "/init", "Assign", {v, g.Const(name + "/init_value", Tensor::FromVector<float>(init))});
  return v;
}

Output Scalar(GraphBuilder& g, const std::string& name, float v) { return g.Const(name, Tensor::FromVector<float>({v}, Shape{})); }

std::vector<float> Floats(const Tensor& t) { return std::vector<float>(t.flat<float>().begin(), t.flat<float>().end()); }

class OptimizerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!IsBackendAvailable(GetParam())) GTEST_SKIP() << "backend " << GetParam() << " not in this build";
    grad_ = g_.Placeholder("grad", DT_FLOAT, Shape({3}));
  }
  // Initializes every variable, runs `apply` once per step with grad = {1, -2, 0.5}, and
  // returns the variables' values.
  std::vector<std::vector<float>> Train(const std::string& apply, const std::vector<std::string>& vars, int steps = 1) {
    EXPECT_TRUE(g_.status().ok()) << g_.status();
    SessionOptions options;
    options.backend = GetParam();
    Session s(g_.graph(), options);
    EXPECT_TRUE(s.status().ok()) << s.status();
    std::vector<Tensor> out;
    std::vector<std::string> inits;
    for (const auto& n : g_.graph().nodes()) {
      if (n->op() == "VariableV2") inits.push_back(n->name() + "/init");
    }
    EXPECT_TRUE(s.Run({}, {}, inits, &out).ok());
    for (int i = 0; i < steps; ++i) {
      absl::Status st = s.Run({{"grad", Tensor::FromVector<float>({1, -2, 0.5})}}, {}, {apply}, &out);
      EXPECT_TRUE(st.ok()) << st;
    }
    std::vector<std::vector<float>> values;
    absl::Status st = s.Run({}, vars, &out);
    EXPECT_TRUE(st.ok()) << st;
    for (const Tensor& t : out) values.push_back(Floats(t));
    return values;
  }
  GraphBuilder g_;
  Output grad_;
};

TEST_P(OptimizerTest, GradientDescent) {
  Output w = Variable(g_, "w", {1, 2, 3});
  g_.Add("step", "ApplyGradientDescent", {w, Scalar(g_, "lr", 0.1f), grad_});
  auto v = Train("step", {"w"}, 2);
  EXPECT_THAT(v[0], Pointwise(FloatNear(1e-6), std::vector<float>{0.8f, 2.4f, 2.9f}));
}

TEST_P(OptimizerTest, MomentumAndNesterov) {
  Output w = Variable(g_, "w", {1, 2, 3});
  Output accum = Variable(g_, "accum", {0, 0, 0});
  g_.Add("step", "ApplyMomentum", {w, accum, Scalar(g_, "lr", 0.1f), grad_, Scalar(g_, "momentum", 0.9f)});
  // accum: g, then 1.9 g; w -= 0.1 g, then 0.19 g.
  auto v = Train("step", {"w", "accum"}, 2);
  EXPECT_THAT(v[0], Pointwise(FloatNear(1e-6), std::vector<float>{0.71f, 2.58f, 2.855f}));
  EXPECT_THAT(v[1], Pointwise(FloatNear(1e-6), std::vector<float>{1.9f, -3.8f, 0.95f}));
}

TEST_P(OptimizerTest, NesterovMomentum) {
  Output w = Variable(g_, "w", {1, 2, 3});
  Output accum = Variable(g_, "accum", {0, 0, 0});
  g_.Add("step", "ApplyMomentum", {w, accum, Scalar(g_, "lr", 0.1f), grad_, Scalar(g_, "momentum", 0.9f)},
         {{"use_nesterov", MakeAttr(true)}});
  // w -= lr * g + lr * momentum * accum = 0.19 g.
  auto v = Train("step", {"w"});
  EXPECT_THAT(v[0], Pointwise(FloatNear(1e-6), std::vector<float>{0.81f, 2.38f, 2.905f}));
}

TEST_P(OptimizerTest, AdamFirstStepMovesByLearningRateTimesSign) {
  Output w = Variable(g_, "w", {1, 2, 3});
  Output m = Variable(g_, "m", {0, 0, 0});
  Output v = Variable(g_, "v", {0, 0, 0});
  g_.Add("step", "ApplyAdam",
         {w, m, v, Scalar(g_, "b1p", 0.9f), Scalar(g_, "b2p", 0.999f), Scalar(g_, "lr", 0.01f), Scalar(g_, "b1", 0.9f),
          Scalar(g_, "b2", 0.999f), Scalar(g_, "eps", 1e-8f), grad_});
  // lr_t = 0.01 sqrt(0.001) / 0.1; m = 0.1 g; v = 0.001 g^2: the step is 0.01 sign(g).
  auto vals = Train("step", {"w", "m", "v"});
  EXPECT_THAT(vals[0], Pointwise(FloatNear(1e-5), std::vector<float>{0.99f, 2.01f, 2.99f}));
  EXPECT_THAT(vals[1], Pointwise(FloatNear(1e-6), std::vector<float>{0.1f, -0.2f, 0.05f}));
  EXPECT_THAT(vals[2], Pointwise(FloatNear(1e-7), std::vector<float>{0.001f, 0.004f, 0.00025f}));
}

TEST_P(OptimizerTest, RMSProp) {
  Output w = Variable(g_, "w", {1, 2, 3});
  Output ms = Variable(g_, "ms", {0, 0, 0});
  Output mom = Variable(g_, "mom", {0, 0, 0});
  g_.Add("step", "ApplyRMSProp",
         {w, ms, mom, Scalar(g_, "lr", 0.01f), Scalar(g_, "rho", 0.9f), Scalar(g_, "momentum", 0.0f),
          Scalar(g_, "eps", 1e-10f), grad_});
  // ms = 0.1 g^2; mom = 0.01 g / sqrt(0.1 g^2) = 0.0316228 sign(g).
  auto v = Train("step", {"w", "ms"});
  EXPECT_THAT(v[0], Pointwise(FloatNear(1e-6), std::vector<float>{0.9683772f, 2.0316228f, 2.9683772f}));
  EXPECT_THAT(v[1], Pointwise(FloatNear(1e-6), std::vector<float>{0.1f, 0.4f, 0.025f}));
}

TEST_P(OptimizerTest, Adagrad) {
  Output w = Variable(g_, "w", {1, 2, 3});
  Output accum = Variable(g_, "accum", {0.1f, 0.1f, 0.1f});
  g_.Add("step", "ApplyAdagrad", {w, accum, Scalar(g_, "lr", 0.1f), grad_});
  // accum = 0.1 + g^2 = {1.1, 4.1, 0.35}; w -= 0.1 g / sqrt(accum).
  auto v = Train("step", {"w", "accum"});
  EXPECT_THAT(v[0], Pointwise(FloatNear(1e-6), std::vector<float>{0.9046537f, 2.0987730f, 2.9154846f}));
  EXPECT_THAT(v[1], Pointwise(FloatNear(1e-6), std::vector<float>{1.1f, 4.1f, 0.35f}));
}

TEST_P(OptimizerTest, MalformedApplyIsAnErrorNamingTheNode) {
  Variable(g_, "w", {1, 2, 3});
  tf::GraphDef def = GraphToGraphDef(g_.graph());
  tf::NodeDef* bad = def.add_node();
  bad->set_name("bad_step");
  bad->set_op("ApplyGradientDescent");
  bad->add_input("w");
  (*bad->mutable_attr())["T"] = MakeAttr(DT_FLOAT);
  Session s(def);
  EXPECT_FALSE(s.status().ok());
  EXPECT_THAT(std::string(s.status().message()), ::testing::HasSubstr("bad_step"));
}

INSTANTIATE_TEST_SUITE_P(Backends, OptimizerTest, ::testing::Values("cpu", "reference"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace strata
