// Scatter ops: ScatterNd, TensorScatterUpdate (schemas from tensorflow/core/ops/array_ops.cc)
// and SparseToDense (sparse_ops.cc); semantics from tensorflow/core/kernels/scatter_nd_op.cc
// and sparse_to_dense_op.cc.
//
// The primitive set has a gather but no scatter, so these ops run as host kernels
// (ops/host_kernel.h): writing through data-dependent indices is a loop on the host, linear in
// the data. Their output shapes are static (from the shape input or the tensor input), so
// shape inference still knows them. Every index is bounds-checked; an index out of range is
// InvalidArgument naming it.
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/dtype_visit.h"
#include "graph/shape_inference.h"
#include "graph/tensor.h"
#include "ops/host_kernel.h"
#include "ops/registry.h"
#include "ops/shape_fn_util.h"

namespace strata {
namespace {

// ---- Shape functions -------------------------------------------------------------------------

// TF's ScatterNdShapeHelper: indices [outer..., K], updates [outer..., output dims K...].
absl::Status CheckScatterShapes(InferenceContext& c, const Shape& indices, const Shape& updates, const Shape& output) {
  if (output.IsFullyDefined() && output.num_elements() == 0 &&
      ((indices.IsFullyDefined() && indices.num_elements() > 0) ||
       (updates.IsFullyDefined() && updates.num_elements() > 0))) {
    return c.Error("Indices and updates specified for empty output shape %s", output.ToString());
  }
  if (indices.unknown_rank() || updates.unknown_rank() || indices.dim(-1) < 0) return absl::OkStatus();
  const int outer = indices.rank() - 1;
  const int64_t k = indices.dim(-1);
  if (updates.rank() < outer || !indices.Subshape(0, outer).IsCompatibleWith(updates.Subshape(0, outer))) {
    return c.Error("The outer %d dimensions of indices.shape=%s must match the outer %d dimensions of updates.shape=%s",
                   outer, indices.ToString(), outer, updates.ToString());
  }
  if (output.unknown_rank()) return absl::OkStatus();
  if (k > output.rank()) {
    return c.Error("Index innermost dimension length must be <= output rank; saw: %d vs. %d (output shape %s)", k,
                   output.rank(), output.ToString());
  }
  if (!output.Subshape(static_cast<int>(k)).IsCompatibleWith(updates.Subshape(outer))) {
    return c.Error("The inner %d dimensions of output.shape=%s must match the inner %d dimensions of updates.shape=%s",
                   output.rank() - k, output.ToString(), updates.rank() - outer, updates.ToString());
  }
  return absl::OkStatus();
}

absl::Status ScatterNdShape(InferenceContext& c) {
  absl::StatusOr<Shape> indices = shape_fn::InputWithRankAtLeast(c, 0, 1, "indices");
  if (!indices.ok()) return indices.status();
  absl::StatusOr<Shape> updates = shape_fn::InputWithRankAtLeast(c, 1, 1, "updates");
  if (!updates.ok()) return updates.status();
  absl::StatusOr<Shape> output = c.InputAsShape(2);
  if (!output.ok()) return output.status();
  if (absl::Status s = CheckScatterShapes(c, *indices, *updates, *output); !s.ok()) return s;
  c.set_output(0, *output);
  return absl::OkStatus();
}

absl::Status TensorScatterShape(InferenceContext& c) {
  absl::StatusOr<Shape> tensor = shape_fn::InputWithRankAtLeast(c, 0, 1, "tensor");
  if (!tensor.ok()) return tensor.status();
  absl::StatusOr<Shape> indices = shape_fn::InputWithRankAtLeast(c, 1, 1, "indices");
  if (!indices.ok()) return indices.status();
  absl::StatusOr<Shape> updates = shape_fn::InputWithRankAtLeast(c, 2, 1, "updates");
  if (!updates.ok()) return updates.status();
  if (absl::Status s = CheckScatterShapes(c, *indices, *updates, *tensor); !s.ok()) return s;
  c.set_output(0, *tensor);
  return absl::OkStatus();
}

absl::Status SparseToDenseShape(InferenceContext& c) {
  absl::StatusOr<Shape> out = c.InputAsShape(1);
  if (!out.ok()) return out.status();
  c.set_output(0, *out);
  return absl::OkStatus();
}

// ---- Kernels -----------------------------------------------------------------------------------

std::string IndexString(const Tensor& indices, int64_t row, int64_t k) {
  std::vector<int64_t> v;
  for (int64_t j = 0; j < k; ++j) v.push_back(indices.ElementAsInt64(row * k + j));
  return absl::StrCat("[", absl::StrJoin(v, ", "), "]");
}

// The shape an int vector input holds, every dim >= 0.
absl::StatusOr<Shape> ShapeFromVector(const Tensor& t, std::string_view what) {
  if (t.rank() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(Absl(what), " must be a vector, got shape ", t.shape().ToString()));
  }
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    const int64_t d = t.ElementAsInt64(i);
    if (d < 0) return absl::InvalidArgumentError(absl::StrCat(Absl(what), "[", i, "] = ", d, " must be non-negative"));
    dims.push_back(d);
  }
  return Shape(std::move(dims));
}

