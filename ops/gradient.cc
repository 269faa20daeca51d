// GradientGraphWriter, GradientBuilder and GradientContext (see gradient.h).
#include "ops/gradient.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "graph/shape_inference.h"
#include "graph/str_util.h"

namespace strata {

bool IsDifferentiableDType(DType dtype) {
  const DType base = BaseDType(dtype);
  return IsFloatingDType(base) || IsComplexDType(base);
}

absl::Status NoGradient(GradientContext&) { return absl::OkStatus(); }

// ---- GradientGraphWriter ----

GradientGraphWriter::GradientGraphWriter(Graph* graph, std::string name_scope, std::vector<Node*> control_dependencies)
    : graph_(graph), name_scope_(std::move(name_scope)), control_dependencies_(std::move(control_dependencies)) {}

absl::StatusOr<Node*> GradientGraphWriter::AddNode(std::string_view name, std::string_view op,
                                                   std::vector<Output> inputs, AttrMap attrs) {
  NodeSpec spec;
  spec.name = graph_->UniqueName(name_scope_.empty() ? std::string(name) : absl::StrCat(name_scope_, "/", Absl(name)));
  spec.op = std::string(op);
  const bool reads_added_node =
      std::any_of(inputs.begin(), inputs.end(), [&](const Output& in) { return added_.contains(in.node); });
  if (!reads_added_node) spec.control_inputs = control_dependencies_;
  spec.inputs = std::move(inputs);
  spec.attrs = std::move(attrs);
  absl::StatusOr<Node*> node = graph_->AddNode(std::move(spec));
  if (!node.ok()) return node.status();
  if (absl::Status s = InferNodeShapes(*node); !s.ok()) {
    // Nothing reads the node yet, so it can go; the graph stays as it was.
    (void)graph_->RemoveNode(*node);
    return s;
  }
  added_.insert(*node);
  added_order_.push_back(*node);
  return *node;
}

void GradientGraphWriter::RemoveAddedNodes() {
  for (auto it = added_order_.rbegin(); it != added_order_.rend(); ++it) (void)graph_->RemoveNode(*it);
  added_order_.clear();
  added_.clear();
}

// ---- GradientBuilder ----

GradientBuilder::GradientBuilder(GradientGraphWriter& writer, std::string sub_scope)
    : writer_(writer), sub_scope_(std::move(sub_scope)) {}

Output GradientBuilder::Fail(absl::Status s) {
  if (status_.ok()) status_ = std::move(s);
  return Output();
}

std::vector<Output> GradientBuilder::Ops(std::string_view op, std::vector<Output> inputs, AttrMap attrs) {
  if (!ok()) return {};
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].valid()) {
      Fail(absl::InternalError(absl::StrCat("gradient node ", Absl(op), ": input ", i, " is missing")));
      return {};
    }
  }
  const std::string name = sub_scope_.empty() ? std::string(op) : absl::StrCat(sub_scope_, "/", Absl(op));
  absl::StatusOr<Node*> node = writer_.AddNode(name, op, std::move(inputs), std::move(attrs));
  if (!node.ok()) {
    Fail(node.status());
    return {};
  }
  std::vector<Output> outputs;
  for (int i = 0; i < (*node)->num_outputs(); ++i) outputs.push_back(Output(*node, i));
  return outputs;
}

Output GradientBuilder::Op(std::string_view op, std::vector<Output> inputs, AttrMap attrs) {
  std::vector<Output> outputs = Ops(op, std::move(inputs), std::move(attrs));
  return outputs.empty() ? Output() : outputs[0];
}

Output GradientBuilder::Const(const Tensor& value) {
  return Op("Const", {}, {{"dtype", MakeAttr(value.dtype())}, {"value", MakeAttr(value)}});
}

Output GradientBuilder::Scalar(DType dtype, double value) {
  absl::StatusOr<Tensor> t = Tensor::Scalar<double>(value).Cast(BaseDType(dtype));
  if (!t.ok()) return Fail(t.status());
  return Const(*t);
}

