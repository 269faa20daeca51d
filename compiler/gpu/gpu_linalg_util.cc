// See gpu_linalg_util.h.
#include "compiler/gpu/gpu_linalg_util.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace strata::gpu {

std::vector<mlir::Value> ApplyMap(mlir::OpBuilder& b, mlir::Location loc, mlir::AffineMap m,
                                  const std::vector<mlir::Value>& dims) {
  std::vector<mlir::Value> indices;
  for (unsigned r = 0; r < m.getNumResults(); ++r) {
    indices.push_back(b.create<mlir::affine::AffineApplyOp>(loc, m.getSubMap({r}), dims));
  }
  return indices;
}

void Delinearize(mlir::OpBuilder& b, mlir::Location loc, mlir::Value linear, llvm::ArrayRef<int64_t> ranges,
                 llvm::ArrayRef<unsigned> which, std::vector<mlir::Value>& dims) {
  mlir::Value rest = linear;
  for (int k = static_cast<int>(which.size()) - 1; k >= 0; --k) {
    mlir::Value size = b.create<mlir::arith::ConstantIndexOp>(loc, ranges[which[k]]);
    dims[which[k]] = b.create<mlir::arith::RemUIOp>(loc, rest, size);
    rest = b.create<mlir::arith::DivUIOp>(loc, rest, size);
  }
}

mlir::linalg::FillOp FillRightBefore(mlir::Operation* op, mlir::Value out) {
  mlir::Operation* prev = op->getPrevNode();
  while (prev && mlir::isa<mlir::arith::ConstantOp, mlir::memref::AllocOp>(prev)) prev = prev->getPrevNode();
  auto fill = mlir::dyn_cast_or_null<mlir::linalg::FillOp>(prev);
  if (!fill || fill.getNumDpsInits() != 1 || fill.getDpsInitOperand(0)->get() != out) return nullptr;
  return fill;
}

mlir::MemRefType SharedMemRefType(mlir::MLIRContext* ctx, llvm::ArrayRef<int64_t> shape, mlir::Type element) {
  const mlir::Attribute workgroup = mlir::gpu::AddressSpaceAttr::get(ctx, mlir::gpu::AddressSpace::Workgroup);
  return mlir::MemRefType::get(shape, element, mlir::MemRefLayoutAttrInterface(), workgroup);
}

mlir::Value Root(mlir::Value v) {
  while (auto view = v.getDefiningOp<mlir::ViewLikeOpInterface>()) v = view.getViewSource();
  return v;
}

void GuardIndex(mlir::OpBuilder& b, mlir::Location loc, std::vector<mlir::Value>& dims, mlir::Value& in, mlir::Value g,
                unsigned dim, int64_t bound, bool check, int64_t span) {
  dims[dim] = g;
  if (!check) return;
  auto ci = [&](int64_t v) -> mlir::Value { return b.create<mlir::arith::ConstantIndexOp>(loc, v); };
  mlir::Value inside = b.create<mlir::arith::CmpIOp>(loc, mlir::arith::CmpIPredicate::ult, g, ci(bound));
  in = in ? b.create<mlir::arith::AndIOp>(loc, in, inside).getResult() : inside;
  dims[dim] = b.create<mlir::arith::MinUIOp>(loc, g, ci(bound - span));
}

}  // namespace strata::gpu
