// Gradients of the neural-network ops (ops/nn_grad.cc and the backprop ops they emit) against
// central differences: softmax, BiasAdd, Conv2D (strides, SAME/VALID/EXPLICIT, NHWC/NCHW,
// dilations, groups), DepthwiseConv2dNative, Conv2DBackpropInput, MaxPool, AvgPool and
// FusedBatchNormV3 (training and inference).
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/gradients/grad_test_util.h"

namespace strata {
namespace {

using testing::GradientsMatch;
using testing::Random;

constexpr double kTol = 1e-6;  // float64 graphs, delta 1e-3

Output Input(const Scope& s, const char* name, const Shape& shape, DType dtype = DT_DOUBLE) {
  return ops::Placeholder(s.WithOpName(name), dtype, ops::Placeholder::Shape(shape));
}

// [N, H, W, C] in NHWC order, permuted to `format`.
Shape ImageShape(const std::string& format, int64_t n, int64_t h, int64_t w, int64_t c) {
  return format == "NCHW" ? Shape{n, c, h, w} : Shape{n, h, w, c};
}
std::vector<int64_t> Spatial(const std::string& format, int64_t h, int64_t w) {
  return format == "NCHW" ? std::vector<int64_t>{1, 1, h, w} : std::vector<int64_t>{1, h, w, 1};
}

TEST(SoftmaxGradTest, SoftmaxAndLogSoftmax) {
  for (const Shape& shape : {Shape{5}, Shape{3, 4}, Shape{2, 2, 3}}) {
    Scope root = Scope::NewRootScope();
    Output x = Input(root, "x", shape);
    // Weighted, so that the gradient of the sum is not trivially zero.
    Output w = ops::Const(root, Random(DT_DOUBLE, shape, -1, 1, 9));
    Output y1 = ops::Mul(root, ops::Softmax(root, x), w);
    Output y2 = ops::Mul(root, ops::LogSoftmax(root, x), w);
    EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, shape, -2, 2)}, {y1, y2}, kTol)) << shape.ToString();
  }
}

TEST(BiasAddGradTest, NhwcAndNchw) {
  for (const std::string format : {"NHWC", "NCHW"}) {
    Scope root = Scope::NewRootScope();
    const Shape value_shape = ImageShape(format, 2, 2, 3, 4);
    Output value = Input(root, "value", value_shape), bias = Input(root, "bias", {4});
    Output y = ops::Square(root, ops::BiasAdd(root, value, bias, ops::BiasAdd::DataFormat(format)));
    EXPECT_TRUE(GradientsMatch(root, {value, bias}, {Random(DT_DOUBLE, value_shape), Random(DT_DOUBLE, {4}, -1, 1, 2)},
                               {y}, kTol))
        << format;
  }
}

struct ConvCase {
  std::string format;
  int64_t stride;
  std::string padding;
  int64_t dilation;
  int64_t in_channels, filter_in, out_channels;
  std::vector<int64_t> explicit_paddings;  // NHWC pairs for EXPLICIT
};

std::string Describe(const ConvCase& c) {
  return absl::StrCat(c.format, " stride ", c.stride, " ", c.padding, " dilation ", c.dilation, " channels ",
                      c.in_channels, "/", c.filter_in, "->", c.out_channels);
}

TEST(Conv2DGradTest, StridesPaddingsFormatsDilationsGroups) {
  const std::vector<ConvCase> cases = {
      {"NHWC", 1, "VALID", 1, 2, 2, 3, {}},
      {"NHWC", 1, "SAME", 1, 2, 2, 3, {}},
      {"NHWC", 2, "SAME", 1, 2, 2, 2, {}},
      {"NHWC", 2, "VALID", 1, 1, 1, 2, {}},
      {"NCHW", 2, "SAME", 1, 2, 2, 3, {}},
      {"NCHW", 1, "VALID", 1, 3, 3, 2, {}},
      {"NHWC", 1, "SAME", 2, 2, 2, 2, {}},
      {"NHWC", 1, "VALID", 1, 4, 2, 4, {}},  // two groups
      {"NHWC", 2, "EXPLICIT", 1, 2, 2, 2, {0, 0, 1, 2, 2, 0, 0, 0}},
  };
  for (const ConvCase& c : cases) {
    Scope root = Scope::NewRootScope();
    const Shape in_shape = ImageShape(c.format, 2, 5, 6, c.in_channels);
    const Shape f_shape{3, 2, c.filter_in, c.out_channels};
    Output x = Input(root, "x", in_shape), f = Input(root, "f", f_shape);
    std::vector<int64_t> explicit_paddings = c.explicit_paddings;
    if (c.format == "NCHW" && !explicit_paddings.empty()) {
      explicit_paddings = {
          0, 0, 0, 0, c.explicit_paddings[2], c.explicit_paddings[3], c.explicit_paddings[4], c.explicit_paddings[5]};
    }
    auto attrs = ops::Conv2D::DataFormat(c.format)
                     .Dilations(Spatial(c.format, c.dilation, c.dilation))
                     .ExplicitPaddings(explicit_paddings);
    Output y = ops::Conv2D(root, x, f, Spatial(c.format, c.stride, c.stride), c.padding, attrs);
    EXPECT_TRUE(
        GradientsMatch(root, {x, f}, {Random(DT_DOUBLE, in_shape), Random(DT_DOUBLE, f_shape, -1, 1, 2)}, {y}, kTol))
        << Describe(c);
  }
}

