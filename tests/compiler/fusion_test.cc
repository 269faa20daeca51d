// Fusion is the point: fused graphs compile to few loop nests and few intermediate buffers.
// These tests inspect the compiled module (after the pipeline) and check the results against
// the reference evaluator. Compile times are printed, not asserted.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/compiler/graph_test_util.h"

namespace strata {
namespace {

using testing_util::AllClose;
using testing_util::F32;
using testing_util::GraphBuilder;
using testing_util::Pattern;
using testing_util::Count;

using Feeds = std::vector<std::pair<Output, Tensor>>;

// Heap allocations of intermediates (memref.alloc) in the bufferized module; stack buffers
// (memref.alloca) are small tiles and are not counted.
int HeapAllocations(const std::string& ir) { return Count(ir, "memref.alloc("); }

// Outermost loop nests in the body of the compiled function: each is a fused kernel.
int TopLevelLoopNests(const std::string& ir) {
  int nests = 0;
  for (absl::string_view line : absl::StrSplit(ir, '\n')) {
    // The function body is indented by 4 spaces; top-level loops start there.
    const bool loop = absl::StartsWith(line, "    scf.for") ||
                      (absl::StartsWith(line, "    %") && line.find("= scf.for") != absl::string_view::npos);
    if (loop) ++nests;
  }
  return nests;
}

void PrintStats(const std::string& name, const CpuExecutable& e) {
  const CompileStats& s = e.compile_stats();
  std::printf("[ compile  ] %s: %.1f ms (lower %.1f, pipeline %.1f, jit %.1f)\n", name.c_str(), s.total_ms, s.lower_ms,
              s.pipeline_ms, s.jit_ms);
}

TEST(FusionTest, MatMulBiasAddReluSoftmax) {
  GraphBuilder g;
  Feeds feeds;
  const int64_t batch = 16, in = 50, out = 10;
  Output x = g.Placeholder("x", DT_FLOAT, Shape({batch, in}));
  feeds.push_back({x, F32(Pattern(batch * in, 1), {batch, in})});
  Output w = g.Const("w", F32(Pattern(in * out, 2, 0.3f), {in, out}));
  Output b = g.Const("b", F32(Pattern(out, 3), {out}));
  Output mm = g.Add("mm", "MatMul", {x, w});
  Output ba = g.Add("ba", "BiasAdd", {mm, b});
  Output relu = g.Add("relu", "Relu", {ba});
  Output sm = g.Add("sm", "Softmax", {relu});
  ASSERT_TRUE(g.status().ok()) << g.status();
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), feeds, {sm});
  ASSERT_TRUE(run.ok()) << run.status();
  absl::StatusOr<std::vector<Tensor>> want = Evaluate(g.graph(), feeds, {sm});
  ASSERT_TRUE(want.ok()) << want.status();
  EXPECT_TRUE(AllClose(run->results[0], (*want)[0], 1e-5, 1e-6));

  const CpuExecutable& e = *run->executable;
  PrintStats("MatMul->BiasAdd->Relu->Softmax", e);
  // Tensor level, before fusion: a matmul, a fill, and several elementwise/reduction generics.
  EXPECT_EQ(Count(e.lowered_ir(), "linalg.matmul"), 1);
  EXPECT_GE(Count(e.lowered_ir(), "linalg.generic"), 5);
  // The bias add and relu are fused into the matmul's tile loop (one fused kernel), and the
  // softmax chain becomes two reductions + one elementwise kernel at most.
  const std::string& ir = e.bufferized_ir();
  EXPECT_EQ(Count(ir, "linalg."), 0) << "everything lowered to loops / vectors";
  EXPECT_LE(TopLevelLoopNests(ir), 4) << ir;
  // Intermediates: the logits before softmax and the row max/sum live in at most 3 heap buffers.
  EXPECT_LE(HeapAllocations(ir), 3) << ir;
  // The matmul is vectorized into FMAs on whole vectors.
  EXPECT_GE(Count(ir, "vector.fma") + Count(ir, "vector.outerproduct"), 1) << ir;
}

