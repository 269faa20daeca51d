// The GPU compiler: a pruned, shape-specialized graph (runtime/executable.h) -> one PTX module
// with every kernel + the launches, buffers and copies that run it (runtime/gpu/gpu_program.h).
// MLIR-free header: tools/ and runtime/ include it.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "runtime/executable.h"
#include "runtime/gpu/gpu_program.h"

namespace strata {

struct GpuCompileOptions {
  std::string cuda_arch = "sm_90";  // sm_80, sm_86, sm_89, sm_90 (validated)
  std::string ptx_features;         // PTX ISA, e.g. "+ptx80"; empty: the arch's default
  bool contract_fma = true;         // a*b+c -> fma.rn (fast-math contraction)
  int block_size = 256;             // threads per block of elementwise kernels (32..1024, x32)
  bool capture_ir = false;          // keep the MLIR after fusion, outlining and NVVM conversion
  // f32 MatMul/BatchMatMul (and matmul-like generics) with M, N >= 32 as 64x64 tiles of C per
  // 256-thread block, A/B staged through shared memory, 4x4 outputs per thread, and the bias/
  // activation consumer fused into the store (gpu_contraction_tiling.h). Results checked against
  // the CPU on the GPU emulator (tests/runtime/gpu_models_test.cc, backend gpu-emu) and on an
  // H100 (bench/RESULTS.md, GPU section). Off: one thread per output element, or a block reduction.
  bool tile_contractions = true;
  // With tile_contractions: f32 NHWC Conv2D (dilation 1) as im2col + that tiled matmul where
  // oh*ow and the output channels are >= 32 (gpu_conv_im2col.h). Off: one thread per output.
  bool im2col_convolutions = true;
  // With tile_contractions: a tiled contraction of fewer than 64 tiles split along K, partial
  // sums added by a second kernel (gpu_contraction_tiling.h). Off: one block per tile, all of K.
  bool split_k = true;
  // With tile_contractions: float32 contractions (MatMul, BatchMatMul, im2col convolutions) on
  // tensor cores with TensorFloat-32 inputs: A and B rounded to 10 mantissa bits, products
  // summed in float32 (about 1e-3 relative error per product, as cuBLAS's TF32 mode). Off by
  // default, as in PyTorch (torch.backends.cuda.matmul.allow_tf32).
  bool allow_tf32 = false;
  // Also keep the kernels retargeted to the host CPU in GpuProgram::host_ir, for the GPU
  // emulator (backend "gpu-emu", compiler/gpu/gpu_host_kernels.h).
  bool emit_host_ir = false;
};

// What CompileGpuProgram measured and, with capture_ir, the IR it went through.
struct GpuCompileInfo {
  double lower_ms = 0, pipeline_ms = 0, total_ms = 0;
  std::string lowered_ir, fused_ir, kernels_ir, nvvm_ir;
};

// Errors: InvalidArgument for bad options or non-static shapes, Unimplemented (naming the
// node or op) for what has no GPU lowering yet.
absl::StatusOr<gpu::GpuProgram> CompileGpuProgram(const CompileRequest& request, const GpuCompileOptions& options,
                                                  GpuCompileInfo* info = nullptr);

// The default PTX features for an arch ("+ptx80" for sm_90); InvalidArgument naming a bad arch.
absl::StatusOr<std::string> DefaultPtxFeatures(const std::string& cuda_arch);

}  // namespace strata
