// The benchmark-sized models on the GPU against the CPU: an MLP 784-512-512-10 and a small CNN
// (conv 3x3x16 + relu + maxpool, conv 3x3x32 + relu + maxpool, dense 800-10, softmax), each
// run through a Session on backend "gpu" and one on backend "cpu" with the same inputs, compared
// at rtol 1e-4 (+ atol 1e-5 for values near zero); the GPU side may not fall back to the CPU.
// Skipped ("no CUDA device: ...") without a GPU; tools/gpu_check.sh runs it on a GPU machine.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "compiler/gpu/gpu_backend.h"
#include "graph/shape_inference.h"
#include "graph/attr_value.h"
#include "graph/graph.h"
#include "gtest/gtest.h"
#include "runtime/backends.h"
#include "runtime/gpu/cuda_backend.h"
#include "runtime/gpu/cuda_device.h"
#include "runtime/gpu/gpu_executable.h"
#include "runtime/gpu/gpu_runtime.h"
#include "runtime/session.h"
#include "tests/gpu_test_util.h"

namespace strata {
namespace {

// Deterministic values in [-scale, scale].
Tensor Pattern(const Shape& shape, unsigned seed, float scale) {
  Tensor t(DT_FLOAT, shape);
  auto f = t.flat<float>();
  for (size_t i = 0; i < f.size(); ++i) {
    const int64_t h = static_cast<int64_t>((i * 2654435761u + seed * 40503u) % 2001) - 1000;
    f[i] = scale * static_cast<float>(h) / 1000.f;
  }
  return t;
}

// Adds nodes to a graph; the first schema error is kept.
class Builder {
 public:
  Output Node(const std::string& name, const std::string& op, std::vector<Output> inputs, AttrMap attrs = {}) {
    NodeSpec spec{name, op, std::move(inputs), {}, std::move(attrs), ""};
    for (const Output& in : spec.inputs) {
      if (!in.valid()) return Output();
    }
    absl::StatusOr<strata::Node*> n = graph_.AddNode(std::move(spec));
    if (!n.ok()) {
      if (status_.ok()) status_ = n.status();
      return Output();
    }
    return Output(*n, 0);
  }
  Output Const(const std::string& name, const Tensor& t) {
    return Node(name, "Const", {}, {{"dtype", MakeAttr(t.dtype())}, {"value", MakeAttr(t)}});
  }
  Output Placeholder(const std::string& name, const Shape& shape) {
    return Node(name, "Placeholder", {}, {{"dtype", MakeAttr(DT_FLOAT)}, {"shape", MakeAttr(shape)}});
  }
  Graph& graph() { return graph_; }
  const absl::Status& status() const { return status_; }

