// The CPU pass pipeline (see cpu_pipeline.h). Passes are created through their C++
// constructors; the LLVM conversion is the explicit sequence that works from a C++ driver
// (the generic convert-to-llvm left func.func unconverted there).
#include "compiler/cpu_pipeline.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "compiler/aot_buffer_lifetimes.h"
#include "compiler/cpu_parallel.h"
#include "compiler/cpu_tiling.h"
#include "compiler/cpu_widen_convolutions.h"
#include "compiler/pass_util.h"
#include "llvm/Support/raw_ostream.h"
#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToFuncs/MathToFuncs.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

namespace strata {

namespace {

// f32 polynomial approximations of the transcendental math ops (vectorize, unlike libm calls).
struct MathApproximationPass : public mlir::PassWrapper<MathApproximationPass, mlir::OperationPass<>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(MathApproximationPass)
  llvm::StringRef getArgument() const override { return "strata-math-approximation"; }
  void getDependentDialects(mlir::DialectRegistry& registry) const override {
    registry.insert<mlir::arith::ArithDialect, mlir::math::MathDialect, mlir::vector::VectorDialect>();
  }
  void runOnOperation() override {
    mlir::RewritePatternSet patterns(&getContext());
    mlir::populateMathPolynomialApproximationPatterns(patterns);
    if (mlir::failed(mlir::applyPatternsAndFoldGreedily(getOperation(), std::move(patterns)))) signalPassFailure();
  }
};

// SplitEmptyTensors and MoveReshapesOntoDestinations (pass_util.h) as a pass on each function:
// what empty-tensor elimination needs to compute results in their destinations.
struct SplitEmptyTensorsPass : public mlir::PassWrapper<SplitEmptyTensorsPass, mlir::OperationPass<mlir::func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SplitEmptyTensorsPass)
  llvm::StringRef getArgument() const override { return "strata-split-empty-tensors"; }
  void runOnOperation() override {
    SplitEmptyTensors(getOperation());
    MoveReshapesOntoDestinations(getOperation());
  }
};

void AddCleanup(mlir::OpPassManager& pm) {
  pm.addNestedPass<mlir::func::FuncOp>(mlir::createCanonicalizerPass());
  pm.addNestedPass<mlir::func::FuncOp>(mlir::createCSEPass());
}

absl::Status Run(mlir::PassManager& pm, mlir::ModuleOp module, const char* stage) {
  return RunPassManager(pm, module, "CPU pipeline", stage);
}

}  // namespace

std::string PrintIr(mlir::Operation* op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  mlir::OpPrintingFlags flags;
  flags.elideLargeElementsAttrs(16);
  op->print(os, flags);
  return s;
}

