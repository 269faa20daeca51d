#include "bench/aot/onnx_writer.h"

#include <cstring>

namespace strata::bench {

namespace {

// Protobuf wire format: varints (type 0) and length-delimited fields (type 2).
void Varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
void IntField(std::string& out, int field, int64_t v) {
  Varint(out, static_cast<uint64_t>(field) << 3);
  Varint(out, static_cast<uint64_t>(v));
}
void BytesField(std::string& out, int field, const std::string& bytes) {
  Varint(out, (static_cast<uint64_t>(field) << 3) | 2);
  Varint(out, bytes.size());
  out += bytes;
}

constexpr int kFloat = 1;  // TensorProto.DataType FLOAT
constexpr int kInt64 = 7;

std::string ValueInfo(const std::string& name, const std::vector<int64_t>& dims) {
  std::string shape;
  for (int64_t d : dims) {
    std::string dim;
    if (d < 0) {
      BytesField(dim, 2, "N");  // dim_param
    } else {
      IntField(dim, 1, d);  // dim_value
    }
    BytesField(shape, 1, dim);
  }
  std::string tensor_type;
  IntField(tensor_type, 1, kFloat);  // elem_type
  BytesField(tensor_type, 2, shape);
  std::string type;
  BytesField(type, 1, tensor_type);  // TypeProto.tensor_type
  std::string info;
  BytesField(info, 1, name);
  BytesField(info, 2, type);
  return info;
}

}  // namespace

void OnnxGraph::AddInput(const std::string& name, const std::vector<int64_t>& dims) {
  BytesField(inputs_, 11, ValueInfo(name, dims));
}

void OnnxGraph::AddOutput(const std::string& name, const std::vector<int64_t>& dims) {
  BytesField(outputs_, 12, ValueInfo(name, dims));
}

void OnnxGraph::AddInitializer(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& values) {
  std::string t;
  for (int64_t d : dims) IntField(t, 1, d);
  IntField(t, 2, kFloat);
  BytesField(t, 8, name);
  std::string raw(values.size() * sizeof(float), '\0');
  std::memcpy(raw.data(), values.data(), raw.size());
  BytesField(t, 9, raw);  // raw_data, little-endian
  BytesField(initializers_, 5, t);
}

void OnnxGraph::AddInt64Initializer(const std::string& name, const std::vector<int64_t>& values) {
  std::string t;
  IntField(t, 1, static_cast<int64_t>(values.size()));
  IntField(t, 2, kInt64);
  BytesField(t, 8, name);
  std::string raw(values.size() * sizeof(int64_t), '\0');
  std::memcpy(raw.data(), values.data(), raw.size());
  BytesField(t, 9, raw);
  BytesField(initializers_, 5, t);
}

void OnnxGraph::AddNode(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::vector<Attr>& attrs) {
  std::string n;
  for (const std::string& i : inputs) BytesField(n, 1, i);
  for (const std::string& o : outputs) BytesField(n, 2, o);
  BytesField(n, 3, op + "_" + std::to_string(node_count_++));
  BytesField(n, 4, op);
  for (const Attr& a : attrs) {
    std::string attr;
    BytesField(attr, 1, a.name);
    if (a.single) {
      IntField(attr, 3, a.ints.at(0));  // i
      IntField(attr, 20, 2);            // type INT
    } else {
      for (int64_t v : a.ints) IntField(attr, 8, v);  // ints
      IntField(attr, 20, 7);                          // type INTS
    }
    BytesField(n, 5, attr);
  }
  BytesField(nodes_, 1, n);
}

std::string OnnxGraph::Serialize(const std::string& graph_name) const {
  std::string graph = nodes_;
  BytesField(graph, 2, graph_name);
  graph += initializers_ + inputs_ + outputs_;
  std::string opset;
  BytesField(opset, 1, "");
  IntField(opset, 2, 13);
  std::string model;
  IntField(model, 1, 8);  // ir_version
  BytesField(model, 2, "strata bench");
  BytesField(model, 7, graph);
  BytesField(model, 8, opset);
  return model;
}

}  // namespace strata::bench
