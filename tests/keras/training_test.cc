// compile / fit / evaluate / predict: values checked by hand, gradients reaching every layer's
// weights, a fit/evaluate round on synthetic data, and the errors of bad arguments.
#include <gtest/gtest.h>

#include <cmath>

#include "frontends/keras/keras.h"
#include "tests/keras/keras_test_util.h"

namespace strata::keras {
namespace {

using testing::LinearLabels;
using testing::MaxAbsDiff;
using testing::RandomNormal;

class TrainingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClearSession();
    SetRandomSeed(42);
  }
};

FitOptions Quiet(int epochs, int64_t batch_size) {
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = batch_size;
  o.verbose = 0;
  o.seed = 7;
  return o;
}

// Fits a few epochs and checks that the loss went down and every trainable weight moved.
// `backend`: "" = the default (cpu); "reference" for the graphs whose MLIR compile takes
// minutes on a loaded 2-core machine (unrolled recurrences, transposed convolutions).
void ExpectGradientsFlow(Model& model, const std::vector<Tensor>& x, const Tensor& y, const std::string& backend = "") {
  SessionOptions session_options;
  session_options.backend = backend;
  model.SetSessionOptions(session_options);
  ASSERT_TRUE(model.Compile(optimizers::Adam(0.01f), "sparse_categorical_crossentropy", {"accuracy"}).ok());
  absl::StatusOr<std::vector<Tensor>> before = model.GetWeights();
  ASSERT_TRUE(before.ok()) << before.status();
  absl::StatusOr<History> h = model.Fit(x, {y}, Quiet(4, 16));
  ASSERT_TRUE(h.ok()) << h.status();
  const std::vector<double>& loss = h->history["loss"];
  ASSERT_EQ(loss.size(), 4u);
  EXPECT_LT(loss.back(), loss.front());
  absl::StatusOr<std::vector<Tensor>> after = model.GetWeights();
  ASSERT_TRUE(after.ok());
  absl::StatusOr<ModelSignature> sig = model.Signature();
  for (size_t i = 0; i < before->size(); ++i) {
    EXPECT_GT(MaxAbsDiff((*before)[i], (*after)[i]), 0.0f) << "weight " << sig->weight_names[i] << " did not change";
  }
}

TEST_F(TrainingTest, DenseWithConstantWeightsPredictsByHand) {
  Sequential model({layers::InputLayer({2}),
                    layers::Dense(3, {.kernel_initializer = Initializer::Constant(0.5f),
                                      .bias_initializer = Initializer::Constant(1.0f)})});
  absl::StatusOr<Tensor> y = model.Predict(Tensor::FromVector<float>({1, 2, -2, 4}, Shape({2, 2})));
  ASSERT_TRUE(y.ok()) << y.status();
  ASSERT_EQ(y->shape(), Shape({2, 3}));
  EXPECT_EQ(std::vector<float>(y->flat<float>().begin(), y->flat<float>().end()),
            (std::vector<float>{2.5f, 2.5f, 2.5f, 2.0f, 2.0f, 2.0f}));  // 0.5 * (1 + 2) + 1, 0.5 * 2 + 1
}

