// IDX reading and batch helpers (see datasets.h).
#include "frontends/datasets/datasets.h"

#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "graph/dtype_visit.h"
#include "graph/file_util.h"

namespace strata::datasets {
namespace {

// gzip streams start with 1f 8b; anything else is taken as raw IDX.
absl::StatusOr<std::string> Gunzip(const std::string& path, const std::string& compressed) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return absl::InternalError("zlib: inflateInit2 failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char chunk[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof(chunk);
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof(chunk) - z.avail_out);
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // input ended before the stream did
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) {
    return absl::DataLossError(absl::StrCat("'", path, "': corrupt or truncated gzip data (zlib code ", rc, ")"));
  }
  return out;
}

absl::StatusOr<DType> IdxDType(const std::string& path, unsigned char code) {
  switch (code) {
    case 0x08: return DT_UINT8;
    case 0x09: return DT_INT8;
    case 0x0B: return DT_INT16;
    case 0x0C: return DT_INT32;
    case 0x0D: return DT_FLOAT;
    case 0x0E: return DT_DOUBLE;
    default:
      return absl::InvalidArgumentError(absl::StrCat("'", path, "': unknown IDX element type 0x", absl::Hex(code)));
  }
}

uint32_t BigEndian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// The file name with or without ".gz", whichever exists.
std::string Existing(const std::string& dir, const std::string& base) {
  const std::string plain = absl::StrCat(dir, "/", base);
  if (std::filesystem::exists(plain)) return plain;
  return plain + ".gz";
}

absl::StatusOr<LabeledImages> LoadSplit(const std::string& dir, const std::string& prefix) {
  absl::StatusOr<Tensor> images = ReadIdx(Existing(dir, prefix + "-images-idx3-ubyte"));
  if (!images.ok()) return images.status();
  absl::StatusOr<Tensor> labels = ReadIdx(Existing(dir, prefix + "-labels-idx1-ubyte"));
  if (!labels.ok()) return labels.status();
  if (images->dtype() != DT_UINT8 || images->shape().rank() != 3 || labels->dtype() != DT_UINT8 ||
      labels->shape().rank() != 1 || labels->shape().dim(0) != images->shape().dim(0)) {
    return absl::InvalidArgumentError(absl::StrCat("'", dir, "': ", prefix, " images ", images->DebugString(),
                                                   " and labels ", labels->DebugString(),
                                                   " are not uint8 [N,H,W] and uint8 [N]"));
  }
  return LabeledImages{*std::move(images), *std::move(labels)};
}

}  // namespace

absl::StatusOr<Tensor> ReadIdx(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFileToString(path);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() >= 2 && static_cast<unsigned char>((*bytes)[0]) == 0x1f &&
      static_cast<unsigned char>((*bytes)[1]) == 0x8b) {
    bytes = Gunzip(path, *bytes);
    if (!bytes.ok()) return bytes.status();
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes->data());
  if (bytes->size() < 4 || p[0] != 0 || p[1] != 0 || p[3] == 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is not an IDX file (bad magic number)"));
  }
  absl::StatusOr<DType> dtype = IdxDType(path, p[2]);
  if (!dtype.ok()) return dtype.status();
  const int rank = p[3];
  const size_t header = 4 + 4 * static_cast<size_t>(rank);
  if (bytes->size() < header) return absl::DataLossError(absl::StrCat("'", path, "': truncated IDX header"));
  std::vector<int64_t> dims;
  int64_t count = 1;
  for (int i = 0; i < rank; ++i) {
    dims.push_back(BigEndian32(p + 4 + 4 * i));
    count *= dims.back();
    if (count > (int64_t{1} << 40)) return absl::InvalidArgumentError(absl::StrCat("'", path, "': IDX dims too large"));
  }
  const size_t width = DTypeSize(*dtype);
  const size_t want = header + static_cast<size_t>(count) * width;
  if (bytes->size() != want) {
    return absl::DataLossError(absl::StrCat("'", path, "': IDX header promises ", want - header, " data bytes, file has ",
                                            bytes->size() - header, bytes->size() < want ? " (truncated)" : ""));
  }
  absl::StatusOr<Tensor> t = Tensor::Create(*dtype, Shape(dims));
  if (!t.ok()) return t.status();
  auto* dst = static_cast<unsigned char*>(t->raw_data());
  const unsigned char* src = p + header;
  if (width == 1) {
    std::memcpy(dst, src, static_cast<size_t>(count));
  } else {  // big-endian on disk
    for (int64_t i = 0; i < count; ++i) {
      for (size_t b = 0; b < width; ++b) dst[i * width + b] = src[i * width + (width - 1 - b)];
    }
  }
  return t;
}

