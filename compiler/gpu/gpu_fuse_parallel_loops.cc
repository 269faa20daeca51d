// See gpu_fuse_parallel_loops.h.
#include "compiler/gpu/gpu_fuse_parallel_loops.h"

#include <optional>
#include <vector>

#include "compiler/gpu/gpu_linalg_util.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace strata::gpu {

namespace {

// One load or store of a loop body: which memref, at which indices.
struct Access {
  mlir::Value memref;
  mlir::ValueRange indices;
  bool store;
};

// The loop body's accesses; nullopt when it touches memory any other way.
std::optional<std::vector<Access>> AccessesOf(mlir::scf::ParallelOp loop) {
  std::vector<Access> accesses;
  bool ok = true;
  loop.getBody()->walk([&](mlir::Operation* op) {
    if (auto load = mlir::dyn_cast<mlir::memref::LoadOp>(op)) {
      accesses.push_back({load.getMemRef(), load.getIndices(), false});
    } else if (auto store = mlir::dyn_cast<mlir::memref::StoreOp>(op)) {
      accesses.push_back({store.getMemRef(), store.getIndices(), true});
    } else if (!mlir::isMemoryEffectFree(op) && !op->hasTrait<mlir::OpTrait::HasRecursiveMemoryEffects>()) {
      ok = false;
    }
  });
  if (!ok) return std::nullopt;
  return accesses;
}

// An access's indices as a function of the loop's induction variables: per index, the iv's
// position, or -1 - c for the constant c >= 0; nullopt for anything else (a nested loop's
// variable, arithmetic) or when some iv is missing (then iterations share elements).
std::optional<std::vector<int64_t>> ElementOfIteration(const Access& a, mlir::scf::ParallelOp loop) {
  // (getInductionVars returns a temporary vector: keep it.)
  const llvm::SmallVector<mlir::Value> ivs = loop.getInductionVars();
  std::vector<int64_t> form;
  std::vector<bool> seen(ivs.size(), false);
  for (mlir::Value index : a.indices) {
    auto it = llvm::find(ivs, index);
    if (it != ivs.end()) {
      const size_t k = static_cast<size_t>(it - ivs.begin());
      seen[k] = true;
      form.push_back(static_cast<int64_t>(k));
      continue;
    }
    std::optional<int64_t> c = mlir::getConstantIntValue(index);
    if (!c || *c < 0) return std::nullopt;
    form.push_back(-1 - *c);
  }
  for (bool s : seen) {
    if (!s) return std::nullopt;
  }
  return form;
}

bool SameIterationSpace(mlir::scf::ParallelOp a, mlir::scf::ParallelOp b) {
  if (a.getNumLoops() != b.getNumLoops()) return false;
  for (unsigned i = 0; i < a.getNumLoops(); ++i) {
    for (auto [x, y] : {std::pair{a.getLowerBound()[i], b.getLowerBound()[i]}, std::pair{a.getUpperBound()[i], b.getUpperBound()[i]},
                        std::pair{a.getStep()[i], b.getStep()[i]}}) {
      std::optional<int64_t> cx = mlir::getConstantIntValue(x), cy = mlir::getConstantIntValue(y);
      if (!cx || !cy || *cx != *cy) return false;
    }
  }
  return true;
}

bool CanFuse(mlir::scf::ParallelOp first, mlir::scf::ParallelOp second) {
  if (!SameIterationSpace(first, second) || first.getNumResults() != 0 || second.getNumResults() != 0) return false;
  std::optional<std::vector<Access>> a = AccessesOf(first), b = AccessesOf(second);
  if (!a || !b) return false;
  for (const Access& x : *a) {
    for (const Access& y : *b) {
      if (!x.store && !y.store) continue;
      if (Root(x.memref) != Root(y.memref)) continue;
      if (x.memref != y.memref) return false;
      std::optional<std::vector<int64_t>> ex = ElementOfIteration(x, first), ey = ElementOfIteration(y, second);
      if (!ex || !ey || *ex != *ey) return false;
    }
  }
  return true;
}

// `second`'s body appended to `first`'s (its ivs replaced by first's); `second` erased.
void Fuse(mlir::scf::ParallelOp first, mlir::scf::ParallelOp second) {
  mlir::Block* into = first.getBody();
  mlir::Block* from = second.getBody();
  llvm::SmallVector<mlir::Value> from_ivs = second.getInductionVars(), into_ivs = first.getInductionVars();
  for (size_t i = 0; i < from_ivs.size(); ++i) from_ivs[i].replaceAllUsesWith(into_ivs[i]);
  mlir::Operation* terminator = into->getTerminator();
  for (mlir::Operation& op : llvm::make_early_inc_range(from->without_terminator())) op.moveBefore(terminator);
  second.erase();
}

}  // namespace

void FuseAdjacentParallelLoops(mlir::func::FuncOp func) {
  mlir::Block& body = func.getBody().front();
  for (auto it = body.begin(); it != body.end(); ++it) {
    auto first = mlir::dyn_cast<mlir::scf::ParallelOp>(&*it);
    if (!first) continue;
    while (true) {
      // The next loop, past constants and allocations (which move in front of `first`, so that
      // whatever of them the merged body uses is defined before it).
      std::vector<mlir::Operation*> between;
      mlir::Operation* next = first->getNextNode();
      while (next && mlir::isa<mlir::arith::ConstantOp, mlir::memref::AllocOp>(next)) {
        between.push_back(next);
        next = next->getNextNode();
      }
      auto second = mlir::dyn_cast_or_null<mlir::scf::ParallelOp>(next);
      if (!second || !CanFuse(first, second)) break;
      for (mlir::Operation* op : between) op->moveBefore(first);
      Fuse(first, second);
    }
  }
}

}  // namespace strata::gpu
