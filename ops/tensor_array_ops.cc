// TensorArrayV3 and the ops that read and write it (TF1's tf.TensorArray, what tf.map_fn and
// tf.while_loop accumulate into). Schemas and shape functions follow
// tensorflow/core/ops/data_flow_ops.cc.
//
// A TensorArray is a mutable host-side list of tensors behind a DT_RESOURCE handle; "flow" is a
// dummy float scalar that orders the reads and writes. No compiled code ever sees one: the
// Session puts every TensorArray op into the control-flow region it belongs to (or a region of
// its own) and the region's executor runs them (runtime/control_flow_tensor_arrays.h).
#include "absl/status/status.h"
#include "graph/shape.h"
#include "graph/shape_inference.h"
#include "ops/registry.h"
#include "ops/shape_fn_util.h"

namespace strata {
namespace {

#define TA_RETURN_IF_ERROR(expr) \
  do {                           \
    absl::Status _st = (expr);   \
    if (!_st.ok()) return _st;   \
  } while (0)

// The handle is TF's 2-vector resource; flows are scalars.
absl::Status CheckHandle(InferenceContext& c, int i) {
  absl::StatusOr<Shape> h = shape_fn::InputWithRank(c, i, 1, "handle");
  if (!h.ok()) return h.status();
  return shape_fn::MergeDim(c, h->dim(0), 2, "the handle").status();
}

absl::Status CheckScalar(InferenceContext& c, int i, const char* name) {
  return shape_fn::InputWithRank(c, i, 0, name).status();
}

absl::Status TensorArrayShape(InferenceContext& c) {
  TA_RETURN_IF_ERROR(CheckScalar(c, 0, "size"));
  c.set_output(0, Shape{2});
  c.set_output(1, Shape::Scalar());
  return absl::OkStatus();
}

absl::Status WriteShape(InferenceContext& c) {
  TA_RETURN_IF_ERROR(CheckHandle(c, 0));
  TA_RETURN_IF_ERROR(CheckScalar(c, 1, "index"));
  TA_RETURN_IF_ERROR(CheckScalar(c, 3, "flow_in"));
  c.set_output(0, Shape::Scalar());
  return absl::OkStatus();
}

absl::Status ReadShape(InferenceContext& c) {
  TA_RETURN_IF_ERROR(CheckHandle(c, 0));
  TA_RETURN_IF_ERROR(CheckScalar(c, 1, "index"));
  TA_RETURN_IF_ERROR(CheckScalar(c, 2, "flow_in"));
  c.set_output(0, Shape::UnknownRank());
  return absl::OkStatus();
}

// [len(indices)] + element_shape.
absl::Status GatherShape(InferenceContext& c) {
  TA_RETURN_IF_ERROR(CheckHandle(c, 0));
  absl::StatusOr<Shape> indices = shape_fn::InputWithRank(c, 1, 1, "indices");
  if (!indices.ok()) return indices.status();
  TA_RETURN_IF_ERROR(CheckScalar(c, 2, "flow_in"));
  Shape element;
  TA_RETURN_IF_ERROR(c.GetAttr("element_shape", &element));
  Shape out{indices->dim(0)};
  out.AppendShape(element);
  c.set_output(0, out);
  return absl::OkStatus();
}

absl::Status ScatterShape(InferenceContext& c) {
  TA_RETURN_IF_ERROR(CheckHandle(c, 0));
  TA_RETURN_IF_ERROR(shape_fn::InputWithRank(c, 1, 1, "indices").status());
  TA_RETURN_IF_ERROR(CheckScalar(c, 3, "flow_in"));
  c.set_output(0, Shape::Scalar());
  return absl::OkStatus();
}

absl::Status ConcatShape(InferenceContext& c) {
  TA_RETURN_IF_ERROR(CheckHandle(c, 0));
  TA_RETURN_IF_ERROR(CheckScalar(c, 1, "flow_in"));
  c.set_output(0, Shape::UnknownRank());
  c.set_output(1, Shape{Shape::kUnknownDim});
  return absl::OkStatus();
}

absl::Status SplitShape(InferenceContext& c) {
  TA_RETURN_IF_ERROR(CheckHandle(c, 0));
  TA_RETURN_IF_ERROR(shape_fn::InputWithRank(c, 2, 1, "lengths").status());
  TA_RETURN_IF_ERROR(CheckScalar(c, 3, "flow_in"));
  c.set_output(0, Shape::Scalar());
  return absl::OkStatus();
}

absl::Status SizeShape(InferenceContext& c) {
  TA_RETURN_IF_ERROR(CheckHandle(c, 0));
  TA_RETURN_IF_ERROR(CheckScalar(c, 1, "flow_in"));
  c.set_output(0, Shape::Scalar());
  return absl::OkStatus();
}

absl::Status CloseShape(InferenceContext& c) { return CheckHandle(c, 0); }

#undef TA_RETURN_IF_ERROR

}  // namespace

REGISTER_OP("TensorArrayV3")
    .Input("size: int32")
    .Attr("dtype: type")
    .Attr("element_shape: shape = { unknown_rank: true }")
    .Attr("dynamic_size: bool = false")
    .Attr("clear_after_read: bool = true")
    .Attr("identical_element_shapes: bool = false")
    .Attr("tensor_array_name: string = ''")
    .Output("handle: resource")
    .Output("flow: float")
    .SetIsStateful()
    .SetShapeFn(TensorArrayShape)
    .Doc("A new TensorArray of `size` elements of dtype.");

REGISTER_OP("TensorArrayWriteV3")
    .Input("handle: resource")
    .Input("index: int32")
    .Input("value: T")
    .Input("flow_in: float")
    .Output("flow_out: float")
    .Attr("T: type")
    .SetShapeFn(WriteShape);

REGISTER_OP("TensorArrayReadV3")
    .Input("handle: resource")
    .Input("index: int32")
    .Input("flow_in: float")
    .Output("value: dtype")
    .Attr("dtype: type")
    .SetShapeFn(ReadShape);

REGISTER_OP("TensorArrayGatherV3")
    .Input("handle: resource")
    .Input("indices: int32")
    .Input("flow_in: float")
    .Output("value: dtype")
    .Attr("dtype: type")
    .Attr("element_shape: shape = { unknown_rank: true }")
    .SetShapeFn(GatherShape);

REGISTER_OP("TensorArrayScatterV3")
    .Input("handle: resource")
    .Input("indices: int32")
    .Input("value: T")
    .Input("flow_in: float")
    .Output("flow_out: float")
    .Attr("T: type")
    .SetShapeFn(ScatterShape);

REGISTER_OP("TensorArrayConcatV3")
    .Input("handle: resource")
    .Input("flow_in: float")
    .Output("value: dtype")
    .Output("lengths: int64")
    .Attr("dtype: type")
    .Attr("element_shape_except0: shape = { unknown_rank: true }")
    .SetShapeFn(ConcatShape);

REGISTER_OP("TensorArraySplitV3")
    .Input("handle: resource")
    .Input("value: T")
    .Input("lengths: int64")
    .Input("flow_in: float")
    .Output("flow_out: float")
    .Attr("T: type")
    .SetShapeFn(SplitShape);

REGISTER_OP("TensorArraySizeV3")
    .Input("handle: resource")
    .Input("flow_in: float")
    .Output("size: int32")
    .SetShapeFn(SizeShape);

REGISTER_OP("TensorArrayCloseV3").Input("handle: resource").SetShapeFn(CloseShape);

}  // namespace strata
