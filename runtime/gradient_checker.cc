// CheckGradients (see gradient_checker.h).
#include "runtime/gradient_checker.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "graph/gradients.h"
#include "graph/shape_inference.h"
#include "runtime/reference/evaluator.h"

namespace strata {
namespace {

bool IsPerturbable(DType t) { return t == DT_FLOAT || t == DT_DOUBLE || t == DT_HALF || t == DT_BFLOAT16; }

// `t` with element k set to `value` (through float64, so every float dtype works).
absl::StatusOr<Tensor> WithElement(const Tensor& t, int64_t k, double value) {
  absl::StatusOr<Tensor> d = t.Cast(DT_DOUBLE);
  if (!d.ok()) return d.status();
  Tensor copy = d->Clone();
  copy.flat<double>()[k] = value;
  return copy.Cast(t.dtype());
}

// Zeros of `like`'s dtype and shape, with a 1 at element k (k < 0: none).
absl::StatusOr<Tensor> OneHot(const Tensor& like, int64_t k) {
  Tensor d(DT_DOUBLE, like.shape());
  if (k >= 0) d.flat<double>()[k] = 1.0;
  return d.Cast(like.dtype());
}

class Checker {
 public:
  explicit Checker(const GradientCheckOptions& options) : options_(options) {}

  absl::StatusOr<GradientCheck> Run(const Graph& graph, const std::vector<Output>& xs,
                                    const std::vector<Tensor>& x_values, const std::vector<Output>& ys) {
    if (absl::Status s = Prepare(graph, xs, x_values, ys); !s.ok()) return s;
    absl::StatusOr<std::vector<Tensor>> base = Forward(x_values);
    if (!base.ok()) return base.status();
    y_values_ = *std::move(base);
    GradientCheck check;
    check.symbolic.resize(xs.size());
    check.numeric.resize(xs.size());
    for (size_t i = 0; i < xs.size(); ++i) {
      for (size_t j = 0; j < ys.size(); ++j) {
        const Shape jacobian{x_values[i].num_elements(), y_values_[j].num_elements()};
        check.symbolic[i].push_back(Tensor(DT_DOUBLE, jacobian));
        check.numeric[i].push_back(Tensor(DT_DOUBLE, jacobian));
      }
    }
    if (absl::Status s = FillSymbolic(x_values, &check); !s.ok()) return s;
    if (absl::Status s = FillNumeric(x_values, &check); !s.ok()) return s;
    for (size_t i = 0; i < xs.size(); ++i) {
      for (size_t j = 0; j < ys.size(); ++j) {
        auto a = check.symbolic[i][j].flat<double>();
        auto b = check.numeric[i][j].flat<double>();
        for (size_t k = 0; k < a.size(); ++k) check.max_error = std::max(check.max_error, std::abs(a[k] - b[k]));
      }
    }
    return check;
  }

 private:
  // Copies the graph, adds one grad_y Placeholder per y and the gradient nodes, and opens the
  // Session.
  absl::Status Prepare(const Graph& graph, const std::vector<Output>& xs, const std::vector<Tensor>& x_values,
                       const std::vector<Output>& ys) {
    if (xs.size() != x_values.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("CheckGradients: ", xs.size(), " xs but ", x_values.size(), " x_values"));
    }
    for (size_t i = 0; i < xs.size(); ++i) {
      if (!xs[i].valid()) return absl::InvalidArgumentError(absl::StrCat("CheckGradients: xs[", i, "] is invalid"));
      const Tensor& v = x_values[i];
      if (BaseDType(xs[i].dtype()) != v.dtype() || !IsPerturbable(v.dtype())) {
        return absl::InvalidArgumentError(absl::StrCat("CheckGradients: x '", xs[i].name(), "' is ",
                                                       DTypeName(xs[i].dtype()), " and its value ",
                                                       DTypeName(v.dtype()), "; both must be the same float dtype"));
      }
      if (!xs[i].shape().IsCompatibleWith(v.shape())) {
        return absl::InvalidArgumentError(absl::StrCat("CheckGradients: x '", xs[i].name(), "' has shape ",
                                                       xs[i].shape().ToString(), " but its value has shape ",
                                                       v.shape().ToString()));
      }
      x_names_.push_back(xs[i].name());
    }
    absl::StatusOr<std::unique_ptr<Graph>> copy = CopyGraph(graph);
    if (!copy.ok()) return copy.status();
    graph_ = *std::move(copy);
    if (absl::Status s = InferShapes(graph_.get()); !s.ok()) return s;
    std::vector<Output> copy_xs, copy_ys, grad_ys;
    for (const std::string& name : x_names_) {
      absl::StatusOr<Output> x = graph_->FindOutput(name);
      if (!x.ok()) return x.status();
      copy_xs.push_back(*x);
    }
    for (size_t j = 0; j < ys.size(); ++j) {
      if (!ys[j].valid()) return absl::InvalidArgumentError(absl::StrCat("CheckGradients: ys[", j, "] is invalid"));
      y_names_.push_back(ys[j].name());
      absl::StatusOr<Output> y = graph_->FindOutput(y_names_.back());
      if (!y.ok()) return y.status();
      copy_ys.push_back(*y);
      NodeSpec spec;
      spec.name = graph_->UniqueName("gradient_checker/grad_y");
      spec.op = "Placeholder";
      spec.attrs["dtype"] = MakeAttr(BaseDType(y->dtype()));
      spec.attrs["shape"] = MakeAttr(y->shape());
      absl::StatusOr<Node*> node = graph_->AddNode(std::move(spec));
      if (!node.ok()) return node.status();
      if (absl::Status s = InferNodeShapes(*node); !s.ok()) return s;
      grad_ys.push_back(Output(*node, 0));
      grad_y_names_.push_back((*node)->name());
    }
    std::vector<Output> dxs;
    if (absl::Status s = AddSymbolicGradients(graph_.get(), copy_ys, copy_xs, grad_ys, &dxs); !s.ok()) return s;
    for (const Output& dx : dxs) dx_names_.push_back(dx.valid() ? dx.name() : "");
    absl::StatusOr<std::unique_ptr<Session>> session = Session::Create(*graph_, options_.session);
    if (!session.ok()) return session.status();
    session_ = *std::move(session);
    return absl::OkStatus();
  }