TEST(Conv2DGradTest, Float32OnBothBackends) {
  for (const char* backend : {"cpu", "reference"}) {
    Scope root = Scope::NewRootScope();
    Output x = Input(root, "x", {1, 4, 4, 2}, DT_FLOAT), f = Input(root, "f", {2, 2, 2, 3}, DT_FLOAT);
    Output y = ops::Conv2D(root, x, f, {1, 2, 2, 1}, "SAME");
    GradientCheckOptions options;
    options.session = testing::Backend(backend);
    EXPECT_TRUE(GradientsMatch(root, {x, f}, {Random(DT_FLOAT, {1, 4, 4, 2}), Random(DT_FLOAT, {2, 2, 2, 3}, -1, 1, 2)},
                               {y}, 5e-3, options))
        << backend;
  }
}

TEST(Conv2DBackpropInputGradTest, FilterAndOutBackprop) {
  for (const std::string padding : {"SAME", "VALID"}) {
    Scope root = Scope::NewRootScope();
    Output f = Input(root, "f", {3, 3, 2, 3}), dy = Input(root, "dy", {1, 3, 3, 3});
    const int64_t size = padding == "SAME" ? 5 : 7;
    Output y = ops::Conv2DBackpropInput(root, ops::Const(root, {1, static_cast<int>(size), static_cast<int>(size), 2}),
                                        f, dy, {1, 2, 2, 1}, padding);
    EXPECT_TRUE(GradientsMatch(root, {f, dy},
                               {Random(DT_DOUBLE, {3, 3, 2, 3}), Random(DT_DOUBLE, {1, 3, 3, 3}, -1, 1, 2)}, {y}, kTol))
        << padding;
  }
}

TEST(DepthwiseConv2dNativeGradTest, StridesPaddingsFormatsMultipliers) {
  struct Case {
    std::string format, padding;
    int64_t stride, multiplier, dilation;
  };
  for (const Case& c : {Case{"NHWC", "VALID", 1, 1, 1}, Case{"NHWC", "SAME", 2, 2, 1}, Case{"NCHW", "SAME", 1, 2, 1},
                        Case{"NCHW", "VALID", 2, 1, 1}, Case{"NHWC", "SAME", 1, 1, 2}}) {
    Scope root = Scope::NewRootScope();
    const Shape in_shape = ImageShape(c.format, 2, 5, 5, 3);
    const Shape f_shape{3, 3, 3, c.multiplier};
    Output x = Input(root, "x", in_shape), f = Input(root, "f", f_shape);
    Output y = ops::DepthwiseConv2dNative(
        root, x, f, Spatial(c.format, c.stride, c.stride), c.padding,
        ops::DepthwiseConv2dNative::DataFormat(c.format).Dilations(Spatial(c.format, c.dilation, c.dilation)));
    EXPECT_TRUE(
        GradientsMatch(root, {x, f}, {Random(DT_DOUBLE, in_shape), Random(DT_DOUBLE, f_shape, -1, 1, 2)}, {y}, kTol))
        << c.format << " " << c.padding << " stride " << c.stride << " multiplier " << c.multiplier;
  }
}

struct PoolCase {
  std::string format, padding;
  int64_t k, stride;
};

