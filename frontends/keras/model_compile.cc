// Model::Compile: targets, loss (+ weight penalties), metrics on both paths, and the train op.
#include "absl/strings/str_cat.h"
#include "frontends/cc/ops.h"
#include "frontends/keras/metrics.h"
#include "frontends/keras/model.h"
#include "frontends/keras/model_state.h"

namespace strata::keras {

absl::Status Model::Compile(const Optimizer& optimizer, const Loss& loss, const std::vector<std::string>& metrics) {
  if (absl::Status s = EnsureBuilt(); !s.ok()) return s;
  if (graph_ == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("model '", name_, "' was loaded from disk; it keeps the compile configuration it was saved with"));
  }
  // Check every name before adding anything to the graph.
  if (!optimizer.status().ok()) return optimizer.status();
  if (!loss.status().ok()) return loss.status();
  std::vector<std::string> metric_names;
  for (const std::string& m : metrics) {
    absl::StatusOr<std::string> name = CanonicalMetricName(m);
    if (!name.ok()) return name.status();
    metric_names.push_back(*name);
  }
  absl::StatusOr<std::unique_ptr<train::Optimizer>> opt = optimizer.Create();
  if (!opt.ok()) return opt.status();

  GraphState& g = *graph_;
  const Scope& root = g.root;
  const size_t n_out = g.outputs.size();
  ModelSignature sig = signature_;
  sig.target_names.clear();
  sig.target_dtypes.clear();
  std::vector<Output> train_losses, eval_losses;
  std::vector<std::vector<Output>> train_metrics(metric_names.size()), eval_metrics(metric_names.size());
  for (size_t k = 0; k < n_out; ++k) {
    const Shape& out_shape = g.outputs[k].shape();
    const std::string out_name = g.outputs[k].node()->call->layer->name();
    Shape target_shape = out_shape;
    DType target_dtype = DT_FLOAT;
    if (loss.sparse()) {
      if (!out_shape.has_rank() || out_shape.rank() < 2) {
        return absl::InvalidArgumentError(absl::StrCat("loss '", loss.name(), "' needs class scores [batch, ..., classes]; output '",
                                                       out_name, "' has shape ", out_shape.ToString()));
      }
      target_shape = out_shape.Subshape(0, out_shape.rank() - 1);
      target_dtype = DT_INT32;
    }
    Output target = ops::Placeholder(root.WithOpName(out_name, "_target"), target_dtype,
                                     ops::Placeholder::Shape(target_shape));
    if (!root.ok()) return root.status();
    sig.target_names.push_back(target.node->name());
    sig.target_dtypes.push_back(target_dtype);
    train_losses.push_back(loss.Build(root.NewSubScope("loss"), target, g.training_outputs[k]));
    eval_losses.push_back(loss.Build(root.NewSubScope("eval_loss"), target, g.inference_outputs[k]));
    for (size_t m = 0; m < metric_names.size(); ++m) {
      train_metrics[m].push_back(BuildMetric(root.NewSubScope("metrics"), metric_names[m], loss, target, g.training_outputs[k]));
      eval_metrics[m].push_back(BuildMetric(root.NewSubScope("eval_metrics"), metric_names[m], loss, target, g.inference_outputs[k]));
    }
  }
  auto total = [&](const std::vector<Output>& parts, const std::string& name) {
    std::vector<Output> terms = parts;
    if (g.regularization.valid()) terms.push_back(g.regularization);
    Output sum = terms.size() == 1 ? terms[0] : Output(ops::AddN(root, OutputList(terms)));
    return Output(ops::Identity(root.WithOpName(name), sum));
  };
  Output train_loss = total(train_losses, "loss");
  Output eval_loss = total(eval_losses, "eval_loss");
  sig.metric_names = {"loss"};
  sig.train_metrics = {train_loss.name()};
  sig.eval_metrics = {eval_loss.name()};
  for (size_t m = 0; m < metric_names.size(); ++m) {
    for (size_t k = 0; k < n_out; ++k) {
      const std::string prefix = n_out > 1 ? absl::StrCat(g.outputs[k].node()->call->layer->name(), "_") : "";
      sig.metric_names.push_back(prefix + metric_names[m]);
      sig.train_metrics.push_back(train_metrics[m][k].name());
      sig.eval_metrics.push_back(eval_metrics[m][k].name());
    }
  }
  if (!root.ok()) return root.status();

  std::vector<train::Variable> trainable;
  for (size_t i = 0; i < g.weights.size(); ++i) {
    if (g.weight_trainable[i]) trainable.push_back(g.weights[i]);
  }
  if (trainable.empty()) return absl::FailedPreconditionError(absl::StrCat("model '", name_, "' has no trainable weights"));
  absl::StatusOr<Operation> minimize = (*opt)->Minimize(root, train_loss, trainable);
  if (!minimize.ok()) return minimize.status();
  std::vector<Operation> step_deps = {*minimize};
  step_deps.insert(step_deps.end(), g.updates.begin(), g.updates.end());
  ops::NoOp train_step(root.WithOpName("train_step").WithControlDependencies(step_deps));
  if (!root.ok()) return root.status();
  sig.train_op = train_step.operation.name();
  sig.compiled = true;
  g.optimizers.push_back(*std::move(opt));
  signature_ = sig;
  session_stale_ = true;
  return absl::OkStatus();
}

}  // namespace strata::keras
