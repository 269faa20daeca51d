// See gpu_epilogue.h.
#include "compiler/gpu/gpu_epilogue.h"

#include "compiler/gpu/gpu_contraction_match.h"
#include "compiler/gpu/gpu_linalg_util.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"

namespace strata::gpu {

namespace {

// Whether `op` (a linalg op) touches none of the buffers in `roots`.
bool Disjoint(mlir::linalg::LinalgOp op, llvm::ArrayRef<mlir::Value> roots) {
  for (mlir::OpOperand& operand : op->getOpOperands()) {
    if (!mlir::isa<mlir::MemRefType>(operand.get().getType())) continue;
    if (llvm::is_contained(roots, Root(operand.get()))) return false;
  }
  return true;
}

// Whether `generic` reads `out` at its own element and can be computed in the epilogue of
// the kernel that produces `out` from `inputs`.
bool IsEpilogue(mlir::Value out, llvm::ArrayRef<mlir::Value> inputs, mlir::linalg::GenericOp generic) {
  if (generic.getNumDpsInits() != 1 || generic->getNumResults() != 0) return false;
  if (generic.getNumReductionLoops() != 0) return false;
  auto out_type = mlir::cast<mlir::MemRefType>(out.getType());
  if (generic.getNumLoops() != static_cast<unsigned>(out_type.getRank())) return false;
  mlir::OpOperand* init = generic.getDpsInitOperand(0);
  if (!mlir::isa<mlir::MemRefType>(init->get().getType()) || !generic.getMatchingIndexingMap(init).isIdentity()) return false;
  mlir::Block& body = generic.getRegion().front();
  if (!body.getArgument(body.getNumArguments() - 1).use_empty()) return false;
  int reads_of_c = 0;
  for (mlir::OpOperand* in : generic.getDpsInputOperands()) {
    if (!mlir::isa<mlir::MemRefType>(in->get().getType())) return false;
    if (in->get() == out) {
      if (!generic.getMatchingIndexingMap(in).isIdentity()) return false;
      ++reads_of_c;
    } else if (Root(in->get()) == Root(init->get())) {
      return false;  // the result overwrites something the epilogue reads elsewhere
    }
  }
  if (reads_of_c != 1) return false;
  const mlir::Value dest = Root(init->get());
  if (dest == Root(out)) return false;
  for (mlir::Value in : inputs) {
    if (dest == Root(in)) return false;
  }
  return true;
}

}  // namespace

Epilogue Epilogue::Find(mlir::linalg::LinalgOp producer, llvm::ArrayRef<mlir::Value> inputs) {
  Epilogue e;  // C stored, until a consumer is found
  e.c_ = producer.getDpsInitOperand(0)->get();
  const mlir::Value out = e.c_;
  if (producer.getNumDpsInits() != 1 || !out.getDefiningOp<mlir::memref::AllocOp>()) return e;
  std::vector<mlir::Value> roots{Root(out)};
  for (mlir::Value in : inputs) roots.push_back(Root(in));
  std::vector<mlir::Operation*> independent;
  mlir::linalg::GenericOp consumer;
  for (mlir::Operation* next = producer->getNextNode(); next && independent.size() <= 4; next = next->getNextNode()) {
    if (mlir::isa<mlir::arith::ConstantOp, mlir::memref::AllocOp, mlir::memref::GetGlobalOp, mlir::memref::ExpandShapeOp,
                  mlir::memref::CollapseShapeOp>(next)) {
      continue;
    }
    auto generic = mlir::dyn_cast<mlir::linalg::GenericOp>(next);
    if (generic && IsEpilogue(out, inputs, generic)) {
      consumer = generic;
      break;
    }
    auto linalg = mlir::dyn_cast<mlir::linalg::LinalgOp>(next);
    if (!linalg || !Disjoint(linalg, roots)) return e;
    // Its operands must be available before the producer.
    for (mlir::Value v : next->getOperands()) {
      mlir::Operation* def = v.getDefiningOp();
      if (def && def->getBlock() == producer->getBlock() && !def->isBeforeInBlock(producer)) return e;
    }
    independent.push_back(next);
  }
  if (!consumer) return e;
  // Nothing after the producer but the consumer reads C.
  for (mlir::Operation* user : out.getUsers()) {
    if (user == producer.getOperation() || user == consumer.getOperation()) continue;
    if (user->getBlock() != producer->getBlock() || !user->isBeforeInBlock(producer)) return e;
  }
  for (mlir::Operation* op : independent) op->moveBefore(producer);
  e.consumer_ = consumer;
  for (mlir::OpOperand* in : consumer.getDpsInputOperands()) {
    e.constants_.push_back(in->get() == out ? mlir::Value() : ConstantContent(producer, in->get()));
  }
  return e;
}

void Epilogue::Store(mlir::OpBuilder& b, mlir::Location loc, mlir::Value value, const std::vector<mlir::Value>& c_indices) const {
  if (!consumer_) {
    b.create<mlir::memref::StoreOp>(loc, value, c_, c_indices);
    return;
  }
  mlir::Block& body = consumer_.getRegion().front();
  mlir::IRMapping map;
  for (unsigned k = 0; k < consumer_.getNumDpsInputs(); ++k) {
    mlir::OpOperand* in = consumer_.getDpsInputOperand(k);
    if (in->get() == c_) {
      map.map(body.getArgument(k), value);
    } else if (constants_[k]) {
      map.map(body.getArgument(k), constants_[k]);
    } else {
      std::vector<mlir::Value> at = ApplyMap(b, loc, consumer_.getMatchingIndexingMap(in), c_indices);
      map.map(body.getArgument(k), b.create<mlir::memref::LoadOp>(loc, in->get(), at));
    }
  }
  for (mlir::Operation& op : body.without_terminator()) {
    if (auto idx = mlir::dyn_cast<mlir::linalg::IndexOp>(op)) {
      map.map(idx.getResult(), c_indices[idx.getDim()]);
      continue;
    }
    b.clone(op, map);
  }
  b.create<mlir::memref::StoreOp>(loc, map.lookup(body.getTerminator()->getOperand(0)), destination(), c_indices);
}

void Epilogue::Finish() {
  if (consumer_) consumer_.erase();
  consumer_ = nullptr;
  if (auto alloc = c_.getDefiningOp<mlir::memref::AllocOp>(); alloc && alloc->use_empty()) alloc.erase();
}

}  // namespace strata::gpu
