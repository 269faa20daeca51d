// A small dataflow executor for TF1 control flow: runs the body of one control-flow region
// (runtime/control_flow_regions.h) on the host, node by node, with TensorFlow's semantics:
//
//  - Every value is tagged with a frame (a while loop's activation, made by its Enter nodes)
//    and an iteration. Enter moves a value into the child frame (to every iteration when
//    is_constant), Exit back to the parent, NextIteration to the next iteration.
//  - A tensor is live or dead. Switch sends its input to output_true or output_false and a dead
//    tensor to the other; a node with a dead input is dead and produces dead outputs; Merge
//    forwards its first live input and is dead only when all its inputs are; a dead
//    NextIteration stops, which is how a loop ends once LoopCond is false.
//  - A frame is done when all of its Enter inputs have arrived and no iteration has work left;
//    its dead Exits then reach the parent frame as dead tensors (a loop in an untaken branch).
//
// This follows tensorflow/core/common_runtime/propagator_state.cc, single-threaded: iterations
// run in order (parallel_iterations is ignored). Ordinary nodes are evaluated with the
// reference evaluator (runtime/reference/evaluator.h) after shape inference on their actual
// inputs, so data-dependent shapes are fine; TensorArray/TensorList ops run their host kernels
// (runtime/control_flow_tensor_arrays.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "graph/graph.h"
#include "graph/tensor.h"
#include "proto/graph.pb.h"

namespace strata {

// The most iterations one activation of a while loop may run before the run fails with
// ResourceExhausted (TensorFlow has no limit; this turns a runaway loop into an error instead
// of a hang). Default 10,000,000, or the environment variable STRATA_MAX_LOOP_ITERATIONS.
int64_t MaxLoopIterations();
// Overrides the limit for the process (tests); <= 0 restores the default.
void SetMaxLoopIterations(int64_t limit);

class ControlFlowProgram {
 public:
  // `body` holds the region's nodes and one Placeholder per input (named in `input_names`, in
  // argument order); `output_names` are the body tensors ("node" or "node:k") the region
  // returns. Errors: a body that does not import, a name that is not in it.
  static absl::StatusOr<std::unique_ptr<ControlFlowProgram>> Create(const tf::GraphDef& body,
                                                                    const std::vector<std::string>& input_names,
                                                                    const std::vector<std::string>& output_names,
                                                                    const OpRegistry* registry);
  ~ControlFlowProgram();

  // Runs the body on `inputs` (one per input name). Thread-safe. Errors name the node at fault;
  // an output that is dead or never computed is an error naming it.
  absl::StatusOr<std::vector<Tensor>> Run(const std::vector<Tensor>& inputs) const;

  struct Item;

 private:
  ControlFlowProgram() = default;
  // A private copy of the body graph for one run (its nodes' output shapes are rewritten as
  // they run); copies are kept for reuse.
  absl::StatusOr<std::unique_ptr<Graph>> AcquireGraph() const;
  void ReleaseGraph(std::unique_ptr<Graph> graph) const;

  friend class ControlFlowRun;
  tf::GraphDef body_;
  const OpRegistry* registry_ = nullptr;
  std::unique_ptr<Graph> graph_;  // for the structure; never mutated after Create
  std::vector<Item> items_;       // one per node of graph_, by position
  int total_inputs_ = 0;          // data input slots over all nodes
  std::vector<int> input_items_;
  std::vector<std::pair<int, int>> outputs_;  // (item, output index)
  mutable absl::Mutex pool_mu_;
  mutable std::vector<std::unique_ptr<Graph>> spare_graphs_;
};

}  // namespace strata
