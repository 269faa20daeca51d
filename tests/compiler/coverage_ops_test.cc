// The lowered coverage ops (Cumsum, Cumprod, Einsum, TopKV2, Atan2, Softsign, ClipByValue,
// IsNan, IsFinite, ReverseV2, FusedBatchNorm) compiled by the CPU backend, checked against the
// NumPy goldens (tests/golden/coverage_goldens.py), against hand-computed values, and against
// the reference evaluator on the same graph.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/reference/evaluator.h"
#include "tests/compiler/graph_test_util.h"
#include "tests/ops/coverage_golden_util.h"

namespace strata {
namespace {

using testing_util::AllClose;
using testing_util::F32;
using testing_util::GraphBuilder;
using testing_util::I32;
using testing_util::Values;
using ::testing::ElementsAre;

using Feeds = std::vector<std::pair<Output, Tensor>>;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Compiles `fetches` and runs it; also evaluates them with the reference evaluator.
struct BothRuns {
  std::vector<Tensor> compiled, reference;
};
absl::StatusOr<BothRuns> RunBoth(Graph& graph, const Feeds& feeds, const std::vector<Output>& fetches) {
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(graph, feeds, fetches);
  if (!run.ok()) return run.status();
  absl::StatusOr<std::vector<Tensor>> want = Evaluate(graph, feeds, fetches);
  if (!want.ok()) return want.status();
  return BothRuns{std::move(run->results), *std::move(want)};
}

// One golden case as a graph: constants as Const nodes, the rest fed.
absl::StatusOr<BothRuns> RunCase(const coverage_golden::Case& c) {
  GraphBuilder g;
  Feeds feeds;
  std::vector<Output> inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const std::string name = absl::StrCat("in", i);
    if (c.constants.count(static_cast<int>(i))) {
      inputs.push_back(g.Const(name, c.inputs[i]));
    } else {
      inputs.push_back(g.Placeholder(name, c.inputs[i].dtype(), c.inputs[i].shape()));
      feeds.push_back({inputs.back(), c.inputs[i]});
    }
  }
  Output first = g.Add("op", c.op, inputs, c.attrs);
  if (!g.status().ok()) return g.status();
  std::vector<Output> fetches;
  for (int k = 0; k < first.node->num_outputs(); ++k) fetches.push_back(Output(first.node, k));
  return RunBoth(g.graph(), feeds, fetches);
}

class CoverageGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CoverageGoldenTest, CompiledMatchesGoldensAndReference) {
  const std::vector<coverage_golden::Case> cases = coverage_golden::ReadCases({GetParam()});
  for (const coverage_golden::Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<BothRuns> runs = RunCase(c);
    ASSERT_TRUE(runs.ok()) << runs.status();
    coverage_golden::ExpectOutputs(c, runs->compiled);
    coverage_golden::ExpectOutputs(c, runs->reference);
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, CoverageGoldenTest,
                         ::testing::Values("Cumsum", "Cumprod", "Einsum", "TopKV2", "Atan2", "Softsign", "ClipByValue"));

TEST(CoverageOpsTest, TopKV2EveryStrategyCompiled) {
  // Ties, a NaN and infinities. k = 1 is an arg max; 2 rows of 300 rank in one level; a row of
  // 5000 exceeds one level's 2^24 comparisons and ranks in two (blocks of 78, padded).
  struct Config {
    int rows, n, k;
  };
  for (Config c : {Config{2, 300, 1}, Config{2, 300, 30}, Config{1, 5000, 7}}) {
    SCOPED_TRACE(absl::StrCat(c.rows, "x", c.n, " k = ", c.k));
    std::vector<float> v(c.rows * c.n);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 7919) % 97) - 40;
    v[17] = kNaN;
    v[3] = kInf;
    v[4] = -kInf;
    GraphBuilder g;
    Feeds feeds;
    Output x = g.Placeholder("x", DT_FLOAT, Shape{c.rows, c.n});
    feeds.push_back({x, F32(v, {c.rows, c.n})});
    Output top = g.Add("top", "TopKV2", {x, g.Const("k", Tensor::Scalar<int32_t>(c.k))});
    ASSERT_TRUE(g.status().ok()) << g.status();
    // The reference evaluator runs TopKV2's host kernel: an independent implementation.
    absl::StatusOr<BothRuns> runs = RunBoth(g.graph(), feeds, {top, Output(top.node, 1)});
    ASSERT_TRUE(runs.ok()) << runs.status();
    EXPECT_TRUE(runs->compiled[1].Equals(runs->reference[1]));
    EXPECT_TRUE(AllClose(runs->compiled[0], runs->reference[0], 0, 0));
    EXPECT_EQ(runs->compiled[1].ElementAsInt64(0), 17);  // NaN first
    if (c.k > 1) {
      EXPECT_EQ(runs->compiled[1].ElementAsInt64(1), 3);  // then +inf
    }
  }
}