TEST_F(TrainingTest, CrossentropyFromLogitsAndFromSoftmaxAgree) {
  // Identity kernel: the logits are the inputs. -log softmax([1, 2, 3])[2] = 0.40760596.
  const Initializer identity = Initializer::Values({1, 0, 0, 0, 1, 0, 0, 0, 1});
  Tensor x = Tensor::FromVector<float>({1, 2, 3}, Shape({1, 3}));
  Tensor y = Tensor::FromVector<int32_t>({2}, Shape({1}));
  for (bool from_logits : {true, false}) {
    Sequential model({layers::InputLayer({3}),
                      layers::Dense(3, {.activation = from_logits ? "" : "softmax", .kernel_initializer = identity})});
    ASSERT_TRUE(model.Compile("sgd", losses::SparseCategoricalCrossentropy(from_logits), {"accuracy"}).ok());
    absl::StatusOr<Logs> logs = model.Evaluate(x, y);
    ASSERT_TRUE(logs.ok()) << logs.status();
    EXPECT_NEAR((*logs)["loss"], 0.40760596, 1e-5) << from_logits;
    EXPECT_EQ((*logs)["accuracy"], 1.0);
  }
  // The same with one-hot targets, and mean squared / absolute errors.
  Sequential model({layers::InputLayer({3}), layers::Dense(3, {.kernel_initializer = identity})});
  ASSERT_TRUE(model.Compile("sgd", losses::CategoricalCrossentropy(true)).ok());
  absl::StatusOr<Logs> cce = model.Evaluate(x, Tensor::FromVector<float>({0, 0, 1}, Shape({1, 3})));
  ASSERT_TRUE(cce.ok()) << cce.status();
  EXPECT_NEAR((*cce)["loss"], 0.40760596, 1e-5);
  Sequential mse_model({layers::InputLayer({3}), layers::Dense(3, {.kernel_initializer = identity})});
  ASSERT_TRUE(mse_model.Compile("sgd", "mse", {"mae"}).ok());
  absl::StatusOr<Logs> mse = mse_model.Evaluate(x, Tensor::FromVector<float>({0, 0, 0}, Shape({1, 3})));
  ASSERT_TRUE(mse.ok()) << mse.status();
  EXPECT_NEAR((*mse)["loss"], (1.0 + 4.0 + 9.0) / 3.0, 1e-5);
  EXPECT_NEAR((*mse)["mae"], 2.0, 1e-5);
}

TEST_F(TrainingTest, L2PenaltyIsAddedToTheLoss) {
  // Zero inputs and targets: the loss is the penalty 0.01 * sum(0.5^2 over a [2, 3] kernel) = 0.015.
  Sequential model({layers::InputLayer({2}), layers::Dense(3, {.kernel_initializer = Initializer::Constant(0.5f),
                                                               .kernel_regularizer = regularizers::L2(0.01f)})});
  ASSERT_TRUE(model.Compile("sgd", "mse").ok());
  absl::StatusOr<Logs> logs = model.Evaluate(Tensor(DT_FLOAT, Shape({4, 2})), Tensor(DT_FLOAT, Shape({4, 3})));
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_NEAR((*logs)["loss"], 0.015, 1e-7);
}

TEST_F(TrainingTest, BinaryCrossentropyOnSigmoid) {
  // sigmoid(0.5 * (1 + 1)) = sigmoid(1); loss = -log(sigmoid(1)) = 0.31326169 for target 1.
  Sequential model({layers::InputLayer({2}), layers::Dense(1, {.activation = "sigmoid",
                                                               .kernel_initializer = Initializer::Constant(0.5f)})});
  ASSERT_TRUE(model.Compile("sgd", "binary_crossentropy", {"accuracy"}).ok());
  absl::StatusOr<Logs> logs = model.Evaluate(Tensor::FromVector<float>({1, 1}, Shape({1, 2})),
                                             Tensor::FromVector<float>({1}, Shape({1})));
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_NEAR((*logs)["loss"], 0.31326169, 1e-5);
  EXPECT_EQ((*logs)["accuracy"], 1.0);
}

