// One entry point for every model format strata reads: TensorFlow GraphDefs (binary .pb,
// text .pbtxt) and TF.js graph models (model.json + weight shards).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "proto/graph.pb.h"

namespace strata {

// True for paths ending in ".json" (a TF.js graph model).
bool IsTfjsModelPath(std::string_view path);

// Reads a model as a frozen GraphDef: ".json" through ReadTfjsModel (weights become Consts),
// anything else through ReadGraphDefFile (.pb binary, .pbtxt/.pbtext/.txt text, other
// extensions sniffed). Errors name the file.
absl::StatusOr<tf::GraphDef> LoadModel(const std::string& path);

}  // namespace strata
