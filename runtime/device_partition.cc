// See device_partition.h.
#include "runtime/device_partition.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/attr_value.h"
#include "graph/graph_def_io.h"
#include "graph/shape_inference.h"
#include "graph/status_nodes.h"
#include "runtime/run_request.h"

namespace strata {

namespace {

// A tensor the partitioned run passes between clusters: an argument, a cluster's output, or a
// Const the request returns as a result. Runs keep them in a vector indexed by slot.
using Slot = int;

struct Cluster {
  int stage = 0;
  int device = 0;
  std::vector<const Node*> nodes;  // in topological order
  std::vector<Slot> inputs;        // one per Placeholder of `graph`, in argument order
  std::vector<std::string> input_names;  // those Placeholders
  std::vector<Slot> outputs;       // one per result of `executable`
  std::unique_ptr<Graph> graph;    // what was compiled (kept alive with the executable)
  std::unique_ptr<Executable> executable;
};

class PartitionedExecutable : public Executable {
 public:
  PartitionedExecutable(std::vector<std::string> device_names, std::vector<Cluster> clusters, int num_args,
                        std::vector<std::pair<Slot, Tensor>> constants, int num_slots, std::vector<Slot> results)
      : device_names_(std::move(device_names)),
        clusters_(std::move(clusters)),
        num_args_(num_args),
        constants_(std::move(constants)),
        num_slots_(num_slots),
        results_(std::move(results)) {}

  absl::Status Run(absl::Span<const Tensor> args, std::vector<Tensor>* results,
                   const RunOptions& options) const override {
    if (results == nullptr) return absl::InvalidArgumentError("Run: results must not be null");
    if (static_cast<int>(args.size()) != num_args_) {
      return absl::InvalidArgumentError(absl::StrCat("Run: expected ", num_args_, " arguments, got ", args.size()));
    }
    std::vector<Tensor> slots(num_slots_);
    for (int i = 0; i < num_args_; ++i) slots[i] = args[i];
    for (const auto& [slot, value] : constants_) slots[slot] = value;
    // Between clusters, a GPU cluster's outputs stay on its device: the next GPU cluster reads
    // them in place, and a CPU cluster copies them down itself (CpuExecutable syncs its arguments).
    RunOptions cluster_options = options;
    cluster_options.results_may_stay_on_device = true;
    std::vector<Tensor> cluster_args, cluster_results;
    for (const Cluster& c : clusters_) {
      cluster_args.clear();
      for (Slot s : c.inputs) cluster_args.push_back(slots[s]);
      if (absl::Status s = c.executable->Run(cluster_args, &cluster_results, cluster_options); !s.ok()) return s;
      if (cluster_results.size() != c.outputs.size()) {
        return absl::InternalError(absl::StrCat("a ", device_names_[c.device], " cluster returned ",
                                                cluster_results.size(), " results, expected ", c.outputs.size()));
      }
      for (size_t i = 0; i < c.outputs.size(); ++i) slots[c.outputs[i]] = std::move(cluster_results[i]);
    }
    results->clear();
    results->reserve(results_.size());
    for (Slot s : results_) {
      if (!options.results_may_stay_on_device) {  // brought to the host once per slot
        absl::StatusOr<Tensor> host = HostOnly(std::move(slots[s]));
        if (!host.ok()) return host.status();
        slots[s] = *std::move(host);
      }
      results->push_back(slots[s]);
    }
    return absl::OkStatus();
  }

  std::string DebugString() const override {
    std::string s = absl::StrCat("// partitioned over ", clusters_.size(), " clusters\n");
    for (size_t i = 0; i < clusters_.size(); ++i) {
      const Cluster& c = clusters_[i];
      std::vector<std::string> names;
      for (const Node* n : c.nodes) names.push_back(n->name());
      absl::StrAppend(&s, "// cluster ", i, " (stage ", c.stage, ") on ", device_names_[c.device], ": ",
                      absl::StrJoin(names, ", "), "\n");
    }
    for (size_t i = 0; i < clusters_.size(); ++i) {
      absl::StrAppend(&s, "// ---- cluster ", i, " ----\n", clusters_[i].executable->DebugString());
    }
    return s;
  }

