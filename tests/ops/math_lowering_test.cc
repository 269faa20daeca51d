// Lowerings of ops/math_ops.cc, run by the reference evaluator: hand-computed values (TF's
// documented semantics: C division for Div, Python's // and % for FloorDiv/FloorMod, half-to-even
// Round, Cast's Truncate), NumPy goldens (tests/golden/math_goldens.py writes
// tests/data/golden/math/), and the errors a lowering reports.
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "graph/graph.h"
#include "graph/npy.h"
#include "graph/tensor.h"
#include "gtest/gtest.h"
#include "ops/lowering.h"
#include "ops/registry.h"
#include "runtime/reference/evaluator.h"
#include "runtime/reference/host_builder.h"
#include "tests/ops/op_test_util.h"

namespace strata::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A tensor of `dtype` from values given as doubles (exact for the values used here).
Tensor T(DType dtype, Shape shape, std::vector<double> values) {
  Tensor d = Tensor::FromVector<double>(absl::MakeConstSpan(values), shape);
  absl::StatusOr<Tensor> t = d.Cast(dtype);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Tensor();
}
Tensor F32(Shape s, std::vector<double> v) { return T(DT_FLOAT, std::move(s), std::move(v)); }
Tensor I32(Shape s, std::vector<double> v) { return T(DT_INT32, std::move(s), std::move(v)); }
Tensor Bools(Shape s, std::vector<double> v) { return T(DT_BOOL, std::move(s), std::move(v)); }

// Evaluates `op` on constant inputs (static shapes, as a lowering sees them after shape
// inference) and returns output 0.
absl::StatusOr<Tensor> Eval(const std::string& op, const std::vector<Tensor>& inputs, AttrMap attrs = {}) {
  OpTester t;
  std::vector<OpInput> ins;
  for (const Tensor& x : inputs) ins.push_back(OpInput::Const(x));
  absl::StatusOr<OpResult> r = t.Run(op, ins, std::move(attrs));
  if (!r.ok()) return r.status();
  absl::StatusOr<std::vector<Tensor>> out = EvaluateNode(*t.graph().FindNode("op"), inputs);
  if (!out.ok()) return out.status();
  return (*out)[0];
}

// Like Eval, but the op's inputs are Placeholders of unknown shape during shape inference, so
// that inputs the shape function would reject reach the lowering.
absl::StatusOr<Tensor> EvalUnchecked(const std::string& op, const std::vector<Tensor>& inputs, AttrMap attrs = {}) {
  OpTester t;
  std::vector<OpInput> ins;
  for (const Tensor& x : inputs) ins.push_back(OpInput::Var(x.dtype(), Shape::UnknownRank()));
  absl::StatusOr<OpResult> r = t.Run(op, ins, std::move(attrs));
  if (!r.ok()) return r.status();
  absl::StatusOr<std::vector<Tensor>> out = EvaluateNode(*t.graph().FindNode("op"), inputs);
  if (!out.ok()) return out.status();
  return (*out)[0];
}

// The output as doubles (half and bfloat16 widen exactly).
std::vector<double> Values(const Tensor& t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.num_elements(); ++i) v.push_back(t.ElementAsDouble(i));
  return v;
}

