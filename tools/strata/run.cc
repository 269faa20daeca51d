// `strata run MODEL --feed NAME=FILE.npy ... --fetch NAME ...`: runs a model in a Session on
// NumPy inputs, prints each fetched tensor and optionally writes them as .npy files.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/npy.h"
#include "runtime/session.h"
#include "tools/strata/verbs.h"

namespace strata::cli {
namespace {

constexpr char kUsage[] =
    "usage: strata run MODEL --feed NAME=FILE.npy [--feed ...] --fetch NAME [--fetch ...]\n"
    "                  [--target NODE ...] [--out DIR] [--threads N] [--backend cpu|reference|gpu[:N]]\n"
    "                  [--allow_tf32]\n"
    "\n"
    "Loads MODEL (a TensorFlow GraphDef, binary .pb or text .pbtxt, or a TF.js graph model\n"
    "model.json), feeds NumPy .npy arrays to its tensors, runs what the fetches need in a\n"
    "Session, and prints each fetched tensor's name, dtype, shape and first values. Tensor\n"
    "names are \"node\" or \"node:k\".\n"
    "\n"
    "  --feed NAME=FILE.npy  feed the array in FILE.npy to tensor NAME (repeatable; .npy of\n"
    "                        float16/32/64, int8/16/32/64, uint8/16/32/64 or bool)\n"
    "  --fetch NAME          fetch tensor NAME (repeatable; results come back in this order)\n"
    "  --target NODE         also run node NODE for its effect (repeatable)\n"
    "  --out DIR             write the fetched tensors to DIR/output_K.npy, K = 0, 1, ... in\n"
    "                        fetch order (DIR is created if missing)\n"
    "  --threads N           threads the compiled code may use (default: all cores)\n"
    "  --backend NAME        cpu (compiled with MLIR; the default where built), reference\n"
    "                        (the host evaluator), or gpu[:N] (CUDA device N; docs/gpu.md)\n"
    "  --allow_tf32          on the GPU, float32 MatMul/BatchMatMul/Conv2D on tensor cores with\n"
    "                        TF32 inputs (10 mantissa bits; SessionOptions::allow_tf32)\n";

// Values printed per fetched tensor.
constexpr int kPrintedValues = 10;

// --feed, --fetch and --target may repeat, which ParseArgs does not support: they are taken
// out here and the rest goes through ParseArgs.
struct RepeatedFlags {
  std::vector<std::string> feeds, fetches, targets;
};

absl::StatusOr<RepeatedFlags> ExtractRepeated(const std::vector<std::string>& args, std::vector<std::string>* rest) {
  RepeatedFlags flags;
  const std::pair<const char*, std::vector<std::string>*> kinds[] = {
      {"--feed", &flags.feeds}, {"--fetch", &flags.fetches}, {"--target", &flags.targets}};
  bool flags_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") flags_ended = true;
    bool taken = false;
    for (const auto& [name, values] : kinds) {
      if (flags_ended) break;
      const std::string prefix = absl::StrCat(name, "=");
      if (arg == name) {
        if (i + 1 >= args.size()) return absl::InvalidArgumentError(absl::StrCat("run: flag '", name, "' needs a value"));
        values->push_back(args[++i]);
      } else if (arg.rfind(prefix, 0) == 0) {
        values->push_back(arg.substr(prefix.size()));
      } else {
        continue;
      }
      if (values->back().empty()) {
        return absl::InvalidArgumentError(absl::StrCat("run: flag '", name, "' needs a non-empty value"));
      }
      taken = true;
      break;
    }
    if (!taken) rest->push_back(arg);
  }
  return flags;
}

struct Feed {
  std::string name, path;
};

absl::StatusOr<Feed> ParseFeed(const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
    return absl::InvalidArgumentError(absl::StrCat("run: --feed expects NAME=FILE.npy, got '", spec, "'"));
  }
  return Feed{spec.substr(0, eq), spec.substr(eq + 1)};
}

