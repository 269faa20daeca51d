// Model: the session, fit / evaluate / predict over host batches, and weight access.
#include <algorithm>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"
#include "frontends/keras/batching.h"
#include "frontends/keras/model.h"
#include "frontends/keras/model_state.h"
#include "frontends/keras/progress.h"

namespace strata::keras {
namespace {

// Sums of batch means weighted by batch size, for averages over examples.
class RunningMeans {
 public:
  explicit RunningMeans(const std::vector<std::string>& names) : names_(names), sums_(names.size(), 0.0) {}
  void Add(const std::vector<Tensor>& values, int64_t count) {
    for (size_t i = 0; i < names_.size() && i < values.size(); ++i) {
      sums_[i] += values[i].ElementAsDouble(0) * static_cast<double>(count);
    }
    count_ += count;
  }
  Logs Means(const std::string& prefix = "") const {
    Logs logs;
    for (size_t i = 0; i < names_.size(); ++i) {
      logs.Set(prefix + names_[i], count_ > 0 ? sums_[i] / static_cast<double>(count_) : 0.0);
    }
    return logs;
  }

 private:
  std::vector<std::string> names_;
  std::vector<double> sums_;
  int64_t count_ = 0;
};

std::vector<std::pair<std::string, Tensor>> MakeFeeds(const std::vector<std::string>& names,
                                                      const std::vector<Tensor>& values) {
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (size_t i = 0; i < names.size(); ++i) feeds.emplace_back(names[i], values[i]);
  return feeds;
}

}  // namespace

absl::StatusOr<Session*> Model::GetSession() {
  if (absl::Status s = EnsureBuilt(); !s.ok()) return s;
  if (session_ != nullptr && !session_stale_) return session_.get();
  tf::GraphDef def;
  if (graph_ != nullptr) {
    if (absl::Status s = graph_->root.ToGraphDef(&def); !s.ok()) return s;
  } else {
    def = loaded_def_;
  }
  absl::StatusOr<std::unique_ptr<Session>> session = Session::Create(def, session_options_);
  if (!session.ok()) return session.status();
  // Variables keep their values across a rebuild (compile after predict, ...).
  if (session_ != nullptr) {
    for (const std::string& name : session_->variables().Names()) {
      (*session)->variables().Set(name, session_->variables().Get(name));
    }
  }
  if (graph_ != nullptr) {
    std::vector<std::string> init;
    for (const train::Variable& v : train::GlobalVariables(graph_->root)) {
      if (!(*session)->variables().Get(v.name()).valid()) init.push_back(v.initializer.name());
    }
    if (!init.empty()) {
      std::vector<Tensor> unused;
      if (absl::Status s = (*session)->Run({}, {}, init, &unused); !s.ok()) return s;
    }
  }
  session_ = *std::move(session);
  session_stale_ = false;
  return session_.get();
}

absl::StatusOr<std::vector<Tensor>> Model::PrepareInputs(const char* what, const std::vector<Tensor>& x) const {
  const ModelSignature& sig = signature_;
  if (x.size() != sig.input_names.size()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": model '", name_, "' has ", sig.input_names.size(),
                                                   " input(s), got ", x.size(), " tensor(s)"));
  }
  std::vector<Tensor> out;
  for (size_t i = 0; i < x.size(); ++i) {
    const Shape& want = sig.input_shapes[i];
    const Tensor& t = x[i];
    bool fits = t.valid() && t.rank() == want.rank();
    for (int d = 1; fits && d < want.rank(); ++d) fits = want.dim(d) < 0 || want.dim(d) == t.dim(d);
    if (!fits) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": input '", sig.input_names[i], "' expects shape ", internal::KerasShapeString(want), " but got ",
          t.valid() ? internal::KerasShapeString(t.shape()) : "an empty tensor"));
    }
    if (t.dtype() == sig.input_dtypes[i]) {
      out.push_back(t);
      continue;
    }
    absl::StatusOr<Tensor> cast = t.Cast(sig.input_dtypes[i]);
    if (!cast.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": input '", sig.input_names[i], "' expects ",
                                                     DTypeName(sig.input_dtypes[i]), ", got ", DTypeName(t.dtype())));
    }
    out.push_back(*std::move(cast));
  }
  const int64_t n = out[0].dim(0);
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].dim(0) != n) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": inputs have different numbers of examples (", n, " and ",
                                                     out[i].dim(0), ")"));
    }
  }
  return out;
}