// Equality where NaN equals NaN (and -0 equals 0).
bool SameValue(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

void ExpectValues(const absl::StatusOr<Tensor>& got, DType dtype, const Shape& shape, const std::vector<double>& want,
                  double rtol = 0) {
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(DTypeName(got->dtype()), DTypeName(dtype));
  EXPECT_EQ(got->shape().ToString(), shape.ToString());
  std::vector<double> v = Values(*got);
  ASSERT_EQ(v.size(), want.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const bool close = SameValue(v[i], want[i]) || std::abs(v[i] - want[i]) <= rtol * std::abs(want[i]);
    EXPECT_TRUE(close) << "element " << i << ": got " << v[i] << ", want " << want[i];
  }
}

// ---------------------------------------------------------------------------------------------
// Division family: TF's Div is C division on integers; FloorDiv/FloorMod follow Python.

constexpr double kInt32Min = -2147483648.0;

TEST(MathLoweringTest, DivTruncatesIntegersTowardZero) {
  ExpectValues(Eval("Div", {I32({6}, {-7, 7, -7, 7, kInt32Min, 5}), I32({6}, {2, -2, -2, 2, -1, 0})}), DT_INT32, {6},
               {-3, -3, 3, 3, kInt32Min, 0});  // INT_MIN / -1 wraps; x / 0 is 0 (TF: an error)
  ExpectValues(Eval("Div", {F32({3}, {-7, 1, 1}), F32({}, {2})}), DT_FLOAT, {3}, {-3.5, 0.5, 0.5});
  ExpectValues(Eval("RealDiv", {F32({3}, {1, -1, 0}), F32({3}, {0, 0, 0})}), DT_FLOAT, {3}, {kInf, -kInf, kNaN});
}

TEST(MathLoweringTest, FloorDivRoundsTowardNegativeInfinity) {
  ExpectValues(Eval("FloorDiv", {I32({7}, {-7, 7, -7, 7, -1, kInt32Min, 6}), I32({7}, {2, -2, -2, 2, 3, -1, 3})}),
               DT_INT32, {7}, {-4, -4, 3, 3, -1, kInt32Min, 2});
  // Floats: floor(x / y). 1.0 // 0.1 is 10 in TF (NumPy's floor_divide says 9).
  ExpectValues(Eval("FloorDiv", {T(DT_DOUBLE, {4}, {1.0, -7.5, 7.5, -0.5}), T(DT_DOUBLE, {4}, {0.1, 2, -2, 4})}),
               DT_DOUBLE, {4}, {10, -4, -4, -1});
  ExpectValues(Eval("FloorDiv", {T(DT_UINT8, {2}, {250, 7}), T(DT_UINT8, {2}, {7, 250})}), DT_UINT8, {2}, {35, 0});
}

TEST(MathLoweringTest, FloorModTakesTheDivisorsSign) {
  ExpectValues(Eval("FloorMod", {I32({6}, {-7, 7, -7, 7, kInt32Min, 5}), I32({6}, {2, -2, -2, 2, -1, 0})}), DT_INT32,
               {6}, {1, -1, -1, 1, 0, 0});
  ExpectValues(Eval("FloorMod", {F32({5}, {-7.5, 7.5, -5, 5, 6}), F32({5}, {2, -2, kInf, kInf, 0})}), DT_FLOAT, {5},
               {0.5, -0.5, kInf, 5, kNaN});  // -5 % inf is inf, as in Python
  ExpectValues(Eval("FloorMod", {T(DT_UINT8, {2}, {250, 3}), T(DT_UINT8, {}, {7})}), DT_UINT8, {2}, {5, 3});
  // x == FloorDiv(x, y) * y + FloorMod(x, y) for every sign combination.
  for (int x : {-9, -4, 0, 5, 13}) {
    for (int y : {-4, -3, 3, 4}) {
      absl::StatusOr<Tensor> q = Eval("FloorDiv", {I32({}, {double(x)}), I32({}, {double(y)})});
      absl::StatusOr<Tensor> r = Eval("FloorMod", {I32({}, {double(x)}), I32({}, {double(y)})});
      ASSERT_TRUE(q.ok() && r.ok());
      EXPECT_EQ(q->scalar<int32_t>() * y + r->scalar<int32_t>(), x) << x << ", " << y;
    }
  }
}

TEST(MathLoweringTest, PowOnIntegersIsExact) {
  ExpectValues(Eval("Pow", {I32({5}, {2, -2, 0, 3, 1}), I32({5}, {10, 3, 0, -1, -5})}), DT_INT32, {5},
               {1024, -8, 1, 0, 1});  // negative exponents: the primitive's rule (TF: an error)
  Tensor base = Tensor::FromVector<int64_t>({3, -3});
  Tensor expo = Tensor::FromVector<int64_t>({39, 39});
  absl::StatusOr<Tensor> p = Eval("Pow", {base, expo});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->flat<int64_t>()[0], 4052555153018976267);  // 3^39, beyond double's 53 bits
  EXPECT_EQ(p->flat<int64_t>()[1], -4052555153018976267);
}

TEST(MathLoweringTest, RoundIsHalfToEven) {
  ExpectValues(Eval("Round", {F32({7}, {0.5, 1.5, 2.5, -0.5, -2.5, 2.4999998, -3.5})}), DT_FLOAT, {7},
               {0, 2, 2, -0.0, -2, 2, -4});
  ExpectValues(Eval("Round", {I32({2}, {-3, 4})}), DT_INT32, {2}, {-3, 4});
}

