// Neural-network ops: matmuls, bias, convolutions, pooling, batch norm, softmax, and the fused
// forms that Grappler (_FusedConv2D, _FusedMatMul, _FusedDepthwiseConv2dNative) and the TF.js
// converter (FusedDepthwiseConv2dNative, Prelu) write into graphs. Schemas follow
// tensorflow/core/ops/nn_ops.cc and math_ops.cc; shape functions follow common_shape_fns.cc.
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "graph/shape.h"
#include "graph/shape_inference.h"
#include "ops/nn_lowering.h"
#include "ops/registry.h"
#include "ops/window_util.h"

namespace strata {
namespace {

// TensorFlow's "numbertype" (kNumberTypes), spelled out: the registry takes explicit lists.
constexpr char kNumberTypes[] =
    "{float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, "
    "bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}";
constexpr char kPaddingAttr[] = "padding: {'SAME', 'VALID'}";
constexpr char kPaddingWithExplicitAttr[] = "padding: {'SAME', 'VALID', 'EXPLICIT'}";
constexpr char kExplicitPaddingsAttr[] = "explicit_paddings: list(int) = []";
constexpr char kConvnetDataFormatAttr[] = "data_format: {'NHWC', 'NCHW'} = 'NHWC'";

// ---- Small helpers over InferenceContext ---------------------------------------------------

// Appends what was being checked, so that "Dimensions must be equal, but are 3 and 4" says
// which dims.
absl::Status WithContext(const absl::Status& s, const std::string& what) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(s.message(), " (", what, ")"));
}

// Input i with exactly `rank` dims; an unknown-rank input becomes `rank` unknown dims.
absl::StatusOr<Shape> InputWithRank(const InferenceContext& c, int i, int rank,
                                    const std::string& name) {
  Shape s;
  absl::Status st = c.WithRank(c.input(i), rank, &s);
  if (!st.ok()) return WithContext(st, absl::StrCat("input '", name, "'"));
  if (s.unknown_rank()) s = Shape::UnknownDims(rank);
  return s;
}

// Input i with at least `rank` dims (unknown rank stays unknown).
absl::StatusOr<Shape> InputWithRankAtLeast(const InferenceContext& c, int i, int rank,
                                           const std::string& name) {
  Shape s;
  absl::Status st = c.WithRankAtLeast(c.input(i), rank, &s);
  if (!st.ok()) return WithContext(st, absl::StrCat("input '", name, "'"));
  return s;
}

absl::StatusOr<int64_t> MergeDim(const InferenceContext& c, int64_t a, int64_t b,
                                 const std::string& what) {
  int64_t out = Shape::kUnknownDim;
  absl::Status st = c.MergeDims(a, b, &out);
  if (!st.ok()) return WithContext(st, what);
  return out;
}

// Product of two partial dims: unknown if either is.
int64_t MultiplyDims(int64_t a, int64_t b) {
  if (a < 0 || b < 0) return Shape::kUnknownDim;
  int64_t out;
  if (__builtin_mul_overflow(a, b, &out)) return Shape::kUnknownDim;
  return out;
}

// data_format, NHWC when the op has no such attr.
absl::StatusOr<DataFormat> GetDataFormat(const InferenceContext& c) {
  std::string name;
  absl::Status st = c.GetAttr("data_format", &name);
  if (absl::IsNotFound(st)) return DataFormat::kNHWC;
  if (!st.ok()) return st;
  return ParseDataFormat(name);
}

absl::StatusOr<Padding> GetPadding(const InferenceContext& c) {
  std::string name;
  if (absl::Status st = c.GetAttr("padding", &name); !st.ok()) return st;
  return ParsePadding(name);
}

// explicit_paddings, validated against padding (empty when the attr is absent).
absl::StatusOr<std::vector<int64_t>> GetExplicitPaddings(const InferenceContext& c, Padding padding,
                                                         const ImageLayout& layout) {
  std::vector<int64_t> pads;
  absl::Status st = c.GetAttr("explicit_paddings", &pads);
  if (!st.ok() && !absl::IsNotFound(st)) return st;
  if (absl::Status v = CheckExplicitPaddings(padding, pads, /*num_dims=*/4, layout); !v.ok()) {
    return v;
  }
  return pads;
}

