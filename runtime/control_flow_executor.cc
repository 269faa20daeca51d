// The control-flow dataflow executor (see control_flow_executor.h).
#include "runtime/control_flow_executor.h"

#include <atomic>
#include <cstdlib>
#include <deque>
#include <map>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "graph/attr_value.h"
#include "graph/graph_def_io.h"
#include "graph/shape_inference.h"
#include "runtime/control_flow_tensor_arrays.h"
#include "runtime/reference/evaluator.h"

namespace strata {

namespace {

constexpr int64_t kDefaultMaxLoopIterations = 10'000'000;
std::atomic<int64_t> g_max_loop_iterations{0};  // 0: not set, use the default

int64_t DefaultMaxLoopIterations() {
  static const int64_t value = [] {
    const char* env = std::getenv("STRATA_MAX_LOOP_ITERATIONS");
    if (env == nullptr) return kDefaultMaxLoopIterations;
    char* end = nullptr;
    const long long v = std::strtoll(env, &end, 10);
    return (end != env && *end == '\0' && v > 0) ? static_cast<int64_t>(v) : kDefaultMaxLoopIterations;
  }();
  return value;
}

}  // namespace

int64_t MaxLoopIterations() {
  const int64_t v = g_max_loop_iterations.load(std::memory_order_relaxed);
  return v > 0 ? v : DefaultMaxLoopIterations();
}

void SetMaxLoopIterations(int64_t limit) { g_max_loop_iterations.store(limit > 0 ? limit : 0, std::memory_order_relaxed); }

struct ControlFlowProgram::Item {
  enum class Kind { kOp, kNoOp, kInput, kConst, kIdentity, kEnter, kExit, kNextIteration, kMerge, kSwitch, kLoopCond, kContainer };
  Kind kind = Kind::kOp;
  std::string frame_name;  // Enter
  bool is_constant_enter = false;
  bool is_control_trigger = false;  // runs even when dead (TF's ControlTrigger)
  int num_data_inputs = 0;
  int num_control_inputs = 0;
  int num_outputs = 0;
  int input_base = 0;  // first slot in IterationState::inputs
  int initial_pending = 0;
  // Out edges: (destination item, destination slot or -1 for a control edge, source output).
  struct Edge {
    int dst;
    int dst_slot;
    int src_output;
  };
  std::vector<Edge> out_edges;
  Tensor const_value;  // kConst
};

namespace {

using Item = ControlFlowProgram::Item;
using Kind = Item::Kind;

Kind KindOf(const Node& n) {
  const std::string& op = n.op();
  if (op == "Enter" || op == "RefEnter") return Kind::kEnter;
  if (op == "Exit" || op == "RefExit") return Kind::kExit;
  if (op == "NextIteration" || op == "RefNextIteration") return Kind::kNextIteration;
  if (op == "Merge" || op == "RefMerge") return Kind::kMerge;
  if (op == "Switch" || op == "RefSwitch") return Kind::kSwitch;
  if (op == "LoopCond") return Kind::kLoopCond;
  if (op == "Identity" || op == "StopGradient" || op == "Snapshot" || op == "IdentityN") return Kind::kIdentity;
  if (op == "Const") return Kind::kConst;
  if (op == "NoOp" || op == "ControlTrigger") return Kind::kNoOp;
  if (IsTensorArrayOrListOp(op)) return Kind::kContainer;
  return Kind::kOp;
}

}  // namespace

ControlFlowProgram::~ControlFlowProgram() = default;

absl::StatusOr<std::unique_ptr<ControlFlowProgram>> ControlFlowProgram::Create(const tf::GraphDef& body,
                                                                               const std::vector<std::string>& input_names,
                                                                               const std::vector<std::string>& output_names,
                                                                               const OpRegistry* registry) {
  std::unique_ptr<ControlFlowProgram> p(new ControlFlowProgram());
  p->body_ = body;
  p->registry_ = registry;
  ImportOptions import;
  import.infer_shapes = false;
  import.registry = registry;
  absl::StatusOr<std::unique_ptr<Graph>> graph = GraphFromGraphDef(body, import);
  if (!graph.ok()) return graph.status();
  p->graph_ = *std::move(graph);
  const auto& nodes = p->graph_->nodes();
  absl::flat_hash_map<const Node*, int> index;
  for (size_t i = 0; i < nodes.size(); ++i) index[nodes[i].get()] = static_cast<int>(i);
  p->items_.resize(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = *nodes[i];
    Item& item = p->items_[i];
    item.kind = KindOf(n);
    item.is_control_trigger = n.op() == "ControlTrigger";
    item.num_data_inputs = n.num_inputs();
    item.num_control_inputs = static_cast<int>(n.control_inputs().size());
    item.num_outputs = n.num_outputs();
    item.input_base = p->total_inputs_;
    p->total_inputs_ += n.num_inputs();
    // A Merge waits for all control inputs and one live data input (the low bit), as in TF.
    item.initial_pending = item.kind == Kind::kMerge ? 1 + 2 * item.num_control_inputs
                                                     : item.num_data_inputs + item.num_control_inputs;
    if (item.kind == Kind::kEnter) {
      absl::Status s = GetAttr(n.attrs(), "frame_name", &item.frame_name);
      if (s.ok()) s = GetAttr(n.attrs(), "is_constant", &item.is_constant_enter);
      if (!s.ok()) return n.Annotate(s);
    }
    if (item.kind == Kind::kConst) {
      if (absl::Status s = GetAttr(n.attrs(), "value", &item.const_value); !s.ok()) return n.Annotate(s);
    }
    for (int k = 0; k < n.num_inputs(); ++k) {
      const Output& in = n.input(k);
      p->items_[index[in.node]].out_edges.push_back({static_cast<int>(i), k, in.index});
    }
    for (const Node* c : n.control_inputs()) p->items_[index[c]].out_edges.push_back({static_cast<int>(i), -1, 0});
  }
  for (const std::string& name : input_names) {
    const Node* n = p->graph_->FindNode(name);
    if (n == nullptr || n->op() != "Placeholder") {
      return absl::InvalidArgumentError(absl::StrCat("control-flow region: input '", name, "' is not a Placeholder of the body"));
    }
    p->input_items_.push_back(index[n]);
    p->items_[index[n]].kind = Kind::kInput;
  }
  for (const std::string& name : output_names) {
    absl::StatusOr<Output> o = p->graph_->FindOutput(name);
    if (!o.ok()) return absl::InvalidArgumentError(absl::StrCat("control-flow region: output '", name, "': ", o.status().message()));
    p->outputs_.emplace_back(index[o->node], o->index);
  }
  return p;
}

absl::StatusOr<std::unique_ptr<Graph>> ControlFlowProgram::AcquireGraph() const {
  {
    absl::MutexLock lock(&pool_mu_);
    if (!spare_graphs_.empty()) {
      std::unique_ptr<Graph> g = std::move(spare_graphs_.back());
      spare_graphs_.pop_back();
      return g;
    }
  }
  ImportOptions import;
  import.infer_shapes = false;
  import.registry = registry_;
  absl::StatusOr<std::unique_ptr<Graph>> g = GraphFromGraphDef(body_, import);
  if (!g.ok()) return g.status();
  if ((*g)->num_nodes() != graph_->num_nodes()) return absl::InternalError("control-flow region: the body changed on import");
  return g;
}

void ControlFlowProgram::ReleaseGraph(std::unique_ptr<Graph> graph) const {
  absl::MutexLock lock(&pool_mu_);
  if (spare_graphs_.size() < 8) spare_graphs_.push_back(std::move(graph));
}

// ---- One run ----

namespace {

// What arrives on an input slot: a live value, or nothing (dead).
struct Entry {
  bool has_value = false;
  RegionValue value;
};

struct IterationState {
  int64_t iter_num = 0;
  std::vector<Entry> inputs;  // Item::input_base + slot
  std::vector<int> pending;
  std::vector<int> dead_count;
  int outstanding_ops = 0;
  int outstanding_frame_count = 0;
};

struct FrameState {
  std::string name;  // the Enter nodes' frame_name; "" for the region's top level
  FrameState* parent = nullptr;
  IterationState* parent_iter = nullptr;
  int64_t iteration_count = 0;
  int num_pending_inputs = 0;  // Enter nodes whose value has not arrived
  int num_outstanding_iterations = 1;
  std::map<int64_t, std::unique_ptr<IterationState>> iterations;
  std::vector<std::pair<int, Entry>> loop_invariants;  // (Enter item, value)
  std::vector<int> dead_exits;                         // in the latest iteration

