// Small helpers for shape functions that name the argument at fault, shared by the op files
// that need them (scan, sort, scatter, einsum and data-dependent ops).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "graph/shape.h"
#include "graph/shape_inference.h"
#include "graph/str_util.h"

namespace strata::shape_fn {

// Input i with exactly `rank` dims (unknown rank becomes `rank` unknown dims); the error names
// the argument: "input 'boxes': Shape must be rank 2 but is rank 1 (shape [4])".
inline absl::StatusOr<Shape> InputWithRank(const InferenceContext& c, int i, int rank, std::string_view name) {
  Shape s;
  absl::Status st = c.WithRank(c.input(i), rank, &s);
  if (!st.ok()) return absl::Status(st.code(), absl::StrCat("input '", Absl(name), "': ", st.message()));
  return s;
}

// Input i with at least `rank` dims (unknown rank stays unknown).
inline absl::StatusOr<Shape> InputWithRankAtLeast(const InferenceContext& c, int i, int rank,
                                                  std::string_view name) {
  Shape s;
  absl::Status st = c.WithRankAtLeast(c.input(i), rank, &s);
  if (!st.ok()) return absl::Status(st.code(), absl::StrCat("input '", Absl(name), "': ", st.message()));
  return s;
}

// Merges two dims that must agree; the error says which ones (`what`).
inline absl::StatusOr<int64_t> MergeDim(const InferenceContext& c, int64_t a, int64_t b, std::string_view what) {
  int64_t out;
  absl::Status st = c.MergeDims(a, b, &out);
  if (!st.ok()) return absl::Status(st.code(), absl::StrCat(st.message(), " for ", Absl(what)));
  return out;
}

// The value of a known integer scalar input (nullopt when unknown).
inline std::optional<int64_t> KnownIntScalar(const InferenceContext& c, int i) {
  const Tensor* t = c.input_tensor(i);
  if (t == nullptr || t->num_elements() != 1 || !IsIntegerDType(t->dtype())) return std::nullopt;
  return t->ElementAsInt64(0);
}

}  // namespace strata::shape_fn
