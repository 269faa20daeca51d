// TF.js graph models (frontends/tf/tfjs_model.h, model_loader.h): a model.json written here
// with its weights split over two shards (one weight straddles them), loaded, checked node by
// node and run on the reference evaluator; protobuf JSON mapping details (base64 strings,
// int64 as strings, list attrs, unknown fields); and every error a broken model can give.
#include "frontends/tf/tfjs_model.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "frontends/tf/model_loader.h"
#include "gmock/gmock.h"
#include "graph/graph_def_io.h"
#include "gtest/gtest.h"
#include "runtime/reference/evaluator.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// y = x @ w + b; s = sum(y, axis); w is stored as float16, b as uint8 (v * 0.25 - 0.5), axis
// as int32 for an int64 node; "extra" has no node and becomes a Const.
constexpr char kModelJson[] = R"({
  "format": "graph-model", "generatedBy": "test", "convertedBy": "TensorFlow.js Converter v4.22.0",
  "signature": {"inputs": {"x:0": {"name": "x:0", "dtype": "DT_FLOAT"}}},
  "modelTopology": {
    "node": [
      {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"},
        "shape": {"shape": {"dim": [{"size": "-1"}, {"size": "2"}]}}}},
      {"name": "w", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor": {"dtype": "DT_FLOAT",
        "tensorShape": {"dim": [{"size": "2"}, {"size": "3"}]}}}}},
      {"name": "b", "op": "Const", "attr": {"value": {"tensor": {"dtype": "DT_FLOAT",
        "tensorShape": {"dim": [{"size": "3"}]}}}, "dtype": {"type": "DT_FLOAT"}}},
      {"name": "axis", "op": "Const", "attr": {"dtype": {"type": "DT_INT64"}, "value": {"tensor": {"dtype": "DT_INT64",
        "tensorShape": {"dim": [{"size": "1"}]}}}}},
      {"name": "mm", "op": "MatMul", "input": ["x", "w"], "device": "/device:CPU:0",
       "attr": {"T": {"type": "DT_FLOAT"}, "transpose_a": {"b": false}, "transpose_b": {"b": false}}},
      {"name": "y", "op": "AddV2", "input": ["mm", "b"], "attr": {"T": {"type": "DT_FLOAT"}}},
      {"name": "s", "op": "Sum", "input": ["y", "axis"],
       "attr": {"T": {"type": "DT_FLOAT"}, "Tidx": {"type": "DT_INT64"}, "keep_dims": {"b": false}}}
    ],
    "library": {}, "versions": {"producer": 440}, "aFieldFromTheFuture": {"x": 1}
  },
  "weightsManifest": [{"paths": ["group1-shard1of2.bin", "group1-shard2of2.bin"], "weights": [
    {"name": "w", "shape": [2, 3], "dtype": "float32", "quantization": {"dtype": "float16", "original_dtype": "float32"}},
    {"name": "b", "shape": [3], "dtype": "float32",
     "quantization": {"dtype": "uint8", "scale": 0.25, "min": -0.5, "original_dtype": "float32"}},
    {"name": "axis", "shape": [1], "dtype": "int32"},
    {"name": "extra", "shape": [2], "dtype": "int32"}]}]
})";

template <typename T>
std::string Bytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

// w = [[1, 2, 0.5], [-1, 0, 3]] as float16, b = [2, 4, 6] as uint8, axis = [1], extra = [5, 6].
std::string WeightBytes() {
  return Bytes<uint16_t>({0x3C00, 0x4000, 0x3800, 0xBC00, 0x0000, 0x4200}) + Bytes<uint8_t>({2, 4, 6}) +
         Bytes<int32_t>({1}) + Bytes<int32_t>({5, 6});
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  auto f = t.flat<T>();
  return std::vector<T>(f.begin(), f.end());
}

class TfjsModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::path(::testing::TempDir()) / "tfjs_model_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const { return (fs::path(dir_) / name).string(); }
  void Write(const std::string& name, const std::string& contents) const {
    std::ofstream out(Path(name), std::ios::binary);
    out << contents;
  }
  // model.json plus the weights split 13 | 14 bytes: the split falls inside b.
  void WriteModel(const std::string& json = kModelJson) const {
    Write("model.json", json);
    const std::string bytes = WeightBytes();
    Write("group1-shard1of2.bin", bytes.substr(0, 13));
    Write("group1-shard2of2.bin", bytes.substr(13));
  }
  const tf::NodeDef* Node(const tf::GraphDef& def, const std::string& name) {
    for (const tf::NodeDef& n : def.node()) {
      if (n.name() == name) return &n;
    }
    return nullptr;
  }
  absl::StatusOr<Tensor> ConstValue(const tf::GraphDef& def, const std::string& name) {
    const tf::NodeDef* n = Node(def, name);
    if (n == nullptr) return absl::NotFoundError(name);
    return Tensor::FromProto(n->attr().at("value").tensor());
  }
  absl::Status ReadError(const std::string& json) {
    WriteModel(json);
    return ReadTfjsModel(Path("model.json")).status();
  }

  std::string dir_;
};

TEST_F(TfjsModelTest, WeightsBecomeConstsWithTheirNodesDtype) {
  WriteModel();
  absl::StatusOr<tf::GraphDef> def = ReadTfjsModel(Path("model.json"));
  ASSERT_TRUE(def.ok()) << def.status();
  ASSERT_EQ(def->node_size(), 8);  // 7 nodes + "extra"
  EXPECT_EQ(def->versions().producer(), 440);
  // model.json says "/device:CPU:0"; TF.js ignores node devices, and a Session would honor it.
  EXPECT_EQ(Node(*def, "mm")->device(), "");

  absl::StatusOr<Tensor> w = ConstValue(*def, "w");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->shape(), (Shape{2, 3}));
  EXPECT_THAT(Values<float>(*w), ElementsAre(1, 2, 0.5, -1, 0, 3));
  absl::StatusOr<Tensor> b = ConstValue(*def, "b");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_THAT(Values<float>(*b), ElementsAre(0, 0.5, 1));
  // TF.js stores int64 weights as int32; the node says int64, so the Const holds int64.
  absl::StatusOr<Tensor> axis = ConstValue(*def, "axis");
  ASSERT_TRUE(axis.ok()) << axis.status();
  EXPECT_EQ(axis->dtype(), DT_INT64);
  EXPECT_EQ(Node(*def, "axis")->attr().at("dtype").type(), tf::DT_INT64);
  EXPECT_THAT(Values<int64_t>(*axis), ElementsAre(1));
  const tf::NodeDef* extra = Node(*def, "extra");
  ASSERT_NE(extra, nullptr);
  EXPECT_EQ(extra->op(), "Const");
  EXPECT_EQ(extra->attr().at("dtype").type(), tf::DT_INT32);
  absl::StatusOr<Tensor> extra_value = ConstValue(*def, "extra");
  ASSERT_TRUE(extra_value.ok()) << extra_value.status();
  EXPECT_THAT(Values<int32_t>(*extra_value), ElementsAre(5, 6));
}

TEST_F(TfjsModelTest, LoadedModelRunsOnTheReferenceEvaluator) {
  WriteModel();
  absl::StatusOr<tf::GraphDef> def = LoadModel(Path("model.json"));
  ASSERT_TRUE(def.ok()) << def.status();
  absl::StatusOr<std::unique_ptr<Graph>> graph = GraphFromGraphDef(*def);
  ASSERT_TRUE(graph.ok()) << graph.status();
  absl::StatusOr<Output> x = (*graph)->FindOutput("x");
  absl::StatusOr<Output> s = (*graph)->FindOutput("s:0");
  ASSERT_TRUE(x.ok() && s.ok());
  // x @ w = [[0, 2, 3.5], [2, 4, 1]]; + b = [[0, 2.5, 4.5], [2, 4.5, 2]]; row sums 7, 8.5.
  Tensor x_value = Tensor::FromVector<float>({1, 1, 2, 0}, Shape{2, 2});
  absl::StatusOr<std::vector<Tensor>> out = Evaluate(**graph, {{*x, x_value}}, {*s});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values<float>((*out)[0]), ElementsAre(7.0f, 8.5f));
}

