#include "runtime/gpu/device_tensor.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace strata::gpu {

CudaDeviceMemory::CudaDeviceMemory(std::shared_ptr<const CudaDevice> device, uint64_t address, int64_t bytes)
    : device_(std::move(device)), address_(address), bytes_(bytes) {}

CudaDeviceMemory::~CudaDeviceMemory() {
  // Nothing queued can still use the block: every run synchronizes its stream before it returns,
  // and a run's arguments outlive it.
  (void)device_->allocator().Free(address_);
}

std::string CudaDeviceMemory::device_name() const { return absl::StrCat("GPU:", device_->ordinal()); }

absl::Status CudaDeviceMemory::CopyToHost(void* dst, size_t bytes) const {
  if (static_cast<int64_t>(bytes) > bytes_) {
    return absl::InternalError(absl::StrCat("reading ", bytes, " bytes from a device block of ", bytes_));
  }
  if (bytes == 0) return absl::OkStatus();
  if (absl::Status s = device_->MakeCurrent(); !s.ok()) return s;
  const CudaDriver& d = device_->driver();
  if (absl::Status s = d.Check(d.cuMemcpyDtoHAsync(dst, address_, bytes, device_->stream()), "cuMemcpyDtoHAsync");
      !s.ok()) {
    return s;
  }
  device_->CountDeviceToHost(static_cast<int64_t>(bytes));
  return device_->Synchronize();
}

uint64_t AddressOn(const Tensor& t, const CudaDevice& device) {
  const DeviceMemory* memory = t.device_memory();
  return memory != nullptr && memory->device() == &device ? memory->address() : 0;
}

}  // namespace strata::gpu
