// Tensors whose bytes are in device memory (Buffer::OnDevice): the host copy is made once, when
// first needed; a failed copy is an error that names the device; copies of the tensor share both
// copies; dropping the device copy leaves a plain host tensor.
#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "graph/device_memory.h"
#include "graph/tensor.h"

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// "Device memory" in a host vector, counting the copies down; fails them on request.
class FakeDeviceMemory : public DeviceMemory {
 public:
  explicit FakeDeviceMemory(std::vector<float> values, bool fail = false) : values_(std::move(values)), fail_(fail) {}
  const void* device() const override { return this; }
  uint64_t address() const override { return 0x1000; }
  std::string device_name() const override { return "GPU:7"; }
  absl::Status CopyToHost(void* dst, size_t bytes) const override {
    ++copies;
    if (fail_) return absl::InternalError("CUDA_ERROR_ILLEGAL_ADDRESS: an illegal memory access was encountered");
    std::memcpy(dst, values_.data(), bytes);
    return absl::OkStatus();
  }
  mutable std::atomic<int> copies{0};

 private:
  std::vector<float> values_;
  bool fail_;
};

TEST(DeviceTensorTest, TheHostCopyIsMadeOnceWhenFirstRead) {
  auto memory = std::make_shared<FakeDeviceMemory>(std::vector<float>{1, 2, 3, 4, 5, 6});
  const Tensor t = Tensor::OnDevice(DT_FLOAT, Shape{2, 3}, memory);
  ASSERT_TRUE(t.valid());
  EXPECT_EQ(t.device_memory(), memory.get());
  EXPECT_EQ(t.byte_size(), 24u);
  EXPECT_EQ(memory->copies, 0);
  EXPECT_THAT(t.flat<float>(), ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_EQ(t.Clone().flat<float>()[5], 6);
  EXPECT_TRUE(t.SyncToHost().ok());
  EXPECT_EQ(memory->copies, 1);
  EXPECT_EQ(t.device_memory(), memory.get()) << "the device copy stays for the next run on the device";
  EXPECT_EQ(t.Clone().device_memory(), nullptr);
}

TEST(DeviceTensorTest, ConcurrentReadersCopyOnce) {
  auto memory = std::make_shared<FakeDeviceMemory>(std::vector<float>(1000, 2.5f));
  const Tensor t = Tensor::OnDevice(DT_FLOAT, Shape{1000}, memory);
  std::vector<std::thread> readers;
  std::atomic<int> right{0};
  for (int i = 0; i < 8; ++i) {
    readers.emplace_back([&] { right += t.flat<float>()[999] == 2.5f ? 1 : 0; });
  }
  for (std::thread& r : readers) r.join();
  EXPECT_EQ(right, 8);
  EXPECT_EQ(memory->copies, 1);
}

TEST(DeviceTensorTest, ReshapedTensorsShareTheDeviceCopy) {
  auto memory = std::make_shared<FakeDeviceMemory>(std::vector<float>{1, 2, 3, 4});
  const Tensor t = Tensor::OnDevice(DT_FLOAT, Shape{4}, memory);
  absl::StatusOr<Tensor> r = t.Reshaped(Shape{2, 2});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->device_memory(), memory.get());
  EXPECT_THAT(r->flat<float>(), ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(t.flat<float>()[3], 4);
  EXPECT_EQ(memory->copies, 1);
}

TEST(DeviceTensorTest, AFailedCopyIsAnErrorNamingTheDevice) {
  auto memory = std::make_shared<FakeDeviceMemory>(std::vector<float>{1, 2}, /*fail=*/true);
  const Tensor t = Tensor::OnDevice(DT_FLOAT, Shape{2}, memory);
  absl::Status s = t.SyncToHost();
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("copying a tensor from GPU:7 to the host"));
  EXPECT_THAT(s.message(), HasSubstr("CUDA_ERROR_ILLEGAL_ADDRESS"));
  // Not cached: a later attempt tries again.
  EXPECT_FALSE(t.SyncToHost().ok());
  EXPECT_EQ(memory->copies, 2);
}

TEST(DeviceTensorDeathTest, ReadingBytesThatCannotBeCopiedAbortsWithTheReason) {
  auto memory = std::make_shared<FakeDeviceMemory>(std::vector<float>{1, 2}, /*fail=*/true);
  const Tensor t = Tensor::OnDevice(DT_FLOAT, Shape{2}, memory);
  EXPECT_DEATH((void)t.flat<float>()[0], "copying a tensor from GPU:7 to the host");
}

TEST(DeviceTensorTest, DroppingTheDeviceCopyLeavesAHostTensor) {
  auto memory = std::make_shared<FakeDeviceMemory>(std::vector<float>{7, 8});
  Tensor t = Tensor::OnDevice(DT_FLOAT, Shape{2}, memory);
  const std::weak_ptr<FakeDeviceMemory> alive = memory;
  memory.reset();
  ASSERT_TRUE(t.buffer()->DropDeviceCopy().ok());
  EXPECT_EQ(t.device_memory(), nullptr);
  EXPECT_TRUE(alive.expired()) << "the device memory is released";
  t.flat<float>()[0] = 9;
  EXPECT_THAT(t.flat<float>(), ElementsAre(9, 8));
}

TEST(DeviceTensorTest, InvalidSpecsMakeInvalidTensors) {
  auto memory = std::make_shared<FakeDeviceMemory>(std::vector<float>{1});
  EXPECT_FALSE(Tensor::OnDevice(DT_FLOAT, Shape{-1}, memory).valid());
  EXPECT_FALSE(Tensor::OnDevice(DT_STRING, Shape{1}, memory).valid());
  EXPECT_FALSE(Tensor::OnDevice(DT_FLOAT, Shape{1}, nullptr).valid());
  EXPECT_EQ(Tensor(DT_FLOAT, Shape{2}).device_memory(), nullptr);
  EXPECT_TRUE(Tensor(DT_FLOAT, Shape{2}).SyncToHost().ok());
}

}  // namespace
}  // namespace strata
