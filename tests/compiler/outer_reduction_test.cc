// Reductions whose reduced dims are outer and whose kept dim is innermost (BiasAddGrad over
// [N,H,W,C], Sum over axis 0 of [B,F], Mean over N,H,W): compiled results against the reference
// evaluator and hand-computed sums, and the tiling that vectorizes them along the kept dim
// (compiler/cpu_tiling.cc, IsOuterReduction).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "compiler/runtime_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/thread_pool.h"
#include "tests/compiler/graph_test_util.h"

namespace strata {
namespace {

using testing_util::AllClose;
using testing_util::Count;
using testing_util::F32;
using testing_util::GraphBuilder;
using testing_util::Pattern;

using Feeds = std::vector<std::pair<Output, Tensor>>;

Tensor Rand(const Shape& s, int seed, float scale = 1.0f) { return F32(Pattern(s.num_elements(), seed, scale), s); }

Tensor RandF64(const Shape& s, int seed) {
  std::vector<float> f = Pattern(s.num_elements(), seed);
  std::vector<double> d(f.begin(), f.end());
  for (size_t i = 0; i < d.size(); ++i) d[i] += 1e-9 * static_cast<double>(i % 7);  // not f32-representable
  return testing_util::T1<double>(std::move(d), s);
}

Tensor RandI32(const Shape& s, int seed) {
  std::vector<int32_t> v(s.num_elements());
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int32_t>(((i + seed) * 2654435761u) % 2001) - 1000;
  return testing_util::T1<int32_t>(std::move(v), s);
}

Output Feed(GraphBuilder& g, Feeds& feeds, const std::string& name, const Tensor& value) {
  Output o = g.Placeholder(name, value.dtype(), value.shape());
  feeds.push_back({o, value});
  return o;
}

// Sum over every dim but the last of a row-major [outer, c] view, in double.
template <typename T, typename F>
std::vector<double> ColumnSums(const Tensor& x, F&& value) {
  const int64_t c = x.shape().dim(x.shape().rank() - 1), outer = x.shape().num_elements() / c;
  std::vector<double> s(c, 0.0);
  for (int64_t i = 0; i < outer; ++i) {
    for (int64_t j = 0; j < c; ++j) s[j] += value(i * c + j);
  }
  return s;
}

struct Compiled {
  testing_util::GraphRun run;
  std::vector<Tensor> want;
};

// Compiles and runs `fetches`, and evaluates them with the reference evaluator.
Compiled CompileAndCompare(GraphBuilder& g, const Feeds& feeds, const std::vector<Output>& fetches, double rtol,
                           double atol) {
  Compiled c;
  EXPECT_TRUE(g.status().ok()) << g.status();
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), feeds, fetches);
  EXPECT_TRUE(run.ok()) << run.status();
  if (!run.ok()) return c;
  c.run = std::move(*run);
  absl::StatusOr<std::vector<Tensor>> want = Evaluate(g.graph(), feeds, fetches);
  EXPECT_TRUE(want.ok()) << want.status();
  if (!want.ok()) return c;
  c.want = std::move(*want);
  EXPECT_EQ(c.run.results.size(), c.want.size());
  for (size_t i = 0; i < c.want.size() && i < c.run.results.size(); ++i) {
    EXPECT_TRUE(AllClose(c.run.results[i], c.want[i], rtol, atol)) << "fetch " << i << " (" << fetches[i].name() << ")";
  }
  return c;
}

template <typename T>
void ExpectNear(const Tensor& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.shape().num_elements(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(static_cast<double>(got.flat<T>()[i]), want[i], tol * (1 + std::abs(want[i]))) << "element " << i;
  }
}

const std::string& FusedIr(const Compiled& c) { return c.run.executable->fused_ir(); }

