#include "graph/tensor.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <new>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "graph/dtype_visit.h"
#include "proto/tensor.pb.h"

namespace strata {

// tensor_content is little-endian; copying raw bytes is only right on little-endian hosts.
static_assert(std::endian::native == std::endian::little,
              "TensorProto conversion assumes a little-endian host");

namespace {

template <typename T>
constexpr bool kIs16BitFloat = std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>;

// Floating -> integer conversion that saturates at the integer's range and maps NaN to 0
// (XLA's convert semantics) instead of invoking undefined behaviour.
template <typename I, typename F>
I SaturatingFloatToInt(F f) {
  if (std::isnan(f)) return 0;
  const F lo = static_cast<F>(std::numeric_limits<I>::min());
  // 2^digits is the first value above the range; it is exact in float and double.
  const F hi = std::ldexp(F(1), std::numeric_limits<I>::digits);
  if (f <= lo) return std::numeric_limits<I>::min();
  if (f >= hi) return std::numeric_limits<I>::max();
  return static_cast<I>(f);
}

// Element conversion used by Cast: static_cast semantics, 16-bit floats through float,
// bool as != 0, floating -> integer saturating.
template <typename D, typename S>
D ConvertElement(S s) {
  if constexpr (kIs16BitFloat<S>) {
    return ConvertElement<D>(static_cast<float>(s));
  } else if constexpr (std::is_same_v<D, bool>) {
    return s != S(0);
  } else if constexpr (kIs16BitFloat<D>) {
    return D(static_cast<float>(s));  // IEEE: out-of-range doubles become +-inf
  } else if constexpr (std::is_integral_v<D> && std::is_floating_point_v<S>) {
    return SaturatingFloatToInt<D>(s);
  } else {
    return static_cast<D>(s);
  }
}

template <typename T>
double ToDouble(T v) {
  if constexpr (kIs16BitFloat<T>) {
    return static_cast<float>(v);
  } else {
    return static_cast<double>(v);
  }
}

template <typename T>
int64_t ToInt64(T v) {
  if constexpr (kIs16BitFloat<T>) {
    return SaturatingFloatToInt<int64_t>(static_cast<float>(v));
  } else if constexpr (std::is_floating_point_v<T>) {
    return SaturatingFloatToInt<int64_t>(v);
  } else {
    return static_cast<int64_t>(v);
  }
}

template <typename T>
std::string FormatElement(T v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (kIs16BitFloat<T>) {
    return absl::StrCat(static_cast<float>(v));
  } else if constexpr (sizeof(T) == 1) {
    return absl::StrCat(static_cast<int>(v));  // not as a character
  } else {
    return absl::StrCat(v);
  }
}

std::string Describe(DType dtype, const Shape& shape) {
  return absl::StrCat(DTypeName(dtype), shape.ToString());
}

// Checks that a tensor of `dtype` and `shape` can exist, and computes its element count.
// Sizes are checked in int64 so that byte_size() and allocation cannot overflow.
absl::Status ValidateTensorSpec(DType dtype, const Shape& shape, int64_t* num_elements) {
  if (dtype != DT_STRING && !IsSupportedTensorDType(dtype)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Tensors cannot hold dtype ", DTypeName(dtype)));
  }
  if (shape.unknown_rank()) {
    return absl::InvalidArgumentError("Tensor shape must be fully defined, got <unknown>");
  }
  int64_t n = 1;
  for (int64_t d : shape.dims()) {
    if (d == Shape::kUnknownDim) {
      return absl::InvalidArgumentError(
          absl::StrCat("Tensor shape must be fully defined, got ", shape.ToString()));
    }
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("Tensor shape ", shape.ToString(), " has negative dimension ", d));
    }
    if (__builtin_mul_overflow(n, d, &n)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Tensor shape ", shape.ToString(), " has more elements than fit in int64"));
    }
  }
  const int64_t element_bytes = dtype == DT_STRING
                                    ? static_cast<int64_t>(sizeof(std::string))
                                    : static_cast<int64_t>(DTypeSize(dtype));
  int64_t bytes;
  if (__builtin_mul_overflow(n, element_bytes, &bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Tensor ", Describe(dtype, shape), " is too large: its byte size overflows int64"));
  }
  *num_elements = n;
  return absl::OkStatus();
}

// Fills dst from a TensorProto typed field with TensorFlow's rule: missing trailing values
// repeat the last one; no values leave the (zeroed) buffer as is.
template <typename T, typename Values, typename Convert>
void FillRepeatingLast(absl::Span<T> dst, const Values& values, Convert convert) {
  const size_t count = static_cast<size_t>(values.size());
  if (count == 0) return;
  const size_t copied = std::min(count, dst.size());
  for (size_t i = 0; i < copied; ++i) dst[i] = convert(values[i]);
  if (copied < dst.size()) std::fill(dst.begin() + copied, dst.end(), dst[copied - 1]);
}

// Number of values in the typed field TensorFlow uses for `dtype`, and its name.
std::pair<int64_t, const char*> TypedFieldCount(const tf::TensorProto& p, DType dtype) {
  switch (dtype) {
    case DT_FLOAT: return {p.float_val_size(), "float_val"};
    case DT_DOUBLE: return {p.double_val_size(), "double_val"};
    case DT_HALF:
    case DT_BFLOAT16: return {p.half_val_size(), "half_val"};
    case DT_INT8:
    case DT_INT16:
    case DT_INT32:
    case DT_UINT8:
    case DT_UINT16: return {p.int_val_size(), "int_val"};
    case DT_INT64: return {p.int64_val_size(), "int64_val"};
    case DT_UINT32: return {p.uint32_val_size(), "uint32_val"};
    case DT_UINT64: return {p.uint64_val_size(), "uint64_val"};
    case DT_BOOL: return {p.bool_val_size(), "bool_val"};
    case DT_STRING: return {p.string_val_size(), "string_val"};
    default: return {0, "?"};
  }
}

template <typename T>
void FillFromTypedField(const tf::TensorProto& p, absl::Span<T> dst) {
  if constexpr (std::is_same_v<T, float>) {
    FillRepeatingLast(dst, p.float_val(), [](float v) { return v; });
  } else if constexpr (std::is_same_v<T, double>) {
    FillRepeatingLast(dst, p.double_val(), [](double v) { return v; });
  } else if constexpr (kIs16BitFloat<T>) {
    FillRepeatingLast(dst, p.half_val(),
                      [](int32_t v) { return T::FromBits(static_cast<uint16_t>(v)); });
  } else if constexpr (std::is_same_v<T, int64_t>) {
    FillRepeatingLast(dst, p.int64_val(), [](int64_t v) { return v; });
  } else if constexpr (std::is_same_v<T, uint32_t>) {
    FillRepeatingLast(dst, p.uint32_val(), [](uint32_t v) { return v; });
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    FillRepeatingLast(dst, p.uint64_val(), [](uint64_t v) { return v; });
  } else if constexpr (std::is_same_v<T, bool>) {
    FillRepeatingLast(dst, p.bool_val(), [](bool v) { return v; });
  } else {
    // int8, int16, int32, uint8, uint16 live in int_val; narrowing keeps the low bits.
    FillRepeatingLast(dst, p.int_val(), [](int32_t v) { return static_cast<T>(v); });
  }
}

template <typename T>
void AppendTypedField(absl::Span<const T> src, tf::TensorProto* p) {
  if constexpr (std::is_same_v<T, float>) {
    p->mutable_float_val()->Add(src.begin(), src.end());
  } else if constexpr (std::is_same_v<T, double>) {
    p->mutable_double_val()->Add(src.begin(), src.end());
  } else if constexpr (kIs16BitFloat<T>) {
    for (T v : src) p->add_half_val(v.bits);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    p->mutable_int64_val()->Add(src.begin(), src.end());
  } else if constexpr (std::is_same_v<T, uint32_t>) {
    p->mutable_uint32_val()->Add(src.begin(), src.end());
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    p->mutable_uint64_val()->Add(src.begin(), src.end());
  } else if constexpr (std::is_same_v<T, bool>) {
    p->mutable_bool_val()->Add(src.begin(), src.end());
  } else {
    for (T v : src) p->add_int_val(static_cast<int32_t>(v));
  }
}

// Reads TensorFlow's string tensor_content encoding: `n` varint32 lengths followed by the
// concatenated bytes, which must account for the rest of the content exactly.
absl::Status DecodeStringList(const std::string& content, std::vector<std::string>* out) {
  const size_t n = out->size();
  size_t pos = 0;
  std::vector<uint32_t> lengths(n);
  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t value = 0;
    int shift = 0;
    while (true) {
      if (pos >= content.size() || shift > 28) {
        return absl::InvalidArgumentError(
            absl::StrCat("Invalid TensorProto: string tensor_content has a truncated or "
                         "malformed length for element ",
                         i));
      }
      const uint8_t byte = static_cast<uint8_t>(content[pos++]);
      value |= static_cast<uint32_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) break;
      shift += 7;
    }
    lengths[i] = value;
    total += value;
  }
  if (total != content.size() - pos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Invalid TensorProto: string tensor_content lengths add up to ", total, " bytes but ",
        content.size() - pos, " bytes follow them"));
  }
  for (size_t i = 0; i < n; ++i) {
    (*out)[i] = content.substr(pos, lengths[i]);
    pos += lengths[i];
  }
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Buffer

