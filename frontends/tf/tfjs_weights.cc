#include "frontends/tf/tfjs_weights.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/half.h"
#include "graph/str_util.h"

namespace strata {
namespace {

using google::protobuf::Value;

// 2^53: integers above this are not exact in the JSON numbers TF.js writes.
constexpr double kMaxExactInteger = 9007199254740992.0;

const Value* FindField(const Value& object, const std::string& key) {
  if (object.kind_case() != Value::kStructValue) return nullptr;
  auto it = object.struct_value().fields().find(key);
  return it == object.struct_value().fields().end() ? nullptr : &it->second;
}

absl::StatusOr<std::string> StringField(const Value& object, const std::string& key, std::string_view where) {
  const Value* v = FindField(object, key);
  if (v == nullptr) return absl::InvalidArgumentError(absl::StrCat(Absl(where), ": missing \"", key, "\""));
  if (v->kind_case() != Value::kStringValue) {
    return absl::InvalidArgumentError(absl::StrCat(Absl(where), ": \"", key, "\" must be a string"));
  }
  return v->string_value();
}

absl::StatusOr<std::optional<double>> OptionalNumberField(const Value& object, const std::string& key,
                                                          std::string_view where) {
  const Value* v = FindField(object, key);
  if (v == nullptr || v->kind_case() == Value::kNullValue) return std::optional<double>();
  if (v->kind_case() != Value::kNumberValue) {
    return absl::InvalidArgumentError(absl::StrCat(Absl(where), ": \"", key, "\" must be a number"));
  }
  return std::optional<double>(v->number_value());
}

absl::StatusOr<std::vector<int64_t>> ParseShape(const Value& weight, std::string_view where) {
  const Value* v = FindField(weight, "shape");
  if (v == nullptr) return absl::InvalidArgumentError(absl::StrCat(Absl(where), ": missing \"shape\""));
  if (v->kind_case() != Value::kListValue) {
    return absl::InvalidArgumentError(absl::StrCat(Absl(where), ": \"shape\" must be a list of dimensions"));
  }
  std::vector<int64_t> shape;
  for (const Value& d : v->list_value().values()) {
    const double x = d.number_value();
    if (d.kind_case() != Value::kNumberValue || !(x >= 0) || x > kMaxExactInteger || std::floor(x) != x) {
      return absl::InvalidArgumentError(
          absl::StrCat(Absl(where), ": \"shape\" must hold non-negative integers"));
    }
    shape.push_back(static_cast<int64_t>(x));
  }
  return shape;
}

absl::StatusOr<TfjsQuantization> ParseQuantization(const Value& q, const std::string& weight_dtype,
                                                   std::string_view where) {
  if (q.kind_case() != Value::kStructValue) {
    return absl::InvalidArgumentError(absl::StrCat(Absl(where), ": \"quantization\" must be an object"));
  }
  TfjsQuantization out;
  absl::StatusOr<std::string> dtype = StringField(q, "dtype", absl::StrCat(Absl(where), ": quantization"));
  if (!dtype.ok()) return dtype.status();
  out.dtype = *dtype;
  if (out.dtype == "uint8" || out.dtype == "uint16") {
    absl::StatusOr<std::optional<double>> scale = OptionalNumberField(q, "scale", where);
    if (!scale.ok()) return scale.status();
    absl::StatusOr<std::optional<double>> min = OptionalNumberField(q, "min", where);
    if (!min.ok()) return min.status();
    if (!*scale || !*min) {
      return absl::InvalidArgumentError(
          absl::StrCat(Absl(where), ": ", out.dtype, " quantization needs \"scale\" and \"min\""));
    }
    if (weight_dtype != "float32" && weight_dtype != "int32") {
      return absl::InvalidArgumentError(absl::StrCat(Absl(where), ": ", out.dtype,
                                                     " quantization of a ", weight_dtype,
                                                     " weight (only float32 and int32 weights can be quantized)"));
    }
    out.scale = *scale;
    out.min = *min;
  } else if (out.dtype == "float16") {
    if (weight_dtype != "float32") {
      return absl::InvalidArgumentError(absl::StrCat(Absl(where), ": float16 quantization of a ", weight_dtype,
                                                     " weight (only float32 weights can be stored as float16)"));
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat(Absl(where), ": unknown quantization dtype '", out.dtype,
                                                   "' (expected uint8, uint16 or float16)"));
  }
  return out;
}

absl::StatusOr<TfjsWeightSpec> ParseWeight(const Value& w, std::string_view group_where) {
  if (w.kind_case() != Value::kStructValue) {
    return absl::InvalidArgumentError(absl::StrCat(Absl(group_where), ": every weight must be an object"));
  }
  TfjsWeightSpec spec;
  absl::StatusOr<std::string> name = StringField(w, "name", absl::StrCat(Absl(group_where), ": a weight"));
  if (!name.ok()) return name.status();
  spec.name = *name;
  const std::string where = absl::StrCat("weight '", spec.name, "'");
  absl::StatusOr<std::vector<int64_t>> shape = ParseShape(w, where);
  if (!shape.ok()) return shape.status();
  spec.shape = *std::move(shape);
  absl::StatusOr<std::string> dtype = StringField(w, "dtype", where);
  if (!dtype.ok()) return dtype.status();
  spec.dtype = *dtype;
  if (spec.dtype != "float32" && spec.dtype != "int32" && spec.dtype != "bool" && spec.dtype != "string") {
    return absl::InvalidArgumentError(absl::StrCat(where, ": unknown dtype '", spec.dtype,
                                                   "' (expected float32, int32, bool or string)"));
  }
  if (const Value* q = FindField(w, "quantization"); q != nullptr && q->kind_case() != Value::kNullValue) {
    absl::StatusOr<TfjsQuantization> quantization = ParseQuantization(*q, spec.dtype, where);
    if (!quantization.ok()) return quantization.status();
    spec.quantization = *std::move(quantization);
  }
  return spec;
}

// Elements of `shape`, or an error when the count (times 8 bytes) would overflow.
absl::StatusOr<int64_t> NumElements(const TfjsWeightSpec& spec) {
  int64_t n = 1;
  for (int64_t d : spec.shape) {
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / 8 / d) {
      return absl::InvalidArgumentError(absl::StrCat("weight '", spec.name, "': shape [",
                                                     absl::StrJoin(spec.shape, ","), "] is too large"));
    }
    n *= d;
  }
  return n;
}

absl::Status NeedBytes(const TfjsWeightSpec& spec, std::string_view bytes, size_t offset, uint64_t needed) {
  const uint64_t left = offset <= bytes.size() ? bytes.size() - offset : 0;
  if (needed > left) {
    return absl::OutOfRangeError(absl::StrCat("weight '", spec.name, "' (", spec.dtype, "[",
                                              absl::StrJoin(spec.shape, ","), "]) needs ", needed,
                                              " bytes at offset ", offset, " but only ", left, " are left"));
  }
  return absl::OkStatus();
}

template <typename T>
T LoadLittleEndian(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // the hosts strata targets are little-endian, as .bin files are
  return v;
}

template <typename Stored>
void DequantizeAffine(const char* data, const TfjsQuantization& q, Tensor* out) {
  const double scale = *q.scale, min = *q.min;
  const int64_t n = out->num_elements();
  if (out->dtype() == DT_INT32) {
    auto f = out->flat<int32_t>();
    for (int64_t i = 0; i < n; ++i) {
      // Math.round: halves round up.
      f[i] = static_cast<int32_t>(std::floor(LoadLittleEndian<Stored>(data + i * sizeof(Stored)) * scale + min + 0.5));
    }
  } else {
    auto f = out->flat<float>();
    for (int64_t i = 0; i < n; ++i) {
      f[i] = static_cast<float>(LoadLittleEndian<Stored>(data + i * sizeof(Stored)) * scale + min);
    }
  }
}

absl::StatusOr<Tensor> DecodeQuantized(const TfjsWeightSpec& spec, int64_t n, std::string_view bytes,
                                       size_t* offset) {
  const TfjsQuantization& q = *spec.quantization;
  const size_t stored_size = q.dtype == "uint8" ? 1 : 2;
  if (absl::Status s = NeedBytes(spec, bytes, *offset, static_cast<uint64_t>(n) * stored_size); !s.ok()) return s;
  Tensor out(spec.dtype == "int32" ? DT_INT32 : DT_FLOAT, Shape(spec.shape));
  const char* data = bytes.data() + *offset;
  if (q.dtype == "uint8") {
    DequantizeAffine<uint8_t>(data, q, &out);
  } else if (q.dtype == "uint16") {
    DequantizeAffine<uint16_t>(data, q, &out);
  } else {
    auto f = out.flat<float>();
    for (int64_t i = 0; i < n; ++i) f[i] = float16::ToFloat(LoadLittleEndian<uint16_t>(data + i * 2));
  }
  *offset += static_cast<size_t>(n) * stored_size;
  return out;
}

// Strings are stored as a uint32 byte length followed by the bytes, per element.
absl::StatusOr<Tensor> DecodeStrings(const TfjsWeightSpec& spec, int64_t n, std::string_view bytes,
                                     size_t* offset) {
  std::vector<std::string> values;
  size_t at = *offset;
  for (int64_t i = 0; i < n; ++i) {
    if (absl::Status s = NeedBytes(spec, bytes, at, 4); !s.ok()) return s;
    const uint32_t length = LoadLittleEndian<uint32_t>(bytes.data() + at);
    at += 4;
    if (absl::Status s = NeedBytes(spec, bytes, at, length); !s.ok()) return s;
    values.emplace_back(bytes.substr(at, length));
    at += length;
  }
  *offset = at;
  return Tensor::Strings(std::move(values), Shape(spec.shape));
}

}  // namespace

