// Model persistence and callbacks: save/load round trip, weights-only checkpoints, the frozen
// inference GraphDef in a fresh Session, EarlyStopping, ModelCheckpoint and CSVLogger.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "frontends/keras/keras.h"
#include "tests/keras/keras_test_util.h"

namespace strata::keras {
namespace {

using testing::LinearLabels;
using testing::MaxAbsDiff;
using testing::RandomNormal;

class SavingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClearSession();
    SetRandomSeed(3);
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("keras_saving_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A small CNN with batch norm and dropout (both modes matter), trained for one epoch. It runs
  // on the reference backend: compiling its training graph with MLIR takes a minute on a loaded
  // 2-core machine (the frozen-graph test runs the exported graph compiled).
  std::unique_ptr<Sequential> TrainedCnn() {
    auto model = std::make_unique<Sequential>(std::vector<LayerPtr>{
        layers::InputLayer({8, 8, 1}), layers::Conv2D(4, {3, 3}, {.activation = "relu"}), layers::BatchNormalization(),
        layers::MaxPooling2D({2, 2}), layers::Flatten(), layers::Dropout(0.2f), layers::Dense(3, {.activation = "softmax"})});
    model->SetSessionOptions(Reference());
    EXPECT_TRUE(model->Compile("adam", "sparse_categorical_crossentropy", {"accuracy"}).ok());
    FitOptions o;
    o.epochs = 1, o.batch_size = 16, o.verbose = 0, o.seed = 1;
    EXPECT_TRUE(model->Fit(x_, y_, o).ok());
    return model;
  }

  static SessionOptions Reference() {
    SessionOptions o;
    o.backend = "reference";
    return o;
  }

  std::filesystem::path dir_;
  Tensor x_ = RandomNormal(Shape({48, 8, 8, 1}), 1);
  Tensor y_ = LinearLabels(*x_.Reshaped(Shape({48, 64})), 3, 2);
};

TEST_F(SavingTest, SaveLoadRoundTripGivesTheSamePredictions) {
  std::unique_ptr<Sequential> model = TrainedCnn();
  absl::StatusOr<Tensor> before = model->Predict(x_);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(model->Save((dir_ / "model").string()).ok());

  absl::StatusOr<std::unique_ptr<Model>> loaded = Model::Load((dir_ / "model").string(), Reference());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  absl::StatusOr<Tensor> after = (*loaded)->Predict(x_);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(after->Equals(*before));
  // The loaded model keeps its summary and compile configuration: it evaluates and trains on.
  absl::StatusOr<std::string> summary = (*loaded)->Summary();
  ASSERT_TRUE(summary.ok());
  EXPECT_NE(summary->find("batch_normalization (BatchNormalization)"), std::string::npos) << *summary;
  absl::StatusOr<Logs> a = model->Evaluate(x_, y_), b = (*loaded)->Evaluate(x_, y_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)["loss"], (*b)["loss"]);
  FitOptions o;
  o.epochs = 1, o.verbose = 0;
  EXPECT_TRUE((*loaded)->Fit(x_, y_, o).ok());
  EXPECT_FALSE((*loaded)->Compile("sgd", "mse").ok());
}

TEST_F(SavingTest, LoadErrorsNameTheFile) {
  absl::StatusOr<std::unique_ptr<Model>> missing = Model::Load((dir_ / "nothing").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("model.meta"), std::string::npos) << missing.status();
  std::filesystem::create_directories(dir_ / "bad");
  std::ofstream(dir_ / "bad" / "model.meta") << "not a model\n";
  absl::StatusOr<std::unique_ptr<Model>> bad = Model::Load((dir_ / "bad").string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("not a strata Keras model"), std::string::npos) << bad.status();
}

TEST_F(SavingTest, SaveWeightsAndLoadWeights) {
  std::unique_ptr<Sequential> model = TrainedCnn();
  absl::StatusOr<Tensor> saved = model->Predict(x_);
  ASSERT_TRUE(model->SaveWeights((dir_ / "w.ckpt").string()).ok());
  FitOptions o;
  o.epochs = 1, o.verbose = 0;
  ASSERT_TRUE(model->Fit(x_, y_, o).ok());
  absl::StatusOr<Tensor> moved = model->Predict(x_);
  EXPECT_GT(MaxAbsDiff(*moved, *saved), 0.0f);
  ASSERT_TRUE(model->LoadWeights((dir_ / "w.ckpt").string()).ok());
  absl::StatusOr<Tensor> restored = model->Predict(x_);
  EXPECT_TRUE(restored->Equals(*saved));
}

TEST_F(SavingTest, FrozenGraphInAFreshSessionGivesTheSamePredictions) {
  std::unique_ptr<Sequential> model = TrainedCnn();
  absl::StatusOr<Tensor> expected = model->Predict(x_);
  ASSERT_TRUE(expected.ok());
  const std::string path = (dir_ / "frozen.pb").string();
  ASSERT_TRUE(model->ExportFrozen(path).ok());
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  tf::GraphDef def;
  ASSERT_TRUE(def.ParseFromString(bytes.str()));
  for (const tf::NodeDef& n : def.node()) {
    EXPECT_NE(n.op(), "VariableV2") << n.name();
    EXPECT_NE(n.op(), "RandomUniform") << n.name() << ": dropout belongs to the training path only";
  }
  absl::StatusOr<std::unique_ptr<Session>> session = Session::Create(def);  // compiled (cpu) by default
  ASSERT_TRUE(session.ok()) << session.status();
  absl::StatusOr<ModelSignature> sig = model->Signature();
  std::vector<Tensor> out;
  ASSERT_TRUE((*session)->Run({{sig->input_names[0], x_}}, {"output_0"}, &out).ok());
  EXPECT_LT(MaxAbsDiff(out[0], *expected), 1e-5f);
}

TEST_F(SavingTest, EarlyStoppingStopsAndCsvLoggerWritesRows) {
  Sequential model({layers::InputLayer({8, 8, 1}), layers::Flatten(), layers::Dense(3, {.activation = "softmax"})});
  model.SetSessionOptions(Reference());
  ASSERT_TRUE(model.Compile("adam", "sparse_categorical_crossentropy", {"accuracy"}).ok());
  // An improvement of at least 1e9 never happens: training stops after patience + 1 epochs.
  auto early = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.monitor = "loss", .min_delta = 1e9, .patience = 1});
  const std::string csv = (dir_ / "log.csv").string();
  FitOptions o;
  o.epochs = 10, o.verbose = 0, o.validation_split = 0.25;
  o.callbacks = {early, std::make_shared<CSVLogger>(csv),
                 std::make_shared<ModelCheckpoint>((dir_ / "ckpt_{epoch}").string())};
  absl::StatusOr<History> h = model.Fit(x_, y_, o);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->epoch.size(), 3u);
  EXPECT_EQ(early->stopped_epoch(), 2);
  std::ifstream in(csv);
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header, "epoch,loss,accuracy,val_loss,val_accuracy");
  int rows = 0;
  while (std::getline(in, line)) ++rows;
  EXPECT_EQ(rows, 3);
  for (int e = 1; e <= 3; ++e) {
    EXPECT_TRUE(std::filesystem::exists(dir_ / ("ckpt_" + std::to_string(e)) / "variables.ckpt")) << e;
  }
  absl::StatusOr<std::unique_ptr<Model>> loaded = Model::Load((dir_ / "ckpt_3").string());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
}

