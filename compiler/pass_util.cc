#include "compiler/pass_util.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "graph/str_util.h"
#include "llvm/Support/raw_ostream.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

namespace strata {

namespace {

// Every use of `op`'s (single) result but the first gets a clone of `op`, made right before it.
void CloneForEachExtraUse(mlir::Operation* op, mlir::OpBuilder& b) {
  llvm::SmallVector<mlir::OpOperand*> uses;
  for (mlir::OpOperand& use : op->getUses()) uses.push_back(&use);
  for (size_t i = 1; i < uses.size(); ++i) {
    b.setInsertionPoint(op);
    uses[i]->set(b.clone(*op)->getResult(0));
  }
}

}  // namespace

void SplitEmptyTensors(mlir::Operation* root) {
  mlir::OpBuilder b(root->getContext());
  // A fill of an empty tensor that several ops start from (CSE merges identical fills) becomes
  // one fill per use: each consumer then has an init of its own that empty-tensor elimination
  // can place in that consumer's destination. Shared, one-shot bufferization of MLIR 19 wrote
  // two function results through the same destination and copied one over the other.
  llvm::SmallVector<mlir::Operation*> shared;
  root->walk([&](mlir::linalg::FillOp op) {
    if (op.hasPureTensorSemantics() && !op->hasOneUse() && !op->use_empty() &&
        op.getOutputs()[0].getDefiningOp<mlir::tensor::EmptyOp>()) {
      shared.push_back(op);
    }
  });
  for (mlir::Operation* op : shared) CloneForEachExtraUse(op, b);
  // Then the empties (the fills' clones share theirs).
  shared.clear();
  root->walk([&](mlir::tensor::EmptyOp op) {
    if (!op->hasOneUse() && !op->use_empty()) shared.push_back(op);
  });
  for (mlir::Operation* op : shared) CloneForEachExtraUse(op, b);
}

namespace {

// Where a view of `dest` can be built that dominates every use in its block: right after its
// definition (the block's start for an argument).
void SetInsertionPointAfterDefinition(mlir::OpBuilder& b, mlir::Value dest) {
  if (auto arg = mlir::dyn_cast<mlir::BlockArgument>(dest)) {
    b.setInsertionPointToStart(arg.getOwner());
  } else {
    b.setInsertionPointAfterValue(dest);
  }
}

// One reshape moved from `op`'s source onto its destination; false when there is none to move.
bool MoveOneReshape(mlir::bufferization::MaterializeInDestinationOp op, mlir::OpBuilder& b) {
  auto dest_type = mlir::dyn_cast<mlir::MemRefType>(op.getDest().getType());
  if (!dest_type || !dest_type.getLayout().isIdentity() || !dest_type.hasStaticShape()) return false;
  mlir::Value source = op.getSource();
  mlir::Operation* reshape = source.getDefiningOp();
  if (!reshape || !source.hasOneUse()) return false;
  mlir::Value view;
  mlir::Value inner;
  if (auto collapse = mlir::dyn_cast<mlir::tensor::CollapseShapeOp>(reshape)) {
    inner = collapse.getSrc();
    auto inner_type = mlir::cast<mlir::RankedTensorType>(inner.getType());
    if (!inner_type.hasStaticShape()) return false;
    SetInsertionPointAfterDefinition(b, op.getDest());
    auto view_type = mlir::MemRefType::get(inner_type.getShape(), dest_type.getElementType(), mlir::MemRefLayoutAttrInterface{},
                                           dest_type.getMemorySpace());
    view = b.create<mlir::memref::ExpandShapeOp>(op.getLoc(), view_type, op.getDest(), collapse.getReassociationIndices());
  } else if (auto expand = mlir::dyn_cast<mlir::tensor::ExpandShapeOp>(reshape)) {
    inner = expand.getSrc();
    if (!mlir::cast<mlir::RankedTensorType>(inner.getType()).hasStaticShape()) return false;
    SetInsertionPointAfterDefinition(b, op.getDest());
    view = b.create<mlir::memref::CollapseShapeOp>(op.getLoc(), op.getDest(), expand.getReassociationIndices());
  } else {
    return false;
  }
  op.getSourceMutable().assign(inner);
  op.getDestMutable().assign(view);
  reshape->erase();
  return true;
}

}  // namespace

void MoveReshapesOntoDestinations(mlir::Operation* root) {
  llvm::SmallVector<mlir::bufferization::MaterializeInDestinationOp> ops;
  root->walk([&](mlir::bufferization::MaterializeInDestinationOp op) { ops.push_back(op); });
  mlir::OpBuilder b(root->getContext());
  for (auto op : ops) {
    while (MoveOneReshape(op, b)) {
    }
  }
}

absl::Status RunPassManager(mlir::PassManager& pm, mlir::ModuleOp module, std::string_view pipeline,
                            std::string_view stage) {
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(module.getContext(), [&](mlir::Diagnostic& d) {
    if (d.getSeverity() == mlir::DiagnosticSeverity::Error) {
      llvm::raw_string_ostream os(diagnostics);
      os << d.getLocation() << ": " << d << "\n";
      for (const mlir::Diagnostic& note : d.getNotes()) os << "  note: " << note << "\n";
    }
    return mlir::success();
  });
  if (mlir::failed(pm.run(module))) {
    return absl::InternalError(absl::StrCat(Absl(pipeline), " failed at ", Absl(stage), ": ", diagnostics));
  }
  return absl::OkStatus();
}

}  // namespace strata
