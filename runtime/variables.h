// Variables: the tensors a Session keeps across Run calls, and the state ops that read and
// update them (VariableV2, Assign, AssignAdd, AssignSub: ops/state_ops.cc; also the random ops,
// whose draw counters live here: runtime/random_kernels.h). The staged runner (runtime/staged.h)
// executes state ops on the host against the Session's VariableStore, between compiled clusters: a training step reads the variables, runs one compiled cluster, and stores
// the new values (tensors change hands by reference; nothing is copied).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "graph/tensor.h"

namespace strata {

class VariableStore {
 public:
  // The variable's value; an invalid Tensor while it has none (uninitialized). After a training
  // step on a GPU the value is on the device (Tensor::device_memory()), and comes to the host when
  // first read. Values are shared, not copied: change a variable with Set, never by writing into
  // the tensor Get returns.
  Tensor Get(const std::string& name) const;
  void Set(const std::string& name, Tensor value);
  std::vector<std::string> Names() const;  // sorted

  // Random ops' state (runtime/random_kernels.h): how many times `node` has drawn before
  // (0, 1, 2, ...), and a seed drawn once per store for ops without seeds.
  int64_t NextDraw(const std::string& node);
  uint64_t unseeded_seed() const { return unseeded_seed_; }

 private:
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Tensor> values_;  // guarded by mu_
  absl::flat_hash_map<std::string, int64_t> draws_;  // guarded by mu_
  const uint64_t unseeded_seed_ = RandomSeed();
  static uint64_t RandomSeed();
};

// The name a variable node's value is stored under: its shared_name attr, else its node name.
std::string VariableName(const Node& variable);

// VarHandleOp, ReadVariableOp, AssignVariableOp, AssignAdd/SubVariableOp, VarIsInitializedOp.
bool IsResourceVariableOp(const Node& n);

// Whether `n` declares a variable (VariableV2 or VarHandleOp); its value's dtype and declared
// (possibly partial) shape.
bool IsVariableNode(const Node& n);
DType VariableDType(const Node& variable);
Shape VariableShape(const Node& variable);

// Whether `n` is a state op that the runtime executes against a VariableStore.
bool IsStateOp(const Node& n);

// Runs a state op. `inputs` are its input values; the ref input of Assign may be invalid (the
// variable is being initialized). Errors name the variable: FailedPrecondition for reading an
// uninitialized one, InvalidArgument for a value whose shape or dtype does not fit it.
absl::StatusOr<std::vector<Tensor>> RunStateOp(const Node& n, const std::vector<Tensor>& inputs, VariableStore& store);

// "Attempting to use uninitialized value <name>" (FailedPrecondition), as TensorFlow says it.
absl::Status UninitializedError(const Node& variable);

}  // namespace strata
