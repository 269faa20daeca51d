// Ahead-of-time compilation: a shape-specialized graph -> an object file with a C entry point,
// a generated C++ header, and (optionally) an external weights file. The artifact needs only
// libstrata_aot_runtime (runtime/aot/) plus libc/libstdc++/libm at run time.
//
// The compiled code is the JIT's (same lowering and CPU pipeline, compiler/cpu_pipeline.h),
// tuned for a chosen target CPU instead of the host, and emitted through an LLVM TargetMachine
// instead of the JIT. What differs (compiler/aot_object.cc):
//   - the entry point `strata_aot_<ns>_<Class>_run` unpacks plain pointers into the compiled
//     function's memref arguments, copies the fetches that need no computation (fed or
//     folded tensors, repeated fetches), and reports failed run-time checks;
//   - constants over 4 KiB ("weights") form one blob: a read-only global in the object, or the
//     data of the weights file (runtime/aot/weights_format.h);
//   - the runtime functions the code calls are renamed to strata_aot_* (runtime/aot/abi.h), and
//     every other symbol is internal, so several artifacts link into one program.
// The arena is measured by running the code at compile time and packed by the blocks'
// lifetimes (aot_arena_measure.h, aot_arena_pack.h).
// This header is free of MLIR and LLVM.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/shape.h"
#include "graph/tensor.h"
#include "runtime/executable.h"

namespace strata {

enum class AotWeights { kEmbed, kExternal };

struct AotOptions {
  // The generated class, "ns::Class" or "Class"; every part a C++ identifier.
  std::string cpp_class;
  // "native" (the host CPU and its features), or an LLVM CPU name: x86-64-v2, x86-64-v3,
  // x86-64-v4, skylake-avx512, znver4, ...
  std::string target_cpu = "native";
  AotWeights weights = AotWeights::kEmbed;
  int opt_level = 3;
  // A note for the generated header (e.g. the model file and the command that made it).
  std::string provenance;
};

// One tensor of the artifact's interface.
struct AotTensor {
  std::string name;    // C identifier for the accessors: arg_<name>_data(), result_<name>_data()
  std::string tensor;  // "node:k" in the model, for documentation
  DType dtype = DT_INVALID;
  Shape shape;         // fully defined
};

// Where a fetch's value comes from.
struct AotFetchSource {
  enum Kind { kResult, kFeed, kConstant };
  Kind kind = kResult;
  int index = 0;  // into request.results, the feeds, or AotProgram::constants
};

// What to compile: the backend's CompileRequest (graph pruned and shape-specialized, as a
// Session builds it) and how the declared feeds and fetches map onto it.
struct AotProgram {
  CompileRequest request;
  std::vector<AotTensor> feeds;    // every declared feed, in order (the entry's args)
  std::vector<AotTensor> fetches;  // every declared fetch, in order (the entry's results)
  std::vector<int> arg_feeds;      // per request.args: its index in `feeds`
  std::vector<AotFetchSource> fetch_sources;  // per fetch
  std::vector<Tensor> constants;   // values of kConstant fetches
  // request.results that no fetch reads are computed for their effect only (into scratch).
};

struct AotStats {
  double lower_ms = 0, pipeline_ms = 0, codegen_ms = 0, measure_ms = 0, total_ms = 0;
};

struct AotArtifact {
  std::string object;        // ELF relocatable object
  std::string header;        // the generated C++ header
  std::string weights_file;  // contents of the external weights file (kExternal only)
  std::string entry_symbol;  // strata_aot_<ns>_<Class>_run
  std::string target_cpu;    // resolved CPU name
  int vector_bits = 0;       // vector width the code was tiled for
  int64_t weights_bytes = 0;
  uint64_t weights_checksum = 0;
  int64_t scratch_bytes = 0;
  int64_t main_arena_bytes = 0;   // the main region: packed by lifetime (or a stack)
  int64_t chunk_arena_bytes = 0;  // per parallel-loop participant
  int64_t stack_main_arena_bytes = 0;  // the main region as a stack (measured high-water mark)
  int64_t sum_main_arena_bytes = 0;    // its blocks each in a slot of their own
  int64_t main_arena_blocks = 0;       // blocks the packed plan places (0: the region is a stack)
  AotStats stats;
};

// Errors: InvalidArgument for a bad class name, unknown target CPU, or inconsistent program;
// lowering errors name the node; Internal for code the AOT runtime cannot serve.
absl::StatusOr<AotArtifact> CompileAot(const AotProgram& program, const AotOptions& options);

// "a::b::C" -> {"a", "b", "C"}; InvalidArgument unless every part is a C++ identifier (and not
// a keyword).
absl::StatusOr<std::vector<std::string>> SplitCppClass(const std::string& cpp_class);

// A C identifier made from a tensor or node name: "dense/BiasAdd:0" -> "dense_BiasAdd",
// "x:1" -> "x_1", "1st" -> "_1st".
std::string SanitizeIdentifier(const std::string& tensor_name);

}  // namespace strata
