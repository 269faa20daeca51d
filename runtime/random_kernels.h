// The random ops (ops/random_ops.cc) on the host, in a Session. Values come from a counter-based
// generator (SplitMix64 over seed, seed2, the node's draw count and the element index), so they
// are reproducible with fixed seeds, independent of thread count, and differ from run to run.
// With seed == seed2 == 0 the Session picks a random seed per node, as TensorFlow does.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "graph/tensor.h"
#include "runtime/variables.h"

namespace strata {

bool IsRandomOp(const Node& n);

// Draws the node's next value; the draw counter lives in `store` (one per node and seed).
absl::StatusOr<std::vector<Tensor>> RunRandomOp(const Node& n, const std::vector<Tensor>& inputs, VariableStore& store);

}  // namespace strata
