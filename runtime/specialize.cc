// Specialization of the session's graph to one Run signature (see specialize.h).
#include "runtime/specialize.h"

#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/attr_value.h"
#include "graph/graph_def_io.h"
#include "graph/shape_inference.h"
#include "graph/status_nodes.h"
#include "ops/host_kernel.h"
#include "runtime/reference/constant_folding.h"

namespace strata {

namespace {

using NameSet = absl::flat_hash_set<std::string>;

bool IsPlaceholderOp(const Node& n) { return n.op() == "Placeholder" || n.op() == "PlaceholderWithDefault"; }

// A fed Placeholder is replaced by the feed: its inputs and control inputs do not run.
bool IsFedPlaceholder(const Node& n, const NameSet& fed) {
  return IsPlaceholderOp(n) && fed.contains(absl::StrCat(n.name(), ":0"));
}

// A NodeDef input spelling.
std::string InputName(const std::string& node, int index) {
  return index == 0 ? node : absl::StrCat(node, ":", index);
}

std::string NoLoweringMessage(const Node& n) {
  return absl::StrCat(n.Describe(), ": op '", n.op(), "' has no lowering, so strata cannot compile or run it");
}

// Names new nodes so that they collide neither with the session graph nor with each other.
class FreshNames {
 public:
  explicit FreshNames(const Graph& graph) : graph_(graph) {}
  void Reserve(const std::string& name) { used_.insert(name); }
  std::string Make(const std::string& base) {
    std::string name = base;
    for (int k = 1; graph_.FindNode(name) != nullptr || used_.contains(name); ++k) name = absl::StrCat(base, "_", k);
    used_.insert(name);
    return name;
  }

