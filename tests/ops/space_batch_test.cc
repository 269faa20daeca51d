// SpaceToBatchND and BatchToSpaceND (ops/space_batch_ops.cc): the four documented examples of
// each op (tf.space_to_batch_nd / tf.batch_to_space_nd) through the reference evaluator, which
// runs the lowerings on the host, with int32 and int64 block_shape/paddings; shape functions
// (known, partly known and unknown values) and their errors; lowering errors; and the gradient
// (each op's is the other) against central differences of the reference evaluator.
// tests/compiler/space_batch_compiled_test.cc checks the compiled code against the same values.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "graph/gradients.h"
#include "gtest/gtest.h"
#include "runtime/reference/evaluator.h"
#include "tests/ops/lowering_test_util.h"
#include "tests/ops/op_test_util.h"

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::ConstI32;
using testing::ConstI64;
using testing::F32;
using testing::I32;
using testing::OpTester;
using testing::RunOp;

Tensor Floats(std::vector<float> v, Shape shape) { return Tensor::FromVector<float>(absl::MakeConstSpan(v), shape); }

// block_shape / paddings as int32 or int64 tensors.
Tensor Ints(DType dt, const std::vector<int64_t>& v, Shape shape) {
  if (dt == DT_INT64) return Tensor::FromVector<int64_t>(absl::MakeConstSpan(v), shape);
  std::vector<int32_t> v32(v.begin(), v.end());
  return Tensor::FromVector<int32_t>(absl::MakeConstSpan(v32), shape);
}

std::vector<float> FloatsOf(const Tensor& t) {
  auto f = t.flat<float>();
  return std::vector<float>(f.begin(), f.end());
}

std::vector<float> Iota(int n, float from = 1) {
  std::vector<float> v;
  for (int i = 0; i < n; ++i) v.push_back(from + static_cast<float>(i));
  return v;
}

// One documented example: `space` (the SpaceToBatchND input / BatchToSpaceND output) and `batch`.
struct DocExample {
  std::string name;
  Shape space_shape;
  std::vector<float> space;
  std::vector<int64_t> pads;  // paddings of SpaceToBatchND = crops of BatchToSpaceND
  Shape batch_shape;
  std::vector<float> batch;
};

std::vector<DocExample> DocExamples() {
  return {
      {"1x2x2x1", Shape{1, 2, 2, 1}, {1, 2, 3, 4}, {0, 0, 0, 0}, Shape{4, 1, 1, 1}, {1, 2, 3, 4}},
      {"1x2x2x3", Shape{1, 2, 2, 3}, Iota(12), {0, 0, 0, 0}, Shape{4, 1, 1, 3}, Iota(12)},
      {"1x4x4x1",
       Shape{1, 4, 4, 1},
       Iota(16),
       {0, 0, 0, 0},
       Shape{4, 2, 2, 1},
       {1, 3, 9, 11, 2, 4, 10, 12, 5, 7, 13, 15, 6, 8, 14, 16}},
      {"2x2x4x1 padded",
       Shape{2, 2, 4, 1},
       Iota(16),
       {0, 0, 2, 0},
       Shape{8, 1, 3, 1},
       {0, 1, 3, 0, 9, 11, 0, 2, 4, 0, 10, 12, 0, 5, 7, 0, 13, 15, 0, 6, 8, 0, 14, 16}},
  };
}

TEST(SpaceBatchTest, SpaceToBatchNDDocumentedExamples) {
  for (const DocExample& e : DocExamples()) {
    for (DType dt : {DT_INT32, DT_INT64}) {
      absl::StatusOr<std::vector<Tensor>> out =
          RunOp("SpaceToBatchND", {Floats(e.space, e.space_shape), Ints(dt, {2, 2}, {2}), Ints(dt, e.pads, {2, 2})}, {},
                {1, 2});
      ASSERT_TRUE(out.ok()) << e.name << ": " << out.status();
      EXPECT_EQ((*out)[0].shape(), e.batch_shape) << e.name;
      EXPECT_THAT(FloatsOf((*out)[0]), ElementsAreArray(e.batch)) << e.name << " " << DTypeName(dt);
    }
  }
}

