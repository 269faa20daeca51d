// Training helpers for graphs built with the builder API, in the spirit of TensorFlow 1.x's
// tf.Variable / tf.train.*Optimizer / tf.train.*_decay:
//
//   Scope root = Scope::NewRootScope();
//   auto w = train::MakeVariable(root.WithOpName("w"), ops::RandomStandardNormal(...));
//   auto logits = ops::MatMul(root, x, w.value);
//   auto loss = ops::Mean(root, ops::SparseSoftmaxCrossEntropyWithLogits(root, logits, y).loss, {0});
//   Output step = train::GetOrCreateGlobalStep(root);
//   train::AdamOptimizer adam(train::ExponentialDecay(root, 1e-3f, step, 1000, 0.96f));
//   absl::StatusOr<Operation> train_op = adam.Minimize(root, loss, {}, &step);
//   Operation init = train::GlobalVariablesInitializer(root);
//   session.Run({}, {}, {init.node()->name()});                  // once
//   session.Run({{"x", xb}, {"y", yb}}, {loss}, {train_op->node()->name()});  // per step
//
// Variables are recorded in the root scope's collections (shared by every scope of the graph,
// like TF's graph collections): kGlobalVariables, kTrainableVariables, kInitializers. Optimizers
// create their slot variables ("<var>/Adam", "<var>/Adam_1", "<var>/Momentum", ...) there too, so
// GlobalVariablesInitializer built after Minimize initializes them.
//
// Update ops follow the variable's kind: ref variables (VariableV2) get Apply* ops, resource
// variables (VarHandleOp) get ResourceApply* ops; the Session expands both into fused arithmetic
// and assignments (runtime/optimizer_expansion.h), so a training step is one compiled call.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "frontends/cc/ops_base.h"
#include "frontends/cc/scope.h"

namespace strata::train {

inline constexpr char kGlobalVariables[] = "variables";
inline constexpr char kTrainableVariables[] = "trainable_variables";
inline constexpr char kInitializers[] = "initializers";

enum class VariableKind { kRef, kResource };

struct VariableOptions {
  VariableKind kind = VariableKind::kRef;
  bool trainable = true;
};

// A variable as the builder sees it.
struct Variable {
  Output handle;           // the VariableV2 ref output, or the VarHandleOp resource handle
  Output value;            // what computations read: the ref itself, or a ReadVariableOp of the handle
  Operation initializer;   // Assign / AssignVariableOp of the initial value
  DType dtype = DT_INVALID;
  Shape shape;
  bool resource() const { return BaseDType(handle.dtype()) == DT_RESOURCE; }
  std::string name() const;  // the variable node's name
};

// A variable named by the scope's op name (default "Variable"), initialized to `initial_value`
// (any graph expression; its dtype and static shape become the variable's). Records it in the
// collections. Errors (an invalid initial value) go to the scope's status.
Variable MakeVariable(const Scope& scope, const Input& initial_value, const VariableOptions& options = {});

// The variables recorded in the collections, in creation order.
std::vector<Variable> GlobalVariables(const Scope& scope);
std::vector<Variable> TrainableVariables(const Scope& scope);

// A NoOp (named by the scope's op name, default "init") that runs every recorded initializer.
Operation GlobalVariablesInitializer(const Scope& scope);

// The int64 scalar variable "global_step" (created, initialized to 0, on first use; not trainable).
Output GetOrCreateGlobalStep(const Scope& scope);

// Learning-rate schedules (float32 scalars computed from the global step each run).
// lr * decay_rate ^ (step / decay_steps), with floor(step / decay_steps) when staircase.
Output ExponentialDecay(const Scope& scope, float learning_rate, Output global_step, int64_t decay_steps,
                        float decay_rate, bool staircase = false);
// values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i],
// values.back() after the last boundary. Needs values.size() == boundaries.size() + 1 and
// increasing boundaries (else the scope records InvalidArgument).
Output PiecewiseConstant(const Scope& scope, Output global_step, const std::vector<int64_t>& boundaries,
                         const std::vector<float>& values);

// A learning rate (or other hyperparameter): a constant or a graph tensor (a schedule).
class Hyper {
 public:
  Hyper(float value) : value_(value) {}                 // NOLINT: implicit by design
  Hyper(double value) : value_(static_cast<float>(value)) {}  // NOLINT
  Hyper(Output tensor) : tensor_(tensor) {}             // NOLINT
  // The value as a tensor of `dtype` in `scope` (a Const, or a Cast of the schedule when needed).
  Output ToTensor(const Scope& scope, DType dtype) const;

 private:
  float value_ = 0;
  Output tensor_;
};

struct GradAndVar {
  Output grad;  // invalid when the loss does not depend on the variable
  Variable var;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;

