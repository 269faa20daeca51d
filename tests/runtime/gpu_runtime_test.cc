// The CUDA runtime: driver loading, the device, and GpuExecutable running hand-written PTX.
//
// The executable tests run twice: over a fake driver (tests/runtime/gpu_fake_driver.h: host
// memory, host versions of the kernels, bounds-checked copies) everywhere, and over the real
// driver where there is a GPU (skipped with "no CUDA device: ..." otherwise). The PTX itself is
// checked with ptxas where the CUDA toolkit is installed, so it is known valid without a GPU.
#include "runtime/gpu/gpu_runtime.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "graph/tensor.h"
#include "gtest/gtest.h"
#include "runtime/gpu/cuda_backend.h"
#include "runtime/gpu/cuda_device.h"
#include "runtime/gpu/cuda_driver.h"
#include "runtime/gpu/gpu_executable.h"
#include "runtime/gpu/gpu_program.h"
#include "runtime/gpu/gpu_program_validation.h"
#include "tests/ptxas_util.h"
#include "tests/runtime/gpu_fake_driver.h"

namespace strata::gpu {
namespace {

using ::testing::HasSubstr;

// Two kernels in the bare-pointer ABI the compiler emits: each buffer a .u64 device pointer,
// the element count an .s64 immediate; one thread per element with a bounds check.
constexpr char kTestPtx[] = R"PTX(//
// strata gpu_runtime_test kernels (hand-written).
//
.version 8.0
.target sm_80
.address_size 64

// c[i] = a[i] + b[i] for i < n
.visible .entry add_f32(
    .param .u64 add_f32_a,
    .param .u64 add_f32_b,
    .param .u64 add_f32_c,
    .param .s64 add_f32_n
)
{
    .reg .pred  %p<2>;
    .reg .b32   %r<5>;
    .reg .f32   %f<4>;
    .reg .b64   %rd<13>;

    ld.param.u64    %rd1, [add_f32_a];
    ld.param.u64    %rd2, [add_f32_b];
    ld.param.u64    %rd3, [add_f32_c];
    ld.param.s64    %rd4, [add_f32_n];
    mov.u32         %r1, %ctaid.x;
    mov.u32         %r2, %ntid.x;
    mov.u32         %r3, %tid.x;
    mad.lo.s32      %r4, %r1, %r2, %r3;
    cvt.u64.u32     %rd5, %r4;
    setp.ge.s64     %p1, %rd5, %rd4;
    @%p1 bra        ADD_DONE;
    cvta.to.global.u64  %rd6, %rd1;
    cvta.to.global.u64  %rd7, %rd2;
    cvta.to.global.u64  %rd8, %rd3;
    shl.b64         %rd9, %rd5, 2;
    add.s64         %rd10, %rd6, %rd9;
    add.s64         %rd11, %rd7, %rd9;
    add.s64         %rd12, %rd8, %rd9;
    ld.global.f32   %f1, [%rd10];
    ld.global.f32   %f2, [%rd11];
    add.rn.f32      %f3, %f1, %f2;
    st.global.f32   [%rd12], %f3;
ADD_DONE:
    ret;
}

// acc[i] += x[i] for i < n
.visible .entry accumulate_f32(
    .param .u64 accumulate_f32_acc,
    .param .u64 accumulate_f32_x,
    .param .s64 accumulate_f32_n
)
{
    .reg .pred  %p<2>;
    .reg .b32   %r<5>;
    .reg .f32   %f<4>;
    .reg .b64   %rd<10>;

    ld.param.u64    %rd1, [accumulate_f32_acc];
    ld.param.u64    %rd2, [accumulate_f32_x];
    ld.param.s64    %rd3, [accumulate_f32_n];
    mov.u32         %r1, %ctaid.x;
    mov.u32         %r2, %ntid.x;
    mov.u32         %r3, %tid.x;
    mad.lo.s32      %r4, %r1, %r2, %r3;
    cvt.u64.u32     %rd4, %r4;
    setp.ge.s64     %p1, %rd4, %rd3;
    @%p1 bra        ACC_DONE;
    cvta.to.global.u64  %rd5, %rd1;
    cvta.to.global.u64  %rd6, %rd2;
    shl.b64         %rd7, %rd4, 2;
    add.s64         %rd8, %rd5, %rd7;
    add.s64         %rd9, %rd6, %rd7;
    ld.global.f32   %f1, [%rd8];
    ld.global.f32   %f2, [%rd9];
    add.rn.f32      %f3, %f1, %f2;
    st.global.f32   [%rd8], %f3;
ACC_DONE:
    ret;
}
)PTX";

// The test PTX with an unknown register in add_f32: ptxas (and the driver's JIT) reject it.
std::string BadPtx() {
  std::string ptx = kTestPtx;
  const std::string good = "add.rn.f32      %f3, %f1, %f2;";
  ptx.replace(ptx.find(good), good.size(), "add.rn.f32      %f3, %f1, %zz;");
  return ptx;
}

// Host versions of the kernels for the fake driver, reading their parameters the way the GPU
// does: params[i] points at the i-th parameter (8 bytes each here).
void RegisterHostKernels() {
  auto threads = [](const unsigned grid[3], const unsigned block[3]) {
    return static_cast<int64_t>(grid[0]) * block[0];
  };
  fake::RegisterKernel("add_f32", [threads](const unsigned grid[3], const unsigned block[3], void** params) {
    const CUdeviceptr a = *static_cast<CUdeviceptr*>(params[0]);
    const CUdeviceptr b = *static_cast<CUdeviceptr*>(params[1]);
    const CUdeviceptr c = *static_cast<CUdeviceptr*>(params[2]);
    const int64_t n = *static_cast<int64_t*>(params[3]);
    const int64_t count = std::min(n, threads(grid, block));
    if (count <= 0) return kCudaSuccess;
    const size_t bytes = static_cast<size_t>(count) * sizeof(float);
    if (!fake::InBounds(a, bytes) || !fake::InBounds(b, bytes) || !fake::InBounds(c, bytes)) return 700;
    for (int64_t i = 0; i < count; ++i) {
      static_cast<float*>(fake::HostPtr(c))[i] =
          static_cast<const float*>(fake::HostPtr(a))[i] + static_cast<const float*>(fake::HostPtr(b))[i];
    }
    return kCudaSuccess;
  });
  fake::RegisterKernel("accumulate_f32", [threads](const unsigned grid[3], const unsigned block[3], void** params) {
    const CUdeviceptr acc = *static_cast<CUdeviceptr*>(params[0]);
    const CUdeviceptr x = *static_cast<CUdeviceptr*>(params[1]);
    const int64_t n = *static_cast<int64_t*>(params[2]);
    const int64_t count = std::min(n, threads(grid, block));
    if (count <= 0) return kCudaSuccess;
    const size_t bytes = static_cast<size_t>(count) * sizeof(float);
    if (!fake::InBounds(acc, bytes) || !fake::InBounds(x, bytes)) return 700;
    for (int64_t i = 0; i < count; ++i) {
      static_cast<float*>(fake::HostPtr(acc))[i] += static_cast<const float*>(fake::HostPtr(x))[i];
    }
    return kCudaSuccess;
  });
}

GpuBuffer Buffer(GpuBuffer::Kind kind, int index, DType dtype, int64_t n) {
  GpuBuffer b;
  b.kind = kind;
  b.index = index;
  b.dtype = dtype;
  b.shape = Shape{n};
  b.bytes = n * static_cast<int64_t>(DTypeSize(dtype));
  return b;
}

GpuStep Launch(const std::string& kernel, int64_t n, std::vector<int> buffers) {
  GpuStep step;
  step.kind = GpuStep::Kind::kLaunch;
  step.launch.kernel = kernel;
  step.launch.block = {256, 1, 1};
  step.launch.grid = {static_cast<uint32_t>(std::max<int64_t>(1, (n + 255) / 256)), 1, 1};
  for (int b : buffers) {
    GpuKernelArg arg;
    arg.kind = GpuKernelArg::Kind::kBuffer;
    arg.buffer = b;
    step.launch.args.push_back(arg);
  }
  GpuKernelArg count;
  count.kind = GpuKernelArg::Kind::kImmediate;
  count.immediate = n;
  step.launch.args.push_back(count);
  return step;
}

// c = a + b (arguments 0 and 1, result 0).
GpuProgram AddProgram(int64_t n) {
  GpuProgram p;
  p.name = "add";
  p.cuda_arch = "sm_80";
  p.ptx = kTestPtx;
  p.buffers = {Buffer(GpuBuffer::Kind::kArg, 0, DT_FLOAT, n), Buffer(GpuBuffer::Kind::kArg, 1, DT_FLOAT, n),
               Buffer(GpuBuffer::Kind::kResult, 0, DT_FLOAT, n)};
  p.steps = {Launch("add_f32", n, {0, 1, 2})};
  p.arg_buffers = {0, 1};
  p.result_buffers = {2};
  return p;
}

// c = a + w with w a constant; results: c, and w itself (a fetched constant).
GpuProgram AddConstantProgram(const std::vector<float>& w) {
  const int64_t n = static_cast<int64_t>(w.size());
  GpuProgram p;
  p.name = "add_constant";
  p.cuda_arch = "sm_80";
  p.ptx = kTestPtx;
  GpuBuffer weights = Buffer(GpuBuffer::Kind::kConstant, 0, DT_FLOAT, n);
  weights.constant_data.resize(weights.bytes);
  std::memcpy(weights.constant_data.data(), w.data(), weights.bytes);
  p.buffers = {Buffer(GpuBuffer::Kind::kArg, 0, DT_FLOAT, n), weights,
               Buffer(GpuBuffer::Kind::kResult, 0, DT_FLOAT, n)};
  p.steps = {Launch("add_f32", n, {0, 1, 2})};
  p.arg_buffers = {0};
  p.result_buffers = {2, 1};
  return p;
}

// acc = 0; acc += a; acc += b; result 0 = copy of acc; result 1 = a (a fetched feed).
GpuProgram AccumulateProgram(int64_t n) {
  GpuProgram p;
  p.name = "accumulate";
  p.cuda_arch = "sm_80";
  p.ptx = kTestPtx;
  p.buffers = {Buffer(GpuBuffer::Kind::kArg, 0, DT_FLOAT, n), Buffer(GpuBuffer::Kind::kArg, 1, DT_FLOAT, n),
               Buffer(GpuBuffer::Kind::kTemp, 0, DT_FLOAT, n), Buffer(GpuBuffer::Kind::kResult, 0, DT_FLOAT, n)};
  GpuStep zero;
  zero.kind = GpuStep::Kind::kMemset;
  zero.memset.buffer = 2;
  zero.memset.value = 0;
  GpuStep copy;
  copy.kind = GpuStep::Kind::kCopy;
  copy.copy_from = 2;
  copy.copy_to = 3;
  p.steps = {zero, Launch("accumulate_f32", n, {2, 0}), Launch("accumulate_f32", n, {2, 1}), copy};
  p.arg_buffers = {0, 1};
  p.result_buffers = {3, 0};
  return p;
}

// AddProgram plus a run-time check whose int64 flag (a temp) is copied from a constant holding
// `flag`: INT64_MAX is a passed check, anything else the position of the first offender.
GpuProgram CheckedAddProgram(int64_t n, int64_t flag) {
  GpuProgram p = AddProgram(n);
  p.name = "checked_add";
  GpuBuffer value;
  value.kind = GpuBuffer::Kind::kConstant;
  value.dtype = DT_INT64;
  value.shape = Shape({});
  value.bytes = 8;
  value.constant_data.resize(8);
  std::memcpy(value.constant_data.data(), &flag, 8);
  GpuBuffer flag_buffer = value;
  flag_buffer.kind = GpuBuffer::Kind::kTemp;
  flag_buffer.constant_data.clear();
  p.buffers.push_back(value);        // 3
  p.buffers.push_back(flag_buffer);  // 4
  GpuStep copy;
  copy.kind = GpuStep::Kind::kCopy;
  copy.copy_from = 3;
  copy.copy_to = 4;
  p.steps.push_back(copy);
  p.checks = {{4, "node 'g' (GatherV2): gather index out of range: element at flat position {} is outside [0, 5)"}};
  return p;
}

std::vector<float> RandomFloats(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-100.f, 100.f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// "no CUDA device: <why>" (the driver's errors already start with "no CUDA ...").
std::string SkipReason(const absl::Status& status) {
  const std::string why(status.message());
  return why.rfind("no CUDA", 0) == 0 ? why : "no CUDA device: " + why;
}

Tensor FloatTensor(const std::vector<float>& v) { return Tensor::FromVector<float>(v); }

// ---------------------------------------------------------------------------------------------
// Loading the driver (no GPU needed).

TEST(CudaDriverTest, MissingLibraryIsUnavailableWithTheDlopenError) {
  absl::StatusOr<std::unique_ptr<CudaDriver>> driver = CudaDriver::Load("/nonexistent/libcuda-strata-test.so.1");
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(driver.status().message(),
              HasSubstr("no CUDA driver: dlopen(/nonexistent/libcuda-strata-test.so.1) failed: "));
  EXPECT_THAT(driver.status().message(), HasSubstr("No such file"));
}

TEST(CudaDriverTest, NonCudaLibraryNamesTheMissingSymbol) {
  absl::StatusOr<std::unique_ptr<CudaDriver>> driver = CudaDriver::Load("libz.so.1");
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(driver.status().message(), HasSubstr("libz.so.1 does not export cuInit"));
}

// The toolkit's stub libcuda exports every driver entry point (each returning
// CUDA_ERROR_STUB_LIBRARY = 34): loading it proves the symbol names bound here exist in CUDA 13.
// In a child process: the stub's soname is libcuda.so.1, so once loaded it would answer every
// later dlopen("libcuda.so.1") of this process.
TEST(CudaDriverDeathTest, EverySymbolBindsAgainstTheToolkitStub) {
  std::string stub;
  for (const char* c : {"/usr/local/cuda/lib64/stubs/libcuda.so", "/usr/local/cuda/lib/stubs/libcuda.so"}) {
    if (access(c, R_OK) == 0) stub = c;
  }
  if (stub.empty()) GTEST_SKIP() << "no CUDA toolkit stub libcuda.so here";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        absl::StatusOr<std::unique_ptr<CudaDriver>> driver = CudaDriver::Load(stub);
        std::fprintf(stderr, "%s\n", std::string(driver.status().message()).c_str());
        std::exit(!driver.ok() && absl::IsUnavailable(driver.status()) ? 0 : 1);
      },
      ::testing::ExitedWithCode(0),
      "loaded but cuInit failed: CUDA_ERROR_STUB_LIBRARY \\(this is the CUDA toolkit's stub");
}

