// See gpu_kernel_module.h.
#include "compiler/gpu/gpu_kernel_module.h"

#include <limits>

#include <vector>

#include "absl/strings/str_cat.h"
#include "compiler/gpu/gpu_diagnostics.h"
#include "llvm/Support/raw_ostream.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace strata::gpu {

absl::Status MergeKernelModules(mlir::ModuleOp module, const std::string& name) {
  std::vector<mlir::gpu::LaunchFuncOp> launches;
  module.walk([&](mlir::gpu::LaunchFuncOp op) { launches.push_back(op); });
  std::vector<mlir::gpu::GPUModuleOp> old_modules;
  for (auto m : module.getOps<mlir::gpu::GPUModuleOp>()) old_modules.push_back(m);
  if (old_modules.empty()) return absl::OkStatus();

  mlir::OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  auto merged = b.create<mlir::gpu::GPUModuleOp>(module.getLoc(), name);
  mlir::SymbolTable module_symbols(module);
  int next = 0;
  llvm::DenseMap<mlir::Operation*, mlir::StringAttr> new_names;  // old gpu.func -> new name
  for (mlir::gpu::LaunchFuncOp launch : launches) {
    auto old_module = module_symbols.lookup<mlir::gpu::GPUModuleOp>(launch.getKernelModuleName());
    if (!old_module) return absl::InternalError(absl::StrCat("GPU: no kernel module ", launch.getKernelModuleName().str()));
    auto kernel = old_module.lookupSymbol<mlir::gpu::GPUFuncOp>(launch.getKernelName());
    if (!kernel) return absl::InternalError(absl::StrCat("GPU: no kernel ", launch.getKernelName().str()));
    auto it = new_names.find(kernel);
    if (it == new_names.end()) {
      mlir::StringAttr new_name = b.getStringAttr(absl::StrCat(name, "_k", next++));
      it = new_names.insert({kernel, new_name}).first;
    }
    launch.setKernelAttr(mlir::SymbolRefAttr::get(merged.getNameAttr(), {mlir::FlatSymbolRefAttr::get(it->second)}));
  }
  for (mlir::gpu::GPUModuleOp old : old_modules) {
    std::vector<mlir::Operation*> ops;
    for (mlir::Operation& op : old.getBody()->without_terminator()) ops.push_back(&op);
    for (mlir::Operation* op : ops) {
      auto it = new_names.find(op);
      if (it == new_names.end()) continue;  // a kernel nothing launches
      mlir::SymbolTable::setSymbolName(op, it->second);
      op->moveBefore(merged.getBody(), merged.getBody()->without_terminator().end());
    }
    old.erase();
  }
  return absl::OkStatus();
}

