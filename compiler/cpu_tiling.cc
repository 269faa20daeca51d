// Tiling and vectorization (see cpu_tiling.h).
//
// At the tensor level, for each linalg op from the last to the first ("roots"):
//   1. tile its parallel loops and fuse its producers into the tile loops (elementwise chains,
//      fills, and the matmul/convolution that an elementwise epilogue consumes), with tile sizes
//      picked from the op kind and the host's vector width (register tiles for contractions;
//      reductions whose kept dim is innermost, like BiasAddGrad, by vectors along that dim);
//   2. peel every tile loop whose trip count does not divide, so that all tiles, including the
//      ragged remainders, have static shapes;
//   3. tile the reduction loops of the tiled contractions/reductions (matmul k by 1, conv kh by
//      1, which lets 2-D convolutions decompose into vectorizable 1-D ones);
//   4. vectorize every linalg op whose (tiled) shape is static and small.
// After bufferization, AddVectorLoweringPasses hoists the accumulators out of the k loops and
// lowers contractions to outer products (FMAs) and n-D transfers to 1-D loads/stores.
#include "compiler/cpu_tiling.h"

#include <algorithm>

#include "compiler/cpu_parallel.h"
#include "compiler/transfer_slice_folds.h"

#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace strata {

namespace {

using mlir::func::FuncOp;
using mlir::linalg::LinalgOp;

constexpr char kTileLoopAttr[] = "strata.tile_loop";
constexpr char kRootDoneAttr[] = "strata.root_done";
// Ops with more iterations than this are not vectorized (the vectors would not fit registers,
// and fully unrolled code grows with the volume). Contractions count their reduction loops.
constexpr int64_t kMaxVectorVolume = 1024;
constexpr int64_t kMaxContractionVectorVolume = 8192;

enum class Kind { kMatmul, kBatchMatmul, kConv2D, kDepthwise, kPooling, kGeneric, kOther };

Kind KindOf(mlir::Operation* op) {
  if (mlir::isa<mlir::linalg::MatmulOp>(op)) return Kind::kMatmul;
  if (mlir::isa<mlir::linalg::BatchMatmulOp>(op)) return Kind::kBatchMatmul;
  if (mlir::isa<mlir::linalg::Conv2DNhwcHwcfOp>(op)) return Kind::kConv2D;
  if (mlir::isa<mlir::linalg::DepthwiseConv2DNhwcHwcOp>(op)) return Kind::kDepthwise;
  if (mlir::isa<mlir::linalg::PoolingNhwcMaxOp, mlir::linalg::PoolingNhwcSumOp, mlir::linalg::PoolingNhwcMinOp>(op)) {
    return Kind::kPooling;
  }
  if (mlir::isa<mlir::linalg::GenericOp>(op)) return Kind::kGeneric;
  return Kind::kOther;
}

bool IsContraction(Kind k) { return k != Kind::kGeneric && k != Kind::kOther; }

int64_t ElementBits(LinalgOp op) {
  for (mlir::Value v : op->getOperands()) {
    if (auto t = mlir::dyn_cast<mlir::ShapedType>(v.getType())) {
      unsigned bits = t.getElementTypeBitWidth();
      if (bits >= 8) return bits;
    }
  }
  return 32;
}

struct TileConfig {
  llvm::SmallVector<int64_t> sizes;        // per loop; 0 = not tiled
  llvm::SmallVector<int64_t> interchange;  // optional
  // For an epilogue root: the contraction whose tiles these are (fused into them).
  mlir::Operation* contraction = nullptr;
  // Reduction loops tiled too (outer reductions): the init (fill) must not be fused into the
  // tiles (it would be re-applied at every reduction step), and only the first
  // `parallel_loops` tile loops (the parallel ones, outermost) may run in parallel.
  bool tiles_reductions = false;
  int64_t parallel_loops = 0;
};

// Parallel tiles of a contraction-like op (register tile mr x nr on the two innermost output dims).
TileConfig ContractionTiles(Kind kind, LinalgOp op, const TilingOptions& o) {
  llvm::SmallVector<int64_t> r = op.getStaticLoopRanges();
  const int64_t lanes = std::max<int64_t>(o.vector_bits / ElementBits(op), 1);
  const int64_t nr = 2 * lanes, mr = o.vector_bits >= 512 ? 8 : 6;
  TileConfig c;
  c.sizes.assign(r.size(), 0);
  switch (kind) {
    case Kind::kMatmul:  // (m, n, k)
      c.sizes[0] = std::min(mr, r[0]);
      c.sizes[1] = std::min(nr, r[1]);
      c.interchange = {1, 0, 2};  // n tiles outside: the B panel stays in cache across m
      break;
    case Kind::kBatchMatmul:  // (b, m, n, k)
      c.sizes[0] = 1;
      c.sizes[1] = std::min(mr, r[1]);
      c.sizes[2] = std::min(nr, r[2]);
      c.interchange = {0, 2, 1, 3};
      break;
    case Kind::kConv2D:  // (n, oh, ow, f, kh, kw, c)
    case Kind::kDepthwise:  // (n, oh, ow, c, kh, kw)
    case Kind::kPooling:    // (n, oh, ow, c, kh, kw)
    {
      // Output rows of the register tile: up to 8 (16 accumulators of 2 vectors each), split
      // evenly so that the peeled remainder tile is not tiny (26 -> 7, 7, 7, 5; 11 -> 6, 5).
      const int64_t rows = std::max<int64_t>(r[2], 1);
      const int64_t tiles = (rows + 7) / 8;
      c.sizes[0] = 1;
      c.sizes[1] = 1;
      c.sizes[2] = (rows + tiles - 1) / tiles;
      c.sizes[3] = std::min(nr, r[3]);
      break;
    }
    default: break;
  }
  for (int64_t& s : c.sizes) s = std::max<int64_t>(s, 0);
  return c;
}

// An outer reduction: its innermost loop is a kept (parallel) dim, every operand is contiguous
// along it, and the reduced dims are outer to it (BiasAddGrad [N,H,W,C] -> [C], Sum over axis 0
// of [B,F], the batch statistics of BatchNorm). Such a reduction vectorizes along that innermost
// loop, with a vector accumulator per output tile that stays in registers across the reduction
// loops, instead of reducing one output element at a time with strided scalar loads. Innermost
// dims shorter than half a vector stay on the generic path.
bool IsOuterReduction(LinalgOp op, const TilingOptions& o) {
  if (!mlir::isa<mlir::linalg::GenericOp>(op.getOperation()) || op.getNumReductionLoops() == 0) return false;
  if (op->getNumResults() != 1 || op.getNumDpsInits() != 1) return false;
  llvm::SmallVector<int64_t> r = op.getStaticLoopRanges();
  auto iters = op.getIteratorTypesArray();
  const unsigned last = static_cast<unsigned>(r.size()) - 1;
  if (iters[last] != mlir::utils::IteratorType::parallel) return false;
  if (r[last] == mlir::ShapedType::kDynamic) return false;
  const int64_t lanes = std::max<int64_t>(o.vector_bits / ElementBits(op), 1);
  if (r[last] < std::max<int64_t>(lanes / 2, 2)) return false;
  for (mlir::OpOperand& operand : op->getOpOperands()) {
    mlir::AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isProjectedPermutation()) return false;
    // Scalars (rank 0) broadcast; everything else is read along the innermost loop.
    if (map.getNumResults() == 0) continue;
    if (map.getResults().back() != mlir::getAffineDimExpr(last, op->getContext())) return false;
  }
  return true;
}

