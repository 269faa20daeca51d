// Lowerings of matmuls, BiasAdd, FusedBatchNormV3, softmax, Prelu, and the epilogue shared by
// the fused ops (see nn_lowering.h).
#include "ops/nn_lowering.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace strata::nn_lowering {

#define NN_RETURN_IF_ERROR(expr)             \
  do {                                       \
    absl::Status nn_status_ = (expr);        \
    if (!nn_status_.ok()) return nn_status_; \
  } while (0)

absl::StatusOr<DataFormat> LoweringDataFormat(const LoweringContext& c) {
  std::string name = "NHWC";
  absl::Status s = c.GetAttr("data_format", &name);
  if (!s.ok() && !absl::IsNotFound(s)) return s;
  return ParseDataFormat(name);
}

namespace {

Value Fill(PrimitiveBuilder& b, const Value& like, double v) {
  return b.Splat(like.dtype, like.shape, v);
}

// ---- Activations (TensorFlow's functors) ----

// y = x > 0 ? x : negative_part(x).
Value SelectPositive(PrimitiveBuilder& b, Value x, Value negative_part) {
  Value positive = b.Binary(BinaryKind::kGt, x, Fill(b, x, 0));
  return b.Select(positive, x, negative_part);
}

// `prelu_alpha` is used by Prelu only (broadcast against x).
absl::StatusOr<Value> ApplyActivation(PrimitiveBuilder& b, std::string_view name, Value x,
                                      float leakyrelu_alpha, Value prelu_alpha) {
  if (name == "Relu") return b.Binary(BinaryKind::kMax, x, Fill(b, x, 0));
  if (name == "Relu6") {
    return b.Binary(BinaryKind::kMin, b.Binary(BinaryKind::kMax, x, Fill(b, x, 0)), Fill(b, x, 6));
  }
  if (name == "Elu") return SelectPositive(b, x, b.Unary(UnaryKind::kExpm1, x));
  if (name == "LeakyRelu") {
    return SelectPositive(b, x, b.Binary(BinaryKind::kMul, x, Fill(b, x, leakyrelu_alpha)));
  }
  if (name == "Tanh") return b.Unary(UnaryKind::kTanh, x);
  if (name == "Sigmoid") return b.Unary(UnaryKind::kLogistic, x);
  if (name == "Prelu") {
    Value scaled = b.BinaryBroadcast(BinaryKind::kMul, x, prelu_alpha);
    if (scaled.valid() && scaled.shape != x.shape) {
      return LoweringError("Prelu alpha ", prelu_alpha.shape.ToString(),
                           " does not broadcast to the output ", x.shape.ToString());
    }
    return SelectPositive(b, x, scaled);
  }
  if (name == "GeluExact") {
    // 0.5 * x * (1 + erf(x / sqrt(2)))
    Value erf =
        b.Unary(UnaryKind::kErf, b.Binary(BinaryKind::kMul, x, Fill(b, x, 0.7071067811865476)));
    Value half_x = b.Binary(BinaryKind::kMul, x, Fill(b, x, 0.5));
    return b.Binary(BinaryKind::kMul, half_x, b.Binary(BinaryKind::kAdd, erf, Fill(b, x, 1)));
  }
  if (name == "GeluApproximate") {
    // 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
    Value cube = b.Binary(BinaryKind::kMul, x, b.Binary(BinaryKind::kMul, x, x));
    Value inner =
        b.Binary(BinaryKind::kAdd, x, b.Binary(BinaryKind::kMul, cube, Fill(b, x, 0.044715)));
    Value t = b.Unary(UnaryKind::kTanh,
                      b.Binary(BinaryKind::kMul, inner, Fill(b, x, 0.7978845608028654)));
    Value half_x = b.Binary(BinaryKind::kMul, x, Fill(b, x, 0.5));
    return b.Binary(BinaryKind::kMul, half_x, b.Binary(BinaryKind::kAdd, t, Fill(b, x, 1)));
  }
  return absl::UnimplementedError(
      absl::StrCat("unsupported fused activation '", std::string(name), "'"));
}

bool IsActivation(std::string_view name) {
  for (std::string_view a : {"Relu", "Relu6", "Elu", "LeakyRelu", "Tanh", "Sigmoid", "Prelu",
                             "GeluExact", "GeluApproximate"}) {
    if (name == a) return true;
  }
  return false;
}

// (x - mean) * (rsqrt(variance + epsilon) * scale) + offset per channel along `axis`, in
// TensorFlow's order of operations.
Value BatchNormInference(PrimitiveBuilder& b, Value x, Value scale, Value offset, Value mean,
                         Value variance, float epsilon, int axis) {
  Value factor = b.Binary(
      BinaryKind::kMul,
      b.Unary(UnaryKind::kRsqrt, b.Binary(BinaryKind::kAdd, variance, Fill(b, variance, epsilon))),
      scale);
  Value centered = b.Binary(BinaryKind::kSub, x, AlongAxis(b, mean, x.shape, axis));
  Value scaled = b.Binary(BinaryKind::kMul, centered, AlongAxis(b, factor, x.shape, axis));
  return b.Binary(BinaryKind::kAdd, scaled, AlongAxis(b, offset, x.shape, axis));
}

}  // namespace

