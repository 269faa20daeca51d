// TopKV2: the k largest entries along the last dimension, and their indices (schema from
// tensorflow/core/ops/nn_ops.cc, semantics from tensorflow/core/kernels/topk_op.cc).
//
// Results are always sorted (largest first), which also satisfies sorted=false (TF leaves that
// order unspecified). Equal values come lower index first, as TF's stable comparator orders
// them. NaN, where TF's order is undefined, ranks above every number (first NaN first), as the
// arg_reduce primitive and NumPy's sort treat it.
//
// Two implementations that must agree (the tests compare them):
// - A host kernel (a partial sort, O(n log k) per row): what the reference evaluator and
//   constant folding run.
// - A lowering for the compiled backends. The primitive set has no sort, so it ranks: the rank
//   of an element is the number of elements ordered before it, from an [n, n] comparison per
//   row (fused compare + reduce), and output p is the element of rank p. That is O(n^2) work
//   per row in a constant number of primitives. Long rows (rows * n^2 > kMaxRankElements) are
//   ranked in two levels: the top k of blocks of B elements, then the top k of those
//   candidates, O(n B + (n k / B)^2) work with B = (2 n k^2)^(1/3). k = 1 is a max and two
//   min reductions.
//   Beyond kMaxRankElements per level the lowering fails with Unimplemented, saying why.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "graph/dtype_visit.h"
#include "graph/shape_inference.h"
#include "ops/host_kernel.h"
#include "ops/lowering.h"
#include "ops/registry.h"
#include "ops/shape_fn_util.h"

