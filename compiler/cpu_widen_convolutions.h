// Convolutions on 16-bit floats, widened up front for the CPU.
//
// The ops' lowering keeps a 16-bit Conv2D's operands 16-bit and sums them in f32 (a mixed-type
// linalg conv), which is what the GPU's tensor cores want. The CPU's register tiles would then
// widen each filter element at every use inside the innermost loops (f16 through vcvtph2ps): a
// 64-channel 3x3 f16 Conv2D ran 1.6x slower than converting both operands to f32 once and
// convolving in f32, which is what this pass restores. The values are the same: extf is exact.
#pragma once

#include <memory>

#include "mlir/Pass/Pass.h"

namespace strata {

// On tensors, before fusion: every linalg.conv_2d_nhwc_hwcf and depthwise_conv_2d_nhwc_hwc(m)
// whose inputs are f16 or bf16 and whose output is f32 reads f32 copies of its inputs instead.
std::unique_ptr<mlir::Pass> CreateWidenHalfConvolutionsPass();

}  // namespace strata