// A list(int) attr that must hold exactly 4 values (strides, ksize, dilations); when
// `fallback` is given, an absent attr takes it.
absl::StatusOr<std::vector<int64_t>> GetFourInts(const InferenceContext& c, std::string_view attr,
                                                 std::string_view op_label,
                                                 const std::vector<int64_t>* fallback = nullptr) {
  std::vector<int64_t> v;
  absl::Status st = c.GetAttr(attr, &v);
  if (absl::IsNotFound(st) && fallback != nullptr) return *fallback;
  if (!st.ok()) return st;
  if (v.size() != 4) {
    // TensorFlow's wording: "the stride attribute", "the dilation attribute".
    const std::string_view noun = attr == "strides"     ? "stride"
                                  : attr == "dilations" ? "dilation"
                                                        : attr;
    return c.Error("%s requires the %s attribute to contain 4 values, but got: %d", op_label, noun,
                   static_cast<int>(v.size()));
  }
  return v;
}

// An image shape in `layout` (NCHW_VECT_C gets its trailing vector dim of 4).
Shape MakeImageShape(const ImageLayout& layout, int64_t batch, int64_t height, int64_t width,
                     int64_t channel) {
  Shape s = Shape::UnknownDims(layout.rank);
  s.set_dim(layout.batch, batch);
  s.set_dim(layout.height, height);
  s.set_dim(layout.width, width);
  s.set_dim(layout.channel, channel);
  if (layout.inner_channel >= 0) s.set_dim(layout.inner_channel, 4);
  return s;
}

// NCHW_VECT_C tensors carry features in vectors of 4.
absl::Status CheckVectorDim(const InferenceContext& c, const Shape& s, const ImageLayout& layout) {
  if (layout.inner_channel < 0) return absl::OkStatus();
  const int64_t d = s.dim(layout.inner_channel);
  if (d >= 0 && d != 4) {
    return c.Error("NCHW_VECT_C requires the last dimension to be 4, but it is %d", d);
  }
  return absl::OkStatus();
}

// ---- Matmul ----------------------------------------------------------------------------------

absl::Status MatMulShape(InferenceContext& c) {
  absl::StatusOr<Shape> a = InputWithRank(c, 0, 2, "a");
  if (!a.ok()) return a.status();
  absl::StatusOr<Shape> b = InputWithRank(c, 1, 2, "b");
  if (!b.ok()) return b.status();
  bool transpose_a = false, transpose_b = false;
  if (absl::Status s = c.GetAttr("transpose_a", &transpose_a); !s.ok()) return s;
  if (absl::Status s = c.GetAttr("transpose_b", &transpose_b); !s.ok()) return s;
  const int64_t rows = a->dim(transpose_a ? 1 : 0);
  const int64_t cols = b->dim(transpose_b ? 0 : 1);
  absl::StatusOr<int64_t> inner =
      MergeDim(c, a->dim(transpose_a ? 0 : 1), b->dim(transpose_b ? 1 : 0),
               transpose_a || transpose_b ? "inner dimensions of a and b after transposes"
                                          : "inner dimensions of a and b");
  if (!inner.ok()) return inner.status();
  c.set_output(0, Shape{rows, cols});
  return absl::OkStatus();
}

absl::Status BatchMatMulV2Shape(InferenceContext& c) {
  absl::StatusOr<Shape> x = InputWithRankAtLeast(c, 0, 2, "x");
  if (!x.ok()) return x.status();
  absl::StatusOr<Shape> y = InputWithRankAtLeast(c, 1, 2, "y");
  if (!y.ok()) return y.status();
  bool adj_x = false, adj_y = false;
  if (absl::Status s = c.GetAttr("adj_x", &adj_x); !s.ok()) return s;
  if (absl::Status s = c.GetAttr("adj_y", &adj_y); !s.ok()) return s;
  auto dim = [](const Shape& s, int i) { return s.has_rank() ? s.dim(i) : Shape::kUnknownDim; };
  const int64_t rows = dim(*x, adj_x ? -1 : -2);
  const int64_t cols = dim(*y, adj_y ? -2 : -1);
  absl::StatusOr<int64_t> inner =
      MergeDim(c, dim(*x, adj_x ? -2 : -1), dim(*y, adj_y ? -1 : -2),
               adj_x || adj_y ? "inner dimensions of x and y after adjoints"
                              : "inner dimensions of x and y");
  if (!inner.ok()) return inner.status();
  if (x->unknown_rank() || y->unknown_rank()) {
    c.set_output(0, Shape::UnknownRank());
    return absl::OkStatus();
  }
  absl::StatusOr<Shape> batch = BroadcastShapes(x->Subshape(0, -2), y->Subshape(0, -2));
  if (!batch.ok()) {
    return WithContext(batch.status(), "batch dimensions of x and y must broadcast");
  }
  Shape out = *batch;
  out.AddDim(rows);
  out.AddDim(cols);
  c.set_output(0, std::move(out));
  return absl::OkStatus();
}

