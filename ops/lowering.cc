// Checks and result types of the primitives (shared by every backend), the conveniences built
// on them, and running one node's lowering.
#include "ops/lowering.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/graph.h"

namespace strata {

namespace {

std::string ShapeStr(const Value& v) { return absl::StrCat(DTypeName(v.dtype), v.shape.ToString()); }
std::string Ints(absl::Span<const int64_t> v) { return absl::StrCat("[", absl::StrJoin(v, ","), "]"); }

bool IsNumeric(DType t) { return IsFloatingDType(t) || IsIntegerDType(t); }

bool IsPermutation(absl::Span<const int64_t> perm, int rank) {
  if (static_cast<int>(perm.size()) != rank) return false;
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p]) return false;
    seen[p] = true;
  }
  return true;
}

bool DistinctInRange(absl::Span<const int64_t> dims, int rank) {
  std::set<int64_t> s;
  for (int64_t d : dims) {
    if (d < 0 || d >= rank || !s.insert(d).second) return false;
  }
  return true;
}

// Size of `in` after inserting (dilation - 1) holes between elements.
int64_t Dilated(int64_t in, int64_t dilation) { return in == 0 ? 0 : (in - 1) * dilation + 1; }

}  // namespace

const char* UnaryKindName(UnaryKind k) {
  static const char* kNames[] = {"neg", "abs", "sign", "exp", "expm1", "log", "log1p", "tanh", "logistic", "sin",
                                 "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
                                 "floor", "ceil", "round_half_even", "sqrt", "rsqrt", "erf", "not", "is_nan",
                                 "is_inf", "is_finite"};
  return kNames[static_cast<int>(k)];
}

const char* BinaryKindName(BinaryKind k) {
  static const char* kNames[] = {"add", "sub", "mul", "div", "rem", "max", "min", "pow", "atan2", "and",
                                 "or",  "xor", "eq",  "ne",  "lt",  "le",  "gt",  "ge"};
  return kNames[static_cast<int>(k)];
}

const char* ReduceKindName(ReduceKind k) {
  static const char* kNames[] = {"sum", "prod", "max", "min", "all", "any"};
  return kNames[static_cast<int>(k)];
}

bool IsComparison(BinaryKind k) { return k >= BinaryKind::kEq; }

PrimitiveBuilder::~PrimitiveBuilder() = default;

Value PrimitiveBuilder::Fail(absl::Status s) {
  if (status_.ok()) status_ = std::move(s);
  return Value();
}

#define STRATA_CHECK_VALID(v) \
  if (!(v).valid()) return Value()
#define STRATA_FAIL(...) return Fail(absl::InvalidArgumentError(absl::StrCat(__VA_ARGS__)))

Value PrimitiveBuilder::Constant(const Tensor& t) {
  if (!t.valid() || !IsSupportedTensorDType(t.dtype())) STRATA_FAIL("constant: unsupported tensor dtype ", DTypeName(t.dtype()));
  return EmitConstant(t);
}

Value PrimitiveBuilder::Unary(UnaryKind k, Value x) {
  STRATA_CHECK_VALID(x);
  DType t = x.dtype;
  DType out = t;
  switch (k) {
    case UnaryKind::kNeg:
    case UnaryKind::kAbs:
    case UnaryKind::kSign:
      if (!IsNumeric(t)) STRATA_FAIL(UnaryKindName(k), ": needs a number, got ", ShapeStr(x));
      break;
    case UnaryKind::kNot:
      if (t != DT_BOOL && !IsIntegerDType(t)) STRATA_FAIL("not: needs bool or an integer, got ", ShapeStr(x));
      break;
    case UnaryKind::kIsNan:
    case UnaryKind::kIsInf:
    case UnaryKind::kIsFinite:
      if (!IsFloatingDType(t)) STRATA_FAIL(UnaryKindName(k), ": needs a float, got ", ShapeStr(x));
      out = DT_BOOL;
      break;
    default:
      if (!IsFloatingDType(t)) STRATA_FAIL(UnaryKindName(k), ": needs a float, got ", ShapeStr(x));
  }
  return EmitUnary(k, x, TypeOf(out, x.shape));
}