absl::Status RunCpuPipeline(mlir::ModuleOp module, const CpuPipelineOptions& options, PipelineIr* ir) {
  mlir::MLIRContext* ctx = module.getContext();
  // STRATA_DEBUG_IR=1 prints the module before each stage and at the end (compiler debugging).
  const bool debug = std::getenv("STRATA_DEBUG_IR") != nullptr;
  auto dump = [&](const char* stage) {
    if (debug) llvm::errs() << "// ---- " << stage << " ----\n" << PrintIr(module) << "\n";
  };
  using mlir::func::FuncOp;

  // 1-2. Tensor level: fusion, then tiling and vectorization.
  dump("lowered");
  {
    mlir::PassManager pm(ctx, mlir::ModuleOp::getOperationName());
    AddCleanup(pm);
    pm.addNestedPass<FuncOp>(CreateWidenHalfConvolutionsPass());
    pm.addNestedPass<FuncOp>(mlir::createLinalgElementwiseOpFusionPass());
    AddCleanup(pm);
    if (options.vectorize) AddTileAndVectorizePasses(pm, TilingOptions{options.vector_bits});
    absl::Status s = Run(pm, module, "fusion");
    if (!s.ok()) return s;
    if (ir && options.capture_ir) ir->fused = PrintIr(module);
  }

  // 3. Bufferization into the destination buffers, deallocation, loops.
  dump("fused and vectorized");
  {
    mlir::PassManager pm(ctx, mlir::ModuleOp::getOperationName());
    pm.addNestedPass<FuncOp>(std::make_unique<SplitEmptyTensorsPass>());
    pm.addPass(mlir::bufferization::createEmptyTensorEliminationPass());
    pm.addPass(mlir::bufferization::createEmptyTensorToAllocTensorPass());
    mlir::bufferization::OneShotBufferizationOptions bopts;
    bopts.bufferizeFunctionBoundaries = false;
    bopts.allowReturnAllocsFromLoops = true;
    bopts.setFunctionBoundaryTypeConversion(mlir::bufferization::LayoutMapOption::IdentityLayoutMap);
    // Copies as linalg.copy: they become loops (and vectors) instead of calls into a runtime.
    bopts.memCpyFn = [](mlir::OpBuilder& b, mlir::Location loc, mlir::Value from, mlir::Value to) {
      b.create<mlir::linalg::CopyOp>(loc, from, to);
      return mlir::success();
    };
    pm.addPass(mlir::bufferization::createOneShotBufferizePass(bopts));
    AddCleanup(pm);
    // Before any buffer leaves a loop: each parallel chunk keeps its own scratch buffers.
    pm.addPass(CreateOutlineParallelLoopsPass());
    pm.addNestedPass<FuncOp>(mlir::bufferization::createBufferHoistingPass());
    pm.addNestedPass<FuncOp>(mlir::bufferization::createBufferLoopHoistingPass());
    pm.addNestedPass<FuncOp>(mlir::bufferization::createPromoteBuffersToStackPass(/*maxAllocSizeInBytes=*/4096, /*maxRank=*/4));
    // Stack buffers must not stay in loops: each iteration would grow the stack.
    pm.addNestedPass<FuncOp>(mlir::bufferization::createBufferLoopHoistingPass());
    mlir::bufferization::BufferDeallocationPipelineOptions dopts;
    mlir::bufferization::buildBufferDeallocationPipeline(pm, dopts);
    if (options.vectorize) AddVectorLoweringPasses(pm);
    pm.addNestedPass<FuncOp>(mlir::createConvertLinalgToLoopsPass());
    pm.addPass(mlir::createBufferizationToMemRefPass());
    AddCleanup(pm);
    if (options.tighten_buffer_lifetimes) pm.addNestedPass<FuncOp>(CreateTightenBufferLifetimesPass());
    absl::Status s = Run(pm, module, "bufferization");
    if (!s.ok()) return s;
    if (ir && options.capture_ir) ir->bufferized = PrintIr(module);
  }

  // 4. Math lowering and conversion to the LLVM dialect.
  dump("bufferized");
  {
    mlir::PassManager pm(ctx, mlir::ModuleOp::getOperationName());
    if (options.math_approximations) pm.addPass(std::make_unique<MathApproximationPass>());
    pm.addPass(mlir::createConvertMathToFuncs());
    mlir::arith::ArithExpandOpsPassOptions expand;
    expand.includeBf16 = true;
    pm.addPass(mlir::arith::createArithExpandOpsPass(expand));
    pm.addPass(mlir::memref::createExpandStridedMetadataPass());
    pm.addPass(mlir::createLowerAffinePass());
    pm.addPass(mlir::createConvertSCFToCFPass());
    mlir::ConvertVectorToLLVMPassOptions vector_to_llvm;
    vector_to_llvm.reassociateFPReductions = true;  // tree reductions instead of serial adds
    pm.addPass(mlir::createConvertVectorToLLVMPass(vector_to_llvm));
    mlir::FinalizeMemRefToLLVMConversionPassOptions memref_to_llvm;
    memref_to_llvm.useGenericFunctions = true;  // allocations go through runtime_support.h
    pm.addPass(mlir::createFinalizeMemRefToLLVMConversionPass(memref_to_llvm));
    pm.addPass(mlir::createArithToLLVMConversionPass());
    pm.addPass(mlir::createConvertMathToLLVMPass());
    pm.addPass(mlir::createConvertIndexToLLVMPass());
    pm.addPass(mlir::createConvertControlFlowToLLVMPass());
    pm.addPass(mlir::createConvertFuncToLLVMPass());
    pm.addPass(mlir::createUBToLLVMConversionPass());
    pm.addPass(mlir::createReconcileUnrealizedCastsPass());
    pm.addPass(CreateLowerParallelCallsPass());
    absl::Status s = Run(pm, module, "LLVM conversion");
    dump("LLVM dialect");
    return s;
  }
}

}  // namespace strata
