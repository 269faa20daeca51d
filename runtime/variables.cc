// Variables and the state ops (see variables.h).
#include "runtime/variables.h"

#include <algorithm>
#include <random>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "graph/attr_value.h"
#include "graph/dtype_visit.h"
#include "ops/state_ops.h"
#include "runtime/random_kernels.h"

namespace strata {

Tensor VariableStore::Get(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = values_.find(name);
  return it == values_.end() ? Tensor() : it->second;
}

void VariableStore::Set(const std::string& name, Tensor value) {
  std::lock_guard<std::mutex> lock(mu_);
  values_[name] = std::move(value);
}

std::vector<std::string> VariableStore::Names() const {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, value] : values_) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

int64_t VariableStore::NextDraw(const std::string& node) {
  std::lock_guard<std::mutex> lock(mu_);
  return draws_[node]++;
}

uint64_t VariableStore::RandomSeed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

std::string VariableName(const Node& variable) {
  std::string shared;
  if (GetAttr(variable.attrs(), "shared_name", &shared).ok() && !shared.empty()) return shared;
  return variable.name();
}

bool IsVariableNode(const Node& n) { return n.op() == "VariableV2" || n.op() == "VarHandleOp"; }

DType VariableDType(const Node& variable) {
  if (variable.op() == "VariableV2") return BaseDType(variable.output_dtype(0));
  DType t = DT_INVALID;
  (void)GetAttr(variable.attrs(), "dtype", &t);
  return t;
}

Shape VariableShape(const Node& variable) {
  if (variable.op() == "VariableV2") return variable.output_shape(0);
  Shape s = Shape::UnknownRank();
  (void)GetAttr(variable.attrs(), "shape", &s);
  return s;
}

bool IsResourceVariableOp(const Node& n) {
  const std::string& op = n.op();
  return op == "VarHandleOp" || op == "ReadVariableOp" || op == "AssignVariableOp" || op == "AssignAddVariableOp" ||
         op == "AssignSubVariableOp" || op == "VarIsInitializedOp";
}

bool IsStateOp(const Node& n) {
  return n.op() == "VariableV2" || n.op() == "Assign" || n.op() == "AssignAdd" || n.op() == "AssignSub" ||
         IsResourceVariableOp(n) || IsRandomOp(n);
}

absl::Status UninitializedError(const Node& variable) {
  return absl::FailedPreconditionError(
      absl::StrCat("Attempting to use uninitialized value ", VariableName(variable), " (", variable.Describe(), ")"));
}

namespace {

// The variable a ref input refers to (directly: strata has no RefIdentity/RefSwitch chains).
absl::StatusOr<const Node*> RefVariable(const Node& n) {
  const Node* v = n.inputs().empty() ? nullptr : n.inputs()[0].node;
  if (v == nullptr || v->op() != "VariableV2") {
    return n.Annotate(absl::UnimplementedError("the ref input must come straight from a VariableV2"));
  }
  return v;
}

// The VarHandleOp a resource input comes from (through Identity nodes).
absl::StatusOr<const Node*> HandleVariable(const Node& n) {
  const Node* src = VarHandleSource(n);
  if (src == nullptr) {
    return n.Annotate(absl::UnimplementedError("the resource input must come from a VarHandleOp (through Identity only)"));
  }
  return src;
}

absl::StatusOr<Tensor> AddInto(const Tensor& current, const Tensor& delta, bool subtract) {
  // Either may be on a GPU (a training step leaves its results there).
  if (absl::Status s = current.SyncToHost(); !s.ok()) return s;
  if (absl::Status s = delta.SyncToHost(); !s.ok()) return s;
  absl::StatusOr<Tensor> out = Tensor::Create(current.dtype(), current.shape());
  if (!out.ok()) return out.status();
  const bool known = VisitDType(current.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      return;
    } else {
      auto a = current.flat<T>();
      auto d = delta.flat<T>();
      auto o = out->flat<T>();
      for (size_t i = 0; i < o.size(); ++i) {
        if constexpr (std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>) {
          const float x = static_cast<float>(a[i]), y = static_cast<float>(d[i]);
          o[i] = static_cast<T>(subtract ? x - y : x + y);
        } else {
          o[i] = static_cast<T>(subtract ? a[i] - d[i] : a[i] + d[i]);
        }
      }
    }
  });
  if (!known || current.dtype() == DT_BOOL) {
    return absl::InvalidArgumentError(absl::StrCat("cannot add to a ", DTypeName(current.dtype()), " variable"));
  }
  return out;
}

}  // namespace

