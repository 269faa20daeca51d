// The C symbols an AOT object calls and exports.
//
// The compiler renames the functions that JIT-compiled code binds at run time
// (_mlir_memref_to_llvm_{alloc,aligned_alloc,free}, strata_parallel_for; see
// compiler/runtime_support.h) to the strata_aot_* names below, so that a program may link an
// AOT artifact and the JIT (libstrata_compiler) at once without either taking the other's.
#pragma once

#include <cstdint>

extern "C" {

// Allocation of the compiled code's intermediates: from the arena that the calling thread's
// Run installed (arena.h), or from the heap where there is none or it is full (counted).
void* strata_aot_alloc(uint64_t size);
void* strata_aot_aligned_alloc(uint64_t alignment, uint64_t size);
void strata_aot_free(void* ptr);

// Runs task(context, begin, end) over disjoint ranges covering [0, n), on the thread pool the
// calling thread's Run installed (serially without one, and inside a chunk: chunks do not nest).
// cost_per_item is the compiler's estimate in ~ns.
void strata_aot_parallel_for(void (*task)(void* context, int64_t begin, int64_t end), void* context, int64_t n,
                             int64_t cost_per_item);

// The entry point of one compiled model (the symbol is named after its C++ class:
// `strata_aot_<ns>_<Class>_run`). args: one pointer per feed; results: one per fetch; weights:
// the data of the external weights file (ignored with embedded weights); scratch: 64-byte
// aligned memory of the size the header gives (kScratchBytes). Returns 0, or 1 + the index of
// the run-time check that failed (e.g. a gather index out of range), with the offending value
// in *bad_value.
typedef int (*StrataAotEntry)(const void* const* args, void* const* results, const void* weights, void* scratch,
                              int64_t* bad_value);

}  // extern "C"
