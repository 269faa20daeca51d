// Cumulative ops: Cumsum and Cumprod (schemas from tensorflow/core/ops/math_ops.cc, semantics
// from tensorflow/core/kernels/scan_ops.h).
//
// The lowering is a Hillis-Steele scan: ceil(log2 n) steps, each adding (multiplying) the
// running result shifted by 1, 2, 4, ... along the axis, where the shift pads with the
// identity. That is O(N log n) work in log n fusable steps, instead of n dependent steps.
// The association order differs from TF's sequential loop, so float results can differ in the
// last bits; integer results are exact (wrapping like TF's).
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "graph/shape_inference.h"
#include "ops/lowering.h"
#include "ops/registry.h"

namespace strata {
namespace {

// TF's numbertype, spelled out.
constexpr char kNumberTypes[] =
    "T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, "
    "quint16, uint16, complex128, half, uint32, uint64}";

// x shifted by `shift` along `axis` (element i takes element i - shift), the first `shift`
// elements being `fill`.
Value ShiftAlong(PrimitiveBuilder& b, const Value& x, int axis, int64_t shift, const Value& fill) {
  const int rank = x.rank();
  std::vector<int64_t> lo(rank, 0), hi(rank, 0), interior(rank, 0), start(rank, 0), strides(rank, 1);
  lo[axis] = shift;
  Value padded = b.Pad(x, fill, lo, hi, interior);
  std::vector<int64_t> limit = x.shape.dims();
  return b.Slice(padded, start, limit, strides);
}

// Cumsum (kAdd, identity 0) and Cumprod (kMul, identity 1) along the constant scalar axis.
LowerFn ScanLowering(BinaryKind combine, double identity) {
  return [combine, identity](LoweringContext& c) -> absl::Status {
    PrimitiveBuilder& b = c.b();
    Value x = c.input(0);
    if (!x.valid()) return absl::OkStatus();
    bool exclusive = false, reverse = false;
    if (absl::Status s = c.GetAttr("exclusive", &exclusive); !s.ok()) return s;
    if (absl::Status s = c.GetAttr("reverse", &reverse); !s.ok()) return s;
    const Tensor* axis_value = c.input_constant(1);
    if (axis_value != nullptr && axis_value->rank() != 0) {
      return absl::InvalidArgumentError(absl::StrCat("axis must be a scalar, not ", axis_value->shape().ToString()));
    }
    absl::StatusOr<std::vector<int64_t>> axis_list = c.ConstantInputAsInts(1);
    if (!axis_list.ok()) return axis_list.status();
    const int64_t requested = (*axis_list)[0];
    const int rank = x.rank();
    if (requested < -rank || requested >= rank) {
      return absl::InvalidArgumentError(absl::StrCat("Expected scan axis in the range [", -rank, ", ", rank,
                                                     "), but got ", requested, " (input shape ",
                                                     x.shape.ToString(), ")"));
    }
    const int axis = static_cast<int>(requested < 0 ? requested + rank : requested);
    const Value fill = b.ScalarConstant(x.dtype, identity);
    if (reverse) x = b.Reverse(x, {axis});
    if (exclusive) x = ShiftAlong(b, x, axis, 1, fill);
    for (int64_t shift = 1; shift < x.dim(axis); shift *= 2) {
      x = b.Binary(combine, x, ShiftAlong(b, x, axis, shift, fill));
    }
    if (reverse) x = b.Reverse(x, {axis});
    c.set_output(0, x);
    return absl::OkStatus();
  };
}

}  // namespace

REGISTER_OP("Cumsum")
    .Input("x: T")
    .Input("axis: Tidx")
    .Attr("exclusive: bool = false")
    .Attr("reverse: bool = false")
    .Output("out: T")
    .Attr(kNumberTypes)
    .Attr("Tidx: {int32, int64} = DT_INT32")
    .SetShapeFn(UnchangedShape)
    .SetLowering(ScanLowering(BinaryKind::kAdd, 0));

REGISTER_OP("Cumprod")
    .Input("x: T")
    .Input("axis: Tidx")
    .Attr("exclusive: bool = false")
    .Attr("reverse: bool = false")
    .Output("out: T")
    .Attr(kNumberTypes)
    .Attr("Tidx: {int32, int64} = DT_INT32")
    .SetShapeFn(UnchangedShape)
    .SetLowering(ScanLowering(BinaryKind::kMul, 1));

}  // namespace strata
