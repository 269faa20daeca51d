// Specialization: from the session's graph and one Run signature to the CompileRequest a
// backend compiles.
//
//  1. Prune: walk back from the fetches and targets (data and control edges), stopping at fed
//     tensors. A needed Placeholder that is not fed is an error.
//  2. Copy the needed nodes into a new graph in which every fed tensor is produced by a
//     Placeholder whose shape is the fed shape: a fed Placeholder (or PlaceholderWithDefault)
//     keeps its name, any other fed tensor "n:k" gets a new Placeholder that its consumers read
//     instead. A needed PlaceholderWithDefault that is not fed becomes an Identity of its
//     default.
//  3. Infer shapes (unknown dims such as a -1 batch take the fed sizes) and fold constants.
//  4. Check what must run: every tensor from the fed tensors to the results has a static shape,
//     and every op to compute has a lowering.
//  5. Build the graph the backend compiles: the Placeholders it reads, a Const for each folded
//     tensor it reads, and the nodes it computes. Fetches whose value folded completely are
//     answered from the plan without running anything.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "graph/tensor.h"
#include "proto/graph.pb.h"
#include "runtime/executable.h"
#include "runtime/run_request.h"

namespace strata {

// Where a fetch's value comes from.
struct FetchSource {
  enum Kind { kFeed, kResult, kConstant };
  Kind kind = kResult;
  int index = 0;  // into the feeds, the executable's results, or SpecializedGraph::constants
};

struct SpecializedGraph {
  // What the backend compiles: pruned, shapes static, folded values as Consts.
  std::unique_ptr<Graph> graph;
  // The executable's arguments (Placeholders of `graph`) and the feed each one takes.
  std::vector<Output> args;
  std::vector<int> arg_feeds;
  // The executable's results: the fetched tensors that are neither fed nor folded (each once),
  // then the outputs of targets and of nodes reached through control edges, which run for
  // their effect (errors) and are dropped.
  std::vector<Output> results;
  std::vector<Tensor> constants;           // folded fetches
  std::vector<FetchSource> fetch_sources;  // one per fetch, in fetch order
  // The computation runs host kernels (ops/host_kernel.h), so some shapes may be known only at
  // run time: `graph` runs as a StagedExecutable (runtime/staged.h), not as one compiled call.
  bool needs_host_stages = false;

  // What Compile needs. Results empty means there is nothing to compile or run.
  CompileRequest MakeCompileRequest(std::string name) const;
};

// `def` is `graph` as a GraphDef (the NodeDefs are copied from it). Errors: InvalidArgument for
// unfed Placeholders (all named, with the dtype and shape they expect) and for shapes that
// conflict once specialized (from shape inference, naming the node); Unimplemented for a tensor
// whose shape stays unknown (naming its node) and for an op without a lowering that would have
// to run (naming the node and the op).
absl::StatusOr<SpecializedGraph> SpecializeGraph(const Graph& graph, const tf::GraphDef& def,
                                                 const ResolvedRequest& request);

}  // namespace strata