Value PrimitiveBuilder::Binary(BinaryKind k, Value a, Value b) {
  STRATA_CHECK_VALID(a);
  STRATA_CHECK_VALID(b);
  if (a.dtype != b.dtype || a.shape != b.shape) {
    STRATA_FAIL(BinaryKindName(k), ": operands differ: ", ShapeStr(a), " vs ", ShapeStr(b));
  }
  DType t = a.dtype;
  switch (k) {
    case BinaryKind::kAnd:
    case BinaryKind::kOr:
    case BinaryKind::kXor:
      if (t != DT_BOOL && !IsIntegerDType(t)) STRATA_FAIL(BinaryKindName(k), ": needs bool or integers, got ", ShapeStr(a));
      break;
    case BinaryKind::kEq:
    case BinaryKind::kNe:
      break;
    case BinaryKind::kAtan2:
      if (!IsFloatingDType(t)) STRATA_FAIL("atan2: needs floats, got ", ShapeStr(a));
      break;
    default:
      if (!IsNumeric(t)) STRATA_FAIL(BinaryKindName(k), ": needs numbers, got ", ShapeStr(a));
  }
  return EmitBinary(k, a, b, TypeOf(IsComparison(k) ? DT_BOOL : t, a.shape));
}

Value PrimitiveBuilder::Select(Value pred, Value on_true, Value on_false) {
  STRATA_CHECK_VALID(pred);
  STRATA_CHECK_VALID(on_true);
  STRATA_CHECK_VALID(on_false);
  if (pred.dtype != DT_BOOL) STRATA_FAIL("select: predicate must be bool, got ", ShapeStr(pred));
  if (pred.shape != on_true.shape || on_true.shape != on_false.shape || on_true.dtype != on_false.dtype) {
    STRATA_FAIL("select: operands differ: ", ShapeStr(pred), ", ", ShapeStr(on_true), ", ", ShapeStr(on_false));
  }
  return EmitSelect(pred, on_true, on_false, TypeOf(on_true.dtype, on_true.shape));
}

Value PrimitiveBuilder::Convert(Value x, DType to) {
  STRATA_CHECK_VALID(x);
  if (!IsSupportedTensorDType(to)) STRATA_FAIL("convert: unsupported dtype ", DTypeName(to));
  if (to == x.dtype) return x;
  return EmitConvert(x, TypeOf(to, x.shape));
}

Value PrimitiveBuilder::BroadcastInDim(Value x, const Shape& shape, absl::Span<const int64_t> dims) {
  STRATA_CHECK_VALID(x);
  if (!shape.IsFullyDefined()) STRATA_FAIL("broadcast_in_dim: shape ", shape.ToString(), " is not static");
  if (static_cast<int>(dims.size()) != x.rank()) STRATA_FAIL("broadcast_in_dim: ", dims.size(), " dims for ", ShapeStr(x));
  for (size_t i = 0; i < dims.size(); ++i) {
    bool increasing = i == 0 || dims[i] > dims[i - 1];
    if (dims[i] < 0 || dims[i] >= shape.rank() || !increasing) {
      STRATA_FAIL("broadcast_in_dim: dims ", Ints(dims), " invalid for output rank ", shape.rank());
    }
    if (x.dim(i) != 1 && x.dim(i) != shape.dim(dims[i])) {
      STRATA_FAIL("broadcast_in_dim: cannot broadcast ", ShapeStr(x), " to ", shape.ToString(), " with dims ", Ints(dims));
    }
  }
  if (x.shape == shape) return x;
  return EmitBroadcastInDim(x, dims, TypeOf(x.dtype, shape));
}

