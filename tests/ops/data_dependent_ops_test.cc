// Where and NonMaxSuppressionV3/V4/V5 (ops/data_dependent_ops.cc): schemas and shape functions
// (unknown dims where TF has them), their host kernels through the reference evaluator (one
// node, whole graphs with data-dependent shapes downstream, the ReferenceBackend, constant
// folding), values from TF's documentation and tests worked out by hand, NumPy goldens
// (tests/golden/coverage_goldens.py), and the errors, which name the node.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "graph/graph.h"
#include "graph/shape_inference.h"
#include "gtest/gtest.h"
#include "ops/host_kernel.h"
#include "ops/registry.h"
#include "runtime/reference/constant_folding.h"
#include "runtime/reference/evaluator.h"
#include "tests/ops/array_lowering_test_util.h"
#include "tests/ops/coverage_golden_util.h"
#include "tests/ops/op_test_util.h"

namespace strata {
namespace {

using ::strata::array_testing::Bool;
using ::strata::array_testing::ExpectValues;
using ::strata::array_testing::F32;
using ::strata::array_testing::I32;
using ::strata::array_testing::I64;
using ::strata::array_testing::RunLoweringUnchecked;
using ::strata::array_testing::T;
using ::strata::testing::InferShapeStrings;
using ::strata::testing::OpInput;
using ::strata::testing::RunOp;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

NodeSpec Spec(std::string name, std::string op, std::vector<Output> inputs, AttrMap attrs = {}) {
  NodeSpec spec;
  spec.name = std::move(name);
  spec.op = std::move(op);
  spec.inputs = std::move(inputs);
  spec.attrs = std::move(attrs);
  return spec;
}
template <typename T>
std::string Message(const absl::StatusOr<T>& s) {
  return s.ok() ? "OK" : std::string(s.status().message());
}

// ---- Registration --------------------------------------------------------------------------------

TEST(DataDependentOpsTest, RegisteredWithHostKernelsAndNoLowering) {
  for (const char* op : {"Where", "NonMaxSuppressionV3", "NonMaxSuppressionV4", "NonMaxSuppressionV5"}) {
    const OpRegistration* reg = OpRegistry::Global().Find(op);
    ASSERT_NE(reg, nullptr) << op;
    EXPECT_TRUE(reg->host_kernel) << op;
    EXPECT_FALSE(reg->lower) << op;
  }
  const OpRegistration* where = OpRegistry::Global().Find("Where");
  EXPECT_EQ(where->def.attr(0).default_value().type(), tf::DT_BOOL);
  const OpRegistration* v5 = OpRegistry::Global().Find("NonMaxSuppressionV5");
  EXPECT_EQ(v5->def.input_arg_size(), 6);
  EXPECT_EQ(v5->def.output_arg(1).name(), "selected_scores");
}

// ---- Where ---------------------------------------------------------------------------------------

TEST(WhereTest, ShapeHasUnknownCountAndKnownRank) {
  EXPECT_THAT(*InferShapeStrings("Where", {OpInput::Var(DT_BOOL, Shape{2, 3})}), ElementsAre("[?,2]"));
  EXPECT_THAT(*InferShapeStrings("Where", {OpInput::Var(DT_FLOAT, Shape{-1, 4, 5})}), ElementsAre("[?,3]"));
  EXPECT_THAT(*InferShapeStrings("Where", {OpInput::Var(DT_INT32, Shape::UnknownRank())}), ElementsAre("[?,?]"));
  EXPECT_THAT(*InferShapeStrings("Where", {OpInput::Var(DT_BOOL, Shape{})}), ElementsAre("[?,0]"));
}

TEST(WhereTest, BoolMatrixGivesRowMajorCoordinates) {
  // TF's documented example shape: coordinates of the true elements, one row each.
  auto out = RunOp("Where", {Bool({2, 3}, {1, 0, 1, 0, 0, 1})});
  ExpectValues(out, 0, I64({3, 2}, {0, 0, 0, 2, 1, 2}));
}

TEST(WhereTest, NumbersCountNonZeroIncludingNaN) {
  auto out = RunOp("Where", {F32({6}, {0, -0.0, 1.5, kNaN, -2, 0})});
  ExpectValues(out, 0, I64({3, 1}, {2, 3, 4}));
  auto ints = RunOp("Where", {T(DT_INT32, {2, 2, 2}, {0, 3, 0, 0, -1, 0, 0, 7})});
  ExpectValues(ints, 0, I64({3, 3}, {0, 0, 1, 1, 0, 0, 1, 1, 1}));
  auto half = RunOp("Where", {T(DT_HALF, {3}, {0.5, 0, -0.25})});
  ExpectValues(half, 0, I64({2, 1}, {0, 2}));
  auto bytes = RunOp("Where", {T(DT_UINT8, {1, 4}, {0, 255, 0, 1})});
  ExpectValues(bytes, 0, I64({2, 2}, {0, 1, 0, 3}));
}

TEST(WhereTest, ScalarsEmptyAndAllFalse) {
  ExpectValues(RunOp("Where", {Bool({}, {1})}), 0, I64({1, 0}, {}));
  ExpectValues(RunOp("Where", {Bool({}, {0})}), 0, I64({0, 0}, {}));
  ExpectValues(RunOp("Where", {Bool({0, 3}, {})}), 0, I64({0, 2}, {}));
  ExpectValues(RunOp("Where", {F32({2, 5}, std::vector<double>(10, 0))}), 0, I64({0, 2}, {}));
  // An odd, larger input: every third element of 7 x 11.
  std::vector<double> v(77, 0);
  std::vector<double> want;
  for (int i = 0; i < 77; i += 3) {
    v[i] = 1;
    want.push_back(i / 11);
    want.push_back(i % 11);
  }
  ExpectValues(RunOp("Where", {T(DT_INT64, {7, 11}, v)}), 0, I64({static_cast<int64_t>(want.size() / 2), 2}, want));
}

// A graph whose shapes depend on Where's result: x -> Where -> GatherNd(x, .) and Shape.
TEST(WhereTest, DataDependentShapesFlowThroughAGraph) {
  Graph g;
  auto add = [&](NodeSpec spec) {
    absl::StatusOr<Node*> n = g.AddNode(std::move(spec));
    EXPECT_TRUE(n.ok()) << n.status();
    return *n;
  };
  Node* x = add(Spec("x", "Placeholder", {}, {{"dtype", MakeAttr(DT_FLOAT)}, {"shape", MakeAttr(Shape{-1, 3})}}));
  Node* where = add(Spec("where", "Where", {Output(x, 0)}));
  Node* gathered = add(Spec("gathered", "GatherNd", {Output(x, 0), Output(where, 0)}));
  Node* count = add(Spec("count", "Shape", {Output(where, 0)}));
  ASSERT_TRUE(InferShapes(&g).ok());
  EXPECT_EQ(gathered->output_shape(0).ToString(), "[?]");
  const Tensor value = F32({2, 3}, {0, 4, 0, 5, 6, 0});
  auto out = Evaluate(g, {{Output(x, 0), value}}, {Output(gathered, 0), Output(count, 0), Output(where, 0)});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectValues(out, 0, F32({3}, {4, 5, 6}));
  ExpectValues(out, 1, I32({2}, {3, 2}));
  ExpectValues(out, 2, I64({3, 2}, {0, 1, 1, 0, 1, 1}));

  // The same graph through the ReferenceBackend, twice with different counts.
  ReferenceBackend backend;
  CompileRequest request;
  request.graph = &g;
  request.args = {Output(x, 0)};
  request.results = {Output(gathered, 0)};
  absl::StatusOr<std::unique_ptr<Executable>> exe = backend.Compile(request);
  ASSERT_TRUE(exe.ok()) << exe.status();
  std::vector<Tensor> results;
  ASSERT_TRUE((*exe)->Run({value}, &results).ok());
  EXPECT_TRUE(results[0].Equals(F32({3}, {4, 5, 6})));
  ASSERT_TRUE((*exe)->Run({F32({1, 3}, {0, 0, 0})}, &results).ok());
  EXPECT_EQ(results[0].shape().ToString(), "[0]");
}

TEST(WhereTest, ConstantInputsFold) {
  Graph g;
  absl::StatusOr<Node*> c = g.AddNode(
      Spec("c", "Const", {}, {{"dtype", MakeAttr(DT_BOOL)}, {"value", MakeAttr(Bool({4}, {0, 1, 1, 0}))}}));
  ASSERT_TRUE(c.ok());
  absl::StatusOr<Node*> where = g.AddNode(Spec("where", "Where", {Output(*c, 0)}));
  ASSERT_TRUE(where.ok());
  ASSERT_TRUE(InferShapes(&g).ok());
  EXPECT_EQ((*where)->output_shape(0).ToString(), "[?,1]");
  ASSERT_TRUE(FoldConstants(&g).ok());
  ASSERT_NE((*where)->output_value(0), nullptr);
  EXPECT_TRUE((*where)->output_value(0)->Equals(I64({2, 1}, {1, 2})));
  EXPECT_EQ((*where)->output_shape(0).ToString(), "[2,1]");
}

// ---- NonMaxSuppression ---------------------------------------------------------------------------

// TF's three-cluster test boxes (non_max_suppression_op_test.cc): clusters around x = 0, 10
// and 100; within a cluster the boxes overlap with IoU 0.82.
Tensor ClusterBoxes() {
  return F32({6, 4}, {0, 0, 1, 1, 0, 0.1, 1, 1.1, 0, -0.1, 1, 0.9, 0, 10, 1, 11, 0, 10.1, 1, 11.1, 0, 100, 1, 101});
}
Tensor ClusterScores() { return F32({6}, {0.9, 0.75, 0.6, 0.95, 0.5, 0.3}); }
Tensor Scalar32(double v) { return F32({}, {v}); }
Tensor Max(int v) { return I32({}, {static_cast<double>(v)}); }

absl::StatusOr<std::vector<Tensor>> V3(const Tensor& boxes, const Tensor& scores, int max, double iou,
                                       double score_threshold) {
  return RunOp("NonMaxSuppressionV3", {boxes, scores, Max(max), Scalar32(iou), Scalar32(score_threshold)});
}

TEST(NonMaxSuppressionTest, ShapeFunctions) {
  const OpInput boxes = testing::F32(Shape{-1, 4}), scores = testing::F32(Shape{-1});
  const OpInput max = testing::I32(Shape{}), thr = testing::F32(Shape{});
  EXPECT_THAT(*InferShapeStrings("NonMaxSuppressionV3", {boxes, scores, max, thr, thr}), ElementsAre("[?]"));
  EXPECT_THAT(*InferShapeStrings("NonMaxSuppressionV4", {boxes, scores, max, thr, thr}), ElementsAre("[?]", "[]"));
  AttrMap pad{{"pad_to_max_output_size", MakeAttr(true)}};
  EXPECT_THAT(*InferShapeStrings("NonMaxSuppressionV4", {boxes, scores, testing::ScalarI32(7), thr, thr}, pad),
              ElementsAre("[7]", "[]"));
  EXPECT_THAT(*InferShapeStrings("NonMaxSuppressionV4", {boxes, scores, max, thr, thr}, pad), ElementsAre("[?]", "[]"));
  EXPECT_THAT(*InferShapeStrings("NonMaxSuppressionV5", {boxes, scores, max, thr, thr, thr}),
              ElementsAre("[?]", "[?]", "[]"));
  EXPECT_THAT(*InferShapeStrings("NonMaxSuppressionV5", {boxes, scores, testing::ScalarI32(5), thr, thr, thr}, pad),
              ElementsAre("[5]", "[5]", "[]"));

  auto bad_boxes = InferShapeStrings("NonMaxSuppressionV3", {testing::F32(Shape{3, 5}), scores, max, thr, thr});
  EXPECT_THAT(Message(bad_boxes), AllOf(HasSubstr("node 'op' (NonMaxSuppressionV3)"), HasSubstr("last dimension of boxes")));
  auto mismatch = InferShapeStrings("NonMaxSuppressionV3", {testing::F32(Shape{3, 4}), testing::F32(Shape{2}), max, thr, thr});
  EXPECT_THAT(Message(mismatch), HasSubstr("num_boxes"));
  auto rank = InferShapeStrings("NonMaxSuppressionV3", {testing::F32(Shape{4}), scores, max, thr, thr});
  EXPECT_THAT(Message(rank), HasSubstr("input 'boxes'"));
  auto scalar = InferShapeStrings("NonMaxSuppressionV3", {boxes, scores, testing::I32(Shape{1}), thr, thr});
  EXPECT_THAT(Message(scalar), HasSubstr("input 'max_output_size'"));
  auto negative = InferShapeStrings("NonMaxSuppressionV4", {boxes, scores, testing::ScalarI32(-1), thr, thr}, pad);
  EXPECT_THAT(Message(negative), HasSubstr("non-negative"));
}

TEST(NonMaxSuppressionTest, SelectsFromThreeClusters) {
  // Scores in order: 3 (0.95), 0, 1, 2, 4, 5. 1 and 2 overlap 0 by 0.82 > 0.5; 4 overlaps 3.
  ExpectValues(V3(ClusterBoxes(), ClusterScores(), 3, 0.5, 0), 0, I32({3}, {3, 0, 5}));
  ExpectValues(V3(ClusterBoxes(), ClusterScores(), 2, 0.5, 0), 0, I32({2}, {3, 0}));
  ExpectValues(V3(ClusterBoxes(), ClusterScores(), 100, 0.5, 0), 0, I32({3}, {3, 0, 5}));
  // A threshold above 0.82 keeps everything, in score order.
  ExpectValues(V3(ClusterBoxes(), ClusterScores(), 6, 0.9, -kInf), 0, I32({6}, {3, 0, 1, 2, 4, 5}));
  // Scores must be strictly above score_threshold: box 5 (0.3) drops at 0.3.
  ExpectValues(V3(ClusterBoxes(), ClusterScores(), 6, 0.5, 0.3), 0, I32({2}, {3, 0}));
  ExpectValues(V3(ClusterBoxes(), ClusterScores(), 0, 0.5, 0), 0, I32({0}, {}));
}

TEST(NonMaxSuppressionTest, FlippedCornersAndDegenerateBoxes) {
  // TF's flipped-coordinates variant: corners in either order give the same boxes.
  Tensor flipped = F32({6, 4}, {1, 1, 0, 0, 0, 0.1, 1, 1.1, 0, .9, 1, -0.1, 0, 10, 1, 11, 1, 10.1, 0, 11.1, 1, 101, 0, 100});
  ExpectValues(V3(flipped, ClusterScores(), 3, 0.5, 0), 0, I32({3}, {3, 0, 5}));
  // A zero-area box overlaps nothing (IoU 0), even with a box containing it.
  Tensor boxes = F32({2, 4}, {0, 0, 2, 2, 1, 1, 1, 1});
  ExpectValues(V3(boxes, F32({2}, {0.9, 0.8}), 5, 0.0, -kInf), 0, I32({2}, {0, 1}));
}

TEST(NonMaxSuppressionTest, TiesTakeTheLowerIndexAndThresholdIsInclusive) {
  // Equal scores: lower index first; of two identical boxes the first survives.
  Tensor boxes = F32({4, 4}, {0, 0, 1, 1, 5, 5, 6, 6, 0, 0, 1, 1, 9, 9, 10, 10});
  ExpectValues(V3(boxes, F32({4}, {0.5, 0.5, 0.5, 0.5}), 4, 0.5, 0), 0, I32({3}, {0, 1, 3}));
  // IoU exactly 0.5 ([0,0,2,1] vs [0,0,1,1]: 1 / 2) is not above a 0.5 threshold.
  Tensor pair = F32({2, 4}, {0, 0, 2, 1, 0, 0, 1, 1});
  ExpectValues(V3(pair, F32({2}, {0.9, 0.8}), 2, 0.5, 0), 0, I32({2}, {0, 1}));
  ExpectValues(V3(pair, F32({2}, {0.9, 0.8}), 2, 0.49, 0), 0, I32({1}, {0}));
  // NaN scores are never candidates.
  ExpectValues(V3(pair, F32({2}, {kNaN, 0.8}), 2, 0.5, -kInf), 0, I32({1}, {1}));
}

TEST(NonMaxSuppressionTest, EmptyInputs) {
  ExpectValues(V3(F32({0, 4}, {}), F32({0}, {}), 5, 0.5, 0), 0, I32({0}, {}));
  auto v4 = RunOp("NonMaxSuppressionV4", {F32({0, 4}, {}), F32({0}, {}), Max(3), Scalar32(0.5), Scalar32(0)},
                  {{"pad_to_max_output_size", MakeAttr(true)}});
  ExpectValues(v4, 0, I32({3}, {0, 0, 0}));
  ExpectValues(v4, 1, I32({}, {0}));
}

TEST(NonMaxSuppressionTest, V4PadsToMaxOutputSize) {
  std::vector<Tensor> in = {ClusterBoxes(), ClusterScores(), Max(6), Scalar32(0.5), Scalar32(0.4)};
  auto padded = RunOp("NonMaxSuppressionV4", in, {{"pad_to_max_output_size", MakeAttr(true)}});
  ExpectValues(padded, 0, I32({6}, {3, 0, 0, 0, 0, 0}));
  ExpectValues(padded, 1, I32({}, {2}));
  auto plain = RunOp("NonMaxSuppressionV4", in);
  ExpectValues(plain, 0, I32({2}, {3, 0}));
  ExpectValues(plain, 1, I32({}, {2}));
}

TEST(NonMaxSuppressionTest, V5SoftSuppressionRescalesScores) {
  // IoU([0,0,1,1], [0,0,1,2]) = 0.5; sigma 0.5: weight exp(-0.5 * 0.25 / 0.5) = exp(-0.25).
  Tensor boxes = F32({2, 4}, {0, 0, 1, 1, 0, 0, 1, 2});
  const double softened = 0.8 * std::exp(-0.25);  // 0.62304
  auto soft = RunOp("NonMaxSuppressionV5", {boxes, F32({2}, {0.9, 0.8}), Max(5), Scalar32(0.5), Scalar32(0), Scalar32(0.5)});
  ExpectValues(soft, 0, I32({2}, {0, 1}));
  ExpectValues(soft, 1, F32({2}, {0.9, softened}), 1e-6);
  ExpectValues(soft, 2, I32({}, {2}));
  // Softened below score_threshold: dropped.
  auto dropped = RunOp("NonMaxSuppressionV5", {boxes, F32({2}, {0.9, 0.8}), Max(5), Scalar32(0.5), Scalar32(0.7), Scalar32(0.5)});
  ExpectValues(dropped, 0, I32({1}, {0}));
  ExpectValues(dropped, 1, F32({1}, {0.9}));
  // Softening can reorder: a third box scoring 0.7 (disjoint) now beats box 1.
  Tensor three = F32({3, 4}, {0, 0, 1, 1, 0, 0, 1, 2, 5, 5, 6, 6});
  auto reordered = RunOp("NonMaxSuppressionV5", {three, F32({3}, {0.9, 0.8, 0.7}), Max(5), Scalar32(0.5), Scalar32(0), Scalar32(0.5)},
                         {{"pad_to_max_output_size", MakeAttr(true)}});
  ExpectValues(reordered, 0, I32({5}, {0, 2, 1, 0, 0}));
  ExpectValues(reordered, 1, F32({5}, {0.9, 0.7, softened, 0, 0}), 1e-6);
  ExpectValues(reordered, 2, I32({}, {3}));
  // sigma 0 is hard NMS; scores are the original ones.
  auto hard = RunOp("NonMaxSuppressionV5", {ClusterBoxes(), ClusterScores(), Max(3), Scalar32(0.5), Scalar32(0), Scalar32(0)});
  ExpectValues(hard, 0, I32({3}, {3, 0, 5}));
  ExpectValues(hard, 1, F32({3}, {0.95, 0.9, 0.3}));
}

TEST(NonMaxSuppressionTest, HalfPrecision) {
  Tensor boxes = *ClusterBoxes().Cast(DT_HALF);
  Tensor scores = *ClusterScores().Cast(DT_HALF);
  auto v5 = RunOp("NonMaxSuppressionV5", {boxes, scores, Max(3), T(DT_HALF, {}, {0.5}), T(DT_HALF, {}, {0}),
                                          T(DT_HALF, {}, {0})});
  ExpectValues(v5, 0, I32({3}, {3, 0, 5}));
  ExpectValues(v5, 1, *F32({3}, {0.95, 0.9, 0.3}).Cast(DT_HALF));
  // V3 with float thresholds for half boxes (T_threshold differs from T).
  auto v3 = RunOp("NonMaxSuppressionV3", {boxes, scores, Max(3), Scalar32(0.5), Scalar32(0)});
  ExpectValues(v3, 0, I32({3}, {3, 0, 5}));
}

TEST(NonMaxSuppressionTest, Goldens) {
  for (const coverage_golden::Case& c :
       coverage_golden::ReadCases({"NonMaxSuppressionV3", "NonMaxSuppressionV4", "NonMaxSuppressionV5"})) {
    SCOPED_TRACE(c.name);
    auto out = RunOp(c.op, c.inputs, c.attrs);
    ASSERT_TRUE(out.ok()) << out.status();
    coverage_golden::ExpectOutputs(c, *out);
  }
}

TEST(NonMaxSuppressionTest, ErrorsNameTheNodeAndTheProblem) {
  auto iou = V3(ClusterBoxes(), ClusterScores(), 3, 1.5, 0);
  EXPECT_THAT(Message(iou), AllOf(HasSubstr("node 'op' (NonMaxSuppressionV3)"), HasSubstr("iou_threshold must be in [0, 1]")));
  EXPECT_THAT(Message(V3(ClusterBoxes(), ClusterScores(), 3, kNaN, 0)), HasSubstr("iou_threshold"));
  auto negative = V3(ClusterBoxes(), ClusterScores(), -1, 0.5, 0);
  EXPECT_THAT(Message(negative), AllOf(HasSubstr("node 'op'"), HasSubstr("max_output_size must be non-negative")));
  auto sigma = RunOp("NonMaxSuppressionV5", {ClusterBoxes(), ClusterScores(), Max(3), Scalar32(0.5), Scalar32(0), Scalar32(-1)});
  EXPECT_THAT(Message(sigma), HasSubstr("soft_nms_sigma must be >= 0"));
  // Shapes that only the kernel sees (the inputs' static shapes unknown to shape inference).
  auto columns = RunLoweringUnchecked("NonMaxSuppressionV3",
                                      {F32({2, 3}, {0, 0, 1, 1, 1, 2}), F32({2}, {1, 2}), Max(1), Scalar32(0.5), Scalar32(0)});
  EXPECT_THAT(Message(columns), AllOf(HasSubstr("node 'op'"), HasSubstr("[num_boxes, 4]")));
  auto scores = RunLoweringUnchecked("NonMaxSuppressionV3",
                                     {ClusterBoxes(), F32({5}, {1, 2, 3, 4, 5}), Max(1), Scalar32(0.5), Scalar32(0)});
  EXPECT_THAT(Message(scores), HasSubstr("scores must be a vector of 6 elements"));
  auto not_scalar = RunLoweringUnchecked("NonMaxSuppressionV3",
                                         {ClusterBoxes(), ClusterScores(), I32({2}, {1, 2}), Scalar32(0.5), Scalar32(0)});
  EXPECT_THAT(Message(not_scalar), HasSubstr("max_output_size must be a scalar"));
}

TEST(HostKernelTest, MissingKernelAndWrongInputCount) {
  Graph g;
  absl::StatusOr<Node*> x = g.AddNode(Spec("x", "Placeholder", {}, {{"dtype", MakeAttr(DT_FLOAT)}}));
  ASSERT_TRUE(x.ok());
  absl::StatusOr<Node*> relu = g.AddNode(Spec("relu", "Relu", {Output(*x, 0)}));
  ASSERT_TRUE(relu.ok());
  EXPECT_THAT(Message(RunHostKernel(**relu, {F32({1}, {1})})), HasSubstr("has no host kernel"));
  absl::StatusOr<Node*> where = g.AddNode(Spec("w", "Where", {Output(*x, 0)}));
  ASSERT_TRUE(where.ok());
  EXPECT_THAT(Message(RunHostKernel(**where, {})), AllOf(HasSubstr("node 'w' (Where)"), HasSubstr("expected 1 input")));
}

}  // namespace
}  // namespace strata
