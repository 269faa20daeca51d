// Folds of tensor subsets (extract_slice / insert_slice) into vector transfers, used after
// vectorization so that tiles read and write the whole tensors directly.
//
// MLIR 19's populateFoldTensorSubsetIntoVectorTransferPatterns folds
//   insert_slice(transfer_write(v, t[i]), dest[o])  ->  transfer_write(v, dest[o + i])
// even when the write covers only part of t, which drops the rest of t: after a peeled tile loop
// the remainder tile's write into the main tile's result became a write into the concat
// destination, and the main tile was lost (a ConcatV2/Pack of elementwise producers gave zeros;
// fixed upstream in LLVM 20 by the same coverage check as here).
#pragma once

#include "mlir/IR/PatternMatch.h"

namespace strata {

// transfer_read(extract_slice) folds (as upstream), and insert_slice(transfer_write) folds only
// when the transfer_write overwrites every element of the tensor it writes into (or that tensor
// is a tensor.empty, whose other elements are undefined anyway).
void PopulateTensorSubsetIntoTransferFolds(mlir::RewritePatternSet& patterns);

}  // namespace strata
