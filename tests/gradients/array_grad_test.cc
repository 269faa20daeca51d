// Gradients of the array and slicing ops (ops/array_grad.cc) against central differences:
// reshapes, transposes (constant and computed perms), concatenation and splitting (negative
// axes, unused outputs, dynamic shapes), Slice, StridedSlice (every mask, negative strides), Pad,
// Tile, BroadcastTo, GatherV2 (axes, batch_dims, repeated indices) and Fill.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/gradients/grad_test_util.h"

namespace strata {
namespace {

using testing::GradientsMatch;
using testing::Random;

constexpr double kTol = 1e-6;

Output Input(const Scope& s, const char* name, const Shape& shape, DType dtype = DT_DOUBLE) {
  return ops::Placeholder(s.WithOpName(name), dtype, ops::Placeholder::Shape(shape));
}

// Squares its input so that every gradient depends on the values that flowed through.
Output Sq(const Scope& s, Output x) { return ops::Square(s, x); }

TEST(ArrayGradTest, IdentityLikeOps) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {2, 3});
  Output pwd = ops::PlaceholderWithDefault(root, x, Shape{2, 3});
  auto idn = ops::IdentityN(root, {x, pwd});
  Output y = ops::AddV2(root, Sq(root, ops::Identity(root, idn[0])), ops::Mul(root, idn[1], 3.0));
  EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {2, 3})}, {y}, kTol));
}

TEST(ArrayGradTest, ReshapeSqueezeExpandDims) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {2, 1, 3});
  Output a = ops::Reshape(root, x, ops::Const(root, {3, -1}));
  Output b = ops::ExpandDims(root, ops::Squeeze(root, x), ops::Const(root, -1));
  EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {2, 1, 3})}, {Sq(root, a), Sq(root, b)}, kTol));
  // Unknown dims: the gradient reshapes to Shape(x) at run time.
  Scope dyn = Scope::NewRootScope();
  Output xd = Input(dyn, "x", Shape{-1, 1, -1});
  Output ad = ops::Reshape(dyn, xd, ops::Const(dyn, {-1}));
  EXPECT_TRUE(GradientsMatch(dyn, {xd}, {Random(DT_DOUBLE, {2, 1, 3})}, {Sq(dyn, ad)}, kTol));
}

TEST(ArrayGradTest, TransposeWithConstantAndComputedPerm) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {2, 3, 4});
  Output y = ops::Transpose(root, x, ops::Const(root, {1, 2, 0}));
  EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {2, 3, 4})}, {Sq(root, y)}, kTol));
  // The perm of an unknown-rank input is computed in the graph (it folds once specialized).
  Scope dyn = Scope::NewRootScope();
  Output xd = Input(dyn, "x", Shape::UnknownRank());
  Output rank = ops::Rank(dyn, xd);
  Output perm = ops::Range(dyn, ops::Sub(dyn, rank, 1), -1, -1);  // reverse the dims
  Output yd = ops::Transpose(dyn, xd, perm);
  EXPECT_TRUE(GradientsMatch(dyn, {xd}, {Random(DT_DOUBLE, {2, 3, 4})}, {Sq(dyn, yd)}, kTol));
}

TEST(ArrayGradTest, ReverseV2) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {2, 3, 2});
  Output y = ops::ReverseV2(root, x, ops::Const(root, {0, -1}));
  EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {2, 3, 2})},
                             {ops::Mul(root, y, ops::Const(root, Random(DT_DOUBLE, {2, 3, 2}, -1, 1, 5)))}, kTol));
}

TEST(ArrayGradTest, ConcatV2Axes) {
  for (int axis : {0, 1, -1, -2}) {
    Scope root = Scope::NewRootScope();
    Output a = Input(root, "a", {2, 3}), b = Input(root, "b", {2, 3}), c = Input(root, "c", {2, 3});
    Output y = ops::ConcatV2(root, {a, b, c}, ops::Const(root, axis));
    EXPECT_TRUE(GradientsMatch(
        root, {a, b, c},
        {Random(DT_DOUBLE, {2, 3}, -1, 1, 1), Random(DT_DOUBLE, {2, 3}, -1, 1, 2), Random(DT_DOUBLE, {2, 3}, -1, 1, 3)},
        {Sq(root, y)}, kTol))
        << "axis " << axis;
  }
  // Pieces of different, partly unknown sizes.
  Scope root = Scope::NewRootScope();
  Output a = Input(root, "a", Shape{-1, 2}), b = Input(root, "b", Shape{-1, 2});
  Output y = ops::ConcatV2(root, {a, b}, ops::Const(root, 0));
  EXPECT_TRUE(GradientsMatch(root, {a, b}, {Random(DT_DOUBLE, {1, 2}), Random(DT_DOUBLE, {3, 2}, -1, 1, 2)},
                             {Sq(root, y)}, kTol));
}

