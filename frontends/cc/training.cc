// Variables, optimizers and learning-rate schedules for the builder API (see training.h).
#include "frontends/cc/training.h"

#include "absl/strings/str_cat.h"
#include "frontends/cc/const_op.h"
#include "frontends/cc/gradients.h"
#include "frontends/cc/ops.h"

namespace strata::train {
namespace {

// The name of `full` (a node name) relative to the scope's prefix, for WithOpName.
std::string Local(const Scope& scope, const std::string& full) {
  if (scope.name().empty()) return full;
  const std::string prefix = scope.name() + "/";
  return full.rfind(prefix, 0) == 0 ? full.substr(prefix.size()) : full;
}

// The Variable view of a variable node recorded by MakeVariable.
Variable ViewOf(const Graph* graph, Node* node) {
  Variable v;
  v.handle = Output(node, 0);
  if (node->op() == "VarHandleOp") {
    (void)GetAttr(node->attrs(), "dtype", &v.dtype);
    v.shape = Shape::UnknownRank();
    (void)GetAttr(node->attrs(), "shape", &v.shape);
    if (Node* read = graph->FindNode(node->name() + "/Read/ReadVariableOp")) v.value = Output(read, 0);
  } else {
    v.dtype = BaseDType(node->output_dtype(0));
    v.shape = node->output_shape(0);
    v.value = v.handle;
  }
  if (Node* init = graph->FindNode(node->name() + "/Assign")) v.initializer = Operation(init);
  return v;
}

std::vector<Variable> ViewsOf(const Scope& scope, const std::vector<Node*>& nodes) {
  std::vector<Variable> out;
  out.reserve(nodes.size());
  for (Node* n : nodes) out.push_back(ViewOf(scope.graph(), n));
  return out;
}

// A constant tensor of `dtype` and `shape` filled with `value`.
Tensor Filled(DType dtype, const Shape& shape, float value) {
  Tensor t = *Tensor::Create(dtype, shape);
  if (dtype == DT_DOUBLE) {
    for (double& x : t.flat<double>()) x = value;
  } else if (dtype == DT_FLOAT) {
    for (float& x : t.flat<float>()) x = value;
  }
  return t;
}

// Assign for ref variables, AssignVariableOp for resource ones.
Operation AssignTo(const Scope& scope, const Variable& var, const Output& value) {
  if (var.resource()) return ops::AssignVariableOp(scope, var.handle, value).operation;
  return ops::Assign(scope, var.handle, value).operation;
}

}  // namespace

std::string Variable::name() const { return handle.valid() ? handle.node->name() : std::string(); }

Variable MakeVariable(const Scope& scope, const Input& initial_value, const VariableOptions& options) {
  if (!scope.ok()) return {};
  std::string local = scope.op_name().empty() ? std::string("Variable") : scope.op_name();
  Output init;
  if (initial_value.is_literal()) {
    init = ops::Identity(scope.WithOpName(local, "/initial_value"), initial_value);
  } else {
    init = initial_value.output();
  }
  if (!scope.ok()) return {};
  if (!init.valid()) {
    scope.UpdateStatus(absl::InvalidArgumentError(absl::StrCat("MakeVariable '", local, "': invalid initial value")));
    return {};
  }
  Variable v;
  v.dtype = BaseDType(init.dtype());
  v.shape = init.shape();
  if (options.kind == VariableKind::kResource) {
    // shared_name = the node's own name, which TF also uses to identify the variable.
    auto handle = ops::VarHandleOp(scope.WithOpName(local), v.dtype, v.shape);
    v.handle = handle.resource;
    if (!scope.ok()) return {};
    local = Local(scope, v.handle.node->name());
    v.value = ops::ReadVariableOp(scope.WithOpName(local, "/Read/ReadVariableOp"), v.handle, v.dtype);
  } else {
    v.handle = ops::VariableV2(scope.WithOpName(local), v.shape, v.dtype);
    v.value = v.handle;
    if (!scope.ok()) return {};
    local = Local(scope, v.handle.node->name());
  }
  // The initializer ignores the scope's control dependencies: it must be runnable on its own.
  v.initializer = AssignTo(scope.WithNoControlDependencies().WithOpName(local, "/Assign"), v, init);
  if (!scope.ok()) return {};
  scope.AddToCollection(kGlobalVariables, v.handle.node);
  if (options.trainable) scope.AddToCollection(kTrainableVariables, v.handle.node);
  scope.AddToCollection(kInitializers, v.initializer.node());
  return v;
}

std::vector<Variable> GlobalVariables(const Scope& scope) { return ViewsOf(scope, scope.GetCollection(kGlobalVariables)); }
std::vector<Variable> TrainableVariables(const Scope& scope) {
  return ViewsOf(scope, scope.GetCollection(kTrainableVariables));
}

Operation GlobalVariablesInitializer(const Scope& scope) {
  std::vector<Operation> inits;
  for (Node* n : scope.GetCollection(kInitializers)) inits.emplace_back(n);
  return ops::NoOp(scope.WithNoControlDependencies().WithControlDependencies(inits).WithOpName("init")).operation;
}

Output GetOrCreateGlobalStep(const Scope& scope) {
  if (Node* existing = scope.graph()->FindNode("global_step")) return Output(existing, 0);
  Tensor zero = Tensor::FromVector<int64_t>({0}, Shape{});
  Variable step = MakeVariable(scope.WithOpName("global_step"), zero, {VariableKind::kRef, /*trainable=*/false});
  return step.handle;
}

Output ExponentialDecay(const Scope& scope, float learning_rate, Output global_step, int64_t decay_steps,
                        float decay_rate, bool staircase) {
  if (decay_steps <= 0) {
    scope.UpdateStatus(absl::InvalidArgumentError(absl::StrCat("ExponentialDecay: decay_steps must be positive, got ", decay_steps)));
    return {};
  }
  Scope s = scope.NewSubScope("ExponentialDecay");
  Output step = ops::Cast(s, global_step, DT_FLOAT);
  Output p = ops::RealDiv(s, step, static_cast<float>(decay_steps));
  if (staircase) p = ops::Floor(s, p);
  return ops::Mul(s.WithOpName("learning_rate"), learning_rate, ops::Pow(s, decay_rate, p));
}

Output PiecewiseConstant(const Scope& scope, Output global_step, const std::vector<int64_t>& boundaries,
                         const std::vector<float>& values) {
  if (values.size() != boundaries.size() + 1) {
    scope.UpdateStatus(absl::InvalidArgumentError(absl::StrCat("PiecewiseConstant: ", values.size(), " values for ",
                                                               boundaries.size(), " boundaries (need one more value)")));
    return {};
  }
  for (size_t i = 1; i < boundaries.size(); ++i) {
    if (boundaries[i] <= boundaries[i - 1]) {
      scope.UpdateStatus(absl::InvalidArgumentError(absl::StrCat("PiecewiseConstant: boundaries must increase; boundary ", i,
                                                                 " (", boundaries[i], ") <= ", boundaries[i - 1])));
      return {};
    }
  }
  Scope s = scope.NewSubScope("PiecewiseConstant");
  Output step = ops::Cast(s, global_step, DT_INT64);
  Output result = ops::Const(s, values.back());
  for (size_t i = boundaries.size(); i-- > 0;) {
    Output before = ops::LessEqual(s, step, Tensor::FromVector<int64_t>({boundaries[i]}, Shape{}));
    result = ops::Select(s, before, ops::Const(s, values[i]), result);
  }
  return ops::Identity(s.WithOpName("learning_rate"), result);
}

Output Hyper::ToTensor(const Scope& scope, DType dtype) const {
  if (!tensor_.valid()) {
    if (dtype == DT_DOUBLE) return ops::Const(scope, Tensor::FromVector<double>({value_}, Shape{}));
    return ops::Cast(scope, ops::Const(scope, value_), dtype);
  }
  if (BaseDType(tensor_.dtype()) == dtype) return tensor_;
  return ops::Cast(scope, tensor_, dtype);
}

absl::StatusOr<std::vector<GradAndVar>> Optimizer::ComputeGradients(const Scope& scope, Output loss,
                                                                    std::vector<Variable> var_list) {
  if (!scope.ok()) return scope.status();
  if (var_list.empty()) var_list = TrainableVariables(scope);
  if (var_list.empty()) return absl::InvalidArgumentError(absl::StrCat(name_, ": no variables to optimize"));
  std::vector<Output> xs;
  for (const Variable& v : var_list) xs.push_back(v.handle);
  std::vector<Output> grads;
  GradientOptions options;
  options.name_scope = scope.name().empty() ? "gradients" : scope.name() + "/gradients";
  if (absl::Status s = AddSymbolicGradients(scope.graph(), {loss}, xs, {}, &grads, options); !s.ok()) return s;
  std::vector<GradAndVar> out;
  bool any = false;
  for (size_t i = 0; i < var_list.size(); ++i) {
    out.push_back({grads[i], var_list[i]});
    any = any || grads[i].valid();
  }
  if (!any) {
    return absl::InvalidArgumentError(absl::StrCat(name_, ": no gradients for any variable; the loss '", loss.name(),
                                                   "' does not depend on them"));
  }
  return out;
}

absl::StatusOr<Operation> Optimizer::ApplyGradients(const Scope& scope, const std::vector<GradAndVar>& grads_and_vars,
                                                    const Output* global_step) {
  if (!scope.ok()) return scope.status();
  DType dtype = DT_INVALID;
  for (const GradAndVar& gv : grads_and_vars) {
    if (!gv.grad.valid()) continue;
    if (!IsFloatingDType(gv.var.dtype)) {
      return absl::InvalidArgumentError(absl::StrCat(name_, ": variable ", gv.var.name(), " is ", DTypeName(gv.var.dtype),
                                                     "; only floating variables can be trained"));
    }
    if (dtype != DT_INVALID && gv.var.dtype != dtype) {
      return absl::InvalidArgumentError(absl::StrCat(name_, ": variables of mixed dtypes (", DTypeName(dtype), " and ",
                                                     DTypeName(gv.var.dtype), " for ", gv.var.name(), ")"));
    }
    dtype = gv.var.dtype;
  }
  if (dtype == DT_INVALID) return absl::InvalidArgumentError(absl::StrCat(name_, ": no gradient to apply"));
  outer_ = scope;
  Scope s = scope.NewSubScope(name_);
  if (absl::Status st = Prepare(s, dtype); !st.ok()) return st;
  std::vector<Operation> updates;
  for (const GradAndVar& gv : grads_and_vars) {
    if (!gv.grad.valid()) continue;
    updates.push_back(ApplyDense(s.NewSubScope(absl::StrCat("update_", Local(scope, gv.var.name()))), gv.grad, gv.var));
  }
  std::vector<Operation> finish = Finish(s, updates);
  updates.insert(updates.end(), finish.begin(), finish.end());
  if (global_step != nullptr && global_step->valid()) {
    Scope after = s.WithControlDependencies(updates);
    updates.push_back(ops::AssignAdd(after, *global_step, Tensor::FromVector<int64_t>({1}, Shape{})).operation);
  }
  Operation group = ops::NoOp(scope.WithControlDependencies(updates).WithOpName(name_)).operation;
  if (!scope.ok()) return scope.status();
  return group;
}

absl::StatusOr<Operation> Optimizer::Minimize(const Scope& scope, Output loss, std::vector<Variable> var_list,
                                              const Output* global_step) {
  absl::StatusOr<std::vector<GradAndVar>> grads = ComputeGradients(scope, loss, std::move(var_list));
  if (!grads.ok()) return grads.status();
  return ApplyGradients(scope, *grads, global_step);
}

std::optional<Variable> Optimizer::GetSlot(const Variable& var, const std::string& slot) const {
  auto it = slots_.find(absl::StrCat(var.name(), "|", slot));
  if (it == slots_.end()) return std::nullopt;
  return it->second;
}

std::vector<Operation> Optimizer::Finish(const Scope&, const std::vector<Operation>&) { return {}; }

Variable Optimizer::ZerosSlot(const Scope& scope, const Variable& var, const std::string& slot, float initial) {
  const std::string key = absl::StrCat(var.name(), "|", slot);
  if (auto it = slots_.find(key); it != slots_.end()) return it->second;
  if (!var.shape.IsFullyDefined()) {
    scope.UpdateStatus(absl::InvalidArgumentError(absl::StrCat(name_, ": variable ", var.name(), " has shape ",
                                                               var.shape.ToString(), "; slots need a fully defined shape")));
    return {};
  }
  // Slots sit beside their variable, "<var>/<Optimizer>", "<var>/<Optimizer>_1", ...
  Scope root = (outer_ ? *outer_ : scope).WithNoControlDependencies();
  VariableOptions options{var.resource() ? VariableKind::kResource : VariableKind::kRef, /*trainable=*/false};
  const std::string name = absl::StrCat(var.name(), "/", name_);
  Variable v = MakeVariable(root.WithOpName(Local(root, name)), Filled(var.dtype, var.shape, initial), options);
  slots_[key] = v;
  return v;
}

Variable Optimizer::ScalarVariable(const Scope& scope, const std::string& name, float initial, DType dtype) {
  const std::string key = absl::StrCat("|", name);
  if (auto it = slots_.find(key); it != slots_.end()) return it->second;
  // Beside the model's variables, as TF names them ("beta1_power"), not under the optimizer.
  const Scope& outer = outer_ ? *outer_ : scope;
  Variable v = MakeVariable(outer.WithNoControlDependencies().WithOpName(name), Filled(dtype, Shape{}, initial),
                            {VariableKind::kRef, /*trainable=*/false});
  slots_[key] = v;
  return v;
}

// --- The optimizers: TF's update rules, as Apply*/ResourceApply* ops. ---

absl::Status GradientDescentOptimizer::Prepare(const Scope& scope, DType dtype) {
  lr_t_ = lr_.ToTensor(scope.WithOpName("learning_rate"), dtype);
  return scope.status();
}

Operation GradientDescentOptimizer::ApplyDense(const Scope& scope, const Output& grad, const Variable& var) {
  if (var.resource()) return ops::ResourceApplyGradientDescent(scope, var.handle, lr_t_, grad).operation;
  return ops::ApplyGradientDescent(scope, var.handle, lr_t_, grad).operation;
}

absl::Status MomentumOptimizer::Prepare(const Scope& scope, DType dtype) {
  lr_t_ = lr_.ToTensor(scope.WithOpName("learning_rate"), dtype);
  momentum_t_ = momentum_.ToTensor(scope.WithOpName("momentum"), dtype);
  return scope.status();
}

Operation MomentumOptimizer::ApplyDense(const Scope& scope, const Output& grad, const Variable& var) {
  Variable accum = ZerosSlot(scope, var, "momentum");
  if (!scope.ok()) return {};
  if (var.resource()) {
    return ops::ResourceApplyMomentum(scope, var.handle, accum.handle, lr_t_, grad, momentum_t_,
                                      ops::ResourceApplyMomentum::UseNesterov(nesterov_))
        .operation;
  }
  return ops::ApplyMomentum(scope, var.handle, accum.handle, lr_t_, grad, momentum_t_,
                            ops::ApplyMomentum::UseNesterov(nesterov_))
      .operation;
}

absl::Status AdamOptimizer::Prepare(const Scope& scope, DType dtype) {
  lr_t_ = lr_.ToTensor(scope.WithOpName("learning_rate"), dtype);
  beta1_t_ = Hyper(beta1_).ToTensor(scope.WithOpName("beta1"), dtype);
  beta2_t_ = Hyper(beta2_).ToTensor(scope.WithOpName("beta2"), dtype);
  epsilon_t_ = Hyper(epsilon_).ToTensor(scope.WithOpName("epsilon"), dtype);
  if (!beta1_power_) {
    beta1_power_ = ScalarVariable(scope, "beta1_power", beta1_, dtype);
    beta2_power_ = ScalarVariable(scope, "beta2_power", beta2_, dtype);
  }
  return scope.status();
}

Operation AdamOptimizer::ApplyDense(const Scope& scope, const Output& grad, const Variable& var) {
  // Slot order as TF names them: "<var>/Adam" is m, "<var>/Adam_1" is v.
  Variable m = ZerosSlot(scope, var, "m");
  Variable v = ZerosSlot(scope, var, "v");
  if (!scope.ok()) return {};
  if (var.resource()) {
    return ops::ResourceApplyAdam(scope, var.handle, m.handle, v.handle, beta1_power_->value, beta2_power_->value, lr_t_,
                                  beta1_t_, beta2_t_, epsilon_t_, grad)
        .operation;
  }
  return ops::ApplyAdam(scope, var.handle, m.handle, v.handle, beta1_power_->value, beta2_power_->value, lr_t_, beta1_t_,
                        beta2_t_, epsilon_t_, grad)
      .operation;
}

std::vector<Operation> AdamOptimizer::Finish(const Scope& scope, const std::vector<Operation>& updates) {
  // The bias corrections advance once per step, after every variable used the current ones.
  Scope after = scope.WithControlDependencies(updates);
  Output b1 = ops::Mul(after, beta1_power_->value, beta1_t_);
  Output b2 = ops::Mul(after, beta2_power_->value, beta2_t_);
  return {ops::Assign(after.WithOpName("update_beta1_power"), beta1_power_->handle, b1).operation,
          ops::Assign(after.WithOpName("update_beta2_power"), beta2_power_->handle, b2).operation};
}

absl::Status RMSPropOptimizer::Prepare(const Scope& scope, DType dtype) {
  lr_t_ = lr_.ToTensor(scope.WithOpName("learning_rate"), dtype);
  decay_t_ = Hyper(decay_).ToTensor(scope.WithOpName("decay"), dtype);
  momentum_t_ = Hyper(momentum_).ToTensor(scope.WithOpName("momentum"), dtype);
  epsilon_t_ = Hyper(epsilon_).ToTensor(scope.WithOpName("epsilon"), dtype);
  return scope.status();
}

Operation RMSPropOptimizer::ApplyDense(const Scope& scope, const Output& grad, const Variable& var) {
  // TF initializes the mean square to ones ("rms"), the momentum accumulator to zeros.
  Variable ms = ZerosSlot(scope, var, "rms", 1.0f);
  Variable mom = ZerosSlot(scope, var, "momentum");
  if (!scope.ok()) return {};
  if (var.resource()) {
    return ops::ResourceApplyRMSProp(scope, var.handle, ms.handle, mom.handle, lr_t_, decay_t_, momentum_t_, epsilon_t_,
                                     grad)
        .operation;
  }
  return ops::ApplyRMSProp(scope, var.handle, ms.handle, mom.handle, lr_t_, decay_t_, momentum_t_, epsilon_t_, grad)
      .operation;
}

absl::Status AdagradOptimizer::Prepare(const Scope& scope, DType dtype) {
  lr_t_ = lr_.ToTensor(scope.WithOpName("learning_rate"), dtype);
  return scope.status();
}

Operation AdagradOptimizer::ApplyDense(const Scope& scope, const Output& grad, const Variable& var) {
  Variable accum = ZerosSlot(scope, var, "accumulator", initial_accumulator_);
  if (!scope.ok()) return {};
  if (var.resource()) return ops::ResourceApplyAdagrad(scope, var.handle, accum.handle, lr_t_, grad).operation;
  return ops::ApplyAdagrad(scope, var.handle, accum.handle, lr_t_, grad).operation;
}

}  // namespace strata::train
