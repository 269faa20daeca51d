// Node placement over devices. The GPU side is the GPU emulator ("gpu-emu": the same compiled
// programs, run on the host), or the backend STRATA_PLACEMENT_GPU_BACKEND names ("gpu" on a GPU
// machine: tools/gpu_check.sh); the CPU side is the "cpu" backend.
//  - device names as TensorFlow writes them (ParseDeviceName);
//  - the GPU backend placing the nodes its compiler cannot lower (float64 Exp and Log) on the
//    CPU and the rest on the GPU, round after round, with a skip connection across the split;
//  - nodes placed with NodeDef.device ("/cpu:0", "/device:GPU:0") in sessions on either device,
//    a multi-output node and a control edge across devices;
//  - soft placement on and off, and malformed device names.
// Every result is checked against the reference evaluator or hand-derived values.
#include "runtime/device_placement.h"

#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "graph/graph_def_io.h"
#include "gtest/gtest.h"
#include "runtime/backends.h"
#include "runtime/gpu/cuda_backend.h"
#include "runtime/gpu/cuda_device.h"
#include "runtime/session.h"
#include "tests/graph_text_util.h"

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::NodeText;
using testing_util::PlaceholderText;

// ---- Device names ----

TEST(ParseDeviceNameTest, TensorFlowForms) {
  struct Case {
    const char* name;
    const char* type;
    int index;
  };
  for (const Case& c : {Case{"", "", -1}, Case{"/cpu:0", "CPU", 0}, Case{"/gpu:1", "GPU", 1},
                        Case{"/device:GPU:0", "GPU", 0}, Case{"/device:CPU:*", "CPU", -1},
                        Case{"/job:localhost/replica:0/task:0/device:GPU:2", "GPU", 2},
                        Case{"/job:worker/task:1/cpu:0", "CPU", 0}, Case{"GPU:0", "GPU", 0}, Case{"/gpu", "GPU", -1},
                        Case{"/device:XLA_GPU:0", "GPU", 0}, Case{"/device:TPU:3", "TPU", 3},
                        Case{"/job:localhost", "", -1}, Case{"/device:*", "", -1}}) {
    absl::StatusOr<DeviceSpec> spec = ParseDeviceName(c.name);
    ASSERT_TRUE(spec.ok()) << c.name << ": " << spec.status();
    EXPECT_EQ(spec->type, c.type) << c.name;
    EXPECT_EQ(spec->index, c.index) << c.name;
  }
  EXPECT_EQ(ParseDeviceName("/device:GPU:*")->Canonical(), "GPU:0");
  EXPECT_EQ(ParseDeviceName("/gpu:3")->Canonical(), "GPU:3");
  EXPECT_EQ(ParseDeviceName("")->Canonical(), "");
}

TEST(ParseDeviceNameTest, MalformedNamesAreErrorsNamingThem) {
  for (const char* bad : {"/device:GPU:x", "/gpu:-1", "/device:GPU:0/cpu:0", "/task:one/cpu:0", "/gpu:0:1",
                          "/device:G-PU:0", "/job:"}) {
    absl::StatusOr<DeviceSpec> spec = ParseDeviceName(bad);
    ASSERT_FALSE(spec.ok()) << bad;
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(spec.status().message(), HasSubstr(absl::StrCat("malformed device name '", bad, "'")));
  }
}

// ---- Graphs ----

std::string CastText(const std::string& name, const std::string& input, const char* from, const char* to) {
  return NodeText(name, "Cast", {input}, "",
                  absl::StrCat("attr { key: \"SrcT\" value { type: ", from, " } } attr { key: \"DstT\" value { type: ",
                               to, " } }"));
}

constexpr char kF64[] = R"(attr { key: "T" value { type: DT_DOUBLE } })";

tf::GraphDef Parse(const std::string& text) {
  absl::StatusOr<tf::GraphDef> def = ParseGraphDefText(text);
  EXPECT_TRUE(def.ok()) << def.status();
  return def.ok() ? *def : tf::GraphDef();
}

// Deterministic values in [-1, 1].
Tensor Pattern(const Shape& shape, unsigned seed) {
  Tensor t(DT_FLOAT, shape);
  auto f = t.flat<float>();
  for (size_t i = 0; i < f.size(); ++i) {
    f[i] = static_cast<float>(static_cast<int64_t>((i * 2654435761u + seed * 40503u) % 2001) - 1000) / 1000.f;
  }
  return t;
}

