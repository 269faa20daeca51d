// Test helpers shared by the GPU tests.
#pragma once

#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "runtime/gpu/cuda_device.h"

namespace strata::testing_util {

// Skips the current test when `backend` is "gpu" and this machine has no usable CUDA device,
// with the driver's reason ("no CUDA ...": tools/gpu_check.sh looks for it). GTEST_SKIP only
// leaves this function: call it from SetUp, or return when ::testing::Test::IsSkipped().
inline void SkipWithoutTheGpu(std::string_view backend) {
  std::string why;
  if (backend == "gpu" && !gpu::CudaAvailable(&why)) {
    GTEST_SKIP() << (why.rfind("no CUDA", 0) == 0 ? why : "no CUDA device: " + why);
  }
}

}  // namespace strata::testing_util