TEST_F(TrainingTest, BatchNormalizationModes) {
  Sequential model({layers::InputLayer({2}), layers::BatchNormalization({.momentum = 0.9f})});
  Tensor x = Tensor::FromVector<float>({1, 10, 3, 20}, Shape({2, 2}));  // batch means 2, 15
  // Inference with fresh moving statistics (0, 1): x / sqrt(1 + 1e-3).
  absl::StatusOr<Tensor> y = model.Predict(x);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_NEAR(y->flat<float>()[1], 10.0f / std::sqrt(1.001f), 1e-4);
  // One training step with a zero learning rate only moves the statistics:
  // moving_mean = 0.9 * 0 + 0.1 * batch_mean; moving_variance = 0.9 * 1 + 0.1 * batch_variance.
  ASSERT_TRUE(model.Compile(optimizers::SGD(0.0f), "mse").ok());
  ASSERT_TRUE(model.Fit(x, Tensor(DT_FLOAT, Shape({2, 2})), Quiet(1, 2)).ok());
  absl::StatusOr<std::vector<Tensor>> w = model.GetWeights();  // gamma, beta, moving_mean, moving_variance
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w->size(), 4u);
  EXPECT_NEAR((*w)[2].flat<float>()[0], 0.2f, 1e-5);
  EXPECT_NEAR((*w)[2].flat<float>()[1], 1.5f, 1e-5);
  EXPECT_NEAR((*w)[3].flat<float>()[0], 0.9f + 0.1f * 1.0f, 1e-5);    // variance of {1, 3} = 1
  EXPECT_NEAR((*w)[3].flat<float>()[1], 0.9f + 0.1f * 25.0f, 1e-4);   // variance of {10, 20} = 25
  EXPECT_EQ((*w)[0].flat<float>()[0], 1.0f);  // gamma untouched at lr 0
}

std::vector<float> Values(const Tensor& t) { return std::vector<float>(t.flat<float>().begin(), t.flat<float>().end()); }

TEST_F(TrainingTest, ConvolutionsAndPoolingByHand) {
  const Tensor x = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9}, Shape({1, 3, 3, 1}));
  const ConvOptions ones{.kernel_initializer = "ones"};
  // 2x2 window sums: [[1+2+4+5, 2+3+5+6], [4+5+7+8, 5+6+8+9]].
  Sequential conv({layers::InputLayer({3, 3, 1}), layers::Conv2D(1, {2, 2}, ones)});
  absl::StatusOr<Tensor> y = conv.Predict(x);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(Values(*y), (std::vector<float>{12, 16, 24, 28}));
  Sequential depthwise({layers::InputLayer({3, 3, 1}), layers::DepthwiseConv2D({2, 2}, ones)});
  y = depthwise.Predict(x);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(Values(*y), (std::vector<float>{12, 16, 24, 28}));
  // Stride-2 transposed convolution with a 2x2 kernel of ones spreads each pixel over a block.
  Sequential transposed({layers::InputLayer({2, 2, 1}),
                         layers::Conv2DTranspose(1, {2, 2}, {.strides = {2, 2}, .kernel_initializer = "ones"})});
  y = transposed.Predict(Tensor::FromVector<float>({1, 2, 3, 4}, Shape({1, 2, 2, 1})));
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(Values(*y), (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  // Pools with stride 1: max / mean of each 2x2 window; the global mean of all nine values.
  Sequential max_pool({layers::InputLayer({3, 3, 1}), layers::MaxPooling2D({2, 2}, {1, 1})});
  y = max_pool.Predict(x);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(Values(*y), (std::vector<float>{5, 6, 8, 9}));
  Sequential avg_pool({layers::InputLayer({3, 3, 1}), layers::AveragePooling2D({2, 2}, {1, 1})});
  y = avg_pool.Predict(x);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(Values(*y), (std::vector<float>{3, 4, 6, 7}));
  Sequential gap({layers::InputLayer({3, 3, 1}), layers::GlobalAveragePooling2D()});
  y = gap.Predict(x);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(Values(*y), (std::vector<float>{5}));
}

TEST_F(TrainingTest, EmbeddingLooksUpRows) {
  Sequential model({layers::InputLayer({2}, DT_INT32),
                    layers::Embedding(3, 2, {.embeddings_initializer = Initializer::Values({0, 1, 10, 11, 20, 21})})});
  absl::StatusOr<Tensor> y = model.Predict(Tensor::FromVector<int32_t>({2, 0}, Shape({1, 2})));
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->shape(), Shape({1, 2, 2}));
  EXPECT_EQ(Values(*y), (std::vector<float>{20, 21, 0, 1}));
}