TEST(CoverageOpsTest, ElementwisePredicatesAndReverse) {
  GraphBuilder g;
  Feeds feeds;
  Output x = g.Placeholder("x", DT_FLOAT, Shape{2, 3});
  feeds.push_back({x, F32({1, kNaN, -kInf, 0, kInf, -2}, {2, 3})});
  Output nan = g.Add("nan", "IsNan", {x});
  Output finite = g.Add("finite", "IsFinite", {x});
  Output rev = g.Add("rev", "ReverseV2", {x, g.Const("axes", Tensor::FromVector<int32_t>({-1, 0}))});
  Output none = g.Add("none", "ReverseV2", {x, g.Const("no_axes", Tensor(DT_INT64, Shape{0}))});
  ASSERT_TRUE(g.status().ok()) << g.status();
  absl::StatusOr<BothRuns> runs = RunBoth(g.graph(), feeds, {nan, finite, rev, none});
  ASSERT_TRUE(runs.ok()) << runs.status();
  for (const std::vector<Tensor>* r : {&runs->compiled, &runs->reference}) {
    EXPECT_THAT(Values<bool>((*r)[0]), ElementsAre(false, true, false, false, false, false));
    EXPECT_THAT(Values<bool>((*r)[1]), ElementsAre(true, false, false, true, false, true));
    EXPECT_TRUE(AllClose((*r)[2], F32({-2, kInf, 0, -kInf, kNaN, 1}, {2, 3}), 0, 0));
    EXPECT_TRUE(AllClose((*r)[3], F32({1, kNaN, -kInf, 0, kInf, -2}, {2, 3}), 0, 0));
  }
}

TEST(CoverageOpsTest, ReverseV2OddShapesAndEmpty) {
  GraphBuilder g;
  Feeds feeds;
  std::vector<int32_t> v(3 * 5 * 7);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int32_t>(i);
  Output x = g.Placeholder("x", DT_INT32, Shape{3, 5, 7});
  feeds.push_back({x, testing_util::I32(v, {3, 5, 7})});
  Output e = g.Placeholder("e", DT_FLOAT, Shape{0, 4});
  feeds.push_back({e, F32({}, {0, 4})});
  Output r = g.Add("r", "ReverseV2", {x, g.Const("a", Tensor::FromVector<int64_t>({1}))});
  Output re = g.Add("re", "ReverseV2", {e, g.Const("b", Tensor::FromVector<int32_t>({0, 1}))});
  ASSERT_TRUE(g.status().ok()) << g.status();
  absl::StatusOr<BothRuns> runs = RunBoth(g.graph(), feeds, {r, re});
  ASSERT_TRUE(runs.ok()) << runs.status();
  EXPECT_TRUE(runs->compiled[0].Equals(runs->reference[0]));
  // [i, j, k] -> x[i, 4 - j, k]
  EXPECT_EQ(runs->compiled[0].ElementAsInt64(0), 4 * 7);
  EXPECT_EQ(runs->compiled[0].ElementAsInt64(2 * 35 + 1 * 7 + 6), 2 * 35 + 3 * 7 + 6);
  EXPECT_EQ(runs->compiled[1].shape().ToString(), "[0,4]");
}

TEST(CoverageOpsTest, FusedBatchNormV1) {
  // Inference with given statistics: (x - mean) / sqrt(var + eps) * scale + offset.
  GraphBuilder g;
  Feeds feeds;
  std::vector<float> xs(2 * 3 * 1 * 2);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<float>(i);
  Output x = g.Placeholder("x", DT_FLOAT, Shape{2, 3, 1, 2});
  feeds.push_back({x, F32(xs, {2, 3, 1, 2})});
  Output scale = g.Const("scale", F32({2, 0.5f}, {2}));
  Output offset = g.Const("offset", F32({1, -1}, {2}));
  Output mean = g.Const("mean", F32({5, 6}, {2}));
  Output var = g.Const("var", F32({4, 16}, {2}));
  Output infer = g.Add("bn", "FusedBatchNorm", {x, scale, offset, mean, var},
                       {{"is_training", MakeAttr(false)}, {"epsilon", MakeAttr(0.0f)}});
  Output train = g.Add("bn_train", "FusedBatchNorm", {x, scale, offset, g.Const("e1", F32({}, {0})),
                                                      g.Const("e2", F32({}, {0}))});
  ASSERT_TRUE(g.status().ok()) << g.status();
  EXPECT_EQ(infer.node->num_outputs(), 5);
  absl::StatusOr<BothRuns> runs =
      RunBoth(g.graph(), feeds, {infer, Output(train.node, 0), Output(train.node, 1), Output(train.node, 2)});
  ASSERT_TRUE(runs.ok()) << runs.status();
  // Channel 0 holds 0, 2, ..., 10: (x - 5) / 2 * 2 + 1 = x - 4. Channel 1 holds 1, ..., 11:
  // (x - 6) / 4 * 0.5 - 1.
  std::vector<float> want;
  for (float v : xs) want.push_back(static_cast<int>(v) % 2 == 0 ? v - 4 : (v - 6) / 8 - 1);
  EXPECT_TRUE(AllClose(runs->compiled[0], F32(want, {2, 3, 1, 2})));
  // Training: batch mean 5 and 6, Bessel-corrected variance 14 (biased 35 / 3).
  EXPECT_TRUE(AllClose(runs->compiled[2], F32({5, 6}, {2})));
  EXPECT_TRUE(AllClose(runs->compiled[3], F32({14, 14}, {2}), 1e-5, 1e-5));
  for (size_t i = 0; i < runs->compiled.size(); ++i) {
    EXPECT_TRUE(AllClose(runs->compiled[i], runs->reference[i], 1e-5, 1e-5)) << "fetch " << i;
  }
}

