// Session: request resolution (run_request.h) -> executable cache keyed by signature ->
// specialization (specialize.h) + backend Compile on a miss -> Executable::Run.
#include "runtime/session.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "graph/graph_def_io.h"
#include "runtime/backends.h"
#include "runtime/control_flow_regions.h"
#include "runtime/device_placement.h"
#include "runtime/optimizer_expansion.h"
#include "runtime/run_request.h"
#include "runtime/specialize.h"
#include "runtime/staged.h"

namespace strata {

// What one signature compiled to. Immutable once built, shared by the cache and running calls.
struct Session::Plan {
  SpecializedGraph specialized;
  std::unique_ptr<Executable> executable;  // null when nothing needs computing
};

namespace {

using Clock = std::chrono::steady_clock;

// A result as the caller gets it: a host tensor sharing its buffer with nothing. It is handed out
// as is when nothing else holds its buffer (a device copy, if any, dropped); otherwise (a
// constant the executable keeps, a repeated fetch, a variable's value) the caller gets a copy.
absl::StatusOr<Tensor> Owned(Tensor t) {
  if (t.buffer() != nullptr && t.buffer().use_count() > 1) {
    if (absl::Status s = t.SyncToHost(); !s.ok()) return s;
    return t.Clone();
  }
  return HostOnly(std::move(t));
}

}  // namespace

Session::Session(const Graph& graph, SessionOptions options) {
  Init(GraphToGraphDef(graph), &graph.registry(), std::move(options));
}

Session::Session(const tf::GraphDef& graph_def, SessionOptions options) {
  Init(graph_def, &OpRegistry::Global(), std::move(options));
}

Session::~Session() = default;

absl::StatusOr<std::unique_ptr<Session>> Session::Create(const Graph& graph, SessionOptions options) {
  auto session = std::make_unique<Session>(graph, std::move(options));
  if (!session->status().ok()) return session->status();
  return session;
}

absl::StatusOr<std::unique_ptr<Session>> Session::Create(const tf::GraphDef& graph_def, SessionOptions options) {
  auto session = std::make_unique<Session>(graph_def, std::move(options));
  if (!session->status().ok()) return session->status();
  return session;
}

void Session::Init(const tf::GraphDef& graph_def, const OpRegistry* registry, SessionOptions options) {
  graph_def_ = graph_def;
  // Optimizer updates become compiled arithmetic + Assigns (runtime/optimizer_expansion.h).
  if (absl::Status s = ExpandOptimizerOps(&graph_def_); !s.ok()) {
    init_status_ = absl::Status(s.code(), absl::StrCat("Session: ", s.message()));
    graph_ = std::make_unique<Graph>(registry);
    return;
  }
  // TF1 conds and while loops become host ops run by a dataflow executor (control_flow_regions.h).
  if (absl::StatusOr<int> regions = CollapseControlFlowRegions(&graph_def_, *registry); !regions.ok()) {
    init_status_ = absl::Status(regions.status().code(), absl::StrCat("Session: ", regions.status().message()));
    graph_ = std::make_unique<Graph>(registry);
    return;
  }
  ImportOptions import;
  import.registry = registry;
  import.infer_shapes = true;
  absl::StatusOr<std::unique_ptr<Graph>> graph = GraphFromGraphDef(graph_def_, import);
  if (!graph.ok()) {
    init_status_ = absl::Status(graph.status().code(), absl::StrCat("Session: ", graph.status().message()));
    graph_ = std::make_unique<Graph>(registry);
    return;
  }
  graph_ = *std::move(graph);
  if (options.custom_backend != nullptr) {
    backend_ = std::move(options.custom_backend);
  } else {
    absl::StatusOr<std::unique_ptr<Backend>> backend = CreateBackend(options.backend);
    if (!backend.ok()) {
      init_status_ = absl::Status(backend.status().code(), absl::StrCat("Session: ", backend.status().message()));
      return;
    }
    backend_ = *std::move(backend);
  }
  absl::StatusOr<bool> placed = HasPlacedNodes(*graph_);
  if (!placed.ok()) {
    init_status_ = absl::Status(placed.status().code(), absl::StrCat("Session: ", placed.status().message()));
    return;
  }
  if (*placed) {
    PlacementOptions placement;
    placement.allow_soft_placement = options.allow_soft_placement;
    placement.gpu_backend = options.gpu_backend;
    backend_ = std::make_shared<PlacingBackend>(std::move(backend_), std::move(placement));
  }
  if (options.allow_tf32) backend_ = std::make_shared<AllowTf32Backend>(std::move(backend_));
  thread_pool_ = std::make_unique<ThreadPool>(options.num_threads);
}

std::string Session::backend_name() const { return backend_ ? backend_->name() : ""; }

SessionStats Session::stats() const {
  SessionStats s;
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    s = stats_;
  }
  std::lock_guard<std::mutex> lock(cache_mu_);
  s.cached_signatures = static_cast<int64_t>(cache_.size());
  return s;
}

