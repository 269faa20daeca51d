// What `strata compile` compiles ahead of time: the feeds (with static shapes) and fetches, each
// with the C identifier the generated accessors use. From the command line or from a
// strata.aot.Config file (proto/compile_config.proto, tfcompile's config in spirit). No MLIR.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "graph/dtype.h"
#include "graph/shape.h"
#include "proto/graph.pb.h"

namespace strata {

struct AotFeedSpec {
  std::string tensor;            // "node" or "node:k"
  std::string name;              // accessor name; empty: derived from the tensor name
  DType dtype = DT_INVALID;      // DT_INVALID: the graph's dtype for the tensor
  Shape shape;                   // fully defined
};

struct AotFetchSpec {
  std::string tensor;
  std::string name;              // empty: derived from the tensor name
};

struct AotSignature {
  std::vector<AotFeedSpec> feeds;
  std::vector<AotFetchSpec> fetches;
};

// Reads a strata.aot.Config, as text (.pbtxt, .txt) or binary protobuf. Errors name the file
// and, for a feed without a static shape or with variables listed, the tensor.
absl::StatusOr<AotSignature> ReadAotConfig(const std::string& path);

// InvalidArgument naming every variable node the fetches depend on (AOT compiles frozen graphs:
// variables must have become Consts).
absl::Status CheckFrozen(const tf::GraphDef& def, const AotSignature& signature);

}  // namespace strata
