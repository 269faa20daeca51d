// FusedBatchNormGradV3: the gradient of FusedBatchNormV3 (tensorflow/core/ops/nn_ops.cc schema,
// kernels/fused_batch_norm_op.cc semantics). reserve_space_1/2 are the mean and variance the
// forward op normalized with: the batch mean and biased batch variance when training (what
// FusedBatchNormV3 writes there), the population statistics in inference.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "graph/shape_inference.h"
#include "ops/grad_op_util.h"
#include "ops/registry.h"

namespace strata {
namespace {

using grad_ops::LoweringError;

// Rank and channel dim of a data format; false for an unknown format.
bool FormatGeometry(const std::string& format, int* rank, int* channel) {
  struct Geometry {
    const char* name;
    int rank, channel;
  };
  static constexpr Geometry kFormats[] = {{"NHWC", 4, 3}, {"NCHW", 4, 1}, {"NDHWC", 5, 4}, {"NCDHW", 5, 1}};
  for (const Geometry& g : kFormats) {
    if (format == g.name) {
      *rank = g.rank;
      *channel = g.channel;
      return true;
    }
  }
  return false;
}

absl::Status FusedBatchNormGradShape(InferenceContext& c) {
  std::string format;
  GRAD_OPS_RETURN_IF_ERROR(c.GetAttr("data_format", &format));
  int rank, channel;
  if (!FormatGeometry(format, &rank, &channel)) return c.Error("Invalid data format string: %s", format);
  absl::StatusOr<Shape> dy = grad_ops::InputWithRank(c, 0, rank, "y_backprop");
  if (!dy.ok()) return dy.status();
  absl::StatusOr<Shape> x = grad_ops::InputWithRank(c, 1, rank, "x");
  if (!x.ok()) return x.status();
  Shape x_backprop;
  GRAD_OPS_RETURN_IF_ERROR(c.MergeShapes(*dy, *x, &x_backprop));
  int64_t channels = x_backprop.dim(channel);
  static const char* kVectors[] = {"scale", "reserve_space_1", "reserve_space_2"};
  for (int i = 2; i <= 4; ++i) {
    absl::StatusOr<Shape> v = grad_ops::InputWithRank(c, i, 1, kVectors[i - 2]);
    if (!v.ok()) return v.status();
    GRAD_OPS_RETURN_IF_ERROR(c.MergeDims(channels, v->dim(0), &channels));
  }
  x_backprop.set_dim(channel, channels);
  c.set_output(0, x_backprop);
  c.set_output(1, Shape{channels});
  c.set_output(2, Shape{channels});
  c.set_output(3, Shape{0});
  c.set_output(4, Shape{0});
  return absl::OkStatus();
}

// With x_hat = (x - mean) * rsqrt(var + eps), d_offset = sum(dy), d_scale = sum(dy * x_hat);
// training (mean and var depend on x): dx = scale * rsqrt(var + eps) / m * (m * dy - d_offset -
// x_hat * d_scale); inference: dx = dy * scale * rsqrt(var + eps). Sums run over every dim but
// the channel (m elements each).
absl::Status LowerFusedBatchNormGradV3(LoweringContext& c) {
  std::string format;
  GRAD_OPS_RETURN_IF_ERROR(c.GetAttr("data_format", &format));
  bool is_training = true;
  GRAD_OPS_RETURN_IF_ERROR(c.GetAttr("is_training", &is_training));
  float epsilon = 1e-4f;
  GRAD_OPS_RETURN_IF_ERROR(c.GetAttr("epsilon", &epsilon));
  int rank, channel;
  if (!FormatGeometry(format, &rank, &channel)) return LoweringError(absl::StrCat("invalid data_format ", format));
  PrimitiveBuilder& b = c.b();
  const DType acc = DT_FLOAT;
  Value dy = b.Convert(c.input(0), acc), x = b.Convert(c.input(1), acc);
  Value scale = b.Convert(c.input(2), acc), mean = b.Convert(c.input(3), acc), var = b.Convert(c.input(4), acc);
  if (!b.ok()) return b.status();
  if (x.rank() != rank || dy.shape != x.shape) {
    return LoweringError(absl::StrCat("y_backprop ", dy.shape.ToString(), " and x ", x.shape.ToString(),
                                      " must have one shape of rank ", rank));
  }
  const Shape& shape = x.shape;
  const int64_t channels = shape.dim(channel);
  for (const Value* v : {&scale, &mean, &var}) {
    if (v->shape != Shape{channels}) {
      return LoweringError(absl::StrCat("scale, reserve_space_1 and reserve_space_2 must be [", channels, "], got ",
                                        v->shape.ToString()));
    }
  }
  const DType u = c.output_dtype(1);
  c.set_output(3, b.Splat(u, Shape{0}, 0));
  c.set_output(4, b.Splat(u, Shape{0}, 0));
  if (x.num_elements() == 0) {
    c.set_output(0, b.Splat(c.output_dtype(0), shape, 0));
    c.set_output(1, b.Splat(u, Shape{channels}, 0));
    c.set_output(2, b.Splat(u, Shape{channels}, 0));
    return absl::OkStatus();
  }
  std::vector<int64_t> others;
  for (int d = 0; d < rank; ++d) {
    if (d != channel) others.push_back(d);
  }
  auto along = [&](Value v) { return b.BroadcastInDim(v, shape, {channel}); };
  Value inv_std = b.Unary(UnaryKind::kRsqrt, b.Binary(BinaryKind::kAdd, var, b.Splat(acc, var.shape, epsilon)));
  Value x_hat = b.Binary(BinaryKind::kMul, b.Binary(BinaryKind::kSub, x, along(mean)), along(inv_std));
  Value d_offset = b.Reduce(ReduceKind::kSum, dy, others);
  Value d_scale = b.Reduce(ReduceKind::kSum, b.Binary(BinaryKind::kMul, dy, x_hat), others);
  Value coef = b.Binary(BinaryKind::kMul, scale, inv_std);
  Value dx;
  if (is_training) {
    const double m = static_cast<double>(x.num_elements() / channels);
    Value centered =
        b.Binary(BinaryKind::kSub, b.Binary(BinaryKind::kMul, dy, b.Splat(acc, shape, m)), along(d_offset));
    centered = b.Binary(BinaryKind::kSub, centered, b.Binary(BinaryKind::kMul, x_hat, along(d_scale)));
    dx = b.Binary(BinaryKind::kMul, centered, along(b.Binary(BinaryKind::kDiv, coef, b.Splat(acc, coef.shape, m))));
  } else {
    dx = b.Binary(BinaryKind::kMul, dy, along(coef));
  }
  c.set_output(0, b.Convert(dx, c.output_dtype(0)));
  c.set_output(1, b.Convert(d_scale, u));
  c.set_output(2, b.Convert(d_offset, u));
  return absl::OkStatus();
}

}  // namespace

REGISTER_OP("FusedBatchNormGradV3")
    .Input("y_backprop: T")
    .Input("x: T")
    .Input("scale: float")
    .Input("reserve_space_1: U")
    .Input("reserve_space_2: U")
    .Input("reserve_space_3: U")
    .Output("x_backprop: T")
    .Output("scale_backprop: U")
    .Output("offset_backprop: U")
    .Output("reserve_space_4: U")
    .Output("reserve_space_5: U")
    .Attr("T: {half, bfloat16, float}")
    .Attr("U: {float}")
    .Attr("epsilon: float = 0.0001")
    .Attr("data_format: {'NHWC', 'NCHW', 'NDHWC', 'NCDHW'} = 'NHWC'")
    .Attr("is_training: bool = true")
    .SetShapeFn(FusedBatchNormGradShape)
    .SetLowering(LowerFusedBatchNormGradV3);

}  // namespace strata
