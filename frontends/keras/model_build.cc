// Model construction: the layer-call DAG replayed into one graph (inference and training
// paths), the Sequential stack, and summary().
#include <functional>
#include <iostream>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontends/cc/ops.h"
#include "frontends/keras/model.h"
#include "frontends/keras/model_state.h"

namespace strata::keras {

namespace internal {
std::string KerasShapeString(const Shape& shape) {
  if (!shape.has_rank()) return "?";
  std::vector<std::string> dims;
  for (int64_t d : shape.dims()) dims.push_back(d < 0 ? "None" : absl::StrCat(d));
  return absl::StrCat("(", absl::StrJoin(dims, ", "), dims.size() == 1 ? ",)" : ")");
}
}  // namespace internal

namespace {

using CallKey = std::pair<const internal::CallNode*, int>;

CallKey KeyOf(const KerasTensor& t) { return {t.node()->call.get(), t.node()->index}; }

// "1,234,567"
std::string WithCommas(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

}  // namespace

Model::Model(std::string name) : name_(std::move(name)) {}
Model::~Model() = default;

absl::StatusOr<std::unique_ptr<Model>> Model::Create(const std::vector<KerasTensor>& inputs,
                                                     const std::vector<KerasTensor>& outputs, const std::string& name) {
  std::unique_ptr<Model> model(new Model(name.empty() || name == "model" ? internal::UniqueLayerName("model") : name));
  absl::Status s = model->BuildGraph(inputs, outputs);
  if (!s.ok()) return s;
  return model;
}

absl::Status Model::BuildGraph(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs) {
  if (built_) return absl::FailedPreconditionError(absl::StrCat("model '", name_, "' is already built"));
  if (inputs.empty() || outputs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("model '", name_, "' needs at least one input and one output"));
  }
  for (const KerasTensor& t : inputs) {
    if (!t.ok()) return t.status();
    if (dynamic_cast<const InputLayer*>(t.node()->call->layer.get()) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("model '", name_, "': input '", t.name(), "' is not a keras::Input tensor"));
    }
  }
  for (const KerasTensor& t : outputs) {
    if (!t.ok()) return t.status();
  }

  // The calls in dependency order, and every tensor's shape per call (for summary).
  std::set<const internal::TensorNode*> input_set;
  for (const KerasTensor& t : inputs) input_set.insert(t.node().get());
  std::vector<const internal::CallNode*> order;
  std::set<const internal::CallNode*> visited;
  std::map<const internal::CallNode*, std::map<int, Shape>> call_shapes;
  absl::Status dag_status;
  std::function<void(const KerasTensor&)> visit = [&](const KerasTensor& t) {
    const internal::CallNode* call = t.node()->call.get();
    call_shapes[call][t.node()->index] = t.shape();
    if (visited.count(call)) return;
    visited.insert(call);
    if (dynamic_cast<const InputLayer*>(call->layer.get()) != nullptr) {
      if (!input_set.count(t.node().get()) && dag_status.ok()) {
        dag_status = absl::InvalidArgumentError(absl::StrCat("model '", name_, "': the outputs depend on input '",
                                                             t.name(), "', which is not among the model's inputs"));
      }
    }
    for (const KerasTensor& x : call->inputs) visit(x);
    order.push_back(call);
  };
  for (const KerasTensor& t : inputs) visit(t);
  for (const KerasTensor& t : outputs) visit(t);
  if (!dag_status.ok()) return dag_status;

  // Distinct layers in call order; names must be unique (they name the variables).
  std::vector<LayerPtr> layers;
  std::map<std::string, const Layer*> by_name;
  for (const internal::CallNode* call : order) {
    auto [it, inserted] = by_name.emplace(call->layer->name(), call->layer.get());
    if (inserted) {
      layers.push_back(call->layer);
    } else if (it->second != call->layer.get()) {
      return absl::InvalidArgumentError(
          absl::StrCat("model '", name_, "': two layers are named '", call->layer->name(), "'; layer names must be unique"));
    }
  }

  auto g = std::make_unique<GraphState>();
  g->inputs = inputs;
  g->outputs = outputs;
  const Scope& root = g->root;
  std::map<CallKey, Output> inference, training;
  for (const KerasTensor& t : inputs) {
    const auto* in = static_cast<const InputLayer*>(t.node()->call->layer.get());
    Output ph = ops::Placeholder(root.WithOpName(in->name()), in->dtype(), ops::Placeholder::Shape(in->batch_shape()));
    g->input_placeholders.push_back(ph);
    inference[KeyOf(t)] = training[KeyOf(t)] = ph;
    signature_.input_names.push_back(ph.node ? ph.node->name() : in->name());
    signature_.input_shapes.push_back(in->batch_shape());
    signature_.input_dtypes.push_back(in->dtype());
  }