TEST(MathLoweringTest, ReciprocalAndSquare) {
  ExpectValues(Eval("Reciprocal", {I32({4}, {1, -1, 2, 0})}), DT_INT32, {4}, {1, -1, 0, 0});
  ExpectValues(Eval("Reciprocal", {F32({2}, {4, -0.0})}), DT_FLOAT, {2}, {0.25, -kInf});
  ExpectValues(Eval("Square", {I32({2}, {-3, 46341})}), DT_INT32, {2}, {9, -2147479015});  // wraps
}

TEST(MathLoweringTest, MaximumMinimumPropagateNaN) {
  ExpectValues(Eval("Maximum", {F32({3}, {kNaN, 1, -0.5}), F32({3}, {1, kNaN, 2})}), DT_FLOAT, {3}, {kNaN, kNaN, 2});
  ExpectValues(Eval("Minimum", {F32({2, 1}, {kNaN, 3}), F32({2}, {1, 4})}), DT_FLOAT, {2, 2}, {kNaN, kNaN, 1, 3});
}

// ---------------------------------------------------------------------------------------------
// Comparisons, Equal with incompatible shapes, logical ops, AddN.

TEST(MathLoweringTest, EqualWithIncompatibleShapesIsAScalar) {
  AttrMap lenient{{"incompatible_shape_error", MakeAttr(false)}};
  Tensor a = I32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = I32({2}, {1, 2});
  ExpectValues(Eval("Equal", {a, b}, lenient), DT_BOOL, {}, {0});
  ExpectValues(Eval("NotEqual", {a, b}, lenient), DT_BOOL, {}, {1});
  // Shapes that broadcast compare element-wise whatever the flag says.
  ExpectValues(Eval("Equal", {a, I32({3}, {1, 5, 3})}, lenient), DT_BOOL, {2, 3}, {1, 0, 1, 0, 1, 0});
  // With the default (true), the lowering reports the shapes.
  absl::StatusOr<Tensor> strict = EvalUnchecked("Equal", {a, b});
  ASSERT_FALSE(strict.ok());
  EXPECT_THAT(strict.status().message(), AllOf(HasSubstr("'op'"), HasSubstr("Equal"), HasSubstr("[2,3]")));
}

TEST(MathLoweringTest, ComparisonsAndLogicalOps) {
  ExpectValues(Eval("Less", {F32({3}, {1, kNaN, 3}), F32({}, {2})}), DT_BOOL, {3}, {1, 0, 0});
  ExpectValues(Eval("GreaterEqual", {I32({2, 1}, {1, 2}), I32({2}, {1, 2})}), DT_BOOL, {2, 2}, {1, 0, 1, 1});
  ExpectValues(Eval("NotEqual", {F32({2}, {kNaN, 1}), F32({2}, {kNaN, 1})}), DT_BOOL, {2}, {1, 0});
  ExpectValues(Eval("LogicalAnd", {Bools({2, 2}, {1, 1, 0, 0}), Bools({2}, {1, 0})}), DT_BOOL, {2, 2}, {1, 0, 0, 0});
  ExpectValues(Eval("LogicalOr", {Bools({2}, {1, 0}), Bools({}, {0})}), DT_BOOL, {2}, {1, 0});
  ExpectValues(Eval("LogicalNot", {Bools({3}, {1, 0, 1})}), DT_BOOL, {3}, {0, 1, 0});
}

TEST(MathLoweringTest, AddNSumsEveryInput) {
  ExpectValues(Eval("AddN", {F32({2}, {1, 2}), F32({2}, {10, 20}), F32({2}, {100, 200})}), DT_FLOAT, {2}, {111, 222});
  ExpectValues(Eval("AddN", {I32({}, {7})}), DT_INT32, {}, {7});
}

// ---------------------------------------------------------------------------------------------
// Select and SelectV2.

