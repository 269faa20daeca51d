// The classic Keras MNIST CNN on Fashion-MNIST: Conv2D 32 3x3 ReLU -> MaxPool 2 -> Conv2D 64 3x3
// ReLU -> MaxPool 2 -> Conv2D 64 3x3 ReLU -> Flatten -> Dense 64 ReLU -> Dense 10, Glorot-uniform
// weights, Adam (learning rate 1e-3), batches of 64, 5 epochs.
//
//   fashion_mnist_cnn [--epochs 5] [--data DIR] [--threads N] [--export_frozen F.pb]
#include "examples/fashion_mnist/trainer.h"
#include "frontends/cc/const_op.h"

using namespace strata;  // NOLINT: an example program

namespace {

Output Bias(const Scope& s, Output y, int64_t n) {
  train::Variable b = train::MakeVariable(s.WithOpName("bias"), *Tensor::Create(DT_FLOAT, Shape{n}));
  return ops::BiasAdd(s, y, b.value);
}

Output Conv(const Scope& root, const std::string& name, Output x, int64_t in, int64_t out, int64_t seed) {
  Scope s = root.NewSubScope(name);
  train::Variable k = train::MakeVariable(s.WithOpName("kernel"), examples::GlorotUniform(s, {3, 3, in, out}, 9 * in, 9 * out, seed));
  return ops::Relu(s, Bias(s, ops::Conv2D(s, x, k.value, {1, 1, 1, 1}, "VALID"), out));
}

Output Dense(const Scope& root, const std::string& name, Output x, int64_t in, int64_t out, int64_t seed, bool relu) {
  Scope s = root.NewSubScope(name);
  train::Variable w = train::MakeVariable(s.WithOpName("kernel"), examples::GlorotUniform(s, {in, out}, in, out, seed));
  Output y = Bias(s, ops::MatMul(s, x, w.value), out);
  return relu ? Output(ops::Relu(s, y)) : y;
}

Output Pool(const Scope& root, Output x) { return ops::MaxPool(root, x, {1, 2, 2, 1}, {1, 2, 2, 1}, "VALID"); }

absl::Status Build(examples::ModelGraph& m) {
  Scope& root = m.root;
  m.image_shape = {-1, 28, 28, 1};
  m.images = ops::Placeholder(root.WithOpName("images"), DT_FLOAT, ops::Placeholder::Shape({-1, 28, 28, 1}));
  m.labels = ops::Placeholder(root.WithOpName("labels"), DT_INT32, ops::Placeholder::Shape({-1}));
  Output h = Pool(root, Conv(root, "conv1", m.images, 1, 32, 1));  // 13x13x32
  h = Pool(root, Conv(root, "conv2", h, 32, 64, 2));                // 5x5x64
  h = Conv(root, "conv3", h, 64, 64, 3);                            // 3x3x64
  h = ops::Reshape(root.WithOpName("flatten"), h, {-1, 576});
  h = Dense(root, "dense1", h, 576, 64, 4, true);
  m.logits = ops::Identity(root.WithOpName("logits"), Dense(root, "dense2", h, 64, 10, 5, false));
  m.loss = ops::Mean(root.WithOpName("loss"), ops::SparseSoftmaxCrossEntropyWithLogits(root, m.logits, m.labels).loss, {0});
  train::AdamOptimizer adam(1e-3f);
  absl::StatusOr<Operation> step = adam.Minimize(root, m.loss);
  if (!step.ok()) return step.status();
  m.train_op = *step;
  return root.status();
}

}  // namespace

int main(int argc, char** argv) { return examples::RunExample(argc, argv, "fashion_mnist_cnn", 5, 64, Build); }