  IterationState* GetIteration(int64_t i) {
    auto it = iterations.find(i);
    return it == iterations.end() ? nullptr : it->second.get();
  }
};

struct TaggedNode {
  int item;
  FrameState* frame;
  IterationState* iter;
  bool is_dead;
};

}  // namespace

class ControlFlowRun {
 public:
  ControlFlowRun(const ControlFlowProgram& program, Graph& graph) : p_(program), graph_(graph) {
    for (const Item& item : p_.items_) {
      if (item.kind == Kind::kEnter) ++enters_per_frame_[item.frame_name];
    }
    results_.resize(p_.outputs_.size());
    for (size_t k = 0; k < p_.outputs_.size(); ++k) output_slots_[p_.outputs_[k].first].push_back(static_cast<int>(k));
  }

  absl::StatusOr<std::vector<Tensor>> Run(const std::vector<Tensor>& inputs) {
    if (inputs.size() != p_.input_items_.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("control-flow region: expected ", p_.input_items_.size(), " inputs, got ", inputs.size()));
    }
    for (size_t k = 0; k < inputs.size(); ++k) input_values_[p_.input_items_[k]] = inputs[k];
    root_.iterations[0] = NewIteration(0);
    IterationState* iter0 = root_.GetIteration(0);
    for (size_t i = 0; i < p_.items_.size(); ++i) {
      const Item& item = p_.items_[i];
      if (item.num_data_inputs == 0 && item.num_control_inputs == 0) {
        ready_.push_back({static_cast<int>(i), &root_, iter0, false});
        ++iter0->outstanding_ops;
      }
    }
    while (!ready_.empty()) {
      const TaggedNode t = ready_.front();
      ready_.pop_front();
      if (absl::Status s = Process(t); !s.ok()) return s;
    }
    std::vector<Tensor> out;
    for (size_t k = 0; k < p_.outputs_.size(); ++k) {
      const auto [item, index] = p_.outputs_[k];
      const Node& n = *graph_.nodes()[item];
      const std::string name = index == 0 ? n.name() : absl::StrCat(n.name(), ":", index);
      if (!results_[k].has_value()) {
        return absl::InvalidArgumentError(absl::StrCat("control-flow region: tensor '", name,
                                                       "' was never computed (a node before it never ran: an input "
                                                       "that never arrived, or a malformed loop)"));
      }
      if (!results_[k]->has_value) {
        return absl::InvalidArgumentError(absl::StrCat("control-flow region: tensor '", name,
                                                       "' is dead (it comes from an untaken branch of a Switch) but "
                                                       "a node outside the conditional reads it"));
      }
      if (!results_[k]->value.is_tensor()) {
        return absl::InvalidArgumentError(absl::StrCat("control-flow region: tensor '", name, "' is ",
                                                       results_[k]->value.Describe(), ", which cannot leave the region"));
      }
      out.push_back(results_[k]->value.tensor);
    }
    return out;
  }

