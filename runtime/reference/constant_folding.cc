// Constant folding with the reference evaluator (see constant_folding.h).
#include "runtime/reference/constant_folding.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "graph/shape_inference.h"
#include "runtime/reference/evaluator.h"

namespace strata {

namespace {

bool IsFoldable(const Node& n) {
  const OpRegistration& reg = n.op_registration();
  if (n.IsStateful() || n.num_outputs() == 0 || !(reg.lower || reg.host_kernel)) return false;
  // A placeholder's value is whatever gets fed, even when it has a constant default.
  if (n.op() == "Placeholder" || n.op() == "PlaceholderWithDefault") return false;
  return true;
}

// True when every output's static shape is known to exceed the limit (no point evaluating).
bool AllOutputsTooBig(const Node& n, int64_t max_elements) {
  for (int i = 0; i < n.num_outputs(); ++i) {
    const Shape& s = n.output_shape(i);
    if (!s.IsFullyDefined() || s.num_elements() <= max_elements) return false;
  }
  return true;
}

// Re-runs the node's shape function and keeps what was known before where the new result
// is less specific (shapes specialized to fed inputs, or refined by earlier folding).
absl::Status RefineShapes(Node* n) {
  std::vector<Shape> before;
  for (int i = 0; i < n->num_outputs(); ++i) before.push_back(n->output_shape(i));
  absl::Status s = InferNodeShapes(n);
  if (!s.ok()) return s;
  for (int i = 0; i < n->num_outputs(); ++i) {
    absl::StatusOr<Shape> merged = n->output_shape(i).Merge(before[i]);
    if (!merged.ok()) {
      return n->Annotate(absl::InvalidArgumentError(absl::StrCat("output ", i, ": shape inference now gives ",
                                                                 n->output_shape(i).ToString(), ", before it gave ",
                                                                 before[i].ToString())));
    }
    n->set_output_shape(i, *std::move(merged));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FoldConstants(Graph* graph, const FoldOptions& options) {
  absl::StatusOr<std::vector<Node*>> order = graph->TopologicalOrder();
  if (!order.ok()) return order.status();
  for (Node* n : *order) {
    absl::Status s = RefineShapes(n);
    if (!s.ok()) return s;
    if (!IsFoldable(*n) || AllOutputsTooBig(*n, options.max_elements)) continue;
    bool done = true;  // the shape function already knows every output's value
    for (int i = 0; i < n->num_outputs(); ++i) done &= n->output_value(i) != nullptr;
    if (done) continue;
    std::vector<Tensor> inputs;
    for (const Output& in : n->inputs()) {
      const Tensor* v = in.node->output_value(in.index);
      if (v == nullptr) break;
      inputs.push_back(*v);
    }
    if (static_cast<int>(inputs.size()) != n->num_inputs()) continue;
    absl::StatusOr<std::vector<Tensor>> results = EvaluateNode(*n, inputs);
    if (!results.ok()) continue;  // left for run time, where the error is reported
    for (int i = 0; i < n->num_outputs(); ++i) {
      const Tensor& t = (*results)[i];
      if (t.num_elements() > options.max_elements) continue;
      n->set_output_shape(i, t.shape());
      n->set_output_value(i, t);
    }
  }
  return absl::OkStatus();
}

}  // namespace strata