 private:
  const Graph& graph_;
  NameSet used_;
};

// ---- Step 1: prune ----

// The needed part of the graph, and which needed nodes run for effect (targets and nodes
// reached through control edges).
struct Pruned {
  absl::flat_hash_set<const Node*> needed;
  std::vector<const Node*> effect_nodes;
};

Pruned Prune(const ResolvedRequest& request, const NameSet& fed) {
  Pruned p;
  absl::flat_hash_set<const Node*> effect_seen;
  std::vector<const Node*> stack;
  auto need = [&](const Node* n) {
    if (p.needed.insert(n).second) stack.push_back(n);
  };
  auto need_for_effect = [&](const Node* n) {
    if (effect_seen.insert(n).second) p.effect_nodes.push_back(n);
    need(n);
  };
  for (size_t i = 0; i < request.fetches.size(); ++i) {
    if (!fed.contains(request.fetch_names[i])) need(request.fetches[i].node);
  }
  for (const Node* t : request.targets) need_for_effect(t);
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (IsFedPlaceholder(*n, fed)) continue;
    for (const Output& in : n->inputs()) {
      if (!fed.contains(CanonicalTensorName(in))) need(in.node);
    }
    for (const Node* c : n->control_inputs()) need_for_effect(c);
  }
  return p;
}

absl::Status CheckPlaceholdersFed(const Graph& graph, const Pruned& pruned, const NameSet& fed) {
  std::vector<std::string> unfed;
  for (const auto& n : graph.nodes()) {
    if (n->op() == "Placeholder" && pruned.needed.contains(n.get()) && !IsFedPlaceholder(*n, fed)) {
      unfed.push_back(absl::StrCat("'", n->name(), "' (", DTypeName(BaseDType(n->output_dtype(0))),
                                   n->output_shape(0).ToString(), ")"));
    }
  }
  if (unfed.empty()) return absl::OkStatus();
  const bool one = unfed.size() == 1;
  return absl::InvalidArgumentError(absl::StrCat(one ? "placeholder " : "placeholders ", absl::StrJoin(unfed, ", "),
                                                 " must be fed: the requested fetches and targets depend on ",
                                                 one ? "it" : "them"));
}

// ---- Step 2: the pruned graph with fed tensors as Placeholders ----

struct PrunedGraph {
  tf::GraphDef def;
  std::vector<std::string> feed_node;  // per feed: its Placeholder's name, "" if not in the graph
};

absl::StatusOr<PrunedGraph> BuildPrunedGraphDef(const Graph& graph, const tf::GraphDef& def,
                                                const ResolvedRequest& request, const Pruned& pruned,
                                                const NameSet& fed, FreshNames& names) {
  absl::flat_hash_map<std::string, int> feed_index;
  for (size_t i = 0; i < request.feeds.size(); ++i) feed_index[request.feeds[i].name] = static_cast<int>(i);
  NameSet read_feeds;  // fed tensors that needed nodes read
  for (const Node* n : pruned.needed) {
    if (IsFedPlaceholder(*n, fed)) continue;
    for (const Output& in : n->inputs()) {
      std::string name = CanonicalTensorName(in);
      if (fed.contains(name)) read_feeds.insert(std::move(name));
    }
  }

  PrunedGraph out;
  *out.def.mutable_versions() = def.versions();
  *out.def.mutable_library() = def.library();
  out.feed_node.resize(request.feeds.size());
  for (size_t i = 0; i < request.feeds.size(); ++i) {
    const ResolvedFeed& f = request.feeds[i];
    const bool replaces_node = IsPlaceholderOp(*f.tensor.node) && f.tensor.index == 0;
    if (!(replaces_node && pruned.needed.contains(f.tensor.node)) && !read_feeds.contains(f.name)) continue;
    tf::NodeDef* nd = out.def.add_node();
    if (replaces_node) {
      nd->set_name(f.tensor.node->name());
      names.Reserve(nd->name());
    } else {
      nd->set_name(names.Make(absl::StrCat(f.tensor.node->name(), "/fed_output_", f.tensor.index)));
    }
    nd->set_op("Placeholder");
    (*nd->mutable_attr())["dtype"] = MakeAttr(f.value->dtype());
    (*nd->mutable_attr())["shape"] = MakeAttr(f.value->shape());
    out.feed_node[i] = nd->name();
  }

  absl::flat_hash_map<std::string, const tf::NodeDef*> node_defs;
  for (const tf::NodeDef& nd : def.node()) node_defs[nd.name()] = &nd;
  for (const auto& node : graph.nodes()) {
    const Node* n = node.get();
    if (!pruned.needed.contains(n) || IsFedPlaceholder(*n, fed)) continue;
    auto it = node_defs.find(n->name());
    if (it == node_defs.end()) return absl::InternalError(absl::StrCat(n->Describe(), " is missing from the GraphDef"));
    tf::NodeDef* nd = out.def.add_node();
    *nd = *it->second;
    names.Reserve(n->name());
    nd->clear_input();
    for (const Output& in : n->inputs()) {
      auto f = feed_index.find(CanonicalTensorName(in));
      nd->add_input(f != feed_index.end() ? out.feed_node[f->second] : InputName(in.node->name(), in.index));
    }
    // Control inputs are needed nodes too (a fed Placeholder among them kept its name).
    for (const Node* c : n->control_inputs()) nd->add_input(absl::StrCat("^", c->name()));
    if (n->op() == "PlaceholderWithDefault") {  // not fed: it passes its default on
      tf::AttrValue dtype = nd->attr().at("dtype");
      nd->set_op("Identity");
      nd->mutable_attr()->clear();
      (*nd->mutable_attr())["T"] = dtype;
    }
  }
  return out;
}

// ---- Step 4: what runs ----

struct Computation {
  absl::flat_hash_set<const Node*> computed;  // nodes the executable evaluates
  // Tensors that computed nodes read or that are results, by node: they need static shapes.
  absl::flat_hash_map<const Node*, absl::flat_hash_set<int>> used_outputs;
};

bool IsKnown(const Output& o) { return o.node->output_value(o.index) != nullptr; }

// `effects`: nodes without outputs that run for their effect (host ops such as AssignVariableOp).
Computation FindComputation(const std::vector<Output>& results, const std::vector<const Node*>& effects,
                            const absl::flat_hash_set<const Node*>& arg_nodes) {
  Computation c;
  std::vector<Output> stack(results.begin(), results.end());
  for (const Node* n : effects) {
    if (!c.computed.insert(n).second) continue;
    for (const Output& in : n->inputs()) stack.push_back(in);
  }
  while (!stack.empty()) {
    const Output o = stack.back();
    stack.pop_back();
    c.used_outputs[o.node].insert(o.index);
    if (arg_nodes.contains(o.node) || IsKnown(o)) continue;
    if (!c.computed.insert(o.node).second) continue;
    for (const Output& in : o.node->inputs()) stack.push_back(in);
  }
  return c;
}

// Whether the computation runs host kernels (then shapes may depend on data: runtime/staged.h).
bool NeedsHostStages(const Computation& c) {
  for (const Node* n : c.computed) {
    if (RunsOnHost(*n)) return true;
  }
  return false;
}

absl::Status CheckComputable(const std::vector<Node*>& order, const Computation& c, const ResolvedRequest& request,
                             bool staged) {
  // In topological order, so that the node reported is where the problem starts.
  for (const Node* n : order) {
    auto used = c.used_outputs.find(n);
    if (used == c.used_outputs.end()) continue;
    // Staged graphs are specialized again, cluster by cluster, once the data-dependent shapes
    // are known; those checks happen then.
    for (int i = 0; i < n->num_outputs() && !staged; ++i) {
      const Shape& shape = n->output_shape(i);
      if (!used->second.contains(i) || shape.IsFullyDefined()) continue;
      std::string fed;
      for (const ResolvedFeed& f : request.feeds) {
        absl::StrAppend(&fed, fed.empty() ? "" : ", ", f.name, " ", f.value->shape().ToString());
      }
      return absl::UnimplementedError(absl::StrCat(
          n->Describe(), ": the shape of output ", i, " is ", shape.ToString(), " even with the fed shapes (",
          fed.empty() ? "nothing fed" : fed,
          "); strata compiles static shapes only (a data-dependent shape cannot be compiled)"));
    }
    if (c.computed.contains(n) && !n->op_registration().lower && !RunsOnHost(*n)) {
      if (n->op() == "Placeholder") return absl::InternalError(absl::StrCat(n->Describe(), " is not fed"));
      return absl::UnimplementedError(NoLoweringMessage(*n));
    }
  }
  return absl::OkStatus();
}

// ---- Step 5: the graph the backend compiles ----

// Placeholders for the arguments, a Const for each folded tensor that a computed node reads,
// and the computed nodes (without control edges: everything that must run is a result).
absl::StatusOr<tf::GraphDef> BuildComputeGraphDef(const Graph& pruned, const tf::GraphDef& pruned_def,
                                                  const std::vector<Node*>& order, const Computation& c,
                                                  const absl::flat_hash_set<const Node*>& arg_nodes,
                                                  FreshNames& names) {
  absl::flat_hash_map<std::string, const tf::NodeDef*> node_defs;
  for (const tf::NodeDef& nd : pruned_def.node()) node_defs[nd.name()] = &nd;
  tf::GraphDef out;
  *out.mutable_versions() = pruned_def.versions();
  *out.mutable_library() = pruned_def.library();

  absl::flat_hash_map<std::string, std::string> const_node;  // folded tensor -> its Const
  auto read = [&](const Output& in) -> std::string {
    if (arg_nodes.contains(in.node) || !IsKnown(in)) return InputName(in.node->name(), in.index);
    const std::string key = CanonicalTensorName(in);
    auto it = const_node.find(key);
    if (it != const_node.end()) return it->second;
    const bool keep_name = in.index == 0 && !c.computed.contains(in.node);
    tf::NodeDef* nd = out.add_node();
    nd->set_name(keep_name ? in.node->name() : names.Make(absl::StrCat(in.node->name(), "/folded_output_", in.index)));
    nd->set_op("Const");
    const Tensor& value = *in.node->output_value(in.index);
    (*nd->mutable_attr())["dtype"] = MakeAttr(value.dtype());
    (*nd->mutable_attr())["value"] = MakeAttr(value);
    const_node[key] = nd->name();
    return nd->name();
  };
  for (const Node* n : order) {
    if (arg_nodes.contains(n)) {
      *out.add_node() = *node_defs.at(n->name());
      continue;
    }
    if (!c.computed.contains(n)) continue;
    std::vector<std::string> inputs;  // read() may add Const nodes, so before this node
    for (const Output& in : n->inputs()) inputs.push_back(read(in));
    tf::NodeDef* nd = out.add_node();
    *nd = *node_defs.at(n->name());
    nd->clear_input();
    for (std::string& in : inputs) nd->add_input(std::move(in));
  }
  return out;
}

}  // namespace

