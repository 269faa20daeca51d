// The classic Keras MNIST examples, in C++ with strata's Keras-style API, on Fashion-MNIST:
//
//   keras_fashion_mnist --model cnn --epochs 5     # Conv2D 32-64-64 + Dense 64, Adam, batch 64
//   keras_fashion_mnist --model mlp --epochs 5     # Dense 512-512 with Dropout 0.2, RMSprop, batch 128
//
// Flags: --data DIR (default: Debian's /usr/share/datasets/fashion-mnist), --train-limit N (use
// the first N training images: quick runs), --validation-split F, --export PATH (write the frozen
// inference GraphDef for `strata run` / `strata compile`), --save DIR (the model directory),
// --seed S, --threads N (0: every hardware thread). Prints the summary, per-epoch progress and, as its last line, test_accuracy=<value>.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "frontends/datasets/datasets.h"
#include "frontends/keras/keras.h"

namespace keras = strata::keras;
namespace datasets = strata::datasets;
using strata::SessionOptions;
using strata::Tensor;

namespace {

struct Flags {
  std::string model = "cnn";
  int epochs = 5;
  std::string data;
  int64_t train_limit = 0;
  double validation_split = 0.0;
  std::string export_path;
  std::string save_dir;
  int64_t seed = 0;
  int threads = 0;  // 0: every hardware thread
};

int Usage(const char* error) {
  std::fprintf(stderr,
               "error: %s\nusage: keras_fashion_mnist [--model cnn|mlp] [--epochs N] [--data DIR] [--train-limit N]\n"
               "                           [--validation-split F] [--export FROZEN.pb] [--save DIR] [--seed S]\n"
               "                           [--threads N]\n",
               error);
  return 2;
}

bool ParseFlags(int argc, char** argv, Flags* f, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) {
      *error = "flag " + flag + " needs a value";
      return false;
    }
    std::string value = argv[++i];
    bool ok = true;
    if (flag == "--model") {
      f->model = value;
      ok = value == "cnn" || value == "mlp";
    } else if (flag == "--epochs") {
      ok = absl::SimpleAtoi(value, &f->epochs) && f->epochs >= 0;
    } else if (flag == "--data") {
      f->data = value;
    } else if (flag == "--train-limit") {
      ok = absl::SimpleAtoi(value, &f->train_limit) && f->train_limit >= 0;
    } else if (flag == "--validation-split") {
      ok = absl::SimpleAtod(value, &f->validation_split);
    } else if (flag == "--export") {
      f->export_path = value;
    } else if (flag == "--save") {
      f->save_dir = value;
    } else if (flag == "--seed") {
      ok = absl::SimpleAtoi(value, &f->seed);
    } else if (flag == "--threads") {
      ok = absl::SimpleAtoi(value, &f->threads) && f->threads >= 0;
    } else {
      *error = "unknown flag " + flag;
      return false;
    }
    if (!ok) {
      *error = "bad value '" + value + "' for " + flag;
      return false;
    }
  }
  return true;
}

// The Keras MNIST CNN: Conv2D 32 -> MaxPool -> Conv2D 64 -> MaxPool -> Conv2D 64 -> Flatten ->
// Dense 64 -> Dense 10 softmax.
std::unique_ptr<keras::Sequential> Cnn() {
  using namespace keras::layers;
  return std::make_unique<keras::Sequential>(std::vector<keras::LayerPtr>{
      InputLayer({28, 28, 1}), Conv2D(32, {3, 3}, {.activation = "relu"}), MaxPooling2D({2, 2}),
      Conv2D(64, {3, 3}, {.activation = "relu"}), MaxPooling2D({2, 2}), Conv2D(64, {3, 3}, {.activation = "relu"}),
      Flatten(), Dense(64, {.activation = "relu"}), Dense(10, {.activation = "softmax"})});
}

