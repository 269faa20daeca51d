// What the GPU compiler hands the GPU runtime: one PTX module with every kernel of a compiled
// graph, the buffers the kernels read and write, and the launches in order with the geometry the
// compiler computed. Plain C++ (no MLIR, no CUDA headers): compiler/gpu produces it, runtime/gpu
// loads the module once and replays the launches on a stream.
//
// Kernel ABI: bare pointers. Every memref argument of a kernel is one device pointer (static
// shapes, so no descriptors); an `immediate` argument is a 64-bit integer passed by value.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "graph/dtype.h"
#include "graph/shape.h"

namespace strata::gpu {

struct GpuBuffer {
  enum class Kind {
    kArg,       // a feed of the compiled function: `index` is the argument position
    kResult,    // a fetch: `index` is the result position
    kTemp,      // an intermediate the runtime allocates (caching allocator) for one run
    kConstant,  // weights: uploaded once when the program is loaded, from `constant_data`
  };
  Kind kind = Kind::kTemp;
  int index = 0;
  DType dtype = DT_FLOAT;
  Shape shape;
  int64_t bytes = 0;
  std::vector<char> constant_data;  // kConstant only (exactly `bytes` bytes)
};

struct GpuKernelArg {
  enum class Kind { kBuffer, kImmediate };
  Kind kind = Kind::kBuffer;
  int buffer = -1;        // kBuffer: index into GpuProgram::buffers (passed as a device pointer)
  int64_t immediate = 0;  // kImmediate: passed as a 64-bit integer
};

struct GpuLaunch {
  std::string kernel;  // the .entry name in `ptx`
  std::array<uint32_t, 3> grid{1, 1, 1};
  std::array<uint32_t, 3> block{1, 1, 1};
  uint32_t dynamic_shared_bytes = 0;
  std::vector<GpuKernelArg> args;
};

// A buffer that must be zero (or another byte) before the launches that follow read it, e.g.
// an accumulator the first kernel adds into. Replayed as a memset on the stream.
struct GpuMemset {
  int buffer = -1;
  uint8_t value = 0;
};

// One step of the program, run in order on one stream.
struct GpuStep {
  enum class Kind { kLaunch, kMemset, kCopy };
  Kind kind = Kind::kLaunch;
  GpuLaunch launch;     // kLaunch
  GpuMemset memset;     // kMemset
  int copy_from = -1;   // kCopy: device-to-device copy of the whole of buffer `copy_from`
  int copy_to = -1;     //        into buffer `copy_to` (same byte size)
};

// A run-time check (e.g. Gather's index range): `buffer` is an int64 scalar buffer (a kTemp)
// that the kernels set to INT64_MAX when the check passed, else to the flat position of the
// first offending element. After the run, a failed check is InvalidArgument with `message`,
// "{}" in it replaced by that position (the CPU path's FunctionAbi::check_messages).
struct GpuCheck {
  int buffer = -1;
  std::string message;
};

struct GpuProgram {
  std::string name;       // the compiled function's name (also the PTX module's)
  std::string cuda_arch;  // "sm_80", "sm_90", ...
  std::string ptx;        // one module, every kernel
  // The same kernels retargeted to the host CPU (MLIR, LLVM dialect), what the GPU emulator
  // (runtime/gpu/emulator) loads instead of the PTX; empty unless the compiler was asked for it.
  std::string host_ir;
  std::vector<GpuBuffer> buffers;
  std::vector<GpuStep> steps;
  std::vector<int> arg_buffers;     // buffers[arg_buffers[i]] is argument i
  std::vector<int> result_buffers;  // buffers[result_buffers[i]] is result i (may also be an arg
                                    // or a constant buffer when a fetch is a feed or a constant:
                                    // the runtime copies then)
  std::vector<GpuCheck> checks;     // read back after every run, in order
};

}  // namespace strata::gpu
