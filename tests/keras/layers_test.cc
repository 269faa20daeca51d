// Keras layers: output shapes and parameter counts (Keras's formulas), summary(), and the
// errors of bad layer arguments. No Session needed: shapes come from layer calls.
#include <gtest/gtest.h>

#include "frontends/keras/keras.h"

namespace strata::keras {
namespace {

class LayersTest : public ::testing::Test {
 protected:
  void SetUp() override { ClearSession(); }
};

// Applies `layer` to an input of `shape` and returns the output shape; checks the call worked.
template <typename L>
Shape OutShape(const LayerHandle<L>& layer, const std::vector<int64_t>& shape, DType dtype = DT_FLOAT) {
  KerasTensor y = layer(Input(shape, dtype));
  EXPECT_TRUE(y.ok()) << y.status();
  return y.shape();
}

TEST_F(LayersTest, DenseShapeAndParams) {
  auto dense = layers::Dense(64, {.activation = "relu"});
  EXPECT_EQ(OutShape(dense, {784}), Shape({-1, 64}));
  EXPECT_EQ(dense->CountParams(), 784 * 64 + 64);
  EXPECT_EQ(dense->name(), "dense");
  ASSERT_EQ(dense->weights().size(), 2u);
  EXPECT_EQ(dense->weights()[0].name, "kernel");
  EXPECT_EQ(dense->weights()[0].shape, Shape({784, 64}));
  EXPECT_EQ(dense->weights()[1].name, "bias");
  // Rank-3 inputs: applied on the last axis.
  auto per_step = layers::Dense(5, {.use_bias = false});
  EXPECT_EQ(OutShape(per_step, {7, 3}), Shape({-1, 7, 5}));
  EXPECT_EQ(per_step->CountParams(), 15);
  EXPECT_EQ(per_step->name(), "dense_1");
}

TEST_F(LayersTest, ConvolutionShapesAndParams) {
  auto conv = layers::Conv2D(32, {3, 3}, {.activation = "relu"});
  EXPECT_EQ(OutShape(conv, {28, 28, 1}), Shape({-1, 26, 26, 32}));
  EXPECT_EQ(conv->CountParams(), 3 * 3 * 1 * 32 + 32);
  auto strided = layers::Conv2D(8, {3, 3}, {.strides = {2, 2}, .padding = "same"});
  EXPECT_EQ(OutShape(strided, {28, 28, 3}), Shape({-1, 14, 14, 8}));
  EXPECT_EQ(strided->CountParams(), 3 * 3 * 3 * 8 + 8);

  auto depthwise = layers::DepthwiseConv2D({3, 3}, {.depth_multiplier = 2});
  EXPECT_EQ(OutShape(depthwise, {8, 8, 3}), Shape({-1, 6, 6, 6}));
  EXPECT_EQ(depthwise->CountParams(), 3 * 3 * 3 * 2 + 6);
  EXPECT_EQ(depthwise->name(), "depthwise_conv2d");
  EXPECT_EQ(depthwise->weights()[0].name, "depthwise_kernel");

  auto transposed = layers::Conv2DTranspose(16, {3, 3}, {.strides = {2, 2}});
  EXPECT_EQ(OutShape(transposed, {7, 7, 8}), Shape({-1, 15, 15, 16}));  // (7 - 1) * 2 + 3
  EXPECT_EQ(transposed->CountParams(), 3 * 3 * 16 * 8 + 16);
  EXPECT_EQ(transposed->weights()[0].shape, Shape({3, 3, 16, 8}));
  auto transposed_same = layers::Conv2DTranspose(4, {3, 3}, {.strides = {2, 2}, .padding = "same"});
  EXPECT_EQ(OutShape(transposed_same, {7, 7, 8}), Shape({-1, 14, 14, 4}));
  EXPECT_EQ(transposed->name(), "conv2d_transpose");
}

TEST_F(LayersTest, PoolingFlattenReshape) {
  EXPECT_EQ(OutShape(layers::MaxPooling2D({2, 2}), {26, 26, 32}), Shape({-1, 13, 13, 32}));
  EXPECT_EQ(OutShape(layers::AveragePooling2D({3, 3}, {1, 1}, "same"), {10, 10, 4}), Shape({-1, 10, 10, 4}));
  EXPECT_EQ(OutShape(layers::GlobalAveragePooling2D(), {7, 7, 8}), Shape({-1, 8}));
  EXPECT_EQ(OutShape(layers::GlobalMaxPooling2D(), {7, 7, 8}), Shape({-1, 8}));
  EXPECT_EQ(OutShape(layers::Flatten(), {5, 5, 64}), Shape({-1, 1600}));
  EXPECT_EQ(OutShape(layers::Reshape({7, 7, -1}), {98}), Shape({-1, 7, 7, 2}));
  EXPECT_EQ(OutShape(layers::Dropout(0.5f), {10}), Shape({-1, 10}));
  EXPECT_EQ(OutShape(layers::Activation("softmax"), {10}), Shape({-1, 10}));
}

TEST_F(LayersTest, BatchNormalizationParams) {
  auto bn = layers::BatchNormalization();
  EXPECT_EQ(OutShape(bn, {6, 6, 10}), Shape({-1, 6, 6, 10}));
  EXPECT_EQ(bn->CountParams(), 40);           // 4 * c
  EXPECT_EQ(bn->CountTrainableParams(), 20);  // gamma, beta
  EXPECT_EQ(bn->name(), "batch_normalization");
}

TEST_F(LayersTest, EmbeddingAndRecurrent) {
  auto embedding = layers::Embedding(1000, 64);
  EXPECT_EQ(OutShape(embedding, {10}, DT_INT32), Shape({-1, 10, 64}));
  EXPECT_EQ(embedding->CountParams(), 64000);

  auto rnn = layers::SimpleRNN(16);
  EXPECT_EQ(OutShape(rnn, {5, 8}), Shape({-1, 16}));
  EXPECT_EQ(rnn->CountParams(), 16 * (16 + 8) + 16);
  EXPECT_EQ(rnn->name(), "simple_rnn");
  EXPECT_EQ(OutShape(layers::SimpleRNN(4, {.return_sequences = true}), {5, 8}), Shape({-1, 5, 4}));

  auto lstm = layers::LSTM(32);
  EXPECT_EQ(OutShape(lstm, {10, 8}), Shape({-1, 32}));
  EXPECT_EQ(lstm->CountParams(), 4 * (32 * (32 + 8) + 32));
  EXPECT_EQ(lstm->name(), "lstm");
}

TEST_F(LayersTest, MergeLayers) {
  KerasTensor a = Input({4}), b = Input({4}), c = Input({6});
  EXPECT_EQ(a.name(), "input_1");
  KerasTensor sum = layers::Add()({a, b});
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(sum.shape(), Shape({-1, 4}));
  KerasTensor cat = layers::Concatenate()({a, c});
  ASSERT_TRUE(cat.ok()) << cat.status();
  EXPECT_EQ(cat.shape(), Shape({-1, 10}));
  KerasTensor bad = layers::Add()({a, c});
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().ToString().find("add_1"), std::string::npos) << bad.status();
}

TEST_F(LayersTest, SequentialSummaryMatchesKeras) {
  Sequential model({layers::InputLayer({28, 28, 1}), layers::Conv2D(32, {3, 3}, {.activation = "relu"}),
                    layers::MaxPooling2D({2, 2}), layers::Conv2D(64, {3, 3}, {.activation = "relu"}),
                    layers::MaxPooling2D({2, 2}), layers::Conv2D(64, {3, 3}, {.activation = "relu"}), layers::Flatten(),
                    layers::Dense(64, {.activation = "relu"}), layers::Dense(10, {.activation = "softmax"})});
  absl::StatusOr<std::string> summary = model.Summary();
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_NE(summary->find("Model: \"sequential\""), std::string::npos) << *summary;
  EXPECT_NE(summary->find(" conv2d (Conv2D)             (None, 26, 26, 32)        320"), std::string::npos) << *summary;
  EXPECT_NE(summary->find(" conv2d_2 (Conv2D)           (None, 3, 3, 64)          36928"), std::string::npos) << *summary;
  EXPECT_NE(summary->find(" flatten (Flatten)           (None, 576)               0"), std::string::npos) << *summary;
  EXPECT_NE(summary->find(" dense_1 (Dense)             (None, 10)                650"), std::string::npos) << *summary;
  EXPECT_NE(summary->find("Total params: 93,322\nTrainable params: 93,322\nNon-trainable params: 0"), std::string::npos)
      << *summary;
  EXPECT_EQ(summary->find("InputLayer"), std::string::npos);
  absl::StatusOr<int64_t> params = model.CountParams();
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(*params, 93322);
}

TEST_F(LayersTest, FunctionalSummaryListsInputsAndConnections) {
  KerasTensor x = Input({8});
  KerasTensor h = layers::Dense(4, {.name = "hidden"})(x);
  KerasTensor skip = layers::Dense(4, {.name = "skip"})(x);
  KerasTensor y = layers::Add()({h, skip});
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Create(x, y);
  ASSERT_TRUE(model.ok()) << model.status();
  absl::StatusOr<std::vector<SummaryRow>> rows = (*model)->SummaryRows();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[0].class_name, "InputLayer");
  EXPECT_EQ((*rows)[0].output_shape, "[(None, 8)]");
  EXPECT_EQ((*rows)[3].name, "add");
  EXPECT_EQ((*rows)[3].connected_to, "hidden[0][0], skip[0][0]");
  EXPECT_EQ((*rows)[1].params, 36);
}

