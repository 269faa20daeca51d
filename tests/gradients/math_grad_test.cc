// Gradients of the math ops (ops/math_grad.cc) against central differences: element-wise unary
// and binary ops (broadcasting shapes, static and dynamic), Select, Cast, AddN, reductions
// (axes, negative axes, keep_dims, unknown rank) and the matmuls.
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/gradients/grad_test_util.h"

namespace strata {
namespace {

using testing::GradientsMatch;
using testing::Random;
using testing::RandomAwayFromZero;
using testing::Values;

constexpr double kTol = 1e-6;  // float64 graphs, delta 1e-3

Output Input(const Scope& s, const char* name, const Shape& shape, DType dtype = DT_DOUBLE) {
  return ops::Placeholder(s.WithOpName(name), dtype, ops::Placeholder::Shape(shape));
}

// ---- Unary -----------------------------------------------------------------------------------------

using UnaryFn = std::function<Output(const Scope&, Output)>;

struct UnaryCase {
  const char* name;
  UnaryFn make;
  double lo, hi;        // input range
  bool away_from_zero;  // inputs in [-hi, -lo] U [lo, hi]
};

class UnaryGradTest : public ::testing::TestWithParam<UnaryCase> {};

TEST_P(UnaryGradTest, MatchesNumeric) {
  const UnaryCase& c = GetParam();
  for (const Shape& shape : {Shape{}, Shape{5}, Shape{2, 3}}) {
    Scope root = Scope::NewRootScope();
    Output x = Input(root, "x", shape);
    Output y = c.make(root, x);
    Tensor value = c.away_from_zero ? RandomAwayFromZero(DT_DOUBLE, shape, c.lo, c.hi, 3)
                                    : Random(DT_DOUBLE, shape, c.lo, c.hi, 3);
    EXPECT_TRUE(GradientsMatch(root, {x}, {value}, {y}, kTol)) << c.name << " " << shape.ToString();
  }
}

#define UNARY(op, lo, hi, away)                                                         \
  UnaryCase {                                                                           \
#op, [](const Scope& s, Output x) -> Output { return ops::op(s, x); }, lo, hi, away \
  }

INSTANTIATE_TEST_SUITE_P(
    Ops, UnaryGradTest,
    ::testing::Values(
        UNARY(Neg, -2, 2, false), UNARY(Abs, 0.1, 2, true), UNARY(Sign, 0.1, 2, true), UNARY(Square, -2, 2, false),
        UNARY(Sqrt, 0.2, 3, false), UNARY(Rsqrt, 0.2, 3, false), UNARY(Reciprocal, 0.2, 3, true),
        UNARY(Exp, -2, 2, false), UNARY(Log, 0.2, 3, false), UNARY(Log1p, -0.5, 3, false), UNARY(Tanh, -2, 2, false),
        UNARY(Sigmoid, -3, 3, false), UNARY(Sin, -3, 3, false), UNARY(Cos, -3, 3, false), UNARY(Erf, -2, 2, false),
        UNARY(Floor, 0.1, 0.9, false), UNARY(Ceil, 0.1, 0.9, false), UNARY(Round, 0.1, 0.4, false),
        UNARY(Relu, 0.1, 2, true), UNARY(Relu6, 0.1, 5.9, true), UNARY(Elu, 0.1, 2, true), UNARY(Selu, 0.1, 2, true),
        UNARY(Softplus, -3, 3, false), UNARY(Identity, -1, 1, false), UNARY(Softsign, 0.1, 2, true),
        UnaryCase{"LeakyRelu",
                  [](const Scope& s, Output x) -> Output { return ops::LeakyRelu(s, x, ops::LeakyRelu::Alpha(0.3f)); },
                  0.1, 2, true},
        UnaryCase{"Relu6Top", [](const Scope& s, Output x) -> Output { return ops::Relu6(s, x); }, 6.1, 8, false}),
    [](const ::testing::TestParamInfo<UnaryCase>& info) { return std::string(info.param.name); });

// ---- Binary with broadcasting ------------------------------------------------------------------

using BinaryFn = std::function<Output(const Scope&, Output, Output)>;

struct BinaryCase {
  const char* name;
  BinaryFn make;
  double x_lo, x_hi, y_lo, y_hi;
};

class BinaryGradTest : public ::testing::TestWithParam<BinaryCase> {};

// Shape pairs: equal, vector against matrix, both broadcast, scalar, rank 3 against rank 2.
const std::vector<std::pair<Shape, Shape>> kBroadcastShapes = {
    {{2, 3}, {2, 3}}, {{2, 3}, {3}}, {{2, 1}, {1, 3}}, {{}, {2, 3}}, {{4, 1, 3}, {2, 1}}};

TEST_P(BinaryGradTest, MatchesNumericWithStaticShapes) {
  const BinaryCase& c = GetParam();
  for (const auto& [xs, ys] : kBroadcastShapes) {
    Scope root = Scope::NewRootScope();
    Output x = Input(root, "x", xs), y = Input(root, "y", ys);
    Output z = c.make(root, x, y);
    EXPECT_TRUE(GradientsMatch(
        root, {x, y}, {Random(DT_DOUBLE, xs, c.x_lo, c.x_hi, 5), Random(DT_DOUBLE, ys, c.y_lo, c.y_hi, 6)}, {z}, kTol))
        << c.name << " " << xs.ToString() << " vs " << ys.ToString();
  }
}

// Unknown dims and ranks: the gradients go through Shape / BroadcastGradientArgs and fold when
// the Session specializes the graph.
TEST_P(BinaryGradTest, MatchesNumericWithDynamicShapes) {
  const BinaryCase& c = GetParam();
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", Shape{-1, 3}), y = Input(root, "y", Shape::UnknownRank());
  Output z = c.make(root, x, y);
  EXPECT_TRUE(GradientsMatch(
      root, {x, y}, {Random(DT_DOUBLE, {2, 3}, c.x_lo, c.x_hi, 7), Random(DT_DOUBLE, {2, 1}, c.y_lo, c.y_hi, 8)}, {z},
      kTol))
      << c.name;
}

#define BINARY(op, xl, xh, yl, yh)                                                                     \
  BinaryCase {                                                                                         \
#op, [](const Scope& s, Output x, Output y) -> Output { return ops::op(s, x, y); }, xl, xh, yl, yh \
  }

INSTANTIATE_TEST_SUITE_P(Ops, BinaryGradTest,
                         ::testing::Values(BINARY(Add, -1, 1, -1, 1), BINARY(AddV2, -1, 1, -1, 1),
                                           BINARY(Sub, -1, 1, -1, 1), BINARY(Mul, -1, 1, -1, 1),
                                           BINARY(Div, -1, 1, 0.5, 2), BINARY(RealDiv, -1, 1, 0.5, 2),
                                           BINARY(Pow, 0.5, 2, -1.5, 1.5), BINARY(SquaredDifference, -1, 1, -1, 1),
                                           BINARY(FloorMod, 0.1, 0.9, 1.1, 1.9), BINARY(Atan2, -1, 1, 0.2, 1)),
                         [](const ::testing::TestParamInfo<BinaryCase>& info) { return std::string(info.param.name); });

// Maximum/Minimum need distinct operands (the gradient jumps where they are equal).
TEST(MaximumMinimumGradTest, MatchesNumeric) {
  for (bool max : {true, false}) {
    for (const auto& [xs, ys] : kBroadcastShapes) {
      Scope root = Scope::NewRootScope();
      Output x = Input(root, "x", xs), y = Input(root, "y", ys);
      Output z = max ? Output(ops::Maximum(root, x, y)) : Output(ops::Minimum(root, x, y));
      Tensor xv = testing::Distinct(DT_DOUBLE, xs, 2);
      Tensor yv = Values(DT_DOUBLE, ys, std::vector<double>(ys.num_elements(), 0.033));
      EXPECT_TRUE(GradientsMatch(root, {x, y}, {xv, yv}, {z}, kTol))
          << (max ? "Maximum " : "Minimum ") << xs.ToString();
    }
  }
}

// Prelu's alpha broadcasts against x (the output keeps x's shape).
TEST(PreluGradTest, MatchesNumeric) {
  for (const Shape& alpha_shape : {Shape{3}, Shape{2, 3}, Shape{}}) {
    Scope root = Scope::NewRootScope();
    Output x = Input(root, "x", {2, 3}), alpha = Input(root, "alpha", alpha_shape);
    Output y = ops::Prelu(root, x, alpha);
    EXPECT_TRUE(GradientsMatch(root, {x, alpha},
                               {RandomAwayFromZero(DT_DOUBLE, {2, 3}), Random(DT_DOUBLE, alpha_shape, 0.1, 0.5, 2)},
                               {y}, kTol))
        << alpha_shape.ToString();
  }
}

TEST(ClipByValueGradTest, TensorAndScalarBounds) {
  Scope root = Scope::NewRootScope();
  Output t = Input(root, "t", {2, 3}), lo = Input(root, "lo", {}), hi = Input(root, "hi", {2, 3});
  Output y = ops::ClipByValue(root, t, lo, hi);
  // Values well inside and outside the bounds (none on them).
  Tensor tv = Values(DT_DOUBLE, {2, 3}, {-2, -0.3, 0.1, 0.4, 0.9, 3});
  Tensor hv = Values(DT_DOUBLE, {2, 3}, {1, 1, 1, 0.6, 0.6, 0.6});
  EXPECT_TRUE(GradientsMatch(root, {t, lo, hi}, {tv, Values(DT_DOUBLE, {}, {-0.5}), hv}, {ops::Square(root, y)}, kTol));
}

TEST(PowGradTest, ZeroBaseGivesZeroExponentGradient) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {2}), y = Input(root, "y", {2});
  Output z = ops::Pow(root, x, y);
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {z}, {x, y}, &dxs));
  absl::StatusOr<std::vector<Tensor>> out =
      testing::RunGraph(root, {{x, Values(DT_DOUBLE, {2}, {0, 2})}, {y, Values(DT_DOUBLE, {2}, {2, 3})}}, dxs);
  GRAD_ASSERT_OK(out.status());
  EXPECT_EQ(testing::AsDoubles((*out)[0]), (std::vector<double>{0, 12}));  // y x^(y-1)
  EXPECT_EQ(testing::AsDoubles((*out)[1])[0], 0.0);                        // log(0) masked
  EXPECT_NEAR(testing::AsDoubles((*out)[1])[1], 8 * std::log(2.0), 1e-12);
}

