// Writes the MLP and CNN of bench/bench_models.h for the AOT benchmark, at build time:
//   OUT_DIR/mlp.pb, cnn.pb          TensorFlow GraphDefs (compiled by strata_aot_library)
//   OUT_DIR/mlp.onnx, cnn.onnx      the same models, same weights, for ONNX Runtime
//   OUT_DIR/tiny.pb, tiny.onnx      y = x + 1 on [N,784]: nearly all per-call overhead
//   OUT_DIR/identity.onnx           Identity of a [N,784] tensor: ORT's per-call floor
// The CNN's ONNX form is NCHW (ONNX's layout): filters HWIO -> OIHW, and the features are
// transposed back to NHWC before Flatten so that the dense weights apply unchanged. With one
// input channel, an NHWC [N,28,28,1] buffer is the NCHW [N,1,28,28] input byte for byte.
//
//   export_bench_models OUT_DIR
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bench/aot/onnx_writer.h"
#include "bench/bench_models.h"
#include "frontends/cc/const_op.h"
#include "frontends/cc/ops.h"
#include "frontends/cc/scope.h"
#include "graph/graph_def_io.h"
#include "graph/tensor.h"

namespace strata::bench {
namespace {

using Consts = std::map<std::string, Tensor>;

absl::StatusOr<Consts> ConstsOf(const tf::GraphDef& def) {
  Consts out;
  for (const tf::NodeDef& n : def.node()) {
    if (n.op() != "Const") continue;
    absl::StatusOr<Tensor> t = Tensor::FromProto(n.attr().at("value").tensor());
    if (!t.ok()) return t.status();
    out[n.name()] = *std::move(t);
  }
  return out;
}

std::vector<float> Values(const Tensor& t) {
  auto f = t.flat<float>();
  return std::vector<float>(f.begin(), f.end());
}

std::vector<int64_t> Dims(const Tensor& t) { return t.shape().dims(); }

void Dense(OnnxGraph& g, const Consts& c, const std::string& layer, const std::string& in, const std::string& out,
           bool relu) {
  const Tensor& k = c.at(layer + "/kernel");
  const Tensor& b = c.at(layer + "/bias");
  g.AddInitializer(layer + "/kernel", Dims(k), Values(k));
  g.AddInitializer(layer + "/bias", Dims(b), Values(b));
  g.AddNode("Gemm", {in, layer + "/kernel", layer + "/bias"}, {relu ? layer + "/gemm" : out});
  if (relu) g.AddNode("Relu", {layer + "/gemm"}, {out});
}

void ConvRelu(OnnxGraph& g, const Consts& c, const std::string& layer, const std::string& in, const std::string& out) {
  const Tensor& k = c.at(layer + "/kernel");  // HWIO
  const int64_t kh = k.shape().dim(0), kw = k.shape().dim(1), ci = k.shape().dim(2), co = k.shape().dim(3);
  std::vector<float> oihw(k.num_elements());
  auto src = k.flat<float>();
  for (int64_t h = 0; h < kh; ++h)
    for (int64_t w = 0; w < kw; ++w)
      for (int64_t i = 0; i < ci; ++i)
        for (int64_t o = 0; o < co; ++o) oihw[((o * ci + i) * kh + h) * kw + w] = src[((h * kw + w) * ci + i) * co + o];
  const Tensor& b = c.at(layer + "/bias");
  g.AddInitializer(layer + "/kernel", {co, ci, kh, kw}, oihw);
  g.AddInitializer(layer + "/bias", Dims(b), Values(b));
  g.AddNode("Conv", {in, layer + "/kernel", layer + "/bias"}, {layer + "/conv"}, {{"kernel_shape", {kh, kw}}, {"strides", {1, 1}}});
  g.AddNode("Relu", {layer + "/conv"}, {out});
}

void MaxPool2(OnnxGraph& g, const std::string& in, const std::string& out) {
  g.AddNode("MaxPool", {in}, {out}, {{"kernel_shape", {2, 2}}, {"strides", {2, 2}}});
}

absl::StatusOr<std::string> MlpOnnx(const tf::GraphDef& def) {
  absl::StatusOr<Consts> c = ConstsOf(def);
  if (!c.ok()) return c.status();
  OnnxGraph g;
  g.AddInput("x", {-1, 784});
  Dense(g, *c, "dense1", "x", "h1", true);
  Dense(g, *c, "dense2", "h1", "h2", true);
  Dense(g, *c, "dense3", "h2", "logits", false);
  g.AddNode("Softmax", {"logits"}, {"probs"}, {{"axis", {1}, true}});
  g.AddOutput("probs", {-1, 10});
  return g.Serialize("mlp");
}

absl::StatusOr<std::string> CnnOnnx(const tf::GraphDef& def) {
  absl::StatusOr<Consts> c = ConstsOf(def);
  if (!c.ok()) return c.status();
  OnnxGraph g;
  g.AddInput("x", {-1, 1, 28, 28});
  ConvRelu(g, *c, "conv1", "x", "c1");
  MaxPool2(g, "c1", "p1");
  ConvRelu(g, *c, "conv2", "p1", "c2");
  MaxPool2(g, "c2", "p2");
  ConvRelu(g, *c, "conv3", "p2", "c3");
  g.AddNode("Transpose", {"c3"}, {"nhwc"}, {{"perm", {0, 2, 3, 1}}});
  g.AddNode("Flatten", {"nhwc"}, {"flat"}, {{"axis", {1}, true}});
  Dense(g, *c, "dense1", "flat", "d1", true);
  Dense(g, *c, "dense2", "d1", "logits", false);
  g.AddNode("Softmax", {"logits"}, {"probs"}, {{"axis", {1}, true}});
  g.AddOutput("probs", {-1, 10});
  return g.Serialize("cnn");
}

absl::StatusOr<tf::GraphDef> TinyGraph() {
  Scope root = Scope::NewRootScope();
  auto x = ops::Placeholder(root.WithOpName("x"), DT_FLOAT, ops::Placeholder::Shape(Shape{-1, 784}));
  ops::AddV2(root.WithOpName("y"), x, ops::Const(root.WithOpName("one"), 1.0f));
  if (!root.ok()) return root.status();
  tf::GraphDef def;
  if (absl::Status s = root.ToGraphDef(&def); !s.ok()) return s;
  return def;
}

std::string TinyOnnx() {
  OnnxGraph g;
  g.AddInput("x", {-1, 784});
  g.AddInitializer("one", {}, {1.0f});
  g.AddNode("Add", {"x", "one"}, {"y"});
  g.AddOutput("y", {-1, 784});
  return g.Serialize("tiny");
}

std::string IdentityOnnx() {
  OnnxGraph g;
  g.AddInput("x", {-1, 784});
  g.AddNode("Identity", {"x"}, {"y"});
  g.AddOutput("y", {-1, 784});
  return g.Serialize("identity");
}

bool Write(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

int Main(const std::string& dir) {
  absl::StatusOr<BenchModel> mlp = BuildMlp();
  absl::StatusOr<BenchModel> cnn = BuildCnn();
  if (!mlp.ok() || !cnn.ok()) {
    std::fprintf(stderr, "export_bench_models: cannot build the models\n");
    return 1;
  }
  absl::StatusOr<tf::GraphDef> tiny = TinyGraph();
  if (!tiny.ok()) {
    std::fprintf(stderr, "export_bench_models: cannot build the tiny model\n");
    return 1;
  }
  absl::StatusOr<std::string> mlp_onnx = MlpOnnx(mlp->graph);
  absl::StatusOr<std::string> cnn_onnx = CnnOnnx(cnn->graph);
  if (!mlp_onnx.ok() || !cnn_onnx.ok()) {
    std::fprintf(stderr, "export_bench_models: ONNX export failed\n");
    return 1;
  }
  bool ok = WriteGraphDefFile(mlp->graph, dir + "/mlp.pb").ok() && WriteGraphDefFile(cnn->graph, dir + "/cnn.pb").ok() &&
            WriteGraphDefFile(*tiny, dir + "/tiny.pb").ok();
  ok = ok && Write(dir + "/mlp.onnx", *mlp_onnx) && Write(dir + "/cnn.onnx", *cnn_onnx) &&
       Write(dir + "/tiny.onnx", TinyOnnx()) && Write(dir + "/identity.onnx", IdentityOnnx());
  if (!ok) std::fprintf(stderr, "export_bench_models: cannot write to %s\n", dir.c_str());
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: export_bench_models OUT_DIR\n");
    return 2;
  }
  return strata::bench::Main(argv[1]);
}
