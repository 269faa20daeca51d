// Optimizer updates with TensorFlow's semantics (tf.raw_ops.Apply*, ref-variable forms). A Session
// expands each into the update arithmetic (compiled and fused like any other ops) followed by
// Assigns of the new values (runtime/optimizer_expansion.h), so a training step's updates run
// inside its compiled call. The host kernels only answer callers without a Session.
#include "graph/shape_inference.h"
#include "ops/host_kernel.h"
#include "ops/registry.h"

namespace strata {
namespace {

constexpr char kFloatTypes[] = "T: {half, bfloat16, float, double}";

// The output has the variable's shape; every ref input (slots) and the gradient must match it.
absl::Status ApplyShape(InferenceContext& c, int num_refs, int grad_input) {
  Shape s = c.input(0);
  for (int i = 1; i < num_refs; ++i) {
    if (absl::Status st = c.MergeShapes(s, c.input(i), &s); !st.ok()) return st;
  }
  if (absl::Status st = c.MergeShapes(s, c.input(grad_input), &s); !st.ok()) return st;
  c.set_output(0, s);
  return absl::OkStatus();
}

absl::Status NoOutputs(InferenceContext&) { return absl::OkStatus(); }

}  // namespace

REGISTER_OP("ApplyGradientDescent")
    .Input("var: Ref(T)")
    .Input("alpha: T")
    .Input("delta: T")
    .Output("out: Ref(T)")
    .Attr(kFloatTypes)
    .Attr("use_locking: bool = false")
    .SetShapeFn([](InferenceContext& c) { return ApplyShape(c, 1, 2); })
    .SetHostKernel(SessionOnlyKernel("updates variables"))
    .Doc("var -= alpha * delta");

REGISTER_OP("ApplyMomentum")
    .Input("var: Ref(T)")
    .Input("accum: Ref(T)")
    .Input("lr: T")
    .Input("grad: T")
    .Input("momentum: T")
    .Output("out: Ref(T)")
    .Attr(kFloatTypes)
    .Attr("use_locking: bool = false")
    .Attr("use_nesterov: bool = false")
    .SetShapeFn([](InferenceContext& c) { return ApplyShape(c, 2, 3); })
    .SetHostKernel(SessionOnlyKernel("updates variables"))
    .Doc("accum = accum * momentum + grad; var -= lr * accum (Nesterov: lr * grad + lr * momentum * accum)");

REGISTER_OP("ApplyAdam")
    .Input("var: Ref(T)")
    .Input("m: Ref(T)")
    .Input("v: Ref(T)")
    .Input("beta1_power: T")
    .Input("beta2_power: T")
    .Input("lr: T")
    .Input("beta1: T")
    .Input("beta2: T")
    .Input("epsilon: T")
    .Input("grad: T")
    .Output("out: Ref(T)")
    .Attr(kFloatTypes)
    .Attr("use_locking: bool = false")
    .Attr("use_nesterov: bool = false")
    .SetShapeFn([](InferenceContext& c) { return ApplyShape(c, 3, 9); })
    .SetHostKernel(SessionOnlyKernel("updates variables"))
    .Doc("Adam: m, v moving moments; var -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + epsilon)");

REGISTER_OP("ApplyRMSProp")
    .Input("var: Ref(T)")
    .Input("ms: Ref(T)")
    .Input("mom: Ref(T)")
    .Input("lr: T")
    .Input("rho: T")
    .Input("momentum: T")
    .Input("epsilon: T")
    .Input("grad: T")
    .Output("out: Ref(T)")
    .Attr(kFloatTypes)
    .Attr("use_locking: bool = false")
    .SetShapeFn([](InferenceContext& c) { return ApplyShape(c, 3, 7); })
    .SetHostKernel(SessionOnlyKernel("updates variables"))
    .Doc("ms = rho * ms + (1 - rho) * grad^2; mom = momentum * mom + lr * grad / sqrt(ms + epsilon); var -= mom");

REGISTER_OP("ApplyAdagrad")
    .Input("var: Ref(T)")
    .Input("accum: Ref(T)")
    .Input("lr: T")
    .Input("grad: T")
    .Output("out: Ref(T)")
    .Attr(kFloatTypes)
    .Attr("use_locking: bool = false")
    .Attr("update_slots: bool = true")
    .SetShapeFn([](InferenceContext& c) { return ApplyShape(c, 2, 3); })
    .SetHostKernel(SessionOnlyKernel("updates variables"))
    .Doc("accum += grad^2; var -= lr * grad / sqrt(accum)");

// Resource forms: the variable and its slots are VarHandleOp handles; no outputs. Expanded like
// the ref forms, into reads, the same arithmetic and AssignVariableOps.
REGISTER_OP("ResourceApplyGradientDescent")
    .Input("var: resource")
    .Input("alpha: T")
    .Input("delta: T")
    .Attr(kFloatTypes)
    .Attr("use_locking: bool = false")
    .SetIsStateful()
    .SetShapeFn(NoOutputs)
    .SetHostKernel(SessionOnlyKernel("updates variables"))
    .Doc("var -= alpha * delta");

REGISTER_OP("ResourceApplyMomentum")
    .Input("var: resource")
    .Input("accum: resource")
    .Input("lr: T")
    .Input("grad: T")
    .Input("momentum: T")
    .Attr(kFloatTypes)
    .Attr("use_locking: bool = false")
    .Attr("use_nesterov: bool = false")
    .SetIsStateful()
    .SetShapeFn(NoOutputs)
    .SetHostKernel(SessionOnlyKernel("updates variables"))
    .Doc("accum = accum * momentum + grad; var -= lr * accum (Nesterov: lr * grad + lr * momentum * accum)");

REGISTER_OP("ResourceApplyAdam")
    .Input("var: resource")
    .Input("m: resource")
    .Input("v: resource")
    .Input("beta1_power: T")
    .Input("beta2_power: T")
    .Input("lr: T")
    .Input("beta1: T")
    .Input("beta2: T")
    .Input("epsilon: T")
    .Input("grad: T")
    .Attr(kFloatTypes)
    .Attr("use_locking: bool = false")
    .Attr("use_nesterov: bool = false")
    .SetIsStateful()
    .SetShapeFn(NoOutputs)
    .SetHostKernel(SessionOnlyKernel("updates variables"))
    .Doc("Adam (see ApplyAdam) on resource variables");

REGISTER_OP("ResourceApplyRMSProp")
    .Input("var: resource")
    .Input("ms: resource")
    .Input("mom: resource")
    .Input("lr: T")
    .Input("rho: T")
    .Input("momentum: T")
    .Input("epsilon: T")
    .Input("grad: T")
    .Attr(kFloatTypes)
    .Attr("use_locking: bool = false")
    .SetIsStateful()
    .SetShapeFn(NoOutputs)
    .SetHostKernel(SessionOnlyKernel("updates variables"))
    .Doc("RMSProp (see ApplyRMSProp) on resource variables");

REGISTER_OP("ResourceApplyAdagrad")
    .Input("var: resource")
    .Input("accum: resource")
    .Input("lr: T")
    .Input("grad: T")
    .Attr(kFloatTypes)
    .Attr("use_locking: bool = false")
    .Attr("update_slots: bool = true")
    .SetIsStateful()
    .SetShapeFn(NoOutputs)
    .SetHostKernel(SessionOnlyKernel("updates variables"))
    .Doc("Adagrad (see ApplyAdagrad) on resource variables");

}  // namespace strata
