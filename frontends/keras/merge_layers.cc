#include "frontends/keras/merge_layers.h"

#include "absl/strings/str_cat.h"
#include "frontends/cc/ops.h"
#include "frontends/keras/core_layers.h"

namespace strata::keras {

Add::Add(const std::string& name) : Layer("Add", name) {}

absl::StatusOr<std::vector<Output>> Add::Call(CallContext& ctx, const std::vector<Output>& inputs) {
  if (inputs.size() < 2) return internal::LayerError(*this, absl::StrCat("needs at least 2 inputs, got ", inputs.size()));
  for (const Output& x : inputs) {
    if (x.shape() != inputs[0].shape()) {
      return internal::LayerError(*this, absl::StrCat("inputs must have one shape, got ", inputs[0].shape().ToString(),
                                                      " and ", x.shape().ToString()));
    }
  }
  return std::vector<Output>{ops::AddN(ctx.scope(), OutputList(inputs))};
}

Concatenate::Concatenate(int axis, const std::string& name) : Layer("Concatenate", name), axis_(axis) {}

absl::StatusOr<std::vector<Output>> Concatenate::Call(CallContext& ctx, const std::vector<Output>& inputs) {
  if (inputs.size() < 2) return internal::LayerError(*this, absl::StrCat("needs at least 2 inputs, got ", inputs.size()));
  return std::vector<Output>{ops::ConcatV2(ctx.scope(), OutputList(inputs), axis_)};
}

}  // namespace strata::keras