Value PrimitiveBuilder::Reshape(Value x, const Shape& shape) {
  STRATA_CHECK_VALID(x);
  if (!shape.IsFullyDefined()) STRATA_FAIL("reshape: shape ", shape.ToString(), " is not static");
  if (shape.num_elements() != x.num_elements()) STRATA_FAIL("reshape: cannot reshape ", ShapeStr(x), " to ", shape.ToString());
  if (shape == x.shape) return x;
  return EmitReshape(x, TypeOf(x.dtype, shape));
}

Value PrimitiveBuilder::Transpose(Value x, absl::Span<const int64_t> perm) {
  STRATA_CHECK_VALID(x);
  if (!IsPermutation(perm, x.rank())) STRATA_FAIL("transpose: ", Ints(perm), " is not a permutation of rank ", x.rank());
  bool identity = true;
  std::vector<int64_t> dims;
  for (size_t i = 0; i < perm.size(); ++i) {
    identity &= perm[i] == static_cast<int64_t>(i);
    dims.push_back(x.dim(perm[i]));
  }
  if (identity) return x;
  return EmitTranspose(x, perm, TypeOf(x.dtype, Shape(dims)));
}

Value PrimitiveBuilder::Slice(Value x, absl::Span<const int64_t> start, absl::Span<const int64_t> limit,
                              absl::Span<const int64_t> strides) {
  STRATA_CHECK_VALID(x);
  const size_t r = x.rank();
  if (start.size() != r || limit.size() != r || strides.size() != r) STRATA_FAIL("slice: wrong number of indices for ", ShapeStr(x));
  std::vector<int64_t> dims;
  for (size_t i = 0; i < r; ++i) {
    if (strides[i] < 1 || start[i] < 0 || start[i] > limit[i] || limit[i] > x.dim(i)) {
      STRATA_FAIL("slice: start ", Ints(start), " limit ", Ints(limit), " strides ", Ints(strides), " invalid for ", ShapeStr(x));
    }
    dims.push_back((limit[i] - start[i] + strides[i] - 1) / strides[i]);
  }
  return EmitSlice(x, start, strides, TypeOf(x.dtype, Shape(dims)));
}

Value PrimitiveBuilder::Pad(Value x, Value pad_value, absl::Span<const int64_t> lo, absl::Span<const int64_t> hi,
                            absl::Span<const int64_t> interior) {
  STRATA_CHECK_VALID(x);
  STRATA_CHECK_VALID(pad_value);
  if (pad_value.rank() != 0 || pad_value.dtype != x.dtype) STRATA_FAIL("pad: pad value must be a scalar of ", DTypeName(x.dtype));
  const size_t r = x.rank();
  if (lo.size() != r || hi.size() != r || interior.size() != r) STRATA_FAIL("pad: wrong number of paddings for ", ShapeStr(x));
  std::vector<int64_t> dims;
  for (size_t i = 0; i < r; ++i) {
    if (lo[i] < 0 || hi[i] < 0 || interior[i] < 0) STRATA_FAIL("pad: negative padding ", Ints(lo), Ints(hi), Ints(interior));
    dims.push_back(lo[i] + hi[i] + Dilated(x.dim(i), interior[i] + 1));
  }
  return EmitPad(x, pad_value, lo, interior, TypeOf(x.dtype, Shape(dims)));
}

Value PrimitiveBuilder::Concat(absl::Span<const Value> xs, int64_t axis) {
  if (xs.empty()) STRATA_FAIL("concat: no operands");
  for (const Value& v : xs) STRATA_CHECK_VALID(v);
  const Value& first = xs[0];
  if (axis < 0) axis += first.rank();
  if (axis < 0 || axis >= first.rank()) STRATA_FAIL("concat: axis out of range for ", ShapeStr(first));
  Shape out = first.shape;
  int64_t total = 0;
  for (const Value& v : xs) {
    bool ok = v.dtype == first.dtype && v.rank() == first.rank();
    for (int d = 0; ok && d < v.rank(); ++d) ok = d == axis || v.dim(d) == first.dim(d);
    if (!ok) STRATA_FAIL("concat: ", ShapeStr(v), " does not match ", ShapeStr(first), " on axis ", axis);
    total += v.dim(static_cast<int>(axis));
  }
  if (xs.size() == 1) return first;
  out.set_dim(static_cast<int>(axis), total);
  return EmitConcat(xs, axis, TypeOf(first.dtype, out));
}

