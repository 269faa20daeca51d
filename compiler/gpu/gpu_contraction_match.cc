// See gpu_contraction_match.h.
#include "compiler/gpu/gpu_contraction_match.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace strata::gpu {

mlir::Type ElementType(mlir::Value memref) { return mlir::cast<mlir::MemRefType>(memref.getType()).getElementType(); }

namespace {

bool IsStaticMemrefOf(mlir::Value v, bool (*element)(mlir::Type)) {
  auto t = mlir::dyn_cast<mlir::MemRefType>(v.getType());
  return t && t.hasStaticShape() && element(t.getElementType());
}
bool IsF32(mlir::Type t) { return t.isF32(); }
bool IsOperandFloat(mlir::Type t) { return t.isF32() || IsHalfFloat(t); }

// `v` is `arg`, or arith.extf of it (a 16-bit float input widened to the f32 accumulator).
bool IsWidened(mlir::Value v, mlir::Value arg) {
  if (v == arg) return true;
  auto ext = v.getDefiningOp<mlir::arith::ExtFOp>();
  return ext && ext.getIn() == arg;
}

// The body is yield(acc + x * y) (either operand order) with x, y the two inputs, each possibly
// widened by an arith.extf.
bool IsMulAddBody(mlir::linalg::LinalgOp op) {
  mlir::Block* body = op.getBlock();
  if (!body || body->getNumArguments() != 3) return false;
  auto yield = mlir::dyn_cast<mlir::linalg::YieldOp>(body->getTerminator());
  if (!yield || yield.getNumOperands() != 1) return false;
  auto add = yield.getOperand(0).getDefiningOp<mlir::arith::AddFOp>();
  if (!add) return false;
  mlir::Value acc = body->getArgument(2);
  mlir::Value other = add.getLhs() == acc ? add.getRhs() : add.getRhs() == acc ? add.getLhs() : mlir::Value();
  if (!other) return false;
  auto mul = other.getDefiningOp<mlir::arith::MulFOp>();
  if (!mul) return false;
  mlir::Value x = body->getArgument(0), y = body->getArgument(1);
  if (!((IsWidened(mul.getLhs(), x) && IsWidened(mul.getRhs(), y)) ||
        (IsWidened(mul.getLhs(), y) && IsWidened(mul.getRhs(), x)))) {
    return false;
  }
  // Nothing else in the body.
  return body->getOperations().size() == 3 + llvm::range_size(body->getOps<mlir::arith::ExtFOp>());
}


}  // namespace

std::optional<Contraction> Match(mlir::linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 || op->getNumResults() != 0) return std::nullopt;
  Contraction c;
  c.op = op;
  mlir::OpOperand* out = op.getDpsInitOperand(0);
  if (!IsStaticMemrefOf(out->get(), IsF32)) return std::nullopt;
  for (mlir::OpOperand* in : op.getDpsInputOperands()) {
    if (!IsStaticMemrefOf(in->get(), IsOperandFloat)) return std::nullopt;
  }
  if (!IsMulAddBody(op)) return std::nullopt;
  c.ranges = op.getStaticLoopRanges();
  llvm::SmallVector<mlir::utils::IteratorType> iters = op.getIteratorTypesArray();
  int reductions = 0;
  for (unsigned d = 0; d < iters.size(); ++d) {
    if (mlir::ShapedType::isDynamic(c.ranges[d])) return std::nullopt;
    if (iters[d] == mlir::utils::IteratorType::reduction) ++reductions, c.dk = d;
  }
  if (reductions != 1 || iters.size() < 3) return std::nullopt;
  mlir::AffineMap out_map = op.getMatchingIndexingMap(out);
  if (!out_map.isProjectedPermutation() || out_map.getNumResults() != iters.size() - 1) return std::nullopt;
  c.dm = out_map.getDimPosition(out_map.getNumResults() - 2);
  c.dn = out_map.getDimPosition(out_map.getNumResults() - 1);
  for (unsigned r = 0; r + 2 < out_map.getNumResults(); ++r) c.batch_dims.push_back(out_map.getDimPosition(r));
  for (mlir::OpOperand* in : op.getDpsInputOperands()) {
    mlir::AffineMap map = op.getMatchingIndexingMap(in);
    if (!map.isProjectedPermutation() || !map.isFunctionOfDim(c.dk)) return std::nullopt;
    const bool reads_m = map.isFunctionOfDim(c.dm), reads_n = map.isFunctionOfDim(c.dn);
    if (reads_m && !reads_n && !c.a) {
      c.a = in;
    } else if (reads_n && !reads_m && !c.b) {
      c.b = in;
    } else {
      return std::nullopt;
    }
  }
  if (!c.a || !c.b) return std::nullopt;
  c.m = c.ranges[c.dm], c.n = c.ranges[c.dn], c.k = c.ranges[c.dk];
  for (unsigned d : c.batch_dims) c.batch *= c.ranges[d];
  return c;
}