TEST_F(SavingTest, EarlyStoppingRestoresTheBestWeights) {
  Sequential model({layers::InputLayer({8, 8, 1}), layers::Flatten(), layers::Dense(3, {.activation = "softmax"})});
  model.SetSessionOptions(Reference());
  ASSERT_TRUE(model.Compile("adam", "sparse_categorical_crossentropy").ok());
  auto early = std::make_shared<EarlyStopping>(
      EarlyStoppingOptions{.monitor = "loss", .min_delta = 1e9, .patience = 0, .restore_best_weights = true});
  // Record the weights after the first epoch (the "best").
  struct Recorder : Callback {
    std::vector<Tensor> first;
    absl::Status OnEpochEnd(Model& m, int epoch, const Logs&) override {
      if (epoch == 0) first = *m.GetWeights();
      return absl::OkStatus();
    }
  };
  auto recorder = std::make_shared<Recorder>();
  FitOptions o;
  o.epochs = 5, o.verbose = 0;
  o.callbacks = {recorder, early};
  ASSERT_TRUE(model.Fit(x_, y_, o).ok());
  absl::StatusOr<std::vector<Tensor>> now = model.GetWeights();
  ASSERT_TRUE(now.ok());
  ASSERT_EQ(now->size(), recorder->first.size());
  for (size_t i = 0; i < now->size(); ++i) EXPECT_TRUE((*now)[i].Equals(recorder->first[i])) << i;
}

}  // namespace
}  // namespace strata::keras