// x: float[4, 8], w fed too (float[8, 8]); mm = x @ w.
//   d = float64(mm); e = exp(d); l = log(e * e)      (e and l: float64 math the GPU cannot lower)
//   out = float32(l) + mm                              (= 3 mm; mm also crosses from stage 0 to 2)
tf::GraphDef ExpLogGraph() {
  return Parse(absl::StrCat(PlaceholderText("x", "dim { size: 4 } dim { size: 8 }"),
                            PlaceholderText("w", "dim { size: 8 } dim { size: 8 }"), NodeText("mm", "MatMul", {"x", "w"}),
                            CastText("d", "mm", "DT_FLOAT", "DT_DOUBLE"), NodeText("e", "Exp", {"d"}, "", kF64),
                            NodeText("ee", "Mul", {"e", "e"}, "", kF64), NodeText("l", "Log", {"ee"}, "", kF64),
                            CastText("l32", "l", "DT_DOUBLE", "DT_FLOAT"), NodeText("out", "AddV2", {"l32", "mm"})));
}

// The same values on the reference evaluator.
std::vector<Tensor> RunOn(const std::string& backend, const tf::GraphDef& def,
                          const std::vector<std::pair<std::string, Tensor>>& feeds,
                          const std::vector<std::string>& fetches, SessionOptions options = {}) {
  options.backend = backend;
  Session session(def, options);
  EXPECT_TRUE(session.status().ok()) << session.status();
  std::vector<Tensor> out;
  absl::Status s = session.Run(feeds, fetches, &out);
  EXPECT_TRUE(s.ok()) << backend << ": " << s;
  return out;
}

void ExpectNear(const Tensor& got, const Tensor& want, float rtol, const std::string& label) {
  ASSERT_EQ(got.dtype(), DT_FLOAT) << label;
  ASSERT_EQ(got.shape(), want.shape()) << label;
  for (size_t i = 0; i < got.flat<float>().size(); ++i) {
    const float w = want.flat<float>()[i];
    EXPECT_NEAR(got.flat<float>()[i], w, rtol * std::fabs(w) + 1e-5f) << label << " [" << i << "]";
  }
}

std::string GpuBackendName() {
  const char* name = std::getenv("STRATA_PLACEMENT_GPU_BACKEND");
  return name != nullptr && *name != '\0' ? name : "gpu-emu";
}

class DevicePlacementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<gpu::CudaBackend>> gpu = gpu::CreateGpuBackend(GpuBackendName());
    if (absl::IsUnimplemented(gpu.status()) || absl::IsUnavailable(gpu.status())) {
      GTEST_SKIP() << gpu.status().message();
    }
    ASSERT_TRUE(gpu.ok()) << gpu.status();
    gpu_ = *std::move(gpu);
    name_ = gpu_->name();
  }

  // A request for `fetches` with `feeds` as arguments over `graph` (shapes inferred on import).
  static CompileRequest Request(const Graph& graph, const std::vector<std::string>& feeds,
                                const std::vector<std::string>& fetches) {
    CompileRequest request;
    request.graph = &graph;
    for (const std::string& f : feeds) request.args.push_back(graph.FindNode(f)->output(0));
    for (const std::string& f : fetches) request.results.push_back(graph.FindNode(f)->output(0));
    request.name = "placed";
    return request;
  }

  std::shared_ptr<gpu::CudaBackend> gpu_;
  std::string name_;  // "gpu-emu" or "gpu"
};

// ---- The GPU backend's own placement of what it cannot lower ----