absl::StatusOr<Value> ApplyFusedOps(LoweringContext& c, Value y, int channel_axis, int first_arg) {
  PrimitiveBuilder& b = c.b();
  if (!b.ok()) return b.status();  // `y` is only usable when everything before it built
  std::vector<std::string> ops;
  NN_RETURN_IF_ERROR(c.GetAttr("fused_ops", &ops));
  float epsilon = 1e-4f, leakyrelu_alpha = 0.2f;
  NN_RETURN_IF_ERROR(c.GetAttr("epsilon", &epsilon));
  NN_RETURN_IF_ERROR(c.GetAttr("leakyrelu_alpha", &leakyrelu_alpha));
  const std::string pattern = absl::StrCat("[", absl::StrJoin(ops, ", "), "]");
  int arg = first_arg;
  const int64_t channels = y.dim(channel_axis);
  // The next extra arg in the compute dtype; per-channel args must hold `channels` values.
  auto next_arg = [&](bool per_channel, const char* what) -> absl::StatusOr<Value> {
    if (arg >= c.num_inputs()) {
      return LoweringError("fused_ops ", pattern,
                           " need more args than num_args = ", c.num_inputs() - first_arg,
                           " (missing ", what, ")");
    }
    Value v = c.input(arg++);
    if (per_channel && (v.rank() != 1 || v.dim(0) != channels)) {
      return LoweringError("fused_ops ", pattern, ": ", what, " must be a vector of ", channels,
                           " values, but has shape ", v.shape.ToString());
    }
    return b.Convert(v, y.dtype);
  };
  size_t i = 0;
  if (i < ops.size() && ops[i] == "BiasAdd") {
    absl::StatusOr<Value> bias = next_arg(true, "bias");
    if (!bias.ok()) return bias.status();
    y = b.Binary(BinaryKind::kAdd, y, AlongAxis(b, *bias, y.shape, channel_axis));
    ++i;
  } else if (i < ops.size() && ops[i] == "FusedBatchNorm") {
    Value bn[4];
    const char* names[4] = {"scale", "offset", "mean", "variance"};
    for (int k = 0; k < 4; ++k) {
      absl::StatusOr<Value> v = next_arg(true, names[k]);
      if (!v.ok()) return v.status();
      bn[k] = *v;
    }
    y = BatchNormInference(b, y, bn[0], bn[1], bn[2], bn[3], epsilon, channel_axis);
    ++i;
  }
  if (i < ops.size() && ops[i] == "Add") {
    absl::StatusOr<Value> addend = next_arg(false, "addend");
    if (!addend.ok()) return addend.status();
    if (addend->shape != y.shape) {
      return LoweringError("fused_ops ", pattern, ": the addend has shape ",
                           addend->shape.ToString(), ", the output ", y.shape.ToString());
    }
    y = b.Binary(BinaryKind::kAdd, y, *addend);
    ++i;
  }
  if (i < ops.size() && IsActivation(ops[i])) {
    Value alpha;
    if (ops[i] == "Prelu") {
      absl::StatusOr<Value> a = next_arg(false, "prelu alpha");
      if (!a.ok()) return a.status();
      alpha = *a;
    }
    absl::StatusOr<Value> activated = ApplyActivation(b, ops[i], y, leakyrelu_alpha, alpha);
    if (!activated.ok()) return activated.status();
    y = *activated;
    ++i;
  }
  if (i != ops.size()) {
    return absl::UnimplementedError(absl::StrCat("unsupported fused_ops pattern ", pattern));
  }
  if (arg != c.num_inputs()) {
    return LoweringError("fused_ops ", pattern, " use ", arg - first_arg,
                         " args, but num_args = ", c.num_inputs() - first_arg);
  }
  return y;
}

