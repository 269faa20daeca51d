#include "frontends/keras/normalization.h"

#include "absl/strings/str_cat.h"
#include "frontends/cc/ops.h"
#include "frontends/keras/core_layers.h"

namespace strata::keras {

BatchNormalization::BatchNormalization(BatchNormalizationOptions options)
    : Layer("BatchNormalization", options.name), options_(std::move(options)) {
  if (!(options_.momentum >= 0.0f && options_.momentum <= 1.0f) || !(options_.epsilon > 0.0f)) {
    SetError(internal::LayerError(*this, "needs momentum in [0, 1] and a positive epsilon"));
  }
}

absl::Status BatchNormalization::Build(const std::vector<Shape>& input_shapes) {
  const Shape& s = input_shapes[0];
  if (!s.has_rank() || s.rank() < 2 || s.dim(-1) < 0) {
    return internal::LayerError(*this, absl::StrCat("needs inputs with known channels (last dim), got ", s.ToString()));
  }
  const Shape c({s.dim(-1)});
  if (options_.scale) gamma_ = AddWeight("gamma", c, "ones");
  if (options_.center) beta_ = AddWeight("beta", c, "zeros");
  moving_mean_ = AddWeight("moving_mean", c, "zeros", /*trainable=*/false);
  moving_variance_ = AddWeight("moving_variance", c, "ones", /*trainable=*/false);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Output>> BatchNormalization::Call(CallContext& ctx, const std::vector<Output>& inputs) {
  const Scope& s = ctx.scope();
  Output x = inputs[0];
  const int rank = x.shape().rank();
  Output mean, variance;
  if (ctx.training()) {
    std::vector<int32_t> axes;
    for (int i = 0; i < rank - 1; ++i) axes.push_back(i);
    ::strata::Input axes_in(::strata::Input::Initializer(axes, Shape({static_cast<int64_t>(axes.size())})));
    mean = ops::Mean(s, x, axes_in);
    // tf.nn.moments: the variance around a mean that gradients do not flow through.
    variance = ops::Mean(s, ops::SquaredDifference(s, x, ops::StopGradient(s, mean)), axes_in);
    Output mm_ref = ctx.weight_ref(moving_mean_), mv_ref = ctx.weight_ref(moving_variance_);
    if (mm_ref.valid() && mv_ref.valid()) {
      const float decay = 1.0f - options_.momentum;
      Output mean_delta = ops::Mul(s, ops::Sub(s, ctx.weight(moving_mean_), ops::StopGradient(s, mean)), decay);
      Output var_delta = ops::Mul(s, ops::Sub(s, ctx.weight(moving_variance_), ops::StopGradient(s, variance)), decay);
      ctx.AddUpdate(ops::AssignSub(s.WithOpName("update_moving_mean"), mm_ref, mean_delta).operation);
      ctx.AddUpdate(ops::AssignSub(s.WithOpName("update_moving_variance"), mv_ref, var_delta).operation);
    }
  } else {
    mean = ctx.weight(moving_mean_);
    variance = ctx.weight(moving_variance_);
  }
  // y = x * inv + (beta - mean * inv), inv = gamma / sqrt(variance + epsilon)
  Output inv = ops::Rsqrt(s, ops::Add(s, variance, options_.epsilon));
  if (gamma_ >= 0) inv = ops::Mul(s, inv, ctx.weight(gamma_));
  Output shift = ops::Neg(s, ops::Mul(s, mean, inv));
  if (beta_ >= 0) shift = ops::Add(s, shift, ctx.weight(beta_));
  return std::vector<Output>{ops::Add(s, ops::Mul(s, x, inv), shift)};
}

}  // namespace strata::keras
