// CompileGpuProgram: graph -> MLIR function (the same lowering as the CPU path) -> GPU pipeline
// -> PTX + the host program (buffers and launches) read off the outlined host function.
#include "compiler/gpu/gpu_backend.h"

#include <array>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "compiler/cpu_pipeline.h"
#include "compiler/function_builder.h"
#include "compiler/gpu/gpu_context.h"
#include "compiler/gpu/gpu_host_program.h"
#include "compiler/gpu/gpu_pipeline.h"
#include "compiler/graph_lowering.h"
#include "graph/graph.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace strata {

namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

constexpr std::array<const char*, 6> kArchs = {"sm_80", "sm_86", "sm_87", "sm_89", "sm_90", "sm_90a"};

}  // namespace

absl::StatusOr<std::string> DefaultPtxFeatures(const std::string& cuda_arch) {
  for (const char* arch : kArchs) {
    // PTX ISA 8.0 covers sm_80..sm_90a; LLVM 19 emits it and ptxas 12.x/13.x accepts it.
    if (cuda_arch == arch) return std::string("+ptx80");
  }
  return absl::InvalidArgumentError(absl::StrCat("GPU: unsupported cuda_arch '", cuda_arch, "' (expected one of ",
                                                 absl::StrJoin(kArchs, ", "), ")"));
}

absl::StatusOr<gpu::GpuProgram> CompileGpuProgram(const CompileRequest& request, const GpuCompileOptions& options,
                                                  GpuCompileInfo* info) {
  const Clock::time_point start = Clock::now();
  absl::StatusOr<std::string> features = DefaultPtxFeatures(options.cuda_arch);
  if (!features.ok()) return features.status();
  if (!options.ptx_features.empty()) {
    if (!options.ptx_features.starts_with("+ptx")) {
      return absl::InvalidArgumentError(absl::StrCat("GPU: ptx_features '", options.ptx_features, "' is not of the form +ptxNN"));
    }
    *features = options.ptx_features;
  }
  if (options.block_size < 32 || options.block_size > 1024 || options.block_size % 32 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("GPU: block_size ", options.block_size, " is not a multiple of 32 in [32, 1024]"));
  }
  if (request.graph == nullptr) return absl::InvalidArgumentError("CompileGpuProgram: no graph");
  if (request.results.empty()) return absl::InvalidArgumentError("CompileGpuProgram: nothing to compute (no results)");
  std::vector<TensorSpec> args;
  for (const Output& a : request.args) {
    if (!a.valid()) return absl::InvalidArgumentError("CompileGpuProgram: invalid argument tensor");
    if (!a.shape().IsFullyDefined()) {
      return absl::InvalidArgumentError(absl::StrCat("CompileGpuProgram: fed tensor ", a.name(), " has non-static shape ",
                                                     a.shape().ToString(), " (GPU programs need static shapes)"));
    }
    args.push_back({BaseDType(a.dtype()), a.shape()});
  }
  for (const Output& r : request.results) {
    if (!r.valid()) return absl::InvalidArgumentError("CompileGpuProgram: invalid result tensor");
  }

  std::unique_ptr<mlir::MLIRContext> ctx = gpu::CreateGpuCompilerContext();
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(mlir::UnknownLoc::get(ctx.get()));
  FunctionBodyFn body = [&request](MlirBuilder& b, const std::vector<Value>& arg_values) {
    return LowerGraph(request, b, arg_values);
  };
  // Every constant is embedded (< 0): the host walk turns them into constant buffers.
  absl::StatusOr<FunctionAbi> abi = BuildFunction(*module, request.name, args, body, /*bind_constants_over_bytes=*/-1);
  if (!abi.ok()) return abi.status();
  for (const TensorSpec& r : abi->results) {
    if (!r.shape.IsFullyDefined()) {
      return absl::InvalidArgumentError(absl::StrCat("CompileGpuProgram: a result has non-static shape ", r.shape.ToString()));
    }
  }
  if (info && options.capture_ir) info->lowered_ir = PrintIr(*module);
  if (info) info->lower_ms = MsSince(start);

  const Clock::time_point pipeline_start = Clock::now();
  gpu::GpuPipelineOptions popts;
  popts.chip = options.cuda_arch;
  popts.features = *features;
  popts.contract_fma = options.contract_fma;
  popts.block_size = options.block_size;
  popts.capture_ir = options.capture_ir;
  popts.tile_contractions = options.tile_contractions;
  popts.im2col_convolutions = options.im2col_convolutions;
  popts.split_k = options.split_k;
  popts.tf32 = options.allow_tf32;
  popts.emit_host_ir = options.emit_host_ir;
  gpu::GpuPipelineIr ir;
  absl::StatusOr<std::string> ptx = gpu::RunGpuPipeline(*module, popts, &ir);
  if (!ptx.ok()) return ptx.status();

  mlir::func::FuncOp func = module->lookupSymbol<mlir::func::FuncOp>(request.name);
  if (!func) return absl::InternalError(absl::StrCat("GPU: the host function '", request.name, "' is gone"));
  absl::StatusOr<gpu::GpuProgram> program = gpu::BuildHostProgram(func, *abi);
  if (!program.ok()) return program.status();
  program->cuda_arch = options.cuda_arch;
  program->ptx = *std::move(ptx);
  program->host_ir = std::move(ir.host_kernels);
  if (info) {
    info->pipeline_ms = MsSince(pipeline_start);
    info->total_ms = MsSince(start);
    info->fused_ir = std::move(ir.fused);
    info->kernels_ir = std::move(ir.kernels);
    info->nvvm_ir = std::move(ir.nvvm);
  }
  return program;
}

}  // namespace strata
