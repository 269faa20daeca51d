// Kernel-side helpers of the GPU pipeline, run after gpu-kernel-outlining.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "mlir/IR/BuiltinOps.h"

namespace strata::gpu {

// gpu-kernel-outlining makes one gpu.module per kernel; the runtime loads one PTX module per
// program. Moves every kernel into one gpu.module named `name`, kernels renamed `<name>_k<i>`
// in launch order, and retargets the gpu.launch_func ops.
absl::Status MergeKernelModules(mlir::ModuleOp module, const std::string& name);

// Prepares the kernels' math for NVPTX without libdevice: marks float mul/add/sub `contract`
// (when `contract_fma`), expands powf/tan/sinh/... and replaces f32 exp/log/tanh/erf/sin/...
// with polynomial approximations. Math that NVPTX cannot select on its own afterwards
// (e.g. f64 exp) is an Unimplemented error naming the node.
absl::Status PrepareKernelMath(mlir::ModuleOp module, bool contract_fma);

}  // namespace strata::gpu
