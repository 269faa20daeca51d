// See gpu_vectorize_elementwise.h.
#include "compiler/gpu/gpu_vectorize_elementwise.h"

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

namespace strata::gpu {

namespace {

constexpr int64_t kWidth = 4;
constexpr int64_t kMinIterations = int64_t{1} << 16;

// Whether `memref[indices]` for the 4 iterations is one 16-byte vector access: see the header.
bool IsVectorAccess(mlir::Value memref, mlir::ValueRange indices, mlir::scf::ParallelOp loop) {
  auto type = mlir::dyn_cast<mlir::MemRefType>(memref.getType());
  if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity() || type.getRank() == 0) return false;
  if (type.getMemorySpace() || !(type.getElementType().isF32() || type.getElementType().isInteger(32))) return false;
  if (type.getShape().back() % kWidth != 0) return false;
  // A function argument, an alloc or a global: a whole buffer of the program.
  const bool argument = mlir::isa<mlir::BlockArgument>(memref) && mlir::isa<mlir::func::FuncOp>(memref.getParentBlock()->getParentOp());
  if (!argument && !memref.getDefiningOp<mlir::memref::AllocOp>() && !memref.getDefiningOp<mlir::memref::GetGlobalOp>()) return false;
  mlir::Value inner = loop.getInductionVars().back();
  if (indices.back() != inner) return false;
  for (mlir::Value index : indices.drop_back()) {
    // Another induction variable, or a value from outside the loop.
    const bool other_iv = llvm::is_contained(loop.getInductionVars(), index) && index != inner;
    if (!other_iv && loop->isAncestor(index.getParentBlock()->getParentOp())) return false;
  }
  return true;
}

void VectorizeLoop(mlir::scf::ParallelOp loop) {
  if (loop.getNumResults() != 0) return;
  const unsigned rank = loop.getNumLoops();
  int64_t iterations = 1;
  std::vector<int64_t> extents;
  for (unsigned d = 0; d < rank; ++d) {
    std::optional<int64_t> lb = mlir::getConstantIntValue(loop.getLowerBound()[d]);
    std::optional<int64_t> ub = mlir::getConstantIntValue(loop.getUpperBound()[d]);
    std::optional<int64_t> step = mlir::getConstantIntValue(loop.getStep()[d]);
    if (lb != 0 || step != 1 || !ub) return;
    extents.push_back(*ub);
    iterations *= *ub;
  }
  if (extents.back() % kWidth != 0 || iterations < kMinIterations) return;
  mlir::Block* body = loop.getBody();
  for (mlir::Operation& op : body->without_terminator()) {
    if (op.getNumRegions() != 0) return;
  }

  mlir::OpBuilder b(loop);
  const mlir::Location loc = loop.getLoc();
  auto ci = [&](int64_t v) -> mlir::Value { return b.create<mlir::arith::ConstantIndexOp>(loc, v); };
  std::vector<mlir::Value> ubs(loop.getUpperBound().begin(), loop.getUpperBound().end());
  ubs.back() = ci(extents.back() / kWidth);
  auto vectorized = b.create<mlir::scf::ParallelOp>(loc, loop.getLowerBound(), ubs, loop.getStep());
  b.setInsertionPoint(vectorized.getBody()->getTerminator());
  mlir::Value first = b.create<mlir::arith::MulIOp>(loc, vectorized.getInductionVars().back(), ci(kWidth));
  std::array<mlir::IRMapping, kWidth> maps;
  for (int64_t j = 0; j < kWidth; ++j) {
    for (unsigned d = 0; d + 1 < rank; ++d) maps[j].map(loop.getInductionVars()[d], vectorized.getInductionVars()[d]);
    maps[j].map(loop.getInductionVars().back(),
                j == 0 ? first : b.create<mlir::arith::AddIOp>(loc, first, ci(j)).getResult());
  }
  // The vector's indices: the access's own, mapped (they are the same for every j), last = 4 q.
  auto vector_indices = [&](mlir::ValueRange indices) {
    std::vector<mlir::Value> mapped;
    for (mlir::Value index : indices.drop_back()) mapped.push_back(maps[0].lookupOrDefault(index));
    mapped.push_back(first);
    return mapped;
  };
  for (mlir::Operation& op : body->without_terminator()) {
    if (auto load = mlir::dyn_cast<mlir::memref::LoadOp>(op); load && IsVectorAccess(load.getMemRef(), load.getIndices(), loop)) {
      auto type = mlir::VectorType::get({kWidth}, load.getType());
      mlir::Value v = b.create<mlir::vector::LoadOp>(loc, type, load.getMemRef(), vector_indices(load.getIndices()));
      for (int64_t j = 0; j < kWidth; ++j) maps[j].map(load.getResult(), b.create<mlir::vector::ExtractOp>(loc, v, j));
      continue;
    }
    if (auto store = mlir::dyn_cast<mlir::memref::StoreOp>(op);
        store && IsVectorAccess(store.getMemRef(), store.getIndices(), loop)) {
      auto type = mlir::VectorType::get({kWidth}, store.getValueToStore().getType());
      // (No vector.broadcast: MLIR 19's NVVM conversion leaves it unlowered.)
      mlir::Value v = b.create<mlir::arith::ConstantOp>(loc, mlir::cast<mlir::TypedAttr>(b.getZeroAttr(type)));
      for (int64_t j = 0; j < kWidth; ++j) {
        v = b.create<mlir::vector::InsertOp>(loc, maps[j].lookupOrDefault(store.getValueToStore()), v, j);
      }
      b.create<mlir::vector::StoreOp>(loc, v, store.getMemRef(), vector_indices(store.getIndices()));
      continue;
    }
    for (int64_t j = 0; j < kWidth; ++j) b.clone(op, maps[j]);
  }
  loop.erase();
}

}  // namespace

void VectorizeElementwiseLoops(mlir::func::FuncOp func) {
  func.getContext()->getOrLoadDialect<mlir::vector::VectorDialect>();
  std::vector<mlir::scf::ParallelOp> loops;
  for (mlir::Operation& op : func.getBody().front()) {
    if (auto p = mlir::dyn_cast<mlir::scf::ParallelOp>(op)) loops.push_back(p);
  }
  for (mlir::scf::ParallelOp loop : loops) VectorizeLoop(loop);
}

}  // namespace strata::gpu
