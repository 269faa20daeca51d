// Keras models: the functional Model (Input -> layer calls -> Model::Create(inputs, outputs)) and
// Sequential (a stack of layers), with compile / fit / evaluate / predict, summary, save / load
// and the export of a frozen inference GraphDef.
//
//   keras::Sequential model({keras::layers::InputLayer({784}),
//                            keras::layers::Dense(128, {.activation = "relu"}),
//                            keras::layers::Dense(10, {.activation = "softmax"})});
//   model.Compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
//   absl::StatusOr<keras::History> h = model.Fit(x, y, {.epochs = 5, .batch_size = 64});
//
// A model is ONE graph holding two forward paths that read the same variables: the training path
// (dropout on, batch statistics, moving-average updates grouped into the train op) and the
// inference path (dropout off, moving statistics). fit runs the training path's train op;
// evaluate, predict and the frozen export use the inference path. The graph runs in one Session,
// which owns the variables; compile adds the loss, metrics and optimizer nodes.
//
// Graph names: inputs are Placeholders named after their input layer ("input_1", or
// "<first layer>_input" in a Sequential); weights are "<layer>/<weight>" ("dense/kernel");
// inference outputs are Identity nodes "output_0", "output_1", ...; targets are
// "<output>_target"; the train op is "train_step".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "frontends/keras/callbacks.h"
#include "frontends/keras/layer.h"
#include "frontends/keras/logs.h"
#include "frontends/keras/losses.h"
#include "frontends/keras/optimizers.h"
#include "graph/tensor.h"
#include "proto/graph.pb.h"
#include "runtime/session.h"

namespace strata::keras {

struct FitOptions {
  int epochs = 1;
  int64_t batch_size = 32;
  // -1: a progress bar on a terminal, one line per epoch otherwise; 0 silent; 1 bar; 2 lines.
  int verbose = -1;
  // Held-out data evaluated after every epoch (val_loss, val_<metric>)...
  std::vector<Tensor> validation_x{};
  std::vector<Tensor> validation_y{};
  // ... or this fraction of the training data, taken from the end before shuffling.
  double validation_split = 0.0;
  bool shuffle = true;
  uint64_t seed = 0;  // shuffle order; 0 = random
  std::vector<std::shared_ptr<Callback>> callbacks{};
  int initial_epoch = 0;
};

struct EvaluateOptions {
  int64_t batch_size = 32;
  int verbose = 0;
};

// One row of summary(): a layer, its output shape, its parameter count and its inputs.
struct SummaryRow {
  std::string name{};
  std::string class_name{};
  std::string output_shape;  // "(None, 26, 26, 32)"
  int64_t params = 0;
  int64_t trainable_params = 0;
  std::string connected_to{};  // functional models: "conv2d[0][0], dense[0][0]"
};

// The graph names a built (or loaded) model runs.
struct ModelSignature {
  std::vector<std::string> input_names{};
  std::vector<Shape> input_shapes{};  // batch dim -1
  std::vector<DType> input_dtypes{};
  std::vector<std::string> output_names{};  // inference outputs
  std::vector<Shape> output_shapes{};
  std::vector<std::string> weight_names;  // the layers' variables (what SaveWeights writes)
  // Set by compile.
  bool compiled = false;
  std::vector<std::string> target_names{};
  std::vector<DType> target_dtypes{};
  std::string train_op{};
  std::vector<std::string> metric_names{};    // "loss" first, then the metrics
  std::vector<std::string> train_metrics{};   // tensor names, one per metric_names entry
  std::vector<std::string> eval_metrics{};    // the same on the inference path
};

class Model {
 public:
  // A functional model from its inputs to its outputs. Errors: a failed layer call among the
  // tensors, an output that does not depend only on `inputs`, two layers with one name.
  static absl::StatusOr<std::unique_ptr<Model>> Create(const std::vector<KerasTensor>& inputs,
                                                       const std::vector<KerasTensor>& outputs,
                                                       const std::string& name = "model");
  static absl::StatusOr<std::unique_ptr<Model>> Create(const KerasTensor& input, const KerasTensor& output,
                                                       const std::string& name = "model") {
    return Create(std::vector<KerasTensor>{input}, std::vector<KerasTensor>{output}, name);
  }
  virtual ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::string& name() const { return name_; }

  // Adds the loss, metrics and the optimizer's train op. Errors name an unknown optimizer,
  // loss or metric, or a loss that does not fit an output.
  absl::Status Compile(const Optimizer& optimizer, const Loss& loss, const std::vector<std::string>& metrics = {});

