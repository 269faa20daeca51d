#include "frontends/keras/optimizers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "frontends/keras/rmsprop.h"

namespace strata::keras {

Optimizer::Optimizer(Kind kind, std::string name, float lr, float a, float b, float c, bool flag)
    : kind_(kind), name_(std::move(name)), lr_(lr), a_(a), b_(b), c_(c), flag_(flag) {}

Optimizer::Optimizer(const char* name) : Optimizer(std::string(name)) {}

Optimizer::Optimizer(const std::string& name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "sgd") {
    *this = SGD();
  } else if (lower == "adam") {
    *this = Adam();
  } else if (lower == "rmsprop") {
    *this = RMSprop();
  } else if (lower == "adagrad") {
    *this = Adagrad();
  } else {
    name_ = name;
    status_ = absl::InvalidArgumentError(
        absl::StrCat("unknown optimizer '", name, "' (known: sgd, adam, rmsprop, adagrad)"));
  }
}

Optimizer Optimizer::SGD(float learning_rate, float momentum, bool nesterov) {
  return Optimizer(Kind::kSGD, "SGD", learning_rate, momentum, 0, 0, nesterov);
}
Optimizer Optimizer::Adam(float learning_rate, float beta_1, float beta_2, float epsilon) {
  return Optimizer(Kind::kAdam, "Adam", learning_rate, beta_1, beta_2, epsilon, false);
}
Optimizer Optimizer::RMSprop(float learning_rate, float rho, float momentum, float epsilon) {
  return Optimizer(Kind::kRMSprop, "RMSprop", learning_rate, rho, momentum, epsilon, false);
}
Optimizer Optimizer::Adagrad(float learning_rate, float initial_accumulator_value) {
  return Optimizer(Kind::kAdagrad, "Adagrad", learning_rate, initial_accumulator_value, 0, 0, false);
}

absl::StatusOr<std::unique_ptr<train::Optimizer>> Optimizer::Create(train::Hyper learning_rate) const {
  if (!status_.ok()) return status_;
  switch (kind_) {
    case Kind::kSGD:
      if (a_ == 0.0f) return std::unique_ptr<train::Optimizer>(new train::GradientDescentOptimizer(learning_rate));
      return std::unique_ptr<train::Optimizer>(new train::MomentumOptimizer(learning_rate, a_, flag_));
    case Kind::kAdam:
      return std::unique_ptr<train::Optimizer>(new train::AdamOptimizer(learning_rate, a_, b_, c_));
    case Kind::kRMSprop:
      return std::unique_ptr<train::Optimizer>(new KerasRMSprop(learning_rate, a_, b_, c_));
    case Kind::kAdagrad:
      return std::unique_ptr<train::Optimizer>(new train::AdagradOptimizer(learning_rate, a_));
  }
  return absl::InternalError("unknown optimizer kind");
}

}  // namespace strata::keras