// Larger requests fail up front: no host holds a 1 TiB tensor, and refusing them here keeps
// hostile shapes from depending on the allocator's or the kernel's overcommit policy.
constexpr size_t kMaxBufferBytes = size_t{1} << 40;

namespace {

// `bytes` of uninitialized host memory at Buffer::kAlignment (rounded up to a whole number of
// alignments: aligned_alloc needs that; never zero); null when refused or out of memory.
// `*rounded` receives the size allocated.
void* AllocateAligned(size_t bytes, size_t* rounded) {
  if (bytes > kMaxBufferBytes) return nullptr;
  *rounded = std::max(Buffer::kAlignment, (bytes + Buffer::kAlignment - 1) / Buffer::kAlignment * Buffer::kAlignment);
  return std::aligned_alloc(Buffer::kAlignment, *rounded);
}

}  // namespace

std::shared_ptr<Buffer> Buffer::Allocate(size_t bytes) {
  size_t rounded = 0;
  void* data = AllocateAligned(bytes, &rounded);
  if (data == nullptr) return nullptr;
  std::memset(data, 0, rounded);
  Buffer* buffer = new (std::nothrow) Buffer(data, bytes);
  if (buffer == nullptr) {
    std::free(data);
    return nullptr;
  }
  return std::shared_ptr<Buffer>(buffer);
}

