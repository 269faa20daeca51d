// SpaceToBatchND and BatchToSpaceND (tensorflow/core/ops/array_ops.cc): schemas, shape functions,
// lowerings and gradients. Both lower like TensorFlow's own decomposition (XLA's
// space_to_batch / batch_to_space): pad + reshape + transpose + reshape, and its inverse
// reshape + transpose + reshape + slice. Each op's gradient is the other op.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "graph/shape.h"
#include "graph/shape_inference.h"
#include "ops/gradient.h"
#include "ops/lowering.h"
#include "ops/registry.h"

namespace strata {
namespace {

// The statically known values of an integer input, or empty when unknown.
std::optional<std::vector<int64_t>> KnownInts(const InferenceContext& c, int i) {
  const Tensor* t = c.input_tensor(i);
  if (t == nullptr) return std::nullopt;
  std::vector<int64_t> v;
  for (int64_t k = 0; k < t->num_elements(); ++k) v.push_back(t->ElementAsInt64(k));
  return v;
}

// The block_shape values must be >= 1 (both ops).
absl::Status CheckBlockShape(const std::vector<int64_t>& block) {
  for (size_t i = 0; i < block.size(); ++i) {
    if (block[i] < 1) {
      return absl::InvalidArgumentError(absl::StrCat("block_shape must be positive, but block_shape[", i, "] is ", block[i]));
    }
  }
  return absl::OkStatus();
}

// paddings / crops (`what`) must be >= 0.
absl::Status CheckNonNegative(const std::vector<int64_t>& pairs, const char* what) {
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (pairs[i] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(what, " cannot be negative, but ", what, "[", i / 2, "][", i % 2,
                                                     "] is ", pairs[i]));
    }
  }
  return absl::OkStatus();
}

// Output size of spatial dim i (1-based in the input) of SpaceToBatchND: (d + pad_start +
// pad_end) / block, which must divide evenly.
absl::StatusOr<int64_t> PaddedSpatialSize(int64_t d, int i, int64_t block, int64_t pad_start, int64_t pad_end) {
  const int64_t padded = d + pad_start + pad_end;
  if (padded % block != 0) {
    return absl::InvalidArgumentError(absl::StrCat("padded size ", padded, " of input dimension ", i + 1,
                                                   " (size ", d, " + paddings ", pad_start, ", ", pad_end,
                                                   ") is not divisible by block_shape[", i, "] = ", block));
  }
  return padded / block;
}

// Output size of spatial dim i of BatchToSpaceND: d * block - crop_start - crop_end >= 0.
absl::StatusOr<int64_t> CroppedSpatialSize(int64_t d, int i, int64_t block, int64_t crop_start, int64_t crop_end) {
  const int64_t size = d * block - crop_start - crop_end;
  if (size < 0) {
    return absl::InvalidArgumentError(absl::StrCat("crops ", crop_start, ", ", crop_end, " of input dimension ", i + 1,
                                                   " are larger than its size ", d, " * block_shape[", i,
                                                   "] = ", d * block));
  }
  return size;
}

// What both shape functions share: M (the length of block_shape), the input with rank >= M + 1,
// paddings/crops of shape [M, 2], and whatever values are known.
struct ShapeArgs {
  int num_block_dims = 0;
  Shape input;
  std::optional<std::vector<int64_t>> block, pairs;
};

absl::StatusOr<ShapeArgs> ReadShapeArgs(const InferenceContext& c, const char* pairs_name) {
  const Shape& block_shape = c.input(1);
  // As in TensorFlow, M must be known: the output's rank depends on it.
  if (block_shape.rank() != 1) {
    return c.Error("block_shape must have rank 1, but has shape %s", block_shape.ToString());
  }
  if (block_shape.dim(0) < 0) return c.Error("block_shape must have known size, but has shape %s", block_shape.ToString());
  ShapeArgs a;
  a.num_block_dims = static_cast<int>(block_shape.dim(0));
  if (absl::Status s = c.WithRankAtLeast(c.input(0), a.num_block_dims + 1, &a.input); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("input: ", s.message(), " (block_shape has ", a.num_block_dims,
                                               " elements)"));
  }
  Shape pairs;
  if (absl::Status s = c.MergeShapes(c.input(2), Shape{a.num_block_dims, 2}, &pairs); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(pairs_name, " must have shape [", a.num_block_dims, ", 2]: ", s.message()));
  }
  a.block = KnownInts(c, 1);
  a.pairs = KnownInts(c, 2);
  if (a.block) {
    if (absl::Status s = CheckBlockShape(*a.block); !s.ok()) return s;
  }
  if (a.pairs) {
    if (absl::Status s = CheckNonNegative(*a.pairs, pairs_name); !s.ok()) return s;
  }
  return a;
}