// Reduction tiles of an outer reduction whose innermost loop is `width` wide: the innermost
// reduction loop by as many steps as fit one vectorized tile (unrolled: independent loads, adds
// into the accumulator), split evenly so that the peeled remainder is not tiny (26 -> 26; 129
// rows of 64 lanes -> 15, ..., 9); the other reduction loops by 1. Parallel loops are left 0.
void SetOuterReductionSteps(LinalgOp op, int64_t width, llvm::SmallVectorImpl<int64_t>& sizes) {
  llvm::SmallVector<int64_t> r = op.getStaticLoopRanges();
  auto iters = op.getIteratorTypesArray();
  const int64_t max_steps = std::clamp<int64_t>(kMaxVectorVolume / std::max<int64_t>(width, 1), 1, 32);
  bool innermost = true;
  for (int i = static_cast<int>(r.size()) - 1; i >= 0; --i) {
    if (iters[i] != mlir::utils::IteratorType::reduction) continue;
    if (innermost) {
      const int64_t tiles = (r[i] + max_steps - 1) / max_steps;
      sizes[i] = tiles <= 1 ? 0 : (r[i] + tiles - 1) / tiles;
    } else {
      sizes[i] = r[i] > 1 ? 1 : 0;
    }
    innermost = false;
  }
}

