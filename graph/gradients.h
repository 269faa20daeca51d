// Reverse-mode differentiation as a graph transform: AddSymbolicGradients appends to a graph
// the nodes that compute d(sum of ys)/d(xs), using each op's gradient function (ops/gradient.h).
//
//   std::vector<Output> dxs;
//   absl::Status s = AddSymbolicGradients(&graph, {loss}, {w, b}, &dxs);
//   // dxs[0], dxs[1]: d loss / d w, d loss / d b (same dtypes and shapes as w and b)
//
// Semantics (TensorFlow's tf.gradients):
// - The result is the gradient of the sum of the ys, each weighted by its grad_ys entry (by
//   default OnesLike(y)); paths through another y count too. Gradients reaching a tensor along
//   several paths are summed with AddN.
// - Gradients flow only along data edges that carry floating or complex tensors (or resource
//   handles: the gradient of a variable read goes to its handle, in the variable's dtype, once the
//   read op has a gradient function): integer and bool tensors (shapes, indices, masks) and
//   control edges cut the flow, and ops registered with
//   REGISTER_NO_GRADIENT (StopGradient, OnesLike, Floor, ...) stop it. An op on a differentiated
//   path that has no gradient function at all is an error naming the node and the op.
// - An x that no y depends on through such edges gets an invalid Output (NoGradient), as
//   tf.gradients returns None; GradientOptions::unconnected = kZeros gives ZerosLike(x) instead
//   (resource handles stay NoGradient).
// - Control dependencies: control edges never carry gradients; the gradient nodes of an op keep
//   reading the op's own inputs and outputs (so they run after whatever the forward op waited
//   for), and GradientOptions::control_dependencies makes every added node run after the given
//   nodes (what TF does for gradients built inside tf.control_dependencies).
// - Shapes may be dynamic: broadcasting gradients use BroadcastGradientArgs + Sum + Reshape on
//   Shape values, which shape inference and constant folding resolve once a Session
//   specializes the graph to fed shapes. Where static shapes are known, constants are used.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "graph/graph.h"

namespace strata {

struct GradientOptions {
  // Added nodes are named "<name_scope>/<forward node>_grad/<Op>"; the scope is made unique in
  // the graph ("gradients", "gradients_1", ...).
  std::string name_scope = "gradients";
  // What an x that no y depends on gets.
  enum class Unconnected { kNone, kZeros };
  Unconnected unconnected = Unconnected::kNone;
  // Every added node runs after these nodes (directly or through its inputs).
  std::vector<Node*> control_dependencies;
};

// `grad_ys` is empty (every y seeded with OnesLike(y)) or has one entry per y: the gradient
// flowing into that y (same dtype, a compatible shape), or an invalid Output for OnesLike(y).
// `dxs` receives one Output per x. Errors (InvalidArgument unless noted) name what is wrong:
// an invalid or foreign Output in ys/xs/grad_ys, a grad_y that does not match its y, an op
// without a gradient function on a path from an x to a y, a gradient function's own error
// (prefixed with its node), or a gradient of the wrong dtype (Internal). On error the nodes
// added so far are removed again and dxs is left empty.
absl::Status AddSymbolicGradients(Graph* graph, const std::vector<Output>& ys, const std::vector<Output>& xs,
                                  const std::vector<Output>& grad_ys, std::vector<Output>* dxs,
                                  const GradientOptions& options = {});
inline absl::Status AddSymbolicGradients(Graph* graph, const std::vector<Output>& ys, const std::vector<Output>& xs,
                                         std::vector<Output>* dxs) {
  return AddSymbolicGradients(graph, ys, xs, {}, dxs);
}

}  // namespace strata
