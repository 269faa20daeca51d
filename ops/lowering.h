// The primitive-builder interface that op lowerings are written against.
//
// Every TF op lowers to a few primitives in the spirit of XLA HLO / jax.lax: elementwise,
// broadcast, reshape, transpose, slice, pad, concat, reverse, iota, reduce, arg-reduce,
// dot_general, convolution, reduce_window, gather, select, convert. Only primitives need a
// backend: compiler/ emits MLIR for them, runtime/reference computes them on the host (the test
// oracle and the constant folder). ops/ never sees MLIR.
//
// Inside a lowering all shapes are static: a graph is specialized to its fed shapes before it
// is lowered. Builders work like XlaBuilder: each call returns a Value; a misuse records the
// first error in status() and returns an invalid Value, and calls with invalid Values return
// invalid Values, so lowering code reads straight through and checks once at the end.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "graph/attr_value.h"
#include "graph/dtype.h"
#include "graph/shape.h"
#include "graph/tensor.h"

namespace strata {

class Node;

// A tensor inside a lowering: a builder handle and its static type.
struct Value {
  int id = -1;
  DType dtype = DT_INVALID;
  Shape shape;  // always fully defined
  bool valid() const { return id >= 0; }
  int rank() const { return shape.rank(); }
  int64_t dim(int i) const { return shape.dim(i); }
  int64_t num_elements() const { return shape.num_elements(); }
};

enum class UnaryKind {
  kNeg, kAbs, kSign, kExp, kExpm1, kLog, kLog1p, kTanh, kLogistic, kSin, kCos, kTan,
  kAsin, kAcos, kAtan, kSinh, kCosh, kAsinh, kAcosh, kAtanh,
  kFloor, kCeil, kRoundHalfEven, kSqrt, kRsqrt, kErf,
  kNot,        // logical not (bool) / bitwise not (integers)
  kIsNan, kIsInf, kIsFinite,  // float -> bool
};

enum class BinaryKind {
  kAdd, kSub, kMul,
  kDiv,  // floats: IEEE; integers: truncates toward zero; integer x/0 gives 0
  kRem,  // C fmod / % semantics (sign of the dividend); integer x%0 gives 0
  kMax, kMin,  // floats: NaN propagates (TF semantics)
  kPow, kAtan2,
  kAnd, kOr, kXor,  // bool: logical; integers: bitwise
  // Comparisons: result dtype bool.
  kEq, kNe, kLt, kLe, kGt, kGe,
};

enum class ReduceKind { kSum, kProd, kMax, kMin, kAll, kAny };
enum class ArgReduceKind { kArgMax, kArgMin };

const char* UnaryKindName(UnaryKind k);
const char* BinaryKindName(BinaryKind k);
const char* ReduceKindName(ReduceKind k);
bool IsComparison(BinaryKind k);

// dot_general: result dims are batch..., lhs free..., rhs free... (XLA's order).
struct DotDims {
  std::vector<int64_t> lhs_batch, rhs_batch;
  std::vector<int64_t> lhs_contracting, rhs_contracting;
};

// Convolution in one canonical layout (NCHW graphs transpose around it):
//   input  [N, spatial..., C_in]
//   filter [spatial..., C_in / groups, C_out]     (C_out divisible by groups)
//   output [N, spatial_out..., C_out]
// Output group g sees input channels [g*C_in/groups, (g+1)*C_in/groups).
// spatial_out = floor((lhs_dilated_in + pad_lo + pad_hi - rhs_dilated_window) / stride) + 1.
struct ConvConfig {
  std::vector<int64_t> strides;        // per spatial dim, >= 1
  std::vector<int64_t> padding_lo;     // per spatial dim, >= 0
  std::vector<int64_t> padding_hi;
  std::vector<int64_t> lhs_dilation;   // per spatial dim, >= 1 (transposed convolution)
  std::vector<int64_t> rhs_dilation;   // per spatial dim, >= 1 (atrous convolution)
  int64_t feature_group_count = 1;     // C_in for depthwise
};

// reduce_window over every dim (size-1 windows on dims that are not pooled). Padding counts as
// the reduction's identity (0 for sum, -inf for max, +inf for min).
struct WindowConfig {
  std::vector<int64_t> window;
  std::vector<int64_t> strides;
  std::vector<int64_t> padding_lo;
  std::vector<int64_t> padding_hi;
};

class PrimitiveBuilder {
 public:
  virtual ~PrimitiveBuilder();