std::shared_ptr<Buffer> Buffer::OnDevice(std::shared_ptr<const DeviceMemory> memory, size_t bytes) {
  Buffer* buffer = new (std::nothrow) Buffer(nullptr, bytes);
  if (buffer == nullptr) return nullptr;
  buffer->device_ = std::move(memory);
  return std::shared_ptr<Buffer>(buffer);
}

Buffer::~Buffer() { std::free(data_.load(std::memory_order_relaxed)); }

absl::Status Buffer::SyncToHost() const {
  if (device_ == nullptr || data_.load(std::memory_order_acquire) != nullptr) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(copy_mu_);
  if (data_.load(std::memory_order_acquire) != nullptr) return absl::OkStatus();  // another thread copied
  size_t rounded = 0;
  void* host = AllocateAligned(size_, &rounded);  // no zero fill: the copy overwrites it
  if (host == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("could not allocate ", size_, " bytes of host memory for a tensor on ", device_->device_name()));
  }
  if (absl::Status s = device_->CopyToHost(host, size_); !s.ok()) {
    std::free(host);
    return absl::Status(s.code(), absl::StrCat("copying a tensor from ", device_->device_name(), " to the host: ", s.message()));
  }
  data_.store(host, std::memory_order_release);
  return absl::OkStatus();
}

void* Buffer::CopyDown() const {
  if (absl::Status s = SyncToHost(); !s.ok()) {
    std::fprintf(stderr, "strata: fatal: %s\n", std::string(s.message()).c_str());
    std::abort();
  }
  return data_.load(std::memory_order_acquire);
}

absl::Status Buffer::DropDeviceCopy() {
  if (absl::Status s = SyncToHost(); !s.ok()) return s;
  device_.reset();
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// Construction

Tensor::Tensor(DType dtype, const Shape& shape) {
  int64_t n = 0;
  if (!ValidateTensorSpec(dtype, shape, &n).ok()) return;  // stays invalid
  if (dtype == DT_STRING) {
    try {
      strings_ = std::make_shared<std::vector<std::string>>(static_cast<size_t>(n));
    } catch (const std::exception&) {
      return;  // allocation failed: stays invalid
    }
  } else {
    buffer_ = Buffer::Allocate(static_cast<size_t>(n) * DTypeSize(dtype));
    if (buffer_ == nullptr) return;
  }
  dtype_ = dtype;
  shape_ = shape;
  num_elements_ = n;
}

absl::StatusOr<Tensor> Tensor::Create(DType dtype, const Shape& shape) {
  int64_t n = 0;
  absl::Status status = ValidateTensorSpec(dtype, shape, &n);
  if (!status.ok()) return status;
  Tensor t(dtype, shape);
  if (!t.valid()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("Could not allocate tensor ", Describe(dtype, shape), " (", n,
                     " elements)"));
  }
  return t;
}

