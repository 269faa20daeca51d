// A fake CUDA driver for tests on machines without a GPU: a CudaDriver table whose "device
// memory" is host memory and whose kernels are host functions registered by name. It checks
// what a real device would fault on: every copy, memset and kernel access must lie inside a
// live allocation (else CUDA_ERROR_ILLEGAL_ADDRESS), frees must be of live blocks, and a kernel
// must be defined (".entry name(") in the PTX its module was loaded from.
//
// Header-only, test use only (one instance per process: the driver table is a static).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "runtime/gpu/cuda_driver.h"
#include "runtime/gpu/cuda_error_names.h"

namespace strata::gpu::fake {

// A kernel: called once per launch with the geometry and the parameter array, as the GPU
// would see them (params[i] points at the i-th parameter's bytes).
using HostKernel = std::function<CUresult(const unsigned grid[3], const unsigned block[3], void** params)>;

struct FakeState {
  std::mutex mu;
  std::map<uint64_t, size_t> live;  // device "address" -> bytes
  std::map<std::string, HostKernel> kernels;
  int64_t mem_allocs = 0;
  int64_t mem_frees = 0;
  int64_t launches = 0;
  int64_t modules_loaded = 0;
  int64_t modules_unloaded = 0;
  int64_t synchronizes = 0;
  int64_t primary_ctx_retains = 0;
  int64_t primary_ctx_releases = 0;
  int fail_next_alloc = 0;   // the next N cuMemAlloc calls fail with out of memory
  int fail_next_launch = 0;  // the next N cuLaunchKernel calls fail with illegal address
};

inline FakeState& State() {
  static FakeState* state = new FakeState();
  return *state;
}

// True when [address, address + bytes) lies inside one live allocation.
inline bool InBounds(uint64_t address, size_t bytes) {
  FakeState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.live.upper_bound(address);
  if (it == s.live.begin()) return false;
  --it;
  return address >= it->first && address + bytes <= it->first + it->second;
}

inline void* HostPtr(uint64_t address) { return reinterpret_cast<void*>(static_cast<uintptr_t>(address)); }

struct FakeModule {
  std::string ptx;
};

namespace detail {

constexpr CUresult kInvalidValue = 1;
constexpr CUresult kIllegalAddress = 700;

// cuGetErrorName (`name_not_text`) or cuGetErrorString: kInvalidValue and null for an unknown code.
inline CUresult LookUpError(CUresult error, bool name_not_text, const char** out) {
  const CudaErrorName* e = FindCudaErrorName(error);
  *out = e == nullptr ? nullptr : (name_not_text ? e->name : e->text);
  return e == nullptr ? kInvalidValue : 0;
}
inline CUresult GetErrorName(CUresult error, const char** name) { return LookUpError(error, true, name); }
inline CUresult GetErrorString(CUresult error, const char** text) { return LookUpError(error, false, text); }

inline CUresult ModuleLoadDataEx(CUmodule* module, const void* image, unsigned int num_options, CUjit_option* options,
                                 void** values) {
  const std::string ptx(static_cast<const char*>(image));
  // The one error the tests provoke: an unknown register, reported the way ptxas does.
  if (ptx.find("%zz") != std::string::npos) {
    // The size option goes in as the buffer's capacity and comes back as the bytes written.
    char* log = nullptr;
    int size_index = -1;
    for (unsigned i = 0; i < num_options; ++i) {
      if (options[i] == kJitErrorLogBuffer) log = static_cast<char*>(values[i]);
      if (options[i] == kJitErrorLogBufferSize) size_index = static_cast<int>(i);
    }
    if (log != nullptr && size_index >= 0) {
      const std::string text = "ptxas application ptx input, line 41; error   : Unknown symbol '%zz'";
      const size_t capacity = static_cast<size_t>(reinterpret_cast<uintptr_t>(values[size_index]));
      const size_t written = capacity == 0 ? 0 : std::min(text.size(), capacity - 1);
      std::memcpy(log, text.data(), written);
      if (capacity > 0) log[written] = '\0';
      values[size_index] = reinterpret_cast<void*>(static_cast<uintptr_t>(written + 1));
    }
    return 218;
  }
  std::lock_guard<std::mutex> lock(State().mu);
  ++State().modules_loaded;
  *module = reinterpret_cast<CUmodule>(new FakeModule{ptx});
  return 0;
}

inline CUresult ModuleUnload(CUmodule module) {
  std::lock_guard<std::mutex> lock(State().mu);
  ++State().modules_unloaded;
  delete reinterpret_cast<FakeModule*>(module);
  return 0;
}

inline CUresult ModuleGetFunction(CUfunction* function, CUmodule module, const char* name) {
  const FakeModule* m = reinterpret_cast<const FakeModule*>(module);
  if (m->ptx.find(std::string(".entry ") + name + "(") == std::string::npos) return 500;
  std::lock_guard<std::mutex> lock(State().mu);
  auto it = State().kernels.find(name);
  if (it == State().kernels.end()) return 500;
  *function = reinterpret_cast<CUfunction>(&it->second);  // map nodes are stable
  return 0;
}

inline CUresult LaunchKernel(CUfunction function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                             unsigned bz, unsigned /*shared*/, CUstream /*stream*/, void** params, void** extra) {
  if (extra != nullptr) return kInvalidValue;
  {
    std::lock_guard<std::mutex> lock(State().mu);
    ++State().launches;
    if (State().fail_next_launch > 0) {
      --State().fail_next_launch;
      return kIllegalAddress;
    }
  }
  const unsigned grid[3] = {gx, gy, gz};
  const unsigned block[3] = {bx, by, bz};
  return (*reinterpret_cast<HostKernel*>(function))(grid, block, params);
}

inline CUresult MemAlloc(CUdeviceptr* ptr, size_t bytes) {
  if (bytes == 0) return kInvalidValue;  // as the real driver does
  std::lock_guard<std::mutex> lock(State().mu);
  if (State().fail_next_alloc > 0) {
    --State().fail_next_alloc;
    return 2;
  }
  void* p = std::malloc(bytes);
  if (p == nullptr) return 2;
  std::memset(p, 0xCD, bytes);  // garbage, like fresh device memory
  *ptr = reinterpret_cast<uintptr_t>(p);
  State().live[*ptr] = bytes;
  ++State().mem_allocs;
  return 0;
}

inline CUresult MemFree(CUdeviceptr ptr) {
  std::lock_guard<std::mutex> lock(State().mu);
  if (State().live.erase(ptr) == 0) return kInvalidValue;
  ++State().mem_frees;
  std::free(HostPtr(ptr));
  return 0;
}

inline CUresult HtoD(CUdeviceptr dst, const void* src, size_t bytes, CUstream) {
  if (!InBounds(dst, bytes)) return kIllegalAddress;
  std::memcpy(HostPtr(dst), src, bytes);
  return 0;
}

inline CUresult DtoH(void* dst, CUdeviceptr src, size_t bytes, CUstream) {
  if (!InBounds(src, bytes)) return kIllegalAddress;
  std::memcpy(dst, HostPtr(src), bytes);
  return 0;
}

inline CUresult DtoD(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream) {
  if (!InBounds(src, bytes) || !InBounds(dst, bytes)) return kIllegalAddress;
  std::memmove(HostPtr(dst), HostPtr(src), bytes);
  return 0;
}

inline CUresult MemsetD8(CUdeviceptr dst, unsigned char value, size_t bytes, CUstream) {
  if (!InBounds(dst, bytes)) return kIllegalAddress;
  std::memset(HostPtr(dst), value, bytes);
  return 0;
}

}  // namespace detail

// The fake driver table (one per process).
inline const CudaDriver* Driver() {
  static const CudaDriver* driver = [] {
    auto* d = new CudaDriver();
    d->path = "fake";
    d->cuInit = [](unsigned) -> CUresult { return 0; };
    d->cuDriverGetVersion = [](int* v) -> CUresult {
      *v = 13000;
      return 0;
    };
    d->cuGetErrorName = detail::GetErrorName;
    d->cuGetErrorString = detail::GetErrorString;
    d->cuDeviceGetCount = [](int* n) -> CUresult {
      *n = 1;
      return 0;
    };
    d->cuDeviceGet = [](CUdevice* dev, int ordinal) -> CUresult {
      if (ordinal != 0) return detail::kInvalidValue;
      *dev = 0;
      return 0;
    };
    d->cuDeviceGetName = [](char* name, int len, CUdevice) -> CUresult {
      std::strncpy(name, "Fake GPU", static_cast<size_t>(len));
      return 0;
    };
    d->cuDeviceGetAttribute = [](int* v, CUdevice_attribute a, CUdevice) -> CUresult {
      if (a == kAttrComputeCapabilityMajor)
        *v = 8;
      else if (a == kAttrComputeCapabilityMinor)
        *v = 0;
      else if (a == kAttrMultiprocessorCount)
        *v = 4;
      else
        return detail::kInvalidValue;
      return 0;
    };
    d->cuDevicePrimaryCtxRetain = [](CUcontext* c, CUdevice) -> CUresult {
      std::lock_guard<std::mutex> lock(State().mu);
      ++State().primary_ctx_retains;
      *c = reinterpret_cast<CUcontext>(uintptr_t{0x100});
      return 0;
    };
    d->cuDevicePrimaryCtxRelease = [](CUdevice) -> CUresult {
      std::lock_guard<std::mutex> lock(State().mu);
      ++State().primary_ctx_releases;
      return 0;
    };
    d->cuCtxSetCurrent = [](CUcontext c) -> CUresult { return c == nullptr ? detail::kInvalidValue : 0; };
    d->cuModuleLoadDataEx = detail::ModuleLoadDataEx;
    d->cuModuleUnload = detail::ModuleUnload;
    d->cuModuleGetFunction = detail::ModuleGetFunction;
    d->cuLaunchKernel = detail::LaunchKernel;
    d->cuMemAlloc = detail::MemAlloc;
    d->cuMemFree = detail::MemFree;
    d->cuMemcpyHtoDAsync = detail::HtoD;
    d->cuMemcpyDtoHAsync = detail::DtoH;
    d->cuMemcpyDtoDAsync = detail::DtoD;
    d->cuMemsetD8Async = detail::MemsetD8;
    d->cuStreamCreate = [](CUstream* s, unsigned) -> CUresult {
      *s = reinterpret_cast<CUstream>(uintptr_t{0x200});
      return 0;
    };
    d->cuStreamDestroy = [](CUstream) -> CUresult { return 0; };
    d->cuStreamSynchronize = [](CUstream) -> CUresult {
      std::lock_guard<std::mutex> lock(State().mu);
      ++State().synchronizes;
      return 0;
    };
    return d;
  }();
  return driver;
}

// Registers a host kernel for the fake driver under `name` (replacing any before it).
inline void RegisterKernel(const std::string& name, HostKernel kernel) {
  std::lock_guard<std::mutex> lock(State().mu);
  State().kernels[name] = std::move(kernel);
}

}  // namespace strata::gpu::fake
