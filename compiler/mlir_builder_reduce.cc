// Reductions: reduce, arg_reduce, reduce_window. 16-bit floats accumulate in f32.
#include <limits>

#include "compiler/mlir_builder.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace strata {

namespace arith = mlir::arith;

namespace {

bool IsHalf(DType t) { return t == DT_HALF || t == DT_BFLOAT16; }

// The element type reductions of `dtype` accumulate in.
mlir::Type AccumulatorType(mlir::MLIRContext* ctx, DType dtype) {
  if (IsHalf(dtype)) return mlir::FloatType::getF32(ctx);
  return StorageElementType(ctx, dtype);
}

mlir::Value ToAccumulator(mlir::OpBuilder& b, mlir::Location l, mlir::Value v, mlir::Type acc) {
  if (v.getType() == acc) return v;
  return b.create<arith::ExtFOp>(l, acc, v);
}

}  // namespace

mlir::Value MlirBuilder::ReduceIdentity(mlir::OpBuilder& b, mlir::Location l, ReduceKind k, DType dtype, mlir::Type type) {
  if (auto ft = mlir::dyn_cast<mlir::FloatType>(type)) {
    const double inf = std::numeric_limits<double>::infinity();
    switch (k) {
      case ReduceKind::kSum: return ScalarConst(b, l, type, 0);
      case ReduceKind::kProd: return ScalarConst(b, l, type, 1);
      case ReduceKind::kMax: return ScalarConst(b, l, type, -inf);
      default: return ScalarConst(b, l, type, inf);
    }
  }
  const unsigned w = type.getIntOrFloatBitWidth();
  const bool s = IsSignedIntegerDType(dtype);
  llvm::APInt v;
  switch (k) {
    case ReduceKind::kSum:
    case ReduceKind::kAny: v = llvm::APInt(w, 0); break;
    case ReduceKind::kProd:
    case ReduceKind::kAll: v = llvm::APInt(w, 1); break;
    case ReduceKind::kMax: v = s ? llvm::APInt::getSignedMinValue(w) : llvm::APInt(w, 0); break;
    case ReduceKind::kMin: v = s ? llvm::APInt::getSignedMaxValue(w) : llvm::APInt::getMaxValue(w); break;
  }
  return b.create<arith::ConstantOp>(l, b.getIntegerAttr(type, v));
}

mlir::Value MlirBuilder::ReduceCombine(mlir::OpBuilder& b, mlir::Location l, ReduceKind k, DType dtype, mlir::Value acc,
                                       mlir::Value x) {
  const bool f = mlir::isa<mlir::FloatType>(acc.getType());
  const bool s = IsSignedIntegerDType(dtype);
  switch (k) {
    case ReduceKind::kSum: return f ? b.create<arith::AddFOp>(l, acc, x).getResult() : b.create<arith::AddIOp>(l, acc, x).getResult();
    case ReduceKind::kProd: return f ? b.create<arith::MulFOp>(l, acc, x).getResult() : b.create<arith::MulIOp>(l, acc, x).getResult();
    case ReduceKind::kMax:
      if (f) return b.create<arith::MaximumFOp>(l, acc, x);
      return s ? b.create<arith::MaxSIOp>(l, acc, x).getResult() : b.create<arith::MaxUIOp>(l, acc, x).getResult();
    case ReduceKind::kMin:
      if (f) return b.create<arith::MinimumFOp>(l, acc, x);
      return s ? b.create<arith::MinSIOp>(l, acc, x).getResult() : b.create<arith::MinUIOp>(l, acc, x).getResult();
    case ReduceKind::kAll: return b.create<arith::AndIOp>(l, acc, x);  // bools are 0/1 bytes
    case ReduceKind::kAny: return b.create<arith::OrIOp>(l, acc, x);
  }
  return nullptr;
}

mlir::Value MlirBuilder::PadWith(mlir::Value x, mlir::Value scalar, absl::Span<const int64_t> lo,
                                 absl::Span<const int64_t> hi) {
  bool any = false;
  for (size_t i = 0; i < lo.size(); ++i) any |= lo[i] != 0 || hi[i] != 0;
  if (!any) return x;
  auto src = mlir::cast<mlir::RankedTensorType>(x.getType());
  llvm::SmallVector<int64_t> dims;
  llvm::SmallVector<mlir::OpFoldResult> l, h;
  for (int64_t i = 0; i < src.getRank(); ++i) {
    dims.push_back(src.getDimSize(i) + lo[i] + hi[i]);
    l.push_back(builder_.getIndexAttr(lo[i]));
    h.push_back(builder_.getIndexAttr(hi[i]));
  }
  auto type = mlir::RankedTensorType::get(dims, src.getElementType());
  return builder_.create<mlir::tensor::PadOp>(loc_, type, x, l, h, scalar);
}