TEST(FusionTest, Conv2DBiasAddRelu6MaxPool) {
  GraphBuilder g;
  Feeds feeds;
  Output x = g.Placeholder("x", DT_FLOAT, Shape({2, 14, 14, 3}));
  feeds.push_back({x, F32(Pattern(2 * 14 * 14 * 3, 1), {2, 14, 14, 3})});
  Output w = g.Const("w", F32(Pattern(3 * 3 * 3 * 16, 2, 0.5f), {3, 3, 3, 16}));
  Output b = g.Const("b", F32(Pattern(16, 3), {16}));
  Output conv = g.Add("conv", "Conv2D", {x, w},
                      {{"strides", MakeAttr(std::vector<int>{1, 1, 1, 1})}, {"padding", MakeAttr("SAME")}});
  Output ba = g.Add("ba", "BiasAdd", {conv, b});
  Output r6 = g.Add("r6", "Relu6", {ba});
  Output mp = g.Add("mp", "MaxPool", {r6},
                    {{"ksize", MakeAttr(std::vector<int>{1, 2, 2, 1})}, {"strides", MakeAttr(std::vector<int>{1, 2, 2, 1})},
                     {"padding", MakeAttr("VALID")}});
  ASSERT_TRUE(g.status().ok()) << g.status();
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), feeds, {mp});
  ASSERT_TRUE(run.ok()) << run.status();
  absl::StatusOr<std::vector<Tensor>> want = Evaluate(g.graph(), feeds, {mp});
  ASSERT_TRUE(want.ok()) << want.status();
  EXPECT_TRUE(AllClose(run->results[0], (*want)[0], 1e-4, 1e-5));

  const CpuExecutable& e = *run->executable;
  PrintStats("Conv2D->BiasAdd->Relu6->MaxPool", e);
  const std::string& ir = e.bufferized_ir();
  EXPECT_EQ(Count(ir, "linalg."), 0);
  // Bias + relu6 run inside the pooling tiles (or the convolution's): the convolution output
  // and the padded input of the SAME convolution are the only intermediates.
  EXPECT_LE(HeapAllocations(ir), 2) << ir;
  // Kernels: padding (fill + copy), the convolution, the pooling.
  EXPECT_LE(TopLevelLoopNests(ir), 4) << ir;
  // Both the convolution and the pooling are vectorized.
  EXPECT_EQ(Count(e.fused_ir(), "linalg.conv"), 0) << e.fused_ir();
  EXPECT_EQ(Count(e.fused_ir(), "linalg.pooling"), 0) << e.fused_ir();
}

// 16-bit convolutions (the op's lowering keeps the operands 16-bit and sums in f32, which the
// GPU wants) widen their input and filter to f32 once, before the convolution's loops, rather
// than at every use in the register tiles (cpu_widen_convolutions.h): the tiles read f32.
TEST(FusionTest, HalfConvolutionsReadWidenedOperands) {
  for (DType dtype : {DT_HALF, DT_BFLOAT16}) {
    GraphBuilder g;
    Feeds feeds;
    Output x = g.Placeholder("x", dtype, Shape({2, 9, 9, 16}));
    feeds.push_back({x, *F32(Pattern(2 * 9 * 9 * 16, 1), {2, 9, 9, 16}).Cast(dtype)});
    Output w = g.Placeholder("w", dtype, Shape({3, 3, 16, 32}));
    feeds.push_back({w, *F32(Pattern(3 * 3 * 16 * 32, 2, 0.5f), {3, 3, 16, 32}).Cast(dtype)});
    Output dw = g.Placeholder("dw", dtype, Shape({3, 3, 16, 1}));
    feeds.push_back({dw, *F32(Pattern(3 * 3 * 16, 3, 0.5f), {3, 3, 16, 1}).Cast(dtype)});
    const AttrMap attrs = {{"T", MakeAttr(dtype)},
                           {"strides", MakeAttr(std::vector<int>{1, 1, 1, 1})},
                           {"padding", MakeAttr("SAME")}};
    Output conv = g.Add("conv", "Conv2D", {x, w}, attrs);
    Output depthwise = g.Add("depthwise", "DepthwiseConv2dNative", {x, dw}, attrs);
    ASSERT_TRUE(g.status().ok()) << g.status();
    absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), feeds, {conv, depthwise});
    ASSERT_TRUE(run.ok()) << run.status();
    absl::StatusOr<std::vector<Tensor>> want = Evaluate(g.graph(), feeds, {conv, depthwise});
    ASSERT_TRUE(want.ok()) << want.status();
    for (int i = 0; i < 2; ++i) {
      EXPECT_TRUE(AllClose(*run->results[i].Cast(DT_FLOAT), *(*want)[i].Cast(DT_FLOAT), 1e-2, 1e-2)) << DTypeName(dtype);
    }
    // The filters exist as f32 tensors (without the widening they are only ever read as 16-bit
    // vectors and extended inside the tiles), and the 16-bit filter is read once, to widen it.
    const std::string& fused = run->executable->fused_ir();
    const std::string half = dtype == DT_HALF ? "f16" : "bf16";
    EXPECT_GT(Count(fused, "tensor<3x3x16x32xf32>, vector<"), 0) << DTypeName(dtype) << fused;
    EXPECT_GT(Count(fused, "tensor<3x3x16xf32>, vector<"), 0) << DTypeName(dtype) << fused;
    EXPECT_EQ(Count(fused, absl::StrCat("tensor<3x3x16x32x", half, ">, vector<")), 1) << DTypeName(dtype) << fused;
    EXPECT_EQ(Count(fused, "linalg.conv"), 0) << "vectorized";
  }
}