// A CPU-backend bug found while testing TopKV2: the concat of two copies of a row-wise "index of
// the max" computed from a float64 [6, 7] matrix returned 0 for rows 0-3 (the main tile of 4 rows;
// the remainder tile of 2 was right). Cause: MLIR 19's insert_slice(transfer_write) fold dropped
// the main tile (compiler/transfer_slice_folds.h; tests/compiler/concat_fusion_test.cc).
TEST(CoverageOpsTest, ConcatOfFloat64ArgMaxColumns) {
  std::vector<double> v(42);
  for (int i = 0; i < 42; ++i) v[i] = (i * 37) % 11;
  for (DType dt : {DT_FLOAT, DT_DOUBLE}) {
    Tensor x = *Tensor::FromVector<double>(absl::MakeConstSpan(v), Shape{6, 7}).Cast(dt);
    auto program = [](PrimitiveBuilder& b, absl::Span<const Value> a) -> absl::StatusOr<std::vector<Value>> {
      const Shape shape{6, 7};
      Value iota = b.Iota(DT_INT32, shape, 1);
      std::vector<Value> columns;
      for (int c = 0; c < 2; ++c) {
        Value best = b.BroadcastInDim(b.Reduce(ReduceKind::kMax, a[0], {1}), shape, {0});
        Value hit = b.Binary(BinaryKind::kEq, a[0], best);
        Value index = b.Reduce(ReduceKind::kMin, b.Select(hit, iota, b.Splat(DT_INT32, shape, 7)), {1});
        columns.push_back(b.Reshape(index, Shape{6, 1}));
      }
      Value cat = b.Concat(columns, 1);
      if (!b.ok()) return b.status();
      return std::vector<Value>{cat};
    };
    absl::StatusOr<std::vector<Tensor>> got = testing_util::RunProgram({x}, program);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_THAT(Values<int32_t>((*got)[0]), ElementsAre(5, 5, 1, 1, 5, 5, 6, 6, 2, 2, 6, 6)) << DTypeName(dt);
  }
}

// Another CPU-backend difference found here: the compiled ArgMax skipped NaN, while the
// reference evaluator (host_builder.h), NumPy and XLA take the first NaN as the extreme, for
// ArgMax and ArgMin alike. Also across the tiles of a long (tiled) reduction.
TEST(CoverageOpsTest, CompiledArgMaxTakesTheFirstNan) {
  GraphBuilder g;
  Feeds feeds;
  Output x = g.Placeholder("x", DT_FLOAT, Shape{2, 4});
  feeds.push_back({x, F32({1, kInf, kNaN, 2, kNaN, 5, kNaN, -1}, {2, 4})});
  Output am = g.Add("am", "ArgMax", {x, g.Const("axis", Tensor::Scalar<int32_t>(1))});
  Output an = g.Add("an", "ArgMin", {x, g.Const("axis1", Tensor::Scalar<int32_t>(1))});
  // 300 per row: the reduction is tiled; the first NaN (at 150, in the third tile) wins over
  // the larger and smaller numbers before and after it and over the NaN at 260.
  std::vector<float> long_row(600);
  for (int i = 0; i < 600; ++i) long_row[i] = static_cast<float>((i * 37) % 101);
  long_row[150] = kNaN;
  long_row[260] = kNaN;
  long_row[300 + 299] = kNaN;  // row 1: the last element
  Output y = g.Placeholder("y", DT_FLOAT, Shape{2, 300});
  feeds.push_back({y, F32(long_row, {2, 300})});
  Output lm = g.Add("lm", "ArgMax", {y, g.Const("axis2", Tensor::Scalar<int32_t>(1))});
  Output ln = g.Add("ln", "ArgMin", {y, g.Const("axis3", Tensor::Scalar<int32_t>(1))});
  absl::StatusOr<BothRuns> runs = RunBoth(g.graph(), feeds, {am, an, lm, ln});
  ASSERT_TRUE(runs.ok()) << runs.status();
  for (const std::vector<Tensor>* r : {&runs->reference, &runs->compiled}) {
    EXPECT_THAT(Values<int64_t>((*r)[0]), ElementsAre(2, 0));
    EXPECT_THAT(Values<int64_t>((*r)[1]), ElementsAre(2, 0));
    EXPECT_THAT(Values<int64_t>((*r)[2]), ElementsAre(150, 299));
    EXPECT_THAT(Values<int64_t>((*r)[3]), ElementsAre(150, 299));
  }
}

}  // namespace
}  // namespace strata