TEST(MathLoweringTest, SelectForms) {
  Tensor t = F32({2, 2}, {1, 2, 3, 4});
  Tensor e = F32({2, 2}, {5, 6, 7, 8});
  ExpectValues(Eval("Select", {Bools({2, 2}, {1, 0, 0, 1}), t, e}), DT_FLOAT, {2, 2}, {1, 6, 7, 4});
  ExpectValues(Eval("Select", {Bools({2}, {1, 0}), t, e}), DT_FLOAT, {2, 2}, {1, 2, 7, 8});  // picks rows
  ExpectValues(Eval("Select", {Bools({}, {0}), t, e}), DT_FLOAT, {2, 2}, {5, 6, 7, 8});
  ExpectValues(Eval("SelectV2", {Bools({2, 1}, {1, 0}), F32({3}, {1, 2, 3}), F32({}, {0})}), DT_FLOAT, {2, 3},
               {1, 2, 3, 0, 0, 0});
  // A vector condition whose length is not t's first dim.
  absl::StatusOr<Tensor> bad = EvalUnchecked("Select", {Bools({3}, {1, 0, 1}), t, e});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), AllOf(HasSubstr("'op'"), HasSubstr("3 elements"), HasSubstr("2 rows")));
}

// ---------------------------------------------------------------------------------------------
// Cast.

uint16_t HalfBits(const Tensor& t, int i) { return t.flat<float16>()[i].bits; }

TEST(MathLoweringTest, CastConvertsLikeStaticCast) {
  AttrMap to_i32{{"DstT", MakeAttr(DT_INT32)}};
  ExpectValues(Eval("Cast", {F32({4}, {-1.7, 1.7, -0.0, 2.5})}, to_i32), DT_INT32, {4}, {-1, 1, 0, 2});
  AttrMap to_bool{{"DstT", MakeAttr(DT_BOOL)}};
  ExpectValues(Eval("Cast", {F32({4}, {0, -0.0, 0.1, kNaN})}, to_bool), DT_BOOL, {4}, {0, 0, 1, 1});
  AttrMap to_f32{{"DstT", MakeAttr(DT_FLOAT)}};
  ExpectValues(Eval("Cast", {Bools({2}, {1, 0})}, to_f32), DT_FLOAT, {2}, {1, 0});
  AttrMap to_u8{{"DstT", MakeAttr(DT_UINT8)}};
  ExpectValues(Eval("Cast", {I32({2}, {257, -1})}, to_u8), DT_UINT8, {2}, {1, 255});
}

