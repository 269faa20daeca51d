#include "compiler/aot_signature.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/text_format.h"
#include "proto/compile_config.pb.h"

namespace strata {

namespace {

std::string TensorName(const aot::TensorId& id) {
  return id.output_index() == 0 ? id.node_name() : absl::StrCat(id.node_name(), ":", id.output_index());
}

// "node:k" / "^node" / "node" -> "node".
std::string NodeOf(const std::string& input) {
  std::string s = input.starts_with("^") ? input.substr(1) : input;
  const size_t colon = s.find(':');
  return colon == std::string::npos ? s : s.substr(0, colon);
}

bool IsVariableOp(const std::string& op) {
  static const std::set<std::string>* ops = new std::set<std::string>{
      "Variable", "VariableV2", "VarHandleOp", "ReadVariableOp", "TemporaryVariable", "ResourceGather", "AutoReloadVariable"};
  return ops->count(op) > 0;
}

}  // namespace

absl::StatusOr<AotSignature> ReadAotConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("compile: cannot read --config '", path, "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  aot::Config config;
  const bool textual = path.ends_with(".pbtxt") || path.ends_with(".txt") || path.ends_with(".textproto");
  if (textual ? !google::protobuf::TextFormat::ParseFromString(text, &config)
              : !(config.ParseFromString(text) || google::protobuf::TextFormat::ParseFromString(text, &config))) {
    return absl::InvalidArgumentError(absl::StrCat("compile: --config '", path, "' is not a strata.aot.Config (",
                                                   textual ? "text" : "binary or text", " protobuf)"));
  }
  if (config.variable_size() > 0) {
    std::vector<std::string> names;
    for (const aot::Variable& v : config.variable()) names.push_back(v.node_name());
    return absl::InvalidArgumentError(absl::StrCat("compile: --config '", path, "' lists variables (", absl::StrJoin(names, ", "),
                                                   "): AOT compiles frozen graphs; turn the variables into Consts first"));
  }
  AotSignature sig;
  for (const aot::Feed& f : config.feed()) {
    AotFeedSpec feed;
    feed.tensor = TensorName(f.id());
    if (f.id().node_name().empty()) return absl::InvalidArgumentError(absl::StrCat("compile: --config '", path, "': a feed has no id.node_name"));
    feed.name = f.name();
    feed.dtype = static_cast<DType>(f.type());
    if (!f.has_shape() || f.shape().unknown_rank()) {
      return absl::InvalidArgumentError(absl::StrCat("compile: --config '", path, "': feed ", feed.tensor,
                                                     " needs a shape with every dim known"));
    }
    std::vector<int64_t> dims;
    for (const tf::TensorShapeProto::Dim& d : f.shape().dim()) {
      if (d.size() < 0) {
        return absl::InvalidArgumentError(absl::StrCat("compile: --config '", path, "': feed ", feed.tensor, " has an unknown dim (",
                                                       d.size(), "): give every dim a size"));
      }
      dims.push_back(d.size());
    }
    feed.shape = Shape(std::move(dims));
    sig.feeds.push_back(std::move(feed));
  }
  for (const aot::Fetch& f : config.fetch()) {
    if (f.id().node_name().empty()) return absl::InvalidArgumentError(absl::StrCat("compile: --config '", path, "': a fetch has no id.node_name"));
    sig.fetches.push_back({TensorName(f.id()), f.name()});
  }
  return sig;
}

absl::Status CheckFrozen(const tf::GraphDef& def, const AotSignature& signature) {
  absl::flat_hash_map<std::string, const tf::NodeDef*> nodes;
  for (const tf::NodeDef& n : def.node()) nodes[n.name()] = &n;
  absl::flat_hash_set<std::string> fed;
  for (const AotFeedSpec& f : signature.feeds) fed.insert(NodeOf(f.tensor));
  std::vector<std::string> stack;
  for (const AotFetchSpec& f : signature.fetches) stack.push_back(NodeOf(f.tensor));
  absl::flat_hash_set<std::string> seen;
  std::vector<std::string> variables;
  while (!stack.empty()) {
    const std::string name = stack.back();
    stack.pop_back();
    if (fed.contains(name) || !seen.insert(name).second) continue;
    auto it = nodes.find(name);
    if (it == nodes.end()) continue;  // unknown names are reported when the fetches resolve
    if (IsVariableOp(it->second->op())) variables.push_back(absl::StrCat("'", name, "' (", it->second->op(), ")"));
    for (const std::string& in : it->second->input()) stack.push_back(NodeOf(in));
  }
  if (variables.empty()) return absl::OkStatus();
  std::sort(variables.begin(), variables.end());
  return absl::InvalidArgumentError(absl::StrCat("compile: the fetches read variable", variables.size() > 1 ? "s " : " ",
                                                 absl::StrJoin(variables, ", "),
                                                 ": AOT compiles frozen graphs; turn variables into Consts first (freeze the graph)"));
}

}  // namespace strata
