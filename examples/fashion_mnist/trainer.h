// What the three Fashion-MNIST training examples share: flags, data, the training loop (a
// shuffled epoch of Session::Run training steps), test accuracy, and export of the trained model
// as a frozen inference GraphDef (for `strata run`, `strata compile`, serving).
//
// Each example builds its graph with the builder API and frontends/cc/training.h: a Placeholder
// "images" (float32, [-1, 784] or [-1, 28, 28, 1], values in [0, 1]) and "labels" (int32 [-1]),
// a "logits" tensor, a "loss" (mean sparse softmax cross-entropy) and a train op.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "frontends/cc/ops.h"
#include "frontends/cc/scope.h"
#include "frontends/cc/training.h"

namespace strata::examples {

struct TrainFlags {
  int epochs = 0;             // 0: the example's default
  int64_t steps = 0;          // > 0: stop after this many steps (the softmax example's 1000)
  int batch = 0;              // 0: the example's default
  int threads = 0;            // Session threads; 0 = all cores
  int64_t train_limit = 0;    // > 0: train on the first N examples only (quick runs, tests)
  std::string data;           // Fashion-MNIST directory; "" = Debian's
  std::string export_frozen;  // write the trained inference graph here (.pb)
  uint64_t seed = 1;          // shuffling
};

// Parses --epochs N --steps N --batch N --threads N --train_limit N --data DIR
// --export_frozen PATH --seed N (also --flag=value). Unknown flags are errors naming the flag.
absl::StatusOr<TrainFlags> ParseTrainFlags(int argc, char** argv);

struct ModelGraph {
  Scope root = Scope::NewRootScope();
  Output images, labels, logits, loss;
  Operation train_op;
  std::vector<int64_t> image_shape;  // {-1, 784} or {-1, 28, 28, 1}
};

// Glorot-uniform initial value (Keras's default): U(-l, l), l = sqrt(6 / (fan_in + fan_out)).
Output GlorotUniform(const Scope& scope, const std::vector<int64_t>& shape, int64_t fan_in, int64_t fan_out,
                     int64_t seed);

// Trains `model` (epochs of shuffled batches, or `steps` steps), prints one line per epoch
// (loss, seconds, examples/s) and the final test accuracy, exports if asked; the returned value
// is the test accuracy. Prints `test_accuracy=<value>` as its last line.
absl::StatusOr<double> TrainAndEvaluate(ModelGraph& model, const std::string& name, TrainFlags flags,
                                        int default_epochs, int default_batch);

// main() of an example: runs `build` then TrainAndEvaluate; prints errors, returns the exit code.
int RunExample(int argc, char** argv, const std::string& name, int default_epochs, int default_batch,
               absl::Status (*build)(ModelGraph&));

}  // namespace strata::examples