TEST_F(TrainingTest, EmbeddingIdOutOfRangeIsAnErrorNamingTheLookup) {
  Sequential model({layers::InputLayer({2}, DT_INT32), layers::Embedding(3, 2)});
  for (int32_t bad : {3, -1}) {
    absl::StatusOr<Tensor> y = model.Predict(Tensor::FromVector<int32_t>({0, bad}, Shape({1, 2})));
    ASSERT_FALSE(y.ok()) << "id " << bad << " of a 3-row table was accepted";
    EXPECT_EQ(y.status().code(), absl::StatusCode::kInvalidArgument) << y.status();
    EXPECT_NE(std::string(y.status().message()).find("GatherV2"), std::string::npos) << y.status();
  }
}

// Keras's orthogonal initializer: Q^T Q = gain^2 I over the weight flattened to [rows, cols]
// (columns orthonormal when rows >= cols, rows orthonormal otherwise), and seeded.
TEST_F(TrainingTest, OrthogonalInitializerIsOrthogonalAndSeeded) {
  for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{8, 8}, {12, 5}, {4, 16}}) {
    auto weights_of = [&](int seed) {
      ClearSession();
      SetRandomSeed(seed);
      Sequential model({layers::InputLayer({rows}),
                        layers::Dense(cols, {.kernel_initializer = Initializer::Orthogonal(2.0f)})});
      absl::StatusOr<std::vector<Tensor>> w = model.GetWeights();
      EXPECT_TRUE(w.ok()) << w.status();
      return w.ok() ? (*w)[0] : Tensor();
    };
    Tensor w = weights_of(5);
    ASSERT_EQ(w.shape(), Shape({rows, cols}));
    auto f = w.flat<float>();
    const bool by_columns = rows >= cols;
    const int64_t k = by_columns ? cols : rows, n = by_columns ? rows : cols;
    for (int64_t a = 0; a < k; ++a) {
      for (int64_t b = 0; b < k; ++b) {
        double dot = 0;
        for (int64_t i = 0; i < n; ++i) {
          dot += by_columns ? f[i * cols + a] * f[i * cols + b] : f[a * cols + i] * f[b * cols + i];
        }
        EXPECT_NEAR(dot, a == b ? 4.0 : 0.0, 1e-4) << rows << "x" << cols << " at (" << a << ", " << b << ")";
      }
    }
    EXPECT_TRUE(weights_of(5).Equals(w)) << "same seed, different weights";
    EXPECT_FALSE(weights_of(6).Equals(w)) << "different seeds, same weights";
  }
}

TEST_F(TrainingTest, OrthogonalInitializerRejectsVectors) {
  Sequential model({layers::InputLayer({3}), layers::Dense(2, {.bias_initializer = "orthogonal"})});
  absl::StatusOr<std::vector<Tensor>> w = model.GetWeights();
  ASSERT_FALSE(w.ok());
  EXPECT_NE(std::string(w.status().message()).find("rank >= 2"), std::string::npos) << w.status();
}

TEST_F(TrainingTest, DropoutIsTheIdentityAtInference) {
  Sequential model({layers::InputLayer({4}), layers::Dropout(0.5f)});
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 4}, Shape({1, 4}));
  absl::StatusOr<Tensor> y = model.Predict(x);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_TRUE(y->Equals(x));
}

