// Lowerings of ops/array_ops.cc, run by the reference evaluator: NumPy goldens
// (tests/golden/array_goldens.py writes tests/data/golden/array/), TensorFlow's documented
// examples, hand-computed cases, the errors the lowerings report, and the TF graph idiom
// Shape -> StridedSlice -> Pack -> Reshape evaluated end to end with a fed batch size.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "graph/graph.h"
#include "graph/shape_inference.h"
#include "graph/tensor.h"
#include "gtest/gtest.h"
#include "ops/lowering.h"
#include "runtime/reference/evaluator.h"
#include "runtime/reference/host_builder.h"
#include "tests/ops/array_lowering_test_util.h"

namespace strata::array_testing {
namespace {

using ::testing::HasSubstr;

// Runs `node`'s lowering directly on a HostBuilder (no special cases for Const or
// PlaceholderWithDefault, unlike EvaluateNode). `known[i]` false hides input i's value from the
// lowering, as when it is only computed at run time.
absl::StatusOr<std::vector<Tensor>> LowerOnHost(const Node& node, const std::vector<Tensor>& inputs,
                                                std::vector<bool> known = {}) {
  HostBuilder b;
  std::vector<Value> values;
  std::vector<const Tensor*> constants;
  known.resize(inputs.size(), true);
  for (size_t i = 0; i < inputs.size(); ++i) {
    values.push_back(b.Constant(inputs[i]));
    constants.push_back(known[i] ? &inputs[i] : nullptr);
  }
  absl::StatusOr<std::vector<Value>> outs = LowerNode(node, b, values, constants);
  if (!outs.ok()) return outs.status();
  std::vector<Tensor> results;
  for (const Value& v : *outs) {
    absl::StatusOr<Tensor> t = b.Get(v);
    if (!t.ok()) return t.status();
    results.push_back(*t);
  }
  return results;
}

// A graph holding one op fed by Consts of `inputs`, with shapes inferred.
struct OneOpGraph {
  Graph g;
  Node* op = nullptr;
};
std::unique_ptr<OneOpGraph> MakeOneOp(const std::string& op, const std::vector<Tensor>& inputs, AttrMap attrs = {}) {
  auto r = std::make_unique<OneOpGraph>();
  NodeSpec spec{"op", op, {}, {}, std::move(attrs), ""};
  for (size_t i = 0; i < inputs.size(); ++i) {
    NodeSpec src{absl::StrCat("in", i), "Const", {}, {}, {}, ""};
    src.attrs["dtype"] = MakeAttr(inputs[i].dtype());
    src.attrs["value"] = MakeAttr(inputs[i]);
    absl::StatusOr<Node*> n = r->g.AddNode(std::move(src));
    EXPECT_TRUE(n.ok()) << n.status();
    spec.inputs.push_back(Output(*n, 0));
  }
  absl::StatusOr<Node*> n = r->g.AddNode(std::move(spec));
  EXPECT_TRUE(n.ok()) << n.status();
  r->op = n.ok() ? *n : nullptr;
  absl::Status s = InferShapes(&r->g);
  EXPECT_TRUE(s.ok()) << s;
  return r;
}

// ---------------------------------------------------------------------------------------------
// Constants and identities.

TEST(ArrayLoweringTest, ConstLowersToItsValue) {
  for (const Tensor& value : {I64({2, 2}, {1, -2, 3, -4}), Bool({3}, {1, 0, 1}), T(DT_HALF, {}, {0.5})}) {
    AttrMap attrs{{"value", MakeAttr(value)}, {"dtype", MakeAttr(value.dtype())}};
    auto g = MakeOneOp("Const", {}, attrs);
    ExpectValues(LowerOnHost(*g->op, {}), 0, value);
  }
}

TEST(ArrayLoweringTest, ConstOfStringsIsAnError) {
  Tensor s = Tensor::Strings({"a", "b"}, Shape{2});
  auto g = MakeOneOp("Const", {}, {{"value", MakeAttr(s)}, {"dtype", MakeAttr(DT_STRING)}});
  absl::StatusOr<std::vector<Tensor>> r = LowerOnHost(*g->op, {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("string"));
}

TEST(ArrayLoweringTest, IdentitiesPassTheirInputsThrough) {
  const Tensor x = F32({2, 2}, {1, 2, 3, 4});
  ExpectValues(RunOp("Identity", {x}), 0, x);
  ExpectValues(RunOp("StopGradient", {x}), 0, x);
  const Tensor b = Bool({3}, {1, 0, 1});
  absl::StatusOr<std::vector<Tensor>> n = RunOp("IdentityN", {x, b});
  ExpectValues(n, 0, x);
  ExpectValues(n, 1, b);
  // PlaceholderWithDefault lowers to its input (EvaluateNode would not reach the lowering).
  auto g = MakeOneOp("PlaceholderWithDefault", {x}, {{"shape", MakeAttr(Shape{-1, 2})}});
  ExpectValues(LowerOnHost(*g->op, {x}), 0, x);
}

TEST(ArrayLoweringTest, PlaceholderAndNoOpHaveNoLowering) {
  EXPECT_EQ(OpRegistry::Global().Find("Placeholder")->lower, nullptr);
  EXPECT_EQ(OpRegistry::Global().Find("NoOp")->lower, nullptr);
  for (const char* op : {"Const", "Identity", "IdentityN", "StopGradient", "PlaceholderWithDefault", "Reshape",
                         "Squeeze", "ExpandDims", "Transpose", "ConcatV2", "Pack", "Unpack", "Shape", "Size", "Rank",
                         "Fill", "ZerosLike", "OnesLike", "Range", "OneHot"}) {
    EXPECT_NE(OpRegistry::Global().Find(op)->lower, nullptr) << op;
  }
}

// ---------------------------------------------------------------------------------------------
// Reshape, Squeeze, ExpandDims, Transpose.

TEST(ArrayLoweringTest, ReshapeGoldens) {
  for (const char* name : {"reshape_f32", "reshape_i64_scalar", "reshape_bool_empty", "reshape_f16"}) {
    ExpectGolden(name, "Reshape", 2, {}, {1});
  }
}

TEST(ArrayLoweringTest, ReshapeDocumentedExamples) {
  // tf.reshape docs: [1..9] -> [3, 3]; [3, 2, 3] -> [-1] and [2, -1, 3].
  ExpectValues(RunOp("Reshape", {I32({9}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), I32s({3, 3})}, {}, {1}), 0,
               I32({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}));
  std::vector<double> v;
  for (int i = 1; i <= 18; ++i) v.push_back(i);
  ExpectValues(RunOp("Reshape", {I32({3, 2, 3}, v), I32s({-1})}, {}, {1}), 0, I32({18}, v));
  ExpectValues(RunOp("Reshape", {I32({3, 2, 3}, v), I64s({2, -1, 3})}, {}, {1}), 0, I32({2, 3, 3}, v));
}

TEST(ArrayLoweringTest, ReshapeErrors) {
  absl::StatusOr<std::vector<Tensor>> r = RunLoweringUnchecked("Reshape", {F32({2, 3}, {1, 2, 3, 4, 5, 6}), I32s({4})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("6 values"));
  r = RunLoweringUnchecked("Reshape", {F32({0, 3}, {}), I32s({-1, 0})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("empty tensor"));
  r = RunLoweringUnchecked("Reshape", {F32({2, 3}, {1, 2, 3, 4, 5, 6}), I32s({-1, -1})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("only one input size may be -1"));
  r = RunLoweringUnchecked("Reshape", {F32({2, 3}, {1, 2, 3, 4, 5, 6}), I32s({4, -1})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("multiple of 4"));
}

TEST(ArrayLoweringTest, SqueezeAndExpandDims) {
  const Tensor x = F32({1, 2, 1, 3}, {1, 2, 3, 4, 5, 6});
  ExpectValues(RunOp("Squeeze", {x}), 0, F32({2, 3}, {1, 2, 3, 4, 5, 6}));
  ExpectValues(RunOp("Squeeze", {x}, {{"squeeze_dims", MakeAttr(std::vector<int64_t>{-2})}}), 0,
               F32({1, 2, 3}, {1, 2, 3, 4, 5, 6}));
  ExpectValues(RunOp("Squeeze", {Bool({1, 1}, {1})}), 0, Bool({}, {1}));
  ExpectValues(RunOp("Squeeze", {I64({0, 1}, {})}), 0, I64({0}, {}));

  const Tensor y = I32({2, 3}, {1, 2, 3, 4, 5, 6});
  ExpectValues(RunOp("ExpandDims", {y, I32({}, {-1})}, {}, {1}), 0, I32({2, 3, 1}, {1, 2, 3, 4, 5, 6}));
  ExpectValues(RunOp("ExpandDims", {y, I64({}, {1})}, {}, {1}), 0, I32({2, 1, 3}, {1, 2, 3, 4, 5, 6}));
  ExpectValues(RunOp("ExpandDims", {y, I32({}, {-3})}, {}, {1}), 0, I32({1, 2, 3}, {1, 2, 3, 4, 5, 6}));
  ExpectValues(RunOp("ExpandDims", {T(DT_HALF, {}, {2.5}), I32({}, {0})}, {}, {1}), 0, T(DT_HALF, {1}, {2.5}));
}

TEST(ArrayLoweringTest, SqueezeAndExpandDimsErrors) {
  absl::StatusOr<std::vector<Tensor>> r =
      RunLoweringUnchecked("Squeeze", {F32({2, 3}, {1, 2, 3, 4, 5, 6})}, {{"squeeze_dims", MakeAttr(std::vector<int64_t>{0})}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("Can not squeeze dim[0]"));
  r = RunLoweringUnchecked("Squeeze", {F32({1}, {1})}, {{"squeeze_dims", MakeAttr(std::vector<int64_t>{3})}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("out of range"));
  r = RunLoweringUnchecked("ExpandDims", {F32({2, 3}, {1, 2, 3, 4, 5, 6}), I32({}, {4})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("not in the interval [-3, 2]"));
}

TEST(ArrayLoweringTest, TransposeGoldens) {
  for (const char* name : {"transpose_f32_3d", "transpose_i32_nhwc_to_nchw", "transpose_f16_2d", "transpose_bool_empty"}) {
    ExpectGolden(name, "Transpose", 2, {}, {1});
  }
  ExpectValues(RunOp("Transpose", {I32({2, 3}, {1, 2, 3, 4, 5, 6}), I32s({1, 0})}, {}, {1}), 0,
               I32({3, 2}, {1, 4, 2, 5, 3, 6}));
}

TEST(ArrayLoweringTest, TransposeErrors) {
  absl::StatusOr<std::vector<Tensor>> r =
      RunLoweringUnchecked("Transpose", {F32({2, 2}, {1, 2, 3, 4}), I32s({0, 0})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("not a permutation"));
  r = RunLoweringUnchecked("Transpose", {F32({2, 2}, {1, 2, 3, 4}), I32s({1, 0, 2})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("not a permutation"));
}

TEST(ArrayLoweringTest, ShapeArgumentsMustBeKnownAtCompileTime) {
  const Tensor x = F32({2, 2}, {1, 2, 3, 4});
  auto g = MakeOneOp("Transpose", {x, I32s({1, 0})});
  absl::StatusOr<std::vector<Tensor>> r = LowerOnHost(*g->op, {x, I32s({1, 0})}, {true, false});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("must be known at compile time"));
  EXPECT_THAT(r.status().message(), HasSubstr("Transpose"));
  auto f = MakeOneOp("Fill", {I32s({2}), F32({}, {1})});
  r = LowerOnHost(*f->op, {I32s({2}), F32({}, {1})}, {false, true});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("must be known at compile time"));
  // Reshape takes the statically inferred output shape when its shape input is computed.
  auto rs = MakeOneOp("Reshape", {x, I32s({4})});
  ExpectValues(LowerOnHost(*rs->op, {x, I32s({4})}, {true, false}), 0, F32({4}, {1, 2, 3, 4}));
}

// ---------------------------------------------------------------------------------------------
// ConcatV2, Pack, Unpack.

TEST(ArrayLoweringTest, ConcatGoldens) {
  ExpectGolden("concat_f32_axis1", "ConcatV2", 4, {}, {3});
  ExpectGolden("concat_i64_axis_neg1", "ConcatV2", 3, {}, {2});
  ExpectGolden("concat_f16_axis0", "ConcatV2", 3, {}, {2});
  ExpectGolden("concat_bool_vectors", "ConcatV2", 3, {}, {2});
}

TEST(ArrayLoweringTest, ConcatDocumentedExample) {
  const Tensor t1 = I32({2, 3}, {1, 2, 3, 4, 5, 6}), t2 = I32({2, 3}, {7, 8, 9, 10, 11, 12});
  ExpectValues(RunOp("ConcatV2", {t1, t2, I32({}, {0})}, {}, {2}), 0,
               I32({4, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  ExpectValues(RunOp("ConcatV2", {t1, t2, I32({}, {1})}, {}, {2}), 0,
               I32({2, 6}, {1, 2, 3, 7, 8, 9, 4, 5, 6, 10, 11, 12}));
}

TEST(ArrayLoweringTest, ConcatErrors) {
  absl::StatusOr<std::vector<Tensor>> r =
      RunLoweringUnchecked("ConcatV2", {F32({}, {1}), F32({}, {2}), I32({}, {0})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("scalars"));
  r = RunLoweringUnchecked("ConcatV2", {F32({1}, {1}), F32({1}, {2}), I32({}, {1})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("out of range"));
  r = RunLoweringUnchecked("ConcatV2", {F32({1, 2}, {1, 2}), F32({1, 3}, {1, 2, 3}), I32({}, {0})});
  ASSERT_FALSE(r.ok());
}

TEST(ArrayLoweringTest, PackGoldens) {
  ExpectGolden("pack_f32_axis0", "Pack", 3, {{"axis", MakeAttr(int64_t{0})}});
  ExpectGolden("pack_i32_axis_neg1", "Pack", 2, {{"axis", MakeAttr(int64_t{-1})}});
  ExpectGolden("pack_bool_axis1", "Pack", 3, {{"axis", MakeAttr(int64_t{1})}});
  ExpectGolden("pack_i64_scalars", "Pack", 4);
}

TEST(ArrayLoweringTest, PackDocumentedExample) {
  const Tensor x = I32s({1, 4}), y = I32s({2, 5}), z = I32s({3, 6});
  ExpectValues(RunOp("Pack", {x, y, z}), 0, I32({3, 2}, {1, 4, 2, 5, 3, 6}));
  ExpectValues(RunOp("Pack", {x, y, z}, {{"axis", MakeAttr(int64_t{1})}}), 0, I32({2, 3}, {1, 2, 3, 4, 5, 6}));
}

TEST(ArrayLoweringTest, UnpackGoldensAndExample) {
  ExpectGolden("unpack_f32_axis1", "Unpack", 1, {{"num", MakeAttr(int64_t{2})}, {"axis", MakeAttr(int64_t{1})}});
  ExpectGolden("unpack_f16_axis_neg1", "Unpack", 1, {{"num", MakeAttr(int64_t{3})}, {"axis", MakeAttr(int64_t{-1})}});
  absl::StatusOr<std::vector<Tensor>> r = RunOp("Unpack", {I32({3, 2}, {1, 4, 2, 5, 3, 6})}, {{"num", MakeAttr(int64_t{3})}});
  ExpectValues(r, 0, I32s({1, 4}));
  ExpectValues(r, 1, I32s({2, 5}));
  ExpectValues(r, 2, I32s({3, 6}));
  // num = 0 along an empty dimension: no outputs.
  r = RunOp("Unpack", {F32({0, 2}, {})}, {{"num", MakeAttr(int64_t{0})}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->empty());
}

TEST(ArrayLoweringTest, PackUnpackErrors) {
  absl::StatusOr<std::vector<Tensor>> r =
      RunLoweringUnchecked("Unpack", {F32({3, 2}, {1, 2, 3, 4, 5, 6})}, {{"num", MakeAttr(int64_t{2})}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("is not num = 2"));
  r = RunLoweringUnchecked("Pack", {F32({2}, {1, 2}), F32({2}, {3, 4})}, {{"axis", MakeAttr(int64_t{3})}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("out of range"));
  r = RunLoweringUnchecked("Pack", {F32({2}, {1, 2}), F32({3}, {3, 4, 5})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("shapes of all inputs must match"));
}

// ---------------------------------------------------------------------------------------------
// Shape, Size, Rank, Fill, ZerosLike, OnesLike.

TEST(ArrayLoweringTest, ShapeSizeRank) {
  const Tensor x = F32({2, 0, 3}, {});
  ExpectValues(RunOp("Shape", {x}), 0, I32s({2, 0, 3}));
  ExpectValues(RunOp("Shape", {x}, {{"out_type", MakeAttr(DT_INT64)}}), 0, I64s({2, 0, 3}));
  ExpectValues(RunOp("Shape", {Bool({}, {1})}), 0, I32({0}, {}));
  ExpectValues(RunOp("Size", {x}), 0, I32({}, {0}));
  ExpectValues(RunOp("Size", {I64({2, 3}, {1, 2, 3, 4, 5, 6})}, {{"out_type", MakeAttr(DT_INT64)}}), 0, I64({}, {6}));
  ExpectValues(RunOp("Rank", {x}), 0, I32({}, {3}));
  ExpectValues(RunOp("Rank", {T(DT_HALF, {}, {1})}), 0, I32({}, {0}));
  // Through the lowering itself (EvaluateNode would compute the same from shape inference).
  auto g = MakeOneOp("Shape", {F32({4, 1}, {1, 2, 3, 4})});
  ExpectValues(LowerOnHost(*g->op, {F32({4, 1}, {1, 2, 3, 4})}), 0, I32s({4, 1}));
}

TEST(ArrayLoweringTest, FillZerosLikeOnesLike) {
  ExpectValues(RunOp("Fill", {I32s({2, 3}), I32({}, {7})}, {}, {0}), 0, I32({2, 3}, {7, 7, 7, 7, 7, 7}));
  ExpectValues(RunOp("Fill", {I64s({2}), Bool({}, {1})}, {}, {0}), 0, Bool({2}, {1, 1}));
  ExpectValues(RunOp("Fill", {I32s({0, 4}), F32({}, {1.5})}, {}, {0}), 0, F32({0, 4}, {}));
  ExpectValues(RunOp("Fill", {I32s({}), T(DT_HALF, {}, {-2})}, {}, {0}), 0, T(DT_HALF, {}, {-2}));

  ExpectValues(RunOp("ZerosLike", {F32({2, 2}, {1, -2, 3, 4})}), 0, F32({2, 2}, {0, 0, 0, 0}));
  ExpectValues(RunOp("ZerosLike", {Bool({3}, {1, 0, 1})}), 0, Bool({3}, {0, 0, 0}));
  ExpectValues(RunOp("ZerosLike", {I64({0, 3}, {})}), 0, I64({0, 3}, {}));
  ExpectValues(RunOp("OnesLike", {I64({2}, {5, 6})}), 0, I64({2}, {1, 1}));
  ExpectValues(RunOp("OnesLike", {T(DT_HALF, {2}, {5, 6})}), 0, T(DT_HALF, {2}, {1, 1}));
  ExpectValues(RunOp("OnesLike", {Bool({2}, {0, 0})}), 0, Bool({2}, {1, 1}));
}

TEST(ArrayLoweringTest, FillErrors) {
  absl::StatusOr<std::vector<Tensor>> r = RunLoweringUnchecked("Fill", {I32s({2, -1}), F32({}, {1})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("Fill dimensions must be >= 0"));
  r = RunLoweringUnchecked("Fill", {I32s({2}), F32({2}, {1, 2})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("scalar"));
}

// ---------------------------------------------------------------------------------------------
// Range, OneHot.

TEST(ArrayLoweringTest, RangeGoldens) {
  ExpectGolden("range_f32", "Range", 3, {}, {0, 1, 2}, 1e-6);
  ExpectGolden("range_f64_down", "Range", 3, {}, {0, 1, 2}, 1e-12);
  ExpectGolden("range_i32", "Range", 3, {}, {0, 1, 2});
  ExpectGolden("range_i64_neg", "Range", 3, {}, {0, 1, 2});
  ExpectGolden("range_f16", "Range", 3, {}, {0, 1, 2}, 1e-3);
  ExpectGolden("range_i32_empty", "Range", 3, {}, {0, 1, 2});
}

TEST(ArrayLoweringTest, RangeHandComputed) {
  // tf.range docs: range(3, 18, 3) = [3, 6, 9, 12, 15]; range(3, 1, -0.5) = [3, 2.5, 2, 1.5].
  ExpectValues(RunOp("Range", {I32({}, {3}), I32({}, {18}), I32({}, {3})}, {}, {0, 1, 2}), 0, I32s({3, 6, 9, 12, 15}));
  ExpectValues(RunOp("Range", {F32({}, {3}), F32({}, {1}), F32({}, {-0.5})}, {}, {0, 1, 2}), 0,
               F32({4}, {3, 2.5, 2, 1.5}));
  // Float length: ceil((1 - 0) / 0.3) = 4 (0, 0.3, 0.6, 0.9).
  absl::StatusOr<std::vector<Tensor>> r = RunOp("Range", {F32({}, {0}), F32({}, {1}), F32({}, {0.3})}, {}, {0, 1, 2});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].shape().ToString(), "[4]");
  // Narrow integer types are exact at their extremes.
  ExpectValues(RunOp("Range", {T(DT_INT8, {}, {-128}), T(DT_INT8, {}, {127}), T(DT_INT8, {}, {85})}, {}, {0, 1, 2}), 0,
               T(DT_INT8, {3}, {-128, -43, 42}));
  ExpectValues(RunOp("Range", {T(DT_UINT32, {}, {4000000000.0}), T(DT_UINT32, {}, {4000000003.0}),
                               T(DT_UINT32, {}, {2})},
                     {}, {0, 1, 2}),
               0, T(DT_UINT32, {2}, {4000000000.0, 4000000002.0}));
  // Wide int32 spans: the intermediate i * delta wraps, the values do not.
  ExpectValues(RunOp("Range", {I32({}, {-2000000000}), I32({}, {2000000000}), I32({}, {1500000000})}, {}, {0, 1, 2}),
               0, I32s({-2000000000, -500000000, 1000000000}));
}

TEST(ArrayLoweringTest, RangeErrors) {
  absl::StatusOr<std::vector<Tensor>> r = RunLoweringUnchecked("Range", {I32({}, {0}), I32({}, {5}), I32({}, {0})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("requires delta != 0"));
  r = RunLoweringUnchecked("Range", {F32({}, {5}), F32({}, {0}), F32({}, {1})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("start <= limit"));
  r = RunLoweringUnchecked("Range", {I64({}, {0}), I64({}, {5}), I64({}, {-1})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("start >= limit"));
}

TEST(ArrayLoweringTest, OneHotGoldens) {
  ExpectGolden("one_hot_f32_last", "OneHot", 4, {{"axis", MakeAttr(int64_t{-1})}}, {1});
  ExpectGolden("one_hot_f32_axis0", "OneHot", 4, {{"axis", MakeAttr(int64_t{0})}}, {1});
  ExpectGolden("one_hot_i32_axis0", "OneHot", 4, {{"axis", MakeAttr(int64_t{0})}}, {1});
  ExpectGolden("one_hot_u8_bool", "OneHot", 4, {{"axis", MakeAttr(int64_t{1})}}, {1});
}

TEST(ArrayLoweringTest, OneHotDocumentedExamples) {
  // tf.one_hot docs: indices [0, 2, -1, 1], depth 3, on 5, off 0 -> rows; axis 0 transposes.
  const Tensor idx = I64s({0, 2, -1, 1});
  ExpectValues(RunOp("OneHot", {idx, I32({}, {3}), F32({}, {5}), F32({}, {0})}, {}, {1}), 0,
               F32({4, 3}, {5, 0, 0, 0, 0, 5, 0, 0, 0, 0, 5, 0}));
  ExpectValues(RunOp("OneHot", {idx, I32({}, {3}), F32({}, {0}), F32({}, {3})}, {{"axis", MakeAttr(int64_t{0})}}, {1}), 0,
               F32({3, 4}, {0, 3, 3, 3, 3, 3, 3, 0, 3, 0, 3, 3}));
  // Depth 0 and empty indices give empty outputs.
  ExpectValues(RunOp("OneHot", {idx, I32({}, {0}), F32({}, {1}), F32({}, {0})}, {}, {1}), 0, F32({4, 0}, {}));
  ExpectValues(RunOp("OneHot", {I32({0, 2}, {}), I32({}, {2}), I32({}, {1}), I32({}, {0})}, {}, {1}), 0,
               I32({0, 2, 2}, {}));
}

TEST(ArrayLoweringTest, OneHotErrors) {
  absl::StatusOr<std::vector<Tensor>> r =
      RunLoweringUnchecked("OneHot", {I64s({0}), I32({}, {-1}), F32({}, {1}), F32({}, {0})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("depth must be non-negative"));
  r = RunLoweringUnchecked("OneHot", {I64s({0}), I32({}, {2}), F32({2}, {1, 1}), F32({}, {0})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("scalars"));
}

// ---------------------------------------------------------------------------------------------
// Tile, BroadcastTo (registered in slice_ops.cc; goldens written with the array cases).

TEST(ArrayLoweringTest, TileAndBroadcastToGoldens) {
  for (const char* name : {"tile_f32", "tile_i32_3d", "tile_bool_zero", "tile_f16"}) ExpectGolden(name, "Tile", 2, {}, {1});
  for (const char* name : {"broadcast_to_f32", "broadcast_to_i64_scalar", "broadcast_to_bool_empty"}) {
    ExpectGolden(name, "BroadcastTo", 2, {}, {1});
  }
}

// ---------------------------------------------------------------------------------------------
// The TF graph idiom: reshape x to [batch, -1] where the batch size is only known once x is fed:
// Shape(x) -> StridedSlice [0] (shrink) -> Pack with the constant 6 -> Reshape.

TEST(ArrayLoweringTest, ShapeStridedSlicePackReshapeChainWithFedBatch) {
  Graph g;
  auto add = [&](NodeSpec spec) {
    absl::StatusOr<Node*> n = g.AddNode(std::move(spec));
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : nullptr;
  };
  Node* x = add({"x", "Placeholder", {}, {}, {{"dtype", MakeAttr(DT_FLOAT)}, {"shape", MakeAttr(Shape{-1, 2, 3})}}, ""});
  Node* shape = add({"shape", "Shape", {Output(x, 0)}, {}, {}, ""});
  auto constant = [&](const char* name, const Tensor& t) {
    return add({name, "Const", {}, {}, {{"dtype", MakeAttr(t.dtype())}, {"value", MakeAttr(t)}}, ""});
  };
  Node* b0 = constant("begin", I32s({0}));
  Node* e0 = constant("end", I32s({1}));
  Node* s0 = constant("strides", I32s({1}));
  Node* batch = add({"batch",
                     "StridedSlice",
                     {Output(shape, 0), Output(b0, 0), Output(e0, 0), Output(s0, 0)},
                     {},
                     {{"shrink_axis_mask", MakeAttr(int64_t{1})}},
                     ""});
  Node* six = constant("six", I32({}, {6}));
  Node* packed = add({"packed", "Pack", {Output(batch, 0), Output(six, 0)}, {}, {}, ""});
  Node* reshaped = add({"reshaped", "Reshape", {Output(x, 0), Output(packed, 0)}, {}, {}, ""});
  ASSERT_TRUE(InferShapes(&g).ok());
  EXPECT_EQ(reshaped->output_shape(0).ToString(), "[?,6]");

  for (int64_t n : {4, 1, 0}) {
    SCOPED_TRACE(n);
    std::vector<double> values;
    for (int64_t i = 0; i < n * 6; ++i) values.push_back(static_cast<double>(i) - 7);
    const Tensor fed = F32({n, 2, 3}, values);
    absl::StatusOr<std::vector<Tensor>> r =
        Evaluate(g, {{Output(x, 0), fed}}, {Output(reshaped, 0), Output(packed, 0), Output(batch, 0)});
    ExpectValues(r, 0, F32({n, 6}, values));
    ExpectValues(r, 1, I32s({static_cast<double>(n), 6}));
    ExpectValues(r, 2, I32({}, {static_cast<double>(n)}));
  }
  // The graph itself keeps its unknown batch dim.
  EXPECT_EQ(reshaped->output_shape(0).ToString(), "[?,6]");
}

// ---- ReverseV2 ----

TEST(ArrayLoweringTest, ReverseV2) {
  const Tensor x = I32({2, 3}, {1, 2, 3, 4, 5, 6});
  ExpectValues(RunOp("ReverseV2", {x, I32s({1})}, {}, {1}), 0, I32({2, 3}, {3, 2, 1, 6, 5, 4}));
  ExpectValues(RunOp("ReverseV2", {x, I64s({-2, -1})}, {}, {1}), 0, I32({2, 3}, {6, 5, 4, 3, 2, 1}));
  ExpectValues(RunOp("ReverseV2", {x, I32({0}, {})}, {}, {1}), 0, x);
  ExpectValues(RunOp("ReverseV2", {Bool({3}, {1, 0, 0}), I32s({0})}, {}, {1}), 0, Bool({3}, {0, 0, 1}));
  ExpectValues(RunOp("ReverseV2", {F32({0, 2}, {}), I32s({0, 1})}, {}, {1}), 0, F32({0, 2}, {}));
}

TEST(ArrayLoweringTest, ReverseV2Errors) {
  const Tensor x = I32({2, 3}, {1, 2, 3, 4, 5, 6});
  absl::StatusOr<std::vector<Tensor>> twice = RunOp("ReverseV2", {x, I32s({1, -1})}, {}, {1});
  ASSERT_FALSE(twice.ok());
  EXPECT_THAT(std::string(twice.status().message()), HasSubstr("axis 1 specified more than once"));
  absl::StatusOr<std::vector<Tensor>> range = RunOp("ReverseV2", {x, I32s({2})}, {}, {1});
  ASSERT_FALSE(range.ok());
  EXPECT_THAT(std::string(range.status().message()), HasSubstr("'axis'[0] = 2 is out of valid range [-2, 2)"));
  absl::StatusOr<std::vector<Tensor>> late = RunLoweringUnchecked("ReverseV2", {x, I32s({3})});
  ASSERT_FALSE(late.ok());
  EXPECT_THAT(std::string(late.status().message()), HasSubstr("node 'op' (ReverseV2)"));
}

}  // namespace
}  // namespace strata::array_testing