namespace strata {
namespace {

// The most comparisons one ranking level may make (rows * n * n): the reference evaluator
// materializes them, a few bytes each.
constexpr int64_t kMaxRankElements = int64_t{1} << 24;

// TF's realnumbertype, spelled out.
constexpr char kRealNumberTypes[] =
    "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}";

// TF's TopKShapeFn: the last dim becomes k (known when k is).
absl::Status TopKShape(InferenceContext& c) {
  absl::StatusOr<Shape> input = shape_fn::InputWithRankAtLeast(c, 0, 1, "input");
  if (!input.ok()) return input.status();
  Shape unused;
  if (absl::Status s = c.WithRank(c.input(1), 0, &unused); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("input 'k': ", s.message()));
  }
  int64_t k = Shape::kUnknownDim;
  if (std::optional<int64_t> known = shape_fn::KnownIntScalar(c, 1)) {
    if (*known < 0) return c.Error("Need k >= 0, got %d", *known);
    k = *known;
  }
  if (input->unknown_rank()) {
    c.set_output(0, Shape::UnknownRank());
    c.set_output(1, Shape::UnknownRank());
    return absl::OkStatus();
  }
  const int64_t last = input->dim(-1);
  if (last >= 0 && k >= 0 && last < k) {
    return c.Error("input must have last dimension >= k = %d but is %d (input shape %s)", k, last, input->ToString());
  }
  Shape out = input->Subshape(0, input->rank() - 1);
  out.AddDim(k);
  c.set_output(0, out);
  c.set_output(1, out);
  return absl::OkStatus();
}

// The smallest value of `dtype` (-inf for floats): what two-level ranking pads blocks with.
double Lowest(DType dtype) {
  if (IsFloatingDType(dtype)) return -std::numeric_limits<double>::infinity();
  switch (dtype) {
    case DT_INT8: return std::numeric_limits<int8_t>::min();
    case DT_INT16: return std::numeric_limits<int16_t>::min();
    case DT_INT32: return std::numeric_limits<int32_t>::min();
    case DT_INT64: return static_cast<double>(std::numeric_limits<int64_t>::min());
    default: return 0;  // unsigned
  }
}

// a and b (same shape) hold equal keys: equal values, or both NaN.
Value SameKey(PrimitiveBuilder& b, const Value& x, const Value& y) {
  Value eq = b.Binary(BinaryKind::kEq, x, y);
  if (!IsFloatingDType(x.dtype)) return eq;
  return b.Binary(BinaryKind::kOr, eq,
                  b.Binary(BinaryKind::kAnd, b.Unary(UnaryKind::kIsNan, x), b.Unary(UnaryKind::kIsNan, y)));
}

// a's key is greater than b's: a > b, or a is NaN and b is not.
Value GreaterKey(PrimitiveBuilder& b, const Value& x, const Value& y) {
  Value gt = b.Binary(BinaryKind::kGt, x, y);
  if (!IsFloatingDType(x.dtype)) return gt;
  Value nan_over_number =
      b.Binary(BinaryKind::kAnd, b.Unary(UnaryKind::kIsNan, x), b.Unary(UnaryKind::kNot, b.Unary(UnaryKind::kIsNan, y)));
  return b.Binary(BinaryKind::kOr, gt, nan_over_number);
}

// Positions [rows, k] (int32) of the top k of x [rows, m], by ranking: equal keys are ordered
// by position.
Value RankTopK(PrimitiveBuilder& b, const Value& x, int64_t k) {
  const int64_t rows = x.dim(0), m = x.dim(1);
  const Shape square{rows, m, m};  // [r, i, j]: is element i ordered before element j?
  Value xi = b.BroadcastInDim(x, square, {0, 1});
  Value xj = b.BroadcastInDim(x, square, {0, 2});
  Value i_lower = b.Binary(BinaryKind::kLt, b.Iota(DT_INT32, square, 1), b.Iota(DT_INT32, square, 2));
  Value before = b.Binary(BinaryKind::kOr, GreaterKey(b, xi, xj), b.Binary(BinaryKind::kAnd, SameKey(b, xi, xj), i_lower));
  Value rank = b.Reduce(ReduceKind::kSum, b.Convert(before, DT_INT32), {1});  // [r, j]
  const Shape picks{rows, k, m};  // [r, p, j]: is element j the one at position p?
  Value at_p = b.Binary(BinaryKind::kEq, b.BroadcastInDim(rank, picks, {0, 2}), b.Iota(DT_INT32, picks, 1));
  Value j = b.Iota(DT_INT32, picks, 2);
  return b.Reduce(ReduceKind::kSum, b.Select(at_p, j, b.Splat(DT_INT32, picks, 0)), {2});
}

// The index [rows] (int32) of the first largest element of each row of x [rows, n] (the first
// NaN if there is one), from comparisons and min/any reductions only, so that it does not
// depend on how a backend's max reduction treats NaN.
Value FirstLargest(PrimitiveBuilder& b, const Value& x) {
  const Shape shape = x.shape;
  Value iota = b.Iota(DT_INT32, shape, 1);
  Value past_end = b.Splat(DT_INT32, shape, static_cast<double>(x.dim(1)));
  auto first_where = [&](const Value& hit) { return b.Reduce(ReduceKind::kMin, b.Select(hit, iota, past_end), {1}); };
  Value best = b.BroadcastInDim(b.Reduce(ReduceKind::kMax, x, {1}), shape, {0});
  Value first_max = first_where(b.Binary(BinaryKind::kEq, x, best));
  if (!IsFloatingDType(x.dtype)) return first_max;
  Value nan = b.Unary(UnaryKind::kIsNan, x);
  return b.Select(b.Reduce(ReduceKind::kAny, nan, {1}), first_where(nan), first_max);
}

// Elements [rows, k] of x [rows, m] at `positions` [rows, k].
Value TakeAlongRows(PrimitiveBuilder& b, const Value& x, const Value& positions) {
  const int64_t rows = positions.dim(0), k = positions.dim(1);
  return b.Gather(x, b.Reshape(positions, Shape{rows, k, 1}), 1);
}

// The block size of two-level ranking: it minimizes n B + (n k / B)^2, and is at least k (a
// block yields k candidates) and at most n.
int64_t BlockSize(int64_t n, int64_t k) {
  const int64_t b = static_cast<int64_t>(std::cbrt(2.0 * static_cast<double>(n) * static_cast<double>(k) * k));
  return std::min(n, std::max(k, b));
}

// Indices [rows, k] (int32) of the top k of x [rows, n] in two levels: pad the rows to whole
// blocks of `block` with the lowest value (pads sort after every element, being lowest and
// last), take the top k of each block, then the top k of the candidates. Candidates keep block
// order and, within a block, index order among equal values, so ordering equal candidates by
// position orders them by index.
Value BlockedTopK(PrimitiveBuilder& b, const Value& x, int64_t k, int64_t block) {
  const int64_t rows = x.dim(0), n = x.dim(1);
  const int64_t blocks = (n + block - 1) / block;
  Value padded = b.Pad(x, b.ScalarConstant(x.dtype, Lowest(x.dtype)), {0, 0}, {0, blocks * block - n}, {0, 0});
  Value tiles = b.Reshape(padded, Shape{rows * blocks, block});
  Value local = RankTopK(b, tiles, k);  // [rows * blocks, k]
  Value candidates = b.Reshape(TakeAlongRows(b, tiles, local), Shape{rows, blocks * k});
  const Shape grid{rows, blocks, k};
  Value offset = b.Binary(BinaryKind::kMul, b.Iota(DT_INT32, grid, 1), b.Splat(DT_INT32, grid, static_cast<double>(block)));
  Value global = b.Reshape(b.Binary(BinaryKind::kAdd, b.Reshape(local, grid), offset), Shape{rows, blocks * k});
  return TakeAlongRows(b, global, RankTopK(b, candidates, k));
}

absl::Status TopKV2Lowering(LoweringContext& c) {
  PrimitiveBuilder& b = c.b();
  const Value& input = c.input(0);
  if (!input.valid()) return absl::OkStatus();
  if (input.rank() < 1) return absl::InvalidArgumentError(absl::StrCat("input must be at least 1-D, got shape ", input.shape.ToString()));
  absl::StatusOr<std::vector<int64_t>> k_list = c.ConstantInputAsInts(1);
  if (!k_list.ok()) return k_list.status();
  if (k_list->size() != 1) return absl::InvalidArgumentError(absl::StrCat("k must be a scalar, got ", k_list->size(), " values"));
  const int64_t k = (*k_list)[0];
  const int64_t n = input.dim(-1);
  if (k < 0) return absl::InvalidArgumentError(absl::StrCat("Need k >= 0, got ", k));
  if (n < k) {
    return absl::InvalidArgumentError(absl::StrCat("input must have at least k columns. Had ", n, ", needed ", k));
  }
  if (n > std::numeric_limits<int32_t>::max()) {
    return absl::UnimplementedError(absl::StrCat("TopKV2 over ", n, " columns (more than int32 can index)"));
  }
  Shape out_shape = input.shape.Subshape(0, input.rank() - 1);
  out_shape.AddDim(k);
  const DType index_dtype = c.output_dtype(1);
  const int64_t rows = n == 0 ? 0 : input.num_elements() / n;
  if (k == 0 || rows == 0) {
    c.set_output(0, b.Splat(input.dtype, out_shape, 0));
    c.set_output(1, b.Splat(index_dtype, out_shape, 0));
    return absl::OkStatus();
  }
  Value x = b.Reshape(input, Shape{rows, n});
  Value indices;
  const int64_t block = BlockSize(n, k), blocks = (n + block - 1) / block;
  if (k == 1) {
    indices = b.Reshape(FirstLargest(b, x), Shape{rows, 1});
  } else if (rows <= kMaxRankElements / n / n) {
    indices = RankTopK(b, x, k);
  } else if (rows <= kMaxRankElements / (blocks * block) / block &&
             rows <= kMaxRankElements / (blocks * k) / (blocks * k)) {
    indices = BlockedTopK(b, x, k, block);
  } else {
    return absl::UnimplementedError(absl::StrCat(
        "TopKV2 with k = ", k, " over ", rows, " rows of ", n, " columns is too big to compile without a sort "
        "primitive (each ranking level is limited to ", kMaxRankElements, " comparisons)"));
  }
  c.set_output(0, b.Reshape(TakeAlongRows(b, x, indices), out_shape));
  c.set_output(1, b.Reshape(b.Convert(indices, index_dtype), out_shape));
  return absl::OkStatus();
}

// The host kernel: a stable partial sort of each row, NaN first.
absl::Status TopKV2Kernel(HostKernelContext& c) {
  const Tensor& input = c.input(0);
  if (input.rank() < 1) return absl::InvalidArgumentError(absl::StrCat("input must be at least 1-D, got shape ", input.shape().ToString()));
  absl::StatusOr<int64_t> k = c.ScalarIntInput(1, "k");
  if (!k.ok()) return k.status();
  const int64_t n = input.dim(input.rank() - 1);
  if (*k < 0) return absl::InvalidArgumentError(absl::StrCat("Need k >= 0, got ", *k));
  if (n < *k) return absl::InvalidArgumentError(absl::StrCat("input must have at least k columns. Had ", n, ", needed ", *k));
  Shape out_shape = input.shape().Subshape(0, input.rank() - 1);
  out_shape.AddDim(*k);
  absl::StatusOr<Tensor*> values = c.AllocateOutput(0, out_shape);
  if (!values.ok()) return values.status();
  absl::StatusOr<Tensor*> indices = c.AllocateOutput(1, out_shape);
  if (!indices.ok()) return indices.status();
  const int64_t rows = n == 0 ? 0 : input.num_elements() / n;
  bool supported = VisitDType(input.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, bool>) {
      absl::Span<const T> in = input.flat<T>();
      absl::Span<T> out = (*values)->flat<T>();
      std::vector<int64_t> order(n);
      for (int64_t r = 0; r < rows; ++r) {
        const T* row = in.data() + r * n;
        // Compared in T (integers stay exact), 16-bit floats in float.
        auto key = [](T v) {
          if constexpr (std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>) {
            return static_cast<float>(v);
          } else {
            return v;
          }
        };
        auto is_nan = [](auto v) {
          if constexpr (std::is_floating_point_v<decltype(v)>) {
            return std::isnan(v);
          } else {
            return false;
          }
        };
        auto before = [&](int64_t a, int64_t b) {
          const auto va = key(row[a]), vb = key(row[b]);
          const bool na = is_nan(va), nb = is_nan(vb);
          if (na != nb) return na;
          if (!na && va != vb) return va > vb;
          return a < b;
        };
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + *k, order.end(), before);
        for (int64_t p = 0; p < *k; ++p) {
          const int64_t i = order[p], at = r * *k + p;
          out[at] = row[i];
          switch ((*indices)->dtype()) {
            case DT_INT16: (*indices)->flat<int16_t>()[at] = static_cast<int16_t>(i); break;
            case DT_INT32: (*indices)->flat<int32_t>()[at] = static_cast<int32_t>(i); break;
            default: (*indices)->flat<int64_t>()[at] = i;
          }
        }
      }
    }
  });
  if (!supported || input.dtype() == DT_BOOL) {
    return absl::UnimplementedError(absl::StrCat("input dtype ", DTypeName(input.dtype()), " is not supported"));
  }
  return absl::OkStatus();
}

}  // namespace

REGISTER_OP("TopKV2")
    .Input("input: T")
    .Input("k: Tk")
    .Output("values: T")
    .Output("indices: index_type")
    .Attr("sorted: bool = true")
    .Attr(kRealNumberTypes)
    .Attr("Tk: {int16, int32, int64} = DT_INT32")
    .Attr("index_type: {int16, int32, int64} = DT_INT32")
    .SetShapeFn(TopKShape)
    .SetLowering(TopKV2Lowering)
    .SetHostKernel(TopKV2Kernel);

}  // namespace strata
