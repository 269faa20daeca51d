// What the runtime and the shape functions share about variable ops (ops/state_ops.cc).
#pragma once

#include "graph/graph.h"

namespace strata {

// The VarHandleOp that input `input` of `n` comes from, through Identity nodes; null if none.
const Node* VarHandleSource(const Node& n, int input = 0);

}  // namespace strata
