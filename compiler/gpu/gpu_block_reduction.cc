// See gpu_block_reduction.h.
#include "compiler/gpu/gpu_block_reduction.h"

#include "compiler/gpu/gpu_epilogue.h"
#include "compiler/gpu/gpu_linalg_util.h"

#include <limits>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace strata::gpu {

namespace {

struct Combiner {
  mlir::Operation* op = nullptr;  // in the generic's body: combine(value, accumulator)
  mlir::gpu::AllReduceOperation kind;
  mlir::TypedAttr identity;
};

// The combiner of a single-result reduction body whose accumulator is used once, by an
// associative op that gpu.all_reduce knows.
std::optional<Combiner> FindCombiner(mlir::linalg::GenericOp generic) {
  mlir::Block& body = generic.getRegion().front();
  mlir::BlockArgument acc = body.getArgument(body.getNumArguments() - 1);
  if (!acc.hasOneUse()) return std::nullopt;
  mlir::Operation* op = *acc.getUsers().begin();
  auto yield = mlir::cast<mlir::linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1 || yield.getOperand(0).getDefiningOp() != op || op->getNumOperands() != 2) return std::nullopt;
  const mlir::Type t = acc.getType();
  mlir::OpBuilder b(generic.getContext());
  using K = mlir::gpu::AllReduceOperation;
  Combiner c;
  c.op = op;
  // gpu.shuffle moves 32- and 64-bit values only.
  if (auto ft = mlir::dyn_cast<mlir::FloatType>(t); ft && (ft.isF32() || ft.isF64())) {
    const llvm::APFloat inf = llvm::APFloat::getInf(ft.getFloatSemantics());
    const llvm::APFloat neg_inf = llvm::APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/true);
    if (mlir::isa<mlir::arith::AddFOp>(op)) {
      c.kind = K::ADD, c.identity = b.getFloatAttr(t, 0.0);
    } else if (mlir::isa<mlir::arith::MulFOp>(op)) {
      c.kind = K::MUL, c.identity = b.getFloatAttr(t, 1.0);
    } else if (mlir::isa<mlir::arith::MaximumFOp>(op)) {
      c.kind = K::MAXIMUMF, c.identity = b.getFloatAttr(t, neg_inf);
    } else if (mlir::isa<mlir::arith::MaxNumFOp>(op)) {
      c.kind = K::MAXNUMF, c.identity = b.getFloatAttr(t, neg_inf);
    } else if (mlir::isa<mlir::arith::MinimumFOp>(op)) {
      c.kind = K::MINIMUMF, c.identity = b.getFloatAttr(t, inf);
    } else if (mlir::isa<mlir::arith::MinNumFOp>(op)) {
      c.kind = K::MINNUMF, c.identity = b.getFloatAttr(t, inf);
    } else {
      return std::nullopt;
    }
    return c;
  }
  if (auto it = mlir::dyn_cast<mlir::IntegerType>(t); it && (it.getWidth() == 32 || it.getWidth() == 64)) {
    const unsigned w = it.getWidth();
    if (mlir::isa<mlir::arith::AddIOp>(op)) {
      c.kind = K::ADD, c.identity = b.getIntegerAttr(t, 0);
    } else if (mlir::isa<mlir::arith::MulIOp>(op)) {
      c.kind = K::MUL, c.identity = b.getIntegerAttr(t, 1);
    } else if (mlir::isa<mlir::arith::MaxSIOp>(op)) {
      c.kind = K::MAXSI, c.identity = b.getIntegerAttr(t, llvm::APInt::getSignedMinValue(w));
    } else if (mlir::isa<mlir::arith::MinSIOp>(op)) {
      c.kind = K::MINSI, c.identity = b.getIntegerAttr(t, llvm::APInt::getSignedMaxValue(w));
    } else {
      return std::nullopt;
    }
    return c;
  }
  return std::nullopt;
}

