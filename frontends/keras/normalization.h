// BatchNormalization over the last axis. Training mode normalizes with the batch's mean and
// (biased) variance and updates the moving statistics
//   moving = moving * momentum + batch * (1 - momentum)
// with every training step; inference mode uses the moving statistics.
// Weights: gamma, beta (trainable), moving_mean, moving_variance (not trainable): 4 * c params.
#pragma once

#include <string>
#include <vector>

#include "frontends/keras/layer.h"

namespace strata::keras {

struct BatchNormalizationOptions {
  float momentum = 0.99f;
  float epsilon = 1e-3f;
  bool center = true;  // beta
  bool scale = true;   // gamma
  std::string name{};
};

class BatchNormalization : public Layer {
 public:
  explicit BatchNormalization(BatchNormalizationOptions options = {});

 protected:
  absl::Status Build(const std::vector<Shape>& input_shapes) override;
  absl::StatusOr<std::vector<Output>> Call(CallContext& ctx, const std::vector<Output>& inputs) override;

 private:
  BatchNormalizationOptions options_;
  int gamma_ = -1, beta_ = -1, moving_mean_ = -1, moving_variance_ = -1;
};

namespace layers {
inline LayerHandle<keras::BatchNormalization> BatchNormalization(BatchNormalizationOptions options = {}) {
  return MakeLayer<keras::BatchNormalization>(std::move(options));
}
}  // namespace layers

}  // namespace strata::keras
