// The values that flow inside a control-flow region (runtime/control_flow_executor.h), and the
// kernels of the TensorArray* and TensorList* ops (schemas: ops/tensor_array_ops.cc,
// ops/tensor_list_ops.cc).
//
// A TensorArray (DT_RESOURCE handle) is shared mutable state, as in TensorFlow: every copy of
// the handle sees the same elements, and the "flow" scalars only order the ops. A TensorList
// (DT_VARIANT) is a value: SetItem and PushBack return a new list and leave their input as is.
// Both live only inside one run of one region, so they never reach compiled code.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "graph/shape.h"
#include "graph/tensor.h"

namespace strata {

struct TensorArrayState {
  struct Element {
    Tensor value;
    bool written = false;
    bool cleared = false;  // read once with clear_after_read
  };
  DType dtype = DT_INVALID;
  Shape element_shape = Shape::UnknownRank();  // refined by writes when identical_element_shapes
  bool dynamic_size = false;
  bool clear_after_read = true;
  bool identical_element_shapes = false;
  bool closed = false;
  std::vector<Element> elements;
};

struct TensorListState {
  DType element_dtype = DT_INVALID;
  Shape element_shape = Shape::UnknownRank();
  int64_t max_num_elements = -1;  // -1: unbounded
  std::vector<Tensor> elements;   // an invalid Tensor is an element not set yet
};

// One value inside a region: a tensor, a TensorArray handle or a TensorList.
struct RegionValue {
  Tensor tensor;
  std::shared_ptr<TensorArrayState> tensor_array;
  std::shared_ptr<const TensorListState> tensor_list;

  RegionValue() = default;
  explicit RegionValue(Tensor t) : tensor(std::move(t)) {}
  bool is_tensor() const { return tensor_array == nullptr && tensor_list == nullptr; }
  // "float32[2,3]", "a TensorArray", "a TensorList": for error messages.
  std::string Describe() const;
};

// Whether `op` is one of the TensorArray*/TensorList* ops that RunTensorArrayOrListOp runs.
bool IsTensorArrayOrListOp(std::string_view op);

// Runs one TensorArray or TensorList op. Errors follow TensorFlow's messages (an index out of
// range, a read of an element never written, shapes that do not agree, ...) and name the node.
absl::StatusOr<std::vector<RegionValue>> RunTensorArrayOrListOp(const Node& node, const std::vector<RegionValue>& inputs);

}  // namespace strata