absl::Status SpaceToBatchNDShape(InferenceContext& c) {
  absl::StatusOr<ShapeArgs> a = ReadShapeArgs(c, "paddings");
  if (!a.ok()) return a.status();
  if (a->input.unknown_rank()) {
    c.set_output(0, Shape::UnknownRank());
    return absl::OkStatus();
  }
  const int m = a->num_block_dims;
  Shape out = a->input;
  if (a->block) {
    int64_t batch = out.dim(0);
    for (int64_t b : *a->block) {
      if (batch >= 0 && __builtin_mul_overflow(batch, b, &batch)) return c.Error("output batch size overflows");
    }
    out.set_dim(0, batch);
  } else if (m > 0) {
    out.set_dim(0, Shape::kUnknownDim);
  }
  for (int i = 0; i < m; ++i) {
    const int64_t d = a->input.dim(i + 1);
    if (!a->block || !a->pairs || d < 0) {
      out.set_dim(i + 1, Shape::kUnknownDim);
      continue;
    }
    absl::StatusOr<int64_t> size = PaddedSpatialSize(d, i, (*a->block)[i], (*a->pairs)[2 * i], (*a->pairs)[2 * i + 1]);
    if (!size.ok()) return size.status();
    out.set_dim(i + 1, *size);
  }
  c.set_output(0, std::move(out));
  return absl::OkStatus();
}

absl::Status BatchToSpaceNDShape(InferenceContext& c) {
  absl::StatusOr<ShapeArgs> a = ReadShapeArgs(c, "crops");
  if (!a.ok()) return a.status();
  if (a->input.unknown_rank()) {
    c.set_output(0, Shape::UnknownRank());
    return absl::OkStatus();
  }
  const int m = a->num_block_dims;
  Shape out = a->input;
  if (a->block) {
    int64_t product = 1;
    for (int64_t b : *a->block) {
      if (__builtin_mul_overflow(product, b, &product)) return c.Error("the product of block_shape overflows");
    }
    const int64_t batch = out.dim(0);
    if (batch >= 0 && batch % product != 0) {
      return c.Error("input batch size %d is not divisible by the product of block_shape %d", batch, product);
    }
    out.set_dim(0, batch < 0 ? Shape::kUnknownDim : batch / product);
  } else if (m > 0) {
    out.set_dim(0, Shape::kUnknownDim);
  }
  for (int i = 0; i < m; ++i) {
    const int64_t d = a->input.dim(i + 1);
    if (!a->block || !a->pairs || d < 0) {
      out.set_dim(i + 1, Shape::kUnknownDim);
      continue;
    }
    absl::StatusOr<int64_t> size = CroppedSpatialSize(d, i, (*a->block)[i], (*a->pairs)[2 * i], (*a->pairs)[2 * i + 1]);
    if (!size.ok()) return size.status();
    out.set_dim(i + 1, *size);
  }
  c.set_output(0, std::move(out));
  return absl::OkStatus();
}

// ---- Lowerings ----------------------------------------------------------------------------------

// block_shape and paddings/crops, known at compile time and checked against the static input.
struct LowerArgs {
  std::vector<int64_t> block, pairs;
};

absl::StatusOr<LowerArgs> ReadLowerArgs(LoweringContext& c, const char* pairs_name) {
  absl::StatusOr<std::vector<int64_t>> block = c.ConstantInputAsInts(1);
  if (!block.ok()) return block.status();
  absl::StatusOr<std::vector<int64_t>> pairs = c.ConstantInputAsInts(2);
  if (!pairs.ok()) return pairs.status();
  const int64_t m = static_cast<int64_t>(block->size());
  if (static_cast<int64_t>(pairs->size()) != 2 * m) {
    return absl::InvalidArgumentError(
        absl::StrCat(pairs_name, " must have shape [", m, ", 2] but has ", pairs->size(), " elements"));
  }
  if (c.input(0).rank() < m + 1) {
    return absl::InvalidArgumentError(absl::StrCat("input must have rank at least ", m + 1, " but has shape ",
                                                   c.input(0).shape.ToString()));
  }
  if (absl::Status s = CheckBlockShape(*block); !s.ok()) return s;
  if (absl::Status s = CheckNonNegative(*pairs, pairs_name); !s.ok()) return s;
  return LowerArgs{*std::move(block), *std::move(pairs)};
}

// [B, S_1..S_M, R...] -> pad -> [B, P_1/b_1, b_1, ..., P_M/b_M, b_M, R...]
// -> [b_1..b_M, B, P_1/b_1..P_M/b_M, R...] -> [b_1*..*b_M*B, P_1/b_1..P_M/b_M, R...].
absl::Status LowerSpaceToBatchND(LoweringContext& c) {
  absl::StatusOr<LowerArgs> a = ReadLowerArgs(c, "paddings");
  if (!a.ok()) return a.status();
  PrimitiveBuilder& b = c.b();
  const Value& x = c.input(0);
  const int m = static_cast<int>(a->block.size()), rank = x.rank();
  std::vector<int64_t> lo(rank, 0), hi(rank, 0), interior(rank, 0);
  for (int i = 0; i < m; ++i) {
    lo[i + 1] = a->pairs[2 * i];
    hi[i + 1] = a->pairs[2 * i + 1];
  }
  Value padded = b.Pad(x, b.ScalarConstant(x.dtype, 0), lo, hi, interior);
  if (!b.ok()) return b.status();
  int64_t batch = x.dim(0);
  std::vector<int64_t> split{x.dim(0)}, grid;
  for (int i = 0; i < m; ++i) {
    absl::StatusOr<int64_t> size = PaddedSpatialSize(x.dim(i + 1), i, a->block[i], lo[i + 1], hi[i + 1]);
    if (!size.ok()) return size.status();
    split.push_back(*size);
    split.push_back(a->block[i]);
    grid.push_back(*size);
    batch *= a->block[i];
  }
  std::vector<int64_t> perm;
  for (int i = 0; i < m; ++i) perm.push_back(2 + 2 * i);  // the block offsets first
  perm.push_back(0);
  for (int i = 0; i < m; ++i) perm.push_back(1 + 2 * i);
  std::vector<int64_t> out{batch};
  out.insert(out.end(), grid.begin(), grid.end());
  for (int d = m + 1; d < rank; ++d) {
    split.push_back(x.dim(d));
    perm.push_back(2 * m + 1 + (d - m - 1));
    out.push_back(x.dim(d));
  }
  Value y = b.Transpose(b.Reshape(padded, Shape(split)), perm);
  c.set_output(0, b.Reshape(y, Shape(out)));
  return absl::OkStatus();
}

