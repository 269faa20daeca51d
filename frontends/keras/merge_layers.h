// Merge layers: Add (elementwise sum of inputs of one shape) and Concatenate (along an axis).
#pragma once

#include <string>
#include <vector>

#include "frontends/keras/layer.h"

namespace strata::keras {

class Add : public Layer {
 public:
  explicit Add(const std::string& name = "");

 protected:
  int num_inputs() const override { return -1; }
  absl::StatusOr<std::vector<Output>> Call(CallContext& ctx, const std::vector<Output>& inputs) override;
};

class Concatenate : public Layer {
 public:
  explicit Concatenate(int axis = -1, const std::string& name = "");

 protected:
  int num_inputs() const override { return -1; }
  absl::StatusOr<std::vector<Output>> Call(CallContext& ctx, const std::vector<Output>& inputs) override;

 private:
  int axis_;
};

namespace layers {
inline LayerHandle<keras::Add> Add(const std::string& name = "") { return MakeLayer<keras::Add>(name); }
inline LayerHandle<keras::Concatenate> Concatenate(int axis = -1, const std::string& name = "") {
  return MakeLayer<keras::Concatenate>(axis, name);
}
}  // namespace layers

}  // namespace strata::keras
