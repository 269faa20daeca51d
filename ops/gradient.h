// What gradient functions are written against: GradientBuilder adds nodes to the gradient graph
// (by op name, with short helpers for the ops gradients use all the time), and GradientContext
// adds the forward node, the incoming gradients dy and the outgoing gradients dx.
//
// Gradient functions live in ops/ (libstrata), which is built before the generated ops::
// classes of frontends/cc, so they name ops by their TensorFlow name:
//
//   // y = tanh(x): dx = TanhGrad(y, dy)
//   absl::Status TanhGradFn(GradientContext& c) {
//     c.set_dx(0, c.Op("TanhGrad", {c.output(0), c.dy(0)}));
//     return c.status();
//   }
//   REGISTER_GRADIENT("Tanh", TanhGradFn);
//
// Errors accumulate as in XlaBuilder: the first failed node is recorded in status(), later
// calls return invalid Outputs (node == nullptr) and add nothing, so a gradient function reads
// straight through and returns status() at the end. Every node gets its shapes inferred when it
// is added; where static shapes are fully known, the helpers emit constants instead of
// Shape/BroadcastGradientArgs chains (which would fold at specialization anyway).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "graph/attr_value.h"
#include "graph/graph.h"
#include "graph/tensor.h"
#include "ops/registry.h"

namespace strata {

// Where one gradient transform writes: the graph, the name scope of every node it adds
// ("gradients/..."), and control dependencies that each added node must run after.
class GradientGraphWriter {
 public:
  GradientGraphWriter(Graph* graph, std::string name_scope, std::vector<Node*> control_dependencies = {});

  Graph* graph() const { return graph_; }
  const std::string& name_scope() const { return name_scope_; }

  // Adds "<name_scope>/<name>" (made unique) and infers its shapes. The control dependencies
  // go only to nodes none of whose inputs was added by this writer (the others inherit them).
  absl::StatusOr<Node*> AddNode(std::string_view name, std::string_view op, std::vector<Output> inputs, AttrMap attrs);
  bool Added(const Node* node) const { return added_.contains(node); }
  // Removes every node this writer added (newest first): a failed transform leaves the graph
  // as it found it (apart from reserved names).
  void RemoveAddedNodes();

 private:
  Graph* graph_;
  std::string name_scope_;
  std::vector<Node*> control_dependencies_;
  absl::flat_hash_set<const Node*> added_;
  std::vector<Node*> added_order_;
};

class GradientBuilder {
 public:
  // Nodes are named "<writer scope>/<sub_scope>/<Op>".
  GradientBuilder(GradientGraphWriter& writer, std::string sub_scope);
  virtual ~GradientBuilder() = default;

  const absl::Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }
  // Records the first error; returns an invalid Output.
  Output Fail(absl::Status s);
  Graph* graph() const { return writer_.graph(); }

  // ---- Generic node builder: type attrs are inferred from the inputs, others defaulted ----
  std::vector<Output> Ops(std::string_view op, std::vector<Output> inputs, AttrMap attrs = {});
  // Output 0 of the node (invalid for ops without outputs).
  Output Op(std::string_view op, std::vector<Output> inputs, AttrMap attrs = {});

  // ---- Constants ----
  Output Const(const Tensor& value);
  // A scalar of `dtype` (any numeric dtype) holding `value`.
  Output Scalar(DType dtype, double value);
  Output ScalarLike(const Output& like, double value) { return Scalar(like.dtype(), value); }
  Output Int32s(const std::vector<int64_t>& values);  // 1-D int32
  Output Int32(int64_t value);                        // int32 scalar

  // ---- Element-wise ----
  Output Add(Output a, Output b) { return Op("AddV2", {a, b}); }
  Output Sub(Output a, Output b) { return Op("Sub", {a, b}); }
  Output Mul(Output a, Output b) { return Op("Mul", {a, b}); }
  Output Div(Output a, Output b) { return Op("RealDiv", {a, b}); }
  Output Neg(Output x) { return Op("Neg", {x}); }
  Output Square(Output x) { return Op("Square", {x}); }
  Output Reciprocal(Output x) { return Op("Reciprocal", {x}); }
  Output Exp(Output x) { return Op("Exp", {x}); }
  Output Log(Output x) { return Op("Log", {x}); }
  Output Identity(Output x) { return Op("Identity", {x}); }
  Output ZerosLike(Output x) { return Op("ZerosLike", {x}); }
  Output OnesLike(Output x) { return Op("OnesLike", {x}); }
  // SelectV2 (condition, t and e broadcast together).
  Output Select(Output condition, Output t, Output e) { return Op("SelectV2", {condition, t, e}); }
  Output Cast(Output x, DType to);
  Output AddN(const std::vector<Output>& xs);

