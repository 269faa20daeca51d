// The Keras layer model: symbolic tensors (KerasTensor), the Layer base class that custom layers
// subclass (Build + Call, like tf.keras.layers.Layer), and the handles that make layer calls read
// like Keras:
//
//   KerasTensor x = keras::Input({784});
//   KerasTensor h = keras::layers::Dense(64, {.activation = "relu"})(x);
//
// A layer call on KerasTensors builds no graph yet: it records the call (for the model to replay
// later, once in training mode and once in inference mode) and infers the output shapes by
// running the layer's Call on a scratch graph of Placeholders. Errors are values: a failed call
// returns a KerasTensor whose status() names the layer and what went wrong, and every later call
// on it passes the error along.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "frontends/cc/ops_base.h"
#include "frontends/cc/scope.h"
#include "frontends/keras/initializers.h"
#include "frontends/keras/regularizers.h"
#include "graph/dtype.h"
#include "graph/shape.h"

namespace strata::keras {

class Layer;

namespace internal {
struct TensorNode;
}  // namespace internal

// A symbolic tensor of the functional API. shape() has -1 for the batch dimension.
class KerasTensor {
 public:
  KerasTensor() = default;
  bool ok() const;
  absl::Status status() const;
  const Shape& shape() const;
  DType dtype() const;
  // "<layer name>" for the first output of a layer call, "<layer name>:k" otherwise.
  std::string name() const;
  const std::shared_ptr<const internal::TensorNode>& node() const { return node_; }

  static KerasTensor Error(absl::Status status);
  explicit KerasTensor(std::shared_ptr<const internal::TensorNode> node) : node_(std::move(node)) {}

 private:
  std::shared_ptr<const internal::TensorNode> node_;
};

namespace internal {
// One call of a layer: the layer and the tensors it was called on.
struct CallNode {
  std::shared_ptr<Layer> layer;
  std::vector<KerasTensor> inputs;
};
struct TensorNode {
  absl::Status status;
  Shape shape;
  DType dtype = DT_FLOAT;
  std::shared_ptr<const CallNode> call;
  int index = 0;  // which output of the call
};
}  // namespace internal

// A weight a layer declares in Build; the model makes it a variable "<layer>/<name>".
struct WeightSpec {
  std::string name;
  Shape shape;
  Initializer initializer;
  bool trainable = true;
  Regularizer regularizer;  // its penalty is added to the training loss
};

// What a layer's Call sees: where to build ops, whether it runs in training mode, and its
// weights as graph tensors.
class CallContext {
 public:
  CallContext(Scope scope, bool training, std::vector<Output> weights, std::vector<Output> weight_refs)
      : scope_(std::move(scope)), training_(training), weights_(std::move(weights)), refs_(std::move(weight_refs)) {}
  const Scope& scope() const { return scope_; }
  bool training() const { return training_; }
  // The value of weight `index` (the order of AddWeight calls).
  Output weight(int index) const;
  // The assignable reference of weight `index` (for state updates such as moving averages);
  // invalid while shapes are being inferred.
  Output weight_ref(int index) const;
  // An op to run with every training step (BatchNormalization's moving-average updates).
  void AddUpdate(const Operation& op) { updates_.push_back(op); }
  const std::vector<Operation>& updates() const { return updates_; }

 private:
  Scope scope_;
  bool training_;
  std::vector<Output> weights_;
  std::vector<Output> refs_;
  std::vector<Operation> updates_;
};

class Layer : public std::enable_shared_from_this<Layer> {
 public:
  // `name` empty: a unique name from the class ("Dense" -> "dense", "dense_1", ...).
  Layer(std::string class_name, std::string name);
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  const std::string& class_name() const { return class_name_; }
  // An error recorded at construction (an unknown activation or initializer name, ...).
  const absl::Status& status() const { return status_; }

  // Calls the layer on symbolic tensors (the layer must be owned by a shared_ptr).
  std::vector<KerasTensor> Apply(const std::vector<KerasTensor>& inputs);
  KerasTensor Apply(const KerasTensor& input);

