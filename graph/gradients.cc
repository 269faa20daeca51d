// AddSymbolicGradients (see gradients.h): one backward sweep over the graph in reverse
// topological order, calling each op's gradient function (ops/gradient.h).
#include "graph/gradients.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ops/gradient.h"

namespace strata {
namespace {

using TensorKey = std::pair<const Node*, int>;
TensorKey Key(const Output& o) { return {o.node, o.index}; }

// Floating and complex tensors carry gradients, and so do resource handles (as in TF): the
// gradient of a variable read goes to the variable's handle, in the variable's dtype.
bool CarriesGradient(DType t) { return IsDifferentiableDType(t) || BaseDType(t) == DT_RESOURCE; }

absl::Status CheckTensor(const Graph& graph, const Output& o, const char* list, size_t i) {
  if (!o.valid()) return absl::InvalidArgumentError(absl::StrCat(list, "[", i, "] is not a valid tensor"));
  if (graph.FindNode(o.node->name()) != o.node) {
    return absl::InvalidArgumentError(
        absl::StrCat(list, "[", i, "] ('", o.name(), "') is not a tensor of the graph being differentiated"));
  }
  if (o.index < 0 || o.index >= o.node->num_outputs()) {
    return absl::InvalidArgumentError(
        absl::StrCat(list, "[", i, "]: ", o.node->Describe(), " has no output ", o.index));
  }
  return absl::OkStatus();
}

class BackwardSweep {
 public:
  BackwardSweep(Graph* graph, const std::string& scope, const GradientOptions& options)
      : graph_(graph), writer_(graph, scope, options.control_dependencies), root_(writer_, "") {}

  absl::Status Run(const std::vector<Output>& ys, const std::vector<Output>& xs, const std::vector<Output>& grad_ys,
                   GradientOptions::Unconnected unconnected, std::vector<Output>* dxs) {
    MarkReachableFrom(xs);
    for (size_t i = 0; i < ys.size(); ++i) {
      // No x reaches it (its seed would be unused), or it carries no values to differentiate.
      if (!reachable_.contains(Key(ys[i])) || !IsDifferentiableDType(ys[i].dtype())) continue;
      Output seed = i < grad_ys.size() && grad_ys[i].valid() ? grad_ys[i] : root_.OnesLike(ys[i]);
      if (!root_.ok()) return root_.status();
      grads_[Key(ys[i])].push_back(seed);
    }
    absl::StatusOr<std::vector<Node*>> order = graph_->TopologicalOrder();
    if (!order.ok()) return order.status();
    for (auto it = order->rbegin(); it != order->rend(); ++it) {
      if (absl::Status s = Backprop(*it); !s.ok()) return s;
    }
    for (const Output& x : xs) {
      Output dx = SumOf(Key(x));
      if (!dx.valid() && unconnected == GradientOptions::Unconnected::kZeros && BaseDType(x.dtype()) != DT_RESOURCE) {
        dx = root_.ZerosLike(x);
      }
      dxs->push_back(dx);
    }
    return root_.status();
  }

  void RemoveAddedNodes() { writer_.RemoveAddedNodes(); }

 private:
  // Marks the tensors that depend on an x through differentiable data edges, and the nodes
  // that read at least one of them (only those nodes' gradient functions need to run).
  void MarkReachableFrom(const std::vector<Output>& xs) {
    absl::flat_hash_map<TensorKey, std::vector<Node*>> consumers;
    for (const auto& n : graph_->nodes()) {
      for (const Output& in : n->inputs()) consumers[Key(in)].push_back(n.get());
    }
    std::vector<Output> stack;
    for (const Output& x : xs) {
      if (CarriesGradient(x.dtype()) && reachable_.insert(Key(x)).second) stack.push_back(x);
    }
    while (!stack.empty()) {
      const Output o = stack.back();
      stack.pop_back();
      for (Node* n : consumers[Key(o)]) {
        if (!reading_nodes_.insert(n).second) continue;
        for (int k = 0; k < n->num_outputs(); ++k) {
          if (CarriesGradient(n->output_dtype(k)) && reachable_.insert({n, k}).second) {
            stack.push_back(Output(n, k));
          }
        }
      }
    }
  }

  // The sum of the gradients that reached a tensor (invalid if none did); computed once.
  Output SumOf(const TensorKey& key) {
    if (auto it = sums_.find(key); it != sums_.end()) return it->second;
    auto grads = grads_.find(key);
    Output sum = grads == grads_.end() || grads->second.empty() ? Output() : root_.AddN(grads->second);
    sums_[key] = sum;
    return sum;
  }

