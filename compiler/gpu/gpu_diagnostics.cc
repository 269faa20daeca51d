// See gpu_diagnostics.h.
#include "compiler/gpu/gpu_diagnostics.h"

#include <algorithm>

#include "graph/status_nodes.h"
#include "llvm/Support/raw_ostream.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace strata::gpu {

std::string Describe(mlir::Operation* op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << op->getName() << " at " << op->getLoc();
  return s;
}

std::vector<std::string> NodeNamesAt(mlir::Location loc) {
  std::vector<std::string> names;
  loc->walk([&](mlir::Location l) {
    if (auto name = mlir::dyn_cast<mlir::NameLoc>(l)) {
      std::string n = name.getName().str();
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(std::move(n));
    }
    return mlir::WalkResult::advance();
  });
  return names;
}

absl::Status UnimplementedAt(mlir::Operation* op, const std::string& message) {
  return WithNodes(absl::UnimplementedError(message), NodeNamesAt(op->getLoc()));
}

}  // namespace strata::gpu