 private:
  Graph graph_;
  absl::Status status_;
};

// x: float[batch, 784] -> probs: Dense(512, relu) - Dense(512, relu) - Dense(10) - Softmax.
void BuildMlp(Builder& b, int64_t batch) {
  Output h = b.Placeholder("x", Shape{batch, 784});
  const int64_t dims[] = {784, 512, 512, 10};
  for (int l = 0; l < 3; ++l) {
    const float scale = std::sqrt(6.f / static_cast<float>(dims[l] + dims[l + 1]));
    Output w = b.Const(absl::StrCat("w", l), Pattern(Shape{dims[l], dims[l + 1]}, 10 + l, scale));
    Output bias = b.Const(absl::StrCat("b", l), Pattern(Shape{dims[l + 1]}, 20 + l, 0.1f));
    h = b.Node(absl::StrCat("dense", l), "BiasAdd", {b.Node(absl::StrCat("mm", l), "MatMul", {h, w}), bias});
    if (l < 2) h = b.Node(absl::StrCat("relu", l), "Relu", {h});
  }
  b.Node("probs", "Softmax", {h});
}

// x: float[batch, 28, 28, 1] -> probs (NHWC, SAME convolutions, 2x2 pools: 28 -> 14 -> 7 -> 5).
void BuildCnn(Builder& b, int64_t batch) {
  Output h = b.Placeholder("x", Shape{batch, 28, 28, 1});
  const int64_t channels[] = {1, 16, 32};
  for (int l = 0; l < 2; ++l) {
    Output w = b.Const(absl::StrCat("cw", l), Pattern(Shape{3, 3, channels[l], channels[l + 1]}, 30 + l, 0.3f));
    Output c = b.Node(absl::StrCat("conv", l), "Conv2D", {h, w},
                      {{"strides", MakeAttr(std::vector<int>{1, 1, 1, 1})}, {"padding", MakeAttr("SAME")}});
    Output bias = b.Const(absl::StrCat("cb", l), Pattern(Shape{channels[l + 1]}, 40 + l, 0.1f));
    h = b.Node(absl::StrCat("relu", l), "Relu", {b.Node(absl::StrCat("cbias", l), "BiasAdd", {c, bias})});
    // The second pool is VALID on 14 -> 7, then a 3x3 VALID pool brings it to 5 below.
    h = b.Node(absl::StrCat("pool", l), "MaxPool", {h},
               {{"ksize", MakeAttr(std::vector<int>{1, 2, 2, 1})},
                {"strides", MakeAttr(std::vector<int>{1, 2, 2, 1})},
                {"padding", MakeAttr("VALID")}});
  }
  h = b.Node("pool_last", "MaxPool", {h},
             {{"ksize", MakeAttr(std::vector<int>{1, 3, 3, 1})},
              {"strides", MakeAttr(std::vector<int>{1, 1, 1, 1})},
              {"padding", MakeAttr("VALID")}});
  Output flat = b.Node("flat", "Reshape",
                       {h, b.Const("flat_shape", Tensor::FromVector<int32_t>({static_cast<int32_t>(batch), 5 * 5 * 32}))});
  Output logits = b.Node("fc", "BiasAdd",
                         {b.Node("fcmm", "MatMul", {flat, b.Const("fw", Pattern(Shape{800, 10}, 50, 0.08f))}),
                          b.Const("fb", Pattern(Shape{10}, 51, 0.1f))});
  b.Node("probs", "Softmax", {logits});
}

// Each test runs on the GPU ("gpu", skipped without one) and on the GPU emulator ("gpu-emu":
// the same compiled program, kernels retargeted to the host, runtime/gpu/emulator), which runs
// everywhere.
// Compares two float tensors of the same shape at |got - want| <= atol + 1e-4 |want|, reporting
// the first 5 elements that miss under `label`; returns the worst error relative to
// atol + |want|, for the log.
double ExpectClose(const std::string& label, const Tensor& got, const Tensor& want, double atol) {
  auto gv = got.flat<float>(), wv = want.flat<float>();
  int bad = 0;
  double worst = 0;
  for (size_t i = 0; i < gv.size(); ++i) {
    const double err = std::fabs(static_cast<double>(gv[i]) - wv[i]);
    worst = std::max(worst, err / (atol + std::fabs(static_cast<double>(wv[i]))));
    if (!(err <= atol + 1e-4 * std::fabs(static_cast<double>(wv[i]))) && ++bad <= 5) {
      ADD_FAILURE() << label << "[" << i << "]: gpu " << gv[i] << ", cpu " << wv[i];
    }
  }
  EXPECT_EQ(bad, 0) << label;
  return worst;
}

std::string BackendName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param == "gpu" ? "Gpu" : "Emulator";
}

class GpuModelsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { testing_util::SkipWithoutTheGpu(GetParam()); }

  // Runs `graph` on "gpu" and "cpu" with `x` fed, twice (the second run reuses the compiled
  // executables), and compares every element of "probs" and of `also` (an intermediate).
  void Compare(const Graph& graph, const Tensor& x, const std::string& also) {
    // The "gpu" backend as CreateBackend("gpu") makes it, kept typed to see its CPU fallbacks:
    // a model that silently ran on the CPU would match trivially.
    absl::StatusOr<std::unique_ptr<gpu::CudaBackend>> backend = gpu::CreateGpuBackend(GetParam());
    ASSERT_TRUE(backend.ok()) << backend.status();
    std::shared_ptr<gpu::CudaBackend> cuda = *std::move(backend);
    SessionOptions gpu_options, cpu_options;
    gpu_options.custom_backend = cuda;
    cpu_options.backend = "cpu";
    Session gpu(graph, gpu_options), cpu(graph, cpu_options);
    ASSERT_TRUE(gpu.status().ok()) << gpu.status();
    ASSERT_TRUE(cpu.status().ok()) << cpu.status();
    for (int run = 0; run < 2; ++run) {
      std::vector<Tensor> got, want;
      absl::Status g = gpu.Run({{"x", x}}, {"probs", also}, &got);
      ASSERT_TRUE(g.ok()) << g;
      ASSERT_TRUE(cpu.Run({{"x", x}}, {"probs", also}, &want).ok());
      ASSERT_EQ(got.size(), 2u);
      for (int k = 0; k < 2; ++k) {
        ASSERT_EQ(got[k].shape(), want[k].shape());
        const std::string name = k == 0 ? "probs" : also;
        const double worst = ExpectClose(name, got[k], want[k], 1e-5);
        std::printf("[ %s run %d ] %s: %lld elements, worst relative error %.3g\n", graph_name_.c_str(), run,
                    name.c_str(), static_cast<long long>(got[k].shape().num_elements()), worst);
      }
    }
    EXPECT_EQ(gpu.stats().compiles, 1);
    for (const gpu::CpuFallback& f : cuda->cpu_fallbacks()) ADD_FAILURE() << f.request << " ran on the CPU: " << f.reason;
  }
  std::string graph_name_;
};

