// Array ops: graph inputs and constants (Placeholder, Const), identities, and the ops that
// rearrange a tensor without computing on its elements (Reshape, Transpose, ConcatV2, Pack,
// ReverseV2, ...), plus the shape-producing ops (Shape, Size, Rank, Fill, Range).
//
// Schemas follow tensorflow/core/ops/array_ops.cc (and no_op.cc, math_ops.cc for Range).
// Besides shapes, several shape functions compute small static values: TensorFlow graphs
// build shapes at run time with chains such as Shape -> StridedSlice -> Pack -> Reshape, and
// those chains must resolve to static shapes. Values are only computed for int32/int64
// tensors of at most kMaxValueElements elements; bigger or float tensors are left to
// constant folding.
//
// The lowerings attached here live in ops/array_lowering.h (array_lowering.cc), except
// ReverseV2's, which sits next to its schema. Placeholder has none (the runtime feeds it) and
// NoOp has none (it is only ever a target).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/dtype.h"
#include "graph/shape.h"
#include "graph/shape_inference.h"
#include "graph/tensor.h"
#include "ops/array_lowering.h"
#include "ops/registry.h"

namespace strata {
namespace {

#define ARRAY_OPS_RETURN_IF_ERROR(expr) \
  do {                                  \
    absl::Status _st = (expr);          \
    if (!_st.ok()) return _st;          \
  } while (0)

constexpr int64_t kMaxValueElements = 64;

bool IsIndexDType(DType t) { return t == DT_INT32 || t == DT_INT64; }

// An int32/int64 tensor small enough to compute on during shape inference.
bool IsSmallIndexTensor(const Tensor* t) {
  return t != nullptr && IsIndexDType(t->dtype()) && t->num_elements() <= kMaxValueElements;
}

std::vector<int64_t> ElementsAsInt64(const Tensor& t) {
  std::vector<int64_t> v(t.num_elements());
  for (int64_t i = 0; i < t.num_elements(); ++i) v[i] = t.ElementAsInt64(i);
  return v;
}

// An int32/int64 tensor of `shape` holding `values`; nullopt for other dtypes, for values that
// do not fit int32, or for a size mismatch.
std::optional<Tensor> MakeIndexTensor(DType dtype, const std::vector<int64_t>& values, const Shape& shape) {
  if (!IsIndexDType(dtype) || !shape.IsFullyDefined() ||
      shape.num_elements() != static_cast<int64_t>(values.size())) {
    return std::nullopt;
  }
  Tensor t(dtype, shape);
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == DT_INT32) {
      if (values[i] < std::numeric_limits<int32_t>::min() || values[i] > std::numeric_limits<int32_t>::max()) {
        return std::nullopt;
      }
      t.flat<int32_t>()[i] = static_cast<int32_t>(values[i]);
    } else {
      t.flat<int64_t>()[i] = values[i];
    }
  }
  return t;
}

// The partially known value of an int vector input: its value when known (if every element
// is >= -1, so that it reads as a shape), else its shape value (unknown rank if unknown).
Shape PartialVectorValue(const InferenceContext& c, int i) {
  const Tensor* t = c.input_tensor(i);
  if (t != nullptr && IsIndexDType(t->dtype()) && t->rank() == 1) {
    std::vector<int64_t> v = ElementsAsInt64(*t);
    if (std::all_of(v.begin(), v.end(), [](int64_t d) { return d >= -1; })) return Shape(std::move(v));
    return Shape::UnknownRank();
  }
  return c.input_shape_value(i);
}

// The known value of an int scalar input, from its value or a one-element shape value.
std::optional<int64_t> KnownScalar(const InferenceContext& c, int i) {
  const Tensor* t = c.input_tensor(i);
  if (t != nullptr && IsIndexDType(t->dtype()) && t->num_elements() == 1) return t->ElementAsInt64(0);
  const Shape& sv = c.input_shape_value(i);
  if (sv.rank() == 1 && sv.dim(0) >= 0) return sv.dim(0);
  return std::nullopt;
}

// Output `out` takes input `in`'s value and shape value (ops that return their input).
void ForwardValues(InferenceContext& c, int in, int out) {
  if (const Tensor* t = c.input_tensor(in)) c.set_output_value(out, *t);
  const Shape& sv = c.input_shape_value(in);
  if (sv.has_rank()) c.set_output_shape_value(out, sv);
}

// For ops that only change the shape (Reshape, ExpandDims, Squeeze): a small known int value
// keeps its elements under the new shape; a vector keeps its shape value.
void ForwardReshapedValues(InferenceContext& c, const Shape& out_shape) {
  const Tensor* t = c.input_tensor(0);
  if (IsSmallIndexTensor(t) && out_shape.IsFullyDefined()) {
    absl::StatusOr<Tensor> r = t->Reshaped(out_shape);
    if (r.ok()) c.set_output_value(0, *std::move(r));
  }
  const Shape& sv = c.input_shape_value(0);
  if (out_shape.rank() == 1 && c.input(0).rank() == 1 && sv.has_rank()) c.set_output_shape_value(0, sv);
}

