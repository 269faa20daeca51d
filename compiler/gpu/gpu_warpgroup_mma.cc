// See gpu_warpgroup_mma.h.
#include "compiler/gpu/gpu_warpgroup_mma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace strata::gpu {

std::string WgmmaAsm(int64_t n, std::string_view type) {
  std::string registers;
  for (int64_t r = 0; r < n / 2; ++r) registers += (r ? ", $" : "$") + std::to_string(r);
  const bool tf32 = type == "tf32";
  const std::string shape = "m64n" + std::to_string(n) + (tf32 ? "k8" : "k16");
  const std::string t(type);
  // tf32 has no transpose immediates (K-major only); the 16-bit forms say K-major with 0, 0.
  return "wgmma.mma_async.sync.aligned." + shape + ".f32." + t + "." + t + " {" + registers + "}, $" +
         std::to_string(n / 2) + ", $" + std::to_string(n / 2 + 1) + ", 1, 1, 1" + (tf32 ? ";" : ", 0, 0;");
}

namespace {

// `n / 2` f32 outputs, then `inputs`, then the accumulators tied to the outputs.
std::string TiedAccumulatorConstraints(int64_t n, const std::string& inputs) {
  std::string outputs, tied;
  for (int64_t r = 0; r < n / 2; ++r) {
    outputs += r ? ",=f" : "=f";
    tied += "," + std::to_string(r);
  }
  return outputs + inputs + tied + ",~{memory}";
}

// Inline PTX with side effects (and a memory clobber: shared-memory stores must not move across
// it) returning `result_type` (null: nothing).
mlir::Operation* SideEffectAsm(mlir::OpBuilder& b, mlir::Location loc, mlir::Type result_type, mlir::ValueRange operands,
                               llvm::StringRef text, llvm::StringRef constraints) {
  return b.create<mlir::LLVM::InlineAsmOp>(loc, result_type ? mlir::TypeRange{result_type} : mlir::TypeRange{}, operands,
                                           text, constraints, /*has_side_effects=*/true, /*is_align_stack=*/false,
                                           mlir::LLVM::AsmDialectAttr(), mlir::ArrayAttr());
}

mlir::Type AccumulatorStruct(mlir::OpBuilder& b, size_t count) {
  return mlir::LLVM::LLVMStructType::getLiteral(b.getContext(), std::vector<mlir::Type>(count, b.getF32Type()));
}

std::vector<mlir::Value> Unpack(mlir::OpBuilder& b, mlir::Location loc, mlir::Value packed, size_t count) {
  std::vector<mlir::Value> values;
  for (size_t v = 0; v < count; ++v) {
    values.push_back(b.create<mlir::LLVM::ExtractValueOp>(loc, packed, llvm::ArrayRef<int64_t>{static_cast<int64_t>(v)}));
  }
  return values;
}

}  // namespace

std::string WgmmaAsmConstraints(int64_t n) { return TiedAccumulatorConstraints(n, ",l,l"); }
std::string WgmmaWaitAsmConstraints(int64_t n) { return TiedAccumulatorConstraints(n, ""); }

void EmitAsyncProxyFence(mlir::OpBuilder& b, mlir::Location loc) {
  SideEffectAsm(b, loc, nullptr, {}, kProxyFenceAsm, "~{memory}");
}

// A descriptor holds the start address, the leading and the stride byte offsets, each in
// 16-byte units, no swizzle (PTX ISA, "Matrix Descriptor Format"); the MMAs run on while the
// caller issues the next tiles' loads.
void WgmmaIssue(mlir::OpBuilder& b, mlir::Location loc, const WgmmaStep& step, mlir::Value a_address,
                mlir::Value b_address, mlir::Value a_row0, mlir::Value b_row0, std::vector<mlir::Value>& acc) {
  const mlir::Type i64 = b.getI64Type();
  auto c64 = [&](int64_t v) -> mlir::Value { return b.create<mlir::arith::ConstantIntOp>(loc, v, 64); };
  const int64_t strides = ((step.leading_bytes >> 4) << 16) | ((step.stride_bytes >> 4) << 32);
  // Start of the warpgroup's rows: 8-row group (row / 8) of the tile.
  auto rows_start = [&](mlir::Value address, mlir::Value first_row) -> mlir::Value {
    mlir::Value groups = b.create<mlir::arith::IndexCastOp>(
        loc, i64, b.create<mlir::arith::DivUIOp>(loc, first_row, b.create<mlir::arith::ConstantIndexOp>(loc, 8)));
    return b.create<mlir::arith::AddIOp>(loc, address, b.create<mlir::arith::MulIOp>(loc, groups, c64(step.stride_bytes)));
  };
  mlir::Value a_rows = rows_start(a_address, a_row0), b_rows = rows_start(b_address, b_row0);
  auto descriptor = [&](mlir::Value start, int64_t offset) -> mlir::Value {
    mlir::Value address = b.create<mlir::arith::AddIOp>(loc, start, c64(offset));
    mlir::Value field = b.create<mlir::arith::ShRUIOp>(loc, b.create<mlir::arith::AndIOp>(loc, address, c64(0x3FFFF)), c64(4));
    return b.create<mlir::arith::OrIOp>(loc, field, c64(strides));
  };
  const std::string text = WgmmaAsm(step.n, step.type), constraints = WgmmaAsmConstraints(step.n);
  const mlir::Type result_type = AccumulatorStruct(b, acc.size());
  SideEffectAsm(b, loc, nullptr, {}, kWgmmaFenceAsm, "~{memory}");
  for (int64_t i = 0; i < step.instructions; ++i) {
    const int64_t offset = 2 * i * step.leading_bytes;  // the instruction's first core matrix along K
    std::vector<mlir::Value> operands = {descriptor(a_rows, offset), descriptor(b_rows, offset)};
    operands.insert(operands.end(), acc.begin(), acc.end());
    mlir::Operation* mma = SideEffectAsm(b, loc, result_type, operands, text, constraints);
    acc = Unpack(b, loc, mma->getResult(0), acc.size());
  }
  SideEffectAsm(b, loc, nullptr, {}, kWgmmaCommitAsm, "~{memory}");
}

void WgmmaWait(mlir::OpBuilder& b, mlir::Location loc, std::vector<mlir::Value>& acc) {
  mlir::Operation* wait = SideEffectAsm(b, loc, AccumulatorStruct(b, acc.size()), acc, kWgmmaWaitAsm,
                                        WgmmaWaitAsmConstraints(2 * static_cast<int64_t>(acc.size())));
  acc = Unpack(b, loc, wait->getResult(0), acc.size());
}

}  // namespace strata::gpu