absl::StatusOr<std::vector<Tensor>> Model::PrepareTargets(const char* what, const std::vector<Tensor>& y,
                                                          int64_t n) const {
  const ModelSignature& sig = signature_;
  if (!sig.compiled) return absl::FailedPreconditionError(absl::StrCat(what, ": compile the model first"));
  if (y.size() != sig.target_names.size()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": model '", name_, "' has ", sig.target_names.size(),
                                                   " output(s), got ", y.size(), " target tensor(s)"));
  }
  std::vector<Tensor> out;
  for (size_t i = 0; i < y.size(); ++i) {
    Tensor t = y[i];
    if (!t.valid() || t.rank() < 1 || t.dim(0) != n) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": target '", sig.target_names[i], "' needs ", n,
                                                     " examples along dim 0, got ",
                                                     t.valid() ? internal::KerasShapeString(t.shape()) : "an empty tensor"));
    }
    if (sig.target_dtypes[i] == DT_INT32) {  // class ids: [n] (a trailing dim of 1 is dropped)
      if (t.rank() == 2 && t.dim(1) == 1) t = *t.Reshaped(Shape({n}));
    } else if (t.rank() == 1) {  // one value per example: [n, 1]
      t = *t.Reshaped(Shape({n, 1}));
    }
    if (t.dtype() != sig.target_dtypes[i]) {
      absl::StatusOr<Tensor> cast = t.Cast(sig.target_dtypes[i]);
      if (!cast.ok()) return cast.status();
      t = *std::move(cast);
    }
    // Class ids outside [0, classes) would index past the scores.
    const Shape& scores = i < sig.output_shapes.size() ? sig.output_shapes[i] : Shape();
    if (sig.target_dtypes[i] == DT_INT32 && scores.has_rank() && scores.rank() >= 1 && scores.dim(-1) > 0) {
      auto ids = t.flat<int32_t>();
      for (size_t j = 0; j < ids.size(); ++j) {
        if (ids[j] < 0 || ids[j] >= scores.dim(-1)) {
          return absl::InvalidArgumentError(absl::StrCat(what, ": target '", sig.target_names[i], "' holds class id ",
                                                         ids[j], " at position ", j, ", outside [0, ", scores.dim(-1), ")"));
        }
      }
    }
    out.push_back(t);
  }
  return out;
}