TEST(ArrayGradTest, PackAndUnpack) {
  for (int axis : {0, 1, -1}) {
    Scope root = Scope::NewRootScope();
    Output a = Input(root, "a", {2, 3}), b = Input(root, "b", {2, 3});
    Output packed = ops::Pack(root, {a, b}, ops::Pack::Axis(axis));
    // Unpacked along the dim of size 3 (the last one unless that is the packed one).
    auto unpacked = ops::Unpack(root, Sq(root, packed), 3, ops::Unpack::Axis(axis == -1 ? 1 : 2));
    // Only two of the three pieces are used: the third gets zeros.
    Output y = ops::AddV2(root, unpacked[0], ops::Mul(root, unpacked[2], 2.0));
    EXPECT_TRUE(
        GradientsMatch(root, {a, b}, {Random(DT_DOUBLE, {2, 3}), Random(DT_DOUBLE, {2, 3}, -1, 1, 2)}, {y}, kTol))
        << "axis " << axis;
  }
}

TEST(ArrayGradTest, SplitAndSplitV) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {4, 6});
  auto even = ops::Split(root, ops::Const(root, 1), x, 3);
  auto uneven = ops::SplitV(root, x, ops::Const(root, {1, -1}), ops::Const(root, -2), 2);
  Output y = ops::AddV2(root, Sq(root, even[2]), ops::Sum(root, uneven[1], ops::Const(root, {0, 1})));
  EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {4, 6})}, {y}, kTol));
}

TEST(ArrayGradTest, SliceStaticAndDynamic) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {3, 4});
  Output y = ops::Slice(root, x, ops::Const(root, {1, 1}), ops::Const(root, {2, -1}));
  EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {3, 4})}, {Sq(root, y)}, kTol));
  Scope dyn = Scope::NewRootScope();
  Output xd = Input(dyn, "x", Shape{-1, -1});
  Output yd = ops::Slice(dyn, xd, ops::Const(dyn, {0, 2}), ops::Const(dyn, {-1, 2}));
  EXPECT_TRUE(GradientsMatch(dyn, {xd}, {Random(DT_DOUBLE, {3, 4})}, {Sq(dyn, yd)}, kTol));
}

TEST(ArrayGradTest, StridedSliceMasksAndStrides) {
  struct Case {
    std::vector<int> begin, end, strides;
    int begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask;
  };
  for (const Case& c : {Case{{0, 1}, {3, 4}, {2, 2}, 0, 0, 0, 0, 0},              // strided
                        Case{{-1, 0}, {-4, 4}, {-1, 1}, 0, 0, 0, 0, 0},           // negative stride
                        Case{{0, 3}, {0, 0}, {1, -2}, 1, 1, 0, 0, 0},             // masked bounds
                        Case{{1, 0}, {2, 0}, {1, 1}, 0, 2, 0, 0, 1},              // shrink the first dim
                        Case{{0, 1}, {0, 3}, {1, 1}, 0, 0, 1, 0, 0},              // ellipsis
                        Case{{0, 0, 2}, {0, 3, 4}, {1, 1, 1}, 0, 0, 0, 1, 0}}) {  // new axis
    Scope root = Scope::NewRootScope();
    Output x = Input(root, "x", {3, 4});
    auto attrs = ops::StridedSlice::BeginMask(c.begin_mask)
                     .EndMask(c.end_mask)
                     .EllipsisMask(c.ellipsis_mask)
                     .NewAxisMask(c.new_axis_mask)
                     .ShrinkAxisMask(c.shrink_axis_mask);
    Output y = ops::StridedSlice(
        root, x, ops::Const(root, Tensor::FromVector<int32_t>(std::vector<int32_t>(c.begin.begin(), c.begin.end()))),
        ops::Const(root, Tensor::FromVector<int32_t>(std::vector<int32_t>(c.end.begin(), c.end.end()))),
        ops::Const(root, Tensor::FromVector<int32_t>(std::vector<int32_t>(c.strides.begin(), c.strides.end()))), attrs);
    EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {3, 4})}, {Sq(root, y)}, kTol))
        << "masks " << c.begin_mask << c.end_mask << c.ellipsis_mask << c.new_axis_mask << c.shrink_axis_mask;
  }
}

TEST(ArrayGradTest, PadAndPadV2) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {2, 3});
  Output paddings = ops::Const(root, {{1, 0}, {2, 1}});
  Output a = ops::Pad(root, x, paddings);
  Output b = ops::PadV2(root, x, paddings, ops::Const(root, 0.5, DT_DOUBLE));
  EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {2, 3})}, {Sq(root, a), Sq(root, b)}, kTol));
}

TEST(ArrayGradTest, TileStaticAndDynamic) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {2, 3});
  Output y = ops::Tile(root, x, ops::Const(root, {2, 3}));
  EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {2, 3})}, {Sq(root, y)}, kTol));
  Scope dyn = Scope::NewRootScope();
  Output xd = Input(dyn, "x", Shape{-1, 3});
  Output yd = ops::Tile(dyn, xd, ops::Const(dyn, {3, 1}));
  EXPECT_TRUE(GradientsMatch(dyn, {xd}, {Random(DT_DOUBLE, {2, 3})}, {Sq(dyn, yd)}, kTol));
}

