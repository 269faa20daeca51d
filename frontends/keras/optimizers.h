// Keras optimizers by name ("sgd", "adam", "rmsprop", "adagrad"; Keras's default
// hyperparameters) or by object (keras::optimizers::Adam(1e-3), SGD(0.01, 0.9, true), ...).
// compile() turns the choice into a train:: optimizer (frontends/cc/training.h).
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "frontends/cc/training.h"

namespace strata::keras {

class Optimizer {
 public:
  enum class Kind { kSGD, kAdam, kRMSprop, kAdagrad };

  // By name (case-insensitive); an unknown name is kept as an error in status().
  Optimizer(const char* name);         // NOLINT: implicit, like passing a string in Keras
  Optimizer(const std::string& name);  // NOLINT

  static Optimizer SGD(float learning_rate = 0.01f, float momentum = 0.0f, bool nesterov = false);
  static Optimizer Adam(float learning_rate = 0.001f, float beta_1 = 0.9f, float beta_2 = 0.999f,
                        float epsilon = 1e-7f);
  static Optimizer RMSprop(float learning_rate = 0.001f, float rho = 0.9f, float momentum = 0.0f,
                           float epsilon = 1e-7f);
  static Optimizer Adagrad(float learning_rate = 0.001f, float initial_accumulator_value = 0.1f);

  Kind kind() const { return kind_; }
  const std::string& name() const { return name_; }
  const absl::Status& status() const { return status_; }
  float learning_rate() const { return lr_; }

  // The graph-building optimizer, with learning_rate as its rate (a constant or a schedule).
  absl::StatusOr<std::unique_ptr<train::Optimizer>> Create(train::Hyper learning_rate) const;
  absl::StatusOr<std::unique_ptr<train::Optimizer>> Create() const { return Create(train::Hyper(lr_)); }

 private:
  Optimizer(Kind kind, std::string name, float lr, float a, float b, float c, bool flag);
  Kind kind_ = Kind::kSGD;
  std::string name_;
  absl::Status status_;
  float lr_ = 0.01f, a_ = 0.0f, b_ = 0.0f, c_ = 0.0f;
  bool flag_ = false;
};

namespace optimizers {
inline Optimizer SGD(float learning_rate = 0.01f, float momentum = 0.0f, bool nesterov = false) {
  return Optimizer::SGD(learning_rate, momentum, nesterov);
}
inline Optimizer Adam(float learning_rate = 0.001f, float beta_1 = 0.9f, float beta_2 = 0.999f, float epsilon = 1e-7f) {
  return Optimizer::Adam(learning_rate, beta_1, beta_2, epsilon);
}
inline Optimizer RMSprop(float learning_rate = 0.001f, float rho = 0.9f, float momentum = 0.0f, float epsilon = 1e-7f) {
  return Optimizer::RMSprop(learning_rate, rho, momentum, epsilon);
}
inline Optimizer Adagrad(float learning_rate = 0.001f, float initial_accumulator_value = 0.1f) {
  return Optimizer::Adagrad(learning_rate, initial_accumulator_value);
}
}  // namespace optimizers

}  // namespace strata::keras