// [B, S_1..S_M, R...] -> [b_1..b_M, B', S_1..S_M, R...] -> [B', S_1, b_1, ..., S_M, b_M, R...]
// -> [B', S_1*b_1, ..., S_M*b_M, R...] -> crop.
absl::Status LowerBatchToSpaceND(LoweringContext& c) {
  absl::StatusOr<LowerArgs> a = ReadLowerArgs(c, "crops");
  if (!a.ok()) return a.status();
  PrimitiveBuilder& b = c.b();
  const Value& x = c.input(0);
  const int m = static_cast<int>(a->block.size()), rank = x.rank();
  int64_t product = 1;
  for (int64_t v : a->block) product *= v;
  if (x.dim(0) % product != 0) {
    return absl::InvalidArgumentError(absl::StrCat("input batch size ", x.dim(0),
                                                   " is not divisible by the product of block_shape ", product));
  }
  const int64_t batch = x.dim(0) / product;
  std::vector<int64_t> split(a->block.begin(), a->block.end());
  split.push_back(batch);
  std::vector<int64_t> perm{m}, merged{batch}, start(rank, 0), limit;
  for (int i = 0; i < m; ++i) {
    split.push_back(x.dim(i + 1));
    perm.push_back(m + 1 + i);
    perm.push_back(i);
    merged.push_back(x.dim(i + 1) * a->block[i]);
    absl::StatusOr<int64_t> size =
        CroppedSpatialSize(x.dim(i + 1), i, a->block[i], a->pairs[2 * i], a->pairs[2 * i + 1]);
    if (!size.ok()) return size.status();
    start[i + 1] = a->pairs[2 * i];
  }
  for (int d = m + 1; d < rank; ++d) {
    split.push_back(x.dim(d));
    perm.push_back(m + d);
    merged.push_back(x.dim(d));
  }
  limit = merged;
  for (int i = 0; i < m; ++i) limit[i + 1] -= a->pairs[2 * i + 1];
  Value y = b.Reshape(b.Transpose(b.Reshape(x, Shape(split)), perm), Shape(merged));
  c.set_output(0, b.Slice(y, start, limit, std::vector<int64_t>(rank, 1)));
  return absl::OkStatus();
}

// ---- Gradients (tensorflow/python/ops/array_grad.py) ---------------------------------------------

absl::Status SpaceToBatchNDGrad(GradientContext& c) {
  c.set_dx(0, c.Op("BatchToSpaceND", {c.dy(0), c.input(1), c.input(2)}));
  return c.status();
}

absl::Status BatchToSpaceNDGrad(GradientContext& c) {
  c.set_dx(0, c.Op("SpaceToBatchND", {c.dy(0), c.input(1), c.input(2)}));
  return c.status();
}

}  // namespace

REGISTER_OP("SpaceToBatchND")
    .Input("input: T")
    .Input("block_shape: Tblock_shape")
    .Input("paddings: Tpaddings")
    .Output("output: T")
    .Attr("T: type")
    .Attr("Tblock_shape: {int32, int64} = DT_INT32")
    .Attr("Tpaddings: {int32, int64} = DT_INT32")
    .SetShapeFn(SpaceToBatchNDShape)
    .SetLowering(LowerSpaceToBatchND)
    .SetGradient(SpaceToBatchNDGrad)
    .Doc("Zero-pads the spatial dims and moves blocks of them into the batch dim.");

REGISTER_OP("BatchToSpaceND")
    .Input("input: T")
    .Input("block_shape: Tblock_shape")
    .Input("crops: Tcrops")
    .Output("output: T")
    .Attr("T: type")
    .Attr("Tblock_shape: {int32, int64} = DT_INT32")
    .Attr("Tcrops: {int32, int64} = DT_INT32")
    .SetShapeFn(BatchToSpaceNDShape)
    .SetLowering(LowerBatchToSpaceND)
    .SetGradient(BatchToSpaceNDGrad)
    .Doc("Moves blocks of the batch dim back into the spatial dims and crops them.");

}  // namespace strata
