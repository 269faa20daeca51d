// The reference evaluator: one node at a time through its lowering on a HostBuilder, a
// pruned graph in topological order, and the ReferenceBackend built on it.
#include "runtime/reference/evaluator.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/graph_def_io.h"
#include "graph/shape_inference.h"
#include "ops/host_kernel.h"
#include "ops/lowering.h"
#include "runtime/reference/host_builder.h"

namespace strata {

namespace {

#define EVAL_RETURN_IF_ERROR(expr) \
  do {                             \
    absl::Status _st = (expr);     \
    if (!_st.ok()) return _st;     \
  } while (0)

std::string TypeString(DType dtype, const Shape& shape) { return absl::StrCat(DTypeName(dtype), shape.ToString()); }

// Checks that `o` is an output of a node of `graph`.
absl::Status CheckOutputOf(const Graph& graph, const Output& o, const char* what) {
  if (!o.valid()) return absl::InvalidArgumentError(absl::StrCat(what, ": null tensor"));
  if (graph.FindNode(o.node->name()) != o.node) {
    return absl::InvalidArgumentError(absl::StrCat(what, " '", o.name(), "' is not a tensor of this graph"));
  }
  if (o.index < 0 || o.index >= o.node->num_outputs()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", o.name(), "': node has ", o.node->num_outputs(), " outputs"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Graph>> CopyGraph(const Graph& graph) {
  ImportOptions options;
  options.infer_shapes = false;
  options.registry = &graph.registry();
  return GraphFromGraphDef(GraphToGraphDef(graph), options);
}

absl::StatusOr<std::vector<Tensor>> EvaluateNode(const Node& node, const std::vector<Tensor>& inputs) {
  if (static_cast<int>(inputs.size()) != node.num_inputs()) {
    return node.Annotate(absl::InvalidArgumentError(
        absl::StrCat("expected ", node.num_inputs(), " input values, got ", inputs.size())));
  }
  for (int i = 0; i < node.num_inputs(); ++i) {
    if (!inputs[i].valid() || inputs[i].dtype() != BaseDType(node.input_dtype(i))) {
      return node.Annotate(absl::InvalidArgumentError(
          absl::StrCat("input ", i, " must be ", DTypeName(BaseDType(node.input_dtype(i))), ", got ",
                       inputs[i].valid() ? DTypeName(inputs[i].dtype()) : "an invalid tensor")));
    }
  }
  if (node.op() == "Const") {
    Tensor value;
    EVAL_RETURN_IF_ERROR(node.GetAttr("value", &value));
    return std::vector<Tensor>{value};
  }
  // Ops with data-dependent output shapes (Where, NonMaxSuppression, ...) compute on the host.
  if (node.op_registration().host_kernel) return RunHostKernel(node, inputs);
  HostBuilder b;
  std::vector<Value> values;
  std::vector<const Tensor*> constants;
  for (const Tensor& t : inputs) {
    values.push_back(b.Constant(t));
    constants.push_back(&t);
  }
  if (!b.ok()) return node.Annotate(b.status());
  absl::StatusOr<std::vector<Value>> outs = LowerNode(node, b, std::move(values), std::move(constants));
  if (!outs.ok()) return outs.status();
  std::vector<Tensor> results;
  for (const Value& v : *outs) {
    absl::StatusOr<Tensor> t = b.Get(v);
    if (!t.ok()) return node.Annotate(t.status());
    results.push_back(*std::move(t));
  }
  return results;
}

absl::StatusOr<std::vector<Tensor>> Evaluate(const Graph& graph, const std::vector<std::pair<Output, Tensor>>& feeds,
                                             const std::vector<Output>& fetches) {
  // ---- Check feeds and fetches against the caller's graph ----
  absl::flat_hash_map<std::string, const Tensor*> fed;  // tensor name -> value
  for (const auto& [out, value] : feeds) {
    EVAL_RETURN_IF_ERROR(CheckOutputOf(graph, out, "feed"));
    const DType want = BaseDType(out.dtype());
    if (!value.valid() || value.dtype() != want || !value.shape().IsCompatibleWith(out.shape())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "feed '", out.name(), "': expected ", TypeString(want, out.shape()), ", got ",
          value.valid() ? TypeString(value.dtype(), value.shape()) : std::string("an invalid tensor")));
    }
    if (!fed.emplace(out.name(), &value).second) {
      return absl::InvalidArgumentError(absl::StrCat("tensor '", out.name(), "' is fed more than once"));
    }
  }
  for (const Output& out : fetches) EVAL_RETURN_IF_ERROR(CheckOutputOf(graph, out, "fetch"));