absl::StatusOr<History> Model::Fit(const std::vector<Tensor>& x_in, const std::vector<Tensor>& y_in,
                                   const FitOptions& options) {
  absl::StatusOr<Session*> session = GetSession();
  if (!session.ok()) return session.status();
  if (!signature_.compiled) return absl::FailedPreconditionError("fit: compile the model first");
  if (options.batch_size <= 0 || options.epochs < 0) {
    return absl::InvalidArgumentError("fit: batch_size must be positive and epochs not negative");
  }
  absl::StatusOr<std::vector<Tensor>> x = PrepareInputs("fit", x_in);
  if (!x.ok()) return x.status();
  int64_t n = (*x)[0].dim(0);
  absl::StatusOr<std::vector<Tensor>> y = PrepareTargets("fit", y_in, n);
  if (!y.ok()) return y.status();

  // Validation data: given, or the last fraction of the examples (before shuffling).
  std::vector<Tensor> val_x, val_y;
  if (!options.validation_x.empty()) {
    absl::StatusOr<std::vector<Tensor>> vx = PrepareInputs("fit (validation_data)", options.validation_x);
    if (!vx.ok()) return vx.status();
    absl::StatusOr<std::vector<Tensor>> vy = PrepareTargets("fit (validation_data)", options.validation_y, (*vx)[0].dim(0));
    if (!vy.ok()) return vy.status();
    val_x = *std::move(vx), val_y = *std::move(vy);
  } else if (options.validation_split > 0.0) {
    if (options.validation_split >= 1.0) return absl::InvalidArgumentError("fit: validation_split must be in [0, 1)");
    const int64_t n_val = static_cast<int64_t>(static_cast<double>(n) * options.validation_split);
    const int64_t n_train = n - n_val;
    for (std::vector<Tensor>* part : {&*x, &*y}) {
      std::vector<Tensor>& val = part == &*x ? val_x : val_y;
      for (Tensor& t : *part) {
        absl::StatusOr<Tensor> v = internal::SliceRows(t, n_train, n);
        absl::StatusOr<Tensor> tr = internal::SliceRows(t, 0, n_train);
        if (!v.ok()) return v.status();
        if (!tr.ok()) return tr.status();
        val.push_back(*std::move(v));
        t = *std::move(tr);
      }
    }
    n = n_train;
  }
  if (n == 0) return absl::InvalidArgumentError("fit: no training examples");

  Session& s = **session;
  std::vector<std::string> feed_names = signature_.input_names;
  feed_names.insert(feed_names.end(), signature_.target_names.begin(), signature_.target_names.end());
  std::mt19937_64 rng(options.seed != 0 ? options.seed : std::random_device{}());
  std::vector<int64_t> order(static_cast<size_t>(n));
  ProgressBar progress(options.verbose);
  const int64_t steps = (n + options.batch_size - 1) / options.batch_size;
  History history;
  stop_training = false;
  for (const auto& cb : options.callbacks) {
    if (absl::Status st = cb->OnTrainBegin(*this); !st.ok()) return st;
  }
  for (int epoch = options.initial_epoch; epoch < options.epochs && !stop_training; ++epoch) {
    for (const auto& cb : options.callbacks) {
      if (absl::Status st = cb->OnEpochBegin(*this, epoch); !st.ok()) return st;
    }
    std::iota(order.begin(), order.end(), 0);
    if (options.shuffle) std::shuffle(order.begin(), order.end(), rng);
    progress.StartEpoch(epoch, options.epochs, steps);
    RunningMeans means(signature_.metric_names);
    for (int64_t step = 0; step < steps; ++step) {
      const int64_t begin = step * options.batch_size, end = std::min(n, begin + options.batch_size);
      std::vector<int64_t> rows(order.begin() + begin, order.begin() + end);
      std::vector<Tensor> batch;
      for (const std::vector<Tensor>* part : {&*x, &*y}) {
        for (const Tensor& t : *part) {
          absl::StatusOr<Tensor> b = options.shuffle ? internal::TakeRows(t, rows) : internal::SliceRows(t, begin, end);
          if (!b.ok()) return b.status();
          batch.push_back(*std::move(b));
        }
      }
      std::vector<Tensor> values;
      if (absl::Status st = s.Run(MakeFeeds(feed_names, batch), signature_.train_metrics, {signature_.train_op}, &values);
          !st.ok()) {
        return st;
      }
      means.Add(values, end - begin);
      Logs running = means.Means();
      progress.Update(step + 1, running);
      for (const auto& cb : options.callbacks) {
        if (absl::Status st = cb->OnBatchEnd(*this, step, running); !st.ok()) return st;
      }
    }
    Logs logs = means.Means();
    if (!val_x.empty()) {
      absl::StatusOr<Logs> val = EvaluatePrepared(val_x, val_y, options.batch_size);
      if (!val.ok()) return val.status();
      for (const auto& [name, value] : val->values()) logs.Set("val_" + name, value);
    }
    progress.EndEpoch(logs);
    history.epoch.push_back(epoch);
    for (const auto& [name, value] : logs.values()) history.history[name].push_back(value);
    for (const auto& cb : options.callbacks) {
      if (absl::Status st = cb->OnEpochEnd(*this, epoch, logs); !st.ok()) return st;
    }
  }
  for (const auto& cb : options.callbacks) {
    if (absl::Status st = cb->OnTrainEnd(*this); !st.ok()) return st;
  }
  return history;
}

absl::StatusOr<Logs> Model::EvaluatePrepared(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                                             int64_t batch_size) {
  absl::StatusOr<Session*> session = GetSession();
  if (!session.ok()) return session.status();
  std::vector<std::string> feed_names = signature_.input_names;
  feed_names.insert(feed_names.end(), signature_.target_names.begin(), signature_.target_names.end());
  const int64_t n = x[0].dim(0);
  RunningMeans means(signature_.metric_names);
  for (int64_t begin = 0; begin < n; begin += batch_size) {
    const int64_t end = std::min(n, begin + batch_size);
    std::vector<Tensor> batch;
    for (const std::vector<Tensor>* part : {&x, &y}) {
      for (const Tensor& t : *part) {
        absl::StatusOr<Tensor> b = internal::SliceRows(t, begin, end);
        if (!b.ok()) return b.status();
        batch.push_back(*std::move(b));
      }
    }
    std::vector<Tensor> values;
    if (absl::Status st = (*session)->Run(MakeFeeds(feed_names, batch), signature_.eval_metrics, &values); !st.ok()) {
      return st;
    }
    means.Add(values, end - begin);
  }
  return means.Means();
}