TEST_F(TfjsModelTest, ConvertedGraphDefRoundTripsThroughPb) {
  WriteModel();
  absl::StatusOr<tf::GraphDef> def = LoadModel(Path("model.json"));
  ASSERT_TRUE(def.ok()) << def.status();
  ASSERT_TRUE(WriteGraphDefFile(*def, Path("model.pb")).ok());
  absl::StatusOr<tf::GraphDef> pb = LoadModel(Path("model.pb"));
  ASSERT_TRUE(pb.ok()) << pb.status();
  EXPECT_EQ(SerializeGraphDef(*pb), SerializeGraphDef(*def));
}

TEST_F(TfjsModelTest, JsonMappingOfAttrs) {
  // Strings are base64 ("VkFMSUQ=" = VALID, "TkhXQw==" = NHWC), int64 are strings or numbers.
  const std::string json = R"({"modelTopology": {"node": [
      {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"unknownRank": true}}}},
      {"name": "pool", "op": "MaxPool", "input": ["x"], "attr": {"T": {"type": "DT_FLOAT"},
        "ksize": {"list": {"i": ["1", "2", "2", "1"]}}, "strides": {"list": {"i": [1, 2, 2, 1]}},
        "padding": {"s": "VkFMSUQ="}, "data_format": {"s": "TkhXQw=="}}},
      {"name": "act", "op": "LeakyRelu", "input": ["pool"], "attr": {"T": {"type": "DT_FLOAT"}, "alpha": {"f": 0.2}}},
      {"name": "fused", "op": "_FusedConv2D", "input": ["x", "x", "x"], "attr": {
        "fused_ops": {"list": {"s": ["Qmlhc0FkZA==", "UmVsdQ=="]}}, "num_args": {"i": "1"}}}
    ], "versions": {}}})";
  absl::StatusOr<tf::GraphDef> def = ParseTfjsModel(json, "inline.json", dir_);
  ASSERT_TRUE(def.ok()) << def.status();
  const tf::NodeDef* pool = Node(*def, "pool");
  EXPECT_THAT(pool->attr().at("ksize").list().i(), ElementsAre(1, 2, 2, 1));
  EXPECT_THAT(pool->attr().at("strides").list().i(), ElementsAre(1, 2, 2, 1));
  EXPECT_EQ(pool->attr().at("padding").s(), "VALID");
  EXPECT_EQ(pool->attr().at("data_format").s(), "NHWC");
  EXPECT_FLOAT_EQ(Node(*def, "act")->attr().at("alpha").f(), 0.2f);
  EXPECT_TRUE(Node(*def, "x")->attr().at("shape").shape().unknown_rank());
  EXPECT_THAT(Node(*def, "fused")->attr().at("fused_ops").list().s(), ElementsAre("BiasAdd", "Relu"));
  EXPECT_EQ(Node(*def, "fused")->attr().at("num_args").i(), 1);
}

TEST_F(TfjsModelTest, ModelWithoutWeightsManifestLoads) {
  absl::StatusOr<tf::GraphDef> def = ParseTfjsModel(
      R"({"modelTopology": {"node": [{"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_INT32"}}}]}})",
      "inline.json", dir_);
  ASSERT_TRUE(def.ok()) << def.status();
  EXPECT_EQ(def->node_size(), 1);
}

TEST_F(TfjsModelTest, MissingAndShortShardsNameTheFileAndWeight) {
  Write("model.json", kModelJson);
  Write("group1-shard1of2.bin", WeightBytes().substr(0, 13));
  absl::Status missing = ReadTfjsModel(Path("model.json")).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr("model.json': cannot open weight shard '"));
  EXPECT_THAT(missing.message(), HasSubstr("group1-shard2of2.bin': no such file"));

  Write("group1-shard2of2.bin", WeightBytes().substr(13, 6));  // ends where "extra" begins
  absl::Status short_shard = ReadTfjsModel(Path("model.json")).status();
  EXPECT_EQ(short_shard.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(short_shard.message(), HasSubstr("weight 'extra' (int32[2]) needs 8 bytes at offset 19 but only 0 are left"));
  EXPECT_THAT(short_shard.message(), HasSubstr("group1-shard1of2.bin: 13 bytes, "));
  EXPECT_THAT(short_shard.message(), HasSubstr("group1-shard2of2.bin: 6 bytes)"));
}

