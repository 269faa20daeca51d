// Convolution and pooling layers (NHWC, like Keras's channels_last default): Conv2D,
// DepthwiseConv2D, Conv2DTranspose, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
// GlobalMaxPooling2D. padding is "valid" or "same".
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "frontends/keras/layer.h"

namespace strata::keras {

using Size2 = std::array<int64_t, 2>;

struct ConvOptions {
  Size2 strides = {1, 1};
  std::string padding = "valid";
  Size2 dilation_rate = {1, 1};
  std::string activation{};
  bool use_bias = true;
  Initializer kernel_initializer = "glorot_uniform";
  Initializer bias_initializer = "zeros";
  Regularizer kernel_regularizer{};
  Regularizer bias_regularizer{};
  int64_t depth_multiplier = 1;  // DepthwiseConv2D only
  std::string name{};
};

// Conv2D: kernel [kh, kw, in, filters]. DepthwiseConv2D: depthwise_kernel [kh, kw, in,
// depth_multiplier] (filters unused). Conv2DTranspose: kernel [kh, kw, filters, in].
class Conv2D : public Layer {
 public:
  enum class Kind { kConv, kDepthwise, kTranspose };
  Conv2D(int64_t filters, Size2 kernel_size, ConvOptions options = {}, Kind kind = Kind::kConv);

 protected:
  absl::Status Build(const std::vector<Shape>& input_shapes) override;
  absl::StatusOr<std::vector<Output>> Call(CallContext& ctx, const std::vector<Output>& inputs) override;

 private:
  Kind kind_;
  int64_t filters_;
  Size2 kernel_size_;
  ConvOptions options_;
  int kernel_ = -1, bias_ = -1;
};

class Pooling2D : public Layer {
 public:
  enum class Kind { kMax, kAverage };
  // strides {0, 0} = pool_size.
  Pooling2D(Kind kind, Size2 pool_size, Size2 strides, const std::string& padding, const std::string& name);

 protected:
  absl::StatusOr<std::vector<Output>> Call(CallContext& ctx, const std::vector<Output>& inputs) override;

 private:
  Kind kind_;
  Size2 pool_size_, strides_;
  std::string padding_;
};

// Mean (or max) over the spatial dims: [b, h, w, c] -> [b, c].
class GlobalPooling2D : public Layer {
 public:
  GlobalPooling2D(bool average, const std::string& name);

 protected:
  absl::StatusOr<std::vector<Output>> Call(CallContext& ctx, const std::vector<Output>& inputs) override;

 private:
  bool average_;
};

namespace layers {
inline LayerHandle<keras::Conv2D> Conv2D(int64_t filters, Size2 kernel_size, ConvOptions options = {}) {
  return MakeLayer<keras::Conv2D>(filters, kernel_size, std::move(options));
}
inline LayerHandle<keras::Conv2D> DepthwiseConv2D(Size2 kernel_size, ConvOptions options = {}) {
  return MakeLayer<keras::Conv2D>(0, kernel_size, std::move(options), keras::Conv2D::Kind::kDepthwise);
}
inline LayerHandle<keras::Conv2D> Conv2DTranspose(int64_t filters, Size2 kernel_size, ConvOptions options = {}) {
  return MakeLayer<keras::Conv2D>(filters, kernel_size, std::move(options), keras::Conv2D::Kind::kTranspose);
}
inline LayerHandle<Pooling2D> MaxPooling2D(Size2 pool_size = {2, 2}, Size2 strides = {0, 0},
                                           const std::string& padding = "valid", const std::string& name = "") {
  return MakeLayer<Pooling2D>(Pooling2D::Kind::kMax, pool_size, strides, padding,
                              name);
}
inline LayerHandle<Pooling2D> AveragePooling2D(Size2 pool_size = {2, 2}, Size2 strides = {0, 0},
                                               const std::string& padding = "valid", const std::string& name = "") {
  return MakeLayer<Pooling2D>(Pooling2D::Kind::kAverage, pool_size, strides, padding,
                              name);
}
inline LayerHandle<GlobalPooling2D> GlobalAveragePooling2D(const std::string& name = "") {
  return MakeLayer<GlobalPooling2D>(true, name);
}
inline LayerHandle<GlobalPooling2D> GlobalMaxPooling2D(const std::string& name = "") {
  return MakeLayer<GlobalPooling2D>(false, name);
}
}  // namespace layers

}  // namespace strata::keras
