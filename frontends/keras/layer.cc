#include "frontends/keras/layer.h"

#include <cctype>
#include <mutex>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "frontends/cc/ops.h"

namespace strata::keras {
namespace {

struct GlobalState {
  std::mutex mu;
  absl::flat_hash_map<std::string, int> name_counts;
  std::optional<int64_t> seed;
  int64_t seed_counter = 0;
};

GlobalState& Global() {
  static GlobalState* state = new GlobalState();
  return *state;
}

const Shape& EmptyShape() {
  static const Shape* shape = new Shape(Shape::UnknownRank());
  return *shape;
}

}  // namespace

namespace internal {

std::string UniqueLayerName(const std::string& prefix) {
  GlobalState& g = Global();
  std::lock_guard<std::mutex> lock(g.mu);
  int& count = g.name_counts[prefix];
  std::string name = count == 0 ? prefix : absl::StrCat(prefix, "_", count);
  ++count;
  return name;
}

std::string UniqueInputName() {
  GlobalState& g = Global();
  std::lock_guard<std::mutex> lock(g.mu);
  return absl::StrCat("input_", ++g.name_counts["<input>"]);
}

std::string SnakeCase(const std::string& class_name) {
  std::string out;
  for (size_t i = 0; i < class_name.size(); ++i) {
    char c = class_name[i];
    bool upper = std::isupper(static_cast<unsigned char>(c));
    // A new word starts at an upper-case letter after a lower-case one ("BatchNorm") or before
    // a lower-case one in a run of capitals; digits stay attached ("Conv2D" -> "conv2d").
    if (upper && i > 0) {
      char prev = class_name[i - 1];
      bool next_lower = i + 1 < class_name.size() && std::islower(static_cast<unsigned char>(class_name[i + 1]));
      if (std::islower(static_cast<unsigned char>(prev)) || (std::isupper(static_cast<unsigned char>(prev)) && next_lower)) {
        out.push_back('_');
      }
    }
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

std::pair<int64_t, int64_t> NextSeeds() {
  GlobalState& g = Global();
  std::lock_guard<std::mutex> lock(g.mu);
  if (!g.seed.has_value()) return {0, 0};
  return {*g.seed, ++g.seed_counter};
}

}  // namespace internal

void ClearSession() {
  GlobalState& g = Global();
  std::lock_guard<std::mutex> lock(g.mu);
  g.name_counts.clear();
  g.seed.reset();
  g.seed_counter = 0;
}

void SetRandomSeed(int64_t seed) {
  GlobalState& g = Global();
  std::lock_guard<std::mutex> lock(g.mu);
  g.seed = seed;
  g.seed_counter = 0;
}

// ---------------------------------------------------------------------------------------------
bool KerasTensor::ok() const { return node_ != nullptr && node_->status.ok(); }

absl::Status KerasTensor::status() const {
  if (node_ == nullptr) return absl::InvalidArgumentError("an empty KerasTensor (never produced by a layer)");
  return node_->status;
}

const Shape& KerasTensor::shape() const { return node_ ? node_->shape : EmptyShape(); }
DType KerasTensor::dtype() const { return node_ ? node_->dtype : DT_INVALID; }

std::string KerasTensor::name() const {
  if (!node_ || !node_->call) return "";
  return node_->index == 0 ? node_->call->layer->name() : absl::StrCat(node_->call->layer->name(), ":", node_->index);
}

KerasTensor KerasTensor::Error(absl::Status status) {
  auto node = std::make_shared<internal::TensorNode>();
  node->status = std::move(status);
  return KerasTensor(std::move(node));
}

// ---------------------------------------------------------------------------------------------
Output CallContext::weight(int index) const {
  if (index < 0 || index >= static_cast<int>(weights_.size())) {
    scope_.UpdateStatus(absl::OutOfRangeError(absl::StrCat("weight index ", index, " out of range")));
    return Output();
  }
  return weights_[index];
}

Output CallContext::weight_ref(int index) const {
  return index >= 0 && index < static_cast<int>(refs_.size()) ? refs_[index] : Output();
}

// ---------------------------------------------------------------------------------------------
Layer::Layer(std::string class_name, std::string name) : class_name_(std::move(class_name)) {
  name_ = name.empty() ? internal::UniqueLayerName(internal::SnakeCase(class_name_)) : std::move(name);
}

void Layer::SetError(const absl::Status& status) {
  if (status_.ok() && !status.ok()) status_ = status;
}

absl::Status Layer::Build(const std::vector<Shape>&) { return absl::OkStatus(); }

int Layer::AddWeight(const std::string& name, const Shape& shape, const Initializer& initializer, bool trainable,
                     Regularizer regularizer) {
  if (!initializer.status().ok()) SetError(initializer.status());
  weights_.push_back(WeightSpec{name, shape, initializer, trainable, regularizer});
  return static_cast<int>(weights_.size()) - 1;
}

int64_t Layer::CountParams() const {
  int64_t n = 0;
  for (const WeightSpec& w : weights_) n += w.shape.num_elements();
  return n;
}

int64_t Layer::CountTrainableParams() const {
  int64_t n = 0;
  for (const WeightSpec& w : weights_) n += w.trainable ? w.shape.num_elements() : 0;
  return n;
}

absl::Status Layer::EnsureBuilt(const std::vector<Shape>& input_shapes) {
  if (built_) return absl::OkStatus();
  if (!status_.ok()) return status_;
  absl::Status s = Build(input_shapes);
  if (!s.ok()) return s;
  if (!status_.ok()) return status_;
  for (const WeightSpec& w : weights_) {
    if (!w.shape.IsFullyDefined()) {
      return absl::InvalidArgumentError(
          absl::StrCat("weight '", w.name, "' has shape ", w.shape.ToString(), ", which is not fully defined"));
    }
  }
  built_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Output>> Layer::Invoke(CallContext& ctx, const std::vector<Output>& inputs) {
  if (!status_.ok()) return status_;
  absl::StatusOr<std::vector<Output>> outs = Call(ctx, inputs);
  if (!outs.ok()) return outs.status();
  if (!ctx.scope().ok()) return ctx.scope().status();
  return outs;
}

std::vector<KerasTensor> Layer::Apply(const std::vector<KerasTensor>& inputs) {
  auto fail = [&](const absl::Status& s) {
    return std::vector<KerasTensor>{KerasTensor::Error(
        absl::Status(s.code(), absl::StrCat("layer '", name_, "' (", class_name_, "): ", s.message())))};
  };
  for (const KerasTensor& x : inputs) {
    if (!x.ok()) return {x.node() ? x : KerasTensor::Error(x.status())};
  }
  if (!status_.ok()) return fail(status_);
  if (num_inputs() >= 0 && static_cast<int>(inputs.size()) != num_inputs()) {
    return fail(absl::InvalidArgumentError(absl::StrCat("expects ", num_inputs(), " input(s), got ", inputs.size())));
  }
  if (inputs.empty()) return fail(absl::InvalidArgumentError("called on no inputs"));
  std::shared_ptr<Layer> self = weak_from_this().lock();
  if (self == nullptr) {
    return fail(absl::FailedPreconditionError("a layer must be owned by a shared_ptr (use keras::MakeLayer)"));
  }
  std::vector<Shape> shapes;
  for (const KerasTensor& x : inputs) shapes.push_back(x.shape());
  if (absl::Status s = EnsureBuilt(shapes); !s.ok()) return fail(s);

  // Output shapes: run Call on a scratch graph of Placeholders.
  Scope root = Scope::NewRootScope();
  std::vector<Output> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    feeds.push_back(ops::Placeholder(root.WithOpName("input_", i), inputs[i].dtype(),
                                     ops::Placeholder::Shape(inputs[i].shape())));
  }
  std::vector<Output> weights;
  for (const WeightSpec& w : weights_) {
    weights.push_back(ops::Placeholder(root.WithOpName(w.name), DT_FLOAT, ops::Placeholder::Shape(w.shape)));
  }
  CallContext ctx(root.NewSubScope(name_), /*training=*/false, weights, {});
  absl::StatusOr<std::vector<Output>> outs = Invoke(ctx, feeds);
  if (!outs.ok()) return fail(outs.status());
  if (!root.ok()) return fail(root.status());

  auto call = std::make_shared<internal::CallNode>();
  call->layer = self;
  call->inputs = inputs;
  std::vector<KerasTensor> result;
  for (size_t i = 0; i < outs->size(); ++i) {
    auto node = std::make_shared<internal::TensorNode>();
    node->shape = (*outs)[i].shape();
    node->dtype = (*outs)[i].dtype();
    node->call = call;
    node->index = static_cast<int>(i);
    result.emplace_back(std::move(node));
  }
  return result;
}

KerasTensor Layer::Apply(const KerasTensor& input) {
  std::vector<KerasTensor> out = Apply(std::vector<KerasTensor>{input});
  return out.empty() ? KerasTensor::Error(absl::InternalError(absl::StrCat("layer '", name_, "' returned no outputs")))
                     : out[0];
}

// ---------------------------------------------------------------------------------------------
InputLayer::InputLayer(const std::vector<int64_t>& shape, DType dtype, const std::string& name)
    : Layer("InputLayer", name.empty() ? internal::UniqueInputName() : name), dtype_(dtype) {
  std::vector<int64_t> dims = {-1};
  dims.insert(dims.end(), shape.begin(), shape.end());
  batch_shape_ = Shape(dims);
}

absl::StatusOr<std::vector<Output>> InputLayer::Call(CallContext&, const std::vector<Output>&) {
  return absl::FailedPreconditionError(absl::StrCat("InputLayer '", name(), "' cannot be called"));
}

KerasTensor Input(const std::vector<int64_t>& shape, DType dtype, const std::string& name) {
  auto layer = std::make_shared<InputLayer>(shape, dtype, name);
  auto call = std::make_shared<internal::CallNode>();
  call->layer = layer;
  auto node = std::make_shared<internal::TensorNode>();
  node->shape = layer->batch_shape();
  node->dtype = dtype;
  node->call = call;
  return KerasTensor(std::move(node));
}

}  // namespace strata::keras
