// Kernels for the host emulator (see gpu_host_kernels.h): the NVVM operations become calls into
// runtime/gpu/emulator/kernel_runner, address spaces collapse to the host's one, and the module
// is JIT-compiled with the CPU path's engine (compiler/jit.h).
#include "compiler/gpu/gpu_host_kernels.h"

#include <dlfcn.h>

#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "compiler/gpu/gpu_diagnostics.h"
#include "compiler/gpu/gpu_context.h"
#include "compiler/gpu/gpu_mma_contraction.h"
#include "compiler/gpu/gpu_warpgroup_mma.h"
#include "compiler/jit.h"
#include "compiler/mlir_context.h"
#include "llvm/Support/raw_ostream.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

namespace strata::gpu {

namespace {

namespace LLVM = mlir::LLVM;

constexpr const char* kSregFn = "strata_emu_sreg";
constexpr const char* kBarrierFn = "strata_emu_barrier";
constexpr const char* kShflFn = "strata_emu_shfl";
constexpr const char* kAccessFn = "strata_emu_access";
constexpr const char* kSharedWindowFn = "strata_emu_shared_window";
constexpr const char* kProxyFenceFn = "strata_emu_proxy_fence";
constexpr const char* kWgmmaFenceFn = "strata_emu_wgmma_fence";
constexpr const char* kWgmmaFn = "strata_emu_wgmma";
constexpr const char* kWgmmaCommitFn = "strata_emu_wgmma_commit";
constexpr const char* kWgmmaWaitFn = "strata_emu_wgmma_wait";
// Loads and stores the emulator adds itself (the wgmma wait's accumulator buffer, on the
// thread's stack): not routed through the memcheck.
constexpr const char* kUncheckedAttr = "strata.emu_unchecked";
// Loads and stores of shared memory (address space 3 before FlattenAddressSpaces): the memcheck
// call says so, for the bank-conflict counts.
constexpr const char* kSharedAttr = "strata.emu_shared";

// A pointer into shared memory (address space 3, until FlattenAddressSpaces).
bool IsSharedPointer(mlir::Type type) {
  auto p = mlir::dyn_cast<LLVM::LLVMPointerType>(type);
  return p && p.getAddressSpace() == 3;
}

void MarkSharedAccesses(mlir::ModuleOp module) {
  mlir::UnitAttr mark = mlir::UnitAttr::get(module.getContext());
  module.walk([&](LLVM::LoadOp load) {
    if (IsSharedPointer(load.getAddr().getType())) load->setAttr(kSharedAttr, mark);
  });
  module.walk([&](LLVM::StoreOp store) {
    if (IsSharedPointer(store.getAddr().getType())) store->setAttr(kSharedAttr, mark);
  });
}

// nvvm.read.ptx.sreg.<reg>.<dim> -> strata_emu_sreg's `which`; -1 for other ops.
int SregCode(llvm::StringRef name) {
  static const std::map<std::string, int, std::less<>> codes = {
      {"nvvm.read.ptx.sreg.tid.x", emu::kStrataEmuSregTidX},       {"nvvm.read.ptx.sreg.tid.y", emu::kStrataEmuSregTidX + 1},
      {"nvvm.read.ptx.sreg.tid.z", emu::kStrataEmuSregTidX + 2},   {"nvvm.read.ptx.sreg.ntid.x", emu::kStrataEmuSregNtidX},
      {"nvvm.read.ptx.sreg.ntid.y", emu::kStrataEmuSregNtidX + 1}, {"nvvm.read.ptx.sreg.ntid.z", emu::kStrataEmuSregNtidX + 2},
      {"nvvm.read.ptx.sreg.ctaid.x", emu::kStrataEmuSregCtaidX},   {"nvvm.read.ptx.sreg.ctaid.y", emu::kStrataEmuSregCtaidX + 1},
      {"nvvm.read.ptx.sreg.ctaid.z", emu::kStrataEmuSregCtaidX + 2},
      {"nvvm.read.ptx.sreg.nctaid.x", emu::kStrataEmuSregNctaidX},
      {"nvvm.read.ptx.sreg.nctaid.y", emu::kStrataEmuSregNctaidX + 1},
      {"nvvm.read.ptx.sreg.nctaid.z", emu::kStrataEmuSregNctaidX + 2},
  };
  auto it = codes.find(name);
  return it == codes.end() ? -1 : it->second;
}

int ShflMode(mlir::NVVM::ShflKind kind) {
  switch (kind) {
    case mlir::NVVM::ShflKind::up:
      return emu::kStrataEmuShflUp;
    case mlir::NVVM::ShflKind::down:
      return emu::kStrataEmuShflDown;
    case mlir::NVVM::ShflKind::bfly:
      return emu::kStrataEmuShflBfly;
    case mlir::NVVM::ShflKind::idx:
      return emu::kStrataEmuShflIdx;
  }
  return emu::kStrataEmuShflBfly;
}

// Declares `name` in `module` (once) as an external function of type `type`.
void Declare(mlir::ModuleOp module, const char* name, LLVM::LLVMFunctionType type) {
  if (module.lookupSymbol(name)) return;
  mlir::OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToStart(module.getBody());
  b.create<LLVM::LLVMFuncOp>(module.getLoc(), name, type);
}

// The running thread's lane (its linear index in the block, modulo 32), computed once at the
// entry of `fn` and kept in `lanes` for its other mma.sync.
mlir::Value LaneAtEntry(LLVM::LLVMFuncOp fn, LLVM::LLVMFuncOp sreg_fn, std::map<mlir::Operation*, mlir::Value>& lanes) {
  mlir::Value& lane = lanes[fn.getOperation()];
  if (lane) return lane;
  mlir::OpBuilder b = mlir::OpBuilder::atBlockBegin(&fn.getBody().front());
  const mlir::Location loc = fn.getLoc();
  mlir::Type i32 = b.getI32Type();
  auto c32 = [&](int32_t v) -> mlir::Value { return b.create<LLVM::ConstantOp>(loc, i32, b.getI32IntegerAttr(v)); };
  auto sreg = [&](int32_t which) -> mlir::Value {
    return b.create<LLVM::CallOp>(loc, sreg_fn, mlir::ValueRange{c32(which)}).getResult();
  };
  mlir::Value linear = b.create<LLVM::AddOp>(
      loc, sreg(emu::kStrataEmuSregTidX),
      b.create<LLVM::MulOp>(loc, sreg(emu::kStrataEmuSregNtidX),
                            b.create<LLVM::AddOp>(loc, sreg(emu::kStrataEmuSregTidX + 1),
                                                  b.create<LLVM::MulOp>(loc, sreg(emu::kStrataEmuSregNtidX + 1),
                                                                        sreg(emu::kStrataEmuSregTidX + 2)))));
  lane = b.create<LLVM::URemOp>(loc, linear, c32(32));
  return lane;
}

// mma.sync m16n8k8 f32 += tf32 * tf32 or m16n8k16 f32 += f16 * f16 / bf16 * bf16, row.col, as
// the warp would compute it, from shuffles. Lane (g, t) = (lane / 4, lane % 4) holds
// - m16n8k8 (TF32): A's (g, t), (g + 8, t), (g, t + 4), (g + 8, t + 4) and B's (k, n) = (t, g),
//   (t + 4, g), one value per register;
// - m16n8k16 (16-bit): A's pairs (g, 2t..2t+1), (g + 8, 2t..), (g, 2t+8..), (g + 8, 2t+8..) and
//   B's (2t..2t+1, g), (2t+8.., g), two values per register (the lower index in the low half);
// and C's (g, 2t), (g, 2t + 1), (g + 8, 2t), (g + 8, 2t + 1) in both (PTX ISA, "Matrix
// fragments for mma.m16n8k8 / mma.m16n8k16"). Each lane fetches rows g and g + 8 of A and
// columns 2t, 2t + 1 of B, widens them to f32 (TF32: drops the 13 mantissa bits it does not
// have, as the tensor cores do), and sums its four outputs in f32, in K order.
// `lane`: the running thread's (LaneAtEntry).
// `op`: an nvvm.mma.sync or the inline PTX of kMmaBf16Asm; `a`, `bv`, `c` its operands.
absl::Status EmulateMma(mlir::Operation* op, mlir::NVVM::MMATypes type, int64_t k_size, mlir::ValueRange a,
                        mlir::ValueRange bv, mlir::ValueRange c, mlir::Value lane, LLVM::LLVMFuncOp shfl_fn) {
  const bool tf32 = type == mlir::NVVM::MMATypes::tf32;
  mlir::OpBuilder b(op);
  const mlir::Location loc = op->getLoc();
  mlir::Type i16 = b.getI16Type(), i32 = b.getI32Type(), f32 = b.getF32Type();
  auto c32 = [&](int64_t v) -> mlir::Value { return b.create<LLVM::ConstantOp>(loc, i32, b.getI32IntegerAttr(static_cast<int32_t>(v))); };
  mlir::Value g = b.create<LLVM::UDivOp>(loc, lane, c32(4)), t = b.create<LLVM::URemOp>(loc, lane, c32(4));
  // The 32 bits of register `value` in lane `source` (shfl.sync.idx over the whole warp).
  auto fetch = [&](mlir::Value value, mlir::Value source) -> mlir::Value {
    mlir::Value bits = value.getType() == i32 ? value : b.create<LLVM::BitcastOp>(loc, i32, value).getResult();
    mlir::Value packed =
        b.create<LLVM::CallOp>(loc, shfl_fn, mlir::ValueRange{c32(emu::kStrataEmuShflIdx), c32(-1), bits, source, c32(31)})
            .getResult();
    return b.create<LLVM::TruncOp>(loc, i32, packed);
  };
  // One operand of 32 bits (TF32) or of a register's half `h` (16-bit), as f32.
  auto widen = [&](mlir::Value bits, int h) -> mlir::Value {
    if (tf32) return b.create<LLVM::BitcastOp>(loc, f32, b.create<LLVM::AndOp>(loc, bits, c32(static_cast<int32_t>(0xFFFFE000u))));
    mlir::Value part = h == 0 ? bits : b.create<LLVM::LShrOp>(loc, bits, c32(16)).getResult();
    if (type == mlir::NVVM::MMATypes::bf16) {
      return b.create<LLVM::BitcastOp>(loc, f32, b.create<LLVM::ShlOp>(loc, part, c32(16)));
    }
    mlir::Value f16 = b.create<LLVM::BitcastOp>(loc, b.getF16Type(), b.create<LLVM::TruncOp>(loc, i16, part));
    return b.create<LLVM::FPExtOp>(loc, f32, f16);
  };
  const int64_t per_reg = tf32 ? 1 : 2, half_k = k_size / 2;
  std::vector<mlir::Value> a_rows[2], b_cols[2];  // A[g + 8 r][k], B[k][2t + h]
  for (int r = 0; r < 2; ++r) a_rows[r].resize(static_cast<size_t>(k_size)), b_cols[r].resize(static_cast<size_t>(k_size));
  for (int64_t j = 0; j < 4; ++j) {  // the lane of the group holding K (j * per_reg + e) and K + half_k
    mlir::Value source = b.create<LLVM::AddOp>(loc, b.create<LLVM::MulOp>(loc, g, c32(4)), c32(j));
    mlir::Value a_regs[2][2] = {{fetch(a[0], source), fetch(a[2], source)}, {fetch(a[1], source), fetch(a[3], source)}};
    for (int64_t e = 0; e < per_reg; ++e) {
      const size_t k = static_cast<size_t>(j * per_reg + e);
      for (int r = 0; r < 2; ++r) {
        a_rows[r][k] = widen(a_regs[r][0], static_cast<int>(e));
        a_rows[r][k + static_cast<size_t>(half_k)] = widen(a_regs[r][1], static_cast<int>(e));
      }
    }
    for (int64_t h = 0; h < 2; ++h) {
      mlir::Value column = b.create<LLVM::AddOp>(loc, b.create<LLVM::MulOp>(loc, t, c32(2)), c32(h));
      mlir::Value holder = b.create<LLVM::AddOp>(loc, b.create<LLVM::MulOp>(loc, column, c32(4)), c32(j));
      mlir::Value lo = fetch(bv[0], holder), hi = fetch(bv[1], holder);
      for (int64_t e = 0; e < per_reg; ++e) {
        const size_t k = static_cast<size_t>(j * per_reg + e);
        b_cols[h][k] = widen(lo, static_cast<int>(e));
        b_cols[h][k + static_cast<size_t>(half_k)] = widen(hi, static_cast<int>(e));
      }
    }
  }
  mlir::Value result = b.create<LLVM::UndefOp>(loc, op->getResult(0).getType());
  for (int64_t v = 0; v < 4; ++v) {
    mlir::Value sum = c[v];
    for (int64_t k = 0; k < k_size; ++k) {
      sum = b.create<LLVM::FAddOp>(loc, sum, b.create<LLVM::FMulOp>(loc, a_rows[v / 2][k], b_cols[v % 2][k]));
    }
    result = b.create<LLVM::InsertValueOp>(loc, result, sum, llvm::ArrayRef<int64_t>{v});
  }
  op->getResult(0).replaceAllUsesWith(result);
  op->erase();
  return absl::OkStatus();
}

absl::Status EmulateMma(mlir::NVVM::MmaOp mma, mlir::Value lane, LLVM::LLVMFuncOp shfl_fn) {
  const mlir::NVVM::MMAShapeAttr shape = mma.getShapeAttr();
  const mlir::NVVM::MMATypes type = mma.getMultiplicandAPtxType().value_or(mlir::NVVM::MMATypes::f64);
  const bool tf32 = type == mlir::NVVM::MMATypes::tf32;
  const bool half = type == mlir::NVVM::MMATypes::f16 || type == mlir::NVVM::MMATypes::bf16;
  if (shape.getM() != 16 || shape.getN() != 8 || shape.getK() != (tf32 ? 8 : 16) || !(tf32 || half) ||
      mma.getMultiplicandBPtxType() != type || mma.getLayoutA() != mlir::NVVM::MMALayout::row ||
      mma.getLayoutB() != mlir::NVVM::MMALayout::col || mma.getOperandA().size() != 4 || mma.getOperandB().size() != 2 ||
      mma.getOperandC().size() != 4 || !mma.getOperandC()[0].getType().isF32()) {
    return UnimplementedAt(mma, absl::StrCat("GPU emulator: ", Describe(mma),
                                             " is not mma.sync row.col f32 += m16n8k8 tf32 or m16n8k16 f16/bf16, "
                                             "the ones it emulates"));
  }
  return EmulateMma(mma, type, shape.getK(), mma.getOperandA(), mma.getOperandB(), mma.getOperandC(), lane, shfl_fn);
}

// The operand type of a wgmma inline PTX (WgmmaAsm) and its N; nullopt for other text.
std::optional<std::pair<int32_t, int64_t>> ParseWgmmaAsm(llvm::StringRef text) {
  constexpr llvm::StringLiteral kPrefix = "wgmma.mma_async.sync.aligned.m64n";
  if (!text.starts_with(kPrefix)) return std::nullopt;
  llvm::StringRef rest = text.drop_front(kPrefix.size());
  int64_t n = 0;
  if (rest.consumeInteger(10, n)) return std::nullopt;
  for (auto [name, code] : {std::pair{"f16", emu::kWgmmaF16}, std::pair{"bf16", emu::kWgmmaBf16}, std::pair{"tf32", emu::kWgmmaTf32}}) {
    if (text == WgmmaAsm(n, name)) return std::pair{code, n};
  }
  return std::nullopt;
}

// Whether `module` holds the wgmma protocol's inline PTX.
bool UsesWgmma(mlir::ModuleOp module) {
  bool uses = false;
  module.walk([&](LLVM::InlineAsmOp op) { uses |= op.getAsmString() == kWgmmaFenceAsm; });
  return uses;
}

// In a module that uses wgmma: the shared-window address for each ptrtoint of a shared pointer
// (the descriptors are built from it). (The async-proxy fence check sees shared stores through
// the memcheck call, MarkSharedAccesses.)
absl::Status MapSharedAddresses(mlir::ModuleOp module) {
  mlir::MLIRContext* ctx = module.getContext();
  auto ptr = LLVM::LLVMPointerType::get(ctx, 0);
  Declare(module, kSharedWindowFn, LLVM::LLVMFunctionType::get(mlir::IntegerType::get(ctx, 64), {ptr}));
  auto window_fn = module.lookupSymbol<LLVM::LLVMFuncOp>(kSharedWindowFn);
  auto shared = IsSharedPointer;
  absl::Status status = absl::OkStatus();
  module.walk([&](mlir::Operation* op) {
    if (auto cast = mlir::dyn_cast<LLVM::PtrToIntOp>(op); cast && shared(cast.getArg().getType())) {
      mlir::OpBuilder b(cast);
      mlir::Value generic = b.create<LLVM::AddrSpaceCastOp>(cast.getLoc(), ptr, cast.getArg());
      mlir::Value window = b.create<LLVM::CallOp>(cast.getLoc(), window_fn, mlir::ValueRange{generic}).getResult();
      const unsigned bits = cast.getType().getIntOrFloatBitWidth();
      if (bits < 64) window = b.create<LLVM::TruncOp>(cast.getLoc(), cast.getType(), window);
      cast.getResult().replaceAllUsesWith(window);
      cast->erase();
    } else if (auto to_ptr = mlir::dyn_cast<LLVM::IntToPtrOp>(op); to_ptr && shared(to_ptr.getType())) {
      status = UnimplementedAt(op, "GPU emulator: inttoptr to shared memory in a kernel that uses wgmma");
    }
  });
  return status;
}

// The wgmma protocol's inline PTX (gpu_contraction_tiling.h) as emulator calls. The MMA is
// queued and passes its accumulators through; the wait applies the completed MMAs to them,
// through a buffer on the thread's stack.
absl::Status EmulateWgmmaAsm(LLVM::InlineAsmOp op) {
  mlir::ModuleOp module = op->getParentOfType<mlir::ModuleOp>();
  mlir::MLIRContext* ctx = module.getContext();
  mlir::OpBuilder b(op);
  const mlir::Location loc = op.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(ctx, 0);
  mlir::Type i32 = b.getI32Type(), i64 = b.getI64Type(), f32 = b.getF32Type(), void_type = LLVM::LLVMVoidType::get(ctx);
  auto c32 = [&](int64_t v) -> mlir::Value { return b.create<LLVM::ConstantOp>(loc, i32, b.getI32IntegerAttr(static_cast<int32_t>(v))); };
  auto call = [&](const char* name, LLVM::LLVMFunctionType type, mlir::ValueRange args) {
    Declare(module, name, type);
    b.create<LLVM::CallOp>(loc, module.lookupSymbol<LLVM::LLVMFuncOp>(name), args);
  };
  const llvm::StringRef text = op.getAsmString();
  const auto no_args = LLVM::LLVMFunctionType::get(void_type, {});
  // The accumulators as the struct the inline PTX returns.
  auto as_result = [&](llvm::ArrayRef<mlir::Value> values) {
    mlir::Value result = b.create<LLVM::UndefOp>(loc, op.getResult(0).getType());
    for (size_t v = 0; v < values.size(); ++v) {
      result = b.create<LLVM::InsertValueOp>(loc, result, values[v], llvm::ArrayRef<int64_t>{static_cast<int64_t>(v)});
    }
    op.getResult(0).replaceAllUsesWith(result);
  };
  // The instructions without operands: one call each.
  const char* plain_fn = nullptr;
  for (auto [asm_text, fn] : {std::pair{kProxyFenceAsm, kProxyFenceFn}, std::pair{kWgmmaFenceAsm, kWgmmaFenceFn},
                              std::pair{kWgmmaCommitAsm, kWgmmaCommitFn}}) {
    if (text == asm_text && op.getNumResults() == 0 && op.getNumOperands() == 0) plain_fn = fn;
  }
  if (plain_fn != nullptr) {
    call(plain_fn, no_args, {});
  } else if (auto wgmma = ParseWgmmaAsm(text)) {
    const int64_t n = wgmma->second;
    if (op.getConstraints() != WgmmaAsmConstraints(n) || op.getNumOperands() != static_cast<unsigned>(2 + n / 2) ||
        op.getNumResults() != 1) {
      return UnimplementedAt(op, absl::StrCat("GPU emulator: '", text.str(), "' with operands it does not expect"));
    }
    call(kWgmmaFn, LLVM::LLVMFunctionType::get(void_type, {i32, i32, i64, i64}),
         {c32(wgmma->first), c32(n), op.getOperand(0), op.getOperand(1)});
    std::vector<mlir::Value> accumulators(op.getOperands().begin() + 2, op.getOperands().end());
    as_result(accumulators);
  } else if (text == kWgmmaWaitAsm && op.getNumResults() == 1 &&
             op.getConstraints() == WgmmaWaitAsmConstraints(2 * static_cast<int64_t>(op.getNumOperands()))) {
    const int64_t count = op.getNumOperands();
    auto array = LLVM::LLVMArrayType::get(f32, static_cast<unsigned>(count));
    mlir::Value buffer;
    {
      auto fn = op->getParentOfType<LLVM::LLVMFuncOp>();
      mlir::OpBuilder entry = mlir::OpBuilder::atBlockBegin(&fn.getBody().front());
      mlir::Value one = entry.create<LLVM::ConstantOp>(loc, i32, entry.getI32IntegerAttr(1));
      buffer = entry.create<LLVM::AllocaOp>(loc, ptr, array, one, 16);
    }
    auto slot = [&](int64_t v) -> mlir::Value {
      return b.create<LLVM::GEPOp>(loc, ptr, array, buffer, llvm::ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(v)});
    };
    for (int64_t v = 0; v < count; ++v) {
      b.create<LLVM::StoreOp>(loc, op.getOperand(static_cast<unsigned>(v)), slot(v))->setAttr(kUncheckedAttr, b.getUnitAttr());
    }
    call(kWgmmaWaitFn, LLVM::LLVMFunctionType::get(void_type, {i32, ptr, i32}), {c32(0), buffer, c32(count)});
    std::vector<mlir::Value> accumulators;
    for (int64_t v = 0; v < count; ++v) {
      auto load = b.create<LLVM::LoadOp>(loc, f32, slot(v));
      load->setAttr(kUncheckedAttr, b.getUnitAttr());
      accumulators.push_back(load);
    }
    as_result(accumulators);
  } else {
    return UnimplementedAt(op, absl::StrCat("GPU emulator: inline PTX '", text.str(),
                                            "' is not the bf16 mma.sync or the wgmma protocol it emulates"));
  }
  op->erase();
  return absl::OkStatus();
}

// Replaces every NVVM op under `module` by its emulator call.
absl::Status ReplaceNvvmOps(mlir::ModuleOp module) {
  mlir::MLIRContext* ctx = module.getContext();
  mlir::Type i1 = mlir::IntegerType::get(ctx, 1), i32 = mlir::IntegerType::get(ctx, 32),
             i64 = mlir::IntegerType::get(ctx, 64), void_type = LLVM::LLVMVoidType::get(ctx);
  Declare(module, kSregFn, LLVM::LLVMFunctionType::get(i32, {i32}));
  Declare(module, kBarrierFn, LLVM::LLVMFunctionType::get(void_type, {}));
  Declare(module, kShflFn, LLVM::LLVMFunctionType::get(i64, {i32, i32, i32, i32, i32}));
  auto sreg_fn = module.lookupSymbol<LLVM::LLVMFuncOp>(kSregFn);
  auto barrier_fn = module.lookupSymbol<LLVM::LLVMFuncOp>(kBarrierFn);
  auto shfl_fn = module.lookupSymbol<LLVM::LLVMFuncOp>(kShflFn);

  std::vector<mlir::Operation*> nvvm_ops;  // and inline PTX
  module.walk([&](mlir::Operation* op) {
    if ((op->getDialect() && op->getDialect()->getNamespace() == "nvvm") || mlir::isa<LLVM::InlineAsmOp>(op)) {
      nvvm_ops.push_back(op);
    }
  });
  std::map<mlir::Operation*, mlir::Value> lanes;  // kernel -> its thread's lane (mma.sync)
  if (UsesWgmma(module)) {
    if (absl::Status s = MapSharedAddresses(module); !s.ok()) return s;
  }
  for (mlir::Operation* op : nvvm_ops) {
    mlir::OpBuilder b(op);
    const mlir::Location loc = op->getLoc();
    if (const int code = SregCode(op->getName().getStringRef()); code >= 0) {
      mlir::Value which = b.create<LLVM::ConstantOp>(loc, i32, b.getI32IntegerAttr(code));
      mlir::Value value = b.create<LLVM::CallOp>(loc, sreg_fn, mlir::ValueRange{which}).getResult();
      op->getResult(0).replaceAllUsesWith(value);
      op->erase();
    } else if (mlir::isa<mlir::NVVM::Barrier0Op>(op)) {
      b.create<LLVM::CallOp>(loc, barrier_fn, mlir::ValueRange{});
      op->erase();
    } else if (auto shfl = mlir::dyn_cast<mlir::NVVM::ShflOp>(op)) {
      // 32 bits go through the call; the predicate comes back in bit 32.
      mlir::Type value_type = shfl.getVal().getType();
      if (!value_type.isInteger(32) && !value_type.isF32()) {
        return UnimplementedAt(op, absl::StrCat("GPU emulator: shuffle of ", Describe(op), " is not 32-bit"));
      }
      mlir::Value bits = value_type.isF32() ? b.create<LLVM::BitcastOp>(loc, i32, shfl.getVal()).getResult() : shfl.getVal();
      mlir::Value mode = b.create<LLVM::ConstantOp>(loc, i32, b.getI32IntegerAttr(ShflMode(shfl.getKind())));
      mlir::Value packed =
          b.create<LLVM::CallOp>(loc, shfl_fn,
                                 mlir::ValueRange{mode, shfl.getThreadMask(), bits, shfl.getOffset(), shfl.getMaskAndClamp()})
              .getResult();
      mlir::Value received = b.create<LLVM::TruncOp>(loc, i32, packed);
      if (value_type.isF32()) received = b.create<LLVM::BitcastOp>(loc, value_type, received);
      mlir::Value result = received;
      if (shfl.getReturnValueAndIsValid()) {
        mlir::Value shift = b.create<LLVM::ConstantOp>(loc, i64, b.getI64IntegerAttr(32));
        mlir::Value valid = b.create<LLVM::TruncOp>(loc, i1, b.create<LLVM::LShrOp>(loc, packed, shift));
        mlir::Type struct_type = shfl.getResult().getType();
        result = b.create<LLVM::UndefOp>(loc, struct_type);
        result = b.create<LLVM::InsertValueOp>(loc, result, received, llvm::ArrayRef<int64_t>{0});
        result = b.create<LLVM::InsertValueOp>(loc, result, valid, llvm::ArrayRef<int64_t>{1});
      }
      shfl.getResult().replaceAllUsesWith(result);
      op->erase();
    } else if (auto mma = mlir::dyn_cast<mlir::NVVM::MmaOp>(op)) {
      mlir::Value lane = LaneAtEntry(mma->getParentOfType<LLVM::LLVMFuncOp>(), sreg_fn, lanes);
      if (absl::Status s = EmulateMma(mma, lane, shfl_fn); !s.ok()) return s;
    } else if (auto inline_asm = mlir::dyn_cast<LLVM::InlineAsmOp>(op)) {
      // The inline PTX the kernels hold: the bf16 mma.sync (see kMmaBf16Asm) and the wgmma
      // protocol.
      if (inline_asm.getAsmString() != kMmaBf16Asm) {
        if (absl::Status s = EmulateWgmmaAsm(inline_asm); !s.ok()) return s;
        continue;
      }
      if (inline_asm.getConstraints() != kMmaBf16AsmConstraints || inline_asm.getNumOperands() != 10 ||
          inline_asm.getNumResults() != 1) {
        return UnimplementedAt(op, absl::StrCat("GPU emulator: inline PTX '", inline_asm.getAsmString().str(),
                                                "' is not the bf16 mma.sync it emulates"));
      }
      mlir::OperandRange operands = inline_asm.getOperands();
      mlir::Value lane = LaneAtEntry(op->getParentOfType<LLVM::LLVMFuncOp>(), sreg_fn, lanes);
      if (absl::Status s = EmulateMma(op, mlir::NVVM::MMATypes::bf16, 16, operands.slice(0, 4), operands.slice(4, 2),
                                      operands.slice(6, 4), lane, shfl_fn);
          !s.ok()) {
        return s;
      }
    } else {
      return UnimplementedAt(
          op, absl::StrCat("GPU emulator: the kernels use ", Describe(op), ", which the emulator does not implement"));
    }
  }
  return absl::OkStatus();
}

// Shared memory (address space 3) and any other address space become the host's single one.
void FlattenAddressSpaces(mlir::ModuleOp module) {
  mlir::MLIRContext* ctx = module.getContext();
  mlir::AttrTypeReplacer replacer;
  replacer.addReplacement([ctx](LLVM::LLVMPointerType type) -> std::optional<mlir::Type> {
    if (type.getAddressSpace() == 0) return std::nullopt;
    return LLVM::LLVMPointerType::get(ctx, 0);
  });
  module.walk([&](mlir::Operation* op) {
    replacer.replaceElementsIn(op, /*replaceAttrs=*/true, /*replaceLocs=*/false, /*replaceTypes=*/true);
  });
  module.walk([](LLVM::GlobalOp global) { global.setAddrSpace(0); });
  // A cast between what is now one address space is no cast at all.
  module.walk([](LLVM::AddrSpaceCastOp cast) {
    cast.getResult().replaceAllUsesWith(cast.getArg());
    cast->erase();
  });
}

// Routes every load and store through strata_emu_access (the emulator's memcheck), which returns
// the address to use: the kernel's own, or a scratch one after reporting a bad access.
void CheckMemoryAccesses(mlir::ModuleOp module) {
  mlir::MLIRContext* ctx = module.getContext();
  auto ptr = LLVM::LLVMPointerType::get(ctx, 0);
  mlir::Type i32 = mlir::IntegerType::get(ctx, 32), i64 = mlir::IntegerType::get(ctx, 64);
  Declare(module, kAccessFn, LLVM::LLVMFunctionType::get(ptr, {ptr, i64, i32}));
  auto access_fn = module.lookupSymbol<LLVM::LLVMFuncOp>(kAccessFn);
  const mlir::DataLayout layout(module);
  auto route = [&](mlir::Operation* op, mlir::Value address, mlir::Type type, bool is_store) -> mlir::Value {
    mlir::OpBuilder b(op);
    const int64_t bytes = static_cast<int64_t>(layout.getTypeSize(type));
    mlir::Value size = b.create<LLVM::ConstantOp>(op->getLoc(), i64, b.getI64IntegerAttr(bytes));
    // The alignment the access claims (NVPTX trusts it: ld.v4 needs 16 bytes), checked at run time.
    std::optional<uint64_t> claimed = is_store ? mlir::cast<LLVM::StoreOp>(op).getAlignment() : mlir::cast<LLVM::LoadOp>(op).getAlignment();
    const uint64_t align = std::min<uint64_t>(claimed.value_or(layout.getTypeABIAlignment(type)), emu::kStrataEmuAccessMaxAlign);
    const int32_t flags = (is_store ? emu::kStrataEmuAccessStore : 0) | (op->hasAttr(kSharedAttr) ? emu::kStrataEmuAccessShared : 0) |
                          static_cast<int32_t>(align << emu::kStrataEmuAccessAlignShift);
    mlir::Value store = b.create<LLVM::ConstantOp>(op->getLoc(), i32, b.getI32IntegerAttr(flags));
    return b.create<LLVM::CallOp>(op->getLoc(), access_fn, mlir::ValueRange{address, size, store}).getResult();
  };
  module.walk([&](LLVM::LoadOp load) {
    if (load->hasAttr(kUncheckedAttr)) return;
    load.getAddrMutable().assign(route(load, load.getAddr(), load.getType(), false));
  });
  module.walk([&](LLVM::StoreOp store) {
    if (store->hasAttr(kUncheckedAttr)) return;
    store.getAddrMutable().assign(route(store, store.getAddr(), store.getValue().getType(), true));
  });
}

// Module globals (shared memory) become external definitions, zero-initialized, so that the
// loader can look up their addresses for the memcheck (internal symbols are not exported).
void ExportGlobals(mlir::ModuleOp module) {
  module.walk([](LLVM::GlobalOp global) {
    if (!global.getValueAttr() && global.getInitializerRegion().empty()) {
      mlir::OpBuilder b(global.getContext());
      mlir::Block* block = b.createBlock(&global.getInitializerRegion());
      b.setInsertionPointToStart(block);
      mlir::Value zero = b.create<LLVM::ZeroOp>(global.getLoc(), global.getGlobalType());
      b.create<LLVM::ReturnOp>(global.getLoc(), zero);
    }
    global.setLinkage(LLVM::Linkage::External);
  });
}

// Drops the GPU-only function attributes (nvvm.kernel, nvvm.maxntid, gpu.kernel, ...): the host
// translation has no use for them.
void StripGpuAttributes(mlir::ModuleOp module) {
  module.walk([](LLVM::LLVMFuncOp fn) {
    std::vector<mlir::StringAttr> names;
    for (mlir::NamedAttribute a : fn->getDiscardableAttrs()) {
      if (a.getName().getValue().starts_with("nvvm.") || a.getName().getValue().starts_with("gpu.")) {
        names.push_back(a.getName());
      }
    }
    for (mlir::StringAttr name : names) fn->removeDiscardableAttr(name);
  });
}

class JitHostModule : public emu::HostModule {
 public:
  JitHostModule(std::unique_ptr<mlir::MLIRContext> ctx, std::unique_ptr<mlir::ExecutionEngine> engine,
                std::map<std::string, bool> lockstep, std::vector<std::pair<const void*, size_t>> data)
      : ctx_(std::move(ctx)), engine_(std::move(engine)), lockstep_(std::move(lockstep)), data_(std::move(data)) {}

