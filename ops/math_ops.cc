// Element-wise math, comparisons, logical ops, Select, Cast, reductions and ArgMax/ArgMin:
// schemas and shape functions as TensorFlow defines them (tensorflow/core/ops/math_ops.cc and
// nn_ops.cc). Integer ops that TF graphs use for shape arithmetic also fold small statically
// known values, so that Shape -> Mul -> Reshape chains resolve during shape inference. The
// lowerings attached here live in ops/math_lowering.h.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "graph/shape.h"
#include "graph/shape_inference.h"
#include "graph/tensor.h"
#include "ops/math_lowering.h"
#include "ops/registry.h"

namespace strata {
namespace {

// ---------------------------------------------------------------------------------------------
// TensorFlow's type lists, spelled out (TF writes some as numbertype, realnumbertype, ...).

// realnumbertype
#define STRATA_REAL_NUMBER_TYPES \
  "float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64"
// quantizedtype
#define STRATA_QUANTIZED_TYPES "qint8, quint8, qint32, qint16, quint16"
// numbertype
#define STRATA_NUMBER_TYPES                                                                       \
  "float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, " \
  "qint16, quint16, uint16, complex128, half, uint32, uint64"

constexpr char kRealNumberTypes[] = "{" STRATA_REAL_NUMBER_TYPES "}";
constexpr char kNumberTypes[] = "{" STRATA_NUMBER_TYPES "}";
constexpr char kAddNTypes[] = "{" STRATA_NUMBER_TYPES ", variant}";
// Max and Min reduce every ordered type, quantized ones included.
constexpr char kMinMaxReduceTypes[] = "{" STRATA_REAL_NUMBER_TYPES ", " STRATA_QUANTIZED_TYPES "}";
constexpr char kArgMinMaxTypes[] = "{" STRATA_REAL_NUMBER_TYPES ", " STRATA_QUANTIZED_TYPES ", bool}";

// TF's UNARY(), UNARY_COMPLEX() and UNARY_REAL() macros.
constexpr char kUnaryTypes[] =
    "{bfloat16, half, float, double, int8, int16, int32, int64, complex64, complex128}";
constexpr char kUnaryComplexTypes[] = "{bfloat16, half, float, double, complex64, complex128}";
constexpr char kUnaryRealTypes[] = "{bfloat16, half, float, double}";
constexpr char kAbsTypes[] = "{bfloat16, half, float, double, int8, int16, int32, int64}";
constexpr char kSquareTypes[] =
    "{bfloat16, half, float, double, int8, int16, int32, int64, uint8, uint16, uint32, uint64, "
    "complex64, complex128}";

// TF's BINARY_MORE() and BINARY_FEWER() macros, and the binary ops with their own lists.
constexpr char kBinaryMoreTypes[] =
    "{bfloat16, half, float, double, uint8, int8, uint16, int16, int32, uint32, uint64, int64, "
    "complex64, complex128}";
constexpr char kBinaryFewerTypes[] =
    "{bfloat16, half, float, double, int32, int64, complex64, complex128}";
constexpr char kAddTypes[] =
    "{bfloat16, half, float, double, uint8, int8, int16, int32, int64, complex64, complex128, "
    "string}";
constexpr char kAddV2Types[] =
    "{bfloat16, half, float, double, uint8, uint16, uint32, uint64, int8, int16, int32, int64, "
    "complex64, complex128}";
constexpr char kMinMaxTypes[] =
    "{bfloat16, half, float, double, int8, uint8, int16, uint16, int32, uint32, int64, uint64}";
constexpr char kFloorModTypes[] =
    "{int8, int16, int32, int64, uint8, uint16, uint32, uint64, bfloat16, half, float, double}";
constexpr char kPowTypes[] =
    "{bfloat16, float, half, double, int8, int16, int32, int64, complex64, complex128}";

// nn_ops.cc activations.
constexpr char kReluTypes[] = "{" STRATA_REAL_NUMBER_TYPES ", qint8}";
constexpr char kFloatActivationTypes[] = "{half, bfloat16, float, double}";

#undef STRATA_REAL_NUMBER_TYPES
#undef STRATA_QUANTIZED_TYPES
#undef STRATA_NUMBER_TYPES

// Values are folded only for outputs this small: enough for shape vectors, cheap to compute.
constexpr int64_t kMaxFoldedElements = 64;

// ---------------------------------------------------------------------------------------------
// Builders for the common op signatures. REGISTER_OP(X) copies the builder X returns, so each op
// below stays one line and can still chain more calls (SetIsCommutative, ...).

OpDefBuilder UnaryOp(std::string name, const char* types, ShapeFn fn = UnchangedShape) {
  OpDefBuilder b(std::move(name));
  b.Input("x: T").Output("y: T").Attr(std::string("T: ") + types).SetShapeFn(std::move(fn));
  return b;
}

// nn_ops.cc names the argument of activation functions "features" / "activations".
OpDefBuilder ActivationOp(std::string name, const char* types) {
  OpDefBuilder b(std::move(name));
  b.Input("features: T").Output("activations: T").Attr(std::string("T: ") + types).SetShapeFn(UnchangedShape);
  return b;
}

OpDefBuilder BinaryOp(std::string name, const char* types, ShapeFn fn = BroadcastBinaryShape) {
  OpDefBuilder b(std::move(name));
  b.Input("x: T").Input("y: T").Output("z: T").Attr(std::string("T: ") + types).SetShapeFn(std::move(fn));
  return b;
}

// Less, LessEqual, Greater, GreaterEqual (TF's COMPARISON() macro).
OpDefBuilder ComparisonOp(std::string name) {
  OpDefBuilder b(std::move(name));
  b.Input("x: T").Input("y: T").Output("z: bool").Attr(std::string("T: ") + kRealNumberTypes);
  b.SetShapeFn(BroadcastBinaryShape);
  return b;
}

// Sum, Mean, Prod, Max, Min.
OpDefBuilder ReductionOp(std::string name, const char* types, ShapeFn fn) {
  OpDefBuilder b(std::move(name));
  b.Input("input: T").Input("reduction_indices: Tidx").Output("output: T");
  b.Attr("keep_dims: bool = false").Attr(std::string("T: ") + types).Attr("Tidx: {int32, int64} = DT_INT32");
  b.SetShapeFn(std::move(fn));
  return b;
}

// ---------------------------------------------------------------------------------------------
// Folding of small integer values (int32/int64 only: the dtypes of shape arithmetic). Folding is
// best effort: whenever a value cannot be computed exactly (overflow, division by zero) the
// output value simply stays unknown and the runtime computes (or reports) it.

using IntBinaryFn = std::optional<int64_t> (*)(int64_t, int64_t);

std::optional<int64_t> FoldAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}
std::optional<int64_t> FoldSub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return std::nullopt;
  return r;
}
std::optional<int64_t> FoldMul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}
// Python-style division that rounds toward negative infinity.
std::optional<int64_t> FoldFloorDiv(int64_t a, int64_t b) {
  if (b == 0 || (a == std::numeric_limits<int64_t>::min() && b == -1)) return std::nullopt;
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}
std::optional<int64_t> FoldMax(int64_t a, int64_t b) { return a > b ? a : b; }
std::optional<int64_t> FoldMin(int64_t a, int64_t b) { return a < b ? a : b; }

