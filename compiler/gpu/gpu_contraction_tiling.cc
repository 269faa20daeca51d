// See gpu_contraction_tiling.h.
#include "compiler/gpu/gpu_contraction_tiling.h"
#include "compiler/gpu/gpu_contraction_match.h"
#include "compiler/gpu/gpu_fma_contraction.h"
#include "compiler/gpu/gpu_warpgroup_mma.h"

#include <algorithm>
#include <array>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace strata::gpu {

namespace {

// The tensor-core kernels: 8 warps as 2 (M) x 4 (N), each warp tiles its part of C with
// mma.sync.m16n8k8 (TF32) or m16n8k16 (f16, bf16): 16 x 8 outputs per instruction.
constexpr int64_t kWarpSize = 32, kWarpsM = 2, kWarpsN = 4, kMmaM = 16, kMmaN = 8;

// What computes the products.
enum class Unit {
  kFma,   // CUDA-core FMAs in f32
  kTf32,  // mma.sync.m16n8k8 on TF32 operands (f32 rounded, or a mix with 16-bit ones)
  kHalf,  // mma.sync.m16n8k16 on f16 or bf16 operands (both of one type), as they are
};

// One block's share of C and how it is computed.
struct TileConfig {
  int64_t tm, tn, tk;    // the block's tile of C, and K per step through shared memory
  int64_t threads;
  // Tensor cores: shared tile rows are longer by this many elements against bank conflicts (the
  // 16-bit kernel: each pair of rows, see TileIndices). The f32 kernel pads its own tiles.
  int64_t pad_a, pad_b;
  Unit unit;
  bool wgmma = false;    // sm_90a: wgmma.mma_async per warpgroup instead of mma.sync per warp
  bool tensor_cores() const { return unit != Unit::kFma; }
  int64_t mma_k() const { return unit == Unit::kHalf ? 16 : 8; }
  // Operand elements per shared-tile element: a 16-bit kernel's tiles hold K pairs as 32 bits.
  int64_t pack() const { return unit == Unit::kHalf ? 2 : 1; }
  // Whether the B tile is stored [n][k] (K pairs adjacent; wgmma reads both operands K-major)
  // rather than [k][n].
  bool b_transposed() const { return pack() > 1 || wgmma; }
  // wgmma's tiles: core matrices of 8 rows x 4 words (16 bytes) along K, `core_chunks` of them
  // per 8 rows, `lbo_words` apart (the descriptor's leading byte offset), each 8 rows
  // `sbo_words` after the previous ones (its stride byte offset). 40 / 36 words rather than 32:
  // the 32 lanes of a warp staging 2 rows x 16 words or 1 row x 32 words store to 32 banks.
  int64_t core_chunks() const { return tk / pack() / 4; }
  int64_t lbo_words() const { return core_chunks() <= 4 ? 40 : 36; }
  int64_t sbo_words() const { return core_chunks() * lbo_words(); }
};

// Where element (row, col) of a tensor-core tile (`b_tile`: B's, else A's) is stored. wgmma's are flat, core matrix (row / 8,
// col / 4) at row / 8 * sbo_words + col / 4 * lbo_words, its row row % 8 of 4 words. The
// mma.sync tiles are laid out so that both the fragment loads and every staging pattern reach
// 32 banks (gpu_shared_bank_test counts them):
// - swizzled columns: row-major tiles ([m][k] for A, B's [n][k] in the 16-bit kernel) keep
//   (r, c) at column c ^ ((r / 8) % 4), TF32's [k][n] B tile at n ^ ((k / 4) % 8). A warp
//   staging 32 consecutive rows of one column (an operand whose contiguous index runs along the
//   tile's rows) then hits 32 banks instead of 8 (TF32's B: 4); a fragment load's lanes share
//   r / 8 (k / 4), so it only permutes them within a group of 4 (8) columns;
// - the 16-bit kernel's 16-word rows go in pairs, 36 words a pair ([r / 2][16 (r % 2) + c]): a
//   warp staging 2 rows x 16 words then stores 32 consecutive words (rows 20 words apart
//   overlapped on 4 banks), and the 8 rows of a fragment load still start in 8 different
//   4-bank groups.
// MmaSteps folds the same layout into its fragment loads.
llvm::SmallVector<mlir::Value, 2> TileIndices(mlir::OpBuilder& b, mlir::Location loc, const TileConfig& cfg, bool b_tile,
                                              mlir::Value row, mlir::Value col) {
  auto ci = [&](int64_t v) -> mlir::Value { return b.create<mlir::arith::ConstantIndexOp>(loc, v); };
  if (cfg.wgmma) {
    mlir::AffineExpr r, w;
    mlir::bindDims(b.getContext(), r, w);
    const mlir::AffineMap at =
        mlir::AffineMap::get(2, 0, r.floorDiv(8) * cfg.sbo_words() + w.floorDiv(4) * cfg.lbo_words() + (r % 8) * 4 + w % 4);
    return {b.create<mlir::affine::AffineApplyOp>(loc, at, mlir::ValueRange{row, col})};
  }
  const bool k_rows = b_tile && !cfg.b_transposed();  // only TF32's B tile has K rows
  mlir::Value shifted = b.create<mlir::arith::ShRUIOp>(loc, row, ci(k_rows ? 2 : 3));
  col = b.create<mlir::arith::XOrIOp>(loc, col, b.create<mlir::arith::AndIOp>(loc, shifted, ci(k_rows ? 7 : 3)));
  if (cfg.unit != Unit::kHalf) return {row, col};
  mlir::Value odd = b.create<mlir::arith::RemUIOp>(loc, row, ci(2));
  return {b.create<mlir::arith::DivUIOp>(loc, row, ci(2)),
          b.create<mlir::arith::AddIOp>(loc, b.create<mlir::arith::MulIOp>(loc, odd, ci(16)), col)};
}

// The f32 kernel's tiles (its main loop: gpu_fma_contraction.h).
TileConfig FmaTileConfig(const Contraction& c) {
  const FmaTiles t = gpu::FmaTilesFor(c.m, c.n, c.batch);
  return TileConfig{t.tm, t.tn, t.tk, kFmaThreads, 0, 0, Unit::kFma};
}

// 128 x 128 tiles, 64 x 32 per warp (4 x 4 mma tiles); a dimension of 64 or less takes 64.
// TF32: padding 4 (A) and 8 (B) floats puts the 32 lanes of a fragment load on 32 banks.
// 16-bit: both tiles are K-pair-major rows (B's transposed: N rows) of 16 words, in pairs of 32
// words plus 4 of padding (TileIndices); lane (g, t) reads a word of row g's 4-bank group, again
// 32 banks.
// wgmma: the same tiles, each of the two warpgroups computing 64 rows x all columns (or, for a
// 64-row tile, 64 x half of them).
TileConfig TensorCoreTilesFor(Unit unit, int64_t m, int64_t n, bool wgmma) {
  const bool half = unit == Unit::kHalf;
  return TileConfig{m > 64 ? 128 : 64, n > 64 ? 128 : 64, 32, kWarpsM * kWarpsN * kWarpSize, 4, half ? 4 : 8, unit, wgmma};
}
constexpr int64_t kWarpgroupSize = 128, kWgmmaM = 64;
// Split-K: a grid of fewer tiles than this is split along K (see SplitsFor).
constexpr int64_t kSplitBelowBlocks = 64, kSplitTargetBlocks = 128, kMaxSplits = 16, kMinSplitK = 64;


// How many K ranges the contraction is split into: 1, or, when its tiles would leave most of a
// GPU's ~100+ SMs idle (the MLP's 64x784x512 layer is 8 tiles), enough for about
// kSplitTargetBlocks blocks with at least kMinSplitK of K each. The tensor-core kernel's blocks
// (up to 254 registers x 256 threads) fit one per SM, the f32 kernel's 128 x 128 ones two: a
// grid of fewer than 128 of those is split too (a 1024^3 matmul is 64 blocks). `chunk` (a
// multiple of the K tile) is each split's K range.
int64_t SplitsFor(const Contraction& c, const TileConfig& tiles, int64_t* chunk) {
  const int64_t blocks = ((c.n + tiles.tn - 1) / tiles.tn) * ((c.m + tiles.tm - 1) / tiles.tm) * c.batch;
  const bool large_blocks = tiles.tensor_cores() || tiles.tm * tiles.tn >= 128 * 128;
  int64_t splits = 1;
  if (blocks < (large_blocks ? kSplitTargetBlocks : kSplitBelowBlocks)) {
    splits = std::min({kMaxSplits, c.k / kMinSplitK, (kSplitTargetBlocks + blocks - 1) / blocks});
  }
  splits = std::max<int64_t>(splits, 1);
  *chunk = ((c.k + splits - 1) / splits + tiles.tk - 1) / tiles.tk * tiles.tk;
  return (c.k + *chunk - 1) / *chunk;
}

// One shared tile's K on tensor cores, for each K step of one instruction (8 TF32, 16 f16/bf16):
// each warp loads its A fragments (rows g, g + 8 of a 16-row slice) and B fragments (column g
// of an 8-column slice), then issues one mma.sync per 16 x 8 tile of its part of C. `acc` holds
// the C fragments, four per mma tile, the tiles row-major (PTX ISA, "Matrix fragments for
// mma.m16n8k8 / m16n8k16").
// TF32: a0..a3 at columns t, t + 4 and b0, b1 at rows t, t + 4, each one float of the tile.
// 16-bit: the tiles hold K pairs (A [m][k / 2], B [n][k / 2]) as 32-bit words, which are the
// fragment registers: a0..a3 the pairs t, t + 4 of rows g, g + 8, b0, b1 the pairs t, t + 4.
void MmaSteps(mlir::OpBuilder& b, mlir::Location loc, const TileConfig& cfg, mlir::Type operand, mlir::Value a_tile,
              mlir::Value b_tile, mlir::Value group, mlir::Value in_group, mlir::Value warp_m0, mlir::Value warp_n0,
              std::vector<mlir::Value>& acc) {
  auto ci = [&](int64_t v) -> mlir::Value { return b.create<mlir::arith::ConstantIndexOp>(loc, v); };
  const int64_t tiles_m = cfg.tm / kWarpsM / kMmaM, tiles_n = cfg.tn / kWarpsN / kMmaN;
  const int64_t mma_k = cfg.mma_k(), pack = cfg.pack();
  const mlir::Type f32 = b.getF32Type(), i32 = b.getI32Type();
  auto result_type = mlir::LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  // The operand registers: TF32 and bf16 (inline PTX, see kMmaBf16Asm) go in as 32 bits, f16
  // pairs as vector<2xf16>.
  const bool bf16 = cfg.unit == Unit::kHalf && operand.isBF16();
  mlir::NVVM::MMATypes ptx_type = mlir::NVVM::MMATypes::tf32;
  mlir::Type reg = i32;
  if (cfg.unit == Unit::kHalf && !bf16) {
    ptx_type = mlir::NVVM::MMATypes::f16;
    reg = mlir::VectorType::get({2}, operand);
  }
  auto as_reg = [&](mlir::Value v) -> mlir::Value {
    if (v.getType() == reg) return v;
    if (v.getType().isF32()) return b.create<mlir::arith::BitcastOp>(loc, i32, v);
    return b.create<mlir::LLVM::BitcastOp>(loc, reg, v);  // a packed i32 pair as f16x2
  };
  auto add = [&](mlir::Value x, mlir::Value y) -> mlir::Value { return b.create<mlir::arith::AddIOp>(loc, x, y); };
  auto xor_const = [&](mlir::Value x, int64_t q) -> mlir::Value {
    return q == 0 ? x : b.create<mlir::arith::XOrIOp>(loc, x, ci(q)).getResult();
  };
  // The tiles' layout (TileIndices) with what is known here folded in: a fragment's rows are
  // base + g with base a multiple of 8 (warp_m0 and warp_n0 are multiples of 16), so row / 8
  // is base / 8 and, in the 16-bit kernel's row pairs, (base + g) / 2 = base / 2 + g / 2 and
  // (base + g) % 2 = g % 2; a K column is t + a multiple of 4, so its swizzle only changes t.
  const bool half = cfg.unit == Unit::kHalf;
  mlir::Value g_pair = b.create<mlir::arith::DivUIOp>(loc, group, ci(2));
  mlir::Value g_odd = b.create<mlir::arith::MulIOp>(loc, b.create<mlir::arith::RemUIOp>(loc, group, ci(2)), ci(16));
  // Element (base + g, t ^ q + k) of a row-major tile ([m][k], the 16-bit [n][k]).
  auto load_row_major = [&](mlir::Value tile, mlir::Value base, mlir::Value t_swizzled, int64_t k) -> mlir::Value {
    mlir::Value col = add(t_swizzled, ci(k));
    if (!half) return as_reg(b.create<mlir::memref::LoadOp>(loc, tile, mlir::ValueRange{add(base, group), col}));
    mlir::Value pair = add(b.create<mlir::arith::DivUIOp>(loc, base, ci(2)), g_pair);
    return as_reg(b.create<mlir::memref::LoadOp>(loc, tile, mlir::ValueRange{pair, add(g_odd, col)}));
  };
  for (int64_t kk = 0; kk < cfg.tk; kk += mma_k) {
    const int64_t k_lo = kk / pack, k_hi = kk / pack + 4;  // the fragments' two K halves
    std::vector<std::array<mlir::Value, 4>> a(static_cast<size_t>(tiles_m));
    std::vector<std::array<mlir::Value, 2>> bf(static_cast<size_t>(tiles_n));
    for (int64_t i = 0; i < tiles_m; ++i) {
      std::array<mlir::Value, 2> rows{};  // rows g and g + 8 of the 16: (row / 8) % 4 = (2i + h) % 4
      for (int64_t h = 0; h < 2; ++h) rows[h] = add(warp_m0, ci(i * kMmaM + 8 * h));
      auto at = [&](int64_t h, int64_t k) { return load_row_major(a_tile, rows[h], xor_const(in_group, (2 * i + h) % 4), k); };
      a[i] = {at(0, k_lo), at(1, k_lo), at(0, k_hi), at(1, k_hi)};
    }
    for (int64_t j = 0; j < tiles_n; ++j) {
      mlir::Value base = add(warp_n0, ci(j * kMmaN));
      if (cfg.b_transposed()) {  // [n][k]: q = (base / 8) % 4, known only at run time for 64-wide tiles
        mlir::Value q = b.create<mlir::arith::AndIOp>(loc, b.create<mlir::arith::ShRUIOp>(loc, base, ci(3)), ci(3));
        mlir::Value t = b.create<mlir::arith::XOrIOp>(loc, in_group, q);
        bf[j] = {load_row_major(b_tile, base, t, k_lo), load_row_major(b_tile, base, t, k_hi)};
      } else {  // TF32's [k][n]: row k = t + k_lo (k_hi), column (base + g) ^ ((k / 4) % 8)
        auto at = [&](int64_t k) {
          mlir::Value col = add(base, xor_const(group, (k / 4) % 8));
          return as_reg(b.create<mlir::memref::LoadOp>(loc, b_tile, mlir::ValueRange{add(in_group, ci(k)), col}));
        };
        bf[j] = {at(k_lo), at(k_hi)};
      }
    }
    for (int64_t i = 0; i < tiles_m; ++i) {
      for (int64_t j = 0; j < tiles_n; ++j) {
        mlir::Value* c = &acc[static_cast<size_t>((i * tiles_n + j) * 4)];
        mlir::Value mma;
        if (bf16) {
          const mlir::Value operands[] = {a[i][0], a[i][1], a[i][2], a[i][3], bf[j][0], bf[j][1], c[0], c[1], c[2], c[3]};
          mma = b.create<mlir::LLVM::InlineAsmOp>(loc, result_type, operands, kMmaBf16Asm, kMmaBf16AsmConstraints,
                                                  /*has_side_effects=*/false, /*is_align_stack=*/false,
                                                  mlir::LLVM::AsmDialectAttr(), mlir::ArrayAttr())
                    .getResult(0);
        } else {
          mma = b.create<mlir::NVVM::MmaOp>(
              loc, result_type, mlir::ValueRange(a[i]), mlir::ValueRange(bf[j]), mlir::ValueRange{c[0], c[1], c[2], c[3]},
              llvm::ArrayRef<int64_t>{kMmaM, kMmaN, mma_k}, std::nullopt, std::nullopt,
              std::array<mlir::NVVM::MMATypes, 2>{ptx_type, ptx_type},
              std::array<mlir::NVVM::MMALayout, 2>{mlir::NVVM::MMALayout::row, mlir::NVVM::MMALayout::col});
        }
        for (int64_t v = 0; v < 4; ++v) c[v] = b.create<mlir::LLVM::ExtractValueOp>(loc, mma, llvm::ArrayRef<int64_t>{v});
      }
    }
  }
}

// `v` rounded to TF32 (10 mantissa bits, to nearest, ties away from zero: cvt.rna.tf32.f32, as
// CUTLASS's round_half_ulp_truncate); Inf and NaN kept. Plain integer ops, so the emulator
// computes the same values as the GPU.
mlir::Value RoundToTf32(mlir::OpBuilder& b, mlir::Location loc, mlir::Value v) {
  auto i32c = [&](int64_t x) -> mlir::Value { return b.create<mlir::arith::ConstantIntOp>(loc, x, 32); };
  mlir::Value bits = b.create<mlir::arith::BitcastOp>(loc, b.getI32Type(), v);
  mlir::Value exponent = b.create<mlir::arith::AndIOp>(loc, bits, i32c(0x7F800000));
  mlir::Value finite = b.create<mlir::arith::CmpIOp>(loc, mlir::arith::CmpIPredicate::ne, exponent, i32c(0x7F800000));
  mlir::Value rounded = b.create<mlir::arith::AndIOp>(loc, b.create<mlir::arith::AddIOp>(loc, bits, i32c(0x1000)),
                                                      i32c(static_cast<int32_t>(0xFFFFE000u)));
  return b.create<mlir::arith::BitcastOp>(loc, b.getF32Type(), b.create<mlir::arith::SelectOp>(loc, finite, rounded, bits));
}

// Two 16-bit floats as one 32-bit word, `lo` in the low half (a .f16x2 / .bf16x2 register).
mlir::Value PackPair(mlir::OpBuilder& b, mlir::Location loc, mlir::Value lo, mlir::Value hi) {
  const mlir::Type i16 = b.getI16Type(), i32 = b.getI32Type();
  auto widened = [&](mlir::Value v) -> mlir::Value {
    return b.create<mlir::arith::ExtUIOp>(loc, i32, b.create<mlir::arith::BitcastOp>(loc, i16, v));
  };
  mlir::Value high = b.create<mlir::arith::ShLIOp>(loc, widened(hi), b.create<mlir::arith::ConstantIntOp>(loc, 16, 32));
  return b.create<mlir::arith::OrIOp>(loc, widened(lo), high);
}

// The tensor-core kernels' main loop (mma.sync per warp, or wgmma per warpgroup): the K loop
// over [k_begin, k_end) with the operand tiles staged through registers into one shared buffer.
BlockSums TensorCoreMainLoop(mlir::OpBuilder& b, mlir::Location loc, const TileConfig& cfg, const Contraction& c,
                             const Source& a_src, const Source& b_src, const std::vector<mlir::Value>& base_dims,
                             mlir::Value tid, mlir::Value m0, mlir::Value n0, mlir::Value k_begin, mlir::Value k_end,
                             mlir::Value a_tile, mlir::Value b_tile) {
  auto index = [&](int64_t v) -> mlir::Value { return b.create<mlir::arith::ConstantIndexOp>(loc, v); };
  const mlir::Type f32 = b.getF32Type();
  // The 16-bit kernel's operand type (both operands').
  const mlir::Type operand = ElementType(c.a->get());
  const int64_t kp = cfg.tk / cfg.pack();
  mlir::Value lane = b.create<mlir::arith::RemUIOp>(loc, tid, index(kWarpSize));
  mlir::Value group = b.create<mlir::arith::DivUIOp>(loc, lane, index(4));
  mlir::Value in_group = b.create<mlir::arith::RemUIOp>(loc, lane, index(4));
  // Tensor cores: the lane's group (g: the fragment row / B column) and its index in the group
  // (t), and the origin of its warp's part of the tile.
  const int64_t warp_tm = cfg.tm / kWarpsM, warp_tn = cfg.tn / kWarpsN;
  const int64_t mma_tiles_m = warp_tm / kMmaM, mma_tiles_n = warp_tn / kMmaN;
  // wgmma: two warpgroups over 64 rows each, or (a 64-row tile) over half the columns each;
  // warp_m0 is the warp's first row (16 per warp), warp_n0 the warpgroup's first column.
  const int64_t wg_n = cfg.tm == 2 * kWgmmaM ? cfg.tn : cfg.tn / 2;
  // The thread's accumulators as 16 x 8 tiles of C fragments (4 each, same layout for mma.sync
  // and wgmma): a warp's mma tiles, or its 16 rows of the warpgroup's wg_n columns.
  const int64_t frag_tiles_m = cfg.wgmma ? 1 : mma_tiles_m, frag_tiles_n = cfg.wgmma ? wg_n / kMmaN : mma_tiles_n;
  mlir::Value warp_m0, warp_n0, wg_m0;
  {
    mlir::Value warp = b.create<mlir::arith::DivUIOp>(loc, tid, index(kWarpSize));
    if (cfg.wgmma) {
      mlir::Value wg = b.create<mlir::arith::DivUIOp>(loc, tid, index(kWarpgroupSize));
      const bool split_m = cfg.tm == 2 * kWgmmaM;
      wg_m0 = split_m ? b.create<mlir::arith::MulIOp>(loc, wg, index(kWgmmaM)).getResult() : index(0);
      warp_n0 = split_m ? index(0) : b.create<mlir::arith::MulIOp>(loc, wg, index(wg_n)).getResult();
      mlir::Value warp_in_wg = b.create<mlir::arith::RemUIOp>(loc, warp, index(kWarpgroupSize / kWarpSize));
      warp_m0 = b.create<mlir::arith::AddIOp>(loc, wg_m0, b.create<mlir::arith::MulIOp>(loc, warp_in_wg, index(kMmaM)));
    } else {
      warp_m0 = b.create<mlir::arith::MulIOp>(loc, b.create<mlir::arith::DivUIOp>(loc, warp, index(kWarpsN)), index(warp_tm));
      warp_n0 = b.create<mlir::arith::MulIOp>(loc, b.create<mlir::arith::RemUIOp>(loc, warp, index(kWarpsN)), index(warp_tn));
    }
  }
  mlir::Value zero_f = b.create<mlir::arith::ConstantOp>(loc, b.getF32FloatAttr(0.0f));
  std::vector<mlir::Value> init(static_cast<size_t>(frag_tiles_m * frag_tiles_n * 4), zero_f);

  // The staging of one operand tile (`rows` x `cols`, origin r0, c0 in global, bounds rmax, cmax):
  // element e = tid + threads * s sits at (e / cols, e % cols) of the tile; when the source's
  // contiguous (last) index follows the tile's rows, consecutive threads take consecutive rows
  // instead (coalesced global reads of a transposed operand). With `pack` 2, each tile element
  // is two operands adjacent along the columns (K), packed into 32 bits.
  struct Staging {
    const Source* src;
    int64_t rows, cols, rmax, cmax;
    unsigned rdim, cdim;
    mlir::Value tile;
    int64_t pack;
    bool rows_fastest() const { return src->ContiguousAlong(rdim); }
  };
  const Staging a_stage{&a_src, cfg.tm, kp, c.m, c.k, c.dm, c.dk, a_tile, cfg.pack()};
  const Staging b_stage = cfg.b_transposed() ? Staging{&b_src, cfg.tn, kp, c.n, c.k, c.dn, c.dk, b_tile, cfg.pack()}
                                             : Staging{&b_src, cfg.tk, cfg.tn, c.k, c.n, c.dk, c.dn, b_tile, cfg.pack()};
  // This thread's element s of the tile: (row, column).
  auto tile_position = [&](mlir::OpBuilder& lb, mlir::Location l, const Staging& st, int64_t s) {
    auto ci = [&](int64_t v) -> mlir::Value { return lb.create<mlir::arith::ConstantIndexOp>(l, v); };
    mlir::Value e = lb.create<mlir::arith::AddIOp>(l, tid, ci(cfg.threads * s));
    if (st.rows_fastest()) {
      return std::make_pair(lb.create<mlir::arith::RemUIOp>(l, e, ci(st.rows)).getResult(),
                            lb.create<mlir::arith::DivUIOp>(l, e, ci(st.rows)).getResult());
    }
    return std::make_pair(lb.create<mlir::arith::DivUIOp>(l, e, ci(st.cols)).getResult(),
                          lb.create<mlir::arith::RemUIOp>(l, e, ci(st.cols)).getResult());
  };
  // The thread's elements of the tile at (r0, c0) from global memory, out of bounds as 0 (the
  // address clamped, so the load stays in bounds), rounded to TF32 in the TF32 kernel (once here
  // rather than per fragment load), packed in pairs in the 16-bit one. A dimension that the
  // tiles divide (static shapes: every 1024^2 operand) needs no check: the caller keeps c0/r0 of
  // K inside it.
  auto fetch = [&](mlir::OpBuilder& lb, mlir::Location l, const Staging& st, mlir::Value r0, mlir::Value c0) {
    auto ci = [&](int64_t v) -> mlir::Value { return lb.create<mlir::arith::ConstantIndexOp>(l, v); };
    const bool check_r = st.rmax % st.rows != 0, check_c = st.cmax % (st.cols * st.pack) != 0;
    std::vector<mlir::Value> values;
    for (int64_t s = 0; s < st.rows * st.cols / cfg.threads; ++s) {
      auto [r, col] = tile_position(lb, l, st, s);
      mlir::Value gr = lb.create<mlir::arith::AddIOp>(l, r0, r);
      if (st.pack > 1) col = lb.create<mlir::arith::MulIOp>(l, col, ci(st.pack));
      std::vector<mlir::Value> pair;
      for (int64_t h = 0; h < st.pack; ++h) {
        mlir::Value gc = lb.create<mlir::arith::AddIOp>(l, c0, h == 0 ? col : lb.create<mlir::arith::AddIOp>(l, col, ci(h)));
        mlir::Value in;
        std::vector<mlir::Value> dims = base_dims;
        GuardIndex(lb, l, dims, in, gr, st.rdim, st.rmax, check_r);
        GuardIndex(lb, l, dims, in, gc, st.cdim, st.cmax, check_c);
        mlir::Value v = lb.create<mlir::memref::LoadOp>(l, st.src->buffer, ApplyMap(lb, l, st.src->map, dims));
        const bool half = IsHalfFloat(v.getType());
        if (half && st.pack == 1) v = lb.create<mlir::arith::ExtFOp>(l, f32, v);
        if (in) {
          mlir::Value zero = st.pack == 1 ? zero_f : lb.create<mlir::arith::ConstantOp>(l, lb.getFloatAttr(v.getType(), 0.0));
          v = lb.create<mlir::arith::SelectOp>(l, in, v, zero);
        }
        if (cfg.unit == Unit::kTf32 && !half) v = RoundToTf32(lb, l, v);  // a widened half is a TF32 value already
        pair.push_back(v);
      }
      values.push_back(st.pack == 1 ? pair[0] : PackPair(lb, l, pair[0], pair[1]));
    }
    return values;
  };
  auto put = [&](mlir::OpBuilder& lb, mlir::Location l, const Staging& st, mlir::ValueRange values) {
    for (size_t s = 0; s < values.size(); ++s) {
      auto [r, col] = tile_position(lb, l, st, static_cast<int64_t>(s));
      lb.create<mlir::memref::StoreOp>(l, values[s], st.tile, TileIndices(lb, l, cfg, st.tile == b_tile, r, col));
    }
  };
  // Software pipelining through registers: the loop carries the accumulators and the next
  // tiles' elements. Each step stores those to shared memory, issues the global loads of the
  // step after (their latency hidden behind this step's products), then computes. Past the end
  // of K the loads read clamped addresses and are not used.
  // B's tile origin: (k, n), or (n, k) for a transposed tile.
  auto fetch_b = [&](mlir::OpBuilder& lb, mlir::Location l, mlir::Value k0) {
    return cfg.b_transposed() ? fetch(lb, l, b_stage, n0, k0) : fetch(lb, l, b_stage, k0, n0);
  };
  // wgmma: the shared tiles' addresses, for the descriptors, and the MMAs of one K step.
  mlir::Value a_address, b_address;
  const WgmmaStep wgmma_step{cfg.unit == Unit::kTf32 ? "tf32" : operand.isBF16() ? "bf16" : "f16", wg_n,
                             cfg.tk / cfg.mma_k(), cfg.lbo_words() * 4, cfg.sbo_words() * 4};
  if (cfg.wgmma) {
    auto address = [&](mlir::Value tile) -> mlir::Value {
      return b.create<mlir::arith::IndexCastOp>(loc, b.getI64Type(),
                                                b.create<mlir::memref::ExtractAlignedPointerAsIndexOp>(loc, tile));
    };
    a_address = address(a_tile);
    b_address = address(b_tile);
  }
  std::vector<mlir::Value> first_a = fetch(b, loc, a_stage, m0, k_begin);
  std::vector<mlir::Value> first_b = fetch_b(b, loc, k_begin);
  const size_t n_acc = init.size(), n_a = first_a.size();
  init.insert(init.end(), first_a.begin(), first_a.end());
  init.insert(init.end(), first_b.begin(), first_b.end());

  auto k_loop = b.create<mlir::scf::ForOp>(
      loc, k_begin, k_end, index(cfg.tk), init,
      [&](mlir::OpBuilder& lb, mlir::Location l, mlir::Value k0, mlir::ValueRange carried) {
        auto ci = [&](int64_t v) -> mlir::Value { return lb.create<mlir::arith::ConstantIndexOp>(l, v); };
        put(lb, l, a_stage, carried.slice(n_acc, n_a));
        put(lb, l, b_stage, carried.drop_front(n_acc + n_a));
        // wgmma reads the tiles through the async proxy: each thread's stores must be fenced
        // for it before the barrier.
        if (cfg.wgmma) EmitAsyncProxyFence(lb, l);
        lb.create<mlir::gpu::BarrierOp>(l);
        std::vector<mlir::Value> acc(carried.begin(), carried.begin() + static_cast<std::ptrdiff_t>(n_acc));
        if (cfg.wgmma) WgmmaIssue(lb, l, wgmma_step, a_address, b_address, wg_m0, warp_n0, acc);
        mlir::Value k_next = lb.create<mlir::arith::AddIOp>(l, k0, ci(cfg.tk));
        // Where the tiles divide K its loads are unchecked: the last step's prefetch re-reads
        // the last tile instead of running past the end.
        if (c.k % cfg.tk == 0) k_next = lb.create<mlir::arith::MinUIOp>(l, k_next, ci(c.k - cfg.tk));
        std::vector<mlir::Value> next_a = fetch(lb, l, a_stage, m0, k_next);
        std::vector<mlir::Value> next_b = fetch_b(lb, l, k_next);
        if (cfg.wgmma) {
          WgmmaWait(lb, l, acc);
        } else {
          MmaSteps(lb, l, cfg, operand, a_tile, b_tile, group, in_group, warp_m0, warp_n0, acc);
        }
        lb.create<mlir::gpu::BarrierOp>(l);
        acc.insert(acc.end(), next_a.begin(), next_a.end());
        acc.insert(acc.end(), next_b.begin(), next_b.end());
        lb.create<mlir::scf::YieldOp>(l, acc);
      });

  // Where each accumulator lands in the block's tile: (row, column) offsets.
  BlockSums out;
  {
    // The C fragment (mma.sync's, and wgmma's per 8 columns): c0, c1 at (g, 2t), (g, 2t + 1);
    // c2, c3 eight rows below.
    mlir::Value col_in_tile = b.create<mlir::arith::MulIOp>(loc, in_group, index(2));
    for (int64_t i = 0; i < frag_tiles_m; ++i) {
      for (int64_t j = 0; j < frag_tiles_n; ++j) {
        for (int64_t v = 0; v < 4; ++v) {
          mlir::Value row = b.create<mlir::arith::AddIOp>(loc, warp_m0, b.create<mlir::arith::AddIOp>(loc, group, index(i * kMmaM + (v / 2) * 8)));
          mlir::Value col = b.create<mlir::arith::AddIOp>(loc, warp_n0, b.create<mlir::arith::AddIOp>(loc, col_in_tile, index(j * kMmaN + v % 2)));
          out.slots.push_back({row, col});
        }
      }
    }
  }
  for (size_t s = 0; s < out.slots.size(); ++s) out.sums.push_back(k_loop.getResult(static_cast<unsigned>(s)));
  return out;
}

void Lower(Contraction c, bool split_k, Unit unit, bool wgmma) {
  const TileConfig cfg = unit == Unit::kFma ? FmaTileConfig(c) : TensorCoreTilesFor(unit, c.m, c.n, wgmma);
  const FmaTiles fma_tiles{cfg.tm, cfg.tn, cfg.tk};  // the f32 kernel's (gpu_fma_contraction.h)
  mlir::linalg::LinalgOp op = c.op;
  mlir::MLIRContext* ctx = op.getContext();
  mlir::OpOperand* out_operand = op.getDpsInitOperand(0);
  const mlir::Value out = out_operand->get();
  mlir::linalg::FillOp fill = ConstantFillRightBefore(op, out);
  mlir::linalg::GenericOp consumer = EpilogueConsumer(c);
  // Consumer inputs that hold one constant (Relu's broadcast zero): used as such, not loaded.
  std::vector<mlir::Value> consumer_constants;
  if (consumer) {
    for (mlir::OpOperand* in : consumer.getDpsInputOperands()) {
      consumer_constants.push_back(in->get() == out ? mlir::Value() : ConstantContent(op, in->get()));
    }
  }

  mlir::OpBuilder b(op);
  const mlir::Location loc = op.getLoc();
  auto index = [&](int64_t v) -> mlir::Value { return b.create<mlir::arith::ConstantIndexOp>(loc, v); };
  const mlir::Type f32 = b.getF32Type();
  // The 16-bit kernel's tiles hold pairs as i32.
  const mlir::Type tile_element = cfg.unit == Unit::kHalf ? mlir::Type(b.getI32Type()) : f32;
  const mlir::Attribute workgroup = mlir::gpu::AddressSpaceAttr::get(ctx, mlir::gpu::AddressSpace::Workgroup);
  // Tensor-core rows padded (TensorCoreTilesFor); a 16-bit B tile is stored transposed, [n][k pair].
  const int64_t kp = cfg.tk / cfg.pack();
  auto shared = [&](llvm::ArrayRef<int64_t> shape) {
    return mlir::MemRefType::get(shape, tile_element, mlir::MemRefLayoutAttrInterface(), workgroup);
  };
  Source a_src = SourceOf(c, c.a), b_src = SourceOf(c, c.b);
  if (consumer) {
    // The kernel's stores must not land in what its tile loads read.
    const mlir::Value dest = Root(consumer.getDpsInitOperand(0)->get());
    if (Root(a_src.buffer) == dest) a_src = Source{c.a->get(), op.getMatchingIndexingMap(c.a)};
    if (Root(b_src.buffer) == dest) b_src = Source{c.b->get(), op.getMatchingIndexingMap(c.b)};
  }
  // A tile of rows x cols elements as TileIndices lays it out.
  auto tile_type = [&](int64_t rows, int64_t cols, int64_t pad) {
    if (cfg.wgmma) return shared({rows / 8 * cfg.sbo_words()});
    if (cfg.unit == Unit::kHalf) return shared({rows / 2, 2 * cols + pad});  // rows in pairs
    return shared({rows, cols + pad});
  };
  mlir::MemRefType a_tile_type, b_tile_type;
  if (cfg.tensor_cores()) {
    a_tile_type = tile_type(cfg.tm, kp, cfg.pad_a);
    b_tile_type = cfg.b_transposed() ? tile_type(cfg.tn, kp, cfg.pad_b) : tile_type(cfg.tk, cfg.tn, cfg.pad_b);
  } else {
    std::tie(a_tile_type, b_tile_type) = FmaSharedTileTypes(ctx, fma_tiles);
  }
  int64_t chunk = c.k;
  const int64_t splits = split_k ? SplitsFor(c, cfg, &chunk) : 1;
  // Split-K: each split's raw sums go to partial[split, batch, m, n]; a second kernel adds them
  // up with the init and the consumer.
  mlir::Value partial;
  if (splits > 1) {
    partial = b.create<mlir::memref::AllocOp>(loc, mlir::MemRefType::get({splits * c.batch * c.m * c.n}, f32));
  }
  mlir::Value one = index(1);
  auto launch = b.create<mlir::gpu::LaunchOp>(loc, index((c.n + cfg.tn - 1) / cfg.tn), index((c.m + cfg.tm - 1) / cfg.tm),
                                              index(c.batch * splits), index(cfg.threads), one, one, mlir::Value(),
                                              mlir::Type(), mlir::ValueRange{}, mlir::TypeRange{a_tile_type, b_tile_type});
  mlir::Block& kernel = launch.getBody().front();
  b.setInsertionPointToStart(&kernel);
  mlir::Value a_tile = launch.getWorkgroupAttributions()[0], b_tile = launch.getWorkgroupAttributions()[1];
  mlir::Value tid = launch.getThreadIds().x;
  mlir::Value m0 = b.create<mlir::arith::MulIOp>(loc, launch.getBlockIds().y, index(cfg.tm));
  mlir::Value n0 = b.create<mlir::arith::MulIOp>(loc, launch.getBlockIds().x, index(cfg.tn));
  mlir::Value zero_i = index(0);
  // The loop dims of the batch element `linear` (row-major over the batch dims); m, n, k at 0.
  auto batch_dims_of = [&](mlir::Value linear) {
    std::vector<mlir::Value> dims(c.ranges.size(), index(0));
    Delinearize(b, loc, linear, c.ranges, c.batch_dims, dims);
    return dims;
  };
  // Block z = batch element * splits + split.
  mlir::Value batch_linear = launch.getBlockIds().z, split = zero_i;
  if (splits > 1) {
    split = b.create<mlir::arith::RemUIOp>(loc, batch_linear, index(splits));
    batch_linear = b.create<mlir::arith::DivUIOp>(loc, batch_linear, index(splits));
  }
  std::vector<mlir::Value> base_dims = batch_dims_of(batch_linear);
  mlir::Value k_begin = zero_i, k_end = index(c.k);
  if (splits > 1) {
    k_begin = b.create<mlir::arith::MulIOp>(loc, split, index(chunk));
    k_end = b.create<mlir::arith::MinUIOp>(loc, b.create<mlir::arith::AddIOp>(loc, k_begin, index(chunk)), index(c.k));
  }
  BlockSums sums;
  if (cfg.tensor_cores()) {
    sums = TensorCoreMainLoop(b, loc, cfg, c, a_src, b_src, base_dims, tid, m0, n0, k_begin, k_end, a_tile, b_tile);
  } else {
    const FmaOperand fa{&a_src, c.dk, c.dm, c.k, c.m, m0, a_tile}, fb{&b_src, c.dk, c.dn, c.k, c.n, n0, b_tile};
    sums = EmitFmaMainLoop(b, loc, fma_tiles, fa, fb, base_dims, tid, k_begin, k_end);
  }

  // Epilogue: init + sum, the consumer's body, guarded store.
  mlir::Value fill_value = fill ? fill.getDpsInputOperand(0)->get() : c.init_value;
  // A copy that only put the constant init into C is dead once the kernel does not read C,
  // unless something between it and the contraction reads C.
  mlir::Operation* dead_copy = nullptr;
  if (!fill && c.init_copy) {
    dead_copy = c.init_copy;
    for (mlir::Operation* user : out.getUsers()) {
      if (user == c.init_copy || user == op.getOperation()) continue;
      if (user->getBlock() != op->getBlock() || user->isBeforeInBlock(op)) dead_copy = nullptr;
    }
  }
  // One output of C at `dims` (batch dims, row, col set) whose products sum to `sum`: the init
  // added, the consumer's body applied, stored.
  auto emit_output = [&](mlir::OpBuilder& ib, mlir::Location l, const std::vector<mlir::Value>& dims, mlir::Value sum) {
    std::vector<mlir::Value> c_indices = ApplyMap(ib, l, op.getMatchingIndexingMap(out_operand), dims);
    mlir::Value old = fill_value ? fill_value : ib.create<mlir::memref::LoadOp>(l, out, c_indices).getResult();
    mlir::Value value = ib.create<mlir::arith::AddFOp>(l, old, sum);
    if (!consumer) {
      ib.create<mlir::memref::StoreOp>(l, value, out, c_indices);
      return;
    }
    mlir::Block& body = consumer.getRegion().front();
    mlir::IRMapping map;
    for (unsigned k = 0; k < consumer.getNumDpsInputs(); ++k) {
      mlir::OpOperand* in_operand = consumer.getDpsInputOperand(k);
      if (in_operand->get() == out) {
        map.map(body.getArgument(k), value);
      } else if (consumer_constants[k]) {
        map.map(body.getArgument(k), consumer_constants[k]);
      } else {
        std::vector<mlir::Value> at = ApplyMap(ib, l, consumer.getMatchingIndexingMap(in_operand), c_indices);
        map.map(body.getArgument(k), ib.create<mlir::memref::LoadOp>(l, in_operand->get(), at));
      }
    }
    for (mlir::Operation& body_op : body.without_terminator()) {
      if (auto idx = mlir::dyn_cast<mlir::linalg::IndexOp>(body_op)) {
        map.map(idx.getResult(), c_indices[idx.getDim()]);
        continue;
      }
      ib.clone(body_op, map);
    }
    ib.create<mlir::memref::StoreOp>(l, map.lookup(body.getTerminator()->getOperand(0)),
                                     consumer.getDpsInitOperand(0)->get(), c_indices);
  };
  // partial[split, batch, row, col] as one flat index.
  auto partial_index = [&](mlir::OpBuilder& ib, mlir::Location l, mlir::Value s, mlir::Value bl, mlir::Value row,
                           mlir::Value col) {
    auto ci = [&](int64_t v) -> mlir::Value { return ib.create<mlir::arith::ConstantIndexOp>(l, v); };
    mlir::Value i = ib.create<mlir::arith::AddIOp>(l, ib.create<mlir::arith::MulIOp>(l, s, ci(c.batch)), bl);
    i = ib.create<mlir::arith::AddIOp>(l, ib.create<mlir::arith::MulIOp>(l, i, ci(c.m)), row);
    return ib.create<mlir::arith::AddIOp>(l, ib.create<mlir::arith::MulIOp>(l, i, ci(c.n)), col).getResult();
  };
  for (size_t s = 0; s < sums.slots.size(); ++s) {
    mlir::Value row = b.create<mlir::arith::AddIOp>(loc, m0, sums.slots[s].first);
    mlir::Value col = b.create<mlir::arith::AddIOp>(loc, n0, sums.slots[s].second);
    mlir::Value in_r = b.create<mlir::arith::CmpIOp>(loc, mlir::arith::CmpIPredicate::ult, row, index(c.m));
    mlir::Value in_c = b.create<mlir::arith::CmpIOp>(loc, mlir::arith::CmpIPredicate::ult, col, index(c.n));
    mlir::Value in = b.create<mlir::arith::AndIOp>(loc, in_r, in_c);
    mlir::Value sum = sums.sums[s];
    b.create<mlir::scf::IfOp>(loc, in, [&](mlir::OpBuilder& ib, mlir::Location l) {
      if (splits > 1) {
        ib.create<mlir::memref::StoreOp>(l, sum, partial, partial_index(ib, l, split, batch_linear, row, col));
      } else {
        std::vector<mlir::Value> dims = base_dims;
        dims[c.dm] = row;
        dims[c.dn] = col;
        emit_output(ib, l, dims, sum);
      }
      ib.create<mlir::scf::YieldOp>(l);
    });
  }
  b.create<mlir::gpu::TerminatorOp>(loc);

  // Split-K's second kernel: one thread per output of C (columns fastest), the splits' partial
  // sums added in order, then the same epilogue.
  if (splits > 1) {
    b.setInsertionPointAfter(launch);
    const int64_t outputs = c.batch * c.m * c.n;
    constexpr int64_t kThreads = kContractionThreads;
    auto reduce = b.create<mlir::gpu::LaunchOp>(loc, index((outputs + kThreads - 1) / kThreads), one, one, index(kThreads),
                                                one, one);
    b.setInsertionPointToStart(&reduce.getBody().front());
    mlir::Value gid = b.create<mlir::arith::AddIOp>(
        loc, b.create<mlir::arith::MulIOp>(loc, reduce.getBlockIds().x, index(kThreads)), reduce.getThreadIds().x);
    mlir::Value in = b.create<mlir::arith::CmpIOp>(loc, mlir::arith::CmpIPredicate::ult, gid, index(outputs));
    auto guarded = b.create<mlir::scf::IfOp>(loc, in, /*withElseRegion=*/false);
    b.setInsertionPoint(guarded.thenBlock()->getTerminator());
    mlir::Value col = b.create<mlir::arith::RemUIOp>(loc, gid, index(c.n));
    mlir::Value rest = b.create<mlir::arith::DivUIOp>(loc, gid, index(c.n));
    mlir::Value row = b.create<mlir::arith::RemUIOp>(loc, rest, index(c.m));
    mlir::Value bl = b.create<mlir::arith::DivUIOp>(loc, rest, index(c.m));
    std::vector<mlir::Value> dims = batch_dims_of(bl);
    dims[c.dm] = row;
    dims[c.dn] = col;
    mlir::Value sum = b.create<mlir::memref::LoadOp>(loc, partial, partial_index(b, loc, index(0), bl, row, col));
    for (int64_t s = 1; s < splits; ++s) {
      mlir::Value part = b.create<mlir::memref::LoadOp>(loc, partial, partial_index(b, loc, index(s), bl, row, col));
      sum = b.create<mlir::arith::AddFOp>(loc, sum, part);
    }
    emit_output(b, loc, dims, sum);
    b.setInsertionPointAfter(guarded);
    b.create<mlir::gpu::TerminatorOp>(loc);
  }

  op->erase();
  if (fill) fill.erase();
  if (dead_copy) dead_copy->erase();
  for (Source* src : {&a_src, &b_src}) {
    if (!src->folded_transpose) continue;
    mlir::Value temp = src->folded_transpose.getDpsInitOperand(0)->get();
    src->folded_transpose.erase();
    if (auto alloc = temp.getDefiningOp<mlir::memref::AllocOp>(); alloc && alloc->use_empty()) alloc.erase();
  }
  if (consumer) consumer.erase();
  if (auto alloc = out.getDefiningOp<mlir::memref::AllocOp>(); alloc && alloc->use_empty()) alloc.erase();
}

}  // namespace