Tensor Tensor::OnDevice(DType dtype, const Shape& shape, std::shared_ptr<const DeviceMemory> memory) {
  Tensor t;
  int64_t n = 0;
  if (memory == nullptr || dtype == DT_STRING || !ValidateTensorSpec(dtype, shape, &n).ok()) return t;
  t.buffer_ = Buffer::OnDevice(std::move(memory), static_cast<size_t>(n) * DTypeSize(dtype));
  if (t.buffer_ == nullptr) return t;
  t.dtype_ = dtype;
  t.shape_ = shape;
  t.num_elements_ = n;
  return t;
}

Tensor Tensor::Strings(std::vector<std::string> values, const Shape& shape) {
  // A shape that cannot hold the values as given falls back to a vector of them.
  const Shape actual = shape.IsFullyDefined() ? shape : Shape{static_cast<int64_t>(values.size())};
  Tensor t(DT_STRING, actual);
  if (!t.valid()) return t;
  std::vector<std::string>& dst = *t.strings_;
  const size_t count = std::min(values.size(), dst.size());
  for (size_t i = 0; i < count; ++i) dst[i] = std::move(values[i]);
  return t;
}

const std::vector<std::string>& Tensor::strings() const {
  static const std::vector<std::string>* const kEmpty = new std::vector<std::string>();
  return strings_ ? *strings_ : *kEmpty;
}

std::vector<std::string>& Tensor::strings() {
  if (!strings_) strings_ = std::make_shared<std::vector<std::string>>();
  return *strings_;
}

// ---------------------------------------------------------------------------------------
// Element access and transforms

double Tensor::ElementAsDouble(int64_t i) const {
  double result = 0;
  if (i < 0 || i >= num_elements_) return result;
  VisitDType(dtype_, [&]<typename T>(Tag<T>) { result = ToDouble(flat<T>()[i]); });
  return result;
}

int64_t Tensor::ElementAsInt64(int64_t i) const {
  int64_t result = 0;
  if (i < 0 || i >= num_elements_) return result;
  VisitDType(dtype_, [&]<typename T>(Tag<T>) { result = ToInt64(flat<T>()[i]); });
  return result;
}

Tensor Tensor::Clone() const {
  if (!valid()) return Tensor();
  Tensor copy(dtype_, shape_);
  if (!copy.valid()) return copy;
  if (dtype_ == DT_STRING) {
    *copy.strings_ = strings();
  } else if (byte_size() > 0) {
    std::memcpy(copy.raw_data(), raw_data(), byte_size());
  }
  return copy;
}

absl::StatusOr<Tensor> Tensor::Reshaped(const Shape& shape) const {
  if (!valid()) return absl::FailedPreconditionError("Cannot reshape an invalid tensor");
  if (!shape.IsFullyDefined()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Cannot reshape ", Describe(dtype_, shape_), " to partial shape ", shape.ToString()));
  }
  if (shape.num_elements() != num_elements_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Cannot reshape ", Describe(dtype_, shape_), " (", num_elements_, " elements) to ",
        shape.ToString(), " (", shape.num_elements(), " elements)"));
  }
  Tensor result = *this;
  result.shape_ = shape;
  return result;
}

absl::StatusOr<Tensor> Tensor::Cast(DType to) const {
  if (!valid()) return absl::FailedPreconditionError("Cannot cast an invalid tensor");
  if (dtype_ == DT_STRING || to == DT_STRING) {
    if (to == dtype_) return Clone();
    return absl::UnimplementedError(absl::StrCat("Cannot cast ", DTypeName(dtype_), " to ",
                                                 DTypeName(to), ": strings are not numbers"));
  }
  if (!IsSupportedTensorDType(to)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Cannot cast ", DTypeName(dtype_), " to unsupported dtype ",
                     DTypeName(to)));
  }
  absl::StatusOr<Tensor> result = Create(to, shape_);
  if (!result.ok()) return result.status();
  VisitDType(dtype_, [&]<typename S>(Tag<S>) {
    absl::Span<const S> src = flat<S>();
    VisitDType(to, [&]<typename D>(Tag<D>) {
      absl::Span<D> dst = result->flat<D>();
      for (size_t i = 0; i < src.size(); ++i) dst[i] = ConvertElement<D>(src[i]);
    });
  });
  return result;
}

bool Tensor::Equals(const Tensor& other) const {
  if (dtype_ != other.dtype_ || shape_ != other.shape_) return false;
  if (!valid()) return true;
  if (dtype_ == DT_STRING) return strings() == other.strings();
  if (byte_size() == 0) return true;
  return std::memcmp(raw_data(), other.raw_data(), byte_size()) == 0;
}