absl::Status RunRun(const std::vector<std::string>& raw_args) {
  std::vector<std::string> rest;
  absl::StatusOr<RepeatedFlags> repeated = ExtractRepeated(raw_args, &rest);
  if (!repeated.ok()) return repeated.status();
  absl::StatusOr<ParsedArgs> args =
      ParseArgs("run", rest, {{{"--out", "-o"}, true}, {{"--threads"}, true}, {{"--backend"}, true}, {{"--allow_tf32"}, false}});
  if (!args.ok()) return args.status();
  if (args->help) {
    std::fputs(kUsage, stdout);
    return absl::OkStatus();
  }
  if (absl::Status s = ExpectPositional("run", *args, {"MODEL"}); !s.ok()) return s;
  const std::string& model_path = args->positional[0];
  if (repeated->fetches.empty() && repeated->targets.empty()) {
    return absl::InvalidArgumentError("run: nothing to run: give at least one --fetch NAME (see 'strata help run')");
  }

  SessionOptions options;
  if (std::optional<std::string> threads = args->Value("--threads")) {
    if (!absl::SimpleAtoi(*threads, &options.num_threads) || options.num_threads < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("run: --threads expects a non-negative integer (0 = all cores), got '", *threads, "'"));
    }
  }
  if (std::optional<std::string> backend = args->Value("--backend")) options.backend = *backend;
  options.allow_tf32 = args->Has("--allow_tf32");

  absl::StatusOr<tf::GraphDef> def = ReadModel(model_path);
  if (!def.ok()) return def.status();
  absl::StatusOr<std::unique_ptr<Graph>> graph = ImportModel(*def, model_path);
  if (!graph.ok()) return graph.status();
  absl::StatusOr<std::unique_ptr<Session>> session = Session::Create(**graph, options);
  if (!session.ok()) return session.status();

  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const std::string& spec : repeated->feeds) {
    absl::StatusOr<Feed> feed = ParseFeed(spec);
    if (!feed.ok()) return feed.status();
    absl::StatusOr<Tensor> value = ReadNpy(feed->path);
    if (!value.ok()) return absl::Status(value.status().code(), absl::StrCat("feed '", feed->name, "': ", value.status().message()));
    feeds.emplace_back(feed->name, *std::move(value));
  }

  std::vector<Tensor> outputs;
  if (absl::Status s = (*session)->Run(feeds, repeated->fetches, repeated->targets, &outputs); !s.ok()) return s;

  // Files first, so that a failed write leaves no partial report on stdout.
  std::vector<std::string> written;
  if (std::optional<std::string> out_dir = args->Value("--out")) {
    std::error_code ec;
    std::filesystem::create_directories(*out_dir, ec);
    if (ec || !std::filesystem::is_directory(*out_dir)) {
      return absl::PermissionDeniedError(absl::StrCat("run: cannot create output directory '", *out_dir, "'",
                                                      ec ? absl::StrCat(": ", ec.message()) : ""));
    }
    for (size_t k = 0; k < outputs.size(); ++k) {
      const std::string path = (std::filesystem::path(*out_dir) / absl::StrCat("output_", k, ".npy")).string();
      if (absl::Status s = WriteNpy(outputs[k], path); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat("fetch '", repeated->fetches[k], "': ", s.message()));
      }
      written.push_back(path);
    }
  }
  std::string report;
  for (size_t k = 0; k < outputs.size(); ++k) {
    absl::StrAppend(&report, repeated->fetches[k], ": ", outputs[k].DebugString(kPrintedValues), "\n");
    if (!written.empty()) absl::StrAppend(&report, "  written to ", written[k], "\n");
  }
  if (!repeated->targets.empty()) absl::StrAppend(&report, "ran ", absl::StrJoin(repeated->targets, ", "), "\n");
  std::fputs(report.c_str(), stdout);
  return absl::OkStatus();
}

}  // namespace

const Verb kRunVerb = {"run", "run a model on .npy inputs and print or save the fetched tensors", kUsage, RunRun};

}  // namespace strata::cli
