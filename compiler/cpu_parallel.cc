// Intra-op parallelism: marking, outlining and lowering of parallel tile loops (see
// cpu_parallel.h).
#include "compiler/cpu_parallel.h"

#include <string>

#include "llvm/ADT/SetVector.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

namespace strata {

namespace {

constexpr char kParallelAttr[] = "strata.parallel";            // on scf.for: cost per iteration
constexpr char kParallelCostAttr[] = "strata.parallel_cost";  // on outlined bodies
constexpr char kParallelForSymbol[] = "strata_parallel_for";
// Below this total cost (~ns) the loop stays serial: a hand-off to another thread costs a few
// microseconds, and outlining blocks some hoisting.
constexpr int64_t kMinParallelCostNs = 20000;

std::optional<int64_t> TripCount(mlir::scf::ForOp loop) {
  std::optional<int64_t> lb = mlir::getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> ub = mlir::getConstantIntValue(loop.getUpperBound());
  std::optional<int64_t> step = mlir::getConstantIntValue(loop.getStep());
  if (!lb || !ub || !step || *step <= 0) return std::nullopt;
  return *ub <= *lb ? 0 : (*ub - *lb + *step - 1) / *step;
}

// Outlines one marked loop; returns false (leaving it serial) when it does not qualify.
bool OutlineLoop(mlir::scf::ForOp loop, mlir::func::FuncOp parent, mlir::SymbolTable& symbols, int index) {
  const int64_t cost = mlir::cast<mlir::IntegerAttr>(loop->getAttr(kParallelAttr)).getInt();
  loop->removeAttr(kParallelAttr);
  std::optional<int64_t> trips = TripCount(loop);
  if (loop->getNumResults() != 0 || !trips || *trips < 2) return false;
  const int64_t lb = *mlir::getConstantIntValue(loop.getLowerBound());
  const int64_t step = *mlir::getConstantIntValue(loop.getStep());

  llvm::SetVector<mlir::Value> captured;
  mlir::getUsedValuesDefinedAbove(loop.getRegion(), captured);
  // Constants are re-created inside the body instead of being passed.
  llvm::SmallVector<mlir::Value> passed;
  for (mlir::Value v : captured) {
    mlir::Operation* def = v.getDefiningOp();
    if (def && def->hasTrait<mlir::OpTrait::ConstantLike>() && def->getNumOperands() == 0) continue;
    passed.push_back(v);
  }

  mlir::MLIRContext* ctx = loop.getContext();
  mlir::Location loc = loop.getLoc();
  mlir::OpBuilder b(ctx);
  llvm::SmallVector<mlir::Type> arg_types = {b.getIndexType(), b.getIndexType()};
  for (mlir::Value v : passed) arg_types.push_back(v.getType());
  b.setInsertionPointAfter(parent);
  auto body_fn = b.create<mlir::func::FuncOp>(loc, (parent.getName() + "__par" + llvm::Twine(index)).str(),
                                              b.getFunctionType(arg_types, {}));
  body_fn.setPrivate();
  body_fn->setAttr(kParallelCostAttr, b.getI64IntegerAttr(std::max<int64_t>(cost, 1)));
  symbols.insert(body_fn);

  // body(begin, end, captured...): for i in [begin, end): iv = lb + i * step; <loop body>.
  mlir::Block* entry = body_fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  mlir::IRMapping mapping;
  for (size_t i = 0; i < passed.size(); ++i) mapping.map(passed[i], entry->getArgument(i + 2));
  for (mlir::Value v : captured) {
    if (!mapping.contains(v)) mapping.map(v, b.clone(*v.getDefiningOp())->getResult(0));
  }
  mlir::Value one = b.create<mlir::arith::ConstantIndexOp>(loc, 1);
  mlir::Value lb_v = b.create<mlir::arith::ConstantIndexOp>(loc, lb);
  mlir::Value step_v = b.create<mlir::arith::ConstantIndexOp>(loc, step);
  auto inner = b.create<mlir::scf::ForOp>(loc, entry->getArgument(0), entry->getArgument(1), one);
  b.setInsertionPointToStart(inner.getBody());
  mlir::Value iv = b.create<mlir::arith::AddIOp>(
      loc, lb_v, b.create<mlir::arith::MulIOp>(loc, inner.getInductionVar(), step_v));
  mapping.map(loop.getInductionVar(), iv);
  for (mlir::Operation& op : loop.getBody()->without_terminator()) b.clone(op, mapping);
  b.setInsertionPointToEnd(entry);
  b.create<mlir::func::ReturnOp>(loc);

  // The loop becomes body(0, trips, captured...).
  b.setInsertionPoint(loop);
  llvm::SmallVector<mlir::Value> args = {b.create<mlir::arith::ConstantIndexOp>(loc, 0),
                                         b.create<mlir::arith::ConstantIndexOp>(loc, *trips)};
  args.append(passed.begin(), passed.end());
  b.create<mlir::func::CallOp>(loc, body_fn, args);
  loop->erase();
  return true;
}

struct OutlineParallelLoopsPass
    : public mlir::PassWrapper<OutlineParallelLoopsPass, mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(OutlineParallelLoopsPass)
  llvm::StringRef getArgument() const override { return "strata-outline-parallel-loops"; }
  void getDependentDialects(mlir::DialectRegistry& registry) const override {
    registry.insert<mlir::arith::ArithDialect, mlir::func::FuncDialect, mlir::scf::SCFDialect>();
  }
  void runOnOperation() override {
    mlir::ModuleOp module = getOperation();
    mlir::SymbolTable symbols(module);
    llvm::SmallVector<mlir::func::FuncOp> funcs(module.getOps<mlir::func::FuncOp>());
    for (mlir::func::FuncOp f : funcs) {
      // Outermost marked loops first; a marked loop nested in another marked one stays serial
      // (it is cloned into the outer body with its mark, which is dropped below).
      llvm::SmallVector<mlir::scf::ForOp> loops;
      f.walk<mlir::WalkOrder::PreOrder>([&](mlir::scf::ForOp loop) {
        if (!loop->hasAttr(kParallelAttr)) return mlir::WalkResult::advance();
        loops.push_back(loop);
        return mlir::WalkResult::skip();
      });
      int index = 0;
      for (mlir::scf::ForOp loop : loops) {
        if (OutlineLoop(loop, f, symbols, index)) ++index;
      }
    }
    module.walk([](mlir::scf::ForOp loop) { loop->removeAttr(kParallelAttr); });
  }
};

// Replaces `call @body(begin, end, captured...)` with strata_parallel_for(@body_task, &ctx,
// end, cost), ctx holding the captured values.
struct LowerParallelCallsPass : public mlir::PassWrapper<LowerParallelCallsPass, mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(LowerParallelCallsPass)
  llvm::StringRef getArgument() const override { return "strata-lower-parallel-calls"; }
  void getDependentDialects(mlir::DialectRegistry& registry) const override { registry.insert<mlir::LLVM::LLVMDialect>(); }