TEST(CudaDriverTest, GetWithoutADriverIsUnavailable) {
  absl::StatusOr<const CudaDriver*> driver = CudaDriver::Get();
  if (driver.ok()) GTEST_SKIP() << "a CUDA driver is installed here (" << (*driver)->path << ")";
  EXPECT_EQ(driver.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(driver.status().message(), HasSubstr("no CUDA"));
  // Kept: a second call gives the same answer without loading again.
  EXPECT_EQ(CudaDriver::Get().status(), driver.status());
}

// STRATA_LIBCUDA is read once, by the first Get(): each case runs in a fresh process
// (threadsafe death tests re-execute the test binary), where it is the first.
TEST(CudaDriverDeathTest, EnvironmentOverrideOfAMissingFile) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("STRATA_LIBCUDA", "/nonexistent/libcuda-override.so", 1);
        absl::StatusOr<const CudaDriver*> driver = CudaDriver::Get();
        std::fprintf(stderr, "%s\n", std::string(driver.status().message()).c_str());
        std::exit(!driver.ok() && absl::IsUnavailable(driver.status()) ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "no CUDA driver: dlopen\\(/nonexistent/libcuda-override.so\\) failed");
}

TEST(CudaDriverDeathTest, EnvironmentOverrideOfANonCudaLibrary) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("STRATA_LIBCUDA", "libz.so.1", 1);
        absl::StatusOr<std::shared_ptr<CudaDevice>> device = SharedCudaDevice(0);
        std::fprintf(stderr, "%s\n", std::string(device.status().message()).c_str());
        std::exit(!device.ok() && absl::IsUnavailable(device.status()) ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "libz.so.1 does not export cuInit");
}

