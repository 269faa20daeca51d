// Gradients of the image ops (ops/image_grad.cc) against central differences: ResizeBilinear and
// ResizeNearestNeighbor (up and down, align_corners, half_pixel_centers), DepthToSpace and
// SpaceToDepth.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/gradients/grad_test_util.h"

namespace strata {
namespace {

using testing::GradientsMatch;
using testing::Random;

Output Input(const Scope& s, const char* name, const Shape& shape, DType dtype = DT_DOUBLE) {
  return ops::Placeholder(s.WithOpName(name), dtype, ops::Placeholder::Shape(shape));
}

struct ResizeCase {
  int out_h, out_w;
  bool align_corners, half_pixel_centers;
};

const std::vector<ResizeCase> kResizeCases = {
    {6, 8, false, false}, {6, 8, true, false}, {6, 8, false, true},  // up
    {2, 3, false, false}, {2, 3, true, false}, {2, 3, false, true},  // down
    {3, 7, false, true},                                             // mixed
};

TEST(ResizeGradTest, Bilinear) {
  for (const ResizeCase& c : kResizeCases) {
    Scope root = Scope::NewRootScope();
    Output images = Input(root, "images", {2, 3, 4, 2});
    Output y =
        ops::ResizeBilinear(root, images, ops::Const(root, {c.out_h, c.out_w}),
                            ops::ResizeBilinear::AlignCorners(c.align_corners).HalfPixelCenters(c.half_pixel_centers));
    // The output is float32 whatever the input: central differences are good to ~1e-4.
    GradientCheckOptions options;
    options.delta = 1e-3;
    EXPECT_TRUE(
        GradientsMatch(root, {images}, {Random(DT_DOUBLE, {2, 3, 4, 2})}, {ops::Square(root, y)}, 1e-3, options))
        << c.out_h << "x" << c.out_w << " align_corners " << c.align_corners << " half_pixel_centers "
        << c.half_pixel_centers;
  }
}

TEST(ResizeGradTest, NearestNeighbor) {
  for (const ResizeCase& c : kResizeCases) {
    Scope root = Scope::NewRootScope();
    Output images = Input(root, "images", {2, 3, 4, 2});
    Output y = ops::ResizeNearestNeighbor(
        root, images, ops::Const(root, {c.out_h, c.out_w}),
        ops::ResizeNearestNeighbor::AlignCorners(c.align_corners).HalfPixelCenters(c.half_pixel_centers));
    EXPECT_TRUE(GradientsMatch(root, {images}, {Random(DT_DOUBLE, {2, 3, 4, 2})}, {ops::Square(root, y)}, 1e-6))
        << c.out_h << "x" << c.out_w << " align_corners " << c.align_corners << " half_pixel_centers "
        << c.half_pixel_centers;
  }
}

TEST(BlockRearrangeGradTest, DepthToSpaceAndSpaceToDepth) {
  for (const std::string format : {"NHWC", "NCHW"}) {
    Scope root = Scope::NewRootScope();
    const Shape deep = format == "NHWC" ? Shape{1, 2, 3, 8} : Shape{1, 8, 2, 3};
    const Shape wide = format == "NHWC" ? Shape{1, 4, 6, 2} : Shape{1, 2, 4, 6};
    Output a = Input(root, "a", deep), b = Input(root, "b", wide);
    Output y1 = ops::DepthToSpace(root, a, 2, ops::DepthToSpace::DataFormat(format));
    Output y2 = ops::SpaceToDepth(root, b, 2, ops::SpaceToDepth::DataFormat(format));
    EXPECT_TRUE(GradientsMatch(root, {a, b}, {Random(DT_DOUBLE, deep), Random(DT_DOUBLE, wide, -1, 1, 2)},
                               {ops::Square(root, y1), ops::Square(root, y2)}, 1e-6))
        << format;
  }
}

}  // namespace
}  // namespace strata
