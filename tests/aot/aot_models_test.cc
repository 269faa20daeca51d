// AOT artifacts built by strata_aot_library (tests/aot/CMakeLists.txt) against Session::Run on
// the same graph files and inputs: an MLP (embedded weights, external weights, x86-64-v3), a
// CNN (with a thread pool, and many instances on many threads), and a graph of several feeds
// and fetches of float32, int32 and bool.
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "aot_test_cnn.h"
#include "aot_test_mlp.h"
#include "aot_test_mlp_external.h"
#include "aot_test_mlp_v3.h"
#include "aot_test_multi.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/aot/weights_file.h"
#include "tests/aot/aot_test_util.h"

namespace strata::aot_test {
namespace {

using ::testing::HasSubstr;

const std::string kGraphs = AOT_GRAPHS_DIR;

// The header's constants describe the compiled signature.
static_assert(::aot_test::Mlp::kNumArgs == 1 && ::aot_test::Mlp::kNumResults == 1);
static_assert(::aot_test::Mlp::kArg_x_shape[0] == 3 && ::aot_test::Mlp::kArg_x_shape[1] == 100);
static_assert(::aot_test::Mlp::kArg_x_bytes == 3 * 100 * 4);
static_assert(::aot_test::Mlp::kResult_probs_size == 30);
static_assert(::aot_test::cnn::Cnn::kResult_features_rank == 4 && ::aot_test::cnn::Cnn::kResult_features_shape[3] == 8);
static_assert(::aot_test::Multi::kNumArgs == 5 && ::aot_test::Multi::kNumResults == 10);
static_assert(::aot_test::Multi::kResult_count_rank == 0);
static_assert(!::aot_test::Mlp::kExternalWeights && ::aot_test::MlpExternal::kExternalWeights);
// Kernels over 4 KiB are weights: 100x64 and 64x33 floats, each 64-byte aligned.
static_assert(::aot_test::Mlp::kWeightsBytes == 100 * 64 * 4 + 8448);

template <typename Model>
void SetArg(Model& model, int index, const Tensor& value) {
  std::memcpy(model.arg_data(index), value.raw_data(), value.byte_size());
}

std::vector<Tensor> MlpSession(const Tensor& x) {
  absl::StatusOr<std::vector<Tensor>> out = RunSession(kGraphs + "/mlp.pb", {{"x", x}}, {"probs"});
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : std::vector<Tensor>{};
}

TEST(AotMlpTest, MatchesSessionRun) {
  const Tensor x = MakeInput(DT_FLOAT, Shape{3, 100}, 1);
  ::aot_test::Mlp model;
  std::memcpy(model.arg_x_data(), x.raw_data(), ::aot_test::Mlp::kArg_x_bytes);
  ASSERT_TRUE(model.Run()) << model.error_msg();
  const std::vector<Tensor> expected = MlpSession(x);
  ASSERT_EQ(expected.size(), 1u);
  EXPECT_EQ(Compare(model.result_probs_data(), expected[0]), "");
  for (int row = 0; row < 3; ++row) {  // softmax rows sum to 1
    float sum = 0;
    for (int j = 0; j < 10; ++j) sum += model.result_probs(row, j);
    EXPECT_NEAR(sum, 1.0f, 1e-5f);
  }
  EXPECT_EQ(model.instance().heap_fallback_bytes(), 0);
  EXPECT_GE(model.instance().arena_bytes(), static_cast<uint64_t>(::aot_test::Mlp::kArenaBytes));
}

TEST(AotMlpTest, RunsAgainWithNewInputs) {
  ::aot_test::Mlp model;
  for (uint64_t seed = 10; seed < 13; ++seed) {
    const Tensor x = MakeInput(DT_FLOAT, Shape{3, 100}, seed);
    SetArg(model, 0, x);
    ASSERT_TRUE(model.Run()) << model.error_msg();
    EXPECT_EQ(Compare(model.result_data(0), MlpSession(x)[0]), "") << "seed " << seed;
  }
}

TEST(AotMlpTest, SetArgDataReadsTheCallersBuffer) {
  const Tensor x = MakeInput(DT_FLOAT, Shape{3, 100}, 2);
  ::aot_test::Mlp model;
  model.set_arg_x_data(x.raw_data());
  EXPECT_EQ(static_cast<const void*>(model.arg_x_data()), x.raw_data());
  ASSERT_TRUE(model.Run()) << model.error_msg();
  EXPECT_EQ(Compare(model.result_probs_data(), MlpSession(x)[0]), "");
}

TEST(AotMlpTest, X86_64V3BuildAgreesWithSession) {
  const Tensor x = MakeInput(DT_FLOAT, Shape{3, 100}, 3);
  ::aot_test::MlpV3 model;
  SetArg(model, 0, x);
  ASSERT_TRUE(model.Run()) << model.error_msg();
  EXPECT_EQ(Compare(model.result_probs_data(), MlpSession(x)[0], 1e-5, 1e-6), "");
}

TEST(AotMlpTest, ExternalWeightsMatchEmbedded) {
  const Tensor x = MakeInput(DT_FLOAT, Shape{3, 100}, 4);
  ::aot_test::MlpExternal model;
  SetArg(model, 0, x);
  EXPECT_FALSE(model.Run());
  EXPECT_THAT(model.error_msg(), HasSubstr("LoadWeights"));
  ASSERT_TRUE(model.LoadWeights(AOT_MLP_WEIGHTS)) << model.error_msg();
  ASSERT_TRUE(model.Run()) << model.error_msg();
  EXPECT_EQ(Compare(model.result_probs_data(), MlpSession(x)[0]), "");
  EXPECT_EQ(::aot_test::MlpExternal::kWeightsBytes, ::aot_test::Mlp::kWeightsBytes);

  // Instances share one mapped file.
  std::string error;
  auto shared = ::aot_test::MlpExternal::OpenWeights(AOT_MLP_WEIGHTS, &error);
  ASSERT_NE(shared, nullptr) << error;
  ::aot_test::MlpExternal other;
  ASSERT_TRUE(other.set_weights(shared));
  SetArg(other, 0, x);
  ASSERT_TRUE(other.Run()) << other.error_msg();
  EXPECT_EQ(std::memcmp(other.result_probs_data(), model.result_probs_data(), ::aot_test::MlpExternal::kResult_probs_bytes), 0);
}

class AotWeightsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("aot_weights_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    good_ = ReadFile(AOT_MLP_WEIGHTS);
    ASSERT_GT(good_.size(), 4096u);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& contents) {
    const std::string path = (dir_ / name).string();
    WriteFile(path, contents);
    return path;
  }
  // LoadWeights must fail, not crash, with a message naming the file and containing `what`.
  void ExpectRejected(const std::string& path, const std::string& what) {
    ::aot_test::MlpExternal model;
    EXPECT_FALSE(model.LoadWeights(path));
    EXPECT_THAT(model.error_msg(), HasSubstr(what));
    EXPECT_THAT(model.error_msg(), HasSubstr(path));
    EXPECT_FALSE(model.Run());
  }
  std::filesystem::path dir_;
  std::string good_;
};

TEST_F(AotWeightsFileTest, MissingFile) { ExpectRejected((dir_ / "nope.weights").string(), "cannot open"); }

TEST_F(AotWeightsFileTest, TruncatedFile) {
  ExpectRejected(Write("truncated.weights", good_.substr(0, good_.size() - 100)), "truncated");
  ExpectRejected(Write("header_only.weights", good_.substr(0, 20)), "truncated");
}

TEST_F(AotWeightsFileTest, CorruptData) {
  std::string bad = good_;
  bad[bad.size() / 2] ^= 0x40;
  ExpectRejected(Write("corrupt.weights", bad), "corrupt");
}

TEST_F(AotWeightsFileTest, OtherModelsWeights) {
  const std::string other(8192, '\x11');
  ExpectRejected(Write("other.weights", strata::aot::MakeWeightsFile(other.data(), other.size())), "different model");
}

TEST_F(AotWeightsFileTest, NotAWeightsFile) {
  ExpectRejected(Write("text.weights", std::string(5000, 'x')), "not a strata weights file");
}

// A pool that counts the helper tasks it is given.
class CountingPool : public strata::aot::ThreadPoolInterface {
 public:
  explicit CountingPool(int threads) : pool_(threads) {}
  int NumWorkers() const override { return pool_.NumWorkers(); }
  void Schedule(void (*fn)(void*), void* arg) override {
    scheduled_.fetch_add(1);
    pool_.Schedule(fn, arg);
  }
  int scheduled() const { return scheduled_.load(); }