  // d loss / d var for each of var_list (default: TrainableVariables). Errors name the op
  // without a gradient function, or say that no variable is connected to the loss.
  absl::StatusOr<std::vector<GradAndVar>> ComputeGradients(const Scope& scope, Output loss,
                                                           std::vector<Variable> var_list = {});
  // One grouped op (NoOp named by the scope's op name, default name()) applying every gradient
  // that is valid; increments *global_step by one after the updates when given.
  absl::StatusOr<Operation> ApplyGradients(const Scope& scope, const std::vector<GradAndVar>& grads_and_vars,
                                           const Output* global_step = nullptr);
  absl::StatusOr<Operation> Minimize(const Scope& scope, Output loss, std::vector<Variable> var_list = {},
                                     const Output* global_step = nullptr);

  // The slot variable `slot` ("m", "v", "momentum", "accumulator", "rms", "mom") of `var`.
  std::optional<Variable> GetSlot(const Variable& var, const std::string& slot) const;
  const std::string& name() const { return name_; }

 protected:
  explicit Optimizer(std::string name) : name_(std::move(name)) {}
  // Called once per ApplyGradients before any update (create hyperparameter tensors, shared
  // non-slot variables such as Adam's beta powers).
  virtual absl::Status Prepare(const Scope& scope, DType dtype) = 0;
  // The update op of one variable.
  virtual Operation ApplyDense(const Scope& scope, const Output& grad, const Variable& var) = 0;
  // Runs after every update (Adam advances its beta powers); returns extra ops to group.
  virtual std::vector<Operation> Finish(const Scope& scope, const std::vector<Operation>& updates);

  // A zero-initialized slot variable shaped like `var` ("<var>/<name>", "<var>/<name>_1", ...),
  // created on first use, recorded in kGlobalVariables and kInitializers (not trainable).
  Variable ZerosSlot(const Scope& scope, const Variable& var, const std::string& slot, float initial = 0.0f);
  // A scalar non-slot variable (Adam's beta1_power), created once per optimizer.
  Variable ScalarVariable(const Scope& scope, const std::string& name, float initial, DType dtype);

 private:
  std::string name_;
  absl::flat_hash_map<std::string, Variable> slots_;  // "<var node>|<slot>"
  std::optional<Scope> outer_;                        // the scope ApplyGradients was given
};

class GradientDescentOptimizer : public Optimizer {
 public:
  explicit GradientDescentOptimizer(Hyper learning_rate) : Optimizer("GradientDescent"), lr_(learning_rate) {}

 protected:
  absl::Status Prepare(const Scope& scope, DType dtype) override;
  Operation ApplyDense(const Scope& scope, const Output& grad, const Variable& var) override;

 private:
  Hyper lr_;
  Output lr_t_;
};

class MomentumOptimizer : public Optimizer {
 public:
  MomentumOptimizer(Hyper learning_rate, Hyper momentum, bool use_nesterov = false)
      : Optimizer("Momentum"), lr_(learning_rate), momentum_(momentum), nesterov_(use_nesterov) {}

 protected:
  absl::Status Prepare(const Scope& scope, DType dtype) override;
  Operation ApplyDense(const Scope& scope, const Output& grad, const Variable& var) override;

 private:
  Hyper lr_, momentum_;
  bool nesterov_;
  Output lr_t_, momentum_t_;
};

class AdamOptimizer : public Optimizer {
 public:
  explicit AdamOptimizer(Hyper learning_rate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
      : Optimizer("Adam"), lr_(learning_rate), beta1_(beta1), beta2_(beta2), epsilon_(epsilon) {}

 protected:
  absl::Status Prepare(const Scope& scope, DType dtype) override;
  Operation ApplyDense(const Scope& scope, const Output& grad, const Variable& var) override;
  std::vector<Operation> Finish(const Scope& scope, const std::vector<Operation>& updates) override;

 private:
  Hyper lr_;
  float beta1_, beta2_, epsilon_;
  Output lr_t_, beta1_t_, beta2_t_, epsilon_t_;
  std::optional<Variable> beta1_power_, beta2_power_;
};

class RMSPropOptimizer : public Optimizer {
 public:
  explicit RMSPropOptimizer(Hyper learning_rate, float decay = 0.9f, float momentum = 0.0f, float epsilon = 1e-10f)
      : Optimizer("RMSProp"), lr_(learning_rate), decay_(decay), momentum_(momentum), epsilon_(epsilon) {}

 protected:
  absl::Status Prepare(const Scope& scope, DType dtype) override;
  Operation ApplyDense(const Scope& scope, const Output& grad, const Variable& var) override;

 private:
  Hyper lr_;
  float decay_, momentum_, epsilon_;
  Output lr_t_, decay_t_, momentum_t_, epsilon_t_;
};

class AdagradOptimizer : public Optimizer {
 public:
  explicit AdagradOptimizer(Hyper learning_rate, float initial_accumulator_value = 0.1f)
      : Optimizer("Adagrad"), lr_(learning_rate), initial_accumulator_(initial_accumulator_value) {}

 protected:
  absl::Status Prepare(const Scope& scope, DType dtype) override;
  Operation ApplyDense(const Scope& scope, const Output& grad, const Variable& var) override;

 private:
  Hyper lr_;
  float initial_accumulator_;
  Output lr_t_;
};

}  // namespace strata::train
