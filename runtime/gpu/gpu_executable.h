// An Executable over a compiled GpuProgram (runtime/gpu/gpu_program.h).
//
// Created once per compiled signature: loads the PTX module (JIT-compiled by the driver for the
// device), resolves every kernel the steps launch, and uploads the constant buffers. Run then
// only moves data and launches: feeds host->device, the steps in order on the device's stream,
// fetches device->host, one synchronize, and the run's buffers back to the caching allocator.
//
// Thread-safety: the executable is immutable after Create and Run keeps its state on the
// stack, so any number of threads may call Run at once. Their work goes to the device's one
// stream, so the GPU runs it in submission order; each Run waits for its stream to drain, which
// includes other Runs' work queued before its own.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "graph/tensor.h"
#include "runtime/executable.h"
#include "runtime/gpu/cuda_device.h"
#include "runtime/gpu/gpu_program.h"
#include "runtime/gpu/gpu_program_validation.h"  // ValidateGpuProgram, which Create runs

namespace strata::gpu {

class GpuExecutable : public Executable {
 public:
  // Validates the program (buffer indices, kinds, byte sizes, copies, the target architecture
  // against the device), loads its module and uploads its constants. InvalidArgument names
  // what in the program is inconsistent; a PTX the driver rejects is InvalidArgument carrying
  // the JIT error log; FailedPrecondition when the program targets a newer GPU than `device`.
  static absl::StatusOr<std::unique_ptr<GpuExecutable>> Create(std::shared_ptr<CudaDevice> device, GpuProgram program);
  ~GpuExecutable() override;

  // args must match the program's argument buffers in dtype and shape (InvalidArgument naming
  // the argument otherwise). Arguments already on this device (device_tensor.h) are used in
  // place; with options.results_may_stay_on_device, results are left on the device as such
  // tensors. Other options are unused: the GPU needs no host threads.
  absl::Status Run(absl::Span<const Tensor> args, std::vector<Tensor>* results,
                   const RunOptions& options = {}) const override;
  // The program: buffers, steps and the PTX.
  std::string DebugString() const override;

  const GpuProgram& program() const { return program_; }
  const CudaDevice& device() const { return *device_; }

 private:
  GpuExecutable(std::shared_ptr<CudaDevice> device, GpuProgram program);
  absl::Status LoadModule();
  absl::Status UploadConstants();

  std::shared_ptr<CudaDevice> device_;
  GpuProgram program_;
  CUmodule module_ = nullptr;
  std::string jit_info_log_;                // what the JIT reported when loading the module
  std::vector<CUfunction> step_functions_;  // per step: the kernel of a launch, else null
  std::vector<CUdeviceptr> constant_ptrs_;  // per buffer: the uploaded constant, else 0
};

}  // namespace strata::gpu
