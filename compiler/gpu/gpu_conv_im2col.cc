// See gpu_conv_im2col.h.
#include "compiler/gpu/gpu_conv_im2col.h"

#include <vector>

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace strata::gpu {

namespace {

// Whether the im2col form of `conv` is a contraction the tiler takes (rows n*oh*ow and columns
// oc both >= min_dim; f32 sums of f32, f16 or bf16 operands of one type), with a column buffer
// of at most `max_col_bytes`.
bool WorthRewriting(mlir::linalg::Conv2DNhwcHwcfOp conv, int64_t min_dim, int64_t max_col_bytes) {
  auto input = mlir::dyn_cast<mlir::RankedTensorType>(conv.getInputs()[0].getType());
  auto filter = mlir::dyn_cast<mlir::RankedTensorType>(conv.getInputs()[1].getType());
  auto output = mlir::dyn_cast<mlir::RankedTensorType>(conv.getOutputs()[0].getType());
  if (!input || !filter || !output) return false;  // already bufferized: not this stage
  if (!input.hasStaticShape() || !filter.hasStaticShape() || !output.hasStaticShape()) return false;
  const mlir::Type element = input.getElementType();
  if (!(element.isF32() || element.isF16() || element.isBF16()) || filter.getElementType() != element ||
      !output.getElementType().isF32()) {
    return false;
  }
  const llvm::ArrayRef<int64_t> out = output.getShape(), f = filter.getShape();
  const int64_t rows = out[0] * out[1] * out[2], cols = out[3], k = f[0] * f[1] * f[2];
  const int64_t element_bytes = element.getIntOrFloatBitWidth() / 8;
  return rows >= min_dim && cols >= min_dim && rows * k * element_bytes <= max_col_bytes;
}

// col[r, q] = input[b, oh*sh + fh*dh, ow*sw + fw*dw, c] for r = (b, oh, ow) and q = (fh, fw, c)
// (row-major), then out[r, f] += col[r, q] * filter[q, f] as a linalg.matmul on the collapsed
// filter and output. The batch is folded into the rows: the filter is shared, so one matmul
// with n*oh*ow rows fills the GPU better than n matmuls of oh*ow. The column buffer has the
// input's element type: 16-bit floats stay 16-bit (half the bytes) and the matmul widens them,
// which the tiler puts on the tensor cores.
mlir::Value Im2ColMatmul(mlir::IRRewriter& b, mlir::linalg::Conv2DNhwcHwcfOp conv) {
  const mlir::Location loc = conv.getLoc();
  mlir::Value input = conv.getInputs()[0], filter = conv.getInputs()[1], output = conv.getOutputs()[0];
  auto out_type = mlir::cast<mlir::RankedTensorType>(output.getType());
  const llvm::ArrayRef<int64_t> out = out_type.getShape();
  const llvm::ArrayRef<int64_t> f = mlir::cast<mlir::RankedTensorType>(filter.getType()).getShape();
  const int64_t oh = out[1], ow = out[2], fh = f[0], fw = f[1], ic = f[2], oc = f[3];
  const int64_t rows = out[0] * oh * ow, k = fh * fw * ic;
  const llvm::SmallVector<int64_t> strides(conv.getStrides().getValues<int64_t>());
  const llvm::SmallVector<int64_t> dilations(conv.getDilations().getValues<int64_t>());
  const mlir::Type element = mlir::cast<mlir::RankedTensorType>(input.getType()).getElementType();
  const mlir::Type out_element = out_type.getElementType();

  mlir::Value col_init = b.create<mlir::tensor::EmptyOp>(loc, llvm::ArrayRef<int64_t>{rows, k}, element);
  mlir::AffineMap identity = b.getMultiDimIdentityMap(2);
  auto col = b.create<mlir::linalg::GenericOp>(
      loc, col_init.getType(), mlir::ValueRange{}, mlir::ValueRange{col_init}, llvm::ArrayRef<mlir::AffineMap>{identity},
      llvm::SmallVector<mlir::utils::IteratorType>(2, mlir::utils::IteratorType::parallel),
      [&](mlir::OpBuilder& nb, mlir::Location nl, mlir::ValueRange) {
        auto cst = [&](int64_t v) { return nb.create<mlir::arith::ConstantIndexOp>(nl, v).getResult(); };
        auto div = [&](mlir::Value x, int64_t d) { return nb.create<mlir::arith::DivUIOp>(nl, x, cst(d)).getResult(); };
        auto rem = [&](mlir::Value x, int64_t d) { return nb.create<mlir::arith::RemUIOp>(nl, x, cst(d)).getResult(); };
        auto mul_add = [&](mlir::Value x, int64_t s, mlir::Value y, int64_t d) {
          mlir::Value xs = nb.create<mlir::arith::MulIOp>(nl, x, cst(s));
          mlir::Value yd = nb.create<mlir::arith::MulIOp>(nl, y, cst(d));
          return nb.create<mlir::arith::AddIOp>(nl, xs, yd).getResult();
        };
        mlir::Value r = nb.create<mlir::linalg::IndexOp>(nl, 0), q = nb.create<mlir::linalg::IndexOp>(nl, 1);
        mlir::Value batch = div(r, oh * ow), y = rem(div(r, ow), oh), x = rem(r, ow);
        mlir::Value ky = div(q, fw * ic), kx = rem(div(q, ic), fw), c = rem(q, ic);
        mlir::Value in_y = mul_add(y, strides[0], ky, dilations[0]), in_x = mul_add(x, strides[1], kx, dilations[1]);
        mlir::Value v = nb.create<mlir::tensor::ExtractOp>(nl, input, mlir::ValueRange{batch, in_y, in_x, c});
        nb.create<mlir::linalg::YieldOp>(nl, v);
      });

  const llvm::SmallVector<mlir::ReassociationIndices> filter_groups = {{0, 1, 2}, {3}};
  const llvm::SmallVector<mlir::ReassociationIndices> out_groups = {{0, 1, 2}, {3}};
  mlir::Value filter2d = b.create<mlir::tensor::CollapseShapeOp>(
      loc, mlir::RankedTensorType::get({k, oc}, element), filter, filter_groups);
  mlir::Value out2d = b.create<mlir::tensor::CollapseShapeOp>(
      loc, mlir::RankedTensorType::get({rows, oc}, out_element), output, out_groups);
  auto matmul = b.create<mlir::linalg::MatmulOp>(loc, mlir::TypeRange{out2d.getType()},
                                                 mlir::ValueRange{col.getResult(0), filter2d}, mlir::ValueRange{out2d});
  return b.create<mlir::tensor::ExpandShapeOp>(loc, out_type, matmul.getResult(0), out_groups).getResult();
}

}  // namespace

absl::Status RewriteConvolutionsAsIm2ColMatmuls(mlir::func::FuncOp func, int64_t min_dim, int64_t max_col_bytes) {
  std::vector<mlir::linalg::Conv2DNhwcHwcfOp> convs;
  func.walk([&](mlir::linalg::Conv2DNhwcHwcfOp conv) {
    if (WorthRewriting(conv, min_dim, max_col_bytes)) convs.push_back(conv);
  });
  mlir::IRRewriter rewriter(func.getContext());
  for (mlir::linalg::Conv2DNhwcHwcfOp conv : convs) {
    rewriter.setInsertionPoint(conv);
    rewriter.replaceOp(conv, Im2ColMatmul(rewriter, conv));
  }
  return absl::OkStatus();
}

}  // namespace strata::gpu
