#include "frontends/keras/metrics.h"

#include "absl/strings/str_cat.h"
#include "frontends/cc/ops.h"

namespace strata::keras {
namespace {

Output MeanOf(const Scope& s, Output matches) {
  return ops::Mean(s, ops::Reshape(s, ops::Cast(s, matches, DT_FLOAT), {-1}), {0});
}

Output SparseAccuracy(const Scope& s, Output y_true, Output y_pred) {
  Output predicted = ops::Reshape(s, ops::ArgMax(s, y_pred, -1, ops::ArgMax::OutputType(DT_INT32)), {-1});
  Output labels = ops::Reshape(s, y_true, {-1});
  if (labels.dtype() != DT_INT32) labels = ops::Cast(s, labels, DT_INT32);
  return MeanOf(s, ops::Equal(s, predicted, labels));
}

Output CategoricalAccuracy(const Scope& s, Output y_true, Output y_pred) {
  return MeanOf(s, ops::Equal(s, ops::ArgMax(s, y_pred, -1), ops::ArgMax(s, y_true, -1)));
}

Output BinaryAccuracy(const Scope& s, Output y_true, Output y_pred) {
  Output predicted = ops::Cast(s, ops::Greater(s, y_pred, 0.5f), DT_FLOAT);
  return MeanOf(s, ops::Equal(s, predicted, y_true));
}

}  // namespace

absl::StatusOr<std::string> CanonicalMetricName(const std::string& name) {
  if (name == "accuracy" || name == "acc") return std::string("accuracy");
  if (name == "mse" || name == "mean_squared_error") return std::string("mse");
  if (name == "mae" || name == "mean_absolute_error") return std::string("mae");
  if (name == "sparse_categorical_accuracy" || name == "categorical_accuracy" || name == "binary_accuracy") return name;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown metric '", name,
      "' (known: accuracy, sparse_categorical_accuracy, categorical_accuracy, binary_accuracy, mse, mae)"));
}

Output BuildMetric(const Scope& scope, const std::string& name, const Loss& loss, Output y_true, Output y_pred) {
  const Scope& s = scope;
  if (name == "accuracy") {
    const bool one_unit = y_pred.shape().has_rank() && y_pred.shape().rank() >= 1 && y_pred.shape().dim(-1) == 1;
    if (loss.kind() == Loss::Kind::kBinaryCrossentropy || (one_unit && !loss.sparse())) {
      return BinaryAccuracy(s, y_true, y_pred);
    }
    if (loss.sparse()) return SparseAccuracy(s, y_true, y_pred);
    return CategoricalAccuracy(s, y_true, y_pred);
  }
  if (name == "sparse_categorical_accuracy") return SparseAccuracy(s, y_true, y_pred);
  if (name == "categorical_accuracy") return CategoricalAccuracy(s, y_true, y_pred);
  if (name == "binary_accuracy") return BinaryAccuracy(s, y_true, y_pred);
  if (name == "mse") return ops::Mean(s, ops::Reshape(s, ops::SquaredDifference(s, y_pred, y_true), {-1}), {0});
  if (name == "mae") return ops::Mean(s, ops::Reshape(s, ops::Abs(s, ops::Sub(s, y_pred, y_true)), {-1}), {0});
  scope.UpdateStatus(absl::InvalidArgumentError(absl::StrCat("unknown metric '", name, "'")));
  return Output();
}

}  // namespace strata::keras