Session::PlanOrError Session::Compile(const ResolvedRequest& request) {
  auto plan = std::make_shared<Plan>();
  absl::StatusOr<SpecializedGraph> specialized = SpecializeGraph(*graph_, graph_def_, request);
  if (!specialized.ok()) return specialized.status();
  plan->specialized = *std::move(specialized);
  if (plan->specialized.results.empty() && !plan->specialized.needs_host_stages) {
    return std::shared_ptr<const Plan>(std::move(plan));
  }
  absl::StatusOr<std::unique_ptr<Executable>> executable;
  if (plan->specialized.needs_host_stages) {
    // Host ops with data-dependent shapes: clusters compile when they first run (staged.h).
    SpecializedGraph& sg = plan->specialized;
    absl::StatusOr<std::unique_ptr<StagedExecutable>> staged =
        StagedExecutable::Create(std::move(sg.graph), sg.args, sg.results, backend_.get(), &compile_mu_);
    if (!staged.ok()) return staged.status();
    executable = std::unique_ptr<Executable>(*std::move(staged));
  } else {
    std::lock_guard<std::mutex> lock(compile_mu_);
    executable = backend_->Compile(plan->specialized.MakeCompileRequest("main"));
  }
  if (!executable.ok()) return executable.status();
  plan->executable = *std::move(executable);
  return std::shared_ptr<const Plan>(std::move(plan));
}

Session::PlanOrError Session::GetOrCompile(const ResolvedRequest& request) {
  std::shared_future<PlanOrError> future;
  std::promise<PlanOrError> promise;
  bool compile_here = false;
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto [it, inserted] = cache_.try_emplace(request.signature);
    if (inserted) {
      it->second = promise.get_future().share();
      compile_here = true;
    }
    future = it->second;
  }
  if (!compile_here) {
    {
      std::lock_guard<std::mutex> lock(stats_mu_);
      ++stats_.cache_hits;
    }
    return future.get();
  }

  const Clock::time_point start = Clock::now();
  PlanOrError plan = Compile(request);
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (plan.ok()) {
    std::lock_guard<std::mutex> lock(stats_mu_);
    if ((*plan)->executable != nullptr) ++stats_.compiles;
    stats_.last_compile_ms = ms;
    stats_.total_compile_ms += ms;
  } else {
    // Errors are not cached: the next call with this signature tries again (and reports again).
    std::lock_guard<std::mutex> lock(cache_mu_);
    cache_.erase(request.signature);
  }
  promise.set_value(plan);
  return plan;
}

