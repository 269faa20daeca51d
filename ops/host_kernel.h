// Host kernels: ops computed on the host from input tensors, for ops whose output shapes depend
// on input values (Where, NonMaxSuppression*, ...) and that no static-shape lowering can express.
// An op registers one with OpDefBuilder::SetHostKernel; the reference evaluator runs it (and so
// constant folding), and the runtime runs it between compiled parts of a graph.
//
// A kernel reads its node's attrs and its input tensors, and sets each output to a tensor of any
// shape. Kernels report bad inputs as errors (InvalidArgument, saying what is wrong);
// RunHostKernel prefixes them with the node, so messages read
// "node 'nms' (NonMaxSuppressionV3): iou_threshold must be in [0, 1], got 1.5".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "graph/attr_value.h"
#include "graph/graph.h"
#include "graph/tensor.h"
#include "ops/registry.h"

namespace strata {

class HostKernelContext {
 public:
  // `inputs` must outlive the context.
  HostKernelContext(const Node& node, const std::vector<Tensor>& inputs);

  const Node& node() const { return node_; }
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  const Tensor& input(int i) const { return inputs_[i]; }
  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  // The dtype output i must have (the node's, refs stripped).
  DType output_dtype(int i) const;

  template <typename T>
  absl::Status GetAttr(std::string_view name, T* value) const {
    return ::strata::GetAttr(node_.attrs(), name, value);
  }

  // Input i as a scalar (rank 0) converted to double / int64; InvalidArgument naming `what`
  // (the argument's name) when it is not a scalar.
  absl::StatusOr<double> ScalarInput(int i, std::string_view what) const;
  absl::StatusOr<int64_t> ScalarIntInput(int i, std::string_view what) const;

  // Sets output i (any shape). RunHostKernel checks the dtype.
  void set_output(int i, Tensor t) { outputs_[i] = std::move(t); }
  // A zero-filled tensor of output i's dtype and `shape`, set as output i; an error when the
  // shape is invalid or cannot be allocated.
  absl::StatusOr<Tensor*> AllocateOutput(int i, const Shape& shape);
  std::vector<Tensor>& outputs() { return outputs_; }

 private:
  const Node& node_;
  const std::vector<Tensor>& inputs_;
  std::vector<Tensor> outputs_;
};

// Runs `node`'s host kernel on `inputs` and checks what it produced: every output set, with the
// node's dtype and a shape compatible with the (partial) shape inference gave. Errors name the
// node; Unimplemented when the op has no host kernel.
absl::StatusOr<std::vector<Tensor>> RunHostKernel(const Node& node, const std::vector<Tensor>& inputs);

// Whether `node` runs on the host between compiled parts: it has a host kernel and no lowering.
// The Session's specializer and its staged runner must agree on this.
bool RunsOnHost(const Node& node);

// The host kernel of ops that only a Session can run (variables, optimizer updates, random
// ops): FailedPrecondition "op 'X' <why>: it runs only inside a Session".
HostKernelFn SessionOnlyKernel(std::string why);

}  // namespace strata
