#include "frontends/tf/model_loader.h"

#include "frontends/tf/tfjs_model.h"
#include "graph/graph_def_io.h"

namespace strata {

bool IsTfjsModelPath(std::string_view path) { return path.ends_with(".json"); }

absl::StatusOr<tf::GraphDef> LoadModel(const std::string& path) {
  if (IsTfjsModelPath(path)) return ReadTfjsModel(path);
  return ReadGraphDefFile(path);
}

}  // namespace strata
