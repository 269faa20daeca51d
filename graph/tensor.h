// Tensor: a dtype, a fully defined shape, and a ref-counted 64-byte aligned buffer.
// Copies share the buffer (like TensorFlow's Tensor); use Clone() for a deep copy.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "graph/device_memory.h"
#include "graph/dtype.h"
#include "graph/half.h"
#include "graph/shape.h"

namespace strata {

namespace tf {
class TensorProto;
}

// An aligned heap allocation shared by Tensors; or device memory (a value a GPU computed and
// kept there) whose host copy is made when host code first reads it.
//
// A shared buffer is read-only: its tensors are values. That is what lets a device buffer keep
// its host copy and its device copy both: nothing writes either once the buffer is shared.
class Buffer {
 public:
  static constexpr size_t kAlignment = 64;
  // Zero-initialized. Returns nullptr only when allocation fails.
  static std::shared_ptr<Buffer> Allocate(size_t bytes);
  // `bytes` bytes in `memory`; no host memory until data() or SyncToHost() asks for it.
  static std::shared_ptr<Buffer> OnDevice(std::shared_ptr<const DeviceMemory> memory, size_t bytes);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  // The bytes on the host. A device buffer copies them down on first use; if that copy fails
  // (the device is lost) the process aborts with the device's message, so code that can return
  // an error calls SyncToHost() first.
  void* data() const {
    void* p = data_.load(std::memory_order_acquire);
    return p != nullptr || device_ == nullptr ? p : CopyDown();
  }
  size_t size() const { return size_; }

  // The device memory holding the bytes; null for a host buffer.
  const DeviceMemory* device_memory() const { return device_.get(); }
  // Makes the host copy of a device buffer now (once); OK at once for a host buffer.
  // ResourceExhausted when host memory runs out; the device's error when the copy fails.
  absl::Status SyncToHost() const;
  // Syncs, then drops the device copy: the buffer becomes a plain host buffer its owner may
  // write into. Only for a buffer no one else shares.
  absl::Status DropDeviceCopy();

 private:
  Buffer(void* data, size_t size) : data_(data), size_(size) {}
  void* CopyDown() const;

  mutable std::atomic<void*> data_;
  size_t size_;
  std::shared_ptr<const DeviceMemory> device_;
  mutable std::mutex copy_mu_;  // one copy down at a time
};

class Tensor {
 public:
  // An empty float scalar-less tensor (dtype DT_INVALID); valid() is false.
  Tensor() = default;
  // Zero-filled tensor. Use Tensor::Create for user-supplied shapes (it validates); this
  // constructor requires a supported dtype and a fully defined, non-negative shape.
  Tensor(DType dtype, const Shape& shape);

  // Validating factory: errors for unsupported dtypes, partial shapes, negative dims and
  // element counts whose byte size overflows.
  static absl::StatusOr<Tensor> Create(DType dtype, const Shape& shape);

  // Convenience constructors from values.
  template <typename T>
  static Tensor Scalar(T value) {
    Tensor t(DTypeOf<T>::value, Shape{});
    t.flat<T>()[0] = value;
    return t;
  }
  // values.size() must equal shape.num_elements().
  template <typename T>
  static Tensor FromVector(absl::Span<const T> values, const Shape& shape) {
    Tensor t(DTypeOf<T>::value, shape);
    auto f = t.flat<T>();
    for (size_t i = 0; i < values.size() && i < f.size(); ++i) f[i] = values[i];
    return t;
  }
  template <typename T>
  static Tensor FromVector(const std::vector<T>& values) {
    return FromVector<T>(absl::MakeConstSpan(values), Shape{static_cast<int64_t>(values.size())});
  }
  // A tensor whose value is in device memory (runtime/gpu makes them): see Buffer::OnDevice.
  // `memory` holds at least the tensor's byte_size() bytes.
  static Tensor OnDevice(DType dtype, const Shape& shape, std::shared_ptr<const DeviceMemory> memory);
  // DT_STRING tensor (kept for graph constants such as checkpoint names; not computed on).
  static Tensor Strings(std::vector<std::string> values, const Shape& shape);

  bool valid() const { return dtype_ != DT_INVALID; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t dim(int i) const { return shape_.dim(i); }
  int64_t num_elements() const { return num_elements_; }
  size_t byte_size() const { return num_elements_ * DTypeSize(dtype_); }

  void* raw_data() { return buffer_ ? buffer_->data() : nullptr; }
  const void* raw_data() const { return buffer_ ? buffer_->data() : nullptr; }
  const std::shared_ptr<Buffer>& buffer() const { return buffer_; }
  // The device memory holding the value (a tensor a GPU run left on its device); null for a
  // host tensor.
  const DeviceMemory* device_memory() const { return buffer_ ? buffer_->device_memory() : nullptr; }
  // Makes sure the value is on the host, returning the error raw_data() would abort on (see
  // Buffer::data()). OK at once for host tensors.
  absl::Status SyncToHost() const { return buffer_ ? buffer_->SyncToHost() : absl::OkStatus(); }

  // Typed views; T must match dtype() (checked in debug builds and by CheckType()).
  template <typename T>
  absl::Span<T> flat() {
    return absl::Span<T>(static_cast<T*>(raw_data()), num_elements_);
  }
  template <typename T>
  absl::Span<const T> flat() const {
    return absl::Span<const T>(static_cast<const T*>(raw_data()), num_elements_);
  }
  template <typename T>
  T& scalar() {
    return flat<T>()[0];
  }
  template <typename T>
  const T& scalar() const {
    return flat<T>()[0];
  }
  template <typename T>
  bool HasType() const {
    return DTypeOf<T>::value == dtype_;
  }
  const std::vector<std::string>& strings() const;
  std::vector<std::string>& strings();

  // Element i converted to double / int64 whatever the dtype (bool -> 0/1); for shape math
  // and printing. Requires a numeric or bool dtype and 0 <= i < num_elements().
  double ElementAsDouble(int64_t i) const;
  int64_t ElementAsInt64(int64_t i) const;

  // Copies the buffer.
  Tensor Clone() const;
  // Same buffer, new shape with the same element count; error otherwise.
  absl::StatusOr<Tensor> Reshaped(const Shape& shape) const;
  // Element-wise conversion (C++ static_cast semantics, via float for 16-bit floats).
  absl::StatusOr<Tensor> Cast(DType to) const;

  // Bitwise equality of dtype, shape and contents.
  bool Equals(const Tensor& other) const;
  // "float32[2,3] {1, 2, 3, 4, 5, 6}" with at most max_values values.
  std::string DebugString(int max_values = 10) const;

  // TensorProto conversion. ToProto writes tensor_content (or string_val); ToProtoCompact
  // writes the typed *_val fields (what TensorFlow's Python writes for small constants).
  void ToProto(tf::TensorProto* proto) const;
  void ToProtoTyped(tf::TensorProto* proto) const;
  // Accepts tensor_content or the typed *_val field for the dtype; a single *_val value
  // fills the whole shape (TensorFlow's rule); fewer values than elements repeats the last
  // one (as TensorFlow does). Errors name what is wrong (size mismatch, bad dtype, ...).
  static absl::StatusOr<Tensor> FromProto(const tf::TensorProto& proto);

 private:
  DType dtype_ = DT_INVALID;
  Shape shape_;
  int64_t num_elements_ = 0;
  std::shared_ptr<Buffer> buffer_;
  std::shared_ptr<std::vector<std::string>> strings_;
};

}  // namespace strata