// Where scatter updates go: slice `n` of updates (slice_size elements) lands at element
// offsets[n] of the flattened output.
struct ScatterPlan {
  int64_t slice_size = 1;
  std::vector<int64_t> offsets;
};

// Checks indices [outer..., K] and updates [outer..., out dims K...] against `out` as TF's
// kernels do, and bounds-checks every index.
absl::StatusOr<ScatterPlan> PlanScatter(const Tensor& indices, const Tensor& updates, const Shape& out) {
  if (out.rank() < 1) return absl::InvalidArgumentError(absl::StrCat("Output must be at least 1-D, got shape ", out.ToString()));
  if (indices.rank() < 1) {
    return absl::InvalidArgumentError(absl::StrCat("indices must be at least 1-D, got shape ", indices.shape().ToString()));
  }
  if (out.num_elements() == 0 && (indices.num_elements() > 0 || updates.num_elements() > 0)) {
    return absl::InvalidArgumentError(absl::StrCat("Indices and updates specified for empty output shape ", out.ToString()));
  }
  const int outer = indices.rank() - 1;
  const int64_t k = indices.dim(-1);
  if (k > out.rank()) {
    return absl::InvalidArgumentError(absl::StrCat("Index innermost dimension length must be <= output rank; saw: ", k,
                                                   " vs. ", out.rank(), " (output shape ", out.ToString(), ")"));
  }
  Shape want = indices.shape().Subshape(0, outer);
  want.AppendShape(out.Subshape(static_cast<int>(k)));
  if (updates.shape() != want) {
    return absl::InvalidArgumentError(absl::StrCat("Must have updates.shape = indices.shape[:-1] + output.shape[", k,
                                                   ":] = ", want.ToString(), ", got ", updates.shape().ToString()));
  }
  ScatterPlan plan;
  plan.slice_size = out.Subshape(static_cast<int>(k)).num_elements();
  const int64_t count = indices.shape().Subshape(0, outer).num_elements();  // index vectors
  for (int64_t n = 0; n < count; ++n) {
    int64_t offset = 0;
    for (int64_t j = 0; j < k; ++j) {
      const int64_t v = indices.ElementAsInt64(n * k + j);
      if (v < 0 || v >= out.dim(static_cast<int>(j))) {
        return absl::InvalidArgumentError(absl::StrCat("indices", outer == 0 ? "" : absl::StrCat("[", n, "]"), " = ",
                                                       IndexString(indices, n, k), " does not index into shape ",
                                                       out.ToString()));
      }
      offset = offset * out.dim(static_cast<int>(j)) + v;
    }
    plan.offsets.push_back(offset * plan.slice_size);
  }
  return plan;
}

