#include "runtime/gpu/emulator/emulated_driver.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/gpu/cuda_error_names.h"
#include "runtime/gpu/emulator/kernel_runner.h"
#include "runtime/gpu/emulator/shared_bank_stats.h"

namespace strata::gpu::emu {
namespace {

// cuda.h's codes for what the emulator can fail with.
constexpr CUresult kInvalidValue = 1;      // CUDA_ERROR_INVALID_VALUE
constexpr CUresult kInvalidDevice = 101;   // CUDA_ERROR_INVALID_DEVICE
constexpr CUresult kInvalidHandle = 400;   // CUDA_ERROR_INVALID_HANDLE
constexpr CUresult kIllegalAddress = 700;  // CUDA_ERROR_ILLEGAL_ADDRESS
constexpr CUresult kLaunchFailed = 719;    // CUDA_ERROR_LAUNCH_FAILED

// The calling thread's latest failure with a reason: cuGetErrorString of that code returns
// "<standard text>: <reason>" (valid until the thread's next failure).
struct LastFailure {
  CUresult code = 0;
  std::string text;
};
thread_local LastFailure t_last_failure;

CUresult Fail(CUresult code, const std::string& reason) {
  const CudaErrorName* e = FindCudaErrorName(code);
  t_last_failure.code = code;
  t_last_failure.text = absl::StrCat(e != nullptr ? e->text : "error", ": ", reason);
  return code;
}

struct EmuFunction {
  std::string name;
  HostKernel kernel;
};

struct EmuModule {
  std::unique_ptr<HostModule> module;
  std::map<std::string, std::unique_ptr<EmuFunction>> functions;  // stable addresses
};

// The one emulator state of the process (see emulated_driver.h).
struct EmuState {
  std::mutex mu;
  HostModuleLoader loader = nullptr;
  std::map<uint64_t, size_t> live;  // allocation address -> requested bytes
  std::map<EmuModule*, std::unique_ptr<EmuModule>> modules;
  std::set<const EmuFunction*> functions;
  std::map<uint64_t, size_t> module_data;  // the loaded modules' DataRanges: start -> bytes
  // Bumped whenever memory stops being valid (a free, an unload): strata_emu_access's
  // per-thread cache of the last range it found is stale then.
  std::atomic<uint64_t> generation{0};
};

EmuState& State() {
  static EmuState* state = new EmuState();  // never destroyed: devices may outlive statics
  return *state;
}

// Tokens for the handles that carry no state.
char context_token, stream_token;

void* HostPtr(CUdeviceptr address) { return reinterpret_cast<void*>(static_cast<uintptr_t>(address)); }

// OK when [address, address + bytes) lies inside one live allocation; else the failure.
CUresult CheckRange(const char* call, const char* which, CUdeviceptr address, size_t bytes) {
  EmuState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.live.upper_bound(address);
  if (it != s.live.begin()) {
    --it;
    if (address >= it->first && bytes <= it->second && address - it->first <= it->second - bytes) return 0;
  }
  return Fail(kIllegalAddress, absl::StrCat(call, ": ", which, " range [0x", absl::Hex(address), ", +", bytes,
                                            " bytes) is not inside one live allocation"));
}

CUresult GetErrorName(CUresult error, const char** name) {
  const CudaErrorName* e = FindCudaErrorName(error);
  *name = e != nullptr ? e->name : nullptr;
  return e != nullptr ? 0 : kInvalidValue;
}

CUresult GetErrorString(CUresult error, const char** text) {
  if (error != 0 && t_last_failure.code == error && !t_last_failure.text.empty()) {
    *text = t_last_failure.text.c_str();
    return 0;
  }
  const CudaErrorName* e = FindCudaErrorName(error);
  *text = e != nullptr ? e->text : nullptr;
  return e != nullptr ? 0 : kInvalidValue;
}

CUresult DeviceGetName(char* name, int len, CUdevice device) {
  if (device != 0) return Fail(kInvalidDevice, absl::StrCat("the emulator has only device 0, not ", device));
  if (name == nullptr || len <= 0) return Fail(kInvalidValue, "cuDeviceGetName: no buffer");
  const size_t n = std::min(std::strlen(kEmulatorDeviceName), static_cast<size_t>(len) - 1);
  std::memcpy(name, kEmulatorDeviceName, n);
  name[n] = '\0';
  return 0;
}

CUresult DeviceGetAttribute(int* value, CUdevice_attribute attribute, CUdevice device) {
  if (device != 0) return Fail(kInvalidDevice, absl::StrCat("the emulator has only device 0, not ", device));
  switch (attribute) {
    case 1:  // MAX_THREADS_PER_BLOCK
      *value = static_cast<int>(kMaxThreadsPerBlock);
      return 0;
    case 8:  // MAX_SHARED_MEMORY_PER_BLOCK
      *value = 48 * 1024;
      return 0;
    case 10:  // WARP_SIZE
      *value = kWarpSize;
      return 0;
    case kAttrMultiprocessorCount:
      *value = 1;
      return 0;
    case kAttrComputeCapabilityMajor:
      *value = 9;
      return 0;
    case kAttrComputeCapabilityMinor:
      *value = 0;
      return 0;
    default:
      return Fail(kInvalidValue, absl::StrCat("the emulator does not know device attribute ", attribute));
  }
}

// Writes `text` into the JIT log buffer option pair (`buffer_option`, `size_option`) if given:
// the size goes in as the capacity and comes back as the bytes written (with the NUL).
bool WriteJitLog(unsigned num_options, const CUjit_option* options, void** values, CUjit_option buffer_option,
                 CUjit_option size_option, const std::string& text) {
  char* log = nullptr;
  int size_index = -1;
  for (unsigned i = 0; i < num_options; ++i) {
    if (options[i] == buffer_option) log = static_cast<char*>(values[i]);
    if (options[i] == size_option) size_index = static_cast<int>(i);
  }
  if (log == nullptr || size_index < 0) return false;
  const size_t capacity = static_cast<size_t>(reinterpret_cast<uintptr_t>(values[size_index]));
  if (capacity == 0) return false;
  const size_t written = std::min(text.size(), capacity - 1);
  std::memcpy(log, text.data(), written);
  log[written] = '\0';
  values[size_index] = reinterpret_cast<void*>(static_cast<uintptr_t>(written + 1));
  return true;
}

CUresult ModuleLoadDataEx(CUmodule* module, const void* image, unsigned num_options, CUjit_option* options,
                          void** values) {
  if (module == nullptr || image == nullptr) return Fail(kInvalidValue, "cuModuleLoadDataEx: null module or image");
  if (num_options > 0 && (options == nullptr || values == nullptr)) {
    return Fail(kInvalidValue, "cuModuleLoadDataEx: options without values");
  }
  HostModuleLoader loader = nullptr;
  {
    std::lock_guard<std::mutex> lock(State().mu);
    loader = State().loader;
  }
  if (loader == nullptr) return Fail(kInvalidValue, "the GPU emulator was made without a module loader");
  // Compiled outside the state lock: it is slow and needs none of the state.
  absl::StatusOr<std::unique_ptr<HostModule>> loaded = loader(static_cast<const char*>(image));
  if (!loaded.ok() || *loaded == nullptr) {
    const std::string why = loaded.ok() ? "the module loader returned no module"
                                        : absl::StrCat("compiling the module for the host failed: ",
                                                       loaded.status().message());
    WriteJitLog(num_options, options, values, kJitInfoLogBuffer, kJitInfoLogBufferSize, "");
    if (WriteJitLog(num_options, options, values, kJitErrorLogBuffer, kJitErrorLogBufferSize, why)) {
      t_last_failure = LastFailure{kCudaErrorInvalidPtx, ""};  // the log carries the reason
      return kCudaErrorInvalidPtx;
    }
    return Fail(kCudaErrorInvalidPtx, why);
  }
  WriteJitLog(num_options, options, values, kJitInfoLogBuffer, kJitInfoLogBufferSize, "");
  auto owned = std::make_unique<EmuModule>();
  owned->module = std::move(*loaded);
  EmuModule* raw = owned.get();
  std::lock_guard<std::mutex> lock(State().mu);
  for (const auto& [start, bytes] : raw->module->DataRanges()) {
    State().module_data[reinterpret_cast<uintptr_t>(start)] = bytes;
  }
  State().modules.emplace(raw, std::move(owned));
  *module = reinterpret_cast<CUmodule>(raw);
  return 0;
}

CUresult ModuleUnload(CUmodule module) {
  EmuState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.modules.find(reinterpret_cast<EmuModule*>(module));
  if (it == s.modules.end()) return Fail(kInvalidValue, "cuModuleUnload: not a loaded module");
  for (const auto& [name, function] : it->second->functions) s.functions.erase(function.get());
  for (const auto& [start, bytes] : it->second->module->DataRanges()) {
    s.module_data.erase(reinterpret_cast<uintptr_t>(start));
  }
  s.generation.fetch_add(1);
  s.modules.erase(it);
  return 0;
}

CUresult ModuleGetFunction(CUfunction* function, CUmodule module, const char* name) {
  if (function == nullptr || name == nullptr) return Fail(kInvalidValue, "cuModuleGetFunction: null argument");
  EmuState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.modules.find(reinterpret_cast<EmuModule*>(module));
  if (it == s.modules.end()) return Fail(kInvalidHandle, "cuModuleGetFunction: not a loaded module");
  EmuModule& m = *it->second;
  auto found = m.functions.find(name);
  if (found == m.functions.end()) {
    absl::StatusOr<HostKernel> kernel = m.module->Find(name);
    if (!kernel.ok()) {
      return Fail(kCudaErrorNotFound, absl::StrCat("kernel '", name, "': ", kernel.status().message()));
    }
    if (kernel->entry == nullptr) return Fail(kCudaErrorNotFound, absl::StrCat("kernel '", name, "' has no entry"));
    found = m.functions.emplace(name, std::make_unique<EmuFunction>(EmuFunction{name, *kernel})).first;
    s.functions.insert(found->second.get());
  }
  *function = reinterpret_cast<CUfunction>(found->second.get());
  return 0;
}

CUresult LaunchKernel(CUfunction function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                      unsigned bz, unsigned shared_bytes, CUstream /*stream*/, void** params, void** extra) {
  const EmuFunction* f = reinterpret_cast<const EmuFunction*>(function);
  {
    std::lock_guard<std::mutex> lock(State().mu);
    if (State().functions.count(f) == 0) {
      return Fail(kInvalidHandle, "cuLaunchKernel: not a function of a loaded module");
    }
  }
  if (extra != nullptr) {
    return Fail(kInvalidValue, absl::StrCat("cuLaunchKernel('", f->name, "'): the emulator takes parameters "
                                                                         "through kernelParams only, not `extra`"));
  }
  if (shared_bytes != 0) {
    return Fail(kInvalidValue, absl::StrCat("cuLaunchKernel('", f->name, "'): ", shared_bytes,
                                            " bytes of dynamic shared memory requested; the emulator supports only "
                                            "static shared memory"));
  }
  const unsigned grid[3] = {gx, gy, gz};
  const unsigned block[3] = {bx, by, bz};
  // The module is not locked during the run: unloading it while one of its kernels runs is the
  // caller's error, as on a GPU.
  if (absl::Status s = RunHostKernel(f->kernel, f->name, grid, block, params); !s.ok()) {
    return Fail(kLaunchFailed, std::string(s.message()));
  }
  return 0;
}

CUresult MemAlloc(CUdeviceptr* ptr, size_t bytes) {
  if (ptr == nullptr || bytes == 0) return Fail(kInvalidValue, "cuMemAlloc of 0 bytes or into a null pointer");
  // 256-byte aligned, as cudaMalloc guarantees; rounded up as aligned_alloc requires.
  const size_t rounded = (bytes + 255) / 256 * 256;
  void* p = rounded >= bytes ? std::aligned_alloc(256, rounded) : nullptr;
  if (p == nullptr) return Fail(kCudaErrorOutOfMemory, absl::StrCat("cuMemAlloc(", bytes, " bytes)"));
  std::memset(p, 0xCD, rounded);  // garbage, like fresh device memory: uninitialized reads show
  *ptr = reinterpret_cast<uintptr_t>(p);
  std::lock_guard<std::mutex> lock(State().mu);
  State().live[*ptr] = bytes;
  return 0;
}

CUresult MemFree(CUdeviceptr ptr) {
  {
    std::lock_guard<std::mutex> lock(State().mu);
    if (State().live.erase(ptr) == 0) {
      return Fail(kInvalidValue, absl::StrCat("cuMemFree(0x", absl::Hex(ptr), "): not a live allocation"));
    }
    State().generation.fetch_add(1);
  }
  std::free(HostPtr(ptr));
  return 0;
}

CUresult HtoD(CUdeviceptr dst, const void* src, size_t bytes, CUstream) {
  if (bytes == 0) return 0;
  if (src == nullptr) return Fail(kInvalidValue, "cuMemcpyHtoDAsync from a null host pointer");
  if (CUresult r = CheckRange("cuMemcpyHtoDAsync", "destination", dst, bytes); r != 0) return r;
  std::memcpy(HostPtr(dst), src, bytes);
  return 0;
}

CUresult DtoH(void* dst, CUdeviceptr src, size_t bytes, CUstream) {
  if (bytes == 0) return 0;
  if (dst == nullptr) return Fail(kInvalidValue, "cuMemcpyDtoHAsync to a null host pointer");
  if (CUresult r = CheckRange("cuMemcpyDtoHAsync", "source", src, bytes); r != 0) return r;
  std::memcpy(dst, HostPtr(src), bytes);
  return 0;
}

CUresult DtoD(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream) {
  if (bytes == 0) return 0;
  if (CUresult r = CheckRange("cuMemcpyDtoDAsync", "source", src, bytes); r != 0) return r;
  if (CUresult r = CheckRange("cuMemcpyDtoDAsync", "destination", dst, bytes); r != 0) return r;
  std::memmove(HostPtr(dst), HostPtr(src), bytes);
  return 0;
}

CUresult MemsetD8(CUdeviceptr dst, unsigned char value, size_t bytes, CUstream) {
  if (bytes == 0) return 0;
  if (CUresult r = CheckRange("cuMemsetD8Async", "destination", dst, bytes); r != 0) return r;
  std::memset(HostPtr(dst), value, bytes);
  return 0;
}

}  // namespace

std::unique_ptr<CudaDriver> MakeEmulatedCudaDriver(HostModuleLoader loader) {
  {
    std::lock_guard<std::mutex> lock(State().mu);
    State().loader = loader;
  }
  auto d = std::make_unique<CudaDriver>();
  d->path = kEmulatorPath;
  d->host_emulator = true;
  d->cuInit = [](unsigned) -> CUresult { return 0; };
  d->cuDriverGetVersion = [](int* version) -> CUresult {
    if (version == nullptr) return Fail(kInvalidValue, "cuDriverGetVersion into a null pointer");
    *version = 12000;
    return 0;
  };
  d->cuGetErrorName = GetErrorName;
  d->cuGetErrorString = GetErrorString;
  d->cuDeviceGetCount = [](int* count) -> CUresult {
    *count = 1;
    return 0;
  };
  d->cuDeviceGet = [](CUdevice* device, int ordinal) -> CUresult {
    if (ordinal != 0) return Fail(kInvalidDevice, absl::StrCat("the emulator has only device 0, not ", ordinal));
    *device = 0;
    return 0;
  };
  d->cuDeviceGetName = DeviceGetName;
  d->cuDeviceGetAttribute = DeviceGetAttribute;
  d->cuDevicePrimaryCtxRetain = [](CUcontext* context, CUdevice device) -> CUresult {
    if (device != 0) return Fail(kInvalidDevice, absl::StrCat("the emulator has only device 0, not ", device));
    *context = reinterpret_cast<CUcontext>(&context_token);
    return 0;
  };
  d->cuDevicePrimaryCtxRelease = [](CUdevice) -> CUresult { return 0; };
  d->cuCtxSetCurrent = [](CUcontext) -> CUresult { return 0; };
  d->cuModuleLoadDataEx = ModuleLoadDataEx;
  d->cuModuleUnload = ModuleUnload;
  d->cuModuleGetFunction = ModuleGetFunction;
  d->cuLaunchKernel = LaunchKernel;
  d->cuMemAlloc = MemAlloc;
  d->cuMemFree = MemFree;
  d->cuMemcpyHtoDAsync = HtoD;
  d->cuMemcpyDtoHAsync = DtoH;
  d->cuMemcpyDtoDAsync = DtoD;
  d->cuMemsetD8Async = MemsetD8;
  d->cuStreamCreate = [](CUstream* stream, unsigned) -> CUresult {
    *stream = reinterpret_cast<CUstream>(&stream_token);
    return 0;
  };
  d->cuStreamDestroy = [](CUstream) -> CUresult { return 0; };
  d->cuStreamSynchronize = [](CUstream) -> CUresult { return 0; };  // all work is synchronous
  return d;
}

namespace {

// The range in `ranges` (start -> bytes) holding [address, address + bytes), as [lo, hi); false
// when none does.
bool FindRange(const std::map<uint64_t, size_t>& ranges, uint64_t address, uint64_t bytes, uint64_t* lo,
               uint64_t* hi) {
  auto it = ranges.upper_bound(address);
  if (it == ranges.begin()) return false;
  --it;
  if (address < it->first || address + bytes > it->first + it->second) return false;
  *lo = it->first;
  *hi = it->first + it->second;
  return true;
}

// Where a bad access falls, for the error: "12 bytes past the end of a 4096-byte allocation".
std::string DescribeNearest(const std::map<uint64_t, size_t>& live, uint64_t address) {
  auto it = live.upper_bound(address);
  if (it == live.begin()) return "below every allocation";
  --it;
  const uint64_t end = it->first + it->second;
  if (address >= end) {
    return absl::StrCat(address - end, " bytes past the end of a ", it->second, "-byte allocation at 0x",
                        absl::Hex(it->first));
  }
  return absl::StrCat("straddling the end of a ", it->second, "-byte allocation at 0x", absl::Hex(it->first));
}

struct CachedRange {
  uint64_t lo = 0, hi = 0, generation = ~uint64_t{0};
};
thread_local CachedRange t_range;
alignas(64) thread_local char t_scratch[1024];  // where a bad access goes instead

}  // namespace

}  // namespace strata::gpu::emu