// ---- BiasAdd ---------------------------------------------------------------------------------

absl::Status BiasAddShape(InferenceContext& c) {
  absl::StatusOr<DataFormat> format = GetDataFormat(c);
  if (!format.ok()) return format.status();
  const bool nchw = *format == DataFormat::kNCHW;
  absl::StatusOr<Shape> value = InputWithRankAtLeast(c, 0, nchw ? 3 : 2, "value");
  if (!value.ok()) return value.status();
  absl::StatusOr<Shape> bias = InputWithRank(c, 1, 1, "bias");
  if (!bias.ok()) return bias.status();
  if (value->unknown_rank()) {
    c.set_output(0, Shape::UnknownRank());
    return absl::OkStatus();
  }
  // The bias runs along the channel dim: 1 for NCHW, the last one otherwise.
  const int channel = nchw ? 1 : value->rank() - 1;
  absl::StatusOr<int64_t> merged = MergeDim(c, value->dim(channel), bias->dim(0),
                                            "channel dimension of value and the length of bias");
  if (!merged.ok()) return merged.status();
  Shape out = *value;
  out.set_dim(channel, *merged);
  c.set_output(0, std::move(out));
  return absl::OkStatus();
}

// ---- Convolutions ----------------------------------------------------------------------------

const std::vector<int64_t> kUnitDilations = {1, 1, 1, 1};

// Conv2D and _FusedConv2D (TF's Conv2DShapeImpl): input in data_format, filter HWIO.
absl::Status Conv2DShapeImpl(InferenceContext& c, bool supports_explicit_padding) {
  absl::StatusOr<DataFormat> format = GetDataFormat(c);
  if (!format.ok()) return format.status();
  if (*format == DataFormat::kNCHW_VECT_C) {
    return c.Error("%s does not support data_format NCHW_VECT_C", c.op());
  }
  const ImageLayout layout = LayoutOf(*format);
  absl::StatusOr<Shape> input = InputWithRank(c, 0, 4, "input");
  if (!input.ok()) return input.status();
  absl::StatusOr<Shape> filter = InputWithRank(c, 1, 4, "filter");
  if (!filter.ok()) return filter.status();
  absl::StatusOr<std::vector<int64_t>> dilations =
      GetFourInts(c, "dilations", "Conv2D", &kUnitDilations);
  if (!dilations.ok()) return dilations.status();
  absl::StatusOr<std::vector<int64_t>> strides = GetFourInts(c, "strides", "Conv2D");
  if (!strides.ok()) return strides.status();

  const int64_t batch = input->dim(layout.batch);
  const int64_t in_depth = input->dim(layout.channel);
  const int64_t filter_rows = filter->dim(0), filter_cols = filter->dim(1);
  const int64_t filter_in_depth = filter->dim(2), out_depth = filter->dim(3);

  // The input depth must be a multiple of the filter's (grouped convolution), and the output
  // depth a multiple of the number of groups.
  if (in_depth >= 0 && filter_in_depth >= 0) {
    if (filter_in_depth == 0 ? in_depth != 0 : in_depth % filter_in_depth != 0) {
      return c.Error("Depth of input (%d) is not a multiple of input depth of filter (%d)",
                     in_depth, filter_in_depth);
    }
    if (filter_in_depth != 0 && in_depth != filter_in_depth && out_depth >= 0) {
      const int64_t groups = in_depth / filter_in_depth;
      if (out_depth % groups != 0) {
        return c.Error("Depth of output (%d) is not a multiple of the number of groups (%d)",
                       out_depth, groups);
      }
    }
  }

  absl::StatusOr<Padding> padding = GetPadding(c);
  if (!padding.ok()) return padding.status();
  std::vector<int64_t> pads(8, 0);
  if (supports_explicit_padding) {
    absl::StatusOr<std::vector<int64_t>> explicit_pads = GetExplicitPaddings(c, *padding, layout);
    if (!explicit_pads.ok()) return explicit_pads.status();
    if (*padding == Padding::kExplicit) pads = *explicit_pads;
  } else if (*padding == Padding::kExplicit) {
    return c.Error("%s does not support EXPLICIT padding", c.op());
  }

  absl::StatusOr<int64_t> out_rows = InferWindowedOutputDim(
      input->dim(layout.height), filter_rows, (*dilations)[layout.height],
      (*strides)[layout.height], *padding, pads[2 * layout.height], pads[2 * layout.height + 1]);
  if (!out_rows.ok()) return out_rows.status();
  absl::StatusOr<int64_t> out_cols = InferWindowedOutputDim(
      input->dim(layout.width), filter_cols, (*dilations)[layout.width], (*strides)[layout.width],
      *padding, pads[2 * layout.width], pads[2 * layout.width + 1]);
  if (!out_cols.ok()) return out_cols.status();
  c.set_output(0, MakeImageShape(layout, batch, *out_rows, *out_cols, out_depth));
  return absl::OkStatus();
}

