// Intra-op parallelism (compiler/cpu_parallel.h): big kernels are outlined into parallel loop
// bodies and split over the run's thread pool; small ones stay serial. Each chunk computes the
// same tiles in the same order as a serial run, so results must be bitwise identical whatever
// the thread count, and match the reference evaluator.
#include <cstring>
#include <thread>

#include "compiler/runtime_support.h"
#include "gtest/gtest.h"
#include "runtime/thread_pool.h"
#include "tests/compiler/graph_test_util.h"

namespace strata {
namespace {

using testing_util::AllClose;
using testing_util::F32;
using testing_util::GraphBuilder;
using testing_util::Pattern;
using testing_util::Count;

using Feeds = std::vector<std::pair<Output, Tensor>>;

bool BitwiseEqual(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && a.byte_size() == b.byte_size() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0;
}

struct Case {
  GraphBuilder g;
  Feeds feeds;
  std::vector<Output> fetches;
};

// Compiles the case, checks it against the reference evaluator, and runs it again on pools of
// 2, 3 and 8 threads (more threads than cores is fine) expecting bitwise-equal results.
void CheckAcrossThreadCounts(Case& c, bool expect_parallel, double rtol = 1e-4, double atol = 1e-5) {
  ASSERT_TRUE(c.g.status().ok()) << c.g.status();
  CpuBackendOptions options;
  options.capture_llvm_ir = true;
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(c.g.graph(), c.feeds, c.fetches, options);
  ASSERT_TRUE(run.ok()) << run.status();
  absl::StatusOr<std::vector<Tensor>> want = Evaluate(c.g.graph(), c.feeds, c.fetches);
  ASSERT_TRUE(want.ok()) << want.status();
  for (size_t i = 0; i < c.fetches.size(); ++i) EXPECT_TRUE(AllClose(run->results[i], (*want)[i], rtol, atol)) << i;

  const CpuExecutable& e = *run->executable;
  EXPECT_EQ(Count(e.bufferized_ir(), "__par") > 0, expect_parallel) << e.bufferized_ir();
  EXPECT_EQ(Count(e.llvm_ir(), "strata_parallel_for") > 0, expect_parallel);

  std::vector<Tensor> args;
  for (const auto& f : c.feeds) args.push_back(f.second);
  for (int threads : {2, 3, 8}) {
    ThreadPool pool(threads);
    RunOptions ro;
    ro.thread_pool = &pool;
    const ParallelLoopCounters before = GetParallelLoopCounters();
    std::vector<Tensor> got;
    ASSERT_TRUE(e.Run(args, &got, ro).ok());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_TRUE(BitwiseEqual(got[i], run->results[i])) << threads << " threads, fetch " << i;
    const ParallelLoopCounters after = GetParallelLoopCounters();
    if (expect_parallel) {
      EXPECT_GT(after.split_loops, before.split_loops) << "no loop was split over " << threads << " threads";
    }
  }
}

TEST(ParallelTest, MatMulWithEpilogueSplitsOverThreads) {
  Case c;
  const int64_t m = 200, k = 300, n = 260;  // tiles do not divide: peeled remainders
  Output x = c.g.Placeholder("x", DT_FLOAT, Shape({m, k}));
  c.feeds.push_back({x, F32(Pattern(m * k, 1), {m, k})});
  Output w = c.g.Placeholder("w", DT_FLOAT, Shape({k, n}));
  c.feeds.push_back({w, F32(Pattern(k * n, 2, 0.1f), {k, n})});
  Output b = c.g.Const("b", F32(Pattern(n, 3), {n}));
  Output mm = c.g.Add("mm", "MatMul", {x, w});
  Output relu = c.g.Add("relu", "Relu", {c.g.Add("ba", "BiasAdd", {mm, b})});
  c.fetches = {relu, c.g.Add("sm", "Softmax", {relu})};
  CheckAcrossThreadCounts(c, /*expect_parallel=*/true);
}

TEST(ParallelTest, ConvolutionPoolingAndBatchedElementwise) {
  Case c;
  Output x = c.g.Placeholder("x", DT_FLOAT, Shape({8, 28, 28, 3}));
  c.feeds.push_back({x, F32(Pattern(8 * 28 * 28 * 3, 1), {8, 28, 28, 3})});
  Output w = c.g.Const("w", F32(Pattern(3 * 3 * 3 * 32, 2, 0.3f), {3, 3, 3, 32}));
  Output conv = c.g.Add("conv", "Conv2D", {x, w},
                        {{"strides", MakeAttr(std::vector<int>{1, 1, 1, 1})}, {"padding", MakeAttr("SAME")}});
  Output r6 = c.g.Add("r6", "Relu6", {conv});
  Output mp = c.g.Add("mp", "MaxPool", {r6},
                      {{"ksize", MakeAttr(std::vector<int>{1, 2, 2, 1})}, {"strides", MakeAttr(std::vector<int>{1, 2, 2, 1})},
                       {"padding", MakeAttr("VALID")}});
  Output t = c.g.Add("t", "Tanh", {c.g.Add("sq", "Square", {mp})});
  Output mean = c.g.Add("mean", "Mean", {t, c.g.Const("axes", Tensor::FromVector<int32_t>({1, 2}))});
  c.fetches = {t, mean};
  CheckAcrossThreadCounts(c, /*expect_parallel=*/true);
}

TEST(ParallelTest, SmallKernelsStaySerial) {
  Case c;
  Output x = c.g.Placeholder("x", DT_FLOAT, Shape({1, 64}));
  c.feeds.push_back({x, F32(Pattern(64, 1), {1, 64})});
  Output w = c.g.Const("w", F32(Pattern(64 * 32, 2, 0.1f), {64, 32}));
  c.fetches = {c.g.Add("relu", "Relu", {c.g.Add("mm", "MatMul", {x, w})})};
  CheckAcrossThreadCounts(c, /*expect_parallel=*/false);
}

TEST(ParallelTest, ConcurrentRunsShareOnePool) {
  Case c;
  const int64_t m = 128, k = 256, n = 192;
  Output x = c.g.Placeholder("x", DT_FLOAT, Shape({m, k}));
  c.feeds.push_back({x, F32(Pattern(m * k, 1), {m, k})});
  Output w = c.g.Const("w", F32(Pattern(k * n, 2, 0.1f), {k, n}));
  c.fetches = {c.g.Add("mm", "MatMul", {x, w})};
  ASSERT_TRUE(c.g.status().ok());
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(c.g.graph(), c.feeds, c.fetches);
  ASSERT_TRUE(run.ok()) << run.status();
  ThreadPool pool(3);
  std::vector<std::thread> callers;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      RunOptions ro;
      ro.thread_pool = &pool;
      for (int i = 0; i < 10; ++i) {
        std::vector<Tensor> got;
        if (!run->executable->Run({c.feeds[0].second}, &got, ro).ok() || !BitwiseEqual(got[0], run->results[0])) return;
      }
      ok[t] = 1;
    });
  }
  for (std::thread& t : callers) t.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(ok[t], 1) << "caller " << t;
}

}  // namespace
}  // namespace strata