 private:
  std::unique_ptr<IterationState> NewIteration(int64_t iter_num) {
    auto it = std::make_unique<IterationState>();
    it->iter_num = iter_num;
    it->inputs.resize(p_.total_inputs_);
    it->pending.resize(p_.items_.size());
    for (size_t i = 0; i < p_.items_.size(); ++i) it->pending[i] = p_.items_[i].initial_pending;
    it->dead_count.assign(p_.items_.size(), 0);
    return it;
  }

  Node& node(int item) { return *graph_.nodes()[item]; }

  absl::Status Process(const TaggedNode& t) {
    const Item& item = p_.items_[t.item];
    std::vector<Entry> outputs(item.num_outputs);
    if (!t.is_dead) {
      std::vector<Entry> inputs(item.num_data_inputs);
      for (int k = 0; k < item.num_data_inputs; ++k) inputs[k] = std::move(t.iter->inputs[item.input_base + k]);
      if (absl::Status s = Compute(t.item, inputs, outputs); !s.ok()) return s;
    }
    // Region outputs are top-level tensors; an Exit's output is its parent frame's, and only
    // its live value counts (dead ones of earlier iterations are not the loop's result).
    if (item.kind == Kind::kExit) {
      if (t.frame->parent == &root_ && !t.is_dead) Record(t.item, outputs);
    } else if (t.frame == &root_) {
      Record(t.item, outputs);
    }
    return Propagate(t, outputs);
  }