TEST(CudaDriverTest, CheckNamesTheCallAndTheDriversError) {
  const CudaDriver* driver = fake::Driver();
  EXPECT_TRUE(driver->Check(kCudaSuccess, "cuInit").ok());
  absl::Status oom = driver->Check(kCudaErrorOutOfMemory, "cuMemAlloc(64 bytes)");
  EXPECT_EQ(oom.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(oom.message(), "cuMemAlloc(64 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)");
  absl::Status unknown = driver->Check(12345, "cuSomething");
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(unknown.message(), "cuSomething failed: CUresult 12345");
}

TEST(GpuRuntimeTest, MakeGpuExecutableWithoutADeviceIsUnavailable) {
  std::string why;
  if (CudaAvailable(&why)) GTEST_SKIP() << "a CUDA device is present";
  absl::StatusOr<std::unique_ptr<Executable>> executable = MakeGpuExecutable(AddProgram(16));
  ASSERT_FALSE(executable.ok());
  EXPECT_EQ(executable.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(executable.status().message(), HasSubstr("no CUDA"));
  EXPECT_EQ(std::string(executable.status().message()), why);
  EXPECT_EQ(DescribeGpu().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(GpuArch().status().code(), absl::StatusCode::kUnavailable);
}

TEST(CudaBackendTest, CompileTargetIsTheNewestTheDeviceRuns) {
  EXPECT_EQ(CompileTargetForDevice(75), "");
  EXPECT_EQ(CompileTargetForDevice(80), "sm_80");
  EXPECT_EQ(CompileTargetForDevice(87), "sm_86");
  EXPECT_EQ(CompileTargetForDevice(89), "sm_89");
  EXPECT_EQ(CompileTargetForDevice(90), "sm_90");
  EXPECT_EQ(CompileTargetForDevice(100), "sm_90");
  EXPECT_EQ(CompileTargetForDevice(120), "sm_90");
}

TEST(CudaBackendTest, WithoutADeviceIsUnavailableOrUnimplemented) {
  if (CudaAvailable()) GTEST_SKIP() << "a CUDA device is present";
  absl::StatusOr<std::unique_ptr<Backend>> backend = CreateCudaBackend();
  ASSERT_FALSE(backend.ok());
  EXPECT_TRUE(absl::IsUnavailable(backend.status()) || absl::IsUnimplemented(backend.status())) << backend.status();
}

// ---------------------------------------------------------------------------------------------
// The PTX, checked offline by ptxas (from the CUDA toolkit, present on the dev machines).

using testing_util::FindPtxas;

// ptxas's exit code on `ptx` for sm_80; its output goes to `*log`.
int RunPtxas(const std::string& ptxas, const std::string& ptx, const std::string& tag, std::string* log) {
  const testing_util::PtxasRun run = testing_util::RunPtxas(ptxas, ptx, "sm_80", "gpu_runtime_test_" + tag);
  *log = run.output;
  return run.exit_code;
}

TEST(GpuRuntimePtxTest, PtxasAcceptsTheTestKernelsAndRejectsTheBadOne) {
  const std::string ptxas = FindPtxas();
  if (ptxas.empty()) GTEST_SKIP() << "no ptxas (set STRATA_PTXAS or install the CUDA toolkit)";
  std::string log;
  EXPECT_EQ(RunPtxas(ptxas, kTestPtx, "good", &log), 0) << log;
  EXPECT_NE(RunPtxas(ptxas, BadPtx(), "bad", &log), 0);
  EXPECT_THAT(log, HasSubstr("%zz"));
}

// ---------------------------------------------------------------------------------------------
// GpuExecutable over the fake driver and over a real GPU.

class GpuExecutableTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "fake") {
      RegisterHostKernels();
      absl::StatusOr<std::unique_ptr<CudaDevice>> device = CudaDevice::Open(fake::Driver(), 0);
      ASSERT_TRUE(device.ok()) << device.status();
      device_ = std::move(*device);
      return;
    }
    absl::StatusOr<std::shared_ptr<CudaDevice>> device = SharedCudaDevice(0);
    if (!device.ok()) GTEST_SKIP() << SkipReason(device.status());
    device_ = *device;
  }

  std::unique_ptr<GpuExecutable> Create(GpuProgram program) {
    absl::StatusOr<std::unique_ptr<GpuExecutable>> executable = GpuExecutable::Create(device_, std::move(program));
    EXPECT_TRUE(executable.ok()) << executable.status();
    return executable.ok() ? std::move(*executable) : nullptr;
  }

  std::shared_ptr<CudaDevice> device_;
};