bool IsShapeIntDType(DType t) { return t == DT_INT32 || t == DT_INT64; }

// Stores `v` as element i of an int32/int64 tensor; false if it does not fit the dtype.
bool StoreInt(Tensor& t, int64_t i, int64_t v) {
  if (t.dtype() == DT_INT64) {
    t.flat<int64_t>()[i] = v;
    return true;
  }
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) return false;
  t.flat<int32_t>()[i] = static_cast<int32_t>(v);
  return true;
}

// The flat index of the element of `in` that output element `out_index` reads, where `in` is
// broadcast (right-aligned, size-1 dims repeated) to the fully defined shape `out`.
int64_t BroadcastSourceIndex(const Shape& out, const Shape& in, int64_t out_index) {
  int64_t source = 0;
  int64_t stride = 1;
  for (int d = out.rank() - 1, k = in.rank() - 1; k >= 0; --d, --k) {
    const int64_t coord = out_index % out.dim(d);
    out_index /= out.dim(d);
    if (in.dim(k) != 1) source += coord * stride;
    stride *= in.dim(k);
  }
  return source;
}

void FoldIntBinary(InferenceContext& c, IntBinaryFn fn) {
  const Tensor* x = c.input_tensor(0);
  const Tensor* y = c.input_tensor(1);
  const DType dtype = c.output_dtype(0);
  if (x == nullptr || y == nullptr || !IsShapeIntDType(dtype)) return;
  if (x->dtype() != dtype || y->dtype() != dtype) return;
  absl::StatusOr<Shape> shape = BroadcastShapes(x->shape(), y->shape());
  if (!shape.ok() || !shape->IsFullyDefined() || shape->num_elements() > kMaxFoldedElements) return;
  Tensor out(dtype, *shape);
  for (int64_t i = 0; i < out.num_elements(); ++i) {
    const std::optional<int64_t> v = fn(x->ElementAsInt64(BroadcastSourceIndex(*shape, x->shape(), i)),
                                        y->ElementAsInt64(BroadcastSourceIndex(*shape, y->shape(), i)));
    if (!v.has_value() || !StoreInt(out, i, *v)) return;
  }
  c.set_output_value(0, std::move(out));
}