namespace {

// ---- Matmuls ----

// a x b (2-D, with transposes) in the accumulation dtype.
Value MatMul2D(PrimitiveBuilder& b, Value x, Value y, bool transpose_x, bool transpose_y) {
  DotDims dims;
  dims.lhs_contracting = {transpose_x ? 0 : 1};
  dims.rhs_contracting = {transpose_y ? 1 : 0};
  return b.DotGeneral(x, y, dims, AccumulationDType(x.dtype));
}

absl::Status MatMulImpl(LoweringContext& c, bool fused) {
  bool ta = false, tb = false;
  NN_RETURN_IF_ERROR(c.GetAttr("transpose_a", &ta));
  NN_RETURN_IF_ERROR(c.GetAttr("transpose_b", &tb));
  PrimitiveBuilder& b = c.b();
  const DType out = c.output_dtype(0);
  Value product;
  if (c.input(0).num_elements() == 0 || c.input(1).num_elements() == 0) {
    product = b.Splat(AccumulationDType(out), c.output_shape(0), 0);
  } else {
    product = MatMul2D(b, c.input(0), c.input(1), ta, tb);
  }
  if (fused) {  // _FusedMatMul: channels are the last dim
    absl::StatusOr<Value> epilogue = ApplyFusedOps(c, product, 1, 2);
    if (!epilogue.ok()) return epilogue.status();
    product = *epilogue;
  }
  c.set_output(0, b.Convert(product, out));
  return absl::OkStatus();
}

}  // namespace

absl::Status MatMul(LoweringContext& c) { return MatMulImpl(c, false); }
absl::Status FusedMatMul(LoweringContext& c) { return MatMulImpl(c, true); }

absl::Status BatchMatMulV2(LoweringContext& c) {
  bool adj_x = false, adj_y = false;
  NN_RETURN_IF_ERROR(c.GetAttr("adj_x", &adj_x));
  NN_RETURN_IF_ERROR(c.GetAttr("adj_y", &adj_y));
  PrimitiveBuilder& b = c.b();
  Value x = c.input(0), y = c.input(1);
  const Shape& out = c.output_shape(0);
  const DType acc = AccumulationDType(x.dtype);
  if (x.num_elements() == 0 || y.num_elements() == 0 || out.num_elements() == 0) {
    c.set_output(0, b.Splat(x.dtype, out, 0));
    return absl::OkStatus();
  }
  const int r = out.rank();
  Value product;
  if (y.rank() == 2) {
    // Every batch dim comes from x: one dot_general whose free dims are x's batch dims and rows.
    DotDims dims;
    dims.lhs_contracting = {adj_x ? x.rank() - 2 : x.rank() - 1};
    dims.rhs_contracting = {adj_y ? 1 : 0};
    product = b.DotGeneral(x, y, dims, acc);
  } else {
    // Broadcast both batch shapes, flatten them into one batch dim, and reshape back.
    const Shape batch = out.Subshape(0, r - 2);
    const int64_t batch_size = batch.num_elements();
    auto flatten = [&](Value v) {
      Shape full = batch;
      full.AddDim(v.dim(-2));
      full.AddDim(v.dim(-1));
      Value broadcast = b.BroadcastTo(v, full);
      return b.Reshape(broadcast, Shape{batch_size, v.dim(-2), v.dim(-1)});
    };
    DotDims dims;
    dims.lhs_batch = {0};
    dims.rhs_batch = {0};
    dims.lhs_contracting = {adj_x ? 1 : 2};
    dims.rhs_contracting = {adj_y ? 2 : 1};
    product = b.Reshape(b.DotGeneral(flatten(x), flatten(y), dims, acc), out);
  }
  c.set_output(0, b.Convert(product, c.output_dtype(0)));
  return absl::OkStatus();
}

