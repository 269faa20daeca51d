// The GPU pass pipeline: from the tensor-level module MlirBuilder emits (the same one the CPU
// path gets) to one gpu.binary holding the PTX of every kernel, plus a straight-line host
// function (buffers, gpu.launch_func, copies) that gpu_host_program.h turns into a GpuProgram.
//
//   1. tensor level: canonicalize + CSE + linalg elementwise fusion (as the CPU stage 1);
//   2. one-shot bufferization into the function's argument/result buffers;
//   3. linalg -> parallel loops (parallel dims first, reductions sequential inside), views
//      folded into loads/stores, loops collapsed to 1-D and tiled: blocks x threads
//      (gpu_loop_mapping.h), convert-parallel-loops-to-gpu, gpu-kernel-outlining, all kernels
//      merged into one gpu.module;
//   4. kernels: fast-math contraction, f32 polynomial math, convert-gpu-to-nvvm with bare
//      pointers, nvvm target (chip, features), gpu-module-to-binary format=isa (LLVM NVPTX).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mlir/IR/BuiltinOps.h"

namespace strata::gpu {

struct GpuPipelineOptions {
  std::string chip = "sm_90";
  std::string features = "+ptx80";
  bool contract_fma = true;   // mark float mul/add `contract` so NVPTX emits fma.rn
  int64_t block_size = 256;   // threads per block of the elementwise mapping
  bool capture_ir = false;
  bool tile_contractions = true;   // gpu_contraction_tiling.h
  bool im2col_convolutions = true; // gpu_conv_im2col.h (with tile_contractions only)
  bool split_k = true;             // small grids split along K (gpu_contraction_tiling.h)
  bool tf32 = false;               // tiled contractions on tensor cores, TF32 inputs (gpu_contraction_tiling.h)
  bool emit_host_ir = false;       // also retarget the kernels to the host (gpu_host_kernels.h)
};

struct GpuPipelineIr {
  std::string fused;    // after tensor-level fusion
  std::string kernels;  // after outlining (host function + gpu.module, before NVVM)
  std::string nvvm;     // the gpu.module in the LLVM/NVVM dialect
  std::string host_kernels;  // with emit_host_ir: the kernels for the host emulator
};

// Runs the whole pipeline on `module` in place; returns the PTX text. Errors name the op (and
// through its location the graph node) that could not be mapped.
absl::StatusOr<std::string> RunGpuPipeline(mlir::ModuleOp module, const GpuPipelineOptions& options,
                                           GpuPipelineIr* ir);

}  // namespace strata::gpu
