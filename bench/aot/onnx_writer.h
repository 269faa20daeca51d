// Just enough of ONNX to write the benchmark models for ONNX Runtime: a protobuf encoder for
// ModelProto / GraphProto / NodeProto / TensorProto / ValueInfoProto (field numbers from
// onnx/onnx.proto), float32 tensors only. No onnx or protobuf library needed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strata::bench {

class OnnxGraph {
 public:
  // Graph inputs and outputs: float32 with a symbolic batch dim ("N") where a dim is -1.
  void AddInput(const std::string& name, const std::vector<int64_t>& dims);
  void AddOutput(const std::string& name, const std::vector<int64_t>& dims);
  void AddInitializer(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& values);
  void AddInt64Initializer(const std::string& name, const std::vector<int64_t>& values);

  struct Attr {
    std::string name;
    std::vector<int64_t> ints;  // written as INTS, or INT when `single`
    bool single = false;
  };
  void AddNode(const std::string& op, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
               const std::vector<Attr>& attrs = {});

  // A serialized ModelProto (IR version 8, opset 13).
  std::string Serialize(const std::string& graph_name) const;

 private:
  std::string nodes_, initializers_, inputs_, outputs_;
  int node_count_ = 0;
};

}  // namespace strata::bench
