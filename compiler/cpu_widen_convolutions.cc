// See cpu_widen_convolutions.h.
#include "compiler/cpu_widen_convolutions.h"

#include <vector>

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace strata {

namespace {

bool IsHalfFloat(mlir::Type t) { return t.isF16() || t.isBF16(); }

// `v` (a static tensor of f16/bf16) widened to f32 by an elementwise linalg.generic.
mlir::Value Widened(mlir::OpBuilder& b, mlir::Location loc, mlir::Value v) {
  auto type = mlir::cast<mlir::RankedTensorType>(v.getType());
  auto f32_type = mlir::RankedTensorType::get(type.getShape(), b.getF32Type());
  mlir::Value init = b.create<mlir::tensor::EmptyOp>(loc, type.getShape(), b.getF32Type());
  mlir::AffineMap identity = b.getMultiDimIdentityMap(static_cast<unsigned>(type.getRank()));
  auto generic = b.create<mlir::linalg::GenericOp>(
      loc, f32_type, mlir::ValueRange{v}, mlir::ValueRange{init}, llvm::ArrayRef<mlir::AffineMap>{identity, identity},
      llvm::SmallVector<mlir::utils::IteratorType>(static_cast<size_t>(type.getRank()), mlir::utils::IteratorType::parallel),
      [](mlir::OpBuilder& nb, mlir::Location nl, mlir::ValueRange args) {
        nb.create<mlir::linalg::YieldOp>(nl, mlir::ValueRange{nb.create<mlir::arith::ExtFOp>(nl, nb.getF32Type(), args[0])});
      });
  return generic.getResult(0);
}

// Whether `op` sums 16-bit float inputs into an f32 tensor of static shape.
bool NeedsWidening(mlir::linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 || op->getNumResults() != 1) return false;
  for (mlir::Value in : op.getDpsInputs()) {
    auto t = mlir::dyn_cast<mlir::RankedTensorType>(in.getType());
    if (!t || !t.hasStaticShape() || !IsHalfFloat(t.getElementType())) return false;
  }
  auto out = mlir::dyn_cast<mlir::RankedTensorType>(op.getDpsInits()[0].getType());
  return out && out.getElementType().isF32();
}

// Every `ConvOp` in `func` that needs it, rebuilt on f32 copies of its inputs.
template <typename ConvOp>
void WidenAll(mlir::func::FuncOp func, mlir::IRRewriter& rewriter) {
  std::vector<ConvOp> convs;
  func.walk([&](ConvOp conv) {
    if (NeedsWidening(conv)) convs.push_back(conv);
  });
  for (ConvOp conv : convs) {
    rewriter.setInsertionPoint(conv);
    const mlir::Location loc = conv.getLoc();
    mlir::Value input = Widened(rewriter, loc, conv.getInputs()[0]);
    mlir::Value filter = Widened(rewriter, loc, conv.getInputs()[1]);
    auto widened = rewriter.create<ConvOp>(loc, conv->getResultTypes(), mlir::ValueRange{input, filter},
                                           conv.getOutputs(), conv.getStrides(), conv.getDilations());
    rewriter.replaceOp(conv, widened->getResults());
  }
}

struct WidenHalfConvolutionsPass
    : public mlir::PassWrapper<WidenHalfConvolutionsPass, mlir::OperationPass<mlir::func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(WidenHalfConvolutionsPass)
  llvm::StringRef getArgument() const final { return "strata-widen-half-convolutions"; }
  void runOnOperation() override {
    mlir::IRRewriter rewriter(&getContext());
    WidenAll<mlir::linalg::Conv2DNhwcHwcfOp>(getOperation(), rewriter);
    WidenAll<mlir::linalg::DepthwiseConv2DNhwcHwcOp>(getOperation(), rewriter);
    WidenAll<mlir::linalg::DepthwiseConv2DNhwcHwcmOp>(getOperation(), rewriter);
  }
};

}  // namespace

std::unique_ptr<mlir::Pass> CreateWidenHalfConvolutionsPass() { return std::make_unique<WidenHalfConvolutionsPass>(); }

}  // namespace strata