  // Builds the layer for these input shapes (batch dim included) once; later calls are no-ops.
  absl::Status EnsureBuilt(const std::vector<Shape>& input_shapes);
  bool built() const { return built_; }
  const std::vector<WeightSpec>& weights() const { return weights_; }
  int64_t CountParams() const;
  int64_t CountTrainableParams() const;

  // Builds the layer's ops for `inputs` in ctx.scope(). The model calls this; subclasses
  // implement Call.
  absl::StatusOr<std::vector<Output>> Invoke(CallContext& ctx, const std::vector<Output>& inputs);

 protected:
  // Declares the weights for these input shapes (AddWeight). Default: none.
  virtual absl::Status Build(const std::vector<Shape>& input_shapes);
  // The layer's computation.
  virtual absl::StatusOr<std::vector<Output>> Call(CallContext& ctx, const std::vector<Output>& inputs) = 0;
  // How many inputs the layer takes (-1: any number >= 1).
  virtual int num_inputs() const { return 1; }

  // Declares a weight; returns its index for CallContext::weight.
  int AddWeight(const std::string& name, const Shape& shape, const Initializer& initializer, bool trainable = true,
                Regularizer regularizer = {});
  // Keeps the first construction error (reported by every call of the layer).
  void SetError(const absl::Status& status);

 private:
  std::string class_name_;
  std::string name_;
  absl::Status status_;
  bool built_ = false;
  std::vector<WeightSpec> weights_;
};

using LayerPtr = std::shared_ptr<Layer>;

// A shared_ptr to a layer that can be called like a Keras layer: layer(x), layer({a, b}).
template <typename T>
class LayerHandle : public std::shared_ptr<T> {
 public:
  LayerHandle(std::shared_ptr<T> p) : std::shared_ptr<T>(std::move(p)) {}  // NOLINT
  KerasTensor operator()(const KerasTensor& x) const { return (*this)->Apply(x); }
  KerasTensor operator()(const std::vector<KerasTensor>& xs) const {
    std::vector<KerasTensor> out = (*this)->Apply(xs);
    return out.empty() ? KerasTensor::Error(absl::InternalError("layer returned no outputs")) : out[0];
  }
};

// Makes a custom layer: auto l = keras::MakeLayer<MyLayer>(args...); l(x).
template <typename T, typename... Args>
LayerHandle<T> MakeLayer(Args&&... args) {
  return LayerHandle<T>(std::make_shared<T>(std::forward<Args>(args)...));
}

// The layer behind keras::Input (summary lists it in functional models).
class InputLayer : public Layer {
 public:
  InputLayer(const std::vector<int64_t>& shape, DType dtype, const std::string& name);
  // The shape with the batch dim (-1) in front.
  const Shape& batch_shape() const { return batch_shape_; }
  DType dtype() const { return dtype_; }

 protected:
  absl::StatusOr<std::vector<Output>> Call(CallContext& ctx, const std::vector<Output>& inputs) override;

 private:
  Shape batch_shape_;
  DType dtype_;
};

// A symbolic input of the functional API: shape without the batch dim.
KerasTensor Input(const std::vector<int64_t>& shape, DType dtype = DT_FLOAT, const std::string& name = "");

// Resets the per-class name counters ("dense", "dense_1", ...) and the global seed, like
// tf.keras.backend.clear_session().
void ClearSession();
// A global seed (tf.random.set_seed): initializers and dropout get reproducible seeds.
void SetRandomSeed(int64_t seed);

namespace internal {
// "dense" / "dense_1" / ... for a class prefix.
std::string UniqueLayerName(const std::string& prefix);
// "input_1", "input_2", ... (Keras numbers inputs from 1).
std::string UniqueInputName();
// "Conv2D" -> "conv2d", "BatchNormalization" -> "batch_normalization".
std::string SnakeCase(const std::string& class_name);
// The (seed, seed2) pair for the next random op: (0, 0) when no global seed is set.
std::pair<int64_t, int64_t> NextSeeds();
}  // namespace internal

}  // namespace strata::keras
