// Variables, TensorFlow 1.x style: VariableV2 holds a tensor across Session::Run calls; Assign,
// AssignAdd and AssignSub update it. Resource style (TF 2's graphs): VarHandleOp names a variable,
// ReadVariableOp / AssignVariableOp / AssignAdd|SubVariableOp / VarIsInitializedOp use the handle. Their values live in the Session (runtime/variables.h),
// whose staged runner executes these ops between compiled clusters; the host kernels here only
// answer callers that have no Session (the reference evaluator, constant folding).
#include "graph/shape_inference.h"
#include "ops/gradient.h"
#include "ops/host_kernel.h"
#include "ops/registry.h"
#include "ops/state_ops.h"

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

// ReadVariableOp: the declared shape of the handle's variable (unknown if not visible).
absl::Status ReadVariableShape(InferenceContext& c) {
  Shape shape = Shape::UnknownRank();
  if (const Node* handle = VarHandleSource(c.node())) (void)GetAttr(handle->attrs(), "shape", &shape);
  c.set_output(0, shape);
  return absl::OkStatus();
}

absl::Status ScalarOutput(InferenceContext& c) {
  c.set_output(0, Shape{});
  return absl::OkStatus();
}

absl::Status NoOutputs(InferenceContext&) { return absl::OkStatus(); }

// The gradient of a read goes to the handle (in the variable's dtype), as in TF: the optimizer
// differentiates with respect to the handle and so sums over every read of the variable.
absl::Status ReadVariableGrad(GradientContext& c) {
  c.set_dx(0, c.dy(0));
  return c.status();
}

}  // namespace

const Node* VarHandleSource(const Node& n, int input) {
  const Node* src = input < static_cast<int>(n.inputs().size()) ? n.inputs()[input].node : nullptr;
  while (src != nullptr && src->op() == "Identity" && !src->inputs().empty()) src = src->inputs()[0].node;
  return src != nullptr && src->op() == "VarHandleOp" ? src : nullptr;
}

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

REGISTER_OP("VarHandleOp")
    .Output("resource: resource")
    .Attr("container: string = ''")
    .Attr("shared_name: string = ''")
    .Attr("dtype: type")
    .Attr("shape: shape")
    .Attr("allowed_devices: list(string) = []")
    .SetIsStateful()
    .SetShapeFn(ScalarOutput)
    .SetHostKernel(SessionOnlyKernel("keeps state across runs"))
    .Doc("A handle to a resource variable: a tensor kept by the Session across runs.");

REGISTER_OP("ReadVariableOp")
    .Input("resource: resource")
    .Output("value: dtype")
    .Attr("dtype: type")
    .SetIsStateful()
    .SetShapeFn(ReadVariableShape)
    .SetHostKernel(SessionOnlyKernel("reads a variable"))
    .Doc("The current value of the variable.");

REGISTER_GRADIENT("ReadVariableOp", ReadVariableGrad);

REGISTER_OP("AssignVariableOp")
    .Input("resource: resource")
    .Input("value: dtype")
    .Attr("dtype: type")
    .Attr("validate_shape: bool = false")
    .SetIsStateful()
    .SetShapeFn(NoOutputs)
    .SetHostKernel(SessionOnlyKernel("updates a variable"))
    .Doc("Sets the variable to value.");

REGISTER_OP("AssignAddVariableOp")
    .Input("resource: resource")
    .Input("value: dtype")
    .Attr("dtype: type")
    .SetIsStateful()
    .SetShapeFn(NoOutputs)
    .SetHostKernel(SessionOnlyKernel("updates a variable"))
    .Doc("Adds value to the variable.");

REGISTER_OP("AssignSubVariableOp")
    .Input("resource: resource")
    .Input("value: dtype")
    .Attr("dtype: type")
    .SetIsStateful()
    .SetShapeFn(NoOutputs)
    .SetHostKernel(SessionOnlyKernel("updates a variable"))
    .Doc("Subtracts value from the variable.");

REGISTER_OP("VarIsInitializedOp")
    .Input("resource: resource")
    .Output("is_initialized: bool")
    .SetIsStateful()
    .SetShapeFn(ScalarOutput)
    .SetHostKernel(SessionOnlyKernel("reads a variable"))
    .Doc("Whether the variable has a value.");

}  // namespace strata