// Broadcasting binary op whose small int32/int64 values are folded.
ShapeFn BroadcastAndFold(IntBinaryFn fn) {
  return [fn](InferenceContext& c) -> absl::Status {
    if (absl::Status s = BroadcastBinaryShape(c); !s.ok()) return s;
    FoldIntBinary(c, fn);
    return absl::OkStatus();
  };
}

// ---------------------------------------------------------------------------------------------
// Shape functions.

// TF's BroadcastBinaryOpOutputShapeFnHelper: with incompatible_shape_error = false, shapes that
// cannot broadcast give a scalar (Equal then returns false rather than failing).
absl::Status BroadcastOrScalar(const Shape& a, const Shape& b, bool incompatible_shape_error, Shape* out) {
  absl::StatusOr<Shape> s = BroadcastShapes(a, b);
  if (s.ok()) {
    *out = *std::move(s);
    return absl::OkStatus();
  }
  if (incompatible_shape_error) return s.status();
  *out = Shape::Scalar();
  return absl::OkStatus();
}

absl::Status EqualityShape(InferenceContext& c) {
  bool incompatible_shape_error = true;
  if (absl::Status s = c.GetAttr("incompatible_shape_error", &incompatible_shape_error); !s.ok()) return s;
  Shape out;
  if (absl::Status s = BroadcastOrScalar(c.input(0), c.input(1), incompatible_shape_error, &out); !s.ok()) {
    return s;
  }
  c.set_output(0, std::move(out));
  return absl::OkStatus();
}

// Every input must have the same shape; merging also fills in dims that only some inputs know.
absl::Status AddNShape(InferenceContext& c) {
  Shape merged = c.input(c.num_inputs() - 1);
  for (int i = c.num_inputs() - 2; i >= 0; --i) {
    if (absl::Status s = c.MergeShapes(c.input(i), merged, &merged); !s.ok()) {
      return c.Error("%s From merging shape %d with other shapes.", s.message(), i);
    }
  }
  c.set_output(0, std::move(merged));
  return absl::OkStatus();
}

// Select: t and e have the same shape; condition is a scalar, has that shape too, or is a vector
// that picks whole rows (its length is t's first dim).
absl::Status SelectShape(InferenceContext& c) {
  Shape data;
  if (absl::Status s = c.MergeShapes(c.input(1), c.input(2), &data); !s.ok()) return s;
  const Shape& cond = c.input(0);
  if (cond.unknown_rank() || data.unknown_rank() || cond.rank() == 0) {
    c.set_output(0, std::move(data));
    return absl::OkStatus();
  }
  if (cond.rank() != 1 || data.rank() == 0) {
    // Also rejects a vector condition for scalar t and e (rank 1 vs rank 0).
    if (absl::Status s = c.MergeShapes(data, cond, &data); !s.ok()) return s;
    c.set_output(0, std::move(data));
    return absl::OkStatus();
  }
  Shape unused;
  if (absl::Status s = c.MergeShapes(cond, Shape{data.dim(0)}, &unused); !s.ok()) return s;
  c.set_output(0, std::move(data));
  return absl::OkStatus();
}

