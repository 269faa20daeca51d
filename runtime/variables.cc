// Variables and the state ops (see variables.h).
#include "runtime/variables.h"

#include <algorithm>
#include <random>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "graph/attr_value.h"
#include "graph/dtype_visit.h"
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

bool IsStateOp(const Node& n) {
  return n.op() == "VariableV2" || n.op() == "Assign" || n.op() == "AssignAdd" || n.op() == "AssignSub" ||
         IsRandomOp(n);
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

absl::StatusOr<Tensor> AddInto(const Tensor& current, const Tensor& delta, bool subtract) {
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

absl::StatusOr<std::vector<Tensor>> RunStateOp(const Node& n, const std::vector<Tensor>& inputs, VariableStore& store) {
  if (n.op() == "VariableV2") return std::vector<Tensor>{store.Get(VariableName(n))};
  if (IsRandomOp(n)) return RunRandomOp(n, inputs, store);

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
