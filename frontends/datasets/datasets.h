// Datasets for examples, tests and the Keras-style API: an IDX reader (the format of MNIST and
// Fashion-MNIST, gzip-compressed or not) and batch helpers over Tensors.
//
//   absl::StatusOr<datasets::FashionMnist> data = datasets::LoadFashionMnist();   // Debian's files
//   Tensor x = datasets::ImagesToFloat(data->train.images, {-1, 784});            // [60000,784] in [0,1]
//   Tensor xb = datasets::GatherRows(x, {order.begin() + 0, order.begin() + 128});
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/tensor.h"

namespace strata::datasets {

// An IDX file as a Tensor: the type byte gives the dtype (0x08 uint8, 0x09 int8, 0x0B int16,
// 0x0C int32, 0x0D float32, 0x0E float64; multi-byte values are big-endian), the header the
// shape. gzip input (Debian ships .gz) is detected by its magic bytes. Errors name the file and
// what is wrong: missing, not IDX, unknown type, truncated or with trailing bytes.
absl::StatusOr<Tensor> ReadIdx(const std::string& path);

struct LabeledImages {
  Tensor images;  // uint8 [N, 28, 28]
  Tensor labels;  // uint8 [N]
};
struct FashionMnist {
  LabeledImages train;  // 60000 examples
  LabeledImages test;   // 10000 examples
};

// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr char kFashionMnistDir[] = "/usr/share/datasets/fashion-mnist";

// Reads {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] from `dir` (default: $STRATA_FASHION_MNIST,
// else kFashionMnistDir). A missing directory is NotFound with a hint to install the package.
absl::StatusOr<FashionMnist> LoadFashionMnist(const std::string& dir = "");

// Keras's spelling of the same: datasets::fashion_mnist::load_data().
namespace fashion_mnist {
inline absl::StatusOr<FashionMnist> load_data(const std::string& dir = "") { return LoadFashionMnist(dir); }
}  // namespace fashion_mnist

// uint8 images -> float32 in [0, 1] (x / 255), reshaped to `shape` (one dim may be -1).
absl::StatusOr<Tensor> ImagesToFloat(const Tensor& images, const std::vector<int64_t>& shape);
// Integer labels -> int32 (what sparse losses take) / float32 one-hot [N, depth]. A label
// outside [0, depth) is InvalidArgument naming its index.
absl::StatusOr<Tensor> LabelsToInt32(const Tensor& labels);
absl::StatusOr<Tensor> OneHot(const Tensor& labels, int64_t depth);
// Rows `rows` of t (along dim 0), in that order; an out-of-range row is InvalidArgument.
absl::StatusOr<Tensor> GatherRows(const Tensor& t, const std::vector<int64_t>& rows);
// Rows [begin, end) of t.
absl::StatusOr<Tensor> SliceRows(const Tensor& t, int64_t begin, int64_t end);

// A train/validation split that holds out the LAST `validation_fraction` of the rows, as Keras's
// validation_split does (floor(n * fraction) rows, taken before any shuffling). The fraction must
// be in [0, 1); x and y must have the same number of rows.
struct TrainValidation {
  Tensor x_train, y_train, x_val, y_val;
};
absl::StatusOr<TrainValidation> TrainValidationSplit(const Tensor& x, const Tensor& y, double validation_fraction);

}  // namespace strata::datasets
