// AddSymbolicGradients as a graph transform: sums over paths, seeds, what cuts the flow
// (StopGradient, integer tensors, control edges), unreachable xs, control dependencies, dynamic
// shapes, names, the Scope overload, the gradient registry hook, and every error path.
#include "graph/gradients.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "graph/shape_inference.h"
#include "gtest/gtest.h"
#include "ops/gradient.h"
#include "tests/gradients/grad_test_util.h"

namespace strata {
namespace {

using testing::AsDoubles;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::RunGraph;
using ::testing::StartsWith;

absl::Status IdentityLowering(LoweringContext& c) {
  c.set_output(0, c.input(0));
  return absl::OkStatus();
}

// Test ops: one without a gradient function, one whose gradient has the wrong dtype, one whose
// gradient function fails.
REGISTER_OP("StrataGradTestNoGrad")
    .Input("x: float")
    .Output("y: float")
    .SetShapeFn(UnchangedShape)
    .SetLowering(IdentityLowering);
REGISTER_OP("StrataGradTestBadDType")
    .Input("x: float")
    .Output("y: float")
    .SetShapeFn(UnchangedShape)
    .SetLowering(IdentityLowering)
    .SetGradient([](GradientContext& c) {
      c.set_dx(0, c.Cast(c.dy(0), DT_DOUBLE));
      return c.status();
    });
REGISTER_OP("StrataGradTestFailing")
    .Input("x: float")
    .Output("y: float")
    .SetShapeFn(UnchangedShape)
    .SetLowering(IdentityLowering)
    .SetGradient([](GradientContext&) { return absl::InvalidArgumentError("unsupported configuration"); });

// A resource handle and a read of it whose gradient goes to the handle (what ReadVariableOp does).
REGISTER_OP("StrataGradTestHandle").Output("resource: resource").SetShapeFn(ScalarShape);
REGISTER_OP("StrataGradTestRead")
    .Input("resource: resource")
    .Output("value: float")
    .SetShapeFn([](InferenceContext& c) {
      c.set_output(0, Shape{2});
      return absl::OkStatus();
    })
    .SetGradient([](GradientContext& c) {
      c.set_dx(0, c.dy(0));
      return c.status();
    });

Output AddTestOp(const Scope& scope, const std::string& op, Output x) {
  NodeSpec spec;
  spec.name = scope.GetUniqueNameForOp(op);
  spec.op = op;
  if (x.valid()) spec.inputs = {x};
  absl::StatusOr<Node*> node = scope.graph()->AddNode(std::move(spec));
  if (!node.ok()) {
    scope.UpdateStatus(node.status());
    return Output();
  }
  scope.UpdateStatus(InferNodeShapes(*node));
  return Output(*node, 0);
}

Output FloatInput(const Scope& scope, const char* name, const Shape& shape) {
  return ops::Placeholder(scope.WithOpName(name), DT_FLOAT, ops::Placeholder::Shape(shape));
}

Tensor Floats(std::vector<float> v) { return Tensor::FromVector<float>(v); }

// ---- Semantics -------------------------------------------------------------------------------------

TEST(AddSymbolicGradientsTest, SumsGradientsOverEveryPath) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {2});
  // y = x * x + 3 x: x reaches y along three edges.
  Output y = ops::AddV2(root, ops::Mul(root, x, x), ops::Mul(root, 3.f, x));
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {x}, &dxs));
  ASSERT_EQ(dxs.size(), 1u);
  ASSERT_TRUE(dxs[0].valid());
  EXPECT_EQ(dxs[0].node->op(), "AddN");
  EXPECT_THAT(dxs[0].node->name(), StartsWith("gradients/"));
  absl::StatusOr<std::vector<Tensor>> out = RunGraph(root, {{x, Floats({1, 2})}}, {dxs[0]});
  GRAD_ASSERT_OK(out.status());
  EXPECT_THAT(AsDoubles((*out)[0]), ElementsAre(5, 7));  // 2x + 3
}

TEST(AddSymbolicGradientsTest, GradYsWeightTheSeeds) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {2});
  Output y = ops::Mul(root, x, 2.f);
  Output gy = FloatInput(root, "gy", {2});
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {x}, {gy}, &dxs));
  absl::StatusOr<std::vector<Tensor>> out = RunGraph(root, {{x, Floats({1, 2})}, {gy, Floats({10, 20})}}, {dxs[0]});
  GRAD_ASSERT_OK(out.status());
  EXPECT_THAT(AsDoubles((*out)[0]), ElementsAre(20, 40));
}

