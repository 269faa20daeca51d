// fit() callbacks (tf.keras.callbacks): EarlyStopping, ModelCheckpoint, CSVLogger, or your own
// subclass of Callback. An error returned by a callback ends fit with that error.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "frontends/keras/logs.h"
#include "graph/tensor.h"

namespace strata::keras {

class Model;

class Callback {
 public:
  virtual ~Callback() = default;
  virtual absl::Status OnTrainBegin(Model& model) { return absl::OkStatus(); }
  virtual absl::Status OnEpochBegin(Model& model, int epoch) { return absl::OkStatus(); }
  // logs: loss and metrics of the epoch (training mode), val_* when validating.
  virtual absl::Status OnEpochEnd(Model& model, int epoch, const Logs& logs) { return absl::OkStatus(); }
  virtual absl::Status OnBatchEnd(Model& model, int64_t batch, const Logs& logs) { return absl::OkStatus(); }
  virtual absl::Status OnTrainEnd(Model& model) { return absl::OkStatus(); }
};

// Whether `current` improves on `best` for the monitored quantity; mode "auto" means "max" for
// accuracies and "min" otherwise.
class Monitor {
 public:
  Monitor(std::string monitor, std::string mode, double min_delta);
  bool Improved(double current) const;
  void Record(double value) { best_ = value; }
  std::optional<double> best() const { return best_; }
  const std::string& name() const { return monitor_; }
  // The monitored value in logs; warns once (stderr) when it is missing.
  std::optional<double> Read(const Logs& logs);

 private:
  std::string monitor_;
  bool maximize_;
  double min_delta_;
  std::optional<double> best_;
  bool warned_ = false;
};

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0.0;
  int patience = 0;
  std::string mode = "auto";
  bool restore_best_weights = false;
};

// Stops training when the monitored quantity has not improved for `patience` epochs.
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  absl::Status OnTrainBegin(Model& model) override;
  absl::Status OnEpochEnd(Model& model, int epoch, const Logs& logs) override;
  absl::Status OnTrainEnd(Model& model) override;
  // The epoch fit stopped after (-1 while it has not stopped early).
  int stopped_epoch() const { return stopped_epoch_; }

 private:
  EarlyStoppingOptions options_;
  Monitor monitor_;
  int wait_ = 0;
  int stopped_epoch_ = -1;
  std::vector<Tensor> best_weights_;
};

struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  bool save_best_only = false;
  bool save_weights_only = false;
  std::string mode = "auto";
};

// Saves the model (Model::Save; or SaveWeights) after every epoch, or only when the monitored
// quantity improves. "{epoch}" in the path becomes the 1-based epoch number.
class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(std::string filepath, ModelCheckpointOptions options = {});
  absl::Status OnEpochEnd(Model& model, int epoch, const Logs& logs) override;

 private:
  std::string filepath_;
  ModelCheckpointOptions options_;
  Monitor monitor_;
};

// Writes "epoch,<log names...>" and one row per epoch to a CSV file.
class CSVLogger : public Callback {
 public:
  explicit CSVLogger(std::string filename, char separator = ',', bool append = false);
  ~CSVLogger() override;
  absl::Status OnTrainBegin(Model& model) override;
  absl::Status OnEpochEnd(Model& model, int epoch, const Logs& logs) override;
  absl::Status OnTrainEnd(Model& model) override;

 private:
  std::string filename_;
  char separator_;
  bool append_;
  std::FILE* file_ = nullptr;
  std::vector<std::string> keys_;
};

}  // namespace strata::keras