absl::Status Conv2DShapeWithExplicitPadding(InferenceContext& c) {
  return Conv2DShapeImpl(c, /*supports_explicit_padding=*/true);
}

// DepthwiseConv2dNative and its fused forms: filter [H, W, in_depth, multiplier], output depth
// in_depth * multiplier.
absl::Status DepthwiseConv2DShape(InferenceContext& c) {
  absl::StatusOr<Shape> input = InputWithRank(c, 0, 4, "input");
  if (!input.ok()) return input.status();
  absl::StatusOr<Shape> filter = InputWithRank(c, 1, 4, "filter");
  if (!filter.ok()) return filter.status();
  absl::StatusOr<std::vector<int64_t>> strides = GetFourInts(c, "strides", "DepthwiseConv2D");
  if (!strides.ok()) return strides.status();
  absl::StatusOr<std::vector<int64_t>> dilations =
      GetFourInts(c, "dilations", "DepthwiseConv2D", &kUnitDilations);
  if (!dilations.ok()) return dilations.status();
  absl::StatusOr<DataFormat> format = GetDataFormat(c);
  if (!format.ok()) return format.status();
  if (*format == DataFormat::kNCHW_VECT_C) {
    return c.Error("%s does not support data_format NCHW_VECT_C", c.op());
  }
  const ImageLayout layout = LayoutOf(*format);

  absl::StatusOr<int64_t> in_depth = MergeDim(c, input->dim(layout.channel), filter->dim(2),
                                              "depth of input and in_channels (dim 2) of filter");
  if (!in_depth.ok()) return in_depth.status();
  const int64_t out_depth = MultiplyDims(*in_depth, filter->dim(3));

  absl::StatusOr<Padding> padding = GetPadding(c);
  if (!padding.ok()) return padding.status();
  absl::StatusOr<std::vector<int64_t>> explicit_pads = GetExplicitPaddings(c, *padding, layout);
  if (!explicit_pads.ok()) return explicit_pads.status();
  std::vector<int64_t> pads =
      *padding == Padding::kExplicit ? *explicit_pads : std::vector<int64_t>(8, 0);

  absl::StatusOr<int64_t> out_rows = InferWindowedOutputDim(
      input->dim(layout.height), filter->dim(0), (*dilations)[layout.height],
      (*strides)[layout.height], *padding, pads[2 * layout.height], pads[2 * layout.height + 1]);
  if (!out_rows.ok()) return out_rows.status();
  absl::StatusOr<int64_t> out_cols = InferWindowedOutputDim(
      input->dim(layout.width), filter->dim(1), (*dilations)[layout.width],
      (*strides)[layout.width], *padding, pads[2 * layout.width], pads[2 * layout.width + 1]);
  if (!out_cols.ok()) return out_cols.status();
  c.set_output(0,
               MakeImageShape(layout, input->dim(layout.batch), *out_rows, *out_cols, out_depth));
  return absl::OkStatus();
}

