// End to end on a GPU: a Session whose backend is the CUDA backend (compiler/gpu -> PTX ->
// GpuExecutable) computes what the reference evaluator computes. Skipped ("no CUDA device: ...")
// where there is no GPU; the kernels' PTX is covered without one by tests/compiler/gpu_ptx_test.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "graph/graph_def_io.h"
#include "graph/shape_inference.h"
#include "gtest/gtest.h"
#include "runtime/gpu/cuda_backend.h"
#include "runtime/gpu/cuda_device.h"
#include "runtime/gpu/gpu_program_validation.h"
#include "runtime/session.h"

namespace strata {
namespace {

using ::testing::HasSubstr;

std::string FloatConst(const std::string& name, const std::vector<int64_t>& dims, unsigned seed) {
  std::string shape, values;
  int64_t n = 1;
  for (int64_t d : dims) {
    absl::StrAppend(&shape, " dim { size: ", d, " }");
    n *= d;
  }
  for (int64_t i = 0; i < n; ++i) {
    // Small deterministic values in [-1, 1].
    const float v = static_cast<float>(static_cast<int64_t>((i * 2654435761u + seed) % 2001) - 1000) / 1000.f;
    absl::StrAppend(&values, " float_val: ", v);
  }
  return absl::StrCat(R"(node { name: ")", name,
                      R"(" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "value" )",
                      R"(value { tensor { dtype: DT_FLOAT tensor_shape {)", shape, " }", values, " } } } }\n");
}

std::string Node(const std::string& name, const std::string& op, const std::vector<std::string>& inputs,
                 const std::string& attrs = R"(attr { key: "T" value { type: DT_FLOAT } })") {
  std::string text = absl::StrCat(R"(node { name: ")", name, R"(" op: ")", op, R"(")");
  for (const std::string& in : inputs) absl::StrAppend(&text, R"( input: ")", in, R"(")");
  return absl::StrCat(text, " ", attrs, " }\n");
}

// y = relu(x @ w + b) * 0.5; s = sum(y, axis 1)  for x: float[64, 32]
tf::GraphDef DenseGraph() {
  const std::string text =
      absl::StrCat(R"(node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } )",
                   R"(attr { key: "shape" value { shape { dim { size: 64 } dim { size: 32 } } } } })", "\n",
                   FloatConst("w", {32, 16}, 7), FloatConst("b", {16}, 11), FloatConst("half", {}, 0),
                   R"(node { name: "axis" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } )",
                   R"(attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 1 } } } })", "\n",
                   Node("mm", "MatMul", {"x", "w"}), Node("biased", "BiasAdd", {"mm", "b"}),
                   Node("relu", "Relu", {"biased"}), Node("y", "Mul", {"relu", "half"}),
                   Node("s", "Sum", {"y", "axis"},
                        R"(attr { key: "T" value { type: DT_FLOAT } } attr { key: "Tidx" value { type: DT_INT32 } })"));
  absl::StatusOr<tf::GraphDef> def = ParseGraphDefText(text);
  EXPECT_TRUE(def.ok()) << def.status();
  return def.ok() ? *def : tf::GraphDef();
}

Tensor Input(unsigned seed) {
  Tensor x(DT_FLOAT, Shape{64, 32});
  auto f = x.flat<float>();
  for (size_t i = 0; i < f.size(); ++i) f[i] = std::sin(static_cast<float>(i * 7 + seed)) * 2.f;
  return x;
}

// No GPU needed: what the GPU compiler emits for the graph is a program the runtime accepts
// (the contract of runtime/gpu/gpu_program.h, checked from both sides).
TEST(GpuSessionTest, CompilerOutputIsAProgramTheRuntimeAccepts) {
  absl::StatusOr<std::unique_ptr<Graph>> graph = GraphFromGraphDef(DenseGraph());
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_TRUE(InferShapes(graph->get()).ok());
  CompileRequest request;
  request.graph = graph->get();
  request.args = {(*graph)->FindNode("x")->output(0)};
  request.results = {(*graph)->FindNode("y")->output(0), (*graph)->FindNode("s")->output(0)};
  request.name = "dense";
  absl::StatusOr<gpu::GpuProgram> program = gpu::CompileForGpu(request, "sm_80");
  if (absl::IsUnimplemented(program.status()) && absl::StrContains(program.status().message(), "not in this build")) {
    GTEST_SKIP() << program.status().message();
  }
  ASSERT_TRUE(program.ok()) << program.status();
  EXPECT_TRUE(gpu::ValidateGpuProgram(*program).ok()) << gpu::ValidateGpuProgram(*program);
  ASSERT_EQ(program->arg_buffers.size(), 1u);
  ASSERT_EQ(program->result_buffers.size(), 2u);
  EXPECT_EQ(program->buffers[program->arg_buffers[0]].shape, (Shape{64, 32}));
  EXPECT_EQ(program->buffers[program->result_buffers[0]].shape, (Shape{64, 16}));
  EXPECT_EQ(program->buffers[program->result_buffers[1]].shape, (Shape{64}));
  EXPECT_EQ(program->cuda_arch, "sm_80");
  EXPECT_THAT(program->ptx, HasSubstr(".target sm_80"));
  int launches = 0;
  for (const gpu::GpuStep& step : program->steps) {
    if (step.kind != gpu::GpuStep::Kind::kLaunch) continue;
    ++launches;
    EXPECT_THAT(program->ptx, HasSubstr(absl::StrCat(".entry ", step.launch.kernel, "(")));
  }
  EXPECT_GT(launches, 0);
}

TEST(GpuSessionTest, DenseLayerMatchesTheReferenceEvaluator) {
  absl::StatusOr<std::unique_ptr<Backend>> backend = gpu::CreateCudaBackend();
  if (!backend.ok()) {
    const std::string why(backend.status().message());
    GTEST_SKIP() << (why.rfind("no CUDA", 0) == 0 ? why : "no CUDA device: " + why);
  }
  SessionOptions gpu_options;
  gpu_options.custom_backend = std::shared_ptr<Backend>(std::move(*backend));
  SessionOptions reference_options;
  reference_options.backend = "reference";
  const tf::GraphDef def = DenseGraph();
  Session on_gpu(def, gpu_options), reference(def, reference_options);
  ASSERT_TRUE(on_gpu.status().ok()) << on_gpu.status();
  ASSERT_TRUE(reference.status().ok()) << reference.status();
  for (unsigned run = 0; run < 3; ++run) {
    const Tensor x = Input(run);
    std::vector<Tensor> got, want;
    ASSERT_TRUE(on_gpu.Run({{"x", x}}, {"y", "s"}, &got).ok());
    ASSERT_TRUE(reference.Run({{"x", x}}, {"y", "s"}, &want).ok());
    ASSERT_EQ(got.size(), 2u);
    for (int k = 0; k < 2; ++k) {
      ASSERT_EQ(got[k].shape(), want[k].shape());
      auto g = got[k].flat<float>(), w = want[k].flat<float>();
      for (size_t i = 0; i < g.size(); ++i) {
        ASSERT_NEAR(g[i], w[i], 1e-4f + 1e-4f * std::fabs(w[i])) << "fetch " << k << " element " << i << " run " << run;
      }
    }
  }
  EXPECT_EQ(on_gpu.stats().compiles, 1) << "one signature, compiled once";
}

}  // namespace
}  // namespace strata
