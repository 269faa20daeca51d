// The elementwise consumer of a kernel's result computed in the kernel itself (the tiled
// contractions' and the block reductions' epilogue): instead of storing C and launching the
// consumer (BiasAdd + Relu as one fused generic) to read it back, the thread that holds C's
// value at an element applies the consumer's body there and stores the consumer's result; C
// is never written.
#pragma once

#include <vector>

#include "llvm/ADT/ArrayRef.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace strata::gpu {

class Epilogue {
 public:
  // The consumer of `producer`'s result C (its only init, a temp) that can be computed in its
  // epilogue: the next linalg op but for independent ones (moved in front of `producer`), an
  // elementwise generic over C's space reading C once at its own element, writing a buffer
  // none of `inputs` (the producer's operands), nor C, lives in, with C read by nothing after
  // it. Empty (no consumer) otherwise.
  static Epilogue Find(mlir::linalg::LinalgOp producer, llvm::ArrayRef<mlir::Value> inputs);

  explicit operator bool() const { return static_cast<bool>(consumer_); }
  mlir::linalg::GenericOp consumer() const { return consumer_; }
  // Where the consumer's result goes.
  mlir::Value destination() const { return consumer_.getDpsInitOperand(0)->get(); }

  // The consumer at C's element `c_indices` (C's value there: `value`): its other inputs loaded
  // (or their constant content), its body, its result stored.
  void Emit(mlir::OpBuilder& b, mlir::Location loc, mlir::Value value, const std::vector<mlir::Value>& c_indices) const;

  // Erases the consumer, once the producer's kernel computes it.
  void EraseConsumer();

 private:
  mutable mlir::linalg::GenericOp consumer_;  // op handles are not const-correct
  mlir::Value c_;
  // Per consumer input: the one constant it holds (Relu's broadcast zero), used as such; null
  // for C and for inputs that are loaded.
  std::vector<mlir::Value> constants_;
};

}  // namespace strata::gpu