TEST_F(TfjsModelTest, BadFilesGiveErrorsNamingThem) {
  absl::Status missing = ReadTfjsModel(Path("nope.json")).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr("nope.json': no such file"));

  EXPECT_THAT(ReadError("{\"modelTopology\": {\"node\": [").message(), HasSubstr("model.json' is not valid JSON"));
  EXPECT_THAT(ReadError("[1, 2]").message(), HasSubstr("not a JSON object"));
  EXPECT_THAT(ReadError("").message(), HasSubstr("model.json' is empty"));
  EXPECT_THAT(ReadError(R"({"format": "layers-model", "modelTopology": {"class_name": "Sequential"}})").message(),
              HasSubstr("is a TF.js layers model"));
  EXPECT_THAT(ReadError(R"({"weightsManifest": []})").message(), HasSubstr("has no \"modelTopology\" object"));
  EXPECT_THAT(ReadError(R"({"modelTopology": {"node": [{"name": "x", "op": 3, "input": "y"}]}})").message(),
              HasSubstr("modelTopology is not a GraphDef"));
  EXPECT_THAT(ReadError(absl::StrReplaceAll(kModelJson, {{R"("dtype": "int32"})", R"("dtype": "int64"})"}})).message(),
              HasSubstr("model.json': weight 'axis': unknown dtype 'int64'"));
}

TEST_F(TfjsModelTest, WeightsThatContradictTheirNodes) {
  // A weight for a non-Const node.
  EXPECT_THAT(ReadError(absl::StrReplaceAll(kModelJson, {{R"({"name": "extra")", R"({"name": "mm")"}})).message(),
              HasSubstr("weight 'mm' names node 'mm', a MatMul, not a Const"));
  // A shape that differs from the node's.
  EXPECT_THAT(ReadError(absl::StrReplaceAll(kModelJson, {{R"("shape": [2, 3])", R"("shape": [3, 2])"}})).message(),
              HasSubstr("weight 'w' has shape [3,2] but its Const node declares [2,3]"));
  // A string weight for a float node.
  EXPECT_THAT(ReadError(absl::StrReplaceAll(kModelJson, {{R"({"name": "axis", "shape": [1], "dtype": "int32"})",
                                                          R"({"name": "axis", "shape": [1], "dtype": "string"})"}}))
                  .message(),
              HasSubstr("weight 'axis' is string but its Const node declares int64"));
  // The same weight twice.
  EXPECT_THAT(ReadError(absl::StrReplaceAll(kModelJson, {{R"({"name": "extra")", R"({"name": "axis")"}})).message(),
              HasSubstr("weight 'axis' is listed twice"));
}

TEST_F(TfjsModelTest, ConstsWithoutWeightsAreAllNamed) {
  // TF.js keeps every constant in the shards; an empty Const would silently read as zeros.
  const std::string json = R"({"modelTopology": {"node": [
      {"name": "a", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor": {"dtype": "DT_FLOAT",
        "tensorShape": {"dim": [{"size": "2"}]}}}}},
      {"name": "b", "op": "Const", "attr": {"dtype": {"type": "DT_INT32"}, "value": {"tensor": {"dtype": "DT_INT32",
        "tensorShape": {}}}}},
      {"name": "inline", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor": {"dtype": "DT_FLOAT",
        "tensorShape": {}, "floatVal": [1.5]}}}},
      {"name": "empty", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor": {"dtype": "DT_FLOAT",
        "tensorShape": {"dim": [{"size": "0"}]}}}}}]}})";
  absl::Status s = ParseTfjsModel(json, "inline.json", dir_).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'inline.json': 2 Const node(s) have no value and no weight in weightsManifest: a, b"));
}

TEST_F(TfjsModelTest, LoadModelDispatchesOnTheExtension) {
  absl::StatusOr<tf::GraphDef> pbtxt = LoadModel(std::string(STRATA_SOURCE_DIR) + "/tests/data/tfadd.pbtxt");
  ASSERT_TRUE(pbtxt.ok()) << pbtxt.status();
  EXPECT_GT(pbtxt->node_size(), 0);
  EXPECT_TRUE(IsTfjsModelPath("a/model.json"));
  EXPECT_FALSE(IsTfjsModelPath("model.pb"));
  // A .json that is not there is reported by the TF.js reader, not the GraphDef one.
  EXPECT_THAT(LoadModel(Path("missing.json")).status().message(), HasSubstr("cannot open TF.js model"));
}

}  // namespace
}  // namespace strata