TEST_P(GpuExecutableTest, AddsAThousandFloats) {
  constexpr int64_t kN = 1000;
  std::unique_ptr<GpuExecutable> add = Create(AddProgram(kN));
  ASSERT_NE(add, nullptr);
  const std::vector<float> a = RandomFloats(kN, 1), b = RandomFloats(kN, 2);
  std::vector<Tensor> results;
  ASSERT_TRUE(add->Run({FloatTensor(a), FloatTensor(b)}, &results).ok());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].dtype(), DT_FLOAT);
  EXPECT_EQ(results[0].shape(), Shape{kN});
  absl::Span<const float> c = results[0].flat<float>();
  int mismatches = 0;
  for (int64_t i = 0; i < kN; ++i) {
    if (c[i] != a[i] + b[i] && ++mismatches <= 5)
      ADD_FAILURE() << "c[" << i << "] = " << c[i] << ", expected " << a[i] + b[i];
  }
  EXPECT_EQ(mismatches, 0);
}

TEST_P(GpuExecutableTest, SecondRunReusesCachedAllocations) {
  constexpr int64_t kN = 1000;
  std::unique_ptr<GpuExecutable> add = Create(AddProgram(kN));
  ASSERT_NE(add, nullptr);
  const CachingAllocatorStats before = device_->allocator().stats();
  std::vector<Tensor> results;
  ASSERT_TRUE(add->Run({FloatTensor(RandomFloats(kN, 3)), FloatTensor(RandomFloats(kN, 4))}, &results).ok());
  const CachingAllocatorStats first = device_->allocator().stats();
  EXPECT_EQ(first.bytes_in_use, before.bytes_in_use) << "the run's buffers went back to the cache";
  const std::vector<float> a = RandomFloats(kN, 5), b = RandomFloats(kN, 6);
  ASSERT_TRUE(add->Run({FloatTensor(a), FloatTensor(b)}, &results).ok());
  const CachingAllocatorStats second = device_->allocator().stats();
  EXPECT_EQ(second.backend_allocs, first.backend_allocs) << "the second run allocated from the driver";
  EXPECT_EQ(second.cache_hits - first.cache_hits, 3);  // a, b and c
  EXPECT_EQ(second.bytes_in_use, before.bytes_in_use);
  ASSERT_EQ(results.size(), 1u);
  for (int64_t i = 0; i < kN; ++i) ASSERT_EQ(results[0].flat<float>()[i], a[i] + b[i]) << i;
}

