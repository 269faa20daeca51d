// Optimizer update expansion (see optimizer_expansion.h). The formulas are TensorFlow's
// (tensorflow/core/kernels/training_ops.cc, CPU functors), written with graph ops.
#include "runtime/optimizer_expansion.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "graph/attr_value.h"
#include "graph/dtype_visit.h"
#include "graph/tensor.h"

namespace strata {
namespace {

// Adds the nodes of one expansion, named under the Apply node's name.
class Expander {
 public:
  Expander(tf::GraphDef* def, absl::flat_hash_set<std::string>* names, const std::string& scope, tf::AttrValue type)
      : def_(def), names_(names), scope_(scope), type_(std::move(type)) {}

  std::string Op(const std::string& op, std::vector<std::string> inputs) {
    tf::NodeDef* n = def_->add_node();
    n->set_name(Fresh(op));
    n->set_op(op);
    for (std::string& in : inputs) n->add_input(std::move(in));
    (*n->mutable_attr())["T"] = type_;
    return n->name();
  }
  std::string Const(double v) {
    const DType t = static_cast<DType>(type_.type());
    Tensor value = *Tensor::Create(t, Shape{});
    VisitDType(t, [&](auto tag) {
      using T = typename decltype(tag)::type;
      value.scalar<T>() = static_cast<T>(static_cast<float>(v));
      if constexpr (std::is_same_v<T, double>) value.scalar<T>() = v;
    });
    tf::NodeDef* n = def_->add_node();
    n->set_name(Fresh("Const"));
    n->set_op("Const");
    (*n->mutable_attr())["dtype"] = type_;
    (*n->mutable_attr())["value"] = MakeAttr(value);
    return n->name();
  }
  // Assign(ref, value) named scope/update_<slot>.
  std::string Assign(const std::string& slot, const std::string& ref, const std::string& value, bool use_locking) {
    tf::NodeDef* n = def_->add_node();
    n->set_name(Fresh(absl::StrCat("update_", slot)));
    SetAssign(n, ref, value, use_locking);
    return n->name();
  }
  void SetAssign(tf::NodeDef* n, const std::string& ref, const std::string& value, bool use_locking) {
    n->set_op("Assign");
    n->add_input(ref);
    n->add_input(value);
    (*n->mutable_attr())["T"] = type_;
    (*n->mutable_attr())["validate_shape"] = MakeAttr(true);
    (*n->mutable_attr())["use_locking"] = MakeAttr(use_locking);
  }

  // ReadVariableOp(handle) named scope/read_<slot>.
  std::string Read(const std::string& slot, const std::string& handle) {
    tf::NodeDef* n = def_->add_node();
    n->set_name(Fresh(absl::StrCat("read_", slot)));
    n->set_op("ReadVariableOp");
    n->add_input(handle);
    (*n->mutable_attr())["dtype"] = type_;
    return n->name();
  }
  // AssignVariableOp(handle, value) named scope/update_<slot>.
  std::string AssignVariable(const std::string& slot, const std::string& handle, const std::string& value) {
    tf::NodeDef* n = def_->add_node();
    n->set_name(Fresh(absl::StrCat("update_", slot)));
    SetAssignVariable(n, handle, value);
    return n->name();
  }
  void SetAssignVariable(tf::NodeDef* n, const std::string& handle, const std::string& value) {
    n->set_op("AssignVariableOp");
    n->add_input(handle);
    n->add_input(value);
    (*n->mutable_attr())["dtype"] = type_;
  }

  std::string Add(std::string a, std::string b) { return Op("Add", {std::move(a), std::move(b)}); }
  std::string Sub(std::string a, std::string b) { return Op("Sub", {std::move(a), std::move(b)}); }
  std::string Mul(std::string a, std::string b) { return Op("Mul", {std::move(a), std::move(b)}); }
  std::string Div(std::string a, std::string b) { return Op("RealDiv", {std::move(a), std::move(b)}); }
  std::string Sqrt(std::string a) { return Op("Sqrt", {std::move(a)}); }
  std::string Square(std::string a) { return Op("Square", {std::move(a)}); }

 private:
  std::string Fresh(const std::string& base) {
    std::string name = absl::StrCat(scope_, "/", base);
    for (int k = 1; names_->contains(name); ++k) name = absl::StrCat(scope_, "/", base, "_", k);
    names_->insert(name);
    return name;
  }

