// Performance smoke test: prints compile times and run times (best of several runs) for SGEMM
// and small networks, and checks results for correctness only. Timings are printed, never
// asserted (bench/ has the real benchmark). STRATA_PERF_FULL=1 adds the larger sizes.
#include <chrono>
#include <cstdlib>

#include "gtest/gtest.h"
#include "tests/compiler/graph_test_util.h"

namespace strata {
namespace {

using testing_util::AllClose;
using testing_util::F32;
using testing_util::GraphBuilder;
using testing_util::Pattern;
using Clock = std::chrono::steady_clock;
using Feeds = std::vector<std::pair<Output, Tensor>>;

// Best wall time of `reps` runs, in milliseconds.
double BestRunMs(const CpuExecutable& e, const std::vector<Tensor>& args, int reps) {
  if (const char* r = std::getenv("STRATA_PERF_REPS")) reps = std::max(reps, std::atoi(r));
  double best = 1e30;
  std::vector<Tensor> out;
  for (int i = 0; i < reps; ++i) {
    Clock::time_point t = Clock::now();
    EXPECT_TRUE(e.Run(args, &out).ok());
    best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - t).count());
  }
  return best;
}

bool Full() { return std::getenv("STRATA_PERF_FULL") != nullptr; }

void Sgemm(int64_t m, int64_t k, int64_t n) {
  absl::StatusOr<std::unique_ptr<CpuExecutable>> exe = CompilePrimitiveProgram(
      {ArgSpec{DT_FLOAT, Shape({m, k})}, ArgSpec{DT_FLOAT, Shape({k, n})}},
      [](PrimitiveBuilder& b, absl::Span<const Value> x) -> absl::StatusOr<std::vector<Value>> {
        return std::vector<Value>{b.DotGeneral(x[0], x[1], DotDims{{}, {}, {1}, {0}})};
      });
  ASSERT_TRUE(exe.ok()) << exe.status();
  std::vector<Tensor> args = {F32(Pattern(m * k, 1), {m, k}), F32(Pattern(k * n, 2), {k, n})};
  std::vector<Tensor> out;
  ASSERT_TRUE((*exe)->Run(args, &out).ok());
  // Spot-check a few entries against a naive dot product.
  for (int64_t probe : {int64_t{0}, m * n / 2 + 7, m * n - 1}) {
    int64_t i = probe / n, j = probe % n;
    double s = 0;
    for (int64_t p = 0; p < k; ++p) s += static_cast<double>(args[0].flat<float>()[i * k + p]) * args[1].flat<float>()[p * n + j];
    EXPECT_NEAR(out[0].flat<float>()[probe], s, 1e-3 * (1 + std::fabs(s)));
  }
  const double ms = BestRunMs(**exe, args, m * n * k > 1e8 ? 3 : 10);
  std::printf("[ perf     ] sgemm %ldx%ldx%ld: %.3f ms, %.1f GFLOP/s (compile %.0f ms) on %s\n", m, k, n, ms,
              2.0 * m * n * k / ms / 1e6, (*exe)->compile_stats().total_ms, HostCpuSummary().c_str());
}

TEST(PerfSmokeTest, Sgemm) {
  Sgemm(256, 256, 256);
  Sgemm(64, 784, 512);
  if (Full()) {
    Sgemm(512, 512, 512);
    Sgemm(1024, 1024, 1024);
  }
}

// Dense(784->512, relu) -> Dense(512->512, relu) -> Dense(512->10) -> softmax.
void Mlp(int64_t batch) {
  GraphBuilder g;
  Feeds feeds;
  Output x = g.Placeholder("x", DT_FLOAT, Shape({batch, 784}));
  feeds.push_back({x, F32(Pattern(batch * 784, 1), {batch, 784})});
  Output h = x;
  const int64_t sizes[] = {784, 512, 512, 10};
  for (int l = 0; l < 3; ++l) {
    std::string p = absl::StrCat("l", l);
    Output w = g.Const(p + "w", F32(Pattern(sizes[l] * sizes[l + 1], l + 3, 0.05f), {sizes[l], sizes[l + 1]}));
    Output b = g.Const(p + "b", F32(Pattern(sizes[l + 1], l + 7, 0.1f), {sizes[l + 1]}));
    h = g.Add(p + "ba", "BiasAdd", {g.Add(p + "mm", "MatMul", {h, w}), b});
    if (l < 2) h = g.Add(p + "relu", "Relu", {h});
  }
  Output y = g.Add("softmax", "Softmax", {h});
  ASSERT_TRUE(g.status().ok()) << g.status();
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), feeds, {y});
  ASSERT_TRUE(run.ok()) << run.status();
  absl::StatusOr<std::vector<Tensor>> want = Evaluate(g.graph(), feeds, {y});
  ASSERT_TRUE(want.ok()) << want.status();
  EXPECT_TRUE(AllClose(run->results[0], (*want)[0], 1e-4, 1e-6));
  const double ms = BestRunMs(*run->executable, {feeds[0].second}, 20);
  const CompileStats& s = run->executable->compile_stats();
  std::printf("[ perf     ] mlp 784-512-512-10 batch %ld: %.3f ms (compile %.0f ms: pipeline %.0f, jit %.0f)\n", batch, ms,
              s.total_ms, s.pipeline_ms, s.jit_ms);
}