// Tiles of an outer reduction, parallel and reduction loops at once (so that the elementwise
// producers fused into a tile are tile-sized too, and vectorize): the innermost (kept) loop by up
// to four vectors, the other parallel loops by 1, the reduction loops as SetOuterReductionSteps
// says. The kept loop goes outermost, then the other parallel loops, then the reduction loops:
// each output tile's accumulator does not depend on the reduction loops, and is hoisted out of
// them after bufferization (it stays in registers).
TileConfig OuterReductionTiles(LinalgOp op, const TilingOptions& o) {
  llvm::SmallVector<int64_t> r = op.getStaticLoopRanges();
  auto iters = op.getIteratorTypesArray();
  const int64_t lanes = std::max<int64_t>(o.vector_bits / ElementBits(op), 1);
  TileConfig c;
  c.sizes.assign(r.size(), 0);
  const int64_t last = static_cast<int64_t>(r.size()) - 1;
  c.sizes[last] = std::min(r[last], 4 * lanes);
  SetOuterReductionSteps(op, c.sizes[last], c.sizes);
  c.interchange.push_back(last);
  for (int64_t i = 0; i < last; ++i) {
    if (iters[i] == mlir::utils::IteratorType::parallel) {
      c.sizes[i] = 1;
      c.interchange.push_back(i);
      ++c.parallel_loops;
    }
  }
  ++c.parallel_loops;  // the kept loop
  for (int64_t i = 0; i < last; ++i) {
    if (iters[i] == mlir::utils::IteratorType::reduction) c.interchange.push_back(i);
  }
  c.tiles_reductions = true;
  return c;
}

// Parallel tiles of an elementwise or reduction generic: about four vectors per tile,
// taken from the innermost parallel loops (reduction loops stay whole at this level).
TileConfig GenericTiles(LinalgOp op, const TilingOptions& o) {
  llvm::SmallVector<int64_t> r = op.getStaticLoopRanges();
  auto iters = op.getIteratorTypesArray();
  const int64_t lanes = std::max<int64_t>(o.vector_bits / ElementBits(op), 1);
  int64_t budget = 4 * lanes;
  // Reductions that stay whole in a tile (short ones) count against the budget.
  for (size_t i = 0; i < r.size(); ++i) {
    if (iters[i] == mlir::utils::IteratorType::reduction && r[i] <= 8 * lanes) budget = std::max<int64_t>(budget / std::max<int64_t>(r[i], 1), 1);
  }
  TileConfig c;
  c.sizes.assign(r.size(), 0);
  for (int i = static_cast<int>(r.size()) - 1; i >= 0; --i) {
    if (iters[i] != mlir::utils::IteratorType::parallel) continue;
    if (r[i] == mlir::ShapedType::kDynamic) return TileConfig{};
    int64_t t = std::max<int64_t>(std::min(r[i], budget), 1);
    c.sizes[i] = t;
    budget = std::max<int64_t>(budget / t, 1);
  }
  return c;
}

