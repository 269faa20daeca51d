#include "compiler/pass_util.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "graph/str_util.h"
#include "llvm/Support/raw_ostream.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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