  // Variables: "<layer>/<weight>".
  std::map<const Layer*, Scope> layer_scopes;
  std::map<const Layer*, std::pair<std::vector<Output>, std::vector<Output>>> layer_weights;  // values, refs
  std::vector<Output> penalties;
  for (const LayerPtr& layer : layers) {
    if (dynamic_cast<const InputLayer*>(layer.get()) != nullptr) continue;
    Scope scope = root.NewSubScope(layer->name());
    layer_scopes.emplace(layer.get(), scope);
    auto& [values, refs] = layer_weights[layer.get()];
    for (const WeightSpec& w : layer->weights()) {
      Output init = w.initializer.Build(scope.NewSubScope(w.name + "_initializer"), w.shape);
      train::Variable var = train::MakeVariable(scope.WithOpName(w.name), init,
                                                train::VariableOptions{train::VariableKind::kRef, w.trainable});
      if (!root.ok()) return root.status();
      values.push_back(var.value);
      refs.push_back(var.handle);
      g->weights.push_back(var);
      g->weight_trainable.push_back(w.trainable);
      signature_.weight_names.push_back(var.name());
      if (w.regularizer.active()) {
        Scope rs = root.NewSubScope("regularization");
        if (w.regularizer.l2 != 0.0f) {
          penalties.push_back(ops::Mul(rs, ops::Sum(rs, ops::Square(rs, ops::Reshape(rs, var.value, {-1})), {0}),
                                       w.regularizer.l2));
        }
        if (w.regularizer.l1 != 0.0f) {
          penalties.push_back(ops::Mul(rs, ops::Sum(rs, ops::Abs(rs, ops::Reshape(rs, var.value, {-1})), {0}),
                                       w.regularizer.l1));
        }
      }
    }
  }
  if (!penalties.empty()) {
    g->regularization = penalties.size() == 1 ? penalties[0]
                                              : Output(ops::AddN(root.WithOpName("regularization_loss"), OutputList(penalties)));
  }

  // The two forward paths.
  for (bool train_mode : {false, true}) {
    std::map<CallKey, Output>& values = train_mode ? training : inference;
    for (const internal::CallNode* call : order) {
      Layer* layer = call->layer.get();
      if (dynamic_cast<const InputLayer*>(layer) != nullptr) continue;
      std::vector<Output> ins;
      for (const KerasTensor& x : call->inputs) ins.push_back(values.at(KeyOf(x)));
      const Scope& layer_scope = layer_scopes.at(layer);
      Scope scope = train_mode ? layer_scope.NewSubScope("train") : layer_scope;
      const auto& [w_values, w_refs] = layer_weights.at(layer);
      CallContext ctx(scope, train_mode, w_values, w_refs);
      absl::StatusOr<std::vector<Output>> outs = layer->Invoke(ctx, ins);
      if (!outs.ok()) {
        return absl::Status(outs.status().code(), absl::StrCat("layer '", layer->name(), "' (", layer->class_name(),
                                                               "): ", outs.status().message()));
      }
      for (size_t i = 0; i < outs->size(); ++i) values[{call, static_cast<int>(i)}] = (*outs)[i];
      if (train_mode) g->updates.insert(g->updates.end(), ctx.updates().begin(), ctx.updates().end());
    }
  }
  for (size_t k = 0; k < outputs.size(); ++k) {
    Output raw = inference.at(KeyOf(outputs[k]));
    g->inference_outputs.push_back(raw);
    g->training_outputs.push_back(training.at(KeyOf(outputs[k])));
    Output out = ops::Identity(root.WithOpName("output_", k), raw);
    signature_.output_names.push_back(absl::StrCat("output_", k));
    signature_.output_shapes.push_back(outputs[k].shape());
    (void)out;
  }
  if (!root.ok()) return root.status();

  // Summary rows (Sequential leaves its input layer out, as Keras does).
  std::map<const Layer*, int> call_count;
  std::map<const internal::CallNode*, int> call_index;
  for (const internal::CallNode* call : order) call_index[call] = call_count[call->layer.get()]++;
  for (const LayerPtr& layer : layers) {
    const bool is_input = dynamic_cast<const InputLayer*>(layer.get()) != nullptr;
    if (is_input && sequential_) continue;
    SummaryRow row;
    row.name = layer->name();
    row.class_name = layer->class_name();
    row.params = layer->CountParams();
    row.trainable_params = layer->CountTrainableParams();
    std::vector<std::string> connected;
    int calls = 0;
    for (const internal::CallNode* call : order) {
      if (call->layer != layer) continue;
      ++calls;
      std::vector<std::string> shapes;
      for (const auto& [index, shape] : call_shapes[call]) shapes.push_back(internal::KerasShapeString(shape));
      row.output_shape = shapes.size() == 1 && !is_input ? shapes[0] : absl::StrCat("[", absl::StrJoin(shapes, ", "), "]");
      for (const KerasTensor& x : call->inputs) {
        connected.push_back(absl::StrCat(x.node()->call->layer->name(), "[", call_index[x.node()->call.get()], "][",
                                         x.node()->index, "]"));
      }
    }
    if (calls > 1) row.output_shape = "multiple";
    row.connected_to = absl::StrJoin(connected, ", ");
    summary_.push_back(row);
  }