// An elementwise generic that directly consumes a contraction of its own shape (an epilogue):
// tiled like the contraction, so that the contraction fuses into its tiles.
std::optional<TileConfig> EpilogueTiles(LinalgOp root, const TilingOptions& o) {
  if (!mlir::isa<mlir::linalg::GenericOp>(root.getOperation())) return std::nullopt;
  if (root.getNumReductionLoops() != 0 || root->getNumResults() != 1) return std::nullopt;
  for (mlir::OpOperand* in : root.getDpsInputOperands()) {
    auto producer = in->get().getDefiningOp<LinalgOp>();
    if (!producer || !IsContraction(KindOf(producer)) || producer->getNumResults() != 1) continue;
    if (!root.getMatchingIndexingMap(in).isIdentity()) continue;
    TileConfig pc = ContractionTiles(KindOf(producer), producer, o);
    // The epilogue's loops are the contraction's parallel loops, in order.
    TileConfig c;
    auto piters = producer.getIteratorTypesArray();
    for (size_t i = 0; i < piters.size(); ++i) {
      if (piters[i] == mlir::utils::IteratorType::parallel) c.sizes.push_back(pc.sizes[i]);
    }
    if (c.sizes.size() != root.getNumLoops()) continue;
    if (KindOf(producer) == Kind::kMatmul) c.interchange = {1, 0};
    if (KindOf(producer) == Kind::kBatchMatmul) c.interchange = {0, 2, 1};
    c.contraction = producer.getOperation();
    return c;
  }
  return std::nullopt;
}

// Tiling computes operand slices assuming indices grow with the loops; a reversed operand
// (d -> n - 1 - d) would get a wrong slice, so such ops are left untiled.
bool HasDecreasingIndexing(LinalgOp op) {
  for (mlir::AffineMap m : op.getIndexingMapsArray()) {
    for (mlir::AffineExpr e : m.getResults()) {
      bool negative = false;
      e.walk([&](mlir::AffineExpr sub) {
        auto bin = mlir::dyn_cast<mlir::AffineBinaryOpExpr>(sub);
        if (!bin || bin.getKind() != mlir::AffineExprKind::Mul) return;
        if (auto c = mlir::dyn_cast<mlir::AffineConstantExpr>(bin.getRHS())) negative |= c.getValue() < 0;
      });
      if (negative) return true;
    }
  }
  return false;
}

// Static, non-empty, and safe to tile.
bool Tileable(LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape() || HasDecreasingIndexing(op)) return false;
  for (int64_t d : op.getStaticLoopRanges()) {
    if (d <= 0) return false;
  }
  return true;
}

bool AllZero(llvm::ArrayRef<int64_t> v) {
  return llvm::all_of(v, [](int64_t x) { return x == 0; });
}

int64_t Volume(LinalgOp op) {
  int64_t v = 1;
  for (int64_t d : op.getStaticLoopRanges()) {
    if (d == mlir::ShapedType::kDynamic) return -1;
    v *= d;
  }
  return v;
}

// Rough run time of a root (and the contraction fused into it) in ns, for the parallel-loop
// decision: vectorized contractions do ~50 multiply-adds per ns on one core, depthwise
// convolutions and pooling fewer, elementwise code ~2 elements per ns (memory bound).
int64_t EstimatedCostNs(LinalgOp root, mlir::Operation* fused_contraction) {
  auto cost = [](LinalgOp op) -> int64_t {
    const int64_t v = std::max<int64_t>(Volume(op), 0);
    switch (KindOf(op)) {
      case Kind::kMatmul:
      case Kind::kBatchMatmul:
      case Kind::kConv2D: return v / 50;
      case Kind::kDepthwise:
      case Kind::kPooling: return v / 16;
      default: return v / 2;
    }
  };
  int64_t total = cost(root);
  if (fused_contraction) total += cost(mlir::cast<LinalgOp>(fused_contraction));
  return total;
}

