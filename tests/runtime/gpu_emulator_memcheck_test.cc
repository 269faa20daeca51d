// The GPU emulator's memcheck: every load and store of a kernel is checked against the live
// device allocations and the module's shared memory. Kernels are written by hand in the LLVM/NVVM
// dialect (what convert-gpu-to-nvvm produces) so that they can go out of bounds, which the GPU
// compiler's kernels must never do (the op tests run with the check on).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "compiler/gpu/gpu_host_kernels.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/gpu/emulator/emulated_driver.h"

namespace strata::gpu {
namespace {

using ::testing::HasSubstr;

// out[tid] = 1 for every thread of the block; shared[tid] = 2 through a 32-float shared array.
constexpr char kKernels[] = R"(
gpu.module @m {
  llvm.mlir.global internal @tile() {addr_space = 3 : i32} : !llvm.array<32 x f32>
  llvm.func @fill(%out: !llvm.ptr) attributes {gpu.kernel, nvvm.kernel} {
    %t = nvvm.read.ptx.sreg.tid.x : i32
    %i = llvm.sext %t : i32 to i64
    %p = llvm.getelementptr %out[%i] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    %one = llvm.mlir.constant(1.0 : f32) : f32
    llvm.store %one, %p : f32, !llvm.ptr
    llvm.return
  }
  llvm.func @fill_shared(%out: !llvm.ptr) attributes {gpu.kernel, nvvm.kernel} {
    %t = nvvm.read.ptx.sreg.tid.x : i32
    %i = llvm.sext %t : i32 to i64
    %base = llvm.mlir.addressof @tile : !llvm.ptr<3>
    %p = llvm.getelementptr %base[%i] : (!llvm.ptr<3>, i64) -> !llvm.ptr<3>, f32
    %two = llvm.mlir.constant(2.0 : f32) : f32
    llvm.store %two, %p : f32, !llvm.ptr<3>
    %v = llvm.load %p : !llvm.ptr<3> -> f32
    %q = llvm.getelementptr %out[%i] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    llvm.store %v, %q : f32, !llvm.ptr
    llvm.return
  }
  // out[4..7] = out[first..first + 3] as 16-byte vectors that claim 16-byte alignment (what
  // ld.global.v4.f32 needs): `first` 0 is aligned, 1 is not.
  llvm.func @copy_v4_from_0(%out: !llvm.ptr) attributes {gpu.kernel, nvvm.kernel} {
    %c0 = llvm.mlir.constant(0 : i64) : i64
    %c4 = llvm.mlir.constant(4 : i64) : i64
    %p = llvm.getelementptr %out[%c0] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    %v = llvm.load %p {alignment = 16 : i64} : !llvm.ptr -> vector<4xf32>
    %q = llvm.getelementptr %out[%c4] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    llvm.store %v, %q {alignment = 16 : i64} : vector<4xf32>, !llvm.ptr
    llvm.return
  }
  llvm.func @copy_v4_from_1(%out: !llvm.ptr) attributes {gpu.kernel, nvvm.kernel} {
    %c1 = llvm.mlir.constant(1 : i64) : i64
    %c4 = llvm.mlir.constant(4 : i64) : i64
    %p = llvm.getelementptr %out[%c1] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    %v = llvm.load %p {alignment = 16 : i64} : !llvm.ptr -> vector<4xf32>
    %q = llvm.getelementptr %out[%c4] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    llvm.store %v, %q {alignment = 16 : i64} : vector<4xf32>, !llvm.ptr
    llvm.return
  }
}
)";

class MemcheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    driver_ = emu::MakeEmulatedCudaDriver(&LoadHostKernels);
    absl::StatusOr<std::string> image = EmitHostKernelsFromText(kKernels);
    ASSERT_TRUE(image.ok()) << image.status();
    ASSERT_EQ(driver_->cuModuleLoadDataEx(&module_, image->c_str(), 0, nullptr, nullptr), kCudaSuccess);
    ASSERT_EQ(driver_->cuMemAlloc(&out_, 64 * sizeof(float)), kCudaSuccess);
  }
  void TearDown() override {
    if (out_ != 0) driver_->cuMemFree(out_);
    if (module_ != nullptr) driver_->cuModuleUnload(module_);
  }

  // Launches `kernel` with one block of `threads`; the driver's error text on failure.
  std::string Launch(const char* kernel, unsigned threads) {
    CUfunction f = nullptr;
    if (driver_->cuModuleGetFunction(&f, module_, kernel) != kCudaSuccess) return "no such kernel";
    void* params[] = {&out_};
    const CUresult r = driver_->cuLaunchKernel(f, 1, 1, 1, threads, 1, 1, 0, nullptr, params, nullptr);
    if (r == kCudaSuccess) return "";
    const char* text = nullptr;
    driver_->cuGetErrorString(r, &text);
    return text != nullptr ? text : absl::StrCat("error ", r);
  }

  std::vector<float> Out() {
    std::vector<float> v(64);
    EXPECT_EQ(driver_->cuMemcpyDtoHAsync(v.data(), out_, v.size() * sizeof(float), nullptr), kCudaSuccess);
    return v;
  }

  std::unique_ptr<CudaDriver> driver_;
  CUmodule module_ = nullptr;
  CUdeviceptr out_ = 0;
};

