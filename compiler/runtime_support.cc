// Allocation for JIT-compiled code (see runtime_support.h).
#include "compiler/runtime_support.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "runtime/thread_pool.h"

namespace strata {

namespace {

constexpr uint64_t kAlignment = 64;
constexpr size_t kMaxCachedBlocks = 16;
constexpr uint64_t kMaxCachedBytes = uint64_t{256} << 20;

// Stored just below the pointer handed out.
struct Header {
  uint64_t size;
  uint64_t alignment;
  void* raw;
};

// Per-thread blocks of 64-byte alignment, by exact size.
class BlockCache {
 public:
  ~BlockCache() {
    for (void* user : blocks_) std::free(HeaderOf(user).raw);
  }
  static Header HeaderOf(void* user) {
    Header h;
    std::memcpy(&h, static_cast<char*>(user) - sizeof(Header), sizeof(Header));
    return h;
  }
  void* Take(uint64_t size) {
    for (size_t i = 0; i < blocks_.size(); ++i) {
      if (HeaderOf(blocks_[i]).size == size) {
        void* user = blocks_[i];
        bytes_ -= size;
        blocks_[i] = blocks_.back();
        blocks_.pop_back();
        return user;
      }
    }
    return nullptr;
  }
  bool Put(void* user, uint64_t size) {
    if (blocks_.size() >= kMaxCachedBlocks || bytes_ + size > kMaxCachedBytes) return false;
    blocks_.push_back(user);
    bytes_ += size;
    return true;
  }

 private:
  std::vector<void*> blocks_;
  uint64_t bytes_ = 0;
};

thread_local BlockCache cache;

}  // namespace

void* RuntimeAlignedAlloc(uint64_t alignment, uint64_t size) {
  const uint64_t a = std::max(alignment, kAlignment);
  if (a == kAlignment) {
    if (void* user = cache.Take(size)) return user;
  }
  // The header fits in the first `a` bytes; user memory starts at raw + a.
  void* raw = std::aligned_alloc(a, a + (size + a - 1) / a * a);
  if (raw == nullptr) return nullptr;
  void* user = static_cast<char*>(raw) + a;
  Header h{size, a, raw};
  std::memcpy(static_cast<char*>(user) - sizeof(Header), &h, sizeof(Header));
  return user;
}

void* RuntimeAlloc(uint64_t size) { return RuntimeAlignedAlloc(kAlignment, size); }

void RuntimeFree(void* user) {
  if (user == nullptr) return;
  Header h = BlockCache::HeaderOf(user);
  if (h.alignment == kAlignment && cache.Put(user, h.size)) return;
  std::free(h.raw);
}

namespace {
thread_local ThreadPool* parallel_pool = nullptr;
std::atomic<int64_t> parallel_loops{0};
std::atomic<int64_t> split_parallel_loops{0};
}  // namespace

ParallelLoopCounters GetParallelLoopCounters() {
  return {parallel_loops.load(std::memory_order_relaxed), split_parallel_loops.load(std::memory_order_relaxed)};
}

ScopedParallelPool::ScopedParallelPool(ThreadPool* pool) : previous_(parallel_pool) { parallel_pool = pool; }
ScopedParallelPool::~ScopedParallelPool() { parallel_pool = previous_; }

}  // namespace strata

extern "C" void strata_parallel_for(void (*task)(void*, int64_t, int64_t), void* context, int64_t n,
                                    int64_t cost_per_item) {
  strata::parallel_loops.fetch_add(1, std::memory_order_relaxed);
  strata::ThreadPool* pool = strata::parallel_pool;
  if (pool == nullptr || pool->NumChunks(n, cost_per_item) <= 1) {
    if (n > 0) task(context, 0, n);
    return;
  }
  strata::split_parallel_loops.fetch_add(1, std::memory_order_relaxed);
  // Chunks run with no pool: a chunk that reaches another parallel loop runs it serially.
  pool->ParallelFor(n, cost_per_item, [task, context](int64_t begin, int64_t end) {
    strata::ScopedParallelPool serial(nullptr);
    task(context, begin, end);
  });
}