std::string Tensor::DebugString(int max_values) const {
  if (!valid()) return "<invalid tensor>";
  std::string out = absl::StrCat(Describe(dtype_, shape_), " {");
  const int64_t shown = std::min<int64_t>(num_elements_, std::max(max_values, 0));
  for (int64_t i = 0; i < shown; ++i) {
    if (i > 0) out += ", ";
    if (dtype_ == DT_STRING) {
      absl::StrAppend(&out, "\"", absl::CEscape(strings()[i]), "\"");
    } else {
      VisitDType(dtype_, [&]<typename T>(Tag<T>) { out += FormatElement(flat<T>()[i]); });
    }
  }
  if (shown < num_elements_) out += shown > 0 ? ", ..." : "...";
  out += "}";
  return out;
}

// ---------------------------------------------------------------------------------------
// TensorProto conversion

void Tensor::ToProto(tf::TensorProto* proto) const {
  proto->Clear();
  proto->set_dtype(static_cast<tf::DataType>(dtype_));
  shape_.ToProto(proto->mutable_tensor_shape());
  if (dtype_ == DT_STRING) {
    for (const std::string& s : strings()) proto->add_string_val(s);
    return;
  }
  if (valid() && byte_size() > 0) {
    proto->set_tensor_content(static_cast<const char*>(raw_data()), byte_size());
  }
}

void Tensor::ToProtoTyped(tf::TensorProto* proto) const {
  proto->Clear();
  proto->set_dtype(static_cast<tf::DataType>(dtype_));
  shape_.ToProto(proto->mutable_tensor_shape());
  if (dtype_ == DT_STRING) {
    for (const std::string& s : strings()) proto->add_string_val(s);
    return;
  }
  VisitDType(dtype_, [&]<typename T>(Tag<T>) { AppendTypedField(flat<T>(), proto); });
}

absl::StatusOr<Tensor> Tensor::FromProto(const tf::TensorProto& proto) {
  const int raw_dtype = proto.dtype();
  const DType dtype = static_cast<DType>(raw_dtype);
  if (dtype == DT_INVALID) {
    return absl::InvalidArgumentError("Invalid TensorProto: dtype is not set (DT_INVALID)");
  }
  if (!IsKnownDType(raw_dtype)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid TensorProto: unknown dtype value ", raw_dtype));
  }
  if (dtype != DT_STRING && !IsSupportedTensorDType(dtype)) {
    return absl::UnimplementedError(
        absl::StrCat("TensorProto with dtype ", DTypeName(dtype), " is not supported"));
  }
  absl::StatusOr<Shape> shape = Shape::FromProto(proto.tensor_shape());
  if (!shape.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid TensorProto: ", shape.status().message()));
  }
  int64_t n = 0;
  if (absl::Status s = ValidateTensorSpec(dtype, *shape, &n); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid TensorProto: ", s.message()));
  }

  const std::string& content = proto.tensor_content();
  if (!content.empty()) {
    if (dtype == DT_STRING) {
      // Every element needs at least one length byte: reject before allocating n strings.
      if (static_cast<uint64_t>(n) > content.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "Invalid TensorProto: string tensor_content of ", content.size(),
            " bytes cannot hold ", n, " elements"));
      }
      absl::StatusOr<Tensor> t = Create(dtype, *shape);
      if (!t.ok()) return t.status();
      if (absl::Status s = DecodeStringList(content, t->strings_.get()); !s.ok()) return s;
      return t;
    }
    const uint64_t expected = static_cast<uint64_t>(n) * DTypeSize(dtype);
    if (content.size() != expected) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Invalid TensorProto: tensor_content has ", content.size(), " bytes but ",
          Describe(dtype, *shape), " needs ", expected));
    }
    absl::StatusOr<Tensor> t = Create(dtype, *shape);
    if (!t.ok()) return t.status();
    if (expected > 0) std::memcpy(t->raw_data(), content.data(), content.size());
    return t;
  }

  const auto [count, field] = TypedFieldCount(proto, dtype);
  if (count > n) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid TensorProto: ", count, " values in ",
                                                   field, " but ", Describe(dtype, *shape),
                                                   " has only ", n, " elements"));
  }
  absl::StatusOr<Tensor> t = Create(dtype, *shape);
  if (!t.ok()) return t.status();
  if (dtype == DT_STRING) {
    FillRepeatingLast(absl::MakeSpan(*t->strings_), proto.string_val(),
                      [](const std::string& v) { return v; });
    return t;
  }
  VisitDType(dtype, [&]<typename T>(Tag<T>) { FillFromTypedField(proto, t->flat<T>()); });
  return t;
}

}  // namespace strata
