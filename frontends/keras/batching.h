// Host-side batch helpers over Tensors (examples along dim 0): what fit, evaluate and predict
// feed the Session with.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/tensor.h"

namespace strata::keras::internal {

// Rows `rows` of t, in that order.
absl::StatusOr<Tensor> TakeRows(const Tensor& t, const std::vector<int64_t>& rows);
// Rows [begin, end) of t.
absl::StatusOr<Tensor> SliceRows(const Tensor& t, int64_t begin, int64_t end);
// The tensors concatenated along dim 0 (same dtype and trailing dims).
absl::StatusOr<Tensor> ConcatRows(const std::vector<Tensor>& parts);

}  // namespace strata::keras::internal
