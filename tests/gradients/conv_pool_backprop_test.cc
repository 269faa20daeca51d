// Conv2DBackpropFilter and MaxPoolGrad (the tiled path for windows that tile the input, and
// the general path) against direct loops over TF's definitions written here, on the cpu and
// reference backends: strides, dilations, SAME/VALID/EXPLICIT padding, groups, NCHW, long
// contractions, ties, leftover rows and partial SAME windows.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gradients/grad_test_util.h"

namespace strata {
namespace {

using testing::AsDoubles;
using testing::Random;
using testing::RunGraph;
using testing::Values;

// ---- Direct definitions (NHWC, HWIO) ----

struct ConvGeometry {
  int64_t n, h, w, c_in;         // input
  int64_t kh, kw, f_in, c_out;   // filter (f_in = c_in / groups)
  int64_t stride_h, stride_w, dil_h, dil_w;
  int64_t pad_top, pad_left;     // before; the output size is given by dy
  int64_t oh, ow;
};

// dW[i, j, ci, co] = sum_{b, y, x} in[b, y*sh + i*dh - pt, x*sw + j*dw - pl, g*f_in + ci] * dy[b, y, x, co]
// with g = co / (c_out / groups); positions outside the input read 0.
std::vector<double> FilterGradByLoops(const ConvGeometry& g, const std::vector<double>& in,
                                      const std::vector<double>& dy) {
  const int64_t groups = g.c_in / g.f_in, g_out = g.c_out / groups;
  std::vector<double> dw(g.kh * g.kw * g.f_in * g.c_out, 0.0);
  for (int64_t i = 0; i < g.kh; ++i)
    for (int64_t j = 0; j < g.kw; ++j)
      for (int64_t ci = 0; ci < g.f_in; ++ci)
        for (int64_t co = 0; co < g.c_out; ++co) {
          double sum = 0;
          const int64_t channel = (co / g_out) * g.f_in + ci;
          for (int64_t b = 0; b < g.n; ++b)
            for (int64_t y = 0; y < g.oh; ++y)
              for (int64_t x = 0; x < g.ow; ++x) {
                const int64_t r = y * g.stride_h + i * g.dil_h - g.pad_top;
                const int64_t c = x * g.stride_w + j * g.dil_w - g.pad_left;
                if (r < 0 || r >= g.h || c < 0 || c >= g.w) continue;
                sum += in[((b * g.h + r) * g.w + c) * g.c_in + channel] *
                       dy[((b * g.oh + y) * g.ow + x) * g.c_out + co];
              }
          dw[((i * g.kw + j) * g.f_in + ci) * g.c_out + co] = sum;
        }
  return dw;
}

// TF's CPU MaxPoolGrad over NHWC: each window's gradient goes to the first input element (in
// row-major window order) equal to the window's max; padding never gets any.
std::vector<double> MaxPoolGradByLoops(const Shape& x_shape, const std::vector<double>& x, const Shape& y_shape,
                                       const std::vector<double>& g, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                       int64_t pad_top, int64_t pad_left) {
  const int64_t n = x_shape.dim(0), h = x_shape.dim(1), w = x_shape.dim(2), c = x_shape.dim(3);
  const int64_t oh = y_shape.dim(1), ow = y_shape.dim(2);
  std::vector<double> dx(x.size(), 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox)
        for (int64_t ch = 0; ch < c; ++ch) {
          int64_t best = -1;
          for (int64_t i = 0; i < kh; ++i)
            for (int64_t j = 0; j < kw; ++j) {
              const int64_t r = oy * sh + i - pad_top, col = ox * sw + j - pad_left;
              if (r < 0 || r >= h || col < 0 || col >= w) continue;
              const int64_t at = ((b * h + r) * w + col) * c + ch;
              if (best < 0 || x[at] > x[best]) best = at;
            }
          if (best >= 0) dx[best] += g[((b * oh + oy) * ow + ox) * c + ch];
        }
  return dx;
}

void ExpectNear(const std::vector<double>& actual, const std::vector<double>& expected, double tolerance,
                const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  double worst = 0;
  size_t worst_at = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double d = std::abs(actual[i] - expected[i]);
    if (d > worst) worst = d, worst_at = i;
  }
  EXPECT_LE(worst, tolerance) << what << ": element " << worst_at << " is " << actual[worst_at] << ", expected "
                              << expected[worst_at];
}

class ConvPoolBackpropTest : public ::testing::TestWithParam<std::string> {};

struct FilterCase {
  std::string name;
  ConvGeometry g;
  std::string padding;
  std::vector<int64_t> explicit_paddings;  // NHWC pairs for EXPLICIT
};

TEST_P(ConvPoolBackpropTest, Conv2DBackpropFilterMatchesTheDefinition) {
  // n, h, w, c_in, kh, kw, f_in, c_out, strides, dilations, pads before, oh, ow
  const std::vector<FilterCase> cases = {
      {"valid 3x3", {2, 6, 5, 3, 3, 3, 3, 4, 1, 1, 1, 1, 0, 0, 4, 3}, "VALID", {}},
      {"valid stride 2 leftover", {2, 7, 6, 2, 3, 2, 2, 3, 2, 2, 1, 1, 0, 0, 3, 3}, "VALID", {}},
      // SAME 5x6 stride 2, 3x2 filter: out 3x3, pads (1 of 2) rows, (0 of 1) cols.
      {"same stride 2", {2, 5, 6, 2, 3, 2, 2, 3, 2, 2, 1, 1, 1, 0, 3, 3}, "SAME", {}},
      // SAME dilation 2, 3x3 filter: effective 5x5, pads 2 before.
      {"same dilation 2", {1, 6, 6, 2, 3, 3, 2, 2, 1, 1, 2, 2, 2, 2, 6, 6}, "SAME", {}},
      {"two groups", {2, 5, 5, 4, 3, 3, 2, 6, 1, 1, 1, 1, 0, 0, 3, 3}, "VALID", {}},
      // EXPLICIT pads rows (1, 2), cols (2, 0), stride 2: out rows (5+3-3)/2+1 = 3, cols (6+2-2)/2+1 = 4.
      {"explicit stride 2", {1, 5, 6, 2, 3, 2, 2, 2, 2, 2, 1, 1, 1, 2, 3, 4}, "EXPLICIT", {0, 0, 1, 2, 2, 0, 0, 0}},
      {"CNN-sized", {8, 32, 32, 16, 3, 3, 16, 8, 1, 1, 1, 1, 0, 0, 30, 30}, "VALID", {}},
      {"32k-long contraction", {8, 66, 66, 16, 3, 3, 16, 4, 1, 1, 1, 1, 0, 0, 64, 64}, "VALID", {}},
  };
  for (const FilterCase& c : cases) {
    const ConvGeometry& g = c.g;
    Scope root = Scope::NewRootScope();
    const Shape in_shape{g.n, g.h, g.w, g.c_in}, dy_shape{g.n, g.oh, g.ow, g.c_out};
    const Tensor in = Random(DT_FLOAT, in_shape, -1, 1, 3), dy = Random(DT_FLOAT, dy_shape, -1, 1, 4);
    Output x = ops::Placeholder(root, DT_FLOAT, ops::Placeholder::Shape(in_shape));
    Output d = ops::Placeholder(root, DT_FLOAT, ops::Placeholder::Shape(dy_shape));
    const std::vector<int32_t> sizes = {static_cast<int32_t>(g.kh), static_cast<int32_t>(g.kw),
                                        static_cast<int32_t>(g.f_in), static_cast<int32_t>(g.c_out)};
    Output df = ops::Conv2DBackpropFilter(
        root, x, ops::Const(root, Tensor::FromVector<int32_t>(sizes)), d, {1, g.stride_h, g.stride_w, 1}, c.padding,
        ops::Conv2DBackpropFilter::Dilations({1, g.dil_h, g.dil_w, 1}).ExplicitPaddings(c.explicit_paddings));
    absl::StatusOr<std::vector<Tensor>> out = RunGraph(root, {{x, in}, {d, dy}}, {df}, GetParam());
    ASSERT_TRUE(out.ok()) << c.name << ": " << out.status();
    EXPECT_EQ((*out)[0].shape(), Shape({g.kh, g.kw, g.f_in, g.c_out})) << c.name;
    const std::vector<double> expected = FilterGradByLoops(g, AsDoubles(in), AsDoubles(dy));
    // float32 sums of up to ~33k products of values in [-1, 1]: rounding grows with the sums.
    double largest = 1;
    for (double v : expected) largest = std::max(largest, std::abs(v));
    ExpectNear(AsDoubles((*out)[0]), expected, 1e-4 * largest, c.name);
  }
}

TEST_P(ConvPoolBackpropTest, Conv2DBackpropFilterNchwMatchesNhwc) {
  Scope root = Scope::NewRootScope();
  const Tensor in = Random(DT_FLOAT, {2, 5, 6, 3}, -1, 1, 5), dy = Random(DT_FLOAT, {2, 3, 3, 4}, -1, 1, 6);
  Output x = ops::Placeholder(root, DT_FLOAT, ops::Placeholder::Shape(in.shape()));
  Output d = ops::Placeholder(root, DT_FLOAT, ops::Placeholder::Shape(dy.shape()));
  Output sizes = ops::Const(root, {3, 2, 3, 4});
  Output nhwc = ops::Conv2DBackpropFilter(root, x, sizes, d, {1, 2, 2, 1}, "SAME");
  Output nchw = ops::Conv2DBackpropFilter(root, ops::Transpose(root, x, ops::Const(root, {0, 3, 1, 2})), sizes,
                                          ops::Transpose(root, d, ops::Const(root, {0, 3, 1, 2})), {1, 1, 2, 2}, "SAME",
                                          ops::Conv2DBackpropFilter::DataFormat("NCHW"));
  absl::StatusOr<std::vector<Tensor>> out = RunGraph(root, {{x, in}, {d, dy}}, {nhwc, nchw}, GetParam());
  ASSERT_TRUE(out.ok()) << out.status();
  const ConvGeometry g = {2, 5, 6, 3, 3, 2, 3, 4, 2, 2, 1, 1, 1, 0, 3, 3};
  const std::vector<double> expected = FilterGradByLoops(g, AsDoubles(in), AsDoubles(dy));
  ExpectNear(AsDoubles((*out)[0]), expected, 1e-4, "NHWC");
  ExpectNear(AsDoubles((*out)[1]), expected, 1e-4, "NCHW");
}

TEST_P(ConvPoolBackpropTest, Conv2DBackpropFilterRejectsMismatchedOutBackprop) {
  Scope root = Scope::NewRootScope();
  Output x = ops::Placeholder(root.WithOpName("x"), DT_FLOAT, ops::Placeholder::Shape({1, 5, 5, 1}));
  Output d = ops::Placeholder(root.WithOpName("dy"), DT_FLOAT, ops::Placeholder::Shape({1, 4, 4, 1}));
  // A 3x3 VALID window over 5x5 gives 3x3, not 4x4.
  Output df = ops::Conv2DBackpropFilter(root, x, ops::Const(root, {3, 3, 1, 1}), d, {1, 1, 1, 1}, "VALID");
  absl::StatusOr<std::vector<Tensor>> out =
      RunGraph(root, {{x, Tensor(DT_FLOAT, Shape{1, 5, 5, 1})}, {d, Tensor(DT_FLOAT, Shape{1, 4, 4, 1})}}, {df},
               GetParam());
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()), ::testing::HasSubstr("out_backprop has 4 elements"));
}