Value PrimitiveBuilder::Reverse(Value x, absl::Span<const int64_t> dims) {
  STRATA_CHECK_VALID(x);
  if (!DistinctInRange(dims, x.rank())) STRATA_FAIL("reverse: dims ", Ints(dims), " invalid for ", ShapeStr(x));
  if (dims.empty()) return x;
  return EmitReverse(x, dims, TypeOf(x.dtype, x.shape));
}

Value PrimitiveBuilder::Iota(DType dtype, const Shape& shape, int64_t dim) {
  if (!IsNumeric(dtype)) STRATA_FAIL("iota: needs a numeric dtype, got ", DTypeName(dtype));
  if (!shape.IsFullyDefined() || dim < 0 || dim >= shape.rank()) STRATA_FAIL("iota: dim ", dim, " invalid for ", shape.ToString());
  return EmitIota(dim, TypeOf(dtype, shape));
}

Value PrimitiveBuilder::Reduce(ReduceKind k, Value x, absl::Span<const int64_t> dims) {
  STRATA_CHECK_VALID(x);
  if (!DistinctInRange(dims, x.rank())) STRATA_FAIL("reduce: dims ", Ints(dims), " invalid for ", ShapeStr(x));
  bool logical = k == ReduceKind::kAll || k == ReduceKind::kAny;
  if (logical != (x.dtype == DT_BOOL)) STRATA_FAIL("reduce ", ReduceKindName(k), ": wrong dtype ", ShapeStr(x));
  std::vector<int64_t> out;
  for (int d = 0; d < x.rank(); ++d) {
    if (std::find(dims.begin(), dims.end(), d) == dims.end()) out.push_back(x.dim(d));
  }
  if (dims.empty()) return x;
  return EmitReduce(k, x, dims, TypeOf(x.dtype, Shape(out)));
}

Value PrimitiveBuilder::ArgReduce(ArgReduceKind k, Value x, int64_t axis, DType index_dtype) {
  STRATA_CHECK_VALID(x);
  if (!IsNumeric(x.dtype) && x.dtype != DT_BOOL) STRATA_FAIL("arg_reduce: needs numbers, got ", ShapeStr(x));
  if (index_dtype != DT_INT32 && index_dtype != DT_INT64) STRATA_FAIL("arg_reduce: index dtype must be int32 or int64");
  if (axis < 0 || axis >= x.rank()) STRATA_FAIL("arg_reduce: axis ", axis, " invalid for ", ShapeStr(x));
  if (x.dim(static_cast<int>(axis)) == 0) STRATA_FAIL("arg_reduce: reducing an empty dimension of ", ShapeStr(x));
  std::vector<int64_t> out;
  for (int d = 0; d < x.rank(); ++d) if (d != axis) out.push_back(x.dim(d));
  return EmitArgReduce(k, x, axis, TypeOf(index_dtype, Shape(out)));
}