  void runOnOperation() override {
    namespace LLVM = mlir::LLVM;
    mlir::ModuleOp module = getOperation();
    mlir::MLIRContext* ctx = module.getContext();
    mlir::OpBuilder b(ctx);
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = b.getI64Type();
    auto void_type = LLVM::LLVMVoidType::get(ctx);

    llvm::SmallVector<LLVM::CallOp> calls;
    module.walk([&](LLVM::CallOp call) {
      std::optional<llvm::StringRef> callee = call.getCallee();
      if (!callee) return;
      auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(*callee);
      if (fn && fn->hasAttr(kParallelCostAttr)) calls.push_back(call);
    });
    if (calls.empty()) return;

    auto parallel_for = module.lookupSymbol<LLVM::LLVMFuncOp>(kParallelForSymbol);
    if (!parallel_for) {
      b.setInsertionPointToEnd(module.getBody());
      parallel_for = b.create<LLVM::LLVMFuncOp>(module.getLoc(), kParallelForSymbol,
                                                LLVM::LLVMFunctionType::get(void_type, {ptr, ptr, i64, i64}));
    }
    llvm::DenseMap<mlir::Operation*, LLVM::LLVMFuncOp> tasks;
    for (LLVM::CallOp call : calls) {
      auto body = module.lookupSymbol<LLVM::LLVMFuncOp>(*call.getCallee());
      mlir::Location loc = call.getLoc();
      llvm::SmallVector<mlir::Type> fields;
      for (mlir::Value v : call.getArgOperands().drop_front(2)) fields.push_back(v.getType());
      auto context_type = LLVM::LLVMStructType::getLiteral(ctx, fields);

      // task(context, begin, end): loads the captured values and calls the body.
      LLVM::LLVMFuncOp& task = tasks[body];
      if (!task) {
        b.setInsertionPointAfter(body);
        task = b.create<LLVM::LLVMFuncOp>(loc, (body.getName() + "_task").str(),
                                          LLVM::LLVMFunctionType::get(void_type, {ptr, i64, i64}));
        task.setLinkage(LLVM::Linkage::Internal);
        mlir::Block* entry = task.addEntryBlock(b);
        b.setInsertionPointToStart(entry);
        llvm::SmallVector<mlir::Value> args = {entry->getArgument(1), entry->getArgument(2)};
        for (size_t i = 0; i < fields.size(); ++i) {
          auto gep = b.create<LLVM::GEPOp>(loc, ptr, context_type, entry->getArgument(0),
                                           llvm::ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
          args.push_back(b.create<LLVM::LoadOp>(loc, fields[i], gep));
        }
        b.create<LLVM::CallOp>(loc, body, args);
        b.create<LLVM::ReturnOp>(loc, mlir::ValueRange{});
      }

      // At the call: the context on the stack (allocated once, in the entry block).
      auto caller = call->getParentOfType<LLVM::LLVMFuncOp>();
      b.setInsertionPointToStart(&caller.getBody().front());
      mlir::Value one = b.create<LLVM::ConstantOp>(loc, i64, b.getI64IntegerAttr(1));
      mlir::Value context = b.create<LLVM::AllocaOp>(loc, ptr, context_type, one, /*alignment=*/8);
      b.setInsertionPoint(call);
      for (size_t i = 0; i < fields.size(); ++i) {
        auto gep = b.create<LLVM::GEPOp>(loc, ptr, context_type, context,
                                         llvm::ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
        b.create<LLVM::StoreOp>(loc, call.getArgOperands()[i + 2], gep);
      }
      mlir::Value task_ptr = b.create<LLVM::AddressOfOp>(loc, task);
      const int64_t cost = mlir::cast<mlir::IntegerAttr>(body->getAttr(kParallelCostAttr)).getInt();
      mlir::Value cost_v = b.create<LLVM::ConstantOp>(loc, i64, b.getI64IntegerAttr(cost));
      b.create<LLVM::CallOp>(loc, parallel_for,
                             mlir::ValueRange{task_ptr, context, call.getArgOperands()[1], cost_v});
      call->erase();
    }
  }
};

}  // namespace

void MarkParallelLoop(llvm::ArrayRef<mlir::LoopLikeOpInterface> loops, int64_t total_cost_ns) {
  if (total_cost_ns < kMinParallelCostNs) return;
  for (mlir::LoopLikeOpInterface l : loops) {
    auto loop = mlir::dyn_cast<mlir::scf::ForOp>(l.getOperation());
    if (!loop) return;
    std::optional<int64_t> trips = TripCount(loop);
    if (!trips) return;
    if (*trips < 2) continue;
    mlir::OpBuilder b(loop.getContext());
    loop->setAttr(kParallelAttr, b.getI64IntegerAttr(total_cost_ns / *trips));
    return;
  }
}

void ClearParallelMark(mlir::Operation* loop) { loop->removeAttr(kParallelAttr); }

std::unique_ptr<mlir::Pass> CreateOutlineParallelLoopsPass() { return std::make_unique<OutlineParallelLoopsPass>(); }

std::unique_ptr<mlir::Pass> CreateLowerParallelCallsPass() { return std::make_unique<LowerParallelCallsPass>(); }

}  // namespace strata
