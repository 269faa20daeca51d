// Tensors whose values stay in CUDA device memory between runs (graph/device_memory.h): a GPU
// executable asked to keep its results on the device (RunOptions::results_may_stay_on_device)
// hands them back as these, and takes them as arguments without a copy when they are on its own
// device. A training step's variables live this way: each step reads the last step's values
// in place and leaves its own on the device.
#pragma once

#include <cstdint>
#include <memory>

#include "graph/device_memory.h"
#include "graph/tensor.h"
#include "runtime/gpu/cuda_device.h"

namespace strata::gpu {

// A block of `device`'s caching allocator, returned to it when the last tensor using it goes.
class CudaDeviceMemory final : public DeviceMemory {
 public:
  // Takes ownership of `address` (from device->allocator()), which holds `bytes` bytes.
  CudaDeviceMemory(std::shared_ptr<const CudaDevice> device, uint64_t address, int64_t bytes);
  ~CudaDeviceMemory() override;

  const void* device() const override { return device_.get(); }
  uint64_t address() const override { return address_; }
  std::string device_name() const override;
  absl::Status CopyToHost(void* dst, size_t bytes) const override;

 private:
  std::shared_ptr<const CudaDevice> device_;
  uint64_t address_;
  int64_t bytes_;
};

// The address of `t`'s value on `device`, or 0 when it is not there (a host tensor, or one on
// another device).
uint64_t AddressOn(const Tensor& t, const CudaDevice& device);

}  // namespace strata::gpu
