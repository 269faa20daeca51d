// Functions that JIT-compiled code calls into: heap allocation of intermediate buffers, and
// the parallel loop driver (compiler/cpu_parallel.h).
//
// Compiled functions allocate their intermediates with memref.alloc, lowered to
// _mlir_memref_to_llvm_{aligned_alloc,alloc,free} (finalize-memref-to-llvm's generic functions)
// and bound to these. A small per-thread cache keeps recently freed blocks by size, so that a
// function run again and again reuses its buffers instead of paying mmap + page faults for
// every large intermediate on every run.
#pragma once

#include <cstdint>

namespace strata {

class ThreadPool;

void* RuntimeAlignedAlloc(uint64_t alignment, uint64_t size);
void* RuntimeAlloc(uint64_t size);
void RuntimeFree(void* ptr);

// Makes `pool` the pool that parallel loops of compiled code run on, on this thread, for the
// scope's lifetime (null: serial). Executables open one around each call of compiled code.
class ScopedParallelPool {
 public:
  explicit ScopedParallelPool(ThreadPool* pool);
  ~ScopedParallelPool();
  ScopedParallelPool(const ScopedParallelPool&) = delete;
  ScopedParallelPool& operator=(const ScopedParallelPool&) = delete;

 private:
  ThreadPool* previous_;
};

// How many parallel loops compiled code has reached (all threads, since start-up), and how
// many of those were split into more than one chunk (tests and diagnostics).
struct ParallelLoopCounters {
  int64_t loops = 0;
  int64_t split_loops = 0;
};
ParallelLoopCounters GetParallelLoopCounters();

}  // namespace strata

// Called by compiled code: runs task(context, begin, end) over disjoint ranges covering [0, n)
// on this thread's pool (serially without one, and inside a chunk: chunks do not nest).
// `cost_per_item` is the compiler's estimate in ~ns.
extern "C" void strata_parallel_for(void (*task)(void* context, int64_t begin, int64_t end), void* context, int64_t n,
                                    int64_t cost_per_item);

namespace strata {

}  // namespace strata
