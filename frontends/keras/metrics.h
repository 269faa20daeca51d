// Keras metrics by name: "accuracy" / "acc" (resolved from the loss and the output width, as
// Keras does: binary for one-unit outputs or a binary crossentropy, sparse categorical for a
// sparse loss, else categorical), "sparse_categorical_accuracy", "categorical_accuracy",
// "binary_accuracy", "mse", "mae". Each is the batch mean; fit and evaluate average them over
// examples.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "frontends/cc/scope.h"
#include "frontends/keras/losses.h"
#include "graph/graph.h"

namespace strata::keras {

// The canonical name of a metric ("acc" -> "accuracy"), or InvalidArgument naming an unknown one.
absl::StatusOr<std::string> CanonicalMetricName(const std::string& name);

// The metric's scalar value, built in `scope`.
Output BuildMetric(const Scope& scope, const std::string& name, const Loss& loss, Output y_true, Output y_pred);

}  // namespace strata::keras
