// The caching allocator's logic over a host malloc backend (no GPU needed): the same code runs
// over cuMemAlloc/cuMemFree in the CUDA device.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/gpu/caching_allocator.h"

namespace strata::gpu {
namespace {

using ::testing::HasSubstr;

// malloc/free with a record of what the allocator asked for, and an optional memory limit.
struct HostBackend {
  std::set<uint64_t> live;
  std::vector<size_t> alloc_sizes;
  int frees = 0;
  size_t limit = SIZE_MAX;
  size_t live_bytes = 0;
  std::vector<std::pair<uint64_t, size_t>> sizes;

  DeviceMemoryBackend Make() {
    DeviceMemoryBackend backend;
    backend.alloc = [this](size_t bytes) -> absl::StatusOr<uint64_t> {
      alloc_sizes.push_back(bytes);
      if (live_bytes + bytes > limit)
        return absl::ResourceExhaustedError(absl::StrCat("out of host memory for ", bytes));
      void* p = std::malloc(bytes);
      if (p == nullptr) return absl::ResourceExhaustedError("malloc failed");
      std::memset(p, 0xAB, bytes);  // the test writes into it: a wrong size would show under ASan
      const uint64_t address = reinterpret_cast<uintptr_t>(p);
      live.insert(address);
      live_bytes += bytes;
      sizes.emplace_back(address, bytes);
      return address;
    };
    backend.free = [this](uint64_t address) -> absl::Status {
      if (live.erase(address) == 0) return absl::InternalError("double or foreign free");
      for (auto it = sizes.begin(); it != sizes.end(); ++it) {
        if (it->first == address) {
          live_bytes -= it->second;
          sizes.erase(it);
          break;
        }
      }
      ++frees;
      std::free(reinterpret_cast<void*>(static_cast<uintptr_t>(address)));
      return absl::OkStatus();
    };
    return backend;
  }
};

TEST(CachingAllocatorTest, SizeClassesRoundTo256ThenQuarterPowersOfTwo) {
  EXPECT_EQ(CachingAllocator::SizeClass(0), 256u);
  EXPECT_EQ(CachingAllocator::SizeClass(1), 256u);
  EXPECT_EQ(CachingAllocator::SizeClass(256), 256u);
  EXPECT_EQ(CachingAllocator::SizeClass(257), 512u);
  EXPECT_EQ(CachingAllocator::SizeClass(1000), 1024u);
  EXPECT_EQ(CachingAllocator::SizeClass(1024), 1024u);
  EXPECT_EQ(CachingAllocator::SizeClass(1025), 1280u);
  EXPECT_EQ(CachingAllocator::SizeClass(1537), 1792u);
  EXPECT_EQ(CachingAllocator::SizeClass(2048), 2048u);
  EXPECT_EQ(CachingAllocator::SizeClass(2049), 2560u);
  EXPECT_EQ(CachingAllocator::SizeClass(4000), 4096u);
  EXPECT_EQ(CachingAllocator::SizeClass((1 << 20) + 1), (1u << 20) + (1u << 18));
  // Never less than asked, never more than 25% (+256 B) slack.
  for (size_t bytes = 1; bytes < (1 << 22); bytes = bytes * 3 / 2 + 7) {
    const size_t c = CachingAllocator::SizeClass(bytes);
    EXPECT_GE(c, bytes);
    EXPECT_LE(c, bytes + bytes / 4 + 256) << bytes;
    EXPECT_EQ(c % 256, 0u) << bytes;
  }
}

TEST(CachingAllocatorTest, ReusesAFreedBlockOfTheSameClass) {
  HostBackend host;
  CachingAllocator allocator(host.Make());
  absl::StatusOr<uint64_t> a = allocator.Allocate(4000);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(allocator.Free(*a).ok());
  // 3900 bytes rounds to the same 4096-byte class: the same block comes back, no new alloc.
  absl::StatusOr<uint64_t> b = allocator.Allocate(3900);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*b, *a);
  EXPECT_EQ(host.alloc_sizes, std::vector<size_t>{4096});
  CachingAllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.backend_allocs, 1);
  EXPECT_EQ(stats.cache_hits, 1);
  EXPECT_EQ(stats.bytes_in_use, 4096);
  EXPECT_EQ(stats.bytes_cached, 0);
}

