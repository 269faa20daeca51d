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
  // it. Without one, the epilogue stores C.
  static Epilogue Find(mlir::linalg::LinalgOp producer, llvm::ArrayRef<mlir::Value> inputs);

  // Whether there is a consumer to compute.
  explicit operator bool() const { return static_cast<bool>(consumer_); }
  // Where the consumer's result goes (only with a consumer).
  mlir::Value destination() const { return consumer_.getDpsInitOperand(0)->get(); }

  // C's value `value` at its element `c_indices`, as the producer's kernel leaves it: through
  // the consumer (its other inputs loaded or their constant content, its body, its result
  // stored), or stored into C when there is none.
  void Store(mlir::OpBuilder& b, mlir::Location loc, mlir::Value value, const std::vector<mlir::Value>& c_indices) const;

  // Once the producer's kernel is built (and the producer erased): the consumer erased, and C's
  // allocation when nothing uses it any more.
  void Finish();

 private:
  mutable mlir::linalg::GenericOp consumer_;  // op handles are not const-correct
  mlir::Value c_;
  // Per consumer input: the one constant it holds (Relu's broadcast zero), used as such; null
  // for C and for inputs that are loaded.
  std::vector<mlir::Value> constants_;
};

}  // namespace strata::gpu
