// Shared by the gradient tests: deterministic inputs, a gtest assertion around the numerical
// gradient checker, and running a builder graph in a Session.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "frontends/cc/const_op.h"
#include "frontends/cc/gradients.h"
#include "frontends/cc/ops.h"
#include "frontends/cc/scope.h"
#include "gtest/gtest.h"
#include "runtime/gradient_checker.h"
#include "runtime/session.h"

namespace strata::testing {

#define GRAD_ASSERT_OK(expr)                     \
  do {                                           \
    const absl::Status _s = (expr);              \
    ASSERT_TRUE(_s.ok()) << #expr << ": " << _s; \
  } while (0)

// Values in [lo, hi) from a fixed seed, as `dtype`.
inline Tensor Random(DType dtype, const Shape& shape, double lo = -1.0, double hi = 1.0, uint32_t seed = 1) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  Tensor d(DT_DOUBLE, shape);
  for (double& v : d.flat<double>()) v = dist(gen);
  return *d.Cast(dtype);
}

// Random values whose magnitudes are at least `gap` (away from kinks at 0).
inline Tensor RandomAwayFromZero(DType dtype, const Shape& shape, double gap = 0.1, double hi = 1.0,
                                 uint32_t seed = 1) {
  Tensor d = Random(DT_DOUBLE, shape, gap, hi, seed);
  std::mt19937 gen(seed + 1000);
  for (double& v : d.flat<double>()) v = (gen() & 1) ? v : -v;
  return *d.Cast(dtype);
}

inline Tensor Values(DType dtype, const Shape& shape, const std::vector<double>& values) {
  return *Tensor::FromVector<double>(absl::MakeConstSpan(values), shape).Cast(dtype);
}

// Distinct values (a permutation of a spaced grid), so that Max/MaxPool have no ties.
inline Tensor Distinct(DType dtype, const Shape& shape, uint32_t seed = 1) {
  std::vector<double> v(shape.num_elements());
  for (size_t i = 0; i < v.size(); ++i) v[i] = (static_cast<double>(i) - v.size() / 2.0) * 0.1;
  std::shuffle(v.begin(), v.end(), std::mt19937(seed));
  return Values(dtype, shape, v);
}

inline SessionOptions Backend(const std::string& name) {
  SessionOptions o;
  o.backend = name;
  return o;
}

// Checks d ys / d xs (xs fed with `values`) against central differences: passes when the largest
// difference is at most `tolerance`, and says where the worst entry is otherwise.
inline ::testing::AssertionResult GradientsMatch(const Scope& scope, const std::vector<Output>& xs,
                                                 const std::vector<Tensor>& values, const std::vector<Output>& ys,
                                                 double tolerance, GradientCheckOptions options = {}) {
  if (!scope.ok()) return ::testing::AssertionFailure() << "building the graph failed: " << scope.status();
  absl::StatusOr<GradientCheck> check = CheckGradients(*scope.graph(), xs, values, ys, options);
  if (!check.ok()) return ::testing::AssertionFailure() << "CheckGradients failed: " << check.status();
  if (check->max_error <= tolerance) return ::testing::AssertionSuccess();
  ::testing::AssertionResult failure = ::testing::AssertionFailure();
  failure << "max error " << check->max_error << " > " << tolerance;
  for (size_t i = 0; i < xs.size(); ++i) {
    for (size_t j = 0; j < ys.size(); ++j) {
      auto a = check->symbolic[i][j].flat<double>();
      auto b = check->numeric[i][j].flat<double>();
      size_t worst = 0;
      for (size_t k = 0; k < a.size(); ++k) {
        if (std::abs(a[k] - b[k]) > std::abs(a[worst] - b[worst])) worst = k;
      }
      if (!a.empty() && std::abs(a[worst] - b[worst]) > tolerance) {
        const int64_t cols = check->symbolic[i][j].dim(1);
        failure << "\n  d " << ys[j].name() << "[" << worst % cols << "] / d " << xs[i].name() << "[" << worst / cols
                << "]: symbolic " << a[worst] << ", numeric " << b[worst];
      }
    }
  }
  return failure;
}

// Runs `fetches` with `feeds` in a Session over the scope's graph.
inline absl::StatusOr<std::vector<Tensor>> RunGraph(const Scope& scope, const std::vector<FeedItem>& feeds,
                                                    const std::vector<Output>& fetches,
                                                    const std::string& backend = "") {
  if (!scope.ok()) return scope.status();
  absl::StatusOr<std::unique_ptr<Session>> session = Session::Create(*scope.graph(), Backend(backend));
  if (!session.ok()) return session.status();
  std::vector<Tensor> out;
  if (absl::Status s = (*session)->Run(feeds, fetches, &out); !s.ok()) return s;
  return out;
}

inline std::vector<double> AsDoubles(const Tensor& t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.num_elements(); ++i) v.push_back(t.ElementAsDouble(i));
  return v;
}

}  // namespace strata::testing