// a * b, or an error when the product overflows int64.
absl::Status CheckedMul(int64_t a, int64_t b, int64_t* out) {
  if (__builtin_mul_overflow(a, b, out)) {
    return absl::InvalidArgumentError(absl::StrCat("shape product overflows: ", a, " * ", b));
  }
  return absl::OkStatus();
}

// The product of a shape's known dims, and the index of its single unknown dim (-1 if none,
// -2 if more than one).
struct KnownProduct {
  int64_t product = 1;
  int unknown_index = -1;
};
absl::StatusOr<KnownProduct> ProductOfKnownDims(const Shape& s) {
  KnownProduct p;
  for (int i = 0; i < s.rank(); ++i) {
    if (s.dim(i) < 0) {
      p.unknown_index = p.unknown_index == -1 ? i : -2;
    } else {
      ARRAY_OPS_RETURN_IF_ERROR(CheckedMul(p.product, s.dim(i), &p.product));
    }
  }
  return p;
}

// Strides for treating a tensor as [outer, dim(axis), inner].
int64_t OuterSize(const Shape& s, int axis) {
  int64_t n = 1;
  for (int i = 0; i < axis; ++i) n *= s.dim(i);
  return n;
}
int64_t InnerSize(const Shape& s, int axis) {
  int64_t n = 1;
  for (int i = axis + 1; i < s.rank(); ++i) n *= s.dim(i);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Graph inputs, constants, identities.

absl::Status PlaceholderShape(InferenceContext& c) {
  Shape shape;
  ARRAY_OPS_RETURN_IF_ERROR(c.GetAttr("shape", &shape));
  c.set_output(0, shape);
  return absl::OkStatus();
}

// The output has the declared shape (which may be less precise than the default's), and no
// static value: the default can be fed over, so it must never be folded.
absl::Status PlaceholderWithDefaultShape(InferenceContext& c) {
  Shape shape;
  ARRAY_OPS_RETURN_IF_ERROR(c.GetAttr("shape", &shape));
  if (!c.input(0).IsCompatibleWith(shape)) {
    return c.Error("PlaceholderWithDefault: the default value's shape %s is not compatible with the shape attr %s",
                   c.input(0).ToString(), shape.ToString());
  }
  c.set_output(0, shape);
  return absl::OkStatus();
}

absl::Status ConstShape(InferenceContext& c) {
  Tensor value;
  ARRAY_OPS_RETURN_IF_ERROR(c.GetAttr("value", &value));
  DType dtype;
  ARRAY_OPS_RETURN_IF_ERROR(c.GetAttr("dtype", &dtype));
  if (value.dtype() != dtype) {
    return c.Error("Const: the value tensor has dtype %s but the dtype attr is %s", DTypeName(value.dtype()),
                   DTypeName(dtype));
  }
  c.set_output(0, value.shape());
  c.set_output_value(0, std::move(value));
  return absl::OkStatus();
}

absl::Status IdentityShape(InferenceContext& c) {
  c.set_output(0, c.input(0));
  ForwardValues(c, 0, 0);
  return absl::OkStatus();
}

absl::Status IdentityNShape(InferenceContext& c) {
  for (int i = 0; i < c.num_inputs() && i < c.num_outputs(); ++i) {
    c.set_output(i, c.input(i));
    ForwardValues(c, i, i);
  }
  return absl::OkStatus();
}

absl::Status NoOutputs(InferenceContext&) { return absl::OkStatus(); }

// ---------------------------------------------------------------------------------------------
// Reshape, Squeeze, ExpandDims, Transpose.

absl::Status ReshapeShape(InferenceContext& c) {
  const Shape& in = c.input(0);
  Shape unused;
  ARRAY_OPS_RETURN_IF_ERROR(c.WithRankAtMost(c.input(1), 1, &unused));
  if (const Tensor* t = c.input_tensor(1)) {
    // A known shape may hold one -1 (the dim to infer); anything else negative is an error.
    int64_t inferred = -1;
    for (int64_t i = 0; i < t->num_elements(); ++i) {
      int64_t d = t->ElementAsInt64(i);
      if (d < -1) return c.Error("Reshape: size %d must be non-negative, not %d", i, d);
      if (d == -1) {
        if (inferred >= 0) return c.Error("Reshape: only one input size may be -1, not both %d and %d", inferred, i);
        inferred = i;
      }
    }
  }
  absl::StatusOr<Shape> out_or = c.InputAsShape(1);
  if (!out_or.ok()) return out_or.status();
  Shape out = *std::move(out_or);

  if (out.has_rank() && in.has_rank()) {
    absl::StatusOr<KnownProduct> in_p = ProductOfKnownDims(in);
    if (!in_p.ok()) return in_p.status();
    absl::StatusOr<KnownProduct> out_p = ProductOfKnownDims(out);
    if (!out_p.ok()) return out_p.status();
    const int in_unknown = in_p->unknown_index, out_unknown = out_p->unknown_index;
    const int64_t in_known = in_p->product, out_known = out_p->product;
    if (in_unknown == -1 && out_unknown == -1) {
      if (in_known != out_known) {
        return c.Error("Cannot reshape a tensor of shape %s (%d elements) to shape %s (%d elements)", in.ToString(),
                       in_known, out.ToString(), out_known);
      }
    } else if (in_unknown == -1 && out_unknown >= 0 && out_known > 0) {
      // Fully known input: infer the one missing output dim.
      if (in_known % out_known != 0) {
        return c.Error("Cannot reshape a tensor of shape %s (%d elements) to shape %s: %d is not a multiple of %d",
                       in.ToString(), in_known, out.ToString(), in_known, out_known);
      }
      out.set_dim(out_unknown, in_known / out_known);
    } else if (in_unknown >= 0 && out_unknown == -1 && in_known != 0) {
      // Fully known output: the input's one unknown dim must make the counts match.
      if (out_known % in_known != 0) {
        return c.Error("Cannot reshape a tensor of shape %s to shape %s (%d elements): %d is not a multiple of %d",
                       in.ToString(), out.ToString(), out_known, out_known, in_known);
      }
    } else if (in_unknown >= 0 && out_unknown >= 0 && in_known == out_known) {
      // One unknown dim on each side, and the rest agree: the unknown dims are equal.
      out.set_dim(out_unknown, in.dim(in_unknown));
    }
  }
  c.set_output(0, out);
  ForwardReshapedValues(c, out);
  return absl::OkStatus();
}

absl::Status SqueezeShape(InferenceContext& c) {
  const Shape& in = c.input(0);
  if (in.unknown_rank()) {
    c.set_output(0, Shape::UnknownRank());
    return absl::OkStatus();
  }
  const int rank = in.rank();
  std::vector<int64_t> squeeze_dims;
  ARRAY_OPS_RETURN_IF_ERROR(c.GetAttr("squeeze_dims", &squeeze_dims));
  std::vector<bool> squeeze(rank, false);
  for (size_t i = 0; i < squeeze_dims.size(); ++i) {
    int64_t d = squeeze_dims[i];
    if (d < -rank || d >= rank) {
      return c.Error("Squeeze: squeeze_dims[%d] = %d is not in [%d, %d) for input shape %s", i, d, -rank, rank,
                     in.ToString());
    }
    squeeze[d < 0 ? d + rank : d] = true;
  }
  Shape out;
  for (int i = 0; i < rank; ++i) {
    const int64_t d = in.dim(i);
    if (d < 0) {
      if (squeeze[i]) continue;  // assumed to be 1 at run time
      if (squeeze_dims.empty()) {
        // Squeezing every 1: an unknown dim may or may not go.
        c.set_output(0, Shape::UnknownRank());
        return absl::OkStatus();
      }
    } else if (d == 1) {
      if (squeeze[i] || squeeze_dims.empty()) continue;
    } else if (squeeze[i]) {
      return c.Error("Can not squeeze dim[%d], expected a dimension of 1, got %d (input shape %s)", i, d,
                     in.ToString());
    }
    out.AddDim(d);
  }
  c.set_output(0, out);
  ForwardReshapedValues(c, out);
  return absl::OkStatus();
}

absl::Status ExpandDimsShape(InferenceContext& c) {
  const Shape& in = c.input(0);
  const Tensor* dim_t = c.input_tensor(1);
  if (dim_t != nullptr && dim_t->num_elements() != 1) {
    return c.Error("ExpandDims: 'dim' input must be a tensor with a single value, got shape %s",
                   dim_t->shape().ToString());
  }
  if (dim_t == nullptr || in.unknown_rank()) {
    c.set_output(0, Shape::UnknownRank());
    return absl::OkStatus();
  }
  int64_t dim = dim_t->ElementAsInt64(0);
  const int rank = in.rank();
  if (dim < -rank - 1 || dim > rank) {
    return c.Error("ExpandDims: dim %d not in the interval [%d, %d] for input shape %s", dim, -rank - 1, rank,
                   in.ToString());
  }
  if (dim < 0) dim += rank + 1;
  Shape out = in.Subshape(0, static_cast<int>(dim));
  out.AddDim(1);
  out.AppendShape(in.Subshape(static_cast<int>(dim)));
  c.set_output(0, out);
  ForwardReshapedValues(c, out);
  return absl::OkStatus();
}

absl::Status TransposeShape(InferenceContext& c) {
  const Shape& in = c.input(0);
  const Shape& perm_shape = c.input(1);
  const Tensor* perm = c.input_tensor(1);
  const int64_t perm_len = perm_shape.rank() == 1 ? perm_shape.dim(0) : -1;
  if (in.unknown_rank() && perm_len < 0 && perm == nullptr) {
    c.set_output(0, Shape::UnknownRank());
    return absl::OkStatus();
  }
  const int64_t rank = in.has_rank() ? in.rank() : perm_len >= 0 ? perm_len : perm->num_elements();
  if (in.unknown_rank() && rank < 2) {
    // One permutation element fits both a scalar and a vector, which Transpose returns as is.
    c.set_output(0, in);
    return absl::OkStatus();
  }
  Shape unused;
  ARRAY_OPS_RETURN_IF_ERROR(c.WithRank(perm_shape, 1, &unused));
  if (perm_len >= 0 && perm_len != rank) {
    return c.Error("Transpose: perm must have %d elements (the rank of input shape %s), but has %d", rank,
                   in.ToString(), perm_len);
  }
  if (perm == nullptr) {
    c.set_output(0, Shape::UnknownDims(static_cast<int>(rank)));
    return absl::OkStatus();
  }
  if (perm->num_elements() != rank) {
    return c.Error("Transpose: perm must have %d elements (the rank of input shape %s), but has %d", rank,
                   in.ToString(), perm->num_elements());
  }
  Shape out;
  std::vector<bool> seen(rank, false);
  for (int64_t i = 0; i < rank; ++i) {
    const int64_t p = perm->ElementAsInt64(i);
    if (p < 0 || p >= rank) {
      return c.Error("Transpose: perm[%d] = %d is out of range [0, %d) for input shape %s", i, p, rank,
                     in.ToString());
    }
    if (seen[p]) return c.Error("Transpose: perm value %d is duplicated in perm", p);
    seen[p] = true;
    out.AddDim(in.has_rank() ? in.dim(static_cast<int>(p)) : Shape::kUnknownDim);
  }
  c.set_output(0, out);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// ConcatV2, Pack, Unpack.

// ConcatV2 of int vectors (e.g. shapes): concatenates their partial values and, when all are
// known, their values.
void ConcatVectorValues(InferenceContext& c, int n) {
  Shape partial = Shape::Scalar();
  std::vector<int64_t> full;
  bool all_full = true;
  for (int i = 0; i < n; ++i) {
    Shape v = PartialVectorValue(c, i);
    if (v.unknown_rank()) {
      // Not even the length is known (or it is too long to be a shape).
      if (c.input(i).rank() != 1 || c.input(i).dim(0) < 0 || c.input(i).dim(0) > kMaxValueElements) return;
      v = Shape::UnknownDims(static_cast<int>(c.input(i).dim(0)));
    }
    partial.AppendShape(v);
    const Tensor* t = c.input_tensor(i);
    if (IsSmallIndexTensor(t)) {
      std::vector<int64_t> e = ElementsAsInt64(*t);
      full.insert(full.end(), e.begin(), e.end());
    } else {
      all_full = false;
    }
  }
  c.set_output_shape_value(0, partial);
  if (all_full && static_cast<int64_t>(full.size()) <= kMaxValueElements) {
    if (auto t = MakeIndexTensor(c.output_dtype(0), full, Shape{static_cast<int64_t>(full.size())})) {
      c.set_output_value(0, *std::move(t));
    }
  }
}

absl::Status ConcatV2Shape(InferenceContext& c) {
  const int n = c.num_inputs() - 1;  // values..., axis
  Shape unused;
  ARRAY_OPS_RETURN_IF_ERROR(c.WithRank(c.input(n), 0, &unused));

  int rank = -1, rank_source = -1;
  for (int i = 0; i < n && rank < 0; ++i) {
    if (c.input(i).has_rank()) {
      rank = c.input(i).rank();
      rank_source = i;
    }
  }
  if (rank == 0) return c.Error("ConcatV2: can't concatenate scalars (use tf.stack instead)");
  for (int i = 0; i < n; ++i) {
    if (c.input(i).has_rank() && c.input(i).rank() != rank) {
      return c.Error("ConcatV2: all inputs must have the same rank, but input %d has shape %s and input %d has "
                     "shape %s",
                     rank_source, c.input(rank_source).ToString(), i, c.input(i).ToString());
    }
  }
  // Vectors can only be joined along axis 0, whatever the axis input says.
  if (rank == 1) ConcatVectorValues(c, n);

  const Tensor* axis_t = c.input_tensor(n);
  if (rank < 0) {
    c.set_output(0, Shape::UnknownRank());
    return absl::OkStatus();
  }
  if (axis_t == nullptr) {
    c.set_output(0, Shape::UnknownDims(rank));
    return absl::OkStatus();
  }
  const int64_t axis_value = axis_t->ElementAsInt64(0);
  if (axis_value < -rank || axis_value >= rank) {
    return c.Error("ConcatV2: axis %d is out of range [%d, %d) for inputs of rank %d", axis_value, -rank, rank, rank);
  }
  const int axis = static_cast<int>(axis_value < 0 ? axis_value + rank : axis_value);

  Shape out = Shape::UnknownDims(rank);
  std::vector<int> dim_source(rank, -1);  // the input each known dim came from
  int64_t axis_sum = 0;
  for (int i = 0; i < n; ++i) {
    const Shape& s = c.input(i);
    if (s.unknown_rank()) {
      axis_sum = Shape::kUnknownDim;
      continue;
    }
    for (int d = 0; d < rank; ++d) {
      if (d == axis) continue;
      std::optional<int64_t> m = MergeDim(out.dim(d), s.dim(d));
      if (!m.has_value()) {
        return c.Error(
            "ConcatV2: dimension %d of the inputs must be equal (concatenating along axis %d), but input %d has "
            "shape %s and input %d has shape %s",
            d, axis, dim_source[d], c.input(dim_source[d]).ToString(), i, s.ToString());
      }
      if (out.dim(d) < 0 && *m >= 0) dim_source[d] = i;
      out.set_dim(d, *m);
    }
    if (axis_sum >= 0) axis_sum = s.dim(axis) < 0 ? Shape::kUnknownDim : axis_sum + s.dim(axis);
  }
  out.set_dim(axis, axis_sum);
  c.set_output(0, out);
  return absl::OkStatus();
}

// Pack of small int values: scalars give a partial value (a shape); fully known inputs give
// the packed value.
void PackValues(InferenceContext& c, const Shape& element_shape, int axis) {
  const int n = c.num_inputs();
  const DType dtype = c.output_dtype(0);
  if (!IsIndexDType(dtype) || n > kMaxValueElements) return;
  if (element_shape.IsScalar()) {
    std::vector<int64_t> dims;
    bool is_shape = true;
    for (int i = 0; i < n; ++i) {
      std::optional<int64_t> v = KnownScalar(c, i);
      dims.push_back(v.value_or(Shape::kUnknownDim));
      is_shape &= !v.has_value() || *v >= -1;
    }
    if (is_shape) c.set_output_shape_value(0, Shape(dims));
  }
  if (!element_shape.IsFullyDefined()) return;
  const int64_t element_count = element_shape.num_elements();
  if (element_count > kMaxValueElements / n) return;
  std::vector<std::vector<int64_t>> inputs;
  for (int i = 0; i < n; ++i) {
    const Tensor* t = c.input_tensor(i);
    if (t == nullptr || t->num_elements() != element_count) return;
    inputs.push_back(ElementsAsInt64(*t));
  }
  // Output viewed as [outer, n, inner]; input i as [outer, inner].
  const int64_t outer = OuterSize(element_shape, axis);
  const int64_t inner = outer == 0 ? 0 : element_count / outer;
  std::vector<int64_t> packed;
  for (int64_t o = 0; o < outer; ++o) {
    for (int i = 0; i < n; ++i) {
      for (int64_t k = 0; k < inner; ++k) packed.push_back(inputs[i][o * inner + k]);
    }
  }
  Shape out_shape = element_shape.Subshape(0, axis);
  out_shape.AddDim(n);
  out_shape.AppendShape(element_shape.Subshape(axis));
  if (auto t = MakeIndexTensor(dtype, packed, out_shape)) c.set_output_value(0, *std::move(t));
}

absl::Status PackShape(InferenceContext& c) {
  const int n = c.num_inputs();
  Shape element = c.input(0);
  for (int i = 1; i < n; ++i) {
    absl::StatusOr<Shape> m = element.Merge(c.input(i));
    if (!m.ok()) {
      return c.Error("Pack: shapes of all inputs must match: values[0].shape = %s != values[%d].shape = %s",
                     c.input(0).ToString(), i, c.input(i).ToString());
    }
    element = *std::move(m);
  }
  if (element.unknown_rank()) {
    c.set_output(0, Shape::UnknownRank());
    return absl::OkStatus();
  }
  const int rank = element.rank();
  int64_t axis;
  ARRAY_OPS_RETURN_IF_ERROR(c.GetAttr("axis", &axis));
  if (axis < -(rank + 1) || axis >= rank + 1) {
    return c.Error("Pack: invalid axis %d; must be in [%d, %d) for inputs of shape %s", axis, -(rank + 1), rank + 1,
                   element.ToString());
  }
  if (axis < 0) axis += rank + 1;
  Shape out = element.Subshape(0, static_cast<int>(axis));
  out.AddDim(n);
  out.AppendShape(element.Subshape(static_cast<int>(axis)));
  c.set_output(0, out);
  PackValues(c, element, static_cast<int>(axis));
  return absl::OkStatus();
}

// Unpack of a small known int value, or of a shape vector into scalars whose dims are known.
void UnpackValues(InferenceContext& c, const Shape& in, int axis) {
  const DType dtype = c.input_dtype(0);
  const int num = c.num_outputs();
  Shape out_shape = in.Subshape(0, axis);
  out_shape.AppendShape(in.Subshape(axis + 1));
  const Tensor* t = c.input_tensor(0);
  if (IsSmallIndexTensor(t) && t->rank() == in.rank() && t->dim(axis) == num) {
    std::vector<int64_t> all = ElementsAsInt64(*t);
    const int64_t outer = OuterSize(t->shape(), axis), inner = InnerSize(t->shape(), axis);
    for (int i = 0; i < num; ++i) {
      std::vector<int64_t> part;
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t k = 0; k < inner; ++k) part.push_back(all[(o * num + i) * inner + k]);
      }
      if (auto v = MakeIndexTensor(dtype, part, out_shape)) c.set_output_value(i, *std::move(v));
    }
    return;
  }
  const Shape& sv = c.input_shape_value(0);
  if (in.rank() == 1 && sv.rank() == num) {
    for (int i = 0; i < num; ++i) {
      if (sv.dim(i) < 0) continue;
      if (auto v = MakeIndexTensor(dtype, {sv.dim(i)}, Shape{})) c.set_output_value(i, *std::move(v));
    }
  }
}