  // ---- Shapes and layout ----
  // x's shape as an int32 vector: a Const when statically known, else a Shape node.
  Output ShapeOf(Output x);
  Output Reshape(Output x, Output shape) { return Op("Reshape", {x, shape}); }
  Output Reshape(Output x, const std::vector<int64_t>& shape) { return Reshape(x, Int32s(shape)); }
  Output Transpose(Output x, const std::vector<int64_t>& perm) { return Op("Transpose", {x, Int32s(perm)}); }
  Output ExpandDims(Output x, int64_t axis) { return Op("ExpandDims", {x, Int32(axis)}); }
  // The product of dims [begin, end) of x (rank must be known) as an int32 scalar: a Const when
  // those dims are static, else computed from Shape(x). 1 for an empty range.
  Output DimsProduct(Output x, int begin, int end);
  // An int32 vector of int32 scalars: a Const when all are known, else a Pack.
  Output Vector(const std::vector<Output>& scalars);
  Output Concat(const std::vector<Output>& xs, Output axis);
  Output Pack(const std::vector<Output>& xs, int64_t axis = 0);
  Output Sum(Output x, Output axes, bool keep_dims = false);
  Output Sum(Output x, const std::vector<int64_t>& axes, bool keep_dims = false) {
    return Sum(x, Int32s(axes), keep_dims);
  }
  Output MatMul(Output a, Output b, bool transpose_a = false, bool transpose_b = false);
  Output BatchMatMul(Output x, Output y, bool adj_x = false, bool adj_y = false);

  // ---- Broadcasting ----
  // `grad`, a gradient for the broadcast result of an op that read `x`, summed over the
  // broadcast dims and reshaped to x's shape.
  Output SumToShapeOf(Output grad, Output x);
  // The same for both operands of a broadcasting binary op at once (one BroadcastGradientArgs
  // when the shapes are dynamic).
  std::pair<Output, Output> SumToShapesOf(Output gx, Output x, Output gy, Output y);

 protected:
  GradientGraphWriter& writer_;

 private:
  std::string sub_scope_;
  absl::Status status_;
};

// The view of one forward node that its gradient function gets.
class GradientContext : public GradientBuilder {
 public:
  // dys: one per output of `node`; an invalid Output means no gradient reaches that output.
  // wanted: which inputs need a gradient (empty: all).
  GradientContext(GradientGraphWriter& writer, Node* node, std::vector<Output> dys, std::vector<bool> wanted = {});

  const Node& node() const { return *node_; }
  template <typename T>
  absl::Status GetAttr(std::string_view name, T* value) const {
    return node_->GetAttr(name, value);
  }
  // Reads an attr; on error records it (so status() reports it) and leaves *value unchanged.
  template <typename T>
  bool Attr(std::string_view name, T* value) {
    absl::Status s = node_->GetAttr(name, value);
    if (!s.ok()) Fail(s);
    return s.ok();
  }

  // The node's attrs of these names (those it has), e.g. to give a backprop op its forward
  // op's strides and padding.
  AttrMap AttrsOf(std::initializer_list<const char*> names) const;

  int num_inputs() const { return node_->num_inputs(); }
  Output input(int i) const { return node_->input(i); }
  int num_outputs() const { return node_->num_outputs(); }
  Output output(int i) const { return Output(node_, i); }

  // Whether a gradient reaches output i.
  bool has_dy(int i) const { return reached_[i]; }
  // The gradient for output i; zeros of the output's shape when none reaches it.
  Output dy(int i);

  // Whether the transform needs input i's gradient (it leads to an x). Others are dropped, so
  // gradient functions only check this to skip building costly unused gradients.
  bool wants_dx(int i) const { return wanted_.empty() || wanted_[i]; }
  // The gradient for input i; an invalid Output (the default) means NoGradient.
  void set_dx(int i, Output dx);
  const std::vector<Output>& dxs() const { return dxs_; }

 private:
  Node* node_;
  std::vector<Output> dys_;
  std::vector<bool> reached_;
  std::vector<bool> wanted_;
  std::vector<Output> dxs_;
};

// The gradient function of ops through which no gradient flows (StopGradient, OnesLike, Floor,
// ...): every input gets NoGradient. Different from having no gradient function, which makes
// the transform fail when the op lies on a differentiated path.
absl::Status NoGradient(GradientContext& c);
#define REGISTER_NO_GRADIENT(op) REGISTER_GRADIENT(op, ::strata::NoGradient)

// Whether gradients flow through tensors of this dtype (floating and complex).
bool IsDifferentiableDType(DType dtype);

}  // namespace strata