// One block per output element (grid = product of the parallel dims; 1 for a full reduction).
void LowerOne(mlir::linalg::GenericOp generic, const Combiner& combiner, llvm::ArrayRef<int64_t> ranges,
              llvm::ArrayRef<unsigned> parallel, llvm::ArrayRef<unsigned> reduction, int64_t outputs, int64_t reduced,
              int64_t block_size) {
  // Thread 0 of each block writes its element exactly once: the fill's value can be folded in
  // there instead of being written by a launch of its own and read back.
  mlir::linalg::FillOp fill = FillRightBefore(generic, generic.getDpsInitOperand(0)->get());
  mlir::Value fill_value = fill ? fill.getDpsInputOperand(0)->get() : mlir::Value();
  // ... and the elementwise consumer of the result (a dense layer's bias + relu) applied there
  // too, the result itself then never stored.
  std::vector<mlir::Value> inputs;
  for (mlir::OpOperand* in : generic.getDpsInputOperands()) inputs.push_back(in->get());
  Epilogue epilogue = Epilogue::Find(generic, inputs);
  mlir::OpBuilder b(generic);
  const mlir::Location loc = generic.getLoc();
  auto index = [&](int64_t v) -> mlir::Value { return b.create<mlir::arith::ConstantIndexOp>(loc, v); };
  mlir::Value one = index(1);
  mlir::Value threads = index(block_size);
  auto launch = b.create<mlir::gpu::LaunchOp>(loc, index(outputs), one, one, threads, one, one);
  mlir::Block& kernel = launch.getBody().front();
  b.setInsertionPointToStart(&kernel);
  mlir::Value tid = launch.getThreadIds().x;
  mlir::Value zero_i = index(0), reduced_i = index(reduced), threads_i = index(block_size);
  mlir::Value identity = b.create<mlir::arith::ConstantOp>(loc, combiner.identity);
  std::vector<mlir::Value> dims(ranges.size());
  Delinearize(b, loc, launch.getBlockIds().x, ranges, parallel, dims);

  mlir::Block& body = generic.getRegion().front();
  const unsigned num_inputs = generic.getNumDpsInputs();
  auto loop = b.create<mlir::scf::ForOp>(
      loc, tid, reduced_i, threads_i, mlir::ValueRange{identity},
      [&](mlir::OpBuilder& lb, mlir::Location l, mlir::Value i, mlir::ValueRange iter) {
        std::vector<mlir::Value> all = dims;
        Delinearize(lb, l, i, ranges, reduction, all);
        mlir::IRMapping map;
        for (unsigned k = 0; k < num_inputs; ++k) {
          mlir::OpOperand* operand = generic.getDpsInputOperand(k);
          if (mlir::isa<mlir::MemRefType>(operand->get().getType())) {
            std::vector<mlir::Value> indices = ApplyMap(lb, l, generic.getMatchingIndexingMap(operand), all);
            map.map(body.getArgument(k), lb.create<mlir::memref::LoadOp>(l, operand->get(), indices));
          } else {
            map.map(body.getArgument(k), operand->get());  // a scalar input
          }
        }
        map.map(body.getArgument(body.getNumArguments() - 1), iter[0]);
        for (mlir::Operation& op : body.without_terminator()) {
          if (auto idx = mlir::dyn_cast<mlir::linalg::IndexOp>(op)) {
            map.map(idx.getResult(), all[idx.getDim()]);
            continue;
          }
          lb.clone(op, map);
        }
        lb.create<mlir::scf::YieldOp>(l, map.lookup(body.getTerminator()->getOperand(0)));
      });
  auto reduced_value = b.create<mlir::gpu::AllReduceOp>(
      loc, loop.getResult(0), mlir::gpu::AllReduceOperationAttr::get(b.getContext(), combiner.kind), /*uniform=*/true);
  mlir::Value first = b.create<mlir::arith::CmpIOp>(loc, mlir::arith::CmpIPredicate::eq, tid, zero_i);
  mlir::OpOperand* init = generic.getDpsInitOperand(0);
  mlir::Value out = init->get();
  b.create<mlir::scf::IfOp>(loc, first, [&](mlir::OpBuilder& ib, mlir::Location l) {
    // The init map reads only parallel dims; the reduction dims get a placeholder 0.
    std::vector<mlir::Value> parallel_dims = dims;
    for (mlir::Value& d : parallel_dims) {
      if (!d) d = zero_i;
    }
    std::vector<mlir::Value> indices = ApplyMap(ib, l, generic.getMatchingIndexingMap(init), parallel_dims);
    mlir::Value old = fill_value ? fill_value : ib.create<mlir::memref::LoadOp>(l, out, indices).getResult();
    // combine(value, accumulator) with the accumulator = the old result, the value = the total.
    mlir::Operation* c = combiner.op;
    mlir::Value acc = body.getArgument(body.getNumArguments() - 1);
    mlir::IRMapping map;
    for (unsigned k = 0; k < 2; ++k) map.map(c->getOperand(k), c->getOperand(k) == acc ? old : reduced_value.getResult());
    mlir::Operation* combined = ib.clone(*c, map);
    epilogue.Store(ib, l, combined->getResult(0), indices);
    ib.create<mlir::scf::YieldOp>(l);
  });
  b.create<mlir::gpu::TerminatorOp>(loc);
  generic.erase();
  if (fill) fill.erase();
  epilogue.Finish();
}

}  // namespace