TEST(AddSymbolicGradientsTest, SeveralYsAddUpIncludingPathsThroughEachOther) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {2});
  Output y1 = ops::Mul(root, x, x);
  Output y2 = ops::Mul(root, y1, 2.f);  // depends on y1
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y1, y2}, {x}, &dxs));
  absl::StatusOr<std::vector<Tensor>> out = RunGraph(root, {{x, Floats({1, 3})}}, {dxs[0]});
  GRAD_ASSERT_OK(out.status());
  EXPECT_THAT(AsDoubles((*out)[0]), ElementsAre(6, 18));  // d(x^2 + 2x^2) = 6x
}

TEST(AddSymbolicGradientsTest, GradientOfAnXThatIsAlsoAY) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {2});
  Output h = ops::Square(root, x);
  Output y = ops::Mul(root, h, 3.f);
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {h, x}, &dxs));
  absl::StatusOr<std::vector<Tensor>> out = RunGraph(root, {{x, Floats({1, 2})}}, {dxs[0], dxs[1]});
  GRAD_ASSERT_OK(out.status());
  EXPECT_THAT(AsDoubles((*out)[0]), ElementsAre(3, 3));
  EXPECT_THAT(AsDoubles((*out)[1]), ElementsAre(6, 12));
}

TEST(AddSymbolicGradientsTest, StopGradientCutsTheFlow) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {2});
  Output y = ops::Mul(root, x, ops::StopGradient(root, x));
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {x}, &dxs));
  absl::StatusOr<std::vector<Tensor>> out = RunGraph(root, {{x, Floats({2, 5})}}, {dxs[0]});
  GRAD_ASSERT_OK(out.status());
  EXPECT_THAT(AsDoubles((*out)[0]), ElementsAre(2, 5));  // not 2x
}

TEST(AddSymbolicGradientsTest, IntegerTensorsCutTheFlow) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {2});
  Output truncated = ops::Cast(root, ops::Cast(root, x, DT_INT32), DT_FLOAT);
  Output y = ops::Mul(root, truncated, x);
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {x}, &dxs));
  absl::StatusOr<std::vector<Tensor>> out = RunGraph(root, {{x, Floats({1.5f, 2.5f})}}, {dxs[0]});
  GRAD_ASSERT_OK(out.status());
  EXPECT_THAT(AsDoubles((*out)[0]), ElementsAre(1, 2));  // only the direct path
}

TEST(AddSymbolicGradientsTest, UnreachableXsGetNoGradientOrZeros) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {2});
  Output unrelated = FloatInput(root, "unrelated", {3});
  Output through_ints = FloatInput(root, "through_ints", {2});
  Output index = ops::Cast(root, through_ints, DT_INT32);
  Output y = ops::AddV2(root, ops::Square(root, x), ops::Cast(root, index, DT_FLOAT));
  Output int_x = ops::Placeholder(root.WithOpName("int_x"), DT_INT32);
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {x, unrelated, through_ints, int_x}, &dxs));
  ASSERT_EQ(dxs.size(), 4u);
  EXPECT_TRUE(dxs[0].valid());
  EXPECT_FALSE(dxs[1].valid());
  EXPECT_FALSE(dxs[2].valid());
  EXPECT_FALSE(dxs[3].valid());

  GradientOptions zeros;
  zeros.unconnected = GradientOptions::Unconnected::kZeros;
  GRAD_ASSERT_OK(AddSymbolicGradients(root.graph(), {y}, {unrelated}, {}, &dxs, zeros));
  ASSERT_TRUE(dxs[0].valid());
  EXPECT_EQ(dxs[0].node->op(), "ZerosLike");
  absl::StatusOr<std::vector<Tensor>> out = RunGraph(root, {{unrelated, Floats({1, 2, 3})}}, {dxs[0]});
  GRAD_ASSERT_OK(out.status());
  EXPECT_THAT(AsDoubles((*out)[0]), ElementsAre(0, 0, 0));
}

