// See gpu_mma_contraction.h.
#include "compiler/gpu/gpu_mma_contraction.h"

#include "compiler/gpu/gpu_staged_k_loop.h"

#include <array>

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace strata::gpu {

namespace {

using mlir::Value;

constexpr int64_t kWarpSize = 32, kWarpsM = 2, kWarpsN = 4, kMmaM = 16, kMmaN = 8;
constexpr int64_t kStepWords = 16;   // K words of a row per step
constexpr int64_t kChunkWords = 8;   // K words of a chunk: one MMA's K
constexpr int64_t kSlotWords = 4;    // what one lane holds of a chunk
constexpr int64_t kChunkSlots = kWarpSize;
constexpr int64_t kChunksPerRowBlock = kStepWords / kChunkWords;
constexpr int64_t kRowBlockWords = kMmaM * kStepWords;  // 16 rows of one step

using Builder = IndexBuilder;

// One operand's staging into its fragment-ordered shared tile [2][rows * 16 words].
class Stager {
 public:
  Stager(const MmaTiles& tiles, const TileOperand& op, int64_t rows) : tiles_(tiles), op_(op), rows_(rows) {
    auto type = mlir::cast<mlir::MemRefType>(op.src->buffer.getType());
    pair_loads_ = tiles.half() && op.src->ContiguousAlong(op.k_dim) && type.getLayout().isIdentity() && type.getRank() > 0 &&
                  type.getShape().back() % 2 == 0 && Root(op.src->buffer).getType() == op.src->buffer.getType();
  }

  int64_t per_thread() const { return rows_ * kStepWords / kSlotWords / kMmaThreads; }

  // Word v of the thread's slot s: its (row, K word) in the tile. Slot q = tid + 256 s is lane
  // q % 32 of chunk q / 32; a chunk is (row block, K half) = (chunk / 2, chunk % 2); v holds row
  // g + 8 (v % 2) and word t + 4 (v / 2), as the fragments a0..a3 do.
  std::pair<Value, Value> Position(const Builder& h, Value tid, int64_t s, int64_t v) const {
    Value q = h.add(tid, kMmaThreads * s);
    Value chunk = h.div(q, kChunkSlots), lane = h.rem(q, kChunkSlots);
    Value row = h.add(h.add(h.mul(h.div(chunk, kChunksPerRowBlock), kMmaM), h.div(lane, 4)), 8 * (v % 2));
    Value word = h.add(h.add(h.mul(h.rem(chunk, kChunksPerRowBlock), kChunkWords), h.rem(lane, 4)), 4 * (v / 2));
    return {row, word};
  }

  // The 4 words of slot s of the tile at K origin k0 (a vector<4xf32> / vector<4xi32>).
  Value Fetch(const Builder& h, Value tid, int64_t s, Value k0, const std::vector<Value>& base_dims) const {
    const int64_t pack = tiles_.half() ? 2 : 1;
    const bool check_k = op_.k_bound % tiles_.tk() != 0, check_x = op_.x_bound % rows_ != 0;
    const mlir::Type f32 = h.b.getF32Type();
    const mlir::Type word_type = tiles_.half() ? mlir::Type(h.b.getI32Type()) : f32;
    auto vec_type = mlir::VectorType::get({kSlotWords}, word_type);
    Value vec = h.b.create<mlir::arith::ConstantOp>(h.loc, h.b.getZeroAttr(vec_type));
    for (int64_t v = 0; v < kSlotWords; ++v) {
      auto [row, word] = Position(h, tid, s, v);
      Value gx = h.add(op_.x0, row);
      if (pair_loads_) {
        vec = h.b.create<mlir::vector::InsertOp>(h.loc, FetchPair(h, gx, h.add(k0, h.mul(word, 2)), base_dims), vec, v);
        continue;
      }
      std::array<Value, 2> halves{};
      for (int64_t p = 0; p < pack; ++p) {
        Value gk = h.add(k0, pack == 1 ? word : h.add(h.mul(word, pack), p));
        std::vector<Value> dims = base_dims;
        Value in;
        GuardIndex(h.b, h.loc, dims, in, gx, op_.x_dim, op_.x_bound, check_x);
        GuardIndex(h.b, h.loc, dims, in, gk, op_.k_dim, op_.k_bound, check_k);
        Value e = h.b.create<mlir::memref::LoadOp>(h.loc, op_.src->buffer, ApplyMap(h.b, h.loc, op_.src->map, dims));
        const bool widen = IsHalfFloat(e.getType()) && !tiles_.half();
        if (widen) e = h.b.create<mlir::arith::ExtFOp>(h.loc, f32, e);
        if (in) e = h.b.create<mlir::arith::SelectOp>(h.loc, in, e, h.b.create<mlir::arith::ConstantOp>(h.loc, h.b.getZeroAttr(e.getType())));
        // A widened half is a TF32 value already.
        if (!tiles_.half() && !widen) e = RoundToTf32(h.b, h.loc, e);
        halves[static_cast<size_t>(p)] = e;
      }
      Value w = pack == 1 ? halves[0] : PackPair(h.b, h.loc, halves[0], halves[1]);
      vec = h.b.create<mlir::vector::InsertOp>(h.loc, w, vec, v);
    }
    return vec;
  }

  // The two halves at K gk, gk + 1 of row gx as one 32-bit load (an i32, `lo` the first):
  // adjacent in the source, 4-byte aligned since gk is even and so is the row length.
  Value FetchPair(const Builder& h, Value gx, Value gk, const std::vector<Value>& base_dims) const {
    std::vector<Value> dims = base_dims;
    Value in;
    GuardIndex(h.b, h.loc, dims, in, gx, op_.x_dim, op_.x_bound, op_.x_bound % rows_ != 0);
    GuardIndex(h.b, h.loc, dims, in, gk, op_.k_dim, op_.k_bound, op_.k_bound % tiles_.tk() != 0, 2);
    const mlir::Type element = mlir::cast<mlir::MemRefType>(op_.src->buffer.getType()).getElementType();
    Value pair = h.b.create<mlir::vector::LoadOp>(h.loc, mlir::VectorType::get({2}, element), op_.src->buffer,
                                                  ApplyMap(h.b, h.loc, op_.src->map, dims));
    Value word = h.b.create<mlir::vector::BitCastOp>(h.loc, mlir::VectorType::get({1}, h.b.getI32Type()), pair);
    word = h.b.create<mlir::vector::ExtractOp>(h.loc, word, 0);
    if (!in) return word;
    return h.b.create<mlir::arith::SelectOp>(h.loc, in, word, h.b.create<mlir::arith::ConstantIntOp>(h.loc, 0, 32));
  }

  // Slot s into shared buffer `buf`: one 16-byte store at the slot's place, q * 4 words.
  void Put(const Builder& h, Value tid, int64_t s, Value buf, Value slot) const {
    Value at = h.mul(h.add(tid, kMmaThreads * s), kSlotWords);
    h.b.create<mlir::vector::StoreOp>(h.loc, slot, op_.tile, mlir::ValueRange{buf, at});
  }

 private:
  const MmaTiles& tiles_;
  const TileOperand& op_;
  int64_t rows_;
  bool pair_loads_ = false;  // 16-bit pairs adjacent in the source: one 32-bit load each
};

// One mma.sync: acc (4 f32) += a (4 registers) x b (2 registers). Registers are 32-bit words
// (TF32 values as f32, half pairs as i32) converted to what the instruction takes.
void EmitMma(const Builder& h, MmaOperands operands, const std::array<Value, 4>& a, const std::array<Value, 2>& bv,
             Value* acc) {
  mlir::OpBuilder& b = h.b;
  const mlir::Type f32 = b.getF32Type(), i32 = b.getI32Type();
  auto result_type = mlir::LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  Value mma;
  if (operands == MmaOperands::kBf16) {
    const Value ops[] = {a[0], a[1], a[2], a[3], bv[0], bv[1], acc[0], acc[1], acc[2], acc[3]};
    mma = b.create<mlir::LLVM::InlineAsmOp>(h.loc, result_type, ops, kMmaBf16Asm, kMmaBf16AsmConstraints,
                                            /*has_side_effects=*/false, /*is_align_stack=*/false,
                                            mlir::LLVM::AsmDialectAttr(), mlir::ArrayAttr())
              .getResult(0);
  } else {
    const bool f16 = operands == MmaOperands::kF16;
    const mlir::Type reg = f16 ? mlir::Type(mlir::VectorType::get({2}, b.getF16Type())) : i32;
    auto as_reg = [&](Value v) -> Value {
      if (v.getType().isF32()) return b.create<mlir::arith::BitcastOp>(h.loc, i32, v);
      return b.create<mlir::LLVM::BitcastOp>(h.loc, reg, v);  // an i32 pair as f16x2
    };
    llvm::SmallVector<Value, 4> ra, rb;
    for (Value v : a) ra.push_back(as_reg(v));
    for (Value v : bv) rb.push_back(as_reg(v));
    const mlir::NVVM::MMATypes type = f16 ? mlir::NVVM::MMATypes::f16 : mlir::NVVM::MMATypes::tf32;
    mma = b.create<mlir::NVVM::MmaOp>(h.loc, result_type, ra, rb, mlir::ValueRange{acc[0], acc[1], acc[2], acc[3]},
                                      llvm::ArrayRef<int64_t>{kMmaM, kMmaN, f16 ? 16 : 8}, std::nullopt, std::nullopt,
                                      std::array<mlir::NVVM::MMATypes, 2>{type, type},
                                      std::array<mlir::NVVM::MMALayout, 2>{mlir::NVVM::MMALayout::row, mlir::NVVM::MMALayout::col});
  }
  for (int64_t v = 0; v < 4; ++v) acc[v] = b.create<mlir::LLVM::ExtractValueOp>(h.loc, mma, llvm::ArrayRef<int64_t>{v});
}

}  // namespace

std::pair<mlir::MemRefType, mlir::MemRefType> MmaSharedTileTypes(mlir::MLIRContext* ctx, const MmaTiles& tiles) {
  const mlir::Type word = tiles.half() ? mlir::Type(mlir::IntegerType::get(ctx, 32)) : mlir::Float32Type::get(ctx);
  auto tile = [&](int64_t rows) { return SharedMemRefType(ctx, {2, rows * kStepWords}, word); };
  return {tile(tiles.tm), tile(tiles.tn)};
}

BlockSums EmitMmaMainLoop(mlir::OpBuilder& b, mlir::Location loc, const MmaTiles& tiles, const TileOperand& a,
                          const TileOperand& bop, const std::vector<Value>& base_dims, Value tid, Value k_begin,
                          Value k_end) {
  const Builder h{b, loc};
  const Stager stage_a(tiles, a, tiles.tm), stage_b(tiles, bop, tiles.tn);
  const int64_t warp_tm = tiles.tm / kWarpsM, warp_tn = tiles.tn / kWarpsN;
  const int64_t tiles_m = warp_tm / kMmaM, tiles_n = warp_tn / kMmaN;  // the warp's mma tiles
  Value lane = h.rem(tid, kWarpSize), warp = h.div(tid, kWarpSize);
  Value group = h.div(lane, 4), in_group = h.rem(lane, 4);
  Value warp_m0 = h.mul(h.div(warp, kWarpsN), warp_tm), warp_n0 = h.mul(h.rem(warp, kWarpsN), warp_tn);
  // The lane's slot in the warp's first chunk of A and of B: row block warp_x0 / 16, K half 0.
  Value a_slot = h.add(h.mul(warp_m0, kStepWords), h.mul(lane, kSlotWords));
  Value b_slot = h.add(h.mul(warp_n0, kStepWords), h.mul(lane, kSlotWords));

  const mlir::Type word_type = tiles.half() ? mlir::Type(b.getI32Type()) : b.getF32Type();
  auto vec_type = mlir::VectorType::get({kSlotWords}, word_type);
  StagedKLoop staged;
  staged.tk = tiles.tk();
  staged.k_bound = a.k_bound;
  staged.init.assign(static_cast<size_t>(tiles_m * tiles_n * 4), b.create<mlir::arith::ConstantOp>(loc, b.getF32FloatAttr(0.0f)));
  StageBothTiles(staged, stage_a, stage_b, tid, base_dims);
  staged.compute = [&](const Builder& lh, Value buf, std::vector<Value>& acc) {
    auto slot = [&](Value tile, Value first, int64_t offset) {
      Value v = lh.b.create<mlir::vector::LoadOp>(lh.loc, vec_type, tile, mlir::ValueRange{buf, lh.add(first, offset)});
      std::array<Value, 4> words;
      for (int64_t i = 0; i < 4; ++i) words[static_cast<size_t>(i)] = lh.b.create<mlir::vector::ExtractOp>(lh.loc, v, i);
      return words;
    };
    for (int64_t half = 0; half < kChunksPerRowBlock; ++half) {
      const int64_t chunk_offset = half * kChunkSlots * kSlotWords;
      // A B slot covers two 8-column mma tiles: b0, b1 of the first at words 0, 2, of the
      // second at 1, 3. All of the warp's B fragments, then one row of A tiles at a time
      // (fewer live registers: the accumulators and the next tiles' slots take most).
      std::vector<std::array<Value, 2>> bf;
      for (int64_t j = 0; j < tiles_n / 2; ++j) {
        std::array<Value, 4> w = slot(bop.tile, b_slot, j * kRowBlockWords + chunk_offset);
        bf.push_back({w[0], w[2]});
        bf.push_back({w[1], w[3]});
      }
      for (int64_t i = 0; i < tiles_m; ++i) {
        const std::array<Value, 4> af = slot(a.tile, a_slot, i * kRowBlockWords + chunk_offset);
        for (int64_t j = 0; j < tiles_n; ++j) {
          EmitMma(lh, tiles.operands, af, bf[static_cast<size_t>(j)], &acc[static_cast<size_t>((i * tiles_n + j) * 4)]);
        }
      }
    }
  };
  mlir::scf::ForOp loop = EmitStagedKLoop(b, loc, staged, k_begin, k_end);

  if (tiles.tm * tiles.tn >= 128 * 128) loop->setAttr(kMinBlocksPerSmAttr, b.getI32IntegerAttr(2));
  // The C fragment of each mma tile: c0, c1 at (g, 2t), (g, 2t + 1); c2, c3 eight rows below.
  BlockSums out;
  Value col_in_tile = h.mul(in_group, 2);
  for (int64_t i = 0; i < tiles_m; ++i) {
    for (int64_t j = 0; j < tiles_n; ++j) {
      for (int64_t v = 0; v < 4; ++v) {
        out.sums.push_back(loop.getResult(static_cast<unsigned>((i * tiles_n + j) * 4 + v)));
        out.slots.push_back({h.add(warp_m0, h.add(group, i * kMmaM + (v / 2) * 8)),
                             h.add(warp_n0, h.add(col_in_tile, j * kMmaN + v % 2))});
      }
    }
  }
  return out;
}

Value RoundToTf32(mlir::OpBuilder& b, mlir::Location loc, Value v) {
  auto i32c = [&](int64_t x) -> Value { return b.create<mlir::arith::ConstantIntOp>(loc, x, 32); };
  Value bits = b.create<mlir::arith::BitcastOp>(loc, b.getI32Type(), v);
  Value exponent = b.create<mlir::arith::AndIOp>(loc, bits, i32c(0x7F800000));
  Value finite = b.create<mlir::arith::CmpIOp>(loc, mlir::arith::CmpIPredicate::ne, exponent, i32c(0x7F800000));
  Value rounded = b.create<mlir::arith::AndIOp>(loc, b.create<mlir::arith::AddIOp>(loc, bits, i32c(0x1000)),
                                                i32c(static_cast<int32_t>(0xFFFFE000u)));
  return b.create<mlir::arith::BitcastOp>(loc, b.getF32Type(), b.create<mlir::arith::SelectOp>(loc, finite, rounded, bits));
}

Value PackPair(mlir::OpBuilder& b, mlir::Location loc, Value lo, Value hi) {
  const mlir::Type i16 = b.getI16Type(), i32 = b.getI32Type();
  auto widened = [&](Value v) -> Value {
    return b.create<mlir::arith::ExtUIOp>(loc, i32, b.create<mlir::arith::BitcastOp>(loc, i16, v));
  };
  Value high = b.create<mlir::arith::ShLIOp>(loc, widened(hi), b.create<mlir::arith::ConstantIntOp>(loc, 16, 32));
  return b.create<mlir::arith::OrIOp>(loc, widened(lo), high);
}

}  // namespace strata::gpu
