// weightsManifest parsing and weight decoding (frontends/tf/tfjs_weights.h): every storage
// form TF.js writes, with values worked out by hand, and the errors for bad manifests and
// short data.
#include "frontends/tf/tfjs_weights.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

google::protobuf::Value Json(const std::string& text) {
  google::protobuf::Value v;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text, &v).ok()) << text;
  return v;
}

template <typename T>
std::string Bytes(const std::vector<T>& values) {
  std::string out(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

TfjsWeightSpec Spec(const std::string& dtype, std::vector<int64_t> shape) {
  TfjsWeightSpec spec;
  spec.name = "w";
  spec.dtype = dtype;
  spec.shape = std::move(shape);
  return spec;
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  auto f = t.flat<T>();
  return std::vector<T>(f.begin(), f.end());
}

TEST(TfjsManifestTest, ParsesGroupsWeightsAndQuantization) {
  absl::StatusOr<std::vector<TfjsWeightGroup>> groups = ParseTfjsWeightsManifest(Json(R"([
    {"paths": ["a.bin", "b.bin"], "weights": [
      {"name": "conv/kernel", "shape": [3, 3, 1, 8], "dtype": "float32",
       "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.25, "original_dtype": "float32"}},
      {"name": "stack", "shape": [], "dtype": "int32"}]},
    {"paths": ["c.bin"], "weights": [
      {"name": "bias", "shape": [8], "dtype": "float32", "quantization": {"dtype": "float16"}}]}])"));
  ASSERT_TRUE(groups.ok()) << groups.status();
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_THAT((*groups)[0].paths, ElementsAre("a.bin", "b.bin"));
  ASSERT_EQ((*groups)[0].weights.size(), 2u);
  const TfjsWeightSpec& kernel = (*groups)[0].weights[0];
  EXPECT_EQ(kernel.name, "conv/kernel");
  EXPECT_THAT(kernel.shape, ElementsAre(3, 3, 1, 8));
  ASSERT_TRUE(kernel.quantization.has_value());
  EXPECT_EQ(kernel.quantization->dtype, "uint8");
  EXPECT_EQ(*kernel.quantization->scale, 0.5);
  EXPECT_EQ(*kernel.quantization->min, -1.25);
  EXPECT_TRUE((*groups)[0].weights[1].shape.empty());
  EXPECT_FALSE((*groups)[0].weights[1].quantization.has_value());
  EXPECT_EQ((*groups)[1].weights[0].quantization->dtype, "float16");
}

TEST(TfjsManifestTest, RejectsBadManifestsNamingTheWeight) {
  struct Case {
    const char* json;
    const char* message;
  } cases[] = {
      {R"({"paths": []})", "must be a list of weight groups"},
      {R"([{"weights": []}])", "group 0: \"paths\" must be a list"},
      {R"([{"paths": ["a.bin"]}])", "group 0: \"weights\" must be a list"},
      {R"([{"paths": ["a.bin"], "weights": [{"shape": [1], "dtype": "float32"}]}])", "missing \"name\""},
      {R"([{"paths": ["a.bin"], "weights": [{"name": "w", "shape": [1], "dtype": "complex128"}]}])",
       "weight 'w': unknown dtype 'complex128'"},
      {R"([{"paths": ["a.bin"], "weights": [{"name": "w", "shape": [-1], "dtype": "float32"}]}])",
       "weight 'w': \"shape\" must hold non-negative integers"},
      {R"([{"paths": ["a.bin"], "weights": [{"name": "w", "shape": [1.5], "dtype": "float32"}]}])",
       "non-negative integers"},
      {R"([{"paths": ["a.bin"], "weights": [{"name": "w", "dtype": "float32"}]}])", "weight 'w': missing \"shape\""},
      {R"([{"paths": ["a.bin"], "weights": [{"name": "w", "shape": [1], "dtype": "float32",
           "quantization": {"dtype": "int4"}}]}])",
       "weight 'w': unknown quantization dtype 'int4'"},
      {R"([{"paths": ["a.bin"], "weights": [{"name": "w", "shape": [1], "dtype": "float32",
           "quantization": {"dtype": "uint8", "scale": 1}}]}])",
       "weight 'w': uint8 quantization needs \"scale\" and \"min\""},
      {R"([{"paths": ["a.bin"], "weights": [{"name": "w", "shape": [1], "dtype": "int32",
           "quantization": {"dtype": "float16"}}]}])",
       "weight 'w': float16 quantization of a int32 weight"},
      {R"([{"paths": ["a.bin"], "weights": [{"name": "w", "shape": [1], "dtype": "bool",
           "quantization": {"dtype": "uint8", "scale": 1, "min": 0}}]}])",
       "uint8 quantization of a bool weight"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<TfjsWeightGroup>> groups = ParseTfjsWeightsManifest(Json(c.json));
    ASSERT_FALSE(groups.ok()) << c.json;
    EXPECT_EQ(groups.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(groups.status().message(), HasSubstr(c.message)) << c.json;
  }
}

