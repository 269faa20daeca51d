// Recurrent layers over inputs [batch, timesteps, features] with a static number of timesteps,
// unrolled into the graph: SimpleRNN and LSTM (Keras gate order i, f, c, o; zero initial state).
// Returns the last output [batch, units], or every output [batch, timesteps, units] with
// return_sequences.
// Unlike Keras, the recurrent kernel defaults to glorot_uniform (Keras: orthogonal).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "frontends/keras/layer.h"

namespace strata::keras {

struct RecurrentOptions {
  std::string activation = "tanh";
  std::string recurrent_activation = "sigmoid";  // LSTM gates
  bool use_bias = true;
  bool return_sequences = false;
  bool unit_forget_bias = true;  // LSTM: the forget gate's bias starts at 1
  Initializer kernel_initializer = "glorot_uniform";
  Initializer recurrent_initializer = "orthogonal";
  Initializer bias_initializer = "zeros";
  Regularizer kernel_regularizer{};
  Regularizer recurrent_regularizer{};
  Regularizer bias_regularizer{};
  std::string name{};
};

class Recurrent : public Layer {
 public:
  enum class Kind { kSimpleRNN, kLSTM };
  Recurrent(Kind kind, int64_t units, RecurrentOptions options);

 protected:
  absl::Status Build(const std::vector<Shape>& input_shapes) override;
  absl::StatusOr<std::vector<Output>> Call(CallContext& ctx, const std::vector<Output>& inputs) override;

 private:
  Kind kind_;
  int64_t units_;
  RecurrentOptions options_;
  int kernel_ = -1, recurrent_ = -1, bias_ = -1;
};

namespace layers {
inline LayerHandle<Recurrent> SimpleRNN(int64_t units, RecurrentOptions options = {}) {
  return MakeLayer<Recurrent>(Recurrent::Kind::kSimpleRNN, units, std::move(options));
}
inline LayerHandle<Recurrent> LSTM(int64_t units, RecurrentOptions options = {}) {
  return MakeLayer<Recurrent>(Recurrent::Kind::kLSTM, units, std::move(options));
}
}  // namespace layers

}  // namespace strata::keras
