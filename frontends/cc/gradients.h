// AddSymbolicGradients for graphs built with the builder API (tensorflow/cc/framework/
// gradients.h): the transform of graph/gradients.h, with names and control dependencies taken
// from the scope.
//
//   Scope root = Scope::NewRootScope();
//   auto w = ops::Placeholder(root.WithOpName("w"), DT_FLOAT);
//   auto loss = ops::Sum(root, ops::Square(root, w), {0});
//   std::vector<Output> grads;
//   absl::Status s = AddSymbolicGradients(root, {loss}, {w}, &grads);   // grads[0] = 2 w
//
// Added nodes are named "<scope prefix>/gradients/<node>_grad/<Op>" and run after the scope's
// control dependencies. An error (see graph/gradients.h) is returned and leaves the graph and
// the scope as they were, so the scope stays usable.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "frontends/cc/scope.h"
#include "graph/gradients.h"

namespace strata {

// grad_ys: empty, or one per y (an invalid Output there means OnesLike(y)).
inline absl::Status AddSymbolicGradients(const Scope& scope, const std::vector<Output>& ys,
                                         const std::vector<Output>& xs, const std::vector<Output>& grad_ys,
                                         std::vector<Output>* dxs, GradientOptions options = {}) {
  if (!scope.ok()) return scope.status();
  if (!scope.name().empty()) options.name_scope = scope.name() + "/" + options.name_scope;
  options.control_dependencies.insert(options.control_dependencies.end(), scope.control_deps().begin(),
                                      scope.control_deps().end());
  return AddSymbolicGradients(scope.graph(), ys, xs, grad_ys, dxs, options);
}

inline absl::Status AddSymbolicGradients(const Scope& scope, const std::vector<Output>& ys,
                                         const std::vector<Output>& xs, std::vector<Output>* dxs) {
  return AddSymbolicGradients(scope, ys, xs, {}, dxs);
}

}  // namespace strata
