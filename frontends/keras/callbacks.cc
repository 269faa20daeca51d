#include "frontends/keras/callbacks.h"

#include <cmath>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "frontends/keras/model.h"

namespace strata::keras {

Monitor::Monitor(std::string monitor, std::string mode, double min_delta)
    : monitor_(std::move(monitor)), min_delta_(std::abs(min_delta)) {
  maximize_ = mode == "max" || (mode == "auto" && (monitor_.find("acc") != std::string::npos));
}

bool Monitor::Improved(double current) const {
  if (!best_.has_value()) return true;
  return maximize_ ? current - min_delta_ > *best_ : current + min_delta_ < *best_;
}

std::optional<double> Monitor::Read(const Logs& logs) {
  std::optional<double> v = logs.Get(monitor_);
  if (!v.has_value() && !warned_) {
    warned_ = true;
    std::cerr << "warning: callback monitors '" << monitor_ << "', which is not in the logs; skipping\n";
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
EarlyStopping::EarlyStopping(EarlyStoppingOptions options)
    : options_(options), monitor_(options.monitor, options.mode, options.min_delta) {}

absl::Status EarlyStopping::OnTrainBegin(Model&) {
  wait_ = 0;
  stopped_epoch_ = -1;
  monitor_ = Monitor(options_.monitor, options_.mode, options_.min_delta);
  best_weights_.clear();
  return absl::OkStatus();
}

absl::Status EarlyStopping::OnEpochEnd(Model& model, int epoch, const Logs& logs) {
  std::optional<double> value = monitor_.Read(logs);
  if (!value.has_value()) return absl::OkStatus();
  if (monitor_.Improved(*value)) {
    monitor_.Record(*value);
    wait_ = 0;
    if (options_.restore_best_weights) {
      absl::StatusOr<std::vector<Tensor>> w = model.GetWeights();
      if (!w.ok()) return w.status();
      best_weights_ = *std::move(w);
    }
    return absl::OkStatus();
  }
  if (++wait_ > options_.patience) {
    stopped_epoch_ = epoch;
    model.stop_training = true;
    if (options_.restore_best_weights && !best_weights_.empty()) return model.SetWeights(best_weights_);
  }
  return absl::OkStatus();
}

absl::Status EarlyStopping::OnTrainEnd(Model&) { return absl::OkStatus(); }

// ---------------------------------------------------------------------------------------------
ModelCheckpoint::ModelCheckpoint(std::string filepath, ModelCheckpointOptions options)
    : filepath_(std::move(filepath)), options_(options), monitor_(options.monitor, options.mode, 0.0) {}

absl::Status ModelCheckpoint::OnEpochEnd(Model& model, int epoch, const Logs& logs) {
  if (options_.save_best_only) {
    std::optional<double> value = monitor_.Read(logs);
    if (!value.has_value() || !monitor_.Improved(*value)) return absl::OkStatus();
    monitor_.Record(*value);
  }
  const std::string path = absl::StrReplaceAll(filepath_, {{"{epoch}", absl::StrCat(epoch + 1)}});
  return options_.save_weights_only ? model.SaveWeights(path) : model.Save(path);
}

// ---------------------------------------------------------------------------------------------
CSVLogger::CSVLogger(std::string filename, char separator, bool append)
    : filename_(std::move(filename)), separator_(separator), append_(append) {}

CSVLogger::~CSVLogger() {
  if (file_ != nullptr) std::fclose(file_);
}

absl::Status CSVLogger::OnTrainBegin(Model&) {
  if (file_ != nullptr) std::fclose(file_);
  file_ = std::fopen(filename_.c_str(), append_ ? "a" : "w");
  if (file_ == nullptr) return absl::NotFoundError(absl::StrCat("CSVLogger: cannot open '", filename_, "' for writing"));
  keys_.clear();
  return absl::OkStatus();
}

absl::Status CSVLogger::OnEpochEnd(Model&, int epoch, const Logs& logs) {
  if (file_ == nullptr) return absl::FailedPreconditionError("CSVLogger: the file is not open");
  if (keys_.empty()) {
    std::string header = "epoch";
    for (const auto& [name, value] : logs.values()) {
      keys_.push_back(name);
      absl::StrAppend(&header, std::string(1, separator_), name);
    }
    std::fprintf(file_, "%s\n", header.c_str());
  }
  std::string row = absl::StrCat(epoch);
  for (const std::string& key : keys_) {
    std::optional<double> v = logs.Get(key);
    absl::StrAppend(&row, std::string(1, separator_), v.has_value() ? absl::StrCat(*v) : "");
  }
  std::fprintf(file_, "%s\n", row.c_str());
  std::fflush(file_);
  return absl::OkStatus();
}

absl::Status CSVLogger::OnTrainEnd(Model&) {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  return absl::OkStatus();
}

}  // namespace strata::keras
