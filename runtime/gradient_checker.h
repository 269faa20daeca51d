// Numerical gradient checking (TensorFlow's tf.test.compute_gradient / cc/framework/
// gradient_checker): compares the Jacobian that AddSymbolicGradients' graph computes with one
// from central differences, both evaluated by a Session.
//
//   GradientCheckOptions options;
//   absl::StatusOr<GradientCheck> check = CheckGradients(graph, {x}, {x_value}, {y}, options);
//   EXPECT_LT(check->max_error, 1e-6);
//
// For each x (any float16/bfloat16/float32/float64 tensor of the graph: a Placeholder or an
// intermediate, fed with its value) and each y, the Jacobian J[x][y] has one row per element of
// x and one column per element of y. The symbolic one comes from running the gradient graph once
// per element of y with grad_ys one-hot; the numeric one from (y(x + delta) - y(x - delta)) /
// 2 delta per element of x. Use float64 graphs where the ops allow it: there the two agree to
// about 1e-8; in float32 the central difference is only good to about 1e-3. Stay away from kinks
// (Relu at 0, ties of Max).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "graph/tensor.h"
#include "runtime/session.h"

namespace strata {

struct GradientCheckOptions {
  // The central difference step; 0 picks one per x: 1e-6 for float64 (the truncation error
  // then vanishes next to the rounding error), 1e-3 for the narrower float types.
  double delta = 0;
  // Values for the other Placeholders the ys need (labels, ...), by tensor name; held fixed.
  std::vector<std::pair<std::string, Tensor>> extra_feeds;
  SessionOptions session;
};

struct GradientCheck {
  // [i][j]: d ys[j] / d xs[i] as a float64 [x_i elements, y_j elements] tensor.
  std::vector<std::vector<Tensor>> symbolic;
  std::vector<std::vector<Tensor>> numeric;
  // max |symbolic - numeric| over every entry.
  double max_error = 0;
};

// `graph` is not modified: the check runs on a copy with the gradient nodes added. Errors: xs
// and x_values of different lengths, a value whose dtype or shape does not fit its x, an x of a
// dtype that cannot be perturbed, ys or xs not in `graph`, and whatever AddSymbolicGradients or
// Session::Run report.
absl::StatusOr<GradientCheck> CheckGradients(const Graph& graph, const std::vector<Output>& xs,
                                             const std::vector<Tensor>& x_values, const std::vector<Output>& ys,
                                             const GradientCheckOptions& options = {});

}  // namespace strata