TEST_P(GpuModelsTest, MlpMatchesTheCpu) {
  for (int64_t batch : {1, 64}) {
    graph_name_ = absl::StrCat("mlp batch ", batch);
    Builder b;
    BuildMlp(b, batch);
    ASSERT_TRUE(b.status().ok()) << b.status();
    Compare(b.graph(), Pattern(Shape{batch, 784}, 1, 1.f), "dense2");
  }
}

TEST_P(GpuModelsTest, CnnMatchesTheCpu) {
  for (int64_t batch : {1, 16}) {
    graph_name_ = absl::StrCat("cnn batch ", batch);
    Builder b;
    BuildCnn(b, batch);
    ASSERT_TRUE(b.status().ok()) << b.status();
    Compare(b.graph(), Pattern(Shape{batch, 28, 28, 1}, 2, 1.f), "fc");
  }
}

// Small dense layers (K 6 and 5: one thread per output): each layer's fill, dot products and
// bias + relu run as one kernel (gpu_fuse_parallel_loops.h), the hidden activation through a
// temp that each thread writes and reads back itself.
TEST_P(GpuModelsTest, FusedThreadPerOutputLayersMatchTheCpu) {
  for (int64_t batch : {1, 3}) {
    graph_name_ = absl::StrCat("small dense batch ", batch);
    Builder b;
    Output h = b.Placeholder("x", Shape{batch, 6});
    h = b.Node("hidden", "Relu", {b.Node("ba1", "BiasAdd", {b.Node("mm1", "MatMul", {h, b.Const("w1", Pattern(Shape{6, 5}, 2, 0.5f))}),
                                                            b.Const("b1", Pattern(Shape{5}, 3, 0.2f))})});
    Output logits = b.Node("ba2", "BiasAdd", {b.Node("mm2", "MatMul", {h, b.Const("w2", Pattern(Shape{5, 3}, 4, 0.5f))}),
                                              b.Const("b2", Pattern(Shape{3}, 5, 0.2f))});
    b.Node("probs", "Softmax", {logits});
    ASSERT_TRUE(b.status().ok()) << b.status();
    Compare(b.graph(), Pattern(Shape{batch, 6}, 1, 1.f), "hidden");
  }
}

// y = x + 1 fetched, and its transpose: loops over the same space that must not merge
// (iteration (i, j) of the transpose reads element (j, i) of y). Merged, the emulator's
// threads would read elements of y not yet written.
TEST_P(GpuModelsTest, TransposedReadOfAFetchedResult) {
  graph_name_ = "transposed read";
  Builder b;
  Output y = b.Node("y", "Add", {b.Placeholder("x", Shape{64, 64}), b.Const("one", Pattern(Shape{64, 64}, 6, 1.f))});
  b.Node("probs", "Transpose", {y, b.Const("perm", Tensor::FromVector<int32_t>({1, 0}))});
  ASSERT_TRUE(b.status().ok()) << b.status();
  Compare(b.graph(), Pattern(Shape{64, 64}, 7, 1.f), "y");
}

