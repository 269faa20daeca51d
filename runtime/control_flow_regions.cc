// Finding control-flow regions and collapsing each into one _ControlFlowRegion node (see
// control_flow_regions.h).
#include "runtime/control_flow_regions.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "graph/attr_value.h"
#include "graph/graph.h"
#include "graph/graph_def_io.h"
#include "graph/str_util.h"
#include "runtime/control_flow_tensor_arrays.h"
#include "runtime/run_request.h"

namespace strata {

namespace {

#define CF_RETURN_IF_ERROR(expr) \
  do {                           \
    absl::Status _st = (expr);   \
    if (!_st.ok()) return _st;   \
  } while (0)

bool IsEnter(const Node& n) { return n.op() == "Enter" || n.op() == "RefEnter"; }
bool IsExit(const Node& n) { return n.op() == "Exit" || n.op() == "RefExit"; }
bool IsSwitch(const Node& n) { return n.op() == "Switch" || n.op() == "RefSwitch"; }
bool IsMerge(const Node& n) { return n.op() == "Merge" || n.op() == "RefMerge"; }
bool IsNextIteration(const Node& n) { return n.op() == "NextIteration" || n.op() == "RefNextIteration"; }

bool IsControlFlowOp(std::string_view op) {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "Enter", "RefEnter", "Exit", "RefExit", "Switch", "RefSwitch", "Merge", "RefMerge",
      "NextIteration", "RefNextIteration", "LoopCond", "ControlTrigger"};
  return ops->contains(Absl(op));
}

bool IsHandle(DType t) { return BaseDType(t) == DT_RESOURCE || BaseDType(t) == DT_VARIANT; }

std::string InputName(const std::string& node, int index) { return index == 0 ? node : absl::StrCat(node, ":", index); }

// Guards: the Switch branches a top-level tensor depends on, as "pred tensor|branch", sorted.
using Guard = std::vector<std::string>;

Guard GuardUnion(const Guard& a, const Guard& b) {
  Guard out;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Guard GuardIntersection(const Guard& a, const Guard& b) {
  Guard out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

struct Consumer {
  Node* node;
  int input;  // -1: control edge
  int output;
};

class RegionFinder {
 public:
  explicit RegionFinder(const Graph& g) : g_(g) {}

  absl::Status Analyze() {
    absl::StatusOr<std::vector<Node*>> order = g_.TopologicalOrder();
    if (!order.ok()) return order.status();
    order_ = *std::move(order);
    for (const auto& n : g_.nodes()) {
      for (int k = 0; k < n->num_inputs(); ++k) {
        const Output& in = n->input(k);
        consumers_[in.node].push_back({n.get(), k, in.index});
      }
      for (Node* c : n->control_inputs()) consumers_[c].push_back({n.get(), -1, 0});
    }
    frames_.push_back({"", -1});
    CF_RETURN_IF_ERROR(AssignFrames());
    CF_RETURN_IF_ERROR(CheckLoops());
    ComputeGuards();
    return absl::OkStatus();
  }

  // Region nodes grouped into regions, each in graph order; regions ordered by first node.
  std::vector<std::vector<Node*>> Regions() {
    for (Node* n : order_) {
      if (frame_[n] != 0 || IsControlFlowOp(n->op()) || IsTensorArrayOrListOp(n->op()) || !guard_[n].empty()) {
        in_region_.insert(n);
      }
    }
    AddHandleNeighbours();
    for (Node* n : order_) {
      if (in_region_.contains(n)) parent_[n] = n;
    }
    for (Node* n : order_) {
      if (!in_region_.contains(n)) continue;
      for (const Output& in : n->inputs()) {
        if (in_region_.contains(in.node)) Union(n, in.node);
      }
      for (Node* c : n->control_inputs()) {
        if (in_region_.contains(c)) Union(n, c);
      }
    }
    MergeCycles();
    absl::flat_hash_map<Node*, int> region_of_root;
    std::vector<std::vector<Node*>> regions;
    for (const auto& node : g_.nodes()) {
      Node* n = node.get();
      if (!in_region_.contains(n)) continue;
      Node* root = Find(n);
      auto [it, inserted] = region_of_root.emplace(root, static_cast<int>(regions.size()));
      if (inserted) regions.emplace_back();
      regions[it->second].push_back(n);
    }
    return regions;
  }

  const std::vector<Consumer>& consumers(const Node* n) const {
    static const std::vector<Consumer> kNone;
    auto it = consumers_.find(n);
    return it == consumers_.end() ? kNone : it->second;
  }

  // Whether output k of n is a top-level tensor that is live whenever the region runs, so
  // that a caller may fetch it.
  bool IsFetchable(const Node* n, int k) const {
    if (IsSwitch(*n) || IsHandle(n->output_dtype(k))) return false;
    const int f = frame_.at(n);
    const bool top_level = (f == 0 && !IsEnter(*n)) || (IsExit(*n) && frames_[f].parent == 0);
    return top_level && OutGuard(n, k).empty();
  }

 private:
  struct Frame {
    std::string name;
    int parent;
  };

  std::string FrameDescription(int f) const {
    return f == 0 ? std::string("the top level") : absl::StrCat("while loop '", frames_[f].name, "'");
  }

  // The frame where n's outputs live.
  absl::StatusOr<int> OutputFrame(const Node* n) {
    const int f = frame_[n];
    if (IsEnter(*n)) {
      std::string name;
      if (absl::Status s = GetAttr(n->attrs(), "frame_name", &name); !s.ok()) return n->Annotate(s);
      auto [it, inserted] = child_frames_.emplace(std::make_pair(f, name), static_cast<int>(frames_.size()));
      if (inserted) frames_.push_back({name, f});
      return it->second;
    }
    if (IsExit(*n)) {
      if (f == 0) return n->Annotate(absl::InvalidArgumentError("Exit is not inside a while loop (no Enter node leads to it)"));
      return frames_[f].parent;
    }
    return f;
  }

  // A node runs in the frame of its inputs (TF's executor: Enter enters its frame_name, Exit
  // leaves to the parent); nodes without inputs are at the top level.
  absl::Status AssignFrames() {
    for (Node* n : order_) {
      int f = -1;
      const Node* from = nullptr;
      auto consider = [&](const Node* p) -> absl::Status {
        if (IsMerge(*n) && IsNextIteration(*p)) return absl::OkStatus();  // the back edge
        absl::StatusOr<int> pf = OutputFrame(p);
        if (!pf.ok()) return pf.status();
        if (f < 0) {
          f = *pf;
          from = p;
        } else if (*pf != f) {
          return n->Annotate(absl::InvalidArgumentError(absl::StrCat(
              "reads '", from->name(), "' of ", FrameDescription(f), " and '", p->name(), "' of ", FrameDescription(*pf),
              ": a node can only read tensors of its own frame (Enter brings a value into a loop, Exit out of it)")));
        }
        return absl::OkStatus();
      };
      for (const Output& in : n->inputs()) CF_RETURN_IF_ERROR(consider(in.node));
      for (const Node* c : n->control_inputs()) CF_RETURN_IF_ERROR(consider(c));
      frame_[n] = std::max(f, 0);
    }
    return absl::OkStatus();
  }

  absl::Status CheckLoops() {
    for (Node* n : order_) {
      const bool in_loop = frame_[n] != 0;
      if ((IsExit(*n) || IsNextIteration(*n) || n->op() == "LoopCond") && !in_loop) {
        return n->Annotate(absl::InvalidArgumentError("is not inside a while loop (no Enter node leads to it)"));
      }
      if (!IsNextIteration(*n)) continue;
      const std::vector<Consumer>& cs = consumers(n);
      if (cs.empty()) {
        return n->Annotate(absl::InvalidArgumentError(
            "must feed a Merge node (the loop's back edge), but nothing reads it"));
      }
      for (const Consumer& c : cs) {
        if (!IsMerge(*c.node) || c.input < 0) {
          return n->Annotate(absl::InvalidArgumentError(absl::StrCat(
              "must feed a Merge node (the loop's back edge), but '", c.node->name(), "' (", c.node->op(), ") reads it")));
        }
        if (frame_[c.node] != frame_[n]) {
          return n->Annotate(absl::InvalidArgumentError(absl::StrCat(
              "feeds Merge '", c.node->name(), "' of ", FrameDescription(frame_[c.node]), " but runs in ",
              FrameDescription(frame_[n]))));
        }
      }
    }
    return absl::OkStatus();
  }

  Guard OutGuard(const Node* p, int port) const {
    const int f = frame_.at(p);
    if (f != 0) {
      if (!IsExit(*p) || frames_[f].parent != 0) return {};
      auto it = frame_guard_.find(f);
      return it == frame_guard_.end() ? Guard{} : it->second;
    }
    auto it = guard_.find(p);
    Guard g = it == guard_.end() ? Guard{} : it->second;
    if (IsSwitch(*p)) g = GuardUnion(g, {absl::StrCat(CanonicalTensorName(p->input(1)), "|", port)});
    return g;
  }

  // Which Switch branches each top-level node depends on: everything after a Switch output
  // may be dead; a Merge is live when any input is (it keeps the branches its inputs share).
  void ComputeGuards() {
    for (Node* n : order_) {
      if (frame_[n] != 0) continue;
      Guard g;
      if (IsMerge(*n)) {
        bool first = true;
        for (const Output& in : n->inputs()) {
          Guard ig = OutGuard(in.node, in.index);
          g = first ? ig : GuardIntersection(g, ig);
          first = false;
        }
      } else {
        for (const Output& in : n->inputs()) g = GuardUnion(g, OutGuard(in.node, in.index));
      }
      for (const Node* c : n->control_inputs()) g = GuardUnion(g, OutGuard(c, 0));
      guard_[n] = g;
      if (IsEnter(*n)) {
        absl::StatusOr<int> child = OutputFrame(n);
        if (child.ok()) frame_guard_[*child] = GuardUnion(frame_guard_[*child], g);
      }
    }
  }

  // TensorArray handles and TensorLists stay inside regions: stateless nodes that pass them on
  // join the region they touch.
  void AddHandleNeighbours() {
    std::vector<Node*> work(in_region_.begin(), in_region_.end());
    auto can_join = [](const Node* n) {
      return IsTensorArrayOrListOp(n->op()) || (!n->IsStateful() && n->op() != "Placeholder");
    };
    while (!work.empty()) {
      Node* n = work.back();
      work.pop_back();
      for (const Output& in : n->inputs()) {
        if (IsHandle(in.dtype()) && !in_region_.contains(in.node) && can_join(in.node)) {
          in_region_.insert(in.node);
          work.push_back(in.node);
        }
      }
      for (const Consumer& c : consumers(n)) {
        if (c.input >= 0 && IsHandle(n->output_dtype(c.output)) && !in_region_.contains(c.node) && can_join(c.node)) {
          in_region_.insert(c.node);
          work.push_back(c.node);
        }
      }
    }
  }

  Node* Find(Node* n) {
    while (parent_[n] != n) n = parent_[n] = parent_[parent_[n]];
    return n;
  }
  void Union(Node* a, Node* b) { parent_[Find(a)] = Find(b); }

  // A node outside the regions that is both after and before a region (on a cycle of the
  // graph of regions and nodes) joins it, and regions on one cycle become one.
  void MergeCycles() {
    auto super = [&](Node* n) { return in_region_.contains(n) ? Find(n) : n; };
    absl::flat_hash_map<Node*, std::vector<Node*>> succ;
    std::vector<Node*> vertices;
    absl::flat_hash_set<Node*> seen;
    for (Node* n : order_) {
      Node* s = super(n);
      if (seen.insert(s).second) vertices.push_back(s);
      auto add = [&](Node* p) {
        if (IsMerge(*n) && IsNextIteration(*p)) return;
        Node* sp = super(p);
        if (sp != s) succ[sp].push_back(s);
      };
      for (const Output& in : n->inputs()) add(in.node);
      for (Node* c : n->control_inputs()) add(c);
    }
    // Tarjan's strongly connected components, iteratively.
    absl::flat_hash_map<Node*, int> index, low;
    absl::flat_hash_set<Node*> on_stack;
    std::vector<Node*> stack;
    int next_index = 0;
    for (Node* v0 : vertices) {
      if (index.contains(v0)) continue;
      std::vector<std::pair<Node*, size_t>> call{{v0, 0}};
      index[v0] = low[v0] = next_index++;
      stack.push_back(v0);
      on_stack.insert(v0);
      while (!call.empty()) {
        auto& [v, i] = call.back();
        const std::vector<Node*>& out = succ[v];
        if (i < out.size()) {
          Node* w = out[i++];
          if (!index.contains(w)) {
            index[w] = low[w] = next_index++;
            stack.push_back(w);
            on_stack.insert(w);
            call.push_back({w, 0});
          } else if (on_stack.contains(w)) {
            low[v] = std::min(low[v], index[w]);
          }
          continue;
        }
        if (low[v] == index[v]) {
          std::vector<Node*> scc;
          Node* w;
          do {
            w = stack.back();
            stack.pop_back();
            on_stack.erase(w);
            scc.push_back(w);
          } while (w != v);
          if (scc.size() > 1) JoinScc(scc);
        }
        Node* done = v;
        call.pop_back();
        if (!call.empty()) low[call.back().first] = std::min(low[call.back().first], low[done]);
      }
    }
  }

  void JoinScc(const std::vector<Node*>& scc) {
    for (Node* s : scc) {
      if (!in_region_.contains(s)) {
        in_region_.insert(s);
        parent_[s] = s;
      }
    }
    for (size_t k = 1; k < scc.size(); ++k) Union(scc[k], scc[0]);
  }

  const Graph& g_;
  std::vector<Node*> order_;
  absl::flat_hash_map<const Node*, std::vector<Consumer>> consumers_;
  std::vector<Frame> frames_;
  absl::flat_hash_map<std::pair<int, std::string>, int> child_frames_;
  absl::flat_hash_map<const Node*, int> frame_;
  absl::flat_hash_map<const Node*, Guard> guard_;
  absl::flat_hash_map<int, Guard> frame_guard_;
  absl::flat_hash_set<Node*> in_region_;
  absl::flat_hash_map<Node*, Node*> parent_;  // union-find over region nodes
};

// Names new nodes so that they collide with nothing in the graph or made before.
class NameSet {
 public:
  explicit NameSet(const tf::GraphDef& def) {
    for (const tf::NodeDef& n : def.node()) used_.insert(n.name());
  }
  std::string Make(const std::string& base) {
    std::string name = base;
    for (int k = 1; used_.contains(name); ++k) name = absl::StrCat(base, "_", k);
    used_.insert(name);
    return name;
  }

 private:
  absl::flat_hash_set<std::string> used_;
};

// "a/b/c" and "a/b/d/e" -> "a/b/".
std::string CommonScope(const std::vector<Node*>& nodes) {
  std::string prefix = nodes.front()->name();
  for (const Node* n : nodes) {
    size_t k = 0;
    while (k < prefix.size() && k < n->name().size() && prefix[k] == n->name()[k]) ++k;
    prefix.resize(k);
  }
  const size_t slash = prefix.rfind('/');
  return slash == std::string::npos ? std::string() : prefix.substr(0, slash + 1);
}

struct Collapsed {
  tf::NodeDef region;
  std::vector<tf::NodeDef> aliases;
  // For consumers outside: tensor "n:k" -> the region output that replaces it; nodes that
  // kept their name (aliases) need no rewrite.
  absl::flat_hash_map<std::string, std::string> rewired;
  absl::flat_hash_set<std::string> aliased;
};

absl::StatusOr<Collapsed> Collapse(const std::vector<Node*>& nodes, const RegionFinder& finder,
                                   const absl::flat_hash_map<std::string, const tf::NodeDef*>& node_defs,
                                   const tf::GraphDef& def, NameSet& names) {
  const absl::flat_hash_set<const Node*> in(nodes.begin(), nodes.end());
  Collapsed c;
  const std::string region_name = names.Make(absl::StrCat(CommonScope(nodes), "control_flow_region"));

  // Inputs: what the region's nodes read from outside.
  std::vector<Output> inputs;
  absl::flat_hash_map<std::string, int> input_index;
  std::vector<std::string> control_deps;
  absl::flat_hash_set<std::string> control_seen;
  for (Node* n : nodes) {
    for (const Output& o : n->inputs()) {
      if (in.contains(o.node)) continue;
      if (IsHandle(o.dtype())) {
        return n->Annotate(absl::UnimplementedError(absl::StrCat(
            "reads the resource or variant tensor '", o.name(), "' (", o.node->op(),
            ") inside control flow; only TensorArray and TensorList handles made in the same region are supported")));
      }
      if (input_index.emplace(CanonicalTensorName(o), static_cast<int>(inputs.size())).second) inputs.push_back(o);
    }
    for (const Node* ctl : n->control_inputs()) {
      if (!in.contains(ctl) && control_seen.insert(ctl->name()).second) control_deps.push_back(ctl->name());
    }
  }

  // Outputs: what outside nodes read, and every top-level tensor (what a caller may fetch). A
  // node whose outputs are all plain tensors returns all of them, so that an alias can take
  // its name.
  std::vector<Output> outputs;
  std::vector<Node*> aliased_nodes;
  for (Node* n : nodes) {
    std::vector<bool> exposed(n->num_outputs(), false);
    bool any = false, all_plain = !IsSwitch(*n);
    for (int k = 0; k < n->num_outputs(); ++k) {
      all_plain &= !IsHandle(n->output_dtype(k));
      bool read_outside = false;
      for (const Consumer& u : finder.consumers(n)) {
        if (u.input < 0 || u.output != k || in.contains(u.node)) continue;
        read_outside = true;
        if (IsHandle(n->output_dtype(k))) {
          return n->Annotate(absl::UnimplementedError(absl::StrCat(
              "its TensorArray/TensorList handle output ", k, " is read by '", u.node->name(), "' (", u.node->op(),
              "), which cannot run inside a control-flow region")));
        }
      }
      exposed[k] = read_outside || finder.IsFetchable(n, k);
      any |= exposed[k];
    }
    if (!any) continue;
    if (all_plain) aliased_nodes.push_back(n);
    for (int k = 0; k < n->num_outputs(); ++k) {
      if (exposed[k] || all_plain) outputs.push_back(Output(n, k));
    }
  }

  // The body: the region's nodes, and a Placeholder per input.
  tf::GraphDef body;
  *body.mutable_versions() = def.versions();
  absl::flat_hash_set<std::string> body_names;
  for (const Node* n : nodes) body_names.insert(n->name());
  std::vector<std::string> input_names;
  for (size_t k = 0; k < inputs.size(); ++k) {
    std::string name = absl::StrCat(region_name, "/input_", k);
    while (body_names.contains(name)) name += "_";
    body_names.insert(name);
    tf::NodeDef* p = body.add_node();
    p->set_name(name);
    p->set_op("Placeholder");
    (*p->mutable_attr())["dtype"] = MakeAttr(BaseDType(inputs[k].dtype()));
    input_names.push_back(name);
  }
  for (const Node* n : nodes) {
    tf::NodeDef* nd = body.add_node();
    *nd = *node_defs.at(n->name());
    nd->clear_input();
    for (const Output& o : n->inputs()) {
      nd->add_input(in.contains(o.node) ? InputName(o.node->name(), o.index)
                                        : input_names[input_index.at(CanonicalTensorName(o))]);
    }
    for (const Node* ctl : n->control_inputs()) {
      if (in.contains(ctl)) nd->add_input(absl::StrCat("^", ctl->name()));
    }
  }

  // The region node.
  tf::NodeDef& r = c.region;
  r.set_name(region_name);
  r.set_op(kControlFlowRegionOp);
  std::vector<DType> tin, tout;
  for (const Output& o : inputs) {
    r.add_input(InputName(o.node->name(), o.index));
    tin.push_back(BaseDType(o.dtype()));
  }
  for (const std::string& ctl : control_deps) r.add_input(absl::StrCat("^", ctl));
  std::vector<std::string> output_names;
  std::vector<Shape> output_shapes;
  for (const Output& o : outputs) {
    tout.push_back(BaseDType(o.dtype()));
    output_names.push_back(InputName(o.node->name(), o.index));
    output_shapes.push_back(o.shape());
  }
  auto& attrs = *r.mutable_attr();
  attrs["Tin"] = MakeAttr(tin);
  attrs["Tout"] = MakeAttr(tout);
  attrs["body"] = MakeAttr(body.SerializeAsString());
  attrs["input_names"] = MakeAttr(input_names);
  attrs["output_names"] = MakeAttr(output_names);
  attrs["output_shapes"] = MakeAttr(output_shapes);

  // Nodes whose outputs all leave keep their name (an Identity or IdentityN of the region's
  // outputs); the other exposed outputs are rewired.
  absl::flat_hash_set<const Node*> aliased(aliased_nodes.begin(), aliased_nodes.end());
  for (size_t k = 0; k < outputs.size(); ++k) {
    if (!aliased.contains(outputs[k].node)) {
      c.rewired[CanonicalTensorName(outputs[k])] = InputName(region_name, static_cast<int>(k));
    }
  }
  for (size_t k = 0; k < outputs.size();) {
    const Node* n = outputs[k].node;
    if (!aliased.contains(n)) {
      ++k;
      continue;
    }
    tf::NodeDef alias;
    alias.set_name(n->name());
    alias.set_op(n->num_outputs() == 1 ? "Identity" : "IdentityN");
    std::vector<DType> types;
    for (int j = 0; j < n->num_outputs(); ++j, ++k) {
      alias.add_input(InputName(region_name, static_cast<int>(k)));
      types.push_back(BaseDType(n->output_dtype(j)));
    }
    if (n->num_outputs() == 1) {
      (*alias.mutable_attr())["T"] = MakeAttr(types[0]);
    } else {
      (*alias.mutable_attr())["T"] = MakeAttr(types);
    }
    c.aliases.push_back(std::move(alias));
    c.aliased.insert(n->name());
  }
  return c;
}

}  // namespace

absl::StatusOr<int> CollapseControlFlowRegions(tf::GraphDef* def, const OpRegistry& registry) {
  bool any = false;
  for (const tf::NodeDef& n : def->node()) any |= IsControlFlowOp(n.op()) || IsTensorArrayOrListOp(n.op());
  if (!any) return 0;

  ImportOptions import;
  import.registry = &registry;
  import.infer_shapes = true;  // the region's outputs keep the shapes inferred for them
  absl::StatusOr<std::unique_ptr<Graph>> graph = GraphFromGraphDef(*def, import);
  if (!graph.ok()) return graph.status();
  RegionFinder finder(**graph);
  CF_RETURN_IF_ERROR(finder.Analyze());
  const std::vector<std::vector<Node*>> regions = finder.Regions();
  if (regions.empty()) return 0;
  if (registry.Find(kControlFlowRegionOp) == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("the graph has control flow, but op ", kControlFlowRegionOp,
                                                      " is missing from the op registry"));
  }

  absl::flat_hash_map<std::string, const tf::NodeDef*> node_defs;
  for (const tf::NodeDef& n : def->node()) node_defs[n.name()] = &n;
  NameSet names(*def);
  std::vector<Collapsed> collapsed;
  absl::flat_hash_map<std::string, int> region_of;  // node name -> region
  for (size_t i = 0; i < regions.size(); ++i) {
    absl::StatusOr<Collapsed> c = Collapse(regions[i], finder, node_defs, *def, names);
    if (!c.ok()) return c.status();
    collapsed.push_back(*std::move(c));
    for (const Node* n : regions[i]) region_of[n->name()] = static_cast<int>(i);
  }

  tf::GraphDef out;
  *out.mutable_versions() = def->versions();
  *out.mutable_library() = def->library();
  std::vector<bool> emitted(collapsed.size(), false);
  for (const tf::NodeDef& nd : def->node()) {
    auto r = region_of.find(nd.name());
    if (r != region_of.end()) {
      if (!emitted[r->second]) {
        emitted[r->second] = true;
        *out.add_node() = collapsed[r->second].region;
        for (const tf::NodeDef& alias : collapsed[r->second].aliases) *out.add_node() = alias;
      }
      continue;
    }
    tf::NodeDef* copy = out.add_node();
    *copy = nd;
    copy->clear_input();
    absl::flat_hash_set<std::string> controls;
    for (const std::string& input : nd.input()) {
      absl::StatusOr<TensorName> t = ParseTensorName(input);
      if (!t.ok()) return t.status();
      auto src = region_of.find(t->node);
      std::string rewritten = input;
      if (src != region_of.end() && !collapsed[src->second].aliased.contains(t->node)) {
        const Collapsed& c = collapsed[src->second];
        if (t->is_control) {
          rewritten = absl::StrCat("^", c.region.name());
        } else {
          auto it = c.rewired.find(absl::StrCat(t->node, ":", t->index));
          if (it == c.rewired.end()) {
            return absl::InternalError(absl::StrCat("control-flow region: '", input, "' read by '", nd.name(), "' is not exposed"));
          }
          rewritten = it->second;
        }
      }
      if (!rewritten.empty() && rewritten[0] == '^' && !controls.insert(rewritten).second) continue;
      copy->add_input(rewritten);
    }
  }
  *def = std::move(out);
  return static_cast<int>(regions.size());
}

#undef CF_RETURN_IF_ERROR

}  // namespace strata
