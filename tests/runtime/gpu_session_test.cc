// End to end on a GPU: a Session whose backend is the CUDA backend (compiler/gpu -> PTX ->
// GpuExecutable) computes what the reference evaluator computes. Skipped ("no CUDA device: ...")
// where there is no GPU; the kernels' PTX is covered without one by tests/compiler/gpu_ptx_test.
// Without a GPU: the CPU fallback of the "gpu" backend over a fake-driver device, and the
// backend names ("gpu", "gpu:N", malformed ones) through SessionOptions::backend.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "graph/graph_def_io.h"
#include "graph/shape_inference.h"
#include "gtest/gtest.h"
#include "runtime/backends.h"
#include "runtime/gpu/cuda_backend.h"
#include "runtime/gpu/cuda_device.h"
#include "runtime/gpu/gpu_program_validation.h"
#include "runtime/session.h"
#include "tests/runtime/gpu_fake_driver.h"

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

// ---------------------------------------------------------------------------------------------
// Soft placement: the "gpu" backend compiles what the GPU compiler cannot lower for the CPU.
// Over a device on the fake driver (tests/runtime/gpu_fake_driver.h), so no GPU is needed.

std::string Placeholder(const std::string& name, const std::string& dtype, int64_t n) {
  return absl::StrCat(R"(node { name: ")", name, R"(" op: "Placeholder" attr { key: "dtype" value { type: )", dtype,
                      R"( } } attr { key: "shape" value { shape { dim { size: )", n, " } } } } }\n");
}

// e = exp(x) for x: float64[8] (f64 exp needs libdevice, which the GPU compiler does not link).
tf::GraphDef ExpF64Graph() {
  absl::StatusOr<tf::GraphDef> def = ParseGraphDefText(absl::StrCat(
      Placeholder("x", "DT_DOUBLE", 8), Node("e", "Exp", {"x"}, R"(attr { key: "T" value { type: DT_DOUBLE } })")));
  EXPECT_TRUE(def.ok()) << def.status();
  return def.ok() ? *def : tf::GraphDef();
}

// s = a + b for float32[16].
tf::GraphDef AddF32Graph() {
  absl::StatusOr<tf::GraphDef> def = ParseGraphDefText(
      absl::StrCat(Placeholder("a", "DT_FLOAT", 16), Placeholder("b", "DT_FLOAT", 16), Node("s", "AddV2", {"a", "b"})));
  EXPECT_TRUE(def.ok()) << def.status();
  return def.ok() ? *def : tf::GraphDef();
}

// A request for `fetch` of `graph` with `feeds` as arguments, shapes inferred.
CompileRequest Request(Graph* graph, const std::vector<std::string>& feeds, const std::string& fetch,
                       const std::string& name) {
  EXPECT_TRUE(InferShapes(graph).ok());
  CompileRequest request;
  request.graph = graph;
  for (const std::string& f : feeds) request.args.push_back(graph->FindNode(f)->output(0));
  request.results = {graph->FindNode(fetch)->output(0)};
  request.name = name;
  return request;
}

class GpuFallbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<gpu::CudaDevice>> device = gpu::CudaDevice::Open(gpu::fake::Driver(), 0);
    ASSERT_TRUE(device.ok()) << device.status();
    absl::StatusOr<std::unique_ptr<gpu::CudaBackend>> backend =
        gpu::CreateCudaBackendForDevice(std::shared_ptr<gpu::CudaDevice>(std::move(*device)));
    if (absl::IsUnimplemented(backend.status())) GTEST_SKIP() << backend.status().message();
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = std::shared_ptr<gpu::CudaBackend>(std::move(*backend));
  }
  std::shared_ptr<gpu::CudaBackend> backend_;
};