  // The first error any call recorded (OK if none).
  const absl::Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }
  // Records an error (the first one wins) and returns an invalid Value.
  Value Fail(absl::Status s);

  // ---- Primitives (checked here; computed by the backend's Emit*) ----
  Value Constant(const Tensor& t);
  Value Unary(UnaryKind k, Value x);
  // Operands must have equal shapes and dtypes (use BroadcastBinary first).
  Value Binary(BinaryKind k, Value a, Value b);
  // pred: bool, same shape as a and b.
  Value Select(Value pred, Value on_true, Value on_false);
  // Floats -> ints truncate toward zero (out of range: unspecified); to bool: x != 0.
  Value Convert(Value x, DType to);
  // Operand dim i becomes output dim dims[i] (dims strictly increasing); operand dims must be
  // 1 or equal to the output dim.
  Value BroadcastInDim(Value x, const Shape& shape, absl::Span<const int64_t> dims);
  Value Reshape(Value x, const Shape& shape);
  Value Transpose(Value x, absl::Span<const int64_t> perm);
  // Strides >= 1; 0 <= start <= limit <= dim.
  Value Slice(Value x, absl::Span<const int64_t> start, absl::Span<const int64_t> limit,
              absl::Span<const int64_t> strides);
  // pad_value: a scalar of x's dtype. lo/hi >= 0, interior >= 0 (inserted between elements).
  Value Pad(Value x, Value pad_value, absl::Span<const int64_t> lo, absl::Span<const int64_t> hi,
            absl::Span<const int64_t> interior);
  Value Concat(absl::Span<const Value> xs, int64_t axis);
  Value Reverse(Value x, absl::Span<const int64_t> dims);
  // Values 0..shape[dim]-1 along `dim`.
  Value Iota(DType dtype, const Shape& shape, int64_t dim);
  // Removes `dims` (distinct, any order). Sum/prod/max/min on numbers, all/any on bool.
  Value Reduce(ReduceKind k, Value x, absl::Span<const int64_t> dims);
  // Index of the max/min along `axis` (first one on ties); removes `axis`.
  Value ArgReduce(ArgReduceKind k, Value x, int64_t axis, DType index_dtype);
  // Result dtype `result_dtype` (DT_INVALID: the operands' dtype); operand dtypes must match.
  Value DotGeneral(Value lhs, Value rhs, const DotDims& dims, DType result_dtype = DT_INVALID);
  // Result dtype `result_dtype` (DT_INVALID: the operands'), as DotGeneral: f32 from 16-bit
  // floats keeps them 16-bit up to the multiply (the GPU's tensor cores read them so).
  Value Convolution(Value input, Value filter, const ConvConfig& config, DType result_dtype = DT_INVALID);
  Value ReduceWindow(ReduceKind k, Value x, const WindowConfig& config);
  // Gather with the first `batch_dims` dims shared:
  //   params  [B..., P_0..P_{K-1}, R...],  indices [B..., I..., K] (int32/int64)
  //   result  [B..., I..., R...]
  // An index outside [0, P_k) is a run-time error (InvalidArgument naming the index).
  Value Gather(Value params, Value indices, int64_t batch_dims);

  // ---- Conveniences built from the primitives ----
  Value ScalarConstant(DType dtype, double value);
  Value Splat(DType dtype, const Shape& shape, double value);
  // NumPy/TF broadcasting of x to `shape`.
  Value BroadcastTo(Value x, const Shape& shape);
  // Broadcasts both operands to their common shape.
  std::pair<Value, Value> BroadcastBoth(Value a, Value b);
  // Binary with NumPy/TF broadcasting.
  Value BinaryBroadcast(BinaryKind k, Value a, Value b);

