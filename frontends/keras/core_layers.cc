#include "frontends/keras/core_layers.h"

#include "absl/strings/str_cat.h"
#include "frontends/cc/const_op.h"
#include "frontends/cc/ops.h"
#include "frontends/keras/activations.h"

namespace strata::keras {

namespace internal {

absl::Status LayerError(const Layer& layer, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(layer.class_name(), " '", layer.name(), "': ", what));
}

absl::StatusOr<std::vector<int64_t>> FeatureDims(const Layer& layer, const Shape& shape) {
  if (!shape.has_rank() || shape.rank() < 1) {
    return LayerError(layer, absl::StrCat("needs an input with a batch dim, got shape ", shape.ToString()));
  }
  std::vector<int64_t> dims(shape.dims().begin() + 1, shape.dims().end());
  for (int64_t d : dims) {
    if (d < 0) return LayerError(layer, absl::StrCat("needs static feature dims, got shape ", shape.ToString()));
  }
  return dims;
}

}  // namespace internal

namespace {
// The shape literal [-1, dims...] for Reshape.
::strata::Input BatchShape(const std::vector<int64_t>& dims) {
  std::vector<int64_t> v = {-1};
  v.insert(v.end(), dims.begin(), dims.end());
  return ::strata::Input(::strata::Input::Initializer(v, Shape({static_cast<int64_t>(v.size())})));
}
}  // namespace

// ---------------------------------------------------------------------------------------------
Dense::Dense(int64_t units, DenseOptions options)
    : Layer("Dense", options.name), units_(units), options_(std::move(options)) {
  if (units <= 0) SetError(internal::LayerError(*this, absl::StrCat("units must be positive, got ", units)));
  SetError(CheckActivation(options_.activation));
}

absl::Status Dense::Build(const std::vector<Shape>& input_shapes) {
  const Shape& s = input_shapes[0];
  if (!s.has_rank() || s.rank() < 2 || s.dim(-1) < 0) {
    return internal::LayerError(*this, absl::StrCat("needs inputs [batch, ..., features] with known features, got ",
                                                    s.ToString()));
  }
  kernel_ = AddWeight("kernel", Shape({s.dim(-1), units_}), options_.kernel_initializer, true,
                      options_.kernel_regularizer);
  if (options_.use_bias) bias_ = AddWeight("bias", Shape({units_}), options_.bias_initializer, true, options_.bias_regularizer);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Output>> Dense::Call(CallContext& ctx, const std::vector<Output>& inputs) {
  const Scope& s = ctx.scope();
  Output x = inputs[0];
  const Shape& in = x.shape();
  const bool flatten = in.rank() > 2;
  if (flatten) x = ops::Reshape(s, x, {int64_t{-1}, in.dim(-1)});
  Output y = ops::MatMul(s, x, ctx.weight(kernel_));
  if (bias_ >= 0) y = ops::BiasAdd(s, y, ctx.weight(bias_));
  if (flatten) {
    std::vector<int64_t> dims(in.dims().begin() + 1, in.dims().end() - 1);
    dims.push_back(units_);
    y = ops::Reshape(s, y, BatchShape(dims));
  }
  return std::vector<Output>{ApplyActivation(s, options_.activation, y)};
}

// ---------------------------------------------------------------------------------------------
Activation::Activation(const std::string& activation, const std::string& name)
    : Layer("Activation", name), activation_(activation) {
  SetError(CheckActivation(activation));
}

absl::StatusOr<std::vector<Output>> Activation::Call(CallContext& ctx, const std::vector<Output>& inputs) {
  return std::vector<Output>{ApplyActivation(ctx.scope(), activation_, inputs[0])};
}

// ---------------------------------------------------------------------------------------------
Flatten::Flatten(const std::string& name) : Layer("Flatten", name) {}

absl::StatusOr<std::vector<Output>> Flatten::Call(CallContext& ctx, const std::vector<Output>& inputs) {
  absl::StatusOr<std::vector<int64_t>> dims = internal::FeatureDims(*this, inputs[0].shape());
  if (!dims.ok()) return dims.status();
  int64_t n = 1;
  for (int64_t d : *dims) n *= d;
  return std::vector<Output>{ops::Reshape(ctx.scope(), inputs[0], BatchShape({n}))};
}

// ---------------------------------------------------------------------------------------------
Reshape::Reshape(std::vector<int64_t> target_shape, const std::string& name)
    : Layer("Reshape", name), target_(std::move(target_shape)) {}

absl::StatusOr<std::vector<Output>> Reshape::Call(CallContext& ctx, const std::vector<Output>& inputs) {
  absl::StatusOr<std::vector<int64_t>> dims = internal::FeatureDims(*this, inputs[0].shape());
  if (!dims.ok()) return dims.status();
  int64_t in = 1, known = 1, unknown_at = -1;
  for (int64_t d : *dims) in *= d;
  std::vector<int64_t> target = target_;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1 && unknown_at < 0) {
      unknown_at = static_cast<int64_t>(i);
    } else if (target[i] <= 0) {
      return internal::LayerError(*this, "target_shape may hold one -1 and otherwise positive dims");
    } else {
      known *= target[i];
    }
  }
  if (unknown_at >= 0) {
    if (known == 0 || in % known != 0) return internal::LayerError(*this, "cannot infer the -1 of target_shape");
    target[unknown_at] = in / known;
    known *= target[unknown_at];
  }
  if (known != in) {
    return internal::LayerError(*this, absl::StrCat("cannot reshape ", in, " features per example into ",
                                                    Shape(target).ToString()));
  }
  return std::vector<Output>{ops::Reshape(ctx.scope(), inputs[0], BatchShape(target))};
}