void MarkLoops(llvm::ArrayRef<mlir::LoopLikeOpInterface> loops) {
  for (mlir::LoopLikeOpInterface l : loops) l->setAttr(kTileLoopAttr, mlir::UnitAttr::get(l->getContext()));
}

// Level 1: tile each root's parallel loops and fuse its producers.
void TileAndFuseRoots(FuncOp func, const TilingOptions& o) {
  mlir::IRRewriter rewriter(func.getContext());
  while (true) {
    LinalgOp root;
    for (mlir::Operation& op : llvm::reverse(func.getBody().front())) {
      auto l = mlir::dyn_cast<LinalgOp>(&op);
      if (!l || mlir::isa<mlir::linalg::FillOp>(&op) || op.hasAttr(kRootDoneAttr)) continue;
      root = l;
      break;
    }
    if (!root) return;
    root->setAttr(kRootDoneAttr, rewriter.getUnitAttr());
    if (!Tileable(root)) continue;

    const Kind kind = KindOf(root);
    TileConfig config;
    if (IsContraction(kind)) {
      config = ContractionTiles(kind, root, o);
    } else if (std::optional<TileConfig> e = EpilogueTiles(root, o)) {
      config = *e;
    } else if (kind == Kind::kGeneric && IsOuterReduction(root, o)) {
      config = OuterReductionTiles(root, o);
    } else if (kind == Kind::kGeneric) {
      config = GenericTiles(root, o);
    }
    if (config.sizes.empty() || AllZero(config.sizes)) continue;

    mlir::scf::SCFTilingOptions tiling;
    tiling.setTileSizes(mlir::getAsIndexOpFoldResult(func.getContext(), config.sizes));
    if (!config.interchange.empty()) tiling.setInterchange(config.interchange);
    mlir::scf::SCFTileAndFuseOptions options;
    options.setTilingOptions(tiling);
    // Fusion rules. Elementwise producers are cheap to recompute per tile, except into a
    // contraction's inputs, which are re-read for every tile of the other operand (so a
    // contraction root takes only its init, the fill). The only reduction fused is the
    // contraction an epilogue root was tiled for, when the epilogue is its single consumer.
    const bool contraction_root = IsContraction(kind);
    const bool tiles_reductions = config.tiles_reductions;
    mlir::Operation* contraction = config.contraction;
    mlir::Operation* root_op = root.getOperation();
    options.setFusionControlFn([contraction_root, tiles_reductions, contraction, root_op](
                                   mlir::tensor::ExtractSliceOp slice, mlir::OpResult producer, bool destination) {
      if (tiles_reductions && destination) return std::make_tuple(false, false);
      auto l = mlir::dyn_cast<LinalgOp>(producer.getOwner());
      bool fuse = l && Tileable(l);
      for (mlir::OpOperand& use : slice->getUses()) {
        auto consumer = mlir::dyn_cast<LinalgOp>(use.getOwner());
        if (consumer && IsContraction(KindOf(consumer)) && consumer.isDpsInput(&use)) fuse = false;
      }
      if (fuse && l.getNumReductionLoops() > 0) {
        bool single_consumer = true;
        for (mlir::Operation* user : producer.getUsers()) {
          single_consumer &= user == root_op || mlir::isa<mlir::tensor::ExtractSliceOp>(user);
        }
        fuse = producer.getOwner() == contraction && single_consumer;
      }
      if (contraction_root) fuse = fuse && destination;
      return std::make_tuple(fuse, false);
    });
    rewriter.setInsertionPoint(root);
    auto result = mlir::scf::tileConsumerAndFuseProducersUsingSCF(
        rewriter, mlir::cast<mlir::TilingInterface>(root.getOperation()), options);
    if (mlir::failed(result)) continue;
    MarkLoops(result->loops);
    llvm::ArrayRef<mlir::LoopLikeOpInterface> parallel_loops = result->loops;
    if (config.tiles_reductions) {  // never a loop around an accumulator
      parallel_loops = parallel_loops.take_front(std::min<size_t>(config.parallel_loops, parallel_loops.size()));
    }
    MarkParallelLoop(parallel_loops, EstimatedCostNs(root, config.contraction));
    for (mlir::OpResult r : root->getResults()) {
      if (mlir::Value replacement = result->replacements.lookup(r)) rewriter.replaceAllUsesWith(r, replacement);
    }
    if (root->use_empty()) rewriter.eraseOp(root);
  }
}