absl::StatusOr<FashionMnist> LoadFashionMnist(const std::string& dir_arg) {
  std::string dir = dir_arg;
  if (dir.empty()) {
    const char* env = std::getenv("STRATA_FASHION_MNIST");
    dir = env != nullptr && *env != '\0' ? env : kFashionMnistDir;
  }
  if (!std::filesystem::is_directory(dir)) {
    return absl::NotFoundError(absl::StrCat("Fashion-MNIST directory '", dir,
                                            "' not found (install Debian's dataset-fashion-mnist, or pass --data DIR)"));
  }
  absl::StatusOr<LabeledImages> train = LoadSplit(dir, "train");
  if (!train.ok()) return train.status();
  absl::StatusOr<LabeledImages> test = LoadSplit(dir, "t10k");
  if (!test.ok()) return test.status();
  return FashionMnist{*std::move(train), *std::move(test)};
}

absl::StatusOr<Tensor> ImagesToFloat(const Tensor& images, const std::vector<int64_t>& shape) {
  if (images.dtype() != DT_UINT8) {
    return absl::InvalidArgumentError(absl::StrCat("ImagesToFloat: images must be uint8, got ", DTypeName(images.dtype())));
  }
  std::vector<int64_t> dims = shape;
  int64_t known = 1;
  int unknown = -1;
  for (int i = 0; i < static_cast<int>(dims.size()); ++i) {
    if (dims[i] == -1 && unknown < 0) {
      unknown = i;
    } else {
      known *= dims[i];
    }
  }
  if (unknown >= 0 && known > 0) dims[unknown] = images.num_elements() / known;
  int64_t total = 1;
  for (int64_t d : dims) total *= d;
  if (total != images.num_elements()) {
    return absl::InvalidArgumentError(absl::StrCat("ImagesToFloat: cannot reshape ", images.shape().ToString(), " (",
                                                   images.num_elements(), " values) to ", Shape(shape).ToString()));
  }
  absl::StatusOr<Tensor> out = Tensor::Create(DT_FLOAT, Shape(dims));
  if (!out.ok()) return out.status();
  auto src = images.flat<uint8_t>();
  auto dst = out->flat<float>();
  for (size_t i = 0; i < dst.size(); ++i) dst[i] = static_cast<float>(src[i]) / 255.0f;
  return out;
}

namespace {
// Label k as an int64, for any integer dtype.
absl::StatusOr<std::vector<int64_t>> LabelValues(const Tensor& labels) {
  std::vector<int64_t> v;
  const bool integer = VisitDType(labels.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      for (T x : labels.flat<T>()) v.push_back(static_cast<int64_t>(x));
    }
  });
  if (!integer || !IsIntegerDType(labels.dtype())) {
    return absl::InvalidArgumentError(absl::StrCat("labels must be integers, got ", DTypeName(labels.dtype())));
  }
  return v;
}
}  // namespace

absl::StatusOr<Tensor> LabelsToInt32(const Tensor& labels) {
  absl::StatusOr<std::vector<int64_t>> v = LabelValues(labels);
  if (!v.ok()) return v.status();
  std::vector<int32_t> out(v->begin(), v->end());
  return Tensor::FromVector<int32_t>(out, labels.shape());
}

