// Tensor-subset folds into vector transfers (see transfer_slice_folds.h).
#include "compiler/transfer_slice_folds.h"

#include <memory>
#include <optional>

#include "mlir/Dialect/Affine/ViewLikeInterfaceUtils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/AffineMap.h"

namespace strata {

namespace {

// True when `write` stores to every element of its destination tensor: static shape, in
// bounds, unmasked, at index 0 of every dim, with the vector as large as each dim it spans
// (dims the vector does not span must have size 1).
bool WriteCoversWholeTensor(mlir::vector::TransferWriteOp write) {
  auto tensor = mlir::dyn_cast<mlir::RankedTensorType>(write.getShapedType());
  if (!tensor || !tensor.hasStaticShape() || write.getMask() || write.hasOutOfBoundsDim()) return false;
  mlir::AffineMap map = write.getPermutationMap();
  llvm::ArrayRef<int64_t> vector_shape = write.getVectorType().getShape();
  for (int64_t d = 0; d < tensor.getRank(); ++d) {
    std::optional<int64_t> index = mlir::getConstantIntValue(write.getIndices()[d]);
    if (!index || *index != 0) return false;
    int64_t extent = 1;
    for (unsigned j = 0; j < map.getNumResults(); ++j) {
      auto dim = mlir::dyn_cast<mlir::AffineDimExpr>(map.getResult(j));
      if (dim && dim.getPosition() == d) extent = vector_shape[j];
    }
    if (extent != tensor.getDimSize(d)) return false;
  }
  return true;
}

// insert_slice(transfer_write(v, t), dest) -> transfer_write(v, dest) at the slice's offsets,
// when the write leaves nothing of t behind (it covers t, or t is a tensor.empty).
struct InsertSliceOfCoveringTransferWrite : public mlir::OpRewritePattern<mlir::tensor::InsertSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  mlir::LogicalResult matchAndRewrite(mlir::tensor::InsertSliceOp insert, mlir::PatternRewriter& rewriter) const override {
    auto write = insert.getSource().getDefiningOp<mlir::vector::TransferWriteOp>();
    if (!write) return rewriter.notifyMatchFailure(insert, "source is not a transfer_write");
    if (!insert.hasUnitStride()) return rewriter.notifyMatchFailure(insert, "non-unit strides");
    // Writing into a tensor.empty leaves nothing defined behind either.
    const bool into_empty = write.getSource().getDefiningOp<mlir::tensor::EmptyOp>() != nullptr;
    if (!into_empty && !WriteCoversWholeTensor(write)) {
      return rewriter.notifyMatchFailure(insert, "the transfer_write does not cover the whole inserted tensor");
    }
    llvm::SmallVector<mlir::Value> indices;
    mlir::affine::resolveIndicesIntoOpWithOffsetsAndStrides(rewriter, write.getLoc(), insert.getMixedOffsets(),
                                                            insert.getMixedStrides(), insert.getDroppedDims(),
                                                            write.getIndices(), indices);
    mlir::AffineMap map =
        mlir::expandDimsToRank(write.getPermutationMap(), insert.getDestType().getRank(), insert.getDroppedDims());
    rewriter.replaceOpWithNewOp<mlir::vector::TransferWriteOp>(insert, write.getVector(), insert.getDest(), indices,
                                                               mlir::AffineMapAttr::get(map), write.getInBoundsAttr());
    return mlir::success();
  }
};

}  // namespace

void PopulateTensorSubsetIntoTransferFolds(mlir::RewritePatternSet& patterns) {
  mlir::MLIRContext* ctx = patterns.getContext();
  // Upstream's set, less its unchecked insert_slice(transfer_write) fold (the only pattern of
  // the set rooted at tensor.insert_slice).
  mlir::RewritePatternSet upstream(ctx);
  mlir::tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(upstream);
  for (std::unique_ptr<mlir::RewritePattern>& p : upstream.getNativePatterns()) {
    if (p->getRootKind() == mlir::OperationName(mlir::tensor::InsertSliceOp::getOperationName(), ctx)) continue;
    patterns.add(std::move(p));
  }
  patterns.add<InsertSliceOfCoveringTransferWrite>(ctx);
}

}  // namespace strata