// SelectV2: condition, t and e broadcast together.
absl::Status SelectV2Shape(InferenceContext& c) {
  Shape values, out;
  if (absl::Status s = BroadcastOrScalar(c.input(1), c.input(2), true, &values); !s.ok()) return s;
  if (absl::Status s = BroadcastOrScalar(c.input(0), values, true, &out); !s.ok()) return s;
  c.set_output(0, std::move(out));
  return absl::OkStatus();
}

// Cast keeps the shape; small integer values and partial shape values pass through, so that
// shape arithmetic done in another integer type still resolves.
absl::Status CastShape(InferenceContext& c) {
  if (absl::Status s = UnchangedShape(c); !s.ok()) return s;
  const DType dst = c.output_dtype(0);
  const Tensor* x = c.input_tensor(0);
  if (x != nullptr && x->num_elements() <= kMaxFoldedElements && IsSupportedTensorDType(dst) &&
      (IsIntegerDType(x->dtype()) || x->dtype() == DT_BOOL)) {
    absl::StatusOr<Tensor> y = x->Cast(dst);
    if (y.ok()) c.set_output_value(0, *std::move(y));
  }
  if (IsShapeIntDType(dst) && c.input_shape_value(0).has_rank()) {
    c.set_output_shape_value(0, c.input_shape_value(0));
  }
  return absl::OkStatus();
}

// Which dims of a rank-`rank` input the reduction_indices value `axes` reduces. Negative axes
// count from the end; repeated axes are allowed.
absl::StatusOr<std::vector<bool>> ReducedDims(const InferenceContext& c, const Tensor& axes, int rank) {
  std::vector<bool> reduced(rank, false);
  for (int64_t i = 0; i < axes.num_elements(); ++i) {
    const int64_t axis = axes.ElementAsInt64(i);
    absl::StatusOr<int> canonical = CanonicalAxis(axis, rank);
    if (!canonical.ok()) {
      return c.Error("Invalid reduction dimension %d for input with %d dimensions.", axis, rank);
    }
    reduced[*canonical] = true;
  }
  return reduced;
}

// Folds an integer reduction over known axes (Prod of a shape slice gives a flattened size).
void FoldIntReduction(InferenceContext& c, const std::vector<bool>& reduced, IntBinaryFn combine) {
  const Tensor* x = c.input_tensor(0);
  const DType dtype = c.output_dtype(0);
  if (x == nullptr || !IsShapeIntDType(dtype) || x->dtype() != dtype) return;
  if (x->num_elements() > kMaxFoldedElements || !c.output(0).IsFullyDefined()) return;
  Tensor out(dtype, c.output(0));
  std::vector<bool> written(out.num_elements(), false);
  const Shape& in_shape = x->shape();
  for (int64_t i = 0; i < x->num_elements(); ++i) {
    // Output index: the input coordinates with the reduced dims dropped (or kept as size 1).
    int64_t rest = i, out_index = 0, stride = 1;
    for (int d = in_shape.rank() - 1; d >= 0; --d) {
      const int64_t coord = rest % in_shape.dim(d);
      rest /= in_shape.dim(d);
      if (reduced[d]) continue;
      out_index += coord * stride;
      stride *= in_shape.dim(d);
    }
    const int64_t v = x->ElementAsInt64(i);
    std::optional<int64_t> acc = v;
    if (written[out_index]) acc = combine(out.ElementAsInt64(out_index), v);
    if (!acc.has_value() || !StoreInt(out, out_index, *acc)) return;
    written[out_index] = true;
  }
  // Every output element must have seen an input; an empty Sum/Prod is 0/1 but Max/Min of
  // nothing has no integer value, so leave empty reductions to the runtime.
  for (bool w : written) {
    if (!w) return;
  }
  c.set_output_value(0, std::move(out));
}