absl::Status Session::Run(const std::vector<std::pair<std::string, Tensor>>& feeds,
                          const std::vector<std::string>& fetches, const std::vector<std::string>& targets,
                          std::vector<Tensor>* outputs) {
  if (outputs != nullptr) outputs->clear();
  if (!init_status_.ok()) return init_status_;
  if (outputs == nullptr && !fetches.empty()) return absl::InvalidArgumentError("Run: outputs is null");

  absl::StatusOr<ResolvedRequest> request = ResolveRunRequest(*graph_, feeds, fetches, targets);
  if (!request.ok()) return request.status();
  PlanOrError plan_or = GetOrCompile(*request);
  if (!plan_or.ok()) return plan_or.status();
  const Plan& plan = **plan_or;
  const SpecializedGraph& sg = plan.specialized;

  std::vector<Tensor> results;
  if (plan.executable != nullptr) {
    std::vector<Tensor> args;
    args.reserve(sg.arg_feeds.size());
    for (int f : sg.arg_feeds) args.push_back(*request->feeds[f].value);
    RunOptions run_options;
    run_options.thread_pool = thread_pool_.get();
    run_options.variables = &variables_;
    // A staged run (a training step) may leave results on a GPU: those that are only targets'
    // outputs then never come to the host, and Owned() below brings the fetched ones. A single
    // compiled call copies its results back itself, in one batch with one synchronize.
    run_options.results_may_stay_on_device = sg.needs_host_stages;
    if (absl::Status s = plan.executable->Run(args, &results, run_options); !s.ok()) return s;
    if (results.size() != sg.results.size()) {
      return absl::InternalError(absl::StrCat("the ", backend_->name(), " executable returned ", results.size(),
                                              " results, expected ", sg.results.size()));
    }
    for (size_t i = 0; i < results.size(); ++i) {
      const Output& r = sg.results[i];
      // Staged graphs may have data-dependent dims (-1) in r.shape().
      if (!results[i].valid() || results[i].dtype() != BaseDType(r.dtype()) ||
          !results[i].shape().IsCompatibleWith(r.shape())) {
        return absl::InternalError(absl::StrCat(
            "the ", backend_->name(), " executable returned ", results[i].valid() ? results[i].DebugString(0) : "an invalid tensor",
            " for '", r.name(), "', expected ", DTypeName(BaseDType(r.dtype())), r.shape().ToString()));
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ++stats_.runs;
  }
  if (outputs == nullptr) return absl::OkStatus();
  outputs->reserve(fetches.size());
  std::vector<int> handed_out(results.size(), -1);  // result -> index in outputs
  for (const FetchSource& source : sg.fetch_sources) {
    if (source.kind == FetchSource::kFeed) {
      outputs->push_back(request->feeds[source.index].value->Clone());
    } else if (source.kind == FetchSource::kConstant) {
      outputs->push_back(sg.constants[source.index].Clone());
    } else if (handed_out[source.index] >= 0) {
      outputs->push_back((*outputs)[handed_out[source.index]].Clone());
    } else {
      handed_out[source.index] = static_cast<int>(outputs->size());
      absl::StatusOr<Tensor> owned = Owned(std::move(results[source.index]));
      if (!owned.ok()) return owned.status();
      outputs->push_back(*std::move(owned));
    }
  }
  return absl::OkStatus();
}

absl::Status Session::Run(absl::Span<const FeedItem> feeds, absl::Span<const Output> fetches,
                          absl::Span<const Node* const> targets, std::vector<Tensor>* outputs) {
  if (outputs != nullptr) outputs->clear();
  std::vector<std::pair<std::string, Tensor>> named_feeds;
  named_feeds.reserve(feeds.size());
  for (const FeedItem& f : feeds) {
    if (!f.tensor.valid()) return absl::InvalidArgumentError("feed: invalid (null) Output");
    named_feeds.emplace_back(absl::StrCat(f.tensor.node->name(), ":", f.tensor.index), f.value);
  }
  std::vector<std::string> fetch_names;
  fetch_names.reserve(fetches.size());
  for (const Output& o : fetches) {
    if (!o.valid()) return absl::InvalidArgumentError("fetch: invalid (null) Output");
    fetch_names.push_back(absl::StrCat(o.node->name(), ":", o.index));
  }
  std::vector<std::string> target_names;
  target_names.reserve(targets.size());
  for (const Node* n : targets) {
    if (n == nullptr) return absl::InvalidArgumentError("target: null node");
    target_names.push_back(n->name());
  }
  return Run(named_feeds, fetch_names, target_names, outputs);
}

}  // namespace strata