// A chosen compile target: one the compiler knows and the device runs ("sm_90a" only on
// compute 9.0, as the emulated device is; the fake one is 8.0), else an error naming it.
TEST(GpuBackendArchTest, ChosenTargetIsCheckedAgainstTheDevice) {
  auto open = [](std::string_view arch) {
    absl::StatusOr<std::unique_ptr<gpu::CudaDevice>> device = gpu::CudaDevice::Open(gpu::fake::Driver(), 0);
    EXPECT_TRUE(device.ok()) << device.status();
    return gpu::CreateCudaBackendForDevice(std::shared_ptr<gpu::CudaDevice>(std::move(*device)), arch);
  };
  absl::StatusOr<std::unique_ptr<gpu::CudaBackend>> plain = open("sm_80");
  if (absl::IsUnimplemented(plain.status())) GTEST_SKIP() << plain.status().message();
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ((*plain)->cuda_arch(), "sm_80");
  absl::StatusOr<std::unique_ptr<gpu::CudaBackend>> newer = open("sm_90a");
  EXPECT_TRUE(absl::IsFailedPrecondition(newer.status())) << newer.status();
  EXPECT_THAT(std::string(newer.status().message()), HasSubstr("sm_90a cannot run on device 0"));
  absl::StatusOr<std::unique_ptr<gpu::CudaBackend>> unknown = open("sm_75");
  EXPECT_TRUE(absl::IsInvalidArgument(unknown.status())) << unknown.status();
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("sm_75"));
  absl::StatusOr<std::unique_ptr<gpu::CudaBackend>> emulated = gpu::CreateGpuBackend("gpu-emu", "sm_90a");
  ASSERT_TRUE(emulated.ok()) << emulated.status();
  EXPECT_EQ((*emulated)->cuda_arch(), "sm_90a");
  // $STRATA_CUDA_ARCH when none is given, checked the same way.
  ASSERT_EQ(::setenv("STRATA_CUDA_ARCH", "sm_90a", 1), 0);
  absl::StatusOr<std::unique_ptr<gpu::CudaBackend>> from_env = gpu::CreateGpuBackend("gpu-emu");
  absl::StatusOr<std::unique_ptr<gpu::CudaBackend>> env_too_new = open("");
  ASSERT_EQ(::setenv("STRATA_CUDA_ARCH", "sm_9x", 1), 0);
  absl::StatusOr<std::unique_ptr<gpu::CudaBackend>> env_bad = gpu::CreateGpuBackend("gpu-emu");
  ::unsetenv("STRATA_CUDA_ARCH");
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  EXPECT_EQ((*from_env)->cuda_arch(), "sm_90a");
  EXPECT_TRUE(absl::IsFailedPrecondition(env_too_new.status())) << env_too_new.status();
  EXPECT_TRUE(absl::IsInvalidArgument(env_bad.status())) << env_bad.status();
  EXPECT_THAT(std::string(env_bad.status().message()), HasSubstr("sm_9x"));
}

TEST_F(GpuFallbackTest, OpWithoutGpuLoweringRunsOnTheCpu) {
  EXPECT_EQ(backend_->cuda_arch(), "sm_80");  // the fake device is sm_80
  absl::StatusOr<std::unique_ptr<Graph>> graph = GraphFromGraphDef(ExpF64Graph());
  ASSERT_TRUE(graph.ok()) << graph.status();
  const CompileRequest request = Request(graph->get(), {"x"}, "e", "exp_f64");
  // The GPU compiler alone refuses it, naming the node ...
  absl::StatusOr<gpu::GpuProgram> program = gpu::CompileForGpu(request, "sm_80");
  ASSERT_EQ(program.status().code(), absl::StatusCode::kUnimplemented) << program.status();
  // ... and the backend compiles it for the CPU.
  absl::StatusOr<std::unique_ptr<Executable>> executable = backend_->Compile(request);
  ASSERT_TRUE(executable.ok()) << executable.status();
  EXPECT_FALSE(absl::StartsWith((*executable)->DebugString(), "GPU program"));
  Tensor x(DT_DOUBLE, Shape{8});
  for (int i = 0; i < 8; ++i) x.flat<double>()[i] = 0.25 * i - 1.0;
  std::vector<Tensor> results;
  ASSERT_TRUE((*executable)->Run({x}, &results).ok());
  ASSERT_EQ(results.size(), 1u);
  ASSERT_EQ(results[0].dtype(), DT_DOUBLE);
  for (int i = 0; i < 8; ++i) {
    const double want = std::exp(0.25 * i - 1.0);
    EXPECT_NEAR(results[0].flat<double>()[i], want, 1e-12 * want) << i;
  }
  const std::vector<gpu::CpuFallback> fallbacks = backend_->cpu_fallbacks();
  ASSERT_EQ(fallbacks.size(), 1u);
  EXPECT_EQ(fallbacks[0].request, "exp_f64");
  EXPECT_EQ(fallbacks[0].reason, std::string(program.status().message()));
}

TEST_F(GpuFallbackTest, SessionOnTheGpuBackendRunsTheWholeGraph) {
  SessionOptions options;
  options.custom_backend = backend_;
  Session session(ExpF64Graph(), options);
  ASSERT_TRUE(session.status().ok()) << session.status();
  Tensor x(DT_DOUBLE, Shape{8});
  for (int i = 0; i < 8; ++i) x.flat<double>()[i] = 0.5 * i;
  std::vector<Tensor> out;
  absl::Status run = session.Run({{"x", x}}, {"e"}, &out);
  ASSERT_TRUE(run.ok()) << run;
  ASSERT_EQ(out.size(), 1u);
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(out[0].flat<double>()[i], std::exp(0.5 * i), 1e-12 * std::exp(0.5 * i));
  EXPECT_EQ(backend_->cpu_fallbacks().size(), 1u);
}