Value PrimitiveBuilder::DotGeneral(Value lhs, Value rhs, const DotDims& dims, DType result_dtype) {
  STRATA_CHECK_VALID(lhs);
  STRATA_CHECK_VALID(rhs);
  if (lhs.dtype != rhs.dtype || !IsNumeric(lhs.dtype)) STRATA_FAIL("dot_general: operand dtypes ", ShapeStr(lhs), ", ", ShapeStr(rhs));
  if (dims.lhs_batch.size() != dims.rhs_batch.size() || dims.lhs_contracting.size() != dims.rhs_contracting.size()) {
    STRATA_FAIL("dot_general: batch/contracting dim lists differ in length");
  }
  std::vector<int64_t> lhs_used = dims.lhs_batch, rhs_used = dims.rhs_batch;
  lhs_used.insert(lhs_used.end(), dims.lhs_contracting.begin(), dims.lhs_contracting.end());
  rhs_used.insert(rhs_used.end(), dims.rhs_contracting.begin(), dims.rhs_contracting.end());
  if (!DistinctInRange(lhs_used, lhs.rank()) || !DistinctInRange(rhs_used, rhs.rank())) {
    STRATA_FAIL("dot_general: invalid dims for ", ShapeStr(lhs), " x ", ShapeStr(rhs));
  }
  std::vector<int64_t> out;
  for (size_t i = 0; i < dims.lhs_batch.size(); ++i) {
    if (lhs.dim(dims.lhs_batch[i]) != rhs.dim(dims.rhs_batch[i])) STRATA_FAIL("dot_general: batch dims differ: ", ShapeStr(lhs), " x ", ShapeStr(rhs));
    out.push_back(lhs.dim(dims.lhs_batch[i]));
  }
  for (size_t i = 0; i < dims.lhs_contracting.size(); ++i) {
    if (lhs.dim(dims.lhs_contracting[i]) != rhs.dim(dims.rhs_contracting[i])) {
      STRATA_FAIL("dot_general: contracting dims differ: ", ShapeStr(lhs), " x ", ShapeStr(rhs));
    }
  }
  for (int d = 0; d < lhs.rank(); ++d) if (std::find(lhs_used.begin(), lhs_used.end(), d) == lhs_used.end()) out.push_back(lhs.dim(d));
  for (int d = 0; d < rhs.rank(); ++d) if (std::find(rhs_used.begin(), rhs_used.end(), d) == rhs_used.end()) out.push_back(rhs.dim(d));
  DType rt = result_dtype == DT_INVALID ? lhs.dtype : result_dtype;
  return EmitDotGeneral(lhs, rhs, dims, TypeOf(rt, Shape(out)));
}

Value PrimitiveBuilder::Convolution(Value input, Value filter, const ConvConfig& config, DType result_dtype) {
  STRATA_CHECK_VALID(input);
  STRATA_CHECK_VALID(filter);
  const int s = input.rank() - 2;
  if (s < 1 || filter.rank() != s + 2) STRATA_FAIL("convolution: ranks of ", ShapeStr(input), " and ", ShapeStr(filter), " do not fit");
  if (input.dtype != filter.dtype || !IsNumeric(input.dtype)) STRATA_FAIL("convolution: dtypes ", ShapeStr(input), ", ", ShapeStr(filter));
  ConvConfig c = config;
  auto fill = [&](std::vector<int64_t>& v, int64_t def) {
    if (v.empty()) v.assign(s, def);
    return static_cast<int>(v.size()) == s;
  };
  if (!fill(c.strides, 1) || !fill(c.padding_lo, 0) || !fill(c.padding_hi, 0) || !fill(c.lhs_dilation, 1) ||
      !fill(c.rhs_dilation, 1)) {
    STRATA_FAIL("convolution: config lists must have one entry per spatial dim (", s, ")");
  }
  const int64_t groups = c.feature_group_count;
  const int64_t c_in = input.dim(s + 1), c_out = filter.dim(s + 1);
  if (groups < 1 || c_in % groups != 0 || c_out % groups != 0 || filter.dim(s) != c_in / groups) {
    STRATA_FAIL("convolution: input ", ShapeStr(input), " and filter ", ShapeStr(filter), " do not fit ", groups, " groups");
  }
  std::vector<int64_t> out{input.dim(0)};
  for (int i = 0; i < s; ++i) {
    if (c.strides[i] < 1 || c.lhs_dilation[i] < 1 || c.rhs_dilation[i] < 1 || c.padding_lo[i] < 0 || c.padding_hi[i] < 0) {
      STRATA_FAIL("convolution: strides/dilations must be >= 1 and paddings >= 0");
    }
    int64_t in = Dilated(input.dim(i + 1), c.lhs_dilation[i]) + c.padding_lo[i] + c.padding_hi[i];
    int64_t win = Dilated(filter.dim(i), c.rhs_dilation[i]);
    out.push_back(in < win ? 0 : (in - win) / c.strides[i] + 1);
  }
  out.push_back(c_out);
  return EmitConvolution(input, filter, c, TypeOf(result_dtype == DT_INVALID ? input.dtype : result_dtype, Shape(out)));
}

