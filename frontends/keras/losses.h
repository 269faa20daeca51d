// Keras losses by name or object: "categorical_crossentropy", "sparse_categorical_crossentropy",
// "binary_crossentropy", "mse" / "mean_squared_error", "mae" / "mean_absolute_error";
// keras::losses::SparseCategoricalCrossentropy(/*from_logits=*/true), ...
// Every loss is the mean over the batch of the per-example loss (Keras's default reduction).
// Like Keras, a crossentropy on the output of a softmax (sigmoid) activation is computed from
// the activation's input, which is exact and numerically stable.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "frontends/cc/scope.h"
#include "graph/graph.h"

namespace strata::keras {

class Loss {
 public:
  enum class Kind { kCategoricalCrossentropy, kSparseCategoricalCrossentropy, kBinaryCrossentropy, kMSE, kMAE };

  Loss(const char* name);         // NOLINT: implicit, like passing a string in Keras
  Loss(const std::string& name);  // NOLINT
  Loss(Kind kind, bool from_logits = false);

  Kind kind() const { return kind_; }
  bool from_logits() const { return from_logits_; }
  const std::string& name() const { return name_; }
  const absl::Status& status() const { return status_; }
  // Sparse losses take integer class ids ([batch] int32) as targets.
  bool sparse() const { return kind_ == Kind::kSparseCategoricalCrossentropy; }

  // The scalar loss of y_pred against y_true, built in `scope`.
  Output Build(const Scope& scope, Output y_true, Output y_pred) const;

 private:
  Kind kind_ = Kind::kMSE;
  bool from_logits_ = false;
  std::string name_;
  absl::Status status_;
};

namespace losses {
inline Loss CategoricalCrossentropy(bool from_logits = false) {
  return Loss(Loss::Kind::kCategoricalCrossentropy, from_logits);
}
inline Loss SparseCategoricalCrossentropy(bool from_logits = false) {
  return Loss(Loss::Kind::kSparseCategoricalCrossentropy, from_logits);
}
inline Loss BinaryCrossentropy(bool from_logits = false) { return Loss(Loss::Kind::kBinaryCrossentropy, from_logits); }
inline Loss MeanSquaredError() { return Loss(Loss::Kind::kMSE); }
inline Loss MeanAbsoluteError() { return Loss(Loss::Kind::kMAE); }
}  // namespace losses

}  // namespace strata::keras