TEST(AddSymbolicGradientsTest, ReadsOfAResourceHandleSumTheirGradientsAtTheHandle) {
  Scope root = Scope::NewRootScope();
  Output handle = AddTestOp(root, "StrataGradTestHandle", Output());
  Output y =
      ops::Mul(root, AddTestOp(root, "StrataGradTestRead", handle), AddTestOp(root, "StrataGradTestRead", handle));
  ASSERT_TRUE(root.ok()) << root.status();
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {handle}, &dxs));
  ASSERT_TRUE(dxs[0].valid());
  EXPECT_EQ(dxs[0].dtype(), DT_FLOAT);
  EXPECT_EQ(dxs[0].node->op(), "AddN");
  // The handle itself is no y: it seeds nothing.
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {handle}, {handle}, &dxs));
  EXPECT_FALSE(dxs[0].valid());
}

TEST(AddSymbolicGradientsTest, IntegerYsSeedNothing) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {2});
  Output y = ops::Cast(root, x, DT_INT32);
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {x}, &dxs));
  EXPECT_FALSE(dxs[0].valid());
}

TEST(AddSymbolicGradientsTest, ControlEdgesCarryNoGradient) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {2});
  Output z = FloatInput(root, "z", {2});
  Output side = ops::Square(root, z);
  Output y = ops::Mul(root.WithControlDependencies(side), x, 2.f);
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {x, z}, &dxs));
  EXPECT_TRUE(dxs[0].valid());
  EXPECT_FALSE(dxs[1].valid());
}

TEST(AddSymbolicGradientsTest, AddedNodesRunAfterTheGivenControlDependencies) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {2});
  Output y = ops::Mul(root, ops::Square(root, x), 2.f);
  auto barrier = ops::NoOp(root.WithOpName("barrier"));
  const int before = root.graph()->num_nodes();
  std::vector<Output> dxs;
  GradientOptions options;
  options.control_dependencies = {barrier.operation.node()};
  GRAD_ASSERT_OK(AddSymbolicGradients(root.graph(), {y}, {x}, {}, &dxs, options));
  // Every added node depends on the barrier: directly, or through an added input.
  absl::flat_hash_set<const Node*> added;
  for (int i = before; i < root.graph()->num_nodes(); ++i) added.insert(root.graph()->nodes()[i].get());
  ASSERT_FALSE(added.empty());
  for (const Node* n : added) {
    bool reads_added = false;
    for (const Output& in : n->inputs()) reads_added |= added.contains(in.node);
    if (reads_added) continue;
    EXPECT_THAT(n->control_inputs(), ElementsAre(barrier.operation.node())) << n->name();
  }
  absl::StatusOr<std::vector<Tensor>> out = RunGraph(root, {{x, Floats({1, 2})}}, {dxs[0]});
  GRAD_ASSERT_OK(out.status());
  EXPECT_THAT(AsDoubles((*out)[0]), ElementsAre(4, 8));
}

TEST(AddSymbolicGradientsTest, ScopeOverloadUsesTheScopesNameAndControlDependencies) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {2});
  Output y = ops::Square(root, x);
  auto barrier = ops::NoOp(root.WithOpName("barrier"));
  Scope train = root.NewSubScope("train").WithControlDependencies({barrier.operation});
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(train, {y}, {x}, &dxs));
  EXPECT_THAT(dxs[0].node->name(), StartsWith("train/gradients/Square_grad/"));
  // A second transform gets a scope of its own.
  std::vector<Output> again;
  GRAD_ASSERT_OK(AddSymbolicGradients(train, {y}, {x}, &again));
  EXPECT_THAT(again[0].node->name(), StartsWith("train/gradients_1/"));
  EXPECT_TRUE(root.ok());
}

TEST(AddSymbolicGradientsTest, BroadcastingWithDynamicShapesResolvesWhenRun) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {-1, 3});
  Output b = FloatInput(root, "b", {3});
  Output any = ops::Placeholder(root.WithOpName("any"), DT_FLOAT);  // unknown rank
  Output y = ops::Mul(root, ops::AddV2(root, x, b), any);
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {x, b, any}, &dxs));
  Tensor x_value = Tensor::FromVector<float>(absl::MakeConstSpan(std::vector<float>{1, 2, 3, 4, 5, 6}), Shape{2, 3});
  Tensor any_value = Tensor::FromVector<float>(absl::MakeConstSpan(std::vector<float>{2, 3}), Shape{2, 1});
  for (const char* backend : {"cpu", "reference"}) {
    absl::StatusOr<std::vector<Tensor>> out =
        RunGraph(root, {{x, x_value}, {b, Floats({10, 20, 30})}, {any, any_value}}, dxs, backend);
    GRAD_ASSERT_OK(out.status());
    EXPECT_THAT(AsDoubles((*out)[0]), ElementsAre(2, 2, 2, 3, 3, 3)) << backend;
    EXPECT_THAT(AsDoubles((*out)[1]), ElementsAre(5, 5, 5)) << backend;
    EXPECT_EQ((*out)[2].shape(), (Shape{2, 1})) << backend;
    EXPECT_THAT(AsDoubles((*out)[2]), ElementsAre(11 + 22 + 33, 14 + 25 + 36)) << backend;
  }
}

