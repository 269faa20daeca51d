// Small helpers shared by the gradient-helper ops (grad_ops.cc, conv_grad_ops.cc,
// batch_norm_grad_op.cc, resize_grad_op.cc, loss_ops.cc): shape-function checks and lowering
// conveniences.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "graph/shape_inference.h"
#include "ops/lowering.h"

namespace strata::grad_ops {

#define GRAD_OPS_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    absl::Status grad_ops_status_ = (expr);              \
    if (!grad_ops_status_.ok()) return grad_ops_status_; \
  } while (0)

// Half and bfloat16 compute in float, as TensorFlow's CPU kernels accumulate.
inline DType ComputeDType(DType t) { return t == DT_HALF || t == DT_BFLOAT16 ? DT_FLOAT : t; }
inline Value ToCompute(PrimitiveBuilder& b, Value v) { return b.Convert(v, ComputeDType(v.dtype)); }

// `value` in x's dtype and shape.
inline Value Like(PrimitiveBuilder& b, const Value& x, double value) { return b.Splat(x.dtype, x.shape, value); }

// Shape function: output 0 is inputs 0 and 1 merged (TF's MergeBothInputsShapeFn).
inline absl::Status MergeBothInputsShape(InferenceContext& c) {
  Shape out;
  if (absl::Status s = c.MergeShapes(c.input(0), c.input(1), &out); !s.ok()) return s;
  c.set_output(0, std::move(out));
  return absl::OkStatus();
}

// Input i with rank `rank` (unknown rank becomes `rank` unknown dims); errors name the input.
inline absl::StatusOr<Shape> InputWithRank(const InferenceContext& c, int i, int rank, const char* name) {
  Shape s;
  absl::Status st = c.WithRank(c.input(i), rank, &s);
  if (!st.ok()) return absl::Status(st.code(), absl::StrCat(st.message(), " (input '", name, "')"));
  return s.has_rank() ? s : Shape::UnknownDims(rank);
}

inline absl::Status LoweringError(const std::string& message) { return absl::InvalidArgumentError(message); }

// The two inputs of an element-wise gradient op, which must have one shape.
inline absl::Status CheckSameShapes(const Value& a, const Value& b) {
  if (a.shape == b.shape) return absl::OkStatus();
  return LoweringError(
      absl::StrCat("the inputs must have the same shape, got ", a.shape.ToString(), " and ", b.shape.ToString()));
}

}  // namespace strata::grad_ops