// ---------------------------------------------------------------------------------------------
Dropout::Dropout(float rate, const std::string& name) : Layer("Dropout", name), rate_(rate) {
  if (!(rate >= 0.0f && rate < 1.0f)) SetError(internal::LayerError(*this, absl::StrCat("rate must be in [0, 1), got ", rate)));
}

absl::StatusOr<std::vector<Output>> Dropout::Call(CallContext& ctx, const std::vector<Output>& inputs) {
  Output x = inputs[0];
  if (!ctx.training() || rate_ == 0.0f) return std::vector<Output>{x};
  const Scope& s = ctx.scope();
  const float keep = 1.0f - rate_;
  auto [seed, seed2] = internal::NextSeeds();
  Output u = ops::RandomUniform(s, ops::Shape(s, x), x.dtype(), ops::RandomUniform::Seed(seed).Seed2(seed2));
  // floor(keep + u) is 1 with probability keep (TF 1.x's dropout mask); no gradient flows into it.
  Output mask = ops::StopGradient(s, ops::Floor(s, ops::Add(s, u, keep)));
  return std::vector<Output>{ops::Mul(s, ops::Mul(s, x, 1.0f / keep), mask)};
}

// ---------------------------------------------------------------------------------------------
Embedding::Embedding(int64_t input_dim, int64_t output_dim, EmbeddingOptions options)
    : Layer("Embedding", options.name), input_dim_(input_dim), output_dim_(output_dim), options_(std::move(options)) {
  if (input_dim <= 0 || output_dim <= 0) SetError(internal::LayerError(*this, "input_dim and output_dim must be positive"));
}

absl::Status Embedding::Build(const std::vector<Shape>&) {
  table_ = AddWeight("embeddings", Shape({input_dim_, output_dim_}), options_.embeddings_initializer, true,
                     options_.embeddings_regularizer);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Output>> Embedding::Call(CallContext& ctx, const std::vector<Output>& inputs) {
  const Scope& s = ctx.scope();
  Output ids = inputs[0];
  if (ids.dtype() != DT_INT32 && ids.dtype() != DT_INT64) ids = ops::Cast(s, ids, DT_INT32);
  return std::vector<Output>{ops::GatherV2(s, ctx.weight(table_), ids, 0)};
}

}  // namespace strata::keras
