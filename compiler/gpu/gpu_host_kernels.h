// The compiler half of the GPU emulator (runtime/gpu/emulator): a program's kernels, after their
// conversion to the LLVM/NVVM dialect, retargeted to the host CPU so that the emulated CUDA
// driver can run them thread by thread. This checks the kernels strata generates (their
// indexing, barriers, warp shuffles, shared memory, launch geometry) on machines without a GPU;
// only LLVM's NVPTX code generation and the CUDA driver are left out.
//
// MLIR-free header: runtime/ uses LoadHostKernels as the emulated driver's module loader.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/gpu/emulator/host_kernel.h"

namespace mlir {
class Operation;
}

namespace strata::gpu {

// The kernels of `kernel_module` (a gpu.module in the LLVM + NVVM dialects, as
// convert-gpu-to-nvvm leaves it) as the text of a builtin module for the host: the special
// registers, bar.sync and shfl.sync become calls to strata_emu_sreg/barrier/shfl, shared memory
// (address space 3) becomes plain globals. Unimplemented naming the op for an NVVM operation the
// emulator does not provide.
absl::StatusOr<std::string> EmitHostKernels(mlir::Operation* kernel_module);
// The same from the text of a gpu.module (tests write kernels by hand this way). InvalidArgument
// when the text is not one.
absl::StatusOr<std::string> EmitHostKernelsFromText(const std::string& gpu_module_text);

// JIT-compiles the text EmitHostKernels made (a GpuProgram's `host_ir`) for the host CPU.
// Libdevice functions the kernels call (`__nv_fmodf`) are bound to the C library's; one the C
// library lacks is InvalidArgument naming it. The emulator's HostModuleLoader.
absl::StatusOr<std::unique_ptr<emu::HostModule>> LoadHostKernels(const std::string& image);

}  // namespace strata::gpu