TEST_F(GpuFallbackTest, LowerableGraphStaysOnTheGpu) {
  absl::StatusOr<std::unique_ptr<Graph>> graph = GraphFromGraphDef(AddF32Graph());
  ASSERT_TRUE(graph.ok()) << graph.status();
  const CompileRequest request = Request(graph->get(), {"a", "b"}, "s", "add_f32");
  // The fake driver runs only kernels it knows: register a no-op under each name the program
  // launches, so that loading the module succeeds (nothing is run here).
  absl::StatusOr<gpu::GpuProgram> program = gpu::CompileForGpu(request, backend_->cuda_arch());
  ASSERT_TRUE(program.ok()) << program.status();
  for (const gpu::GpuStep& step : program->steps) {
    if (step.kind != gpu::GpuStep::Kind::kLaunch) continue;
    gpu::fake::RegisterKernel(step.launch.kernel, [](const unsigned*, const unsigned*, void**) { return 0; });
  }
  absl::StatusOr<std::unique_ptr<Executable>> executable = backend_->Compile(request);
  ASSERT_TRUE(executable.ok()) << executable.status();
  EXPECT_TRUE(absl::StartsWith((*executable)->DebugString(), "GPU program 'add_f32' for sm_80 on Fake GPU"))
      << (*executable)->DebugString().substr(0, 200);
  EXPECT_TRUE(backend_->cpu_fallbacks().empty());
}

TEST_F(GpuFallbackTest, OtherCompileErrorsAreNotRetriedOnTheCpu) {
  absl::StatusOr<std::unique_ptr<Graph>> graph = GraphFromGraphDef(AddF32Graph());
  ASSERT_TRUE(graph.ok()) << graph.status();
  CompileRequest request = Request(graph->get(), {"a", "b"}, "s", "no_results");
  request.results.clear();  // InvalidArgument from the GPU compiler
  absl::StatusOr<std::unique_ptr<Executable>> executable = backend_->Compile(request);
  EXPECT_EQ(executable.status().code(), absl::StatusCode::kInvalidArgument) << executable.status();
  EXPECT_TRUE(backend_->cpu_fallbacks().empty());
}

// ---------------------------------------------------------------------------------------------
// The backend by name (runtime/backends.cc), without a GPU.

TEST(GpuBackendByNameTest, GpuWithoutADeviceIsUnavailable) {
  if (gpu::CudaAvailable()) GTEST_SKIP() << "a CUDA device is present";
  for (const std::string name : {"gpu", "gpu:0", "gpu:1"}) {
    SessionOptions options;
    options.backend = name;
    Session session(DenseGraph(), options);
    EXPECT_EQ(session.status().code(), absl::StatusCode::kUnavailable) << name << ": " << session.status();
    // The Session prefixes each of its init errors with "Session: "; the backend's own message
    // (CreateBackend) starts with "no CUDA".
    EXPECT_TRUE(absl::StartsWith(session.status().message(), "Session: no CUDA")) << name << ": " << session.status();
    absl::StatusOr<std::unique_ptr<Backend>> backend = CreateBackend(name);
    EXPECT_EQ(backend.status().code(), absl::StatusCode::kUnavailable) << name;
    EXPECT_TRUE(absl::StartsWith(backend.status().message(), "no CUDA")) << name << ": " << backend.status();
  }
}

TEST(GpuBackendByNameTest, MalformedGpuNamesAreUnknownBackends) {
  for (const std::string name : {"gpu:x", "gpu:-1", "gpu:", "gpu:1x", "gpu0", "GPU"}) {
    SessionOptions options;
    options.backend = name;
    Session session(DenseGraph(), options);
    EXPECT_EQ(session.status().code(), absl::StatusCode::kInvalidArgument) << name << ": " << session.status();
    EXPECT_THAT(session.status().message(), HasSubstr("unknown backend '" + name + "'")) << name;
  }
}

TEST(GpuBackendByNameTest, AvailableBackendsListsGpuOnlyWithADevice) {
  const std::vector<std::string> names = AvailableBackends();
  const bool listed = std::find(names.begin(), names.end(), "gpu") != names.end();
  EXPECT_EQ(listed, gpu::CudaAvailable());
  EXPECT_EQ(IsBackendAvailable("gpu"), gpu::CudaAvailable());
  EXPECT_NE(DefaultBackendName(), "gpu");
}

}  // namespace
}  // namespace strata