CompileRequest SpecializedGraph::MakeCompileRequest(std::string name) const {
  CompileRequest r;
  r.graph = graph.get();
  r.args = args;
  r.results = results;
  r.name = std::move(name);
  return r;
}

absl::StatusOr<SpecializedGraph> SpecializeGraph(const Graph& graph, const tf::GraphDef& def,
                                                 const ResolvedRequest& request) {
  NameSet fed;
  for (const ResolvedFeed& f : request.feeds) fed.insert(f.name);

  // ---- 1. Prune ----
  const Pruned pruned = Prune(request, fed);
  if (absl::Status s = CheckPlaceholdersFed(graph, pruned, fed); !s.ok()) return s;

  // ---- 2-3. The pruned graph, specialized to the fed shapes, constants folded ----
  FreshNames names(graph);
  absl::StatusOr<PrunedGraph> pruned_def = BuildPrunedGraphDef(graph, def, request, pruned, fed, names);
  if (!pruned_def.ok()) return pruned_def.status();
  ImportOptions import;
  import.infer_shapes = false;
  import.registry = &graph.registry();
  absl::StatusOr<std::unique_ptr<Graph>> g = GraphFromGraphDef(pruned_def->def, import);
  if (!g.ok()) return Prefixed(g.status(), "building the pruned graph: ");
  Graph& p = **g;
  if (absl::Status s = InferShapes(&p); !s.ok()) return Prefixed(s, "specializing to the fed shapes: ");
  if (absl::Status s = FoldConstants(&p); !s.ok()) return Prefixed(s, "folding constants: ");

  // ---- Results and where each fetch comes from ----
  SpecializedGraph sg;
  std::vector<Output> results;  // in the pruned graph
  std::vector<const Node*> effects;  // output-less host ops that run for their effect (in the pruned graph)
  absl::flat_hash_map<std::string, int> result_index;
  absl::flat_hash_map<std::string, int> feed_index;
  for (size_t i = 0; i < request.feeds.size(); ++i) feed_index[request.feeds[i].name] = static_cast<int>(i);
  auto in_pruned = [&](const Node* n, int index) -> absl::StatusOr<Output> {
    Node* pn = p.FindNode(n->name());
    if (pn == nullptr || index >= pn->num_outputs()) {
      return absl::InternalError(absl::StrCat("tensor '", n->name(), ":", index, "' is missing from the pruned graph"));
    }
    return Output(pn, index);
  };
  auto add_result = [&](const Output& o) {
    auto [it, inserted] = result_index.emplace(CanonicalTensorName(o), static_cast<int>(results.size()));
    if (inserted) results.push_back(o);
    return it->second;
  };
  for (size_t i = 0; i < request.fetches.size(); ++i) {
    if (auto f = feed_index.find(request.fetch_names[i]); f != feed_index.end()) {
      sg.fetch_sources.push_back({FetchSource::kFeed, f->second});
      continue;
    }
    absl::StatusOr<Output> o = in_pruned(request.fetches[i].node, request.fetches[i].index);
    if (!o.ok()) return o.status();
    if (IsKnown(*o)) {
      sg.fetch_sources.push_back({FetchSource::kConstant, static_cast<int>(sg.constants.size())});
      sg.constants.push_back(*o->node->output_value(o->index));
      continue;
    }
    sg.fetch_sources.push_back({FetchSource::kResult, add_result(*o)});
  }
  // Targets and control dependencies run: their outputs become results nobody reads.
  for (const Node* n : pruned.effect_nodes) {
    if (IsFedPlaceholder(*n, fed)) continue;
    if (n->num_outputs() == 0 && n->op() != "NoOp" && !n->op_registration().lower) {
      if (!RunsOnHost(*n)) return absl::UnimplementedError(NoLoweringMessage(*n));  // e.g. Assert
      const Node* in_p = p.FindNode(n->name());
      if (in_p == nullptr) return absl::InternalError(absl::StrCat("effect node '", n->name(), "' was pruned"));
      effects.push_back(in_p);
    }
    for (int k = 0; k < n->num_outputs(); ++k) {
      absl::StatusOr<Output> o = in_pruned(n, k);
      if (!o.ok()) return o.status();
      if (!fed.contains(CanonicalTensorName(Output(o->node, k))) && !IsKnown(*o)) add_result(*o);
    }
  }

  // ---- 4. What runs, and whether it can ----
  absl::flat_hash_set<const Node*> arg_nodes;
  std::vector<std::pair<const Node*, int>> arg_candidates;  // Placeholder node, feed
  for (size_t i = 0; i < request.feeds.size(); ++i) {
    if (pruned_def->feed_node[i].empty()) continue;
    const Node* a = p.FindNode(pruned_def->feed_node[i]);
    if (a == nullptr) return absl::InternalError(absl::StrCat("fed tensor '", request.feeds[i].name, "' lost its Placeholder"));
    arg_nodes.insert(a);
    arg_candidates.emplace_back(a, static_cast<int>(i));
  }
  const Computation computation = FindComputation(results, effects, arg_nodes);
  absl::StatusOr<std::vector<Node*>> order = p.TopologicalOrder();
  if (!order.ok()) return order.status();
  sg.needs_host_stages = NeedsHostStages(computation);
  if (absl::Status s = CheckComputable(*order, computation, request, sg.needs_host_stages); !s.ok()) return s;
  if (results.empty() && effects.empty()) return sg;  // every fetch is fed or folded: nothing to compile

  // ---- 5. The graph the backend compiles ----
  absl::flat_hash_set<const Node*> used_args;  // arguments that computed nodes read
  for (const Node* n : computation.computed) {
    for (const Output& in : n->inputs()) {
      if (arg_nodes.contains(in.node)) used_args.insert(in.node);
    }
  }
  absl::StatusOr<tf::GraphDef> compute_def =
      BuildComputeGraphDef(p, pruned_def->def, *order, computation, used_args, names);
  if (!compute_def.ok()) return compute_def.status();
  absl::StatusOr<std::unique_ptr<Graph>> cg = GraphFromGraphDef(*compute_def, import);
  if (!cg.ok()) return Prefixed(cg.status(), "building the graph to compile: ");
  sg.graph = *std::move(cg);
  if (absl::Status s = InferShapes(sg.graph.get()); !s.ok()) return Prefixed(s, "building the graph to compile: ");
  for (const auto& [node, feed] : arg_candidates) {
    if (!used_args.contains(node)) continue;
    sg.args.push_back(Output(sg.graph->FindNode(node->name()), 0));
    sg.arg_feeds.push_back(feed);
  }
  for (const Output& r : results) {
    Node* n = sg.graph->FindNode(r.node->name());
    if (n == nullptr || r.index >= n->num_outputs() ||
        (!sg.needs_host_stages && !n->output_shape(r.index).IsFullyDefined())) {
      return absl::InternalError(absl::StrCat("result '", r.name(), "' did not survive building the graph to compile"));
    }
    sg.results.emplace_back(n, r.index);
  }
  return sg;
}

}  // namespace strata
