#include "runtime/gpu/cuda_driver.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "graph/str_util.h"

namespace strata::gpu {
namespace {

constexpr char kDefaultLibcuda[] = "libcuda.so.1";

// Binds `member` to `symbol`; false (with `*missing` set) when the library lacks it.
template <typename Fn>
bool Bind(void* library, const char* symbol, Fn* member, std::string* missing) {
  void* address = dlsym(library, symbol);
  if (address == nullptr) {
    if (missing->empty()) *missing = symbol;
    return false;
  }
  *member = reinterpret_cast<Fn>(address);
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CudaDriver>> CudaDriver::Load(const std::string& path) {
  // RTLD_LOCAL: the driver's symbols must not leak into (or clash with) anything else loaded.
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* error = dlerror();
    return absl::UnavailableError(
        absl::StrCat("no CUDA driver: dlopen(", path, ") failed: ", error != nullptr ? error : "unknown error"));
  }
  auto driver = std::make_unique<CudaDriver>();
  driver->path = path;
  std::string missing;
  bool ok = true;
  // The versioned entry points: cuda.h #defines e.g. cuMemAlloc to cuMemAlloc_v2; the
  // unversioned symbols are the old (32-bit pointer) ABI.
  ok &= Bind(library, "cuInit", &driver->cuInit, &missing);
  ok &= Bind(library, "cuDriverGetVersion", &driver->cuDriverGetVersion, &missing);
  ok &= Bind(library, "cuGetErrorName", &driver->cuGetErrorName, &missing);
  ok &= Bind(library, "cuGetErrorString", &driver->cuGetErrorString, &missing);
  ok &= Bind(library, "cuDeviceGetCount", &driver->cuDeviceGetCount, &missing);
  ok &= Bind(library, "cuDeviceGet", &driver->cuDeviceGet, &missing);
  ok &= Bind(library, "cuDeviceGetName", &driver->cuDeviceGetName, &missing);
  ok &= Bind(library, "cuDeviceGetAttribute", &driver->cuDeviceGetAttribute, &missing);
  ok &= Bind(library, "cuDevicePrimaryCtxRetain", &driver->cuDevicePrimaryCtxRetain, &missing);
  ok &= Bind(library, "cuDevicePrimaryCtxRelease_v2", &driver->cuDevicePrimaryCtxRelease, &missing);
  ok &= Bind(library, "cuCtxSetCurrent", &driver->cuCtxSetCurrent, &missing);
  ok &= Bind(library, "cuModuleLoadDataEx", &driver->cuModuleLoadDataEx, &missing);
  ok &= Bind(library, "cuModuleUnload", &driver->cuModuleUnload, &missing);
  ok &= Bind(library, "cuModuleGetFunction", &driver->cuModuleGetFunction, &missing);
  ok &= Bind(library, "cuLaunchKernel", &driver->cuLaunchKernel, &missing);
  ok &= Bind(library, "cuMemAlloc_v2", &driver->cuMemAlloc, &missing);
  ok &= Bind(library, "cuMemFree_v2", &driver->cuMemFree, &missing);
  ok &= Bind(library, "cuMemcpyHtoDAsync_v2", &driver->cuMemcpyHtoDAsync, &missing);
  ok &= Bind(library, "cuMemcpyDtoHAsync_v2", &driver->cuMemcpyDtoHAsync, &missing);
  ok &= Bind(library, "cuMemcpyDtoDAsync_v2", &driver->cuMemcpyDtoDAsync, &missing);
  ok &= Bind(library, "cuMemsetD8Async", &driver->cuMemsetD8Async, &missing);
  ok &= Bind(library, "cuStreamCreate", &driver->cuStreamCreate, &missing);
  ok &= Bind(library, "cuStreamDestroy_v2", &driver->cuStreamDestroy, &missing);
  ok &= Bind(library, "cuStreamSynchronize", &driver->cuStreamSynchronize, &missing);
  if (!ok) {
    // Kept loaded: unloading libraries that may have run initializers is not worth the risk.
    return absl::UnavailableError(absl::StrCat("no CUDA driver: ", path, " does not export ", missing,
                                               " (not a CUDA driver library, or one too old)"));
  }
  if (absl::Status init = driver->Check(driver->cuInit(0), "cuInit"); !init.ok()) {
    return absl::UnavailableError(
        absl::StrCat("no CUDA device: the CUDA driver (", path, ") loaded but ", init.message()));
  }
  return driver;
}

absl::StatusOr<const CudaDriver*> CudaDriver::Get() {
  static std::once_flag once;
  static absl::StatusOr<std::unique_ptr<CudaDriver>>* loaded = nullptr;
  std::call_once(once, [] {
    const char* override_path = std::getenv("STRATA_LIBCUDA");
    std::string path = override_path != nullptr && *override_path != '\0' ? override_path : kDefaultLibcuda;
    // Never destroyed: executables and devices may outlive other statics at exit.
    loaded = new absl::StatusOr<std::unique_ptr<CudaDriver>>(Load(path));
  });
  if (!loaded->ok()) return loaded->status();
  return loaded->value().get();
}

absl::Status CudaDriver::Check(CUresult result, std::string_view call) const {
  if (result == kCudaSuccess) return absl::OkStatus();
  const char* name = nullptr;
  const char* text = nullptr;
  if (cuGetErrorName == nullptr || cuGetErrorName(result, &name) != kCudaSuccess) name = nullptr;
  if (cuGetErrorString == nullptr || cuGetErrorString(result, &text) != kCudaSuccess) text = nullptr;
  if (result == kCudaErrorStubLibrary && name == nullptr) {
    // The toolkit's stub (lib64/stubs/libcuda.so, for linking only) cannot even name its error;
    // it gets loaded when a library path points at the stubs folder.
    name = "CUDA_ERROR_STUB_LIBRARY";
    text = "this is the CUDA toolkit's stub libcuda.so, not a driver";
  }
  std::string message =
      absl::StrCat(Absl(call), " failed: ", name != nullptr ? name : absl::StrCat("CUresult ", result));
  if (text != nullptr) absl::StrAppend(&message, " (", text, ")");
  switch (result) {
    case kCudaErrorOutOfMemory:
      return absl::ResourceExhaustedError(message);
    case kCudaErrorNoDevice:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace strata::gpu