  void Record(int item, const std::vector<Entry>& outputs) {
    auto it = output_slots_.find(item);
    if (it == output_slots_.end()) return;
    for (int k : it->second) results_[k] = outputs[p_.outputs_[k].second];
  }

  // The outputs of a live node from its inputs (a Merge's dead inputs have no value).
  absl::Status Compute(int index, std::vector<Entry>& inputs, std::vector<Entry>& outputs) {
    const Item& item = p_.items_[index];
    Node& n = node(index);
    auto live = [](RegionValue v) { return Entry{true, std::move(v)}; };
    switch (item.kind) {
      case Kind::kNoOp:
        return absl::OkStatus();
      case Kind::kInput:
        outputs[0] = live(RegionValue(input_values_[index]));
        return absl::OkStatus();
      case Kind::kConst:
        outputs[0] = live(RegionValue(item.const_value));
        return absl::OkStatus();
      case Kind::kEnter:
      case Kind::kExit:
      case Kind::kNextIteration:
      case Kind::kIdentity:
        for (int k = 0; k < item.num_outputs; ++k) outputs[k] = std::move(inputs[k]);
        return absl::OkStatus();
      case Kind::kLoopCond: {
        const RegionValue& v = inputs[0].value;
        if (!v.is_tensor() || v.tensor.dtype() != DT_BOOL || v.tensor.rank() != 0) {
          return n.Annotate(absl::InvalidArgumentError(
              absl::StrCat("the loop condition must be a scalar bool, got ", v.Describe())));
        }
        outputs[0] = std::move(inputs[0]);
        return absl::OkStatus();
      }
      case Kind::kSwitch: {
        const RegionValue& pred = inputs[1].value;
        if (!pred.is_tensor() || pred.tensor.dtype() != DT_BOOL || pred.tensor.rank() != 0) {
          return n.Annotate(
              absl::InvalidArgumentError(absl::StrCat("pred must be a scalar bool, got ", pred.Describe())));
        }
        outputs[pred.tensor.scalar<bool>() ? 1 : 0] = std::move(inputs[0]);
        return absl::OkStatus();
      }
      case Kind::kMerge:
        for (int k = 0; k < item.num_data_inputs; ++k) {
          if (!inputs[k].has_value) continue;
          outputs[0] = std::move(inputs[k]);
          outputs[1] = live(RegionValue(Tensor::Scalar<int32_t>(k)));
          return absl::OkStatus();
        }
        return absl::InternalError(absl::StrCat(n.Describe(), " ran without a live input"));
      case Kind::kContainer: {
        std::vector<RegionValue> values;
        for (Entry& e : inputs) values.push_back(std::move(e.value));
        absl::StatusOr<std::vector<RegionValue>> out = RunTensorArrayOrListOp(n, values);
        if (!out.ok()) return out.status();
        for (int k = 0; k < item.num_outputs; ++k) outputs[k] = live(std::move((*out)[k]));
        return absl::OkStatus();
      }
      case Kind::kOp:
        break;
    }
    std::vector<Tensor> tensors;
    std::vector<Shape> shapes;
    for (int k = 0; k < item.num_data_inputs; ++k) {
      const RegionValue& v = inputs[k].value;
      if (!v.is_tensor()) {
        return n.Annotate(absl::UnimplementedError(absl::StrCat("input ", k, " is ", v.Describe(),
                                                                ", which only TensorArray/TensorList ops can read")));
      }
      tensors.push_back(v.tensor);
      shapes.push_back(v.tensor.shape());
    }
    // Shapes for these inputs (data-dependent ones included), then the reference evaluator.
    std::vector<const Tensor*> values;
    for (const Tensor& t : tensors) values.push_back(&t);
    InferenceContext c(n, shapes, values);
    if (absl::Status s = n.op_registration().shape_fn(c); !s.ok()) return n.Annotate(s);
    for (int k = 0; k < n.num_outputs(); ++k) n.set_output_shape(k, c.output(k));
    absl::StatusOr<std::vector<Tensor>> out = EvaluateNode(n, tensors);
    if (!out.ok()) return out.status();
    for (int k = 0; k < item.num_outputs; ++k) outputs[k] = live(RegionValue(std::move((*out)[k])));
    return absl::OkStatus();
  }