absl::Status TileContractionsThroughSharedMemory(mlir::func::FuncOp func, int64_t min_dim, bool split_k, bool tf32,
                                                 bool wgmma) {
  func.getContext()->getOrLoadDialect<mlir::vector::VectorDialect>();  // the f32 kernel's 16-byte accesses
  std::vector<Contraction> found;
  for (mlir::Operation& op : func.getBody().front()) {
    auto linalg = mlir::dyn_cast<mlir::linalg::LinalgOp>(op);
    if (!linalg) continue;
    std::optional<Contraction> c = Match(linalg);
    if (!c || c->m < min_dim || c->n < min_dim || c->k < 1) continue;
    FindConstantInit(*c);  // before any rewrite: the writers are still the original ops
    found.push_back(*c);
  }
  for (const Contraction& c : found) {
    // 16-bit float operands take the tensor cores whatever `tf32` says: they lose nothing there.
    // Both of one type: the 16-bit instruction; a mix (f16 with bf16) goes through TF32.
    const mlir::Type a = ElementType(c.a->get()), b = ElementType(c.b->get());
    const bool halves = IsHalfFloat(a) && IsHalfFloat(b);
    const Unit unit = halves && a == b ? Unit::kHalf : (tf32 || halves) ? Unit::kTf32 : Unit::kFma;
    Lower(c, split_k, unit, wgmma && unit != Unit::kFma);
  }
  // Temps that are only filled any more (their copies, contractions and epilogue readers are
  // gone): dropped.
  if (found.empty()) return absl::OkStatus();
  std::vector<mlir::memref::AllocOp> allocs;
  for (auto alloc : func.getBody().front().getOps<mlir::memref::AllocOp>()) allocs.push_back(alloc);
  for (mlir::memref::AllocOp alloc : allocs) {
    if (alloc->use_empty()) continue;
    bool only_fills = true;
    for (mlir::Operation* user : alloc->getUsers()) {
      only_fills &= mlir::isa<mlir::linalg::FillOp>(user) || static_cast<bool>(BroadcastConstant(user));
    }
    if (!only_fills) continue;
    for (mlir::Operation* user : llvm::make_early_inc_range(alloc->getUsers())) user->erase();
    alloc.erase();
  }
  return absl::OkStatus();
}

}  // namespace strata::gpu
