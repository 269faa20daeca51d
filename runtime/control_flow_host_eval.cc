// Host evaluation of single nodes on actual values (see control_flow_host_eval.h).
#include "runtime/control_flow_host_eval.h"

#include "absl/strings/str_cat.h"
#include "graph/attr_value.h"
#include "graph/shape_inference.h"
#include "ops/host_kernel.h"
#include "runtime/reference/evaluator.h"

namespace strata {

bool NeedsInputValuesForShape(const Node& node) {
  if (!node.op_registration().lower || node.num_outputs() == 0 || node.op() == "Const") return false;
  bool all_static = true;
  for (int k = 0; k < node.num_outputs(); ++k) all_static &= node.output_shape(k).IsFullyDefined();
  if (all_static) return false;
  // Probe: would the shape function give static shapes if every input shape were static (a
  // data-dependent dim set to 1), with only the input values known now? If not, the output
  // shape depends on an input value.
  std::vector<Shape> shapes;
  std::vector<const Tensor*> values;
  std::vector<Shape> shape_values;
  for (const Output& in : node.inputs()) {
    Shape s = in.shape();
    if (!s.has_rank()) return false;  // nothing to learn: leave it to the cluster
    for (int d = 0; d < s.rank(); ++d) {
      if (s.dim(d) < 0) s.set_dim(d, 1);
    }
    shapes.push_back(std::move(s));
    values.push_back(in.node->output_value(in.index));
    shape_values.push_back(in.node->output_shape_value(in.index));
  }
  InferenceContext c(node, shapes, values, shape_values);
  if (!node.op_registration().shape_fn(c).ok()) return false;
  for (int k = 0; k < node.num_outputs(); ++k) {
    if (!c.output(k).IsFullyDefined()) return true;
  }
  return false;
}

bool RunsOnHostInStages(const Node& node) { return RunsOnHost(node) || NeedsInputValuesForShape(node); }

absl::StatusOr<std::vector<Tensor>> EvaluateNodeOnValues(const Node& node, const std::vector<Tensor>& inputs) {
  if (static_cast<int>(inputs.size()) != node.num_inputs()) {
    return node.Annotate(absl::InvalidArgumentError(
        absl::StrCat("expected ", node.num_inputs(), " input values, got ", inputs.size())));
  }
  Graph g(&OpRegistry::Global());
  NodeSpec spec;
  spec.name = node.name();
  spec.op = node.op();
  spec.attrs = node.attrs();
  for (size_t k = 0; k < inputs.size(); ++k) {
    NodeSpec in;
    in.name = absl::StrCat(node.name(), "/host_input_", k);
    in.op = "Placeholder";
    in.attrs["dtype"] = MakeAttr(inputs[k].dtype());
    in.attrs["shape"] = MakeAttr(inputs[k].shape());
    absl::StatusOr<Node*> p = g.AddNode(std::move(in));
    if (!p.ok()) return node.Annotate(p.status());
    (*p)->set_output_shape(0, inputs[k].shape());
    (*p)->set_output_value(0, inputs[k]);
    spec.inputs.push_back(Output(*p, 0));
  }
  absl::StatusOr<Node*> copy = g.AddNode(std::move(spec));
  if (!copy.ok()) return node.Annotate(copy.status());
  if (absl::Status s = InferNodeShapes(*copy); !s.ok()) return s;
  return EvaluateNode(**copy, inputs);
}

}  // namespace strata
