#include "frontends/keras/recurrent.h"

#include "absl/strings/str_cat.h"
#include "frontends/cc/ops.h"
#include "frontends/keras/activations.h"
#include "frontends/keras/core_layers.h"

namespace strata::keras {

Recurrent::Recurrent(Kind kind, int64_t units, RecurrentOptions options)
    : Layer(kind == Kind::kLSTM ? "LSTM" : "SimpleRNN", options.name), kind_(kind), units_(units),
      options_(std::move(options)) {
  if (units <= 0) SetError(internal::LayerError(*this, absl::StrCat("units must be positive, got ", units)));
  SetError(CheckActivation(options_.activation));
  SetError(CheckActivation(options_.recurrent_activation));
}

absl::Status Recurrent::Build(const std::vector<Shape>& input_shapes) {
  const Shape& s = input_shapes[0];
  if (!s.has_rank() || s.rank() != 3 || s.dim(1) <= 0 || s.dim(2) < 0) {
    return internal::LayerError(
        *this, absl::StrCat("needs inputs [batch, timesteps, features] with static timesteps, got ", s.ToString()));
  }
  const int64_t gates = kind_ == Kind::kLSTM ? 4 : 1, width = gates * units_;
  kernel_ = AddWeight("kernel", Shape({s.dim(2), width}), options_.kernel_initializer, true, options_.kernel_regularizer);
  recurrent_ = AddWeight("recurrent_kernel", Shape({units_, width}), options_.recurrent_initializer, true,
                         options_.recurrent_regularizer);
  if (options_.use_bias) {
    Initializer init = options_.bias_initializer;
    if (kind_ == Kind::kLSTM && options_.unit_forget_bias) {
      std::vector<float> values(width, 0.0f);
      for (int64_t i = units_; i < 2 * units_; ++i) values[i] = 1.0f;
      init = Initializer::Values(values);
    }
    bias_ = AddWeight("bias", Shape({width}), init, true, options_.bias_regularizer);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Output>> Recurrent::Call(CallContext& ctx, const std::vector<Output>& inputs) {
  const Scope& s = ctx.scope();
  const Shape& in = inputs[0].shape();
  if (in.rank() != 3 || in.dim(1) <= 0) return internal::LayerError(*this, "needs static timesteps");
  const int64_t steps = in.dim(1);
  ops::Unpack frames(s, inputs[0], steps, ops::Unpack::Axis(1));
  Output kernel = ctx.weight(kernel_), recurrent = ctx.weight(recurrent_);
  std::vector<Output> outputs;
  Output h, c;
  for (int64_t t = 0; t < steps; ++t) {
    Output z = ops::MatMul(s, frames[t], kernel);
    if (bias_ >= 0) z = ops::BiasAdd(s, z, ctx.weight(bias_));
    if (t > 0) z = ops::Add(s, z, ops::MatMul(s, h, recurrent));  // the initial state is zero
    if (kind_ == Kind::kSimpleRNN) {
      h = ApplyActivation(s, options_.activation, z);
    } else {
      ops::Split gates(s, 1, z, 4);
      Output i = ApplyActivation(s, options_.recurrent_activation, gates[0]);
      Output f = ApplyActivation(s, options_.recurrent_activation, gates[1]);
      Output g = ApplyActivation(s, options_.activation, gates[2]);
      Output o = ApplyActivation(s, options_.recurrent_activation, gates[3]);
      Output ig = ops::Mul(s, i, g);
      c = t == 0 ? ig : ops::Add(s, ops::Mul(s, f, c), ig);
      h = ops::Mul(s, o, ApplyActivation(s, options_.activation, c));
    }
    outputs.push_back(h);
  }
  if (!options_.return_sequences) return std::vector<Output>{h};
  return std::vector<Output>{ops::Pack(s, OutputList(outputs), ops::Pack::Axis(1))};
}

}  // namespace strata::keras
