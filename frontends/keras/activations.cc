#include "frontends/keras/activations.h"

#include <array>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontends/cc/ops.h"

namespace strata::keras {
namespace {

constexpr std::array<std::string_view, 17> kActivations = {
    "linear", "relu", "relu6", "elu", "selu", "sigmoid", "hard_sigmoid", "tanh", "softmax",
    "log_softmax", "softplus", "softsign", "swish", "silu", "gelu", "leaky_relu", "exponential"};

}  // namespace

absl::Status CheckActivation(const std::string& name) {
  if (name.empty()) return absl::OkStatus();
  for (std::string_view known : kActivations) {
    if (name == known) return absl::OkStatus();
  }
  std::vector<std::string> names(kActivations.begin(), kActivations.end());
  return absl::InvalidArgumentError(
      absl::StrCat("unknown activation '", name, "' (known: ", absl::StrJoin(names, ", "), ")"));
}

Output ApplyActivation(const Scope& scope, const std::string& name, Output x) {
  if (absl::Status s = CheckActivation(name); !s.ok()) {
    scope.UpdateStatus(s);
    return Output();
  }
  if (name.empty() || name == "linear") return x;
  if (name == "relu") return ops::Relu(scope, x);
  if (name == "relu6") return ops::Relu6(scope, x);
  if (name == "elu") return ops::Elu(scope, x);
  if (name == "selu") return ops::Selu(scope, x);
  if (name == "sigmoid") return ops::Sigmoid(scope, x);
  if (name == "hard_sigmoid") {  // Keras 2: clip(0.2 x + 0.5, 0, 1)
    return ops::Minimum(scope, ops::Maximum(scope, ops::Add(scope, ops::Mul(scope, x, 0.2f), 0.5f), 0.0f), 1.0f);
  }
  if (name == "tanh") return ops::Tanh(scope, x);
  if (name == "softmax") return ops::Softmax(scope, x);
  if (name == "log_softmax") return ops::LogSoftmax(scope, x);
  if (name == "softplus") return ops::Softplus(scope, x);
  if (name == "softsign") return ops::Softsign(scope, x);
  if (name == "swish" || name == "silu") return ops::Mul(scope, x, ops::Sigmoid(scope, x));
  if (name == "gelu") {  // 0.5 x (1 + erf(x / sqrt 2))
    Output erf = ops::Erf(scope, ops::Mul(scope, x, 0.7071067811865476f));
    return ops::Mul(scope, ops::Mul(scope, x, 0.5f), ops::Add(scope, erf, 1.0f));
  }
  if (name == "leaky_relu") return ops::LeakyRelu(scope, x, ops::LeakyRelu::Alpha(0.2f));
  return ops::Exp(scope, x);  // "exponential"
}

}  // namespace strata::keras
