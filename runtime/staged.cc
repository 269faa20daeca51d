// Staged execution of graphs with host-kernel ops (see staged.h).
#include "runtime/staged.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "graph/attr_value.h"
#include "graph/graph_def_io.h"
#include "ops/host_kernel.h"
#include "runtime/control_flow_host_eval.h"
#include "runtime/run_request.h"
#include "runtime/specialize.h"
#include "runtime/variables.h"

namespace strata {

struct StagedExecutable::Stage {
  // The compiled cluster's inputs (tensors it reads that other stages or the arguments produce)
  // and outputs (tensors of the cluster that other stages read, or results). No outputs: the
  // stage has no compiled part.
  std::vector<std::string> feeds;
  std::vector<std::string> fetches;
  std::vector<const Node*> host_ops;  // in graph order
};

struct StagedExecutable::CompiledCluster {
  SpecializedGraph specialized;
  std::unique_ptr<Executable> executable;  // null when every fetch folded
};

StagedExecutable::~StagedExecutable() = default;

absl::StatusOr<std::unique_ptr<StagedExecutable>> StagedExecutable::Create(std::unique_ptr<Graph> graph,
                                                                           std::vector<Output> args,
                                                                           std::vector<Output> results, Backend* backend,
                                                                           std::mutex* compile_mu) {
  std::unique_ptr<StagedExecutable> e(new StagedExecutable());
  absl::StatusOr<std::vector<Node*>> order = graph->TopologicalOrder();
  if (!order.ok()) return order.status();

  absl::flat_hash_set<const Node*> arg_nodes;
  for (const Output& a : args) {
    arg_nodes.insert(a.node);
    e->arg_names_.push_back(CanonicalTensorName(a));
  }
  absl::flat_hash_map<const Node*, int> stage;
  int num_stages = 1;
  for (const Node* n : *order) {
    int s = 0;
    if (!arg_nodes.contains(n) && n->op() != "Const") {
      for (const Output& in : n->inputs()) {
        const int after = stage[in.node] + (RunsOnHostInStages(*in.node) && !RunsOnHostInStages(*n) ? 1 : 0);
        s = std::max(s, after);
      }
      // Control edges order too: a read after an assignment it waits for sees the new value.
      for (const Node* c : n->control_inputs()) s = std::max(s, stage[c] + (RunsOnHostInStages(*c) && !RunsOnHostInStages(*n) ? 1 : 0));
    }
    stage[n] = s;
    num_stages = std::max(num_stages, s + 1);
  }
  e->stages_.resize(num_stages);

  // A compiled node's output is a cluster output when a node of another stage, a host op, or
  // the caller reads it; a tensor a cluster reads from outside is one of its inputs.
  auto compiled = [&](const Node* n) { return !arg_nodes.contains(n) && n->op() != "Const" && !RunsOnHostInStages(*n); };
  std::vector<absl::flat_hash_set<std::string>> fetch_sets(num_stages), feed_sets(num_stages);
  auto add_fetch = [&](const Output& o) {
    if (!compiled(o.node)) return;
    std::string name = CanonicalTensorName(o);
    if (fetch_sets[stage[o.node]].insert(name).second) e->stages_[stage[o.node]].fetches.push_back(std::move(name));
  };
  for (const Node* n : *order) {
    if (RunsOnHostInStages(*n)) e->stages_[stage[n]].host_ops.push_back(n);
    for (const Output& in : n->inputs()) {
      if (in.node->op() == "Const") {
        if (RunsOnHostInStages(*n)) {
          Tensor value;
          if (absl::Status s = GetAttr(in.node->attrs(), "value", &value); !s.ok()) return in.node->Annotate(s);
          e->constants_[CanonicalTensorName(in)] = std::move(value);
        }
        continue;
      }
      if (!compiled(n)) {
        add_fetch(in);
        continue;
      }
      if (compiled(in.node) && stage[in.node] == stage[n]) continue;
      add_fetch(in);
      std::string name = CanonicalTensorName(in);
      if (feed_sets[stage[n]].insert(name).second) e->stages_[stage[n]].feeds.push_back(std::move(name));
    }
  }
  for (const Output& r : results) {
    add_fetch(r);
    if (r.node->op() == "Const") {
      Tensor value;
      if (absl::Status s = GetAttr(r.node->attrs(), "value", &value); !s.ok()) return r.node->Annotate(s);
      e->constants_[CanonicalTensorName(r)] = std::move(value);
    }
    e->result_names_.push_back(CanonicalTensorName(r));
  }

  e->def_ = GraphToGraphDef(*graph);
  e->graph_ = std::move(graph);
  e->backend_ = backend;
  e->compile_mu_ = compile_mu;
  e->cache_.resize(num_stages);
  return e;
}

int StagedExecutable::num_stages() const { return static_cast<int>(stages_.size()); }

int StagedExecutable::num_compiled_clusters() const {
  std::lock_guard<std::mutex> lock(cache_mu_);
  int n = 0;
  for (const auto& c : cache_) n += static_cast<int>(c.size());
  return n;
}

absl::StatusOr<std::shared_ptr<const StagedExecutable::CompiledCluster>> StagedExecutable::GetCluster(
    int stage, const ResolvedRequest& request) const {
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_[stage].find(request.signature);
    if (it != cache_[stage].end()) return it->second;
  }
  // Two threads may compile the same new cluster at once; the first to finish is kept.
  auto cluster = std::make_shared<CompiledCluster>();
  absl::StatusOr<SpecializedGraph> sg = SpecializeGraph(*graph_, def_, request);
  if (!sg.ok()) return sg.status();
  if (sg->needs_host_stages) return absl::InternalError("a compiled cluster contains a host op");
  cluster->specialized = *std::move(sg);
  if (!cluster->specialized.results.empty()) {
    std::unique_lock<std::mutex> lock;
    if (compile_mu_ != nullptr) lock = std::unique_lock<std::mutex>(*compile_mu_);
    absl::StatusOr<std::unique_ptr<Executable>> exe =
        backend_->Compile(cluster->specialized.MakeCompileRequest(absl::StrCat("stage", stage)));
    if (!exe.ok()) return exe.status();
    cluster->executable = *std::move(exe);
  }
  std::lock_guard<std::mutex> lock(cache_mu_);
  auto [it, inserted] = cache_[stage].emplace(request.signature, std::move(cluster));
  return it->second;
}