TEST_P(GpuExecutableTest, ConstantsAreUploadedOnceAndCanBeFetched) {
  constexpr int64_t kN = 1000;
  const std::vector<float> w = RandomFloats(kN, 7);
  std::unique_ptr<GpuExecutable> add = Create(AddConstantProgram(w));
  ASSERT_NE(add, nullptr);
  EXPECT_TRUE(add->program().buffers[1].constant_data.empty()) << "the host copy of the weights was kept";
  const int64_t allocs_after_create = device_->allocator().stats().backend_allocs;
  for (int run = 0; run < 3; ++run) {
    const std::vector<float> a = RandomFloats(kN, 10 + run);
    std::vector<Tensor> results;
    ASSERT_TRUE(add->Run({FloatTensor(a)}, &results).ok());
    ASSERT_EQ(results.size(), 2u);
    for (int64_t i = 0; i < kN; ++i) {
      ASSERT_EQ(results[0].flat<float>()[i], a[i] + w[i]) << "run " << run << " element " << i;
      ASSERT_EQ(results[1].flat<float>()[i], w[i]) << "run " << run << " element " << i;
    }
  }
  // Runs 2 and 3 allocated nothing new; run 1 allocated at most its own buffers.
  EXPECT_LE(device_->allocator().stats().backend_allocs - allocs_after_create, 2);
}

TEST_P(GpuExecutableTest, MemsetAndCopyStepsAndAFetchedFeed) {
  constexpr int64_t kN = 1000;
  std::unique_ptr<GpuExecutable> accumulate = Create(AccumulateProgram(kN));
  ASSERT_NE(accumulate, nullptr);
  // Twice: the second run gets the first run's accumulator back from the cache, full of its
  // sums; only the memset step makes the result right.
  for (int run = 0; run < 2; ++run) {
    const std::vector<float> a = RandomFloats(kN, 20 + run), b = RandomFloats(kN, 30 + run);
    std::vector<Tensor> args = {FloatTensor(a), FloatTensor(b)};
    std::vector<Tensor> results;
    ASSERT_TRUE(accumulate->Run(args, &results).ok());
    ASSERT_EQ(results.size(), 2u);
    for (int64_t i = 0; i < kN; ++i) {
      ASSERT_EQ(results[0].flat<float>()[i], (0.f + a[i]) + b[i]) << "run " << run << " element " << i;
      ASSERT_EQ(results[1].flat<float>()[i], a[i]) << "run " << run << " element " << i;
    }
    // The fetched feed is a copy: writing to it leaves the caller's argument alone.
    EXPECT_NE(results[1].raw_data(), args[0].raw_data());
    results[1].flat<float>()[0] = 12345.f;
    EXPECT_EQ(args[0].flat<float>()[0], a[0]);
  }
}