  std::vector<std::pair<const void*, size_t>> DataRanges() const override { return data_; }

  absl::StatusOr<emu::HostKernel> Find(const std::string& name) const override {
    auto it = lockstep_.find(name);
    if (it == lockstep_.end()) return absl::NotFoundError(absl::StrCat("GPU emulator: no kernel '", name, "'"));
    auto entry = engine_->lookupPacked(name);
    if (!entry) {
      std::string message;
      llvm::raw_string_ostream os(message);
      os << entry.takeError();
      return absl::NotFoundError(absl::StrCat("GPU emulator: kernel '", name, "': ", message));
    }
    emu::HostKernel kernel;
    kernel.entry = *entry;
    kernel.lockstep = it->second;
    kernel.shared = data_;
    return kernel;
  }

 private:
  std::unique_ptr<mlir::MLIRContext> ctx_;
  std::unique_ptr<mlir::ExecutionEngine> engine_;
  std::map<std::string, bool> lockstep_;  // kernel name -> calls barriers or shuffles
  std::vector<std::pair<const void*, size_t>> data_;  // the globals (shared memory)
};

}  // namespace

absl::StatusOr<std::string> EmitHostKernels(mlir::Operation* kernel_module) {
  auto gpu_module = mlir::dyn_cast_or_null<mlir::gpu::GPUModuleOp>(kernel_module);
  if (!gpu_module) return absl::InvalidArgumentError("EmitHostKernels: not a gpu.module");
  mlir::OpBuilder b(kernel_module->getContext());
  mlir::OwningOpRef<mlir::ModuleOp> host = mlir::ModuleOp::create(gpu_module.getLoc());
  b.setInsertionPointToEnd(host->getBody());
  for (mlir::Operation& op : gpu_module.getBody()->getOperations()) {
    if (op.hasTrait<mlir::OpTrait::IsTerminator>()) continue;
    b.clone(op);
  }
  // Kernels are marked so that the loader knows them from helper functions.
  host->walk([&](LLVM::LLVMFuncOp fn) {
    if (fn->hasAttr("gpu.kernel") || fn->hasAttr("nvvm.kernel")) fn->setAttr("strata.kernel", b.getUnitAttr());
  });
  if (absl::Status s = ReplaceNvvmOps(*host); !s.ok()) return s;
  MarkSharedAccesses(*host);
  FlattenAddressSpaces(*host);
  CheckMemoryAccesses(*host);
  ExportGlobals(*host);
  StripGpuAttributes(*host);
  if (mlir::failed(mlir::verify(*host))) {
    return absl::InternalError("GPU emulator: the kernels retargeted to the host do not verify");
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  host->print(os, mlir::OpPrintingFlags().enableDebugInfo(false));
  return text;
}

absl::StatusOr<std::string> EmitHostKernelsFromText(const std::string& gpu_module_text) {
  std::unique_ptr<mlir::MLIRContext> ctx = CreateGpuCompilerContext();
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::parseSourceString<mlir::ModuleOp>(gpu_module_text, ctx.get());
  if (!module) return absl::InvalidArgumentError("EmitHostKernelsFromText: the text does not parse");
  for (auto gpu_module : module->getOps<mlir::gpu::GPUModuleOp>()) return EmitHostKernels(gpu_module);
  return absl::InvalidArgumentError("EmitHostKernelsFromText: no gpu.module in the text");
}

absl::StatusOr<std::unique_ptr<emu::HostModule>> LoadHostKernels(const std::string& image) {
  std::unique_ptr<mlir::MLIRContext> ctx = CreateCompilerContext();
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::parseSourceString<mlir::ModuleOp>(image, ctx.get());
  if (!module) return absl::InvalidArgumentError("GPU emulator: the module image is not MLIR the emulator can read");
  std::map<std::string, bool> lockstep;
  // The emulator's entry points live in libstrata_runtime, which links this library (not the
  // other way round): they are found in the process when the emulated driver loads a module.
  JitSymbols symbols;
  for (const char* fn : {kSregFn, kBarrierFn, kShflFn, kAccessFn, kSharedWindowFn, kProxyFenceFn,
                         kWgmmaFenceFn, kWgmmaFn, kWgmmaCommitFn, kWgmmaWaitFn}) {
    void* fn_ptr = ::dlsym(RTLD_DEFAULT, fn);
    if (fn_ptr == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("GPU emulator: ", fn, " is not in the process (the emulator's runtime, libstrata_runtime, is not loaded)"));
    }
    symbols.emplace_back(fn, fn_ptr);
  }
  for (LLVM::LLVMFuncOp fn : module->getOps<LLVM::LLVMFuncOp>()) {
    const std::string name = fn.getName().str();
    if (fn.isExternal()) {
      // Libdevice's __nv_<f> is the C library's <f> (fmodf for arith.remf).
      if (name.rfind("__nv_", 0) == 0) {
        void* fn_ptr = ::dlsym(RTLD_DEFAULT, name.substr(5).c_str());
        if (fn_ptr == nullptr) {
          return absl::InvalidArgumentError(absl::StrCat("GPU emulator: the kernels call libdevice's ", name,
                                                         ", which has no host counterpart"));
        }
        symbols.emplace_back(name, fn_ptr);
      }
      continue;
    }
    if (!fn->hasAttr("strata.kernel")) continue;
    bool syncs = false;
    fn.walk([&](LLVM::CallOp call) {
      std::optional<llvm::StringRef> callee = call.getCallee();
      if (callee && (*callee == kBarrierFn || *callee == kShflFn || *callee == kWgmmaFn)) syncs = true;
    });
    lockstep[name] = syncs;
  }
  JitOptions options;
  options.opt_level = 2;
  absl::StatusOr<std::unique_ptr<mlir::ExecutionEngine>> engine = JitCompileModule(*module, options, symbols);
  if (!engine.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("GPU emulator: ", engine.status().message()));
  }
  // The globals' addresses and sizes, for the memcheck.
  std::vector<std::pair<const void*, size_t>> data;
  const mlir::DataLayout layout(*module);
  for (LLVM::GlobalOp global : module->getOps<LLVM::GlobalOp>()) {
    auto address = (*engine)->lookup(global.getSymName());
    if (!address) {
      llvm::consumeError(address.takeError());
      return absl::InvalidArgumentError(
          absl::StrCat("GPU emulator: global '", global.getSymName().str(), "' of the kernels was not compiled"));
    }
    data.emplace_back(*address, static_cast<size_t>(layout.getTypeSize(global.getGlobalType())));
  }
  return std::unique_ptr<emu::HostModule>(
      std::make_unique<JitHostModule>(std::move(ctx), *std::move(engine), std::move(lockstep), std::move(data)));
}

}  // namespace strata::gpu
