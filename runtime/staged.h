// Staged execution: graphs with host-kernel ops (ops/host_kernel.h: Where, NonMaxSuppression,
// ... whose output shapes depend on data) run as compiled clusters and host ops in turn.
//
// Every node of the graph gets a stage: a host op runs in the stage of its latest input; a
// compiled node runs in the latest stage among its inputs, one later for inputs that a host
// op produced. Stage s runs its compiled cluster (one executable) and then its host ops in
// graph order. A cluster is compiled when it first runs with a given set of input shapes: its
// inputs are then known tensors, so it is specialized like a Session signature (static shapes,
// folded constants) and cached by that signature; other shapes compile another executable.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "proto/graph.pb.h"
#include "runtime/executable.h"

namespace strata {

struct ResolvedRequest;  // runtime/run_request.h

class StagedExecutable : public Executable {
 public:
  // `graph` has Placeholders for `args` and computes `results` (runtime/specialize.h makes
  // such graphs). `backend` compiles the clusters; `compile_mu` (may be null) serializes its
  // Compile calls with the owner's. Both must outlive the executable.
  static absl::StatusOr<std::unique_ptr<StagedExecutable>> Create(std::unique_ptr<Graph> graph, std::vector<Output> args,
                                                                  std::vector<Output> results, Backend* backend,
                                                                  std::mutex* compile_mu);
  ~StagedExecutable() override;

  absl::Status Run(absl::Span<const Tensor> args, std::vector<Tensor>* results,
                   const RunOptions& options = {}) const override;
  std::string DebugString() const override;

  int num_stages() const;
  // Executables compiled so far, over all stages and shapes.
  int num_compiled_clusters() const;

 private:
  struct Stage;
  struct CompiledCluster;
  StagedExecutable() = default;
  absl::StatusOr<std::shared_ptr<const CompiledCluster>> GetCluster(int stage, const ResolvedRequest& request) const;

  std::unique_ptr<Graph> graph_;
  tf::GraphDef def_;
  std::vector<std::string> arg_names_;     // canonical tensor names, in argument order
  std::vector<std::string> result_names_;  // canonical tensor names, in result order
  std::vector<Stage> stages_;
  absl::flat_hash_map<std::string, Tensor> constants_;  // Const outputs that host ops read
  Backend* backend_ = nullptr;
  std::mutex* compile_mu_ = nullptr;
  mutable std::mutex cache_mu_;
  // Per stage: signature -> compiled cluster. Guarded by cache_mu_.
  mutable std::vector<absl::flat_hash_map<std::string, std::shared_ptr<const CompiledCluster>>> cache_;
};

}  // namespace strata