TEST(SpaceBatchTest, BatchToSpaceNDDocumentedExamples) {
  for (const DocExample& e : DocExamples()) {
    for (DType dt : {DT_INT32, DT_INT64}) {
      absl::StatusOr<std::vector<Tensor>> out =
          RunOp("BatchToSpaceND", {Floats(e.batch, e.batch_shape), Ints(dt, {2, 2}, {2}), Ints(dt, e.pads, {2, 2})}, {},
                {1, 2});
      ASSERT_TRUE(out.ok()) << e.name << ": " << out.status();
      EXPECT_EQ((*out)[0].shape(), e.space_shape) << e.name;
      EXPECT_THAT(FloatsOf((*out)[0]), ElementsAreArray(e.space)) << e.name << " " << DTypeName(dt);
    }
  }
}

// One block dim, remaining dims kept, an int32 payload: [2, 5, 2] with block [3] and paddings
// [1, 0] pads to [2, 6, 2]: batch k*2 + n takes positions k, k+3 of row n.
TEST(SpaceBatchTest, OneBlockDimWithRemainingDimsAndIntegers) {
  std::vector<int32_t> v;
  for (int i = 0; i < 20; ++i) v.push_back(i + 1);
  Tensor x = Tensor::FromVector<int32_t>(absl::MakeConstSpan(v), Shape{2, 5, 2});
  absl::StatusOr<std::vector<Tensor>> out =
      RunOp("SpaceToBatchND", {x, Ints(DT_INT32, {3}, {1}), Ints(DT_INT32, {1, 0}, {1, 2})}, {}, {1, 2});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (Shape{6, 2, 2}));
  auto f = (*out)[0].flat<int32_t>();
  // Padded row 0: [0 0][1 2][3 4][5 6][7 8][9 10]; row 1: [0 0][11 12]...[19 20].
  EXPECT_THAT(std::vector<int32_t>(f.begin(), f.end()),
              ElementsAre(0, 0, 5, 6, 0, 0, 15, 16, 1, 2, 7, 8, 11, 12, 17, 18, 3, 4, 9, 10, 13, 14, 19, 20));
  // And back, cropping the padding again.
  absl::StatusOr<std::vector<Tensor>> back =
      RunOp("BatchToSpaceND", {(*out)[0], Ints(DT_INT64, {3}, {1}), Ints(DT_INT64, {1, 0}, {1, 2})}, {}, {1, 2});
  ASSERT_TRUE(back.ok()) << back.status();
  auto g = (*back)[0].flat<int32_t>();
  EXPECT_EQ((*back)[0].shape(), (Shape{2, 5, 2}));
  EXPECT_EQ(std::vector<int32_t>(g.begin(), g.end()), v);
}

// No block dims (block_shape [0], paddings [0, 2]): the identity.
TEST(SpaceBatchTest, NoBlockDimsIsTheIdentity) {
  Tensor x = Floats({1, 2, 3}, Shape{3});
  Tensor empty_pads(DT_INT32, Shape{0, 2});
  absl::StatusOr<std::vector<Tensor>> out =
      RunOp("SpaceToBatchND", {x, Tensor(DT_INT32, Shape{0}), empty_pads}, {}, {1, 2});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(FloatsOf((*out)[0]), ElementsAre(1, 2, 3));
}

// ---- Shape functions -----------------------------------------------------------------------------

// paddings / crops constants: n values as an [n / 2, 2] matrix.
testing::OpInput Pairs32(std::vector<int32_t> v) {
  const int64_t rows = static_cast<int64_t>(v.size()) / 2;
  return testing::OpInput::Const(Tensor::FromVector<int32_t>(absl::MakeConstSpan(v), Shape{rows, 2}));
}
testing::OpInput Pairs64(std::vector<int64_t> v) {
  const int64_t rows = static_cast<int64_t>(v.size()) / 2;
  return testing::OpInput::Const(Tensor::FromVector<int64_t>(absl::MakeConstSpan(v), Shape{rows, 2}));
}