Value MlirBuilder::EmitReduce(ReduceKind k, Value x, absl::Span<const int64_t> dims, const Value& type) {
  const DType dt = x.dtype;
  mlir::Type acc = AccumulatorType(ctx(), dt);
  mlir::Value init = Filled(ReduceIdentity(builder_, loc_, k, dt, acc), acc, type.shape.dims());
  const unsigned rank = x.rank();
  std::vector<bool> red(rank, false);
  llvm::SmallVector<mlir::AffineExpr> out_exprs;
  for (unsigned d = 0; d < rank; ++d) {
    red[d] = std::find(dims.begin(), dims.end(), static_cast<int64_t>(d)) != dims.end();
    if (!red[d]) out_exprs.push_back(builder_.getAffineDimExpr(d));
  }
  mlir::AffineMap maps[] = {builder_.getMultiDimIdentityMap(rank), mlir::AffineMap::get(rank, 0, out_exprs, ctx())};
  mlir::Value out = Generic(mlir::ValueRange{Get(x)}, init, maps, red,
                            [&](mlir::OpBuilder& b, mlir::Location l, mlir::ValueRange args) {
                              mlir::Value v = ToAccumulator(b, l, args[0], acc);
                              b.create<mlir::linalg::YieldOp>(l, ReduceCombine(b, l, k, dt, args[1], v));
                            });
  if (acc != StorageElementType(ctx(), dt)) {
    Value tmp = Record(out, TypeOf(DT_FLOAT, type.shape));
    return EmitConvert(tmp, type);
  }
  return Record(out, type);
}

Value MlirBuilder::EmitArgReduce(ArgReduceKind k, Value x, int64_t axis, const Value& type) {
  const DType dt = x.dtype;
  mlir::Type acc = AccumulatorType(ctx(), dt);
  mlir::Type index_type = StorageElementType(ctx(), type.dtype);
  const ReduceKind identity_kind = k == ArgReduceKind::kArgMax ? ReduceKind::kMax : ReduceKind::kMin;
  mlir::Value value_init = Filled(ReduceIdentity(builder_, loc_, identity_kind, dt, acc), acc, type.shape.dims());
  mlir::Value index_init = Filled(ScalarConst(builder_, loc_, index_type, 0), index_type, type.shape.dims());
  const unsigned rank = x.rank();
  llvm::SmallVector<mlir::AffineExpr> out_exprs;
  llvm::SmallVector<mlir::utils::IteratorType> iterators;
  for (unsigned d = 0; d < rank; ++d) {
    if (d == axis) {
      iterators.push_back(mlir::utils::IteratorType::reduction);
    } else {
      iterators.push_back(mlir::utils::IteratorType::parallel);
      out_exprs.push_back(builder_.getAffineDimExpr(d));
    }
  }
  mlir::AffineMap out_map = mlir::AffineMap::get(rank, 0, out_exprs, ctx());
  llvm::SmallVector<mlir::AffineMap> maps = {builder_.getMultiDimIdentityMap(rank), out_map, out_map};
  const bool is_float = mlir::isa<mlir::FloatType>(acc);
  const bool s = IsSignedIntegerDType(dt);
  auto op = builder_.create<mlir::linalg::GenericOp>(
      loc_, mlir::TypeRange{value_init.getType(), index_init.getType()}, mlir::ValueRange{Get(x)},
      mlir::ValueRange{value_init, index_init}, maps, iterators,
      [&](mlir::OpBuilder& b, mlir::Location l, mlir::ValueRange args) {
        mlir::Value v = ToAccumulator(b, l, args[0], acc);
        mlir::Value best = args[1], best_index = args[2];
        mlir::Value better;
        const bool max = k == ArgReduceKind::kArgMax;
        if (is_float) {
          // A NaN is the extreme for both (the first NaN wins, as in the reference evaluator,
          // NumPy and XLA): it beats any number, and nothing beats it.
          mlir::Value ordered_better =
              b.create<arith::CmpFOp>(l, max ? arith::CmpFPredicate::OGT : arith::CmpFPredicate::OLT, v, best);
          mlir::Value v_nan = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, v, v);
          mlir::Value best_number = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::ORD, best, best);
          mlir::Value first_nan = b.create<arith::AndIOp>(l, v_nan, best_number);
          better = b.create<arith::OrIOp>(l, ordered_better, first_nan);
        } else {
          arith::CmpIPredicate p = max ? (s ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::ugt)
                                       : (s ? arith::CmpIPredicate::slt : arith::CmpIPredicate::ult);
          better = b.create<arith::CmpIOp>(l, p, v, best);
        }
        mlir::Value i = b.create<mlir::linalg::IndexOp>(l, axis);
        mlir::Value index = b.create<arith::IndexCastOp>(l, index_type, i);
        mlir::Value new_best = b.create<arith::SelectOp>(l, better, v, best);
        mlir::Value new_index = b.create<arith::SelectOp>(l, better, index, best_index);
        b.create<mlir::linalg::YieldOp>(l, mlir::ValueRange{new_best, new_index});
      });
  return Record(op.getResult(1), type);
}

