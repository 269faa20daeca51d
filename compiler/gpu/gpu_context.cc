// Registration of what the GPU path needs on top of the CPU compiler's context (mlir_context.cc).
#include "compiler/gpu/gpu_context.h"

#include <mutex>

#include "compiler/mlir_context.h"
#include "llvm/Support/TargetSelect.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"

extern "C" {
void LLVMInitializeNVPTXTargetInfo();
void LLVMInitializeNVPTXTarget();
void LLVMInitializeNVPTXTargetMC();
void LLVMInitializeNVPTXAsmPrinter();
}

namespace strata::gpu {

std::unique_ptr<mlir::MLIRContext> CreateGpuCompilerContext() {
  // The NVPTX backend (part of libLLVM) must be registered before gpu-module-to-binary asks for it.
  static std::once_flag nvptx_once;
  std::call_once(nvptx_once, [] {
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
  });
  std::unique_ptr<mlir::MLIRContext> ctx = CreateCompilerContext();
  mlir::DialectRegistry registry;
  registry.insert<mlir::gpu::GPUDialect, mlir::NVVM::NVVMDialect>();
  mlir::NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  mlir::registerGPUDialectTranslation(registry);
  mlir::registerNVVMDialectTranslation(registry);
  ctx->appendDialectRegistry(registry);
  ctx->loadAllAvailableDialects();
  return ctx;
}

}  // namespace strata::gpu