Output GradientBuilder::Int32s(const std::vector<int64_t>& values) {
  std::vector<int32_t> narrow(values.begin(), values.end());
  return Const(Tensor::FromVector<int32_t>(narrow));
}

Output GradientBuilder::Int32(int64_t value) { return Const(Tensor::Scalar<int32_t>(static_cast<int32_t>(value))); }

Output GradientBuilder::Cast(Output x, DType to) {
  if (!x.valid()) return Fail(absl::InternalError("Cast of a missing tensor"));
  if (BaseDType(x.dtype()) == to) return x;
  return Op("Cast", {x}, {{"DstT", MakeAttr(to)}});
}

Output GradientBuilder::AddN(const std::vector<Output>& xs) {
  if (xs.empty()) return Fail(absl::InternalError("AddN of no tensors"));
  if (xs.size() == 1) return xs[0];
  return Op("AddN", xs);
}

Output GradientBuilder::ShapeOf(Output x) {
  if (!x.valid()) return Fail(absl::InternalError("shape of a missing tensor"));
  if (x.shape().IsFullyDefined()) return Int32s(x.shape().dims());
  return Op("Shape", {x});
}

Output GradientBuilder::DimsProduct(Output x, int begin, int end) {
  if (!x.valid() || !x.shape().has_rank()) return Fail(absl::InternalError("dims product of a tensor of unknown rank"));
  const Shape& s = x.shape();
  int64_t product = 1;
  bool known = true;
  for (int d = begin; d < end; ++d) {
    known &= s.dim(d) >= 0;
    product *= s.dim(d) >= 0 ? s.dim(d) : 1;
  }
  if (known) return Int32(product);
  Output dims = Op("Slice", {Op("Shape", {x}), Int32s({begin}), Int32s({end - begin})});
  return Op("Prod", {dims, Int32s({0})});
}

Output GradientBuilder::Vector(const std::vector<Output>& scalars) {
  std::vector<int64_t> values;
  for (const Output& s : scalars) {
    const Tensor* v = s.valid() ? s.node->output_value(s.index) : nullptr;
    if (v == nullptr || v->num_elements() != 1) return Pack(scalars);
    values.push_back(v->ElementAsInt64(0));
  }
  return Int32s(values);
}

Output GradientBuilder::Concat(const std::vector<Output>& xs, Output axis) {
  std::vector<Output> inputs = xs;
  inputs.push_back(axis);
  return Op("ConcatV2", std::move(inputs));
}

Output GradientBuilder::Pack(const std::vector<Output>& xs, int64_t axis) {
  return Op("Pack", xs, {{"axis", MakeAttr(axis)}});
}

Output GradientBuilder::Sum(Output x, Output axes, bool keep_dims) {
  return Op("Sum", {x, axes}, {{"keep_dims", MakeAttr(keep_dims)}});
}

Output GradientBuilder::MatMul(Output a, Output b, bool transpose_a, bool transpose_b) {
  return Op("MatMul", {a, b}, {{"transpose_a", MakeAttr(transpose_a)}, {"transpose_b", MakeAttr(transpose_b)}});
}

Output GradientBuilder::BatchMatMul(Output x, Output y, bool adj_x, bool adj_y) {
  return Op("BatchMatMulV2", {x, y}, {{"adj_x", MakeAttr(adj_x)}, {"adj_y", MakeAttr(adj_y)}});
}

namespace {

// The static form of SumToShapeOf: the axes to sum when x's shape is fully known and grad's
// rank is known; nullopt-like `false` when the shapes do not allow it.
bool StaticReductionAxes(const Shape& x, const Shape& grad, std::vector<int64_t>* axes, absl::Status* error) {
  if (!x.IsFullyDefined() || !grad.has_rank() || grad.rank() < x.rank()) return false;
  const int lead = grad.rank() - x.rank();
  for (int d = 0; d < grad.rank(); ++d) {
    if (d < lead) {
      axes->push_back(d);
      continue;
    }
    const int64_t xd = x.dim(d - lead), gd = grad.dim(d);
    if (xd == 1 && gd != 1) {
      axes->push_back(d);
    } else if (gd >= 0 && gd != xd) {
      *error = absl::InternalError(
          absl::StrCat("a gradient of shape ", grad.ToString(), " cannot be reduced to shape ", x.ToString()));
      return false;
    }
  }
  return true;
}

}  // namespace