// ---- Select, Cast, AddN ----------------------------------------------------------------------------

TEST(SelectGradTest, RoutesTheGradientByTheCondition) {
  // Select: condition of the data's shape, and a vector over rows.
  for (const Shape& cond_shape : {Shape{2, 3}, Shape{2}}) {
    Scope root = Scope::NewRootScope();
    Output t = Input(root, "t", {2, 3}), e = Input(root, "e", {2, 3});
    Tensor cond_value(DT_BOOL, cond_shape);
    for (int64_t i = 0; i < cond_value.num_elements(); ++i) cond_value.flat<bool>()[i] = i % 2 == 0;
    Output z = ops::Select(root, ops::Const(root, cond_value), t, e);
    EXPECT_TRUE(
        GradientsMatch(root, {t, e}, {Random(DT_DOUBLE, {2, 3}), Random(DT_DOUBLE, {2, 3}, -1, 1, 2)}, {z}, kTol))
        << cond_shape.ToString();
  }
}

TEST(SelectV2GradTest, BroadcastsConditionAndBranches) {
  Scope root = Scope::NewRootScope();
  Output t = Input(root, "t", {2, 1}), e = Input(root, "e", {3});
  Tensor cond_value(DT_BOOL, Shape{1, 3});
  cond_value.flat<bool>()[0] = true;
  cond_value.flat<bool>()[2] = true;
  Output z = ops::SelectV2(root, ops::Const(root, cond_value), t, e);
  EXPECT_TRUE(GradientsMatch(root, {t, e}, {Random(DT_DOUBLE, {2, 1}), Random(DT_DOUBLE, {3}, -1, 1, 2)}, {z}, kTol));
}