// GpuCompileOptions::tile_contractions (shared-memory tiled matmul with the bias/relu epilogue
// fused, off by default until this test has passed on a GPU). CudaBackend has no hook for
// compile options, so the program is compiled with CompileGpuProgram and run through
// MakeGpuExecutable; the reference is a Session on "cpu". rtol 1e-4 (+ atol 1e-5, 1e-5 sqrt(K) for
// the plain matmuls).
// Without a device, the compile (for sm_90) and the CPU reference still run, then the test skips.
class GpuTiledContractionTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { testing_util::SkipWithoutTheGpu(GetParam()); }

  // Feeds `feeds` (placeholder name -> value) and compares `fetch` on the GPU and the CPU.
  void Compare(const std::string& label, Builder& b, const std::vector<std::pair<Output, Tensor>>& feeds,
               const std::vector<Output>& fetches, double atol = 1e-5) {
    ASSERT_TRUE(b.status().ok()) << b.status();
    ASSERT_TRUE(InferShapes(&b.graph()).ok());
    const bool emulator = GetParam() == "gpu-emu";
    absl::StatusOr<std::string> arch = emulator ? absl::StatusOr<std::string>("sm_90") : gpu::GpuArch(0);
    ASSERT_TRUE(arch.ok()) << arch.status();
    CompileRequest request;
    request.graph = &b.graph();
    request.name = "tiled";
    std::vector<Tensor> args;
    std::vector<std::pair<std::string, Tensor>> named;
    for (const auto& [o, t] : feeds) {
      request.args.push_back(o);
      args.push_back(t);
      named.push_back({o.node->name(), t});
    }
    request.results = fetches;
    std::vector<std::string> fetch_names;
    for (const Output& f : fetches) fetch_names.push_back(f.node->name());
    GpuCompileOptions options;
    options.cuda_arch = *arch;
    options.tile_contractions = true;
    options.emit_host_ir = emulator;
    absl::StatusOr<gpu::GpuProgram> program = CompileGpuProgram(request, options);
    ASSERT_TRUE(program.ok()) << program.status();
    ASSERT_NE(program->ptx.find("bar.sync"), std::string::npos) << label << ": not tiled";
    SessionOptions cpu_options;
    cpu_options.backend = "cpu";
    Session cpu(b.graph(), cpu_options);
    ASSERT_TRUE(cpu.status().ok()) << cpu.status();
    std::vector<Tensor> want;
    absl::Status c = cpu.Run(named, fetch_names, &want);
    ASSERT_TRUE(c.ok()) << c;
    ASSERT_EQ(want.size(), fetches.size());
    absl::StatusOr<std::unique_ptr<Executable>> exe;
    if (emulator) {
      absl::StatusOr<std::shared_ptr<gpu::CudaDevice>> device = gpu::SharedEmulatedCudaDevice();
      ASSERT_TRUE(device.ok()) << device.status();
      absl::StatusOr<std::unique_ptr<gpu::GpuExecutable>> created = gpu::GpuExecutable::Create(*device, *std::move(program));
      ASSERT_TRUE(created.ok()) << created.status();
      exe = std::unique_ptr<Executable>(*std::move(created));
    } else {
      exe = gpu::MakeGpuExecutable(*std::move(program), 0);
    }
    ASSERT_TRUE(exe.ok()) << exe.status();
    for (int run = 0; run < 2; ++run) {
      std::vector<Tensor> got;
      absl::Status g = (*exe)->Run(args, &got);
      ASSERT_TRUE(g.ok()) << g;
      ASSERT_EQ(got.size(), fetches.size());
      for (size_t k = 0; k < fetches.size(); ++k) {
        ASSERT_EQ(got[k].shape(), want[k].shape());
        const double worst = ExpectClose(absl::StrCat(label, " ", fetch_names[k]), got[k], want[k], atol);
        std::printf("[ %s tiled run %d ] %s: %lld elements, worst relative error %.3g\n", label.c_str(), run,
                    fetch_names[k].c_str(), static_cast<long long>(got[k].shape().num_elements()), worst);
      }
    }
  }

  void MatMul(int64_t m, int64_t k, int64_t n) {
    Builder b;
    Output a = b.Placeholder("a", Shape{m, k}), w = b.Placeholder("b", Shape{k, n});
    Output y = b.Node("mm", "MatMul", {a, w});
    Compare(absl::StrCat("matmul ", m, "x", k, "x", n), b, {{a, Pattern(Shape{m, k}, 1, 1.f)}, {w, Pattern(Shape{k, n}, 2, 1.f)}}, {y},
            // Sums of k products of values in [-1, 1] (|C| ~ sqrt(k) / 3): an absolute floor that
            // grows with k for the elements that cancel to near zero, where the GPU's and the
            // CPU's summation orders differ; rtol 1e-4 elsewhere.
            1e-5 * std::sqrt(static_cast<double>(k)));
  }

  // A MatMul with transpose_a / transpose_b (the operands fed in those layouts), inputs from
  // `seed` and `seed + 1`.
  void TransposedMatMul(int64_t m, int64_t k, int64_t n, bool ta, bool tb, unsigned seed) {
    Builder b;
    const Shape sa = ta ? Shape{k, m} : Shape{m, k}, sb = tb ? Shape{n, k} : Shape{k, n};
    Output a = b.Placeholder("a", sa), w = b.Placeholder("b", sb);
    Output y = b.Node("mm", "MatMul", {a, w}, {{"transpose_a", MakeAttr(ta)}, {"transpose_b", MakeAttr(tb)}});
    Compare(absl::StrCat("matmul ", m, "x", k, "x", n, " ta=", ta, " tb=", tb), b,
            {{a, Pattern(sa, seed, 1.f)}, {w, Pattern(sb, seed + 1, 1.f)}}, {y}, 1e-5 * std::sqrt(static_cast<double>(k)));
  }
};

