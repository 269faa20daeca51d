// Gradients of the math ops (ops/math_ops.cc and the matmuls of ops/nn_ops.cc), following
// TensorFlow's python/ops/math_grad.py. Broadcasting binary ops sum their gradients back to each
// operand's shape (GradientBuilder::SumToShapesOf).
#include <cmath>
#include <vector>

#include "ops/gradient.h"
#include "ops/registry.h"

namespace strata {
namespace {

// Sets dx for both operands of a broadcasting binary op from gradients of the output's shape
// (either may be invalid: no gradient).
absl::Status BinaryGrads(GradientContext& c, Output gx, Output gy) {
  auto [dx, dy] = c.SumToShapesOf(gx, c.input(0), gy, c.input(1));
  c.set_dx(0, dx);
  c.set_dx(1, dy);
  return c.status();
}

// ---- Element-wise binary -------------------------------------------------------------------------

absl::Status AddGrad(GradientContext& c) { return BinaryGrads(c, c.dy(0), c.dy(0)); }
absl::Status SubGrad(GradientContext& c) { return BinaryGrads(c, c.dy(0), c.Neg(c.dy(0))); }
absl::Status MulGrad(GradientContext& c) {
  return BinaryGrads(c, c.Mul(c.dy(0), c.input(1)), c.Mul(c.input(0), c.dy(0)));
}
// z = x / y: dz/dx = 1 / y, dz/dy = -x / y^2.
absl::Status DivGrad(GradientContext& c) {
  Output x = c.input(0), y = c.input(1), g = c.dy(0);
  return BinaryGrads(c, c.Div(g, y), c.Mul(g, c.Div(c.Div(c.Neg(x), y), y)));
}
// x mod y = x - floor(x / y) * y.
absl::Status FloorModGrad(GradientContext& c) {
  Output g = c.dy(0);
  Output floor_xy = c.Op("FloorDiv", {c.input(0), c.input(1)});
  return BinaryGrads(c, g, c.Mul(g, c.Neg(floor_xy)));
}
// The gradient goes to x where the selector holds (ties go to x), else to y.
GradFn MaximumMinimumGrad(const char* selector) {
  return [selector](GradientContext& c) -> absl::Status {
    Output g = c.dy(0), zeros = c.ZerosLike(g);
    Output x_wins = c.Op(selector, {c.input(0), c.input(1)});
    return BinaryGrads(c, c.Select(x_wins, g, zeros), c.Select(x_wins, zeros, g));
  };
}
// z = x^y: dz/dx = y * x^(y-1); dz/dy = z * log(x), taken as 0 where x <= 0.
absl::Status PowGrad(GradientContext& c) {
  Output x = c.input(0), y = c.input(1), z = c.output(0), g = c.dy(0);
  Output gx = c.Mul(c.Mul(g, y), c.Op("Pow", {x, c.Sub(y, c.ScalarLike(y, 1))}));
  Output positive = c.Op("Greater", {x, c.ScalarLike(x, 0)});
  Output safe_x = c.Select(positive, x, c.OnesLike(x));
  Output log_x = c.Select(positive, c.Log(safe_x), c.ZerosLike(x));
  return BinaryGrads(c, gx, c.Mul(c.Mul(g, z), log_x));
}
// (x - y)^2: 2 (x - y) for x, the negation for y.
absl::Status SquaredDifferenceGrad(GradientContext& c) {
  Output x = c.input(0), y = c.input(1);
  Output gx = c.Mul(c.Mul(c.ScalarLike(x, 2), c.dy(0)), c.Sub(x, y));
  return BinaryGrads(c, gx, c.Neg(gx));
}

// z = atan2(y, x): dz/dy = x / (x^2 + y^2), dz/dx = -y / (x^2 + y^2).
absl::Status Atan2Grad(GradientContext& c) {
  Output y = c.input(0), x = c.input(1);
  Output scaled = c.Div(c.dy(0), c.Add(c.Square(x), c.Square(y)));
  return BinaryGrads(c, c.Mul(x, scaled), c.Mul(c.Neg(y), scaled));
}

// ClipByValue(t, min, max): the gradient goes to t where it is inside [min, max], else to the
// bound that clipped it (each summed back to its shape: the bounds may be scalars).
absl::Status ClipByValueGrad(GradientContext& c) {
  Output t = c.input(0), lo = c.input(1), hi = c.input(2), g = c.dy(0), zeros = c.ZerosLike(g);
  Output below = c.Op("Less", {t, lo}), above = c.Op("Greater", {t, hi});
  c.set_dx(0, c.SumToShapeOf(c.Select(c.Op("LogicalOr", {below, above}), zeros, g), t));
  c.set_dx(1, c.SumToShapeOf(c.Select(below, g, zeros), lo));
  c.set_dx(2, c.SumToShapeOf(c.Select(above, g, zeros), hi));
  return c.status();
}

absl::Status AddNGrad(GradientContext& c) {
  for (int i = 0; i < c.num_inputs(); ++i) c.set_dx(i, c.dy(0));
  return c.status();
}

// ---- Element-wise unary ----------------------------------------------------------------------------

absl::Status NegGrad(GradientContext& c) {
  c.set_dx(0, c.Neg(c.dy(0)));
  return c.status();
}
absl::Status AbsGrad(GradientContext& c) {
  c.set_dx(0, c.Mul(c.dy(0), c.Op("Sign", {c.input(0)})));
  return c.status();
}
// Piecewise constant: zero almost everywhere (TF returns zeros rather than None).
absl::Status SignGrad(GradientContext& c) {
  c.set_dx(0, c.ZerosLike(c.input(0)));
  return c.status();
}
absl::Status SquareGrad(GradientContext& c) {
  Output x = c.input(0);
  c.set_dx(0, c.Mul(c.dy(0), c.Mul(c.ScalarLike(x, 2), x)));
  return c.status();
}
absl::Status ExpGrad(GradientContext& c) {
  c.set_dx(0, c.Mul(c.dy(0), c.output(0)));
  return c.status();
}
absl::Status LogGrad(GradientContext& c) {
  c.set_dx(0, c.Mul(c.dy(0), c.Reciprocal(c.input(0))));
  return c.status();
}
absl::Status Log1pGrad(GradientContext& c) {
  Output x = c.input(0);
  c.set_dx(0, c.Mul(c.dy(0), c.Reciprocal(c.Add(c.ScalarLike(x, 1), x))));
  return c.status();
}
absl::Status SinGrad(GradientContext& c) {
  c.set_dx(0, c.Mul(c.dy(0), c.Op("Cos", {c.input(0)})));
  return c.status();
}
absl::Status CosGrad(GradientContext& c) {
  c.set_dx(0, c.Neg(c.Mul(c.dy(0), c.Op("Sin", {c.input(0)}))));
  return c.status();
}
// d erf(x) = 2 / sqrt(pi) * exp(-x^2).
absl::Status ErfGrad(GradientContext& c) {
  Output x = c.input(0);
  Output scale = c.ScalarLike(x, 2.0 / std::sqrt(M_PI));
  c.set_dx(0, c.Mul(c.Mul(c.dy(0), scale), c.Exp(c.Neg(c.Square(x)))));
  return c.status();
}
// softsign(x) = x / (1 + |x|): dy / (1 + |x|)^2.
absl::Status SoftsignGrad(GradientContext& c) {
  Output x = c.input(0);
  c.set_dx(0, c.Div(c.dy(0), c.Square(c.Add(c.ScalarLike(x, 1), c.Op("Abs", {x})))));
  return c.status();
}
// Ops whose gradient is an op of (y, dy): Tanh -> TanhGrad(y, dy), ...
GradFn OutputGradOp(const char* grad_op) {
  return [grad_op](GradientContext& c) -> absl::Status {
    c.set_dx(0, c.Op(grad_op, {c.output(0), c.dy(0)}));
    return c.status();
  };
}

// ---- Select and Cast -------------------------------------------------------------------------------

// Select (v1): the condition is a scalar, of the data's shape, or a vector over its first dim.
absl::Status SelectGrad(GradientContext& c) {
  Output cond = c.input(0), g = c.dy(0), zeros = c.ZerosLike(g);
  c.set_dx(1, c.Op("Select", {cond, g, zeros}));
  c.set_dx(2, c.Op("Select", {cond, zeros, g}));
  return c.status();
}
// SelectV2 broadcasts condition, t and e: each branch's gradient is summed back to its shape.
absl::Status SelectV2Grad(GradientContext& c) {
  Output cond = c.input(0), g = c.dy(0), zero = c.ScalarLike(g, 0);
  c.set_dx(1, c.SumToShapeOf(c.Select(cond, g, zero), c.input(1)));
  c.set_dx(2, c.SumToShapeOf(c.Select(cond, zero, g), c.input(2)));
  return c.status();
}
// Only between floating (or complex) dtypes; a cast from or to integers cuts the gradient.
absl::Status CastGrad(GradientContext& c) {
  const DType src = c.input(0).dtype(), dst = c.output(0).dtype();
  if (IsDifferentiableDType(src) && IsDifferentiableDType(dst)) c.set_dx(0, c.Cast(c.dy(0), BaseDType(src)));
  return c.status();
}

// ---- Reductions ------------------------------------------------------------------------------------

// The shape of a reduction's output with keep_dims = true: x's shape with the reduced dims set
// to 1 (TF's math_ops.reduced_shape). Constant when x's shape and the axes are static.
Output KeptDimsShape(GradientContext& c, Output x, Output axes) {
  const Tensor* axes_value = axes.node->output_value(axes.index);
  const Shape& shape = x.shape();
  if (axes_value != nullptr && shape.has_rank()) {
    const int rank = shape.rank();
    std::vector<int64_t> reduced(rank, 0), kept(rank, 1);
    for (int64_t i = 0; i < axes_value->num_elements(); ++i) {
      const int64_t axis = axes_value->ElementAsInt64(i);
      if (axis < -rank || axis >= rank) {
        return c.Fail(absl::InvalidArgumentError("reduction axis out of range"));
      }
      reduced[axis < 0 ? axis + rank : axis] = 1;
    }
    if (shape.IsFullyDefined()) {
      std::vector<int64_t> dims = shape.dims();
      for (int d = 0; d < rank; ++d) {
        if (reduced[d]) dims[d] = 1;
      }
      return c.Int32s(dims);
    }
    for (int d = 0; d < rank; ++d) kept[d] = 1 - reduced[d];
    return c.Add(c.Mul(c.ShapeOf(x), c.Int32s(kept)), c.Int32s(reduced));
  }
  // Rank or axes known only at run time: a [num_axes, rank] comparison marks the reduced dims.
  Output rank = c.Op("Rank", {x});
  Output axes32 = c.Cast(axes, DT_INT32);
  Output canonical = c.Op("FloorMod", {c.Add(axes32, rank), rank});
  Output dims = c.Op("Range", {c.Int32(0), rank, c.Int32(1)});
  Output hits = c.Op("Equal", {c.Reshape(canonical, std::vector<int64_t>{-1, 1}), dims});
  Output reduced = c.Op("Minimum", {c.Sum(c.Cast(hits, DT_INT32), std::vector<int64_t>{0}), c.Int32(1)});
  return c.Add(c.Mul(c.Op("Shape", {x}), c.Sub(c.Int32(1), reduced)), reduced);
}

// dy broadcast back over the reduced dims.
Output BroadcastOverReduced(GradientContext& c, Output dy, Output x, Output axes) {
  if (x.shape().IsFullyDefined() && dy.shape() == x.shape()) return dy;
  return c.Op("BroadcastTo", {c.Reshape(dy, KeptDimsShape(c, x, axes)), c.ShapeOf(x)});
}

absl::Status SumGrad(GradientContext& c) {
  c.set_dx(0, BroadcastOverReduced(c, c.dy(0), c.input(0), c.input(1)));
  return c.status();
}

absl::Status MeanGrad(GradientContext& c) {
  Output x = c.input(0), y = c.output(0);
  Output sum_grad = BroadcastOverReduced(c, c.dy(0), x, c.input(1));
  Output count;
  if (x.shape().IsFullyDefined() && y.shape().IsFullyDefined()) {
    const int64_t in = x.shape().num_elements(), out = y.shape().num_elements();
    count = c.ScalarLike(x, static_cast<double>(in / std::max<int64_t>(out, 1)));
  } else {
    Output ratio = c.Op("FloorDiv", {c.Op("Size", {x}), c.Op("Maximum", {c.Op("Size", {y}), c.Int32(1)})});
    count = c.Cast(ratio, BaseDType(x.dtype()));
  }
  c.set_dx(0, c.Div(sum_grad, count));
  return c.status();
}

// Max / Min: the gradient is shared equally by the elements equal to the extremum.
absl::Status MinOrMaxGrad(GradientContext& c) {
  Output x = c.input(0), axes = c.input(1);
  Output kept = KeptDimsShape(c, x, axes);
  Output y = c.Reshape(c.output(0), kept), g = c.Reshape(c.dy(0), kept);
  Output indicators = c.Cast(c.Op("Equal", {y, x}), BaseDType(x.dtype()));
  Output num_selected = c.Reshape(c.Sum(indicators, axes), kept);
  c.set_dx(0, c.Mul(c.Div(indicators, num_selected), g));
  return c.status();
}

// Prod: d/dx_i of a product is the product of the other elements. Computed without dividing
// (zeros are fine) as TF's _ProdGrad does: the reduced dims are moved to the front and
// flattened, and exclusive cumulative products from both ends are multiplied.
absl::Status ProdGrad(GradientContext& c) {
  Output x = c.input(0), axes = c.input(1);
  const Tensor* axes_value = axes.node->output_value(axes.index);
  if (axes_value == nullptr || !x.shape().has_rank()) {
    return absl::UnimplementedError("the Prod gradient needs constant axes and an input of known rank");
  }
  const int rank = x.shape().rank();
  std::vector<bool> reduced(rank, false);
  for (int64_t i = 0; i < axes_value->num_elements(); ++i) {
    const int64_t axis = axes_value->ElementAsInt64(i);
    if (axis < -rank || axis >= rank) return absl::InvalidArgumentError("Prod gradient: axis out of range");
    reduced[axis < 0 ? axis + rank : axis] = true;
  }
  std::vector<int64_t> perm, inverse(rank);
  for (int d = 0; d < rank; ++d) {
    if (reduced[d]) perm.push_back(d);
  }
  const int num_reduced = static_cast<int>(perm.size());
  for (int d = 0; d < rank; ++d) {
    if (!reduced[d]) perm.push_back(d);
  }
  for (int i = 0; i < rank; ++i) inverse[perm[i]] = i;
  Output g = BroadcastOverReduced(c, c.dy(0), x, axes);
  Output permuted = c.Transpose(x, perm);
  Output flat = c.Reshape(
      permuted, c.Vector({c.DimsProduct(permuted, 0, num_reduced), c.DimsProduct(permuted, num_reduced, rank)}));
  AttrMap exclusive = {{"exclusive", MakeAttr(true)}};
  AttrMap exclusive_reverse = {{"exclusive", MakeAttr(true)}, {"reverse", MakeAttr(true)}};
  Output left = c.Op("Cumprod", {flat, c.Int32(0)}, exclusive);
  Output right = c.Op("Cumprod", {flat, c.Int32(0)}, exclusive_reverse);
  Output others = c.Reshape(c.Mul(left, right), c.ShapeOf(permuted));
  c.set_dx(0, c.Mul(g, c.Transpose(others, inverse)));
  return c.status();
}

// ---- Cumulative sums and products --------------------------------------------------------------

// The gradient of a cumulative sum is the cumulative sum of dy the other way round.
absl::Status CumsumGrad(GradientContext& c) {
  bool exclusive = false, reverse = false;
  if (!c.Attr("exclusive", &exclusive) || !c.Attr("reverse", &reverse)) return c.status();
  c.set_dx(
      0, c.Op("Cumsum", {c.dy(0), c.input(1)}, {{"exclusive", MakeAttr(exclusive)}, {"reverse", MakeAttr(!reverse)}}));
  return c.status();
}

// TF's _CumprodGrad: cumsum(cumprod(x) * dy) the other way round, divided by x (0 where x is 0,
// TF's div_no_nan; like TF, exact only where x has no zeros).
absl::Status CumprodGrad(GradientContext& c) {
  bool exclusive = false, reverse = false;
  if (!c.Attr("exclusive", &exclusive) || !c.Attr("reverse", &reverse)) return c.status();
  Output x = c.input(0);
  Output sums = c.Op("Cumsum", {c.Mul(c.output(0), c.dy(0)), c.input(1)},
                     {{"exclusive", MakeAttr(exclusive)}, {"reverse", MakeAttr(!reverse)}});
  Output is_zero = c.Op("Equal", {x, c.ScalarLike(x, 0)});
  Output safe_x = c.Select(is_zero, c.OnesLike(x), x);
  c.set_dx(0, c.Select(is_zero, c.ZerosLike(x), c.Div(sums, safe_x)));
  return c.status();
}

// ---- Matmuls ---------------------------------------------------------------------------------------

absl::Status MatMulGrad(GradientContext& c) {
  bool ta = false, tb = false;
  if (!c.Attr("transpose_a", &ta) || !c.Attr("transpose_b", &tb)) return c.status();
  Output a = c.input(0), b = c.input(1), g = c.dy(0);
  // (Each product is built only when wanted: the unused one would be a whole extra matmul.)
  if (c.wants_dx(0)) {
    c.set_dx(0, !ta ? c.MatMul(g, b, false, !tb) : (!tb ? c.MatMul(b, g, false, true) : c.MatMul(b, g, true, true)));
  }
  if (c.wants_dx(1)) {
    c.set_dx(1, !tb ? (!ta ? c.MatMul(a, g, true, false) : c.MatMul(a, g, false, false))
                    : (!ta ? c.MatMul(g, a, true, false) : c.MatMul(g, a, true, true)));
  }
  return c.status();
}

// As MatMul, then each gradient is summed over the batch dims its operand was broadcast along.
absl::Status BatchMatMulV2Grad(GradientContext& c) {
  bool adj_x = false, adj_y = false;
  if (!c.Attr("adj_x", &adj_x) || !c.Attr("adj_y", &adj_y)) return c.status();
  Output x = c.input(0), y = c.input(1), g = c.dy(0);
  if (c.wants_dx(0)) {
    Output gx = !adj_x ? c.BatchMatMul(g, y, false, !adj_y)
                       : (!adj_y ? c.BatchMatMul(y, g, false, true) : c.BatchMatMul(y, g, true, true));
    c.set_dx(0, c.SumToShapeOf(gx, x));
  }
  if (c.wants_dx(1)) {
    Output gy = !adj_y ? (!adj_x ? c.BatchMatMul(x, g, true, false) : c.BatchMatMul(x, g, false, false))
                       : (!adj_x ? c.BatchMatMul(g, x, true, false) : c.BatchMatMul(g, x, true, true));
    c.set_dx(1, c.SumToShapeOf(gy, y));
  }
  return c.status();
}

}  // namespace

REGISTER_GRADIENT("Add", AddGrad);
REGISTER_GRADIENT("AddV2", AddGrad);
REGISTER_GRADIENT("Sub", SubGrad);
REGISTER_GRADIENT("Mul", MulGrad);
REGISTER_GRADIENT("Div", DivGrad);
REGISTER_GRADIENT("RealDiv", DivGrad);
REGISTER_NO_GRADIENT("FloorDiv");
REGISTER_GRADIENT("FloorMod", FloorModGrad);
REGISTER_GRADIENT("Maximum", MaximumMinimumGrad("GreaterEqual"));
REGISTER_GRADIENT("Minimum", MaximumMinimumGrad("LessEqual"));
REGISTER_GRADIENT("Pow", PowGrad);
REGISTER_GRADIENT("SquaredDifference", SquaredDifferenceGrad);
REGISTER_GRADIENT("AddN", AddNGrad);
REGISTER_GRADIENT("Atan2", Atan2Grad);
REGISTER_GRADIENT("ClipByValue", ClipByValueGrad);

REGISTER_GRADIENT("Neg", NegGrad);
REGISTER_GRADIENT("Abs", AbsGrad);
REGISTER_GRADIENT("Sign", SignGrad);
REGISTER_GRADIENT("Square", SquareGrad);
REGISTER_GRADIENT("Sqrt", OutputGradOp("SqrtGrad"));
REGISTER_GRADIENT("Rsqrt", OutputGradOp("RsqrtGrad"));
REGISTER_GRADIENT("Reciprocal", OutputGradOp("ReciprocalGrad"));
REGISTER_GRADIENT("Exp", ExpGrad);
REGISTER_GRADIENT("Log", LogGrad);
REGISTER_GRADIENT("Log1p", Log1pGrad);
REGISTER_GRADIENT("Tanh", OutputGradOp("TanhGrad"));
REGISTER_GRADIENT("Sigmoid", OutputGradOp("SigmoidGrad"));
REGISTER_GRADIENT("Sin", SinGrad);
REGISTER_GRADIENT("Cos", CosGrad);
REGISTER_GRADIENT("Erf", ErfGrad);
REGISTER_GRADIENT("Softsign", SoftsignGrad);
REGISTER_NO_GRADIENT("Floor");
REGISTER_NO_GRADIENT("Ceil");
REGISTER_NO_GRADIENT("Round");

REGISTER_GRADIENT("Select", SelectGrad);
REGISTER_GRADIENT("SelectV2", SelectV2Grad);
REGISTER_GRADIENT("Cast", CastGrad);

REGISTER_GRADIENT("Sum", SumGrad);
REGISTER_GRADIENT("Mean", MeanGrad);
REGISTER_GRADIENT("Max", MinOrMaxGrad);
REGISTER_GRADIENT("Min", MinOrMaxGrad);
REGISTER_GRADIENT("Prod", ProdGrad);
REGISTER_GRADIENT("Cumsum", CumsumGrad);
REGISTER_GRADIENT("Cumprod", CumprodGrad);

REGISTER_GRADIENT("MatMul", MatMulGrad);
REGISTER_GRADIENT("BatchMatMulV2", BatchMatMulV2Grad);

}  // namespace strata