absl::Status UnpackShape(InferenceContext& c) {
  const Shape& in = c.input(0);
  if (in.unknown_rank()) {
    for (int i = 0; i < c.num_outputs(); ++i) c.set_output(i, Shape::UnknownRank());
    return absl::OkStatus();
  }
  const int rank = in.rank();
  int64_t axis;
  ARRAY_OPS_RETURN_IF_ERROR(c.GetAttr("axis", &axis));
  if (axis < -rank || axis >= rank) {
    return c.Error("Unpack: invalid axis %d; must be in [%d, %d) for input shape %s", axis, -rank, rank,
                   in.ToString());
  }
  if (axis < 0) axis += rank;
  const int64_t axis_dim = in.dim(static_cast<int>(axis));
  if (axis_dim >= 0 && axis_dim != c.num_outputs()) {
    return c.Error("Unpack: dimension %d of input shape %s is %d, but num is %d", axis, in.ToString(), axis_dim,
                   c.num_outputs());
  }
  Shape out = in.Subshape(0, static_cast<int>(axis));
  out.AppendShape(in.Subshape(static_cast<int>(axis) + 1));
  for (int i = 0; i < c.num_outputs(); ++i) c.set_output(i, out);
  UnpackValues(c, in, static_cast<int>(axis));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Shape, Size, Rank, Fill, ZerosLike, OnesLike, Range, OneHot.

absl::Status ShapeShape(InferenceContext& c) {
  const Shape& in = c.input(0);
  c.set_output(0, Shape{in.has_rank() ? in.rank() : Shape::kUnknownDim});
  if (in.unknown_rank()) return absl::OkStatus();
  c.set_output_shape_value(0, in);
  if (in.IsFullyDefined() && in.rank() <= kMaxValueElements) {
    if (auto t = MakeIndexTensor(c.output_dtype(0), in.dims(), Shape{in.rank()})) c.set_output_value(0, *std::move(t));
  }
  return absl::OkStatus();
}

absl::Status SizeShape(InferenceContext& c) {
  c.set_output(0, Shape::Scalar());
  const Shape& in = c.input(0);
  if (in.IsFullyDefined()) {
    if (auto t = MakeIndexTensor(c.output_dtype(0), {in.num_elements()}, Shape{})) c.set_output_value(0, *std::move(t));
  }
  return absl::OkStatus();
}

absl::Status RankShape(InferenceContext& c) {
  c.set_output(0, Shape::Scalar());
  if (c.input(0).has_rank()) c.set_output_value(0, Tensor::Scalar<int32_t>(c.input(0).rank()));
  return absl::OkStatus();
}

// A small int value of `shape` filled with `value`, if the output dtype allows it.
void SetFilledValue(InferenceContext& c, const Shape& shape, int64_t value) {
  if (!shape.IsFullyDefined() || shape.num_elements() > kMaxValueElements) return;
  std::vector<int64_t> v(shape.num_elements(), value);
  if (auto t = MakeIndexTensor(c.output_dtype(0), v, shape)) c.set_output_value(0, *std::move(t));
}

absl::Status FillShape(InferenceContext& c) {
  Shape unused;
  ARRAY_OPS_RETURN_IF_ERROR(c.WithRank(c.input(0), 1, &unused));
  ARRAY_OPS_RETURN_IF_ERROR(c.WithRank(c.input(1), 0, &unused));
  if (const Tensor* dims = c.input_tensor(0)) {
    std::vector<int64_t> d = ElementsAsInt64(*dims);
    if (std::any_of(d.begin(), d.end(), [](int64_t x) { return x < 0; })) {
      return c.Error("Fill dimensions must be >= 0, got [%s]", absl::StrJoin(d, ","));
    }
  }
  absl::StatusOr<Shape> out = c.InputAsShape(0);
  if (!out.ok()) return out.status();
  c.set_output(0, *out);
  const Tensor* value = c.input_tensor(1);
  if (IsSmallIndexTensor(value) && value->num_elements() == 1) SetFilledValue(c, *out, value->ElementAsInt64(0));
  return absl::OkStatus();
}

absl::Status ZerosLikeShape(InferenceContext& c) {
  c.set_output(0, c.input(0));
  SetFilledValue(c, c.input(0), 0);
  return absl::OkStatus();
}

absl::Status OnesLikeShape(InferenceContext& c) {
  c.set_output(0, c.input(0));
  SetFilledValue(c, c.input(0), 1);
  return absl::OkStatus();
}

absl::Status RangeShape(InferenceContext& c) {
  static const char* const kNames[] = {"start", "limit", "delta"};
  for (int i = 0; i < 3; ++i) {
    if (c.input(i).has_rank() && c.input(i).rank() != 0) {
      return c.Error("Range: '%s' must be a scalar, but has shape %s", kNames[i], c.input(i).ToString());
    }
  }
  const Tensor* start = c.input_tensor(0);
  const Tensor* limit = c.input_tensor(1);
  const Tensor* delta = c.input_tensor(2);
  if (start == nullptr || limit == nullptr || delta == nullptr) {
    c.set_output(0, Shape{Shape::kUnknownDim});
    return absl::OkStatus();
  }
  const DType dtype = c.output_dtype(0);
  // The same computation as the lowering's, so the two always agree.
  absl::StatusOr<int64_t> length = array_lowering::RangeLength(*start, *limit, *delta, dtype);
  if (!length.ok()) return length.status();
  c.set_output(0, Shape{*length});
  if (IsIndexDType(dtype) && *length <= kMaxValueElements) {
    std::vector<int64_t> v;
    for (int64_t i = 0, x = start->ElementAsInt64(0); i < *length; ++i, x += delta->ElementAsInt64(0)) v.push_back(x);
    if (auto t = MakeIndexTensor(dtype, v, Shape{*length})) c.set_output_value(0, *std::move(t));
  }
  return absl::OkStatus();
}

absl::Status OneHotShape(InferenceContext& c) {
  int64_t axis;
  ARRAY_OPS_RETURN_IF_ERROR(c.GetAttr("axis", &axis));
  if (axis < -1) return c.Error("OneHot: axis must be >= -1, got %d", axis);
  Shape unused;
  ARRAY_OPS_RETURN_IF_ERROR(c.WithRank(c.input(1), 0, &unused));
  int64_t depth = Shape::kUnknownDim;
  if (const Tensor* t = c.input_tensor(1)) {
    depth = t->ElementAsInt64(0);
    if (depth < 0) return c.Error("OneHot: depth must be non-negative, got %d", depth);
  }
  const Shape& indices = c.input(0);
  if (indices.unknown_rank()) {
    c.set_output(0, Shape::UnknownRank());
    return absl::OkStatus();
  }
  const int new_rank = indices.rank() + 1;
  if (axis >= new_rank) {
    return c.Error("OneHot: expected axis to be -1 or in [0, %d) for indices of shape %s, got %d", new_rank,
                   indices.ToString(), axis);
  }
  const int depth_index = axis == -1 ? new_rank - 1 : static_cast<int>(axis);
  Shape out = indices.Subshape(0, depth_index);
  out.AddDim(depth);
  out.AppendShape(indices.Subshape(depth_index));
  c.set_output(0, out);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// ReverseV2.

// The distinct dims that `axis` names for a rank-`rank` tensor (negative axes count from the
// end); errors for an axis out of range or named twice, as TF's shape function and kernel say.
absl::StatusOr<std::vector<int64_t>> ReverseAxes(const std::vector<int64_t>& axis, int rank) {
  std::vector<bool> seen(rank, false);
  std::vector<int64_t> dims;
  for (size_t i = 0; i < axis.size(); ++i) {
    const int64_t canonical = axis[i] < 0 ? axis[i] + rank : axis[i];
    if (canonical < 0 || canonical >= rank) {
      return absl::InvalidArgumentError(absl::StrCat("'axis'[", i, "] = ", axis[i], " is out of valid range [", -rank,
                                                     ", ", rank, ") for a tensor of rank ", rank));
    }
    if (seen[canonical]) return absl::InvalidArgumentError(absl::StrCat("axis ", canonical, " specified more than once"));
    seen[canonical] = true;
    dims.push_back(canonical);
  }
  return dims;
}

absl::Status ReverseV2Shape(InferenceContext& c) {
  const Shape& in = c.input(0);
  Shape unused;
  ARRAY_OPS_RETURN_IF_ERROR(c.WithRank(c.input(1), 1, &unused));
  if (in.rank() > 8) return c.Error("reverse does not work on tensors with more than 8 dimensions (shape %s)", in.ToString());
  const Tensor* axis = c.input_tensor(1);
  if (axis != nullptr && in.has_rank()) {
    absl::StatusOr<std::vector<int64_t>> dims = ReverseAxes(ElementsAsInt64(*axis), in.rank());
    if (!dims.ok()) return dims.status();
  }
  c.set_output(0, in);
  return absl::OkStatus();
}

absl::Status ReverseV2Lowering(LoweringContext& c) {
  absl::StatusOr<std::vector<int64_t>> axis = c.ConstantInputAsInts(1);
  if (!axis.ok()) return axis.status();
  absl::StatusOr<std::vector<int64_t>> dims = ReverseAxes(*axis, c.input(0).rank());
  if (!dims.ok()) return dims.status();
  c.set_output(0, c.b().Reverse(c.input(0), *dims));
  return absl::OkStatus();
}

#undef ARRAY_OPS_RETURN_IF_ERROR

}  // namespace

// ---------------------------------------------------------------------------------------------
// Registrations (TensorFlow's schemas).

REGISTER_OP("Placeholder")
    .Output("output: dtype")
    .Attr("dtype: type")
    .Attr("shape: shape = { unknown_rank: true }")
    .SetShapeFn(PlaceholderShape);

REGISTER_OP("PlaceholderWithDefault")
    .Input("input: dtype")
    .Output("output: dtype")
    .Attr("dtype: type")
    .Attr("shape: shape")
    .SetShapeFn(PlaceholderWithDefaultShape)
    .SetLowering(array_lowering::Identity);

REGISTER_OP("Const")
    .Output("output: dtype")
    .Attr("value: tensor")
    .Attr("dtype: type")
    .SetShapeFn(ConstShape)
    .SetLowering(array_lowering::Const);

REGISTER_OP("Identity")
    .Input("input: T")
    .Output("output: T")
    .Attr("T: type")
    .SetShapeFn(IdentityShape)
    .SetLowering(array_lowering::Identity);

REGISTER_OP("IdentityN")
    .Input("input: T")
    .Output("output: T")
    .Attr("T: list(type)")
    .SetShapeFn(IdentityNShape)
    .SetLowering(array_lowering::IdentityN);

REGISTER_OP("NoOp").SetShapeFn(NoOutputs);

REGISTER_OP("StopGradient")
    .Input("input: T")
    .Output("output: T")
    .Attr("T: type")
    .SetShapeFn(IdentityShape)
    .SetLowering(array_lowering::Identity);

REGISTER_OP("Reshape")
    .Input("tensor: T")
    .Input("shape: Tshape")
    .Output("output: T")
    .Attr("T: type")
    .Attr("Tshape: {int32, int64} = DT_INT32")
    .SetShapeFn(ReshapeShape)
    .SetLowering(array_lowering::Reshape);

REGISTER_OP("Squeeze")
    .Input("input: T")
    .Output("output: T")
    .Attr("T: type")
    .Attr("squeeze_dims: list(int) >= 0 = []")
    .SetShapeFn(SqueezeShape)
    .SetLowering(array_lowering::Squeeze);

REGISTER_OP("ExpandDims")
    .Input("input: T")
    .Input("dim: Tdim")
    .Output("output: T")
    .Attr("T: type")
    .Attr("Tdim: {int32, int64} = DT_INT32")
    .SetShapeFn(ExpandDimsShape)
    .SetLowering(array_lowering::ExpandDims);

REGISTER_OP("Transpose")
    .Input("x: T")
    .Input("perm: Tperm")
    .Output("y: T")
    .Attr("T: type")
    .Attr("Tperm: {int32, int64} = DT_INT32")
    .SetShapeFn(TransposeShape)
    .SetLowering(array_lowering::Transpose);

REGISTER_OP("ConcatV2")
    .Input("values: N * T")
    .Input("axis: Tidx")
    .Output("output: T")
    .Attr("N: int >= 2")
    .Attr("T: type")
    .Attr("Tidx: {int32, int64} = DT_INT32")
    .SetShapeFn(ConcatV2Shape)
    .SetLowering(array_lowering::ConcatV2);

REGISTER_OP("Pack")
    .Input("values: N * T")
    .Output("output: T")
    .Attr("N: int >= 1")
    .Attr("T: type")
    .Attr("axis: int = 0")
    .SetShapeFn(PackShape)
    .SetLowering(array_lowering::Pack);

REGISTER_OP("Unpack")
    .Input("value: T")
    .Output("output: num * T")
    .Attr("num: int >= 0")
    .Attr("T: type")
    .Attr("axis: int = 0")
    .SetShapeFn(UnpackShape)
    .SetLowering(array_lowering::Unpack);

REGISTER_OP("ReverseV2")
    .Input("tensor: T")
    .Input("axis: Tidx")
    .Output("output: T")
    .Attr("Tidx: {int32, int64} = DT_INT32")
    .Attr("T: {uint8, int8, uint16, int16, int32, uint32, int64, uint64, bool, bfloat16, half, float, double, "
          "complex64, complex128, string}")
    .SetShapeFn(ReverseV2Shape)
    .SetLowering(ReverseV2Lowering);

REGISTER_OP("Shape")
    .Input("input: T")
    .Output("output: out_type")
    .Attr("T: type")
    .Attr("out_type: {int32, int64} = DT_INT32")
    .SetShapeFn(ShapeShape)
    .SetLowering(array_lowering::ShapeOp);

REGISTER_OP("Size")
    .Input("input: T")
    .Output("output: out_type")
    .Attr("T: type")
    .Attr("out_type: {int32, int64} = DT_INT32")
    .SetShapeFn(SizeShape)
    .SetLowering(array_lowering::SizeOp);

REGISTER_OP("Rank")
    .Input("input: T")
    .Output("output: int32")
    .Attr("T: type")
    .SetShapeFn(RankShape)
    .SetLowering(array_lowering::RankOp);

REGISTER_OP("Fill")
    .Input("dims: index_type")
    .Input("value: T")
    .Output("output: T")
    .Attr("T: type")
    .Attr("index_type: {int32, int64} = DT_INT32")
    .SetShapeFn(FillShape)
    .SetLowering(array_lowering::Fill);

REGISTER_OP("ZerosLike")
    .Input("x: T")
    .Output("y: T")
    .Attr("T: type")
    .SetShapeFn(ZerosLikeShape)
    .SetLowering(array_lowering::ZerosLike);

REGISTER_OP("OnesLike")
    .Input("x: T")
    .Output("y: T")
    .Attr("T: {bfloat16, half, float, double, int8, uint8, int16, uint16, int32, uint32, int64, uint64, "
          "complex64, complex128, bool}")
    .SetShapeFn(OnesLikeShape)
    .SetLowering(array_lowering::OnesLike);

REGISTER_OP("Range")
    .Input("start: Tidx")
    .Input("limit: Tidx")
    .Input("delta: Tidx")
    .Output("output: Tidx")
    .Attr("Tidx: {bfloat16, half, float, double, int8, int16, int32, int64, uint16, uint32} = DT_INT32")
    .SetShapeFn(RangeShape)
    .SetLowering(array_lowering::Range);

REGISTER_OP("OneHot")
    .Input("indices: TI")
    .Input("depth: int32")
    .Input("on_value: T")
    .Input("off_value: T")
    .Attr("axis: int = -1")
    .Output("output: T")
    .Attr("T: type")
    .Attr("TI: {uint8, int8, int32, int64} = DT_INT64")
    .SetShapeFn(OneHotShape)
    .SetLowering(array_lowering::OneHot);

}  // namespace strata
