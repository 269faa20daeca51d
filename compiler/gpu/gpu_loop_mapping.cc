// See gpu_loop_mapping.h.
#include "compiler/gpu/gpu_loop_mapping.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "compiler/gpu/gpu_diagnostics.h"
#include "compiler/gpu/gpu_fuse_parallel_loops.h"
#include "compiler/gpu/gpu_promote_accumulators.h"
#include "compiler/gpu/gpu_vectorize_elementwise.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace strata::gpu {

namespace {

// Ops that stay on the host: buffers, views, constants and the loops that become launches.
bool StaysOnHost(mlir::Operation* op) {
  return mlir::isa<mlir::arith::ConstantOp, mlir::memref::AllocOp, mlir::memref::AllocaOp, mlir::memref::GetGlobalOp,
                   mlir::memref::DeallocOp, mlir::memref::CollapseShapeOp, mlir::memref::ExpandShapeOp,
                   mlir::memref::CastOp, mlir::memref::SubViewOp, mlir::memref::ReinterpretCastOp,
                   mlir::memref::CopyOp, mlir::scf::ParallelOp, mlir::gpu::LaunchOp, mlir::func::ReturnOp>(op);
}


}  // namespace

absl::Status PrepareLinalgForGpu(mlir::func::FuncOp func) {
  mlir::IRRewriter rewriter(func.getContext());
  std::vector<mlir::linalg::LinalgOp> ops;
  func.walk([&](mlir::linalg::LinalgOp op) { ops.push_back(op); });
  for (mlir::linalg::LinalgOp op : ops) {
    // Parallel dims first (stable), so the reduction loops nest inside the parallel loop.
    llvm::SmallVector<mlir::utils::IteratorType> iters = op.getIteratorTypesArray();
    std::vector<unsigned> perm(iters.size());
    std::iota(perm.begin(), perm.end(), 0u);
    std::stable_sort(perm.begin(), perm.end(), [&](unsigned a, unsigned b) {
      return iters[a] == mlir::utils::IteratorType::parallel && iters[b] != mlir::utils::IteratorType::parallel;
    });
    if (std::is_sorted(perm.begin(), perm.end())) continue;
    mlir::linalg::GenericOp generic = mlir::dyn_cast<mlir::linalg::GenericOp>(op.getOperation());
    if (!generic) {
      rewriter.setInsertionPoint(op);
      mlir::FailureOr<mlir::linalg::GenericOp> g = mlir::linalg::generalizeNamedOp(rewriter, op);
      if (mlir::failed(g)) return UnimplementedAt(op, absl::StrCat("GPU: cannot generalize ", Describe(op)));
      generic = *g;
    }
    rewriter.setInsertionPoint(generic);
    if (mlir::failed(mlir::linalg::interchangeGenericOp(rewriter, generic, perm))) {
      return absl::InternalError(absl::StrCat("GPU: cannot interchange the loops of ", Describe(generic)));
    }
  }
  return absl::OkStatus();
}

absl::Status CollapseParallelLoopsForGpu(mlir::func::FuncOp func) {
  FuseAdjacentParallelLoops(func);
  PromoteLoopAccumulators(func);
  VectorizeElementwiseLoops(func);
  mlir::Block& body = func.getBody().front();
  mlir::IRRewriter rewriter(func.getContext());

  // Collapse to 1-D (the bounds become constants after canonicalization).
  std::vector<mlir::scf::ParallelOp> loops;
  for (mlir::Operation& op : body) {
    if (auto p = mlir::dyn_cast<mlir::scf::ParallelOp>(op)) loops.push_back(p);
  }
  for (mlir::scf::ParallelOp loop : loops) {
    const unsigned rank = loop.getNumLoops();
    if (rank <= 1) continue;
    std::vector<unsigned> all(rank);
    std::iota(all.begin(), all.end(), 0u);
    rewriter.setInsertionPoint(loop);
    mlir::collapseParallelLoops(rewriter, loop, {all});
  }
  return absl::OkStatus();
}

absl::Status TileParallelLoopsForGpu(mlir::func::FuncOp func, int64_t block_size) {
  mlir::Block& body = func.getBody().front();
  mlir::IRRewriter rewriter(func.getContext());
  // Constants first: they may then be used anywhere without dominance questions.
  std::vector<mlir::Operation*> constants;
  for (mlir::Operation& op : body) {
    if (mlir::isa<mlir::arith::ConstantOp>(op)) constants.push_back(&op);
  }
  for (mlir::Operation* op : llvm::reverse(constants)) op->moveBefore(&body.front());

  // Runs of serial work at the top level -> one-iteration parallel loops (one GPU thread).
  std::vector<std::vector<mlir::Operation*>> runs(1);
  for (mlir::Operation& op : body) {
    if (StaysOnHost(&op)) {
      if (!runs.back().empty()) runs.emplace_back();
    } else {
      runs.back().push_back(&op);
    }
  }
  for (const std::vector<mlir::Operation*>& run : runs) {
    if (run.empty()) continue;
    llvm::SmallPtrSet<mlir::Operation*, 8> in_run(run.begin(), run.end());
    for (mlir::Operation* op : run) {
      for (mlir::Operation* user : op->getUsers()) {
        mlir::Operation* top = body.findAncestorOpInBlock(*user);
        if (!in_run.contains(top)) {
          return UnimplementedAt(op, absl::StrCat("GPU: a value of ", Describe(op),
                                                       " is used on the host by ", Describe(user)));
        }
      }
    }
    rewriter.setInsertionPoint(run.front());
    mlir::Location loc = run.front()->getLoc();
    mlir::Value zero = rewriter.create<mlir::arith::ConstantIndexOp>(loc, 0);
    mlir::Value one = rewriter.create<mlir::arith::ConstantIndexOp>(loc, 1);
    auto loop = rewriter.create<mlir::scf::ParallelOp>(loc, mlir::ValueRange{zero}, mlir::ValueRange{one},
                                                        mlir::ValueRange{one});
    mlir::Operation* terminator = loop.getBody()->getTerminator();
    for (mlir::Operation* op : run) op->moveBefore(terminator);
  }

  std::vector<mlir::scf::ParallelOp> loops;
  for (mlir::Operation& op : body) {
    if (auto p = mlir::dyn_cast<mlir::scf::ParallelOp>(op)) loops.push_back(p);
  }
  for (mlir::scf::ParallelOp loop : loops) {
    if (loop.getNumLoops() != 1) return absl::InternalError("GPU: a parallel loop was not collapsed to one dimension");
    std::optional<int64_t> lb = mlir::getConstantIntValue(loop.getLowerBound()[0]);
    std::optional<int64_t> ub = mlir::getConstantIntValue(loop.getUpperBound()[0]);
    std::optional<int64_t> step = mlir::getConstantIntValue(loop.getStep()[0]);
    if (!lb || !ub || !step || *step <= 0) {
      return UnimplementedAt(loop, absl::StrCat("GPU: parallel loop without static bounds at ",
                                                   Describe(loop), " (shapes must be static)"));
    }
    const int64_t trips = (*ub - *lb + *step - 1) / *step;
    const int64_t tile = std::max<int64_t>(1, std::min(block_size, trips));
    mlir::scf::tileParallelLoop(loop, {tile}, /*noMinMaxBounds=*/true);
  }
  return absl::OkStatus();
}

}  // namespace strata::gpu
