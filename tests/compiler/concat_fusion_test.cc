// ConcatV2 and Pack of elementwise producers, compiled, against the reference evaluator and
// against hand-computed values. The producers are tiled by 64 lanes (four AVX-512 vectors of
// f32) and their tile loops peeled, so lengths that are not a multiple of the tile exercise the
// main tile and the remainder tile writing into one concatenated result (movenet-multipose's
// Pack of two [1, 102] keypoint tensors once came out as zeros there; docs/realmodels.md).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/reference/evaluator.h"
#include "tests/compiler/graph_test_util.h"

namespace strata {
namespace {

using testing_util::AllClose;
using testing_util::F32;
using testing_util::GraphBuilder;
using testing_util::Pattern;

using Feeds = std::vector<std::pair<Output, Tensor>>;

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

// The 7-node repro of docs/realmodels.md: c = concat([a + 1, b + 1], axis 1) with a, b [1, n].
absl::StatusOr<BothRuns> ConcatOfAddOnes(int64_t n, const std::string& op) {
  GraphBuilder g;
  Output a = g.Placeholder("a", DT_FLOAT, Shape{1, n});
  Output b = g.Placeholder("b", DT_FLOAT, Shape{1, n});
  Output one = g.Const("one", Tensor::Scalar<float>(1));
  Output a1 = g.Add("a1", "AddV2", {a, one});
  Output b1 = g.Add("b1", "AddV2", {b, one});
  Output c;
  if (op == "ConcatV2") {
    c = g.Add("c", "ConcatV2", {a1, b1, g.Const("ax", Tensor::Scalar<int32_t>(1))},
              {{"N", MakeAttr(int64_t{2})}});
  } else {
    c = g.Add("c", "Pack", {a1, b1}, {{"N", MakeAttr(int64_t{2})}, {"axis", MakeAttr(int64_t{2})}});
  }
  if (!g.status().ok()) return g.status();
  std::vector<float> av(n), bv(n);
  for (int64_t i = 0; i < n; ++i) {
    av[i] = static_cast<float>(i);
    bv[i] = static_cast<float>(-i);
  }
  Feeds feeds{{a, F32(av, {1, n})}, {b, F32(bv, {1, n})}};
  return RunBoth(g.graph(), feeds, {c});
}

TEST(ConcatFusionTest, ConcatOfElementwiseProducersKeepsEveryTile) {
  for (int64_t n : {16, 64, 65, 100, 102, 128, 200}) {
    absl::StatusOr<BothRuns> runs = ConcatOfAddOnes(n, "ConcatV2");
    ASSERT_TRUE(runs.ok()) << runs.status();
    // Hand-computed: a + 1 = i + 1, then b + 1 = 1 - i.
    std::vector<float> want;
    for (int64_t i = 0; i < n; ++i) want.push_back(static_cast<float>(i + 1));
    for (int64_t i = 0; i < n; ++i) want.push_back(static_cast<float>(1 - i));
    EXPECT_TRUE(AllClose(runs->compiled[0], F32(want, {1, 2 * n}))) << "n = " << n;
    EXPECT_TRUE(AllClose(runs->reference[0], F32(want, {1, 2 * n}))) << "n = " << n;
  }
}

TEST(ConcatFusionTest, PackOfElementwiseProducersKeepsEveryTile) {
  for (int64_t n : {64, 65, 102}) {
    absl::StatusOr<BothRuns> runs = ConcatOfAddOnes(n, "Pack");
    ASSERT_TRUE(runs.ok()) << runs.status();
    // [1, n, 2]: element (0, i, 0) = i + 1, (0, i, 1) = 1 - i.
    std::vector<float> want;
    for (int64_t i = 0; i < n; ++i) {
      want.push_back(static_cast<float>(i + 1));
      want.push_back(static_cast<float>(1 - i));
    }
    EXPECT_TRUE(AllClose(runs->compiled[0], F32(want, {1, n, 2}))) << "n = " << n;
    EXPECT_TRUE(AllClose(runs->reference[0], runs->compiled[0])) << "n = " << n;
  }
}

// Three producers of different lengths and ops along a middle axis, with a consumer after the
// concat; in float64 (half the lanes per vector, so other tile sizes).
TEST(ConcatFusionTest, ThreeProducersAlongAMiddleAxisThenAConsumer) {
  for (DType dt : {DT_FLOAT, DT_DOUBLE}) {
    GraphBuilder g;
    Feeds feeds;
    const std::vector<int64_t> lengths{33, 70, 5};
    std::vector<Output> parts;
    int k = 0;
    for (int64_t len : lengths) {
      const std::string name = absl::StrCat("x", k);
      Output x = g.Placeholder(name, dt, Shape{2, len, 3});
      feeds.push_back({x, *F32(Pattern(2 * len * 3, k + 1), {2, len, 3}).Cast(dt)});
      const char* op = k == 0 ? "Exp" : (k == 1 ? "Neg" : "Tanh");
      parts.push_back(g.Add(absl::StrCat("f", k), op, {x}));
      ++k;
    }
    parts.push_back(g.Const("axis", Tensor::Scalar<int32_t>(1)));
    Output cat = g.Add("cat", "ConcatV2", parts, {{"N", MakeAttr(int64_t{3})}});
    Output y = g.Add("y", "Mul", {cat, cat});
    ASSERT_TRUE(g.status().ok()) << g.status();
    absl::StatusOr<BothRuns> runs = RunBoth(g.graph(), feeds, {cat, y});
    ASSERT_TRUE(runs.ok()) << runs.status();
    for (int i = 0; i < 2; ++i) {
      EXPECT_TRUE(AllClose(runs->compiled[i], runs->reference[i], 1e-5, 1e-6)) << DTypeName(dt) << " fetch " << i;
    }
  }
}

}  // namespace
}  // namespace strata