absl::Status BiasAdd(LoweringContext& c) {
  absl::StatusOr<DataFormat> format = LoweringDataFormat(c);
  if (!format.ok()) return format.status();
  Value value = c.input(0), bias = c.input(1);
  const int channel = *format == DataFormat::kNCHW ? 1 : value.rank() - 1;
  PrimitiveBuilder& b = c.b();
  c.set_output(0, b.Binary(BinaryKind::kAdd, value, AlongAxis(b, bias, value.shape, channel)));
  return absl::OkStatus();
}

// ---- Batch norm ----

// TensorFlow's CPU kernel (fused_batch_norm_op.cc): statistics in U (float); training uses the
// batch mean and biased variance to normalize, reports the Bessel-corrected variance (or its
// exponential average), and keeps the biased one in reserve_space_2; reserve_space_3 is a
// dummy scalar. An empty x gives NaN statistics.
absl::Status FusedBatchNormV3(LoweringContext& c) {
  std::string format;
  NN_RETURN_IF_ERROR(c.GetAttr("data_format", &format));
  bool is_training = true;
  NN_RETURN_IF_ERROR(c.GetAttr("is_training", &is_training));
  float epsilon = 1e-4f, factor = 1.0f;
  NN_RETURN_IF_ERROR(c.GetAttr("epsilon", &epsilon));
  NN_RETURN_IF_ERROR(c.GetAttr("exponential_avg_factor", &factor));
  PrimitiveBuilder& b = c.b();
  Value x = c.input(0);
  const int channel = (format == "NCHW" || format == "NCDHW") ? 1 : x.rank() - 1;
  const DType u = c.output_dtype(1);
  const DType acc = AccumulationDType(u);
  const Shape vec = c.output_shape(1);
  if (c.num_outputs() > 5) c.set_output(5, b.ScalarConstant(u, 0));  // V3's reserve_space_3 (V1 has none)
  if (x.num_elements() == 0) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    c.set_output(0, Fill(b, x, 0));
    for (int i = 1; i <= 4; ++i) c.set_output(i, b.Splat(u, vec, nan));
    return absl::OkStatus();
  }
  Value xu = b.Convert(x, acc);
  Value scale = b.Convert(c.input(1), acc), offset = b.Convert(c.input(2), acc);
  if (!is_training) {
    Value mean = b.Convert(c.input(3), acc), variance = b.Convert(c.input(4), acc);
    Value y = BatchNormInference(b, xu, scale, offset, mean, variance, epsilon, channel);
    c.set_output(0, b.Convert(y, x.dtype));
    c.set_output(1, c.input(3));
    c.set_output(2, c.input(4));
    c.set_output(3, c.input(3));
    c.set_output(4, c.input(4));
    return absl::OkStatus();
  }
  std::vector<int64_t> reduce_dims;
  for (int d = 0; d < x.rank(); ++d) {
    if (d != channel) reduce_dims.push_back(d);
  }
  const int64_t rest = x.num_elements() / x.dim(channel);
  // TF multiplies by a float reciprocal and corrects with rest / max(rest - 1, 1).
  const float rest_inv = 1.0f / static_cast<float>(rest);
  const float adjust = static_cast<float>(rest) / static_cast<float>(rest > 1 ? rest - 1 : 1);
  Value mean = b.Binary(BinaryKind::kMul, b.Reduce(ReduceKind::kSum, xu, reduce_dims),
                        b.Splat(acc, vec, rest_inv));
  Value centered = b.Binary(BinaryKind::kSub, xu, AlongAxis(b, mean, x.shape, channel));
  Value squares = b.Binary(BinaryKind::kMul, centered, centered);
  Value variance = b.Binary(BinaryKind::kMul, b.Reduce(ReduceKind::kSum, squares, reduce_dims),
                            b.Splat(acc, vec, rest_inv));
  Value y = BatchNormInference(b, xu, scale, offset, mean, variance, epsilon, channel);
  c.set_output(0, b.Convert(y, x.dtype));
  Value running_mean = mean;
  Value running_variance = b.Binary(BinaryKind::kMul, variance, b.Splat(acc, vec, adjust));
  if (factor != 1.0f) {
    Value keep = b.Splat(acc, vec, 1.0f - factor);
    running_mean =
        b.Binary(BinaryKind::kAdd, b.Binary(BinaryKind::kMul, keep, b.Convert(c.input(3), acc)),
                 b.Binary(BinaryKind::kMul, b.Splat(acc, vec, factor), mean));
    running_variance =
        b.Binary(BinaryKind::kAdd, b.Binary(BinaryKind::kMul, keep, b.Convert(c.input(4), acc)),
                 b.Binary(BinaryKind::kMul, b.Splat(acc, vec, factor * adjust), variance));
  }
  c.set_output(1, b.Convert(running_mean, u));
  c.set_output(2, b.Convert(running_variance, u));
  c.set_output(3, b.Convert(mean, u));
  c.set_output(4, b.Convert(variance, u));
  return absl::OkStatus();
}

