// The training loop of the Fashion-MNIST examples (see trainer.h).
#include "examples/fashion_mnist/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "frontends/cc/const_op.h"
#include "frontends/datasets/datasets.h"
#include "graph/graph_def_io.h"
#include "runtime/session.h"

namespace strata::examples {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

absl::Status Check(const absl::Status& s, const std::string& what) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
}

}  // namespace

absl::StatusOr<TrainFlags> ParseTrainFlags(int argc, char** argv) {
  TrainFlags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("flag ", arg, " needs a value"));
    }
    auto number = [&](auto* out) -> absl::Status {
      int64_t v = 0;
      if (!absl::SimpleAtoi(value, &v) || v < 0) {
        return absl::InvalidArgumentError(absl::StrCat("flag ", arg, ": '", value, "' is not a non-negative integer"));
      }
      *out = static_cast<std::remove_pointer_t<decltype(out)>>(v);
      return absl::OkStatus();
    };
    absl::Status s;
    if (arg == "--epochs") {
      s = number(&f.epochs);
    } else if (arg == "--steps") {
      s = number(&f.steps);
    } else if (arg == "--batch") {
      s = number(&f.batch);
    } else if (arg == "--threads") {
      s = number(&f.threads);
    } else if (arg == "--train_limit") {
      s = number(&f.train_limit);
    } else if (arg == "--seed") {
      s = number(&f.seed);
    } else if (arg == "--data") {
      f.data = value;
    } else if (arg == "--export_frozen") {
      f.export_frozen = value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown flag '", arg,
          "' (known: --epochs --steps --batch --threads --train_limit --data --export_frozen --seed)"));
    }
    if (!s.ok()) return s;
  }
  return f;
}

Output GlorotUniform(const Scope& scope, const std::vector<int64_t>& shape, int64_t fan_in, int64_t fan_out,
                     int64_t seed) {
  const float limit = std::sqrt(6.0f / static_cast<float>(fan_in + fan_out));
  Output u = ops::RandomUniform(scope, Tensor::FromVector<int64_t>(shape, Shape{static_cast<int64_t>(shape.size())}),
                                DT_FLOAT, ops::RandomUniform::Seed(seed).Seed2(seed));
  return ops::Sub(scope, ops::Mul(scope, u, 2 * limit), limit);
}

