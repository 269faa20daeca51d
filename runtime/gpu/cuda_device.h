// One CUDA device as the runtime uses it: its primary context (the one the CUDA runtime API and
// other libraries share), a non-blocking stream every executable on the device launches on, and
// a caching allocator for its memory.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/gpu/caching_allocator.h"
#include "runtime/gpu/cuda_driver.h"

namespace strata::gpu {

// Bytes copied between the host and the device, for tests and benchmarks: what a training step
// moves shows whether its variables stayed on the device.
struct TransferStats {
  int64_t host_to_device_copies = 0;
  int64_t host_to_device_bytes = 0;
  int64_t device_to_host_copies = 0;
  int64_t device_to_host_bytes = 0;
};

class CudaDevice {
 public:
  // Device `ordinal` through CudaDriver::Get(). Unavailable where there is no driver or no
  // device; InvalidArgument for an ordinal the driver does not have.
  static absl::StatusOr<std::unique_ptr<CudaDevice>> Open(int ordinal);
  // The same over a given driver table (tests pass a fake one). `driver` must outlive the device.
  static absl::StatusOr<std::unique_ptr<CudaDevice>> Open(const CudaDriver* driver, int ordinal);

  // Releases the cached memory, the stream and the primary context reference.
  ~CudaDevice();
  CudaDevice(const CudaDevice&) = delete;
  CudaDevice& operator=(const CudaDevice&) = delete;

  const CudaDriver& driver() const { return *driver_; }
  int ordinal() const { return ordinal_; }
  const std::string& name() const { return name_; }
  int compute_capability_major() const { return cc_major_; }
  int compute_capability_minor() const { return cc_minor_; }
  // 80 for sm_80, 90 for sm_90.
  int sm_version() const { return cc_major_ * 10 + cc_minor_; }
  // Whether code compiled for `cuda_arch` ("sm_80", "sm_90a") runs here: PTX for an older
  // architecture JIT-compiles for a newer GPU, not the other way, and the arch-specific "a"
  // targets only for exactly their GPU. InvalidArgument when `cuda_arch` is not sm_NN[a].
  absl::StatusOr<bool> RunsArch(const std::string& cuda_arch) const;
  int multiprocessor_count() const { return multiprocessors_; }
  CUstream stream() const { return stream_; }
  CachingAllocator& allocator() const { return *allocator_; }

  // Makes the device's context current on the calling thread (each thread that calls the
  // driver for this device must, once; it is cheap to repeat).
  absl::Status MakeCurrent() const;
  // Waits for everything queued on the device's stream.
  absl::Status Synchronize() const;

  // "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs)"
  std::string Description() const;

  // Every copy the runtime queues between host and device memory counts itself here: the
  // executables' arguments and results, constants, and device tensors read on the host.
  void CountHostToDevice(int64_t bytes) const;
  void CountDeviceToHost(int64_t bytes) const;
  TransferStats transfer_stats() const;

 private:
  CudaDevice() = default;

  const CudaDriver* driver_ = nullptr;
  int ordinal_ = 0;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  CUstream stream_ = nullptr;
  std::string name_;
  int cc_major_ = 0;
  int cc_minor_ = 0;
  int multiprocessors_ = 0;
  std::unique_ptr<CachingAllocator> allocator_;
  mutable std::atomic<int64_t> h2d_copies_{0}, h2d_bytes_{0}, d2h_copies_{0}, d2h_bytes_{0};
};

// The process-wide device `ordinal`, opened on first use and shared by every GPU executable so
// that they share one context, stream and memory cache. The error (no driver, no device) is
// kept and returned to every caller.
absl::StatusOr<std::shared_ptr<CudaDevice>> SharedCudaDevice(int ordinal = 0);

// True when device 0 can be opened (tests skip their GPU cases otherwise). `why_not`, when
// given, receives the reason it cannot.
bool CudaAvailable(std::string* why_not = nullptr);

}  // namespace strata::gpu
