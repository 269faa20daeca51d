// CpuBackend: graph -> MLIR function (through each op's lowering) -> CPU pipeline -> JIT.
#include "compiler/cpu_backend.h"

#include <chrono>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "compiler/cpu_executable.h"
#include "compiler/cpu_pipeline.h"
#include "compiler/function_builder.h"
#include "compiler/graph_lowering.h"
#include "compiler/jit.h"
#include "compiler/mlir_context.h"
#include "graph/graph.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace strata {

namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct OutputKey {
  const Node* node;
  int index;
  template <typename H>
  friend H AbslHashValue(H h, const OutputKey& k) {
    return H::combine(std::move(h), k.node, k.index);
  }
  friend bool operator==(const OutputKey& a, const OutputKey& b) { return a.node == b.node && a.index == b.index; }
};

bool IsPlaceholder(const Node& n) { return n.op() == "Placeholder" || n.op() == "PlaceholderV2" || n.op() == "PlaceholderWithDefault"; }

}  // namespace

// Lowers the part of the graph that `request.results` need into MLIR via each op's lowering.
// (Declared in graph_lowering.h: the AOT compiler lowers graphs the same way.)
absl::StatusOr<std::vector<Value>> LowerGraph(const CompileRequest& request, MlirBuilder& b,
                                              const std::vector<Value>& arg_values) {
  absl::flat_hash_map<OutputKey, Value> values;
  for (size_t i = 0; i < request.args.size(); ++i) values[{request.args[i].node, request.args[i].index}] = arg_values[i];

  // Nodes to lower: those reachable from the results without crossing a fed or constant tensor.
  absl::flat_hash_set<const Node*> needed;
  std::vector<Output> stack(request.results.begin(), request.results.end());
  while (!stack.empty()) {
    Output o = stack.back();
    stack.pop_back();
    if (values.contains({o.node, o.index}) || o.node->output_value(o.index) != nullptr) continue;
    if (!needed.insert(o.node).second) continue;
    for (const Output& in : o.node->inputs()) stack.push_back(in);
  }

  auto constant = [&](const Node* n, int i) -> Value {
    OutputKey key{n, i};
    auto it = values.find(key);
    if (it != values.end()) return it->second;
    Value v = b.Constant(*n->output_value(i));
    values[key] = v;
    return v;
  };
  auto value_of = [&](const Output& o) -> absl::StatusOr<Value> {
    auto it = values.find({o.node, o.index});
    if (it != values.end()) return it->second;
    if (o.node->output_value(o.index) != nullptr) return constant(o.node, o.index);
    return absl::InternalError(absl::StrCat("tensor ", o.name(), " is used before it is computed"));
  };

  absl::StatusOr<std::vector<Node*>> order = request.graph->TopologicalOrder();
  if (!order.ok()) return order.status();
  for (Node* node : *order) {
    if (!needed.contains(node)) continue;
    if (IsPlaceholder(*node)) {
      return absl::InvalidArgumentError(absl::StrCat(node->Describe(), " must be fed: the fetched tensors depend on it"));
    }
    std::vector<Value> inputs;
    std::vector<const Tensor*> input_constants;
    for (const Output& in : node->inputs()) {
      absl::StatusOr<Value> v = value_of(in);
      if (!v.ok()) return v.status();
      inputs.push_back(*v);
      bool fed = false;
      for (const Output& a : request.args) fed |= a == in;
      input_constants.push_back(fed ? nullptr : in.node->output_value(in.index));
    }
    b.SetCurrentNode(node->Describe(), mlir::NameLoc::get(mlir::StringAttr::get(b.context(), node->name())));
    absl::StatusOr<std::vector<Value>> outs = LowerNode(*node, b, std::move(inputs), std::move(input_constants));
    if (!outs.ok()) return outs.status();
    for (int i = 0; i < node->num_outputs(); ++i) values[{node, i}] = (*outs)[i];
  }
  std::vector<Value> results;
  for (const Output& r : request.results) {
    absl::StatusOr<Value> v = value_of(r);
    if (!v.ok()) return v.status();
    results.push_back(*v);
  }
  return results;
}

