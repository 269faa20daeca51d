// TF.js graph models: model.json (a GraphDef in protobuf's JSON mapping under
// "modelTopology", plus "weightsManifest") and its binary weight shards, read into a frozen
// GraphDef whose Const nodes hold the (dequantized) weights. Node devices are dropped: TF.js
// ignores them, and the converter keeps whatever the exporting machine placed.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "proto/graph.pb.h"

namespace strata {

// Reads `model_json_path` and the shards its manifest names (relative to its directory).
// Each weight becomes the value of the Const node of the same name (a Const is added when
// the topology has none); when that node declares another numeric dtype (TF.js stores int64
// as int32 and double as float32) the value is converted to it. Errors name the file and,
// where one is at fault, the weight or shard: unreadable or invalid JSON, a layers model,
// a topology that is not a GraphDef, a missing or short shard, an unknown dtype, a weight
// whose shape contradicts its node, a weight for a node that is not a Const, Const nodes left
// without a value (all of them are named in one error).
absl::StatusOr<tf::GraphDef> ReadTfjsModel(const std::string& model_json_path);

// The same for model.json text already in memory; shards are read from `weights_dir`, and
// `display_path` is the name errors use for the JSON.
absl::StatusOr<tf::GraphDef> ParseTfjsModel(std::string_view json, const std::string& display_path,
                                            const std::string& weights_dir);

}  // namespace strata