namespace {

// Resource-variable ops: the handle names the variable (a string scalar holding its name, for
// whoever fetches it); the declared dtype and shape come from the VarHandleOp node.
absl::StatusOr<std::vector<Tensor>> RunResourceOp(const Node& n, const std::vector<Tensor>& inputs, VariableStore& store) {
  if (n.op() == "VarHandleOp") return std::vector<Tensor>{Tensor::Strings({VariableName(n)}, Shape{})};
  absl::StatusOr<const Node*> var = HandleVariable(n);
  if (!var.ok()) return var.status();
  const std::string name = VariableName(**var);
  DType declared_dtype = DT_INVALID;
  Shape declared_shape = Shape::UnknownRank();
  (void)GetAttr((*var)->attrs(), "dtype", &declared_dtype);
  (void)GetAttr((*var)->attrs(), "shape", &declared_shape);
  const Tensor current = store.Get(name);
  if (n.op() == "VarIsInitializedOp") return std::vector<Tensor>{Tensor::FromVector<bool>({current.valid()}, Shape{})};
  if (n.op() == "ReadVariableOp") {
    if (!current.valid()) return UninitializedError(**var);
    DType want = DT_INVALID;
    (void)GetAttr(n.attrs(), "dtype", &want);
    if (current.dtype() != want) {
      return n.Annotate(absl::InvalidArgumentError(absl::StrCat("variable ", name, " holds ", DTypeName(current.dtype()),
                                                                ", read as ", DTypeName(want))));
    }
    return std::vector<Tensor>{current};
  }
  const Tensor& value = inputs[1];
  if (value.dtype() != declared_dtype) {
    return n.Annotate(absl::InvalidArgumentError(absl::StrCat("variable ", name, " holds ", DTypeName(declared_dtype),
                                                              ", cannot assign a ", DTypeName(value.dtype()))));
  }
  if (n.op() == "AssignVariableOp") {
    // Like TF: an initialized variable keeps its shape; a fresh one takes any value compatible
    // with the declared shape.
    const Shape& want = current.valid() ? current.shape() : declared_shape;
    if (!value.shape().IsCompatibleWith(want)) {
      return n.Annotate(absl::InvalidArgumentError(absl::StrCat("variable ", name, " has shape ", want.ToString(),
                                                                ", cannot assign a value of shape ", value.shape().ToString())));
    }
    store.Set(name, value);
    return std::vector<Tensor>{};
  }
  if (!current.valid()) return UninitializedError(**var);
  const bool subtract = n.op() == "AssignSubVariableOp";
  if (current.shape() != value.shape()) {
    return n.Annotate(absl::InvalidArgumentError(absl::StrCat("variable ", name, " has shape ", current.shape().ToString(),
                                                              ", cannot ", subtract ? "subtract" : "add",
                                                              " a value of shape ", value.shape().ToString())));
  }
  absl::StatusOr<Tensor> updated = AddInto(current, value, subtract);
  if (!updated.ok()) return n.Annotate(updated.status());
  store.Set(name, *updated);
  return std::vector<Tensor>{};
}

}  // namespace

absl::StatusOr<std::vector<Tensor>> RunStateOp(const Node& n, const std::vector<Tensor>& inputs, VariableStore& store) {
  if (n.op() == "VariableV2") return std::vector<Tensor>{store.Get(VariableName(n))};
  if (IsRandomOp(n)) return RunRandomOp(n, inputs, store);
  if (IsResourceVariableOp(n)) return RunResourceOp(n, inputs, store);

  absl::StatusOr<const Node*> var = RefVariable(n);
  if (!var.ok()) return var.status();
  const std::string name = VariableName(**var);
  const Tensor& value = inputs[1];
  const Shape& declared = (*var)->output_shape(0);
  if (value.dtype() != BaseDType((*var)->output_dtype(0))) {
    return n.Annotate(absl::InvalidArgumentError(absl::StrCat("variable ", name, " holds ", DTypeName(BaseDType((*var)->output_dtype(0))),
                                                              ", cannot assign a ", DTypeName(value.dtype()))));
  }
  if (n.op() == "Assign") {
    bool validate = true;
    (void)GetAttr(n.attrs(), "validate_shape", &validate);
    if (validate && !value.shape().IsCompatibleWith(declared)) {
      return n.Annotate(absl::InvalidArgumentError(absl::StrCat("variable ", name, " has shape ", declared.ToString(),
                                                                ", cannot assign a value of shape ", value.shape().ToString())));
    }
    store.Set(name, value);
    return std::vector<Tensor>{value};
  }
  // AssignAdd / AssignSub read the current value.
  const Tensor current = store.Get(name);
  if (!current.valid()) return UninitializedError(**var);
  if (current.shape() != value.shape()) {
    return n.Annotate(absl::InvalidArgumentError(absl::StrCat("variable ", name, " has shape ", current.shape().ToString(), ", cannot ",
                                                              n.op() == "AssignAdd" ? "add" : "subtract", " a value of shape ",
                                                              value.shape().ToString())));
  }
  absl::StatusOr<Tensor> updated = AddInto(current, value, n.op() == "AssignSub");
  if (!updated.ok()) return n.Annotate(updated.status());
  store.Set(name, *updated);
  return std::vector<Tensor>{*updated};
}

}  // namespace strata
