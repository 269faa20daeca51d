// See gpu_fma_contraction.h.
#include "compiler/gpu/gpu_fma_contraction.h"

#include "compiler/gpu/gpu_staged_k_loop.h"

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

using Builder = IndexBuilder;

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
  Stager(const FmaTiles& tiles, const TileOperand& op, int64_t x_extent)
      : op_(op), tk_(tiles.tk), x_(x_extent), along_k_(op.src->ContiguousAlong(op.k_dim)) {
    vector_load_ = VectorLoadable(*op.src) && op.src->ContiguousAlong(along_k_ ? op.k_dim : op.x_dim);
  }

  int64_t per_thread() const { return tk_ * x_ / kVec / kFmaThreads; }

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
  const TileOperand& op_;
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
  auto tile = [&](int64_t x) { return SharedMemRefType(ctx, {2, t.tk, x + kPad}, mlir::Float32Type::get(ctx)); };
  return {tile(t.tm), tile(t.tn)};
}

BlockSums EmitFmaMainLoop(mlir::OpBuilder& b, mlir::Location loc, const FmaTiles& tiles, const TileOperand& a,
                            const TileOperand& bop, const std::vector<Value>& base_dims, Value tid, Value k_begin,
                            Value k_end) {
  const Builder h{b, loc};
  const Stager stage_a(tiles, a, tiles.tm), stage_b(tiles, bop, tiles.tn);
  const int64_t rows = tiles.tm / kThreadsX, cols = tiles.tn / kThreadsX;  // the thread's outputs
  Value tx = h.rem(tid, kThreadsX), ty = h.div(tid, kThreadsX);
  // Output row i of the thread: 64 * (i / 4) + 4 ty + i % 4 (columns alike with tx).
  auto offset = [&](Value t, int64_t i) { return h.add(h.mul(t, kVec), kGroupSpan * (i / kVec) + i % kVec); };

  const auto contract = mlir::arith::FastMathFlagsAttr::get(b.getContext(), mlir::arith::FastMathFlags::contract);
  auto vec_type = mlir::VectorType::get({kVec}, b.getF32Type());
  StagedKLoop staged;
  staged.tk = tiles.tk;
  staged.k_bound = a.k_bound;
  staged.init.assign(static_cast<size_t>(rows * cols), b.create<mlir::arith::ConstantOp>(loc, b.getF32FloatAttr(0.0f)));
  StageBothTiles(staged, stage_a, stage_b, tid, base_dims);
  staged.compute = [&](const Builder& lh, Value buf, std::vector<Value>& acc) {
    mlir::OpBuilder& lb = lh.b;
    const mlir::Location l = lh.loc;
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
  };
  mlir::scf::ForOp loop = EmitStagedKLoop(b, loc, staged, k_begin, k_end);

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