namespace {

// The LLVM intrinsic NVPTX selects directly for a math op (convert-gpu-to-nvvm would call
// libdevice instead, which is not linked); empty when there is none.
std::string IntrinsicFor(mlir::Operation* op) {
  if (mlir::isa<mlir::math::SqrtOp>(op)) return "llvm.sqrt";
  if (mlir::isa<mlir::math::AbsFOp>(op)) return "llvm.fabs";
  if (mlir::isa<mlir::math::FloorOp>(op)) return "llvm.floor";
  if (mlir::isa<mlir::math::CeilOp>(op)) return "llvm.ceil";
  if (mlir::isa<mlir::math::TruncOp>(op)) return "llvm.trunc";
  if (mlir::isa<mlir::math::RoundEvenOp>(op)) return "llvm.roundeven";
  if (mlir::isa<mlir::math::RoundOp>(op)) return "llvm.round";
  if (mlir::isa<mlir::math::FmaOp>(op)) return "llvm.fma";
  if (mlir::isa<mlir::math::CopySignOp>(op)) return "llvm.copysign";
  return "";
}

std::string TypeSuffix(mlir::Type t) {
  if (t.isF32()) return ".f32";
  if (t.isF64()) return ".f64";
  if (t.isF16()) return ".f16";
  return "";
}

// Rewrites the math ops left after expansion into llvm.call_intrinsic (or arith): the NVVM
// conversion keeps those, and NVPTX selects sqrt.rn, abs, cvt.rmi/rpi/rzi/rni, fma.rn.
absl::Status LowerRemainingMath(mlir::gpu::GPUModuleOp kernels) {
  std::vector<mlir::Operation*> ops;
  kernels.walk([&](mlir::Operation* op) {
    if (mlir::isa<mlir::math::MathDialect>(op->getDialect())) ops.push_back(op);
  });
  mlir::OpBuilder b(kernels.getContext());
  for (mlir::Operation* op : ops) {
    b.setInsertionPoint(op);
    const mlir::Type type = op->getNumResults() == 1 ? op->getResult(0).getType() : mlir::Type();
    if (auto rsqrt = mlir::dyn_cast<mlir::math::RsqrtOp>(op); rsqrt && !TypeSuffix(type).empty()) {
      mlir::Value sqrt = b.create<mlir::LLVM::CallIntrinsicOp>(op->getLoc(), type, "llvm.sqrt" + TypeSuffix(type),
                                                               mlir::ValueRange{rsqrt.getOperand()})
                             .getResult(0);
      mlir::Value one = b.create<mlir::arith::ConstantOp>(op->getLoc(), type, b.getFloatAttr(type, 1.0));
      op->replaceAllUsesWith(b.create<mlir::arith::DivFOp>(op->getLoc(), one, sqrt)->getResults());
      op->erase();
      continue;
    }
    if (auto absi = mlir::dyn_cast<mlir::math::AbsIOp>(op)) {
      mlir::Value x = absi.getOperand();
      mlir::Value zero = b.create<mlir::arith::ConstantOp>(op->getLoc(), type, b.getIntegerAttr(type, 0));
      mlir::Value neg = b.create<mlir::arith::SubIOp>(op->getLoc(), zero, x);
      mlir::Value lt = b.create<mlir::arith::CmpIOp>(op->getLoc(), mlir::arith::CmpIPredicate::slt, x, zero);
      op->replaceAllUsesWith(b.create<mlir::arith::SelectOp>(op->getLoc(), lt, neg, x)->getResults());
      op->erase();
      continue;
    }
    const std::string intrinsic = IntrinsicFor(op);
    if (intrinsic.empty() || !type || TypeSuffix(type).empty()) {
      std::string type_text;
      llvm::raw_string_ostream os(type_text);
      if (type) os << type;
      return UnimplementedAt(op, absl::StrCat("GPU: no lowering for ", Describe(op), " on ", type_text));
    }
    auto call = b.create<mlir::LLVM::CallIntrinsicOp>(op->getLoc(), type, intrinsic + TypeSuffix(type), op->getOperands());
    op->replaceAllUsesWith(call->getResults());
    op->erase();
  }
  return absl::OkStatus();
}

// powf(a, b) as TensorFlow (C's powf) defines it, from exp and log: MLIR's expansion
// (populateExpandPowFPattern) returns -|a|^b for a negative base and a non-integer exponent
// where powf is NaN, and tests oddness with arith.remf, which the NVVM conversion turns into a
// libdevice call. Here: |a|^b = exp(b log|a|); a < 0 gives NaN unless b is an integer, and the
// sign of an odd b; b == 0 or a == 1 gives 1 (even for NaN operands, as powf does).
void ExpandPowF(mlir::gpu::GPUModuleOp kernels) {
  std::vector<mlir::math::PowFOp> pows;
  kernels.walk([&](mlir::math::PowFOp op) { pows.push_back(op); });
  for (mlir::math::PowFOp op : pows) {
    mlir::OpBuilder b(op);
    const mlir::Location loc = op.getLoc();
    const mlir::Type type = op.getType();
    mlir::Value a = op.getLhs(), e = op.getRhs();
    auto constant = [&](double v) { return b.create<mlir::arith::ConstantOp>(loc, type, b.getFloatAttr(type, v)); };
    using Pred = mlir::arith::CmpFPredicate;
    auto cmp = [&](Pred p, mlir::Value x, mlir::Value y) { return b.create<mlir::arith::CmpFOp>(loc, p, x, y); };
    mlir::Value magnitude = b.create<mlir::math::ExpOp>(
        loc, b.create<mlir::arith::MulFOp>(loc, e, b.create<mlir::math::LogOp>(loc, b.create<mlir::math::AbsFOp>(loc, a))));
    mlir::Value is_integer = cmp(Pred::OEQ, b.create<mlir::math::FloorOp>(loc, e), e);
    mlir::Value half = b.create<mlir::arith::MulFOp>(loc, e, constant(0.5));
    mlir::Value is_odd =
        b.create<mlir::arith::AndIOp>(loc, is_integer, cmp(Pred::ONE, b.create<mlir::math::FloorOp>(loc, half), half));
    mlir::Value signed_power = b.create<mlir::arith::SelectOp>(
        loc, is_odd, b.create<mlir::arith::NegFOp>(loc, magnitude), magnitude);
    mlir::Value negative_base = b.create<mlir::arith::SelectOp>(
        loc, is_integer, signed_power, constant(std::numeric_limits<double>::quiet_NaN()));
    mlir::Value result = b.create<mlir::arith::SelectOp>(loc, cmp(Pred::OLT, a, constant(0)), negative_base, magnitude);
    mlir::Value is_one = b.create<mlir::arith::OrIOp>(loc, cmp(Pred::OEQ, e, constant(0)), cmp(Pred::OEQ, a, constant(1)));
    op.replaceAllUsesWith(b.create<mlir::arith::SelectOp>(loc, is_one, constant(1), result).getResult());
    op.erase();
  }
}

}  // namespace

absl::Status PrepareKernelMath(mlir::ModuleOp module, bool contract_fma) {
  mlir::MLIRContext* ctx = module.getContext();
  for (auto kernels : module.getOps<mlir::gpu::GPUModuleOp>()) {
    ExpandPowF(kernels);
    mlir::RewritePatternSet patterns(ctx);
    mlir::populateExpandFPowIPattern(patterns);
    mlir::populateExpandTanPattern(patterns);
    mlir::populateExpandSinhPattern(patterns);
    mlir::populateExpandCoshPattern(patterns);
    mlir::populateExpandAsinhPattern(patterns);
    mlir::populateExpandAcoshPattern(patterns);
    mlir::populateExpandAtanhPattern(patterns);
    mlir::populateExpandExp2FPattern(patterns);
    mlir::populateMathPolynomialApproximationPatterns(patterns);
    if (mlir::failed(mlir::applyPatternsAndFoldGreedily(kernels, std::move(patterns)))) {
      return absl::InternalError("GPU: math expansion did not converge");
    }
    absl::Status status = LowerRemainingMath(kernels);
    if (!status.ok()) return status;
    if (contract_fma) {
      auto contract = mlir::arith::FastMathFlagsAttr::get(ctx, mlir::arith::FastMathFlags::contract);
      kernels.walk([&](mlir::arith::ArithFastMathInterface op) {
        if (mlir::isa<mlir::arith::MulFOp, mlir::arith::AddFOp, mlir::arith::SubFOp>(op.getOperation())) {
          op->setAttr(op.getFastMathAttrName(), contract);
        }
      });
    }
  }
  return absl::OkStatus();
}

}  // namespace strata::gpu
