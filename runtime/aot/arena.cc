// The arena and the allocation functions the compiled code calls (see arena.h, abi.h).
#include "runtime/aot/arena.h"

#include <algorithm>
#include <cstdlib>
#include <new>

#include "runtime/aot/abi.h"
#include "runtime/aot/run_context.h"

namespace strata::aot {

namespace internal {
thread_local RunContext current_run;
}  // namespace internal

namespace {

constexpr uint64_t kHeaderBytes = 64;
constexpr uint64_t kMaxAlignment = 4096;
constexpr uint64_t kRegionMagic = 0x5354524154414152ULL;  // "STRATAAR"
constexpr uint64_t kHeapMagic = 0x5354524154414850ULL;    // "STRATAHP"
constexpr uint64_t kPlannedMagic = 0x5354524154415041ULL; // "STRATAPA"

// Stored in the 64 bytes below every block handed out.
struct BlockHeader {
  StackRegion* owner;  // null for heap blocks
  void* heap_raw;      // what to free, for heap blocks
  uint64_t prev_top;
  uint64_t prev_last;
  uint64_t freed;
  uint64_t magic;
  uint64_t index;  // in the region's allocation order
};
static_assert(sizeof(BlockHeader) <= kHeaderBytes);

BlockHeader* HeaderOf(void* user) { return reinterpret_cast<BlockHeader*>(static_cast<char*>(user) - kHeaderBytes); }

uint64_t AlignUp(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }
bool ValidAlignment(uint64_t a) { return a <= kMaxAlignment && (a & (a - 1)) == 0; }

void* HeapAllocate(uint64_t alignment, uint64_t size) {
  const uint64_t a = std::max(alignment, kHeaderBytes);
  if (!ValidAlignment(a) || size > (uint64_t{1} << 62)) return nullptr;
  void* raw = std::aligned_alloc(a, a + AlignUp(std::max<uint64_t>(size, 1), a));
  if (raw == nullptr) return nullptr;
  void* user = static_cast<char*>(raw) + a;
  *HeaderOf(user) = BlockHeader{nullptr, raw, 0, 0, 0, kHeapMagic, 0};
  return user;
}

}  // namespace

void StackRegion::Reset(char* base, uint64_t capacity) {
  base_ = base;
  capacity_ = capacity;
  top_ = last_ = peak_ = next_index_ = 0;
  plan_ = nullptr;
  plan_count_ = 0;
}

void StackRegion::SetPlan(const PlannedBlock* blocks, uint64_t count) {
  plan_ = count > 0 ? blocks : nullptr;
  plan_count_ = plan_ != nullptr ? count : 0;
  next_index_ = 0;
}

void* StackRegion::Allocate(uint64_t alignment, uint64_t size) {
  if (plan_ != nullptr) return AllocatePlanned(alignment, size);
  const uint64_t a = std::max(alignment, kHeaderBytes);
  if (!ValidAlignment(a) || size > capacity_) return nullptr;
  const uint64_t user = AlignUp(top_ + kHeaderBytes, a);
  const uint64_t end = user + RoundUp64(size);
  if (end > capacity_) return nullptr;
  void* p = base_ + user;
  const uint64_t index = next_index_++;
  *HeaderOf(p) = BlockHeader{this, nullptr, top_, last_, 0, kRegionMagic, index};
  top_ = end;
  last_ = user + 1;
  peak_ = std::max(peak_, end);
  if (observer_ != nullptr) observer_->OnAllocate(index, alignment, size);
  return p;
}

void* StackRegion::AllocatePlanned(uint64_t alignment, uint64_t size) {
  const uint64_t index = next_index_++;
  if (index >= plan_count_) return nullptr;
  const PlannedBlock& b = plan_[index];
  const uint64_t a = std::max(alignment, kHeaderBytes);
  if (b.bytes != size || !ValidAlignment(a) || b.offset % a != 0 || b.offset < kHeaderBytes ||
      b.offset + RoundUp64(size) > capacity_) {
    return nullptr;
  }
  void* p = base_ + b.offset;
  *HeaderOf(p) = BlockHeader{this, nullptr, 0, 0, 0, kPlannedMagic, index};
  peak_ = std::max(peak_, b.offset + RoundUp64(size));
  return p;
}

void StackRegion::Free(void* ptr) {
  BlockHeader* h = HeaderOf(ptr);
  if (h->magic == kPlannedMagic) return;  // its bytes are someone else's once its lifetime ends
  h->freed = 1;
  if (observer_ != nullptr) observer_->OnFree(h->index);
  while (last_ != 0) {
    const BlockHeader* top = HeaderOf(base_ + (last_ - 1));
    if (!top->freed) break;
    top_ = top->prev_top;
    last_ = top->prev_last;
  }
}

void StackRegion::Clear() { top_ = last_ = next_index_ = 0; }

Arena::~Arena() { Release(); }

void Arena::Release() {
  delete[] slots_;
  slots_ = nullptr;
  num_slots_ = 0;
  std::free(block_);
  block_ = nullptr;
  bytes_ = 0;
}

bool Arena::Reserve(uint64_t main_bytes, uint64_t chunk_bytes, int slots) {
  Release();
  slots = std::max(slots, 1);
  // Every region starts on a 4096-byte boundary, as during the compile-time measurement, so
  // that alignment padding (and so the high-water mark) is the same.
  const uint64_t main_size = AlignUp(main_bytes, kMaxAlignment);
  const uint64_t chunk_size = AlignUp(chunk_bytes, kMaxAlignment);
  const uint64_t total = main_size + chunk_size * static_cast<uint64_t>(slots);
  if (total > 0) {
    block_ = static_cast<char*>(std::aligned_alloc(kMaxAlignment, total));
    if (block_ == nullptr) return false;
  }
  slots_ = new (std::nothrow) StackRegion[slots];
  if (slots_ == nullptr) {
    Release();
    return false;
  }
  num_slots_ = slots;
  bytes_ = total;
  main_.Reset(block_, main_size);
  for (int p = 0; p < slots; ++p) slots_[p].Reset(block_ + main_size + chunk_size * p, chunk_size);
  return true;
}

void Arena::Clear() {
  main_.Clear();
  for (int p = 0; p < num_slots_; ++p) slots_[p].Clear();
}

ScopedRunContext::ScopedRunContext(Arena* arena, ThreadPoolInterface* pool) {
  internal::RunContext& c = internal::current_run;
  saved_ = {c.arena, c.region, c.pool, c.in_chunk};
  c.arena = arena;
  c.region = arena != nullptr ? &arena->main() : nullptr;
  c.pool = pool;
  c.in_chunk = false;
}

ScopedRunContext::~ScopedRunContext() {
  internal::RunContext& c = internal::current_run;
  c.arena = saved_.arena;
  c.region = saved_.region;
  c.pool = saved_.pool;
  c.in_chunk = saved_.in_chunk;
}

}  // namespace strata::aot

using strata::aot::internal::current_run;

extern "C" void* strata_aot_aligned_alloc(uint64_t alignment, uint64_t size) {
  if (current_run.region != nullptr) {
    if (void* p = current_run.region->Allocate(alignment, size)) return p;
  }
  if (current_run.arena != nullptr) current_run.arena->AddHeapFallback(size);
  return strata::aot::HeapAllocate(alignment, size);
}

extern "C" void* strata_aot_alloc(uint64_t size) { return strata_aot_aligned_alloc(64, size); }

extern "C" void strata_aot_free(void* ptr) {
  if (ptr == nullptr) return;
  strata::aot::BlockHeader* h = strata::aot::HeaderOf(ptr);
  if (h->owner != nullptr) {
    h->owner->Free(ptr);
  } else {
    std::free(h->heap_raw);
  }
}
