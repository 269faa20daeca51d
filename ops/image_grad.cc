// Gradients of the image ops (ops/image_ops.cc), following TensorFlow's python/ops/image_grad.py
// and array_grad.py (DepthToSpace and SpaceToDepth undo each other).
#include <string>

#include "ops/gradient.h"
#include "ops/registry.h"

namespace strata {
namespace {

absl::Status ResizeBilinearGrad(GradientContext& c) {
  c.set_dx(0, c.Op("ResizeBilinearGrad", {c.dy(0), c.input(0)}, c.AttrsOf({"align_corners", "half_pixel_centers"})));
  return c.status();
}

absl::Status ResizeNearestNeighborGrad(GradientContext& c) {
  Output images = c.input(0);
  const Shape& s = images.shape();
  Output size = s.has_rank() && s.dim(1) >= 0 && s.dim(2) >= 0
                    ? c.Int32s({s.dim(1), s.dim(2)})
                    : c.Op("Slice", {c.Op("Shape", {images}), c.Int32s({1}), c.Int32s({2})});
  c.set_dx(0, c.Op("ResizeNearestNeighborGrad", {c.dy(0), size}, c.AttrsOf({"align_corners", "half_pixel_centers"})));
  return c.status();
}

// DepthToSpace and SpaceToDepth (same block size and format) are inverse permutations.
GradFn InverseBlockOp(const char* inverse) {
  return [inverse](GradientContext& c) -> absl::Status {
    c.set_dx(0, c.Op(inverse, {c.dy(0)}, c.AttrsOf({"block_size", "data_format"})));
    return c.status();
  };
}

}  // namespace

REGISTER_GRADIENT("ResizeBilinear", ResizeBilinearGrad);
REGISTER_GRADIENT("ResizeNearestNeighbor", ResizeNearestNeighborGrad);
REGISTER_GRADIENT("DepthToSpace", InverseBlockOp("SpaceToDepth"));
REGISTER_GRADIENT("SpaceToDepth", InverseBlockOp("DepthToSpace"));

}  // namespace strata