  absl::Status Propagate(const TaggedNode& t, std::vector<Entry>& outputs) {
    const Item& item = p_.items_[t.item];
    switch (item.kind) {
      case Kind::kEnter: {
        FrameState* child = FindOrCreateChildFrame(t.frame, t.iter, item.frame_name);
        if (item.is_constant_enter) {
          Entry value = t.is_dead ? Entry{} : outputs[0];
          child->loop_invariants.emplace_back(t.item, value);
          for (int64_t i = 0; i <= child->iteration_count; ++i) {
            IterationState* it = child->GetIteration(i);
            if (it != nullptr) ActivateNodes(t.item, t.is_dead, child, it, {value});
          }
        } else {
          ActivateNodes(t.item, t.is_dead, child, child->GetIteration(0), outputs);
        }
        --child->num_pending_inputs;
        // The last input may complete a frame that had nothing left to run.
        if (absl::Status s = CleanupAfter(child, child->GetIteration(0)); !s.ok()) return s;
        break;
      }
      case Kind::kExit:
        if (t.is_dead) {
          if (t.iter->iter_num == t.frame->iteration_count) t.frame->dead_exits.push_back(t.item);
        } else {
          ActivateNodes(t.item, false, t.frame->parent, t.frame->parent_iter, outputs);
        }
        break;
      case Kind::kNextIteration:
        if (!t.is_dead) {  // a dead NextIteration ends the loop
          IterationState* next = nullptr;
          if (t.iter->iter_num == t.frame->iteration_count) {
            absl::StatusOr<IterationState*> created = IncrementIteration(t.frame, t.item);
            if (!created.ok()) return created.status();
            next = *created;
          } else {
            next = t.frame->GetIteration(t.iter->iter_num + 1);
          }
          ActivateNodes(t.item, false, t.frame, next, outputs);
        }
        break;
      default:
        ActivateNodes(t.item, t.is_dead, t.frame, t.iter, outputs);
        break;
    }
    --t.iter->outstanding_ops;
    return CleanupAfter(t.frame, t.iter);
  }

  // Delivers a node's outputs to its consumers in (frame, iter) and queues those now ready.
  void ActivateNodes(int src, bool src_dead, FrameState* frame, IterationState* iter, const std::vector<Entry>& outputs) {
    const Item& item = p_.items_[src];
    for (const Item::Edge& e : item.out_edges) {
      const Item& dst = p_.items_[e.dst];
      int& pending = iter->pending[e.dst];
      int& dead = iter->dead_count[e.dst];
      bool ready = false;
      bool dst_dead = false;
      if (e.dst_slot < 0) {  // control edge
        if (dst.kind == Kind::kMerge) {
          pending -= 2;
          dst_dead = dead == dst.num_data_inputs;
          ready = pending == 0 || (pending == 1 && dst_dead);
        } else {
          --pending;
          if (src_dead) ++dead;
          dst_dead = dead > 0;
          ready = pending == 0;
        }
      } else {
        const Entry& out = outputs[e.src_output];
        const bool live = !src_dead && out.has_value;
        if (dst.kind == Kind::kMerge) {
          if (live) {
            if ((pending & 1) == 0) continue;  // a live input was already taken
            iter->inputs[dst.input_base + e.dst_slot] = out;
            --pending;
            ready = pending == 0;
          } else {
            ++dead;
            // A dead Enter makes the loop's Merge dead: a loop in an untaken branch.
            dst_dead = dead == dst.num_data_inputs || item.kind == Kind::kEnter;
            ready = pending == 1 && dst_dead;
          }
        } else {
          if (live) iter->inputs[dst.input_base + e.dst_slot] = out;
          --pending;
          if (!live) ++dead;
          dst_dead = dead > 0;
          ready = pending == 0;
        }
      }
      if (ready) {
        if (dst.is_control_trigger) dst_dead = false;
        ready_.push_back({e.dst, frame, iter, dst_dead});
        ++iter->outstanding_ops;
      }
    }
  }

