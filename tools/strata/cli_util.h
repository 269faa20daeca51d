// Shared plumbing for the `strata` verbs: argument parsing, model loading with errors that
// name the file, and the one-line error report every failure ends in.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "proto/graph.pb.h"

namespace strata::cli {

// One command of the CLI: `strata <name> args...`. A verb returns an error status instead of
// printing it; main() prints it as one line and exits 1.
struct Verb {
  const char* name;
  const char* summary;  // one line, for `strata help`
  const char* usage;    // full text, for `strata help <name>` and `strata <name> --help`
  absl::Status (*run)(const std::vector<std::string>& args);
};

// A flag a verb accepts. names[0] is the key it is stored under; the rest are aliases.
struct FlagSpec {
  std::vector<std::string> names;  // spelled with their dashes: "--dot", "-o"
  bool takes_value = false;
};

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // flags with a value, by names[0]
  std::set<std::string> switches;             // flags without a value, by names[0]
  bool help = false;                          // -h / --help was given

  bool Has(const std::string& flag) const { return switches.count(flag) || values.count(flag); }
  std::optional<std::string> Value(const std::string& flag) const;
};

// Accepts "--flag VALUE", "--flag=VALUE", "-o VALUE", switches, "-h"/"--help", and "--" to end
// flags. Errors (naming the verb): unknown flag, flag without its value, value given to a
// switch.
absl::StatusOr<ParsedArgs> ParseArgs(std::string_view verb, const std::vector<std::string>& args,
                                     const std::vector<FlagSpec>& flags);

// Checks the positional count: InvalidArgument "inspect: missing MODEL argument" /
// "inspect: unexpected argument 'x'". `names` are the expected arguments in order.
absl::Status ExpectPositional(std::string_view verb, const ParsedArgs& args,
                              const std::vector<std::string>& names);

// Reads a .pb or .pbtxt GraphDef, or a TF.js graph model (model.json; its weights become
// Consts). Missing files, directories and empty files are rejected here with a message naming
// the path; parse errors come from LoadModel (frontends/tf/model_loader.h).
absl::StatusOr<tf::GraphDef> ReadModel(const std::string& path);
// Builds a Graph and runs shape inference; errors say which file the bad graph came from.
absl::StatusOr<std::unique_ptr<Graph>> ImportModel(const tf::GraphDef& def, const std::string& path,
                                                   bool infer_shapes = true);

// Writes `contents` to `path`, replacing it; errors name the path.
absl::Status WriteTextFile(const std::string& path, std::string_view contents);

// The message of `status` folded onto one line (line breaks become "; ").
std::string OneLineMessage(const absl::Status& status);
// Prints "strata: error: <message>" as a single line on stderr and returns exit code 1.
int ReportError(const absl::Status& status);

}  // namespace strata::cli