// The linalg.fill of `out` with a constant right before `op` (constants and allocs between).
mlir::linalg::FillOp ConstantFillRightBefore(mlir::Operation* op, mlir::Value out) {
  mlir::linalg::FillOp fill = FillRightBefore(op, out);
  if (!fill || !fill.getDpsInputOperand(0)->get().getDefiningOp<mlir::arith::ConstantOp>()) return nullptr;
  return fill;
}

namespace {

bool WritesTo(mlir::Operation* op, mlir::Value root) {
  if (mlir::isa<mlir::arith::ConstantOp, mlir::memref::AllocOp, mlir::memref::GetGlobalOp, mlir::memref::ExpandShapeOp,
                mlir::memref::CollapseShapeOp>(op)) {
    return false;
  }
  if (auto launch = mlir::dyn_cast<mlir::gpu::LaunchOp>(op)) {  // a kernel built here: its stores
    bool writes = false;
    launch.getBody().walk([&](mlir::Operation* inner) {
      if (auto store = mlir::dyn_cast<mlir::memref::StoreOp>(inner)) writes |= Root(store.getMemRef()) == root;
      else if (auto vstore = mlir::dyn_cast<mlir::vector::StoreOp>(inner)) writes |= Root(vstore.getBase()) == root;
      else if (!mlir::isa<mlir::memref::LoadOp, mlir::vector::LoadOp>(inner) &&
               mlir::hasEffect<mlir::MemoryEffects::Write>(inner)) {
        writes = true;
      }
    });
    return writes;
  }
  auto linalg = mlir::dyn_cast<mlir::linalg::LinalgOp>(op);
  if (!linalg) return true;  // unknown: assume it does
  for (mlir::OpOperand& init : linalg.getDpsInitsMutable()) {
    if (Root(init.get()) == root) return true;
  }
  return false;
}

mlir::Operation* LastWriter(mlir::Operation* before, mlir::Value root) {
  for (mlir::Operation* p = before->getPrevNode(); p; p = p->getPrevNode()) {
    if (WritesTo(p, root)) return p;
  }
  return nullptr;
}

}  // namespace


Source SourceOf(Contraction& c, mlir::OpOperand* operand) {
  Source s{operand->get(), c.op.getMatchingIndexingMap(operand)};
  mlir::Value v = operand->get();
  if (!v.getDefiningOp<mlir::memref::AllocOp>()) return s;
  mlir::linalg::GenericOp producer;
  for (mlir::Operation* user : v.getUsers()) {
    if (user == c.op.getOperation()) continue;
    auto g = mlir::dyn_cast<mlir::linalg::GenericOp>(user);
    if (!g || producer) return s;
    producer = g;
  }
  if (!producer || producer->getBlock() != c.op->getBlock() || !producer->isBeforeInBlock(c.op)) return s;
  if (producer.getNumDpsInputs() != 1 || producer.getNumDpsInits() != 1 || producer->getNumResults() != 0) return s;
  if (producer.getDpsInitOperand(0)->get() != v || producer.getNumReductionLoops() != 0) return s;
  mlir::OpOperand* in = producer.getDpsInputOperand(0);
  if (!mlir::isa<mlir::MemRefType>(in->get().getType())) return s;
  if (!producer.getMatchingIndexingMap(producer.getDpsInitOperand(0)).isIdentity()) return s;
  mlir::AffineMap in_map = producer.getMatchingIndexingMap(in);
  if (!in_map.isPermutation()) return s;
  mlir::Block& body = producer.getRegion().front();
  if (std::distance(body.begin(), body.end()) != 1 || body.getTerminator()->getOperand(0) != body.getArgument(0)) return s;
  // The producer's input must still hold the same values when the contraction runs.
  const mlir::Value root = Root(in->get());
  for (mlir::Operation* op = producer->getNextNode(); op && op != c.op.getOperation(); op = op->getNextNode()) {
    if (WritesTo(op, root)) return s;
  }
  return Source{in->get(), in_map.compose(s.map), producer};
}


