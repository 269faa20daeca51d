// Gradients of the array and slicing ops (ops/array_ops.cc, ops/slice_ops.cc), following
// TensorFlow's python/ops/array_grad.py. Shape arguments (Shape, begin, paddings, ...) are built
// as constants when static shapes are known, else from Shape nodes that fold once a Session
// specializes the graph.
#include <cstdint>
#include <vector>

#include "ops/gradient.h"
#include "ops/registry.h"

namespace strata {
namespace {

// The known value of a tensor (a Const or a folded shape), or null.
const Tensor* ValueOf(const Output& o) { return o.valid() ? o.node->output_value(o.index) : nullptr; }

std::vector<int64_t> Int64s(const Tensor& t) {
  std::vector<int64_t> v;
  for (int64_t i = 0; i < t.num_elements(); ++i) v.push_back(t.ElementAsInt64(i));
  return v;
}

// ---- Pass-through and shape-only ops -------------------------------------------------------------

absl::Status IdentityGrad(GradientContext& c) {
  c.set_dx(0, c.dy(0));
  return c.status();
}

absl::Status IdentityNGrad(GradientContext& c) {
  for (int i = 0; i < c.num_outputs(); ++i) {
    if (c.has_dy(i)) c.set_dx(i, c.dy(i));
  }
  return c.status();
}

// Reshape, Squeeze, ExpandDims: the gradient takes the input's shape back.
absl::Status ReshapeToInputGrad(GradientContext& c) {
  c.set_dx(0, c.Reshape(c.dy(0), c.ShapeOf(c.input(0))));
  return c.status();
}

absl::Status TransposeGrad(GradientContext& c) {
  Output perm = c.input(1);
  if (const Tensor* p = ValueOf(perm)) {
    std::vector<int64_t> forward = Int64s(*p), inverse(forward.size());
    for (size_t i = 0; i < forward.size(); ++i) {
      if (forward[i] < 0 || forward[i] >= static_cast<int64_t>(forward.size())) {
        return absl::InvalidArgumentError("Transpose gradient: perm is not a permutation");
      }
      inverse[forward[i]] = static_cast<int64_t>(i);
    }
    c.set_dx(0, c.Transpose(c.dy(0), inverse));
    return c.status();
  }
  // inverse[perm[i]] = i: column j of one_hot(perm) has its 1 in row inverse[j].
  Output one_hot = c.Op("OneHot", {perm, c.Op("Size", {perm}), c.Int32(1), c.Int32(0)});
  Output inverse = c.Op("ArgMax", {one_hot, c.Int32(0)}, {{"output_type", MakeAttr(DT_INT32)}});
  c.set_dx(0, c.Op("Transpose", {c.dy(0), inverse}));
  return c.status();
}

absl::Status ReverseV2Grad(GradientContext& c) {
  c.set_dx(0, c.Op("ReverseV2", {c.dy(0), c.input(1)}));
  return c.status();
}

// ---- Concatenation and splitting -------------------------------------------------------------------

// dy split back into the pieces' sizes along the axis.
absl::Status ConcatV2Grad(GradientContext& c) {
  const int n = c.num_inputs() - 1;
  Output axis = c.input(n);
  std::vector<Output> pieces;
  for (int i = 0; i < n; ++i) pieces.push_back(c.input(i));
  Output split_dim, sizes;
  const Tensor* axis_value = ValueOf(axis);
  const Shape& first = pieces[0].shape();
  if (axis_value != nullptr && first.has_rank()) {
    const int64_t rank = first.rank(), a = axis_value->ElementAsInt64(0);
    if (a < -rank || a >= rank) return absl::InvalidArgumentError("ConcatV2 gradient: axis out of range");
    const int canonical = static_cast<int>(a < 0 ? a + rank : a);
    split_dim = c.Int32(canonical);
    std::vector<Output> dims;
    for (const Output& p : pieces) {
      const int64_t d = p.shape().has_rank() ? p.shape().dim(canonical) : -1;
      dims.push_back(d >= 0 ? c.Int32(d) : c.Op("GatherV2", {c.Op("Shape", {p}), split_dim, c.Int32(0)}));
    }
    sizes = c.Vector(dims);
  } else {
    split_dim = c.Op("FloorMod", {c.Cast(axis, DT_INT32), c.Op("Rank", {pieces[0]})});
    std::vector<Output> dims;
    for (const Output& p : pieces) dims.push_back(c.Op("GatherV2", {c.Op("Shape", {p}), split_dim, c.Int32(0)}));
    sizes = c.Pack(dims);
  }
  std::vector<Output> grads = c.Ops("SplitV", {c.dy(0), sizes, split_dim}, {{"num_split", MakeAttr(n)}});
  for (int i = 0; i < n && i < static_cast<int>(grads.size()); ++i) c.set_dx(i, grads[i]);
  return c.status();
}

absl::Status PackGrad(GradientContext& c) {
  int64_t axis = 0;
  if (!c.Attr("axis", &axis)) return c.status();
  std::vector<Output> grads = c.Ops("Unpack", {c.dy(0)}, {{"num", MakeAttr(c.num_inputs())}, {"axis", MakeAttr(axis)}});
  for (int i = 0; i < c.num_inputs() && i < static_cast<int>(grads.size()); ++i) c.set_dx(i, grads[i]);
  return c.status();
}

// Outputs no gradient reached contribute zeros.
std::vector<Output> AllDys(GradientContext& c) {
  std::vector<Output> dys;
  for (int i = 0; i < c.num_outputs(); ++i) dys.push_back(c.dy(i));
  return dys;
}

absl::Status UnpackGrad(GradientContext& c) {
  int64_t axis = 0;
  if (!c.Attr("axis", &axis)) return c.status();
  c.set_dx(0, c.Pack(AllDys(c), axis));
  return c.status();
}

// Split(split_dim, value) and SplitV(value, size_splits, split_dim).
absl::Status SplitGrad(GradientContext& c) {
  c.set_dx(1, c.Concat(AllDys(c), c.input(0)));
  return c.status();
}
absl::Status SplitVGrad(GradientContext& c) {
  c.set_dx(0, c.Concat(AllDys(c), c.input(2)));
  return c.status();
}

// ---- Slicing and padding ---------------------------------------------------------------------------

// Slice(input, begin, size): dy padded with begin before and the rest after.
absl::Status SliceGrad(GradientContext& c) {
  Output x = c.input(0), begin = c.input(1), y = c.output(0);
  const Tensor* begin_value = ValueOf(begin);
  if (begin_value != nullptr && x.shape().IsFullyDefined() && y.shape().IsFullyDefined()) {
    std::vector<int32_t> pads;
    const std::vector<int64_t> b = Int64s(*begin_value);
    for (int d = 0; d < x.shape().rank(); ++d) {
      pads.push_back(static_cast<int32_t>(b[d]));
      pads.push_back(static_cast<int32_t>(x.shape().dim(d) - b[d] - y.shape().dim(d)));
    }
    const int64_t rank = x.shape().rank();
    Output paddings = c.Const(Tensor::FromVector<int32_t>(absl::MakeConstSpan(pads), Shape{rank, 2}));
    c.set_dx(0, c.Op("Pad", {c.dy(0), paddings}));
    return c.status();
  }
  Output begin32 = c.Cast(begin, DT_INT32);
  Output before = c.Reshape(begin32, std::vector<int64_t>{-1, 1});
  Output after = c.Reshape(c.Sub(c.Sub(c.ShapeOf(x), begin32), c.ShapeOf(y)), std::vector<int64_t>{-1, 1});
  c.set_dx(0, c.Op("Pad", {c.dy(0), c.Concat({before, after}, c.Int32(1))}));
  return c.status();
}

absl::Status StridedSliceGrad(GradientContext& c) {
  Output x = c.input(0), begin = c.input(1);
  Output shape = c.Cast(c.ShapeOf(x), BaseDType(begin.dtype()));
  AttrMap attrs = c.AttrsOf({"begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"});
  c.set_dx(0, c.Op("StridedSliceGrad", {shape, begin, c.input(2), c.input(3), c.dy(0)}, attrs));
  return c.status();
}

// Pad / PadV2: the gradient is the slice of dy that the input occupies.
absl::Status PadGrad(GradientContext& c) {
  Output x = c.input(0), paddings = c.input(1);
  Output begin;
  if (const Tensor* p = ValueOf(paddings)) {
    const std::vector<int64_t> v = Int64s(*p);
    std::vector<int64_t> before;
    for (size_t i = 0; i < v.size(); i += 2) before.push_back(v[i]);
    begin = c.Int32s(before);
  } else {
    Output first_column = c.Op("Slice", {c.Cast(paddings, DT_INT32), c.Int32s({0, 0}), c.Int32s({-1, 1})});
    begin = c.Reshape(first_column, std::vector<int64_t>{-1});
  }
  c.set_dx(0, c.Op("Slice", {c.dy(0), begin, c.ShapeOf(x)}));
  return c.status();
}

// Tile: dy reshaped to [m0, s0, m1, s1, ...] and summed over the multiples.
absl::Status TileGrad(GradientContext& c) {
  Output x = c.input(0), multiples = c.input(1);
  const Tensor* m = ValueOf(multiples);
  const Shape& s = x.shape();
  if (m != nullptr && s.IsFullyDefined()) {
    const std::vector<int64_t> mv = Int64s(*m);
    std::vector<int64_t> split, axes;
    for (int d = 0; d < s.rank(); ++d) {
      split.push_back(mv[d]);
      split.push_back(s.dim(d));
      axes.push_back(2 * d);
    }
    Output summed = c.Sum(c.Reshape(c.dy(0), split), axes);
    c.set_dx(0, summed.valid() && summed.shape() == s ? summed : c.Reshape(summed, s.dims()));
    return c.status();
  }
  Output split =
      c.Reshape(c.Transpose(c.Pack({c.Cast(multiples, DT_INT32), c.ShapeOf(x)}), {1, 0}), std::vector<int64_t>{-1});
  Output axes = c.Op("Range", {c.Int32(0), c.Op("Size", {split}), c.Int32(2)});
  c.set_dx(0, c.Reshape(c.Sum(c.Reshape(c.dy(0), split), axes), c.ShapeOf(x)));
  return c.status();
}

absl::Status BroadcastToGrad(GradientContext& c) {
  c.set_dx(0, c.SumToShapeOf(c.dy(0), c.input(0)));
  return c.status();
}

// GatherV2 (params, indices, axis) with batch_dims b: params [B.., O.., N, In..], indices
// [B.., K..], output [B.., O.., K.., In..]. Without a scatter primitive, d params is a contraction
// with one_hot(indices, N): [Bp, 1, N, K] x [Bp, O, K, In] -> [Bp, O, N, In]. Out-of-range
// indices contribute nothing.
absl::Status GatherV2Grad(GradientContext& c) {
  Output params = c.input(0), indices = c.input(1), axis = c.input(2);
  const Tensor* axis_value = ValueOf(axis);
  const Shape &ps = params.shape(), &is = indices.shape();
  if (axis_value == nullptr || !ps.has_rank() || !is.has_rank()) {
    return absl::UnimplementedError("the GatherV2 gradient needs a constant axis and params and indices of known rank");
  }
  int64_t batch_dims = 0;
  if (!c.Attr("batch_dims", &batch_dims)) return c.status();
  const int p_rank = ps.rank(), i_rank = is.rank();
  int64_t a = axis_value->ElementAsInt64(0);
  if (a < 0) a += p_rank;
  if (batch_dims < 0) batch_dims += i_rank;
  if (a < 0 || a >= p_rank || batch_dims < 0 || batch_dims > a || batch_dims > i_rank) {
    return absl::InvalidArgumentError("GatherV2 gradient: axis or batch_dims out of range");
  }
  const int b = static_cast<int>(batch_dims), ax = static_cast<int>(a);
  Output batch = c.DimsProduct(params, 0, b), outer = c.DimsProduct(params, b, ax);
  Output depth = c.DimsProduct(params, ax, ax + 1), inner = c.DimsProduct(params, ax + 1, p_rank);
  Output count = c.DimsProduct(indices, b, i_rank);
  Output one = c.ScalarLike(params, 1), zero = c.ScalarLike(params, 0);
  Output flat_indices = c.Reshape(indices, c.Vector({batch, count}));
  Output one_hot = c.Op("OneHot", {flat_indices, depth, one, zero});   // [Bp, K, N]
  Output selector = c.ExpandDims(c.Transpose(one_hot, {0, 2, 1}), 1);  // [Bp, 1, N, K]
  Output dy = c.Reshape(c.dy(0), c.Vector({batch, outer, count, inner}));
  c.set_dx(0, c.Reshape(c.BatchMatMul(selector, dy), c.ShapeOf(params)));
  return c.status();
}

// Every axis of x: [0, 1, ..., rank - 1].
Output AllAxes(GradientContext& c, Output x) {
  if (!x.shape().has_rank()) return c.Op("Range", {c.Int32(0), c.Op("Rank", {x}), c.Int32(1)});
  std::vector<int64_t> axes(x.shape().rank());
  for (size_t i = 0; i < axes.size(); ++i) axes[i] = static_cast<int64_t>(i);
  return c.Int32s(axes);
}

// GatherNd(params, indices): params [P_0..P_{K-1}, R..], indices [I.., K], output [I.., R..].
// As for GatherV2, d params is a contraction with the one-hot of the flattened index.
absl::Status GatherNdGrad(GradientContext& c) {
  Output params = c.input(0), indices = c.input(1);
  const Shape &ps = params.shape(), &is = indices.shape();
  if (!ps.has_rank() || !is.has_rank() || is.rank() < 1 || is.dim(-1) < 0) {
    return absl::UnimplementedError(
        "the GatherNd gradient needs params of known rank and indices whose last dim is known");
  }
  const int k = static_cast<int>(is.dim(-1)), p_rank = ps.rank(), i_rank = is.rank();
  if (k > p_rank) return absl::InvalidArgumentError("GatherNd gradient: indices index more dims than params has");
  std::vector<Output> strides;  // row-major strides of the indexed dims
  for (int d = 0; d < k; ++d) strides.push_back(c.DimsProduct(params, d + 1, k));
  Output index_dtype_strides = c.Cast(c.Vector(strides), BaseDType(indices.dtype()));
  Output flat_indices = c.Sum(c.Mul(indices, index_dtype_strides), std::vector<int64_t>{-1});
  Output count = c.DimsProduct(indices, 0, i_rank - 1);
  Output rows = c.DimsProduct(params, 0, k), inner = c.DimsProduct(params, k, p_rank);
  Output one_hot = c.Op("OneHot", {c.Reshape(flat_indices, c.Vector({count})), rows, c.ScalarLike(params, 1),
                                   c.ScalarLike(params, 0)});  // [count, rows]
  Output dy = c.Reshape(c.dy(0), c.Vector({count, inner}));
  c.set_dx(0, c.Reshape(c.MatMul(one_hot, dy, /*transpose_a=*/true), c.ShapeOf(params)));
  return c.status();
}

absl::Status MirrorPadGrad(GradientContext& c) {
  c.set_dx(0, c.Op("MirrorPadGrad", {c.dy(0), c.input(1)}, c.AttrsOf({"mode"})));
  return c.status();
}

// Fill(dims, value): every element came from value.
absl::Status FillGrad(GradientContext& c) {
  c.set_dx(1, c.Sum(c.dy(0), AllAxes(c, c.dy(0))));
  return c.status();
}

}  // namespace

REGISTER_GRADIENT("Identity", IdentityGrad);
REGISTER_GRADIENT("PlaceholderWithDefault", IdentityGrad);
REGISTER_GRADIENT("IdentityN", IdentityNGrad);
REGISTER_NO_GRADIENT("StopGradient");
REGISTER_NO_GRADIENT("ZerosLike");
REGISTER_NO_GRADIENT("OnesLike");
REGISTER_NO_GRADIENT("Range");
REGISTER_NO_GRADIENT("OneHot");

REGISTER_GRADIENT("Reshape", ReshapeToInputGrad);
REGISTER_GRADIENT("Squeeze", ReshapeToInputGrad);
REGISTER_GRADIENT("ExpandDims", ReshapeToInputGrad);
REGISTER_GRADIENT("Transpose", TransposeGrad);
REGISTER_GRADIENT("ReverseV2", ReverseV2Grad);
REGISTER_GRADIENT("ConcatV2", ConcatV2Grad);
REGISTER_GRADIENT("Pack", PackGrad);
REGISTER_GRADIENT("Unpack", UnpackGrad);
REGISTER_GRADIENT("Split", SplitGrad);
REGISTER_GRADIENT("SplitV", SplitVGrad);
REGISTER_GRADIENT("Slice", SliceGrad);
REGISTER_GRADIENT("StridedSlice", StridedSliceGrad);
REGISTER_GRADIENT("Pad", PadGrad);
REGISTER_GRADIENT("PadV2", PadGrad);
REGISTER_GRADIENT("Tile", TileGrad);
REGISTER_GRADIENT("BroadcastTo", BroadcastToGrad);
REGISTER_GRADIENT("GatherV2", GatherV2Grad);
REGISTER_GRADIENT("GatherNd", GatherNdGrad);
REGISTER_GRADIENT("MirrorPad", MirrorPadGrad);
REGISTER_GRADIENT("Fill", FillGrad);

}  // namespace strata
