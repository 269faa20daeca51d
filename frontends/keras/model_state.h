// What a model built from layers keeps of its graph (internal to the model's .cc files).
#pragma once

#include <memory>
#include <vector>

#include "frontends/cc/scope.h"
#include "frontends/cc/training.h"
#include "frontends/keras/layer.h"
#include "frontends/keras/model.h"

namespace strata::keras {

struct Model::GraphState {
  Scope root = Scope::NewRootScope();
  std::vector<KerasTensor> inputs, outputs;
  std::vector<Output> input_placeholders;
  std::vector<Output> inference_outputs;  // the layers' outputs (before the output_k Identity)
  std::vector<Output> training_outputs;
  std::vector<Operation> updates;         // moving-average updates of the training path
  Output regularization;                  // sum of the weight penalties; invalid when none
  std::vector<train::Variable> weights;   // the layers' variables, in layer order
  std::vector<bool> weight_trainable;
  std::vector<std::unique_ptr<train::Optimizer>> optimizers;  // kept alive: they own slot tables
};

namespace internal {
// "(None, 26, 26, 32)"
std::string KerasShapeString(const Shape& shape);
}  // namespace internal

}  // namespace strata::keras
