// Turns the host function the GPU pipeline leaves (straight-line: buffers, constants,
// gpu.launch_func, memref.copy) into the runtime's GpuProgram: buffers and steps.
#pragma once

#include "absl/status/statusor.h"
#include "compiler/function_builder.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "runtime/gpu/gpu_program.h"

namespace strata::gpu {

// `abi` describes `func`'s arguments (args, bound constants, results, check flags). Fills
// buffers, steps, arg_buffers and result_buffers of the returned program (not the PTX).
// Anything the walk cannot express is an Unimplemented error naming the op.
absl::StatusOr<GpuProgram> BuildHostProgram(mlir::func::FuncOp func, const FunctionAbi& abi);

}  // namespace strata::gpu