TEST_P(GpuTiledContractionTest, MatMul1000x1000x1000) { MatMul(1000, 1000, 1000); }

TEST_P(GpuTiledContractionTest, MatMul64x784x512) { MatMul(64, 784, 512); }

// transpose_a / transpose_b folded into the tile loads (non-dividing 200x96x130), and a batch.
TEST_P(GpuTiledContractionTest, TransposedAndBatched) {
  for (int t = 1; t < 4; ++t) TransposedMatMul(200, 96, 130, t & 1, t & 2, 1);
  Builder b;
  Output a = b.Placeholder("a", Shape{4, 128, 64}), w = b.Placeholder("b", Shape{4, 64, 96});
  Output y = b.Node("bmm", "BatchMatMulV2", {a, w});
  Compare("batch matmul", b, {{a, Pattern(Shape{4, 128, 64}, 3, 1.f)}, {w, Pattern(Shape{4, 64, 96}, 4, 1.f)}}, {y},
          1e-5 * std::sqrt(64.0));
}

// The f32 kernel's 128 x 128 tiles (>= 64 of them) with every edge partial: M, N not multiples
// of 128, K not of 8. 1030 x 203 x 1026 has no dimension divisible by 4, so every operand is
// staged by scalar loads; 1028 x 204 x 1032 has all of them, so by 16-byte loads, whose bounds
// checks cover whole groups. Each in every layout (groups along K or along M / N).
TEST_P(GpuTiledContractionTest, LargeTilesAtTheEdges) {
  for (auto [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{1030, 203, 1026}, {1028, 204, 1032}}) {
    for (int t = 0; t < 4; ++t) TransposedMatMul(m, k, n, t & 1, t & 2, 5);
  }
}

TEST_P(GpuTiledContractionTest, MlpWithFusedEpilogues) {
  // 64: one row of tiles; 100: a partial second row (rows 64..99 guarded).
  for (int64_t batch : {64, 100}) {
    Builder b;
    BuildMlp(b, batch);
    ASSERT_TRUE(b.status().ok()) << b.status();
    auto out = [&](const char* name) { return Output(b.graph().FindNode(name), 0); };
    // relu1: the second tiled layer's fused bias + relu; dense2: the logits; probs: softmax.
    Compare(absl::StrCat("mlp batch ", batch), b, {{out("x"), Pattern(Shape{batch, 784}, 1, 1.f)}},
            {out("probs"), out("relu1"), out("dense2")});
  }
}

