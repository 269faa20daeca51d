#include "frontends/keras/conv_layers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "frontends/cc/ops.h"
#include "frontends/keras/activations.h"
#include "frontends/keras/core_layers.h"

namespace strata::keras {
namespace {

const char* ConvClassName(Conv2D::Kind kind) {
  switch (kind) {
    case Conv2D::Kind::kConv: return "Conv2D";
    case Conv2D::Kind::kDepthwise: return "DepthwiseConv2D";
    case Conv2D::Kind::kTranspose: return "Conv2DTranspose";
  }
  return "Conv2D";
}

absl::Status CheckPadding(const Layer& layer, const std::string& padding) {
  if (padding == "valid" || padding == "same") return absl::OkStatus();
  return internal::LayerError(layer, absl::StrCat("padding must be 'valid' or 'same', got '", padding, "'"));
}

std::string TfPadding(const std::string& padding) { return padding == "same" ? "SAME" : "VALID"; }

absl::Status CheckImage(const Layer& layer, const Shape& s) {
  if (!s.has_rank() || s.rank() != 4 || s.dim(3) < 0) {
    return internal::LayerError(layer, absl::StrCat("needs NHWC inputs [batch, height, width, channels] with known "
                                                    "channels, got ", s.ToString()));
  }
  return absl::OkStatus();
}

// Keras's conv_utils.deconv_output_length without output_padding.
int64_t TransposedLength(int64_t in, int64_t k, int64_t stride, const std::string& padding) {
  if (in < 0) return -1;
  return padding == "same" ? in * stride : in * stride + std::max<int64_t>(k - stride, 0);
}

}  // namespace

Conv2D::Conv2D(int64_t filters, Size2 kernel_size, ConvOptions options, Kind kind)
    : Layer(ConvClassName(kind), options.name), kind_(kind), filters_(filters), kernel_size_(kernel_size),
      options_(std::move(options)) {
  if (kind != Kind::kDepthwise && filters <= 0) {
    SetError(internal::LayerError(*this, absl::StrCat("filters must be positive, got ", filters)));
  }
  if (kernel_size[0] <= 0 || kernel_size[1] <= 0 || options_.strides[0] <= 0 || options_.strides[1] <= 0 ||
      options_.depth_multiplier <= 0) {
    SetError(internal::LayerError(*this, "kernel_size, strides and depth_multiplier must be positive"));
  }
  SetError(CheckPadding(*this, options_.padding));
  SetError(CheckActivation(options_.activation));
}

absl::Status Conv2D::Build(const std::vector<Shape>& input_shapes) {
  if (absl::Status s = CheckImage(*this, input_shapes[0]); !s.ok()) return s;
  const int64_t cin = input_shapes[0].dim(3), kh = kernel_size_[0], kw = kernel_size_[1];
  int64_t out_channels = filters_;
  switch (kind_) {
    case Kind::kConv:
      kernel_ = AddWeight("kernel", Shape({kh, kw, cin, filters_}), options_.kernel_initializer, true,
                          options_.kernel_regularizer);
      break;
    case Kind::kDepthwise:
      out_channels = cin * options_.depth_multiplier;
      kernel_ = AddWeight("depthwise_kernel", Shape({kh, kw, cin, options_.depth_multiplier}),
                          options_.kernel_initializer, true, options_.kernel_regularizer);
      break;
    case Kind::kTranspose:
      kernel_ = AddWeight("kernel", Shape({kh, kw, filters_, cin}), options_.kernel_initializer, true,
                          options_.kernel_regularizer);
      break;
  }
  if (options_.use_bias) {
    bias_ = AddWeight("bias", Shape({out_channels}), options_.bias_initializer, true, options_.bias_regularizer);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Output>> Conv2D::Call(CallContext& ctx, const std::vector<Output>& inputs) {
  const Scope& s = ctx.scope();
  Output x = inputs[0];
  if (absl::Status st = CheckImage(*this, x.shape()); !st.ok()) return st;
  const std::vector<int64_t> strides = {1, options_.strides[0], options_.strides[1], 1};
  const std::vector<int64_t> dilations = {1, options_.dilation_rate[0], options_.dilation_rate[1], 1};
  const std::string padding = TfPadding(options_.padding);
  Output y;
  switch (kind_) {
    case Kind::kConv:
      y = ops::Conv2D(s, x, ctx.weight(kernel_), strides, padding, ops::Conv2D::Dilations(dilations));
      break;
    case Kind::kDepthwise:
      y = ops::DepthwiseConv2dNative(s, x, ctx.weight(kernel_), strides, padding,
                                     ops::DepthwiseConv2dNative::Dilations(dilations));
      break;
    case Kind::kTranspose: {
      const Shape& in = x.shape();
      const int64_t oh = TransposedLength(in.dim(1), kernel_size_[0], options_.strides[0], options_.padding);
      const int64_t ow = TransposedLength(in.dim(2), kernel_size_[1], options_.strides[1], options_.padding);
      if (oh < 0 || ow < 0) return internal::LayerError(*this, "needs static height and width");
      Output batch = ops::StridedSlice(s, ops::Shape(s, x), {0}, {1}, {1}, ops::StridedSlice::ShrinkAxisMask(1));
      Output sizes = ops::Pack(s, {::strata::Input(batch), ::strata::Input(static_cast<int32_t>(oh)),
                                   ::strata::Input(static_cast<int32_t>(ow)),
                                   ::strata::Input(static_cast<int32_t>(filters_))});
      y = ops::Conv2DBackpropInput(s, sizes, ctx.weight(kernel_), x, strides, padding,
                                   ops::Conv2DBackpropInput::Dilations(dilations));
      // The batch size is only known at run time; the reshape gives the result its static dims.
      y = ops::Reshape(s, y, {int64_t{-1}, oh, ow, filters_});
      break;
    }
  }
  if (bias_ >= 0) y = ops::BiasAdd(s, y, ctx.weight(bias_));
  return std::vector<Output>{ApplyActivation(s, options_.activation, y)};
}

// ---------------------------------------------------------------------------------------------
Pooling2D::Pooling2D(Kind kind, Size2 pool_size, Size2 strides, const std::string& padding, const std::string& name)
    : Layer(kind == Kind::kMax ? "MaxPooling2D" : "AveragePooling2D", name), kind_(kind), pool_size_(pool_size),
      strides_(strides[0] == 0 ? pool_size : strides), padding_(padding) {
  if (pool_size[0] <= 0 || pool_size[1] <= 0 || strides_[0] <= 0 || strides_[1] <= 0) {
    SetError(internal::LayerError(*this, "pool_size and strides must be positive"));
  }
  SetError(CheckPadding(*this, padding));
}

absl::StatusOr<std::vector<Output>> Pooling2D::Call(CallContext& ctx, const std::vector<Output>& inputs) {
  if (absl::Status st = CheckImage(*this, inputs[0].shape()); !st.ok()) return st;
  const std::vector<int64_t> ksize = {1, pool_size_[0], pool_size_[1], 1};
  const std::vector<int64_t> strides = {1, strides_[0], strides_[1], 1};
  if (kind_ == Kind::kMax) {
    return std::vector<Output>{ops::MaxPool(ctx.scope(), inputs[0], ksize, strides, TfPadding(padding_))};
  }
  return std::vector<Output>{ops::AvgPool(ctx.scope(), inputs[0], ksize, strides, TfPadding(padding_))};
}

// ---------------------------------------------------------------------------------------------
GlobalPooling2D::GlobalPooling2D(bool average, const std::string& name)
    : Layer(average ? "GlobalAveragePooling2D" : "GlobalMaxPooling2D", name), average_(average) {}

absl::StatusOr<std::vector<Output>> GlobalPooling2D::Call(CallContext& ctx, const std::vector<Output>& inputs) {
  if (absl::Status st = CheckImage(*this, inputs[0].shape()); !st.ok()) return st;
  if (average_) return std::vector<Output>{ops::Mean(ctx.scope(), inputs[0], {1, 2})};
  return std::vector<Output>{ops::Max(ctx.scope(), inputs[0], {1, 2})};
}

}  // namespace strata::keras