// Peels the tile loops whose trip count does not divide: the main loop and the remainder then
// both have static tile sizes.
void PeelTileLoops(FuncOp func) {
  mlir::IRRewriter rewriter(func.getContext());
  llvm::SmallVector<mlir::scf::ForOp> loops;
  func.walk<mlir::WalkOrder::PreOrder>([&](mlir::scf::ForOp f) {
    if (f->hasAttr(kTileLoopAttr)) loops.push_back(f);
  });
  while (!loops.empty()) {
    mlir::scf::ForOp loop = loops.front();
    loops.erase(loops.begin());
    loop->removeAttr(kTileLoopAttr);
    mlir::scf::ForOp partial;
    rewriter.setInsertionPoint(loop);
    if (mlir::failed(mlir::scf::peelForLoopAndSimplifyBounds(rewriter, loop, partial)) || !partial) continue;
    partial->removeAttr(kTileLoopAttr);
    ClearParallelMark(partial);  // one iteration
    // The remainder holds copies of the inner tile loops: peel those too.
    partial.walk([&](mlir::scf::ForOp inner) {
      if (inner->hasAttr(kTileLoopAttr)) loops.push_back(inner);
    });
  }
}

// Level 2: tile the reduction loops of tiled contractions and reductions.
void TileReductions(FuncOp func, const TilingOptions& o) {
  mlir::IRRewriter rewriter(func.getContext());
  llvm::SmallVector<LinalgOp> ops;
  func.walk([&](LinalgOp op) {
    if (op.getNumReductionLoops() > 0 && Tileable(op)) {
      ops.push_back(op);
    }
  });
  for (LinalgOp op : ops) {
    llvm::SmallVector<int64_t> r = op.getStaticLoopRanges();
    auto iters = op.getIteratorTypesArray();
    llvm::SmallVector<int64_t> sizes(r.size(), 0);
    const Kind kind = KindOf(op);
    const int64_t lanes = std::max<int64_t>(o.vector_bits / ElementBits(op), 1);
    switch (kind) {
      case Kind::kMatmul: sizes[2] = 1; break;
      case Kind::kBatchMatmul: sizes[3] = 1; break;
      case Kind::kConv2D:  // (n, oh, ow, f, kh, kw, c): one filter tap and one input channel at a
        // time: each step is one outer product (broadcast inputs x filter vectors) into the
        // register tile, like matmul's k loop; wider channel tiles need transposes of the input.
        sizes[4] = 1;
        sizes[5] = 1;
        sizes[6] = 1;
        break;
      case Kind::kDepthwise:
      case Kind::kPooling: sizes[4] = 1; break;
      case Kind::kGeneric: {
        if (IsOuterReduction(op, o)) {
          // Usually tiled already at level 1 (OuterReductionTiles): then nothing is left to do.
          SetOuterReductionSteps(op, r.back(), sizes);
          break;
        }
        // Innermost reduction loop by a few vectors, other reduction loops by 1.
        bool innermost = true;
        for (int i = static_cast<int>(r.size()) - 1; i >= 0; --i) {
          if (iters[i] != mlir::utils::IteratorType::reduction) continue;
          sizes[i] = innermost ? (r[i] > 8 * lanes ? 4 * lanes : 0) : 1;
          innermost = false;
        }
        break;
      }
      default: break;
    }
    if (AllZero(sizes)) continue;
    mlir::scf::SCFTilingOptions tiling;
    tiling.setTileSizes(mlir::getAsIndexOpFoldResult(func.getContext(), sizes));
    rewriter.setInsertionPoint(op);
    auto result = mlir::scf::tileUsingSCF(rewriter, mlir::cast<mlir::TilingInterface>(op.getOperation()), tiling);
    if (mlir::failed(result)) continue;
    MarkLoops(result->loops);
    rewriter.replaceOp(op, result->replacements);
  }
}