void BiasAddGradCase(const Shape& shape) {
  GraphBuilder g;
  Feeds feeds;
  Tensor x = Rand(shape, 3);
  Output bg = g.Add("bg", "BiasAddGrad", {Feed(g, feeds, "x", x)});
  Compiled c = CompileAndCompare(g, feeds, {bg}, 1e-4, 1e-4);
  if (c.run.results.empty()) return;
  ExpectNear<float>(c.run.results[0], ColumnSums<float>(x, [&](int64_t i) { return x.flat<float>()[i]; }), 1e-4);
  // Vectorized along C: no reduction into one channel at a time.
  EXPECT_EQ(Count(FusedIr(c), "to vector<1xf32>"), 0) << FusedIr(c);
  EXPECT_EQ(Count(FusedIr(c), "linalg.generic"), 0) << "every tile vectorized\n" << FusedIr(c);
  EXPECT_GE(Count(FusedIr(c), "vector.multi_reduction"), 1) << FusedIr(c);
}

TEST(OuterReductionTest, BiasAddGradSmallRaggedChannels) { BiasAddGradCase(Shape({2, 5, 7, 13})); }

TEST(OuterReductionTest, BiasAddGradConv1Shape) { BiasAddGradCase(Shape({64, 26, 26, 32})); }

TEST(OuterReductionTest, BiasAddGradWideRaggedChannels) { BiasAddGradCase(Shape({3, 4, 5, 70})); }

TEST(OuterReductionTest, ReluGradFusedIntoBiasAddGrad) {
  for (const Shape& shape : {Shape({2, 5, 7, 13}), Shape({64, 26, 26, 32}), Shape({4, 11, 11, 64})}) {
    GraphBuilder g;
    Feeds feeds;
    Tensor dy = Rand(shape, 5), y = Rand(shape, 9);
    Output rg = g.Add("rg", "ReluGrad", {Feed(g, feeds, "dy", dy), Feed(g, feeds, "y", y)});
    Output bg = g.Add("bg", "BiasAddGrad", {rg});
    Compiled c = CompileAndCompare(g, feeds, {bg}, 1e-4, 1e-4);
    if (c.run.results.empty()) continue;
    ExpectNear<float>(c.run.results[0], ColumnSums<float>(dy, [&](int64_t i) {
                        return y.flat<float>()[i] > 0 ? dy.flat<float>()[i] : 0.0f;
                      }),
                      1e-4);
    EXPECT_EQ(Count(FusedIr(c), "to vector<1xf32>"), 0) << shape.ToString() << "\n" << FusedIr(c);
    // One fused kernel: the ReluGrad select is computed inside the reduction's tiles.
    EXPECT_EQ(Count(FusedIr(c), "linalg.generic"), 0) << shape.ToString() << "\n" << FusedIr(c);
  }
}

// The ReluGrad output also feeds another op (as in a training step, where it feeds the weight
// and input gradients): it is not merged into the reduction, but fused into its tiles, which must
// stay small enough to vectorize (the whole [N,H,W,C] volume would stay a scalar loop nest).
TEST(OuterReductionTest, SharedReluGradFusedIntoTiles) {
  for (const Shape& shape : {Shape({64, 26, 26, 32}), Shape({64, 64}), Shape({5, 7, 70})}) {
    GraphBuilder g;
    Feeds feeds;
    Tensor dy = Rand(shape, 37), y = Rand(shape, 41);
    Output rg = g.Add("rg", "ReluGrad", {Feed(g, feeds, "dy", dy), Feed(g, feeds, "y", y)});
    std::vector<int32_t> axes;
    for (int i = 0; i + 1 < shape.rank(); ++i) axes.push_back(i);
    Output s = g.Add("s", "Sum", {rg, g.Const("axes", Tensor::FromVector<int32_t>(axes))});
    Output twice = g.Add("twice", "Add", {rg, rg});
    Compiled c = CompileAndCompare(g, feeds, {s, twice}, 1e-4, 1e-4);
    if (c.run.results.empty()) continue;
    ExpectNear<float>(c.run.results[0], ColumnSums<float>(dy, [&](int64_t i) {
                        return y.flat<float>()[i] > 0 ? dy.flat<float>()[i] : 0.0f;
                      }),
                      1e-4);
    EXPECT_EQ(Count(FusedIr(c), "to vector<1xf32>"), 0) << shape.ToString() << "\n" << FusedIr(c);
    EXPECT_EQ(Count(FusedIr(c), "linalg.generic"), 0) << shape.ToString() << "\n" << FusedIr(c);
  }
}