TEST_F(TrainingTest, SimpleRnnAndLstmMatchAHandUnrolledReference) {
  // One feature, one unit, two steps, x = [1, 2].
  Tensor x = Tensor::FromVector<float>({1, 2}, Shape({1, 2, 1}));
  Sequential rnn({layers::InputLayer({2, 1}),
                  layers::SimpleRNN(1, {.kernel_initializer = Initializer::Constant(0.5f),
                                        .recurrent_initializer = Initializer::Constant(0.25f)})});
  absl::StatusOr<Tensor> h = rnn.Predict(x);
  ASSERT_TRUE(h.ok()) << h.status();
  const float h1 = std::tanh(0.5f);
  EXPECT_NEAR(h->flat<float>()[0], std::tanh(1.0f + 0.25f * h1), 1e-5);

  // LSTM gates i, f, c, o with kernel [0.1, 0.2, 0.3, 0.4], recurrent [0.5, 0.6, 0.7, 0.8] and
  // the unit forget bias [0, 1, 0, 0].
  Sequential lstm({layers::InputLayer({2, 1}),
                   layers::LSTM(1, {.kernel_initializer = Initializer::Values({0.1f, 0.2f, 0.3f, 0.4f}),
                                    .recurrent_initializer = Initializer::Values({0.5f, 0.6f, 0.7f, 0.8f})})});
  absl::StatusOr<Tensor> out = lstm.Predict(x);
  ASSERT_TRUE(out.ok()) << out.status();
  auto sigmoid = [](float v) { return 1.0f / (1.0f + std::exp(-v)); };
  const float k[4] = {0.1f, 0.2f, 0.3f, 0.4f}, r[4] = {0.5f, 0.6f, 0.7f, 0.8f}, b[4] = {0, 1, 0, 0};
  float hs = 0, cs = 0;
  for (float xt : {1.0f, 2.0f}) {
    float z[4];
    for (int g = 0; g < 4; ++g) z[g] = xt * k[g] + hs * r[g] + b[g];
    cs = sigmoid(z[1]) * cs + sigmoid(z[0]) * std::tanh(z[2]);
    hs = sigmoid(z[3]) * std::tanh(cs);
  }
  EXPECT_NEAR(out->flat<float>()[0], hs, 1e-5);
}

TEST_F(TrainingTest, GradientsReachConvolutionAndPoolingLayers) {
  Sequential model({layers::InputLayer({6, 6, 2}), layers::Conv2D(4, {3, 3}, {.padding = "same", .activation = "relu"}),
                    layers::DepthwiseConv2D({3, 3}, {.depth_multiplier = 2}),
                    layers::Conv2DTranspose(3, {2, 2}, {.strides = {2, 2}, .activation = "tanh"}),
                    layers::MaxPooling2D({2, 2}), layers::AveragePooling2D({2, 2}), layers::GlobalAveragePooling2D(),
                    layers::Dense(2, {.activation = "softmax"})});
  Tensor x = RandomNormal(Shape({64, 6, 6, 2}), 1);
  Tensor flat = *x.Reshaped(Shape({64, 72}));
  ExpectGradientsFlow(model, {x}, LinearLabels(flat, 2, 2), "reference");
}

TEST_F(TrainingTest, GradientsReachBatchNormDropoutAndRegularizedDense) {
  Sequential model({layers::InputLayer({8}), layers::Dense(16, {.kernel_regularizer = regularizers::L2(0.01f)}),
                    layers::BatchNormalization(), layers::Activation("gelu"), layers::Dropout(0.25f),
                    layers::Dense(2, {.activation = "softmax"})});
  Tensor x = RandomNormal(Shape({64, 8}), 3);
  ExpectGradientsFlow(model, {x}, LinearLabels(x, 2, 4), "reference");
}

TEST_F(TrainingTest, GradientsReachEmbeddingAndRecurrentLayers) {
  Sequential model({layers::InputLayer({5}, DT_INT32), layers::Embedding(10, 4),
                    layers::LSTM(6, {.return_sequences = true}), layers::SimpleRNN(4),
                    layers::Dense(2, {.activation = "softmax"})});
  std::vector<int32_t> ids(64 * 5), labels(64);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>((i * 7 + i / 5) % 10);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = ids[i * 5] > 4 ? 1 : 0;
  ExpectGradientsFlow(model, {Tensor::FromVector<int32_t>(ids, Shape({64, 5}))},
                      Tensor::FromVector<int32_t>(labels, Shape({64})), "reference");
}

TEST_F(TrainingTest, GradientsReachBothBranchesOfAFunctionalModel) {
  KerasTensor a = Input({4}), b = Input({4});
  KerasTensor ha = layers::Dense(8, {.activation = "relu"})(a);
  KerasTensor hb = layers::Dense(8, {.activation = "relu"})(b);
  KerasTensor merged = layers::Concatenate()({layers::Add()({ha, hb}), ha});
  KerasTensor out = layers::Dense(2, {.activation = "softmax"})(merged);
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Create({a, b}, {out});
  ASSERT_TRUE(model.ok()) << model.status();
  Tensor xa = RandomNormal(Shape({64, 4}), 5), xb = RandomNormal(Shape({64, 4}), 6);
  ExpectGradientsFlow(**model, {xa, xb}, LinearLabels(xa, 2, 7));
}

