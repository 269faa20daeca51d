// Control-flow regions: the Session's graph transform for TF1 control flow.
//
// TF1 conditionals (Switch ... Merge) and while loops (Enter, Merge, Switch, LoopCond,
// NextIteration, Exit, as frames) cannot run as a sequence of compiled clusters: tensors may be
// dead, and a loop runs its body any number of times. This transform finds every such region
// and replaces it with one node of the internal op _ControlFlowRegion, a host op
// (ops/host_kernel.h) whose kernel runs the region's nodes with a small dataflow executor
// (runtime/control_flow_executor.h). Everything outside the regions still compiles as before;
// the Session's staged runner (runtime/staged.h) calls each region between compiled clusters.
//
// A region is a connected set of:
//  - every node inside a while loop (frame), and every control-flow op;
//  - every node that may be dead because it depends on a Switch output (a branch of a cond),
//    up to the Merge that joins the branches;
//  - every TensorArray*/TensorList* op (their handles never leave a region), and the stateless
//    nodes that pass those handles on;
//  - any node on a path from a region back into it (e.g. a Range between a TensorArraySize and
//    a TensorArrayGather), so that regions and compiled clusters never form a cycle.
// The region node reads the tensors that its nodes read from outside (its control inputs too)
// and returns the tensors that outside nodes read, plus every tensor of its top-level nodes
// that is live whenever the region runs (what a caller may fetch: a loop's Exit, a cond's
// Merge, a TensorArray's size). A region runs as a whole, like a function call: fetching one
// of its outputs runs all of its nodes. A node whose value
// leaves the region keeps its name as an Identity (IdentityN) of the region's outputs, so
// fetches and consumers by name work unchanged; only the plain-tensor outputs of nodes that
// also hold a TensorArray handle (TensorArrayV3's flow) are rewired to the region node.
// Tensors inside a branch or a loop body cannot be fetched.
#pragma once

#include "absl/status/statusor.h"
#include "ops/registry.h"
#include "proto/graph.pb.h"

namespace strata {

// The internal op's name.
inline constexpr char kControlFlowRegionOp[] = "_ControlFlowRegion";

// Rewrites `def` in place and returns the number of regions made (0: `def` is unchanged, the
// common case, decided by one scan of the op names). Errors, naming the node: a graph that
// does not import, a node that reads tensors of two different while loops, an Exit or a
// NextIteration outside any while loop, a NextIteration that does not feed a Merge.
absl::StatusOr<int> CollapseControlFlowRegions(tf::GraphDef* def, const OpRegistry& registry);

}  // namespace strata