TEST(OuterReductionTest, SumAxis0) {
  GraphBuilder g;
  Feeds feeds;
  Tensor x = Rand(Shape({129, 70}), 11);
  Output s = g.Add("s", "Sum", {Feed(g, feeds, "x", x), g.Const("axis", Tensor::Scalar<int32_t>(0))});
  Compiled c = CompileAndCompare(g, feeds, {s}, 1e-4, 1e-4);
  if (c.run.results.empty()) return;
  ExpectNear<float>(c.run.results[0], ColumnSums<float>(x, [&](int64_t i) { return x.flat<float>()[i]; }), 1e-4);
  EXPECT_EQ(Count(FusedIr(c), "to vector<1xf32>"), 0) << FusedIr(c);
  EXPECT_EQ(Count(FusedIr(c), "linalg.generic"), 0) << "every tile vectorized\n" << FusedIr(c);
}

TEST(OuterReductionTest, SumMiddleAxisKeepsOuterAndInnerDims) {
  GraphBuilder g;
  Feeds feeds;
  Tensor x = Rand(Shape({3, 40, 37}), 13);
  Output s = g.Add("s", "Sum", {Feed(g, feeds, "x", x), g.Const("axis", Tensor::Scalar<int32_t>(1))});
  Compiled c = CompileAndCompare(g, feeds, {s}, 1e-4, 1e-4);
  if (c.run.results.empty()) return;
  const Tensor& got = c.run.results[0];
  ASSERT_EQ(got.shape(), Shape({3, 37}));
  for (int a = 0; a < 3; ++a) {
    for (int k = 0; k < 37; ++k) {
      double want = 0;
      for (int b = 0; b < 40; ++b) want += x.flat<float>()[(a * 40 + b) * 37 + k];
      EXPECT_NEAR(got.flat<float>()[a * 37 + k], want, 1e-4 * (1 + std::abs(want))) << a << "," << k;
    }
  }
  EXPECT_EQ(Count(FusedIr(c), "to vector<1xf32>"), 0) << FusedIr(c);
  EXPECT_EQ(Count(FusedIr(c), "linalg.generic"), 0) << FusedIr(c);
}

TEST(OuterReductionTest, MeanOverBatchAndSpatialDims) {
  for (const Shape& shape : {Shape({3, 5, 7, 19}), Shape({16, 9, 9, 64})}) {
    GraphBuilder g;
    Feeds feeds;
    Tensor x = Rand(shape, 17);
    Output m = g.Add("m", "Mean", {Feed(g, feeds, "x", x), g.Const("axes", Tensor::FromVector<int32_t>({0, 1, 2}))});
    Compiled c = CompileAndCompare(g, feeds, {m}, 1e-4, 1e-5);
    if (c.run.results.empty()) continue;
    std::vector<double> want = ColumnSums<float>(x, [&](int64_t i) { return x.flat<float>()[i]; });
    const double n = static_cast<double>(shape.num_elements() / shape.dim(3));
    for (double& w : want) w /= n;
    ExpectNear<float>(c.run.results[0], want, 1e-4);
  }
}

TEST(OuterReductionTest, Float64BiasAddGrad) {
  GraphBuilder g;
  Feeds feeds;
  Tensor x = RandF64(Shape({4, 6, 6, 21}), 19);
  Output bg = g.Add("bg", "BiasAddGrad", {Feed(g, feeds, "x", x)});
  Compiled c = CompileAndCompare(g, feeds, {bg}, 1e-12, 1e-12);
  if (c.run.results.empty()) return;
  ASSERT_EQ(c.run.results[0].dtype(), DT_DOUBLE);
  ExpectNear<double>(c.run.results[0], ColumnSums<double>(x, [&](int64_t i) { return x.flat<double>()[i]; }), 1e-12);
  EXPECT_EQ(Count(FusedIr(c), "to vector<1xf64>"), 0) << FusedIr(c);
  EXPECT_EQ(Count(FusedIr(c), "linalg.generic"), 0) << FusedIr(c);
}