absl::StatusOr<double> TrainAndEvaluate(ModelGraph& model, const std::string& name, TrainFlags flags,
                                        int default_epochs, int default_batch) {
  const int batch = flags.batch > 0 ? flags.batch : default_batch;
  const int epochs = flags.epochs > 0 ? flags.epochs : default_epochs;

  // Evaluation and export outputs, on the same variables.
  Scope& root = model.root;
  Output predicted = ops::ArgMax(root, model.logits, 1, ops::ArgMax::OutputType(DT_INT32));
  ops::Sum(root.WithOpName("correct"),
           ops::Cast(root, ops::Equal(root, predicted, model.labels), DT_INT32), {0});
  ops::Softmax(root.WithOpName("probs"), model.logits);
  Operation init = train::GlobalVariablesInitializer(root);
  if (!root.ok()) return root.status();

  absl::StatusOr<datasets::FashionMnist> data = datasets::LoadFashionMnist(flags.data);
  if (!data.ok()) return data.status();
  absl::StatusOr<Tensor> train_x = datasets::ImagesToFloat(data->train.images, model.image_shape);
  absl::StatusOr<Tensor> train_y = datasets::LabelsToInt32(data->train.labels);
  absl::StatusOr<Tensor> test_x = datasets::ImagesToFloat(data->test.images, model.image_shape);
  absl::StatusOr<Tensor> test_y = datasets::LabelsToInt32(data->test.labels);
  for (const absl::Status& s : {train_x.status(), train_y.status(), test_x.status(), test_y.status()}) {
    if (!s.ok()) return s;
  }
  int64_t n_train = train_x->shape().dim(0);
  if (flags.train_limit > 0) n_train = std::min(n_train, flags.train_limit);

  SessionOptions options;
  options.num_threads = flags.threads;
  absl::StatusOr<std::unique_ptr<Session>> session = Session::Create(*root.graph(), options);
  if (!session.ok()) return session.status();
  std::vector<Tensor> out;
  if (absl::Status s = (*session)->Run({}, {}, {init.name()}, &out); !s.ok()) return Check(s, "initializing");

  std::printf("%s: %lld training examples, batch %d, %d threads\n", name.c_str(), static_cast<long long>(n_train), batch,
              (*session)->num_threads());
  std::mt19937_64 rng(flags.seed);
  std::vector<int64_t> order(static_cast<size_t>(n_train));
  std::iota(order.begin(), order.end(), 0);
  const int64_t steps_per_epoch = n_train / batch;  // the last partial batch is dropped, as in Keras' drop_remainder
  const int64_t total_steps = flags.steps > 0 ? flags.steps : steps_per_epoch * epochs;
  int64_t step = 0;
  double first_step_seconds = 0;
  for (int epoch = 1; step < total_steps; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    const auto start = std::chrono::steady_clock::now();
    double loss_sum = 0;
    int64_t epoch_steps = 0;
    for (int64_t b = 0; b < steps_per_epoch && step < total_steps; ++b, ++step, ++epoch_steps) {
      const std::vector<int64_t> rows(order.begin() + b * batch, order.begin() + (b + 1) * batch);
      absl::StatusOr<Tensor> xb = datasets::GatherRows(*train_x, rows);
      absl::StatusOr<Tensor> yb = datasets::GatherRows(*train_y, rows);
      if (!xb.ok()) return xb.status();
      if (!yb.ok()) return yb.status();
      absl::Status s = (*session)->Run({{model.images.name(), *xb}, {model.labels.name(), *yb}}, {model.loss.name()},
                                       {model.train_op.name()}, &out);
      if (!s.ok()) return Check(s, absl::StrCat("training step ", step));
      loss_sum += out[0].scalar<float>();
      if (step == 0) {  // the first step compiles the training graph: report it apart
        first_step_seconds = Seconds(start);
        std::printf("first step (compiles the training step): %.2f s\n", first_step_seconds);
      }
    }
    const double seconds = Seconds(start);
    std::printf("epoch %d: %lld steps, mean loss %.4f, %.2f s (%.2f s without compiling), %.0f examples/s\n", epoch,
                static_cast<long long>(epoch_steps), loss_sum / static_cast<double>(std::max<int64_t>(epoch_steps, 1)),
                seconds, seconds - first_step_seconds, static_cast<double>(epoch_steps * batch) / seconds);
    first_step_seconds = 0;
    std::fflush(stdout);
  }

  // Test accuracy over the 10000 test images, in batches of 1000.
  int64_t right = 0;
  const int64_t n_test = test_x->shape().dim(0);
  for (int64_t begin = 0; begin < n_test; begin += 1000) {
    const int64_t end = std::min(n_test, begin + 1000);
    absl::StatusOr<Tensor> xb = datasets::SliceRows(*test_x, begin, end);
    absl::StatusOr<Tensor> yb = datasets::SliceRows(*test_y, begin, end);
    if (!xb.ok()) return xb.status();
    if (!yb.ok()) return yb.status();
    absl::Status s = (*session)->Run({{model.images.name(), *xb}, {model.labels.name(), *yb}}, {"correct"}, {}, &out);
    if (!s.ok()) return Check(s, "evaluating");
    right += out[0].scalar<int32_t>();
  }
  const double accuracy = static_cast<double>(right) / static_cast<double>(n_test);

  if (!flags.export_frozen.empty()) {
    absl::StatusOr<tf::GraphDef> frozen = (*session)->Freeze({"probs"});
    if (!frozen.ok()) return Check(frozen.status(), "freezing");
    if (absl::Status s = WriteGraphDefFile(*frozen, flags.export_frozen); !s.ok()) return s;
    std::printf("wrote the frozen inference graph (feed %s, fetch probs) to %s\n", model.images.name().c_str(),
                flags.export_frozen.c_str());
  }
  std::printf("test_accuracy=%.4f\n", accuracy);
  return accuracy;
}

int RunExample(int argc, char** argv, const std::string& name, int default_epochs, int default_batch,
               absl::Status (*build)(ModelGraph&)) {
  absl::StatusOr<TrainFlags> flags = ParseTrainFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), std::string(flags.status().message()).c_str());
    return 2;
  }
  ModelGraph model;
  if (absl::Status s = build(model); !s.ok()) {
    std::fprintf(stderr, "%s: building the model: %s\n", name.c_str(), std::string(s.message()).c_str());
    return 1;
  }
  absl::StatusOr<double> accuracy = TrainAndEvaluate(model, name, *flags, default_epochs, default_batch);
  if (!accuracy.ok()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), std::string(accuracy.status().message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace strata::examples