TEST_F(TrainingTest, FitAndEvaluateReachAccuracyOnSyntheticData) {
  Tensor x = RandomNormal(Shape({512, 8}), 11);
  Tensor y = LinearLabels(x, 3, 12);
  Tensor x_test = RandomNormal(Shape({256, 8}), 13);
  Tensor y_test = LinearLabels(x_test, 3, 12);
  Sequential model({layers::InputLayer({8}), layers::Dense(32, {.activation = "relu"}),
                    layers::Dense(3, {.activation = "softmax"})});
  ASSERT_TRUE(model.Compile(optimizers::Adam(0.01f), "sparse_categorical_crossentropy", {"accuracy"}).ok());
  FitOptions options = Quiet(15, 32);
  options.validation_split = 0.25;
  absl::StatusOr<History> h = model.Fit(x, y, options);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->epoch.size(), 15u);
  ASSERT_EQ(h->history["val_accuracy"].size(), 15u);
  EXPECT_GT(h->history["accuracy"].back(), h->history["accuracy"].front());
  absl::StatusOr<Logs> logs = model.Evaluate(x_test, y_test, {.batch_size = 100});
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_GE((*logs)["accuracy"], 0.9) << "loss " << (*logs)["loss"];
  // predict agrees with evaluate's accuracy.
  absl::StatusOr<Tensor> probs = model.Predict(x_test, 64);
  ASSERT_TRUE(probs.ok());
  ASSERT_EQ(probs->shape(), Shape({256, 3}));
  int correct = 0;
  for (int64_t i = 0; i < 256; ++i) {
    auto p = probs->flat<float>().subspan(i * 3, 3);
    int best = static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
    correct += best == y_test.flat<int32_t>()[i];
  }
  EXPECT_NEAR(correct / 256.0, (*logs)["accuracy"], 1e-6);
}

TEST_F(TrainingTest, OptimizersByNameAndObjectAllTrain) {
  Tensor x = RandomNormal(Shape({64, 4}), 21);
  Tensor y = LinearLabels(x, 2, 22);
  for (const Optimizer& opt : {Optimizer("sgd"), Optimizer("RMSprop"), Optimizer("adagrad"), Optimizer("adam"),
                               optimizers::SGD(0.1f, 0.9f, true), optimizers::RMSprop(0.01f)}) {
    ClearSession();
    Sequential model({layers::InputLayer({4}), layers::Dense(2, {.activation = "softmax"})});
    SessionOptions reference;
    reference.backend = "reference";  // six optimizers: skip six MLIR compiles
    model.SetSessionOptions(reference);
    ASSERT_TRUE(model.Compile(opt, "sparse_categorical_crossentropy").ok()) << opt.name();
    absl::StatusOr<History> h = model.Fit(x, y, Quiet(5, 16));
    ASSERT_TRUE(h.ok()) << opt.name() << ": " << h.status();
    EXPECT_LT(h->history["loss"].back(), h->history["loss"].front()) << opt.name();
  }
}

