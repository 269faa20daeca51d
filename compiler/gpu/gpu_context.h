// The MLIR context of the GPU compiler: the CPU compiler's dialects plus gpu, nvvm and the NVVM
// target (PTX through LLVM's NVPTX backend, no CUDA toolkit needed).
#pragma once

#include <memory>

#include "mlir/IR/MLIRContext.h"

namespace strata::gpu {

std::unique_ptr<mlir::MLIRContext> CreateGpuCompilerContext();

}  // namespace strata::gpu
