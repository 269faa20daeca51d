#include "runtime/gpu/cuda_device.h"

#include <map>
#include <mutex>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace strata::gpu {

absl::StatusOr<std::unique_ptr<CudaDevice>> CudaDevice::Open(int ordinal) {
  absl::StatusOr<const CudaDriver*> driver = CudaDriver::Get();
  if (!driver.ok()) return driver.status();
  return Open(*driver, ordinal);
}

absl::StatusOr<std::unique_ptr<CudaDevice>> CudaDevice::Open(const CudaDriver* driver, int ordinal) {
  const CudaDriver& d = *driver;
  int count = 0;
  if (absl::Status s = d.Check(d.cuDeviceGetCount(&count), "cuDeviceGetCount"); !s.ok()) {
    return absl::UnavailableError(absl::StrCat("no CUDA device: ", s.message()));
  }
  if (count == 0) return absl::UnavailableError("no CUDA device: the driver reports 0 devices");
  if (ordinal < 0 || ordinal >= count) {
    return absl::InvalidArgumentError(
        absl::StrCat("CUDA device ", ordinal, " does not exist (the driver reports ", count, " device(s))"));
  }
  std::unique_ptr<CudaDevice> device(new CudaDevice());
  device->driver_ = driver;
  device->ordinal_ = ordinal;
  const std::string which = absl::StrCat("(device ", ordinal, ")");
  if (absl::Status s = d.Check(d.cuDeviceGet(&device->device_, ordinal), absl::StrCat("cuDeviceGet", which)); !s.ok()) {
    return s;
  }
  // The primary context, not a new one: it is what the CUDA runtime and libraries use, so
  // memory and modules are shared with them, and it is retained, not created, per process.
  CUcontext context = nullptr;
  if (absl::Status s = d.Check(d.cuDevicePrimaryCtxRetain(&context, device->device_),
                               absl::StrCat("cuDevicePrimaryCtxRetain", which));
      !s.ok()) {
    return s;
  }
  device->context_ = context;  // from here the destructor releases it
  if (absl::Status s = device->MakeCurrent(); !s.ok()) return s;

  char name[256] = {};
  if (absl::Status s =
          d.Check(d.cuDeviceGetName(name, sizeof(name) - 1, device->device_), absl::StrCat("cuDeviceGetName", which));
      !s.ok()) {
    return s;
  }
  device->name_ = name;
  struct {
    CUdevice_attribute attribute;
    int* value;
    const char* what;
  } attributes[] = {
      {kAttrComputeCapabilityMajor, &device->cc_major_, "compute capability major"},
      {kAttrComputeCapabilityMinor, &device->cc_minor_, "compute capability minor"},
      {kAttrMultiprocessorCount, &device->multiprocessors_, "multiprocessor count"},
  };
  for (const auto& a : attributes) {
    if (absl::Status s = d.Check(d.cuDeviceGetAttribute(a.value, a.attribute, device->device_),
                                 absl::StrCat("cuDeviceGetAttribute(", a.what, ") ", which));
        !s.ok()) {
      return s;
    }
  }
  // Non-blocking: must not serialize with the legacy default stream other libraries may use.
  CUstream stream = nullptr;
  if (absl::Status s = d.Check(d.cuStreamCreate(&stream, kStreamNonBlocking), absl::StrCat("cuStreamCreate", which));
      !s.ok()) {
    return s;
  }
  device->stream_ = stream;

  const CudaDriver* drv = driver;
  DeviceMemoryBackend backend;
  backend.alloc = [drv](size_t bytes) -> absl::StatusOr<uint64_t> {
    CUdeviceptr ptr = 0;
    if (absl::Status s = drv->Check(drv->cuMemAlloc(&ptr, bytes), absl::StrCat("cuMemAlloc(", bytes, " bytes)"));
        !s.ok()) {
      return s;
    }
    return static_cast<uint64_t>(ptr);
  };
  backend.free = [drv](uint64_t address) { return drv->Check(drv->cuMemFree(address), "cuMemFree"); };
  device->allocator_ = std::make_unique<CachingAllocator>(std::move(backend));
  return device;
}