  absl::Status Backprop(Node* node) {
    if (!reading_nodes_.contains(node)) return absl::OkStatus();
    std::vector<Output> dys;
    bool any = false;
    for (int k = 0; k < node->num_outputs(); ++k) {
      dys.push_back(SumOf({node, k}));
      any |= dys.back().valid();
    }
    if (!root_.ok()) return root_.status();
    if (!any) return absl::OkStatus();
    const GradFn& grad_fn = node->op_registration().grad;
    if (!grad_fn) {
      return absl::InvalidArgumentError(absl::StrCat("cannot differentiate ", node->Describe(), ": op '", node->op(),
                                                     "' has no gradient function, and a gradient flows through it"));
    }
    std::vector<bool> wanted;
    for (const Output& in : node->inputs()) wanted.push_back(reachable_.contains(Key(in)));
    GradientContext c(writer_, node, std::move(dys), std::move(wanted));
    absl::Status s = grad_fn(c);
    if (s.ok()) s = c.status();
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("gradient of ", node->Describe(), ": ", s.message()));
    }
    for (int j = 0; j < node->num_inputs(); ++j) {
      const Output& dx = c.dxs()[j];
      const Output& in = node->input(j);
      if (!dx.valid() || !reachable_.contains(Key(in))) continue;
      const bool handle = BaseDType(in.dtype()) == DT_RESOURCE && IsDifferentiableDType(dx.dtype());
      if (!handle && BaseDType(dx.dtype()) != BaseDType(in.dtype())) {
        return absl::InternalError(absl::StrCat("gradient of ", node->Describe(), ": the gradient for input ", j,
                                                " is ", DTypeName(dx.dtype()), " but the input is ",
                                                DTypeName(in.dtype())));
      }
      if (!handle && !dx.shape().IsCompatibleWith(in.shape())) {
        return absl::InternalError(absl::StrCat("gradient of ", node->Describe(), ": the gradient for input ", j,
                                                " has shape ", dx.shape().ToString(), " but the input has shape ",
                                                in.shape().ToString()));
      }
      grads_[Key(in)].push_back(dx);
    }
    return absl::OkStatus();
  }

  Graph* graph_;
  GradientGraphWriter writer_;
  GradientBuilder root_;  // seeds, sums and zeros, named directly under the scope
  absl::flat_hash_set<TensorKey> reachable_;
  absl::flat_hash_set<const Node*> reading_nodes_;
  absl::flat_hash_map<TensorKey, std::vector<Output>> grads_;
  absl::flat_hash_map<TensorKey, Output> sums_;
};

absl::Status CheckArguments(const Graph& graph, const std::vector<Output>& ys, const std::vector<Output>& xs,
                            const std::vector<Output>& grad_ys) {
  for (size_t i = 0; i < ys.size(); ++i) {
    if (absl::Status s = CheckTensor(graph, ys[i], "ys", i); !s.ok()) return s;
  }
  for (size_t i = 0; i < xs.size(); ++i) {
    if (absl::Status s = CheckTensor(graph, xs[i], "xs", i); !s.ok()) return s;
  }
  if (!grad_ys.empty() && grad_ys.size() != ys.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("grad_ys has ", grad_ys.size(), " entries but there are ", ys.size(), " ys"));
  }
  for (size_t i = 0; i < grad_ys.size(); ++i) {
    if (!grad_ys[i].valid()) continue;  // OnesLike(y)
    if (absl::Status s = CheckTensor(graph, grad_ys[i], "grad_ys", i); !s.ok()) return s;
    const Output& y = ys[i];
    const Output& g = grad_ys[i];
    if (BaseDType(g.dtype()) != BaseDType(y.dtype())) {
      return absl::InvalidArgumentError(absl::StrCat("grad_ys[", i, "] ('", g.name(), "') is ", DTypeName(g.dtype()),
                                                     " but ys[", i, "] ('", y.name(), "') is ", DTypeName(y.dtype())));
    }
    if (!g.shape().IsCompatibleWith(y.shape())) {
      return absl::InvalidArgumentError(absl::StrCat("grad_ys[", i, "] ('", g.name(), "') has shape ",
                                                     g.shape().ToString(), " but ys[", i, "] ('", y.name(),
                                                     "') has shape ", y.shape().ToString()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status AddSymbolicGradients(Graph* graph, const std::vector<Output>& ys, const std::vector<Output>& xs,
                                  const std::vector<Output>& grad_ys, std::vector<Output>* dxs,
                                  const GradientOptions& options) {
  if (graph == nullptr || dxs == nullptr) return absl::InvalidArgumentError("AddSymbolicGradients: null graph or dxs");
  dxs->clear();
  if (absl::Status s = CheckArguments(*graph, ys, xs, grad_ys); !s.ok()) return s;
  const std::string scope = options.name_scope.empty() ? "" : graph->UniqueName(options.name_scope);
  BackwardSweep sweep(graph, scope, options);
  absl::Status s = sweep.Run(ys, xs, grad_ys, options.unconnected, dxs);
  if (!s.ok()) {
    sweep.RemoveAddedNodes();
    dxs->clear();
  }
  return s;
}

}  // namespace strata
