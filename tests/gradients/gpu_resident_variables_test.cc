// Variables stay on the GPU between training steps: a step reads the last step's values in
// place and leaves its own there, so only the feeds go to the device and only the fetches come
// back. Checked on the emulator (CI) and on a GPU: Adam steps of a small MLP match the CPU's,
// the bytes each step copies are counted, and the values reach the host, the caller's tensors and
// checkpoints intact.
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "frontends/cc/training.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/gpu/cuda_backend.h"
#include "runtime/gpu/cuda_device.h"
#include "tests/gpu_test_util.h"
#include "tests/gradients/grad_test_util.h"

namespace strata {
namespace {

using ::testing::DoubleNear;
using ::testing::Pointwise;
using testing::AsDoubles;
using testing::Random;

constexpr int kBatch = 8, kIn = 4, kHidden = 16, kOut = 3;

// loss = mean((relu(x w1 + b1) w2 + b2 - y)^2), fitted with Adam; variables of either kind.
struct Mlp {
  Scope root = Scope::NewRootScope();
  Output x, y, hidden, loss;
  std::vector<train::Variable> vars;
  std::string train_op, init;

  explicit Mlp(train::VariableKind kind) {
    x = ops::Placeholder(root.WithOpName("x"), DT_FLOAT, ops::Placeholder::Shape({kBatch, kIn}));
    y = ops::Placeholder(root.WithOpName("y"), DT_FLOAT, ops::Placeholder::Shape({kBatch, kOut}));
    auto var = [&](const char* name, const Shape& shape, uint32_t seed) {
      vars.push_back(train::MakeVariable(root.WithOpName(name), Random(DT_FLOAT, shape, -0.5, 0.5, seed), {kind}));
      return vars.back().value;
    };
    Output w1 = var("w1", {kIn, kHidden}, 1), b1 = var("b1", {kHidden}, 2);
    Output w2 = var("w2", {kHidden, kOut}, 3), b2 = var("b2", {kOut}, 4);
    hidden = ops::Relu(root.WithOpName("hidden"), ops::Add(root, ops::MatMul(root, x, w1), b1));
    Output out = ops::Add(root, ops::MatMul(root, hidden, w2), b2);
    loss = ops::Mean(root.WithOpName("loss"), ops::Square(root, ops::Sub(root, out, y)), ops::Const(root, {0, 1}));
    train::AdamOptimizer adam(0.05f);
    absl::StatusOr<Operation> op = adam.Minimize(root.WithOpName("train"), loss);
    EXPECT_TRUE(op.ok()) << op.status();
    if (op.ok()) train_op = op->node()->name();
    init = train::GlobalVariablesInitializer(root).node()->name();
  }

