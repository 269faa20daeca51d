// Host evaluation of single nodes on actual input values, for nodes whose output shapes depend
// on those values: shape inference runs on the values first, then the reference evaluator.
//
// The staged runner (runtime/staged.h) uses this for compiled ops whose output shape is known
// only at run time although their inputs' shapes are static: Range(0, Sum(mask)), Fill with a
// computed size, ... (TF Object Detection post-processing does this). No cluster can compile
// them, so they run on the host between clusters, like the host-kernel ops.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "graph/tensor.h"

namespace strata {

// A compiled op (it has a lowering) whose output shape would stay unknown even if all of its
// input shapes were known: it depends on an input value that only running the graph gives
// (Range's limit, TopKV2's k, Reshape's shape computed from data, ...).
bool NeedsInputValuesForShape(const Node& node);

// Whether the staged runner runs `node` on the host: RunsOnHost (ops/host_kernel.h) or
// NeedsInputValuesForShape.
bool RunsOnHostInStages(const Node& node);

// Evaluates `node` on `inputs` on a private one-node copy (so `node` and its graph are not
// modified: safe from many threads): shapes are inferred from the input values, then host
// kernel or lowering runs. Errors name the node.
absl::StatusOr<std::vector<Tensor>> EvaluateNodeOnValues(const Node& node, const std::vector<Tensor>& inputs);

}  // namespace strata
