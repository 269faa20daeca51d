// Ops that gradient functions emit (TensorFlow's gen_nn_ops / gen_math_ops / gen_array_ops
// gradient kernels): the element-wise activation gradients (ReluGrad, TanhGrad, ...),
// BroadcastGradientArgs, BiasAddGrad, StridedSliceGrad and MirrorPadGrad. Schemas follow
// tensorflow/core/ops/{nn_ops,math_ops,array_ops}.cc; each op has its shape function, its
// lowering and, where TensorFlow has one, its own gradient (for second derivatives).
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/shape_inference.h"
#include "ops/grad_op_util.h"
#include "ops/gradient.h"
#include "ops/registry.h"
#include "ops/strided_slice_util.h"

namespace strata {
namespace {

using grad_ops::ComputeDType;
using grad_ops::Like;
using grad_ops::ToCompute;

// TF's realnumbertype and the float activation types.
constexpr char kRealNumberTypes[] =
    "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}";
constexpr char kFloatTypes[] = "T: {half, bfloat16, float, double}";
// TF's UNARY_GRADIENT_COMPLEX().
constexpr char kUnaryGradTypes[] = "T: {bfloat16, half, float, double, complex64, complex128}";

// ---- Element-wise gradient ops -----------------------------------------------------------------

// Computes the op from its two (same-shaped) inputs in the compute dtype.
using ElementwiseFn = Value (*)(PrimitiveBuilder& b, Value first, Value second, const LoweringContext& c);

LowerFn LowerElementwise(ElementwiseFn fn) {
  return [fn](LoweringContext& c) -> absl::Status {
    GRAD_OPS_RETURN_IF_ERROR(grad_ops::CheckSameShapes(c.input(0), c.input(1)));
    PrimitiveBuilder& b = c.b();
    Value out = fn(b, ToCompute(b, c.input(0)), ToCompute(b, c.input(1)), c);
    c.set_output(0, b.Convert(out, c.input(0).dtype));
    return absl::OkStatus();
  };
}

// (gradients, features|outputs) -> backprops, as nn_ops.cc declares the activation gradients.
OpDefBuilder ActivationGradOp(const char* name, const char* second, const char* types, ElementwiseFn fn) {
  OpDefBuilder b(name);
  b.Input("gradients: T").Input(absl::StrCat(second, ": T")).Output("backprops: T").Attr(types);
  b.SetShapeFn(grad_ops::MergeBothInputsShape).SetLowering(LowerElementwise(fn));
  return b;
}

// (y, dy) -> z, TF's UNARY_GRADIENT_COMPLEX ops.
OpDefBuilder UnaryGradOp(const char* name, ElementwiseFn fn) {
  OpDefBuilder b(name);
  b.Input("y: T").Input("dy: T").Output("z: T").Attr(kUnaryGradTypes);
  b.SetShapeFn(grad_ops::MergeBothInputsShape).SetLowering(LowerElementwise(fn));
  return b;
}

Value Where(PrimitiveBuilder& b, Value cond, Value t, Value f) { return b.Select(cond, t, f); }
Value Mul(PrimitiveBuilder& b, Value x, Value y) { return b.Binary(BinaryKind::kMul, x, y); }
Value Add(PrimitiveBuilder& b, Value x, Value y) { return b.Binary(BinaryKind::kAdd, x, y); }
Value Sub(PrimitiveBuilder& b, Value x, Value y) { return b.Binary(BinaryKind::kSub, x, y); }

// SELU's constants (TF's selu functor).
constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSeluScaleAlpha = 1.7580993408473768599402175208123;

Value ReluGradFn(PrimitiveBuilder& b, Value g, Value f, const LoweringContext&) {
  return Where(b, b.Binary(BinaryKind::kGt, f, Like(b, f, 0)), g, Like(b, g, 0));
}
Value Relu6GradFn(PrimitiveBuilder& b, Value g, Value f, const LoweringContext&) {
  Value inside = b.Binary(BinaryKind::kAnd, b.Binary(BinaryKind::kGt, f, Like(b, f, 0)),
                          b.Binary(BinaryKind::kLt, f, Like(b, f, 6)));
  return Where(b, inside, g, Like(b, g, 0));
}
// outputs < 0 ? g * (outputs + 1) : g
Value EluGradFn(PrimitiveBuilder& b, Value g, Value y, const LoweringContext&) {
  return Where(b, b.Binary(BinaryKind::kLt, y, Like(b, y, 0)), Mul(b, g, Add(b, y, Like(b, y, 1))), g);
}
// outputs < 0 ? g * (outputs + scale * alpha) : g * scale
Value SeluGradFn(PrimitiveBuilder& b, Value g, Value y, const LoweringContext&) {
  return Where(b, b.Binary(BinaryKind::kLt, y, Like(b, y, 0)), Mul(b, g, Add(b, y, Like(b, y, kSeluScaleAlpha))),
               Mul(b, g, Like(b, g, kSeluScale)));
}
// g / (1 + exp(-features))
Value SoftplusGradFn(PrimitiveBuilder& b, Value g, Value f, const LoweringContext&) {
  Value e = b.Unary(UnaryKind::kExp, b.Unary(UnaryKind::kNeg, f));
  return b.Binary(BinaryKind::kDiv, g, Add(b, e, Like(b, e, 1)));
}
Value LeakyReluGradFn(PrimitiveBuilder& b, Value g, Value f, const LoweringContext& c) {
  float alpha = 0.2f;
  (void)c.GetAttr("alpha", &alpha);
  return Where(b, b.Binary(BinaryKind::kGt, f, Like(b, f, 0)), g, Mul(b, g, Like(b, g, alpha)));
}
// dy * y * (1 - y)
Value SigmoidGradFn(PrimitiveBuilder& b, Value y, Value dy, const LoweringContext&) {
  return Mul(b, dy, Mul(b, y, Sub(b, Like(b, y, 1), y)));
}
// dy * (1 - y * y)
Value TanhGradFn(PrimitiveBuilder& b, Value y, Value dy, const LoweringContext&) {
  return Mul(b, dy, Sub(b, Like(b, y, 1), Mul(b, y, y)));
}
// -0.5 * dy * y^3
Value RsqrtGradFn(PrimitiveBuilder& b, Value y, Value dy, const LoweringContext&) {
  return Mul(b, Mul(b, Like(b, y, -0.5), Mul(b, dy, y)), Mul(b, y, y));
}
// 0.5 * dy / y
Value SqrtGradFn(PrimitiveBuilder& b, Value y, Value dy, const LoweringContext&) {
  return b.Binary(BinaryKind::kDiv, Mul(b, Like(b, dy, 0.5), dy), y);
}
// -dy * y * y
Value ReciprocalGradFn(PrimitiveBuilder& b, Value y, Value dy, const LoweringContext&) {
  return Mul(b, b.Unary(UnaryKind::kNeg, dy), Mul(b, y, y));
}

// ---- Second derivatives (TF's math_grad.py / nn_grad.py *GradGrad) ----

// ReluGrad, Relu6Grad, LeakyReluGrad: linear in the incoming gradient, flat in the features.
GradFn MaskGradGrad(const char* op) {
  return [op](GradientContext& c) -> absl::Status {
    AttrMap attrs;
    float alpha;
    if (c.GetAttr("alpha", &alpha).ok()) attrs["alpha"] = MakeAttr(alpha);
    c.set_dx(0, c.Op(op, {c.dy(0), c.input(1)}, attrs));
    c.set_dx(1, c.ZerosLike(c.input(1)));
    return c.status();
  };
}

// EluGrad / SeluGrad: d/d gradients is the op itself; d/d outputs is g where outputs < 0.
GradFn ExponentialLinearGradGrad(const char* op) {
  return [op](GradientContext& c) -> absl::Status {
    Output outputs = c.input(1);
    Output negative = c.Op("Less", {outputs, c.ScalarLike(outputs, 0)});
    c.set_dx(0, c.Op(op, {c.dy(0), outputs}));
    c.set_dx(1, c.Select(negative, c.Mul(c.dy(0), c.input(0)), c.ZerosLike(outputs)));
    return c.status();
  };
}

absl::Status SoftplusGradGrad(GradientContext& c) {
  Output dy = c.input(0), x = c.input(1), grad = c.dy(0);
  Output denominator = c.Add(c.Add(c.Exp(c.Neg(x)), c.ScalarLike(x, 2)), c.Exp(x));
  c.set_dx(0, c.Op("SoftplusGrad", {grad, x}));
  c.set_dx(1, c.Div(c.Mul(grad, dy), denominator));
  return c.status();
}

// For the (y, dy) ops: a = y, b = dy, g = the incoming gradient.
absl::Status SigmoidGradGrad(GradientContext& c) {
  Output a = c.input(0), gb = c.Mul(c.dy(0), c.input(1));
  c.set_dx(0, c.Sub(gb, c.Mul(c.Mul(c.ScalarLike(a, 2), gb), a)));
  c.set_dx(1, c.Op("SigmoidGrad", {a, c.dy(0)}));
  return c.status();
}
absl::Status TanhGradGrad(GradientContext& c) {
  Output a = c.input(0), b = c.input(1);
  c.set_dx(0, c.Mul(c.Mul(c.Mul(c.dy(0), c.ScalarLike(a, -2)), b), a));
  c.set_dx(1, c.Op("TanhGrad", {a, c.dy(0)}));
  return c.status();
}
absl::Status RsqrtGradGrad(GradientContext& c) {
  Output a = c.input(0), b = c.input(1);
  c.set_dx(0, c.Mul(c.Mul(c.Mul(c.ScalarLike(a, -1.5), c.dy(0)), b), c.Square(a)));
  c.set_dx(1, c.Op("RsqrtGrad", {a, c.dy(0)}));
  return c.status();
}
absl::Status SqrtGradGrad(GradientContext& c) {
  Output a = c.input(0), ga = c.Div(c.dy(0), a);
  c.set_dx(0, c.Mul(c.Neg(ga), c.output(0)));
  c.set_dx(1, c.Mul(c.ScalarLike(a, 0.5), ga));
  return c.status();
}
absl::Status ReciprocalGradGrad(GradientContext& c) {
  Output a = c.input(0), b = c.input(1);
  c.set_dx(0, c.Mul(c.Mul(c.Mul(c.dy(0), c.ScalarLike(a, -2)), b), a));
  c.set_dx(1, c.Op("ReciprocalGrad", {a, c.dy(0)}));
  return c.status();
}

// ---- BroadcastGradientArgs ---------------------------------------------------------------------

// TF's BCast: for shapes s0, s1 (right-aligned), the dims each gradient must be summed over.
// Identical shapes need no reduction; otherwise a dim is reduced for an input whose size there
// is 1 (or that lacks it), including dims where both are 1.
absl::Status BroadcastReductions(const std::vector<int64_t>& s0, const std::vector<int64_t>& s1,
                                 std::vector<int64_t>* r0, std::vector<int64_t>* r1) {
  if (s0 == s1) return absl::OkStatus();
  const size_t n = std::max(s0.size(), s1.size());
  for (size_t i = 0; i < n; ++i) {  // i: output dim, counted from the left
    const size_t from_right = n - 1 - i;
    const int64_t a = from_right < s0.size() ? s0[s0.size() - 1 - from_right] : 1;
    const int64_t b = from_right < s1.size() ? s1[s1.size() - 1 - from_right] : 1;
    if (a == b) {
      if (a == 1) {
        r0->push_back(i);
        r1->push_back(i);
      }
    } else if (a == 1) {
      r0->push_back(i);
    } else if (b == 1) {
      r1->push_back(i);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("Incompatible shapes: [", absl::StrJoin(s0, ","), "] vs. [", absl::StrJoin(s1, ","), "]"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Tensor> IntVector(const std::vector<int64_t>& v, DType dtype) {
  return Tensor::FromVector<int64_t>(v).Cast(dtype);
}

absl::Status BroadcastGradientArgsShape(InferenceContext& c) {
  Shape unused;
  GRAD_OPS_RETURN_IF_ERROR(c.WithRank(c.input(0), 1, &unused));
  GRAD_OPS_RETURN_IF_ERROR(c.WithRank(c.input(1), 1, &unused));
  c.set_output(0, Shape{Shape::kUnknownDim});
  c.set_output(1, Shape{Shape::kUnknownDim});
  const Tensor* s0 = c.input_tensor(0);
  const Tensor* s1 = c.input_tensor(1);
  if (s0 == nullptr || s1 == nullptr) return absl::OkStatus();
  std::vector<int64_t> r0, r1;
  GRAD_OPS_RETURN_IF_ERROR(BroadcastReductions(TensorToInt64s(*s0), TensorToInt64s(*s1), &r0, &r1));
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<Tensor> t = IntVector(i == 0 ? r0 : r1, c.output_dtype(i));
    if (!t.ok()) return t.status();
    c.set_output(i, t->shape());
    c.set_output_value(i, *std::move(t));
  }
  return absl::OkStatus();
}

// The shapes are compile-time constants once a graph is specialized: the result is too.
absl::Status LowerBroadcastGradientArgs(LoweringContext& c) {
  absl::StatusOr<std::vector<int64_t>> s0 = c.ConstantInputAsInts(0);
  if (!s0.ok()) return s0.status();
  absl::StatusOr<std::vector<int64_t>> s1 = c.ConstantInputAsInts(1);
  if (!s1.ok()) return s1.status();
  std::vector<int64_t> r0, r1;
  GRAD_OPS_RETURN_IF_ERROR(BroadcastReductions(*s0, *s1, &r0, &r1));
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<Tensor> t = IntVector(i == 0 ? r0 : r1, c.output_dtype(i));
    if (!t.ok()) return t.status();
    c.set_output(i, c.b().Constant(*t));
  }
  return absl::OkStatus();
}

// ---- BiasAddGrad -------------------------------------------------------------------------------

absl::StatusOr<bool> IsNchw(const InferenceContext& c) {
  std::string format;
  GRAD_OPS_RETURN_IF_ERROR(c.GetAttr("data_format", &format));
  return format == "NCHW";
}

absl::Status BiasAddGradShape(InferenceContext& c) {
  absl::StatusOr<bool> nchw = IsNchw(c);
  if (!nchw.ok()) return nchw.status();
  Shape input;
  GRAD_OPS_RETURN_IF_ERROR(c.WithRankAtLeast(c.input(0), *nchw ? 3 : 2, &input));
  if (input.unknown_rank()) {
    c.set_output(0, Shape{Shape::kUnknownDim});
  } else {
    c.set_output(0, Shape{input.dim(*nchw ? 1 : -1)});
  }
  return absl::OkStatus();
}

absl::Status LowerBiasAddGrad(LoweringContext& c) {
  std::string format;
  GRAD_OPS_RETURN_IF_ERROR(c.GetAttr("data_format", &format));
  const Value& dy = c.input(0);
  const int channel = format == "NCHW" ? 1 : dy.rank() - 1;
  std::vector<int64_t> dims;
  for (int d = 0; d < dy.rank(); ++d) {
    if (d != channel) dims.push_back(d);
  }
  PrimitiveBuilder& b = c.b();
  c.set_output(0, b.Convert(b.Reduce(ReduceKind::kSum, ToCompute(b, dy), dims), dy.dtype));
  return absl::OkStatus();
}

// The gradient of a sum over every dim but the channel: the incoming [C] broadcast back.
absl::Status BiasAddGradGrad(GradientContext& c) {
  std::string format;
  if (!c.Attr("data_format", &format)) return c.status();
  c.set_dx(0, c.Op("BiasAdd", {c.ZerosLike(c.input(0)), c.dy(0)}, {{"data_format", MakeAttr(format)}}));
  return c.status();
}

// ---- StridedSliceGrad --------------------------------------------------------------------------

absl::StatusOr<StridedSliceMasks> ReadMasks(const AttrMap& attrs) {
  StridedSliceMasks m;
  GRAD_OPS_RETURN_IF_ERROR(GetAttr(attrs, "begin_mask", &m.begin));
  GRAD_OPS_RETURN_IF_ERROR(GetAttr(attrs, "end_mask", &m.end));
  GRAD_OPS_RETURN_IF_ERROR(GetAttr(attrs, "ellipsis_mask", &m.ellipsis));
  GRAD_OPS_RETURN_IF_ERROR(GetAttr(attrs, "new_axis_mask", &m.new_axis));
  GRAD_OPS_RETURN_IF_ERROR(GetAttr(attrs, "shrink_axis_mask", &m.shrink_axis));
  return m;
}

// The output has the shape given by input 0 (TF's StridedSliceGrad shape function).
absl::Status StridedSliceGradShape(InferenceContext& c) {
  absl::StatusOr<Shape> shape = c.InputAsShape(0);
  if (!shape.ok()) return shape.status();
  c.set_output(0, *shape);
  return absl::OkStatus();
}

// dy scattered back into zeros of the input's shape: the inverse of the forward lowering's
// reverse + strided slice is a padding with (stride - 1) interior zeros, then the reverse.
absl::Status LowerStridedSliceGrad(LoweringContext& c) {
  std::vector<std::vector<int64_t>> spec(4);
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<std::vector<int64_t>> v = c.ConstantInputAsInts(i);
    if (!v.ok()) return v.status();
    spec[i] = *std::move(v);
  }
  absl::StatusOr<StridedSliceMasks> masks = ReadMasks(c.attrs());
  if (!masks.ok()) return masks.status();
  const Shape shape(spec[0]);
  absl::StatusOr<StridedSliceInfo> info = CanonicalizeStridedSlice(shape, spec[1], spec[2], spec[3], *masks);
  if (!info.ok()) return absl::InvalidArgumentError(absl::StrCat("StridedSliceGrad: ", info.status().message()));
  PrimitiveBuilder& b = c.b();
  Value dy = c.input(4);
  if (dy.shape != info->final_shape) {
    return absl::InvalidArgumentError(absl::StrCat("StridedSliceGrad: dy has shape ", dy.shape.ToString(),
                                                   " but the slice has shape ", info->final_shape.ToString()));
  }
  if (dy.num_elements() == 0) {
    c.set_output(0, b.Splat(dy.dtype, shape, 0));
    return absl::OkStatus();
  }
  const int rank = shape.rank();
  std::vector<int64_t> reversed, lo(rank), hi(rank), interior(rank);
  for (int d = 0; d < rank; ++d) {
    const StridedSliceDim& s = info->dims[d];
    const bool backward = s.stride < 0;
    if (backward) reversed.push_back(d);
    const int64_t start = backward ? shape.dim(d) - 1 - s.begin : s.begin;
    const int64_t step = s.size == 1 ? 1 : (backward ? -s.stride : s.stride);
    lo[d] = start;
    hi[d] = shape.dim(d) - (start + (s.size - 1) * step + 1);
    interior[d] = step - 1;
  }
  Value padded = b.Pad(b.Reshape(dy, info->processing_shape), b.ScalarConstant(dy.dtype, 0), lo, hi, interior);
  c.set_output(0, b.Reverse(padded, reversed));
  return absl::OkStatus();
}

// Linear in dy: its gradient is the forward slice of the incoming gradient.
absl::Status StridedSliceGradGrad(GradientContext& c) {
  AttrMap attrs = c.AttrsOf({"begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"});
  c.set_dx(4, c.Op("StridedSlice", {c.dy(0), c.input(1), c.input(2), c.input(3)}, attrs));
  return c.status();
}

// ---- MirrorPadGrad ------------------------------------------------------------------------------

// The input's shape less the paddings (TF's MirrorPadGrad shape function).
absl::Status MirrorPadGradShape(InferenceContext& c) {
  const Shape& in = c.input(0);
  const Tensor* pads = c.input_tensor(1);
  if (in.unknown_rank()) {
    c.set_output(0, Shape::UnknownRank());
    return absl::OkStatus();
  }
  Shape out = Shape::UnknownDims(in.rank());
  if (pads != nullptr) {
    if (pads->num_elements() != 2 * in.rank()) {
      return c.Error("paddings must be a [%d, 2] matrix, got %d values", in.rank(), pads->num_elements());
    }
    for (int d = 0; d < in.rank(); ++d) {
      if (in.dim(d) < 0) continue;
      const int64_t size = in.dim(d) - pads->ElementAsInt64(2 * d) - pads->ElementAsInt64(2 * d + 1);
      if (size < 0) return c.Error("paddings exceed dimension %d of the gradient %s", d, in.ToString());
      out.set_dim(d, size);
    }
  }
  c.set_output(0, out);
  return absl::OkStatus();
}

// MirrorPad concatenates [mirror of the first lo, x, mirror of the last hi] along each dim; its
// adjoint adds the mirrored parts of the gradient back onto the elements they copied.
absl::Status LowerMirrorPadGrad(LoweringContext& c) {
  std::string mode;
  GRAD_OPS_RETURN_IF_ERROR(c.GetAttr("mode", &mode));
  if (mode != "REFLECT" && mode != "SYMMETRIC") {
    return grad_ops::LoweringError(absl::StrCat("MirrorPadGrad: mode must be REFLECT or SYMMETRIC, got '", mode, "'"));
  }
  const int64_t offset = mode == "REFLECT" ? 1 : 0;
  absl::StatusOr<std::vector<int64_t>> pads = c.ConstantInputAsInts(1);
  if (!pads.ok()) return pads.status();
  PrimitiveBuilder& b = c.b();
  Value g = c.input(0);
  const int rank = g.rank();
  if (static_cast<int>(pads->size()) != 2 * rank) return grad_ops::LoweringError("paddings must be [rank, 2]");
  for (int d = 0; d < rank; ++d) {
    const int64_t lo = (*pads)[2 * d], hi = (*pads)[2 * d + 1], n = g.dim(d) - lo - hi;
    if (lo < 0 || hi < 0 || lo > n - offset || hi > n - offset) {
      return grad_ops::LoweringError(absl::StrCat("MirrorPadGrad: paddings ", lo, ", ", hi, " do not fit dimension ", d,
                                                  " of size ", n, " in ", mode, " mode"));
    }
    if (lo == 0 && hi == 0) continue;
    auto slice = [&](int64_t begin, int64_t end) {
      std::vector<int64_t> start(rank, 0), limit = g.shape.dims();
      start[d] = begin;
      limit[d] = end;
      return b.Slice(g, start, limit, std::vector<int64_t>(rank, 1));
    };
    auto place = [&](Value part, int64_t before) {  // zeros around `part` along d, n long
      std::vector<int64_t> pad_lo(rank, 0), pad_hi(rank, 0);
      pad_lo[d] = before;
      pad_hi[d] = n - before - part.dim(d);
      return b.Pad(part, b.ScalarConstant(g.dtype, 0), pad_lo, pad_hi, std::vector<int64_t>(rank, 0));
    };
    const int64_t axis[] = {d};
    Value sum = slice(lo, lo + n);
    if (lo > 0) sum = b.Binary(BinaryKind::kAdd, sum, place(b.Reverse(slice(0, lo), axis), offset));
    if (hi > 0)
      sum = b.Binary(BinaryKind::kAdd, sum, place(b.Reverse(slice(lo + n, lo + n + hi), axis), n - offset - hi));
    g = sum;
  }
  c.set_output(0, g);
  return absl::OkStatus();
}

// MirrorPadGrad is linear: its gradient is the mirror padding of the incoming gradient.
absl::Status MirrorPadGradGrad(GradientContext& c) {
  c.set_dx(0, c.Op("MirrorPad", {c.dy(0), c.input(1)}, c.AttrsOf({"mode"})));
  return c.status();
}

}  // namespace

REGISTER_OP(ActivationGradOp("ReluGrad", "features", kRealNumberTypes, ReluGradFn))
    .SetGradient(MaskGradGrad("ReluGrad"));
REGISTER_OP(ActivationGradOp("Relu6Grad", "features", kRealNumberTypes, Relu6GradFn))
    .SetGradient(MaskGradGrad("Relu6Grad"));
REGISTER_OP(ActivationGradOp("EluGrad", "outputs", kFloatTypes, EluGradFn))
    .SetGradient(ExponentialLinearGradGrad("EluGrad"));
REGISTER_OP(ActivationGradOp("SeluGrad", "outputs", kFloatTypes, SeluGradFn))
    .SetGradient(ExponentialLinearGradGrad("SeluGrad"));
REGISTER_OP(ActivationGradOp("SoftplusGrad", "features", kFloatTypes, SoftplusGradFn)).SetGradient(SoftplusGradGrad);
REGISTER_OP(ActivationGradOp("LeakyReluGrad", "features", "T: {half, bfloat16, float, double} = DT_FLOAT",
                             LeakyReluGradFn))
    .Attr("alpha: float = 0.2")
    .SetGradient(MaskGradGrad("LeakyReluGrad"));

REGISTER_OP(UnaryGradOp("SigmoidGrad", SigmoidGradFn)).SetGradient(SigmoidGradGrad);
REGISTER_OP(UnaryGradOp("TanhGrad", TanhGradFn)).SetGradient(TanhGradGrad);
REGISTER_OP(UnaryGradOp("RsqrtGrad", RsqrtGradFn)).SetGradient(RsqrtGradGrad);
REGISTER_OP(UnaryGradOp("SqrtGrad", SqrtGradFn)).SetGradient(SqrtGradGrad);
REGISTER_OP(UnaryGradOp("ReciprocalGrad", ReciprocalGradFn)).SetGradient(ReciprocalGradGrad);

REGISTER_OP("BroadcastGradientArgs")
    .Input("s0: T")
    .Input("s1: T")
    .Output("r0: T")
    .Output("r1: T")
    .Attr("T: {int32, int64} = DT_INT32")
    .SetShapeFn(BroadcastGradientArgsShape)
    .SetLowering(LowerBroadcastGradientArgs);

REGISTER_OP("BiasAddGrad")
    .Input("out_backprop: T")
    .Output("output: T")
    .Attr(
        "T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, "
        "quint16, uint16, complex128, half, uint32, uint64}")
    .Attr("data_format: {'NHWC', 'NCHW'} = 'NHWC'")
    .SetShapeFn(BiasAddGradShape)
    .SetLowering(LowerBiasAddGrad)
    .SetGradient(BiasAddGradGrad);

REGISTER_OP("MirrorPadGrad")
    .Input("input: T")
    .Input("paddings: Tpaddings")
    .Output("output: T")
    .Attr("T: type")
    .Attr("Tpaddings: {int32, int64} = DT_INT32")
    .Attr("mode: {'REFLECT', 'SYMMETRIC'}")
    .SetShapeFn(MirrorPadGradShape)
    .SetLowering(LowerMirrorPadGrad)
    .SetGradient(MirrorPadGradGrad);

REGISTER_OP("StridedSliceGrad")
    .Input("shape: Index")
    .Input("begin: Index")
    .Input("end: Index")
    .Input("strides: Index")
    .Input("dy: T")
    .Output("output: T")
    .Attr("T: type")
    .Attr("Index: {int32, int64}")
    .Attr("begin_mask: int = 0")
    .Attr("end_mask: int = 0")
    .Attr("ellipsis_mask: int = 0")
    .Attr("new_axis_mask: int = 0")
    .Attr("shrink_axis_mask: int = 0")
    .SetShapeFn(StridedSliceGradShape)
    .SetLowering(LowerStridedSliceGrad)
    .SetGradient(StridedSliceGradGrad);

}  // namespace strata