TEST(OuterReductionTest, Int32SumAxis0IsExact) {
  GraphBuilder g;
  Feeds feeds;
  Tensor x = RandI32(Shape({129, 70}), 23);
  Output s = g.Add("s", "Sum", {Feed(g, feeds, "x", x), g.Const("axis", Tensor::Scalar<int32_t>(0))});
  Compiled c = CompileAndCompare(g, feeds, {s}, 0, 0);
  if (c.run.results.empty()) return;
  std::vector<double> want = ColumnSums<int32_t>(x, [&](int64_t i) { return x.flat<int32_t>()[i]; });
  for (size_t j = 0; j < want.size(); ++j) EXPECT_EQ(c.run.results[0].flat<int32_t>()[j], static_cast<int32_t>(want[j])) << j;
  EXPECT_EQ(Count(FusedIr(c), "to vector<1xi32>"), 0) << FusedIr(c);
  EXPECT_EQ(Count(FusedIr(c), "linalg.generic"), 0) << FusedIr(c);
}

// Kept dims too short to vectorize along, and inner reductions, still go the generic way.
TEST(OuterReductionTest, NarrowKeptDimAndInnerReductions) {
  GraphBuilder g;
  Feeds feeds;
  Output x = Feed(g, feeds, "x", Rand(Shape({50, 3}), 29));
  Output y = Feed(g, feeds, "y", Rand(Shape({7, 300}), 31));
  Output s0 = g.Add("s0", "Sum", {x, g.Const("a0", Tensor::Scalar<int32_t>(0))});
  Output s1 = g.Add("s1", "Sum", {y, g.Const("a1", Tensor::Scalar<int32_t>(1))});
  Output mx = g.Add("mx", "Max", {y, g.Const("a2", Tensor::Scalar<int32_t>(0))});
  CompileAndCompare(g, feeds, {s0, s1, mx}, 1e-4, 1e-4);
}

// Only the parallel tile loops (the kept dim's) may be split over threads: a wide kept dim is
// (bitwise the same result at any thread count); when the kept dim fits one tile, the reduction
// loops around the accumulator must not be (they would race on it).
TEST(OuterReductionTest, OnlyKeptDimLoopsRunInParallel) {
  struct ParallelCase {
    Shape shape;
    std::vector<int32_t> axes;
    bool expect_parallel;
  };
  for (const ParallelCase& pc : {ParallelCase{Shape({64, 4096}), {0}, true},
                                 ParallelCase{Shape({64, 26, 26, 32}), {0, 1, 2}, false}}) {
    GraphBuilder g;
    Feeds feeds;
    Output s = g.Add("s", "Sum", {Feed(g, feeds, "x", Rand(pc.shape, 43)), g.Const("axes", Tensor::FromVector<int32_t>(pc.axes))});
    Compiled c = CompileAndCompare(g, feeds, {s}, 1e-4, 1e-4);
    if (c.run.results.empty()) continue;
    const CpuExecutable& e = *c.run.executable;
    EXPECT_EQ(Count(e.bufferized_ir(), "__par") > 0, pc.expect_parallel) << pc.shape.ToString() << "\n" << e.bufferized_ir();
    std::vector<Tensor> args;
    for (const auto& f : feeds) args.push_back(f.second);
    for (int threads : {2, 3}) {
      ThreadPool pool(threads);
      RunOptions ro;
      ro.thread_pool = &pool;
      const ParallelLoopCounters before = GetParallelLoopCounters();
      std::vector<Tensor> got;
      ASSERT_TRUE(e.Run(args, &got, ro).ok());
      ASSERT_EQ(got.size(), 1u);
      const Tensor& serial = c.run.results[0];
      EXPECT_TRUE(got[0].shape() == serial.shape() && got[0].byte_size() == serial.byte_size() &&
                  std::memcmp(got[0].raw_data(), serial.raw_data(), serial.byte_size()) == 0)
          << pc.shape.ToString() << ", " << threads << " threads";
      if (pc.expect_parallel) {
        EXPECT_GT(GetParallelLoopCounters().split_loops, before.split_loops) << pc.shape.ToString() << ", " << threads;
      }
    }
  }
}

}  // namespace
}  // namespace strata