// Conv2D as im2col + the tiled matmul (gpu_conv_im2col.h), bias and relu after it: SAME and VALID
// padding, strides, dilation, channel counts that leave partial tiles, and a late 3x3-output
// convolution at batch 64 whose rows only fill tiles with the batch folded in.
TEST_P(GpuTiledContractionTest, Conv2DAsIm2ColMatmul) {
  struct ConvCase {
    Shape x, w;
    std::vector<int> strides, dilations;
    const char* padding;
  };
  const ConvCase cases[] = {
      {Shape{3, 13, 11, 5}, Shape{3, 3, 5, 40}, {1, 1, 1, 1}, {1, 1, 1, 1}, "SAME"},
      {Shape{2, 17, 16, 8}, Shape{3, 3, 8, 33}, {1, 2, 2, 1}, {1, 1, 1, 1}, "VALID"},
      {Shape{2, 12, 12, 6}, Shape{3, 3, 6, 32}, {1, 1, 1, 1}, {1, 2, 2, 1}, "SAME"},
      {Shape{64, 5, 5, 16}, Shape{3, 3, 16, 64}, {1, 1, 1, 1}, {1, 1, 1, 1}, "VALID"},
      {Shape{2, 9, 9, 32}, Shape{1, 1, 32, 48}, {1, 1, 1, 1}, {1, 1, 1, 1}, "VALID"},
  };
  for (const ConvCase& c : cases) {
    Builder b;
    Output x = b.Placeholder("x", c.x);
    Output w = b.Const("w", Pattern(c.w, 5, 0.5f));
    Output conv = b.Node("conv", "Conv2D", {x, w},
                         {{"strides", MakeAttr(c.strides)}, {"dilations", MakeAttr(c.dilations)},
                          {"padding", MakeAttr(c.padding)}});
    Output bias = b.Const("bias", Pattern(Shape{c.w.dim(3)}, 6, 0.2f));
    Output relu = b.Node("relu", "Relu", {b.Node("biased", "BiasAdd", {conv, bias})});
    const int64_t k = c.w.dim(0) * c.w.dim(1) * c.w.dim(2);
    Compare(absl::StrCat("conv ", c.x.ToString(), " * ", c.w.ToString(), " ", c.padding, " stride ", c.strides[1],
                         " dilation ", c.dilations[1]),
            b, {{x, Pattern(c.x, 7, 1.f)}}, {relu, conv}, 1e-5 * std::sqrt(static_cast<double>(k)));
  }
}

// Two convolutions whose outputs are concatenated along channels (an Inception block, as in
// faceboxes): each im2col matmul writes a strided slice of the concat buffer, with K split.
TEST_P(GpuTiledContractionTest, ConvolutionsIntoAConcat) {
  Builder b;
  const Shape xs{1, 12, 12, 32};
  Output x = b.Placeholder("x", xs);
  std::vector<Output> branches;
  for (int i = 0; i < 2; ++i) {
    Output w = b.Const(absl::StrCat("w", i), Pattern(Shape{3, 3, 32, 42 + 10 * i}, 8 + i, 0.3f));
    branches.push_back(b.Node(absl::StrCat("conv", i), "Conv2D", {x, w},
                              {{"strides", MakeAttr(std::vector<int>{1, 1, 1, 1})}, {"padding", MakeAttr("SAME")}}));
  }
  Output axis = b.Const("axis", Tensor::Scalar<int32_t>(3));
  Output cat = b.Node("cat", "ConcatV2", {branches[0], branches[1], axis}, {{"N", MakeAttr(2)}});
  Compare("two convolutions into a concat", b, {{x, Pattern(xs, 9, 1.f)}}, {cat}, 1e-5 * std::sqrt(288.0));
}

INSTANTIATE_TEST_SUITE_P(Backends, GpuModelsTest, ::testing::Values("gpu", "gpu-emu"), BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, GpuTiledContractionTest, ::testing::Values("gpu", "gpu-emu"), BackendName);

// Without a device the models still build and run on the CPU (the test's own graphs are valid).
TEST(GpuModelsGraphTest, ModelsRunOnTheCpu) {
  if (!IsBackendAvailable("cpu")) GTEST_SKIP() << "no cpu backend in this build";
  for (const char* model : {"mlp", "cnn"}) {
    Builder b;
    const bool mlp = std::string(model) == "mlp";
    if (mlp) {
      BuildMlp(b, 2);
    } else {
      BuildCnn(b, 2);
    }
    ASSERT_TRUE(b.status().ok()) << b.status();
    Session cpu(b.graph(), SessionOptions{});
    ASSERT_TRUE(cpu.status().ok()) << cpu.status();
    std::vector<Tensor> out;
    const Tensor x = mlp ? Pattern(Shape{2, 784}, 1, 1.f) : Pattern(Shape{2, 28, 28, 1}, 2, 1.f);
    absl::Status s = cpu.Run({{"x", x}}, {"probs"}, &out);
    ASSERT_TRUE(s.ok()) << model << ": " << s;
    ASSERT_EQ(out[0].shape(), (Shape{2, 10}));
    for (int r = 0; r < 2; ++r) {
      float sum = 0;
      for (int c = 0; c < 10; ++c) sum += out[0].flat<float>()[r * 10 + c];
      EXPECT_NEAR(sum, 1.f, 1e-5f) << model << " row " << r;
    }
  }
}

}  // namespace
}  // namespace strata
