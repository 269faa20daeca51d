// ResizeBilinearGrad and ResizeNearestNeighborGrad: the gradients of the resizers
// (tensorflow/core/ops/image_ops.cc schemas, kernels/image/resize_*_op.cc semantics). Both
// resizers are separable, out = Wy . image . Wx^T per image and channel, where each row of an
// interpolation matrix holds the taps TF computes (in float, as its kernels do): two bilinear
// weights, or a single 1 at the nearest pixel. The gradient is Wy^T . grads . Wx, two
// dot_generals against constant matrices.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "graph/shape_inference.h"
#include "ops/grad_op_util.h"
#include "ops/registry.h"

namespace strata {
namespace {

using grad_ops::LoweringError;

absl::Status ResizeBilinearGradShape(InferenceContext& c) {
  absl::StatusOr<Shape> grads = grad_ops::InputWithRank(c, 0, 4, "grads");
  if (!grads.ok()) return grads.status();
  absl::StatusOr<Shape> image = grad_ops::InputWithRank(c, 1, 4, "original_image");
  if (!image.ok()) return image.status();
  c.set_output(0, *image);
  return absl::OkStatus();
}

absl::Status ResizeNearestNeighborGradShape(InferenceContext& c) {
  absl::StatusOr<Shape> grads = grad_ops::InputWithRank(c, 0, 4, "grads");
  if (!grads.ok()) return grads.status();
  Shape size;
  GRAD_OPS_RETURN_IF_ERROR(c.WithRank(c.input(1), 1, &size));
  if (size.has_rank() && size.dim(0) >= 0 && size.dim(0) != 2) {
    return c.Error("size must hold 2 values (height, width), got %d", size.dim(0));
  }
  Shape out = *grads;
  out.set_dim(1, Shape::kUnknownDim);
  out.set_dim(2, Shape::kUnknownDim);
  if (const Tensor* v = c.input_tensor(1); v != nullptr && v->num_elements() == 2) {
    out.set_dim(1, v->ElementAsInt64(0));
    out.set_dim(2, v->ElementAsInt64(1));
  }
  c.set_output(0, out);
  return absl::OkStatus();
}

enum class Taps { kBilinear, kNearest };

// The [out, in] matrix of TF's taps along one dim (compute_interpolation_weights for bilinear,
// the nearest-neighbour index otherwise).
Tensor InterpolationMatrix(Taps taps, int64_t in, int64_t out, bool align_corners, bool half_pixel_centers) {
  const float scale = (align_corners && out > 1) ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                                                 : static_cast<float>(in) / static_cast<float>(out);
  std::vector<double> w(out * in, 0.0);
  for (int64_t o = 0; o < out; ++o) {
    if (taps == Taps::kNearest) {
      const float pos = half_pixel_centers ? (static_cast<float>(o) + 0.5f) * scale : static_cast<float>(o) * scale;
      int64_t index = align_corners ? static_cast<int64_t>(std::round(pos)) : static_cast<int64_t>(std::floor(pos));
      index = std::min<int64_t>(index, in - 1);
      if (half_pixel_centers) index = std::max<int64_t>(index, 0);
      w[o * in + index] = 1.0;
      continue;
    }
    const float pos =
        half_pixel_centers ? (static_cast<float>(o) + 0.5f) * scale - 0.5f : static_cast<float>(o) * scale;
    const float floor = std::floor(pos);
    const int64_t lower = std::max<int64_t>(static_cast<int64_t>(floor), 0);
    const int64_t upper = std::min<int64_t>(static_cast<int64_t>(std::ceil(pos)), in - 1);
    const float lerp = pos - floor;
    w[o * in + lower] += 1.0f - lerp;
    w[o * in + upper] += lerp;
  }
  return Tensor::FromVector<double>(absl::MakeConstSpan(w), Shape{out, in});
}

// grads [N, OH, OW, C] to [N, IH, IW, C] in the output's dtype.
absl::Status LowerResizeGrad(LoweringContext& c, Taps taps, const Shape& image) {
  bool align_corners = false, half_pixel_centers = false;
  GRAD_OPS_RETURN_IF_ERROR(c.GetAttr("align_corners", &align_corners));
  GRAD_OPS_RETURN_IF_ERROR(c.GetAttr("half_pixel_centers", &half_pixel_centers));
  if (align_corners && half_pixel_centers) {
    return LoweringError("If half_pixel_centers is True, align_corners must be False.");
  }
  PrimitiveBuilder& b = c.b();
  // Integer images are not differentiable; their (nearest) gradients are summed in float.
  const DType out_dtype = c.output_dtype(0);
  const DType acc = IsFloatingDType(out_dtype) ? grad_ops::ComputeDType(out_dtype) : DT_FLOAT;
  Value grads = b.Convert(c.input(0), acc);
  if (!b.ok()) return b.status();
  if (grads.rank() != 4 || image.rank() != 4 || grads.dim(0) != image.dim(0) || grads.dim(3) != image.dim(3)) {
    return LoweringError(absl::StrCat("grads ", grads.shape.ToString(), " and the original image ", image.ToString(),
                                      " must be 4-D with the same batch and depth"));
  }
  if (image.num_elements() == 0 || grads.num_elements() == 0) {
    c.set_output(0, b.Splat(out_dtype, image, 0));
    return absl::OkStatus();
  }
  absl::StatusOr<Tensor> wy =
      InterpolationMatrix(taps, image.dim(1), grads.dim(1), align_corners, half_pixel_centers).Cast(acc);
  if (!wy.ok()) return wy.status();
  absl::StatusOr<Tensor> wx =
      InterpolationMatrix(taps, image.dim(2), grads.dim(2), align_corners, half_pixel_centers).Cast(acc);
  if (!wx.ok()) return wx.status();
  DotDims rows;  // [N, OH, OW, C] x [OH, IH] -> [N, OW, C, IH]
  rows.lhs_contracting = {1};
  rows.rhs_contracting = {0};
  Value t = b.DotGeneral(grads, b.Constant(*wy), rows);
  DotDims cols;  // [N, OW, C, IH] x [OW, IW] -> [N, C, IH, IW]
  cols.lhs_contracting = {1};
  cols.rhs_contracting = {0};
  Value u = b.DotGeneral(t, b.Constant(*wx), cols);
  c.set_output(0, b.Convert(b.Transpose(u, {0, 2, 3, 1}), out_dtype));
  return absl::OkStatus();
}

absl::Status LowerResizeBilinearGrad(LoweringContext& c) {
  return LowerResizeGrad(c, Taps::kBilinear, c.input(1).shape);
}

absl::Status LowerResizeNearestNeighborGrad(LoweringContext& c) {
  absl::StatusOr<std::vector<int64_t>> size = c.ConstantInputAsInts(1);
  if (!size.ok()) return size.status();
  if (size->size() != 2 || (*size)[0] <= 0 || (*size)[1] <= 0) {
    return LoweringError("size must hold 2 positive values (height, width)");
  }
  const Shape& grads = c.input(0).shape;
  return LowerResizeGrad(c, Taps::kNearest, Shape{grads.dim(0), (*size)[0], (*size)[1], grads.dim(3)});
}

}  // namespace

REGISTER_OP("ResizeBilinearGrad")
    .Input("grads: float")
    .Input("original_image: T")
    .Output("output: T")
    .Attr("T: {float, bfloat16, half, double}")
    .Attr("align_corners: bool = false")
    .Attr("half_pixel_centers: bool = false")
    .SetShapeFn(ResizeBilinearGradShape)
    .SetLowering(LowerResizeBilinearGrad);

REGISTER_OP("ResizeNearestNeighborGrad")
    .Input("grads: T")
    .Input("size: int32")
    .Output("output: T")
    .Attr("T: {uint8, int8, int32, half, float, double, bfloat16}")
    .Attr("align_corners: bool = false")
    .Attr("half_pixel_centers: bool = false")
    .SetShapeFn(ResizeNearestNeighborGradShape)
    .SetLowering(LowerResizeNearestNeighborGrad);

}  // namespace strata