  tf::GraphDef* def_;
  absl::flat_hash_set<std::string>* names_;
  std::string scope_;
  tf::AttrValue type_;
};

bool BoolAttr(const tf::NodeDef& n, const char* name, bool fallback) {
  auto it = n.attr().find(name);
  return it == n.attr().end() ? fallback : it->second.b();
}

struct Expansion {
  std::string new_var;
  std::vector<std::pair<std::string, std::string>> slots;  // (slot input, new value)
};

// in[k] are the Apply node's data inputs.
Expansion Expand(const std::string& op, const std::vector<std::string>& in, const tf::NodeDef& node, Expander& e) {
  Expansion x;
  if (op == "ApplyGradientDescent") {  // var, alpha, delta
    x.new_var = e.Sub(in[0], e.Mul(in[1], in[2]));
  } else if (op == "ApplyMomentum") {  // var, accum, lr, grad, momentum
    const std::string accum = e.Add(e.Mul(in[1], in[4]), in[3]);
    x.new_var = BoolAttr(node, "use_nesterov", false)
                    ? e.Sub(in[0], e.Add(e.Mul(in[3], in[2]), e.Mul(e.Mul(accum, in[4]), in[2])))
                    : e.Sub(in[0], e.Mul(accum, in[2]));
    x.slots = {{in[1], accum}};
  } else if (op == "ApplyAdam") {  // var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad
    const std::string one = e.Const(1.0);
    const std::string lr = e.Div(e.Mul(in[5], e.Sqrt(e.Sub(one, in[4]))), e.Sub(one, in[3]));
    const std::string m = e.Add(in[1], e.Mul(e.Sub(in[9], in[1]), e.Sub(one, in[6])));
    const std::string v = e.Add(in[2], e.Mul(e.Sub(e.Square(in[9]), in[2]), e.Sub(one, in[7])));
    const std::string step = BoolAttr(node, "use_nesterov", false)
                                 ? e.Add(e.Mul(in[9], e.Sub(one, in[6])), e.Mul(in[6], m))
                                 : m;
    x.new_var = e.Sub(in[0], e.Div(e.Mul(lr, step), e.Add(e.Sqrt(v), in[8])));
    x.slots = {{in[1], m}, {in[2], v}};
  } else if (op == "ApplyRMSProp") {  // var, ms, mom, lr, rho, momentum, epsilon, grad
    const std::string one = e.Const(1.0);
    const std::string ms = e.Add(in[1], e.Mul(e.Sub(e.Square(in[7]), in[1]), e.Sub(one, in[4])));
    const std::string mom = e.Add(e.Mul(in[2], in[5]), e.Div(e.Mul(in[3], in[7]), e.Sqrt(e.Add(ms, in[6]))));
    x.new_var = e.Sub(in[0], mom);
    x.slots = {{in[1], ms}, {in[2], mom}};
  } else if (op == "ApplyAdagrad") {  // var, accum, lr, grad
    const bool update = BoolAttr(node, "update_slots", true);
    const std::string accum = update ? e.Add(in[1], e.Square(in[3])) : in[1];
    x.new_var = e.Sub(in[0], e.Div(e.Mul(in[2], in[3]), e.Sqrt(accum)));
    if (update) x.slots = {{in[1], accum}};
  }
  return x;
}

// "ResourceApplyAdam" -> "ApplyAdam"; ref forms unchanged.
std::string RefForm(const std::string& op) { return absl::StartsWith(op, "Resource") ? op.substr(8) : op; }

// How many leading inputs are the variable and its slots.
int NumVariables(const std::string& op) {
  const std::string ref = RefForm(op);
  if (ref == "ApplyAdam" || ref == "ApplyRMSProp") return 3;
  if (ref == "ApplyMomentum" || ref == "ApplyAdagrad") return 2;
  return 1;
}

int NumInputs(const std::string& op_name) {
  const std::string op = RefForm(op_name);
  if (op == "ApplyGradientDescent") return 3;
  if (op == "ApplyMomentum") return 5;
  if (op == "ApplyAdam") return 10;
  if (op == "ApplyRMSProp") return 8;
  if (op == "ApplyAdagrad") return 4;
  return -1;
}

}  // namespace

absl::Status ExpandOptimizerOps(tf::GraphDef* def) {
  absl::flat_hash_set<std::string> names;
  std::vector<int> applies;
  for (int i = 0; i < def->node_size(); ++i) {
    names.insert(def->node(i).name());
    if (NumInputs(def->node(i).op()) > 0) applies.push_back(i);
  }
  for (int index : applies) {
    const tf::NodeDef original = def->node(index);
    std::vector<std::string> data, control;
    for (const std::string& in : original.input()) (absl::StartsWith(in, "^") ? control : data).push_back(in);
    const int want = NumInputs(original.op());
    auto type = original.attr().find("T");
    if (static_cast<int>(data.size()) != want || type == original.attr().end()) {
      return absl::InvalidArgumentError(absl::StrCat("node '", original.name(), "' (", original.op(), "): expected ", want,
                                                     " inputs and a T attr, got ", data.size(), " inputs"));
    }
    Expander e(def, &names, original.name(), type->second);
    const bool resource = absl::StartsWith(original.op(), "Resource");
    // Resource forms compute on reads of the handles and write with AssignVariableOp.
    std::vector<std::string> operands = data;
    absl::flat_hash_map<std::string, std::string> handle_of;  // read -> handle
    if (resource) {
      for (int k = 0; k < NumVariables(original.op()); ++k) {
        operands[k] = e.Read(k == 0 ? "var" : absl::StrCat("slot", k), data[k]);
        handle_of[operands[k]] = data[k];
      }
    }
    const Expansion x = Expand(RefForm(original.op()), operands, original, e);
    const bool use_locking = BoolAttr(original, "use_locking", false);
    std::vector<std::string> slot_assigns;
    for (size_t s = 0; s < x.slots.size(); ++s) {
      const std::string slot = absl::StrCat("slot", s + 1);
      slot_assigns.push_back(resource ? e.AssignVariable(slot, handle_of[x.slots[s].first], x.slots[s].second)
                                      : e.Assign(slot, x.slots[s].first, x.slots[s].second, use_locking));
    }
    // The Apply node itself becomes the variable's assignment (def->node may have grown: re-fetch).
    tf::NodeDef* n = def->mutable_node(index);
    n->clear_input();
    n->mutable_attr()->clear();
    if (resource) {
      e.SetAssignVariable(n, data[0], x.new_var);
    } else {
      e.SetAssign(n, data[0], x.new_var, use_locking);
    }
    for (const std::string& c : control) n->add_input(c);
    for (const std::string& a : slot_assigns) n->add_input(absl::StrCat("^", a));
  }
  return absl::OkStatus();
}

}  // namespace strata