// Truncate = true zeroes the low mantissa bits first (TF's LSBZeroSetter), so the result rounds
// toward zero where a plain cast rounds to nearest.
TEST(MathLoweringTest, CastTruncateRoundsTowardZero) {
  // 1 + 2^-10 + 2^-11 is a tie in half: nearest-even gives 1 + 2^-9 (0x3C02); truncation 0x3C01.
  // 1 - 2^-24 rounds to 1.0 (0x3C00); truncation gives 1 - 2^-11 (0x3BFF). -0 keeps its sign.
  Tensor x = F32({4}, {1.00146484375, 0.99999994039535522, -1.00146484375, -0.0});
  for (bool truncate : {false, true}) {
    AttrMap attrs{{"DstT", MakeAttr(DT_HALF)}, {"Truncate", MakeAttr(truncate)}};
    absl::StatusOr<Tensor> h = Eval("Cast", {x}, attrs);
    ASSERT_TRUE(h.ok()) << h.status();
    EXPECT_EQ(HalfBits(*h, 0), truncate ? 0x3C01 : 0x3C02);
    EXPECT_EQ(HalfBits(*h, 1), truncate ? 0x3BFF : 0x3C00);
    EXPECT_EQ(HalfBits(*h, 2), truncate ? 0xBC01 : 0xBC02);
    EXPECT_EQ(HalfBits(*h, 3), 0x8000);
  }
  // float -> bfloat16 keeps 8 bits: 1 + 3 * 2^-9 truncates to 1.0 and rounds to 1 + 2^-7.
  for (bool truncate : {false, true}) {
    AttrMap attrs{{"DstT", MakeAttr(DT_BFLOAT16)}, {"Truncate", MakeAttr(truncate)}};
    absl::StatusOr<Tensor> b = Eval("Cast", {F32({2}, {1.005859375, -1.005859375})}, attrs);
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(b->flat<bfloat16>()[0].bits, truncate ? 0x3F80 : 0x3F81);
    EXPECT_EQ(b->flat<bfloat16>()[1].bits, truncate ? 0xBF80 : 0xBF81);
  }
  // double -> float keeps 24 bits: 1 + 2^-24 + 2^-30 truncates to 1 and rounds to 1 + 2^-23.
  for (bool truncate : {false, true}) {
    AttrMap attrs{{"DstT", MakeAttr(DT_FLOAT)}, {"Truncate", MakeAttr(truncate)}};
    const double v = 1 + std::ldexp(1, -24) + std::ldexp(1, -30);
    absl::StatusOr<Tensor> f = Eval("Cast", {T(DT_DOUBLE, {1}, {v})}, attrs);
    ASSERT_TRUE(f.ok()) << f.status();
    EXPECT_EQ(f->flat<float>()[0], truncate ? 1.0f : 1.0f + std::ldexp(1.0f, -23));
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions and ArgMax/ArgMin.

TEST(MathLoweringTest, Reductions) {
  Tensor x = F32({2, 3}, {1, 2, 3, 4, 5, 6});
  AttrMap keep{{"keep_dims", MakeAttr(true)}};
  ExpectValues(Eval("Sum", {x, I32({1}, {-1})}), DT_FLOAT, {2}, {6, 15});
  ExpectValues(Eval("Sum", {x, I32({1}, {0})}, keep), DT_FLOAT, {1, 3}, {5, 7, 9});
  ExpectValues(Eval("Prod", {x, I32({2}, {0, 1})}), DT_FLOAT, {}, {720});
  ExpectValues(Eval("Max", {x, I32({}, {1})}, keep), DT_FLOAT, {2, 1}, {3, 6});
  ExpectValues(Eval("Min", {x, I32({2}, {1, 1})}), DT_FLOAT, {2}, {1, 4});
  ExpectValues(Eval("Mean", {x, I32({1}, {1})}), DT_FLOAT, {2}, {2, 5});
  // Integer Mean divides with truncation toward zero: -5 / 2 is -2 (not -3).
  ExpectValues(Eval("Mean", {I32({2, 2}, {-7, 2, 7, 0}), I32({1}, {1})}), DT_INT32, {2}, {-2, 3});
  // Empty reductions: the identity; an empty float Mean is NaN.
  Tensor empty = F32({0, 2}, {});
  ExpectValues(Eval("Sum", {empty, I32({1}, {0})}), DT_FLOAT, {2}, {0, 0});
  ExpectValues(Eval("Prod", {empty, I32({1}, {0})}), DT_FLOAT, {2}, {1, 1});
  ExpectValues(Eval("Max", {empty, I32({1}, {0})}), DT_FLOAT, {2}, {-kInf, -kInf});
  ExpectValues(Eval("Min", {empty, I32({1}, {0})}), DT_FLOAT, {2}, {kInf, kInf});
  ExpectValues(Eval("Mean", {empty, I32({1}, {0})}), DT_FLOAT, {2}, {kNaN, kNaN});
}

TEST(MathLoweringTest, ArgMaxArgMin) {
  Tensor x = F32({2, 3}, {1, 9, 9, 7, 0, 7});
  ExpectValues(Eval("ArgMax", {x, I32({}, {1})}), DT_INT64, {2}, {1, 0});  // first of ties
  ExpectValues(Eval("ArgMin", {x, I32({}, {-2})}), DT_INT64, {3}, {0, 1, 1});
  AttrMap i16{{"output_type", MakeAttr(DT_INT16)}};
  ExpectValues(Eval("ArgMax", {x, I32({}, {0})}, i16), DT_INT16, {3}, {1, 0, 0});
}

// ---------------------------------------------------------------------------------------------
// Activations registered in math_ops.cc.

TEST(MathLoweringTest, Activations) {
  ExpectValues(Eval("Relu", {F32({3}, {-1, 0, 2.5})}), DT_FLOAT, {3}, {0, 0, 2.5});
  ExpectValues(Eval("Relu6", {I32({4}, {-1, 3, 6, 7})}), DT_INT32, {4}, {0, 3, 6, 6});
  ExpectValues(Eval("Elu", {T(DT_DOUBLE, {2}, {-1, 2})}), DT_DOUBLE, {2}, {std::exp(-1.0) - 1, 2}, 1e-15);
  ExpectValues(Eval("Selu", {T(DT_DOUBLE, {2}, {-1, 1})}), DT_DOUBLE, {2},
               {1.7580993408473768599 * (std::exp(-1.0) - 1), 1.0507009873554804934}, 1e-15);
  ExpectValues(Eval("Softplus", {T(DT_DOUBLE, {4}, {0, 100, -100, 1000})}), DT_DOUBLE, {4},
               {std::log(2.0), 100, 3.7200759760208361e-44, 1000}, 1e-15);
  ExpectValues(Eval("LeakyRelu", {F32({2}, {-2, 3})}, {{"alpha", MakeAttr(0.25f)}}), DT_FLOAT, {2}, {-0.5, 3});
}

// ---------------------------------------------------------------------------------------------
// Errors: each names the node and says what is wrong.

// Lowers `op` with inputs whose values are not known at compile time.
absl::Status LowerWithoutConstants(const std::string& op, const std::vector<OpInput>& inputs, AttrMap attrs = {}) {
  OpTester t;
  absl::StatusOr<OpResult> r = t.Run(op, inputs, std::move(attrs));
  if (!r.ok()) return r.status();
  HostBuilder b;
  std::vector<Value> values;
  for (const OpInput& in : inputs) values.push_back(b.Constant(Tensor(in.dtype, in.shape)));
  std::vector<const Tensor*> unknown(inputs.size(), nullptr);
  return LowerNode(*t.graph().FindNode("op"), b, std::move(values), std::move(unknown)).status();
}

TEST(MathLoweringTest, AxesMustBeKnownAtCompileTime) {
  for (const char* op : {"Sum", "Mean", "Prod", "Max", "Min"}) {
    absl::Status s = LowerWithoutConstants(op, {OpInput::Var(DT_FLOAT, {2, 3}), OpInput::Var(DT_INT32, {1})});
    ASSERT_FALSE(s.ok()) << op;
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), AllOf(HasSubstr("'op'"), HasSubstr(op), HasSubstr("input 1"),
                                   HasSubstr("must be known at compile time")));
  }
  absl::Status s = LowerWithoutConstants("ArgMax", {OpInput::Var(DT_FLOAT, {2, 3}), OpInput::Var(DT_INT32, {})});
  EXPECT_THAT(s.message(), AllOf(HasSubstr("ArgMax"), HasSubstr("must be known at compile time")));
}

