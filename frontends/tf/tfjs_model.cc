#include "frontends/tf/tfjs_model.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontends/tf/tfjs_weights.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "graph/str_util.h"
#include "graph/tensor.h"
#include "proto/tensor.pb.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using google::protobuf::Value;

absl::StatusOr<std::string> ReadBytes(const std::string& path, std::string_view what) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) return absl::NotFoundError(absl::StrCat("cannot open ", Absl(what), " '", path, "': no such file"));
  if (fs::is_directory(st)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", Absl(what), " '", path, "': it is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::PermissionDeniedError(absl::StrCat("cannot open ", Absl(what), " '", path, "'"));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("failed reading ", Absl(what), " '", path, "'"));
  return std::move(bytes).str();
}

std::string ProtobufMessage(const google::protobuf::util::Status& status) { return status.ToString(); }

absl::StatusOr<tf::GraphDef> ParseTopology(const Value& topology, const std::string& display_path) {
  // The topology is re-serialized and parsed as a GraphDef, so that protobuf's JSON mapping
  // (base64 bytes, int64 as strings, enum names, camelCase field names) does the work.
  std::string json;
  if (auto s = google::protobuf::util::MessageToJsonString(topology, &json); !s.ok()) {
    return absl::InternalError(absl::StrCat("'", display_path, "': modelTopology: ", ProtobufMessage(s)));
  }
  tf::GraphDef def;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // converters add fields newer than our protos
  if (auto s = google::protobuf::util::JsonStringToMessage(json, &def, options); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", display_path, "': modelTopology is not a GraphDef: ", ProtobufMessage(s)));
  }
  // TF.js runs every op on its one backend and ignores NodeDef.device, which the converter
  // leaves as the exporting machine placed it ("/device:CPU:0" on every convolution of most
  // models). A Session honors node devices (runtime/device_placement.h): kept, they would pin
  // those convolutions to the CPU in a GPU session.
  for (tf::NodeDef& node : *def.mutable_node()) node.clear_device();
  return def;
}

// The shards of one group, concatenated; `shard_sizes` gets each file's path and size.
absl::StatusOr<std::string> ReadShards(const TfjsWeightGroup& group, const std::string& weights_dir,
                                       std::vector<std::pair<std::string, size_t>>* shard_sizes) {
  std::string bytes;
  for (const std::string& p : group.paths) {
    const std::string path = (fs::path(weights_dir) / p).string();
    absl::StatusOr<std::string> shard = ReadBytes(path, "weight shard");
    if (!shard.ok()) return shard.status();
    bytes += *shard;
    shard_sizes->emplace_back(path, shard->size());
  }
  return bytes;
}

// Puts `value` into the Const node `node`, converted to the dtype the node declares.
absl::Status FillConst(const std::string& weight, Tensor value, tf::NodeDef* node) {
  if (node->op() != "Const") {
    return absl::InvalidArgumentError(
        absl::StrCat("weight '", weight, "' names node '", node->name(), "', a ", node->op(), ", not a Const"));
  }
  auto& attrs = *node->mutable_attr();
  if (auto it = attrs.find("value"); it != attrs.end() && it->second.has_tensor() &&
                                     it->second.tensor().has_tensor_shape()) {
    absl::StatusOr<Shape> declared = Shape::FromProto(it->second.tensor().tensor_shape());
    if (declared.ok() && declared->IsFullyDefined() && *declared != value.shape()) {
      return absl::InvalidArgumentError(absl::StrCat("weight '", weight, "' has shape ", value.shape().ToString(),
                                                     " but its Const node declares ", declared->ToString()));
    }
  }
  if (auto it = attrs.find("dtype"); it != attrs.end() && it->second.type() != tf::DT_INVALID &&
                                     static_cast<DType>(it->second.type()) != value.dtype()) {
    const DType declared = static_cast<DType>(it->second.type());
    if (value.dtype() == DT_STRING || declared == DT_STRING || !IsSupportedTensorDType(declared)) {
      return absl::InvalidArgumentError(absl::StrCat("weight '", weight, "' is ", DTypeName(value.dtype()),
                                                     " but its Const node declares ", DTypeName(declared)));
    }
    absl::StatusOr<Tensor> converted = value.Cast(declared);
    if (!converted.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("weight '", weight, "': ", converted.status().message()));
    }
    value = *std::move(converted);
  }
  attrs["dtype"].set_type(static_cast<tf::DataType>(value.dtype()));
  tf::TensorProto* proto = attrs["value"].mutable_tensor();
  proto->Clear();
  value.ToProto(proto);
  return absl::OkStatus();
}

bool HasValues(const tf::TensorProto& t) {
  return !t.tensor_content().empty() || t.half_val_size() || t.float_val_size() || t.double_val_size() ||
         t.int_val_size() || t.string_val_size() || t.scomplex_val_size() || t.int64_val_size() ||
         t.bool_val_size() || t.dcomplex_val_size() || t.uint32_val_size() || t.uint64_val_size() ||
         !t.float8_val().empty();
}

