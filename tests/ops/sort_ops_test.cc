// TopKV2 (ops/sort_ops.cc): its shape function; its host kernel (what the reference evaluator
// runs) on hand-checked values (ties lower index first, NaN above numbers, -0 equal to 0),
// NumPy goldens (tests/golden/coverage_goldens.py), size-0 shapes and index dtypes; its lowering
// run on the host primitive builder, which must agree with the kernel in every strategy (k = 1,
// ranking, two-level ranking with padded blocks); and the errors.
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ops/lowering.h"
#include "runtime/reference/host_builder.h"
#include "tests/ops/array_lowering_test_util.h"
#include "tests/ops/coverage_golden_util.h"
#include "tests/ops/op_test_util.h"

namespace strata {
namespace {

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

template <typename T>
std::string Message(const absl::StatusOr<T>& s) {
  return s.ok() ? "OK" : std::string(s.status().message());
}

Tensor K(int k) { return I32({}, {static_cast<double>(k)}); }

absl::StatusOr<std::vector<Tensor>> TopK(const Tensor& x, int k, AttrMap attrs = {}) {
  return RunOp("TopKV2", {x, K(k)}, std::move(attrs), {1});
}

// Runs the op's lowering on the host primitive builder (the host kernel is what EvaluateNode
// would run instead), all inputs constants.
absl::StatusOr<std::vector<Tensor>> RunLoweringOnHost(const std::vector<Tensor>& inputs, AttrMap attrs = {}) {
  testing::OpTester t;
  std::vector<OpInput> ins;
  for (const Tensor& x : inputs) ins.push_back(OpInput::Const(x));
  absl::StatusOr<testing::OpResult> r = t.Run("TopKV2", ins, std::move(attrs));
  if (!r.ok()) return r.status();
  HostBuilder b;
  std::vector<Value> values;
  std::vector<const Tensor*> constants;
  for (const Tensor& x : inputs) {
    values.push_back(b.Constant(x));
    constants.push_back(&x);
  }
  absl::StatusOr<std::vector<Value>> outs = LowerNode(*t.graph().FindNode("op"), b, values, constants);
  if (!outs.ok()) return outs.status();
  std::vector<Tensor> results;
  for (const Value& v : *outs) {
    absl::StatusOr<Tensor> x = b.Get(v);
    if (!x.ok()) return x.status();
    results.push_back(*x);
  }
  return results;
}

// The lowering agrees with the host kernel (values bit for bit, NaN included; indices exactly).
void ExpectLoweringMatchesKernel(const Tensor& x, int k, AttrMap attrs = {}) {
  SCOPED_TRACE(absl::StrCat(x.shape().ToString(), " k = ", k));
  auto kernel = RunOp("TopKV2", {x, K(k)}, attrs, {1});
  auto lowered = RunLoweringOnHost({x, K(k)}, attrs);
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  ASSERT_TRUE(lowered.ok()) << lowered.status();
  EXPECT_TRUE(coverage_golden::Near((*lowered)[0], (*kernel)[0], 0, 0));
  EXPECT_TRUE((*lowered)[1].Equals((*kernel)[1])) << (*lowered)[1].DebugString(20) << " vs " << (*kernel)[1].DebugString(20);
}

TEST(TopKV2Test, ShapeFunction) {
  EXPECT_THAT(*InferShapeStrings("TopKV2", {testing::F32(Shape{-1, 10}), testing::ScalarI32(3)}),
              ElementsAre("[?,3]", "[?,3]"));
  EXPECT_THAT(*InferShapeStrings("TopKV2", {testing::F32(Shape{4, 10}), testing::I32(Shape{})}),
              ElementsAre("[4,?]", "[4,?]"));
  EXPECT_THAT(*InferShapeStrings("TopKV2", {testing::F32(Shape::UnknownRank()), testing::ScalarI32(3)}),
              ElementsAre("<unknown>", "<unknown>"));
  auto too_big = InferShapeStrings("TopKV2", {testing::F32(Shape{2, 3}), testing::ScalarI32(4)});
  EXPECT_THAT(Message(too_big), AllOf(HasSubstr("node 'op' (TopKV2)"), HasSubstr("last dimension >= k = 4 but is 3")));
  EXPECT_THAT(Message(InferShapeStrings("TopKV2", {testing::F32(Shape{3}), testing::ScalarI32(-1)})),
              HasSubstr("Need k >= 0, got -1"));
  EXPECT_THAT(Message(InferShapeStrings("TopKV2", {testing::F32(Shape{}), testing::ScalarI32(0)})),
              HasSubstr("input 'input'"));
  EXPECT_THAT(Message(InferShapeStrings("TopKV2", {testing::F32(Shape{3}), testing::I32(Shape{1})})),
              HasSubstr("input 'k'"));
}

TEST(TopKV2Test, VectorAndMatrix) {
  auto v = TopK(F32({5}, {1, 5, 3, 5, 2}), 3);
  ExpectValues(v, 0, F32({3}, {5, 5, 3}));
  ExpectValues(v, 1, I32({3}, {1, 3, 2}));  // the two 5s: lower index first
  auto m = TopK(I32({2, 4}, {4, 1, 4, 4, -7, 0, -7, 9}), 2);
  ExpectValues(m, 0, I32({2, 2}, {4, 4, 9, 0}));
  ExpectValues(m, 1, I32({2, 2}, {0, 2, 3, 1}));
  auto all = TopK(I32({2, 4}, {4, 1, 4, 4, -7, 0, -7, 9}), 4);
  ExpectValues(all, 1, I32({2, 4}, {0, 2, 3, 1, 3, 1, 0, 2}));
}

TEST(TopKV2Test, SpecialFloats) {
  // NaN ranks above every number (first NaN first); -0 and 0 tie by index; -inf last.
  const Tensor x = F32({6}, {-0.0, kNaN, 0.0, -kInf, kNaN, 3});
  auto passes = TopK(x, 6);
  ASSERT_TRUE(passes.ok()) << passes.status();
  EXPECT_TRUE(coverage_golden::Near((*passes)[0], F32({6}, {kNaN, kNaN, 3, -0.0, 0.0, -kInf}), 0, 0));
  ExpectValues(passes, 1, I32({6}, {1, 4, 5, 0, 2, 3}));
  // A longer row: NaNs by index, then 1s by index, then the -infs by index; the lowering agrees.
  std::vector<double> values(20, -kInf);
  values[3] = kNaN;
  values[7] = 1;
  values[11] = kNaN;
  values[12] = 1;
  auto ranked = TopK(F32({20}, values), 17);
  ASSERT_TRUE(ranked.ok()) << ranked.status();
  const Tensor& idx = (*ranked)[1];
  EXPECT_EQ(idx.ElementAsInt64(0), 3);
  EXPECT_EQ(idx.ElementAsInt64(1), 11);
  EXPECT_EQ(idx.ElementAsInt64(2), 7);
  EXPECT_EQ(idx.ElementAsInt64(3), 12);
  EXPECT_EQ(idx.ElementAsInt64(4), 0);  // then the -infs by index
  EXPECT_EQ(idx.ElementAsInt64(7), 4);
  EXPECT_EQ(idx.ElementAsInt64(16), 16);
  ExpectLoweringMatchesKernel(F32({20}, values), 17);
  ExpectLoweringMatchesKernel(x, 6);
}

TEST(TopKV2Test, LoweringMatchesHostKernel) {
  // Many ties, a NaN and infinities; k = 1 (arg max), ranking, and two-level ranking (rows of
  // 5000 exceed one level's 2^24 comparisons; blocks of 78 pad the row to 5070).
  std::vector<double> v;
  for (int i = 0; i < 3 * 40; ++i) v.push_back((i * 7919) % 13 - 6);
  v[5] = kNaN;
  v[50] = kInf;
  v[51] = -kInf;
  const Tensor small = F32({3, 40}, v);
  for (int k : {1, 2, 16, 40}) ExpectLoweringMatchesKernel(small, k);
  ExpectLoweringMatchesKernel(*small.Cast(DT_INT32), 7, {{"index_type", MakeAttr(DT_INT64)}});
  ExpectLoweringMatchesKernel(*F32({2, 2, 10}, std::vector<double>(v.begin(), v.begin() + 40)).Cast(DT_DOUBLE), 3);
  std::vector<double> long_row;
  for (int i = 0; i < 5000; ++i) long_row.push_back((i * 104729) % 101);
  long_row[4321] = kNaN;
  long_row[17] = kNaN;
  for (int k : {1, 7, 40}) ExpectLoweringMatchesKernel(F32({1, 5000}, long_row), k);
  ExpectLoweringMatchesKernel(T(DT_INT16, {1, 5000}, std::vector<double>(5000, 3)), 5);  // all equal
}

TEST(TopKV2Test, EmptyShapesAndIndexTypes) {
  auto k0 = TopK(F32({2, 3}, {1, 2, 3, 4, 5, 6}), 0);
  ExpectValues(k0, 0, F32({2, 0}, {}));
  ExpectValues(k0, 1, I32({2, 0}, {}));
  auto rows0 = TopK(F32({0, 3}, {}), 2);
  ExpectValues(rows0, 0, F32({0, 2}, {}));
  auto cols0 = TopK(F32({4, 0}, {}), 0);
  ExpectValues(cols0, 1, I32({4, 0}, {}));
  auto i64 = RunOp("TopKV2", {T(DT_UINT8, {1, 3}, {7, 200, 7}), T(DT_INT64, {}, {2})},
                   {{"index_type", MakeAttr(DT_INT64)}}, {1});
  ExpectValues(i64, 0, T(DT_UINT8, {1, 2}, {200, 7}));
  ExpectValues(i64, 1, I64({1, 2}, {1, 0}));
  auto i16 = RunOp("TopKV2", {T(DT_INT64, {3}, {-5, -9, -5}), T(DT_INT16, {}, {3})},
                   {{"index_type", MakeAttr(DT_INT16)}}, {1});
  ExpectValues(i16, 1, T(DT_INT16, {3}, {0, 2, 1}));
  // sorted=false is allowed to return the sorted order.
  ExpectValues(TopK(F32({3}, {1, 3, 2}), 2, {{"sorted", MakeAttr(false)}}), 1, I32({2}, {1, 2}));
}

TEST(TopKV2Test, Goldens) {
  for (const coverage_golden::Case& c : coverage_golden::ReadCases({"TopKV2"})) {
    SCOPED_TRACE(c.name);
    auto out = RunOp(c.op, c.inputs, c.attrs, c.constants);
    ASSERT_TRUE(out.ok()) << out.status();
    coverage_golden::ExpectOutputs(c, *out);
  }
}

TEST(TopKV2Test, Errors) {
  auto columns = RunLoweringUnchecked("TopKV2", {F32({2, 3}, {1, 2, 3, 4, 5, 6}), K(4)});
  EXPECT_THAT(Message(columns), AllOf(HasSubstr("node 'op' (TopKV2)"), HasSubstr("at least k columns. Had 3, needed 4")));
  EXPECT_THAT(Message(RunLoweringUnchecked("TopKV2", {F32({3}, {1, 2, 3}), K(-2)})), HasSubstr("Need k >= 0, got -2"));
  EXPECT_THAT(Message(RunLoweringUnchecked("TopKV2", {F32({}, {1}), K(0)})), HasSubstr("at least 1-D"));
  // Too big for two-level ranking: 100 rows of 600 with k = 300 (blocks of 476).
  auto huge = RunLoweringOnHost({Tensor(DT_FLOAT, Shape{100, 600}), K(300)});
  EXPECT_THAT(Message(huge), AllOf(HasSubstr("node 'op' (TopKV2)"), HasSubstr("too big to compile without a sort primitive")));
  EXPECT_THAT(Message(RunLoweringOnHost({F32({3}, {1, 2, 3}), K(4)})), HasSubstr("last dimension >= k"));
  EXPECT_FALSE(InferShapeStrings("TopKV2", {OpInput::Var(DT_BOOL, Shape{3}), testing::ScalarI32(1)}).ok());
}

}  // namespace
}  // namespace strata
