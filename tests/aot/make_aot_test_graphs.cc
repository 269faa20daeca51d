// Writes the graphs tests/aot compiles ahead of time (at build time, see CMakeLists.txt):
//   mlp.pb    x: float32[?,100] -> Dense(64, relu) -> Dense(33, relu) -> Dense(10) -> "probs"
//   cnn.pb    x: float32[?,24,24,1] -> Conv 3x3x8 VALID + relu -> MaxPool 2 ("features")
//             -> Conv 3x3x16 SAME + relu -> flatten -> Dense(10) -> "probs"
//   deep_mlp.pb  x: float32[?,256] -> 6 x Dense(256, relu) -> Dense(10) -> "probs"
//   deep_cnn.pb  x: float32[?,16,16,4] -> 5 x (Conv 3x3x8 SAME + relu) -> flatten -> Dense(10)
//                -> "probs" (deep chains: the arena packing's test cases)
//   multi.pb  several feeds (float32, int32, bool) and fetches: broadcast add, select, gather,
//             an int32 reduction, bool logic, a multi-output node, a constant, a fed tensor
// Weights are deterministic pseudo-random values; the tests run the same files in a Session.
//
//   make_aot_test_graphs OUT_DIR
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "frontends/cc/const_op.h"
#include "frontends/cc/ops.h"
#include "frontends/cc/scope.h"
#include "graph/graph_def_io.h"

namespace strata {
namespace {

// A fixed linear congruential sequence in [-limit, limit).
class Weights {
 public:
  explicit Weights(uint64_t seed) : state_(seed) {}
  Tensor Make(const Shape& shape, float limit) {
    std::vector<float> v(shape.num_elements());
    for (float& x : v) {
      state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
      x = limit * (static_cast<float>(state_ >> 40) / static_cast<float>(1 << 24) * 2.0f - 1.0f);
    }
    return Tensor::FromVector<float>(v, shape);
  }