namespace {

absl::StatusOr<std::unique_ptr<CpuExecutable>> CompileFunction(const std::vector<TensorSpec>& args,
                                                               const FunctionBodyFn& body,
                                                               const CpuBackendOptions& options,
                                                               const std::string& name) {
  const Clock::time_point start = Clock::now();
  auto impl = std::make_unique<CpuExecutableImpl>();
  std::unique_ptr<mlir::MLIRContext> ctx = CreateCompilerContext();
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(mlir::UnknownLoc::get(ctx.get()));

  absl::StatusOr<FunctionAbi> abi = BuildFunction(*module, name, args, body, options.bind_constants_over_bytes);
  if (!abi.ok()) return abi.status();
  impl->abi = std::move(*abi);
  if (options.capture_ir) impl->lowered_ir = PrintIr(*module);
  impl->stats.lower_ms = MsSince(start);

  const Clock::time_point pipeline_start = Clock::now();
  CpuPipelineOptions popts;
  popts.vectorize = options.vectorize;
  popts.vector_bits = GetHostCpu().vector_bits();
  popts.math_approximations = options.math_approximations;
  popts.capture_ir = options.capture_ir;
  PipelineIr ir;
  absl::Status s = RunCpuPipeline(*module, popts, &ir);
  if (!s.ok()) return s;
  impl->fused_ir = std::move(ir.fused);
  impl->bufferized_ir = std::move(ir.bufferized);
  impl->stats.pipeline_ms = MsSince(pipeline_start);

  const Clock::time_point jit_start = Clock::now();
  JitOptions jopts;
  jopts.opt_level = options.opt_level;
  jopts.capture_llvm_ir = options.capture_llvm_ir;
  absl::StatusOr<JitFunction> jit = JitCompile(*module, name, jopts);
  if (!jit.ok()) return jit.status();
  impl->jit = std::move(*jit);
  impl->stats.jit_ms = MsSince(jit_start);
  impl->stats.total_ms = MsSince(start);
  return std::make_unique<CpuExecutable>(std::move(impl));
}

}  // namespace

absl::StatusOr<std::unique_ptr<CpuExecutable>> CpuBackend::CompileCpu(const CompileRequest& request) {
  if (request.graph == nullptr) return absl::InvalidArgumentError("Compile: no graph");
  if (request.results.empty()) return absl::InvalidArgumentError("Compile: nothing to compute (no results)");
  std::vector<TensorSpec> args;
  for (const Output& a : request.args) {
    if (!a.valid()) return absl::InvalidArgumentError("Compile: invalid argument tensor");
    if (!a.shape().IsFullyDefined()) {
      return absl::InvalidArgumentError(absl::StrCat("Compile: fed tensor ", a.name(), " has non-static shape ", a.shape().ToString()));
    }
    args.push_back({BaseDType(a.dtype()), a.shape()});
  }
  for (const Output& r : request.results) {
    if (!r.valid()) return absl::InvalidArgumentError("Compile: invalid result tensor");
  }
  FunctionBodyFn body = [&request](MlirBuilder& b, const std::vector<Value>& arg_values) {
    return LowerGraph(request, b, arg_values);
  };
  return CompileFunction(args, body, options_, request.name);
}

absl::StatusOr<std::unique_ptr<Executable>> CpuBackend::Compile(const CompileRequest& request) {
  absl::StatusOr<std::unique_ptr<CpuExecutable>> e = CompileCpu(request);
  if (!e.ok()) return e.status();
  return std::unique_ptr<Executable>(std::move(*e));
}

absl::StatusOr<std::unique_ptr<CpuExecutable>> CompilePrimitiveProgram(absl::Span<const ArgSpec> args,
                                                                       const PrimitiveProgram& program,
                                                                       const CpuBackendOptions& options,
                                                                       const std::string& name) {
  std::vector<TensorSpec> specs;
  for (const ArgSpec& a : args) specs.push_back({a.dtype, a.shape});
  FunctionBodyFn body = [&program](MlirBuilder& b, const std::vector<Value>& arg_values) {
    return program(b, arg_values);
  };
  return CompileFunction(specs, body, options, name);
}

std::string HostCpuSummary() {
  const HostCpu& cpu = GetHostCpu();
  return absl::StrCat(cpu.name, ", ", cpu.vector_bits(), "-bit vectors");
}

}  // namespace strata