TEST_P(GpuExecutableTest, MemsetWritesItsByteValue) {
  GpuProgram p;
  p.name = "fill";
  p.cuda_arch = "sm_80";
  p.ptx = kTestPtx;
  p.buffers = {Buffer(GpuBuffer::Kind::kResult, 0, DT_UINT8, 777)};
  GpuStep fill;
  fill.kind = GpuStep::Kind::kMemset;
  fill.memset.buffer = 0;
  fill.memset.value = 0xA7;
  p.steps = {fill};
  p.result_buffers = {0};
  std::unique_ptr<GpuExecutable> executable = Create(std::move(p));
  ASSERT_NE(executable, nullptr);
  std::vector<Tensor> results;
  ASSERT_TRUE(executable->Run({}, &results).ok());
  ASSERT_EQ(results.size(), 1u);
  ASSERT_EQ(results[0].num_elements(), 777);
  for (uint8_t v : results[0].flat<uint8_t>()) ASSERT_EQ(v, 0xA7);
}

TEST_P(GpuExecutableTest, EmptyTensorsRunWithoutCopies) {
  std::unique_ptr<GpuExecutable> add = Create(AddProgram(0));
  ASSERT_NE(add, nullptr);
  std::vector<Tensor> results;
  ASSERT_TRUE(add->Run({FloatTensor({}), FloatTensor({})}, &results).ok());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].shape(), Shape{0});
}

