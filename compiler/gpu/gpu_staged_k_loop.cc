// See gpu_staged_k_loop.h.
#include "compiler/gpu/gpu_staged_k_loop.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace strata::gpu {

mlir::scf::ForOp EmitStagedKLoop(mlir::OpBuilder& b, mlir::Location loc, const StagedKLoop& loop, mlir::Value k_begin,
                                 mlir::Value k_end) {
  const IndexBuilder h{b, loc};
  loop.put(h, loop.fetch(h, k_begin), h.ci(0));
  b.create<mlir::gpu::BarrierOp>(loc);
  std::vector<mlir::Value> init = loop.init;
  init.push_back(h.ci(0));  // the buffer the step computes from
  return b.create<mlir::scf::ForOp>(
      loc, k_begin, k_end, h.ci(loop.tk), init,
      [&](mlir::OpBuilder& lb, mlir::Location l, mlir::Value k0, mlir::ValueRange carried) {
        const IndexBuilder lh{lb, l};
        mlir::Value buf = carried.back();
        mlir::Value k_next = lh.add(k0, loop.tk);
        if (loop.k_bound % loop.tk == 0) k_next = lh.min(k_next, loop.k_bound - loop.tk);
        std::vector<mlir::Value> next = loop.fetch(lh, k_next);
        std::vector<mlir::Value> acc(carried.begin(), carried.begin() + (carried.size() - 1));
        loop.compute(lh, buf, acc);
        mlir::Value other = lb.create<mlir::arith::SubIOp>(l, lh.ci(1), buf);
        mlir::Value more = lb.create<mlir::arith::CmpIOp>(l, mlir::arith::CmpIPredicate::ult, lh.add(k0, loop.tk), k_end);
        lb.create<mlir::scf::IfOp>(l, more, [&](mlir::OpBuilder& ib, mlir::Location il) {
          loop.put(IndexBuilder{ib, il}, next, other);
          ib.create<mlir::gpu::BarrierOp>(il);
          ib.create<mlir::scf::YieldOp>(il);
        });
        acc.push_back(other);
        lb.create<mlir::scf::YieldOp>(l, acc);
      });
}

}  // namespace strata::gpu