absl::Status LowerLongReductionsToBlocks(mlir::func::FuncOp func, int64_t block_size, int64_t min_elements,
                                         int64_t max_outputs) {
  std::vector<mlir::linalg::LinalgOp> candidates;
  for (mlir::Operation& op : func.getBody().front()) {
    auto linalg = mlir::dyn_cast<mlir::linalg::LinalgOp>(op);
    if (!linalg || linalg.getNumDpsInits() != 1 || linalg.getNumReductionLoops() == 0) continue;
    if (!mlir::isa<mlir::MemRefType>(linalg.getDpsInitOperand(0)->get().getType())) continue;
    // The result element of a block depends on its parallel dims only.
    mlir::AffineMap init_map = linalg.getMatchingIndexingMap(linalg.getDpsInitOperand(0));
    bool reads_reduction_dim = false;
    llvm::SmallVector<mlir::utils::IteratorType> iters = linalg.getIteratorTypesArray();
    for (unsigned d = 0; d < iters.size(); ++d) {
      if (iters[d] != mlir::utils::IteratorType::parallel && init_map.isFunctionOfDim(d)) reads_reduction_dim = true;
    }
    if (!reads_reduction_dim) candidates.push_back(linalg);
  }
  mlir::IRRewriter rewriter(func.getContext());
  for (mlir::linalg::LinalgOp linalg : candidates) {
    llvm::SmallVector<int64_t> ranges = linalg.getStaticLoopRanges();
    llvm::SmallVector<mlir::utils::IteratorType> iters = linalg.getIteratorTypesArray();
    std::vector<unsigned> parallel, reduction;
    int64_t outputs = 1, reduced = 1;
    bool dynamic = false;
    for (unsigned d = 0; d < ranges.size(); ++d) {
      dynamic |= mlir::ShapedType::isDynamic(ranges[d]);
      if (iters[d] == mlir::utils::IteratorType::parallel) {
        parallel.push_back(d);
        outputs *= ranges[d];
      } else {
        reduction.push_back(d);
        reduced *= ranges[d];
      }
    }
    // Short reductions stay one thread per output (cheap), and so do reductions with many
    // outputs (one thread each already fills the GPU; a block each would be 256x the threads).
    if (dynamic || reduced < min_elements || outputs < 1 || outputs > max_outputs) continue;
    // Named contractions (matmul, convolution, pooling) as generics: same loops, explicit body.
    auto generic = mlir::dyn_cast<mlir::linalg::GenericOp>(linalg.getOperation());
    if (!generic) {
      rewriter.setInsertionPoint(linalg);
      mlir::FailureOr<mlir::linalg::GenericOp> g = mlir::linalg::generalizeNamedOp(rewriter, linalg);
      if (mlir::failed(g)) continue;
      generic = *g;
    }
    std::optional<Combiner> combiner = FindCombiner(generic);
    if (!combiner) continue;
    LowerOne(generic, *combiner, ranges, parallel, reduction, outputs, reduced, block_size);
  }
  return absl::OkStatus();
}

absl::Status LowerAllReduces(mlir::ModuleOp module) {
  for (auto kernels : module.getOps<mlir::gpu::GPUModuleOp>()) {
    mlir::RewritePatternSet patterns(module.getContext());
    mlir::populateGpuAllReducePatterns(patterns);
    if (mlir::failed(mlir::applyPatternsAndFoldGreedily(kernels, std::move(patterns)))) {
      return absl::InternalError("GPU: gpu.all_reduce rewrite did not converge");
    }
  }
  return absl::OkStatus();
}

}  // namespace strata::gpu