TEST(TfjsDecodeTest, PlainDtypesAdvanceTheOffset) {
  std::string bytes = Bytes<float>({1.5f, -2.f}) + Bytes<int32_t>({7, -9, 11}) + std::string("\x01\x00\x05", 3);
  size_t offset = 0;
  absl::StatusOr<Tensor> f = DecodeTfjsWeight(Spec("float32", {2}), bytes, &offset);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->dtype(), DT_FLOAT);
  EXPECT_THAT(Values<float>(*f), ElementsAre(1.5f, -2.f));
  EXPECT_EQ(offset, 8u);
  absl::StatusOr<Tensor> i = DecodeTfjsWeight(Spec("int32", {3, 1}), bytes, &offset);
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_EQ(i->shape(), (Shape{3, 1}));
  EXPECT_THAT(Values<int32_t>(*i), ElementsAre(7, -9, 11));
  absl::StatusOr<Tensor> b = DecodeTfjsWeight(Spec("bool", {3}), bytes, &offset);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_THAT(Values<bool>(*b), ElementsAre(true, false, true));  // any non-zero byte is true
  EXPECT_EQ(offset, bytes.size());
}

TEST(TfjsDecodeTest, ScalarsAndEmptyWeights) {
  std::string bytes = Bytes<float>({3.25f});
  size_t offset = 0;
  absl::StatusOr<Tensor> empty = DecodeTfjsWeight(Spec("float32", {0, 4}), bytes, &offset);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->num_elements(), 0);
  EXPECT_EQ(offset, 0u);
  absl::StatusOr<Tensor> scalar = DecodeTfjsWeight(Spec("float32", {}), bytes, &offset);
  ASSERT_TRUE(scalar.ok()) << scalar.status();
  EXPECT_EQ(scalar->shape(), Shape{});
  EXPECT_EQ(scalar->scalar<float>(), 3.25f);
}

TEST(TfjsDecodeTest, StringsAreLengthPrefixed) {
  std::string bytes = Bytes<uint32_t>({2}) + "hi" + Bytes<uint32_t>({0}) + Bytes<uint32_t>({3}) + "abc";
  size_t offset = 0;
  absl::StatusOr<Tensor> s = DecodeTfjsWeight(Spec("string", {3}), bytes, &offset);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->dtype(), DT_STRING);
  EXPECT_THAT(s->strings(), ElementsAre("hi", "", "abc"));
  EXPECT_EQ(offset, bytes.size());
}