// The gradient of Conv2D w.r.t. its input: the shape is input_sizes (4 values, or 2 spatial
// values with the depth taken from the filter), checked against out_backprop and filter.
absl::Status Conv2DBackpropInputShape(InferenceContext& c) {
  absl::StatusOr<DataFormat> format = GetDataFormat(c);
  if (!format.ok()) return format.status();
  if (*format == DataFormat::kNCHW_VECT_C) {
    return c.Error("%s does not support data_format NCHW_VECT_C", c.op());
  }
  const ImageLayout layout = LayoutOf(*format);
  absl::StatusOr<Shape> out_backprop = InputWithRank(c, 2, 4, "out_backprop");
  if (!out_backprop.ok()) return out_backprop.status();
  absl::StatusOr<Shape> filter = InputWithRank(c, 1, 4, "filter");
  if (!filter.ok()) return filter.status();
  absl::StatusOr<int64_t> unused =
      MergeDim(c, out_backprop->dim(layout.channel), filter->dim(3),
               "depth of out_backprop and out_channels (dim 3) of filter");
  if (!unused.ok()) return unused.status();

  absl::StatusOr<Shape> sizes = c.InputAsShape(0);
  if (!sizes.ok()) return WithContext(sizes.status(), "input 'input_sizes'");
  Shape specified = sizes->has_rank() ? *sizes : Shape::UnknownDims(4);
  int64_t batch = out_backprop->dim(layout.batch);
  int64_t rows, cols, depth;
  if (specified.rank() == 4) {
    absl::StatusOr<int64_t> merged_batch =
        MergeDim(c, specified.dim(layout.batch), batch,
                 absl::StrCat("batch of input_sizes ", specified.ToString(), " and out_backprop ",
                              out_backprop->ToString()));
    if (!merged_batch.ok()) return merged_batch.status();
    batch = *merged_batch;
    rows = specified.dim(layout.height);
    cols = specified.dim(layout.width);
    depth = specified.dim(layout.channel);
  } else if (specified.rank() == 2) {
    rows = specified.dim(0);
    cols = specified.dim(1);
    depth = filter->dim(2);
  } else {
    return c.Error(
        "Conv2DBackpropInput requires input_sizes to contain 4 values or 2 values, but got: %d",
        specified.rank());
  }
  c.set_output(0, MakeImageShape(layout, batch, rows, cols, depth));
  return absl::OkStatus();
}

// ---- Pooling ---------------------------------------------------------------------------------

// MaxPool windows the depth dim too (ksize/strides on C are allowed) and supports EXPLICIT
// padding; AvgPool keeps the depth.
absl::Status PoolShape(InferenceContext& c, bool is_max_pool) {
  const char* op_label = is_max_pool ? "MaxPool" : "AvgPool";
  absl::StatusOr<DataFormat> format = GetDataFormat(c);
  if (!format.ok()) return format.status();
  const ImageLayout layout = LayoutOf(*format);
  absl::StatusOr<Shape> input = InputWithRank(c, 0, layout.rank, "input");
  if (!input.ok()) return input.status();
  if (absl::Status s = CheckVectorDim(c, *input, layout); !s.ok()) return s;
  absl::StatusOr<std::vector<int64_t>> strides = GetFourInts(c, "strides", op_label);
  if (!strides.ok()) return strides.status();
  absl::StatusOr<std::vector<int64_t>> ksize = GetFourInts(c, "ksize", op_label);
  if (!ksize.ok()) return ksize.status();
  absl::StatusOr<Padding> padding = GetPadding(c);
  if (!padding.ok()) return padding.status();
  std::vector<int64_t> pads(8, 0);
  if (is_max_pool) {
    absl::StatusOr<std::vector<int64_t>> explicit_pads = GetExplicitPaddings(c, *padding, layout);
    if (!explicit_pads.ok()) return explicit_pads.status();
    if (*padding == Padding::kExplicit) pads = *explicit_pads;
  } else if (*padding == Padding::kExplicit) {
    return c.Error("%s does not support EXPLICIT padding", op_label);
  }

  absl::StatusOr<int64_t> out_rows = InferWindowedOutputDim(
      input->dim(layout.height), (*ksize)[layout.height], 1, (*strides)[layout.height], *padding,
      pads[2 * layout.height], pads[2 * layout.height + 1]);
  if (!out_rows.ok()) return out_rows.status();
  absl::StatusOr<int64_t> out_cols = InferWindowedOutputDim(
      input->dim(layout.width), (*ksize)[layout.width], 1, (*strides)[layout.width], *padding,
      pads[2 * layout.width], pads[2 * layout.width + 1]);
  if (!out_cols.ok()) return out_cols.status();
  int64_t out_depth = input->dim(layout.channel);
  if (is_max_pool) {
    absl::StatusOr<int64_t> d = InferWindowedOutputDim(out_depth, (*ksize)[layout.channel], 1,
                                                       (*strides)[layout.channel], *padding, 0, 0);
    if (!d.ok()) return d.status();
    out_depth = *d;
  }
  c.set_output(0,
               MakeImageShape(layout, input->dim(layout.batch), *out_rows, *out_cols, out_depth));
  return absl::OkStatus();
}

absl::Status MaxPoolShape(InferenceContext& c) { return PoolShape(c, /*is_max_pool=*/true); }
absl::Status AvgPoolShape(InferenceContext& c) { return PoolShape(c, /*is_max_pool=*/false); }

