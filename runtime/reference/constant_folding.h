// Constant folding: computes, on the host, the outputs of nodes whose inputs are all known at
// compile time, and records them on the graph (Node::output_value) so that shape functions
// and lowerings see them. TF graphs build shapes at run time (Shape -> StridedSlice -> Pack ->
// Reshape, Fill, Range, ...); once the graph is specialized to fed shapes, those chains fold
// and the compiled code sees static shapes.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "graph/graph.h"

namespace strata {

struct FoldOptions {
  // Results with more elements than this are computed but not recorded, so large constants
  // (e.g. a transposed weight matrix) are not duplicated in memory. A node whose static
  // output shapes are all bigger than this is not evaluated at all.
  int64_t max_elements = int64_t{1} << 16;
};

// Walks the graph in topological order. For each node, its shape function is run again with
// the values known so far (the resulting shape is merged with the shape the node already had,
// so shapes specialized to fed inputs are kept); then, if the node is foldable, it is
// evaluated with the reference evaluator and its outputs' values (and shapes) are recorded.
// Foldable: not stateful, not a Placeholder/PlaceholderWithDefault, has a lowering or a host
// kernel, has outputs, and every data input has a known value. The graph's structure is not changed.
// One pass reaches the fixed point: every node is revisited after all of its inputs.
// A node that fails to evaluate (e.g. an out-of-range gather on constants) is left unfolded;
// the error will surface when the graph runs. Errors: a cycle, or a shape function error.
absl::Status FoldConstants(Graph* graph, const FoldOptions& options = {});

}  // namespace strata