TEST(CachingAllocatorTest, NoReuseWhileInUseAndDistinctAddresses) {
  HostBackend host;
  CachingAllocator allocator(host.Make());
  std::set<uint64_t> seen;
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<uint64_t> p = allocator.Allocate(1000);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_TRUE(seen.insert(*p).second) << "address handed out twice while in use";
    std::memset(reinterpret_cast<void*>(static_cast<uintptr_t>(*p)), i, 1000);
  }
  CachingAllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.backend_allocs, 10);
  EXPECT_EQ(stats.cache_hits, 0);
  EXPECT_EQ(stats.blocks_in_use, 10);
  EXPECT_EQ(stats.bytes_in_use, 10 * 1024);
  EXPECT_EQ(stats.peak_bytes_in_use, 10 * 1024);
}

TEST(CachingAllocatorTest, OtherClassesAreNotReused) {
  HostBackend host;
  CachingAllocator allocator(host.Make());
  absl::StatusOr<uint64_t> small = allocator.Allocate(256);
  ASSERT_TRUE(small.ok());
  ASSERT_TRUE(allocator.Free(*small).ok());
  absl::StatusOr<uint64_t> big = allocator.Allocate(8192);
  ASSERT_TRUE(big.ok());
  EXPECT_NE(*big, *small);  // a 256-byte block cannot hold 8 KiB
  EXPECT_EQ(host.alloc_sizes, (std::vector<size_t>{256, 8192}));
  EXPECT_EQ(allocator.stats().bytes_cached, 256);
  EXPECT_EQ(allocator.stats().blocks_cached, 1);
}

TEST(CachingAllocatorTest, RepeatedRunsStopCallingTheBackend) {
  HostBackend host;
  CachingAllocator allocator(host.Make());
  const std::vector<size_t> run_sizes = {4000, 4000, 100, 1 << 16, 12345};
  for (int run = 0; run < 5; ++run) {
    std::vector<uint64_t> blocks;
    for (size_t bytes : run_sizes) {
      absl::StatusOr<uint64_t> p = allocator.Allocate(bytes);
      ASSERT_TRUE(p.ok()) << p.status();
      blocks.push_back(*p);
    }
    for (uint64_t p : blocks) ASSERT_TRUE(allocator.Free(p).ok());
    EXPECT_EQ(allocator.stats().backend_allocs, static_cast<int64_t>(run_sizes.size())) << "run " << run;
  }
  CachingAllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.cache_hits, 4 * static_cast<int64_t>(run_sizes.size()));
  EXPECT_EQ(stats.bytes_in_use, 0);
  EXPECT_EQ(stats.bytes_cached, 4096 * 2 + 256 + (1 << 16) + 14336);
  EXPECT_EQ(stats.backend_frees, 0);
}

TEST(CachingAllocatorTest, EmptyCacheReleasesCachedButNotInUseBlocks) {
  HostBackend host;
  CachingAllocator allocator(host.Make());
  absl::StatusOr<uint64_t> kept = allocator.Allocate(512);
  absl::StatusOr<uint64_t> freed1 = allocator.Allocate(512);
  absl::StatusOr<uint64_t> freed2 = allocator.Allocate(3000);
  ASSERT_TRUE(kept.ok() && freed1.ok() && freed2.ok());
  ASSERT_TRUE(allocator.Free(*freed1).ok());
  ASSERT_TRUE(allocator.Free(*freed2).ok());
  ASSERT_TRUE(allocator.EmptyCache().ok());
  EXPECT_EQ(host.frees, 2);
  EXPECT_EQ(host.live, std::set<uint64_t>{*kept});
  CachingAllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.bytes_cached, 0);
  EXPECT_EQ(stats.blocks_cached, 0);
  EXPECT_EQ(stats.backend_frees, 2);
  EXPECT_EQ(stats.bytes_in_use, 512);
  // After the cache is gone a new request goes to the backend again.
  absl::StatusOr<uint64_t> again = allocator.Allocate(512);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(allocator.stats().backend_allocs, 4);
}