// Every op's and every dialect's canonicalization patterns (linalg folds tensor.cast into its
// ops at the dialect level: that is what makes peeled tiles static).
void AddCanonicalizations(mlir::RewritePatternSet& patterns) {
  mlir::MLIRContext* ctx = patterns.getContext();
  for (mlir::Dialect* d : ctx->getLoadedDialects()) d->getCanonicalizationPatterns(patterns);
  for (mlir::RegisteredOperationName op : ctx->getRegisteredOperations()) op.getCanonicalizationPatterns(patterns, ctx);
}

mlir::LogicalResult Simplify(FuncOp func) {
  mlir::MLIRContext* ctx = func.getContext();
  mlir::RewritePatternSet patterns(ctx);
  mlir::linalg::populateLinalgTilingCanonicalizationPatterns(patterns);
  mlir::tensor::populateFoldTensorEmptyPatterns(patterns);
  AddCanonicalizations(patterns);
  return mlir::applyPatternsAndFoldGreedily(func, std::move(patterns));
}

void Vectorize(FuncOp func) {
  mlir::IRRewriter rewriter(func.getContext());
  llvm::SmallVector<LinalgOp> ops;
  func.walk([&](LinalgOp op) {
    const int64_t v = Volume(op);
    // Named ops (matmul, convolutions, pooling, also after decomposition to 1-D) unroll their
    // reduction loops into FMAs; generics materialize the whole iteration space.
    const bool named = KindOf(op) != Kind::kGeneric;
    const int64_t limit = named ? kMaxContractionVectorVolume : kMaxVectorVolume;
    if (v <= 0 || v > limit || !op.hasPureTensorSemantics()) return;
    if (mlir::failed(mlir::linalg::vectorizeOpPrecondition(op))) return;
    ops.push_back(op);
  });
  for (LinalgOp op : ops) {
    rewriter.setInsertionPoint(op);
    (void)mlir::linalg::vectorize(rewriter, op);
  }
}

mlir::LogicalResult CleanUpVectors(FuncOp func) {
  mlir::MLIRContext* ctx = func.getContext();
  mlir::RewritePatternSet patterns(ctx);
  // Broadcasting reads become read + broadcast, which the contraction patterns then absorb
  // (mul + multi_reduction -> vector.contract with plain matmul maps).
  mlir::vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
  mlir::vector::populateVectorReductionToContractPatterns(patterns);
  mlir::vector::populateSinkVectorBroadcastPatterns(patterns);
  // Not MLIR 19's populateFoldTensorSubsetIntoVectorTransferPatterns: it drops partial tiles.
  PopulateTensorSubsetIntoTransferFolds(patterns);
  mlir::vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
  mlir::vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
  AddCanonicalizations(patterns);
  return mlir::applyPatternsAndFoldGreedily(func, std::move(patterns));
}

struct TileAndVectorizePass : public mlir::PassWrapper<TileAndVectorizePass, mlir::OperationPass<FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TileAndVectorizePass)
  explicit TileAndVectorizePass(TilingOptions o) : options(o) {}
  llvm::StringRef getArgument() const override { return "strata-tile-and-vectorize"; }
  void getDependentDialects(mlir::DialectRegistry& registry) const override {
    registry.insert<mlir::affine::AffineDialect, mlir::arith::ArithDialect, mlir::scf::SCFDialect,
                    mlir::tensor::TensorDialect, mlir::vector::VectorDialect>();
  }
  void runOnOperation() override {
    FuncOp func = getOperation();
    if (func.isExternal()) return;
    TileAndFuseRoots(func, options);
    func.walk([](mlir::Operation* op) { op->removeAttr(kRootDoneAttr); });
    PeelTileLoops(func);
    if (mlir::failed(Simplify(func))) return signalPassFailure();
    TileReductions(func, options);
    PeelTileLoops(func);
    {
      mlir::RewritePatternSet patterns(func.getContext());
      mlir::linalg::populateDecomposeConvolutionPatterns(patterns);
      if (mlir::failed(mlir::applyPatternsAndFoldGreedily(func, std::move(patterns)))) return signalPassFailure();
    }
    if (mlir::failed(Simplify(func))) return signalPassFailure();
    Vectorize(func);
    if (mlir::failed(CleanUpVectors(func))) return signalPassFailure();
  }
  TilingOptions options;
};