struct PoolCase {
  std::string name;
  Shape x_shape;
  int64_t k, stride;
  std::string padding;
};

TEST_P(ConvPoolBackpropTest, MaxPoolGradMatchesTheDefinition) {
  const std::vector<PoolCase> cases = {
      {"2x2/2 even", {2, 6, 8, 3}, 2, 2, "VALID"},
      {"2x2/2 odd leftover", {2, 7, 5, 4}, 2, 2, "VALID"},
      {"2x2/2 SAME partial windows", {1, 5, 7, 2}, 2, 2, "SAME"},
      {"3x3/3 SAME", {1, 7, 8, 3}, 3, 3, "SAME"},
      {"3x3/2 overlapping (general path)", {2, 7, 7, 2}, 3, 2, "VALID"},
      {"CNN pool 1", {4, 26, 26, 32}, 2, 2, "VALID"},
  };
  for (const PoolCase& c : cases) {
    Scope root = Scope::NewRootScope();
    // Values on a coarse grid so that windows hold ties (the first max must win).
    Tensor xf = Random(DT_FLOAT, c.x_shape, -2, 2, 7);
    for (float& v : xf.flat<float>()) v = std::round(v * 2) / 2;
    Output x = ops::Placeholder(root, DT_FLOAT, ops::Placeholder::Shape(c.x_shape));
    Output y = ops::MaxPool(root, x, {1, c.k, c.k, 1}, {1, c.stride, c.stride, 1}, c.padding);
    absl::StatusOr<std::vector<Tensor>> pooled = RunGraph(root, {{x, xf}}, {y}, GetParam());
    ASSERT_TRUE(pooled.ok()) << c.name << ": " << pooled.status();
    const Shape y_shape = (*pooled)[0].shape();
    const Tensor gf = Random(DT_FLOAT, y_shape, 1, 2, 8);
    Output gp = ops::Placeholder(root, DT_FLOAT, ops::Placeholder::Shape(y_shape));
    Output dx = ops::MaxPoolGrad(root, x, y, gp, {1, c.k, c.k, 1}, {1, c.stride, c.stride, 1}, c.padding);
    absl::StatusOr<std::vector<Tensor>> out = RunGraph(root, {{x, xf}, {gp, gf}}, {dx}, GetParam());
    ASSERT_TRUE(out.ok()) << c.name << ": " << out.status();
    int64_t pad_top = 0, pad_left = 0;
    if (c.padding == "SAME") {
      pad_top = std::max<int64_t>((y_shape.dim(1) - 1) * c.stride + c.k - c.x_shape.dim(1), 0) / 2;
      pad_left = std::max<int64_t>((y_shape.dim(2) - 1) * c.stride + c.k - c.x_shape.dim(2), 0) / 2;
    }
    const std::vector<double> expected = MaxPoolGradByLoops(c.x_shape, AsDoubles(xf), y_shape, AsDoubles(gf), c.k,
                                                            c.k, c.stride, c.stride, pad_top, pad_left);
    ExpectNear(AsDoubles((*out)[0]), expected, 1e-6, c.name);
  }
}

