// The reference evaluator: runs graphs on the host through the ops' lowerings and HostBuilder
// (host_builder.h). It is the test oracle for the compiled backends and the engine of
// constant folding; it is simple, not fast.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "graph/tensor.h"
#include "runtime/executable.h"

namespace strata {

// Computes one node's outputs from its input values. The node's output shapes must be what
// shape inference gives for these inputs (fully defined where the lowering needs it); the
// inputs are also its lowering's compile-time constants. Const nodes return their value; ops
// with a host kernel (ops/host_kernel.h) run it instead of a lowering.
// Errors: Unimplemented for an op without a lowering, InvalidArgument for inputs that do not
// fit the node, and whatever the lowering or a primitive reports; all name the node.
absl::StatusOr<std::vector<Tensor>> EvaluateNode(const Node& node, const std::vector<Tensor>& inputs);

// Evaluates `fetches` given `feeds` (Outputs of `graph`). Only what the fetches need is
// computed: the walk back from the fetches stops at fed tensors. Shapes are re-inferred from
// the fed values on a private copy of the graph, so graphs with unknown dims (a -1 batch) work
// and `graph` is never modified. Data and control dependencies of needed nodes run; nodes
// without outputs (NoOp) are skipped. An unfed PlaceholderWithDefault passes its input on.
// Errors (InvalidArgument unless noted): a needed Placeholder that is not fed (all are
// named), a feed whose dtype or shape does not match the tensor, a feed or fetch that is not
// in `graph`, a tensor fed twice, Unimplemented for a needed op without a lowering.
absl::StatusOr<std::vector<Tensor>> Evaluate(const Graph& graph, const std::vector<std::pair<Output, Tensor>>& feeds,
                                             const std::vector<Output>& fetches);

// A Backend whose executables run the reference evaluator. Compile keeps a private copy of
// the request's graph, so the executable does not depend on the request outliving it; Run
// evaluates that copy and shares no mutable state between calls (thread-safe).
class ReferenceBackend : public Backend {
 public:
  std::string name() const override { return "reference"; }
  absl::StatusOr<std::unique_ptr<Executable>> Compile(const CompileRequest& request) override;
};

// A deep copy of a graph (through a GraphDef round trip, with the same op registry). Shapes
// are not inferred on the copy: output shapes are unknown until InferShapes runs.
absl::StatusOr<std::unique_ptr<Graph>> CopyGraph(const Graph& graph);

}  // namespace strata