// TF's ReductionShape: exact when the axes are known; same rank with unknown dims when only
// keep_dims says so; unknown otherwise. `combine` (may be null) folds small integer inputs.
ShapeFn ReductionShape(IntBinaryFn combine) {
  return [combine](InferenceContext& c) -> absl::Status {
    Shape unused;
    if (absl::Status s = c.WithRankAtMost(c.input(1), 1, &unused); !s.ok()) return s;
    bool keep_dims = false;
    if (absl::Status s = c.GetAttr("keep_dims", &keep_dims); !s.ok()) return s;
    const Shape& input = c.input(0);
    const Tensor* axes = c.input_tensor(1);
    if (axes == nullptr || input.unknown_rank()) {
      c.set_output(0, keep_dims && input.has_rank() ? Shape::UnknownDims(input.rank()) : Shape::UnknownRank());
      return absl::OkStatus();
    }
    absl::StatusOr<std::vector<bool>> reduced = ReducedDims(c, *axes, input.rank());
    if (!reduced.ok()) return reduced.status();
    Shape out;
    for (int d = 0; d < input.rank(); ++d) {
      if (!(*reduced)[d]) {
        out.AddDim(input.dim(d));
      } else if (keep_dims) {
        out.AddDim(1);
      }
    }
    c.set_output(0, std::move(out));
    if (combine != nullptr) FoldIntReduction(c, *reduced, combine);
    return absl::OkStatus();
  };
}

// ArgMax/ArgMin: drop the (scalar) dimension input's axis; rank <= 1 inputs give a scalar.
absl::Status ArgOpShape(InferenceContext& c) {
  Shape unused;
  if (absl::Status s = c.WithRank(c.input(1), 0, &unused); !s.ok()) return s;
  const Shape& input = c.input(0);
  if (input.unknown_rank()) return UnknownShapes(c);
  const int rank = input.rank();
  if (rank <= 1) return ScalarShape(c);
  const Tensor* dimension = c.input_tensor(1);
  if (dimension == nullptr || dimension->num_elements() != 1) {
    c.set_output(0, Shape::UnknownDims(rank - 1));
    return absl::OkStatus();
  }
  const int64_t value = dimension->ElementAsInt64(0);
  absl::StatusOr<int> axis = CanonicalAxis(value, rank);
  if (!axis.ok()) {
    return c.Error("Dimension (%d) must be in the range [%d, %d), where %d is the number of dimensions in the input.",
                   value, -rank, rank, rank);
  }
  Shape out;
  for (int d = 0; d < rank; ++d) {
    if (d != *axis) out.AddDim(input.dim(d));
  }
  c.set_output(0, std::move(out));
  return absl::OkStatus();
}

OpDefBuilder ArgOp(std::string name) {
  OpDefBuilder b(std::move(name));
  b.Input("input: T").Input("dimension: Tidx").Output("output: output_type");
  b.Attr(std::string("T: ") + kArgMinMaxTypes).Attr("Tidx: {int16, int32, int64} = DT_INT32");
  b.Attr("output_type: {int16, uint16, int32, int64} = DT_INT64").SetShapeFn(ArgOpShape);
  return b;
}

// max(min(t, clip_value_max), clip_value_min), as TF's ClipOp computes it: NaN in t stays NaN,
// and min > max gives min everywhere. Like TF's kernel, each bound must be a scalar or have t's
// shape (tf.clip_by_value broadcasts in Python before it reaches the op).
absl::Status ClipByValueLowering(LoweringContext& c) {
  PrimitiveBuilder& b = c.b();
  const Value& t = c.input(0);
  Value lo = c.input(1), hi = c.input(2);
  if (!t.valid() || !lo.valid() || !hi.valid()) return absl::OkStatus();
  for (Value* bound : {&lo, &hi}) {
    if (bound->rank() != 0 && bound->shape != t.shape) {
      return absl::InvalidArgumentError(absl::StrCat(bound == &lo ? "clip_value_min" : "clip_value_max",
                                                     " must be a scalar or have the shape of t ",
                                                     t.shape.ToString(), ", got ", bound->shape.ToString()));
    }
    *bound = b.BroadcastTo(*bound, t.shape);
  }
  c.set_output(0, b.Binary(BinaryKind::kMax, b.Binary(BinaryKind::kMin, t, hi), lo));
  return absl::OkStatus();
}

