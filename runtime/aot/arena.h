// Where an AOT model's intermediates live while it runs.
//
// The compiled code allocates and frees its intermediate buffers in the same order on every
// run (shapes are static), so one arena of a size fixed at compile time holds them all:
// strata compile runs the code once through this very allocator, records every block's size
// and lifetime, and packs blocks whose lifetimes do not overlap into the same bytes
// (compiler/aot_arena_measure.cc, compiler/aot_arena_pack.cc). An Arena is one block:
//
//   [ main region | chunk region 0 | chunk region 1 | ... ]
//
// The main region serves the calling thread; parallel loops run their chunks on "participants"
// (the caller and the pool's threads), participant p allocating in chunk region p, which is
// emptied after each chunk. A region either follows a plan (the main region of a packed
// model: the n-th block of a run goes to the offset planned for it) or is a stack (chunk
// regions, and the compile-time measurement: a freed block is reclaimed once every block above
// it is freed too). Nothing is shared between arenas, so instances that each own one run
// concurrently.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace strata::aot {

// Where the n-th block of a run goes in a planned region: its data at `offset` from the
// region's base (the block's 64-byte header just below), for a request of `bytes`.
struct PlannedBlock {
  uint64_t offset;
  uint64_t bytes;
};

// Sees a stack region's blocks come and go (the compile-time measurement records lifetimes).
class RegionObserver {
 public:
  virtual ~RegionObserver() = default;
  // Block `index` (0, 1, ... in allocation order since the last Clear) was allocated / freed.
  virtual void OnAllocate(uint64_t index, uint64_t alignment, uint64_t size) = 0;
  virtual void OnFree(uint64_t index) = 0;
};

class StackRegion {
 public:
  void Reset(char* base, uint64_t capacity);  // base: 4096-byte aligned; drops any plan
  // Serves the blocks of each run at these offsets instead of as a stack. A request that
  // differs from the plan (size, alignment, or more blocks than planned) gets nullptr, so the
  // caller's heap fallback keeps results correct and counted. `blocks` must outlive the region.
  void SetPlan(const PlannedBlock* blocks, uint64_t count);
  void set_observer(RegionObserver* observer) { observer_ = observer; }
  // nullptr when the block does not fit (or alignment > 4096).
  void* Allocate(uint64_t alignment, uint64_t size);
  // `ptr` must come from Allocate of this region.
  void Free(void* ptr);
  // Forgets every block (the next Allocate starts at the bottom, or the plan's first block,
  // again); the peak stays.
  void Clear();
  uint64_t peak() const { return peak_; }     // highest end of any block since Reset
  uint64_t used() const { return top_; }

 private:
  void* AllocatePlanned(uint64_t alignment, uint64_t size);

  char* base_ = nullptr;
  uint64_t capacity_ = 0;
  uint64_t top_ = 0;
  uint64_t last_ = 0;  // 1 + offset of the topmost block's data; 0: no block
  uint64_t peak_ = 0;
  uint64_t next_index_ = 0;  // of the next block allocated
  const PlannedBlock* plan_ = nullptr;
  uint64_t plan_count_ = 0;
  RegionObserver* observer_ = nullptr;
};

class Arena {
 public:
  Arena() = default;
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // (Re)allocates the block for a main region of main_bytes and `slots` chunk regions of
  // chunk_bytes each. Returns false when the memory is not available.
  bool Reserve(uint64_t main_bytes, uint64_t chunk_bytes, int slots);
  // Empties every region (their peaks stay).
  void Clear();

  StackRegion& main() { return main_; }
  StackRegion* slot(int p) { return p < num_slots_ ? &slots_[p] : nullptr; }
  int num_slots() const { return num_slots_; }
  uint64_t bytes() const { return bytes_; }
  // Bytes the compiled code had to take from the heap because a region was full (0 when the
  // compile-time plan holds).
  int64_t heap_fallback_bytes() const { return heap_fallback_bytes_.load(std::memory_order_relaxed); }
  void AddHeapFallback(uint64_t bytes) { heap_fallback_bytes_.fetch_add(static_cast<int64_t>(bytes), std::memory_order_relaxed); }
  void ResetHeapFallback() { heap_fallback_bytes_.store(0, std::memory_order_relaxed); }

 private:
  void Release();

  char* block_ = nullptr;
  uint64_t bytes_ = 0;
  StackRegion main_;
  StackRegion* slots_ = nullptr;
  int num_slots_ = 0;
  std::atomic<int64_t> heap_fallback_bytes_{0};
};

class ThreadPoolInterface;

// Installs `arena` (its main region) and `pool` for the compiled code that runs on this thread
// during the scope. Either may be null (heap allocation; serial loops).
class ScopedRunContext {
 public:
  ScopedRunContext(Arena* arena, ThreadPoolInterface* pool);
  ~ScopedRunContext();
  ScopedRunContext(const ScopedRunContext&) = delete;
  ScopedRunContext& operator=(const ScopedRunContext&) = delete;

 private:
  struct Saved {
    Arena* arena;
    StackRegion* region;
    ThreadPoolInterface* pool;
    bool in_chunk;
  } saved_;
};

// Rounds up to a multiple of 64 (the sizes the arena hands out).
inline uint64_t RoundUp64(uint64_t n) { return (n + 63) / 64 * 64; }

}  // namespace strata::aot