  // The batch of step `i`.
  std::vector<std::pair<std::string, Tensor>> Batch(int i) const {
    return {{"x", Random(DT_FLOAT, {kBatch, kIn}, -1, 1, 100 + i)}, {"y", Random(DT_FLOAT, {kBatch, kOut}, -1, 1, 200 + i)}};
  }
};

std::unique_ptr<Session> MakeSession(const Scope& root, const std::string& backend) {
  absl::StatusOr<std::unique_ptr<Session>> s = Session::Create(*root.graph(), testing::Backend(backend));
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

absl::StatusOr<std::shared_ptr<gpu::CudaDevice>> DeviceOf(const std::string& backend) {
  return backend == "gpu-emu" ? gpu::SharedEmulatedCudaDevice() : gpu::SharedCudaDevice(0);
}

// Runs `steps` Adam steps (from step `first`), returning the losses.
std::vector<double> Train(Session& s, const Mlp& mlp, int first, int steps) {
  std::vector<double> losses;
  for (int i = first; i < first + steps; ++i) {
    std::vector<Tensor> out;
    absl::Status st = s.Run(mlp.Batch(i), {"loss"}, {mlp.train_op}, &out);
    EXPECT_TRUE(st.ok()) << st;
    if (!st.ok()) return losses;
    EXPECT_EQ(out[0].device_memory(), nullptr) << "a fetched tensor must be on the host";
    losses.push_back(out[0].scalar<float>());
  }
  return losses;
}

std::vector<double> Values(Session& s, const std::string& name) {
  std::vector<Tensor> out;
  absl::Status st = s.Run({}, {name}, {}, &out);
  EXPECT_TRUE(st.ok()) << name << ": " << st;
  return st.ok() ? AsDoubles(out[0]) : std::vector<double>{};
}

class GpuResidentVariablesTest : public ::testing::TestWithParam<std::tuple<std::string, train::VariableKind>> {
 protected:
  void SetUp() override {
    testing_util::SkipWithoutTheGpu(backend());
    if (IsSkipped()) return;
    absl::StatusOr<std::shared_ptr<gpu::CudaDevice>> device = DeviceOf(backend());
    if (absl::IsUnimplemented(device.status())) GTEST_SKIP() << device.status().message();
    ASSERT_TRUE(device.ok()) << device.status();
    device_ = *device;
  }
  const std::string& backend() const { return std::get<0>(GetParam()); }
  train::VariableKind kind() const { return std::get<1>(GetParam()); }

  std::shared_ptr<gpu::CudaDevice> device_;
};

TEST_P(GpuResidentVariablesTest, AdamStepsMatchTheCpuAndCopyOnlyFeedsAndFetches) {
  Mlp mlp(kind());
  ASSERT_TRUE(mlp.root.ok()) << mlp.root.status();
  std::unique_ptr<Session> cpu = MakeSession(mlp.root, "cpu"), dev = MakeSession(mlp.root, backend());
  ASSERT_TRUE(cpu && dev);
  GRAD_ASSERT_OK(cpu->Run({}, {}, {mlp.init}, nullptr));
  GRAD_ASSERT_OK(dev->Run({}, {}, {mlp.init}, nullptr));

  // The first step compiles and uploads the initial values; the next ones only move data.
  std::vector<double> want = Train(*cpu, mlp, 0, 1), got = Train(*dev, mlp, 0, 1);
  const gpu::TransferStats before = device_->transfer_stats();
  constexpr int kSteps = 6;
  std::vector<double> more_want = Train(*cpu, mlp, 1, kSteps), more_got = Train(*dev, mlp, 1, kSteps);
  const gpu::TransferStats after = device_->transfer_stats();
  want.insert(want.end(), more_want.begin(), more_want.end());
  got.insert(got.end(), more_got.begin(), more_got.end());
  EXPECT_THAT(got, Pointwise(DoubleNear(1e-5), want));
  EXPECT_LT(want.back(), want.front()) << "the MLP must learn";

  // Per step: x and y to the device, the loss back; no variable or Adam slot in either direction.
  constexpr int64_t kFeedBytes = (kBatch * kIn + kBatch * kOut) * 4;
  EXPECT_EQ(after.host_to_device_copies - before.host_to_device_copies, 2 * kSteps);
  EXPECT_EQ(after.host_to_device_bytes - before.host_to_device_bytes, kFeedBytes * kSteps);
  EXPECT_EQ(after.device_to_host_copies - before.device_to_host_copies, kSteps);
  EXPECT_EQ(after.device_to_host_bytes - before.device_to_host_bytes, 4 * kSteps);

  // The trained values live on the device, and read back equal to the CPU's.
  for (const train::Variable& v : mlp.vars) {
    EXPECT_NE(dev->variables().Get(v.name()).device_memory(), nullptr) << v.name();
    EXPECT_THAT(Values(*dev, v.value.name()), Pointwise(DoubleNear(1e-5), Values(*cpu, v.value.name()))) << v.name();
    const Tensor stored = dev->variables().Get(v.name());
    EXPECT_THAT(AsDoubles(stored), Pointwise(DoubleNear(1e-5), Values(*cpu, v.value.name()))) << v.name();
  }
}

// A fetched tensor is the caller's: writing into it and feeding it back must compute with what
// was written, never with a copy the device kept.
TEST_P(GpuResidentVariablesTest, AFetchedTensorWrittenAndFedBackIsWhatRuns) {
  Mlp mlp(kind());
  std::unique_ptr<Session> cpu = MakeSession(mlp.root, "cpu"), dev = MakeSession(mlp.root, backend());
  ASSERT_TRUE(cpu && dev);
  for (Session* s : {cpu.get(), dev.get()}) GRAD_ASSERT_OK(s->Run({}, {}, {mlp.init}, nullptr));
  std::vector<double> losses;
  for (Session* s : {cpu.get(), dev.get()}) {
    std::vector<Tensor> out;
    GRAD_ASSERT_OK(s->Run(mlp.Batch(0), {"hidden"}, {mlp.train_op}, &out));
    EXPECT_EQ(out[0].device_memory(), nullptr);
    for (float& h : out[0].flat<float>()) h = h * 0.5f + 0.25f;
    std::vector<std::pair<std::string, Tensor>> feeds = mlp.Batch(1);
    feeds.emplace_back("hidden", out[0]);
    GRAD_ASSERT_OK(s->Run(feeds, {"loss"}, {mlp.train_op}, &out));
    losses.push_back(out[0].scalar<float>());
  }
  EXPECT_NEAR(losses[1], losses[0], 1e-5);
}

TEST_P(GpuResidentVariablesTest, ACheckpointOfTheDeviceValuesRestoresOnTheCpu) {
  Mlp mlp(kind());
  std::unique_ptr<Session> cpu = MakeSession(mlp.root, "cpu"), dev = MakeSession(mlp.root, backend());
  ASSERT_TRUE(cpu && dev);
  GRAD_ASSERT_OK(dev->Run({}, {}, {mlp.init}, nullptr));
  Train(*dev, mlp, 0, 3);
  const std::string path =
      (std::filesystem::temp_directory_path() / ("strata_gpu_resident_" + std::to_string(::getpid()) + ".ckpt")).string();
  GRAD_ASSERT_OK(dev->Save(path));
  GRAD_ASSERT_OK(cpu->Restore(path));
  std::filesystem::remove(path);
  for (const train::Variable& v : mlp.vars) {
    EXPECT_EQ(Values(*cpu, v.value.name()), Values(*dev, v.value.name())) << v.name();
  }
}

std::string ParamName(const ::testing::TestParamInfo<GpuResidentVariablesTest::ParamType>& info) {
  std::string name = std::get<0>(info.param) == "gpu" ? "Gpu" : "Emulator";
  return name + (std::get<1>(info.param) == train::VariableKind::kRef ? "Ref" : "Resource");
}

INSTANTIATE_TEST_SUITE_P(Backends, GpuResidentVariablesTest,
                         ::testing::Combine(::testing::Values("gpu-emu", "gpu"),
                                            ::testing::Values(train::VariableKind::kRef, train::VariableKind::kResource)),
                         ParamName);

}  // namespace
}  // namespace strata