Value PrimitiveBuilder::ReduceWindow(ReduceKind k, Value x, const WindowConfig& config) {
  STRATA_CHECK_VALID(x);
  const int r = x.rank();
  if (k == ReduceKind::kAll || k == ReduceKind::kAny || !IsNumeric(x.dtype)) STRATA_FAIL("reduce_window: unsupported for ", ShapeStr(x));
  WindowConfig c = config;
  auto fill = [&](std::vector<int64_t>& v, int64_t def) {
    if (v.empty()) v.assign(r, def);
    return static_cast<int>(v.size()) == r;
  };
  if (!fill(c.window, 1) || !fill(c.strides, 1) || !fill(c.padding_lo, 0) || !fill(c.padding_hi, 0)) {
    STRATA_FAIL("reduce_window: config lists must have one entry per dim (", r, ")");
  }
  std::vector<int64_t> out;
  for (int i = 0; i < r; ++i) {
    if (c.window[i] < 1 || c.strides[i] < 1 || c.padding_lo[i] < 0 || c.padding_hi[i] < 0) STRATA_FAIL("reduce_window: invalid window");
    int64_t in = x.dim(i) + c.padding_lo[i] + c.padding_hi[i];
    out.push_back(in < c.window[i] ? 0 : (in - c.window[i]) / c.strides[i] + 1);
  }
  return EmitReduceWindow(k, x, c, TypeOf(x.dtype, Shape(out)));
}

Value PrimitiveBuilder::Gather(Value params, Value indices, int64_t batch_dims) {
  STRATA_CHECK_VALID(params);
  STRATA_CHECK_VALID(indices);
  if (indices.dtype != DT_INT32 && indices.dtype != DT_INT64) STRATA_FAIL("gather: indices must be int32/int64, got ", ShapeStr(indices));
  if (indices.rank() < 1) STRATA_FAIL("gather: indices need a last dimension (the index vector)");
  const int64_t k = indices.dim(-1);
  if (batch_dims < 0 || batch_dims > indices.rank() - 1 || params.rank() < batch_dims + k) {
    STRATA_FAIL("gather: params ", ShapeStr(params), " and indices ", ShapeStr(indices), " do not fit batch_dims ", batch_dims);
  }
  std::vector<int64_t> out;
  for (int64_t d = 0; d < batch_dims; ++d) {
    if (params.dim(d) != indices.dim(d)) STRATA_FAIL("gather: batch dims differ: ", ShapeStr(params), " vs ", ShapeStr(indices));
    out.push_back(params.dim(d));
  }
  for (int d = static_cast<int>(batch_dims); d < indices.rank() - 1; ++d) out.push_back(indices.dim(d));
  for (int d = static_cast<int>(batch_dims + k); d < params.rank(); ++d) out.push_back(params.dim(d));
  return EmitGather(params, indices, batch_dims, TypeOf(params.dtype, Shape(out)));
}

Value PrimitiveBuilder::ScalarConstant(DType dtype, double value) {
  absl::StatusOr<Tensor> t = Tensor::Scalar<double>(value).Cast(dtype);
  if (!t.ok()) return Fail(t.status());
  return Constant(*t);
}

Value PrimitiveBuilder::Splat(DType dtype, const Shape& shape, double value) {
  return BroadcastInDim(ScalarConstant(dtype, value), shape, {});
}

