// The CUDA driver API, loaded at run time with dlopen("libcuda.so.1") so that libstrata_runtime
// builds without the CUDA toolkit and runs where there is no GPU (every entry point then returns
// Unavailable instead of failing to load).
//
// No CUDA header is used: the few types, enum values and signatures below are declared here,
// copied from the driver API (cuda.h, CUDA 12/13). The members are named after the API calls;
// the versioned ones bind the `_v2` symbols that the driver exports for them.
//
// CudaDriver is a plain table of function pointers, so a test can fill one with host fakes and
// exercise the device, allocator and executable code without a GPU.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata::gpu {

// Driver API types (layout-compatible with cuda.h on 64-bit hosts).
using CUresult = int;  // an enum in cuda.h; 0 is success
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUjit_option = int;        // enum in cuda.h (int-sized)
using CUdevice_attribute = int;  // enum in cuda.h (int-sized)
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
using CUcontext = CUctx_st*;
using CUmodule = CUmod_st*;
using CUfunction = CUfunc_st*;
using CUstream = CUstream_st*;

// The enum values this runtime uses (cuda.h).
inline constexpr CUresult kCudaSuccess = 0;                         // CUDA_SUCCESS
inline constexpr CUresult kCudaErrorOutOfMemory = 2;                // CUDA_ERROR_OUT_OF_MEMORY
inline constexpr CUresult kCudaErrorStubLibrary = 34;               // CUDA_ERROR_STUB_LIBRARY
inline constexpr CUresult kCudaErrorNoDevice = 100;                 // CUDA_ERROR_NO_DEVICE
inline constexpr CUresult kCudaErrorInvalidPtx = 218;               // CUDA_ERROR_INVALID_PTX
inline constexpr CUresult kCudaErrorNotFound = 500;                 // CUDA_ERROR_NOT_FOUND
inline constexpr CUjit_option kJitInfoLogBuffer = 3;                // CU_JIT_INFO_LOG_BUFFER
inline constexpr CUjit_option kJitInfoLogBufferSize = 4;            // CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES
inline constexpr CUjit_option kJitErrorLogBuffer = 5;               // CU_JIT_ERROR_LOG_BUFFER
inline constexpr CUjit_option kJitErrorLogBufferSize = 6;           // CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES
inline constexpr CUdevice_attribute kAttrMultiprocessorCount = 16;  // ..._MULTIPROCESSOR_COUNT
inline constexpr CUdevice_attribute kAttrComputeCapabilityMajor = 75;
inline constexpr CUdevice_attribute kAttrComputeCapabilityMinor = 76;
inline constexpr unsigned int kStreamNonBlocking = 0x1;  // CU_STREAM_NON_BLOCKING

struct CudaDriver {
  // The table libcuda provides. `path` is what was dlopen'ed ("libcuda.so.1" unless the
  // environment variable STRATA_LIBCUDA names another file). Calls cuInit(0) once: a driver
  // that loads but finds no device is Unavailable too. Thread-safe; loaded once per process
  // (the error, if any, is also kept and returned to every caller).
  static absl::StatusOr<const CudaDriver*> Get();

  // Loads a driver table from `path` without caching it (tests; Get() uses it). Unavailable
  // when the file does not load, does not export every symbol below (the message names the
  // first missing one), or cuInit fails. The library stays loaded for the life of the process.
  static absl::StatusOr<std::unique_ptr<CudaDriver>> Load(const std::string& path);

  // OK for kCudaSuccess; otherwise an error naming `call` with the driver's name and text for
  // the code, e.g. "cuMemAlloc(4096 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)".
  // Out of memory is ResourceExhausted, no device Unavailable, anything else Internal.
  absl::Status Check(CUresult result, std::string_view call) const;

  std::string path;
  // The table is the host emulator's (runtime/gpu/emulator): cuModuleLoadDataEx takes a
  // GpuProgram's `host_ir` instead of its PTX.
  bool host_emulator = false;

  CUresult (*cuInit)(unsigned int flags) = nullptr;
  CUresult (*cuDriverGetVersion)(int* version) = nullptr;
  CUresult (*cuGetErrorName)(CUresult error, const char** name) = nullptr;
  CUresult (*cuGetErrorString)(CUresult error, const char** text) = nullptr;
  CUresult (*cuDeviceGetCount)(int* count) = nullptr;
  CUresult (*cuDeviceGet)(CUdevice* device, int ordinal) = nullptr;
  CUresult (*cuDeviceGetName)(char* name, int len, CUdevice device) = nullptr;
  CUresult (*cuDeviceGetAttribute)(int* value, CUdevice_attribute attribute, CUdevice device) = nullptr;
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext* context, CUdevice device) = nullptr;
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice device) = nullptr;  // _v2
  CUresult (*cuCtxSetCurrent)(CUcontext context) = nullptr;
  CUresult (*cuModuleLoadDataEx)(CUmodule* module, const void* image, unsigned int num_options, CUjit_option* options,
                                 void** option_values) = nullptr;
  CUresult (*cuModuleUnload)(CUmodule module) = nullptr;
  CUresult (*cuModuleGetFunction)(CUfunction* function, CUmodule module, const char* name) = nullptr;
  CUresult (*cuLaunchKernel)(CUfunction function, unsigned int grid_x, unsigned int grid_y, unsigned int grid_z,
                             unsigned int block_x, unsigned int block_y, unsigned int block_z,
                             unsigned int shared_bytes, CUstream stream, void** params, void** extra) = nullptr;
  CUresult (*cuMemAlloc)(CUdeviceptr* ptr, size_t bytes) = nullptr;  // _v2
  CUresult (*cuMemFree)(CUdeviceptr ptr) = nullptr;                  // _v2
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr dst, const void* src, size_t bytes,
                                CUstream stream) = nullptr;  // _v2
  CUresult (*cuMemcpyDtoHAsync)(void* dst, CUdeviceptr src, size_t bytes,
                                CUstream stream) = nullptr;  // _v2
  CUresult (*cuMemcpyDtoDAsync)(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                                CUstream stream) = nullptr;  // _v2
  CUresult (*cuMemsetD8Async)(CUdeviceptr dst, unsigned char value, size_t bytes, CUstream stream) = nullptr;
  CUresult (*cuStreamCreate)(CUstream* stream, unsigned int flags) = nullptr;
  CUresult (*cuStreamDestroy)(CUstream stream) = nullptr;  // _v2
  CUresult (*cuStreamSynchronize)(CUstream stream) = nullptr;
};

}  // namespace strata::gpu
