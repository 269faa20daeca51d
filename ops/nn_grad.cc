// Gradients of the neural-network ops: activations (registered in math_ops.cc), softmax,
// BiasAdd, convolutions, pooling, FusedBatchNormV3 and Prelu, following TensorFlow's
// python/ops/nn_grad.py. The losses' gradients sit with their ops in loss_ops.cc.
#include <string>

#include "ops/gradient.h"
#include "ops/registry.h"

namespace strata {
namespace {

// ---- Activations -------------------------------------------------------------------------------

// Relu, Relu6, Elu, Selu: XGrad(dy, y) (the output decides the branch as well as the input).
GradFn GradOfOutput(const char* grad_op) {
  return [grad_op](GradientContext& c) -> absl::Status {
    c.set_dx(0, c.Op(grad_op, {c.dy(0), c.output(0)}));
    return c.status();
  };
}

absl::Status SoftplusGrad(GradientContext& c) {
  c.set_dx(0, c.Op("SoftplusGrad", {c.dy(0), c.input(0)}));
  return c.status();
}

absl::Status LeakyReluGrad(GradientContext& c) {
  float alpha = 0.2f;
  if (!c.Attr("alpha", &alpha)) return c.status();
  c.set_dx(0, c.Op("LeakyReluGrad", {c.dy(0), c.input(0)}, {{"alpha", MakeAttr(alpha)}}));
  return c.status();
}

// Prelu: y = x > 0 ? x : alpha * x (alpha broadcast against x).
absl::Status PreluGrad(GradientContext& c) {
  Output x = c.input(0), alpha = c.input(1), g = c.dy(0);
  Output positive = c.Op("Greater", {x, c.ScalarLike(x, 0)});
  Output zero = c.ScalarLike(g, 0);
  c.set_dx(0, c.SumToShapeOf(c.Select(positive, g, c.Mul(g, alpha)), x));
  c.set_dx(1, c.SumToShapeOf(c.Select(positive, zero, c.Mul(g, x)), alpha));
  return c.status();
}

// ---- Softmax -----------------------------------------------------------------------------------

// (g - sum(g * softmax, -1)) * softmax
absl::Status SoftmaxGrad(GradientContext& c) {
  Output softmax = c.output(0), g = c.dy(0);
  Output dot = c.Sum(c.Mul(g, softmax), std::vector<int64_t>{-1}, /*keep_dims=*/true);
  c.set_dx(0, c.Mul(c.Sub(g, dot), softmax));
  return c.status();
}

// g - sum(g, -1) * exp(log_softmax)
absl::Status LogSoftmaxGrad(GradientContext& c) {
  Output g = c.dy(0);
  Output total = c.Sum(g, std::vector<int64_t>{-1}, /*keep_dims=*/true);
  c.set_dx(0, c.Sub(g, c.Mul(total, c.Exp(c.output(0)))));
  return c.status();
}

// ---- BiasAdd -----------------------------------------------------------------------------------

absl::Status BiasAddGrad(GradientContext& c) {
  std::string format = "NHWC";
  if (!c.Attr("data_format", &format)) return c.status();
  c.set_dx(0, c.dy(0));
  c.set_dx(1, c.Op("BiasAddGrad", {c.dy(0)}, {{"data_format", MakeAttr(format)}}));
  return c.status();
}

// ---- Convolutions ------------------------------------------------------------------------------

// The attrs a convolution's backprop ops share with it.
AttrMap ConvAttrs(const GradientContext& c, bool with_cudnn) {
  AttrMap attrs = c.AttrsOf({"strides", "padding", "explicit_paddings", "data_format", "dilations"});
  if (with_cudnn) attrs["use_cudnn_on_gpu"] = MakeAttr(true);
  return attrs;
}

absl::Status Conv2DGrad(GradientContext& c) {
  AttrMap attrs = ConvAttrs(c, true);
  Output input = c.input(0), filter = c.input(1), g = c.dy(0);
  if (c.wants_dx(0)) c.set_dx(0, c.Op("Conv2DBackpropInput", {c.ShapeOf(input), filter, g}, attrs));
  if (c.wants_dx(1)) c.set_dx(1, c.Op("Conv2DBackpropFilter", {input, c.ShapeOf(filter), g}, attrs));
  return c.status();
}

// Conv2DBackpropInput(input_sizes, filter, out_backprop) is bilinear in filter and out_backprop.
absl::Status Conv2DBackpropInputGrad(GradientContext& c) {
  AttrMap attrs = ConvAttrs(c, true);
  Output filter = c.input(1), out_backprop = c.input(2), g = c.dy(0);
  c.set_dx(1, c.Op("Conv2DBackpropFilter", {g, c.ShapeOf(filter), out_backprop}, attrs));
  c.set_dx(2, c.Op("Conv2D", {g, filter}, attrs));
  return c.status();
}

absl::Status DepthwiseConv2dNativeGrad(GradientContext& c) {
  AttrMap attrs = ConvAttrs(c, false);
  Output input = c.input(0), filter = c.input(1), g = c.dy(0);
  if (c.wants_dx(0)) c.set_dx(0, c.Op("DepthwiseConv2dNativeBackpropInput", {c.ShapeOf(input), filter, g}, attrs));
  if (c.wants_dx(1)) c.set_dx(1, c.Op("DepthwiseConv2dNativeBackpropFilter", {input, c.ShapeOf(filter), g}, attrs));
  return c.status();
}

// ---- Pooling -----------------------------------------------------------------------------------

absl::Status MaxPoolGrad(GradientContext& c) {
  std::string format;
  if (!c.Attr("data_format", &format)) return c.status();
  if (format == "NCHW_VECT_C") return absl::UnimplementedError("MaxPool gradient: NCHW_VECT_C is not supported");
  c.set_dx(0, c.Op("MaxPoolGrad", {c.input(0), c.output(0), c.dy(0)},
                   c.AttrsOf({"ksize", "strides", "padding", "explicit_paddings", "data_format"})));
  return c.status();
}

absl::Status AvgPoolGrad(GradientContext& c) {
  c.set_dx(0, c.Op("AvgPoolGrad", {c.ShapeOf(c.input(0)), c.dy(0)},
                   c.AttrsOf({"ksize", "strides", "padding", "data_format"})));
  return c.status();
}

// ---- Batch norm --------------------------------------------------------------------------------

// FusedBatchNormV3 (and V1, whose first five outputs are the same). Training normalizes with
// the batch statistics (outputs 3 and 4), inference with the given population statistics
// (inputs 3 and 4), which then get no gradient, as in TF.
absl::Status FusedBatchNormV3Grad(GradientContext& c) {
  bool is_training = true;
  float epsilon = 1e-4f;
  std::string format;
  if (!c.Attr("is_training", &is_training) || !c.Attr("epsilon", &epsilon) || !c.Attr("data_format", &format)) {
    return c.status();
  }
  Output mean = is_training ? c.output(3) : c.input(3);
  Output variance = is_training ? c.output(4) : c.input(4);
  // reserve_space_3 is opaque (its shape unknown to shape inference) and unused on CPU.
  Output reserve_space_3 = c.Const(Tensor(BaseDType(mean.dtype()), Shape{0}));
  std::vector<Output> grads = c.Ops(
      "FusedBatchNormGradV3", {c.dy(0), c.input(0), c.input(1), mean, variance, reserve_space_3},
      {{"epsilon", MakeAttr(epsilon)}, {"data_format", MakeAttr(format)}, {"is_training", MakeAttr(is_training)}});
  if (grads.size() < 3) return c.status();
  c.set_dx(0, grads[0]);
  c.set_dx(1, grads[1]);
  c.set_dx(2, grads[2]);
  return c.status();
}

}  // namespace

REGISTER_GRADIENT("Relu", GradOfOutput("ReluGrad"));
REGISTER_GRADIENT("Relu6", GradOfOutput("Relu6Grad"));
REGISTER_GRADIENT("Elu", GradOfOutput("EluGrad"));
REGISTER_GRADIENT("Selu", GradOfOutput("SeluGrad"));
REGISTER_GRADIENT("Softplus", SoftplusGrad);
REGISTER_GRADIENT("LeakyRelu", LeakyReluGrad);
REGISTER_GRADIENT("Prelu", PreluGrad);
REGISTER_GRADIENT("Softmax", SoftmaxGrad);
REGISTER_GRADIENT("LogSoftmax", LogSoftmaxGrad);
REGISTER_GRADIENT("BiasAdd", BiasAddGrad);
REGISTER_GRADIENT("Conv2D", Conv2DGrad);
REGISTER_GRADIENT("Conv2DBackpropInput", Conv2DBackpropInputGrad);
REGISTER_GRADIENT("DepthwiseConv2dNative", DepthwiseConv2dNativeGrad);
REGISTER_GRADIENT("MaxPool", MaxPoolGrad);
REGISTER_GRADIENT("AvgPool", AvgPoolGrad);
REGISTER_GRADIENT("FusedBatchNormV3", FusedBatchNormV3Grad);
REGISTER_GRADIENT("FusedBatchNorm", FusedBatchNormV3Grad);  // V1: the same outputs 0-4

}  // namespace strata
