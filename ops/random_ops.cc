// Random tensors for initializers and dropout, TensorFlow's stateful random ops. Like TF, each
// run draws new values; with a nonzero seed or seed2 the sequence over runs is the same in every
// Session (the runtime keeps a per-node draw counter: runtime/random_kernels.h). The host kernels
// here only answer callers without a Session.
#include "graph/shape_inference.h"
#include "ops/host_kernel.h"
#include "ops/registry.h"

namespace strata {
namespace {

absl::Status ShapeFromInput(InferenceContext& c) {
  absl::StatusOr<Shape> shape = c.InputAsShape(0);
  if (!shape.ok()) return shape.status();
  c.set_output(0, *shape);
  return absl::OkStatus();
}

}  // namespace

REGISTER_OP("RandomUniform")
    .Input("shape: T")
    .Output("output: dtype")
    .Attr("seed: int = 0")
    .Attr("seed2: int = 0")
    .Attr("dtype: {half, bfloat16, float, double}")
    .Attr("T: {int32, int64}")
    .SetIsStateful()
    .SetShapeFn(ShapeFromInput)
    .SetHostKernel(SessionOnlyKernel("draws a new value each run"))
    .Doc("Uniform values in [0, 1).");

REGISTER_OP("RandomStandardNormal")
    .Input("shape: T")
    .Output("output: dtype")
    .Attr("seed: int = 0")
    .Attr("seed2: int = 0")
    .Attr("dtype: {half, bfloat16, float, double}")
    .Attr("T: {int32, int64}")
    .SetIsStateful()
    .SetShapeFn(ShapeFromInput)
    .SetHostKernel(SessionOnlyKernel("draws a new value each run"))
    .Doc("Normal values, mean 0 and standard deviation 1.");

REGISTER_OP("TruncatedNormal")
    .Input("shape: T")
    .Output("output: dtype")
    .Attr("seed: int = 0")
    .Attr("seed2: int = 0")
    .Attr("dtype: {half, bfloat16, float, double}")
    .Attr("T: {int32, int64}")
    .SetIsStateful()
    .SetShapeFn(ShapeFromInput)
    .SetHostKernel(SessionOnlyKernel("draws a new value each run"))
    .Doc("Normal values, mean 0 and standard deviation 1, redrawn when more than 2 away from 0.");

REGISTER_OP("RandomUniformInt")
    .Input("shape: T")
    .Input("minval: Tout")
    .Input("maxval: Tout")
    .Output("output: Tout")
    .Attr("seed: int = 0")
    .Attr("seed2: int = 0")
    .Attr("Tout: {int32, int64}")
    .Attr("T: {int32, int64}")
    .SetIsStateful()
    .SetShapeFn(ShapeFromInput)
    .SetHostKernel(SessionOnlyKernel("draws a new value each run"))
    .Doc("Uniform integers in [minval, maxval).");

}  // namespace strata
