// Small synthetic data sets for the Keras tests (deterministic).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "graph/tensor.h"

namespace strata::keras::testing {

inline Tensor RandomNormal(const Shape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(shape.num_elements()));
  for (float& x : v) x = dist(rng);
  return Tensor::FromVector<float>(v, shape);
}

// Labels of a fixed random linear classifier on x [n, d]: argmax(x . W) over `classes`.
inline Tensor LinearLabels(const Tensor& x, int64_t classes, uint32_t seed) {
  const int64_t n = x.dim(0), d = x.dim(1);
  Tensor w = RandomNormal(Shape({d, classes}), seed);
  std::vector<int32_t> labels(static_cast<size_t>(n));
  auto xf = x.flat<float>();
  auto wf = w.flat<float>();
  for (int64_t i = 0; i < n; ++i) {
    float best = -1e30f;
    for (int64_t c = 0; c < classes; ++c) {
      float s = 0;
      for (int64_t k = 0; k < d; ++k) s += xf[i * d + k] * wf[k * classes + c];
      if (s > best) best = s, labels[i] = static_cast<int32_t>(c);
    }
  }
  return Tensor::FromVector<int32_t>(labels, Shape({n}));
}

inline float MaxAbsDiff(const Tensor& a, const Tensor& b) {
  float m = 0;
  auto fa = a.flat<float>();
  auto fb = b.flat<float>();
  for (size_t i = 0; i < fa.size() && i < fb.size(); ++i) m = std::max(m, std::abs(fa[i] - fb[i]));
  return m;
}

}  // namespace strata::keras::testing
