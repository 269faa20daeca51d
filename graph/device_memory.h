// Memory on an accelerator that holds a tensor's bytes. runtime/gpu implements it for CUDA
// devices; graph/ knows nothing of CUDA, only how to recognise the device and copy the bytes
// down. A Buffer backed by one (Buffer::OnDevice) lets a value stay on its device between the
// runs that use it there, such as the variables a GPU training step updates, and reach the host
// only when host code reads it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace strata {

class DeviceMemory {
 public:
  // Frees the memory (back to its device's allocator).
  virtual ~DeviceMemory() = default;
  // The device that holds it: an executable compares this with its own device to use the memory
  // in place. Opaque here.
  virtual const void* device() const = 0;
  // Its address on that device.
  virtual uint64_t address() const = 0;
  // "GPU:0", for messages.
  virtual std::string device_name() const = 0;
  // Copies the first `bytes` bytes to host memory at `dst` and waits until they are there.
  virtual absl::Status CopyToHost(void* dst, size_t bytes) const = 0;
};

}  // namespace strata