// TF.js keeps every constant in the shards: a non-empty Const without values and without a
// weight would silently read as zeros (TensorFlow's rule for an empty TensorProto).
absl::Status CheckConstsHaveValues(const tf::GraphDef& def, const absl::flat_hash_map<std::string, int>& weights) {
  std::vector<std::string> missing;
  for (const tf::NodeDef& node : def.node()) {
    if (node.op() != "Const" || weights.contains(node.name())) continue;
    auto it = node.attr().find("value");
    if (it == node.attr().end() || !it->second.has_tensor() || HasValues(it->second.tensor())) continue;
    absl::StatusOr<Shape> shape = Shape::FromProto(it->second.tensor().tensor_shape());
    if (shape.ok() && shape->num_elements() == 0) continue;
    missing.push_back(node.name());
  }
  if (missing.empty()) return absl::OkStatus();
  const size_t shown = std::min<size_t>(missing.size(), 5);
  return absl::InvalidArgumentError(absl::StrCat(
      missing.size(), " Const node(s) have no value and no weight in weightsManifest: ",
      absl::StrJoin(missing.begin(), missing.begin() + shown, ", "),
      missing.size() > shown ? absl::StrCat(", ... ", missing.size() - shown, " more") : ""));
}

absl::Status ApplyWeights(const std::vector<TfjsWeightGroup>& groups, const std::string& weights_dir,
                          tf::GraphDef* def) {
  absl::flat_hash_map<std::string, int> node_index;
  for (int i = 0; i < def->node_size(); ++i) node_index[def->node(i).name()] = i;
  absl::flat_hash_map<std::string, int> seen;  // weight name -> group
  for (size_t g = 0; g < groups.size(); ++g) {
    const TfjsWeightGroup& group = groups[g];
    std::vector<std::pair<std::string, size_t>> shard_sizes;
    absl::StatusOr<std::string> bytes = ReadShards(group, weights_dir, &shard_sizes);
    if (!bytes.ok()) return bytes.status();
    size_t offset = 0;
    for (const TfjsWeightSpec& spec : group.weights) {
      if (!seen.emplace(spec.name, static_cast<int>(g)).second) {
        return absl::InvalidArgumentError(absl::StrCat("weight '", spec.name, "' is listed twice in weightsManifest"));
      }
      absl::StatusOr<Tensor> value = DecodeTfjsWeight(spec, *bytes, &offset);
      if (!value.ok()) {
        return absl::Status(value.status().code(),
                            absl::StrCat(value.status().message(), " in the shards of weightsManifest group ", g, " (",
                                         absl::StrJoin(shard_sizes, ", ",
                                                       [](std::string* out, const auto& e) {
                                                         absl::StrAppend(out, e.first, ": ", e.second, " bytes");
                                                       }),
                                         ")"));
      }
      auto it = node_index.find(spec.name);
      if (it == node_index.end()) {
        tf::NodeDef* node = def->add_node();
        node->set_name(spec.name);
        node->set_op("Const");
        it = node_index.emplace(spec.name, def->node_size() - 1).first;
      }
      if (absl::Status s = FillConst(spec.name, *std::move(value), def->mutable_node(it->second)); !s.ok()) return s;
    }
  }
  return CheckConstsHaveValues(*def, seen);
}

}  // namespace

absl::StatusOr<tf::GraphDef> ParseTfjsModel(std::string_view json, const std::string& display_path,
                                            const std::string& weights_dir) {
  Value root;
  if (auto s = google::protobuf::util::JsonStringToMessage(
          google::protobuf::StringPiece(json.data(), json.size()), &root);
      !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("'", display_path, "' is not valid JSON: ", ProtobufMessage(s)));
  }
  if (root.kind_case() != Value::kStructValue) {
    return absl::InvalidArgumentError(absl::StrCat("'", display_path, "' is not a TF.js model: not a JSON object"));
  }
  const auto& fields = root.struct_value().fields();
  if (auto it = fields.find("format"); it != fields.end() && it->second.string_value() == "layers-model") {
    return absl::InvalidArgumentError(absl::StrCat("'", display_path,
                                                   "' is a TF.js layers model; only graph models (format "
                                                   "\"graph-model\") can be loaded"));
  }
  auto topology = fields.find("modelTopology");
  if (topology == fields.end() || topology->second.kind_case() != Value::kStructValue) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", display_path, "' is not a TF.js graph model: it has no \"modelTopology\" object"));
  }
  absl::StatusOr<tf::GraphDef> def = ParseTopology(topology->second, display_path);
  if (!def.ok()) return def.status();
  auto manifest = fields.find("weightsManifest");
  const Value no_weights = [] {
    Value v;
    v.mutable_list_value();
    return v;
  }();
  absl::StatusOr<std::vector<TfjsWeightGroup>> groups =
      ParseTfjsWeightsManifest(manifest == fields.end() ? no_weights : manifest->second);
  if (!groups.ok()) {
    return absl::Status(groups.status().code(), absl::StrCat("'", display_path, "': ", groups.status().message()));
  }
  if (absl::Status s = ApplyWeights(*groups, weights_dir, &*def); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("'", display_path, "': ", s.message()));
  }
  return def;
}

absl::StatusOr<tf::GraphDef> ReadTfjsModel(const std::string& model_json_path) {
  absl::StatusOr<std::string> json = ReadBytes(model_json_path, "TF.js model");
  if (!json.ok()) return json.status();
  if (json->empty()) return absl::InvalidArgumentError(absl::StrCat("'", model_json_path, "' is empty, not a TF.js model"));
  const std::string dir = fs::path(model_json_path).parent_path().string();
  return ParseTfjsModel(*json, model_json_path, dir.empty() ? "." : dir);
}

}  // namespace strata