TEST(CastGradTest, FloatToFloatPassesThrough) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {3});
  Output y = ops::Mul(root, ops::Cast(root, ops::Cast(root, x, DT_FLOAT), DT_DOUBLE), x);
  // float32 rounding inside: a float32-sized step, good to about 1e-4.
  GradientCheckOptions options;
  options.delta = 1e-3;
  EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {3})}, {y}, 1e-3, options));
}

TEST(AddNGradTest, EveryInputGetsTheGradient) {
  Scope root = Scope::NewRootScope();
  Output a = Input(root, "a", {2, 2}), b = Input(root, "b", {2, 2});
  Output y = ops::AddN(root, {a, ops::Square(root, b), a});
  EXPECT_TRUE(
      GradientsMatch(root, {a, b}, {Random(DT_DOUBLE, {2, 2}), Random(DT_DOUBLE, {2, 2}, -1, 1, 4)}, {y}, kTol));
}

// ---- Reductions ------------------------------------------------------------------------------------

enum class Reduction { kSum, kMean, kMax, kMin };

Output Reduce(const Scope& s, Reduction r, Output x, Output axes, bool keep_dims) {
  switch (r) {
    case Reduction::kSum:
      return ops::Sum(s, x, axes, ops::Sum::KeepDims(keep_dims));
    case Reduction::kMean:
      return ops::Mean(s, x, axes, ops::Mean::KeepDims(keep_dims));
    case Reduction::kMax:
      return ops::Max(s, x, axes, ops::Max::KeepDims(keep_dims));
    case Reduction::kMin:
      return ops::Min(s, x, axes, ops::Min::KeepDims(keep_dims));
  }
  return Output();
}

