// The loss ops: SoftmaxCrossEntropyWithLogits, SparseSoftmaxCrossEntropyWithLogits and L2Loss,
// with TensorFlow's schemas and shape functions (tensorflow/core/ops/nn_ops.cc), lowerings that
// follow its CPU kernels (xent_op.h, sparse_xent_op.h, l2loss_op.cc), and their gradients
// (python/ops/nn_grad.py).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "graph/shape_inference.h"
#include "ops/grad_op_util.h"
#include "ops/gradient.h"
#include "ops/registry.h"

namespace strata {
namespace {

using grad_ops::ComputeDType;
using grad_ops::LoweringError;

// ---- Shape functions -------------------------------------------------------------------------------

// features and labels are both [batch, classes] or broadcast to it.
absl::Status SoftmaxCrossEntropyShape(InferenceContext& c) {
  Shape input;
  if (c.WithRank(c.input(0), 2, &input).ok() && c.MergeShapes(input, c.input(1), &input).ok()) {
    if (input.unknown_rank()) input = Shape::UnknownDims(2);
    c.set_output(0, Shape{input.dim(0)});
    c.set_output(1, input);
    return absl::OkStatus();
  }
  absl::StatusOr<Shape> out = BroadcastShapes(c.input(0), c.input(1));
  if (!out.ok()) return out.status();
  if (out->unknown_rank()) {
    return c.Error("Shape must be broadcasted with rank 2, but is rank is unknown.");
  }
  if (out->rank() != 2) return c.Error("Shape must be broadcasted with rank 2, but is rank %d", out->rank());
  c.set_output(0, Shape{out->dim(0)});
  c.set_output(1, *out);
  return absl::OkStatus();
}

absl::Status SparseSoftmaxCrossEntropyShape(InferenceContext& c) {
  absl::StatusOr<Shape> features = grad_ops::InputWithRank(c, 0, 2, "features");
  if (!features.ok()) return features.status();
  absl::StatusOr<Shape> labels = grad_ops::InputWithRank(c, 1, 1, "labels");
  if (!labels.ok()) return labels.status();
  int64_t batch;
  GRAD_OPS_RETURN_IF_ERROR(c.MergeDims(features->dim(0), labels->dim(0), &batch));
  Shape backprop = *features;
  backprop.set_dim(0, batch);
  c.set_output(0, Shape{batch});
  c.set_output(1, backprop);
  return absl::OkStatus();
}

// ---- Lowerings -------------------------------------------------------------------------------------

// log(softmax(logits)) along dim 1 of a [batch, classes] value, with the max subtracted first.
Value LogSoftmaxRows(PrimitiveBuilder& b, Value logits) {
  Value max = b.Reduce(ReduceKind::kMax, logits, {1});
  Value shifted = b.Binary(BinaryKind::kSub, logits, b.BroadcastInDim(max, logits.shape, {0}));
  Value log_sum = b.Unary(UnaryKind::kLog, b.Reduce(ReduceKind::kSum, b.Unary(UnaryKind::kExp, shifted), {1}));
  return b.Binary(BinaryKind::kSub, shifted, b.BroadcastInDim(log_sum, logits.shape, {0}));
}

// loss = -sum(labels * log_softmax(features)), backprop = softmax(features) - labels.
absl::Status LowerSoftmaxCrossEntropy(LoweringContext& c) {
  PrimitiveBuilder& b = c.b();
  const DType acc = ComputeDType(c.input(0).dtype);
  auto [features, labels] = b.BroadcastBoth(b.Convert(c.input(0), acc), b.Convert(c.input(1), acc));
  if (!b.ok()) return b.status();
  if (features.rank() != 2) {
    return LoweringError(absl::StrCat("logits and labels must be 2-D (or broadcast to 2-D), got ",
                                      c.input(0).shape.ToString(), " and ", c.input(1).shape.ToString()));
  }
  const DType out = c.output_dtype(0);
  if (features.num_elements() == 0) {
    c.set_output(0, b.Splat(out, Shape{features.dim(0)}, 0));
    c.set_output(1, b.Splat(out, features.shape, 0));
    return absl::OkStatus();
  }
  Value log_softmax = LogSoftmaxRows(b, features);
  Value loss =
      b.Unary(UnaryKind::kNeg, b.Reduce(ReduceKind::kSum, b.Binary(BinaryKind::kMul, labels, log_softmax), {1}));
  Value backprop = b.Binary(BinaryKind::kSub, b.Unary(UnaryKind::kExp, log_softmax), labels);
  c.set_output(0, b.Convert(loss, out));
  c.set_output(1, b.Convert(backprop, out));
  return absl::OkStatus();
}

// loss = -log_softmax(features)[label], backprop = softmax(features) - one_hot(label). A label
// outside [0, classes) is a run-time error (reported by the gather), as in TF's CPU kernel.
absl::Status LowerSparseSoftmaxCrossEntropy(LoweringContext& c) {
  PrimitiveBuilder& b = c.b();
  const DType acc = ComputeDType(c.input(0).dtype);
  Value features = b.Convert(c.input(0), acc);
  Value labels = c.input(1);
  if (!b.ok()) return b.status();
  if (features.rank() != 2 || labels.rank() != 1 || labels.dim(0) != features.dim(0)) {
    return LoweringError(absl::StrCat("logits must be [batch, classes] and labels [batch], got ",
                                      features.shape.ToString(), " and ", labels.shape.ToString()));
  }
  const DType out = c.output_dtype(0);
  if (features.num_elements() == 0) {
    c.set_output(0, b.Splat(out, Shape{features.dim(0)}, 0));
    c.set_output(1, b.Splat(out, features.shape, 0));
    return absl::OkStatus();
  }
  Value log_softmax = LogSoftmaxRows(b, features);
  Value picked = b.Gather(log_softmax, b.Reshape(labels, Shape{labels.dim(0), 1}), /*batch_dims=*/1);
  Value classes = b.Iota(labels.dtype, features.shape, 1);
  Value is_label = b.Binary(BinaryKind::kEq, classes, b.BroadcastInDim(labels, features.shape, {0}));
  Value one_hot = b.Select(is_label, b.Splat(acc, features.shape, 1), b.Splat(acc, features.shape, 0));
  c.set_output(0, b.Convert(b.Unary(UnaryKind::kNeg, picked), out));
  c.set_output(1, b.Convert(b.Binary(BinaryKind::kSub, b.Unary(UnaryKind::kExp, log_softmax), one_hot), out));
  return absl::OkStatus();
}

// sum(t^2) / 2.
absl::Status LowerL2Loss(LoweringContext& c) {
  PrimitiveBuilder& b = c.b();
  Value t = b.Convert(c.input(0), ComputeDType(c.input(0).dtype));
  std::vector<int64_t> all(t.rank());
  for (int d = 0; d < t.rank(); ++d) all[d] = d;
  Value sum = b.Reduce(ReduceKind::kSum, b.Binary(BinaryKind::kMul, t, t), all);
  Value half = b.Binary(BinaryKind::kMul, sum, b.ScalarConstant(t.dtype, 0.5));
  c.set_output(0, b.Convert(half, c.output_dtype(0)));
  return absl::OkStatus();
}

// ---- Gradients -------------------------------------------------------------------------------------

// [batch] * [batch, classes]: the per-example loss gradient scales each row.
Output ScaleRows(GradientContext& c, Output per_row, Output rows) { return c.Mul(c.ExpandDims(per_row, -1), rows); }

// d loss / d features = backprop; the backprop output's own gradient (a second derivative)
// adds (g - sum(g * softmax)) * softmax, as TF's _SoftmaxCrossEntropyWithLogitsGrad does.
absl::Status SoftmaxCrossEntropyGrad(GradientContext& c) {
  Output logits = c.input(0), labels = c.input(1);
  Output d_logits, d_labels;
  if (c.has_dy(0)) {
    d_logits = ScaleRows(c, c.dy(0), c.output(1));
    d_labels = ScaleRows(c, c.dy(0), c.Neg(c.Op("LogSoftmax", {logits})));
  }
  if (c.has_dy(1)) {
    Output gg = c.dy(1);
    Output softmax = c.Op("Softmax", {logits});
    Output term = c.Mul(c.Sub(gg, c.Sum(c.Mul(gg, softmax), std::vector<int64_t>{1}, true)), softmax);
    d_logits = d_logits.valid() ? c.Add(d_logits, term) : term;
    // backprop = softmax - labels
    Output d_labels_2 = c.Neg(gg);
    d_labels = d_labels.valid() ? c.Add(d_labels, d_labels_2) : d_labels_2;
  }
  c.set_dx(0, c.SumToShapeOf(d_logits, logits));
  c.set_dx(1, c.SumToShapeOf(d_labels, labels));
  return c.status();
}

absl::Status SparseSoftmaxCrossEntropyGrad(GradientContext& c) {
  if (c.has_dy(1)) {
    return absl::UnimplementedError(
        "the second derivative of SparseSoftmaxCrossEntropyWithLogits (a gradient through its backprop "
        "output) is not supported, as in TensorFlow; use SoftmaxCrossEntropyWithLogits with one-hot labels");
  }
  c.set_dx(0, ScaleRows(c, c.dy(0), c.output(1)));
  return c.status();
}

absl::Status L2LossGrad(GradientContext& c) {
  c.set_dx(0, c.Mul(c.input(0), c.dy(0)));
  return c.status();
}

}  // namespace

REGISTER_OP("SoftmaxCrossEntropyWithLogits")
    .Input("features: T")
    .Input("labels: T")
    .Output("loss: T")
    .Output("backprop: T")
    .Attr("T: {half, bfloat16, float, double}")
    .SetShapeFn(SoftmaxCrossEntropyShape)
    .SetLowering(LowerSoftmaxCrossEntropy)
    .SetGradient(SoftmaxCrossEntropyGrad);

REGISTER_OP("SparseSoftmaxCrossEntropyWithLogits")
    .Input("features: T")
    .Input("labels: Tlabels")
    .Output("loss: T")
    .Output("backprop: T")
    .Attr("T: {half, bfloat16, float, double}")
    .Attr("Tlabels: {int32, int64} = DT_INT64")
    .SetShapeFn(SparseSoftmaxCrossEntropyShape)
    .SetLowering(LowerSparseSoftmaxCrossEntropy)
    .SetGradient(SparseSoftmaxCrossEntropyGrad);

REGISTER_OP("L2Loss")
    .Input("t: T")
    .Output("output: T")
    .Attr("T: {half, bfloat16, float, double}")
    .SetShapeFn(ScalarShape)
    .SetLowering(LowerL2Loss)
    .SetGradient(L2LossGrad);

}  // namespace strata
