// `strata convert IN -o OUT [--no-validate]`: binary .pb <-> text .pbtxt, and TF.js graph
// models (model.json) -> frozen GraphDef.
#include <cstdio>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "graph/graph_def_io.h"
#include "tools/strata/verbs.h"

namespace strata::cli {
namespace {

constexpr char kUsage[] =
    "usage: strata convert IN -o OUT [--no-validate]\n"
    "\n"
    "Converts a TensorFlow GraphDef between binary and text form, or a TF.js graph model\n"
    "(model.json and its weight shards) into a frozen GraphDef whose weights are Const nodes.\n"
    "Each file's format follows its extension (.pb binary; .pbtxt, .pbtext or .txt text; .json\n"
    "TF.js, input only). The graph is checked (ops, inputs, attrs, cycles, shapes) before\n"
    "anything is written; OUT is replaced atomically.\n"
    "\n"
    "  -o, --output OUT  the file to write\n"
    "  --no-validate     skip the check and convert the GraphDef as it is\n";

bool HasKnownModelExtension(std::string_view path) {
  for (std::string_view ext : {".pb", ".pbtxt", ".pbtext", ".txt"}) {
    if (path.ends_with(ext)) return true;
  }
  return false;
}

absl::Status RunConvert(const std::vector<std::string>& raw_args) {
  absl::StatusOr<ParsedArgs> args =
      ParseArgs("convert", raw_args, {{{"-o", "--output"}, true}, {{"--no-validate"}, false}});
  if (!args.ok()) return args.status();
  if (args->help) {
    std::fputs(kUsage, stdout);
    return absl::OkStatus();
  }
  if (absl::Status s = ExpectPositional("convert", *args, {"IN"}); !s.ok()) return s;
  std::optional<std::string> out_path = args->Value("-o");
  if (!out_path) {
    return absl::InvalidArgumentError("convert: missing output file: give it with -o OUT");
  }
  // Writing guesses nothing: an unknown extension would silently become binary.
  if (!HasKnownModelExtension(*out_path)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "convert: cannot tell the format of '", *out_path, "' from its extension (use .pb or .pbtxt)"));
  }
  const std::string& in_path = args->positional[0];

  absl::StatusOr<tf::GraphDef> def = ReadModel(in_path);
  if (!def.ok()) return def.status();
  int num_nodes = def->node_size();
  if (!args->Has("--no-validate")) {
    absl::StatusOr<std::unique_ptr<Graph>> graph = ImportModel(*def, in_path);
    if (!graph.ok()) return graph.status();
  }
  // The GraphDef is written as read (not re-exported from the Graph), so conversion never
  // adds default attrs or reorders nodes.
  if (absl::Status s = WriteGraphDefFile(*def, *out_path); !s.ok()) return s;
  std::printf("wrote %s (%d nodes)\n", out_path->c_str(), num_nodes);
  return absl::OkStatus();
}

}  // namespace

const Verb kConvertVerb = {"convert", "convert a model between .pb and .pbtxt, or a TF.js model.json to either", kUsage,
                           RunConvert};

}  // namespace strata::cli