absl::Status StagedExecutable::Run(absl::Span<const Tensor> args, std::vector<Tensor>* results,
                                   const RunOptions& options) const {
  if (results == nullptr) return absl::InvalidArgumentError("Run: results must not be null");
  if (args.size() != arg_names_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("Run: expected ", arg_names_.size(), " arguments, got ", args.size()));
  }
  // Every tensor computed so far, by canonical name.
  absl::flat_hash_map<std::string, Tensor> values = constants_;
  for (size_t i = 0; i < args.size(); ++i) values[arg_names_[i]] = args[i];
  const absl::flat_hash_set<std::string> is_arg(arg_names_.begin(), arg_names_.end());
  absl::flat_hash_map<std::string, const Node*> uninitialized;  // variable outputs without a value
  auto value_of = [&](const std::string& name) -> absl::StatusOr<Tensor> {
    auto it = values.find(name);
    if (it == values.end()) return absl::InternalError(absl::StrCat("staged run: tensor '", name, "' was not computed"));
    if (!it->second.valid()) {
      auto u = uninitialized.find(name);
      if (u != uninitialized.end()) return UninitializedError(*u->second);
      return absl::InternalError(absl::StrCat("staged run: tensor '", name, "' has no value"));
    }
    return it->second;
  };

  // Cluster results may stay on a GPU: the next cluster reads them in place, and an assigned
  // variable keeps its new value there for the next step. Host ops sync what they read.
  RunOptions cluster_options = options;
  cluster_options.results_may_stay_on_device = true;
  for (size_t s = 0; s < stages_.size(); ++s) {
    const Stage& stage = stages_[s];
    if (!stage.fetches.empty()) {
      std::vector<std::pair<std::string, Tensor>> feeds;
      for (const std::string& f : stage.feeds) {
        absl::StatusOr<Tensor> v = value_of(f);
        if (!v.ok()) return v.status();
        feeds.emplace_back(f, *std::move(v));
      }
      absl::StatusOr<ResolvedRequest> request = ResolveRunRequest(*graph_, feeds, stage.fetches, {});
      if (!request.ok()) return request.status();
      absl::StatusOr<std::shared_ptr<const CompiledCluster>> cluster = GetCluster(static_cast<int>(s), *request);
      if (!cluster.ok()) return cluster.status();
      const SpecializedGraph& sg = (*cluster)->specialized;
      std::vector<Tensor> outs;
      if ((*cluster)->executable != nullptr) {
        std::vector<Tensor> cluster_args;
        for (int f : sg.arg_feeds) cluster_args.push_back(feeds[f].second);
        if (absl::Status st = (*cluster)->executable->Run(cluster_args, &outs, cluster_options); !st.ok()) return st;
      }
      for (size_t i = 0; i < stage.fetches.size(); ++i) {
        const FetchSource& src = sg.fetch_sources[i];
        switch (src.kind) {
          case FetchSource::kFeed: values[stage.fetches[i]] = feeds[src.index].second; break;
          case FetchSource::kConstant: values[stage.fetches[i]] = sg.constants[src.index]; break;
          case FetchSource::kResult: values[stage.fetches[i]] = outs[src.index]; break;
        }
      }
    }
    for (const Node* n : stage.host_ops) {
      const bool state_op = IsStateOp(*n);
      std::vector<Tensor> inputs;
      for (int i = 0; i < static_cast<int>(n->inputs().size()); ++i) {
        const std::string name = CanonicalTensorName(n->inputs()[i]);
        if (state_op && n->op() == "Assign" && i == 0) {  // written, not read: may be uninitialized
          inputs.push_back(values[name]);
          continue;
        }
        absl::StatusOr<Tensor> v = value_of(name);
        if (!v.ok()) return v.status();
        // An assigned value is stored as it is, wherever it is; everything else is read here.
        const bool stored = state_op && (n->op() == "Assign" || n->op() == "AssignVariableOp") && i == 1;
        if (absl::Status st = stored ? absl::OkStatus() : v->SyncToHost(); !st.ok()) return n->Annotate(st);
        inputs.push_back(*std::move(v));
      }
      absl::StatusOr<std::vector<Tensor>> outs;
      if (state_op) {
        if (options.variables == nullptr) {
          return n->Annotate(absl::FailedPreconditionError("variables need a Session (no variable store given)"));
        }
        // A fed value must not become the variable's storage: the caller still owns it.
        if (n->inputs().size() > 1 && is_arg.contains(CanonicalTensorName(n->inputs()[1]))) inputs[1] = inputs[1].Clone();
        outs = RunStateOp(*n, inputs, *options.variables);
      } else {
        // A compiled op whose output shape depends on values runs on the host (control_flow_host_eval.h).
        outs = RunsOnHost(*n) ? RunHostKernel(*n, inputs) : EvaluateNodeOnValues(*n, inputs);
      }
      if (!outs.ok()) return outs.status();
      for (int k = 0; k < static_cast<int>(outs->size()); ++k) {
        const std::string name = CanonicalTensorName(Output(const_cast<Node*>(n), k));
        if (!(*outs)[k].valid()) uninitialized[name] = n;
        values[name] = std::move((*outs)[k]);
      }
    }
  }
  std::vector<Tensor> out;
  out.reserve(result_names_.size());
  for (const std::string& r : result_names_) {
    absl::StatusOr<Tensor> v = value_of(r);
    if (!v.ok()) return v.status();
    if (!options.results_may_stay_on_device) {
      absl::StatusOr<Tensor> host = HostOnly(*std::move(v));
      if (!host.ok()) return host.status();
      v = *std::move(host);
    }
    out.push_back(*std::move(v));
  }
  *results = std::move(out);
  return absl::OkStatus();
}

std::string StagedExecutable::DebugString() const {
  std::string s = absl::StrCat("// staged: ", stages_.size(), " stages\n");
  for (size_t i = 0; i < stages_.size(); ++i) {
    absl::StrAppend(&s, "// stage ", i, ": cluster reads ", stages_[i].feeds.size(), " tensors, writes ",
                    stages_[i].fetches.size(), "; host ops:");
    for (const Node* n : stages_[i].host_ops) absl::StrAppend(&s, " ", n->name(), " (", n->op(), ")");
    absl::StrAppend(&s, "\n");
  }
  return s;
}

}  // namespace strata
