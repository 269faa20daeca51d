// 2-D convolutions (linalg.conv_2d_nhwc_hwcf on tensors: any stride and dilation; padding is a
// tensor.pad before it) rewritten as im2col + linalg.matmul, so that gpu_contraction_tiling.h
// runs them as shared-memory tiled matmuls: col[n*oh*ow, fh*fw*ic] gathers each output
// position's receptive field (one kernel, one thread per element), and
// out[n*oh*ow, oc] = col x filter[fh*fw*ic, oc] is one matmul, batch folded into the rows. A direct convolution is one thread per output looping over
// fh*fw*ic with no reuse; on an H100 the CNN of bench/bench_models.h spent 181 and 189 us in its
// two larger convolutions at batch 64 that way (bench/RESULTS.md, GPU section).
//
// (Upstream's linalg::rewriteInIm2Col keeps the batch as a batch dimension, which leaves late,
// small convolutions (3x3 outputs) with 64-row tiles nine-tenths idle, and has no dilation.)
// Applied only where the matmul is one the tiler takes (n*oh*ow and oc both >= `min_dim`) and
// the column buffer stays under `max_col_bytes`.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace strata::gpu {

// On the tensor-level function, after elementwise fusion (which would fuse the gather back in).
absl::Status RewriteConvolutionsAsIm2ColMatmuls(mlir::func::FuncOp func, int64_t min_dim, int64_t max_col_bytes);

}  // namespace strata::gpu
