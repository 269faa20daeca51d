// `strata inspect MODEL [--shapes] [--dot OUT.dot]`: what a model contains.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "graph/graph_dot.h"
#include "graph/graph_summary.h"
#include "tools/strata/verbs.h"

namespace strata::cli {
namespace {

constexpr char kUsage[] =
    "usage: strata inspect MODEL [--shapes] [--dot OUT.dot]\n"
    "\n"
    "Loads MODEL (a TensorFlow GraphDef, binary .pb or text .pbtxt, or a TF.js graph model\n"
    "model.json), checks it, runs shape inference and prints its node count, op histogram,\n"
    "inputs (placeholders) and outputs (nodes nothing consumes) with their dtypes and shapes.\n"
    "\n"
    "  --shapes        also list every node's output dtypes and inferred shapes\n"
    "  --dot OUT.dot   write the graph in Graphviz DOT form to OUT.dot\n";

absl::Status RunInspect(const std::vector<std::string>& raw_args) {
  absl::StatusOr<ParsedArgs> args =
      ParseArgs("inspect", raw_args, {{{"--shapes"}, false}, {{"--dot"}, true}});
  if (!args.ok()) return args.status();
  if (args->help) {
    std::fputs(kUsage, stdout);
    return absl::OkStatus();
  }
  if (absl::Status s = ExpectPositional("inspect", *args, {"MODEL"}); !s.ok()) return s;
  const std::string& path = args->positional[0];

  absl::StatusOr<tf::GraphDef> def = ReadModel(path);
  if (!def.ok()) return def.status();
  absl::StatusOr<std::unique_ptr<Graph>> graph = ImportModel(*def, path);
  if (!graph.ok()) return graph.status();

  // Write the DOT file before printing, so that a failed write leaves no partial report.
  if (std::optional<std::string> dot_path = args->Value("--dot")) {
    if (absl::Status s = WriteTextFile(*dot_path, GraphToDot(**graph)); !s.ok()) return s;
  }
  SummaryFormatOptions format;
  format.include_node_shapes = args->Has("--shapes");
  std::string text = absl::StrCat("model: ", path, "\n", FormatGraphSummary(SummarizeGraph(**graph), format));
  std::fputs(text.c_str(), stdout);
  return absl::OkStatus();
}

}  // namespace

const Verb kInspectVerb = {"inspect", "print a model's nodes, ops, inputs, outputs and shapes", kUsage,
                           RunInspect};

}  // namespace strata::cli