// Keras's RMSprop: rms starts at 0 and epsilon is added outside the square root. One step on
// pred = x.w + b with w = b = 0, x = [1e-4, 2], y = 1 and mse: g = 2 (pred - y) x = [-2e-4, -4]
// for w and -2 for b; rms = 0.1 g^2; step = lr g / (sqrt(rms) + 1e-7). For w[0]: rms = 4e-9 and
// the step is -2e-6 / (6.32456e-5 + 1e-7) = -0.0315727 (TF 1.x's sqrt(rms + eps) would give
// -0.0196116, and its rms starting at one -0.0000200).
TEST_F(TrainingTest, RmspropFirstStepIsKerassFormula) {
  Sequential model({layers::InputLayer({2}), layers::Dense(1, {.kernel_initializer = "zeros"})});
  ASSERT_TRUE(model.Compile(optimizers::RMSprop(0.01f), "mse").ok());
  Tensor x = Tensor::FromVector<float>({1e-4f, 2.0f}, Shape({1, 2}));
  Tensor y = Tensor::FromVector<float>({1.0f}, Shape({1, 1}));
  FitOptions once = Quiet(1, 1);
  once.shuffle = false;
  ASSERT_TRUE(model.Fit(x, y, once).ok());
  absl::StatusOr<std::vector<Tensor>> w = model.GetWeights();
  ASSERT_TRUE(w.ok()) << w.status();
  const float full = 0.01f * 4.0f / (std::sqrt(1.6f) + 1e-7f);  // |g| large: about lr / sqrt(0.1)
  EXPECT_NEAR((*w)[0].flat<float>()[0], 0.0315727f, 2e-6f);
  EXPECT_NEAR((*w)[0].flat<float>()[1], full, 1e-6f);
  EXPECT_NEAR((*w)[1].flat<float>()[0], 0.01f * 2.0f / (std::sqrt(0.4f) + 1e-7f), 1e-6f);
}

TEST_F(TrainingTest, WrongInputShapeNamesTheInput) {
  Sequential model({layers::InputLayer({8}, DT_FLOAT, "features"), layers::Dense(2, {.activation = "softmax"})});
  ASSERT_TRUE(model.Compile("adam", "sparse_categorical_crossentropy").ok());
  absl::StatusOr<History> h = model.Fit(RandomNormal(Shape({10, 9}), 1), Tensor(DT_INT32, Shape({10})), Quiet(1, 4));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(h.status().message().find("input 'features' expects shape (None, 8) but got (10, 9)"), std::string::npos)
      << h.status();
  // Targets with the wrong number of examples.
  h = model.Fit(RandomNormal(Shape({10, 8}), 1), Tensor(DT_INT32, Shape({7})), Quiet(1, 4));
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("needs 10 examples"), std::string::npos) << h.status();
  // A class id outside [0, 2).
  h = model.Fit(RandomNormal(Shape({3, 8}), 1), Tensor::FromVector<int32_t>({0, 2, 1}, Shape({3})), Quiet(1, 4));
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("class id 2 at position 1, outside [0, 2)"), std::string::npos) << h.status();
  absl::StatusOr<Tensor> p = model.Predict(RandomNormal(Shape({3, 8, 1}), 1));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("'features'"), std::string::npos) << p.status();
}

TEST_F(TrainingTest, UnknownNamesInCompileAreErrorsNamingThem) {
  Sequential model({layers::InputLayer({4}), layers::Dense(2)});
  absl::Status s = model.Compile("adamw_typo", "mse");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("unknown optimizer 'adamw_typo'"), std::string::npos) << s;
  s = model.Compile("adam", "crossentropy_typo");
  EXPECT_NE(s.message().find("unknown loss 'crossentropy_typo'"), std::string::npos) << s;
  s = model.Compile("adam", "mse", {"precision_typo"});
  EXPECT_NE(s.message().find("unknown metric 'precision_typo'"), std::string::npos) << s;
  // Nothing was added: the model still compiles and fits.
  ASSERT_TRUE(model.Compile("adam", "mse").ok());
  EXPECT_TRUE(model.Fit(RandomNormal(Shape({8, 4}), 1), RandomNormal(Shape({8, 2}), 2), Quiet(1, 4)).ok());
}

TEST_F(TrainingTest, FitBeforeCompileIsAnError) {
  Sequential model({layers::InputLayer({4}), layers::Dense(2)});
  absl::StatusOr<History> h = model.Fit(RandomNormal(Shape({8, 4}), 1), RandomNormal(Shape({8, 2}), 2), Quiet(1, 4));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(h.status().message().find("compile"), std::string::npos);
}

}  // namespace
}  // namespace strata::keras
