// How the GPU compiler names an operation in its errors, and which graph nodes an operation
// came from: lowering gives every op the NameLoc of its node, and fusion keeps them (as fused
// locations). Unimplemented errors carry those node names (graph/status_nodes.h), so that the
// GPU backend can place exactly those nodes on the CPU.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Operation.h"

namespace strata::gpu {

// "<op name> at <location>".
std::string Describe(mlir::Operation* op);

// The node names in `loc` (NameLocs, also inside fused and call-site locations), in order.
std::vector<std::string> NodeNamesAt(mlir::Location loc);

// Unimplemented with `message`, carrying the nodes `op` came from.
absl::Status UnimplementedAt(mlir::Operation* op, const std::string& message);

}  // namespace strata::gpu