// ---- Batch norm ------------------------------------------------------------------------------

// FusedBatchNorm (V1) and FusedBatchNormV3 (TF's FusedBatchNormShape / FusedBatchNormV3Shape):
// y has x's shape, the statistics outputs are [C] (V3's last one, reserve_space_3, is opaque:
// unknown). scale and offset always carry C values; mean and variance do too unless training
// with exponential_avg_factor 1 (then they may be empty).
absl::Status FusedBatchNormShape(InferenceContext& c) {
  std::string format;
  if (absl::Status s = c.GetAttr("data_format", &format); !s.ok()) return s;
  int rank, channel;
  if (format == "NHWC") {
    rank = 4, channel = 3;
  } else if (format == "NCHW") {
    rank = 4, channel = 1;
  } else if (format == "NDHWC") {
    rank = 5, channel = 4;
  } else if (format == "NCDHW") {
    rank = 5, channel = 1;
  } else {
    return c.Error("Invalid data format string: %s", format);
  }
  absl::StatusOr<Shape> x = InputWithRank(c, 0, rank, "x");
  if (!x.ok()) return x.status();
  bool is_training = true;
  if (absl::Status s = c.GetAttr("is_training", &is_training); !s.ok()) return s;
  float exponential_avg_factor = 1.0f;
  if (absl::Status s = c.GetAttr("exponential_avg_factor", &exponential_avg_factor);
      !s.ok() && !absl::IsNotFound(s)) {
    return s;
  }
  const int num_checked = (is_training && exponential_avg_factor == 1.0f) ? 3 : 5;
  static const char* kNames[] = {"x", "scale", "offset", "mean", "variance"};
  int64_t channels = x->dim(channel);
  for (int i = 1; i < num_checked; ++i) {
    absl::StatusOr<Shape> vec = InputWithRank(c, i, 1, kNames[i]);
    if (!vec.ok()) return vec.status();
    absl::StatusOr<int64_t> merged = MergeDim(
        c, channels, vec->dim(0),
        absl::StrCat("channel dimension of x (", format, ") and the length of ", kNames[i]));
    if (!merged.ok()) return merged.status();
    channels = *merged;
  }
  Shape y = *x;
  y.set_dim(channel, channels);
  c.set_output(0, std::move(y));
  for (int i = 1; i <= 4; ++i) c.set_output(i, Shape{channels});
  if (c.num_outputs() > 5) c.set_output(5, Shape::UnknownRank());
  return absl::OkStatus();
}

// ---- Softmax ---------------------------------------------------------------------------------

absl::Status UnchangedShapeWithRankAtLeast1(InferenceContext& c) {
  absl::StatusOr<Shape> logits = InputWithRankAtLeast(c, 0, 1, "logits");
  if (!logits.ok()) return logits.status();
  c.set_output(0, *logits);
  return absl::OkStatus();
}

}  // namespace

// ---- Registrations -----------------------------------------------------------------------------

REGISTER_OP("MatMul")
    .Input("a: T")
    .Input("b: T")
    .Output("product: T")
    .Attr("transpose_a: bool = false")
    .Attr("transpose_b: bool = false")
    .Attr(
        "T: {bfloat16, half, float, double, int32, int64, uint8, uint16, uint32, uint64, int8, "
        "int16, complex64, complex128}")
    .Attr("grad_a: bool = false")
    .Attr("grad_b: bool = false")
    .SetShapeFn(MatMulShape)
    .SetLowering(nn_lowering::MatMul);

REGISTER_OP("BatchMatMulV2")
    .Input("x: T")
    .Input("y: T")
    .Output("output: T")
    .Attr(
        "T: {bfloat16, half, float, double, int16, int32, int64, uint8, uint16, uint32, "
        "uint64, complex64, complex128}")
    .Attr("adj_x: bool = false")
    .Attr("adj_y: bool = false")
    .Attr("grad_x: bool = false")
    .Attr("grad_y: bool = false")
    .SetShapeFn(BatchMatMulV2Shape)
    .SetLowering(nn_lowering::BatchMatMulV2);

REGISTER_OP("BiasAdd")
    .Attr(absl::StrCat("T: ", kNumberTypes))
    .Input("value: T")
    .Input("bias: T")
    .Attr(kConvnetDataFormatAttr)
    .Output("output: T")
    .SetShapeFn(BiasAddShape)
    .SetLowering(nn_lowering::BiasAdd);