  // ---- Prune: walk back from the fetches, stopping at fed tensors ----
  absl::flat_hash_set<const Node*> needed;
  std::vector<const Node*> stack;
  auto need_output = [&](const Output& o) {
    if (!fed.contains(o.name()) && needed.insert(o.node).second) stack.push_back(o.node);
  };
  for (const Output& o : fetches) need_output(o);
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    for (const Output& in : n->inputs()) need_output(in);
    for (const Node* c : n->control_inputs()) {
      if (needed.insert(c).second) stack.push_back(c);
    }
  }
  std::vector<std::string> unfed;
  for (const auto& n : graph.nodes()) {
    if (needed.contains(n.get()) && n->op() == "Placeholder") unfed.push_back(n->name());
  }
  if (!unfed.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("placeholder", unfed.size() > 1 ? "s " : " ",
                                                   absl::StrJoin(unfed, ", "), " must be fed"));
  }

  // ---- Evaluate on a private copy, re-inferring shapes from the actual values ----
  absl::StatusOr<std::unique_ptr<Graph>> copy_or = CopyGraph(graph);
  if (!copy_or.ok()) return copy_or.status();
  Graph& copy = **copy_or;
  auto in_copy = [&](const Output& o) { return Output(copy.FindNode(o.node->name()), o.index); };
  for (const auto& [out, value] : feeds) {
    Output c = in_copy(out);
    c.node->set_output_value(c.index, value);
    c.node->set_output_shape(c.index, value.shape());
  }
  absl::flat_hash_set<std::string> fetched;
  for (const Output& o : fetches) fetched.insert(o.node->name());

  absl::StatusOr<std::vector<Node*>> order = copy.TopologicalOrder();
  if (!order.ok()) return order.status();
  // Remaining needed consumers per node, so intermediate values are dropped once used.
  absl::flat_hash_map<const Node*, int> uses;
  std::vector<Node*> work;
  for (Node* n : *order) {
    if (!needed.contains(graph.FindNode(n->name()))) continue;
    work.push_back(n);
    for (const Output& in : n->inputs()) ++uses[in.node];
  }
  for (Node* n : work) {
    if (n->num_outputs() == 0) continue;  // NoOp: nothing to compute
    std::vector<Tensor> inputs;
    for (const Output& in : n->inputs()) {
      const Tensor* v = in.node->output_value(in.index);
      if (v == nullptr) return absl::InternalError(absl::StrCat(n->Describe(), ": input ", in.name(), " has no value"));
      inputs.push_back(*v);
    }
    std::vector<Tensor> results;
    if (n->op() == "PlaceholderWithDefault") {
      results = {inputs[0]};
    } else {
      EVAL_RETURN_IF_ERROR(InferNodeShapes(n));
      absl::StatusOr<std::vector<Tensor>> r = EvaluateNode(*n, inputs);
      if (!r.ok()) return r.status();
      results = *std::move(r);
    }
    for (int i = 0; i < n->num_outputs(); ++i) {
      auto it = fed.find(n->output(i).name());  // a fed output keeps the fed value
      const Tensor& value = it != fed.end() ? *it->second : results[i];
      n->set_output_shape(i, value.shape());
      n->set_output_value(i, value);
    }
    for (const Output& in : n->inputs()) {
      if (--uses[in.node] == 0 && !fetched.contains(in.node->name())) {
        for (int i = 0; i < in.node->num_outputs(); ++i) {
          if (!fed.contains(in.node->output(i).name())) in.node->set_output_value(i, Tensor());
        }
      }
    }
  }

  std::vector<Tensor> results;
  for (const Output& o : fetches) {
    const Tensor* v = in_copy(o).node->output_value(o.index);
    if (v == nullptr) return absl::InternalError(absl::StrCat("fetch '", o.name(), "' was not computed"));
    results.push_back(*v);
  }
  return results;
}

namespace {

class ReferenceExecutable : public Executable {
 public:
  ReferenceExecutable(std::unique_ptr<Graph> graph, std::vector<Output> args, std::vector<Output> results)
      : graph_(std::move(graph)), args_(std::move(args)), results_(std::move(results)) {}

  absl::Status Run(absl::Span<const Tensor> args, std::vector<Tensor>* results,
                   const RunOptions& options) const override {
    if (args.size() != args_.size()) {
      return absl::InvalidArgumentError(absl::StrCat("expected ", args_.size(), " arguments, got ", args.size()));
    }
    if (absl::Status s = SyncToHost(args); !s.ok()) return s;  // tensors a GPU run left on its device
    std::vector<std::pair<Output, Tensor>> feeds;
    for (size_t i = 0; i < args.size(); ++i) feeds.emplace_back(args_[i], args[i]);
    absl::StatusOr<std::vector<Tensor>> r = Evaluate(*graph_, feeds, results_);
    if (!r.ok()) return r.status();
    *results = *std::move(r);
    return absl::OkStatus();
  }

  std::string DebugString() const override {
    return absl::StrCat("// reference backend: the graph is evaluated on the host\n",
                        GraphDefToText(GraphToGraphDef(*graph_)));
  }

 private:
  const std::unique_ptr<Graph> graph_;  // never modified after construction
  const std::vector<Output> args_;
  const std::vector<Output> results_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Executable>> ReferenceBackend::Compile(const CompileRequest& request) {
  if (request.graph == nullptr) return absl::InvalidArgumentError("compile: no graph");
  for (const Output& o : request.args) EVAL_RETURN_IF_ERROR(CheckOutputOf(*request.graph, o, "argument"));
  for (const Output& o : request.results) EVAL_RETURN_IF_ERROR(CheckOutputOf(*request.graph, o, "result"));
  absl::StatusOr<std::unique_ptr<Graph>> copy = CopyGraph(*request.graph);
  if (!copy.ok()) return copy.status();
  // The copy's shapes are only used to check feeds; the request's shapes are the specialized ones.
  for (const auto& n : request.graph->nodes()) {
    Node* c = (*copy)->FindNode(n->name());
    for (int i = 0; i < n->num_outputs(); ++i) c->set_output_shape(i, n->output_shape(i));
  }
  auto map = [&](const std::vector<Output>& outs) {
    std::vector<Output> mapped;
    for (const Output& o : outs) mapped.emplace_back((*copy)->FindNode(o.node->name()), o.index);
    return mapped;
  };
  std::vector<Output> args = map(request.args), results = map(request.results);
  return std::unique_ptr<Executable>(new ReferenceExecutable(*std::move(copy), std::move(args), std::move(results)));
}

#undef EVAL_RETURN_IF_ERROR

}  // namespace strata