 protected:
  // Backends implement these; arguments are already checked and `type` is the result type.
  virtual Value EmitConstant(const Tensor& t) = 0;
  virtual Value EmitUnary(UnaryKind k, Value x, const Value& type) = 0;
  virtual Value EmitBinary(BinaryKind k, Value a, Value b, const Value& type) = 0;
  virtual Value EmitSelect(Value pred, Value t, Value f, const Value& type) = 0;
  virtual Value EmitConvert(Value x, const Value& type) = 0;
  virtual Value EmitBroadcastInDim(Value x, absl::Span<const int64_t> dims, const Value& type) = 0;
  virtual Value EmitReshape(Value x, const Value& type) = 0;
  virtual Value EmitTranspose(Value x, absl::Span<const int64_t> perm, const Value& type) = 0;
  virtual Value EmitSlice(Value x, absl::Span<const int64_t> start, absl::Span<const int64_t> strides,
                          const Value& type) = 0;
  virtual Value EmitPad(Value x, Value pad_value, absl::Span<const int64_t> lo, absl::Span<const int64_t> interior,
                        const Value& type) = 0;
  virtual Value EmitConcat(absl::Span<const Value> xs, int64_t axis, const Value& type) = 0;
  virtual Value EmitReverse(Value x, absl::Span<const int64_t> dims, const Value& type) = 0;
  virtual Value EmitIota(int64_t dim, const Value& type) = 0;
  virtual Value EmitReduce(ReduceKind k, Value x, absl::Span<const int64_t> dims, const Value& type) = 0;
  virtual Value EmitArgReduce(ArgReduceKind k, Value x, int64_t axis, const Value& type) = 0;
  virtual Value EmitDotGeneral(Value lhs, Value rhs, const DotDims& dims, const Value& type) = 0;
  virtual Value EmitConvolution(Value input, Value filter, const ConvConfig& config, const Value& type) = 0;
  virtual Value EmitReduceWindow(ReduceKind k, Value x, const WindowConfig& config, const Value& type) = 0;
  virtual Value EmitGather(Value params, Value indices, int64_t batch_dims, const Value& type) = 0;

  // For backends: a result type (id left -1; the backend assigns it).
  static Value TypeOf(DType dtype, Shape shape) { return Value{-1, dtype, std::move(shape)}; }

 private:
  absl::Status status_;
};

// What a lowering sees: its node, its inputs as Values, their compile-time constant values
// where known, and the builder.
class LoweringContext {
 public:
  LoweringContext(const Node& node, PrimitiveBuilder& builder, std::vector<Value> inputs,
                  std::vector<const Tensor*> input_constants);

  PrimitiveBuilder& b() { return builder_; }
  const Node& node() const { return node_; }
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  const Value& input(int i) const { return inputs_[i]; }
  // The input's value when it is known at compile time (a Const, or folded), else null.
  const Tensor* input_constant(int i) const { return input_constants_[i]; }
  // An integer input that must be known at compile time (a shape, axes, paddings, ...);
  // InvalidArgument naming the input otherwise.
  absl::StatusOr<std::vector<int64_t>> ConstantInputAsInts(int i) const;
  int num_outputs() const;
  // The static shape/dtype shape inference gave output i.
  const Shape& output_shape(int i) const;
  DType output_dtype(int i) const;
  const AttrMap& attrs() const;
  template <typename T>
  absl::Status GetAttr(std::string_view name, T* value) const {
    return ::strata::GetAttr(attrs(), name, value);
  }

  void set_output(int i, Value v) { outputs_[i] = std::move(v); }
  const std::vector<Value>& outputs() const { return outputs_; }

 private:
  const Node& node_;
  PrimitiveBuilder& builder_;
  std::vector<Value> inputs_;
  std::vector<const Tensor*> input_constants_;
  std::vector<Value> outputs_;
};

using LowerFn = std::function<absl::Status(LoweringContext&)>;

// Runs `node`'s lowering and checks what it produced: every output set, with the dtype and
// static shape that shape inference promised. Errors name the node.
absl::StatusOr<std::vector<Value>> LowerNode(const Node& node, PrimitiveBuilder& builder,
                                             std::vector<Value> inputs,
                                             std::vector<const Tensor*> input_constants);

}  // namespace strata