REGISTER_OP("Conv2D")
    .Input("input: T")
    .Input("filter: T")
    .Output("output: T")
    .Attr("T: {half, bfloat16, float, double, int32}")
    .Attr("strides: list(int)")
    .Attr("use_cudnn_on_gpu: bool = true")
    .Attr(kPaddingWithExplicitAttr)
    .Attr(kExplicitPaddingsAttr)
    .Attr(kConvnetDataFormatAttr)
    .Attr("dilations: list(int) = [1, 1, 1, 1]")
    .SetShapeFn(Conv2DShapeWithExplicitPadding)
    .SetLowering(nn_lowering::Conv2D);

REGISTER_OP("DepthwiseConv2dNative")
    .Input("input: T")
    .Input("filter: T")
    .Output("output: T")
    .Attr("T: {half, bfloat16, float, double}")
    .Attr("strides: list(int)")
    .Attr(kPaddingWithExplicitAttr)
    .Attr(kExplicitPaddingsAttr)
    .Attr(kConvnetDataFormatAttr)
    .Attr("dilations: list(int) = [1, 1, 1, 1]")
    .SetShapeFn(DepthwiseConv2DShape)
    .SetLowering(nn_lowering::DepthwiseConv2dNative);

REGISTER_OP("Conv2DBackpropInput")
    .Input("input_sizes: int32")
    .Input("filter: T")
    .Input("out_backprop: T")
    .Output("output: T")
    .Attr("T: {half, bfloat16, float, double, int32}")
    .Attr("strides: list(int)")
    .Attr("use_cudnn_on_gpu: bool = true")
    .Attr(kPaddingWithExplicitAttr)
    .Attr(kExplicitPaddingsAttr)
    .Attr(kConvnetDataFormatAttr)
    .Attr("dilations: list(int) = [1, 1, 1, 1]")
    .SetShapeFn(Conv2DBackpropInputShape)
    .SetLowering(nn_lowering::Conv2DBackpropInput);

REGISTER_OP("MaxPool")
    .Input("input: T")
    .Output("output: T")
    .Attr(
        "T: {half, bfloat16, float, double, int32, int64, uint8, int16, int8, uint16, qint8} "
        "= DT_FLOAT")
    .Attr("ksize: list(int) >= 4")
    .Attr("strides: list(int) >= 4")
    .Attr(kPaddingWithExplicitAttr)
    .Attr(kExplicitPaddingsAttr)
    .Attr("data_format: {'NHWC', 'NCHW', 'NCHW_VECT_C'} = 'NHWC'")
    .SetShapeFn(MaxPoolShape)
    .SetLowering(nn_lowering::MaxPool);

REGISTER_OP("AvgPool")
    .Input("value: T")
    .Output("output: T")
    .Attr("ksize: list(int) >= 4")
    .Attr("strides: list(int) >= 4")
    .Attr(kPaddingAttr)
    .Attr(kConvnetDataFormatAttr)
    .Attr("T: {half, bfloat16, float, double}")
    .SetShapeFn(AvgPoolShape)
    .SetLowering(nn_lowering::AvgPool);

REGISTER_OP("FusedBatchNormV3")
    .Input("x: T")
    .Input("scale: U")
    .Input("offset: U")
    .Input("mean: U")
    .Input("variance: U")
    .Output("y: T")
    .Output("batch_mean: U")
    .Output("batch_variance: U")
    .Output("reserve_space_1: U")
    .Output("reserve_space_2: U")
    .Output("reserve_space_3: U")
    .Attr("T: {half, bfloat16, float}")
    .Attr("U: {bfloat16, float}")
    .Attr("epsilon: float = 0.0001")
    .Attr("exponential_avg_factor: float = 1.0")
    .Attr("data_format: {'NHWC', 'NCHW', 'NDHWC', 'NCDHW'} = 'NHWC'")
    .Attr("is_training: bool = true")
    .SetShapeFn(FusedBatchNormShape)
    .SetLowering(nn_lowering::FusedBatchNormV3);

// The V1 form (float only, 2-D formats, no reserve_space_3): the same shape function and
// lowering as V3.
REGISTER_OP("FusedBatchNorm")
    .Input("x: T")
    .Input("scale: T")
    .Input("offset: T")
    .Input("mean: T")
    .Input("variance: T")
    .Output("y: T")
    .Output("batch_mean: T")
    .Output("batch_variance: T")
    .Output("reserve_space_1: T")
    .Output("reserve_space_2: T")
    .Attr("T: {float}")
    .Attr("epsilon: float = 0.0001")
    .Attr("exponential_avg_factor: float = 1.0")
    .Attr("data_format: {'NHWC', 'NCHW'} = 'NHWC'")
    .Attr("is_training: bool = true")
    .SetShapeFn(FusedBatchNormShape)
    .SetLowering(nn_lowering::FusedBatchNormV3);

