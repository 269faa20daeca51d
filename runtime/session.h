// Session: runs a graph with TensorFlow 1.x semantics, compiling the part each call needs.
//
//   Session session(graph);                       // or a tf::GraphDef; copies it
//   std::vector<Tensor> out;
//   absl::Status s = session.Run({{"x", x_value}}, {"y", "z:1"}, {}, &out);
//
// Feeds and fetches are tensor names "node:k" (":0" may be left out) or Outputs of the graph
// the session was made from. Fetches come back in order (repeats allowed; a fed tensor comes
// back as its fed value); targets are nodes run for effect; a call needs at least one fetch or
// target. Only the subgraph that the fetches and targets need is compiled, specialized to the
// fed dtypes and shapes (a -1 batch dim takes the fed size). One executable per signature
// (feed names, dtypes and shapes; fetch names; target names) is compiled on first use and
// cached; a later Run with the same signature compiles nothing.
//
// Run is thread-safe: any number of threads may call it at once. When several ask for the
// same new signature, one compiles and the others wait for it. Executables are immutable.
//
// Errors are values: feed validation (unknown names, wrong dtype, rank or dims, an unfed
// Placeholder, a tensor fed twice) returns InvalidArgument naming the tensor and what was
// expected before anything runs; an op without a lowering is Unimplemented naming the node.
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "graph/graph.h"
#include "graph/tensor.h"
#include "proto/graph.pb.h"
#include "runtime/executable.h"
#include "runtime/thread_pool.h"
#include "runtime/variables.h"

namespace strata {

struct ResolvedRequest;  // runtime/run_request.h

struct SessionOptions {
  // Threads compiled kernels split their work over (the calling thread included); 0 = the
  // number of hardware threads.
  int num_threads = 0;
  // "cpu" (MLIR -> native code) or "reference" (the host evaluator); "" = "cpu" where this
  // build has it, else "reference" (see runtime/backends.h).
  std::string backend;
  // When set, used instead of `backend` (tests and tools that wrap a backend).
  std::shared_ptr<Backend> custom_backend;
  // Nodes whose NodeDef.device names another device ("/cpu:0", "/device:GPU:0") run there
  // (runtime/device_placement.h). A node placed on a device this machine lacks runs on the
  // session's device when this is set (TensorFlow's allow_soft_placement), else its Run fails
  // with InvalidArgument naming the node.
  bool allow_soft_placement = true;
  // The backend for nodes placed on a GPU: "" = "gpu:N" for GPU N; "gpu-emu" runs them on the
  // GPU emulator (tests).
  std::string gpu_backend;
  // Float32 MatMul, BatchMatMul and convolutions may run on the GPU's tensor cores with
  // TensorFloat-32 inputs (10 mantissa bits, about 1e-3 relative error per product; several
  // times faster). Off by default, as PyTorch's torch.backends.cuda.matmul.allow_tf32; the
  // CPU backends ignore it.
  bool allow_tf32 = false;
};

// A feed given by Output handle (builder-API users).
struct FeedItem {
  Output tensor;
  Tensor value;
};

struct SessionStats {
  int64_t runs = 0;               // Run calls that got as far as executing
  int64_t compiles = 0;           // signatures compiled (successfully)
  int64_t cache_hits = 0;         // Run calls that found their signature compiled or compiling
  int64_t cached_signatures = 0;  // executables in the cache
  double last_compile_ms = 0;     // wall time of the latest compile (specialization included)
  double total_compile_ms = 0;
};

class Session {
 public:
  // Copies the graph (through a GraphDef) and infers its shapes. A graph that cannot be
  // imported makes every Run return the error; see status().
  explicit Session(const Graph& graph, SessionOptions options = {});
  explicit Session(const tf::GraphDef& graph_def, SessionOptions options = {});
  // The same, returning the construction error instead of keeping it.
  static absl::StatusOr<std::unique_ptr<Session>> Create(const Graph& graph, SessionOptions options = {});
  static absl::StatusOr<std::unique_ptr<Session>> Create(const tf::GraphDef& graph_def, SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // OK when the session was built; otherwise the error every Run returns.
  const absl::Status& status() const { return init_status_; }

  // `outputs` is replaced by one fresh Tensor per fetch (owned by the caller: no buffer is
  // shared with feeds, with other outputs or with the session). On error it is left empty.
  absl::Status Run(const std::vector<std::pair<std::string, Tensor>>& feeds, const std::vector<std::string>& fetches,
                   const std::vector<std::string>& targets, std::vector<Tensor>* outputs);
  absl::Status Run(const std::vector<std::pair<std::string, Tensor>>& feeds, const std::vector<std::string>& fetches,
                   std::vector<Tensor>* outputs) {
    return Run(feeds, fetches, {}, outputs);
  }
  // Outputs and nodes of the graph the session was made from (matched by name).
  // (Spans, not vectors: {"a", "b"} would otherwise also read as a vector<Output> built from
  // a pair of char iterators, and calls with names would be ambiguous.)
  absl::Status Run(absl::Span<const FeedItem> feeds, absl::Span<const Output> fetches,
                   absl::Span<const Node* const> targets, std::vector<Tensor>* outputs);
  absl::Status Run(absl::Span<const FeedItem> feeds, absl::Span<const Output> fetches,
                   std::vector<Tensor>* outputs) {
    return Run(feeds, fetches, {}, outputs);
  }

  SessionStats stats() const;
  // The session's copy of the graph, with inferred shapes.
  const Graph& graph() const { return *graph_; }
  // The backend's name ("cpu", "reference", or a custom backend's).
  std::string backend_name() const;
  int num_threads() const { return thread_pool_ ? thread_pool_->num_threads() : 1; }
  // The variables (VariableV2 values) this session holds; they persist across Run calls.
  VariableStore& variables() { return variables_; }
  // Checkpoints (runtime/checkpoint.h): all variables with values (or `names`) to `path`, and
  // back. A failed restore leaves every variable as it was.
  absl::Status Save(const std::string& path, const std::vector<std::string>& names = {}) const;
  absl::Status Restore(const std::string& path, const std::vector<std::string>& names = {});
  // A frozen inference graph: what `outputs` (node names) need, with each variable replaced by
  // a Const of its current value. FailedPrecondition names an uninitialized variable;
  // InvalidArgument an op that would still update state (Assign, an optimizer step).
  absl::StatusOr<tf::GraphDef> Freeze(const std::vector<std::string>& outputs) const;

 private:
  struct Plan;
  using PlanOrError = absl::StatusOr<std::shared_ptr<const Plan>>;

  void Init(const tf::GraphDef& graph_def, const OpRegistry* registry, SessionOptions options);
  // The cached plan for the request's signature, compiling it if this is its first use.
  PlanOrError GetOrCompile(const ResolvedRequest& request);
  PlanOrError Compile(const ResolvedRequest& request);

  absl::Status init_status_;
  tf::GraphDef graph_def_;
  std::unique_ptr<Graph> graph_;
  std::shared_ptr<Backend> backend_;
  std::unique_ptr<ThreadPool> thread_pool_;
  VariableStore variables_;

  mutable std::mutex cache_mu_;
  absl::flat_hash_map<std::string, std::shared_future<PlanOrError>> cache_;  // guarded by cache_mu_
  std::mutex compile_mu_;  // one backend Compile at a time (backends need not be reentrant)

  mutable std::mutex stats_mu_;
  SessionStats stats_;  // guarded by stats_mu_ (cached_signatures is computed on demand)
};

}  // namespace strata
