// The K loop that the tiled contraction kernels' main loops share (gpu_fma_contraction.h,
// gpu_mma_contraction.h): operand tiles staged from global memory through registers into two
// shared buffers, so that each step needs one barrier:
//
//   stage tiles at k_begin into buffer 0; barrier
//   for k0 in [k_begin, k_end) step tk:
//     load the next tiles (k0 + tk) into registers   -- latency hidden behind the products
//     compute from buffer `buf`
//     if k0 + tk < k_end: store them into 1 - buf; barrier   -- block-uniform branch
//
// A warp still computing from `buf` is never overwritten: the store into `buf` comes a step
// later, after the barrier every thread meets once it is done with it.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace strata::gpu {

// Index arithmetic at one insertion point (kernels' address computations).
struct IndexBuilder {
  mlir::OpBuilder& b;
  mlir::Location loc;
  mlir::Value ci(int64_t v) const { return b.create<mlir::arith::ConstantIndexOp>(loc, v); }
  mlir::Value add(mlir::Value x, mlir::Value y) const { return b.create<mlir::arith::AddIOp>(loc, x, y); }
  mlir::Value add(mlir::Value x, int64_t y) const { return y == 0 ? x : add(x, ci(y)); }
  mlir::Value mul(mlir::Value x, int64_t y) const { return b.create<mlir::arith::MulIOp>(loc, x, ci(y)); }
  mlir::Value div(mlir::Value x, int64_t y) const { return b.create<mlir::arith::DivUIOp>(loc, x, ci(y)); }
  mlir::Value rem(mlir::Value x, int64_t y) const { return b.create<mlir::arith::RemUIOp>(loc, x, ci(y)); }
  mlir::Value min(mlir::Value x, int64_t y) const { return b.create<mlir::arith::MinUIOp>(loc, x, ci(y)); }
};

struct StagedKLoop {
  int64_t tk = 0;       // K per step
  int64_t k_bound = 0;  // the contraction's K: where tk divides it, the last prefetch re-reads
                        // the last tile (the loads are unchecked along K) instead of running past
  std::vector<mlir::Value> init;  // the accumulators' initial values
  // The thread's share of both tiles at K origin k0, loaded from global memory.
  std::function<std::vector<mlir::Value>(const IndexBuilder&, mlir::Value k0)> fetch;
  // Those values stored into shared buffer `buf` (an index, 0 or 1).
  std::function<void(const IndexBuilder&, const std::vector<mlir::Value>&, mlir::Value buf)> put;
  // One step's products from buffer `buf` into `acc`.
  std::function<void(const IndexBuilder&, mlir::Value buf, std::vector<mlir::Value>& acc)> compute;
};

// Emits the loop at `b`'s insertion point; its first init.size() results are the sums.
mlir::scf::ForOp EmitStagedKLoop(mlir::OpBuilder& b, mlir::Location loc, const StagedKLoop& loop, mlir::Value k_begin,
                                 mlir::Value k_end);

// StagedKLoop::fetch and ::put over the tiles of A and B, each staged by a `Stager` with
// per_thread() units, Fetch(h, tid, s, k0, base_dims) and Put(h, tid, s, buf, value).
template <typename Stager>
void StageBothTiles(StagedKLoop& loop, const Stager& a, const Stager& b, mlir::Value tid,
                    const std::vector<mlir::Value>& base_dims) {
  loop.fetch = [&a, &b, tid, &base_dims](const IndexBuilder& h, mlir::Value k0) {
    std::vector<mlir::Value> values;
    for (const Stager* st : {&a, &b}) {
      for (int64_t s = 0; s < st->per_thread(); ++s) values.push_back(st->Fetch(h, tid, s, k0, base_dims));
    }
    return values;
  };
  loop.put = [&a, &b, tid](const IndexBuilder& h, const std::vector<mlir::Value>& values, mlir::Value buf) {
    size_t i = 0;
    for (const Stager* st : {&a, &b}) {
      for (int64_t s = 0; s < st->per_thread(); ++s) st->Put(h, tid, s, buf, values[i++]);
    }
  };
}

}  // namespace strata::gpu
