// Core Keras layers: Dense, Activation, Flatten, Reshape, Dropout, Embedding.
// Construct with keras::layers::X(...), which returns a callable handle.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "frontends/keras/layer.h"

namespace strata::keras {

struct DenseOptions {
  std::string activation{};  // "" = linear
  bool use_bias = true;
  Initializer kernel_initializer = "glorot_uniform";
  Initializer bias_initializer = "zeros";
  Regularizer kernel_regularizer{};
  Regularizer bias_regularizer{};
  std::string name{};
};

// y = activation(x . kernel + bias) on the last axis (inputs of rank > 2 are applied per position).
class Dense : public Layer {
 public:
  Dense(int64_t units, DenseOptions options = {});

 protected:
  absl::Status Build(const std::vector<Shape>& input_shapes) override;
  absl::StatusOr<std::vector<Output>> Call(CallContext& ctx, const std::vector<Output>& inputs) override;

 private:
  int64_t units_;
  DenseOptions options_;
  int kernel_ = -1, bias_ = -1;
};

class Activation : public Layer {
 public:
  explicit Activation(const std::string& activation, const std::string& name = "");

 protected:
  absl::StatusOr<std::vector<Output>> Call(CallContext& ctx, const std::vector<Output>& inputs) override;

 private:
  std::string activation_;
};

// [batch, d1, d2, ...] -> [batch, d1 * d2 * ...]
class Flatten : public Layer {
 public:
  explicit Flatten(const std::string& name = "");

 protected:
  absl::StatusOr<std::vector<Output>> Call(CallContext& ctx, const std::vector<Output>& inputs) override;
};

// [batch, ...] -> [batch, target_shape...]; one target dim may be -1.
class Reshape : public Layer {
 public:
  explicit Reshape(std::vector<int64_t> target_shape, const std::string& name = "");

 protected:
  absl::StatusOr<std::vector<Output>> Call(CallContext& ctx, const std::vector<Output>& inputs) override;

 private:
  std::vector<int64_t> target_;
};

// Training: zeroes each element with probability `rate` and scales the rest by 1 / (1 - rate).
// Inference: the identity.
class Dropout : public Layer {
 public:
  explicit Dropout(float rate, const std::string& name = "");

 protected:
  absl::StatusOr<std::vector<Output>> Call(CallContext& ctx, const std::vector<Output>& inputs) override;

 private:
  float rate_;
};

struct EmbeddingOptions {
  Initializer embeddings_initializer = Initializer::RandomUniform(-0.05f, 0.05f);
  Regularizer embeddings_regularizer{};
  std::string name{};
};

// Integer ids [batch, ...] -> rows of the [input_dim, output_dim] table: [batch, ..., output_dim].
class Embedding : public Layer {
 public:
  Embedding(int64_t input_dim, int64_t output_dim, EmbeddingOptions options = {});

 protected:
  absl::Status Build(const std::vector<Shape>& input_shapes) override;
  absl::StatusOr<std::vector<Output>> Call(CallContext& ctx, const std::vector<Output>& inputs) override;

 private:
  int64_t input_dim_, output_dim_;
  EmbeddingOptions options_;
  int table_ = -1;
};

namespace layers {
inline LayerHandle<keras::Dense> Dense(int64_t units, DenseOptions options = {}) {
  return MakeLayer<keras::Dense>(units, std::move(options));
}
inline LayerHandle<keras::Activation> Activation(const std::string& activation, const std::string& name = "") {
  return MakeLayer<keras::Activation>(activation, name);
}
inline LayerHandle<keras::Flatten> Flatten(const std::string& name = "") { return MakeLayer<keras::Flatten>(name); }
inline LayerHandle<keras::Reshape> Reshape(std::vector<int64_t> target_shape, const std::string& name = "") {
  return MakeLayer<keras::Reshape>(std::move(target_shape), name);
}
inline LayerHandle<keras::Dropout> Dropout(float rate, const std::string& name = "") {
  return MakeLayer<keras::Dropout>(rate, name);
}
inline LayerHandle<keras::Embedding> Embedding(int64_t input_dim, int64_t output_dim, EmbeddingOptions options = {}) {
  return MakeLayer<keras::Embedding>(input_dim, output_dim, std::move(options));
}
}  // namespace layers

namespace internal {
// "Layer 'x': <what>" InvalidArgument helper shared by the layer files.
absl::Status LayerError(const Layer& layer, const std::string& what);
// The static dims of a shape after the batch dim, or an error naming the layer.
absl::StatusOr<std::vector<int64_t>> FeatureDims(const Layer& layer, const Shape& shape);
}  // namespace internal

}  // namespace strata::keras