// After bufferization: hoist loop-invariant transfers (the accumulators of the k loops), then
// lower contractions, reductions, transposes and n-D transfers to what LLVM conversion takes.
struct LowerVectorsPass : public mlir::PassWrapper<LowerVectorsPass, mlir::OperationPass<FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(LowerVectorsPass)
  llvm::StringRef getArgument() const override { return "strata-lower-vectors"; }
  void getDependentDialects(mlir::DialectRegistry& registry) const override {
    registry.insert<mlir::arith::ArithDialect, mlir::memref::MemRefDialect, mlir::scf::SCFDialect,
                    mlir::vector::VectorDialect>();
  }
  void runOnOperation() override {
    FuncOp func = getOperation();
    if (func.isExternal()) return;
    mlir::MLIRContext* ctx = func.getContext();
    {
      mlir::RewritePatternSet patterns(ctx);
      mlir::memref::populateFoldMemRefAliasOpPatterns(patterns);
      if (mlir::failed(mlir::applyPatternsAndFoldGreedily(func, std::move(patterns)))) return signalPassFailure();
    }
    mlir::linalg::hoistRedundantVectorTransfers(func);
    mlir::vector::VectorTransformsOptions vopts;
    vopts.setVectorTransformsOptions(mlir::vector::VectorContractLowering::OuterProduct);
    vopts.setVectorMultiReductionLowering(mlir::vector::VectorMultiReductionLowering::InnerParallel);
    {
      mlir::RewritePatternSet patterns(ctx);
      mlir::vector::populateVectorContractLoweringPatterns(patterns, vopts);
      mlir::vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      mlir::vector::populateVectorMultiReductionLoweringPatterns(patterns, vopts.vectorMultiReductionLowering);
      mlir::vector::populateVectorOuterProductLoweringPatterns(patterns);
      mlir::vector::populateVectorTransposeLoweringPatterns(patterns, vopts);
      mlir::vector::populateVectorShapeCastLoweringPatterns(patterns);
      mlir::vector::populateVectorBroadcastLoweringPatterns(patterns);
      mlir::vector::populateVectorMaskOpLoweringPatterns(patterns);
      if (mlir::failed(mlir::applyPatternsAndFoldGreedily(func, std::move(patterns)))) return signalPassFailure();
    }
    {
      mlir::RewritePatternSet patterns(ctx);
      mlir::populateVectorToSCFConversionPatterns(patterns, mlir::VectorTransferToSCFOptions().enableFullUnroll().setTargetRank(1));
      mlir::vector::populateVectorTransferLoweringPatterns(patterns, /*maxTransferRank=*/1);
      mlir::vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      if (mlir::failed(mlir::applyPatternsAndFoldGreedily(func, std::move(patterns)))) return signalPassFailure();
    }
  }
};

}  // namespace

void AddTileAndVectorizePasses(mlir::OpPassManager& pm, const TilingOptions& options) {
  pm.addNestedPass<FuncOp>(std::make_unique<TileAndVectorizePass>(options));
}

void AddVectorLoweringPasses(mlir::OpPassManager& pm) { pm.addNestedPass<FuncOp>(std::make_unique<LowerVectorsPass>()); }

}  // namespace strata