TEST_F(LayersTest, SharedLayerIsOneSetOfWeights) {
  KerasTensor a = Input({3}), b = Input({3});
  auto shared = layers::Dense(2);
  KerasTensor y = layers::Concatenate()({shared(a), shared(b)});
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Create({a, b}, {y});
  ASSERT_TRUE(model.ok()) << model.status();
  absl::StatusOr<ModelSignature> sig = (*model)->Signature();
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->weight_names, (std::vector<std::string>{"dense/kernel", "dense/bias"}));
  EXPECT_EQ(sig->input_names, (std::vector<std::string>{"input_1", "input_2"}));
  absl::StatusOr<std::vector<SummaryRow>> rows = (*model)->SummaryRows();
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[2].output_shape, "multiple");
}

TEST_F(LayersTest, UnknownActivationNamesIt) {
  KerasTensor y = layers::Dense(10, {.activation = "relux"})(Input({4}));
  ASSERT_FALSE(y.ok());
  EXPECT_EQ(y.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(y.status().message().find("unknown activation 'relux'"), std::string::npos) << y.status();
  EXPECT_NE(y.status().message().find("dense"), std::string::npos) << y.status();
  // The error travels through later calls and into Model::Create.
  KerasTensor z = layers::Dense(2)(y);
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Create(Input({4}), z);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("relux"), std::string::npos);
}

