// Checks on a GpuProgram (runtime/gpu/gpu_program.h) before the runtime trusts its indices and
// sizes, and the names its error messages use.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "graph/dtype.h"
#include "graph/shape.h"
#include "runtime/gpu/gpu_program.h"

namespace strata::gpu {

// OK when every buffer index is in range, argument i is the arg buffer with index i and every
// arg buffer is an argument, arg/result buffers have the byte size of their dtype and shape,
// constants carry exactly their bytes, launches have a kernel and a non-empty grid and block,
// copies are between buffers of one size, and no memset or copy writes a constant (shared by
// every run), and every check flag is an int64 scalar (8 bytes) that is neither an arg nor a
// constant. InvalidArgument naming the program, the step or buffer, and the problem otherwise.
absl::Status ValidateGpuProgram(const GpuProgram& program);

// "arg", "result", "temp", "constant".
const char* GpuBufferKindName(GpuBuffer::Kind kind);
// "float32[1000]".
std::string TensorTypeString(DType dtype, const Shape& shape);
// The byte size of a tensor of the buffer's dtype and shape; -1 when it has none (a partial
// shape, a string dtype).
int64_t TensorBytesOf(const GpuBuffer& buffer);

}  // namespace strata::gpu
