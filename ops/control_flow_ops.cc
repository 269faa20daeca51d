// TF1 control flow: Switch, Merge, Enter, Exit, NextIteration, LoopCond (and their Ref
// variants, and ControlTrigger). Schemas and shape functions follow
// tensorflow/core/ops/control_flow_ops.cc.
//
// These ops have no lowering and no host kernel: dead tensors, frames and iterations cannot be
// expressed as straight-line code. The Session collapses every conditional and while loop into
// one host op before it compiles anything, and a small dataflow executor runs it
// (runtime/control_flow_regions.h, runtime/control_flow_executor.h).
#include "absl/status/status.h"
#include "graph/shape.h"
#include "graph/shape_inference.h"
#include "ops/registry.h"
#include "ops/shape_fn_util.h"

namespace strata {
namespace {

// Output 0 has input 0's shape. Values are not forwarded: inside a loop or a branch the same
// tensor takes another value in every iteration, or none at all.
absl::Status PassThroughShape(InferenceContext& c) {
  c.set_output(0, c.input(0));
  return absl::OkStatus();
}

absl::Status SwitchShape(InferenceContext& c) {
  absl::StatusOr<Shape> pred = shape_fn::InputWithRank(c, 1, 0, "pred");
  if (!pred.ok()) return pred.status();
  c.set_output(0, c.input(0));
  c.set_output(1, c.input(0));
  return absl::OkStatus();
}

// TF's MergeShape: the inputs' shape where they agree, unknown dims where they differ, unknown
// rank when any rank is unknown or the ranks differ. A loop's Merge reads its NextIteration
// (inferred after it), so its shape is unknown.
absl::Status MergeShape(InferenceContext& c) {
  Shape out = c.input(0);
  for (int i = 1; i < c.num_inputs() && out.has_rank(); ++i) {
    const Shape& in = c.input(i);
    if (!in.has_rank() || in.rank() != out.rank()) {
      out = Shape::UnknownRank();
      break;
    }
    for (int d = 0; d < out.rank(); ++d) {
      if (in.dim(d) != out.dim(d)) out.set_dim(d, Shape::kUnknownDim);
    }
  }
  c.set_output(0, out);
  c.set_output(1, Shape::Scalar());
  return absl::OkStatus();
}

absl::Status LoopCondShape(InferenceContext& c) {
  absl::StatusOr<Shape> in = shape_fn::InputWithRank(c, 0, 0, "input");
  if (!in.ok()) return in.status();
  c.set_output(0, Shape::Scalar());
  return absl::OkStatus();
}

absl::Status NoOutputShapes(InferenceContext&) { return absl::OkStatus(); }

}  // namespace

REGISTER_OP("Switch")
    .Input("data: T")
    .Input("pred: bool")
    .Output("output_false: T")
    .Output("output_true: T")
    .Attr("T: type")
    .SetShapeFn(SwitchShape)
    .Doc("Forwards data to output_true if pred is true, else to output_false; the other output is dead.");

REGISTER_OP("RefSwitch")
    .Input("data: Ref(T)")
    .Input("pred: bool")
    .Output("output_false: Ref(T)")
    .Output("output_true: Ref(T)")
    .Attr("T: type")
    .SetAllowsUninitializedInput()
    .SetShapeFn(SwitchShape);

REGISTER_OP("Merge")
    .Input("inputs: N * T")
    .Output("output: T")
    .Output("value_index: int32")
    .Attr("T: type")
    .Attr("N: int >= 1")
    .SetShapeFn(MergeShape)
    .Doc("Forwards the first live input and its index; dead when every input is dead.");

REGISTER_OP("RefMerge")
    .Input("inputs: Ref(N * T)")
    .Output("output: Ref(T)")
    .Output("value_index: int32")
    .Attr("T: type")
    .Attr("N: int >= 1")
    .SetAllowsUninitializedInput()
    .SetShapeFn(MergeShape);

REGISTER_OP("Enter")
    .Input("data: T")
    .Output("output: T")
    .Attr("T: type")
    .Attr("frame_name: string")
    .Attr("is_constant: bool = false")
    .Attr("parallel_iterations: int = 10")
    .SetShapeFn(PassThroughShape)
    .Doc("Makes data available to the child frame frame_name (to every iteration if is_constant).");

REGISTER_OP("RefEnter")
    .Input("data: Ref(T)")
    .Output("output: Ref(T)")
    .Attr("T: type")
    .Attr("frame_name: string")
    .Attr("is_constant: bool = false")
    .Attr("parallel_iterations: int = 10")
    .SetShapeFn(PassThroughShape);

REGISTER_OP("Exit")
    .Input("data: T")
    .Output("output: T")
    .Attr("T: type")
    .SetShapeFn(PassThroughShape)
    .Doc("Makes data available to the parent frame.");

REGISTER_OP("RefExit").Input("data: Ref(T)").Output("output: Ref(T)").Attr("T: type").SetShapeFn(PassThroughShape);

REGISTER_OP("NextIteration")
    .Input("data: T")
    .Output("output: T")
    .Attr("T: type")
    .SetShapeFn(PassThroughShape)
    .Doc("Makes data available to the next iteration (the back edge into the loop's Merge).");

REGISTER_OP("RefNextIteration")
    .Input("data: Ref(T)")
    .Output("output: Ref(T)")
    .Attr("T: type")
    .SetShapeFn(PassThroughShape);

REGISTER_OP("LoopCond")
    .Input("input: bool")
    .Output("output: bool")
    .SetShapeFn(LoopCondShape)
    .Doc("The loop's continuation condition: a scalar bool that the loop's Switch nodes read.");

REGISTER_OP("ControlTrigger").SetShapeFn(NoOutputShapes).Doc("Does nothing; runs even when its inputs are dead.");

}  // namespace strata