TEST(CachingAllocatorTest, DestructorReleasesEverything) {
  HostBackend host;
  {
    CachingAllocator allocator(host.Make());
    absl::StatusOr<uint64_t> in_use = allocator.Allocate(100);
    absl::StatusOr<uint64_t> cached = allocator.Allocate(5000);
    ASSERT_TRUE(in_use.ok() && cached.ok());
    ASSERT_TRUE(allocator.Free(*cached).ok());
  }
  EXPECT_TRUE(host.live.empty());
  EXPECT_EQ(host.frees, 2);
}

TEST(CachingAllocatorTest, FreeOfUnknownOrFreedAddressIsAnError) {
  HostBackend host;
  CachingAllocator allocator(host.Make());
  absl::Status unknown = allocator.Free(0x1234);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.message(), HasSubstr("0x1234"));
  absl::StatusOr<uint64_t> p = allocator.Allocate(64);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(allocator.Free(*p).ok());
  EXPECT_EQ(allocator.Free(*p).code(), absl::StatusCode::kInvalidArgument);  // double free
  EXPECT_EQ(allocator.stats().blocks_cached, 1);                             // and the cache was not corrupted by it
}

TEST(CachingAllocatorTest, OutOfMemoryReleasesTheCacheAndRetries) {
  HostBackend host;
  host.limit = 8192;
  CachingAllocator allocator(host.Make());
  absl::StatusOr<uint64_t> a = allocator.Allocate(4096);
  absl::StatusOr<uint64_t> b = allocator.Allocate(4096);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(allocator.Free(*a).ok());
  ASSERT_TRUE(allocator.Free(*b).ok());
  // 8 KiB is cached in the 4 KiB class; an 8 KiB request only fits once those are released.
  absl::StatusOr<uint64_t> big = allocator.Allocate(8192);
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(host.frees, 2);
  EXPECT_EQ(allocator.stats().bytes_cached, 0);
  // With nothing cached left, the backend's error comes back.
  absl::StatusOr<uint64_t> none = allocator.Allocate(256);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(none.status().message(), HasSubstr("out of host memory"));
  EXPECT_EQ(allocator.stats().bytes_in_use, 8192);
}

TEST(CachingAllocatorTest, AbsurdRequestIsResourceExhaustedWithoutCallingTheBackend) {
  HostBackend host;
  CachingAllocator allocator(host.Make());
  absl::StatusOr<uint64_t> p = allocator.Allocate(SIZE_MAX - 3);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(host.alloc_sizes.empty());
}

TEST(CachingAllocatorTest, ConcurrentAllocateAndFreeKeepsTheBooksStraight) {
  HostBackend host;
  // The backend's bookkeeping is not thread-safe: this also checks that the allocator only
  // calls it under its lock (a race would corrupt `host.live`).
  CachingAllocator allocator(host.Make());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        absl::StatusOr<uint64_t> p = allocator.Allocate(256 * (1 + (i + t) % 4));
        if (!p.ok()) {
          ++failures;
          continue;
        }
        std::memset(reinterpret_cast<void*>(static_cast<uintptr_t>(*p)), t, 256);
        if (!allocator.Free(*p).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  CachingAllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.bytes_in_use, 0);
  EXPECT_EQ(stats.blocks_in_use, 0);
  EXPECT_EQ(stats.blocks_cached, stats.backend_allocs);
  EXPECT_EQ(stats.cache_hits + stats.backend_allocs, 800);
  EXPECT_LE(stats.backend_allocs, 16);  // at most 4 threads x 4 classes ever live at once
}

}  // namespace
}  // namespace strata::gpu
