// A whole small model end to end: a 2-layer MLP with a softmax cross-entropy loss. Its gradients
// with respect to every parameter are checked against central differences (float64, on the
// compiled and the reference backend), and plain gradient descent with them lowers the loss.
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/gradients/grad_test_util.h"

namespace strata {
namespace {

using testing::GradientsMatch;
using testing::Random;

struct Mlp {
  Output x, labels, w1, b1, w2, b2, loss;
};

// loss = mean(softmax_xent(relu(x w1 + b1) w2 + b2, labels)); `sparse` takes class ids.
Mlp BuildMlp(const Scope& root, DType dtype, int inputs, int hidden, int classes, bool sparse) {
  Mlp m;
  auto input = [&](const char* name, const Shape& shape, DType t) {
    return Output(ops::Placeholder(root.WithOpName(name), t, ops::Placeholder::Shape(shape)));
  };
  m.x = input("x", {-1, inputs}, dtype);
  m.labels = sparse ? input("labels", {-1}, DT_INT32) : input("labels", {-1, classes}, dtype);
  m.w1 = input("w1", {inputs, hidden}, dtype);
  m.b1 = input("b1", {hidden}, dtype);
  m.w2 = input("w2", {hidden, classes}, dtype);
  m.b2 = input("b2", {classes}, dtype);
  Scope layer1 = root.NewSubScope("layer1"), layer2 = root.NewSubScope("layer2");
  Output h = ops::Relu(layer1, ops::BiasAdd(layer1, ops::MatMul(layer1, m.x, m.w1), m.b1));
  Output logits = ops::BiasAdd(layer2, ops::MatMul(layer2, h, m.w2), m.b2);
  Output per_example = sparse ? ops::SparseSoftmaxCrossEntropyWithLogits(root, logits, m.labels).loss
                              : ops::SoftmaxCrossEntropyWithLogits(root, logits, m.labels).loss;
  m.loss = ops::Mean(root.WithOpName("loss"), per_example, ops::Const(root, {0}));
  return m;
}

Tensor OneHotRows(const std::vector<int>& classes, int depth, DType dtype) {
  Tensor t(DT_DOUBLE, Shape{static_cast<int64_t>(classes.size()), depth});
  for (size_t i = 0; i < classes.size(); ++i) t.flat<double>()[i * depth + classes[i]] = 1.0;
  return *t.Cast(dtype);
}

TEST(MlpGradTest, EveryParameterMatchesNumericGradients) {
  for (const char* backend : {"cpu", "reference"}) {
    Scope root = Scope::NewRootScope();
    Mlp m = BuildMlp(root, DT_DOUBLE, 5, 6, 3, false);
    GradientCheckOptions options;
    options.session = testing::Backend(backend);
    options.extra_feeds = {{"x", Random(DT_DOUBLE, {4, 5}, -1, 1, 1)},
                           {"labels", OneHotRows({0, 2, 1, 2}, 3, DT_DOUBLE)}};
    EXPECT_TRUE(GradientsMatch(root, {m.w1, m.b1, m.w2, m.b2},
                               {Random(DT_DOUBLE, {5, 6}, -1, 1, 2), Random(DT_DOUBLE, {6}, -0.5, 0.5, 3),
                                Random(DT_DOUBLE, {6, 3}, -1, 1, 4), Random(DT_DOUBLE, {3}, -0.5, 0.5, 5)},
                               {m.loss}, 1e-7, options))
        << backend;
  }
}

TEST(MlpGradTest, SparseLabelsInFloat32) {
  Scope root = Scope::NewRootScope();
  Mlp m = BuildMlp(root, DT_FLOAT, 5, 6, 3, true);
  GradientCheckOptions options;
  options.extra_feeds = {{"x", Random(DT_FLOAT, {4, 5}, -1, 1, 1)},
                         {"labels", Tensor::FromVector<int32_t>(std::vector<int32_t>{0, 2, 1, 2})}};
  EXPECT_TRUE(GradientsMatch(root, {m.w1, m.b1, m.w2, m.b2},
                             {Random(DT_FLOAT, {5, 6}, -1, 1, 2), Random(DT_FLOAT, {6}, -0.5, 0.5, 3),
                              Random(DT_FLOAT, {6, 3}, -1, 1, 4), Random(DT_FLOAT, {3}, -0.5, 0.5, 5)},
                             {m.loss}, 2e-3, options));
}

// Full-batch gradient descent on a separable toy problem: the loss must fall steadily.
TEST(MlpGradTest, GradientDescentLowersTheLoss) {
  Scope root = Scope::NewRootScope();
  Mlp m = BuildMlp(root, DT_FLOAT, 2, 8, 2, true);
  std::vector<Output> grads;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {m.loss}, {m.w1, m.b1, m.w2, m.b2}, &grads));
  std::vector<Output> fetches = {m.loss};
  fetches.insert(fetches.end(), grads.begin(), grads.end());
  absl::StatusOr<std::unique_ptr<Session>> session = Session::Create(*root.graph());
  GRAD_ASSERT_OK(session.status());