TEST(ArrayGradTest, BroadcastTo) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {3, 1});
  Output y = ops::BroadcastTo(root, x, ops::Const(root, {2, 3, 4}));
  EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {3, 1})}, {Sq(root, y)}, kTol));
}

TEST(ArrayGradTest, GatherV2AxesBatchDimsAndRepeats) {
  struct Case {
    Shape params;
    Tensor indices;
    int axis, batch_dims;
  };
  const std::vector<Case> cases = {
      {{5, 3}, Tensor::FromVector<int32_t>(std::vector<int32_t>{4, 0, 4, 2}), 0, 0},
      {{2, 5, 3},
       Tensor::FromVector<int32_t>(absl::MakeConstSpan(std::vector<int32_t>{1, 1, 3, 0}), Shape{2, 2}),
       1,
       0},
      {{2, 3, 4}, Tensor::FromVector<int64_t>(std::vector<int64_t>{3, 0}), -1, 0},
      {{2, 4, 3},
       Tensor::FromVector<int32_t>(absl::MakeConstSpan(std::vector<int32_t>{0, 3, 3, 1, 1, 2}), Shape{2, 3}),
       1,
       1},
  };
  for (const Case& c : cases) {
    Scope root = Scope::NewRootScope();
    Output params = Input(root, "params", c.params);
    Output y = ops::GatherV2(root, params, ops::Const(root, c.indices), ops::Const(root, c.axis),
                             ops::GatherV2::BatchDims(c.batch_dims));
    EXPECT_TRUE(GradientsMatch(root, {params}, {Random(DT_DOUBLE, c.params)}, {Sq(root, y)}, kTol))
        << c.params.ToString() << " axis " << c.axis << " batch_dims " << c.batch_dims;
  }
}

TEST(ArrayGradTest, GatherV2WithAnUnknownBatch) {
  Scope root = Scope::NewRootScope();
  Output params = Input(root, "params", {6, 2});
  Output indices = ops::Placeholder(root.WithOpName("indices"), DT_INT32, ops::Placeholder::Shape({-1}));
  Output y = ops::GatherV2(root, params, indices, ops::Const(root, 0));
  GradientCheckOptions options;
  options.extra_feeds = {{"indices", Tensor::FromVector<int32_t>(std::vector<int32_t>{5, 1, 5})}};
  EXPECT_TRUE(GradientsMatch(root, {params}, {Random(DT_DOUBLE, {6, 2})}, {Sq(root, y)}, kTol, options));
}

TEST(ArrayGradTest, GatherNdFullAndPartialIndices) {
  struct Case {
    Shape params;
    Tensor indices;
  };
  const std::vector<Case> cases = {
      {{3, 4}, Tensor::FromVector<int32_t>(absl::MakeConstSpan(std::vector<int32_t>{2, 1, 0, 3, 2, 1}), Shape{3, 2})},
      {{4, 2, 3}, Tensor::FromVector<int64_t>(absl::MakeConstSpan(std::vector<int64_t>{3, 0, 3}), Shape{3, 1})},
      {{3, 2, 2}, Tensor::FromVector<int32_t>(absl::MakeConstSpan(std::vector<int32_t>{1, 0, 2, 1}), Shape{2, 1, 2})},
  };
  for (const Case& c : cases) {
    Scope root = Scope::NewRootScope();
    Output params = Input(root, "params", c.params);
    Output y = ops::GatherNd(root, params, ops::Const(root, c.indices));
    EXPECT_TRUE(GradientsMatch(root, {params}, {Random(DT_DOUBLE, c.params)}, {Sq(root, y)}, kTol))
        << c.params.ToString() << " indices " << c.indices.shape().ToString();
  }
}

TEST(ArrayGradTest, MirrorPadReflectAndSymmetric) {
  for (const char* mode : {"REFLECT", "SYMMETRIC"}) {
    Scope root = Scope::NewRootScope();
    Output x = Input(root, "x", {3, 4});
    Output y = ops::MirrorPad(root, x, ops::Const(root, {{2, 1}, {0, 2}}), mode);
    EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {3, 4})},
                               {ops::Mul(root, y, ops::Const(root, Random(DT_DOUBLE, {6, 6}, -1, 1, 5)))}, kTol))
        << mode;
  }
}

TEST(ArrayGradTest, FillValue) {
  Scope root = Scope::NewRootScope();
  Output v = Input(root, "v", {});
  Output y = ops::Fill(root, ops::Const(root, {2, 3}), v);
  EXPECT_TRUE(GradientsMatch(root, {v}, {Random(DT_DOUBLE, {})}, {Sq(root, y)}, kTol));
}

}  // namespace
}  // namespace strata
