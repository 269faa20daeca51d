// TensorFlow's first tutorial on Fashion-MNIST: softmax regression (784 -> 10, weights and biases
// from zeros), plain SGD with learning rate 0.5, batches of 100, 1000 steps.
//
//   fashion_mnist_softmax [--steps 1000] [--epochs N] [--data DIR] [--threads N] [--export_frozen F.pb]
#include "examples/fashion_mnist/trainer.h"
#include "frontends/cc/const_op.h"

using namespace strata;  // NOLINT: an example program

namespace {

absl::Status Build(examples::ModelGraph& m) {
  Scope& root = m.root;
  m.image_shape = {-1, 784};
  m.images = ops::Placeholder(root.WithOpName("images"), DT_FLOAT, ops::Placeholder::Shape({-1, 784}));
  m.labels = ops::Placeholder(root.WithOpName("labels"), DT_INT32, ops::Placeholder::Shape({-1}));
  train::Variable w = train::MakeVariable(root.WithOpName("softmax/weights"), *Tensor::Create(DT_FLOAT, Shape{784, 10}));
  train::Variable b = train::MakeVariable(root.WithOpName("softmax/biases"), *Tensor::Create(DT_FLOAT, Shape{10}));
  m.logits = ops::Add(root.WithOpName("logits"), ops::MatMul(root, m.images, w.value), b.value);
  m.loss = ops::Mean(root.WithOpName("loss"), ops::SparseSoftmaxCrossEntropyWithLogits(root, m.logits, m.labels).loss, {0});
  train::GradientDescentOptimizer sgd(0.5f);
  absl::StatusOr<Operation> step = sgd.Minimize(root, m.loss);
  if (!step.ok()) return step.status();
  m.train_op = *step;
  return root.status();
}

}  // namespace

int main(int argc, char** argv) {
  // 1000 steps unless --epochs or --steps says otherwise.
  bool has_length = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    has_length = has_length || a.rfind("--epochs", 0) == 0 || a.rfind("--steps", 0) == 0;
  }
  std::vector<char*> args(argv, argv + argc);
  std::string steps_flag = "--steps=1000";
  if (!has_length) args.push_back(steps_flag.data());
  return examples::RunExample(static_cast<int>(args.size()), args.data(), "fashion_mnist_softmax", 1, 100, Build);
}
