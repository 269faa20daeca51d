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

// Runs `pm` on `module`. A failure is InternalError "<pipeline> failed at <stage>: " followed by
// MLIR's error diagnostics (with their notes and locations).
absl::Status RunPassManager(mlir::PassManager& pm, mlir::ModuleOp module, std::string_view pipeline,
                            std::string_view stage);

}  // namespace strata