TEST(TfjsDecodeTest, Uint8AndUint16AffineDequantization) {
  TfjsWeightSpec spec = Spec("float32", {4});
  spec.quantization = TfjsQuantization{"uint8", 0.5, -1.0};
  std::string bytes = Bytes<uint8_t>({0, 1, 2, 255}) + Bytes<uint16_t>({0, 1000, 65535});
  size_t offset = 0;
  absl::StatusOr<Tensor> u8 = DecodeTfjsWeight(spec, bytes, &offset);
  ASSERT_TRUE(u8.ok()) << u8.status();
  EXPECT_THAT(Values<float>(*u8), ElementsAre(-1.0f, -0.5f, 0.0f, 126.5f));  // v * 0.5 - 1
  EXPECT_EQ(offset, 4u);
  TfjsWeightSpec spec16 = Spec("float32", {3});
  spec16.quantization = TfjsQuantization{"uint16", 0.001, 2.0};
  absl::StatusOr<Tensor> u16 = DecodeTfjsWeight(spec16, bytes, &offset);
  ASSERT_TRUE(u16.ok()) << u16.status();
  // Computed in double and rounded once to float, as JavaScript does.
  EXPECT_THAT(Values<float>(*u16), ElementsAre(2.0f, static_cast<float>(1000 * 0.001 + 2.0),
                                               static_cast<float>(65535 * 0.001 + 2.0)));
  EXPECT_EQ(offset, 10u);
}

TEST(TfjsDecodeTest, QuantizedInt32RoundsHalvesUp) {
  TfjsWeightSpec spec = Spec("int32", {4});
  spec.quantization = TfjsQuantization{"uint8", 0.5, -2.0};
  std::string bytes = Bytes<uint8_t>({0, 1, 3, 9});  // -2, -1.5, -0.5, 2.5
  size_t offset = 0;
  absl::StatusOr<Tensor> t = DecodeTfjsWeight(spec, bytes, &offset);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->dtype(), DT_INT32);
  EXPECT_THAT(Values<int32_t>(*t), ElementsAre(-2, -1, 0, 3));  // Math.round
}

TEST(TfjsDecodeTest, Float16IncludingSubnormalsAndInfinity) {
  TfjsWeightSpec spec = Spec("float32", {6});
  spec.quantization = TfjsQuantization{"float16", std::nullopt, std::nullopt};
  // 1, -2, 65504 (largest half), 2^-24 (smallest subnormal), +inf, 0x3555 = 0.333251953125
  std::string bytes = Bytes<uint16_t>({0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0x3555});
  size_t offset = 0;
  absl::StatusOr<Tensor> t = DecodeTfjsWeight(spec, bytes, &offset);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(Values<float>(*t), ElementsAre(1.0f, -2.0f, 65504.0f, 5.9604644775390625e-8f,
                                             std::numeric_limits<float>::infinity(), 0.333251953125f));
  EXPECT_EQ(offset, 12u);
}

TEST(TfjsDecodeTest, ShortDataNamesTheWeightAndTheBytes) {
  TfjsWeightSpec spec = Spec("float32", {2, 3});
  spec.name = "dense/kernel";
  std::string bytes = Bytes<float>({1, 2, 3, 4, 5});
  size_t offset = 0;
  absl::StatusOr<Tensor> t = DecodeTfjsWeight(spec, bytes, &offset);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(t.status().message(), HasSubstr("weight 'dense/kernel' (float32[2,3]) needs 24 bytes at offset 0 "
                                              "but only 20 are left"));
  EXPECT_EQ(offset, 0u);

  std::string strings = Bytes<uint32_t>({100}) + "abc";
  absl::StatusOr<Tensor> s = DecodeTfjsWeight(Spec("string", {1}), strings, &offset);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("needs 100 bytes at offset 4 but only 3 are left"));
}

TEST(TfjsDecodeTest, HugeShapesAreRejectedNotAllocated) {
  size_t offset = 0;
  absl::StatusOr<Tensor> t = DecodeTfjsWeight(Spec("float32", {1LL << 40, 1LL << 40}), std::string(16, '\0'), &offset);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("too large"));
}

}  // namespace
}  // namespace strata
