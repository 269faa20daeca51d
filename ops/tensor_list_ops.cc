// TensorList ops (TF2's list of tensors behind a DT_VARIANT scalar, what tf.map_fn and
// tf.TensorArray lower to in TF2 graphs). Schemas and shape functions follow
// tensorflow/core/ops/list_ops.cc.
//
// A TensorList is an immutable host-side value: SetItem/PushBack return a new list. No compiled
// code ever sees one: the Session puts every TensorList op into the control-flow region it
// belongs to (or a region of its own) and the region's executor runs them
// (runtime/control_flow_tensor_arrays.h).
#include "absl/status/status.h"
#include "graph/shape.h"
#include "graph/shape_inference.h"
#include "ops/registry.h"
#include "ops/shape_fn_util.h"

namespace strata {
namespace {

#define TL_RETURN_IF_ERROR(expr) \
  do {                           \
    absl::Status _st = (expr);   \
    if (!_st.ok()) return _st;   \
  } while (0)

absl::Status CheckScalar(InferenceContext& c, int i, const char* name) {
  return shape_fn::InputWithRank(c, i, 0, name).status();
}

// An element_shape input as a shape; unknown when it cannot be read statically.
Shape ElementShape(InferenceContext& c, int i) {
  absl::StatusOr<Shape> s = c.InputAsShape(i);
  return s.ok() ? *s : Shape::UnknownRank();
}

// Every list-producing op returns a scalar variant.
ShapeFn ListOutput(int scalar_input = -1, const char* scalar_name = nullptr) {
  return [=](InferenceContext& c) -> absl::Status {
    if (scalar_input >= 0) TL_RETURN_IF_ERROR(CheckScalar(c, scalar_input, scalar_name));
    c.set_output(0, Shape::Scalar());
    return absl::OkStatus();
  };
}

absl::Status FromTensorShape(InferenceContext& c) {
  TL_RETURN_IF_ERROR(shape_fn::InputWithRankAtLeast(c, 0, 1, "tensor").status());
  c.set_output(0, Shape::Scalar());
  return absl::OkStatus();
}

absl::Status GetItemShape(InferenceContext& c) {
  TL_RETURN_IF_ERROR(CheckScalar(c, 0, "input_handle"));
  TL_RETURN_IF_ERROR(CheckScalar(c, 1, "index"));
  c.set_output(0, ElementShape(c, 2));
  return absl::OkStatus();
}

absl::Status SetItemShape(InferenceContext& c) {
  TL_RETURN_IF_ERROR(CheckScalar(c, 0, "input_handle"));
  TL_RETURN_IF_ERROR(CheckScalar(c, 1, "index"));
  c.set_output(0, Shape::Scalar());
  return absl::OkStatus();
}

// [num_elements] + element_shape.
absl::Status StackShape(InferenceContext& c) {
  TL_RETURN_IF_ERROR(CheckScalar(c, 0, "input_handle"));
  int64_t num_elements = -1;
  TL_RETURN_IF_ERROR(c.GetAttr("num_elements", &num_elements));
  Shape out{num_elements >= 0 ? num_elements : Shape::kUnknownDim};
  out.AppendShape(ElementShape(c, 1));
  c.set_output(0, out);
  return absl::OkStatus();
}

absl::Status GatherShape(InferenceContext& c) {
  TL_RETURN_IF_ERROR(CheckScalar(c, 0, "input_handle"));
  absl::StatusOr<Shape> indices = shape_fn::InputWithRank(c, 1, 1, "indices");
  if (!indices.ok()) return indices.status();
  Shape out{indices->dim(0)};
  out.AppendShape(ElementShape(c, 2));
  c.set_output(0, out);
  return absl::OkStatus();
}

absl::Status PopBackShape(InferenceContext& c) {
  TL_RETURN_IF_ERROR(CheckScalar(c, 0, "input_handle"));
  c.set_output(0, Shape::Scalar());
  c.set_output(1, ElementShape(c, 1));
  return absl::OkStatus();
}

absl::Status LengthShape(InferenceContext& c) {
  TL_RETURN_IF_ERROR(CheckScalar(c, 0, "input_handle"));
  c.set_output(0, Shape::Scalar());
  return absl::OkStatus();
}

absl::Status ElementShapeShape(InferenceContext& c) {
  TL_RETURN_IF_ERROR(CheckScalar(c, 0, "input_handle"));
  c.set_output(0, Shape{Shape::kUnknownDim});
  return absl::OkStatus();
}

#undef TL_RETURN_IF_ERROR

}  // namespace

REGISTER_OP("EmptyTensorList")
    .Input("element_shape: shape_type")
    .Input("max_num_elements: int32")
    .Output("handle: variant")
    .Attr("element_dtype: type")
    .Attr("shape_type: {int32, int64}")
    .SetShapeFn(ListOutput(1, "max_num_elements"));

REGISTER_OP("TensorListReserve")
    .Input("element_shape: shape_type")
    .Input("num_elements: int32")
    .Output("handle: variant")
    .Attr("element_dtype: type")
    .Attr("shape_type: {int32, int64}")
    .SetShapeFn(ListOutput(1, "num_elements"))
    .Doc("A list of num_elements unset elements.");

REGISTER_OP("TensorListFromTensor")
    .Input("tensor: element_dtype")
    .Input("element_shape: shape_type")
    .Output("output_handle: variant")
    .Attr("element_dtype: type")
    .Attr("shape_type: {int32, int64}")
    .SetShapeFn(FromTensorShape)
    .Doc("The slices of tensor along dimension 0, as a list.");

REGISTER_OP("TensorListGetItem")
    .Input("input_handle: variant")
    .Input("index: int32")
    .Input("element_shape: int32")
    .Output("item: element_dtype")
    .Attr("element_dtype: type")
    .SetShapeFn(GetItemShape);

REGISTER_OP("TensorListSetItem")
    .Input("input_handle: variant")
    .Input("index: int32")
    .Input("item: element_dtype")
    .Output("output_handle: variant")
    .Attr("element_dtype: type")
    .Attr("resize_if_index_out_of_bounds: bool = false")
    .SetShapeFn(SetItemShape);

REGISTER_OP("TensorListStack")
    .Input("input_handle: variant")
    .Input("element_shape: int32")
    .Output("tensor: element_dtype")
    .Attr("element_dtype: type")
    .Attr("num_elements: int = -1")
    .SetShapeFn(StackShape)
    .Doc("The list's elements stacked along a new dimension 0.");

REGISTER_OP("TensorListGather")
    .Input("input_handle: variant")
    .Input("indices: int32")
    .Input("element_shape: int32")
    .Output("values: element_dtype")
    .Attr("element_dtype: type")
    .SetShapeFn(GatherShape);

REGISTER_OP("TensorListLength").Input("input_handle: variant").Output("length: int32").SetShapeFn(LengthShape);

REGISTER_OP("TensorListElementShape")
    .Input("input_handle: variant")
    .Output("element_shape: shape_type")
    .Attr("shape_type: {int32, int64}")
    .SetShapeFn(ElementShapeShape);

REGISTER_OP("TensorListPushBack")
    .Input("input_handle: variant")
    .Input("tensor: element_dtype")
    .Output("output_handle: variant")
    .Attr("element_dtype: type")
    .SetShapeFn(ListOutput(0, "input_handle"));

REGISTER_OP("TensorListPopBack")
    .Input("input_handle: variant")
    .Input("element_shape: int32")
    .Output("output_handle: variant")
    .Output("tensor: element_dtype")
    .Attr("element_dtype: type")
    .SetShapeFn(PopBackShape);

REGISTER_OP("TensorListResize")
    .Input("input_handle: variant")
    .Input("size: int32")
    .Output("output_handle: variant")
    .SetShapeFn(ListOutput(1, "size"));

}  // namespace strata
