// The GPU pass pipeline (see gpu_pipeline.h). Passes are created through their C++
// constructors and anchored on the module; kernel-only passes are nested on gpu.module so that
// the host function stays in memref/gpu form for gpu_host_program.cc.
#include "compiler/gpu/gpu_pipeline.h"

#include <cstdlib>
#include <functional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "compiler/cpu_pipeline.h"
#include "compiler/pass_util.h"
#include "compiler/gpu/gpu_block_reduction.h"
#include "compiler/gpu/gpu_contraction_tiling.h"
#include "compiler/gpu/gpu_fma_contraction.h"
#include "compiler/gpu/gpu_conv_im2col.h"
#include "compiler/gpu/gpu_host_kernels.h"
#include "compiler/gpu/gpu_kernel_module.h"
#include "compiler/gpu/gpu_loop_mapping.h"
#include "llvm/Support/raw_ostream.h"
#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToGPU/SCFToGPUPass.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

namespace strata::gpu {

namespace {

using mlir::func::FuncOp;

void AddCleanup(mlir::OpPassManager& pm) {
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
}

absl::Status Run(mlir::PassManager& pm, mlir::ModuleOp module, const char* stage) {
  return RunPassManager(pm, module, "GPU pipeline", stage);
}

absl::Status ForEachFunc(mlir::ModuleOp module, const std::function<absl::Status(FuncOp)>& fn) {
  for (FuncOp f : llvm::make_early_inc_range(module.getOps<FuncOp>())) {
    absl::Status s = fn(f);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Shared-memory globals (the kernels' workgroup buffers) aligned to at least 16 bytes: wgmma's
// core matrices must start on 16 (the conversion leaves the element type's alignment).
void AlignSharedMemory(mlir::ModuleOp module) {
  module.walk([](mlir::LLVM::GlobalOp global) {
    if (global.getAddrSpace() == 3 && global.getAlignment().value_or(0) < 16) global.setAlignment(16);
  });
}

// A kernel whose body asks for a number of resident blocks per SM (kMinBlocksPerSmAttr) gets it
// as nvvm.minctasm (PTX .minnctapersm), which bounds ptxas's register allocation.
void ApplyMinBlocksPerSm(mlir::ModuleOp module) {
  module.walk([](mlir::gpu::GPUFuncOp func) {
    func.walk([&](mlir::Operation* op) {
      if (auto blocks = op->getAttrOfType<mlir::IntegerAttr>(kMinBlocksPerSmAttr)) {
        func->setAttr("nvvm.minctasm", blocks);
        op->removeAttr(kMinBlocksPerSmAttr);
      }
    });
  });
}

// The vector accesses the kernels make are aligned to their size by construction: 16-byte ones
// in the contraction kernels' shared tiles and staging (gpu_fma_contraction.h,
// gpu_mma_contraction.h) and the vectorized elementwise loops (gpu_vectorize_elementwise.h),
// 4-byte pairs of halves in the 16-bit tensor-core staging. MLIR 19's vector.load lowering
// only claims the element's alignment, which makes NVPTX split each into scalar accesses. They
// are the only 4 x 32-bit and 2 x 16-bit vector accesses the kernels make, so all of those get
// their size (the emulator checks every access's alignment).
void AlignVectorAccesses(mlir::ModuleOp module) {
  auto aligned_size = [](mlir::Type t) -> int64_t {
    auto v = mlir::dyn_cast<mlir::VectorType>(t);
    if (!v || v.getRank() != 1 || !v.getElementType().isIntOrFloat()) return 0;
    const int64_t bits = v.getElementType().getIntOrFloatBitWidth();
    if (v.getNumElements() == 4 && bits == 32) return 16;
    if (v.getNumElements() == 2 && bits == 16) return 4;
    return 0;
  };
  module.walk([&](mlir::LLVM::LoadOp load) {
    if (const int64_t size = aligned_size(load.getType())) load.setAlignment(size);
  });
  module.walk([&](mlir::LLVM::StoreOp store) {
    if (const int64_t size = aligned_size(store.getValue().getType())) store.setAlignment(size);
  });
}

}  // namespace

absl::StatusOr<std::string> RunGpuPipeline(mlir::ModuleOp module, const GpuPipelineOptions& options,
                                           GpuPipelineIr* ir) {
  mlir::MLIRContext* ctx = module.getContext();
  const bool debug = std::getenv("STRATA_DEBUG_IR") != nullptr;
  auto dump = [&](const char* stage) {
    if (debug) llvm::errs() << "// ---- gpu: " << stage << " ----\n" << PrintIr(module) << "\n";
  };
  std::string name = "kernels";
  for (FuncOp f : module.getOps<FuncOp>()) name = f.getName().str();

  // 1. Tensor level: the CPU pipeline's stage 1.
  dump("lowered");
  {
    mlir::PassManager pm(ctx, mlir::ModuleOp::getOperationName());
    AddCleanup(pm);
    pm.addNestedPass<FuncOp>(mlir::createLinalgElementwiseOpFusionPass());
    AddCleanup(pm);
    absl::Status s = Run(pm, module, "fusion");
    if (!s.ok()) return s;
    // After fusion, which would fold the im2col gather back into the contraction.
    if (options.tile_contractions && options.im2col_convolutions) {
      s = ForEachFunc(module, [](FuncOp f) {
        return RewriteConvolutionsAsIm2ColMatmuls(f, /*min_dim=*/32, /*max_col_bytes=*/int64_t{1} << 30);
      });
      if (!s.ok()) return s;
    }
    if (ir && options.capture_ir) ir->fused = PrintIr(module);
  }

  // 2. Bufferization into the function's buffers (no deallocation: the runtime owns temps).
  dump("fused");
  SplitEmptyTensors(module);
  MoveReshapesOntoDestinations(module);
  {
    mlir::PassManager pm(ctx, mlir::ModuleOp::getOperationName());
    pm.addPass(mlir::bufferization::createEmptyTensorEliminationPass());
    pm.addPass(mlir::bufferization::createEmptyTensorToAllocTensorPass());
    mlir::bufferization::OneShotBufferizationOptions bopts;
    bopts.bufferizeFunctionBoundaries = false;
    bopts.allowReturnAllocsFromLoops = true;
    bopts.setFunctionBoundaryTypeConversion(mlir::bufferization::LayoutMapOption::IdentityLayoutMap);
    // Copies as linalg.copy: they become kernels like everything else.
    bopts.memCpyFn = [](mlir::OpBuilder& b, mlir::Location loc, mlir::Value from, mlir::Value to) {
      b.create<mlir::linalg::CopyOp>(loc, from, to);
      return mlir::success();
    };
    pm.addPass(mlir::bufferization::createOneShotBufferizePass(bopts));
    AddCleanup(pm);
    absl::Status s = Run(pm, module, "bufferization");
    if (!s.ok()) return s;
  }

  // 3. Loops, mapped to blocks and threads, outlined into kernels.
  dump("bufferized");
  absl::Status s = absl::OkStatus();
  if (options.tile_contractions) {
    s = ForEachFunc(module, [&](FuncOp f) {
      // sm_90a: the tensor-core kernels on warpgroup MMAs (wgmma exists on no other target).
      return TileContractionsThroughSharedMemory(f, /*min_dim=*/32, options.split_k, options.tf32,
                                                 /*wgmma=*/options.chip == "sm_90a");
    });
    if (!s.ok()) return s;
  }
  s = ForEachFunc(module, [&](FuncOp f) {
    return LowerLongReductionsToBlocks(f, options.block_size, /*min_elements=*/128, /*max_outputs=*/16384);
  });
  if (!s.ok()) return s;
  s = ForEachFunc(module, PrepareLinalgForGpu);
  if (!s.ok()) return s;
  {
    mlir::PassManager pm(ctx, mlir::ModuleOp::getOperationName());
    pm.addNestedPass<FuncOp>(mlir::createConvertLinalgToParallelLoopsPass());
    pm.addPass(mlir::memref::createFoldMemRefAliasOpsPass());
    pm.addPass(mlir::createBufferizationToMemRefPass());
    AddCleanup(pm);
    s = Run(pm, module, "loops");
    if (!s.ok()) return s;
  }
  dump("loops");
  s = ForEachFunc(module, CollapseParallelLoopsForGpu);
  if (!s.ok()) return s;
  {
    mlir::PassManager pm(ctx, mlir::ModuleOp::getOperationName());
    AddCleanup(pm);
    s = Run(pm, module, "collapsing loops");
    if (!s.ok()) return s;
  }
  s = ForEachFunc(module, [&](FuncOp f) { return TileParallelLoopsForGpu(f, options.block_size); });
  if (!s.ok()) return s;
  {
    mlir::PassManager pm(ctx, mlir::ModuleOp::getOperationName());
    pm.addNestedPass<FuncOp>(mlir::createGpuMapParallelLoopsPass());
    pm.addPass(mlir::createParallelLoopToGpuPass());
    AddCleanup(pm);
    pm.addPass(mlir::createGpuLauchSinkIndexComputationsPass());
    pm.addPass(mlir::createGpuKernelOutliningPass());
    AddCleanup(pm);
    s = Run(pm, module, "kernel outlining");
    if (!s.ok()) return s;
  }
  ApplyMinBlocksPerSm(module);
  s = MergeKernelModules(module, name + "_kernels");
  if (!s.ok()) return s;
  if (ir && options.capture_ir) ir->kernels = PrintIr(module);

  // 4. Kernels to NVVM and PTX.
  dump("kernels");
  s = LowerAllReduces(module);
  if (!s.ok()) return s;
  s = PrepareKernelMath(module, options.contract_fma);
  if (!s.ok()) return s;
  {
    mlir::PassManager pm(ctx, mlir::ModuleOp::getOperationName());
    mlir::OpPassManager& kpm = pm.nest<mlir::gpu::GPUModuleOp>();
    kpm.addPass(mlir::createLowerAffinePass());
    kpm.addPass(mlir::createConvertSCFToCFPass());
    mlir::arith::ArithExpandOpsPassOptions expand;
    expand.includeBf16 = true;
    kpm.addPass(mlir::arith::createArithExpandOpsPass(expand));
    mlir::ConvertGpuOpsToNVVMOpsOptions nvvm;
    nvvm.indexBitwidth = 64;
    nvvm.useBarePtrCallConv = true;
    kpm.addPass(mlir::createConvertGpuOpsToNVVMOps(nvvm));
    kpm.addPass(mlir::createCanonicalizerPass());
    kpm.addPass(mlir::createCSEPass());
    kpm.addPass(mlir::createReconcileUnrealizedCastsPass());
    mlir::GpuNVVMAttachTargetOptions target;
    target.chip = options.chip;
    target.features = options.features;
    target.optLevel = 3;
    pm.addPass(mlir::createGpuNVVMAttachTarget(target));
    s = Run(pm, module, "NVVM conversion");
    if (!s.ok()) return s;
    AlignSharedMemory(module);
    AlignVectorAccesses(module);
    if (ir && options.capture_ir) {
      for (auto m : module.getOps<mlir::gpu::GPUModuleOp>()) ir->nvvm += PrintIr(m);
    }
    if (options.emit_host_ir) {
      if (ir == nullptr) return absl::InvalidArgumentError("GPU pipeline: emit_host_ir needs somewhere to put it");
      for (auto m : module.getOps<mlir::gpu::GPUModuleOp>()) {
        absl::StatusOr<std::string> host = EmitHostKernels(m);
        if (!host.ok()) return host.status();
        ir->host_kernels += *host;
      }
    }
  }
  dump("nvvm");
  {
    mlir::PassManager pm(ctx, mlir::ModuleOp::getOperationName());
    mlir::GpuModuleToBinaryPassOptions binary;
    binary.compilationTarget = "isa";
    pm.addPass(mlir::createGpuModuleToBinaryPass(binary));
    s = Run(pm, module, "PTX generation");
    if (!s.ok()) return s;
  }
  std::string ptx;
  int binaries = 0;
  for (auto bin : module.getOps<mlir::gpu::BinaryOp>()) {
    ++binaries;
    for (mlir::Attribute a : bin.getObjects()) {
      auto object = mlir::dyn_cast<mlir::gpu::ObjectAttr>(a);
      if (object) ptx = object.getObject().str();
      while (!ptx.empty() && ptx.back() == '\0') ptx.pop_back();  // the object keeps the C string's NUL
    }
  }
  if (binaries > 1) return absl::InternalError("GPU: more than one kernel module after merging");
  return ptx;
}

}  // namespace strata::gpu