TEST(AddSymbolicGradientsTest, StaticShapesNeedNoShapeArithmetic) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {4, 3});
  Output b = FloatInput(root, "b", {3});
  Output y = ops::AddV2(root, x, b);
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {b}, &dxs));
  for (const auto& n : root.graph()->nodes()) {
    EXPECT_NE(n->op(), "BroadcastGradientArgs");
    EXPECT_NE(n->op(), "Shape");
  }
  EXPECT_EQ(dxs[0].shape(), Shape{3});
}

TEST(AddSymbolicGradientsTest, GradientsNoXNeedsAreNotBuilt) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {4, 3});
  Output w = FloatInput(root, "w", {3, 2});
  Output y = ops::MatMul(root, x, w);
  const int before = root.graph()->num_nodes();
  std::vector<Output> dxs;
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {w}, &dxs));
  int matmuls = 0;
  for (int i = before; i < root.graph()->num_nodes(); ++i) matmuls += root.graph()->nodes()[i]->op() == "MatMul";
  EXPECT_EQ(matmuls, 1);  // d/dw only: no x^T-sized product for x
}

// ---- Errors ----------------------------------------------------------------------------------------

TEST(AddSymbolicGradientsTest, OpWithoutGradientIsAnErrorAndLeavesTheGraphAlone) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {2});
  Output h = AddTestOp(root, "StrataGradTestNoGrad", ops::Square(root, x));
  Output y = ops::Mul(root, h, 2.f);
  ASSERT_TRUE(root.ok()) << root.status();
  const int before = root.graph()->num_nodes();
  std::vector<Output> dxs;
  absl::Status s = AddSymbolicGradients(root, {y}, {x}, &dxs);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'StrataGradTestNoGrad'"));
  EXPECT_THAT(s.message(), HasSubstr("has no gradient function"));
  EXPECT_EQ(root.graph()->num_nodes(), before);
  EXPECT_THAT(dxs, IsEmpty());
  // Not on a differentiated path: fine.
  GRAD_ASSERT_OK(AddSymbolicGradients(root, {y}, {h}, &dxs));
}

TEST(AddSymbolicGradientsTest, GradientFunctionErrorsNameTheNode) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {2});
  Output y = AddTestOp(root.WithOpName("failing"), "StrataGradTestFailing", x);
  std::vector<Output> dxs;
  absl::Status s = AddSymbolicGradients(root, {y}, {x}, &dxs);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("gradient of node 'failing' (StrataGradTestFailing): unsupported configuration"));
}

TEST(AddSymbolicGradientsTest, GradientOfTheWrongDTypeIsAnInternalError) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {2});
  Output y = AddTestOp(root, "StrataGradTestBadDType", x);
  std::vector<Output> dxs;
  absl::Status s = AddSymbolicGradients(root, {y}, {x}, &dxs);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("is float64 but the input is float32"));
}

