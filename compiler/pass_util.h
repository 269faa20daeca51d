// Pieces the CPU and GPU pass pipelines share (cpu_pipeline.cc, gpu/gpu_pipeline.cc).
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

namespace strata {

// Gives every use of a tensor.empty under `root` its own op, and every use of a linalg.fill of
// one its own fill. CSE merges identical empties and fills, and empty-tensor elimination would
// then make unrelated results share one destination buffer.
void SplitEmptyTensors(mlir::Operation* root);

// A result computed in one shape and stored into a destination buffer of another
// (`materialize_in_destination(collapse_shape(%r)) in %dest`: fusion expands an elementwise
// result to match a [N, 1] operand) gets the reshape on the destination instead
// (`materialize_in_destination(%r) in expand_shape(%dest)`), so that empty-tensor elimination
// can compute %r straight into the destination. Without it %r went to a temp buffer and a
// second loop (on GPU, a second kernel) copied it over. Destinations with identity layout only,
// where the reshaped view always exists.
void MoveReshapesOntoDestinations(mlir::Operation* root);

// Runs `pm` on `module`. A failure is InternalError "<pipeline> failed at <stage>: " followed by
// MLIR's error diagnostics (with their notes and locations).
absl::Status RunPassManager(mlir::PassManager& pm, mlir::ModuleOp module, std::string_view pipeline,
                            std::string_view stage);

}  // namespace strata
