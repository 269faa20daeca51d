// Variables, TensorFlow 1.x style: VariableV2 holds a tensor across Session::Run calls; Assign,
// AssignAdd and AssignSub update it. Their values live in the Session (runtime/variables.h),
// whose staged runner executes these ops between compiled clusters; the host kernels here only
// answer callers that have no Session (the reference evaluator, constant folding).
#include "graph/shape_inference.h"
#include "ops/host_kernel.h"
#include "ops/registry.h"

namespace strata {
namespace {

absl::Status VariableShape(InferenceContext& c) {
  Shape shape;
  if (absl::Status s = c.GetAttr("shape", &shape); !s.ok()) return s;
  c.set_output(0, shape);
  return absl::OkStatus();
}

// Assign: the value's shape; with validate_shape, it must match the variable's.
absl::Status AssignShape(InferenceContext& c) {
  bool validate = true;
  if (absl::Status s = c.GetAttr("validate_shape", &validate); !s.ok()) return s;
  if (!validate) {
    c.set_output(0, c.input(1));
    return absl::OkStatus();
  }
  Shape merged;
  if (absl::Status s = c.MergeShapes(c.input(0), c.input(1), &merged); !s.ok()) return s;
  c.set_output(0, merged);
  return absl::OkStatus();
}

absl::Status MergeBothInputs(InferenceContext& c) {
  Shape merged;
  if (absl::Status s = c.MergeShapes(c.input(0), c.input(1), &merged); !s.ok()) return s;
  c.set_output(0, merged);
  return absl::OkStatus();
}

}  // namespace

REGISTER_OP("VariableV2")
    .Output("ref: Ref(dtype)")
    .Attr("shape: shape")
    .Attr("dtype: type")
    .Attr("container: string = ''")
    .Attr("shared_name: string = ''")
    .SetIsStateful()
    .SetShapeFn(VariableShape)
    .SetHostKernel(SessionOnlyKernel("keeps state across runs"))
    .Doc("A variable: a tensor kept by the Session across runs.");

REGISTER_OP("Assign")
    .Input("ref: Ref(T)")
    .Input("value: T")
    .Output("output_ref: Ref(T)")
    .Attr("T: type")
    .Attr("validate_shape: bool = true")
    .Attr("use_locking: bool = true")
    .SetAllowsUninitializedInput()
    .SetIsStateful()
    .SetShapeFn(AssignShape)
    .SetHostKernel(SessionOnlyKernel("keeps state across runs"))
    .Doc("Sets the variable to value; outputs the new value.");

REGISTER_OP("AssignAdd")
    .Input("ref: Ref(T)")
    .Input("value: T")
    .Output("output_ref: Ref(T)")
    .Attr("T: {half, bfloat16, float, double, int32, int64}")
    .Attr("use_locking: bool = false")
    .SetIsStateful()
    .SetShapeFn(MergeBothInputs)
    .SetHostKernel(SessionOnlyKernel("keeps state across runs"))
    .Doc("Adds value to the variable; outputs the new value.");

REGISTER_OP("AssignSub")
    .Input("ref: Ref(T)")
    .Input("value: T")
    .Output("output_ref: Ref(T)")
    .Attr("T: {half, bfloat16, float, double, int32, int64}")
    .Attr("use_locking: bool = false")
    .SetIsStateful()
    .SetShapeFn(MergeBothInputs)
    .SetHostKernel(SessionOnlyKernel("keeps state across runs"))
    .Doc("Subtracts value from the variable; outputs the new value.");

}  // namespace strata
