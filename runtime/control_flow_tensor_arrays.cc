// TensorArray and TensorList kernels (see control_flow_tensor_arrays.h). Semantics and messages
// follow tensorflow/core/kernels/tensor_array.{h,cc}, tensor_array_ops.cc and list_kernels.{h,cc}.
#include "runtime/control_flow_tensor_arrays.h"

#include <cstring>
#include <functional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "graph/attr_value.h"
#include "graph/str_util.h"

namespace strata {

namespace {

#define TA_RETURN_IF_ERROR(expr) \
  do {                           \
    absl::Status _st = (expr);   \
    if (!_st.ok()) return _st;   \
  } while (0)

using Values = std::vector<RegionValue>;
using Kernel = std::function<absl::StatusOr<Values>(const Node&, const Values&)>;

absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

std::string TypeString(DType dtype, const Shape& shape) { return absl::StrCat(DTypeName(dtype), shape.ToString()); }

// ---- Reading inputs ----

absl::StatusOr<const Tensor*> TensorInput(const Values& in, int i, const char* what) {
  if (!in[i].is_tensor() || !in[i].tensor.valid()) {
    return Invalid(absl::StrCat(what, " must be a tensor, got ", in[i].Describe()));
  }
  return &in[i].tensor;
}

absl::StatusOr<int64_t> ScalarInt(const Values& in, int i, const char* what) {
  absl::StatusOr<const Tensor*> t = TensorInput(in, i, what);
  if (!t.ok()) return t.status();
  if ((*t)->rank() != 0 || !IsIntegerDType((*t)->dtype())) {
    return Invalid(absl::StrCat(what, " must be an integer scalar, got ", TypeString((*t)->dtype(), (*t)->shape())));
  }
  return (*t)->ElementAsInt64(0);
}

absl::StatusOr<std::vector<int64_t>> IntVector(const Values& in, int i, const char* what) {
  absl::StatusOr<const Tensor*> t = TensorInput(in, i, what);
  if (!t.ok()) return t.status();
  if ((*t)->rank() != 1 || !IsIntegerDType((*t)->dtype())) {
    return Invalid(absl::StrCat(what, " must be an integer vector, got ", TypeString((*t)->dtype(), (*t)->shape())));
  }
  std::vector<int64_t> v((*t)->num_elements());
  for (int64_t k = 0; k < (*t)->num_elements(); ++k) v[k] = (*t)->ElementAsInt64(k);
  return v;
}

// A shape given as a tensor: a vector of dims (-1 unknown), or the scalar -1 (unknown rank).
absl::StatusOr<Shape> ShapeInput(const Values& in, int i, const char* what) {
  absl::StatusOr<const Tensor*> t = TensorInput(in, i, what);
  if (!t.ok()) return t.status();
  const Tensor& s = **t;
  if (!IsIntegerDType(s.dtype()) || s.rank() > 1) {
    return Invalid(absl::StrCat(what, " must be an integer vector or -1, got ", TypeString(s.dtype(), s.shape())));
  }
  if (s.rank() == 0) {
    if (s.ElementAsInt64(0) != -1) {
      return Invalid(absl::StrCat(what, ": a scalar shape must be -1 (unknown rank), got ", s.ElementAsInt64(0)));
    }
    return Shape::UnknownRank();
  }
  std::vector<int64_t> dims(s.num_elements());
  for (int64_t k = 0; k < s.num_elements(); ++k) {
    dims[k] = s.ElementAsInt64(k);
    if (dims[k] < -1) return Invalid(absl::StrCat(what, ": dimension ", k, " is ", dims[k]));
  }
  return Shape(std::move(dims));
}

absl::StatusOr<std::shared_ptr<TensorArrayState>> ArrayInput(const Values& in, int i) {
  if (in[i].tensor_array == nullptr) return Invalid(absl::StrCat("input ", i, " must be a TensorArray handle, got ", in[i].Describe()));
  if (in[i].tensor_array->closed) return Invalid("TensorArray has already been closed");
  return in[i].tensor_array;
}

absl::StatusOr<std::shared_ptr<const TensorListState>> ListInput(const Values& in, int i) {
  if (in[i].tensor_list == nullptr) return Invalid(absl::StrCat("input ", i, " must be a TensorList, got ", in[i].Describe()));
  return in[i].tensor_list;
}

// ---- Tensor helpers ----

absl::Status CheckElementDType(DType dtype) {
  if (dtype == DT_STRING || dtype == DT_RESOURCE || dtype == DT_VARIANT || DTypeSize(dtype) == 0) {
    return absl::UnimplementedError(absl::StrCat("elements of dtype ", DTypeName(dtype), " are not supported"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Tensor> Zeros(DType dtype, const Shape& shape, const char* what) {
  if (!shape.IsFullyDefined()) {
    return Invalid(absl::StrCat(what, ": the element shape ", shape.ToString(), " is not fully defined"));
  }
  return Tensor::Create(dtype, shape);
}

// Elements of identical shape `element` stacked along a new dim 0.
absl::StatusOr<Tensor> Stack(const std::vector<const Tensor*>& elements, DType dtype, const Shape& element) {
  Shape shape{static_cast<int64_t>(elements.size())};
  shape.AppendShape(element);
  absl::StatusOr<Tensor> out = Tensor::Create(dtype, shape);
  if (!out.ok()) return out.status();
  const size_t bytes = static_cast<size_t>(element.num_elements()) * DTypeSize(dtype);
  char* dst = static_cast<char*>(out->raw_data());
  for (size_t k = 0; k < elements.size(); ++k) {
    if (bytes > 0) std::memcpy(dst + k * bytes, elements[k]->raw_data(), bytes);
  }
  return out;
}

// Rows [begin, begin + rows) of t along dim 0; keep_dim false drops dim 0 (rows must be 1).
absl::StatusOr<Tensor> Rows(const Tensor& t, int64_t begin, int64_t rows, bool keep_dim) {
  Shape shape = keep_dim ? Shape{rows} : Shape{};
  shape.AppendShape(t.shape().Subshape(1));
  absl::StatusOr<Tensor> out = Tensor::Create(t.dtype(), shape);
  if (!out.ok()) return out.status();
  const size_t row_bytes = static_cast<size_t>(t.shape().Subshape(1).num_elements()) * DTypeSize(t.dtype());
  if (row_bytes * rows > 0) {
    std::memcpy(out->raw_data(), static_cast<const char*>(t.raw_data()) + begin * row_bytes, row_bytes * rows);
  }
  return out;
}

Values Flow(const Values& in, int flow_index) { return {in[flow_index]}; }

// ---- TensorArray ----

absl::StatusOr<Values> TensorArrayV3(const Node& n, const Values& in) {
  absl::StatusOr<int64_t> size = ScalarInt(in, 0, "size");
  if (!size.ok()) return size.status();
  if (*size < 0) return Invalid(absl::StrCat("Size should be >= 0, got ", *size));
  auto ta = std::make_shared<TensorArrayState>();
  TA_RETURN_IF_ERROR(GetAttr(n.attrs(), "dtype", &ta->dtype));
  TA_RETURN_IF_ERROR(CheckElementDType(ta->dtype));
  TA_RETURN_IF_ERROR(GetAttr(n.attrs(), "element_shape", &ta->element_shape));
  TA_RETURN_IF_ERROR(GetAttr(n.attrs(), "dynamic_size", &ta->dynamic_size));
  TA_RETURN_IF_ERROR(GetAttr(n.attrs(), "clear_after_read", &ta->clear_after_read));
  TA_RETURN_IF_ERROR(GetAttr(n.attrs(), "identical_element_shapes", &ta->identical_element_shapes));
  ta->elements.resize(*size);
  RegionValue handle;
  handle.tensor_array = std::move(ta);
  return Values{handle, RegionValue(Tensor::Scalar<float>(0.0f))};
}

absl::Status WriteElement(TensorArrayState& ta, int64_t index, const Tensor& value) {
  if (index < 0) return Invalid(absl::StrCat("Tried to write to index ", index, " but it is negative"));
  if (index >= static_cast<int64_t>(ta.elements.size())) {
    if (!ta.dynamic_size) {
      return Invalid(absl::StrCat("Tried to write to index ", index, " but array is not resizeable and size is: ",
                                  ta.elements.size()));
    }
    ta.elements.resize(index + 1);
  }
  if (value.dtype() != ta.dtype) {
    return Invalid(absl::StrCat("TensorArray dtype is ", DTypeName(ta.dtype), " but Op is trying to write dtype ",
                                DTypeName(value.dtype())));
  }
  if (!ta.element_shape.IsCompatibleWith(value.shape())) {
    return Invalid(absl::StrCat("Could not write to TensorArray index ", index, " because the value shape is ",
                                value.shape().ToString(), " which is incompatible with the TensorArray's inferred element shape: ",
                                ta.element_shape.ToString()));
  }
  if (ta.identical_element_shapes && !ta.element_shape.IsFullyDefined()) ta.element_shape = value.shape();
  TensorArrayState::Element& e = ta.elements[index];
  if (e.written) {
    return Invalid(absl::StrCat("Could not write to TensorArray index ", index, " because it has already been written to."));
  }
  e.value = value;
  e.written = true;
  return absl::OkStatus();
}

absl::StatusOr<Tensor> ReadElement(TensorArrayState& ta, int64_t index) {
  if (index < 0 || index >= static_cast<int64_t>(ta.elements.size())) {
    return Invalid(absl::StrCat("Tried to read from index ", index, " but array size is: ", ta.elements.size()));
  }
  TensorArrayState::Element& e = ta.elements[index];
  if (!e.written) {
    return Invalid(absl::StrCat("Could not read from TensorArray index ", index, " because it has not yet been written to."));
  }
  if (e.cleared) {
    return Invalid(absl::StrCat("Could not read index ", index,
                                " twice because it was cleared after a previous read (perhaps try setting "
                                "clear_after_read = false?)."));
  }
  Tensor value = e.value;
  if (ta.clear_after_read) {
    e.value = Tensor();
    e.cleared = true;
  }
  return value;
}

absl::StatusOr<Values> TensorArrayWriteV3(const Node&, const Values& in) {
  absl::StatusOr<std::shared_ptr<TensorArrayState>> ta = ArrayInput(in, 0);
  if (!ta.ok()) return ta.status();
  absl::StatusOr<int64_t> index = ScalarInt(in, 1, "index");
  if (!index.ok()) return index.status();
  absl::StatusOr<const Tensor*> value = TensorInput(in, 2, "value");
  if (!value.ok()) return value.status();
  TA_RETURN_IF_ERROR(WriteElement(**ta, *index, **value));
  return Flow(in, 3);
}

absl::StatusOr<Values> TensorArrayReadV3(const Node& n, const Values& in) {
  absl::StatusOr<std::shared_ptr<TensorArrayState>> ta = ArrayInput(in, 0);
  if (!ta.ok()) return ta.status();
  absl::StatusOr<int64_t> index = ScalarInt(in, 1, "index");
  if (!index.ok()) return index.status();
  DType dtype;
  TA_RETURN_IF_ERROR(GetAttr(n.attrs(), "dtype", &dtype));
  if (dtype != (*ta)->dtype) {
    return Invalid(absl::StrCat("TensorArray dtype is ", DTypeName((*ta)->dtype), " but Op requested dtype ", DTypeName(dtype)));
  }
  absl::StatusOr<Tensor> value = ReadElement(**ta, *index);
  if (!value.ok()) return value.status();
  return Values{RegionValue(*std::move(value))};
}

// Stacks elements read one by one; all must have one shape. Zero elements need a fully
// defined element shape (TF: "Currently only static shapes are supported when packing
// zero-size TensorArrays").
absl::StatusOr<Tensor> StackRead(const std::vector<Tensor>& values, DType dtype, const Shape& element_shape) {
  if (values.empty()) {
    if (!element_shape.IsFullyDefined()) {
      return absl::UnimplementedError(absl::StrCat("TensorArray has size zero, but element shape ", element_shape.ToString(),
                                                   " is not fully defined. Currently only static shapes are supported "
                                                   "when packing zero-size TensorArrays."));
    }
    return Stack({}, dtype, element_shape);
  }
  std::vector<const Tensor*> ptrs;
  for (size_t k = 0; k < values.size(); ++k) {
    if (values[k].shape() != values[0].shape()) {
      return Invalid(absl::StrCat("TensorArray has inconsistent shapes.  Index 0 has shape: ", values[0].shape().ToString(),
                                  " but index ", k, " has shape: ", values[k].shape().ToString()));
    }
    ptrs.push_back(&values[k]);
  }
  if (!element_shape.IsCompatibleWith(values[0].shape())) {
    return Invalid(absl::StrCat("the elements' shape ", values[0].shape().ToString(), " is incompatible with element_shape ",
                                element_shape.ToString()));
  }
  return Stack(ptrs, dtype, values[0].shape());
}

absl::StatusOr<Values> TensorArrayGatherV3(const Node& n, const Values& in) {
  absl::StatusOr<std::shared_ptr<TensorArrayState>> ta = ArrayInput(in, 0);
  if (!ta.ok()) return ta.status();
  absl::StatusOr<std::vector<int64_t>> indices = IntVector(in, 1, "indices");
  if (!indices.ok()) return indices.status();
  DType dtype;
  Shape element_shape;
  TA_RETURN_IF_ERROR(GetAttr(n.attrs(), "dtype", &dtype));
  TA_RETURN_IF_ERROR(GetAttr(n.attrs(), "element_shape", &element_shape));
  if (dtype != (*ta)->dtype) {
    return Invalid(absl::StrCat("TensorArray dtype is ", DTypeName((*ta)->dtype), " but Op requested dtype ", DTypeName(dtype)));
  }
  absl::StatusOr<Shape> merged = element_shape.Merge((*ta)->element_shape);
  if (!merged.ok()) {
    return Invalid(absl::StrCat("element_shape ", element_shape.ToString(), " is incompatible with the TensorArray's ",
                                (*ta)->element_shape.ToString()));
  }
  std::vector<Tensor> values;
  for (int64_t index : *indices) {
    absl::StatusOr<Tensor> v = ReadElement(**ta, index);
    if (!v.ok()) return v.status();
    values.push_back(*std::move(v));
  }
  absl::StatusOr<Tensor> out = StackRead(values, dtype, *merged);
  if (!out.ok()) return out.status();
  return Values{RegionValue(*std::move(out))};
}

absl::StatusOr<Values> TensorArrayScatterV3(const Node&, const Values& in) {
  absl::StatusOr<std::shared_ptr<TensorArrayState>> ta = ArrayInput(in, 0);
  if (!ta.ok()) return ta.status();
  absl::StatusOr<std::vector<int64_t>> indices = IntVector(in, 1, "indices");
  if (!indices.ok()) return indices.status();
  absl::StatusOr<const Tensor*> value = TensorInput(in, 2, "value");
  if (!value.ok()) return value.status();
  const Tensor& v = **value;
  if (v.rank() < 1 || v.dim(0) != static_cast<int64_t>(indices->size())) {
    return Invalid(absl::StrCat("Expected len(indices) == values.shape[0], but saw: ", indices->size(), " vs. ",
                                v.rank() < 1 ? std::string("a scalar") : absl::StrCat(v.dim(0))));
  }
  for (size_t k = 0; k < indices->size(); ++k) {
    absl::StatusOr<Tensor> row = Rows(v, static_cast<int64_t>(k), 1, /*keep_dim=*/false);
    if (!row.ok()) return row.status();
    TA_RETURN_IF_ERROR(WriteElement(**ta, (*indices)[k], *row));
  }
  return Flow(in, 3);
}

absl::StatusOr<Values> TensorArrayConcatV3(const Node& n, const Values& in) {
  absl::StatusOr<std::shared_ptr<TensorArrayState>> ta = ArrayInput(in, 0);
  if (!ta.ok()) return ta.status();
  DType dtype;
  Shape except0;
  TA_RETURN_IF_ERROR(GetAttr(n.attrs(), "dtype", &dtype));
  TA_RETURN_IF_ERROR(GetAttr(n.attrs(), "element_shape_except0", &except0));
  std::vector<Tensor> values;
  for (int64_t k = 0; k < static_cast<int64_t>((*ta)->elements.size()); ++k) {
    absl::StatusOr<Tensor> v = ReadElement(**ta, k);
    if (!v.ok()) return v.status();
    if (v->rank() < 1) return Invalid(absl::StrCat("Concat saw a scalar shape at index ", k, " but requires at least vectors"));
    values.push_back(*std::move(v));
  }
  Tensor lengths(DT_INT64, Shape{static_cast<int64_t>(values.size())});
  if (values.empty()) {
    Shape shape{0};
    shape.AppendShape(except0);
    absl::StatusOr<Tensor> out = Zeros(dtype, shape, "TensorArrayConcat of an empty array");
    if (!out.ok()) return out.status();
    return Values{RegionValue(*std::move(out)), RegionValue(std::move(lengths))};
  }
  const Shape rest = values[0].shape().Subshape(1);
  int64_t rows = 0;
  for (size_t k = 0; k < values.size(); ++k) {
    if (values[k].shape().Subshape(1) != rest) {
      return Invalid(absl::StrCat("TensorArray has inconsistent shapes.  Index 0 has (excepting dimension 0) shape: ",
                                  rest.ToString(), " but index ", k, " has (excepting dimension 0) shape: ",
                                  values[k].shape().Subshape(1).ToString()));
    }
    lengths.flat<int64_t>()[k] = values[k].dim(0);
    rows += values[k].dim(0);
  }
  Shape shape{rows};
  shape.AppendShape(rest);
  absl::StatusOr<Tensor> out = Tensor::Create(dtype, shape);
  if (!out.ok()) return out.status();
  char* dst = static_cast<char*>(out->raw_data());
  for (const Tensor& v : values) {
    if (v.byte_size() > 0) std::memcpy(dst, v.raw_data(), v.byte_size());
    dst += v.byte_size();
  }
  return Values{RegionValue(*std::move(out)), RegionValue(std::move(lengths))};
}

absl::StatusOr<Values> TensorArraySplitV3(const Node&, const Values& in) {
  absl::StatusOr<std::shared_ptr<TensorArrayState>> ta = ArrayInput(in, 0);
  if (!ta.ok()) return ta.status();
  absl::StatusOr<const Tensor*> value = TensorInput(in, 1, "value");
  if (!value.ok()) return value.status();
  absl::StatusOr<std::vector<int64_t>> lengths = IntVector(in, 2, "lengths");
  if (!lengths.ok()) return lengths.status();
  const Tensor& v = **value;
  if (v.rank() < 1) return Invalid("Expected value to be at least a vector, but received a scalar");
  int64_t total = 0;
  for (int64_t l : *lengths) {
    if (l < 0) return Invalid(absl::StrCat("lengths must be non-negative, got ", l));
    total += l;
  }
  if (total != v.dim(0)) {
    return Invalid(absl::StrCat("Expected sum of lengths to be equal to values.shape[0], but sum of lengths is: ", total,
                                " and value's shape is: ", v.shape().ToString()));
  }
  if (!(*ta)->dynamic_size && lengths->size() != (*ta)->elements.size()) {
    return Invalid(absl::StrCat("TensorArray's size is not equal to the size of lengths (", lengths->size(), " vs. ",
                                (*ta)->elements.size(), "), and the TensorArray is not marked as dynamically resizeable"));
  }
  int64_t begin = 0;
  for (size_t k = 0; k < lengths->size(); ++k) {
    absl::StatusOr<Tensor> part = Rows(v, begin, (*lengths)[k], /*keep_dim=*/true);
    if (!part.ok()) return part.status();
    TA_RETURN_IF_ERROR(WriteElement(**ta, static_cast<int64_t>(k), *part));
    begin += (*lengths)[k];
  }
  return Flow(in, 3);
}

absl::StatusOr<Values> TensorArraySizeV3(const Node&, const Values& in) {
  absl::StatusOr<std::shared_ptr<TensorArrayState>> ta = ArrayInput(in, 0);
  if (!ta.ok()) return ta.status();
  return Values{RegionValue(Tensor::Scalar<int32_t>(static_cast<int32_t>((*ta)->elements.size())))};
}

absl::StatusOr<Values> TensorArrayCloseV3(const Node&, const Values& in) {
  absl::StatusOr<std::shared_ptr<TensorArrayState>> ta = ArrayInput(in, 0);
  if (!ta.ok()) return ta.status();
  (*ta)->elements.clear();
  (*ta)->closed = true;
  return Values{};
}

// ---- TensorList ----

absl::Status CheckListDType(const TensorListState& list, const Node& n) {
  DType dtype;
  TA_RETURN_IF_ERROR(GetAttr(n.attrs(), "element_dtype", &dtype));
  if (dtype != list.element_dtype) {
    return Invalid(absl::StrCat("Invalid data types; op elements ", DTypeName(dtype), " but list elements ",
                                DTypeName(list.element_dtype)));
  }
  return absl::OkStatus();
}

RegionValue ListValue(std::shared_ptr<TensorListState> list) {
  RegionValue v;
  v.tensor_list = std::move(list);
  return v;
}

absl::StatusOr<std::shared_ptr<TensorListState>> NewList(const Node& n, const Values& in, int shape_input) {
  auto list = std::make_shared<TensorListState>();
  TA_RETURN_IF_ERROR(GetAttr(n.attrs(), "element_dtype", &list->element_dtype));
  TA_RETURN_IF_ERROR(CheckElementDType(list->element_dtype));
  absl::StatusOr<Shape> shape = ShapeInput(in, shape_input, "element_shape");
  if (!shape.ok()) return shape.status();
  list->element_shape = *std::move(shape);
  return list;
}

// The shape an unset element reads as: the list's shape, the op's element_shape and the
// shapes of the elements that are set, merged; it must be fully defined.
absl::StatusOr<Shape> UnsetElementShape(const TensorListState& list, const Shape& requested) {
  absl::StatusOr<Shape> shape = list.element_shape.Merge(requested);
  if (!shape.ok()) {
    return Invalid(absl::StrCat("Incompatible shapes: the list's element shape is ", list.element_shape.ToString(),
                                ", the op asks for ", requested.ToString()));
  }
  for (const Tensor& e : list.elements) {
    if (!e.valid()) continue;
    absl::StatusOr<Shape> merged = shape->Merge(e.shape());
    if (merged.ok()) shape = std::move(merged);
  }
  if (!shape->IsFullyDefined()) {
    return Invalid(absl::StrCat("Trying to read an uninitialized tensor but element_shape is not fully defined: ",
                                shape->ToString(), " and no list element is set."));
  }
  return shape;
}

absl::StatusOr<Tensor> ListElement(const TensorListState& list, int64_t index, const Shape& requested) {
  const Tensor& e = list.elements[index];
  if (e.valid()) {
    if (!requested.IsCompatibleWith(e.shape())) {
      return Invalid(absl::StrCat("Incompatible shapes: element ", index, " has shape ", e.shape().ToString(),
                                  ", the op asks for ", requested.ToString()));
    }
    return e;
  }
  absl::StatusOr<Shape> shape = UnsetElementShape(list, requested);
  if (!shape.ok()) return shape.status();
  return Tensor::Create(list.element_dtype, *shape);
}

absl::Status CheckIndex(const TensorListState& list, int64_t index) {
  if (index < 0 || index >= static_cast<int64_t>(list.elements.size())) {
    return Invalid(absl::StrCat("Trying to access element ", index, " in a list with ", list.elements.size(), " elements."));
  }
  return absl::OkStatus();
}

absl::Status CheckItem(const TensorListState& list, const Tensor& item) {
  if (item.dtype() != list.element_dtype) {
    return Invalid(absl::StrCat("Invalid data types; list elements ", DTypeName(list.element_dtype), " but tried to add ",
                                DTypeName(item.dtype())));
  }
  if (!list.element_shape.IsCompatibleWith(item.shape())) {
    return Invalid(absl::StrCat("Tried to set a tensor with incompatible shape at a list index. Item element shape: ",
                                item.shape().ToString(), " list shape: ", list.element_shape.ToString()));
  }
  return absl::OkStatus();
}

absl::StatusOr<Values> EmptyTensorList(const Node& n, const Values& in) {
  absl::StatusOr<std::shared_ptr<TensorListState>> list = NewList(n, in, 0);
  if (!list.ok()) return list.status();
  absl::StatusOr<int64_t> max = ScalarInt(in, 1, "max_num_elements");
  if (!max.ok()) return max.status();
  if (*max < -1) return Invalid(absl::StrCat("max_num_elements must be >= -1, got ", *max));
  (*list)->max_num_elements = *max;
  return Values{ListValue(*std::move(list))};
}

absl::StatusOr<Values> TensorListReserve(const Node& n, const Values& in) {
  absl::StatusOr<std::shared_ptr<TensorListState>> list = NewList(n, in, 0);
  if (!list.ok()) return list.status();
  absl::StatusOr<int64_t> size = ScalarInt(in, 1, "num_elements");
  if (!size.ok()) return size.status();
  if (*size < 0) return Invalid(absl::StrCat("The num_elements to reserve must be a non negative number, but got ", *size));
  (*list)->elements.resize(*size);
  return Values{ListValue(*std::move(list))};
}

absl::StatusOr<Values> TensorListFromTensor(const Node& n, const Values& in) {
  absl::StatusOr<std::shared_ptr<TensorListState>> list = NewList(n, in, 1);
  if (!list.ok()) return list.status();
  absl::StatusOr<const Tensor*> tensor = TensorInput(in, 0, "tensor");
  if (!tensor.ok()) return tensor.status();
  const Tensor& t = **tensor;
  if (t.rank() < 1) return Invalid(absl::StrCat("Tensor must be at least a vector, but saw shape: ", t.shape().ToString()));
  if (!(*list)->element_shape.IsCompatibleWith(t.shape().Subshape(1))) {
    return Invalid(absl::StrCat("Specified a list with shape ", (*list)->element_shape.ToString(),
                                " from a tensor with shape ", t.shape().ToString()));
  }
  for (int64_t k = 0; k < t.dim(0); ++k) {
    absl::StatusOr<Tensor> row = Rows(t, k, 1, /*keep_dim=*/false);
    if (!row.ok()) return row.status();
    (*list)->elements.push_back(*std::move(row));
  }
  return Values{ListValue(*std::move(list))};
}

absl::StatusOr<Values> TensorListGetItem(const Node& n, const Values& in) {
  absl::StatusOr<std::shared_ptr<const TensorListState>> list = ListInput(in, 0);
  if (!list.ok()) return list.status();
  TA_RETURN_IF_ERROR(CheckListDType(**list, n));
  absl::StatusOr<int64_t> index = ScalarInt(in, 1, "index");
  if (!index.ok()) return index.status();
  absl::StatusOr<Shape> shape = ShapeInput(in, 2, "element_shape");
  if (!shape.ok()) return shape.status();
  TA_RETURN_IF_ERROR(CheckIndex(**list, *index));
  absl::StatusOr<Tensor> item = ListElement(**list, *index, *shape);
  if (!item.ok()) return item.status();
  return Values{RegionValue(*std::move(item))};
}

absl::StatusOr<Values> TensorListSetItem(const Node& n, const Values& in) {
  absl::StatusOr<std::shared_ptr<const TensorListState>> list = ListInput(in, 0);
  if (!list.ok()) return list.status();
  TA_RETURN_IF_ERROR(CheckListDType(**list, n));
  absl::StatusOr<int64_t> index = ScalarInt(in, 1, "index");
  if (!index.ok()) return index.status();
  absl::StatusOr<const Tensor*> item = TensorInput(in, 2, "item");
  if (!item.ok()) return item.status();
  TA_RETURN_IF_ERROR(CheckItem(**list, **item));
  bool resize = false;
  TA_RETURN_IF_ERROR(GetAttr(n.attrs(), "resize_if_index_out_of_bounds", &resize));
  auto out = std::make_shared<TensorListState>(**list);
  if (resize && *index >= static_cast<int64_t>(out->elements.size())) out->elements.resize(*index + 1);
  TA_RETURN_IF_ERROR(CheckIndex(*out, *index));
  out->elements[*index] = **item;
  return Values{ListValue(std::move(out))};
}

// Elements `indices` stacked: one shape for all, unset elements read as zeros.
absl::StatusOr<Tensor> StackList(const TensorListState& list, const std::vector<int64_t>& indices, const Shape& requested) {
  std::vector<Tensor> values;
  for (int64_t index : indices) {
    TA_RETURN_IF_ERROR(CheckIndex(list, index));
    absl::StatusOr<Tensor> v = ListElement(list, index, requested);
    if (!v.ok()) return v.status();
    values.push_back(*std::move(v));
  }
  absl::StatusOr<Shape> shape = list.element_shape.Merge(requested);
  if (!shape.ok()) {
    return Invalid(absl::StrCat("Incompatible shapes: the list's element shape is ", list.element_shape.ToString(),
                                ", the op asks for ", requested.ToString()));
  }
  if (values.empty() && !shape->IsFullyDefined()) {
    return Invalid(absl::StrCat("Tried to stack elements of an empty list with non-fully-defined element_shape: ",
                                shape->ToString()));
  }
  return StackRead(values, list.element_dtype, *shape);
}

absl::StatusOr<Values> TensorListStack(const Node& n, const Values& in) {
  absl::StatusOr<std::shared_ptr<const TensorListState>> list = ListInput(in, 0);
  if (!list.ok()) return list.status();
  TA_RETURN_IF_ERROR(CheckListDType(**list, n));
  absl::StatusOr<Shape> shape = ShapeInput(in, 1, "element_shape");
  if (!shape.ok()) return shape.status();
  int64_t num_elements = -1;
  TA_RETURN_IF_ERROR(GetAttr(n.attrs(), "num_elements", &num_elements));
  const int64_t size = static_cast<int64_t>((*list)->elements.size());
  if (num_elements != -1 && num_elements != size) {
    return Invalid(absl::StrCat("Operation expected a list with ", num_elements, " elements but got a list with ", size,
                                " elements."));
  }
  std::vector<int64_t> indices(size);
  for (int64_t k = 0; k < size; ++k) indices[k] = k;
  absl::StatusOr<Tensor> out = StackList(**list, indices, *shape);
  if (!out.ok()) return out.status();
  return Values{RegionValue(*std::move(out))};
}

absl::StatusOr<Values> TensorListGather(const Node& n, const Values& in) {
  absl::StatusOr<std::shared_ptr<const TensorListState>> list = ListInput(in, 0);
  if (!list.ok()) return list.status();
  TA_RETURN_IF_ERROR(CheckListDType(**list, n));
  absl::StatusOr<std::vector<int64_t>> indices = IntVector(in, 1, "indices");
  if (!indices.ok()) return indices.status();
  absl::StatusOr<Shape> shape = ShapeInput(in, 2, "element_shape");
  if (!shape.ok()) return shape.status();
  absl::StatusOr<Tensor> out = StackList(**list, *indices, *shape);
  if (!out.ok()) return out.status();
  return Values{RegionValue(*std::move(out))};
}

absl::StatusOr<Values> TensorListLength(const Node&, const Values& in) {
  absl::StatusOr<std::shared_ptr<const TensorListState>> list = ListInput(in, 0);
  if (!list.ok()) return list.status();
  return Values{RegionValue(Tensor::Scalar<int32_t>(static_cast<int32_t>((*list)->elements.size())))};
}

absl::StatusOr<Values> TensorListElementShape(const Node& n, const Values& in) {
  absl::StatusOr<std::shared_ptr<const TensorListState>> list = ListInput(in, 0);
  if (!list.ok()) return list.status();
  DType dtype;
  TA_RETURN_IF_ERROR(GetAttr(n.attrs(), "shape_type", &dtype));
  const Shape& s = (*list)->element_shape;
  Tensor out = s.has_rank() ? Tensor(dtype, Shape{s.rank()}) : Tensor(dtype, Shape{});
  for (int64_t k = 0; k < out.num_elements(); ++k) {
    const int64_t d = s.has_rank() ? s.dim(static_cast<int>(k)) : -1;
    if (dtype == DT_INT32) {
      out.flat<int32_t>()[k] = static_cast<int32_t>(d);
    } else {
      out.flat<int64_t>()[k] = d;
    }
  }
  return Values{RegionValue(std::move(out))};
}

absl::StatusOr<Values> TensorListPushBack(const Node& n, const Values& in) {
  absl::StatusOr<std::shared_ptr<const TensorListState>> list = ListInput(in, 0);
  if (!list.ok()) return list.status();
  TA_RETURN_IF_ERROR(CheckListDType(**list, n));
  absl::StatusOr<const Tensor*> item = TensorInput(in, 1, "tensor");
  if (!item.ok()) return item.status();
  TA_RETURN_IF_ERROR(CheckItem(**list, **item));
  if ((*list)->max_num_elements != -1 && static_cast<int64_t>((*list)->elements.size()) >= (*list)->max_num_elements) {
    return Invalid(absl::StrCat("Tried to push item into a full list list size: ", (*list)->elements.size(),
                                " max_num_elements: ", (*list)->max_num_elements));
  }
  auto out = std::make_shared<TensorListState>(**list);
  out->elements.push_back(**item);
  return Values{ListValue(std::move(out))};
}

absl::StatusOr<Values> TensorListPopBack(const Node& n, const Values& in) {
  absl::StatusOr<std::shared_ptr<const TensorListState>> list = ListInput(in, 0);
  if (!list.ok()) return list.status();
  TA_RETURN_IF_ERROR(CheckListDType(**list, n));
  absl::StatusOr<Shape> shape = ShapeInput(in, 1, "element_shape");
  if (!shape.ok()) return shape.status();
  if ((*list)->elements.empty()) return Invalid("Trying to pop from an empty list.");
  absl::StatusOr<Tensor> item = ListElement(**list, static_cast<int64_t>((*list)->elements.size()) - 1, *shape);
  if (!item.ok()) return item.status();
  auto out = std::make_shared<TensorListState>(**list);
  out->elements.pop_back();
  return Values{ListValue(std::move(out)), RegionValue(*std::move(item))};
}

absl::StatusOr<Values> TensorListResize(const Node&, const Values& in) {
  absl::StatusOr<std::shared_ptr<const TensorListState>> list = ListInput(in, 0);
  if (!list.ok()) return list.status();
  absl::StatusOr<int64_t> size = ScalarInt(in, 1, "size");
  if (!size.ok()) return size.status();
  if (*size < 0) return Invalid(absl::StrCat("TensorListSlice expects size to be non-negative. Got: ", *size));
  auto out = std::make_shared<TensorListState>(**list);
  out->elements.resize(*size);
  return Values{ListValue(std::move(out))};
}

const absl::flat_hash_map<std::string, Kernel>& Kernels() {
  static const auto* kernels = new absl::flat_hash_map<std::string, Kernel>{
      {"TensorArrayV3", TensorArrayV3},
      {"TensorArrayWriteV3", TensorArrayWriteV3},
      {"TensorArrayReadV3", TensorArrayReadV3},
      {"TensorArrayGatherV3", TensorArrayGatherV3},
      {"TensorArrayScatterV3", TensorArrayScatterV3},
      {"TensorArrayConcatV3", TensorArrayConcatV3},
      {"TensorArraySplitV3", TensorArraySplitV3},
      {"TensorArraySizeV3", TensorArraySizeV3},
      {"TensorArrayCloseV3", TensorArrayCloseV3},
      {"EmptyTensorList", EmptyTensorList},
      {"TensorListReserve", TensorListReserve},
      {"TensorListFromTensor", TensorListFromTensor},
      {"TensorListGetItem", TensorListGetItem},
      {"TensorListSetItem", TensorListSetItem},
      {"TensorListStack", TensorListStack},
      {"TensorListGather", TensorListGather},
      {"TensorListLength", TensorListLength},
      {"TensorListElementShape", TensorListElementShape},
      {"TensorListPushBack", TensorListPushBack},
      {"TensorListPopBack", TensorListPopBack},
      {"TensorListResize", TensorListResize},
  };
  return *kernels;
}

#undef TA_RETURN_IF_ERROR

}  // namespace

std::string RegionValue::Describe() const {
  if (tensor_array != nullptr) return "a TensorArray handle";
  if (tensor_list != nullptr) return "a TensorList";
  if (!tensor.valid()) return "no value";
  return TypeString(tensor.dtype(), tensor.shape());
}

bool IsTensorArrayOrListOp(std::string_view op) { return Kernels().contains(Absl(op)); }

absl::StatusOr<std::vector<RegionValue>> RunTensorArrayOrListOp(const Node& node, const std::vector<RegionValue>& inputs) {
  auto it = Kernels().find(node.op());
  if (it == Kernels().end()) return absl::InternalError(absl::StrCat(node.Describe(), " is not a TensorArray or TensorList op"));
  if (static_cast<int>(inputs.size()) != node.num_inputs()) {
    return node.Annotate(absl::InternalError(absl::StrCat("expected ", node.num_inputs(), " inputs, got ", inputs.size())));
  }
  absl::StatusOr<Values> out = it->second(node, inputs);
  if (!out.ok()) return node.Annotate(out.status());
  return out;
}

}  // namespace strata
