// Graph-level helpers for compiler tests: build small graphs node by node, compile them with
// CpuBackend, run them, and compare with the reference evaluator.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "compiler/cpu_backend.h"
#include "graph/graph.h"
#include "graph/shape_inference.h"
#include "runtime/reference/evaluator.h"
#include "tests/compiler/compiler_test_util.h"

namespace strata {
namespace testing_util {

// Deterministic values in [-scale, scale): distinct per seed, no RNG needed.
inline std::vector<float> Pattern(int64_t n, int seed, float scale = 1.0f) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = scale * (static_cast<float>(((i + seed) * 2654435761u) % 1000) / 500.0f - 1.0f);
  return v;
}

// Occurrences of `needle` in `text` (e.g. ops in a printed module).
inline int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

class GraphBuilder {
 public:
  GraphBuilder() : graph_(std::make_unique<Graph>()) {}
  Graph& graph() { return *graph_; }

  Output Placeholder(const std::string& name, DType dtype, const Shape& shape) {
    return Add(name, "Placeholder", {}, {{"dtype", MakeAttr(dtype)}, {"shape", MakeAttr(shape)}});
  }
  Output Const(const std::string& name, const Tensor& t) {
    return Add(name, "Const", {}, {{"dtype", MakeAttr(t.dtype())}, {"value", MakeAttr(t)}});
  }
  // Adds a node; a schema error is recorded (status()) and returns an invalid Output.
  Output Add(const std::string& name, const std::string& op, std::vector<Output> inputs, AttrMap attrs = {},
             int output = 0) {
    NodeSpec spec;
    spec.name = name;
    spec.op = op;
    spec.inputs = std::move(inputs);
    spec.attrs = std::move(attrs);
    for (const Output& in : spec.inputs) {
      if (!in.valid()) return Output();
    }
    absl::StatusOr<Node*> n = graph_->AddNode(std::move(spec));
    if (!n.ok()) {
      if (status_.ok()) status_ = n.status();
      return Output();
    }
    return Output(*n, output);
  }
  const absl::Status& status() const { return status_; }

 private:
  std::unique_ptr<Graph> graph_;
  absl::Status status_;
};

struct GraphRun {
  std::unique_ptr<CpuExecutable> executable;
  std::vector<Tensor> results;
};

// Infers shapes, compiles `fetches` with `feeds` as arguments, and runs once.
inline absl::StatusOr<GraphRun> CompileAndRun(Graph& graph, const std::vector<std::pair<Output, Tensor>>& feeds,
                                              const std::vector<Output>& fetches, const CpuBackendOptions& options = {}) {
  absl::Status s = InferShapes(&graph);
  if (!s.ok()) return s;
  CompileRequest request;
  request.graph = &graph;
  std::vector<Tensor> args;
  for (const auto& [o, t] : feeds) {
    request.args.push_back(o);
    args.push_back(t);
  }
  request.results = fetches;
  CpuBackend backend(options);
  absl::StatusOr<std::unique_ptr<CpuExecutable>> exe = backend.CompileCpu(request);
  if (!exe.ok()) return exe.status();
  GraphRun run;
  run.executable = std::move(*exe);
  s = run.executable->Run(args, &run.results);
  if (!s.ok()) return s;
  return run;
}

}  // namespace testing_util
}  // namespace strata