Output GradientBuilder::SumToShapeOf(Output grad, Output x) {
  if (!ok()) return Output();
  if (!grad.valid() || !x.valid()) return Fail(absl::InternalError("broadcast reduction of a missing tensor"));
  std::vector<int64_t> axes;
  absl::Status error;
  if (StaticReductionAxes(x.shape(), grad.shape(), &axes, &error)) {
    if (axes.empty()) return grad;
    const bool same_rank = grad.shape().rank() == x.shape().rank();
    Output sum = Sum(grad, axes, /*keep_dims=*/same_rank);
    return same_rank ? sum : Reshape(sum, x.shape().dims());
  }
  if (!error.ok()) return Fail(error);
  Output x_shape = ShapeOf(x);
  std::vector<Output> reduce = Ops("BroadcastGradientArgs", {x_shape, ShapeOf(grad)});
  if (reduce.empty()) return Output();
  return Reshape(Sum(grad, reduce[0]), x_shape);
}

std::pair<Output, Output> GradientBuilder::SumToShapesOf(Output gx, Output x, Output gy, Output y) {
  if (!ok()) return {};
  if (!x.valid() || !y.valid()) return {Fail(absl::InternalError("broadcast reduction of a missing tensor")), Output()};
  std::vector<int64_t> unused;
  absl::Status error;
  const Shape& out = gx.valid() ? gx.shape() : gy.shape();
  const bool x_static = StaticReductionAxes(x.shape(), out, &unused, &error);
  const bool y_static = StaticReductionAxes(y.shape(), out, &unused, &error);
  if (x_static || y_static || !error.ok()) {
    return {gx.valid() ? SumToShapeOf(gx, x) : Output(), gy.valid() ? SumToShapeOf(gy, y) : Output()};
  }
  Output x_shape = ShapeOf(x), y_shape = ShapeOf(y);
  std::vector<Output> reduce = Ops("BroadcastGradientArgs", {x_shape, y_shape});
  if (reduce.empty()) return {};
  return {gx.valid() ? Reshape(Sum(gx, reduce[0]), x_shape) : Output(),
          gy.valid() ? Reshape(Sum(gy, reduce[1]), y_shape) : Output()};
}

// ---- GradientContext ----

GradientContext::GradientContext(GradientGraphWriter& writer, Node* node, std::vector<Output> dys,
                                 std::vector<bool> wanted)
    : GradientBuilder(writer, absl::StrCat(node->name(), "_grad")),
      node_(node),
      dys_(std::move(dys)),
      wanted_(std::move(wanted)),
      dxs_(node->num_inputs()) {
  if (!wanted_.empty()) wanted_.resize(node->num_inputs(), true);
  dys_.resize(node->num_outputs());
  for (const Output& dy : dys_) reached_.push_back(dy.valid());
}

AttrMap GradientContext::AttrsOf(std::initializer_list<const char*> names) const {
  AttrMap attrs;
  for (const char* name : names) {
    if (auto it = node_->attrs().find(name); it != node_->attrs().end()) attrs[name] = it->second;
  }
  return attrs;
}

Output GradientContext::dy(int i) {
  if (i < 0 || i >= num_outputs()) {
    return Fail(absl::InternalError(absl::StrCat("no output ", i, " to take a gradient of")));
  }
  if (!dys_[i].valid()) dys_[i] = ZerosLike(output(i));
  return dys_[i];
}

void GradientContext::set_dx(int i, Output dx) {
  if (i < 0 || i >= num_inputs()) {
    Fail(absl::InternalError(absl::StrCat("gradient set for input ", i, " of an op with ", num_inputs(), " inputs")));
    return;
  }
  dxs_[i] = dx;
}

}  // namespace strata