TEST(MathLoweringTest, BadAxesAreErrors) {
  Tensor x = F32({2, 3}, {1, 2, 3, 4, 5, 6});
  absl::StatusOr<Tensor> sum = EvalUnchecked("Sum", {x, I32({1}, {2})});
  ASSERT_FALSE(sum.ok());
  EXPECT_THAT(sum.status().message(),
              AllOf(HasSubstr("'op'"), HasSubstr("Invalid reduction dimension 2 for input with 2 dimensions")));
  absl::StatusOr<Tensor> arg = EvalUnchecked("ArgMax", {x, I32({}, {-3})});
  ASSERT_FALSE(arg.ok());
  EXPECT_THAT(arg.status().message(), AllOf(HasSubstr("'op'"), HasSubstr("[-2, 2)")));
  absl::StatusOr<Tensor> scalar = EvalUnchecked("ArgMin", {F32({}, {1}), I32({}, {0})});
  EXPECT_FALSE(scalar.ok());
  // ArgMax over an empty axis has no answer.
  absl::StatusOr<Tensor> empty = Eval("ArgMax", {F32({2, 0}, {}), I32({}, {1})});
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(), AllOf(HasSubstr("'op'"), HasSubstr("empty")));
}

TEST(MathLoweringTest, UnsupportedDtypesAreErrors) {
  // Binary ops on strings (Add allows them in its schema) cannot be lowered.
  absl::StatusOr<Tensor> s = EvalUnchecked("Add", {Tensor::Strings({"a"}, {1}), Tensor::Strings({"b"}, {1})});
  EXPECT_FALSE(s.ok());
}

// ---------------------------------------------------------------------------------------------
// NumPy goldens.

std::string GoldenDir() { return std::string(STRATA_SOURCE_DIR) + "/tests/data/golden/math/"; }

struct GoldenCase {
  std::string name, op;
  int num_inputs = 0;
  AttrMap attrs;
};

// Parses one "ATTR=KIND:VALUE" of cases.txt.
absl::Status ParseAttr(const std::string& spec, AttrMap* attrs) {
  const size_t eq = spec.find('='), colon = spec.find(':');
  if (eq == std::string::npos || colon != eq + 2) return absl::InvalidArgumentError("bad attr " + spec);
  const std::string key = spec.substr(0, eq), value = spec.substr(colon + 1);
  switch (spec[eq + 1]) {
    case 'b': (*attrs)[key] = MakeAttr(value == "true"); break;
    case 'i': (*attrs)[key] = MakeAttr(static_cast<int64_t>(std::stoll(value))); break;
    case 'f': (*attrs)[key] = MakeAttr(std::stof(value)); break;
    case 't': {
      absl::StatusOr<DType> t = DTypeFromName(value);
      if (!t.ok()) return t.status();
      (*attrs)[key] = MakeAttr(*t);
      break;
    }
    default: return absl::InvalidArgumentError("bad attr kind in " + spec);
  }
  return absl::OkStatus();
}

