#include "runtime/gpu/caching_allocator.h"

#include <bit>
#include <utility>

#include "absl/strings/str_cat.h"

namespace strata::gpu {

CachingAllocator::CachingAllocator(DeviceMemoryBackend backend) : backend_(std::move(backend)) {}

CachingAllocator::~CachingAllocator() {
  std::lock_guard<std::mutex> lock(mu_);
  // Errors cannot be reported from a destructor; the process is tearing this device down.
  (void)EmptyCacheLocked();
  for (const auto& [address, size_class] : in_use_) (void)backend_.free(address);
}

size_t CachingAllocator::SizeClass(size_t bytes) {
  if (bytes <= 4 * kMinBlock) return bytes == 0 ? kMinBlock : (bytes + kMinBlock - 1) / kMinBlock * kMinBlock;
  // Quarter steps of the power of two at or below `bytes`: 1025..1280 -> 1280, 4000 -> 4096.
  const size_t step = std::bit_floor(bytes) / 4;
  return (bytes + step - 1) / step * step;
}

absl::StatusOr<uint64_t> CachingAllocator::Allocate(size_t bytes) {
  // Far beyond any device, and keeps SizeClass's rounding from overflowing.
  constexpr size_t kLargestRequest = size_t{1} << 48;
  if (bytes > kLargestRequest) {
    return absl::ResourceExhaustedError(
        absl::StrCat("CachingAllocator: a request of ", bytes, " bytes is larger than any device memory"));
  }
  const size_t size_class = SizeClass(bytes);
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t address = 0;
  auto it = free_lists_.find(size_class);
  if (it != free_lists_.end() && !it->second.empty()) {
    address = it->second.back();
    it->second.pop_back();
    stats_.bytes_cached -= size_class;
    --stats_.blocks_cached;
    ++stats_.cache_hits;
  } else {
    ++stats_.backend_allocs;
    absl::StatusOr<uint64_t> fresh = backend_.alloc(size_class);
    if (!fresh.ok() && absl::IsResourceExhausted(fresh.status()) && stats_.bytes_cached > 0) {
      // Other classes' cached blocks may be what stands in the way: give them back and retry.
      if (absl::Status released = EmptyCacheLocked(); !released.ok()) return released;
      ++stats_.backend_allocs;
      fresh = backend_.alloc(size_class);
    }
    if (!fresh.ok()) return fresh.status();
    address = *fresh;
  }
  in_use_[address] = size_class;
  stats_.bytes_in_use += size_class;
  ++stats_.blocks_in_use;
  if (stats_.bytes_in_use > stats_.peak_bytes_in_use) stats_.peak_bytes_in_use = stats_.bytes_in_use;
  return address;
}

absl::Status CachingAllocator::Free(uint64_t address) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = in_use_.find(address);
  if (it == in_use_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CachingAllocator::Free: 0x", absl::Hex(address), " is not a block in use from this allocator"));
  }
  const size_t size_class = it->second;
  in_use_.erase(it);
  free_lists_[size_class].push_back(address);
  stats_.bytes_in_use -= size_class;
  --stats_.blocks_in_use;
  stats_.bytes_cached += size_class;
  ++stats_.blocks_cached;
  return absl::OkStatus();
}

absl::Status CachingAllocator::EmptyCache() {
  std::lock_guard<std::mutex> lock(mu_);
  return EmptyCacheLocked();
}

absl::Status CachingAllocator::EmptyCacheLocked() {
  absl::Status first_error;
  for (auto& [size_class, addresses] : free_lists_) {
    for (uint64_t address : addresses) {
      ++stats_.backend_frees;
      absl::Status freed = backend_.free(address);
      if (!freed.ok() && first_error.ok()) first_error = freed;
      stats_.bytes_cached -= size_class;
      --stats_.blocks_cached;
    }
  }
  free_lists_.clear();
  return first_error;
}

CachingAllocatorStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace strata::gpu