CudaDevice::~CudaDevice() {
  if (context_ == nullptr) return;
  // Errors cannot be reported from here; each step is attempted regardless.
  (void)MakeCurrent();
  if (stream_ != nullptr) (void)driver_->cuStreamSynchronize(stream_);
  allocator_.reset();  // cuMemFree of every block, with the context current
  if (stream_ != nullptr) (void)driver_->cuStreamDestroy(stream_);
  (void)driver_->cuDevicePrimaryCtxRelease(device_);
}

absl::Status CudaDevice::MakeCurrent() const {
  return driver_->Check(driver_->cuCtxSetCurrent(context_), absl::StrCat("cuCtxSetCurrent(device ", ordinal_, ")"));
}

absl::Status CudaDevice::Synchronize() const {
  return driver_->Check(driver_->cuStreamSynchronize(stream_),
                        absl::StrCat("cuStreamSynchronize(device ", ordinal_, ")"));
}

absl::StatusOr<bool> CudaDevice::RunsArch(const std::string& cuda_arch) const {
  std::string digits = cuda_arch.rfind("sm_", 0) == 0 ? cuda_arch.substr(3) : "";
  const bool arch_specific = !digits.empty() && digits.back() == 'a';
  if (arch_specific) digits.pop_back();
  int sm = -1;
  if (digits.empty() || !absl::SimpleAtoi(digits, &sm) || sm < 0) {
    return absl::InvalidArgumentError(absl::StrCat("cuda_arch '", cuda_arch, "' is not of the form sm_NN"));
  }
  return arch_specific ? sm == sm_version() : sm <= sm_version();
}

std::string CudaDevice::Description() const {
  return absl::StrCat(name_, " (sm_", sm_version(), ", ", multiprocessors_, " SMs)");
}

void CudaDevice::CountHostToDevice(int64_t bytes) const {
  h2d_copies_.fetch_add(1, std::memory_order_relaxed);
  h2d_bytes_.fetch_add(bytes, std::memory_order_relaxed);
}

void CudaDevice::CountDeviceToHost(int64_t bytes) const {
  d2h_copies_.fetch_add(1, std::memory_order_relaxed);
  d2h_bytes_.fetch_add(bytes, std::memory_order_relaxed);
}

TransferStats CudaDevice::transfer_stats() const {
  TransferStats s;
  s.host_to_device_copies = h2d_copies_.load(std::memory_order_relaxed);
  s.host_to_device_bytes = h2d_bytes_.load(std::memory_order_relaxed);
  s.device_to_host_copies = d2h_copies_.load(std::memory_order_relaxed);
  s.device_to_host_bytes = d2h_bytes_.load(std::memory_order_relaxed);
  return s;
}

absl::StatusOr<std::shared_ptr<CudaDevice>> SharedCudaDevice(int ordinal) {
  static std::mutex mu;
  // Never destroyed: executables held by other statics may still use a device during exit,
  // and tearing a context down at exit races the driver's own shutdown.
  static auto* devices = new std::map<int, absl::StatusOr<std::shared_ptr<CudaDevice>>>();
  std::lock_guard<std::mutex> lock(mu);
  auto it = devices->find(ordinal);
  if (it == devices->end()) {
    absl::StatusOr<std::unique_ptr<CudaDevice>> opened = CudaDevice::Open(ordinal);
    absl::StatusOr<std::shared_ptr<CudaDevice>> shared =
        opened.ok() ? absl::StatusOr<std::shared_ptr<CudaDevice>>(std::shared_ptr<CudaDevice>(std::move(*opened)))
                    : absl::StatusOr<std::shared_ptr<CudaDevice>>(opened.status());
    it = devices->emplace(ordinal, std::move(shared)).first;
  }
  return it->second;
}

bool CudaAvailable(std::string* why_not) {
  absl::StatusOr<std::shared_ptr<CudaDevice>> device = SharedCudaDevice(0);
  if (!device.ok() && why_not != nullptr) *why_not = std::string(device.status().message());
  return device.ok();
}

}  // namespace strata::gpu