std::vector<GoldenCase> ReadCases() {
  std::vector<GoldenCase> cases;
  std::ifstream in(GoldenDir() + "cases.txt");
  EXPECT_TRUE(in.good()) << "missing " << GoldenDir() << "cases.txt; run tests/golden/math_goldens.py";
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    GoldenCase c;
    fields >> c.name >> c.op >> c.num_inputs;
    std::string attr;
    while (fields >> attr) EXPECT_TRUE(ParseAttr(attr, &c.attrs).ok()) << line;
    cases.push_back(std::move(c));
  }
  return cases;
}

// Ops whose results must match exactly (no arithmetic rounding is involved, or the rounding is
// the point of the test).
bool IsExact(const std::string& op) {
  static const std::set<std::string> kExact = {
      "Neg", "Abs", "Sign", "Floor", "Ceil", "Round", "Relu", "Relu6", "Maximum", "Minimum", "FloorDiv",
      "Max", "Min", "Cast", "Select", "SelectV2", "ArgMax", "ArgMin", "Less", "LessEqual", "Greater",
      "GreaterEqual", "Equal", "NotEqual", "LogicalAnd", "LogicalOr", "LogicalNot"};
  return kExact.count(op) > 0;
}

// Relative and absolute tolerance for an output dtype: a few ulps of float16/float32 (the
// goldens are correctly rounded, the reference's libm may be an ulp or two off), tighter for
// float64.
void Tolerance(DType t, double* rtol, double* atol) {
  switch (t) {
    case DT_HALF: *rtol = 2e-3; *atol = 1e-4; break;
    case DT_FLOAT: *rtol = 1e-5; *atol = 1e-6; break;
    case DT_DOUBLE: *rtol = 1e-12; *atol = 1e-14; break;
    default: *rtol = 0; *atol = 0;
  }
}

// Evaluates one golden case and compares it with NumPy's output (ASSERTs end this case only).
void CheckGoldenCase(const GoldenCase& c) {
  std::vector<Tensor> inputs;
  for (int i = 0; i < c.num_inputs; ++i) {
    absl::StatusOr<Tensor> t = ReadNpy(GoldenDir() + c.name + ".in" + std::to_string(i) + ".npy");
    ASSERT_TRUE(t.ok()) << t.status();
    inputs.push_back(*std::move(t));
  }
  absl::StatusOr<Tensor> want = ReadNpy(GoldenDir() + c.name + ".out.npy");
  ASSERT_TRUE(want.ok()) << want.status();
  absl::StatusOr<Tensor> got = Eval(c.op, inputs, c.attrs);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(DTypeName(got->dtype()), DTypeName(want->dtype()));
  ASSERT_EQ(got->shape().ToString(), want->shape().ToString());
  double rtol = 0, atol = 0;
  if (!IsExact(c.op)) Tolerance(want->dtype(), &rtol, &atol);
  int failures = 0;
  for (int64_t i = 0; i < want->num_elements() && failures < 5; ++i) {
    bool ok;
    if (IsFloatingDType(want->dtype())) {
      const double g = got->ElementAsDouble(i), w = want->ElementAsDouble(i);
      ok = SameValue(g, w) || (std::isfinite(w) && std::abs(g - w) <= atol + rtol * std::abs(w));
      EXPECT_TRUE(ok) << "element " << i << ": got " << g << ", want " << w;
    } else {
      ok = got->ElementAsInt64(i) == want->ElementAsInt64(i);
      EXPECT_TRUE(ok) << "element " << i << ": got " << got->ElementAsInt64(i) << ", want " << want->ElementAsInt64(i);
    }
    failures += ok ? 0 : 1;
  }
}

TEST(MathLoweringGoldenTest, EveryCaseMatchesNumPy) {
  const std::vector<GoldenCase> cases = ReadCases();
  ASSERT_GE(cases.size(), 150u);
  for (const GoldenCase& c : cases) {
    SCOPED_TRACE(c.name + " (" + c.op + ")");
    CheckGoldenCase(c);
  }
}