  // Trains on x -> y (one tensor per model input / output; examples along dim 0).
  absl::StatusOr<History> Fit(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const FitOptions& options = {});
  absl::StatusOr<History> Fit(const Tensor& x, const Tensor& y, const FitOptions& options = {}) {
    return Fit(std::vector<Tensor>{x}, std::vector<Tensor>{y}, options);
  }
  // The loss and metrics on x -> y in inference mode, averaged over the examples.
  absl::StatusOr<Logs> Evaluate(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                                const EvaluateOptions& options = {});
  absl::StatusOr<Logs> Evaluate(const Tensor& x, const Tensor& y, const EvaluateOptions& options = {}) {
    return Evaluate(std::vector<Tensor>{x}, std::vector<Tensor>{y}, options);
  }
  // The inference outputs for x, computed in batches.
  absl::StatusOr<std::vector<Tensor>> Predict(const std::vector<Tensor>& x, int64_t batch_size = 32);
  absl::StatusOr<Tensor> Predict(const Tensor& x, int64_t batch_size = 32);

  // The Keras summary table (also printed by PrintSummary).
  absl::StatusOr<std::string> Summary();
  void PrintSummary();
  absl::StatusOr<std::vector<SummaryRow>> SummaryRows();
  absl::StatusOr<int64_t> CountParams();

  // The model directory: graph.pb (the whole graph: both paths, loss, optimizer), variables.ckpt
  // (every variable: weights, moving statistics, optimizer slots) and model.meta (names). A
  // loaded model predicts, evaluates and (when saved compiled) trains on.
  absl::Status Save(const std::string& dir);
  static absl::StatusOr<std::unique_ptr<Model>> Load(const std::string& dir, const SessionOptions& options = {});
  // The layers' weights only, as a Session checkpoint.
  absl::Status SaveWeights(const std::string& path);
  absl::Status LoadWeights(const std::string& path);
  // The inference path with every variable folded into a Const: inputs are the input
  // Placeholders, outputs the "output_k" Identity nodes. Runs in `strata run` / `strata compile`.
  absl::StatusOr<tf::GraphDef> FrozenGraphDef();
  absl::Status ExportFrozen(const std::string& path);

  // The built graph's names (builds a Sequential first).
  absl::StatusOr<ModelSignature> Signature();
  // The session holding the variables (created on first use).
  absl::StatusOr<Session*> GetSession();
  // Options of the model's Session (backend, threads); a session already made is rebuilt on
  // next use, keeping the variables' values.
  void SetSessionOptions(const SessionOptions& options) {
    session_options_ = options;
    session_stale_ = true;
  }
  const std::vector<LayerPtr>& layers() const { return layers_; }

  // Set by a callback to end fit after the current epoch.
  bool stop_training = false;

  // Copies of the layers' weight values (EarlyStopping's restore_best_weights).
  absl::StatusOr<std::vector<Tensor>> GetWeights();
  absl::Status SetWeights(const std::vector<Tensor>& values);

 protected:
  explicit Model(std::string name);
  // Builds the graph from the tensors (once).
  absl::Status BuildGraph(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs);
  // Sequential builds its graph on first use.
  virtual absl::Status EnsureBuilt() { return built_ ? absl::OkStatus() : absl::FailedPreconditionError("not built"); }
  bool built_ = false;
  bool sequential_ = false;
  std::vector<LayerPtr> layers_;

 private:
  struct GraphState;
  absl::StatusOr<std::vector<Tensor>> PrepareInputs(const char* what, const std::vector<Tensor>& x) const;
  absl::StatusOr<std::vector<Tensor>> PrepareTargets(const char* what, const std::vector<Tensor>& y, int64_t n) const;
  absl::StatusOr<Logs> EvaluatePrepared(const std::vector<Tensor>& x, const std::vector<Tensor>& y, int64_t batch_size);

  std::string name_;
  std::unique_ptr<GraphState> graph_;  // null for a loaded model
  ModelSignature signature_;
  std::vector<SummaryRow> summary_;
  std::unique_ptr<Session> session_;
  SessionOptions session_options_;
  bool session_stale_ = true;
  tf::GraphDef loaded_def_;  // a loaded model's graph
};

class Sequential : public Model {
 public:
  explicit Sequential(std::vector<LayerPtr> layers = {}, const std::string& name = "");
  // Appends a layer; errors surface when the model is built.
  void Add(LayerPtr layer);
  // Builds the graph for inputs of `input_shape` (without the batch dim). Without this, the
  // model builds on first use from a leading layers::InputLayer.
  absl::Status Build(const std::vector<int64_t>& input_shape, DType dtype = DT_FLOAT);

 protected:
  absl::Status EnsureBuilt() override;

 private:
  absl::Status BuildFrom(const KerasTensor& input, size_t first);
  std::vector<LayerPtr> stack_;
};

namespace layers {
// The input of a Sequential: keras::layers::InputLayer({28, 28, 1}).
inline LayerHandle<keras::InputLayer> InputLayer(const std::vector<int64_t>& shape, DType dtype = DT_FLOAT,
                                                 const std::string& name = "") {
  return MakeLayer<keras::InputLayer>(shape, dtype, name);
}
}  // namespace layers

}  // namespace strata::keras
