// See gpu_contraction_tiling.h.
#include "compiler/gpu/gpu_contraction_tiling.h"
#include "compiler/gpu/gpu_contraction_match.h"
#include "compiler/gpu/gpu_epilogue.h"
#include "compiler/gpu/gpu_fma_contraction.h"
#include "compiler/gpu/gpu_mma_contraction.h"
#include "compiler/gpu/gpu_warpgroup_mma.h"

#include <algorithm>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace strata::gpu {

namespace {

// The tensor-core kernels: 8 warps (mma.sync: gpu_mma_contraction.h; wgmma: 2 warpgroups of 4),
// the C fragments of 16 x 8 outputs.
constexpr int64_t kWarpSize = 32, kMmaM = 16, kMmaN = 8;

// What computes the products.
enum class Unit {
  kFma,   // CUDA-core FMAs in f32
  kTf32,  // tensor cores on TF32 operands (f32 rounded, or a mix with 16-bit ones)
  kHalf,  // tensor cores on f16 or bf16 operands (both of one type), as they are
};

// One block's share of C and how it is computed.
struct TileConfig {
  int64_t tm, tn, tk;    // the block's tile of C, and K per step through shared memory
  int64_t threads;
  Unit unit;
  bool wgmma = false;    // sm_90a: wgmma.mma_async per warpgroup instead of mma.sync per warp
  bool tensor_cores() const { return unit != Unit::kFma; }
  int64_t mma_k() const { return unit == Unit::kHalf ? 16 : 8; }
  // Operand elements per shared-tile element: a 16-bit kernel's tiles hold K pairs as 32 bits.
  int64_t pack() const { return unit == Unit::kHalf ? 2 : 1; }
  // wgmma's tiles: core matrices of 8 rows x 4 words (16 bytes) along K, `core_chunks` of them
  // per 8 rows, `lbo_words` apart (the descriptor's leading byte offset), each 8 rows
  // `sbo_words` after the previous ones (its stride byte offset). 40 / 36 words rather than 32:
  // the 32 lanes of a warp staging 2 rows x 16 words or 1 row x 32 words store to 32 banks.
  int64_t core_chunks() const { return tk / pack() / 4; }
  int64_t lbo_words() const { return core_chunks() <= 4 ? 40 : 36; }
  int64_t sbo_words() const { return core_chunks() * lbo_words(); }
};

// Where word `col` (along K) of row `row` of a wgmma tile is stored (both tiles are K-major,
// B's rows are N): core matrix (row / 8, col / 4) at row / 8 * sbo_words + col / 4 * lbo_words,
// its row row % 8 of 4 words.
mlir::Value WgmmaTileIndex(mlir::OpBuilder& b, mlir::Location loc, const TileConfig& cfg, mlir::Value row, mlir::Value col) {
  mlir::AffineExpr r, w;
  mlir::bindDims(b.getContext(), r, w);
  const mlir::AffineMap at =
      mlir::AffineMap::get(2, 0, r.floorDiv(8) * cfg.sbo_words() + w.floorDiv(4) * cfg.lbo_words() + (r % 8) * 4 + w % 4);
  return b.create<mlir::affine::AffineApplyOp>(loc, at, mlir::ValueRange{row, col});
}

// The f32 kernel's tiles (its main loop: gpu_fma_contraction.h).
TileConfig FmaTileConfig(const Contraction& c) {
  const FmaTiles t = gpu::FmaTilesFor(c.m, c.n, c.batch);
  return TileConfig{t.tm, t.tn, t.tk, kFmaThreads, Unit::kFma};
}

MmaTiles MmaTilesOf(const TileConfig& cfg, mlir::Type operand) {
  const MmaOperands operands = cfg.unit == Unit::kTf32 ? MmaOperands::kTf32
                               : operand.isBF16()      ? MmaOperands::kBf16
                                                       : MmaOperands::kF16;
  return MmaTiles{cfg.tm, cfg.tn, operands};
}

// 128 x 128 tiles; a dimension of 64 or less takes 64. mma.sync: K 16 (TF32) or 32 (16-bit)
// per step (gpu_mma_contraction.h). wgmma: K 32, each of the two warpgroups computing 64 rows x
// all columns (or, for a 64-row tile, 64 x half of them).
TileConfig TensorCoreTilesFor(Unit unit, int64_t m, int64_t n, bool wgmma) {
  const int64_t tm = m > 64 ? 128 : 64, tn = n > 64 ? 128 : 64;
  const int64_t tk = wgmma ? 32 : MmaTiles{tm, tn, unit == Unit::kTf32 ? MmaOperands::kTf32 : MmaOperands::kF16}.tk();
  return TileConfig{tm, tn, tk, kMmaThreads, unit, wgmma};
}
constexpr int64_t kWarpgroupSize = 128, kWgmmaM = 64;
// Split-K: a grid of fewer tiles than this is split along K (see SplitsFor).
constexpr int64_t kSplitBelowBlocks = 64, kSplitTargetBlocks = 128, kMaxSplits = 16, kMinSplitK = 64;


// How many K ranges the contraction is split into: 1, or, when its tiles would leave most of a
// GPU's ~100+ SMs idle (the MLP's 64x784x512 layer is 8 tiles), enough for about
// kSplitTargetBlocks blocks with at least kMinSplitK of K each. The tensor-core kernels' blocks
// and the f32 kernel's 128 x 128 ones are large (128 registers x 256 threads: two per SM; the
// wgmma kernel's one): a grid of fewer than 128 of those is split too (a 1024^3 f32 matmul is
// 64 blocks). `chunk` (a multiple of the K tile) is each split's K range.
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

// The wgmma kernel's main loop (sm_90a): the K loop over [k_begin, k_end) with the operand
// tiles (both K-major, B's rows N) staged through registers into one shared buffer, each
// warpgroup's MMAs issued asynchronously while the next tiles' global loads are in flight.
BlockSums WgmmaMainLoop(mlir::OpBuilder& b, mlir::Location loc, const TileConfig& cfg, const Contraction& c,
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
  // Two warpgroups over 64 rows each, or (a 64-row tile) over half the columns each; warp_m0 is
  // the warp's first row (16 per warp), warp_n0 the warpgroup's first column. The thread's
  // accumulators are its 16 rows of the warpgroup's wg_n columns, as 16 x 8 C fragments.
  const int64_t wg_n = cfg.tm == 2 * kWgmmaM ? cfg.tn : cfg.tn / 2;
  const int64_t frag_tiles_n = wg_n / kMmaN;
  mlir::Value warp_m0, warp_n0, wg_m0;
  {
    mlir::Value warp = b.create<mlir::arith::DivUIOp>(loc, tid, index(kWarpSize));
    mlir::Value wg = b.create<mlir::arith::DivUIOp>(loc, tid, index(kWarpgroupSize));
    const bool split_m = cfg.tm == 2 * kWgmmaM;
    wg_m0 = split_m ? b.create<mlir::arith::MulIOp>(loc, wg, index(kWgmmaM)).getResult() : index(0);
    warp_n0 = split_m ? index(0) : b.create<mlir::arith::MulIOp>(loc, wg, index(wg_n)).getResult();
    mlir::Value warp_in_wg = b.create<mlir::arith::RemUIOp>(loc, warp, index(kWarpgroupSize / kWarpSize));
    warp_m0 = b.create<mlir::arith::AddIOp>(loc, wg_m0, b.create<mlir::arith::MulIOp>(loc, warp_in_wg, index(kMmaM)));
  }
  mlir::Value zero_f = b.create<mlir::arith::ConstantOp>(loc, b.getF32FloatAttr(0.0f));
  std::vector<mlir::Value> init(static_cast<size_t>(frag_tiles_n * 4), zero_f);

  // The staging of one operand tile (`rows` x `cols` words, origin r0, c0 in global, bounds
  // rmax, cmax): element e = tid + threads * s sits at (e / cols, e % cols) of the tile; when the
  // source's contiguous (last) index follows the tile's rows, consecutive threads take
  // consecutive rows instead (coalesced global reads of a transposed operand). With `pack` 2,
  // each tile word is two operands adjacent along K, packed into 32 bits.
  struct Staging {
    const Source* src;
    int64_t rows, cols, rmax, cmax;
    unsigned rdim, cdim;
    mlir::Value tile;
    int64_t pack;
    bool rows_fastest() const { return src->ContiguousAlong(rdim); }
  };
  const Staging a_stage{&a_src, cfg.tm, kp, c.m, c.k, c.dm, c.dk, a_tile, cfg.pack()};
  const Staging b_stage{&b_src, cfg.tn, kp, c.n, c.k, c.dn, c.dk, b_tile, cfg.pack()};
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
  // tiles divide (static shapes: every 1024^2 operand) needs no check: the caller keeps c0 of K
  // inside it.
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
      lb.create<mlir::memref::StoreOp>(l, values[s], st.tile, mlir::ValueRange{WgmmaTileIndex(lb, l, cfg, r, col)});
    }
  };
  // The shared tiles' addresses, for the descriptors, and the MMAs of one K step.
  const WgmmaStep wgmma_step{cfg.unit == Unit::kTf32 ? "tf32" : operand.isBF16() ? "bf16" : "f16", wg_n,
                             cfg.tk / cfg.mma_k(), cfg.lbo_words() * 4, cfg.sbo_words() * 4};
  auto address = [&](mlir::Value tile) -> mlir::Value {
    return b.create<mlir::arith::IndexCastOp>(loc, b.getI64Type(),
                                              b.create<mlir::memref::ExtractAlignedPointerAsIndexOp>(loc, tile));
  };
  mlir::Value a_address = address(a_tile), b_address = address(b_tile);
  // Software pipelining through registers: the loop carries the accumulators and the next
  // tiles' elements. Each step stores those to shared memory, issues the MMAs, issues the global
  // loads of the step after (their latency hidden behind the MMAs), then waits. Past the end of
  // K the loads read clamped addresses and are not used.
  std::vector<mlir::Value> first_a = fetch(b, loc, a_stage, m0, k_begin);
  std::vector<mlir::Value> first_b = fetch(b, loc, b_stage, n0, k_begin);
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
        EmitAsyncProxyFence(lb, l);
        lb.create<mlir::gpu::BarrierOp>(l);
        std::vector<mlir::Value> acc(carried.begin(), carried.begin() + static_cast<std::ptrdiff_t>(n_acc));
        WgmmaIssue(lb, l, wgmma_step, a_address, b_address, wg_m0, warp_n0, acc);
        mlir::Value k_next = lb.create<mlir::arith::AddIOp>(l, k0, ci(cfg.tk));
        // Where the tiles divide K its loads are unchecked: the last step's prefetch re-reads
        // the last tile instead of running past the end.
        if (c.k % cfg.tk == 0) k_next = lb.create<mlir::arith::MinUIOp>(l, k_next, ci(c.k - cfg.tk));
        std::vector<mlir::Value> next_a = fetch(lb, l, a_stage, m0, k_next);
        std::vector<mlir::Value> next_b = fetch(lb, l, b_stage, n0, k_next);
        WgmmaWait(lb, l, acc);
        lb.create<mlir::gpu::BarrierOp>(l);
        acc.insert(acc.end(), next_a.begin(), next_a.end());
        acc.insert(acc.end(), next_b.begin(), next_b.end());
        lb.create<mlir::scf::YieldOp>(l, acc);
      });

  // Where each accumulator lands in the block's tile: the C fragment per 8 columns, c0, c1 at
  // (g, 2t), (g, 2t + 1); c2, c3 eight rows below.
  BlockSums out;
  mlir::Value col_in_tile = b.create<mlir::arith::MulIOp>(loc, in_group, index(2));
  for (int64_t j = 0; j < frag_tiles_n; ++j) {
    for (int64_t v = 0; v < 4; ++v) {
      mlir::Value row = b.create<mlir::arith::AddIOp>(loc, warp_m0, b.create<mlir::arith::AddIOp>(loc, group, index((v / 2) * 8)));
      mlir::Value col = b.create<mlir::arith::AddIOp>(loc, warp_n0, b.create<mlir::arith::AddIOp>(loc, col_in_tile, index(j * kMmaN + v % 2)));
      out.slots.push_back({row, col});
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
  Epilogue epilogue = Epilogue::Find(op, {c.a->get(), c.b->get()});

  mlir::OpBuilder b(op);
  const mlir::Location loc = op.getLoc();
  auto index = [&](int64_t v) -> mlir::Value { return b.create<mlir::arith::ConstantIndexOp>(loc, v); };
  const mlir::Type f32 = b.getF32Type();
  Source a_src = SourceOf(c, c.a), b_src = SourceOf(c, c.b);
  if (epilogue) {
    // The kernel's stores must not land in what its tile loads read.
    const mlir::Value dest = Root(epilogue.destination());
    if (Root(a_src.buffer) == dest) a_src = Source{c.a->get(), op.getMatchingIndexingMap(c.a)};
    if (Root(b_src.buffer) == dest) b_src = Source{c.b->get(), op.getMatchingIndexingMap(c.b)};
  }
  const MmaTiles mma_tiles = MmaTilesOf(cfg, ElementType(c.a->get()));
  mlir::MemRefType a_tile_type, b_tile_type;
  if (cfg.wgmma) {
    // Flat core matrices (WgmmaTileIndex); the 16-bit kernel's tiles hold pairs as i32.
    const mlir::Type word = cfg.unit == Unit::kHalf ? mlir::Type(b.getI32Type()) : f32;
    auto tile_type = [&](int64_t rows) { return SharedMemRefType(ctx, {rows / 8 * cfg.sbo_words()}, word); };
    a_tile_type = tile_type(cfg.tm);
    b_tile_type = tile_type(cfg.tn);
  } else if (cfg.tensor_cores()) {
    std::tie(a_tile_type, b_tile_type) = MmaSharedTileTypes(ctx, mma_tiles);
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
  const TileOperand fa{&a_src, c.dk, c.dm, c.k, c.m, m0, a_tile}, fb{&b_src, c.dk, c.dn, c.k, c.n, n0, b_tile};
  if (cfg.wgmma) {
    sums = WgmmaMainLoop(b, loc, cfg, c, a_src, b_src, base_dims, tid, m0, n0, k_begin, k_end, a_tile, b_tile);
  } else if (cfg.tensor_cores()) {
    sums = EmitMmaMainLoop(b, loc, mma_tiles, fa, fb, base_dims, tid, k_begin, k_end);
  } else {
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
    epilogue.Store(ib, l, value, c_indices);
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
  epilogue.Finish();
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