absl::StatusOr<Logs> Model::Evaluate(const std::vector<Tensor>& x_in, const std::vector<Tensor>& y_in,
                                     const EvaluateOptions& options) {
  if (absl::Status s = EnsureBuilt(); !s.ok()) return s;
  if (!signature_.compiled) return absl::FailedPreconditionError("evaluate: compile the model first");
  if (options.batch_size <= 0) return absl::InvalidArgumentError("evaluate: batch_size must be positive");
  absl::StatusOr<std::vector<Tensor>> x = PrepareInputs("evaluate", x_in);
  if (!x.ok()) return x.status();
  absl::StatusOr<std::vector<Tensor>> y = PrepareTargets("evaluate", y_in, (*x)[0].dim(0));
  if (!y.ok()) return y.status();
  absl::StatusOr<Logs> logs = EvaluatePrepared(*x, *y, options.batch_size);
  if (logs.ok() && options.verbose > 0) std::printf("%s\n", ProgressBar::FormatLogs(*logs).c_str());
  return logs;
}

absl::StatusOr<std::vector<Tensor>> Model::Predict(const std::vector<Tensor>& x_in, int64_t batch_size) {
  absl::StatusOr<Session*> session = GetSession();
  if (!session.ok()) return session.status();
  if (batch_size <= 0) return absl::InvalidArgumentError("predict: batch_size must be positive");
  absl::StatusOr<std::vector<Tensor>> x = PrepareInputs("predict", x_in);
  if (!x.ok()) return x.status();
  const int64_t n = (*x)[0].dim(0);
  std::vector<std::vector<Tensor>> parts(signature_.output_names.size());
  for (int64_t begin = 0; begin < n; begin += batch_size) {
    const int64_t end = std::min(n, begin + batch_size);
    std::vector<Tensor> batch;
    for (const Tensor& t : *x) {
      absl::StatusOr<Tensor> b = internal::SliceRows(t, begin, end);
      if (!b.ok()) return b.status();
      batch.push_back(*std::move(b));
    }
    std::vector<Tensor> values;
    if (absl::Status st = (*session)->Run(MakeFeeds(signature_.input_names, batch), signature_.output_names, &values);
        !st.ok()) {
      return st;
    }
    for (size_t k = 0; k < values.size(); ++k) parts[k].push_back(std::move(values[k]));
  }
  std::vector<Tensor> out;
  for (const std::vector<Tensor>& p : parts) {
    if (p.empty()) return absl::InvalidArgumentError("predict: no examples");
    absl::StatusOr<Tensor> t = internal::ConcatRows(p);
    if (!t.ok()) return t.status();
    out.push_back(*std::move(t));
  }
  return out;
}

absl::StatusOr<Tensor> Model::Predict(const Tensor& x, int64_t batch_size) {
  absl::StatusOr<std::vector<Tensor>> out = Predict(std::vector<Tensor>{x}, batch_size);
  if (!out.ok()) return out.status();
  return (*out)[0];
}

absl::StatusOr<std::vector<Tensor>> Model::GetWeights() {
  absl::StatusOr<Session*> session = GetSession();
  if (!session.ok()) return session.status();
  std::vector<Tensor> out;
  for (const std::string& name : signature_.weight_names) {
    Tensor t = (*session)->variables().Get(name);
    if (!t.valid()) return absl::FailedPreconditionError(absl::StrCat("weight '", name, "' has no value"));
    out.push_back(t.Clone());  // the session updates variables in place
  }
  return out;
}

absl::Status Model::SetWeights(const std::vector<Tensor>& values) {
  absl::StatusOr<Session*> session = GetSession();
  if (!session.ok()) return session.status();
  if (values.size() != signature_.weight_names.size()) {
    return absl::InvalidArgumentError(absl::StrCat("SetWeights: model '", name_, "' has ", signature_.weight_names.size(),
                                                   " weights, got ", values.size()));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    Tensor current = (*session)->variables().Get(signature_.weight_names[i]);
    if (current.valid() && (current.shape() != values[i].shape() || current.dtype() != values[i].dtype())) {
      return absl::InvalidArgumentError(absl::StrCat("SetWeights: weight '", signature_.weight_names[i], "' has shape ",
                                                     current.shape().ToString(), ", got ", values[i].shape().ToString()));
    }
  }
  for (size_t i = 0; i < values.size(); ++i) (*session)->variables().Set(signature_.weight_names[i], values[i].Clone());
  return absl::OkStatus();
}

}  // namespace strata::keras