TEST(SpaceBatchTest, SpaceToBatchNDShapes) {
  OpTester t;
  absl::StatusOr<testing::OpResult> r =
      t.Run("SpaceToBatchND", {F32(Shape{3, 5, 7, 4}), ConstI32({2, 3}), Pairs64({1, 0, 1, 1})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->shapes[0], (Shape{18, 3, 3, 4}));
  // Unknown batch and spatial dims stay unknown; the others are computed.
  OpTester t2;
  r = t2.Run("SpaceToBatchND", {F32(Shape{-1, 4, -1}), ConstI32({2, 2}), Pairs32({0, 0, 0, 0})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->shapes[0], (Shape{-1, 2, -1}));
  // Unknown block values: batch and spatial dims unknown, the remaining dims known.
  OpTester t3;
  r = t3.Run("SpaceToBatchND", {F32(Shape{2, 4, 4, 3}), I32(Shape{2}), Pairs32({0, 0, 0, 0})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->shapes[0], (Shape{-1, -1, -1, 3}));
  // Unknown-rank input.
  OpTester t4;
  r = t4.Run("SpaceToBatchND", {F32(Shape::UnknownRank()), ConstI32({2}), Pairs32({0, 0})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->shapes[0].unknown_rank());
}

TEST(SpaceBatchTest, BatchToSpaceNDShapes) {
  OpTester t;
  absl::StatusOr<testing::OpResult> r =
      t.Run("BatchToSpaceND", {F32(Shape{18, 3, 3, 4}), ConstI64({2, 3}), Pairs32({1, 0, 1, 1})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->shapes[0], (Shape{3, 5, 7, 4}));
  OpTester t2;
  r = t2.Run("BatchToSpaceND", {F32(Shape{-1, 2, -1}), ConstI32({2, 2}), I32(Shape{2, 2})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->shapes[0], (Shape{-1, -1, -1}));
}

TEST(SpaceBatchTest, ShapeErrors) {
  struct Case {
    std::string op;
    std::vector<testing::OpInput> inputs;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"SpaceToBatchND", {F32(Shape{1, 5, 4, 1}), ConstI32({2, 2}), Pairs32({0, 0, 0, 0})}, "padded size 5 of input dimension 1"},
      {"SpaceToBatchND", {F32(Shape{1, 4, 4, 1}), ConstI32({2, 2}), Pairs32({0, 0, 1, 0})}, "not divisible by block_shape[1] = 2"},
      {"SpaceToBatchND", {F32(Shape{1, 4, 4, 1}), ConstI32({0, 2}), Pairs32({0, 0, 0, 0})}, "block_shape must be positive"},
      {"SpaceToBatchND", {F32(Shape{1, 4, 4, 1}), ConstI32({2, 2}), Pairs32({0, -1, 0, 0})}, "paddings cannot be negative"},
      {"SpaceToBatchND", {F32(Shape{1, 4, 4, 1}), ConstI32({2, 2}), Pairs32({0, 0})}, "paddings must have shape [2, 2]"},
      {"SpaceToBatchND", {F32(Shape{4, 4}), ConstI32({2, 2}), Pairs32({0, 0, 0, 0})}, "at least rank 3"},
      {"SpaceToBatchND", {F32(Shape{1, 4, 4, 1}), I32(Shape{-1}), Pairs32({0, 0, 0, 0})}, "block_shape must have known size"},
      {"SpaceToBatchND", {F32(Shape{1, 4, 4, 1}), I32(Shape{2, 1}), Pairs32({0, 0, 0, 0})}, "block_shape must have rank 1"},
      {"BatchToSpaceND", {F32(Shape{6, 2, 2, 1}), ConstI32({2, 2}), Pairs32({0, 0, 0, 0})}, "input batch size 6 is not divisible"},
      {"BatchToSpaceND", {F32(Shape{4, 2, 2, 1}), ConstI32({2, 2}), Pairs32({3, 2, 0, 0})}, "are larger than its size 2 * block_shape[0] = 4"},
      {"BatchToSpaceND", {F32(Shape{4, 2, 2, 1}), ConstI32({2, 2}), Pairs32({0, 0, 0, -1})}, "crops cannot be negative"},
      {"BatchToSpaceND", {F32(Shape{4, 2, 2, 1}), ConstI32({2, -2}), Pairs32({0, 0, 0, 0})}, "block_shape must be positive"},
  };
  for (const Case& c : cases) {
    OpTester t;
    absl::StatusOr<testing::OpResult> r = t.Run(c.op, c.inputs);
    ASSERT_FALSE(r.ok()) << c.op << " should fail with " << c.error;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.error));
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.op));  // the node is named
  }
}

// ---- Gradient ------------------------------------------------------------------------------------

// d sum(op(x) * w) / dx from AddSymbolicGradients against central differences, both through
// the reference evaluator (float64: the two agree to rounding).
void CheckGradient(const std::string& op, const Shape& x_shape, const std::vector<int64_t>& block,
                   const std::vector<int64_t>& pairs) {
  Graph g;
  auto add = [&](const std::string& name, const std::string& type, std::vector<Output> inputs, AttrMap attrs) {
    NodeSpec spec;
    spec.name = name;
    spec.op = type;
    spec.inputs = std::move(inputs);
    spec.attrs = std::move(attrs);
    absl::StatusOr<Node*> n = g.AddNode(std::move(spec));
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? Output(*n, 0) : Output();
  };
  Output x = add("x", "Placeholder", {}, {{"dtype", MakeAttr(DT_DOUBLE)}, {"shape", MakeAttr(x_shape)}});
  const int64_t m = static_cast<int64_t>(block.size());
  Tensor block_t = Ints(DT_INT32, block, Shape{m}), pairs_t = Ints(DT_INT64, pairs, Shape{m, 2});
  Output bs = add("block", "Const", {}, {{"dtype", MakeAttr(DT_INT32)}, {"value", MakeAttr(block_t)}});
  Output ps = add("pairs", "Const", {}, {{"dtype", MakeAttr(DT_INT64)}, {"value", MakeAttr(pairs_t)}});
  Output y = add("y", op, {x, bs, ps}, {});
  ASSERT_TRUE(InferShapes(&g).ok());
  const Shape y_shape = y.node->output_shape(0);
  ASSERT_TRUE(y_shape.IsFullyDefined()) << y_shape.ToString();
  std::vector<double> wv;
  for (int64_t i = 0; i < y_shape.num_elements(); ++i) wv.push_back(0.25 * static_cast<double>((i * 7) % 11) - 1.0);
  Output w = add("w", "Const", {}, {{"dtype", MakeAttr(DT_DOUBLE)}, {"value", MakeAttr(Tensor::FromVector<double>(absl::MakeConstSpan(wv), y_shape))}});
  std::vector<int32_t> axes;
  for (int d = 0; d < y_shape.rank(); ++d) axes.push_back(d);
  Output ax = add("axes", "Const", {}, {{"dtype", MakeAttr(DT_INT32)}, {"value", MakeAttr(Tensor::FromVector<int32_t>(axes))}});
  Output loss = add("loss", "Sum", {add("yw", "Mul", {y, w}, {}), ax}, {});
  std::vector<Output> dxs;
  absl::Status s = AddSymbolicGradients(&g, {loss}, {x}, &dxs);
  ASSERT_TRUE(s.ok()) << s;
  std::vector<double> xv;
  for (int64_t i = 0; i < x_shape.num_elements(); ++i) xv.push_back(0.1 * static_cast<double>(i) - 0.7);
  auto eval = [&](const std::vector<double>& v, Output fetch) -> Tensor {
    absl::StatusOr<std::vector<Tensor>> r =
        Evaluate(g, {{x, Tensor::FromVector<double>(absl::MakeConstSpan(v), x_shape)}}, {fetch});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? (*r)[0] : Tensor();
  };
  Tensor symbolic = eval(xv, dxs[0]);
  ASSERT_EQ(symbolic.shape(), x_shape);
  const double delta = 1e-6;
  double max_error = 0;
  int nonzero = 0;
  for (int64_t i = 0; i < x_shape.num_elements(); ++i) {
    std::vector<double> plus = xv, minus = xv;
    plus[i] += delta;
    minus[i] -= delta;
    const double numeric = (eval(plus, loss).ElementAsDouble(0) - eval(minus, loss).ElementAsDouble(0)) / (2 * delta);
    max_error = std::max(max_error, std::abs(numeric - symbolic.ElementAsDouble(i)));
    nonzero += symbolic.ElementAsDouble(i) != 0;
  }
  EXPECT_LT(max_error, 1e-6) << op;
  EXPECT_GT(nonzero, 0) << op;  // the check compared something
}

TEST(SpaceBatchTest, GradientsMatchCentralDifferences) {
  // Padding on both sides of both spatial dims; the padded cells get no gradient.
  CheckGradient("SpaceToBatchND", Shape{2, 3, 5, 2}, {2, 3}, {1, 0, 0, 1});
  // Crops on both sides; the cropped cells get a zero gradient.
  CheckGradient("BatchToSpaceND", Shape{12, 2, 2, 2}, {2, 3}, {1, 0, 2, 1});
}

}  // namespace
}  // namespace strata