// out[offsets[n] + s] = combine(out[...], updates[n * slice + s]) for every update, in order.
template <bool kAccumulate>
absl::Status ApplyScatter(const ScatterPlan& plan, const Tensor& updates, Tensor* out) {
  bool supported = VisitDType(out->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    absl::Span<T> o = out->flat<T>();
    absl::Span<const T> u = updates.flat<T>();
    for (size_t n = 0; n < plan.offsets.size(); ++n) {
      for (int64_t s = 0; s < plan.slice_size; ++s) {
        T& dst = o[plan.offsets[n] + s];
        const T src = u[n * plan.slice_size + s];
        if constexpr (!kAccumulate) {
          dst = src;
        } else if constexpr (std::is_same_v<T, bool>) {
          dst = dst || src;
        } else if constexpr (std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>) {
          dst = T(static_cast<float>(dst) + static_cast<float>(src));
        } else if constexpr (std::is_integral_v<T>) {
          // Wrapping, like TF's two's-complement integer adds.
          using U = std::make_unsigned_t<T>;
          dst = static_cast<T>(static_cast<U>(dst) + static_cast<U>(src));
        } else {
          dst = dst + src;
        }
      }
    }
  });
  if (!supported) return absl::UnimplementedError(absl::StrCat("dtype ", DTypeName(out->dtype()), " is not supported"));
  return absl::OkStatus();
}

// Zeros of `shape` with the updates added at the indices (duplicates accumulate).
absl::Status ScatterNdKernel(HostKernelContext& c) {
  const Tensor& indices = c.input(0);
  const Tensor& updates = c.input(1);
  absl::StatusOr<Shape> shape = ShapeFromVector(c.input(2), "shape");
  if (!shape.ok()) return shape.status();
  absl::StatusOr<ScatterPlan> plan = PlanScatter(indices, updates, *shape);
  if (!plan.ok()) return plan.status();
  absl::StatusOr<Tensor*> out = c.AllocateOutput(0, *shape);
  if (!out.ok()) return out.status();
  return ApplyScatter<true>(*plan, updates, *out);
}

// A copy of tensor with the updates written at the indices (the last of duplicates wins).
absl::Status TensorScatterUpdateKernel(HostKernelContext& c) {
  const Tensor& tensor = c.input(0);
  absl::StatusOr<ScatterPlan> plan = PlanScatter(c.input(1), c.input(2), tensor.shape());
  if (!plan.ok()) return plan.status();
  Tensor out = tensor.Clone();
  if (absl::Status s = ApplyScatter<false>(*plan, c.input(2), &out); !s.ok()) return s;
  c.set_output(0, std::move(out));
  return absl::OkStatus();
}

// Validates SparseToDense's indices like TF with validate_indices: in bounds, and
// lexicographically increasing (sorted, no repeats).
absl::Status ValidateSparseIndices(const Tensor& indices, int64_t num, int64_t dims, const Shape& shape) {
  for (int64_t n = 0; n < num; ++n) {
    bool increasing = n == 0, decided = n == 0;
    for (int64_t j = 0; j < dims; ++j) {
      const int64_t v = indices.ElementAsInt64(n * dims + j);
      if (v < 0 || v >= shape.dim(static_cast<int>(j))) {
        return absl::InvalidArgumentError(absl::StrCat("indices[", n, "] = ", IndexString(indices, n, dims),
                                                       " is out of bounds: need 0 <= index < ", shape.ToString()));
      }
      if (!decided) {
        const int64_t prev = indices.ElementAsInt64((n - 1) * dims + j);
        if (v != prev) {
          increasing = v > prev;
          decided = true;
        }
      }
    }
    if (!decided) return absl::InvalidArgumentError(absl::StrCat("indices[", n, "] = ", IndexString(indices, n, dims), " is repeated"));
    if (!increasing) {
      return absl::InvalidArgumentError(absl::StrCat("indices[", n, "] = ", IndexString(indices, n, dims),
                                                     " is out of order. Many sparse ops require sorted indices. "
                                                     "Use `tf.sparse.reorder` to create a correctly ordered copy."));
    }
  }
  return absl::OkStatus();
}

