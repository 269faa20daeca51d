// See gpu_fma_contraction.h.
#include "compiler/gpu/gpu_fma_contraction.h"

#include <array>

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace strata::gpu {

namespace {

constexpr int64_t kVec = 4;                   // elements per staging group and per fragment load
constexpr int64_t kThreadsX = 16;             // tid = ty * 16 + tx
constexpr int64_t kPad = 4;                   // floats per shared row beyond the tile's (keeps 16-byte rows)
constexpr int64_t kGroupSpan = 64;            // a thread's rows (columns) come in groups of 4, 64 apart
// 128 x 128 tiles when there are at least this many (about half an H100's SMs; split-K then
// doubles them): fewer would leave SMs idle that 64 x 64 tiles keep busy.
constexpr int64_t kMinLargeTiles = 64;

using mlir::Value;

struct Builder {
  mlir::OpBuilder& b;
  mlir::Location loc;
  Value ci(int64_t v) const { return b.create<mlir::arith::ConstantIndexOp>(loc, v); }
  Value add(Value x, Value y) const { return b.create<mlir::arith::AddIOp>(loc, x, y); }
  Value add(Value x, int64_t y) const { return y == 0 ? x : add(x, ci(y)); }
  Value mul(Value x, int64_t y) const { return b.create<mlir::arith::MulIOp>(loc, x, ci(y)); }
  Value div(Value x, int64_t y) const { return b.create<mlir::arith::DivUIOp>(loc, x, ci(y)); }
  Value rem(Value x, int64_t y) const { return b.create<mlir::arith::RemUIOp>(loc, x, ci(y)); }
  Value min(Value x, int64_t y) const { return b.create<mlir::arith::MinUIOp>(loc, x, ci(y)); }
};

// Whether the source's elements along its last index can be read 16 bytes at a time: an f32
// buffer with an identity layout (so it starts where its allocation does, 256-byte aligned)
// whose last dimension is a multiple of 4 (so every row is 16-byte aligned too).
bool VectorLoadable(const Source& src) {
  auto type = mlir::cast<mlir::MemRefType>(src.buffer.getType());
  return type.getElementType().isF32() && type.getLayout().isIdentity() && type.getRank() > 0 &&
         type.getShape().back() % kVec == 0 && Root(src.buffer).getType() == src.buffer.getType();
}

// One operand's staging from global memory into its shared tile [2][tk][x + kPad].
class Stager {
 public:
  Stager(const FmaTiles& tiles, const FmaOperand& op, int64_t x_extent)
      : op_(op), tk_(tiles.tk), x_(x_extent), along_k_(op.src->ContiguousAlong(op.k_dim)) {
    vector_load_ = VectorLoadable(*op.src) && op.src->ContiguousAlong(along_k_ ? op.k_dim : op.x_dim);
  }

  int64_t groups_per_thread() const { return tk_ * x_ / kVec / kFmaThreads; }

  // The thread's group s: (k, x) of its first element in the tile. Along x, consecutive lanes
  // take consecutive groups of a row. Along K, lane pairs take the two groups of 8 adjacent K
  // (one 32-byte sector of the source), and the pairs consecutive x: the 4 stores of a warp
  // then land on rows 4 apart, 16 words apart in banks with the padding, so 32 banks.
  std::pair<Value, Value> Position(const Builder& h, Value tid, int64_t s) const {
    Value v = h.add(tid, kFmaThreads * s);
    if (!along_k_) return {h.div(v, x_ / kVec), h.mul(h.rem(v, x_ / kVec), kVec)};
    Value kq = h.add(h.rem(v, 2), h.mul(h.div(v, 2 * x_), 2));
    return {h.mul(kq, kVec), h.rem(h.div(v, 2), x_)};
  }

  // The 4 elements of group s of the tile at K origin k0, as one vector<4xf32>; zeros past the
  // operand's bounds (addresses clamped so every load stays inside the buffer).
  Value Fetch(const Builder& h, Value tid, int64_t s, Value k0, const std::vector<Value>& base_dims) const {
    auto [k, x] = Position(h, tid, s);
    Value gk = h.add(k0, k), gx = h.add(op_.x0, x);
    const bool check_k = op_.k_bound % tk_ != 0, check_x = op_.x_bound % x_ != 0;
    const mlir::Type f32 = h.b.getF32Type();
    auto vec_type = mlir::VectorType::get({kVec}, f32);
    Value zero_vec = h.b.create<mlir::arith::ConstantOp>(h.loc, mlir::DenseElementsAttr::get(vec_type, 0.0f));
    if (vector_load_) {
      // Bounds along the group: the group is wholly in or out (the dimension and the group's
      // start are multiples of 4); clamped to the last group.
      std::vector<Value> dims = base_dims;
      Value in;
      GuardIndex(h.b, h.loc, dims, in, gk, op_.k_dim, op_.k_bound, check_k, along_k_ ? kVec : 1);
      GuardIndex(h.b, h.loc, dims, in, gx, op_.x_dim, op_.x_bound, check_x, along_k_ ? 1 : kVec);
      Value v = h.b.create<mlir::vector::LoadOp>(h.loc, vec_type, op_.src->buffer, ApplyMap(h.b, h.loc, op_.src->map, dims));
      return in ? h.b.create<mlir::arith::SelectOp>(h.loc, in, v, zero_vec).getResult() : v;
    }
    Value vec = zero_vec;
    for (int64_t i = 0; i < kVec; ++i) {
      std::vector<Value> dims = base_dims;
      Value in;
      GuardIndex(h.b, h.loc, dims, in, along_k_ ? h.add(gk, i) : gk, op_.k_dim, op_.k_bound, check_k);
      GuardIndex(h.b, h.loc, dims, in, along_k_ ? gx : h.add(gx, i), op_.x_dim, op_.x_bound, check_x);
      Value e = h.b.create<mlir::memref::LoadOp>(h.loc, op_.src->buffer, ApplyMap(h.b, h.loc, op_.src->map, dims));
      if (IsHalfFloat(e.getType())) e = h.b.create<mlir::arith::ExtFOp>(h.loc, f32, e);
      if (in) e = h.b.create<mlir::arith::SelectOp>(h.loc, in, e, h.b.create<mlir::arith::ConstantOp>(h.loc, h.b.getF32FloatAttr(0.0f)));
      vec = h.b.create<mlir::vector::InsertOp>(h.loc, e, vec, i);
    }
    return vec;
  }

  // Group s into shared buffer `buf`: one 16-byte store along x, 4 words along K.
  void Put(const Builder& h, Value tid, int64_t s, Value buf, Value group) const {
    auto [k, x] = Position(h, tid, s);
    if (!along_k_) {
      h.b.create<mlir::vector::StoreOp>(h.loc, group, op_.tile, mlir::ValueRange{buf, k, x});
      return;
    }
    for (int64_t i = 0; i < kVec; ++i) {
      Value e = h.b.create<mlir::vector::ExtractOp>(h.loc, group, i);
      h.b.create<mlir::memref::StoreOp>(h.loc, e, op_.tile, mlir::ValueRange{buf, h.add(k, i), x});
    }
  }

 private:
  const FmaOperand& op_;
  int64_t tk_, x_;
  bool along_k_;
  bool vector_load_ = false;
};

}  // namespace

FmaTiles FmaTilesFor(int64_t m, int64_t n, int64_t batch) {
  // 4 elements per thread per operand and step: 128 x 8, 64 x 16.
  if ((m + 127) / 128 * ((n + 127) / 128) * batch >= kMinLargeTiles) return FmaTiles{128, 128, 8};
  return FmaTiles{64, 64, 16};
}

std::pair<mlir::MemRefType, mlir::MemRefType> FmaSharedTileTypes(mlir::MLIRContext* ctx, const FmaTiles& t) {
  const mlir::Attribute workgroup = mlir::gpu::AddressSpaceAttr::get(ctx, mlir::gpu::AddressSpace::Workgroup);
  auto tile = [&](int64_t x) {
    return mlir::MemRefType::get({2, t.tk, x + kPad}, mlir::Float32Type::get(ctx), mlir::MemRefLayoutAttrInterface(),
                                 workgroup);
  };
  return {tile(t.tm), tile(t.tn)};
}

BlockSums EmitFmaMainLoop(mlir::OpBuilder& b, mlir::Location loc, const FmaTiles& tiles, const FmaOperand& a,
                            const FmaOperand& bop, const std::vector<Value>& base_dims, Value tid, Value k_begin,
                            Value k_end) {
  const Builder h{b, loc};
  const Stager stage_a(tiles, a, tiles.tm), stage_b(tiles, bop, tiles.tn);
  const int64_t rows = tiles.tm / kThreadsX, cols = tiles.tn / kThreadsX;  // the thread's outputs
  Value tx = h.rem(tid, kThreadsX), ty = h.div(tid, kThreadsX);
  // Output row i of the thread: 64 * (i / 4) + 4 ty + i % 4 (columns alike with tx).
  auto offset = [&](Value t, int64_t i) { return h.add(h.mul(t, kVec), kGroupSpan * (i / kVec) + i % kVec); };

  // Both tiles' groups: loaded from global memory, stored into a shared buffer.
  auto fetch_all = [&](const Builder& at, Value k0) {
    std::vector<Value> groups;
    for (const Stager* st : {&stage_a, &stage_b}) {
      for (int64_t s = 0; s < st->groups_per_thread(); ++s) groups.push_back(st->Fetch(at, tid, s, k0, base_dims));
    }
    return groups;
  };
  auto put_all = [&](const Builder& at, const std::vector<Value>& groups, Value buf) {
    size_t g = 0;
    for (const Stager* st : {&stage_a, &stage_b}) {
      for (int64_t s = 0; s < st->groups_per_thread(); ++s) st->Put(at, tid, s, buf, groups[g++]);
    }
  };

  put_all(h, fetch_all(h, k_begin), h.ci(0));
  b.create<mlir::gpu::BarrierOp>(loc);
  Value zero = b.create<mlir::arith::ConstantOp>(loc, b.getF32FloatAttr(0.0f));
  std::vector<Value> init(static_cast<size_t>(rows * cols), zero);
  init.push_back(h.ci(0));  // the buffer the step computes from
  const auto contract = mlir::arith::FastMathFlagsAttr::get(b.getContext(), mlir::arith::FastMathFlags::contract);
  auto vec_type = mlir::VectorType::get({kVec}, b.getF32Type());

  auto loop = b.create<mlir::scf::ForOp>(
      loc, k_begin, k_end, h.ci(tiles.tk), init,
      [&](mlir::OpBuilder& lb, mlir::Location l, Value k0, mlir::ValueRange carried) {
        const Builder lh{lb, l};
        Value buf = carried.back();
        // The next tiles' loads first: their latency hides behind this step's FMAs. Where the
        // tiles divide K the loads are unchecked, so the last step re-reads the last tile.
        Value k_next = lh.add(k0, tiles.tk);
        if (a.k_bound % tiles.tk == 0) k_next = lh.min(k_next, a.k_bound - tiles.tk);
        std::vector<Value> next = fetch_all(lh, k_next);
        std::vector<Value> acc(carried.begin(), carried.begin() + (carried.size() - 1));
        for (int64_t kk = 0; kk < tiles.tk; ++kk) {
          Value kv = lh.ci(kk);
          auto fragment = [&](Value tile, Value t, int64_t count) {
            std::vector<Value> values;
            for (int64_t g = 0; g < count / kVec; ++g) {
              Value v = lb.create<mlir::vector::LoadOp>(l, vec_type, tile, mlir::ValueRange{buf, kv, lh.add(lh.mul(t, kVec), kGroupSpan * g)});
              for (int64_t i = 0; i < kVec; ++i) values.push_back(lb.create<mlir::vector::ExtractOp>(l, v, i));
            }
            return values;
          };
          std::vector<Value> av = fragment(a.tile, ty, rows), bv = fragment(bop.tile, tx, cols);
          for (int64_t i = 0; i < rows; ++i) {
            for (int64_t j = 0; j < cols; ++j) {
              Value p = lb.create<mlir::arith::MulFOp>(l, av[i], bv[j], contract);
              acc[i * cols + j] = lb.create<mlir::arith::AddFOp>(l, acc[i * cols + j], p, contract);
            }
          }
        }
        Value other = lb.create<mlir::arith::SubIOp>(l, lh.ci(1), buf);
        put_all(lh, next, other);
        lb.create<mlir::gpu::BarrierOp>(l);
        acc.push_back(other);
        lb.create<mlir::scf::YieldOp>(l, acc);
      });

  if (tiles.tm * tiles.tn >= 128 * 128) loop->setAttr(kMinBlocksPerSmAttr, b.getI32IntegerAttr(2));
  BlockSums out;
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      out.sums.push_back(loop.getResult(static_cast<unsigned>(i * cols + j)));
      out.slots.push_back({offset(ty, i), offset(tx, j)});
    }
  }
  return out;
}

}  // namespace strata::gpu