TEST_F(LayersTest, UnknownInitializerNamesIt) {
  KerasTensor y = layers::Dense(10, {.kernel_initializer = "glorot_unifrom"})(Input({4}));
  ASSERT_FALSE(y.ok());
  EXPECT_NE(y.status().message().find("unknown initializer 'glorot_unifrom'"), std::string::npos) << y.status();
}

TEST_F(LayersTest, WrongInputRankNamesTheLayer) {
  KerasTensor y = layers::Conv2D(8, {3, 3})(Input({784}));
  ASSERT_FALSE(y.ok());
  EXPECT_NE(y.status().message().find("conv2d"), std::string::npos) << y.status();
  EXPECT_NE(y.status().message().find("NHWC"), std::string::npos) << y.status();
  KerasTensor r = layers::Reshape({5, 5})(Input({24}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot reshape 24"), std::string::npos) << r.status();
}

TEST_F(LayersTest, DisconnectedInputIsAnError) {
  KerasTensor a = Input({3}), b = Input({3});
  KerasTensor y = layers::Add()({a, b});
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Create(a, y);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("input_2"), std::string::npos) << model.status();
}

TEST_F(LayersTest, SequentialWithoutInputShapeSaysHow) {
  Sequential model({layers::Dense(3)});
  absl::StatusOr<std::string> summary = model.Summary();
  ASSERT_FALSE(summary.ok());
  EXPECT_NE(summary.status().message().find("InputLayer"), std::string::npos);
  ASSERT_TRUE(model.Build({5}).ok());
  absl::StatusOr<ModelSignature> sig = model.Signature();
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->input_names[0], "dense_input");
}

// A custom layer: y = x * scale + offset with one trainable weight per feature.
class ScaleShift : public Layer {
 public:
  ScaleShift() : Layer("ScaleShift", "") {}

 protected:
  absl::Status Build(const std::vector<Shape>& input_shapes) override {
    scale_ = AddWeight("scale", Shape({input_shapes[0].dim(-1)}), "ones");
    offset_ = AddWeight("offset", Shape({input_shapes[0].dim(-1)}), Initializer::Constant(0.5f));
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<Output>> Call(CallContext& ctx, const std::vector<Output>& inputs) override {
    const Scope& s = ctx.scope();
    return std::vector<Output>{ops::Add(s, ops::Mul(s, inputs[0], ctx.weight(scale_)), ctx.weight(offset_))};
  }

 private:
  int scale_ = -1, offset_ = -1;
};

TEST_F(LayersTest, CustomLayerSubclass) {
  auto custom = MakeLayer<ScaleShift>();
  EXPECT_EQ(custom->name(), "scale_shift");
  EXPECT_EQ(OutShape(custom, {6}), Shape({-1, 6}));
  EXPECT_EQ(custom->CountParams(), 12);
}

TEST_F(LayersTest, SnakeCaseNames) {
  EXPECT_EQ(internal::SnakeCase("Conv2D"), "conv2d");
  EXPECT_EQ(internal::SnakeCase("BatchNormalization"), "batch_normalization");
  EXPECT_EQ(internal::SnakeCase("SimpleRNN"), "simple_rnn");
  EXPECT_EQ(internal::SnakeCase("Conv2DTranspose"), "conv2d_transpose");
  EXPECT_EQ(internal::SnakeCase("GlobalAveragePooling2D"), "global_average_pooling2d");
}

}  // namespace
}  // namespace strata::keras