 private:
  strata::aot::ThreadPool pool_;
  std::atomic<int> scheduled_{0};
};

std::vector<Tensor> CnnSession(const Tensor& x) {
  absl::StatusOr<std::vector<Tensor>> out = RunSession(kGraphs + "/cnn.pb", {{"x", x}}, {"probs", "features"});
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : std::vector<Tensor>{};
}

TEST(AotCnnTest, MatchesSessionRunSerialAndOnAThreadPool) {
  const Tensor x = MakeInput(DT_FLOAT, Shape{32, 24, 24, 1}, 5);
  const std::vector<Tensor> expected = CnnSession(x);
  ASSERT_EQ(expected.size(), 2u);

  ::aot_test::cnn::Cnn serial;
  SetArg(serial, 0, x);
  ASSERT_TRUE(serial.Run()) << serial.error_msg();
  EXPECT_EQ(Compare(serial.result_probs_data(), expected[0]), "");
  EXPECT_EQ(Compare(serial.result_features_data(), expected[1]), "");

  CountingPool pool(4);
  ::aot_test::cnn::Cnn parallel(&pool);
  EXPECT_GE(parallel.instance().arena_bytes(), static_cast<uint64_t>(::aot_test::cnn::Cnn::ArenaBytesFor(3)));
  SetArg(parallel, 0, x);
  for (int run = 0; run < 3; ++run) {
    ASSERT_TRUE(parallel.Run()) << parallel.error_msg();
    EXPECT_EQ(Compare(parallel.result_probs_data(), expected[0]), "");
    EXPECT_EQ(Compare(parallel.result_features_data(), expected[1]), "");
    EXPECT_EQ(parallel.instance().heap_fallback_bytes(), 0);  // chunk regions held every chunk
  }
  EXPECT_GT(pool.scheduled(), 0) << "no parallel loop was split";
}

TEST(AotCnnTest, InstancesRunConcurrently) {
  constexpr int kThreads = 4;
  std::vector<Tensor> inputs, expected;
  for (int t = 0; t < kThreads; ++t) {
    inputs.push_back(MakeInput(DT_FLOAT, Shape{32, 24, 24, 1}, 100 + t));
    expected.push_back(CnnSession(inputs.back())[0]);
  }
  strata::aot::ThreadPool shared_pool(2);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ::aot_test::cnn::Cnn model(t % 2 == 0 ? &shared_pool : nullptr);
      SetArg(model, 0, inputs[t]);
      for (int run = 0; run < 10; ++run) {
        if (!model.Run() || !Compare(model.result_probs_data(), expected[t]).empty() ||
            model.instance().heap_fallback_bytes() != 0) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

class AotMultiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = MakeInput(DT_FLOAT, Shape{2, 3}, 7);
    b_ = MakeInput(DT_FLOAT, Shape{3}, 8);
    idx_ = Tensor::FromVector<int32_t>({0, 4, 2, 1}, Shape{4});
    mask_ = Tensor::FromVector<bool>({true, false, true, true, true, false}, Shape{2, 3});
    unused_ = MakeInput(DT_FLOAT, Shape{2}, 9);
  }
  void Feed(::aot_test::Multi& m) {
    std::memcpy(m.arg_a_data(), a_.raw_data(), a_.byte_size());
    std::memcpy(m.arg_b_data(), b_.raw_data(), b_.byte_size());
    std::memcpy(m.arg_indices_data(), idx_.raw_data(), idx_.byte_size());
    std::memcpy(m.arg_mask_data(), mask_.raw_data(), mask_.byte_size());
    std::memcpy(m.arg_unused_data(), unused_.raw_data(), unused_.byte_size());
  }
  Tensor a_, b_, idx_, mask_, unused_;
};

TEST_F(AotMultiTest, EveryFetchMatchesSessionRun) {
  ::aot_test::Multi model;
  Feed(model);
  ASSERT_TRUE(model.Run()) << model.error_msg();
  const std::vector<std::string> fetches = {"sum", "masked", "gathered", "count", "both", "shifted", "rows:1", "c", "a", "sum"};
  absl::StatusOr<std::vector<Tensor>> expected =
      RunSession(kGraphs + "/multi.pb", {{"a", a_}, {"b", b_}, {"idx", idx_}, {"mask", mask_}}, fetches);
  ASSERT_TRUE(expected.ok()) << expected.status();
  ASSERT_EQ(expected->size(), fetches.size());
  for (size_t j = 0; j < fetches.size(); ++j) {
    ASSERT_EQ(static_cast<int64_t>((*expected)[j].byte_size()), ::aot_test::Multi::Spec().result_bytes[j]) << fetches[j];
    EXPECT_EQ(Compare(model.result_data(static_cast<int>(j)), (*expected)[j]), "") << fetches[j];
  }
  // Values known without running anything.
  EXPECT_EQ(model.result_count(), 4);
  EXPECT_EQ(model.result_constant(0), 1);
  EXPECT_EQ(model.result_constant(2), 3);
  EXPECT_EQ(model.result_shifted(1), 11);
  EXPECT_EQ(model.result_gathered(1, 0), 8.5f);
  EXPECT_EQ(model.result_rows_1(2), a_.flat<float>()[5]);
  EXPECT_EQ(std::memcmp(model.result_a_again_data(), a_.raw_data(), a_.byte_size()), 0);
  EXPECT_EQ(std::memcmp(model.result_sum_again_data(), model.result_sum_data(), ::aot_test::Multi::kResult_sum_bytes), 0);
  EXPECT_EQ(model.result_masked(0, 1), 0.0f);
  EXPECT_EQ(model.result_both(0, 1), false);
}

TEST_F(AotMultiTest, GatherIndexOutOfRangeIsAnErrorNamingTheNode) {
  ::aot_test::Multi model;
  Feed(model);
  model.arg_indices(2) = 5;  // table has 5 rows
  EXPECT_FALSE(model.Run());
  EXPECT_THAT(model.error_msg(), HasSubstr("gathered"));
  EXPECT_THAT(model.error_msg(), HasSubstr("out of range"));
  EXPECT_THAT(model.error_msg(), HasSubstr("position 2"));
  model.arg_indices(2) = 2;
  EXPECT_TRUE(model.Run()) << model.error_msg();
  EXPECT_STREQ(model.error_msg(), "");
}

}  // namespace
}  // namespace strata::aot_test