TEST_P(GpuExecutableTest, BadPtxErrorCarriesTheJitLog) {
  GpuProgram p = AddProgram(16);
  p.ptx = BadPtx();
  absl::StatusOr<std::unique_ptr<GpuExecutable>> executable = GpuExecutable::Create(device_, std::move(p));
  ASSERT_FALSE(executable.ok());
  EXPECT_EQ(executable.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(executable.status().message(), HasSubstr("GPU program 'add'"));
  EXPECT_THAT(executable.status().message(), HasSubstr("cuModuleLoadDataEx failed: CUDA_ERROR_INVALID_PTX"));
  EXPECT_THAT(executable.status().message(), HasSubstr("JIT log:"));
  EXPECT_THAT(executable.status().message(), HasSubstr("%zz"));
}

TEST_P(GpuExecutableTest, KernelMissingFromThePtxIsNamed) {
  GpuProgram p = AddProgram(16);
  p.steps[0].launch.kernel = "mul_f32";
  absl::StatusOr<std::unique_ptr<GpuExecutable>> executable = GpuExecutable::Create(device_, std::move(p));
  ASSERT_FALSE(executable.ok());
  EXPECT_EQ(executable.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(executable.status().message(), HasSubstr("step 0 launches kernel 'mul_f32'"));
}

TEST_P(GpuExecutableTest, ArgumentMismatchesNameTheArgument) {
  std::unique_ptr<GpuExecutable> add = Create(AddProgram(1000));
  ASSERT_NE(add, nullptr);
  const Tensor good = FloatTensor(RandomFloats(1000, 8));
  std::vector<Tensor> results = {good};
  absl::Status count = add->Run({good}, &results);
  EXPECT_EQ(count.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(count.message(), HasSubstr("GPU program 'add' takes 2 arguments, got 1"));
  EXPECT_TRUE(results.empty()) << "results are cleared on error";
  absl::Status dtype = add->Run({good, Tensor(DT_INT32, Shape{1000})}, &results);
  EXPECT_EQ(dtype.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dtype.message(), HasSubstr("argument 1 of GPU program 'add': expected float32[1000], got int32[1000]"));
  absl::Status shape = add->Run({Tensor(DT_FLOAT, Shape{10, 100}), good}, &results);
  EXPECT_EQ(shape.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(shape.message(),
              HasSubstr("argument 0 of GPU program 'add': expected float32[1000], got float32[10,100]"));
}

TEST_P(GpuExecutableTest, ProgramForANewerGpuIsRefused) {
  GpuProgram p = AddProgram(16);
  p.cuda_arch = "sm_999";
  absl::StatusOr<std::unique_ptr<GpuExecutable>> too_new = GpuExecutable::Create(device_, std::move(p));
  EXPECT_EQ(too_new.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(too_new.status().message(), HasSubstr("compiled for sm_999"));
  GpuProgram q = AddProgram(16);
  q.cuda_arch = "gfx90a";
  EXPECT_EQ(GpuExecutable::Create(device_, std::move(q)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(GpuExecutableTest, ConcurrentRunsAreIndependent) {
  constexpr int64_t kN = 1000;
  std::unique_ptr<GpuExecutable> add = Create(AddProgram(kN));
  ASSERT_NE(add, nullptr);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int run = 0; run < 10; ++run) {
        const std::vector<float> a = RandomFloats(kN, 100 * t + run), b = RandomFloats(kN, 1000 + 100 * t + run);
        std::vector<Tensor> results;
        if (!add->Run({FloatTensor(a), FloatTensor(b)}, &results).ok() || results.size() != 1) {
          ++wrong;
          continue;
        }
        for (int64_t i = 0; i < kN; ++i) {
          if (results[0].flat<float>()[i] != a[i] + b[i]) {
            ++wrong;
            break;
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_P(GpuExecutableTest, DebugStringShowsTheSteps) {
  std::unique_ptr<GpuExecutable> accumulate = Create(AccumulateProgram(1000));
  ASSERT_NE(accumulate, nullptr);
  const std::string text = accumulate->DebugString();
  EXPECT_THAT(text, HasSubstr("step 0: memset %2 = 0"));
  EXPECT_THAT(text, HasSubstr("step 1: launch accumulate_f32 grid(4,1,1) block(256,1,1) shared 0 args(%2, %0, 1000)"));
  EXPECT_THAT(text, HasSubstr("step 3: copy %2 -> %3"));
  EXPECT_THAT(text, HasSubstr(".entry add_f32("));
}

TEST_P(GpuExecutableTest, PassedCheckRunsAndFailedCheckIsReported) {
  constexpr int64_t kN = 100;
  const std::vector<float> a = RandomFloats(kN, 40), b = RandomFloats(kN, 41);
  std::unique_ptr<GpuExecutable> passing = Create(CheckedAddProgram(kN, std::numeric_limits<int64_t>::max()));
  ASSERT_NE(passing, nullptr);
  std::vector<Tensor> results;
  absl::Status ok = passing->Run({FloatTensor(a), FloatTensor(b)}, &results);
  ASSERT_TRUE(ok.ok()) << ok;
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].flat<float>()[7], a[7] + b[7]);

  std::unique_ptr<GpuExecutable> failing = Create(CheckedAddProgram(kN, 5));
  ASSERT_NE(failing, nullptr);
  const int64_t blocks_in_use = device_->allocator().stats().blocks_in_use;  // the two constants
  absl::Status bad = failing->Run({FloatTensor(a), FloatTensor(b)}, &results);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(), "node 'g' (GatherV2): gather index out of range: element at flat position 5 is outside [0, 5)");
  EXPECT_TRUE(results.empty()) << "no results from a run whose check failed";
  EXPECT_EQ(device_->allocator().stats().blocks_in_use, blocks_in_use) << "the run's buffers went back";
  // The flag buffer goes back to the cache holding 5: the passing program's copy overwrites it.
  ASSERT_TRUE(passing->Run({FloatTensor(a), FloatTensor(b)}, &results).ok());
}

INSTANTIATE_TEST_SUITE_P(Drivers, GpuExecutableTest, ::testing::Values("fake", "cuda"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// ---------------------------------------------------------------------------------------------
// Only on a real GPU.

TEST(CudaDeviceTest, ReportsNameAndComputeCapability) {
  absl::StatusOr<std::shared_ptr<CudaDevice>> device = SharedCudaDevice(0);
  if (!device.ok()) GTEST_SKIP() << SkipReason(device.status());
  EXPECT_FALSE((*device)->name().empty());
  EXPECT_GE((*device)->sm_version(), 50);
  EXPECT_GT((*device)->multiprocessor_count(), 0);
  absl::StatusOr<std::string> arch = GpuArch(0);
  ASSERT_TRUE(arch.ok());
  EXPECT_EQ(*arch, absl::StrCat("sm_", (*device)->sm_version()));
  std::printf("device: %s\n", (*device)->Description().c_str());
}

// ---------------------------------------------------------------------------------------------
// Only over the fake driver: failures a real GPU does not produce on demand, and teardown.

class FakeGpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterHostKernels();
    absl::StatusOr<std::unique_ptr<CudaDevice>> device = CudaDevice::Open(fake::Driver(), 0);
    ASSERT_TRUE(device.ok()) << device.status();
    device_ = std::move(*device);
  }
  std::shared_ptr<CudaDevice> device_;
};

TEST_F(FakeGpuTest, DeviceDescriptionAndMissingOrdinal) {
  EXPECT_EQ(device_->Description(), "Fake GPU (sm_80, 4 SMs)");
  absl::StatusOr<std::unique_ptr<CudaDevice>> second = CudaDevice::Open(fake::Driver(), 1);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(second.status().message(), HasSubstr("CUDA device 1 does not exist (the driver reports 1 device(s))"));
}

TEST_F(FakeGpuTest, OutOfMemoryDuringARunIsReportedAndLeaksNothing) {
  std::unique_ptr<GpuExecutable> add = GpuExecutable::Create(device_, AddProgram(1000)).value();
  fake::State().fail_next_alloc = 1;
  std::vector<Tensor> results;
  absl::Status s = add->Run({FloatTensor(RandomFloats(1000, 1)), FloatTensor(RandomFloats(1000, 2))}, &results);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("allocating arg buffer 0"));
  EXPECT_THAT(s.message(), HasSubstr("CUDA_ERROR_OUT_OF_MEMORY"));
  EXPECT_EQ(device_->allocator().stats().blocks_in_use, 0);
  EXPECT_TRUE(add->Run({FloatTensor(RandomFloats(1000, 1)), FloatTensor(RandomFloats(1000, 2))}, &results).ok());
}

TEST_F(FakeGpuTest, LaunchFailureIsReportedAndReturnsTheRunsBuffers) {
  std::unique_ptr<GpuExecutable> add = GpuExecutable::Create(device_, AddProgram(1000)).value();
  fake::State().fail_next_launch = 1;
  std::vector<Tensor> results;
  absl::Status s = add->Run({FloatTensor(RandomFloats(1000, 1)), FloatTensor(RandomFloats(1000, 2))}, &results);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("cuLaunchKernel('add_f32', step 0) failed: CUDA_ERROR_ILLEGAL_ADDRESS"));
  EXPECT_TRUE(results.empty());
  EXPECT_EQ(device_->allocator().stats().blocks_in_use, 0);
  EXPECT_EQ(device_->allocator().stats().blocks_cached, 3);
}

TEST_F(FakeGpuTest, TeardownReleasesModulesMemoryAndContext) {
  const int64_t modules_loaded = fake::State().modules_loaded;
  const int64_t modules_unloaded = fake::State().modules_unloaded;
  const int64_t releases = fake::State().primary_ctx_releases;
  std::unique_ptr<GpuExecutable> add =
      GpuExecutable::Create(device_, AddConstantProgram(RandomFloats(1000, 1))).value();
  std::vector<Tensor> results;
  ASSERT_TRUE(add->Run({FloatTensor(RandomFloats(1000, 2))}, &results).ok());
  EXPECT_EQ(fake::State().modules_loaded, modules_loaded + 1);
  EXPECT_GT(device_->allocator().stats().blocks_cached + device_->allocator().stats().blocks_in_use, 0);
  add.reset();
  EXPECT_EQ(fake::State().modules_unloaded, modules_unloaded + 1);
  EXPECT_EQ(device_->allocator().stats().blocks_in_use, 0) << "the constant went back to the cache";
  device_.reset();
  EXPECT_EQ(fake::State().primary_ctx_releases, releases + 1);
  EXPECT_TRUE(fake::State().live.empty()) << fake::State().live.size() << " fake device blocks leaked";
}

// ---------------------------------------------------------------------------------------------
// Program validation (no device needed).

TEST(ValidateGpuProgramTest, AcceptsTheTestPrograms) {
  EXPECT_TRUE(ValidateGpuProgram(AddProgram(1000)).ok());
  EXPECT_TRUE(ValidateGpuProgram(AddConstantProgram({1.f, 2.f})).ok());
  EXPECT_TRUE(ValidateGpuProgram(AccumulateProgram(7)).ok());
  EXPECT_TRUE(ValidateGpuProgram(CheckedAddProgram(7, 3)).ok());
}

TEST(ValidateGpuProgramTest, RejectsInconsistentPrograms) {
  auto message = [](const GpuProgram& p) {
    absl::Status s = ValidateGpuProgram(p);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    return std::string(s.message());
  };
  GpuProgram p = AddProgram(1000);
  p.steps[0].launch.args[2].buffer = 9;
  EXPECT_THAT(message(p), HasSubstr("step 0 (kernel 'add_f32') argument 2 refers to buffer 9, but the program has 3"));
  p = AddProgram(1000);
  p.buffers[2].bytes = 100;
  EXPECT_THAT(message(p), HasSubstr("result buffer 2 (float32[1000]) has 100 bytes"));
  p = AddProgram(1000);
  p.arg_buffers = {1, 0};
  EXPECT_THAT(message(p),
              HasSubstr("argument 0 is buffer 1 (arg buffer with index 1); expected an arg buffer with index 0"));
  p = AddProgram(1000);
  p.arg_buffers = {0};
  EXPECT_THAT(message(p), HasSubstr("arg buffer 1 is not in arg_buffers"));
  p = AddProgram(1000);
  p.steps[0].launch.grid = {0, 1, 1};
  EXPECT_THAT(message(p), HasSubstr("empty grid or block"));
  p = AddConstantProgram({1.f, 2.f});
  p.buffers[1].constant_data.pop_back();
  EXPECT_THAT(message(p), HasSubstr("constant buffer 1 has 8 bytes but 7 bytes of data"));
  p = AccumulateProgram(10);
  p.buffers[2].bytes = 8;
  EXPECT_THAT(message(p), HasSubstr("step 3 copies buffer 2 (8 bytes) into buffer 3 (40 bytes)"));
  p = AddConstantProgram({1.f, 2.f});
  GpuStep clobber;
  clobber.kind = GpuStep::Kind::kMemset;
  clobber.memset.buffer = 1;
  p.steps.push_back(clobber);
  EXPECT_THAT(message(p), HasSubstr("sets constant buffer 1, which every run shares"));
  p = AddProgram(1000);
  p.result_buffers = {5};
  EXPECT_THAT(message(p), HasSubstr("result 0 refers to buffer 5"));
  p = CheckedAddProgram(10, 0);
  p.checks[0].buffer = 7;
  EXPECT_THAT(message(p), HasSubstr("check 0 refers to buffer 7, but the program has 5 buffers"));
  p = CheckedAddProgram(10, 0);
  p.checks[0].buffer = 2;  // the float32[10] result
  EXPECT_THAT(message(p), HasSubstr("check 0 is buffer 2 (float32[10], 40 bytes); expected an int64 scalar of 8 bytes"));
  p = CheckedAddProgram(10, 0);
  p.checks[0].buffer = 3;  // the constant the flag is copied from
  EXPECT_THAT(message(p), HasSubstr("check 0 is constant buffer 3"));
}

}  // namespace
}  // namespace strata::gpu
