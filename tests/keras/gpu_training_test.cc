// Keras training on the GPU path: the same model, seed and data fitted on the CPU backend and on
// the GPU emulator (backend "gpu-emu": the GPU compiler's programs, forward and backward and the
// optimizer update, run kernel by kernel on the host; runtime/gpu/emulator), and on a real GPU
// when there is one. The weights after training must agree: every step's gradients went through
// the GPU kernels (matmuls tiled through shared memory, convolution backprops, reductions).
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "frontends/keras/keras.h"
#include "runtime/backends.h"
#include "runtime/gpu/cuda_backend.h"
#include "tests/gpu_test_util.h"
#include "tests/keras/keras_test_util.h"

namespace strata::keras {
namespace {

using testing::LinearLabels;
using testing::MaxAbsDiff;
using testing::RandomNormal;

struct Trained {
  std::vector<Tensor> weights;
  std::vector<double> loss;
};

// Builds the model afresh (same seed, same initial weights), fits it on `backend` and returns
// the weights and the loss per epoch. A GPU backend must not have sent any request to the CPU.
void Train(const std::function<std::unique_ptr<Sequential>()>& make, const std::string& backend, const Tensor& x,
           const Tensor& y, Trained* out) {
  ClearSession();
  SetRandomSeed(42);
  std::unique_ptr<Sequential> model = make();
  SessionOptions options;
  std::shared_ptr<gpu::CudaBackend> gpu_backend;
  if (backend == "cpu") {
    options.backend = "cpu";
  } else {
    absl::StatusOr<std::unique_ptr<gpu::CudaBackend>> created = gpu::CreateGpuBackend(backend);
    ASSERT_TRUE(created.ok()) << created.status();
    gpu_backend = *std::move(created);
    options.custom_backend = gpu_backend;
  }
  model->SetSessionOptions(options);
  ASSERT_TRUE(model->Compile(optimizers::Adam(0.01f), "sparse_categorical_crossentropy", {"accuracy"}).ok());
  FitOptions fit;
  fit.epochs = 2;
  fit.batch_size = 32;
  fit.verbose = 0;
  fit.seed = 7;
  fit.shuffle = false;
  absl::StatusOr<History> h = model->Fit({x}, {y}, fit);
  ASSERT_TRUE(h.ok()) << backend << ": " << h.status();
  out->loss = h->history["loss"];
  absl::StatusOr<std::vector<Tensor>> w = model->GetWeights();
  ASSERT_TRUE(w.ok()) << w.status();
  out->weights = *std::move(w);
  if (gpu_backend != nullptr) {
    for (const gpu::CpuFallback& f : gpu_backend->cpu_fallbacks()) {
      ADD_FAILURE() << backend << ": request " << f.request << " ran on the CPU: " << f.reason;
    }
  }
}

class GpuTrainingTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    testing_util::SkipWithoutTheGpu(GetParam());
  }

  void Compare(const std::string& label, const std::function<std::unique_ptr<Sequential>()>& make, const Tensor& x,
               const Tensor& y) {
    Trained cpu, gpu;
    Train(make, "cpu", x, y, &cpu);
    Train(make, GetParam(), x, y, &gpu);
    ASSERT_EQ(cpu.weights.size(), gpu.weights.size());
    ASSERT_EQ(gpu.loss.size(), 2u);
    for (size_t e = 0; e < cpu.loss.size(); ++e) {
      EXPECT_NEAR(gpu.loss[e], cpu.loss[e], 1e-4 * (1 + std::abs(cpu.loss[e]))) << label << " epoch " << e;
    }
    EXPECT_LT(gpu.loss.back(), gpu.loss.front()) << label;
    float worst = 0;
    for (size_t i = 0; i < cpu.weights.size(); ++i) {
      const float diff = MaxAbsDiff(gpu.weights[i], cpu.weights[i]);
      worst = std::max(worst, diff);
      // Adam's steps are ~lr = 0.01 each; summation-order differences stay far below that.
      EXPECT_LT(diff, 1e-4f) << label << " weight " << i;
    }
    std::printf("[ %s on %s ] loss %.6f -> %.6f (cpu %.6f -> %.6f), worst weight difference %.3g\n", label.c_str(),
                GetParam().c_str(), gpu.loss.front(), gpu.loss.back(), cpu.loss.front(), cpu.loss.back(), worst);
  }
};

TEST_P(GpuTrainingTest, MlpMatchesTheCpu) {
  const Tensor x = RandomNormal(Shape({64, 40}), 1);
  const Tensor y = LinearLabels(x, 10, 2);
  Compare("mlp", [] {
    return std::make_unique<Sequential>(std::vector<LayerPtr>{
        layers::InputLayer({40}), layers::Dense(64, {.activation = "relu"}), layers::Dense(48, {.activation = "tanh"}),
        layers::Dense(10, {.activation = "softmax"})});
  }, x, y);
}

TEST_P(GpuTrainingTest, CnnMatchesTheCpu) {
  const Tensor x = RandomNormal(Shape({64, 10, 10, 1}), 3);
  const Tensor flat = *x.Reshaped(Shape({64, 100}));
  const Tensor y = LinearLabels(flat, 10, 4);
  Compare("cnn", [] {
    return std::make_unique<Sequential>(std::vector<LayerPtr>{
        layers::InputLayer({10, 10, 1}), layers::Conv2D(8, {3, 3}, {.activation = "relu"}), layers::MaxPooling2D({2, 2}),
        layers::Flatten(), layers::Dense(10, {.activation = "softmax"})});
  }, x, y);
}

INSTANTIATE_TEST_SUITE_P(Backends, GpuTrainingTest, ::testing::Values("gpu", "gpu-emu"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return std::string(info.param == "gpu" ? "Gpu" : "Emulator");
                         });

}  // namespace
}  // namespace strata::keras
