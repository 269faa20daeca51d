// Moves top-level allocs to their first use and deallocs to their last (aot_buffer_lifetimes.h).
#include "compiler/aot_buffer_lifetimes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "mlir/Dialect/Bufferization/Transforms/BufferViewFlowAnalysis.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Block.h"
#include "mlir/Pass/Pass.h"

namespace strata {

namespace {

struct TightenBufferLifetimesPass
    : public mlir::PassWrapper<TightenBufferLifetimesPass, mlir::OperationPass<mlir::func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TightenBufferLifetimesPass)
  llvm::StringRef getArgument() const override { return "strata-tighten-buffer-lifetimes"; }

  void runOnOperation() override {
    mlir::func::FuncOp func = getOperation();
    if (func.getBody().empty() || !func.getBody().hasOneBlock()) return;
    mlir::Block& entry = func.getBody().front();
    // Positions in the entry block, fixed before anything moves (moves keep the relative order
    // of the other ops, so a buffer's first and last users stay where they were).
    llvm::DenseMap<mlir::Operation*, int> position;
    int next = 0;
    for (mlir::Operation& op : entry) position[&op] = next++;
    mlir::BufferViewFlowAnalysis aliases(func);

    llvm::SmallVector<mlir::memref::AllocOp> allocs(entry.getOps<mlir::memref::AllocOp>());
    for (mlir::memref::AllocOp alloc : allocs) {
      if (alloc->getNumOperands() != 0) continue;  // dynamic sizes: their definitions pin it
      mlir::Operation* dealloc = nullptr;
      mlir::Operation* first = nullptr;
      mlir::Operation* last = nullptr;
      bool movable = true;
      for (mlir::Value alias : aliases.resolve(alloc.getResult())) {
        for (mlir::Operation* user : alias.getUsers()) {
          if (llvm::isa<mlir::memref::ExtractAlignedPointerAsIndexOp, mlir::func::ReturnOp>(user)) movable = false;
          if (auto d = llvm::dyn_cast<mlir::memref::DeallocOp>(user)) {
            if (d.getMemref() != alloc.getResult() || d->getBlock() != &entry || dealloc != nullptr) movable = false;
            dealloc = user;
            continue;
          }
          mlir::Operation* top = entry.findAncestorOpInBlock(*user);
          if (top == nullptr) {
            movable = false;
            continue;
          }
          if (first == nullptr || position[top] < position[first]) first = top;
          if (last == nullptr || position[top] > position[last]) last = top;
        }
      }
      if (!movable || dealloc == nullptr || first == nullptr || position[dealloc] < position[last]) continue;
      alloc->moveBefore(first);
      dealloc->moveAfter(last);
    }
  }
};

}  // namespace

std::unique_ptr<mlir::Pass> CreateTightenBufferLifetimesPass() { return std::make_unique<TightenBufferLifetimesPass>(); }

}  // namespace strata