 private:
  std::vector<std::string> device_names_;
  std::vector<Cluster> clusters_;  // in run order
  int num_args_;
  std::vector<std::pair<Slot, Tensor>> constants_;
  int num_slots_;
  std::vector<Slot> results_;
};

}  // namespace

std::vector<const Node*> ComputedNodes(const CompileRequest& request) {
  absl::flat_hash_set<const Node*> arg_nodes;
  for (const Output& a : request.args) arg_nodes.insert(a.node);
  std::vector<const Node*> computed;
  for (const std::unique_ptr<Node>& n : request.graph->nodes()) {
    if (!arg_nodes.contains(n.get()) && n->op() != "Const") computed.push_back(n.get());
  }
  return computed;
}

absl::StatusOr<std::unique_ptr<Executable>> CompilePartitioned(const CompileRequest& request,
                                                               const std::vector<std::string>& device_names,
                                                               const std::function<int(const Node&)>& device_of,
                                                               const CompileForDevice& compile) {
  if (request.graph == nullptr) return absl::InvalidArgumentError("CompilePartitioned: no graph");
  const Graph& graph = *request.graph;
  absl::StatusOr<std::vector<Node*>> order = graph.TopologicalOrder();
  if (!order.ok()) return order.status();

  // Slots: the arguments first, in order.
  absl::flat_hash_map<std::string, Slot> slot_of;
  int num_slots = 0;
  absl::flat_hash_set<std::string> arg_keys;
  absl::flat_hash_set<const Node*> arg_nodes;
  for (const Output& a : request.args) {
    if (!a.valid()) return absl::InvalidArgumentError("CompilePartitioned: invalid argument tensor");
    arg_keys.insert(CanonicalTensorName(a));
    arg_nodes.insert(a.node);
    slot_of.emplace(CanonicalTensorName(a), num_slots++);
  }
  auto is_arg = [&](const Output& o) { return arg_keys.contains(CanonicalTensorName(o)); };

  // What the results need: walk back from them, stopping at arguments and Consts.
  absl::flat_hash_set<const Node*> needed;
  {
    std::vector<const Node*> stack;
    for (const Output& r : request.results) {
      if (!r.valid()) return absl::InvalidArgumentError("CompilePartitioned: invalid result tensor");
      if (!is_arg(r) && r.node->op() != "Const") stack.push_back(r.node);
    }
    while (!stack.empty()) {
      const Node* n = stack.back();
      stack.pop_back();
      if (!needed.insert(n).second) continue;
      for (const Output& in : n->inputs()) {
        if (is_arg(in) || in.node->op() == "Const") continue;
        if (arg_nodes.contains(in.node)) {
          return absl::InvalidArgumentError(absl::StrCat("CompilePartitioned: '", n->name(), "' reads ", in.name(),
                                                         ", an output of an argument's node that is not fed"));
        }
        stack.push_back(in.node);
      }
      for (const Node* c : n->control_inputs()) {
        if (!arg_nodes.contains(c) && c->op() != "Const") stack.push_back(c);
      }
    }
  }

  // Stages and clusters.
  const int num_devices = static_cast<int>(device_names.size());
  std::map<std::pair<int, int>, int> cluster_index;  // (stage, device) -> index into clusters
  std::vector<Cluster> clusters;
  absl::flat_hash_map<const Node*, int> cluster_of;
  for (const Node* n : *order) {
    if (!needed.contains(n)) continue;
    const int d = device_of(*n);
    if (d < 0 || d >= num_devices) {
      return absl::InternalError(absl::StrCat("CompilePartitioned: node '", n->name(), "' placed on device ", d,
                                              " of ", num_devices));
    }
    int s = 0;
    auto after = [&](const Node* in) {
      if (!needed.contains(in)) return;
      const Cluster& from = clusters[cluster_of.at(in)];
      s = std::max(s, from.stage + (from.device != d ? 1 : 0));
    };
    for (const Output& in : n->inputs()) after(in.node);
    for (const Node* c : n->control_inputs()) after(c);
    auto [it, inserted] = cluster_index.try_emplace({s, d}, static_cast<int>(clusters.size()));
    if (inserted) {
      clusters.emplace_back();
      clusters.back().stage = s;
      clusters.back().device = d;
    }
    clusters[it->second].nodes.push_back(n);
    cluster_of[n] = it->second;
  }
  // Run order: by stage, then by device.
  std::vector<int> run_order(clusters.size());
  for (size_t i = 0; i < clusters.size(); ++i) run_order[i] = static_cast<int>(i);
  std::sort(run_order.begin(), run_order.end(), [&](int a, int b) {
    return std::make_pair(clusters[a].stage, clusters[a].device) < std::make_pair(clusters[b].stage, clusters[b].device);
  });

  // A cluster's outputs: its tensors that another cluster reads, and the results it computes.
  std::vector<std::vector<Output>> outputs(clusters.size());
  auto add_output = [&](const Output& o) {
    const std::string key = CanonicalTensorName(o);
    if (slot_of.contains(key)) return;
    slot_of.emplace(key, num_slots++);
    outputs[cluster_of.at(o.node)].push_back(o);
  };
  for (const Node* n : *order) {
    if (!needed.contains(n)) continue;
    for (const Output& in : n->inputs()) {
      if (needed.contains(in.node) && !is_arg(in) && cluster_of.at(in.node) != cluster_of.at(n)) add_output(in);
    }
  }
  std::vector<std::pair<Slot, Tensor>> constants;
  std::vector<Slot> result_slots;
  for (const Output& r : request.results) {
    const std::string key = CanonicalTensorName(r);
    if (!is_arg(r) && r.node->op() == "Const" && !slot_of.contains(key)) {
      Tensor value;
      if (absl::Status s = GetAttr(r.node->attrs(), "value", &value); !s.ok()) return r.node->Annotate(s);
      slot_of.emplace(key, num_slots);
      constants.emplace_back(num_slots++, std::move(value));
    } else if (!slot_of.contains(key)) {
      add_output(r);
    }
    result_slots.push_back(slot_of.at(key));
  }

  // Each cluster as a graph of its own: Placeholders for what it reads from outside, copies of
  // the Consts it reads, its nodes (control inputs from outside dropped: the stages order them).
  const tf::GraphDef def = GraphToGraphDef(graph);
  absl::flat_hash_map<std::string, const tf::NodeDef*> node_defs;
  for (const tf::NodeDef& nd : def.node()) node_defs[nd.name()] = &nd;
  ImportOptions import;
  import.registry = &graph.registry();
  import.infer_shapes = false;
  for (size_t ci = 0; ci < clusters.size(); ++ci) {
    Cluster& c = clusters[ci];
    tf::GraphDef cluster_def;
    absl::flat_hash_map<std::string, std::string> placeholder_for;  // outside tensor -> Placeholder name
    absl::flat_hash_set<std::string> consts;
    for (const Node* n : c.nodes) {
      tf::NodeDef nd = *node_defs.at(n->name());
      nd.clear_input();
      for (const Output& in : n->inputs()) {
        const std::string key = CanonicalTensorName(in);
        if (!is_arg(in) && in.node->op() == "Const") {
          if (consts.insert(in.node->name()).second) *cluster_def.add_node() = *node_defs.at(in.node->name());
          nd.add_input(key);
          continue;
        }
        if (!is_arg(in) && cluster_of.at(in.node) == static_cast<int>(ci)) {
          nd.add_input(key);
          continue;
        }
        auto [it, inserted] = placeholder_for.try_emplace(key, absl::StrCat("partition_input_", placeholder_for.size()));
        if (inserted) {
          while (node_defs.contains(it->second)) it->second += "_";
          tf::NodeDef* ph = cluster_def.add_node();
          ph->set_name(it->second);
          ph->set_op("Placeholder");
          (*ph->mutable_attr())["dtype"] = MakeAttr(BaseDType(in.dtype()));
          (*ph->mutable_attr())["shape"] = MakeAttr(in.shape());
          c.inputs.push_back(slot_of.at(key));
          c.input_names.push_back(it->second);
        }
        nd.add_input(it->second);
      }
      for (const Node* ctl : n->control_inputs()) {
        if (cluster_of.contains(ctl) && cluster_of.at(ctl) == static_cast<int>(ci)) nd.add_input("^" + ctl->name());
      }
      *cluster_def.add_node() = std::move(nd);
    }
    absl::StatusOr<std::unique_ptr<Graph>> g = GraphFromGraphDef(cluster_def, import);
    if (!g.ok()) return Prefixed(g.status(), "partitioning the graph over devices: ");
    if (absl::Status s = InferShapes(g->get()); !s.ok()) return Prefixed(s, "partitioning the graph over devices: ");
    c.graph = *std::move(g);
    for (const Output& o : outputs[ci]) c.outputs.push_back(slot_of.at(CanonicalTensorName(o)));
  }

  // A cluster whose values no other cluster and no result reads computes nothing needed (the
  // request lists what runs for its effect among the results).
  run_order.erase(std::remove_if(run_order.begin(), run_order.end(), [&](int ci) { return outputs[ci].empty(); }),
                  run_order.end());

  // Compile: device 0's clusters first.
  std::vector<int> compile_order = run_order;
  std::stable_sort(compile_order.begin(), compile_order.end(),
                   [&](int a, int b) { return clusters[a].device < clusters[b].device; });
  for (int ci : compile_order) {
    Cluster& c = clusters[ci];
    CompileRequest sub;
    sub.graph = c.graph.get();
    sub.name = absl::StrCat(request.name, "_", ci);
    sub.allow_tf32 = request.allow_tf32;
    for (const std::string& name : c.input_names) sub.args.emplace_back(c.graph->FindNode(name), 0);
    for (const Output& o : outputs[ci]) sub.results.emplace_back(c.graph->FindNode(o.node->name()), o.index);
    absl::StatusOr<std::unique_ptr<Executable>> exe = compile(c.device, sub);
    if (!exe.ok()) {
      return Prefixed(exe.status(), absl::StrCat("compiling the ", device_names[c.device], " part of '", request.name,
                                                 "' (", c.nodes.size(), " nodes): "));
    }
    c.executable = *std::move(exe);
  }

  std::vector<Cluster> ordered;
  ordered.reserve(clusters.size());
  for (int ci : run_order) ordered.push_back(std::move(clusters[ci]));
  return std::unique_ptr<Executable>(new PartitionedExecutable(device_names, std::move(ordered),
                                                               static_cast<int>(request.args.size()),
                                                               std::move(constants), num_slots, std::move(result_slots)));
}

}  // namespace strata