TEST(PerfSmokeTest, Mlp) {
  Mlp(1);
  Mlp(64);
}

// Conv2D(32,3x3,relu)-MaxPool2-Conv2D(64,3x3,relu)-MaxPool2-Conv2D(64,3x3,relu)-Flatten-
// Dense(64,relu)-Dense(10,softmax) on 28x28x1.
void Cnn(int64_t batch) {
  GraphBuilder g;
  Feeds feeds;
  Output x = g.Placeholder("x", DT_FLOAT, Shape({batch, 28, 28, 1}));
  feeds.push_back({x, F32(Pattern(batch * 784, 1), {batch, 28, 28, 1})});
  Output h = x;
  const int64_t channels[] = {1, 32, 64, 64};
  for (int l = 0; l < 3; ++l) {
    std::string p = absl::StrCat("c", l);
    Output w = g.Const(p + "w", F32(Pattern(9 * channels[l] * channels[l + 1], l + 3, 0.2f), {3, 3, channels[l], channels[l + 1]}));
    Output b = g.Const(p + "b", F32(Pattern(channels[l + 1], l + 7, 0.1f), {channels[l + 1]}));
    h = g.Add(p + "conv", "Conv2D", {h, w}, {{"strides", MakeAttr(std::vector<int>{1, 1, 1, 1})}, {"padding", MakeAttr("VALID")}});
    h = g.Add(p + "relu", "Relu", {g.Add(p + "ba", "BiasAdd", {h, b})});
    if (l < 2) {
      h = g.Add(p + "pool", "MaxPool", {h},
                {{"ksize", MakeAttr(std::vector<int>{1, 2, 2, 1})}, {"strides", MakeAttr(std::vector<int>{1, 2, 2, 1})},
                 {"padding", MakeAttr("VALID")}});
    }
  }
  // 28 -> 26 -> 13 -> 11 -> 5 -> 3: flatten 3*3*64 = 576.
  h = g.Add("flat", "Reshape", {h, g.Const("shape", Tensor::FromVector<int32_t>({-1, 576}))});
  Output w1 = g.Const("d1w", F32(Pattern(576 * 64, 11, 0.05f), {576, 64}));
  Output b1 = g.Const("d1b", F32(Pattern(64, 12, 0.1f), {64}));
  h = g.Add("d1relu", "Relu", {g.Add("d1ba", "BiasAdd", {g.Add("d1mm", "MatMul", {h, w1}), b1})});
  Output w2 = g.Const("d2w", F32(Pattern(64 * 10, 13, 0.1f), {64, 10}));
  Output b2 = g.Const("d2b", F32(Pattern(10, 14, 0.1f), {10}));
  Output y = g.Add("softmax", "Softmax", {g.Add("d2ba", "BiasAdd", {g.Add("d2mm", "MatMul", {h, w2}), b2})});
  ASSERT_TRUE(g.status().ok()) << g.status();
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), feeds, {y});
  ASSERT_TRUE(run.ok()) << run.status();
  absl::StatusOr<std::vector<Tensor>> want = Evaluate(g.graph(), feeds, {y});
  ASSERT_TRUE(want.ok()) << want.status();
  EXPECT_TRUE(AllClose(run->results[0], (*want)[0], 1e-4, 1e-6));
  const double ms = BestRunMs(*run->executable, {feeds[0].second}, 20);
  const CompileStats& s = run->executable->compile_stats();
  std::printf("[ perf     ] cnn batch %ld: %.3f ms (compile %.0f ms: pipeline %.0f, jit %.0f)\n", batch, ms, s.total_ms,
              s.pipeline_ms, s.jit_ms);
}

TEST(PerfSmokeTest, Cnn) {
  Cnn(1);
  if (Full()) Cnn(64);
}

}  // namespace
}  // namespace strata
