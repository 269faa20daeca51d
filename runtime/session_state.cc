// Session: checkpoints and freezing (the variable side of session.h).
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "graph/attr_value.h"
#include "ops/state_ops.h"
#include "runtime/checkpoint.h"
#include "runtime/session.h"

namespace strata {

absl::Status Session::Save(const std::string& path, const std::vector<std::string>& names) const {
  if (!init_status_.ok()) return init_status_;
  return SaveCheckpoint(variables_, path, names);
}

absl::Status Session::Restore(const std::string& path, const std::vector<std::string>& names) {
  if (!init_status_.ok()) return init_status_;
  return RestoreCheckpoint(*graph_, variables_, path, names);
}

absl::StatusOr<tf::GraphDef> Session::Freeze(const std::vector<std::string>& outputs) const {
  if (!init_status_.ok()) return init_status_;
  absl::flat_hash_map<std::string, const tf::NodeDef*> by_name;
  for (const tf::NodeDef& n : graph_def_.node()) by_name[n.name()] = &n;
  // The nodes the outputs need, through data and control inputs.
  auto node_of = [](std::string_view input) {
    if (!input.empty() && input[0] == '^') input.remove_prefix(1);
    return std::string(input.substr(0, input.find(':')));
  };
  absl::flat_hash_set<std::string> needed;
  std::vector<std::string> stack;
  for (const std::string& o : outputs) {
    const std::string name = node_of(o);
    if (!by_name.contains(name)) return absl::NotFoundError(absl::StrCat("Freeze: no node named '", name, "'"));
    stack.push_back(name);
  }
  while (!stack.empty()) {
    std::string name = std::move(stack.back());
    stack.pop_back();
    if (!needed.insert(name).second) continue;
    auto it = by_name.find(name);
    if (it == by_name.end()) return absl::InternalError(absl::StrCat("Freeze: dangling input '", name, "'"));
    const std::string& op = it->second->op();
    if (op == "Assign" || op == "AssignAdd" || op == "AssignSub" || op == "AssignVariableOp" ||
        op == "AssignAddVariableOp" || op == "AssignSubVariableOp") {
      return absl::InvalidArgumentError(absl::StrCat("Freeze: the outputs depend on node '", name, "' (", op,
                                                     "), which updates a variable; freeze inference outputs only"));
    }
    if (op == "ReadVariableOp") continue;  // becomes a Const: the handle is not needed
    for (const std::string& in : it->second->input()) stack.push_back(node_of(in));
  }
  tf::GraphDef frozen;
  *frozen.mutable_versions() = graph_def_.versions();
  *frozen.mutable_library() = graph_def_.library();
  for (const tf::NodeDef& n : graph_def_.node()) {
    if (!needed.contains(n.name())) continue;
    if (n.op() == "VarHandleOp") {
      return absl::InvalidArgumentError(absl::StrCat("Freeze: the outputs use resource handle '", n.name(),
                                                     "' other than through ReadVariableOp"));
    }
    if (n.op() != "VariableV2" && n.op() != "ReadVariableOp") {
      *frozen.add_node() = n;
      continue;
    }
    const Node* node = graph_->FindNode(n.name());
    if (node == nullptr) return absl::InternalError(absl::StrCat("Freeze: node '", n.name(), "' is not in the graph"));
    const Node* var = node;
    if (n.op() == "ReadVariableOp") {
      var = VarHandleSource(*node);
      if (var == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat("Freeze: '", n.name(), "' does not read a VarHandleOp"));
      }
    }
    const Tensor value = variables_.Get(VariableName(*var));
    if (!value.valid()) return UninitializedError(*var);
    if (absl::Status s = value.SyncToHost(); !s.ok()) return s;  // a GPU training step left it there
    tf::NodeDef* c = frozen.add_node();
    c->set_name(n.name());
    // Control inputs of the read (it ran after them) carry over; they are in `needed` only
    // if reachable, so keep just those.
    for (const std::string& in : n.input()) {
      if (!in.empty() && in[0] == '^' && needed.contains(node_of(in))) c->add_input(in);
    }
    c->set_op("Const");
    (*c->mutable_attr())["dtype"] = MakeAttr(value.dtype());
    (*c->mutable_attr())["value"] = MakeAttr(value);
  }
  return frozen;
}

}  // namespace strata