  std::vector<std::pair<std::string, Tensor>> Feeds(const std::vector<Tensor>& x_values) const {
    std::vector<std::pair<std::string, Tensor>> feeds = options_.extra_feeds;
    for (size_t i = 0; i < x_values.size(); ++i) feeds.push_back({x_names_[i], x_values[i]});
    return feeds;
  }

  absl::StatusOr<std::vector<Tensor>> Forward(const std::vector<Tensor>& x_values) {
    std::vector<Tensor> out;
    if (absl::Status s = session_->Run(Feeds(x_values), y_names_, &out); !s.ok()) return s;
    return out;
  }

  // Row k of J[i][j] (the symbolic one) is d y_j[e] / d x_i for the one-hot grad_y at e.
  absl::Status FillSymbolic(const std::vector<Tensor>& x_values, GradientCheck* check) {
    std::vector<std::string> fetches;
    std::vector<size_t> fetched_x;
    for (size_t i = 0; i < dx_names_.size(); ++i) {
      if (dx_names_[i].empty()) continue;  // NoGradient: that Jacobian stays zero
      fetches.push_back(dx_names_[i]);
      fetched_x.push_back(i);
    }
    if (fetches.empty()) return absl::OkStatus();
    for (size_t j = 0; j < y_values_.size(); ++j) {
      for (int64_t e = 0; e < y_values_[j].num_elements(); ++e) {
        std::vector<std::pair<std::string, Tensor>> feeds = Feeds(x_values);
        for (size_t jj = 0; jj < y_values_.size(); ++jj) {
          absl::StatusOr<Tensor> seed = OneHot(y_values_[jj], jj == j ? e : -1);
          if (!seed.ok()) return seed.status();
          feeds.push_back({grad_y_names_[jj], *std::move(seed)});
        }
        std::vector<Tensor> dxs;
        if (absl::Status s = session_->Run(feeds, fetches, &dxs); !s.ok()) return s;
        for (size_t f = 0; f < fetched_x.size(); ++f) {
          Tensor& jacobian = check->symbolic[fetched_x[f]][j];
          const int64_t cols = jacobian.dim(1);
          for (int64_t k = 0; k < dxs[f].num_elements(); ++k) {
            jacobian.flat<double>()[k * cols + e] = dxs[f].ElementAsDouble(k);
          }
        }
      }
    }
    return absl::OkStatus();
  }

  // Column e of row k of J[i][j] (the numeric one): (y_j(x_i[k] + d) - y_j(x_i[k] - d)) / 2d.
  absl::Status FillNumeric(const std::vector<Tensor>& x_values, GradientCheck* check) {
    for (size_t i = 0; i < x_values.size(); ++i) {
      const double d = options_.delta > 0 ? options_.delta : (x_values[i].dtype() == DT_DOUBLE ? 1e-6 : 1e-3);
      for (int64_t k = 0; k < x_values[i].num_elements(); ++k) {
        const double v = x_values[i].ElementAsDouble(k);
        std::vector<Tensor> plus_values = x_values, minus_values = x_values;
        absl::StatusOr<Tensor> plus = WithElement(x_values[i], k, v + d);
        if (!plus.ok()) return plus.status();
        absl::StatusOr<Tensor> minus = WithElement(x_values[i], k, v - d);
        if (!minus.ok()) return minus.status();
        plus_values[i] = *std::move(plus);
        minus_values[i] = *std::move(minus);
        absl::StatusOr<std::vector<Tensor>> y_plus = Forward(plus_values);
        if (!y_plus.ok()) return y_plus.status();
        absl::StatusOr<std::vector<Tensor>> y_minus = Forward(minus_values);
        if (!y_minus.ok()) return y_minus.status();
        // The perturbed value is what the graph saw (rounded to x's dtype).
        const double step = plus_values[i].ElementAsDouble(k) - minus_values[i].ElementAsDouble(k);
        for (size_t j = 0; j < y_values_.size(); ++j) {
          Tensor& jacobian = check->numeric[i][j];
          const int64_t cols = jacobian.dim(1);
          for (int64_t e = 0; e < cols; ++e) {
            jacobian.flat<double>()[k * cols + e] =
                ((*y_plus)[j].ElementAsDouble(e) - (*y_minus)[j].ElementAsDouble(e)) / step;
          }
        }
      }
    }
    return absl::OkStatus();
  }

  const GradientCheckOptions& options_;
  std::unique_ptr<Graph> graph_;
  std::unique_ptr<Session> session_;
  std::vector<std::string> x_names_, y_names_, grad_y_names_, dx_names_;
  std::vector<Tensor> y_values_;
};

}  // namespace

absl::StatusOr<GradientCheck> CheckGradients(const Graph& graph, const std::vector<Output>& xs,
                                             const std::vector<Tensor>& x_values, const std::vector<Output>& ys,
                                             const GradientCheckOptions& options) {
  Checker checker(options);
  return checker.Run(graph, xs, x_values, ys);
}

}  // namespace strata
