#include "frontends/keras/batching.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace strata::keras::internal {
namespace {

absl::Status CheckBatchable(const Tensor& t) {
  if (!t.valid() || t.rank() < 1) return absl::InvalidArgumentError("expected a tensor with a batch dimension");
  if (t.dtype() == DT_STRING) return absl::UnimplementedError("string tensors cannot be batched");
  return absl::OkStatus();
}

Shape WithRows(const Shape& s, int64_t rows) {
  std::vector<int64_t> dims = s.dims();
  dims[0] = rows;
  return Shape(dims);
}

}  // namespace

absl::StatusOr<Tensor> TakeRows(const Tensor& t, const std::vector<int64_t>& rows) {
  if (absl::Status s = CheckBatchable(t); !s.ok()) return s;
  const int64_t n = t.dim(0);
  const size_t row_bytes = n > 0 ? t.byte_size() / static_cast<size_t>(n) : 0;
  Tensor out(t.dtype(), WithRows(t.shape(), static_cast<int64_t>(rows.size())));
  const char* src = static_cast<const char*>(t.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= n) return absl::OutOfRangeError(absl::StrCat("row ", rows[i], " out of [0, ", n, ")"));
    std::memcpy(dst + i * row_bytes, src + static_cast<size_t>(rows[i]) * row_bytes, row_bytes);
  }
  return out;
}

absl::StatusOr<Tensor> SliceRows(const Tensor& t, int64_t begin, int64_t end) {
  if (absl::Status s = CheckBatchable(t); !s.ok()) return s;
  const int64_t n = t.dim(0);
  if (begin < 0 || end > n || begin > end) {
    return absl::OutOfRangeError(absl::StrCat("rows [", begin, ", ", end, ") out of [0, ", n, ")"));
  }
  const size_t row_bytes = n > 0 ? t.byte_size() / static_cast<size_t>(n) : 0;
  Tensor out(t.dtype(), WithRows(t.shape(), end - begin));
  if (end > begin) {
    std::memcpy(out.raw_data(), static_cast<const char*>(t.raw_data()) + static_cast<size_t>(begin) * row_bytes,
                static_cast<size_t>(end - begin) * row_bytes);
  }
  return out;
}

absl::StatusOr<Tensor> ConcatRows(const std::vector<Tensor>& parts) {
  if (parts.empty()) return absl::InvalidArgumentError("nothing to concatenate");
  int64_t rows = 0;
  for (const Tensor& p : parts) {
    if (absl::Status s = CheckBatchable(p); !s.ok()) return s;
    if (p.dtype() != parts[0].dtype() || p.shape().Subshape(1) != parts[0].shape().Subshape(1)) {
      return absl::InvalidArgumentError("batches differ in dtype or trailing dims");
    }
    rows += p.dim(0);
  }
  Tensor out(parts[0].dtype(), WithRows(parts[0].shape(), rows));
  char* dst = static_cast<char*>(out.raw_data());
  for (const Tensor& p : parts) {
    if (p.byte_size() > 0) std::memcpy(dst, p.raw_data(), p.byte_size());
    dst += p.byte_size();
  }
  return out;
}

}  // namespace strata::keras::internal
