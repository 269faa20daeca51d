// Internal: what the compiled code running on this thread allocates from and parallelizes on.
#pragma once

namespace strata::aot {

class Arena;
class StackRegion;
class ThreadPoolInterface;

namespace internal {

struct RunContext {
  Arena* arena = nullptr;         // for the heap-fallback count
  StackRegion* region = nullptr;  // where strata_aot_alloc takes memory from
  ThreadPoolInterface* pool = nullptr;
  bool in_chunk = false;          // inside a parallel chunk: loops run serially
};

// Trivially constructible, so access needs no TLS init wrapper.
extern thread_local RunContext current_run;

}  // namespace internal
}  // namespace strata::aot