TEST(AddSymbolicGradientsTest, InvalidArgumentsAreReported) {
  Scope root = Scope::NewRootScope();
  Output x = FloatInput(root, "x", {2});
  Output y = ops::Square(root, x);
  Scope other = Scope::NewRootScope();
  Output foreign = FloatInput(other, "x", {2});
  Output doubles = ops::Placeholder(root.WithOpName("doubles"), DT_DOUBLE);
  Output wide = FloatInput(root, "wide", {3});
  std::vector<Output> dxs;
  EXPECT_THAT(AddSymbolicGradients(root, {y}, {Output()}, &dxs).message(), HasSubstr("xs[0] is not a valid tensor"));
  EXPECT_THAT(AddSymbolicGradients(root, {Output()}, {x}, &dxs).message(), HasSubstr("ys[0] is not a valid tensor"));
  EXPECT_THAT(AddSymbolicGradients(root, {y}, {foreign}, &dxs).message(),
              HasSubstr("is not a tensor of the graph being differentiated"));
  EXPECT_THAT(AddSymbolicGradients(root, {y}, {Output(x.node, 3)}, &dxs).message(), HasSubstr("has no output 3"));
  EXPECT_THAT(AddSymbolicGradients(root, {y}, {x}, {x, x}, &dxs).message(), HasSubstr("grad_ys has 2 entries"));
  EXPECT_THAT(AddSymbolicGradients(root, {y}, {x}, {doubles}, &dxs).message(),
              HasSubstr("grad_ys[0] ('doubles') is float64 but ys[0]"));
  EXPECT_THAT(AddSymbolicGradients(root, {y}, {x}, {wide}, &dxs).message(), HasSubstr("has shape [3] but ys[0]"));
  EXPECT_EQ(AddSymbolicGradients(nullptr, {y}, {x}, &dxs).code(), absl::StatusCode::kInvalidArgument);
}

// ---- The registry hook -----------------------------------------------------------------------------

TEST(RegisterGradientTest, EveryRegisteredGradientNamesARegisteredOp) {
  EXPECT_THAT(OpRegistry::Global().GradientsWithoutOps(), IsEmpty());
}

TEST(RegisterGradientTest, WorksInEitherOrderAndRejectsASecondGradient) {
  OpRegistry registry;
  GradFn fn = NoGradient;
  GRAD_ASSERT_OK(registry.RegisterGradient("Later", fn));  // before the op
  EXPECT_THAT(registry.GradientsWithoutOps(), ElementsAre("Later"));
  absl::StatusOr<OpRegistration> later = OpDefBuilder("Later").Input("x: float").Output("y: float").Finalize();
  GRAD_ASSERT_OK(later.status());
  GRAD_ASSERT_OK(registry.Register(*later));
  EXPECT_TRUE(registry.Find("Later")->grad != nullptr);
  EXPECT_THAT(registry.GradientsWithoutOps(), IsEmpty());
  EXPECT_EQ(registry.RegisterGradient("Later", fn).code(), absl::StatusCode::kAlreadyExists);

  absl::StatusOr<OpRegistration> both =
      OpDefBuilder("Both").Input("x: float").Output("y: float").SetGradient(fn).Finalize();
  GRAD_ASSERT_OK(both.status());
  GRAD_ASSERT_OK(registry.RegisterGradient("Both", fn));
  EXPECT_EQ(registry.Register(*both).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(registry.RegisterGradient("X", nullptr).code(), absl::StatusCode::kInvalidArgument);
}

// Every differentiable op of the foundation list (issue 2) and the losses has a gradient.
TEST(RegisterGradientTest, FoundationOpsHaveGradients) {
  const std::vector<std::string> ops = absl::StrSplit(
      "Identity IdentityN StopGradient PlaceholderWithDefault Add AddV2 AddN Sub Mul RealDiv Div FloorDiv FloorMod "
      "Maximum Minimum Pow SquaredDifference Neg Abs Sign Square Sqrt Rsqrt Reciprocal Exp Log Log1p Tanh Sigmoid Sin "
      "Cos Floor Ceil Round Erf Relu Relu6 Elu Selu LeakyRelu Softplus Softmax LogSoftmax Select SelectV2 Cast MatMul "
      "BatchMatMulV2 BiasAdd Conv2D DepthwiseConv2dNative Conv2DBackpropInput MaxPool AvgPool FusedBatchNormV3 Sum "
      "Mean Max Min Prod Reshape Squeeze ExpandDims Transpose ConcatV2 Pack Unpack Split SplitV Slice StridedSlice "
      "Pad PadV2 MirrorPad Tile BroadcastTo GatherV2 GatherNd Fill ZerosLike OnesLike Range OneHot ResizeBilinear "
      "ResizeNearestNeighbor DepthToSpace SpaceToDepth Prelu SoftmaxCrossEntropyWithLogits "
      "SparseSoftmaxCrossEntropyWithLogits L2Loss",
      ' ');
  for (const std::string& op : ops) {
    const OpRegistration* reg = OpRegistry::Global().Find(op);
    ASSERT_NE(reg, nullptr) << op;
    EXPECT_TRUE(reg->grad != nullptr) << op << " has no gradient";
  }
}

}  // namespace
}  // namespace strata