  FrameState* FindOrCreateChildFrame(FrameState* frame, IterationState* iter, const std::string& name) {
    const std::string key = absl::StrCat(reinterpret_cast<uintptr_t>(frame), ";", iter->iter_num, ";", name);
    auto it = frames_.find(key);
    if (it != frames_.end()) return it->second.get();
    auto child = std::make_unique<FrameState>();
    child->name = name;
    child->parent = frame;
    child->parent_iter = iter;
    child->num_pending_inputs = enters_per_frame_[name];
    child->iterations[0] = NewIteration(0);
    ++iter->outstanding_frame_count;
    FrameState* raw = child.get();
    frame_keys_[raw] = key;
    frames_[key] = std::move(child);
    return raw;
  }

  absl::StatusOr<IterationState*> IncrementIteration(FrameState* frame, int next_iteration_item) {
    if (frame->iteration_count + 1 >= MaxLoopIterations()) {
      return node(next_iteration_item)
          .Annotate(absl::ResourceExhaustedError(absl::StrCat(
              "the while loop '", frame->name, "' did not end after ", MaxLoopIterations(),
              " iterations (the limit is STRATA_MAX_LOOP_ITERATIONS; TensorFlow has none)")));
    }
    ++frame->iteration_count;
    frame->iterations[frame->iteration_count] = NewIteration(frame->iteration_count);
    IterationState* next = frame->GetIteration(frame->iteration_count);
    ++frame->num_outstanding_iterations;
    frame->dead_exits.clear();
    for (const auto& [enter, value] : frame->loop_invariants) ActivateNodes(enter, !value.has_value, frame, next, {value});
    return next;
  }

  bool IsIterationDone(FrameState* frame, IterationState* iter) {
    if (iter->outstanding_ops != 0 || iter->outstanding_frame_count != 0) return false;
    if (iter->iter_num == 0) return frame->num_pending_inputs == 0;
    return frame->GetIteration(iter->iter_num - 1) == nullptr;
  }

  // Deletes the iterations of `frame` that are done, from `iter` on, and the frame itself when
  // that finishes it (which may finish its parent in turn). The top level is never deleted.
  absl::Status CleanupAfter(FrameState* frame, IterationState* iter) {
    while (frame != &root_ && iter != nullptr) {
      int64_t curr = iter->iter_num;
      while (iter != nullptr && curr <= frame->iteration_count && IsIterationDone(frame, iter)) {
        frame->iterations.erase(curr);
        --frame->num_outstanding_iterations;
        ++curr;
        iter = frame->GetIteration(curr);
      }
      if (frame->num_pending_inputs != 0 || frame->num_outstanding_iterations != 0) return absl::OkStatus();
      // The frame is done: its dead exits reach the parent as dead tensors.
      FrameState* parent = frame->parent;
      IterationState* parent_iter = frame->parent_iter;
      for (int exit : frame->dead_exits) {
        const std::vector<Entry> dead(p_.items_[exit].num_outputs);
        if (parent == &root_) Record(exit, dead);
        ActivateNodes(exit, true, parent, parent_iter, dead);
      }
      --parent_iter->outstanding_frame_count;
      auto key = frame_keys_.find(frame);
      frames_.erase(key->second);
      frame_keys_.erase(key);
      frame = parent;
      iter = parent_iter;
    }
    return absl::OkStatus();
  }

  const ControlFlowProgram& p_;
  Graph& graph_;
  absl::flat_hash_map<std::string, int> enters_per_frame_;
  absl::flat_hash_map<int, Tensor> input_values_;
  absl::flat_hash_map<int, std::vector<int>> output_slots_;  // item -> indices into outputs_
  std::vector<std::optional<Entry>> results_;
  FrameState root_;
  absl::flat_hash_map<std::string, std::unique_ptr<FrameState>> frames_;
  absl::flat_hash_map<const FrameState*, std::string> frame_keys_;
  std::deque<TaggedNode> ready_;
};

absl::StatusOr<std::vector<Tensor>> ControlFlowProgram::Run(const std::vector<Tensor>& inputs) const {
  absl::StatusOr<std::unique_ptr<Graph>> graph = AcquireGraph();
  if (!graph.ok()) return graph.status();
  absl::StatusOr<std::vector<Tensor>> out;
  {
    ControlFlowRun run(*this, **graph);
    out = run.Run(inputs);
  }
  ReleaseGraph(*std::move(graph));
  return out;
}

}  // namespace strata