class ReductionGradTest : public ::testing::TestWithParam<Reduction> {};

TEST_P(ReductionGradTest, AxesAndKeepDims) {
  const std::vector<std::vector<int>> axes_cases = {{0}, {1}, {-1}, {0, 2}, {0, 1, 2}, {}};
  for (const std::vector<int>& axes : axes_cases) {
    for (bool keep_dims : {false, true}) {
      Scope root = Scope::NewRootScope();
      Output x = Input(root, "x", {2, 3, 4});
      Output axes_tensor =
          ops::Const(root, Tensor::FromVector<int32_t>(std::vector<int32_t>(axes.begin(), axes.end())));
      Output y = Reduce(root, GetParam(), x, axes_tensor, keep_dims);
      EXPECT_TRUE(GradientsMatch(root, {x}, {testing::Distinct(DT_DOUBLE, {2, 3, 4}, 3)}, {y}, kTol))
          << "axes " << axes.size() << " keep_dims " << keep_dims;
    }
  }
}

// Unknown rank and a partially known shape: the kept-dims shape is computed in the graph.
TEST_P(ReductionGradTest, DynamicShapes) {
  for (const Shape& declared : {Shape::UnknownRank(), Shape{-1, 3, -1}}) {
    Scope root = Scope::NewRootScope();
    Output x = Input(root, "x", declared);
    Output y = Reduce(root, GetParam(), x, ops::Const(root, {-1, 0}), false);
    EXPECT_TRUE(GradientsMatch(root, {x}, {testing::Distinct(DT_DOUBLE, {2, 3, 4}, 5)}, {y}, kTol))
        << declared.ToString();
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, ReductionGradTest,
                         ::testing::Values(Reduction::kSum, Reduction::kMean, Reduction::kMax, Reduction::kMin));

TEST(MaxGradTest, TiesShareTheGradient) {
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {4});
  Output y = ops::Max(root, x, ops::Const(root, {0}));
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {x}, &dxs));
  absl::StatusOr<std::vector<Tensor>> out = testing::RunGraph(root, {{x, Values(DT_DOUBLE, {4}, {1, 3, 3, 2})}}, dxs);
  GRAD_ASSERT_OK(out.status());
  EXPECT_EQ(testing::AsDoubles((*out)[0]), (std::vector<double>{0, 0.5, 0.5, 0}));
}

TEST(ProdGradTest, AxesKeepDimsAndZeros) {
  const std::vector<std::vector<int>> axes_cases = {{0}, {-1}, {0, 2}, {1, 0, 2}, {}};
  for (const std::vector<int>& axes : axes_cases) {
    for (bool keep_dims : {false, true}) {
      Scope root = Scope::NewRootScope();
      Output x = Input(root, "x", {2, 3, 4});
      Output axes_tensor =
          ops::Const(root, Tensor::FromVector<int32_t>(std::vector<int32_t>(axes.begin(), axes.end())));
      Output y = ops::Prod(root, x, axes_tensor, ops::Prod::KeepDims(keep_dims));
      EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {2, 3, 4}, 0.5, 1.5, 3)}, {y}, kTol))
          << "axes " << axes.size() << " keep_dims " << keep_dims;
    }
  }
  // A zero in the product: the other elements still get the product of the rest.
  Scope root = Scope::NewRootScope();
  Output x = Input(root, "x", {4});
  Output y = ops::Prod(root, x, ops::Const(root, {0}));
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {x}, &dxs));
  absl::StatusOr<std::vector<Tensor>> out = testing::RunGraph(root, {{x, Values(DT_DOUBLE, {4}, {2, 0, 3, 5})}}, dxs);
  GRAD_ASSERT_OK(out.status());
  EXPECT_EQ(testing::AsDoubles((*out)[0]), (std::vector<double>{0, 30, 0, 0}));
  // Partly unknown shapes work; an unknown rank does not.
  Scope dyn = Scope::NewRootScope();
  Output xd = Input(dyn, "x", Shape{-1, 3});
  Output yd = ops::Prod(dyn, xd, ops::Const(dyn, {1}));
  EXPECT_TRUE(GradientsMatch(dyn, {xd}, {Random(DT_DOUBLE, {2, 3}, 0.5, 1.5)}, {yd}, kTol));
  Scope unknown = Scope::NewRootScope();
  Output xu = Input(unknown, "x", Shape::UnknownRank());
  Output yu = ops::Prod(unknown, xu, ops::Const(unknown, {0}));
  EXPECT_EQ(AddSymbolicGradients(unknown, {yu}, {xu}, &dxs).code(), absl::StatusCode::kUnimplemented);
}

