#include "frontends/keras/rmsprop.h"

#include <vector>

#include "frontends/cc/ops.h"

namespace strata::keras {
namespace {

// The variable's current value, as its update reads it.
Output Read(const Scope& scope, const train::Variable& v) {
  return v.resource() ? Output(ops::ReadVariableOp(scope, v.handle, v.dtype)) : v.value;
}

Operation Write(const Scope& scope, const train::Variable& v, const Output& value) {
  return v.resource() ? ops::AssignVariableOp(scope, v.handle, value).operation
                      : ops::Assign(scope, v.handle, value).operation;
}

}  // namespace

absl::Status KerasRMSprop::Prepare(const Scope& scope, DType dtype) {
  lr_t_ = lr_.ToTensor(scope.WithOpName("learning_rate"), dtype);
  return scope.status();
}

Operation KerasRMSprop::ApplyDense(const Scope& scope, const Output& grad, const train::Variable& var) {
  train::Variable rms = ZerosSlot(scope, var, "rms");
  std::optional<train::Variable> velocity;
  if (momentum_ > 0.0f) velocity = ZerosSlot(scope, var, "momentum");
  if (!scope.ok()) return {};
  const DType t = var.dtype;
  auto constant = [&](float v) { return ops::Cast(scope, ops::Const(scope, v), t); };

  Output new_rms = ops::Add(scope, ops::Mul(scope, Read(scope, rms), constant(rho_)),
                            ops::Mul(scope, ops::Square(scope, grad), constant(1.0f - rho_)));
  std::vector<Operation> slot_updates = {Write(scope.WithOpName("update_rms"), rms, new_rms)};
  Output step = ops::RealDiv(scope, ops::Mul(scope, lr_t_, grad),
                             ops::Add(scope, ops::Sqrt(scope, new_rms), constant(epsilon_)));
  if (velocity.has_value()) {
    step = ops::Add(scope, ops::Mul(scope, Read(scope, *velocity), constant(momentum_)), step);
    slot_updates.push_back(Write(scope.WithOpName("update_momentum"), *velocity, step));
  }
  Output new_var = ops::Sub(scope, Read(scope, var), step);
  return Write(scope.WithControlDependencies(slot_updates), var, new_var);
}

}  // namespace strata::keras