// x / (1 + |x|) (TF's softsign functor).
absl::Status SoftsignLowering(LoweringContext& c) {
  PrimitiveBuilder& b = c.b();
  const Value& x = c.input(0);
  Value one = b.Splat(x.dtype, x.shape, 1.0);
  c.set_output(0, b.Binary(BinaryKind::kDiv, x, b.Binary(BinaryKind::kAdd, one, b.Unary(UnaryKind::kAbs, x))));
  return absl::OkStatus();
}

namespace lower = math_lowering;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Registrations. Commutative / aggregate flags follow TensorFlow (it marks neither Add, for
// strings, nor Maximum/Minimum).

REGISTER_OP("AddN")
    .Input("inputs: N * T")
    .Output("sum: T")
    .Attr("N: int >= 1")
    .Attr(std::string("T: ") + kAddNTypes)
    .SetIsCommutative()
    .SetIsAggregate()
    .SetShapeFn(AddNShape)
    .SetLowering(lower::AddN);

// Binary arithmetic with broadcasting.
REGISTER_OP(BinaryOp("Add", kAddTypes, BroadcastAndFold(FoldAdd))).SetLowering(lower::Binary(BinaryKind::kAdd));
REGISTER_OP(BinaryOp("AddV2", kAddV2Types, BroadcastAndFold(FoldAdd)))
    .SetIsAggregate()
    .SetIsCommutative()
    .SetLowering(lower::Binary(BinaryKind::kAdd));
REGISTER_OP(BinaryOp("Sub", kBinaryMoreTypes, BroadcastAndFold(FoldSub))).SetLowering(lower::Binary(BinaryKind::kSub));
REGISTER_OP(BinaryOp("Mul", kBinaryMoreTypes, BroadcastAndFold(FoldMul)))
    .SetIsCommutative()
    .SetLowering(lower::Binary(BinaryKind::kMul));
REGISTER_OP(BinaryOp("Div", kBinaryMoreTypes)).SetLowering(lower::Div);
REGISTER_OP(BinaryOp("RealDiv", kBinaryMoreTypes)).SetLowering(lower::Div);
REGISTER_OP(BinaryOp("FloorDiv", kBinaryMoreTypes, BroadcastAndFold(FoldFloorDiv))).SetLowering(lower::FloorDiv);
REGISTER_OP(BinaryOp("FloorMod", kFloorModTypes)).SetLowering(lower::FloorMod);
REGISTER_OP(BinaryOp("Maximum", kMinMaxTypes, BroadcastAndFold(FoldMax))).SetLowering(lower::Binary(BinaryKind::kMax));
REGISTER_OP(BinaryOp("Minimum", kMinMaxTypes, BroadcastAndFold(FoldMin))).SetLowering(lower::Binary(BinaryKind::kMin));
REGISTER_OP(BinaryOp("Pow", kPowTypes)).SetLowering(lower::Pow);
REGISTER_OP(BinaryOp("SquaredDifference", kBinaryFewerTypes)).SetIsCommutative().SetLowering(lower::SquaredDifference);

// Unary element-wise.
REGISTER_OP(UnaryOp("Neg", kUnaryTypes)).SetLowering(lower::Unary(UnaryKind::kNeg));
REGISTER_OP(UnaryOp("Abs", kAbsTypes)).SetLowering(lower::Unary(UnaryKind::kAbs));
REGISTER_OP(UnaryOp("Sign", kUnaryTypes)).SetLowering(lower::Unary(UnaryKind::kSign));
REGISTER_OP(UnaryOp("Square", kSquareTypes)).SetLowering(lower::Square);
REGISTER_OP(UnaryOp("Sqrt", kUnaryComplexTypes)).SetLowering(lower::Unary(UnaryKind::kSqrt));
REGISTER_OP(UnaryOp("Rsqrt", kUnaryComplexTypes)).SetLowering(lower::Unary(UnaryKind::kRsqrt));
REGISTER_OP(UnaryOp("Reciprocal", kUnaryTypes)).SetLowering(lower::Reciprocal);
REGISTER_OP(UnaryOp("Exp", kUnaryComplexTypes)).SetLowering(lower::Unary(UnaryKind::kExp));
REGISTER_OP(UnaryOp("Log", kUnaryComplexTypes)).SetLowering(lower::Unary(UnaryKind::kLog));
REGISTER_OP(UnaryOp("Log1p", kUnaryComplexTypes)).SetLowering(lower::Unary(UnaryKind::kLog1p));
REGISTER_OP(UnaryOp("Tanh", kUnaryComplexTypes)).SetLowering(lower::Unary(UnaryKind::kTanh));
REGISTER_OP(UnaryOp("Sigmoid", kUnaryComplexTypes)).SetLowering(lower::Unary(UnaryKind::kLogistic));
REGISTER_OP(UnaryOp("Sin", kUnaryComplexTypes)).SetLowering(lower::Unary(UnaryKind::kSin));
REGISTER_OP(UnaryOp("Cos", kUnaryComplexTypes)).SetLowering(lower::Unary(UnaryKind::kCos));
REGISTER_OP(UnaryOp("Floor", kUnaryRealTypes)).SetLowering(lower::Unary(UnaryKind::kFloor));
REGISTER_OP(UnaryOp("Ceil", kUnaryRealTypes)).SetLowering(lower::Unary(UnaryKind::kCeil));
REGISTER_OP(UnaryOp("Round", kUnaryTypes)).SetLowering(lower::Round);
REGISTER_OP(UnaryOp("Erf", kUnaryRealTypes)).SetLowering(lower::Unary(UnaryKind::kErf));

// Activations (nn_ops.cc).
REGISTER_OP(ActivationOp("Relu", kReluTypes)).SetLowering(lower::Relu);
REGISTER_OP(ActivationOp("Relu6", kRealNumberTypes)).SetLowering(lower::Relu6);
REGISTER_OP(ActivationOp("Elu", kFloatActivationTypes)).SetLowering(lower::Elu);
REGISTER_OP(ActivationOp("Selu", kFloatActivationTypes)).SetLowering(lower::Selu);
REGISTER_OP(ActivationOp("Softplus", kFloatActivationTypes)).SetLowering(lower::Softplus);
REGISTER_OP("LeakyRelu")
    .Input("features: T")
    .Output("activations: T")
    .Attr("alpha: float = 0.2")
    .Attr("T: {half, bfloat16, float, double} = DT_FLOAT")
    .SetShapeFn(UnchangedShape)
    .SetLowering(lower::LeakyRelu);

// Comparisons.
REGISTER_OP(ComparisonOp("Less")).SetLowering(lower::Binary(BinaryKind::kLt));
REGISTER_OP(ComparisonOp("LessEqual")).SetLowering(lower::Binary(BinaryKind::kLe));
REGISTER_OP(ComparisonOp("Greater")).SetLowering(lower::Binary(BinaryKind::kGt));
REGISTER_OP(ComparisonOp("GreaterEqual")).SetLowering(lower::Binary(BinaryKind::kGe));
REGISTER_OP("Equal")
    .Input("x: T")
    .Input("y: T")
    .Output("z: bool")
    .SetIsCommutative()
    .Attr("T: type")
    .Attr("incompatible_shape_error: bool = true")
    .SetShapeFn(EqualityShape)
    .SetLowering(lower::Equality(BinaryKind::kEq));
REGISTER_OP("NotEqual")
    .Input("x: T")
    .Input("y: T")
    .Output("z: bool")
    .SetIsCommutative()
    .Attr("T: type")
    .Attr("incompatible_shape_error: bool = true")
    .SetShapeFn(EqualityShape)
    .SetLowering(lower::Equality(BinaryKind::kNe));

// Logical.
REGISTER_OP("LogicalNot")
    .Input("x: bool")
    .Output("y: bool")
    .SetShapeFn(UnchangedShape)
    .SetLowering(lower::Unary(UnaryKind::kNot));
REGISTER_OP("LogicalAnd")
    .Input("x: bool")
    .Input("y: bool")
    .Output("z: bool")
    .SetIsCommutative()
    .SetShapeFn(BroadcastBinaryShape)
    .SetLowering(lower::Binary(BinaryKind::kAnd));
REGISTER_OP("LogicalOr")
    .Input("x: bool")
    .Input("y: bool")
    .Output("z: bool")
    .SetIsCommutative()
    .SetShapeFn(BroadcastBinaryShape)
    .SetLowering(lower::Binary(BinaryKind::kOr));

// Selection.
REGISTER_OP("Select")
    .Input("condition: bool")
    .Input("t: T")
    .Input("e: T")
    .Output("output: T")
    .Attr("T: type")
    .SetShapeFn(SelectShape)
    .SetLowering(lower::Select);
REGISTER_OP("SelectV2")
    .Input("condition: bool")
    .Input("t: T")
    .Input("e: T")
    .Output("output: T")
    .Attr("T: type")
    .SetShapeFn(SelectV2Shape)
    .SetLowering(lower::SelectV2);

REGISTER_OP("Cast")
    .Input("x: SrcT")
    .Output("y: DstT")
    .Attr("SrcT: type")
    .Attr("DstT: type")
    .Attr("Truncate: bool = false")
    .SetShapeFn(CastShape)
    .SetLowering(lower::Cast);

// Reductions. Sum/Prod/Max/Min fold small integer inputs (e.g. Prod of a shape slice).
REGISTER_OP(ReductionOp("Sum", kNumberTypes, ReductionShape(FoldAdd)))
    .SetLowering(lower::Reduction(ReduceKind::kSum));
REGISTER_OP(ReductionOp("Mean", kNumberTypes, ReductionShape(nullptr))).SetLowering(lower::Mean);
REGISTER_OP(ReductionOp("Prod", kNumberTypes, ReductionShape(FoldMul)))
    .SetLowering(lower::Reduction(ReduceKind::kProd));
REGISTER_OP(ReductionOp("Max", kMinMaxReduceTypes, ReductionShape(FoldMax)))
    .SetLowering(lower::Reduction(ReduceKind::kMax));
REGISTER_OP(ReductionOp("Min", kMinMaxReduceTypes, ReductionShape(FoldMin)))
    .SetLowering(lower::Reduction(ReduceKind::kMin));

REGISTER_OP(ArgOp("ArgMax")).SetLowering(lower::ArgReduction(ArgReduceKind::kArgMax));
REGISTER_OP(ArgOp("ArgMin")).SetLowering(lower::ArgReduction(ArgReduceKind::kArgMin));

REGISTER_OP("Atan2")
    .Input("y: T")
    .Input("x: T")
    .Output("z: T")
    .Attr(std::string("T: ") + kUnaryRealTypes)
    .SetShapeFn(BroadcastBinaryShape)
    .SetLowering(lower::Binary(BinaryKind::kAtan2));
REGISTER_OP("IsNan")
    .Input("x: T")
    .Output("y: bool")
    .Attr(std::string("T: ") + kUnaryRealTypes)
    .SetShapeFn(UnchangedShape)
    .SetLowering(lower::Unary(UnaryKind::kIsNan));
REGISTER_OP("IsFinite")
    .Input("x: T")
    .Output("y: bool")
    .Attr(std::string("T: ") + kUnaryRealTypes)
    .SetShapeFn(UnchangedShape)
    .SetLowering(lower::Unary(UnaryKind::kIsFinite));
REGISTER_OP("ClipByValue")
    .Input("t: T")
    .Input("clip_value_min: T")
    .Input("clip_value_max: T")
    .Output("output: T")
    .Attr(std::string("T: ") + kNumberTypes)
    .SetShapeFn(UnchangedShape)
    .SetLowering(ClipByValueLowering);
REGISTER_OP(ActivationOp("Softsign", kFloatActivationTypes)).SetLowering(SoftsignLowering);

}  // namespace strata
