#include "tools/strata/cli_util.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontends/tf/model_loader.h"
#include "graph/graph_def_io.h"
#include "graph/str_util.h"

namespace strata::cli {
namespace {

const FlagSpec* FindFlag(const std::vector<FlagSpec>& flags, std::string_view name) {
  for (const FlagSpec& flag : flags) {
    for (const std::string& n : flag.names) {
      if (n == name) return &flag;
    }
  }
  return nullptr;
}

}  // namespace

std::optional<std::string> ParsedArgs::Value(const std::string& flag) const {
  auto it = values.find(flag);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<ParsedArgs> ParseArgs(std::string_view verb, const std::vector<std::string>& args,
                                     const std::vector<FlagSpec>& flags) {
  ParsedArgs parsed;
  bool flags_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    // "-" alone is an ordinary argument (conventionally stdin/stdout).
    if (flags_ended || arg.size() < 2 || arg[0] != '-') {
      parsed.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_ended = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      parsed.help = true;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (size_t eq = arg.find('='); absl::StartsWith(arg, "--") && eq != std::string::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    const FlagSpec* flag = FindFlag(flags, name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(Absl(verb), ": unknown flag '", name, "' (see 'strata help ", Absl(verb), "')"));
    }
    const std::string& key = flag->names[0];
    if (!flag->takes_value) {
      if (inline_value) {
        return absl::InvalidArgumentError(absl::StrCat(Absl(verb), ": flag '", name, "' takes no value"));
      }
      parsed.switches.insert(key);
      continue;
    }
    if (inline_value) {
      parsed.values[key] = *inline_value;
    } else if (i + 1 < args.size()) {
      parsed.values[key] = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(Absl(verb), ": flag '", name, "' needs a value"));
    }
    if (parsed.values[key].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(Absl(verb), ": flag '", name, "' needs a non-empty value"));
    }
  }
  return parsed;
}

absl::Status ExpectPositional(std::string_view verb, const ParsedArgs& args,
                              const std::vector<std::string>& names) {
  if (args.positional.size() < names.size()) {
    return absl::InvalidArgumentError(absl::StrCat(Absl(verb), ": missing ", names[args.positional.size()],
                                                   " argument (see 'strata help ", Absl(verb), "')"));
  }
  if (args.positional.size() > names.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Absl(verb), ": unexpected argument '", args.positional[names.size()], "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<tf::GraphDef> ReadModel(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) return absl::NotFoundError(absl::StrCat("cannot open '", path, "': no such file"));
  if (fs::is_directory(st)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read '", path, "': it is a directory"));
  }
  // An empty file parses as an empty GraphDef in both formats; it is never a real model.
  if (fs::is_regular_file(st) && fs::file_size(path, ec) == 0 && !ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is empty, not a ", IsTfjsModelPath(path) ? "TF.js model" : "GraphDef"));
  }
  return LoadModel(path);
}

absl::StatusOr<std::unique_ptr<Graph>> ImportModel(const tf::GraphDef& def, const std::string& path,
                                                   bool infer_shapes) {
  ImportOptions options;
  options.infer_shapes = infer_shapes;
  absl::StatusOr<std::unique_ptr<Graph>> graph = GraphFromGraphDef(def, options);
  if (!graph.ok()) {
    return absl::Status(graph.status().code(),
                        absl::StrCat("invalid graph in '", path, "': ", graph.status().message()));
  }
  return graph;
}

absl::Status WriteTextFile(const std::string& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    return absl::PermissionDeniedError(absl::StrCat("cannot write '", path, "': ", std::strerror(errno)));
  }
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) return absl::DataLossError(absl::StrCat("failed writing '", path, "'"));
  return absl::OkStatus();
}

std::string OneLineMessage(const absl::Status& status) {
  std::string message(status.message());
  if (message.empty()) message = absl::StatusCodeToString(status.code());
  std::string line;
  for (char c : message) {
    if (c == '\n') {
      while (!line.empty() && line.back() == ' ') line.pop_back();
      line += "; ";
    } else if (c != '\r') {
      line += c;
    }
  }
  while (!line.empty() && (line.back() == ' ' || line.back() == ';')) line.pop_back();
  return line;
}

int ReportError(const absl::Status& status) {
  std::fprintf(stderr, "strata: error: %s\n", OneLineMessage(status).c_str());
  return 1;
}

}  // namespace strata::cli
