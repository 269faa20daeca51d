#include "frontends/keras/losses.h"

#include "absl/strings/str_cat.h"
#include "frontends/cc/ops.h"

namespace strata::keras {
namespace {

constexpr float kEpsilon = 1e-7f;  // Keras's backend epsilon

const char* KindName(Loss::Kind kind) {
  switch (kind) {
    case Loss::Kind::kCategoricalCrossentropy: return "categorical_crossentropy";
    case Loss::Kind::kSparseCategoricalCrossentropy: return "sparse_categorical_crossentropy";
    case Loss::Kind::kBinaryCrossentropy: return "binary_crossentropy";
    case Loss::Kind::kMSE: return "mean_squared_error";
    case Loss::Kind::kMAE: return "mean_absolute_error";
  }
  return "";
}

// The input of y_pred's producing op when that op is `op` (Softmax, Sigmoid), else invalid.
Output InputOfOp(Output y_pred, const char* op) {
  Node* n = y_pred.node;
  if (n == nullptr || n->op() != op || n->num_inputs() < 1) return Output();
  return n->input(0);
}

// Mean over every axis: the batch mean of per-example means.
Output MeanAll(const Scope& s, Output x) {
  return ops::Mean(s, ops::Reshape(s, x, {-1}), {0});
}

// The logits and class count of a [..., classes] prediction, flattened to [n, classes].
Output FlattenClasses(const Scope& s, Output x) {
  const int64_t classes = x.shape().has_rank() && x.shape().rank() >= 1 ? x.shape().dim(-1) : -1;
  if (x.shape().rank() == 2) return x;
  return ops::Reshape(s, x, {int64_t{-1}, classes});
}

}  // namespace

Loss::Loss(const char* name) : Loss(std::string(name)) {}

Loss::Loss(const std::string& name) : name_(name) {
  if (name == "categorical_crossentropy") {
    kind_ = Kind::kCategoricalCrossentropy;
  } else if (name == "sparse_categorical_crossentropy") {
    kind_ = Kind::kSparseCategoricalCrossentropy;
  } else if (name == "binary_crossentropy") {
    kind_ = Kind::kBinaryCrossentropy;
  } else if (name == "mse" || name == "mean_squared_error") {
    kind_ = Kind::kMSE;
  } else if (name == "mae" || name == "mean_absolute_error") {
    kind_ = Kind::kMAE;
  } else {
    status_ = absl::InvalidArgumentError(absl::StrCat(
        "unknown loss '", name,
        "' (known: categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy, mse, mae)"));
  }
}

Loss::Loss(Kind kind, bool from_logits) : kind_(kind), from_logits_(from_logits), name_(KindName(kind)) {}

Output Loss::Build(const Scope& scope, Output y_true, Output y_pred) const {
  if (!status_.ok()) {
    scope.UpdateStatus(status_);
    return Output();
  }
  const Scope& s = scope;
  switch (kind_) {
    case Kind::kSparseCategoricalCrossentropy:
    case Kind::kCategoricalCrossentropy: {
      Output logits = from_logits_ ? y_pred : InputOfOp(y_pred, "Softmax");
      if (!logits.valid()) {
        // From probabilities: softmax(log p) = p / sum(p), so log of the clipped probabilities
        // are logits for the fused op.
        logits = ops::Log(s, ops::ClipByValue(s, y_pred, kEpsilon, 1.0f - kEpsilon));
      }
      logits = FlattenClasses(s, logits);
      if (kind_ == Kind::kSparseCategoricalCrossentropy) {
        Output labels = ops::Reshape(s, y_true, {-1});
        if (labels.dtype() != DT_INT32 && labels.dtype() != DT_INT64) labels = ops::Cast(s, labels, DT_INT32);
        return ops::Mean(s, ops::SparseSoftmaxCrossEntropyWithLogits(s, logits, labels).loss, {0});
      }
      Output labels = FlattenClasses(s, y_true);
      return ops::Mean(s, ops::SoftmaxCrossEntropyWithLogits(s, logits, labels).loss, {0});
    }
    case Kind::kBinaryCrossentropy: {
      Output logits = from_logits_ ? y_pred : InputOfOp(y_pred, "Sigmoid");
      if (logits.valid()) {
        // max(x, 0) - x z + log(1 + exp(-|x|)): tf.nn.sigmoid_cross_entropy_with_logits
        Output relu = ops::Relu(s, logits);
        Output xz = ops::Mul(s, logits, y_true);
        Output log1p = ops::Log(s, ops::Add(s, ops::Exp(s, ops::Neg(s, ops::Abs(s, logits))), 1.0f));
        return MeanAll(s, ops::Add(s, ops::Sub(s, relu, xz), log1p));
      }
      Output p = ops::ClipByValue(s, y_pred, kEpsilon, 1.0f - kEpsilon);
      Output pos = ops::Mul(s, y_true, ops::Log(s, p));
      Output neg = ops::Mul(s, ops::Sub(s, 1.0f, y_true), ops::Log(s, ops::Sub(s, 1.0f, p)));
      return MeanAll(s, ops::Neg(s, ops::Add(s, pos, neg)));
    }
    case Kind::kMSE:
      return MeanAll(s, ops::SquaredDifference(s, y_pred, y_true));
    case Kind::kMAE:
      return MeanAll(s, ops::Abs(s, ops::Sub(s, y_pred, y_true)));
  }
  return Output();
}

}  // namespace strata::keras
