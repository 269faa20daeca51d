// Keras's RMSprop, which is not TF 1.x's ApplyRMSProp: Keras starts the mean square at zero
// (TF 1.x at one) and adds epsilon outside the square root,
//   rms <- rho * rms + (1 - rho) * g^2
//   var <- var - lr * g / (sqrt(rms) + epsilon)          (with momentum: through a velocity)
// where TF 1.x divides by sqrt(rms + epsilon). With Keras's epsilon of 1e-7 the two differ for
// weights whose gradients are small (sqrt(1e-7) = 3e-4 bounds TF 1.x's denominator from below),
// and PyTorch's RMSprop is Keras's form. Written with graph ops, as Keras 2.11+ does.
#pragma once

#include <optional>

#include "frontends/cc/training.h"

namespace strata::keras {

class KerasRMSprop : public train::Optimizer {
 public:
  KerasRMSprop(train::Hyper learning_rate, float rho, float momentum, float epsilon)
      : train::Optimizer("RMSprop"), lr_(learning_rate), rho_(rho), momentum_(momentum), epsilon_(epsilon) {}

 protected:
  absl::Status Prepare(const Scope& scope, DType dtype) override;
  Operation ApplyDense(const Scope& scope, const Output& grad, const train::Variable& var) override;

 private:
  train::Hyper lr_;
  float rho_, momentum_, epsilon_;
  Output lr_t_;
};

}  // namespace strata::keras