  layers_.clear();
  for (const LayerPtr& layer : layers) {
    if (!(sequential_ && dynamic_cast<const InputLayer*>(layer.get()) != nullptr)) layers_.push_back(layer);
  }
  graph_ = std::move(g);
  built_ = true;
  session_stale_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SummaryRow>> Model::SummaryRows() {
  if (absl::Status s = EnsureBuilt(); !s.ok()) return s;
  return summary_;
}

absl::StatusOr<int64_t> Model::CountParams() {
  absl::StatusOr<std::vector<SummaryRow>> rows = SummaryRows();
  if (!rows.ok()) return rows.status();
  int64_t n = 0;
  for (const SummaryRow& r : *rows) n += r.params;
  return n;
}

absl::StatusOr<std::string> Model::Summary() {
  absl::StatusOr<std::vector<SummaryRow>> rows = SummaryRows();
  if (!rows.ok()) return rows.status();
  const bool functional = !sequential_;
  const size_t w_layer = 29, w_shape = 26, w_params = 10, w_conn = 25;  // Keras: 65 columns
  const size_t width = w_layer + w_shape + w_params + (functional ? w_conn : 0);
  std::string out = absl::StrCat("Model: \"", name_, "\"\n", std::string(width, '_'), "\n");
  std::string header = Pad(" Layer (type)", w_layer) + Pad("Output Shape", w_shape) + Pad("Param #", w_params);
  if (functional) header += "Connected to";
  absl::StrAppend(&out, header, "\n", std::string(width, '='), "\n");
  int64_t total = 0, trainable = 0;
  for (size_t i = 0; i < rows->size(); ++i) {
    const SummaryRow& r = (*rows)[i];
    std::string line = Pad(absl::StrCat(" ", r.name, " (", r.class_name, ")"), w_layer) + Pad(r.output_shape, w_shape) +
                       Pad(absl::StrCat(r.params), w_params);
    if (functional) line += r.connected_to;
    absl::StrAppend(&out, line, "\n", i + 1 < rows->size() ? "\n" : "");
    total += r.params;
    trainable += r.trainable_params;
  }
  absl::StrAppend(&out, std::string(width, '='), "\n", "Total params: ", WithCommas(total), "\n",
                  "Trainable params: ", WithCommas(trainable), "\n", "Non-trainable params: ", WithCommas(total - trainable),
                  "\n", std::string(width, '_'), "\n");
  return out;
}

void Model::PrintSummary() {
  absl::StatusOr<std::string> s = Summary();
  std::cout << (s.ok() ? *s : absl::StrCat("summary: ", s.status().message(), "\n"));
}

absl::StatusOr<ModelSignature> Model::Signature() {
  if (absl::Status s = EnsureBuilt(); !s.ok()) return s;
  return signature_;
}

// ---------------------------------------------------------------------------------------------
Sequential::Sequential(std::vector<LayerPtr> layers, const std::string& name)
    : Model(name.empty() ? internal::UniqueLayerName("sequential") : name) {
  sequential_ = true;
  stack_ = std::move(layers);
}

void Sequential::Add(LayerPtr layer) { stack_.push_back(std::move(layer)); }

absl::Status Sequential::Build(const std::vector<int64_t>& input_shape, DType dtype) {
  if (built_) return absl::OkStatus();
  if (stack_.empty()) return absl::FailedPreconditionError(absl::StrCat("Sequential '", name(), "' has no layers"));
  size_t first = dynamic_cast<const InputLayer*>(stack_[0].get()) != nullptr ? 1 : 0;
  std::string input_name = first < stack_.size() ? absl::StrCat(stack_[first]->name(), "_input") : "";
  KerasTensor x = Input(input_shape, dtype, input_name);
  return BuildFrom(x, first);
}

absl::Status Sequential::BuildFrom(const KerasTensor& input, size_t first) {
  KerasTensor x = input;
  for (size_t i = first; i < stack_.size(); ++i) {
    if (stack_[i] == nullptr) return absl::InvalidArgumentError(absl::StrCat("Sequential '", name(), "': layer ", i, " is null"));
    if (dynamic_cast<const InputLayer*>(stack_[i].get()) != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("Sequential '", name(), "': an InputLayer may only be the first layer (found at ", i, ")"));
    }
    x = stack_[i]->Apply(x);
    if (!x.ok()) return x.status();
  }
  if (first >= stack_.size()) return absl::FailedPreconditionError(absl::StrCat("Sequential '", name(), "' has no layers"));
  return BuildGraph({input}, {x});
}

absl::Status Sequential::EnsureBuilt() {
  if (built_) return absl::OkStatus();
  if (!stack_.empty()) {
    if (auto* in = dynamic_cast<InputLayer*>(stack_[0].get()); in != nullptr) {
      std::vector<int64_t> dims(in->batch_shape().dims().begin() + 1, in->batch_shape().dims().end());
      auto call = std::make_shared<internal::CallNode>();
      call->layer = stack_[0];
      auto node = std::make_shared<internal::TensorNode>();
      node->shape = in->batch_shape();
      node->dtype = in->dtype();
      node->call = call;
      return BuildFrom(KerasTensor(std::move(node)), 1);
    }
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "Sequential '", name(), "' does not know its input shape: start it with layers::InputLayer(shape) or call Build(shape)"));
}

}  // namespace strata::keras