Value MlirBuilder::EmitReduceWindow(ReduceKind k, Value x, const WindowConfig& c, const Value& type) {
  const DType dt = x.dtype;
  mlir::Type storage = StorageElementType(ctx(), dt);
  mlir::Type acc = AccumulatorType(ctx(), dt);
  mlir::Value padded = PadWith(Get(x), ReduceIdentity(builder_, loc_, k, dt, storage), c.padding_lo, c.padding_hi);
  const unsigned rank = x.rank();
  // NHWC pooling of floats: the named linalg ops, which the CPU pipeline decomposes into 1-D
  // pooling and vectorizes along the channels.
  const bool nhwc = rank == 4 && c.window[0] == 1 && c.window[3] == 1 && c.strides[0] == 1 && c.strides[3] == 1;
  if (nhwc && mlir::isa<mlir::FloatType>(acc) && k != ReduceKind::kProd) {
    mlir::Value window = EmptyOf(storage, {c.window[1], c.window[2]});
    mlir::Value init = Filled(ReduceIdentity(builder_, loc_, k, dt, acc), acc, type.shape.dims());
    auto strides = builder_.getI64TensorAttr({c.strides[1], c.strides[2]});
    auto dilations = builder_.getI64TensorAttr({1, 1});
    llvm::SmallVector<mlir::Type> types{init.getType()};
    llvm::SmallVector<mlir::Value> ins{padded, window}, outs{init};
    mlir::Value out;
    if (k == ReduceKind::kMax) {
      out = builder_.create<mlir::linalg::PoolingNhwcMaxOp>(loc_, types, ins, outs, strides, dilations).getResult(0);
    } else if (k == ReduceKind::kMin) {
      out = builder_.create<mlir::linalg::PoolingNhwcMinOp>(loc_, types, ins, outs, strides, dilations).getResult(0);
    } else {
      out = builder_.create<mlir::linalg::PoolingNhwcSumOp>(loc_, types, ins, outs, strides, dilations).getResult(0);
    }
    if (acc != storage) return EmitConvert(Record(out, TypeOf(DT_FLOAT, type.shape)), type);
    return Record(out, type);
  }
  // Loops: one per output dim, then one per dim whose window is larger than 1.
  std::vector<int64_t> window_dims;
  for (unsigned d = 0; d < rank; ++d) {
    if (c.window[d] > 1) window_dims.push_back(c.window[d]);
  }
  const unsigned loops = rank + window_dims.size();
  llvm::SmallVector<mlir::AffineExpr> in_exprs, win_exprs, out_exprs;
  unsigned w = rank;
  for (unsigned d = 0; d < rank; ++d) {
    mlir::AffineExpr e = builder_.getAffineDimExpr(d) * c.strides[d];
    if (c.window[d] > 1) {
      win_exprs.push_back(builder_.getAffineDimExpr(w));
      e = e + builder_.getAffineDimExpr(w++);
    }
    in_exprs.push_back(e);
    out_exprs.push_back(builder_.getAffineDimExpr(d));
  }
  std::vector<bool> red(loops, false);
  for (unsigned i = rank; i < loops; ++i) red[i] = true;
  mlir::AffineMap maps[] = {mlir::AffineMap::get(loops, 0, in_exprs, ctx()), mlir::AffineMap::get(loops, 0, win_exprs, ctx()),
                            mlir::AffineMap::get(loops, 0, out_exprs, ctx())};
  mlir::Value window = EmptyOf(storage, window_dims);
  mlir::Value init = Filled(ReduceIdentity(builder_, loc_, k, dt, acc), acc, type.shape.dims());
  mlir::Value out = Generic(mlir::ValueRange{padded, window}, init, maps, red,
                            [&](mlir::OpBuilder& b, mlir::Location l, mlir::ValueRange args) {
                              mlir::Value v = ToAccumulator(b, l, args[0], acc);
                              b.create<mlir::linalg::YieldOp>(l, ReduceCombine(b, l, k, dt, args[2], v));
                            });
  if (acc != storage) return EmitConvert(Record(out, TypeOf(DT_FLOAT, type.shape)), type);
  return Record(out, type);
}

}  // namespace strata
