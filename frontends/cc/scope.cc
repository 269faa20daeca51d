#include "frontends/cc/scope.h"

#include <utility>

#include "frontends/cc/ops_base.h"
#include "graph/str_util.h"

namespace strata {

Scope Scope::NewRootScope() {
  auto state = std::make_shared<State>();
  state->graph = std::make_shared<Graph>();
  return Scope(std::move(state));
}

std::string Scope::Qualified(std::string_view name) const {
  if (prefix_.empty()) return std::string(name);
  if (name.empty()) return prefix_;
  return absl::StrCat(prefix_, "/", Absl(name));
}

std::string Scope::UniqueName(const std::string& full_name) const {
  auto& used = state_->used_names;
  const Graph& graph = *state_->graph;
  auto taken = [&](const std::string& name) {
    return used.contains(name) || graph.FindNode(name) != nullptr;
  };
  if (!taken(full_name)) {
    used.emplace(full_name, 0);
    return full_name;
  }
  // The counter lives on the base name, so MatMul, MatMul_1, MatMul_2 are found in O(1) each.
  int& counter = used[full_name];
  std::string candidate;
  do {
    candidate = absl::StrCat(full_name, "_", ++counter);
  } while (taken(candidate));
  used.emplace(candidate, 0);
  return candidate;
}

Scope Scope::NewSubScope(std::string_view name) const {
  Scope child = *this;
  child.op_name_.clear();
  if (!name.empty()) child.prefix_ = UniqueName(Qualified(name));
  return child;
}

Scope Scope::WithOpNameImpl(std::string op_name) const {
  Scope child = *this;
  child.op_name_ = std::move(op_name);
  return child;
}

Scope Scope::WithControlDependencies(const std::vector<Operation>& control_deps) const {
  Scope child = *this;
  for (const Operation& op : control_deps) {
    Node* node = op.node();
    if (node == nullptr) {
      // A dependency on a failed op: the failure is already recorded when it came from this
      // graph; otherwise say what happened.
      UpdateStatus(absl::InvalidArgumentError(
          "WithControlDependencies: an invalid Operation (from a failed op construction) was "
          "given as a control dependency"));
      continue;
    }
    bool seen = false;
    for (Node* existing : child.control_deps_) seen = seen || existing == node;
    if (!seen) child.control_deps_.push_back(node);
  }
  return child;
}

Scope Scope::WithControlDependencies(const Output& control_dep) const {
  return WithControlDependencies(std::vector<Operation>{Operation(control_dep.node)});
}

Scope Scope::WithNoControlDependencies() const {
  Scope child = *this;
  child.control_deps_.clear();
  return child;
}

Scope Scope::WithDevice(std::string_view device) const {
  Scope child = *this;
  child.device_ = std::string(device);
  return child;
}

void Scope::UpdateStatus(const absl::Status& s) const {
  if (state_->status.ok() && !s.ok()) state_->status = s;
}

std::string Scope::GetUniqueNameForOp(std::string_view default_name) const {
  return UniqueName(Qualified(op_name_.empty() ? default_name : std::string_view(op_name_)));
}

absl::Status Scope::ToGraphDef(tf::GraphDef* def, const ExportOptions& options) const {
  if (!ok()) return status();
  if (def == nullptr) return absl::InvalidArgumentError("ToGraphDef: null GraphDef");
  *def = GraphToGraphDef(*state_->graph, options);
  return absl::OkStatus();
}

void Scope::AddToCollection(std::string_view key, Node* node) const {
  state_->collections[std::string(key)].push_back(node);
}

const std::vector<Node*>& Scope::GetCollection(std::string_view key) const {
  static const std::vector<Node*>* const kEmpty = new std::vector<Node*>();
  auto it = state_->collections.find(std::string(key));
  return it == state_->collections.end() ? *kEmpty : it->second;
}

}  // namespace strata
