// Scope: where the builder API puts new nodes, in the style of tensorflow/cc.
//
// A root scope owns a Graph, a Status and a table of used names; every scope derived from it
// (NewSubScope, WithOpName, WithControlDependencies, WithDevice) shares those three and adds
// its own name prefix, op name, control dependencies and device. Scopes are cheap values.
//
// Errors accumulate instead of throwing: the first failed op construction records its error
// in the shared Status, and from then on every op built in any scope of that graph is a
// no-op that returns invalid Outputs. Check scope.ok() / scope.status() once at the end.
// Like TensorFlow's, a Scope and its graph are built from one thread at a time.
//
//   Scope root = Scope::NewRootScope();
//   Scope layer = root.NewSubScope("layer");          // names start with "layer/"
//   auto y = ops::MatMul(layer.WithOpName("mm"), x, w);  // node "layer/mm"
//   if (!root.ok()) return root.status();
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "graph/graph.h"
#include "graph/graph_def_io.h"
#include "proto/graph.pb.h"

namespace strata {

class Operation;

class Scope {
 public:
  // A fresh graph (using the global op registry), an OK status and no names in use.
  static Scope NewRootScope();

  // Names created in the child are prefixed with "<this prefix>/<name>"; `name` is made
  // unique among the names used at this level ("layer", "layer_1", ...). An empty name gives
  // a scope with the same prefix.
  Scope NewSubScope(std::string_view name) const;

  // The next op built in the returned scope is named `name` (under this scope's prefix),
  // made unique if it is taken. Fragments are concatenated: WithOpName("layer", 3).
  template <typename... Fragments>
  Scope WithOpName(const Fragments&... fragments) const {
    return WithOpNameImpl(absl::StrCat(AsAlphaNum(fragments)...));
  }

  // Ops built in the returned scope get control inputs on these ops, in addition to the
  // ones this scope already has.
  Scope WithControlDependencies(const std::vector<Operation>& control_deps) const;
  Scope WithControlDependencies(const Output& control_dep) const;
  // Ops built in the returned scope get no control inputs from the scope.
  Scope WithNoControlDependencies() const;

  // Ops built in the returned scope are placed on `device` ("/device:GPU:0", ...).
  Scope WithDevice(std::string_view device) const;

  bool ok() const { return state_->status.ok(); }
  absl::Status status() const { return state_->status; }
  // Records `s` if no error has been recorded yet; the first error wins.
  void UpdateStatus(const absl::Status& s) const;

  Graph* graph() const { return state_->graph.get(); }
  std::shared_ptr<Graph> graph_as_shared_ptr() const { return state_->graph; }

  // The name the next op built here gets: this scope's op name (WithOpName) if set, else
  // `default_name`, prefixed with the scope's prefix and made unique in the graph:
  // "MatMul", "MatMul_1", ... Each call reserves the returned name.
  std::string GetUniqueNameForOp(std::string_view default_name) const;

  // The op name set by WithOpName (without the prefix); empty if none.
  const std::string& op_name() const { return op_name_; }
  // The scope's name prefix ("outer/inner"; empty at the root).
  const std::string& name() const { return prefix_; }
  const std::string& device() const { return device_; }
  const std::vector<Node*>& control_deps() const { return control_deps_; }

  // Named lists of nodes shared by every scope of this root, like TF's graph collections
  // (frontends/cc/training.h keeps "variables", "trainable_variables", "initializers" here).
  void AddToCollection(std::string_view key, Node* node) const;
  const std::vector<Node*>& GetCollection(std::string_view key) const;

  // The graph as a GraphDef; the recorded error if any op construction failed.
  absl::Status ToGraphDef(tf::GraphDef* def, const ExportOptions& options = {}) const;

 private:
  // What every scope derived from one root shares.
  struct State {
    std::shared_ptr<Graph> graph;
    absl::Status status;
    // Full names handed out (op names and sub-scope names) -> last suffix tried.
    absl::flat_hash_map<std::string, int> used_names;
    absl::flat_hash_map<std::string, std::vector<Node*>> collections;
  };

  // abseil here has its own string_view type; let std::string_view fragments through.
  template <typename T>
  static const T& AsAlphaNum(const T& v) {
    return v;
  }
  static absl::string_view AsAlphaNum(std::string_view v) { return absl::string_view(v.data(), v.size()); }

  explicit Scope(std::shared_ptr<State> state) : state_(std::move(state)) {}
  Scope WithOpNameImpl(std::string op_name) const;
  // `full_name` if neither handed out nor a node of the graph, else full_name_1, _2, ...
  std::string UniqueName(const std::string& full_name) const;
  std::string Qualified(std::string_view name) const;

  std::shared_ptr<State> state_;
  std::string prefix_;
  std::string op_name_;
  std::vector<Node*> control_deps_;
  std::string device_;
};

}  // namespace strata
