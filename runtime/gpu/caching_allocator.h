// A caching allocator for device memory. Driver allocations (cuMemAlloc/cuMemFree) are slow and
// synchronize the device, so blocks freed by one run go to a free list of their size class and
// are handed to the next run that asks for that class instead of going back to the driver.
//
// The allocator sees memory only through a backend (an alloc/free function pair over opaque
// 64-bit addresses), so the same logic runs over the CUDA driver and, in tests, over malloc.
//
// Size classes: requests are rounded up to a multiple of 256 bytes up to 1 KiB, and above that
// to a quarter of their power of two (1280, 1536, 1792, 2048, 2560, ...): at most 25% slack, and
// few classes, so that the free lists get reused. A block is only reused for its own class.
//
// Thread-safe. The caller must not free a block that queued device work still uses (the GPU
// executable synchronizes its stream before freeing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata::gpu {

struct DeviceMemoryBackend {
  // Returns a new block of exactly `bytes` bytes (never 0). ResourceExhausted when out of memory
  // makes the allocator release its cache and try once more.
  std::function<absl::StatusOr<uint64_t>(size_t bytes)> alloc;
  std::function<absl::Status(uint64_t address)> free;
};

struct CachingAllocatorStats {
  int64_t bytes_in_use = 0;  // held by callers (size-class bytes, not requested bytes)
  int64_t bytes_cached = 0;  // on the free lists
  int64_t peak_bytes_in_use = 0;
  int64_t backend_allocs = 0;  // calls to the backend's alloc (driver allocations)
  int64_t backend_frees = 0;   // calls to the backend's free
  int64_t cache_hits = 0;      // Allocate calls served from a free list
  int64_t blocks_in_use = 0;
  int64_t blocks_cached = 0;
};

class CachingAllocator {
 public:
  static constexpr size_t kMinBlock = 256;

  explicit CachingAllocator(DeviceMemoryBackend backend);
  // Releases the cached blocks and any block still in use (its owner must be gone by now).
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // The size class a request of `bytes` is served from (a request of 0 gets kMinBlock).
  static size_t SizeClass(size_t bytes);

  // A block of at least `bytes` bytes (SizeClass(bytes) exactly), from the free list of its class
  // when there is one, else from the backend.
  absl::StatusOr<uint64_t> Allocate(size_t bytes);
  // Returns a block to its free list. InvalidArgument for an address this allocator did not
  // hand out or that is already free.
  absl::Status Free(uint64_t address);
  // Returns every cached block to the backend (blocks in use are untouched). The first backend
  // error is returned; the rest are still released.
  absl::Status EmptyCache();

  CachingAllocatorStats stats() const;

 private:
  absl::Status EmptyCacheLocked();

  DeviceMemoryBackend backend_;
  mutable std::mutex mu_;
  absl::flat_hash_map<uint64_t, size_t> in_use_;                   // address -> size class
  absl::flat_hash_map<size_t, std::vector<uint64_t>> free_lists_;  // size class -> addresses
  CachingAllocatorStats stats_;
};

}  // namespace strata::gpu