Value PrimitiveBuilder::BroadcastTo(Value x, const Shape& shape) {
  STRATA_CHECK_VALID(x);
  if (x.shape == shape) return x;
  if (shape.rank() < x.rank()) STRATA_FAIL("broadcast: cannot broadcast ", ShapeStr(x), " to ", shape.ToString());
  std::vector<int64_t> dims(x.rank());
  std::iota(dims.begin(), dims.end(), shape.rank() - x.rank());
  return BroadcastInDim(x, shape, dims);
}

std::pair<Value, Value> PrimitiveBuilder::BroadcastBoth(Value a, Value b) {
  if (!a.valid() || !b.valid()) return {Value(), Value()};
  absl::StatusOr<Shape> s = BroadcastShapes(a.shape, b.shape);
  if (!s.ok()) return {Fail(s.status()), Value()};
  return {BroadcastTo(a, *s), BroadcastTo(b, *s)};
}

Value PrimitiveBuilder::BinaryBroadcast(BinaryKind k, Value a, Value b) {
  auto [x, y] = BroadcastBoth(a, b);
  return Binary(k, x, y);
}

#undef STRATA_CHECK_VALID
#undef STRATA_FAIL

LoweringContext::LoweringContext(const Node& node, PrimitiveBuilder& builder, std::vector<Value> inputs,
                                 std::vector<const Tensor*> input_constants)
    : node_(node), builder_(builder), inputs_(std::move(inputs)), input_constants_(std::move(input_constants)) {
  input_constants_.resize(inputs_.size(), nullptr);
  outputs_.resize(node.num_outputs());
}

const AttrMap& LoweringContext::attrs() const { return node_.attrs(); }
int LoweringContext::num_outputs() const { return node_.num_outputs(); }
const Shape& LoweringContext::output_shape(int i) const { return node_.output_shape(i); }
DType LoweringContext::output_dtype(int i) const { return BaseDType(node_.output_dtype(i)); }

absl::StatusOr<std::vector<int64_t>> LoweringContext::ConstantInputAsInts(int i) const {
  const Tensor* t = input_constant(i);
  std::string arg = absl::StrCat("input ", i);
  if (t == nullptr) {
    // LowerNode prefixes the node; say only what is wrong here.
    return absl::InvalidArgumentError(absl::StrCat(arg, " (from ", node_.input(i).name(),
                                                   ") must be known at compile time"));
  }
  if (!IsIntegerDType(t->dtype())) {
    return absl::InvalidArgumentError(absl::StrCat(arg, " must be an integer tensor"));
  }
  std::vector<int64_t> v;
  for (int64_t k = 0; k < t->num_elements(); ++k) v.push_back(t->ElementAsInt64(k));
  return v;
}

absl::StatusOr<std::vector<Value>> LowerNode(const Node& node, PrimitiveBuilder& builder, std::vector<Value> inputs,
                                             std::vector<const Tensor*> input_constants) {
  const LowerFn& lower = node.op_registration().lower;
  if (!lower) {
    return absl::UnimplementedError(absl::StrCat(node.Describe(), ": op ", node.op(), " cannot be compiled yet (no lowering)"));
  }
  LoweringContext ctx(node, builder, std::move(inputs), std::move(input_constants));
  absl::Status s = lower(ctx);
  if (s.ok()) s = builder.status();
  if (!s.ok()) return node.Annotate(s);
  for (int i = 0; i < node.num_outputs(); ++i) {
    const Value& v = ctx.outputs()[i];
    if (!v.valid()) return absl::InternalError(absl::StrCat(node.Describe(), ": lowering left output ", i, " unset"));
    DType want = BaseDType(node.output_dtype(i));
    const Shape& shape = node.output_shape(i);
    if (v.dtype != want || (shape.IsFullyDefined() && v.shape != shape)) {
      return absl::InternalError(absl::StrCat(node.Describe(), ": lowering produced ", DTypeName(v.dtype), v.shape.ToString(),
                                              " for output ", i, ", shape inference says ", DTypeName(want), shape.ToString()));
    }
  }
  return ctx.outputs();
}

}  // namespace strata