  // Class 1 when x0 + x1 > 0.
  Tensor x = Random(DT_FLOAT, {32, 2}, -1, 1, 7);
  std::vector<int32_t> labels;
  for (int i = 0; i < 32; ++i) labels.push_back(x.flat<float>()[2 * i] + x.flat<float>()[2 * i + 1] > 0 ? 1 : 0);
  std::vector<Tensor> params = {Random(DT_FLOAT, {2, 8}, -0.5, 0.5, 8), Tensor(DT_FLOAT, Shape{8}),
                                Random(DT_FLOAT, {8, 2}, -0.5, 0.5, 9), Tensor(DT_FLOAT, Shape{2})};
  const std::vector<Output> param_inputs = {m.w1, m.b1, m.w2, m.b2};
  std::vector<float> losses;
  for (int step = 0; step < 200; ++step) {
    std::vector<FeedItem> feeds = {{m.x, x}, {m.labels, Tensor::FromVector<int32_t>(labels)}};
    for (size_t i = 0; i < params.size(); ++i) feeds.push_back({param_inputs[i], params[i]});
    std::vector<Tensor> out;
    GRAD_ASSERT_OK((*session)->Run(feeds, fetches, &out));
    losses.push_back(out[0].scalar<float>());
    for (size_t i = 0; i < params.size(); ++i) {
      auto p = params[i].flat<float>();
      auto g = out[1 + i].flat<float>();
      for (size_t k = 0; k < p.size(); ++k) p[k] -= 0.5f * g[k];
    }
  }
  EXPECT_LT(losses.back(), 0.25f * losses.front()) << "first " << losses.front() << " last " << losses.back();
  EXPECT_EQ((*session)->stats().compiles, 1);  // one signature, compiled once
}

// Not a check: the time of one forward + backward step of the MLP (784-512-512-10,
// batch 128) on the cpu backend. Run with --gtest_also_run_disabled_tests.
TEST(MlpGradTest, DISABLED_StepTime) {
  Scope root = Scope::NewRootScope();
  auto input = [&](const char* name, const Shape& shape) {
    return Output(ops::Placeholder(root.WithOpName(name), DT_FLOAT, ops::Placeholder::Shape(shape)));
  };
  Output x = input("x", {128, 784}), labels = ops::Placeholder(root.WithOpName("labels"), DT_INT32);
  std::vector<Output> params = {input("w1", {784, 512}), input("b1", {512}),     input("w2", {512, 512}),
                                input("b2", {512}),      input("w3", {512, 10}), input("b3", {10})};
  Output h = x;
  for (int layer = 0; layer < 3; ++layer) {
    h = ops::BiasAdd(root, ops::MatMul(root, h, params[2 * layer]), params[2 * layer + 1]);
    if (layer < 2) h = ops::Relu(root, h);
  }
  Output loss = ops::Mean(root, ops::SparseSoftmaxCrossEntropyWithLogits(root, h, labels).loss, ops::Const(root, {0}));
  std::vector<Output> grads;
  const int forward_nodes = root.graph()->num_nodes();
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {loss}, params, &grads));
  std::map<std::string, int> added;
  for (int i = forward_nodes; i < root.graph()->num_nodes(); ++i) ++added[root.graph()->nodes()[i]->op()];
  std::printf("%d forward nodes; gradient nodes:", forward_nodes);
  for (const auto& [op, n] : added) std::printf(" %s x%d", op.c_str(), n);
  std::printf("\n");
  absl::StatusOr<std::unique_ptr<Session>> session = Session::Create(*root.graph());
  GRAD_ASSERT_OK(session.status());
  std::vector<FeedItem> feeds = {{x, Random(DT_FLOAT, {128, 784}, 0, 1, 1)},
                                 {labels, Tensor::FromVector<int32_t>(std::vector<int32_t>(128, 3))}};
  for (size_t i = 0; i < params.size(); ++i) {
    feeds.push_back({params[i], Random(DT_FLOAT, params[i].shape(), -0.05, 0.05, 2 + i)});
  }
  std::vector<Output> fetches = {loss};
  fetches.insert(fetches.end(), grads.begin(), grads.end());
  std::vector<Tensor> out;
  GRAD_ASSERT_OK((*session)->Run(feeds, fetches, &out));  // compiles
  const auto start = std::chrono::steady_clock::now();
  const int steps = 20;
  for (int i = 0; i < steps; ++i) GRAD_ASSERT_OK((*session)->Run(feeds, fetches, &out));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("MLP 784-512-512-10 batch 128: compile %.0f ms, forward + backward %.2f ms/step (%d threads)\n",
              (*session)->stats().last_compile_ms, ms / steps, (*session)->num_threads());
}

}  // namespace
}  // namespace strata