absl::Status SparseToDenseKernel(HostKernelContext& c) {
  const Tensor& indices = c.input(0);
  const Tensor& values = c.input(2);
  const Tensor& default_value = c.input(3);
  if (indices.rank() > 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("sparse_indices should be a scalar, vector, or matrix, got shape ", indices.shape().ToString()));
  }
  const int64_t num = indices.rank() > 0 ? indices.dim(0) : 1;
  const int64_t dims = indices.rank() > 1 ? indices.dim(1) : 1;
  absl::StatusOr<Shape> shape = ShapeFromVector(c.input(1), "output_shape");
  if (!shape.ok()) return shape.status();
  if (shape->rank() != dims) {
    return absl::InvalidArgumentError(absl::StrCat("output_shape has incorrect number of elements: ", shape->rank(),
                                                   " should be: ", dims));
  }
  const bool broadcast_value = values.rank() == 0;
  if (!broadcast_value && !(values.rank() == 1 && values.dim(0) == num)) {
    return absl::InvalidArgumentError(absl::StrCat("sparse_values has incorrect shape ", values.shape().ToString(),
                                                   ", should be [] or [", num, "]"));
  }
  if (default_value.rank() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("default_value should be a scalar, got shape ", default_value.shape().ToString()));
  }
  bool validate = true;
  if (absl::Status s = c.GetAttr("validate_indices", &validate); !s.ok()) return s;
  if (validate) {
    if (absl::Status s = ValidateSparseIndices(indices, num, dims, *shape); !s.ok()) return s;
  }
  ScatterPlan plan;
  for (int64_t n = 0; n < num; ++n) {
    int64_t offset = 0;
    for (int64_t j = 0; j < dims; ++j) {
      const int64_t v = indices.ElementAsInt64(n * dims + j);
      if (v < 0 || v >= shape->dim(static_cast<int>(j))) {  // checked here too when not validating
        return absl::InvalidArgumentError(absl::StrCat("indices[", n, "] = ", IndexString(indices, n, dims),
                                                       " is out of bounds: need 0 <= index < ", shape->ToString()));
      }
      offset = offset * shape->dim(static_cast<int>(j)) + v;
    }
    plan.offsets.push_back(offset);
  }
  absl::StatusOr<Tensor*> out = c.AllocateOutput(0, *shape);
  if (!out.ok()) return out.status();
  bool supported = VisitDType(values.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    absl::Span<T> o = (*out)->flat<T>();
    const T fill = default_value.flat<T>()[0];
    for (T& v : o) v = fill;
    for (size_t n = 0; n < plan.offsets.size(); ++n) o[plan.offsets[n]] = values.flat<T>()[broadcast_value ? 0 : n];
  });
  if (!supported) return absl::UnimplementedError(absl::StrCat("dtype ", DTypeName(values.dtype()), " is not supported"));
  return absl::OkStatus();
}

}  // namespace

REGISTER_OP("ScatterNd")
    .Input("indices: Tindices")
    .Input("updates: T")
    .Input("shape: Tindices")
    .Output("output: T")
    .Attr("T: type")
    .Attr("Tindices: {int16, int32, int64}")
    .SetShapeFn(ScatterNdShape)
    .SetHostKernel(ScatterNdKernel);

REGISTER_OP("TensorScatterUpdate")
    .Input("tensor: T")
    .Input("indices: Tindices")
    .Input("updates: T")
    .Output("output: T")
    .Attr("T: type")
    .Attr("Tindices: {int16, int32, int64, uint16}")
    .SetShapeFn(TensorScatterShape)
    .SetHostKernel(TensorScatterUpdateKernel);

REGISTER_OP("SparseToDense")
    .Input("sparse_indices: Tindices")
    .Input("output_shape: Tindices")
    .Input("sparse_values: T")
    .Input("default_value: T")
    .Attr("validate_indices: bool = true")
    .Attr("T: type")
    .Output("dense: T")
    .Attr("Tindices: {int32, int64}")
    .SetShapeFn(SparseToDenseShape)
    .SetHostKernel(SparseToDenseKernel);

}  // namespace strata