// C's init when every element of it is one constant: its last writer is a linalg.fill of the
// whole buffer with a constant, or a linalg.copy into the whole of C from a buffer whose last
// writer is one (CSE shares one zero fill between several matmuls; bufferization copies it).
void FindConstantInit(Contraction& c) {
  mlir::Value out = c.op.getDpsInitOperand(0)->get();
  if (Root(out) != out) return;
  mlir::Operation* writer = LastWriter(c.op, out);
  auto copy = mlir::dyn_cast_or_null<mlir::linalg::CopyOp>(writer);
  mlir::Value filled = out;
  if (copy) {
    if (copy.getDpsInitOperand(0)->get() != out) return;
    filled = copy.getDpsInputOperand(0)->get();
    if (Root(filled) != filled || filled.getType() != out.getType()) return;
    writer = LastWriter(copy, filled);
  }
  auto fill = mlir::dyn_cast_or_null<mlir::linalg::FillOp>(writer);
  if (!fill || fill.getDpsInitOperand(0)->get() != filled) return;
  mlir::Value value = fill.getDpsInputOperand(0)->get();
  if (!value.getDefiningOp<mlir::arith::ConstantOp>() || !value.getType().isF32()) return;
  c.init_value = value;
  c.init_copy = copy;
}

// A generic without inputs that writes one constant into the whole of a buffer (a broadcast
// zero, e.g. the other operand of Relu's max).
mlir::Value BroadcastConstant(mlir::Operation* op) {
  auto g = mlir::dyn_cast_or_null<mlir::linalg::GenericOp>(op);
  if (!g || g.getNumDpsInputs() != 0 || g.getNumDpsInits() != 1 || g->getNumResults() != 0) return {};
  if (!g.getMatchingIndexingMap(g.getDpsInitOperand(0)).isIdentity()) return {};
  mlir::Block& body = g.getRegion().front();
  if (std::distance(body.begin(), body.end()) != 1) return {};
  mlir::Value v = body.getTerminator()->getOperand(0);
  return v.getDefiningOp<mlir::arith::ConstantOp>() ? v : mlir::Value();
}

// The constant every element of `buffer` (a whole temp) holds right before `op`, else null.
mlir::Value ConstantContent(mlir::Operation* op, mlir::Value buffer) {
  if (Root(buffer) != buffer || !buffer.getDefiningOp<mlir::memref::AllocOp>()) return {};
  mlir::Operation* writer = LastWriter(op, buffer);
  if (auto fill = mlir::dyn_cast_or_null<mlir::linalg::FillOp>(writer)) {
    mlir::Value v = fill.getDpsInputOperand(0)->get();
    return fill.getDpsInitOperand(0)->get() == buffer && v.getDefiningOp<mlir::arith::ConstantOp>() ? v : mlir::Value();
  }
  if (mlir::Value v = BroadcastConstant(writer)) {
    return mlir::cast<mlir::linalg::GenericOp>(writer).getDpsInitOperand(0)->get() == buffer ? v : mlir::Value();
  }
  return {};
}

}  // namespace strata::gpu