TEST_P(ConvPoolBackpropTest, MaxPoolGradOfAllMinusInfinityWindowsGoesToTheFirstElement) {
  // SAME 2x2/2 over 1x3: the last window holds one input element and one padding element.
  Scope root = Scope::NewRootScope();
  const float inf = std::numeric_limits<float>::infinity();
  Output x = ops::Placeholder(root, DT_FLOAT, ops::Placeholder::Shape({1, 1, 3, 1}));
  Output y = ops::MaxPool(root, x, {1, 1, 2, 1}, {1, 1, 2, 1}, "SAME");
  Output g = ops::Placeholder(root, DT_FLOAT, ops::Placeholder::Shape({1, 1, 2, 1}));
  Output dx = ops::MaxPoolGrad(root, x, y, g, {1, 1, 2, 1}, {1, 1, 2, 1}, "SAME");
  Tensor xv(DT_FLOAT, Shape{1, 1, 3, 1});
  xv.flat<float>()[0] = -inf;
  xv.flat<float>()[1] = -inf;
  xv.flat<float>()[2] = -inf;
  absl::StatusOr<std::vector<Tensor>> out =
      RunGraph(root, {{x, xv}, {g, Values(DT_FLOAT, {1, 1, 2, 1}, {3, 5})}}, {dx}, GetParam());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(AsDoubles((*out)[0]), ::testing::ElementsAre(3, 0, 5));
}