// The Keras MNIST MLP: Dense 512 -> Dropout 0.2 -> Dense 512 -> Dropout 0.2 -> Dense 10 softmax.
std::unique_ptr<keras::Sequential> Mlp() {
  using namespace keras::layers;
  return std::make_unique<keras::Sequential>(std::vector<keras::LayerPtr>{
      InputLayer({784}), Dense(512, {.activation = "relu"}), Dropout(0.2f), Dense(512, {.activation = "relu"}),
      Dropout(0.2f), Dense(10, {.activation = "softmax"})});
}

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  std::string error;
  if (!ParseFlags(argc, argv, &flags, &error)) return Usage(error.c_str());
  if (flags.seed != 0) keras::SetRandomSeed(flags.seed);

  absl::StatusOr<datasets::FashionMnist> data = datasets::LoadFashionMnist(flags.data);
  if (!data.ok()) return Fail(data.status());
  const bool cnn = flags.model == "cnn";
  const std::vector<int64_t> image_shape = cnn ? std::vector<int64_t>{-1, 28, 28, 1} : std::vector<int64_t>{-1, 784};
  absl::StatusOr<Tensor> x_train = datasets::ImagesToFloat(data->train.images, image_shape);
  absl::StatusOr<Tensor> x_test = datasets::ImagesToFloat(data->test.images, image_shape);
  absl::StatusOr<Tensor> y_train = datasets::LabelsToInt32(data->train.labels);
  absl::StatusOr<Tensor> y_test = datasets::LabelsToInt32(data->test.labels);
  for (const absl::Status& s : {x_train.status(), x_test.status(), y_train.status(), y_test.status()}) {
    if (!s.ok()) return Fail(s);
  }
  if (flags.train_limit > 0 && flags.train_limit < x_train->dim(0)) {
    x_train = datasets::SliceRows(*x_train, 0, flags.train_limit);
    y_train = datasets::SliceRows(*y_train, 0, flags.train_limit);
    if (!x_train.ok() || !y_train.ok()) return Fail(x_train.ok() ? y_train.status() : x_train.status());
  }
  std::printf("Fashion-MNIST: %lld training and %lld test images\n", static_cast<long long>(x_train->dim(0)),
              static_cast<long long>(x_test->dim(0)));

  std::unique_ptr<keras::Sequential> model = cnn ? Cnn() : Mlp();
  model->PrintSummary();
  SessionOptions session_options;
  session_options.num_threads = flags.threads;
  model->SetSessionOptions(session_options);
  absl::Status s = cnn ? model->Compile(keras::optimizers::Adam(1e-3f), "sparse_categorical_crossentropy", {"accuracy"})
                       : model->Compile(keras::optimizers::RMSprop(1e-3f), "sparse_categorical_crossentropy", {"accuracy"});
  if (!s.ok()) return Fail(s);

  keras::FitOptions fit;
  fit.epochs = flags.epochs;
  fit.batch_size = cnn ? 64 : 128;
  fit.validation_split = flags.validation_split;
  fit.seed = static_cast<uint64_t>(flags.seed);
  absl::StatusOr<keras::History> history = model->Fit(*x_train, *y_train, fit);
  if (!history.ok()) return Fail(history.status());

  if (!flags.save_dir.empty()) {
    if (absl::Status st = model->Save(flags.save_dir); !st.ok()) return Fail(st);
    std::printf("saved the model to %s\n", flags.save_dir.c_str());
  }
  if (!flags.export_path.empty()) {
    if (absl::Status st = model->ExportFrozen(flags.export_path); !st.ok()) return Fail(st);
    absl::StatusOr<keras::ModelSignature> sig = model->Signature();
    std::printf("exported the frozen inference graph to %s (input '%s', output 'output_0')\n",
                flags.export_path.c_str(), sig->input_names[0].c_str());
  }
  absl::StatusOr<keras::Logs> test = model->Evaluate(*x_test, *y_test, {.batch_size = 500});
  if (!test.ok()) return Fail(test.status());
  std::printf("test_loss=%.4f\n", (*test)["loss"]);
  std::printf("test_accuracy=%.4f\n", (*test)["accuracy"]);
  return 0;
}