TEST_F(DevicePlacementTest, GpuBackendRunsOnlyTheUnlowerableNodesOnTheCpu) {
  const Tensor x = Pattern(Shape{4, 8}, 1), w = Pattern(Shape{8, 8}, 2);
  SessionOptions options;
  options.custom_backend = gpu_;
  Session session(ExpLogGraph(), options);
  ASSERT_TRUE(session.status().ok()) << session.status();
  std::vector<Tensor> out;
  ASSERT_TRUE(session.Run({{"x", x}, {"w", w}}, {"out", "mm"}, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  // out = log(exp(mm)^2) + mm = 3 mm, by hand; mm against the reference evaluator.
  const std::vector<Tensor> ref = RunOn("reference", ExpLogGraph(), {{"x", x}, {"w", w}}, {"mm"});
  ASSERT_EQ(ref.size(), 1u);
  ExpectNear(out[1], ref[0], 1e-5f, "mm");
  Tensor three_mm(DT_FLOAT, Shape{4, 8});
  for (int i = 0; i < 32; ++i) three_mm.flat<float>()[i] = 3 * ref[0].flat<float>()[i];
  ExpectNear(out[0], three_mm, 1e-5f, "out");

  // Two rounds: the compiler stops at Exp first, then at Log; nothing else left the GPU.
  const std::vector<gpu::CpuFallback> fallbacks = gpu_->cpu_fallbacks();
  ASSERT_EQ(fallbacks.size(), 1u);
  EXPECT_THAT(fallbacks[0].nodes, ElementsAre("e", "l"));
  EXPECT_THAT(fallbacks[0].reason, HasSubstr("math.exp"));
}

TEST_F(DevicePlacementTest, GpuBackendSplitsTheRequestIntoStages) {
  absl::StatusOr<std::unique_ptr<Graph>> graph = GraphFromGraphDef(ExpLogGraph());
  ASSERT_TRUE(graph.ok()) << graph.status();
  absl::StatusOr<std::unique_ptr<Executable>> exe = gpu_->Compile(Request(**graph, {"x", "w"}, {"out"}));
  ASSERT_TRUE(exe.ok()) << exe.status();
  const std::string debug = (*exe)->DebugString();
  // GPU, CPU (exp), GPU (e * e), CPU (log), GPU; mm crosses from the first to the last.
  EXPECT_THAT(debug, HasSubstr("partitioned over 5 clusters"));
  EXPECT_THAT(debug, HasSubstr(absl::StrCat("cluster 0 (stage 0) on ", name_, ": mm, d\n")));
  EXPECT_THAT(debug, HasSubstr("cluster 1 (stage 1) on cpu: e\n"));
  EXPECT_THAT(debug, HasSubstr(absl::StrCat("cluster 2 (stage 2) on ", name_, ": ee\n")));
  EXPECT_THAT(debug, HasSubstr("cluster 3 (stage 3) on cpu: l\n"));
  EXPECT_THAT(debug, HasSubstr(absl::StrCat("cluster 4 (stage 4) on ", name_, ": l32, out\n")));
}

// ---- NodeDef.device ----

// x: float[6, 4]; a = relu(x) on `a_device`; parts = split(a, 2 along dim 1) on `split_device`;
// s = parts:1 - parts:0 (a second output crossing devices) on `s_device`, which waits for
// `gate` (= x * 2 on `gate_device`) through a control edge; out = s * parts:0.
tf::GraphDef PlacedGraph(const std::string& a_device, const std::string& split_device, const std::string& s_device,
                         const std::string& gate_device) {
  return Parse(absl::StrCat(
      PlaceholderText("x", "dim { size: 6 } dim { size: 4 }"),
      R"(node { name: "axis" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } )",
      R"(attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 1 } } } })", "\n",
      R"(node { name: "two" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } )",
      R"(attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 2 } } } })", "\n",
      NodeText("a", "Relu", {"x"}, a_device),
      NodeText("parts", "Split", {"axis", "a"}, split_device,
               R"(attr { key: "T" value { type: DT_FLOAT } } attr { key: "num_split" value { i: 2 } })"),
      NodeText("gate", "Mul", {"x", "two"}, gate_device), NodeText("s", "Sub", {"parts:1", "parts:0", "^gate"}, s_device),
      NodeText("out", "Mul", {"s", "parts"})));
}

TEST_F(DevicePlacementTest, NodesPlacedOnTheCpuInAGpuSession) {
  const tf::GraphDef def = PlacedGraph("", "/cpu:0", "/device:GPU:0", "/job:localhost/replica:0/task:0/device:CPU:0");
  absl::StatusOr<std::unique_ptr<Graph>> graph = GraphFromGraphDef(def);
  ASSERT_TRUE(graph.ok()) << graph.status();
  PlacingBackend placing(gpu_, {});
  EXPECT_EQ(placing.name(), name_);
  EXPECT_EQ(placing.device(), "GPU:0");
  absl::StatusOr<std::unique_ptr<Executable>> exe = placing.Compile(Request(**graph, {"x"}, {"out", "gate"}));
  ASSERT_TRUE(exe.ok()) << exe.status();
  const std::string debug = (*exe)->DebugString();
  EXPECT_THAT(debug, HasSubstr(absl::StrCat("cluster 0 (stage 0) on ", name_, " (GPU:0): a\n")));
  EXPECT_THAT(debug, HasSubstr("cluster 1 (stage 0) on cpu (CPU:0): gate\n"));
  EXPECT_THAT(debug, HasSubstr("cluster 2 (stage 1) on cpu (CPU:0): parts\n"));
  EXPECT_THAT(debug, HasSubstr(absl::StrCat("cluster 3 (stage 2) on ", name_, " (GPU:0): s, out\n")));

  const Tensor x = Pattern(Shape{6, 4}, 3);
  SessionOptions options;
  options.custom_backend = gpu_;
  const std::vector<Tensor> got = RunOn("", def, {{"x", x}}, {"out", "gate"}, options);
  const std::vector<Tensor> want = RunOn("reference", def, {{"x", x}}, {"out", "gate"});
  ASSERT_EQ(got.size(), 2u);
  ASSERT_EQ(want.size(), 2u);
  ExpectNear(got[0], want[0], 1e-6f, "out");
  ExpectNear(got[1], want[1], 1e-6f, "gate");
  EXPECT_TRUE(gpu_->cpu_fallbacks().empty());  // placed, not fallen back
}

TEST_F(DevicePlacementTest, NodesPlacedOnTheGpuInACpuSession) {
  const tf::GraphDef def = PlacedGraph("/gpu:0", "", "/device:GPU:*", "/gpu:0");
  absl::StatusOr<std::shared_ptr<Backend>> cpu = CreateBackend("cpu");
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  absl::StatusOr<std::unique_ptr<Graph>> graph = GraphFromGraphDef(def);
  ASSERT_TRUE(graph.ok()) << graph.status();
  PlacementOptions placement;
  placement.gpu_backend = GpuBackendName();
  PlacingBackend placing(*cpu, placement);
  absl::StatusOr<std::unique_ptr<Executable>> exe = placing.Compile(Request(**graph, {"x"}, {"out"}));
  ASSERT_TRUE(exe.ok()) << exe.status();
  const std::string debug = (*exe)->DebugString();
  EXPECT_THAT(debug, HasSubstr(absl::StrCat("cluster 0 (stage 0) on ", name_, " (GPU:0): a, gate\n")));
  EXPECT_THAT(debug, HasSubstr("cluster 1 (stage 1) on cpu (CPU:0): parts\n"));
  EXPECT_THAT(debug, HasSubstr(absl::StrCat("cluster 2 (stage 2) on ", name_, " (GPU:0): s\n")));
  EXPECT_THAT(debug, HasSubstr("cluster 3 (stage 3) on cpu (CPU:0): out\n"));

  const Tensor x = Pattern(Shape{6, 4}, 4);
  SessionOptions options;
  options.gpu_backend = GpuBackendName();
  const std::vector<Tensor> got = RunOn("cpu", def, {{"x", x}}, {"out"}, options);
  const std::vector<Tensor> want = RunOn("reference", def, {{"x", x}}, {"out"});
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(want.size(), 1u);
  ExpectNear(got[0], want[0], 1e-6f, "out");
}

TEST_F(DevicePlacementTest, SessionDeviceNamesNeedNoPartition) {
  // Every node on the session's own device (named three ways): one GPU program, no clusters.
  const tf::GraphDef def = PlacedGraph("/gpu:0", "/device:GPU:0", "/job:localhost/device:GPU:0", "");
  absl::StatusOr<std::unique_ptr<Graph>> graph = GraphFromGraphDef(def);
  ASSERT_TRUE(graph.ok()) << graph.status();
  PlacingBackend placing(gpu_, {});
  absl::StatusOr<std::unique_ptr<Executable>> exe = placing.Compile(Request(**graph, {"x"}, {"out"}));
  ASSERT_TRUE(exe.ok()) << exe.status();
  EXPECT_THAT((*exe)->DebugString(), ::testing::StartsWith("GPU program 'placed'"));
}

// ---- Soft placement ----

TEST(SoftPlacementTest, MissingDeviceRunsOnTheSessionDevice) {
  const tf::GraphDef def = PlacedGraph("/device:TPU:0", "/gpu:7", "", "");
  const Tensor x = Pattern(Shape{6, 4}, 5);
  const std::vector<Tensor> got = RunOn("", def, {{"x", x}}, {"out"});
  const std::vector<Tensor> want = RunOn("reference", def, {{"x", x}}, {"out"});
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(want.size(), 1u);
  ExpectNear(got[0], want[0], 1e-6f, "out");
}

TEST(SoftPlacementTest, OffTheMissingDeviceIsAnErrorNamingTheNode) {
  SessionOptions options;
  options.allow_soft_placement = false;
  Session session(PlacedGraph("", "/device:TPU:0", "", ""), options);
  ASSERT_TRUE(session.status().ok()) << session.status();
  std::vector<Tensor> out;
  absl::Status s = session.Run({{"x", Pattern(Shape{6, 4}, 6)}}, {"out"}, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("Cannot assign a device for operation 'parts' (Split)"));
  EXPECT_THAT(s.message(), HasSubstr("placed on /device:TPU:0, which is not available (strata has no TPU devices)"));
  EXPECT_TRUE(out.empty());

  // A GPU this machine does not have: its reason comes from the CUDA driver (or its absence).
  if (!gpu::CudaAvailable()) {
    Session gpu_session(PlacedGraph("/gpu:0", "", "", ""), options);
    s = gpu_session.Run({{"x", Pattern(Shape{6, 4}, 6)}}, {"out"}, &out);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(s.message(), HasSubstr("Cannot assign a device for operation 'a' (Relu): it is placed on /gpu:0"));
  }
}

TEST(SoftPlacementTest, MalformedDeviceFailsTheSession) {
  Session session(PlacedGraph("", "/device:GPU:x", "", ""));
  EXPECT_EQ(session.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(session.status().message(), HasSubstr("parts"));
  EXPECT_THAT(session.status().message(), HasSubstr("malformed device name '/device:GPU:x'"));
}

}  // namespace
}  // namespace strata