extern "C" void* strata_emu_access(void* address, int64_t bytes, int32_t flags) {
  using namespace strata::gpu::emu;
  const bool is_store = (flags & kStrataEmuAccessStore) != 0;
  if ((flags & kStrataEmuAccessShared) != 0 && (is_store || SharedBankCounting())) NoteSharedAccess(address, bytes, is_store);
  EmuState& s = State();
  const uint64_t p = reinterpret_cast<uintptr_t>(address), n = bytes > 0 ? static_cast<uint64_t>(bytes) : 0;
  const uint64_t align = static_cast<uint64_t>(flags >> kStrataEmuAccessAlignShift) & 0xff;
  if (align > 1 && p % align != 0) {
    FailCurrentThread(absl::StrCat("misaligned address: ", is_store ? "write" : "read", " of ", n, " bytes at 0x",
                                   absl::Hex(p), " claims ", align, "-byte alignment"));
    return n <= sizeof(t_scratch) ? static_cast<void*>(t_scratch) : nullptr;
  }
  const uint64_t generation = s.generation.load(std::memory_order_acquire);
  // The fast path: the same allocation as this thread's last access.
  if (t_range.generation == generation && p >= t_range.lo && p + n <= t_range.hi) return address;
  std::string where;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    uint64_t lo = 0, hi = 0;
    if (FindRange(s.live, p, n, &lo, &hi) || FindRange(s.module_data, p, n, &lo, &hi)) {
      t_range = CachedRange{lo, hi, generation};
      return address;
    }
    where = DescribeNearest(s.live, p);
  }
  FailCurrentThread(absl::StrCat("invalid global/shared memory ", is_store ? "write" : "read", " of ", n,
                                 " bytes at 0x", absl::Hex(p), " (", where, ")"));
  return n <= sizeof(t_scratch) ? static_cast<void*>(t_scratch) : nullptr;
}