// Every op of math_ops.cc has a lowering and at least one golden case.
TEST(MathLoweringGoldenTest, CoverEveryOp) {
  const std::vector<std::string> ops = {
      "AddN", "Add", "AddV2", "Sub", "Mul", "Div", "RealDiv", "FloorDiv", "FloorMod", "Maximum", "Minimum",
      "Pow", "SquaredDifference", "Neg", "Abs", "Sign", "Square", "Sqrt", "Rsqrt", "Reciprocal", "Exp", "Log",
      "Log1p", "Tanh", "Sigmoid", "Sin", "Cos", "Floor", "Ceil", "Round", "Erf", "Relu", "Relu6", "Elu", "Selu",
      "Softplus", "LeakyRelu", "Less", "LessEqual", "Greater", "GreaterEqual", "Equal", "NotEqual", "LogicalNot",
      "LogicalAnd", "LogicalOr", "Select", "SelectV2", "Cast", "Sum", "Mean", "Prod", "Max", "Min", "ArgMax",
      "ArgMin"};
  std::set<std::string> covered;
  for (const GoldenCase& c : ReadCases()) covered.insert(c.op);
  for (const std::string& op : ops) {
    const OpRegistration* reg = OpRegistry::Global().Find(op);
    ASSERT_NE(reg, nullptr) << op;
    EXPECT_TRUE(reg->lower != nullptr) << op << " has no lowering";
    EXPECT_TRUE(covered.count(op)) << op << " has no golden case";
  }
}

// ---------------------------------------------------------------------------------------------
// Ops added for broad TF coverage: Atan2, Softsign, IsNan, IsFinite, ClipByValue.

TEST(MathLoweringTest, Atan2SoftsignAndPredicates) {
  const double pi = 3.14159265358979323846;
  // atan2(y, x): y is the first input. Quadrants, the axes, and a broadcast x.
  ExpectValues(Eval("Atan2", {T(DT_DOUBLE, {4}, {1, 1, -1, -1}), T(DT_DOUBLE, {4}, {1, -1, -1, 1})}), DT_DOUBLE, Shape{4},
               {pi / 4, 3 * pi / 4, -3 * pi / 4, -pi / 4}, 1e-15);
  ExpectValues(Eval("Atan2", {F32({2, 2}, {0, 2, -3, 0}), F32({1}, {0})}), DT_FLOAT, Shape{2, 2},
               {0, pi / 2, -pi / 2, 0}, 1e-7);
  ExpectValues(Eval("Softsign", {F32({4}, {-3, 0, 1, 1e30})}), DT_FLOAT, Shape{4}, {-0.75, 0, 0.5, 1}, 1e-7);
  ExpectValues(Eval("IsNan", {F32({4}, {kNaN, kInf, 0, -1})}), DT_BOOL, Shape{4}, {1, 0, 0, 0});
  ExpectValues(Eval("IsFinite", {T(DT_HALF, {4}, {kNaN, -kInf, 0, 65504})}), DT_BOOL, Shape{4}, {0, 0, 1, 1});
  EXPECT_FALSE(Eval("IsNan", {I32({1}, {1})}).ok());  // floats only
}

TEST(MathLoweringTest, ClipByValue) {
  // max(min(t, hi), lo): NaN stays, lo > hi gives lo, bounds may be tensors of t's shape.
  ExpectValues(Eval("ClipByValue", {F32({5}, {-5, 0.5, 9, kNaN, -kInf}), F32({}, {-1}), F32({}, {2})}), DT_FLOAT,
               Shape{5}, {-1, 0.5, 2, kNaN, -1});
  ExpectValues(Eval("ClipByValue", {I32({3}, {1, 5, 9}), I32({}, {6}), I32({}, {4})}), DT_INT32, Shape{3}, {6, 6, 6});
  ExpectValues(Eval("ClipByValue", {I32({2, 2}, {1, 5, 9, -9}), I32({2, 2}, {2, 2, 0, 0}), I32({}, {6})}), DT_INT32,
               Shape{2, 2}, {2, 5, 6, 0});
  absl::StatusOr<Tensor> bad = Eval("ClipByValue", {F32({2, 2}, {1, 2, 3, 4}), F32({2}, {0, 0}), F32({}, {1})});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              AllOf(HasSubstr("node 'op' (ClipByValue)"), HasSubstr("clip_value_min must be a scalar or have the shape of t")));
}

}  // namespace
}  // namespace strata::testing
