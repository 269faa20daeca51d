// The weightsManifest of a TF.js graph model (model.json): which weights the concatenated
// shard files hold, in order, and how each is stored (float32, int32, bool, string, or
// quantized as float16 or uint8/uint16 affine). Decoding follows tfjs-core's io_utils.ts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"
#include "graph/tensor.h"

namespace strata {

struct TfjsQuantization {
  std::string dtype;  // "uint8", "uint16" or "float16": how the values are stored
  // uint8/uint16 only: value = stored * scale + min (TF.js computes it in double precision).
  std::optional<double> scale, min;
};

struct TfjsWeightSpec {
  std::string name;  // the Const node the weight fills
  std::vector<int64_t> shape;
  std::string dtype;  // the weight's dtype once decoded: "float32", "int32", "bool", "string"
  std::optional<TfjsQuantization> quantization;
};

// One entry of weightsManifest: its shards (paths relative to model.json) concatenate into
// one byte stream that holds `weights` back to back.
struct TfjsWeightGroup {
  std::vector<std::string> paths;
  std::vector<TfjsWeightSpec> weights;
};

// Parses weightsManifest (a JSON list, as a protobuf Value). Errors name the group and the
// weight: a missing name, a shape that is not a list of non-negative integers, an unknown
// dtype or quantization dtype, uint8/uint16 quantization without scale and min, float16
// quantization of a non-float32 weight.
absl::StatusOr<std::vector<TfjsWeightGroup>> ParseTfjsWeightsManifest(const google::protobuf::Value& manifest);

// Decodes `spec` from `bytes` at *offset and advances *offset past it. OutOfRange when the
// bytes end before the weight does (the message names the weight, the bytes it needs and the
// bytes left).
absl::StatusOr<Tensor> DecodeTfjsWeight(const TfjsWeightSpec& spec, std::string_view bytes, size_t* offset);

}  // namespace strata
