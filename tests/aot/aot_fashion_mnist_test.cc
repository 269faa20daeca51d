// The trained Fashion-MNIST models of examples/fashion_mnist (softmax regression, MLP, CNN),
// trained briefly at build time, frozen, and compiled ahead of time at batch 100
// (tests/aot/CMakeLists.txt): the artifacts against Session::Run on the same frozen graphs and
// the same test images, and the softmax model's accuracy (it really is trained).
#include <cstring>
#include <string>
#include <vector>

#include "aot_fashion_cnn.h"
#include "aot_fashion_mlp.h"
#include "aot_fashion_softmax.h"
#include "frontends/datasets/datasets.h"
#include "gtest/gtest.h"
#include "tests/aot/aot_test_util.h"

namespace strata::aot_test {
namespace {

const std::string kGraphs = AOT_GRAPHS_DIR;
constexpr int64_t kBatch = 100;
constexpr int64_t kEvalImages = 1000;

static_assert(::aot_test::fashion::Softmax::kArg_images_shape[0] == kBatch);
static_assert(::aot_test::fashion::Cnn::kArg_images_rank == 4 && ::aot_test::fashion::Cnn::kArg_images_shape[3] == 1);
static_assert(::aot_test::fashion::Mlp::kResult_probs_size == kBatch * 10);

struct TestImages {
  Tensor flat;    // float32 [kEvalImages, 784] in [0, 1]
  Tensor labels;  // int32 [kEvalImages]
};

const TestImages& Images() {
  static const TestImages* images = [] {
    auto* t = new TestImages;
    absl::StatusOr<datasets::FashionMnist> data = datasets::LoadFashionMnist(FASHION_MNIST_DIR);
    EXPECT_TRUE(data.ok()) << data.status();
    if (!data.ok()) return t;
    absl::StatusOr<Tensor> first = datasets::SliceRows(data->test.images, 0, kEvalImages);
    absl::StatusOr<Tensor> labels = datasets::SliceRows(data->test.labels, 0, kEvalImages);
    EXPECT_TRUE(first.ok() && labels.ok());
    if (!first.ok() || !labels.ok()) return t;
    absl::StatusOr<Tensor> flat = datasets::ImagesToFloat(*first, {-1, 784});
    absl::StatusOr<Tensor> ints = datasets::LabelsToInt32(*labels);
    EXPECT_TRUE(flat.ok() && ints.ok());
    if (flat.ok()) t->flat = *flat;
    if (ints.ok()) t->labels = *ints;
    return t;
  }();
  return *images;
}

// Rows [begin, begin + kBatch) of the test images in the model's input shape.
Tensor Batch(int64_t begin, const Shape& shape) {
  absl::StatusOr<Tensor> rows = datasets::SliceRows(Images().flat, begin, begin + kBatch);
  EXPECT_TRUE(rows.ok()) << rows.status();
  absl::StatusOr<Tensor> shaped = rows->Reshaped(shape);
  EXPECT_TRUE(shaped.ok()) << shaped.status();
  return *shaped;
}

int ArgMax(const float* row) {
  int best = 0;
  for (int j = 1; j < 10; ++j) best = row[j] > row[best] ? j : best;
  return best;
}

struct Evaluation {
  int64_t correct = 0;
  int64_t same_prediction = 0;  // AOT's argmax equals the Session's
  std::string first_mismatch;   // probs beyond the tolerance, per batch
};

// Runs `Model` (a generated class) over kEvalImages test images, batch by batch, and
// Session::Run on the frozen graph over all of them at once: probs within a tight tolerance,
// predictions, accuracy.
template <typename Model>
Evaluation Evaluate(const std::string& graph, const Shape& batch_shape) {
  Evaluation e;
  std::vector<int64_t> all_dims = batch_shape.dims();
  all_dims[0] = kEvalImages;
  absl::StatusOr<Tensor> all = Images().flat.Reshaped(Shape(all_dims));
  EXPECT_TRUE(all.ok()) << all.status();
  if (!all.ok()) return e;
  absl::StatusOr<std::vector<Tensor>> session = RunSession(kGraphs + "/" + graph, {{"images", *all}}, {"probs"});
  EXPECT_TRUE(session.ok()) << session.status();
  if (!session.ok() || session->size() != 1) return e;
  Model model;
  for (int64_t begin = 0; begin < kEvalImages; begin += kBatch) {
    const Tensor x = Batch(begin, batch_shape);
    std::memcpy(model.arg_images_data(), x.raw_data(), Model::kArg_images_bytes);
    EXPECT_TRUE(model.Run()) << model.error_msg();
    EXPECT_EQ(model.instance().heap_fallback_bytes(), 0);
    absl::StatusOr<Tensor> expected = datasets::SliceRows((*session)[0], begin, begin + kBatch);
    EXPECT_TRUE(expected.ok()) << expected.status();
    if (!expected.ok()) return e;
    const std::string mismatch = Compare(model.result_probs_data(), *expected, 1e-4, 1e-6);
    if (!mismatch.empty() && e.first_mismatch.empty()) e.first_mismatch = "batch at " + std::to_string(begin) + ": " + mismatch;
    const float* aot = model.result_probs_data();
    const float* reference = expected->flat<float>().data();
    const int32_t* labels = Images().labels.flat<int32_t>().data() + begin;
    for (int64_t r = 0; r < kBatch; ++r) {
      const int predicted = ArgMax(aot + 10 * r);
      e.correct += predicted == labels[r];
      e.same_prediction += predicted == ArgMax(reference + 10 * r);
    }
  }
  return e;
}

TEST(AotFashionMnistTest, SoftmaxMatchesSessionAndIsTrained) {
  ASSERT_TRUE(Images().flat.valid());
  const Evaluation e = Evaluate<::aot_test::fashion::Softmax>("fashion_softmax.pb", Shape{kBatch, 784});
  EXPECT_EQ(e.first_mismatch, "");
  EXPECT_EQ(e.same_prediction, kEvalImages);
  const double accuracy = static_cast<double>(e.correct) / kEvalImages;
  std::printf("softmax regression (AOT): accuracy %.3f on %lld test images\n", accuracy, static_cast<long long>(kEvalImages));
  EXPECT_GT(accuracy, 0.6);
}

TEST(AotFashionMnistTest, MlpMatchesSession) {
  ASSERT_TRUE(Images().flat.valid());
  const Evaluation e = Evaluate<::aot_test::fashion::Mlp>("fashion_mlp.pb", Shape{kBatch, 784});
  EXPECT_EQ(e.first_mismatch, "");
  EXPECT_EQ(e.same_prediction, kEvalImages);
  const double accuracy = static_cast<double>(e.correct) / kEvalImages;
  std::printf("MLP (AOT): accuracy %.3f on %lld test images\n", accuracy, static_cast<long long>(kEvalImages));
  EXPECT_GT(accuracy, 0.4);  // chance is 0.1: trained, if briefly
}

TEST(AotFashionMnistTest, CnnMatchesSession) {
  ASSERT_TRUE(Images().flat.valid());
  const Evaluation e = Evaluate<::aot_test::fashion::Cnn>("fashion_cnn.pb", Shape{kBatch, 28, 28, 1});
  EXPECT_EQ(e.first_mismatch, "");
  EXPECT_EQ(e.same_prediction, kEvalImages);
  const double accuracy = static_cast<double>(e.correct) / kEvalImages;
  std::printf("CNN (AOT): accuracy %.3f on %lld test images\n", accuracy, static_cast<long long>(kEvalImages));
  EXPECT_GT(accuracy, 0.4);
}

// The first test image through every model: the probabilities are a distribution.
TEST(AotFashionMnistTest, ProbsAreDistributions) {
  ASSERT_TRUE(Images().flat.valid());
  ::aot_test::fashion::Softmax softmax;
  ::aot_test::fashion::Cnn cnn;
  const Tensor flat = Batch(0, Shape{kBatch, 784});
  std::memcpy(softmax.arg_images_data(), flat.raw_data(), flat.byte_size());
  std::memcpy(cnn.arg_images_data(), flat.raw_data(), flat.byte_size());  // same bytes, NHWC
  ASSERT_TRUE(softmax.Run()) << softmax.error_msg();
  ASSERT_TRUE(cnn.Run()) << cnn.error_msg();
  for (const float* probs : {softmax.result_probs_data(), cnn.result_probs_data()}) {
    float sum = 0;
    for (int j = 0; j < 10; ++j) {
      EXPECT_GE(probs[j], 0.0f);
      sum += probs[j];
    }
    EXPECT_NEAR(sum, 1.0f, 1e-5f);
  }
}

}  // namespace
}  // namespace strata::aot_test