TEST(FusionTest, ElementwiseChainIsOneKernelWithoutIntermediates) {
  GraphBuilder g;
  Feeds feeds;
  Output x = g.Placeholder("x", DT_FLOAT, Shape({33, 100}));
  feeds.push_back({x, F32(Pattern(3300, 1), {33, 100})});
  Output y = g.Placeholder("y", DT_FLOAT, Shape({100}));
  feeds.push_back({y, F32(Pattern(100, 2), {100})});
  Output a = g.Add("a", "Mul", {x, y});
  Output t = g.Add("t", "Tanh", {a});
  Output s = g.Add("s", "Sigmoid", {g.Add("sub", "Sub", {t, x})});
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), feeds, {s});
  ASSERT_TRUE(run.ok()) << run.status();
  absl::StatusOr<std::vector<Tensor>> want = Evaluate(g.graph(), feeds, {s});
  ASSERT_TRUE(want.ok()) << want.status();
  EXPECT_TRUE(AllClose(run->results[0], (*want)[0], 1e-5, 1e-6));
  const CpuExecutable& e = *run->executable;
  PrintStats("Mul->Tanh->Sub->Sigmoid", e);
  EXPECT_EQ(Count(e.fused_ir(), "linalg.generic"), 0) << "vectorized";
  EXPECT_EQ(HeapAllocations(e.bufferized_ir()), 0) << e.bufferized_ir();
  EXPECT_EQ(TopLevelLoopNests(e.bufferized_ir()), 1) << e.bufferized_ir();
  EXPECT_THAT(e.DebugString(), ::testing::HasSubstr("---- bufferized ----"));
}

// A [rows, 1] operand makes fusion compute the result as [rows, 1, inner]; it is still
// computed straight into the fetched [rows, inner] buffer (the reshape is moved onto the
// destination), not into a temp that a second loop copies over.
TEST(FusionTest, ReshapedResultIsComputedInItsDestination) {
  GraphBuilder g;
  Feeds feeds;
  Output x = g.Placeholder("x", DT_FLOAT, Shape({64, 48}));
  feeds.push_back({x, F32(Pattern(64 * 48, 1), {64, 48})});
  Output col = g.Placeholder("col", DT_FLOAT, Shape({64, 1}));
  feeds.push_back({col, F32(Pattern(64, 2), {64, 1})});
  Output bias = g.Const("bias", F32(Pattern(48, 3), {48}));
  Output out = g.Add("out", "Mul", {g.Add("s", "Add", {x, bias}), col});
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), feeds, {out});
  ASSERT_TRUE(run.ok()) << run.status();
  absl::StatusOr<std::vector<Tensor>> want = Evaluate(g.graph(), feeds, {out});
  ASSERT_TRUE(want.ok()) << want.status();
  EXPECT_TRUE(AllClose(run->results[0], (*want)[0], 1e-6, 1e-6));
  const CpuExecutable& e = *run->executable;
  EXPECT_GT(Count(e.fused_ir(), "64x1x48xf32"), 0) << "the shape this test is about" << e.fused_ir();
  EXPECT_EQ(HeapAllocations(e.bufferized_ir()), 0) << e.bufferized_ir();
  EXPECT_EQ(Count(e.bufferized_ir(), "copy"), 0) << e.bufferized_ir();
}

// Sizes that divide no tile: the peeled remainder tiles are vectorized too (no linalg op is
// left for the scalar fallback).
TEST(FusionTest, RaggedTilesStayVectorized) {
  GraphBuilder g;
  Feeds feeds;
  Output x = g.Placeholder("x", DT_FLOAT, Shape({37, 41}));
  feeds.push_back({x, F32(Pattern(37 * 41, 1), {37, 41})});
  Output w = g.Const("w", F32(Pattern(41 * 29, 2), {41, 29}));
  Output b = g.Const("b", F32(Pattern(29, 3), {29}));
  Output y = g.Add("relu", "Relu", {g.Add("ba", "BiasAdd", {g.Add("mm", "MatMul", {x, w}), b})});
  Output img = g.Placeholder("img", DT_FLOAT, Shape({1, 13, 11, 5}));
  feeds.push_back({img, F32(Pattern(13 * 11 * 5, 4), {1, 13, 11, 5})});
  Output f = g.Const("f", F32(Pattern(3 * 3 * 5 * 19, 5, 0.3f), {3, 3, 5, 19}));
  Output conv = g.Add("conv", "Conv2D", {img, f}, {{"strides", MakeAttr(std::vector<int>{1, 1, 1, 1})}, {"padding", MakeAttr("VALID")}});
  absl::StatusOr<testing_util::GraphRun> run = testing_util::CompileAndRun(g.graph(), feeds, {y, conv});
  ASSERT_TRUE(run.ok()) << run.status();
  absl::StatusOr<std::vector<Tensor>> want = Evaluate(g.graph(), feeds, {y, conv});
  ASSERT_TRUE(want.ok()) << want.status();
  EXPECT_TRUE(AllClose(run->results[0], (*want)[0], 1e-4, 1e-5));
  EXPECT_TRUE(AllClose(run->results[1], (*want)[1], 1e-4, 1e-5));
  const CpuExecutable& e = *run->executable;
  PrintStats("ragged MatMul->BiasAdd->Relu + Conv2D", e);
  EXPECT_EQ(Count(e.fused_ir(), "linalg."), 0) << e.fused_ir();
  EXPECT_GE(Count(e.fused_ir(), "vector.contract"), 4) << "main and remainder tiles of both";
}

}  // namespace
}  // namespace strata
