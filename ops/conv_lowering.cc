// Lowerings of Conv2D, DepthwiseConv2dNative, their fused forms, Conv2DBackpropInput, MaxPool
// and AvgPool (see nn_lowering.h). Window sizes and SAME padding come from window_util.h, the
// same functions the shape functions use, so shapes and computed paddings always agree.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/nn_lowering.h"
#include "ops/window_util.h"

namespace strata::nn_lowering {
namespace {

#define NN_RETURN_IF_ERROR(expr)             \
  do {                                       \
    absl::Status nn_status_ = (expr);        \
    if (!nn_status_.ok()) return nn_status_; \
  } while (0)

std::vector<int64_t> InversePermutation(const std::vector<int64_t>& perm) {
  std::vector<int64_t> inv(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inv[perm[i]] = static_cast<int64_t>(i);
  return inv;
}

// Dims of a 2-D image in `layout` listed in NHWC order: Transpose(x, perm) is NHWC.
std::vector<int64_t> ToNhwcPermutation(const ImageLayout& l) {
  return {l.batch, l.height, l.width, l.channel};
}

// ---- Convolutions ----

// The attrs of Conv2D and its relatives, in data_format order.
struct ConvAttrs {
  DataFormat format = DataFormat::kNHWC;
  ImageLayout layout;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  Padding padding = Padding::kValid;
  std::vector<int64_t> explicit_paddings;  // 8 values; zeros unless EXPLICIT
};

absl::StatusOr<ConvAttrs> ReadConvAttrs(const LoweringContext& c) {
  ConvAttrs a;
  absl::StatusOr<DataFormat> format = LoweringDataFormat(c);
  if (!format.ok()) return format.status();
  if (*format == DataFormat::kNCHW_VECT_C) return LoweringError("NCHW_VECT_C is not supported");
  a.format = *format;
  a.layout = LayoutOf(a.format);
  NN_RETURN_IF_ERROR(c.GetAttr("strides", &a.strides));
  a.dilations = {1, 1, 1, 1};
  absl::Status s = c.GetAttr("dilations", &a.dilations);
  if (!s.ok() && !absl::IsNotFound(s)) return s;
  if (a.strides.size() != 4 || a.dilations.size() != 4) {
    return LoweringError("strides and dilations must hold 4 values");
  }
  for (int d : {a.layout.batch, a.layout.channel}) {
    if (a.strides[d] != 1 || a.dilations[d] != 1) {
      return LoweringError(
          "strides and dilations in the batch and depth dimensions must be 1, but strides are [",
          absl::StrJoin(a.strides, ","), "] and dilations [", absl::StrJoin(a.dilations, ","), "]");
    }
  }
  std::string padding;
  NN_RETURN_IF_ERROR(c.GetAttr("padding", &padding));
  absl::StatusOr<Padding> p = ParsePadding(padding);
  if (!p.ok()) return p.status();
  a.padding = *p;
  std::vector<int64_t> pads;
  s = c.GetAttr("explicit_paddings", &pads);
  if (!s.ok() && !absl::IsNotFound(s)) return s;
  NN_RETURN_IF_ERROR(CheckExplicitPaddings(a.padding, pads, 4, a.layout));
  a.explicit_paddings = a.padding == Padding::kExplicit ? pads : std::vector<int64_t>(8, 0);
  return a;
}

// The windows of the two spatial dims (H, W) for an input of `in` and a filter of `k`.
absl::StatusOr<std::vector<WindowedOutput>> SpatialWindows(const ConvAttrs& a, const int64_t in[2],
                                                           const int64_t k[2]) {
  std::vector<WindowedOutput> out;
  for (int i = 0; i < 2; ++i) {
    const int d = i == 0 ? a.layout.height : a.layout.width;
    absl::StatusOr<WindowedOutput> w =
        ComputeWindowedOutput(in[i], k[i], a.dilations[d], a.strides[d], a.padding,
                              a.explicit_paddings[2 * d], a.explicit_paddings[2 * d + 1]);
    if (!w.ok()) return w.status();
    out.push_back(*w);
  }
  return out;
}

// Convolution of an NHWC input with an HWIO filter (`groups` feature groups); NHWC result.
absl::StatusOr<Value> ConvNhwc(PrimitiveBuilder& b, Value x, Value f, const ConvAttrs& a,
                               int64_t groups, DType result_dtype) {
  if (!b.ok()) return b.status();
  const int64_t in[2] = {x.dim(1), x.dim(2)};
  const int64_t k[2] = {f.dim(0), f.dim(1)};
  absl::StatusOr<std::vector<WindowedOutput>> windows = SpatialWindows(a, in, k);
  if (!windows.ok()) return windows.status();
  const Shape out{x.dim(0), (*windows)[0].size, (*windows)[1].size, f.dim(3)};
  // Nothing to accumulate: zeros (this also covers zero channels, which no group count fits).
  if (x.num_elements() == 0 || f.num_elements() == 0 || out.num_elements() == 0) {
    return b.Splat(result_dtype, out, 0);
  }
  ConvConfig config;
  for (int i = 0; i < 2; ++i) {
    const int d = i == 0 ? a.layout.height : a.layout.width;
    config.strides.push_back(a.strides[d]);
    config.rhs_dilation.push_back(a.dilations[d]);
    config.padding_lo.push_back((*windows)[i].pad_before);
    config.padding_hi.push_back((*windows)[i].pad_after);
  }
  config.feature_group_count = groups;
  return b.Convolution(x, f, config, result_dtype);
}

// Conv2D, DepthwiseConv2dNative and their fused forms: the convolution's result in the
// accumulation dtype, in the data format of the op (the fused epilogue runs there too). The
// operands stay in their own dtype: a 16-bit float widens inside the multiply, exactly, and a
// GPU reads it as such (its tensor cores).
absl::StatusOr<Value> Conv2DInDataFormat(LoweringContext& c, const ConvAttrs& a, bool depthwise) {
  PrimitiveBuilder& b = c.b();
  const DType acc = AccumulationDType(c.input(0).dtype);
  const std::vector<int64_t> to_nhwc = ToNhwcPermutation(a.layout);
  Value x = b.Transpose(c.input(0), to_nhwc);
  Value f = c.input(1);
  if (!b.ok()) return b.status();
  int64_t groups = 1;
  if (depthwise) {
    // [H, W, C, M] -> [H, W, 1, C * M]: one group per input channel, its M outputs adjacent.
    groups = f.dim(2);
    f = b.Reshape(f, Shape{f.dim(0), f.dim(1), 1, f.dim(2) * f.dim(3)});
  } else {
    const int64_t in_depth = x.dim(3), filter_depth = f.dim(2);
    if (filter_depth > 0 && in_depth % filter_depth == 0) groups = in_depth / filter_depth;
  }
  absl::StatusOr<Value> y = ConvNhwc(b, x, f, a, std::max<int64_t>(groups, 1), acc);
  if (!y.ok()) return y.status();
  return b.Transpose(*y, InversePermutation(to_nhwc));
}

absl::Status LowerConv2DFamily(LoweringContext& c, bool depthwise, bool fused) {
  absl::StatusOr<ConvAttrs> a = ReadConvAttrs(c);
  if (!a.ok()) return a.status();
  absl::StatusOr<Value> y = Conv2DInDataFormat(c, *a, depthwise);
  if (!y.ok()) return y.status();
  if (fused) {
    y = ApplyFusedOps(c, *y, a->layout.channel, 2);
    if (!y.ok()) return y.status();
  }
  c.set_output(0, c.b().Convert(*y, c.output_dtype(0)));
  return absl::OkStatus();
}

}  // namespace

absl::Status Conv2D(LoweringContext& c) { return LowerConv2DFamily(c, false, false); }
absl::Status FusedConv2D(LoweringContext& c) { return LowerConv2DFamily(c, false, true); }
absl::Status DepthwiseConv2dNative(LoweringContext& c) { return LowerConv2DFamily(c, true, false); }
absl::Status FusedDepthwiseConv2dNative(LoweringContext& c) {
  return LowerConv2DFamily(c, true, true);
}

// The gradient of Conv2D with respect to its input: a convolution of out_backprop, dilated by
// the strides, with the filter reversed spatially and its in/out channels swapped (TF's
// ConvBackpropComputeDimensionsV2 gives the padding: effective_filter - 1 - pad_before before,
// and whatever makes the result input_sizes long after).
absl::Status Conv2DBackpropInput(LoweringContext& c) {
  absl::StatusOr<ConvAttrs> attrs = ReadConvAttrs(c);
  if (!attrs.ok()) return attrs.status();
  const ConvAttrs& a = *attrs;
  PrimitiveBuilder& b = c.b();
  const Shape& out_shape = c.output_shape(0);  // input_sizes, in data_format
  const DType acc = AccumulationDType(c.input(2).dtype);
  const std::vector<int64_t> to_nhwc = ToNhwcPermutation(a.layout);
  Value dy = b.Transpose(c.input(2), to_nhwc);  // 16-bit floats stay so (see Conv2DInDataFormat)
  Value f = c.input(1);
  if (!b.ok()) return b.status();
  const int64_t in[2] = {out_shape.dim(a.layout.height), out_shape.dim(a.layout.width)};
  const int64_t k[2] = {f.dim(0), f.dim(1)};
  const int64_t in_depth = out_shape.dim(a.layout.channel);
  const int64_t filter_in = f.dim(2), filter_out = f.dim(3);
  const Shape nhwc_out{out_shape.dim(a.layout.batch), in[0], in[1], in_depth};
  if (filter_in == 0 ? in_depth != 0 : in_depth % filter_in != 0) {
    return LoweringError("input depth ", in_depth,
                         " is not a multiple of the filter's input depth ", filter_in);
  }
  if (dy.dim(3) != filter_out) {
    return LoweringError("out_backprop depth ", dy.dim(3),
                         " does not match the filter's output depth ", filter_out);
  }
  absl::StatusOr<std::vector<WindowedOutput>> windows = SpatialWindows(a, in, k);
  if (!windows.ok()) return windows.status();
  for (int i = 0; i < 2; ++i) {
    if ((*windows)[i].size != dy.dim(1 + i)) {
      return LoweringError(
          "Conv2DBackpropInput: size of out_backprop doesn't match computed: actual = ",
          dy.dim(1 + i), ", computed = ", (*windows)[i].size, " (spatial dim ", i, ", input ",
          in[i], ", filter ", k[i], ")");
    }
  }
  Value result;
  if (dy.num_elements() == 0 || f.num_elements() == 0 || nhwc_out.num_elements() == 0) {
    result = b.Splat(acc, nhwc_out, 0);
  } else {
    const int64_t groups = in_depth / filter_in;
    // Filter [kh, kw, Cin/G, Cout] -> reversed [kh, kw, Cout/G, Cin]: output channel g*Cin/G + i
    // reads out_backprop channels of group g.
    Value rf = b.Reverse(f, {0, 1});
    if (groups == 1) {
      rf = b.Transpose(rf, {0, 1, 3, 2});
    } else {
      rf = b.Reshape(rf, Shape{k[0], k[1], filter_in, groups, filter_out / groups});
      rf = b.Transpose(rf, {0, 1, 4, 3, 2});
      rf = b.Reshape(rf, Shape{k[0], k[1], filter_out / groups, in_depth});
    }
    ConvConfig config;
    config.feature_group_count = groups;
    std::vector<int64_t> lo(4, 0), hi(4, 0), crop_lo(4, 0), crop_hi(4, 0);
    bool needs_crop = false;
    for (int i = 0; i < 2; ++i) {
      const int d = i == 0 ? a.layout.height : a.layout.width;
      const int64_t window = (k[i] - 1) * a.dilations[d] + 1;
      const int64_t expanded = (dy.dim(1 + i) - 1) * a.strides[d] + 1;
      const int64_t before = window - 1 - (*windows)[i].pad_before;
      const int64_t after = in[i] + window - 1 - expanded - before;
      lo[1 + i] = std::max<int64_t>(before, 0);
      hi[1 + i] = std::max<int64_t>(after, 0);
      crop_lo[1 + i] = std::max<int64_t>(-before, 0);
      crop_hi[1 + i] = std::max<int64_t>(-after, 0);
      needs_crop |= before < 0 || after < 0;
      config.lhs_dilation.push_back(a.strides[d]);
      config.rhs_dilation.push_back(a.dilations[d]);
    }
    if (!needs_crop) {
      config.padding_lo = {lo[1], lo[2]};
      config.padding_hi = {hi[1], hi[2]};
      result = b.Convolution(dy, rf, config, acc);
    } else {
      // Explicit paddings larger than the window: dilate and pad by hand, then crop.
      Value zero = b.ScalarConstant(dy.dtype, 0);
      std::vector<int64_t> interior = {0, config.lhs_dilation[0] - 1, config.lhs_dilation[1] - 1,
                                       0};
      Value padded = b.Pad(dy, zero, lo, hi, interior);
      if (!b.ok()) return b.status();
      std::vector<int64_t> start(4, 0), limit = padded.shape.dims();
      for (int d = 1; d <= 2; ++d) {
        start[d] = std::min(crop_lo[d], limit[d]);
        limit[d] = std::max(start[d], limit[d] - crop_hi[d]);
      }
      Value cropped = b.Slice(padded, start, limit, {1, 1, 1, 1});
      config.lhs_dilation = {1, 1};
      result = b.Convolution(cropped, rf, config, acc);
    }
  }
  Value y = b.Transpose(result, InversePermutation(to_nhwc));
  c.set_output(0, b.Convert(y, c.output_dtype(0)));
  return absl::OkStatus();
}

namespace {

// ---- Pooling ----

absl::Status LowerPool(LoweringContext& c, bool is_max) {
  const char* op = is_max ? "MaxPool" : "AvgPool";
  absl::StatusOr<DataFormat> format = LoweringDataFormat(c);
  if (!format.ok()) return format.status();
  const ImageLayout layout = LayoutOf(*format);
  std::vector<int64_t> ksize, strides, pads;
  NN_RETURN_IF_ERROR(c.GetAttr("ksize", &ksize));
  NN_RETURN_IF_ERROR(c.GetAttr("strides", &strides));
  std::string padding_name;
  NN_RETURN_IF_ERROR(c.GetAttr("padding", &padding_name));
  absl::StatusOr<Padding> padding = ParsePadding(padding_name);
  if (!padding.ok()) return padding.status();
  absl::Status s = c.GetAttr("explicit_paddings", &pads);
  if (!s.ok() && !absl::IsNotFound(s)) return s;
  NN_RETURN_IF_ERROR(CheckExplicitPaddings(*padding, pads, 4, layout));
  if (*padding != Padding::kExplicit) pads.assign(8, 0);
  if (ksize.size() != 4 || strides.size() != 4) {
    return LoweringError(op, " requires ksize and strides to hold 4 values");
  }
  if (ksize[layout.batch] != 1 || strides[layout.batch] != 1) {
    return LoweringError(op, ": pooling is not supported on the batch dimension");
  }
  if (!is_max && (ksize[layout.channel] != 1 || strides[layout.channel] != 1)) {
    return LoweringError(op, ": pooling is not supported on the depth dimension");
  }
  PrimitiveBuilder& b = c.b();
  Value x = c.input(0);
  // The 4 attr values address dims 0..3 in data_format order (NCHW order for NCHW_VECT_C,
  // whose trailing vector dim is never pooled).
  WindowConfig config;
  std::vector<WindowedOutput> windows;
  for (int d = 0; d < x.rank(); ++d) {
    const int64_t k = d < 4 ? ksize[d] : 1, st = d < 4 ? strides[d] : 1;
    absl::StatusOr<WindowedOutput> w = ComputeWindowedOutput(
        x.dim(d), k, 1, st, *padding, d < 4 ? pads[2 * d] : 0, d < 4 ? pads[2 * d + 1] : 0);
    if (!w.ok()) return w.status();
    windows.push_back(*w);
    config.window.push_back(k);
    config.strides.push_back(st);
    config.padding_lo.push_back(w->pad_before);
    config.padding_hi.push_back(w->pad_after);
  }
  const Shape& out_shape = c.output_shape(0);
  if (out_shape.num_elements() == 0) {
    c.set_output(0, b.Splat(x.dtype, out_shape, 0));
    return absl::OkStatus();
  }
  if (x.num_elements() == 0) {
    return LoweringError(op, ": input ", x.shape.ToString(), " is empty but the output ",
                         out_shape.ToString(), " is not");
  }
  if (is_max) {
    c.set_output(0, b.ReduceWindow(ReduceKind::kMax, x, config));
    return absl::OkStatus();
  }
  // AvgPool divides by the number of input elements (not padding) under each window.
  const DType acc = AccumulationDType(x.dtype);
  Value sum = b.ReduceWindow(ReduceKind::kSum, b.Convert(x, acc), config);
  Shape count_shape(std::vector<int64_t>(x.rank(), 1));
  const int spatial[2] = {layout.height, layout.width};
  for (int d : spatial) count_shape.set_dim(d, out_shape.dim(d));
  std::vector<double> counts(count_shape.num_elements(), 1.0);
  std::vector<std::vector<double>> per_dim(2);
  for (int i = 0; i < 2; ++i) {
    const int d = spatial[i];
    for (int64_t o = 0; o < out_shape.dim(d); ++o) {
      const int64_t start = o * strides[d] - windows[d].pad_before;
      const int64_t end = std::min(start + ksize[d], x.dim(d));
      per_dim[i].push_back(static_cast<double>(end - std::max<int64_t>(start, 0)));
    }
  }
  const int64_t cols = out_shape.dim(spatial[1]);
  for (size_t r = 0; r < per_dim[0].size(); ++r) {
    for (int64_t col = 0; col < cols; ++col) {
      counts[r * cols + col] = per_dim[0][r] * per_dim[1][col];
    }
  }
  Value divisor;
  if (std::all_of(counts.begin(), counts.end(), [&](double n) { return n == counts[0]; })) {
    divisor = b.ScalarConstant(acc, counts[0]);  // VALID, or SAME without partial windows
  } else {
    absl::StatusOr<Tensor> count_tensor =
        Tensor::FromVector<double>(absl::MakeConstSpan(counts), count_shape).Cast(acc);
    if (!count_tensor.ok()) return count_tensor.status();
    divisor = b.Constant(*count_tensor);
  }
  Value avg = b.BinaryBroadcast(BinaryKind::kDiv, sum, divisor);
  c.set_output(0, b.Convert(avg, c.output_dtype(0)));
  return absl::OkStatus();
}

}  // namespace

absl::Status MaxPool(LoweringContext& c) { return LowerPool(c, true); }
absl::Status AvgPool(LoweringContext& c) { return LowerPool(c, false); }

#undef NN_RETURN_IF_ERROR

}  // namespace strata::nn_lowering
