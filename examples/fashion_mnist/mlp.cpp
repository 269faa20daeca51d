// A multilayer perceptron on Fashion-MNIST: 784 -> 512 -> 512 -> 10 with ReLU, Glorot-uniform
// weights, Adam (learning rate 1e-3), batches of 128, 5 epochs.
//
//   fashion_mnist_mlp [--epochs 5] [--data DIR] [--threads N] [--export_frozen F.pb]
#include "examples/fashion_mnist/trainer.h"
#include "frontends/cc/const_op.h"

using namespace strata;  // NOLINT: an example program

namespace {

Output Dense(const Scope& root, const std::string& name, Output x, int64_t in, int64_t out, int64_t seed, bool relu) {
  Scope s = root.NewSubScope(name);
  train::Variable w = train::MakeVariable(s.WithOpName("kernel"), examples::GlorotUniform(s, {in, out}, in, out, seed));
  train::Variable b = train::MakeVariable(s.WithOpName("bias"), *Tensor::Create(DT_FLOAT, Shape{out}));
  Output y = ops::BiasAdd(s, ops::MatMul(s, x, w.value), b.value);
  return relu ? Output(ops::Relu(s, y)) : y;
}

absl::Status Build(examples::ModelGraph& m) {
  Scope& root = m.root;
  m.image_shape = {-1, 784};
  m.images = ops::Placeholder(root.WithOpName("images"), DT_FLOAT, ops::Placeholder::Shape({-1, 784}));
  m.labels = ops::Placeholder(root.WithOpName("labels"), DT_INT32, ops::Placeholder::Shape({-1}));
  Output h = Dense(root, "dense1", m.images, 784, 512, 1, true);
  h = Dense(root, "dense2", h, 512, 512, 2, true);
  m.logits = ops::Identity(root.WithOpName("logits"), Dense(root, "dense3", h, 512, 10, 3, false));
  m.loss = ops::Mean(root.WithOpName("loss"), ops::SparseSoftmaxCrossEntropyWithLogits(root, m.logits, m.labels).loss, {0});
  train::AdamOptimizer adam(1e-3f);
  absl::StatusOr<Operation> step = adam.Minimize(root, m.loss);
  if (!step.ok()) return step.status();
  m.train_op = *step;
  return root.status();
}

}  // namespace

int main(int argc, char** argv) { return examples::RunExample(argc, argv, "fashion_mnist_mlp", 5, 128, Build); }