TEST(CumulativeGradTest, CumsumAndCumprod) {
  for (bool exclusive : {false, true}) {
    for (bool reverse : {false, true}) {
      for (int axis : {0, -1}) {
        Scope root = Scope::NewRootScope();
        Output x = Input(root, "x", {3, 4});
        Output s = ops::Cumsum(root, x, ops::Const(root, axis), ops::Cumsum::Exclusive(exclusive).Reverse(reverse));
        Output p = ops::Cumprod(root, x, ops::Const(root, axis), ops::Cumprod::Exclusive(exclusive).Reverse(reverse));
        EXPECT_TRUE(GradientsMatch(root, {x}, {Random(DT_DOUBLE, {3, 4}, 0.5, 1.5)}, {ops::Square(root, s), p}, kTol))
            << "exclusive " << exclusive << " reverse " << reverse << " axis " << axis;
      }
    }
  }
}

// ---- Matmuls ---------------------------------------------------------------------------------------

TEST(MatMulGradTest, EveryTransposeCombination) {
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      Scope root = Scope::NewRootScope();
      const Shape a_shape = ta ? Shape{3, 2} : Shape{2, 3};
      const Shape b_shape = tb ? Shape{4, 3} : Shape{3, 4};
      Output a = Input(root, "a", a_shape), b = Input(root, "b", b_shape);
      Output y = ops::MatMul(root, a, b, ops::MatMul::TransposeA(ta).TransposeB(tb));
      EXPECT_TRUE(GradientsMatch(
          root, {a, b}, {Random(DT_DOUBLE, a_shape, -1, 1, 1), Random(DT_DOUBLE, b_shape, -1, 1, 2)}, {y}, kTol))
          << "transpose_a " << ta << " transpose_b " << tb;
    }
  }
}

TEST(BatchMatMulV2GradTest, AdjointsAndBroadcastBatches) {
  struct Case {
    Shape x, y;
    bool adj_x, adj_y;
  };
  for (const Case& c : {Case{{2, 2, 3}, {2, 3, 4}, false, false}, Case{{2, 3, 2}, {2, 3, 4}, true, false},
                        Case{{2, 2, 3}, {2, 4, 3}, false, true}, Case{{2, 3, 2}, {4, 3}, true, true},
                        Case{{2, 3}, {3, 1, 3, 2}, false, false}, Case{{1, 2, 3}, {2, 1, 3, 2}, false, false}}) {
    Scope root = Scope::NewRootScope();
    Output x = Input(root, "x", c.x), y = Input(root, "y", c.y);
    Output z = ops::BatchMatMulV2(root, x, y, ops::BatchMatMulV2::AdjX(c.adj_x).AdjY(c.adj_y));
    EXPECT_TRUE(
        GradientsMatch(root, {x, y}, {Random(DT_DOUBLE, c.x, -1, 1, 1), Random(DT_DOUBLE, c.y, -1, 1, 2)}, {z}, kTol))
        << c.x.ToString() << " x " << c.y.ToString();
  }
}

TEST(MatMulGradTest, Float32OnTheReferenceBackend) {
  Scope root = Scope::NewRootScope();
  Output a = Input(root, "a", {3, 4}, DT_FLOAT), b = Input(root, "b", {4, 2}, DT_FLOAT);
  Output y = ops::Tanh(root, ops::MatMul(root, a, b));
  GradientCheckOptions options;
  options.session = testing::Backend("reference");
  EXPECT_TRUE(
      GradientsMatch(root, {a, b}, {Random(DT_FLOAT, {3, 4}), Random(DT_FLOAT, {4, 2}, -1, 1, 2)}, {y}, 2e-3, options));
}

}  // namespace
}  // namespace strata