TEST_P(ConvPoolBackpropTest, MaxPoolGradNchwTiled) {
  // NCHW 2x2/2 over [1, 2, 3, 4]: channel 0 then channel 1, each 3x4 (the last row is leftover).
  Scope root = Scope::NewRootScope();
  Output x = ops::Placeholder(root, DT_FLOAT, ops::Placeholder::Shape({1, 2, 3, 4}));
  Output y = ops::MaxPool(root, x, {1, 1, 2, 2}, {1, 1, 2, 2}, "VALID", ops::MaxPool::DataFormat("NCHW"));
  Output g = ops::Placeholder(root, DT_FLOAT, ops::Placeholder::Shape({1, 2, 1, 2}));
  Output dx = ops::MaxPoolGrad(root, x, y, g, {1, 1, 2, 2}, {1, 1, 2, 2}, "VALID",
                               ops::MaxPoolGrad::DataFormat("NCHW"));
  const Tensor xv = Values(DT_FLOAT, {1, 2, 3, 4},
                           {1, 9, 2, 3, 4, 5, 3, 3, 7, 7, 7, 7,     // channel 0: maxes 9 (0,1) and 3 (0,3)
                            8, 8, 0, 1, 8, 2, 4, 0, 9, 9, 9, 9});  // channel 1: 8 (0,0) tie, 4 (1,2)
  absl::StatusOr<std::vector<Tensor>> out =
      RunGraph(root, {{x, xv}, {g, Values(DT_FLOAT, {1, 2, 1, 2}, {1, 2, 3, 4})}}, {dx}, GetParam());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(AsDoubles((*out)[0]), ::testing::ElementsAre(0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0,  //
                                                           3, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0));
}

INSTANTIATE_TEST_SUITE_P(Backends, ConvPoolBackpropTest, ::testing::Values("cpu", "reference"));

}  // namespace
}  // namespace strata
