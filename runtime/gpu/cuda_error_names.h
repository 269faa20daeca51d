// The CUDA driver's names and texts (cuGetErrorName / cuGetErrorString) for the error codes that
// strata's host-side drivers return: the GPU emulator (runtime/gpu/emulator) and the tests' fake
// driver (tests/runtime/gpu_fake_driver.h). The real driver answers these calls itself.
#pragma once

#include "runtime/gpu/cuda_driver.h"

namespace strata::gpu {

struct CudaErrorName {
  CUresult code;
  const char* name;
  const char* text;
};

inline constexpr CudaErrorName kCudaErrorNames[] = {
    {0, "CUDA_SUCCESS", "no error"},
    {1, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {3, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {101, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {201, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {218, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
    {400, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {500, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {700, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {719, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
};

// The entry for `code`; null when it is not in the table.
inline const CudaErrorName* FindCudaErrorName(CUresult code) {
  for (const CudaErrorName& e : kCudaErrorNames) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

}  // namespace strata::gpu