TEST(PoolGradTest, MaxPoolWindowsStridesPaddingsFormats) {
  for (const PoolCase& c : {PoolCase{"NHWC", "VALID", 2, 2}, PoolCase{"NHWC", "SAME", 3, 2},
                            PoolCase{"NCHW", "SAME", 2, 1}, PoolCase{"NCHW", "VALID", 3, 1}}) {
    Scope root = Scope::NewRootScope();
    const Shape in_shape = ImageShape(c.format, 2, 5, 4, 3);
    Output x = Input(root, "x", in_shape);
    Output y = ops::MaxPool(root, x, Spatial(c.format, c.k, c.k), Spatial(c.format, c.stride, c.stride), c.padding,
                            ops::MaxPool::DataFormat(c.format));
    // Distinct inputs: the max of every window is unique, so the gradient is well defined.
    EXPECT_TRUE(GradientsMatch(root, {x}, {testing::Distinct(DT_DOUBLE, in_shape, 4)}, {y}, kTol))
        << c.format << " " << c.padding << " k " << c.k << " stride " << c.stride;
  }
}

TEST(PoolGradTest, AvgPoolWindowsStridesPaddingsFormats) {
  for (const PoolCase& c : {PoolCase{"NHWC", "VALID", 2, 2}, PoolCase{"NHWC", "SAME", 3, 2},
                            PoolCase{"NCHW", "SAME", 2, 1}, PoolCase{"NCHW", "VALID", 3, 1}}) {
    Scope root = Scope::NewRootScope();
    const Shape in_shape = ImageShape(c.format, 2, 5, 4, 3);
    Output x = Input(root, "x", in_shape);
    Output y =
        ops::Square(root, ops::AvgPool(root, x, Spatial(c.format, c.k, c.k), Spatial(c.format, c.stride, c.stride),
                                       c.padding, ops::AvgPool::DataFormat(c.format)));
    EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, in_shape)}, {y}, kTol))
        << c.format << " " << c.padding << " k " << c.k << " stride " << c.stride;
  }
}

// FusedBatchNormV3 computes in float32 only: central differences are good to ~1e-3 there.
TEST(FusedBatchNormV3GradTest, TrainingAndInference) {
  for (bool training : {true, false}) {
    for (const std::string format : {"NHWC", "NCHW"}) {
      Scope root = Scope::NewRootScope();
      const Shape x_shape = ImageShape(format, 2, 2, 3, 3);
      Output x = Input(root, "x", x_shape, DT_FLOAT);
      Output scale = Input(root, "scale", {3}, DT_FLOAT), offset = Input(root, "offset", {3}, DT_FLOAT);
      Output mean = ops::Const(root, {0.1f, -0.2f, 0.3f}), variance = ops::Const(root, {1.5f, 0.7f, 1.1f});
      auto bn = ops::FusedBatchNormV3(root, x, scale, offset, training ? Output(ops::Const(root, 0.f, Shape{0})) : mean,
                                      training ? Output(ops::Const(root, 0.f, Shape{0})) : variance,
                                      ops::FusedBatchNormV3::IsTraining(training).DataFormat(format).Epsilon(0.001f));
      // Weighted so that the training-mode gradient (zero for a plain sum) is not trivial.
      Output y = ops::Mul(root, bn.y, ops::Const(root, Random(DT_FLOAT, x_shape, -1, 1, 7)));
      GradientCheckOptions options;
      options.delta = 1e-2;
      EXPECT_TRUE(GradientsMatch(
          root, {x, scale, offset},
          {Random(DT_FLOAT, x_shape, -2, 2, 1), Random(DT_FLOAT, {3}, 0.5, 1.5, 2), Random(DT_FLOAT, {3}, -1, 1, 3)},
          {y}, 3e-3, options))
          << (training ? "training " : "inference ") << format;
    }
  }
}

TEST(FusedBatchNormV3GradTest, VersionOneSharesTheGradient) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {2, 2, 2, 3}, DT_FLOAT), scale = Input(root, "scale", {3}, DT_FLOAT);
  Output empty = ops::Const(root, 0.f, Shape{0});
  auto bn = ops::FusedBatchNorm(root, x, scale, ops::Const(root, {0.f, 0.f, 0.f}), empty, empty);
  Output y = ops::Mul(root, bn.y, ops::Const(root, Random(DT_FLOAT, {2, 2, 2, 3}, -1, 1, 7)));
  GradientCheckOptions options;
  options.delta = 1e-2;
  EXPECT_TRUE(GradientsMatch(root, {x, scale},
                             {Random(DT_FLOAT, {2, 2, 2, 3}, -2, 2, 1), Random(DT_FLOAT, {3}, 0.5, 1.5, 2)}, {y}, 3e-3,
                             options));
}

}  // namespace
}  // namespace strata