namespace {

// ---- Softmax ----

absl::Status SoftmaxImpl(LoweringContext& c, bool log) {
  PrimitiveBuilder& b = c.b();
  Value logits = c.input(0);
  if (logits.num_elements() == 0) {
    c.set_output(0, Fill(b, logits, 0));
    return absl::OkStatus();
  }
  Value x = b.Convert(logits, AccumulationDType(logits.dtype));
  const int axis = logits.rank() - 1;
  std::vector<int64_t> kept(axis);
  for (int d = 0; d < axis; ++d) kept[d] = d;
  // Subtracting the max keeps exp() finite.
  Value max = b.Reduce(ReduceKind::kMax, x, {axis});
  Value shifted = b.Binary(BinaryKind::kSub, x, b.BroadcastInDim(max, x.shape, kept));
  Value e = b.Unary(UnaryKind::kExp, shifted);
  Value sum = b.Reduce(ReduceKind::kSum, e, {axis});
  Value out;
  if (log) {
    out = b.Binary(BinaryKind::kSub, shifted,
                   b.BroadcastInDim(b.Unary(UnaryKind::kLog, sum), x.shape, kept));
  } else {
    out = b.Binary(BinaryKind::kDiv, e, b.BroadcastInDim(sum, x.shape, kept));
  }
  c.set_output(0, b.Convert(out, logits.dtype));
  return absl::OkStatus();
}

}  // namespace

absl::Status Softmax(LoweringContext& c) { return SoftmaxImpl(c, false); }
absl::Status LogSoftmax(LoweringContext& c) { return SoftmaxImpl(c, true); }

// TF.js's Prelu: x > 0 ? x : alpha * x, with alpha broadcast.
absl::Status Prelu(LoweringContext& c) {
  PrimitiveBuilder& b = c.b();
  auto [x, alpha] = b.BroadcastBoth(c.input(0), c.input(1));
  if (!b.ok()) return b.status();
  c.set_output(0, SelectPositive(b, x, b.Binary(BinaryKind::kMul, x, alpha)));
  return absl::OkStatus();
}

#undef NN_RETURN_IF_ERROR

}  // namespace strata::nn_lowering
