// See gpu_promote_accumulators.h.
#include "compiler/gpu/gpu_promote_accumulators.h"

#include <vector>

#include "compiler/gpu/gpu_linalg_util.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace strata::gpu {

namespace {

bool SameIndices(mlir::ValueRange a, mlir::ValueRange b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// The load/store pair of `loop` that can become an iter_arg, if any (see the header).
std::pair<mlir::memref::LoadOp, mlir::memref::StoreOp> FindAccumulator(mlir::scf::ForOp loop) {
  for (mlir::Operation& op : loop.getBody()->without_terminator()) {
    auto load = mlir::dyn_cast<mlir::memref::LoadOp>(op);
    if (!load) continue;
    bool invariant = true;
    for (mlir::Value index : load.getIndices()) invariant &= loop.isDefinedOutsideOfLoop(index);
    if (!invariant) continue;
    const mlir::Value root = Root(load.getMemRef());
    mlir::memref::StoreOp store;
    bool others = false;
    loop.getBody()->walk([&](mlir::Operation* inner) {
      mlir::Value memref;
      if (auto l = mlir::dyn_cast<mlir::memref::LoadOp>(inner)) memref = l.getMemRef();
      if (auto s = mlir::dyn_cast<mlir::memref::StoreOp>(inner)) memref = s.getMemRef();
      if (!memref || Root(memref) != root || inner == load.getOperation()) return;
      auto s = mlir::dyn_cast<mlir::memref::StoreOp>(inner);
      if (s && !store && s->getBlock() == loop.getBody() && s.getMemRef() == load.getMemRef() &&
          SameIndices(s.getIndices(), load.getIndices()) && load->isBeforeInBlock(s)) {
        store = s;
      } else {
        others = true;
      }
    });
    if (store && !others) return {load, store};
  }
  return {};
}

}  // namespace

void PromoteLoopAccumulators(mlir::func::FuncOp func) {
  std::vector<mlir::scf::ForOp> loops;
  for (mlir::Operation& top : func.getBody().front()) {
    if (!mlir::isa<mlir::scf::ParallelOp>(top)) continue;
    top.walk<mlir::WalkOrder::PostOrder>([&](mlir::scf::ForOp loop) { loops.push_back(loop); });  // innermost first
  }
  mlir::IRRewriter rewriter(func.getContext());
  for (mlir::scf::ForOp loop : loops) {
    while (true) {
      auto [load, store] = FindAccumulator(loop);
      if (!load) break;
      rewriter.setInsertionPoint(loop);
      mlir::Value initial = rewriter.create<mlir::memref::LoadOp>(load.getLoc(), load.getMemRef(), load.getIndices());
      mlir::Value stored = store.getValue();
      mlir::FailureOr<mlir::LoopLikeOpInterface> grown = loop.replaceWithAdditionalYields(
          rewriter, mlir::ValueRange{initial}, /*replaceInitOperandUsesInLoop=*/false,
          [&](mlir::OpBuilder&, mlir::Location, llvm::ArrayRef<mlir::BlockArgument>) {
            return llvm::SmallVector<mlir::Value>{stored};
          });
      if (mlir::failed(grown)) break;
      auto next = mlir::cast<mlir::scf::ForOp>(grown->getOperation());
      rewriter.replaceAllUsesWith(load.getResult(), next.getRegionIterArgs().back());
      rewriter.setInsertionPointAfter(next);
      rewriter.create<mlir::memref::StoreOp>(store.getLoc(), next.getResults().back(), store.getMemRef(), store.getIndices());
      rewriter.eraseOp(store);
      rewriter.eraseOp(load);
      loop = next;
    }
  }
}

}  // namespace strata::gpu
