// Expands optimizer updates (ApplyGradientDescent, ApplyMomentum, ApplyAdam, ApplyRMSProp,
// ApplyAdagrad and their Resource* forms: ops/training_ops.cc) into ordinary ops: the update arithmetic, which the Session
// compiles and fuses with the rest of the training step, and Assigns of the new values to the
// variable and its slots. The Apply node keeps its name (it becomes the Assign of the variable,
// with control edges to the slot Assigns), so fetching it or running it as a target still works.
#pragma once

#include "absl/status/status.h"
#include "proto/graph.pb.h"

namespace strata {

// Rewrites `def` in place. Errors (InvalidArgument naming the node) for an Apply node whose
// inputs or attrs are malformed.
absl::Status ExpandOptimizerOps(tf::GraphDef* def);

}  // namespace strata