absl::StatusOr<std::vector<TfjsWeightGroup>> ParseTfjsWeightsManifest(const Value& manifest) {
  if (manifest.kind_case() != Value::kListValue) {
    return absl::InvalidArgumentError("weightsManifest must be a list of weight groups");
  }
  std::vector<TfjsWeightGroup> groups;
  for (int g = 0; g < manifest.list_value().values_size(); ++g) {
    const Value& group = manifest.list_value().values(g);
    const std::string where = absl::StrCat("weightsManifest group ", g);
    if (group.kind_case() != Value::kStructValue) {
      return absl::InvalidArgumentError(absl::StrCat(where, " must be an object"));
    }
    TfjsWeightGroup out;
    const Value* paths = FindField(group, "paths");
    if (paths == nullptr || paths->kind_case() != Value::kListValue) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": \"paths\" must be a list of shard files"));
    }
    for (const Value& p : paths->list_value().values()) {
      if (p.kind_case() != Value::kStringValue || p.string_value().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": every entry of \"paths\" must be a file name"));
      }
      out.paths.push_back(p.string_value());
    }
    const Value* weights = FindField(group, "weights");
    if (weights == nullptr || weights->kind_case() != Value::kListValue) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": \"weights\" must be a list"));
    }
    for (const Value& w : weights->list_value().values()) {
      absl::StatusOr<TfjsWeightSpec> spec = ParseWeight(w, where);
      if (!spec.ok()) return spec.status();
      out.weights.push_back(*std::move(spec));
    }
    groups.push_back(std::move(out));
  }
  return groups;
}