TEST_F(MemcheckTest, AccessesInsideTheAllocationRun) {
  EXPECT_EQ(Launch("fill", 64), "");
  EXPECT_THAT(Out(), ::testing::Each(1.0f));
  EXPECT_EQ(Launch("fill_shared", 32), "");
  EXPECT_EQ(Out()[31], 2.0f);
}

TEST_F(MemcheckTest, WritePastTheEndOfAnAllocationFailsTheLaunch) {
  // 65 threads, 64 floats: thread 64 writes the 4 bytes right after the allocation.
  const std::string error = Launch("fill", 65);
  EXPECT_THAT(error, HasSubstr("invalid global/shared memory write of 4 bytes"));
  EXPECT_THAT(error, HasSubstr("0 bytes past the end of a 256-byte allocation"));
  EXPECT_THAT(error, HasSubstr("fill"));
  EXPECT_THAT(error, HasSubstr("thread (64,0,0)"));
  // The launch after is fine (the error is per launch).
  EXPECT_EQ(Launch("fill", 64), "");
}

TEST_F(MemcheckTest, SharedMemoryOverrunFailsTheLaunch) {
  // 33 threads on a 32-float shared array: thread 32 writes past it.
  const std::string error = Launch("fill_shared", 33);
  EXPECT_THAT(error, HasSubstr("invalid global/shared memory write of 4 bytes"));
  EXPECT_THAT(error, HasSubstr("thread (32,0,0)"));
}

TEST_F(MemcheckTest, MisalignedVectorAccessFailsTheLaunch) {
  ASSERT_EQ(Launch("fill", 64), "");
  EXPECT_EQ(Launch("copy_v4_from_0", 1), "");
  // 4 bytes into the allocation: in bounds, but not where a 16-byte access may start.
  const std::string error = Launch("copy_v4_from_1", 1);
  EXPECT_THAT(error, HasSubstr("misaligned address: read of 16 bytes"));
  EXPECT_THAT(error, HasSubstr("claims 16-byte alignment"));
  EXPECT_THAT(error, HasSubstr("copy_v4_from_1"));
}

TEST_F(MemcheckTest, FreedMemoryIsNoLongerValid) {
  CUdeviceptr other = 0;
  ASSERT_EQ(driver_->cuMemAlloc(&other, 64 * sizeof(float)), kCudaSuccess);
  ASSERT_EQ(driver_->cuMemFree(other), kCudaSuccess);
  CUfunction f = nullptr;
  ASSERT_EQ(driver_->cuModuleGetFunction(&f, module_, "fill"), kCudaSuccess);
  void* params[] = {&other};
  EXPECT_NE(driver_->cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, nullptr, params, nullptr), kCudaSuccess);
}

}  // namespace
}  // namespace strata::gpu
