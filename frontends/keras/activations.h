// Keras activations by name (tf.keras.activations): "linear" (or ""), "relu", "relu6", "elu",
// "selu", "sigmoid", "hard_sigmoid", "tanh", "softmax", "log_softmax", "softplus", "softsign",
// "swish" / "silu", "gelu" (exact, erf form), "leaky_relu" (alpha 0.2), "exponential".
#pragma once

#include <string>

#include "absl/status/status.h"
#include "frontends/cc/scope.h"
#include "graph/graph.h"

namespace strata::keras {

// OK when `name` is a known activation; else InvalidArgument naming it and the known ones.
absl::Status CheckActivation(const std::string& name);

// The activation applied to x, built in `scope` (errors go to the scope's status).
Output ApplyActivation(const Scope& scope, const std::string& name, Output x);

}  // namespace strata::keras
