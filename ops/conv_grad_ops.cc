// The backprop ops of convolutions and pooling that gradient functions emit:
// Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropInput, DepthwiseConv2dNativeBackpropFilter,
// MaxPoolGrad and AvgPoolGrad (Conv2DBackpropInput lives in nn_ops.cc). Schemas follow
// tensorflow/core/ops/nn_ops.cc; each op has its shape function, a lowering to the primitives of
// ops/lowering.h, and its own gradient where TensorFlow has one.
//
// The filter gradients are convolutions too (XLA's formulation): the input plays the lhs with
// its batch and feature dims swapped, out_backprop the filter, the forward strides become the
// filter dilation and the forward dilations the window strides (at the Fashion-MNIST CNN's
// shapes this ran faster than im2col + one matmul and compiled quicker; bench/conv_grad_bench).
// Pool gradients scatter each window position back with an interior padding (there is no scatter
// primitive), except MaxPoolGrad over windows that tile the input (one elementwise op).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/shape_inference.h"
#include "ops/grad_op_util.h"
#include "ops/gradient.h"
#include "ops/nn_lowering.h"
#include "ops/registry.h"
#include "ops/window_util.h"

namespace strata {
namespace {

using grad_ops::ComputeDType;
using grad_ops::LoweringError;

constexpr char kPaddingWithExplicitAttr[] = "padding: {'SAME', 'VALID', 'EXPLICIT'}";
constexpr char kExplicitPaddingsAttr[] = "explicit_paddings: list(int) = []";
constexpr char kDataFormatAttr[] = "data_format: {'NHWC', 'NCHW'} = 'NHWC'";
constexpr char kDilationsAttr[] = "dilations: list(int) = [1, 1, 1, 1]";

// ---- Shared attr reading -------------------------------------------------------------------------

// The window attrs of a conv or pool op, indexed in data_format order.
struct WindowAttrs {
  ImageLayout layout;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations = {1, 1, 1, 1};
  std::vector<int64_t> ksize;  // pools only
  Padding padding = Padding::kValid;
  std::vector<int64_t> explicit_paddings = std::vector<int64_t>(8, 0);
};

absl::StatusOr<WindowAttrs> ReadWindowAttrs(const AttrMap& attrs, bool pool) {
  WindowAttrs a;
  std::string format = "NHWC", padding;
  absl::Status s = GetAttr(attrs, "data_format", &format);
  if (!s.ok() && !absl::IsNotFound(s)) return s;
  absl::StatusOr<DataFormat> f = ParseDataFormat(format);
  if (!f.ok()) return f.status();
  if (*f == DataFormat::kNCHW_VECT_C) return LoweringError("NCHW_VECT_C is not supported");
  a.layout = LayoutOf(*f);
  GRAD_OPS_RETURN_IF_ERROR(GetAttr(attrs, "strides", &a.strides));
  if (pool) GRAD_OPS_RETURN_IF_ERROR(GetAttr(attrs, "ksize", &a.ksize));
  s = GetAttr(attrs, "dilations", &a.dilations);
  if (!s.ok() && !absl::IsNotFound(s)) return s;
  GRAD_OPS_RETURN_IF_ERROR(GetAttr(attrs, "padding", &padding));
  absl::StatusOr<Padding> p = ParsePadding(padding);
  if (!p.ok()) return p.status();
  a.padding = *p;
  std::vector<int64_t> pads;
  s = GetAttr(attrs, "explicit_paddings", &pads);
  if (!s.ok() && !absl::IsNotFound(s)) return s;
  GRAD_OPS_RETURN_IF_ERROR(CheckExplicitPaddings(a.padding, pads, 4, a.layout));
  if (a.padding == Padding::kExplicit) a.explicit_paddings = pads;
  if (a.strides.size() != 4 || a.dilations.size() != 4 || (pool && a.ksize.size() != 4)) {
    return LoweringError("strides, dilations and ksize must hold 4 values");
  }
  for (int d : {a.layout.batch, a.layout.channel}) {
    if (a.strides[d] != 1 || a.dilations[d] != 1) {
      return LoweringError(
          absl::StrCat("strides and dilations in the batch and depth dimensions must be 1, got strides [",
                       absl::StrJoin(a.strides, ","), "] and dilations [", absl::StrJoin(a.dilations, ","), "]"));
    }
  }
  return a;
}

// The window of data_format dim d over an input of `in` elements with a `k` element filter.
absl::StatusOr<WindowedOutput> Window(const WindowAttrs& a, int d, int64_t in, int64_t k) {
  return ComputeWindowedOutput(in, k, a.dilations[d], a.strides[d], a.padding, a.explicit_paddings[2 * d],
                               a.explicit_paddings[2 * d + 1]);
}

std::vector<int64_t> ToNhwc(const ImageLayout& l) { return {l.batch, l.height, l.width, l.channel}; }

// The attrs the backprop ops share with their forward op.
AttrMap ConvAttrsOf(const GradientContext& c, bool with_cudnn) {
  AttrMap attrs = c.AttrsOf({"strides", "padding", "explicit_paddings", "data_format", "dilations"});
  if (with_cudnn) attrs["use_cudnn_on_gpu"] = MakeAttr(true);
  return attrs;
}

// ---- Shape functions -----------------------------------------------------------------------------

// Output: the 4 values of input `sizes_input`; inputs `checked` must have rank 4.
ShapeFn ShapeFromSizesInput(int sizes_input, std::vector<int> checked) {
  return [sizes_input, checked](InferenceContext& c) -> absl::Status {
    Shape unused;
    for (int i : checked) GRAD_OPS_RETURN_IF_ERROR(c.WithRank(c.input(i), 4, &unused));
    absl::StatusOr<Shape> sizes = c.InputAsShape(sizes_input);
    if (!sizes.ok()) return sizes.status();
    Shape out;
    GRAD_OPS_RETURN_IF_ERROR(c.WithRank(*sizes, 4, &out));
    c.set_output(0, out.has_rank() ? out : Shape::UnknownDims(4));
    return absl::OkStatus();
  };
}

absl::Status MaxPoolGradShape(InferenceContext& c) {
  Shape out;
  GRAD_OPS_RETURN_IF_ERROR(c.WithRank(c.input(0), 4, &out));
  c.set_output(0, out.has_rank() ? out : Shape::UnknownDims(4));
  return absl::OkStatus();
}

// ---- Filter gradients ----------------------------------------------------------------------------

// d filter [KH, KW, C_in, C_out] of a (single-group) convolution from an NHWC input and an NHWC
// out_backprop. The convolution's spatial output covers at least the filter; the rest (stride
// remainders) is cut off.
absl::StatusOr<Value> FilterGradNhwc(PrimitiveBuilder& b, const WindowAttrs& a, Value x, Value dy, int64_t kh,
                                     int64_t kw, DType result_dtype) {
  ConvConfig config;
  const int64_t k[2] = {kh, kw};
  for (int i = 0; i < 2; ++i) {
    const int d = i == 0 ? a.layout.height : a.layout.width;
    absl::StatusOr<WindowedOutput> w = Window(a, d, x.dim(1 + i), k[i]);
    if (!w.ok()) return w.status();
    if (w->size != dy.dim(1 + i)) {
      return LoweringError(absl::StrCat("out_backprop has ", dy.dim(1 + i), " elements in spatial dim ", i,
                                        " but the convolution gives ", w->size));
    }
    config.strides.push_back(a.dilations[d]);
    config.rhs_dilation.push_back(a.strides[d]);
    config.padding_lo.push_back(w->pad_before);
    config.padding_hi.push_back(w->pad_after);
  }
  Value lhs = b.Transpose(x, {3, 1, 2, 0});   // [C_in, H, W, N]
  Value rhs = b.Transpose(dy, {1, 2, 0, 3});  // [OH, OW, N, C_out]
  Value full = b.Convolution(lhs, rhs, config, result_dtype);
  if (!b.ok()) return b.status();
  Value cut = b.Slice(full, {0, 0, 0, 0}, {full.dim(0), kh, kw, full.dim(3)}, {1, 1, 1, 1});
  return b.Transpose(cut, {1, 2, 0, 3});
}

absl::Status LowerConv2DBackpropFilter(LoweringContext& c) {
  absl::StatusOr<WindowAttrs> a = ReadWindowAttrs(c.attrs(), false);
  if (!a.ok()) return a.status();
  absl::StatusOr<std::vector<int64_t>> sizes = c.ConstantInputAsInts(1);
  if (!sizes.ok()) return sizes.status();
  if (sizes->size() != 4) return LoweringError("filter_sizes must hold 4 values");
  PrimitiveBuilder& b = c.b();
  const DType acc = ComputeDType(c.input(0).dtype);
  // 16-bit floats stay so up to the multiply (Conv2D's lowering says why); the sums are `acc`.
  Value x = b.Transpose(c.input(0), ToNhwc(a->layout));
  Value dy = b.Transpose(c.input(2), ToNhwc(a->layout));
  if (!b.ok()) return b.status();
  const Shape filter((*sizes));
  const int64_t c_in = x.dim(3), f_in = filter.dim(2), c_out = filter.dim(3);
  if (dy.dim(3) != c_out) {
    return LoweringError(
        absl::StrCat("out_backprop depth ", dy.dim(3), " does not match filter_sizes ", filter.ToString()));
  }
  if (x.num_elements() == 0 || dy.num_elements() == 0 || filter.num_elements() == 0) {
    c.set_output(0, b.Splat(c.output_dtype(0), filter, 0));
    return absl::OkStatus();
  }
  if (f_in <= 0 || c_in % f_in != 0 || c_out % (c_in / f_in) != 0) {
    return LoweringError(absl::StrCat("input depth ", c_in, " does not fit filter_sizes ", filter.ToString()));
  }
  const int64_t groups = c_in / f_in, g_out = c_out / groups;
  std::vector<Value> parts;
  for (int64_t g = 0; g < groups; ++g) {
    Value xg =
        groups == 1 ? x : b.Slice(x, {0, 0, 0, g * f_in}, {x.dim(0), x.dim(1), x.dim(2), (g + 1) * f_in}, {1, 1, 1, 1});
    Value dyg = groups == 1 ? dy
                            : b.Slice(dy, {0, 0, 0, g * g_out}, {dy.dim(0), dy.dim(1), dy.dim(2), (g + 1) * g_out},
                                      {1, 1, 1, 1});
    absl::StatusOr<Value> part = FilterGradNhwc(b, *a, xg, dyg, filter.dim(0), filter.dim(1), acc);
    if (!part.ok()) return part.status();
    parts.push_back(*part);
  }
  Value out = parts.size() == 1 ? parts[0] : b.Concat(parts, 3);
  c.set_output(0, b.Convert(out, c.output_dtype(0)));
  return absl::OkStatus();
}

// Depthwise: one group per input channel. The input [N, H, W, C] becomes one image with C * N
// features (channel-major), out_backprop [N, OH, OW, C * M] the filter, C feature groups.
absl::Status LowerDepthwiseBackpropFilter(LoweringContext& c) {
  absl::StatusOr<WindowAttrs> a = ReadWindowAttrs(c.attrs(), false);
  if (!a.ok()) return a.status();
  absl::StatusOr<std::vector<int64_t>> sizes = c.ConstantInputAsInts(1);
  if (!sizes.ok()) return sizes.status();
  if (sizes->size() != 4) return LoweringError("filter_sizes must hold 4 values");
  PrimitiveBuilder& b = c.b();
  const DType acc = ComputeDType(c.input(0).dtype);
  Value x = b.Transpose(b.Convert(c.input(0), acc), ToNhwc(a->layout));
  Value dy = b.Transpose(b.Convert(c.input(2), acc), ToNhwc(a->layout));
  if (!b.ok()) return b.status();
  const Shape filter((*sizes));
  const int64_t n = x.dim(0), channels = x.dim(3), multiplier = filter.dim(3);
  if (filter.dim(2) != channels || dy.dim(3) != channels * multiplier) {
    return LoweringError(absl::StrCat("filter_sizes ", filter.ToString(), " do not fit input ", x.shape.ToString(),
                                      " and out_backprop ", dy.shape.ToString()));
  }
  if (x.num_elements() == 0 || dy.num_elements() == 0 || filter.num_elements() == 0) {
    c.set_output(0, b.Splat(c.output_dtype(0), filter, 0));
    return absl::OkStatus();
  }
  ConvConfig config;
  for (int i = 0; i < 2; ++i) {
    const int d = i == 0 ? a->layout.height : a->layout.width;
    absl::StatusOr<WindowedOutput> w = Window(*a, d, x.dim(1 + i), filter.dim(i));
    if (!w.ok()) return w.status();
    if (w->size != dy.dim(1 + i)) {
      return LoweringError(absl::StrCat("out_backprop has ", dy.dim(1 + i), " elements in spatial dim ", i,
                                        " but the convolution gives ", w->size));
    }
    config.strides.push_back(a->dilations[d]);
    config.rhs_dilation.push_back(a->strides[d]);
    config.padding_lo.push_back(w->pad_before);
    config.padding_hi.push_back(w->pad_after);
  }
  config.feature_group_count = channels;
  Value lhs = b.Reshape(b.Transpose(x, {1, 2, 3, 0}), Shape{1, x.dim(1), x.dim(2), channels * n});
  Value rhs = b.Transpose(dy, {1, 2, 0, 3});  // [OH, OW, N, C * M]
  Value full = b.Convolution(lhs, rhs, config);
  if (!b.ok()) return b.status();
  Value cut = b.Slice(full, {0, 0, 0, 0}, {1, filter.dim(0), filter.dim(1), full.dim(3)}, {1, 1, 1, 1});
  c.set_output(0, b.Convert(b.Reshape(cut, filter), c.output_dtype(0)));
  return absl::OkStatus();
}

// Depthwise input gradient = Conv2DBackpropInput with the filter as a grouped one:
// [KH, KW, C, M] -> [KH, KW, 1, C * M] (C groups), exactly how the forward op is lowered.
absl::Status LowerDepthwiseBackpropInput(LoweringContext& c) {
  PrimitiveBuilder& b = c.b();
  const Value& f = c.input(1);
  Value grouped = b.Reshape(f, Shape{f.dim(0), f.dim(1), 1, f.dim(2) * f.dim(3)});
  if (!b.ok()) return b.status();
  LoweringContext as_conv(c.node(), b, {c.input(0), grouped, c.input(2)},
                          {c.input_constant(0), nullptr, c.input_constant(2)});
  GRAD_OPS_RETURN_IF_ERROR(nn_lowering::Conv2DBackpropInput(as_conv));
  c.set_output(0, as_conv.outputs()[0]);
  return absl::OkStatus();
}

// ---- Pool gradients --------------------------------------------------------------------------------

// The windows of a pool over `in` (every dim, in data_format order).
absl::StatusOr<std::vector<WindowedOutput>> PoolWindows(const WindowAttrs& a, const Shape& in) {
  std::vector<WindowedOutput> windows;
  for (int d = 0; d < 4; ++d) {
    absl::StatusOr<WindowedOutput> w = ComputeWindowedOutput(
        in.dim(d), a.ksize[d], 1, a.strides[d], a.padding, a.explicit_paddings[2 * d], a.explicit_paddings[2 * d + 1]);
    if (!w.ok()) return w.status();
    windows.push_back(*w);
  }
  return windows;
}

// Every position inside a window, in row-major order (the order TF's kernels scan a window).
std::vector<std::vector<int64_t>> WindowOffsets(const std::vector<int64_t>& ksize) {
  std::vector<std::vector<int64_t>> offsets = {{}};
  for (int64_t k : ksize) {
    std::vector<std::vector<int64_t>> next;
    for (const auto& prefix : offsets) {
      for (int64_t i = 0; i < k; ++i) {
        next.push_back(prefix);
        next.back().push_back(i);
      }
    }
    offsets = std::move(next);
  }
  return offsets;
}

// Scatters `per_window` (one value per window, pool-output shaped) to the elements at `offset`
// inside each window, in the padded input's coordinates.
Value ScatterAtOffset(PrimitiveBuilder& b, Value per_window, const std::vector<int64_t>& offset,
                      const std::vector<int64_t>& strides, const Shape& padded) {
  std::vector<int64_t> lo(4), hi(4), interior(4);
  for (int d = 0; d < 4; ++d) {
    const int64_t last = offset[d] + (per_window.dim(d) - 1) * strides[d];
    lo[d] = offset[d];
    hi[d] = padded.dim(d) - last - 1;
    interior[d] = strides[d] - 1;
  }
  return b.Pad(per_window, b.ScalarConstant(per_window.dtype, 0), lo, hi, interior);
}

// The elements at `offset` inside each window of the padded input.
Value GatherAtOffset(PrimitiveBuilder& b, Value padded, const std::vector<int64_t>& offset,
                     const std::vector<int64_t>& strides, const Shape& out) {
  std::vector<int64_t> limit(4);
  for (int d = 0; d < 4; ++d) limit[d] = offset[d] + (out.dim(d) - 1) * strides[d] + 1;
  return b.Slice(padded, offset, limit, strides);
}

struct PaddedGeometry {
  std::vector<int64_t> lo, hi;
  Shape padded;
};

PaddedGeometry Geometry(const Shape& in, const std::vector<WindowedOutput>& windows) {
  PaddedGeometry g;
  std::vector<int64_t> dims;
  for (int d = 0; d < 4; ++d) {
    g.lo.push_back(windows[d].pad_before);
    g.hi.push_back(windows[d].pad_after);
    dims.push_back(in.dim(d) + windows[d].pad_before + windows[d].pad_after);
  }
  g.padded = Shape(dims);
  return g;
}

// The input-shaped part of a padded tensor.
Value Unpad(PrimitiveBuilder& b, Value padded, const PaddedGeometry& g, const Shape& in) {
  std::vector<int64_t> limit(4);
  for (int d = 0; d < 4; ++d) limit[d] = g.lo[d] + in.dim(d);
  return b.Slice(padded, g.lo, limit, {1, 1, 1, 1});
}

// Windows that tile the input (strides == ksize over H and W, 1 elsewhere, no padding before;
// the common 2x2/2 pool): each input element lies in at most one window, so one elementwise op
// over the input can pick its window's gradient where it is the window's first max. The general
// path sums KH*KW input-sized scatters, which is slow to compile and to run.
bool WindowsTileInput(const WindowAttrs& a, const std::vector<WindowedOutput>& windows, DType acc) {
  if (acc != DT_FLOAT && acc != DT_DOUBLE) return false;  // partial windows pad with -inf
  for (int d = 0; d < 4; ++d) {
    const bool spatial = d == a.layout.height || d == a.layout.width;
    if (a.strides[d] != a.ksize[d] || windows[d].pad_before != 0 || (!spatial && a.ksize[d] != 1)) return false;
  }
  return a.layout.width == a.layout.height + 1;  // NHWC and NCHW
}

Value MaxPoolGradTiled(PrimitiveBuilder& b, const WindowAttrs& a, Value x, Value y, Value g) {
  const int h = a.layout.height, w = a.layout.width;
  const int64_t kh = a.ksize[h], kw = a.ksize[w], oh = y.dim(h), ow = y.dim(w);
  // The windows cover out * ksize elements per dim: leftovers are cut (they get no gradient), the
  // padding of partial windows (SAME) is -inf, which never comes before a window's max.
  std::vector<int64_t> cover = x.shape.dims(), zeros4(4, 0), hi(4, 0);
  cover[h] = oh * kh;
  cover[w] = ow * kw;
  std::vector<int64_t> kept(4);
  for (int d = 0; d < 4; ++d) {
    kept[d] = std::min(cover[d], x.dim(d));
    hi[d] = cover[d] - kept[d];
  }
  const bool partial = hi[h] != 0 || hi[w] != 0;
  Value covered = b.Slice(x, zeros4, kept, {1, 1, 1, 1});
  if (partial) {
    covered = b.Pad(covered, b.ScalarConstant(x.dtype, -std::numeric_limits<double>::infinity()), zeros4, hi, zeros4);
  }
  // [outer, kh, ow, kw, inner] views (free reshapes): window offset (i, j) is [:, i, :, j, :].
  int64_t outer = oh, inner = 1;
  for (int d = 0; d < h; ++d) outer *= x.dim(d);
  for (int d = w + 1; d < 4; ++d) inner *= x.dim(d);
  const Shape full{outer, kh, ow, kw, inner}, per_window{outer, 1, ow, 1, inner};
  Value xv = b.Reshape(covered, full);
  Value yv = b.Reshape(y, per_window);
  // The first offset (row-major) holding each window's max, on the pool-output shape; kh * kw
  // where none does (a NaN max). Then one elementwise op writes every input position.
  Value first = b.Splat(DT_INT32, per_window, static_cast<double>(kh * kw));
  for (int64_t t = kh * kw - 1; t >= 0; --t) {
    const int64_t i = t / kw, j = t % kw;
    Value at = b.Slice(xv, {0, i, 0, j, 0}, {outer, i + 1, ow, j + 1, inner}, {1, 1, 1, 1, 1});
    first = b.Select(b.Binary(BinaryKind::kEq, at, yv), b.Splat(DT_INT32, per_window, static_cast<double>(t)), first);
  }
  const std::vector<int64_t> same_dims = {0, 1, 2, 3, 4};
  Value offset = b.Binary(BinaryKind::kAdd,
                          b.Binary(BinaryKind::kMul, b.Iota(DT_INT32, full, 1), b.Splat(DT_INT32, full, kw)),
                          b.Iota(DT_INT32, full, 3));
  Value routed = b.Select(b.Binary(BinaryKind::kEq, offset, b.BroadcastInDim(first, full, same_dims)),
                          b.BroadcastInDim(b.Reshape(g, per_window), full, same_dims), b.Splat(x.dtype, full, 0));
  Value out = b.Reshape(routed, Shape(cover));
  if (partial) out = b.Slice(out, zeros4, kept, {1, 1, 1, 1});
  std::vector<int64_t> leftover(4);
  for (int d = 0; d < 4; ++d) leftover[d] = x.dim(d) - kept[d];
  if (leftover[h] != 0 || leftover[w] != 0) out = b.Pad(out, b.ScalarConstant(x.dtype, 0), zeros4, leftover, zeros4);
  return out;
}

// TF's CPU MaxPoolGrad: each window's gradient goes to the first element (in row-major window
// order) equal to the window's max; padding never receives any.
absl::Status LowerMaxPoolGrad(LoweringContext& c) {
  absl::StatusOr<WindowAttrs> a = ReadWindowAttrs(c.attrs(), true);
  if (!a.ok()) return a.status();
  PrimitiveBuilder& b = c.b();
  const DType acc = ComputeDType(c.input(0).dtype);
  Value x = b.Convert(c.input(0), acc), y = b.Convert(c.input(1), acc), g = b.Convert(c.input(2), acc);
  if (!b.ok()) return b.status();
  if (x.rank() != 4 || y.shape != g.shape) {
    return LoweringError(absl::StrCat("orig_input ", x.shape.ToString(), ", orig_output ", y.shape.ToString(),
                                      " and grad ", g.shape.ToString(), " do not fit"));
  }
  absl::StatusOr<std::vector<WindowedOutput>> windows = PoolWindows(*a, x.shape);
  if (!windows.ok()) return windows.status();
  for (int d = 0; d < 4; ++d) {
    if ((*windows)[d].size != y.dim(d)) {
      return LoweringError(
          absl::StrCat("orig_output ", y.shape.ToString(), " is not the pool of orig_input ", x.shape.ToString()));
    }
  }
  if (x.num_elements() == 0 || y.num_elements() == 0) {
    c.set_output(0, b.Splat(c.output_dtype(0), x.shape, 0));
    return absl::OkStatus();
  }
  if (WindowsTileInput(*a, *windows, acc)) {
    c.set_output(0, b.Convert(MaxPoolGradTiled(b, *a, x, y, g), c.output_dtype(0)));
    return absl::OkStatus();
  }
  const PaddedGeometry geo = Geometry(x.shape, *windows);
  const std::vector<int64_t> interior(4, 0);
  Value padded = b.Pad(x, b.ScalarConstant(acc, 0), geo.lo, geo.hi, interior);
  Value valid = b.Pad(b.Splat(DT_BOOL, x.shape, 1), b.ScalarConstant(DT_BOOL, 0), geo.lo, geo.hi, interior);
  Value zeros = b.Splat(acc, y.shape, 0);
  Value taken = b.Splat(DT_BOOL, y.shape, 0);
  Value sum = b.Splat(acc, geo.padded, 0);
  for (const std::vector<int64_t>& offset : WindowOffsets(a->ksize)) {
    Value is_max =
        b.Binary(BinaryKind::kAnd, b.Binary(BinaryKind::kEq, GatherAtOffset(b, padded, offset, a->strides, y.shape), y),
                 GatherAtOffset(b, valid, offset, a->strides, y.shape));
    Value first = b.Binary(BinaryKind::kAnd, is_max, b.Unary(UnaryKind::kNot, taken));
    taken = b.Binary(BinaryKind::kOr, taken, is_max);
    Value routed = b.Select(first, g, zeros);
    sum = b.Binary(BinaryKind::kAdd, sum, ScatterAtOffset(b, routed, offset, a->strides, geo.padded));
  }
  c.set_output(0, b.Convert(Unpad(b, sum, geo, x.shape), c.output_dtype(0)));
  return absl::OkStatus();
}

// AvgPoolGrad: each window's gradient divided by the number of input (not padding) elements
// under it, spread over those elements.
absl::Status LowerAvgPoolGrad(LoweringContext& c) {
  absl::StatusOr<WindowAttrs> a = ReadWindowAttrs(c.attrs(), true);
  if (!a.ok()) return a.status();
  if (a->padding == Padding::kExplicit) return LoweringError("AvgPoolGrad does not support EXPLICIT padding");
  absl::StatusOr<std::vector<int64_t>> sizes = c.ConstantInputAsInts(0);
  if (!sizes.ok()) return sizes.status();
  if (sizes->size() != 4) return LoweringError("orig_input_shape must hold 4 values");
  const Shape in(*sizes);
  PrimitiveBuilder& b = c.b();
  const DType acc = ComputeDType(c.input(1).dtype);
  Value g = b.Convert(c.input(1), acc);
  if (!b.ok()) return b.status();
  absl::StatusOr<std::vector<WindowedOutput>> windows = PoolWindows(*a, in);
  if (!windows.ok()) return windows.status();
  for (int d = 0; d < 4; ++d) {
    if ((*windows)[d].size != g.dim(d)) {
      return LoweringError(absl::StrCat("grad ", g.shape.ToString(), " is not the shape of a pool of ", in.ToString()));
    }
  }
  if (in.num_elements() == 0 || g.num_elements() == 0) {
    c.set_output(0, b.Splat(c.output_dtype(0), in, 0));
    return absl::OkStatus();
  }
  // Elements under each window: a product of per-dim counts.
  Value divided = g;
  for (int d = 0; d < 4; ++d) {
    std::vector<double> counts;
    for (int64_t o = 0; o < g.dim(d); ++o) {
      const int64_t start = o * a->strides[d] - (*windows)[d].pad_before;
      const int64_t end = std::min(start + a->ksize[d], in.dim(d));
      counts.push_back(static_cast<double>(end - std::max<int64_t>(start, 0)));
    }
    absl::StatusOr<Tensor> t = Tensor::FromVector<double>(counts).Cast(acc);
    if (!t.ok()) return t.status();
    divided = b.Binary(BinaryKind::kDiv, divided, b.BroadcastInDim(b.Constant(*t), g.shape, {d}));
  }
  const PaddedGeometry geo = Geometry(in, *windows);
  Value sum = b.Splat(acc, geo.padded, 0);
  for (const std::vector<int64_t>& offset : WindowOffsets(a->ksize)) {
    sum = b.Binary(BinaryKind::kAdd, sum, ScatterAtOffset(b, divided, offset, a->strides, geo.padded));
  }
  c.set_output(0, b.Convert(Unpad(b, sum, geo, in), c.output_dtype(0)));
  return absl::OkStatus();
}

// ---- Gradients of the backprop ops (second derivatives, as TF's nn_grad.py) ----------------------

// Conv2DBackpropFilter(input, filter_sizes, dy) is bilinear in input and dy.
absl::Status Conv2DBackpropFilterGrad(GradientContext& c) {
  AttrMap attrs = ConvAttrsOf(c, true);
  c.set_dx(0, c.Op("Conv2DBackpropInput", {c.ShapeOf(c.input(0)), c.dy(0), c.input(2)}, attrs));
  c.set_dx(2, c.Op("Conv2D", {c.input(0), c.dy(0)}, attrs));
  return c.status();
}

absl::Status DepthwiseBackpropInputGrad(GradientContext& c) {
  AttrMap attrs = ConvAttrsOf(c, false);
  c.set_dx(1, c.Op("DepthwiseConv2dNativeBackpropFilter", {c.dy(0), c.ShapeOf(c.input(1)), c.input(2)}, attrs));
  c.set_dx(2, c.Op("DepthwiseConv2dNative", {c.dy(0), c.input(1)}, attrs));
  return c.status();
}

absl::Status DepthwiseBackpropFilterGrad(GradientContext& c) {
  AttrMap attrs = ConvAttrsOf(c, false);
  c.set_dx(0, c.Op("DepthwiseConv2dNativeBackpropInput", {c.ShapeOf(c.input(0)), c.dy(0), c.input(2)}, attrs));
  c.set_dx(2, c.Op("DepthwiseConv2dNative", {c.input(0), c.dy(0)}, attrs));
  return c.status();
}

// AvgPoolGrad is linear in grad: its gradient is the pool of the incoming gradient.
absl::Status AvgPoolGradGrad(GradientContext& c) {
  c.set_dx(1, c.Op("AvgPool", {c.dy(0)}, c.AttrsOf({"ksize", "strides", "padding", "data_format"})));
  return c.status();
}

}  // namespace

REGISTER_OP("Conv2DBackpropFilter")
    .Input("input: T")
    .Input("filter_sizes: int32")
    .Input("out_backprop: T")
    .Output("output: T")
    .Attr("T: {half, bfloat16, float, double}")
    .Attr("strides: list(int)")
    .Attr("use_cudnn_on_gpu: bool = true")
    .Attr(kPaddingWithExplicitAttr)
    .Attr(kExplicitPaddingsAttr)
    .Attr(kDataFormatAttr)
    .Attr(kDilationsAttr)
    .SetShapeFn(ShapeFromSizesInput(1, {0, 2}))
    .SetLowering(LowerConv2DBackpropFilter)
    .SetGradient(Conv2DBackpropFilterGrad);

REGISTER_OP("DepthwiseConv2dNativeBackpropInput")
    .Input("input_sizes: int32")
    .Input("filter: T")
    .Input("out_backprop: T")
    .Output("output: T")
    .Attr("T: {half, bfloat16, float, double}")
    .Attr("strides: list(int)")
    .Attr(kPaddingWithExplicitAttr)
    .Attr(kExplicitPaddingsAttr)
    .Attr(kDataFormatAttr)
    .Attr(kDilationsAttr)
    .SetShapeFn(ShapeFromSizesInput(0, {1, 2}))
    .SetLowering(LowerDepthwiseBackpropInput)
    .SetGradient(DepthwiseBackpropInputGrad);

REGISTER_OP("DepthwiseConv2dNativeBackpropFilter")
    .Input("input: T")
    .Input("filter_sizes: int32")
    .Input("out_backprop: T")
    .Output("output: T")
    .Attr("T: {half, bfloat16, float, double}")
    .Attr("strides: list(int)")
    .Attr(kPaddingWithExplicitAttr)
    .Attr(kExplicitPaddingsAttr)
    .Attr(kDataFormatAttr)
    .Attr(kDilationsAttr)
    .SetShapeFn(ShapeFromSizesInput(1, {0, 2}))
    .SetLowering(LowerDepthwiseBackpropFilter)
    .SetGradient(DepthwiseBackpropFilterGrad);

REGISTER_OP("MaxPoolGrad")
    .Input("orig_input: T")
    .Input("orig_output: T")
    .Input("grad: T")
    .Output("output: T")
    .Attr("ksize: list(int) >= 4")
    .Attr("strides: list(int) >= 4")
    .Attr(kPaddingWithExplicitAttr)
    .Attr(kExplicitPaddingsAttr)
    .Attr(kDataFormatAttr)
    .Attr("T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64} = DT_FLOAT")
    .SetShapeFn(MaxPoolGradShape)
    .SetLowering(LowerMaxPoolGrad);

REGISTER_OP("AvgPoolGrad")
    .Input("orig_input_shape: int32")
    .Input("grad: T")
    .Output("output: T")
    .Attr("ksize: list(int) >= 4")
    .Attr("strides: list(int) >= 4")
    .Attr("padding: {'SAME', 'VALID'}")
    .Attr(kDataFormatAttr)
    .Attr("T: {half, bfloat16, float, double}")
    .SetShapeFn(ShapeFromSizesInput(0, {1}))
    .SetLowering(LowerAvgPoolGrad)
    .SetGradient(AvgPoolGradGrad);

}  // namespace strata