 private:
  uint64_t state_;
};

Output Dense(const Scope& s, Weights& w, Output x, int64_t in, int64_t out, bool relu) {
  const float limit = std::sqrt(6.0f / static_cast<float>(in + out));
  auto kernel = ops::Const(s.WithOpName("kernel"), w.Make(Shape{in, out}, limit));
  auto bias = ops::Const(s.WithOpName("bias"), w.Make(Shape{out}, 0.1f));
  Output y = ops::BiasAdd(s.WithOpName("bias_add"), ops::MatMul(s.WithOpName("matmul"), x, kernel), bias);
  return relu ? Output(ops::Relu(s.WithOpName("relu"), y)) : y;
}

Output ConvRelu(const Scope& s, Weights& w, Output x, int64_t in, int64_t out, const char* padding) {
  const float limit = std::sqrt(6.0f / static_cast<float>(9 * (in + out)));
  auto filter = ops::Const(s.WithOpName("filter"), w.Make(Shape{3, 3, in, out}, limit));
  auto conv = ops::Conv2D(s.WithOpName("conv"), x, filter, {1, 1, 1, 1}, padding);
  return ops::Relu(s.WithOpName("relu"),
                   ops::BiasAdd(s.WithOpName("bias_add"), conv, ops::Const(s.WithOpName("bias"), w.Make(Shape{out}, 0.1f))));
}

absl::Status BuildMlp(tf::GraphDef* def) {
  Scope root = Scope::NewRootScope();
  Weights w(1);
  auto x = ops::Placeholder(root.WithOpName("x"), DT_FLOAT, ops::Placeholder::Shape(Shape{-1, 100}));
  Output h = Dense(root.NewSubScope("dense1"), w, x, 100, 64, true);
  h = Dense(root.NewSubScope("dense2"), w, h, 64, 33, true);
  h = Dense(root.NewSubScope("dense3"), w, h, 33, 10, false);
  ops::Softmax(root.WithOpName("probs"), h);
  if (!root.ok()) return root.status();
  return root.ToGraphDef(def);
}

absl::Status BuildCnn(tf::GraphDef* def) {
  Scope root = Scope::NewRootScope();
  Weights w(2);
  auto x = ops::Placeholder(root.WithOpName("x"), DT_FLOAT, ops::Placeholder::Shape(Shape{-1, 24, 24, 1}));
  Output h = ConvRelu(root.NewSubScope("conv1"), w, x, 1, 8, "VALID");  // 22x22x8
  h = ops::MaxPool(root.WithOpName("features"), h, {1, 2, 2, 1}, {1, 2, 2, 1}, "VALID");  // 11x11x8
  h = ConvRelu(root.NewSubScope("conv2"), w, h, 8, 16, "SAME");  // 11x11x16
  h = ops::Reshape(root.WithOpName("flatten"), h, {-1, 1936});
  h = Dense(root.NewSubScope("dense"), w, h, 1936, 10, false);
  ops::Softmax(root.WithOpName("probs"), h);
  if (!root.ok()) return root.status();
  return root.ToGraphDef(def);
}

absl::Status BuildDeepMlp(tf::GraphDef* def) {
  Scope root = Scope::NewRootScope();
  Weights w(3);
  Output h = ops::Placeholder(root.WithOpName("x"), DT_FLOAT, ops::Placeholder::Shape(Shape{-1, 256}));
  for (int layer = 1; layer <= 6; ++layer) h = Dense(root.NewSubScope("dense" + std::to_string(layer)), w, h, 256, 256, true);
  h = Dense(root.NewSubScope("logits"), w, h, 256, 10, false);
  ops::Softmax(root.WithOpName("probs"), h);
  if (!root.ok()) return root.status();
  return root.ToGraphDef(def);
}

absl::Status BuildDeepCnn(tf::GraphDef* def) {
  Scope root = Scope::NewRootScope();
  Weights w(4);
  Output h = ops::Placeholder(root.WithOpName("x"), DT_FLOAT, ops::Placeholder::Shape(Shape{-1, 16, 16, 4}));
  int64_t channels = 4;
  for (int layer = 1; layer <= 5; ++layer) {
    h = ConvRelu(root.NewSubScope("conv" + std::to_string(layer)), w, h, channels, 8, "SAME");
    channels = 8;
  }
  h = ops::Reshape(root.WithOpName("flatten"), h, {-1, 16 * 16 * 8});
  h = Dense(root.NewSubScope("dense"), w, h, 16 * 16 * 8, 10, false);
  ops::Softmax(root.WithOpName("probs"), h);
  if (!root.ok()) return root.status();
  return root.ToGraphDef(def);
}

absl::Status BuildMulti(tf::GraphDef* def) {
  Scope root = Scope::NewRootScope();
  auto a = ops::Placeholder(root.WithOpName("a"), DT_FLOAT, ops::Placeholder::Shape(Shape{-1, 3}));
  auto b = ops::Placeholder(root.WithOpName("b"), DT_FLOAT, ops::Placeholder::Shape(Shape{3}));
  auto idx = ops::Placeholder(root.WithOpName("idx"), DT_INT32, ops::Placeholder::Shape(Shape{-1}));
  auto mask = ops::Placeholder(root.WithOpName("mask"), DT_BOOL, ops::Placeholder::Shape(Shape{2, 3}));
  ops::Placeholder(root.WithOpName("unused"), DT_FLOAT, ops::Placeholder::Shape(Shape{2}));
  auto table = ops::Const(root.WithOpName("table"), {{0.5f, 1.5f}, {2.5f, 3.5f}, {4.5f, 5.5f}, {6.5f, 7.5f}, {8.5f, 9.5f}});
  ops::AddV2(root.WithOpName("sum"), a, b);
  ops::SelectV2(root.WithOpName("masked"), mask, a, ops::Const(root.WithOpName("zero"), 0.0f));
  ops::GatherV2(root.WithOpName("gathered"), table, idx, ops::Const(root.WithOpName("axis"), 0));
  ops::Sum(root.WithOpName("count"), ops::Cast(root.WithOpName("mask_int"), mask, DT_INT32),
           ops::Const(root.WithOpName("all_axes"), {0, 1}));
  ops::LogicalAnd(root.WithOpName("both"), mask, ops::Greater(root.WithOpName("greater"), a, b));
  ops::AddV2(root.WithOpName("shifted"), idx, ops::Const(root.WithOpName("seven"), 7));
  ops::Unpack(root.WithOpName("rows"), a, 2);
  ops::Const(root.WithOpName("c"), {1, 2, 3});
  if (!root.ok()) return root.status();
  return root.ToGraphDef(def);
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_aot_test_graphs OUT_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::pair<const char*, absl::Status (*)(strata::tf::GraphDef*)> graphs[] = {
      {"mlp.pb", strata::BuildMlp},           {"cnn.pb", strata::BuildCnn},
      {"deep_mlp.pb", strata::BuildDeepMlp}, {"deep_cnn.pb", strata::BuildDeepCnn},
      {"multi.pb", strata::BuildMulti}};
  for (const auto& [file, build] : graphs) {
    strata::tf::GraphDef def;
    absl::Status s = build(&def);
    if (s.ok()) s = strata::WriteGraphDefFile(def, dir + "/" + file);
    if (!s.ok()) {
      std::fprintf(stderr, "make_aot_test_graphs: %s: %s\n", file, std::string(s.message()).c_str());
      return 1;
    }
  }
  return 0;
}