absl::StatusOr<Tensor> OneHot(const Tensor& labels, int64_t depth) {
  absl::StatusOr<std::vector<int64_t>> v = LabelValues(labels);
  if (!v.ok()) return v.status();
  absl::StatusOr<Tensor> out = Tensor::Create(DT_FLOAT, Shape{static_cast<int64_t>(v->size()), depth});
  if (!out.ok()) return out.status();
  auto dst = out->flat<float>();
  for (size_t i = 0; i < v->size(); ++i) {
    const int64_t k = (*v)[i];
    if (k < 0 || k >= depth) {
      return absl::InvalidArgumentError(absl::StrCat("OneHot: label ", k, " at index ", i, " is outside [0, ", depth, ")"));
    }
    dst[i * depth + k] = 1.0f;
  }
  return out;
}

absl::StatusOr<Tensor> GatherRows(const Tensor& t, const std::vector<int64_t>& rows) {
  if (t.shape().rank() < 1 || !t.shape().IsFullyDefined()) {
    return absl::InvalidArgumentError(absl::StrCat("GatherRows: need a tensor with rows, got ", t.DebugString()));
  }
  std::vector<int64_t> dims = t.shape().dims();
  const int64_t n = dims[0];
  dims[0] = static_cast<int64_t>(rows.size());
  absl::StatusOr<Tensor> out = Tensor::Create(t.dtype(), Shape(dims));
  if (!out.ok()) return out.status();
  const size_t row_bytes = n == 0 ? 0 : t.byte_size() / static_cast<size_t>(n);
  const auto* src = static_cast<const char*>(t.raw_data());
  auto* dst = static_cast<char*>(out->raw_data());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= n) {
      return absl::InvalidArgumentError(absl::StrCat("GatherRows: row ", rows[i], " (position ", i, ") is outside [0, ", n, ")"));
    }
    std::memcpy(dst + i * row_bytes, src + rows[i] * row_bytes, row_bytes);
  }
  return out;
}

absl::StatusOr<Tensor> SliceRows(const Tensor& t, int64_t begin, int64_t end) {
  if (t.shape().rank() < 1 || begin < 0 || end < begin || end > t.shape().dim(0)) {
    return absl::InvalidArgumentError(absl::StrCat("SliceRows: rows [", begin, ", ", end, ") of ", t.DebugString()));
  }
  std::vector<int64_t> rows;
  for (int64_t r = begin; r < end; ++r) rows.push_back(r);
  return GatherRows(t, rows);
}

absl::StatusOr<TrainValidation> TrainValidationSplit(const Tensor& x, const Tensor& y, double validation_fraction) {
  if (!(validation_fraction >= 0.0 && validation_fraction < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("TrainValidationSplit: the validation fraction must be in [0, 1), got ", validation_fraction));
  }
  if (x.shape().rank() < 1 || y.shape().rank() < 1 || x.shape().dim(0) != y.shape().dim(0)) {
    return absl::InvalidArgumentError(absl::StrCat("TrainValidationSplit: x ", x.shape().ToString(), " and y ",
                                                   y.shape().ToString(), " must have the same number of rows"));
  }
  const int64_t n = x.shape().dim(0);
  const int64_t split = n - static_cast<int64_t>(static_cast<double>(n) * validation_fraction);
  TrainValidation out;
  for (auto [part, source, begin, end] : {std::tuple{&out.x_train, &x, int64_t{0}, split}, std::tuple{&out.y_train, &y, int64_t{0}, split},
                                          std::tuple{&out.x_val, &x, split, n}, std::tuple{&out.y_val, &y, split, n}}) {
    absl::StatusOr<Tensor> rows = SliceRows(*source, begin, end);
    if (!rows.ok()) return rows.status();
    *part = *std::move(rows);
  }
  return out;
}

}  // namespace strata::datasets