REGISTER_OP("Softmax")
    .Input("logits: T")
    .Output("softmax: T")
    .Attr("T: {half, bfloat16, float, double}")
    .SetShapeFn(UnchangedShapeWithRankAtLeast1)
    .SetLowering(nn_lowering::Softmax);

REGISTER_OP("LogSoftmax")
    .Input("logits: T")
    .Output("logsoftmax: T")
    .Attr("T: {half, bfloat16, float, double}")
    .SetShapeFn(UnchangedShapeWithRankAtLeast1)
    .SetLowering(nn_lowering::LogSoftmax);

// Grappler's fusions. `args` are the extra operands of `fused_ops` in order (BiasAdd: bias;
// FusedBatchNorm: scale, offset, mean, variance; LeakyRelu uses leakyrelu_alpha).
REGISTER_OP("_FusedConv2D")
    .Input("input: T")
    .Input("filter: T")
    .Input("args: num_args * T")
    .Output("output: T")
    .Attr("T: {half, bfloat16, float, double}")
    .Attr("num_args: int >= 0")
    .Attr("strides: list(int)")
    .Attr(kPaddingWithExplicitAttr)
    .Attr(kExplicitPaddingsAttr)
    .Attr(kConvnetDataFormatAttr)
    .Attr("dilations: list(int) = [1, 1, 1, 1]")
    .Attr("use_cudnn_on_gpu: bool = true")
    .Attr("fused_ops: list(string) = []")
    .Attr("epsilon: float = 0.0001")
    .Attr("leakyrelu_alpha: float = 0.2")
    .SetShapeFn(Conv2DShapeWithExplicitPadding)
    .SetLowering(nn_lowering::FusedConv2D);

REGISTER_OP("_FusedMatMul")
    .Input("a: T")
    .Input("b: T")
    .Input("args: num_args * T")
    .Output("product: T")
    .Attr("transpose_a: bool = false")
    .Attr("transpose_b: bool = false")
    .Attr("T: {bfloat16, half, float}")
    .Attr("num_args: int >= 0")
    .Attr("fused_ops: list(string) = []")
    .Attr("epsilon: float = 0.0001")
    .Attr("leakyrelu_alpha: float = 0.2")
    .SetShapeFn(MatMulShape)
    .SetLowering(nn_lowering::FusedMatMul);

// Grappler's (_FusedDepthwiseConv2dNative) and the TF.js converter's (FusedDepthwiseConv2dNative,
// tfjs-converter op list "convolution") names for the same fusion: one schema, two names.
static OpDefBuilder FusedDepthwiseConv2dOp(const char* name) {
  return OpDefBuilder(name)
      .Input("input: T")
      .Input("filter: T")
      .Input("args: num_args * T")
      .Output("output: T")
      .Attr("T: {half, bfloat16, float, double}")
      .Attr("num_args: int >= 0")
      .Attr("strides: list(int)")
      .Attr(kPaddingWithExplicitAttr)
      .Attr(kExplicitPaddingsAttr)
      .Attr(kConvnetDataFormatAttr)
      .Attr("dilations: list(int) = [1, 1, 1, 1]")
      .Attr("fused_ops: list(string) = []")
      .Attr("epsilon: float = 0.0001")
      .Attr("leakyrelu_alpha: float = 0.2")
      .SetShapeFn(DepthwiseConv2DShape)
      .SetLowering(nn_lowering::FusedDepthwiseConv2dNative);
}

REGISTER_OP(FusedDepthwiseConv2dOp("_FusedDepthwiseConv2dNative"));
REGISTER_OP(FusedDepthwiseConv2dOp("FusedDepthwiseConv2dNative"));

// TF.js's parametric ReLU: y = x >= 0 ? x : alpha * x, alpha broadcast against x.
REGISTER_OP("Prelu")
    .Input("x: T")
    .Input("alpha: T")
    .Output("output: T")
    .Attr("T: {half, bfloat16, float, double}")
    .SetShapeFn(BroadcastBinaryShape)
    .SetLowering(nn_lowering::Prelu);

}  // namespace strata