absl::StatusOr<Tensor> DecodeTfjsWeight(const TfjsWeightSpec& spec, std::string_view bytes, size_t* offset) {
  absl::StatusOr<int64_t> n = NumElements(spec);
  if (!n.ok()) return n.status();
  if (spec.quantization) return DecodeQuantized(spec, *n, bytes, offset);
  if (spec.dtype == "string") return DecodeStrings(spec, *n, bytes, offset);
  DType dtype;
  if (spec.dtype == "float32") {
    dtype = DT_FLOAT;
  } else if (spec.dtype == "int32") {
    dtype = DT_INT32;
  } else if (spec.dtype == "bool") {
    dtype = DT_BOOL;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("weight '", spec.name, "': unknown dtype '", spec.dtype, "'"));
  }
  const uint64_t size = static_cast<uint64_t>(*n) * DTypeSize(dtype);
  if (absl::Status s = NeedBytes(spec, bytes, *offset, size); !s.ok()) return s;
  Tensor out(dtype, Shape(spec.shape));
  if (size > 0) std::memcpy(out.raw_data(), bytes.data() + *offset, size);
  if (dtype == DT_BOOL) {
    // Any non-zero byte is true; normalize so that the tensor holds only 0 and 1.
    auto f = out.flat<bool>();
    auto* raw = static_cast<uint8_t*>(out.raw_data());
    for (int64_t i = 0; i < *n; ++i) f[i] = raw[i] != 0;
  }
  *offset += size;
  return out;
}

}  // namespace strata
