// libstrata_aot_runtime on its own: the stack regions and arena, the allocation functions the
// compiled code calls, parallel loops over an injected pool, the pool, checksums and weights
// files.
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/aot/abi.h"
#include "runtime/aot/arena.h"
#include "runtime/aot/checksum.h"
#include "runtime/aot/thread_pool.h"
#include "runtime/aot/weights_file.h"
#include "runtime/aot/weights_format.h"

namespace strata::aot {
namespace {

using ::testing::HasSubstr;

uintptr_t Addr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

TEST(StackRegionTest, BlocksAreAlignedAndStacked) {
  alignas(4096) static char memory[16384];
  StackRegion r;
  r.Reset(memory, sizeof(memory));
  void* a = r.Allocate(64, 100);  // header 64 + 128 (rounded)
  void* b = r.Allocate(64, 64);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(Addr(a) % 64, 0u);
  EXPECT_EQ(Addr(a) - Addr(memory), 64u);
  EXPECT_EQ(Addr(b) - Addr(memory), 64u + 128 + 64);
  EXPECT_EQ(r.used(), 64u + 128 + 64 + 64);
  void* c = r.Allocate(1024, 8);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Addr(c) % 1024, 0u);
  EXPECT_EQ(r.Allocate(64, 1 << 20), nullptr);  // does not fit
  EXPECT_EQ(r.Allocate(8192, 8), nullptr);      // alignment beyond a page
}

TEST(StackRegionTest, FreedBlocksAreReclaimedFromTheTop) {
  alignas(4096) static char memory[8192];
  StackRegion r;
  r.Reset(memory, sizeof(memory));
  void* a = r.Allocate(64, 64);
  void* b = r.Allocate(64, 64);
  void* c = r.Allocate(64, 64);
  const uint64_t full = r.used();
  r.Free(b);  // not on top: stays until c goes
  EXPECT_EQ(r.used(), full);
  r.Free(c);  // c and then b are reclaimed
  EXPECT_EQ(r.used(), 128u);
  void* d = r.Allocate(64, 64);
  EXPECT_EQ(d, b);  // the same place again
  r.Free(d);
  r.Free(a);
  EXPECT_EQ(r.used(), 0u);
  EXPECT_EQ(r.peak(), full);
}

TEST(ArenaTest, AllocationFunctionsUseTheInstalledRegionElseTheHeap) {
  Arena arena;
  ASSERT_TRUE(arena.Reserve(4096, 4096, 2));
  EXPECT_EQ(arena.num_slots(), 2);
  EXPECT_EQ(arena.bytes(), 3u * 4096);
  void* outside = strata_aot_alloc(100);  // no run context: heap
  ASSERT_NE(outside, nullptr);
  {
    ScopedRunContext run(&arena, nullptr);
    void* p = strata_aot_aligned_alloc(128, 1000);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(Addr(p) % 128, 0u);
    EXPECT_EQ(arena.main().used() > 0, true);
    void* big = strata_aot_alloc(1 << 20);  // more than the region: heap, counted
    ASSERT_NE(big, nullptr);
    std::memset(big, 1, 1 << 20);
    EXPECT_EQ(arena.heap_fallback_bytes(), 1 << 20);
    strata_aot_free(big);
    strata_aot_free(p);
    EXPECT_EQ(arena.main().used(), 0u);
    strata_aot_free(outside);  // a heap block freed inside a run goes back to the heap
  }
  strata_aot_free(nullptr);
}

// A pool that runs every task on a new thread (so helpers really run concurrently).
class RecordingPool : public ThreadPoolInterface {
 public:
  explicit RecordingPool(int workers) : pool_(workers + 1) {}
  int NumWorkers() const override { return pool_.NumWorkers(); }
  void Schedule(void (*fn)(void*), void* arg) override {
    scheduled_.fetch_add(1);
    pool_.Schedule(fn, arg);
  }
  int scheduled() const { return scheduled_; }

 private:
  ThreadPool pool_;
  std::atomic<int> scheduled_{0};
};

struct LoopRecord {
  std::mutex mu;
  std::vector<int> hits;
  std::set<const void*> regions_seen;
  std::atomic<int> nested_serial{0};
};

void RecordRange(void* context, int64_t begin, int64_t end) {
  auto* rec = static_cast<LoopRecord*>(context);
  // Chunks allocate from their participant's region, which is empty after each chunk.
  void* scratch = strata_aot_alloc(256);
  std::memset(scratch, 0, 256);
  // A nested loop inside a chunk runs serially on this thread.
  strata_aot_parallel_for(
      [](void* ctx, int64_t b, int64_t e) {
        if (b == 0 && e == 10) static_cast<LoopRecord*>(ctx)->nested_serial.fetch_add(1);
      },
      rec, 10, 1000000);
  std::lock_guard<std::mutex> lock(rec->mu);
  for (int64_t i = begin; i < end; ++i) rec->hits[i]++;
  strata_aot_free(scratch);
}

TEST(ParallelForTest, CoversEveryIndexOnceOnThePoolWithPerThreadRegions) {
  RecordingPool pool(3);
  Arena arena;
  ASSERT_TRUE(arena.Reserve(4096, 4096, 1 + pool.NumWorkers()));
  LoopRecord rec;
  rec.hits.assign(1000, 0);
  {
    ScopedRunContext run(&arena, &pool);
    strata_aot_parallel_for(&RecordRange, &rec, 1000, /*cost_per_item=*/100000);
  }
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(rec.hits[i], 1) << i;
  EXPECT_GT(pool.scheduled(), 0);
  EXPECT_GT(rec.nested_serial.load(), 1);
  EXPECT_EQ(arena.heap_fallback_bytes(), 0);
  EXPECT_EQ(arena.main().used(), 0u);
  uint64_t peaks = 0;  // which participants ran chunks depends on scheduling; some did
  for (int p = 0; p < arena.num_slots(); ++p) {
    EXPECT_EQ(arena.slot(p)->used(), 0u);
    peaks += arena.slot(p)->peak();
  }
  EXPECT_GT(peaks, 0u);
  EXPECT_EQ(arena.main().peak(), 0u);  // chunks never allocate in the caller's main region
}

TEST(ParallelForTest, SerialWithoutAPoolAndForCheapLoops) {
  LoopRecord rec;
  rec.hits.assign(100, 0);
  strata_aot_parallel_for(&RecordRange, &rec, 100, 1000000);  // no run context at all
  EXPECT_EQ(rec.nested_serial.load(), 1);
  RecordingPool pool(3);
  {
    ScopedRunContext run(nullptr, &pool);
    strata_aot_parallel_for(&RecordRange, &rec, 100, /*cost_per_item=*/1);  // 100 ns of work
  }
  EXPECT_EQ(pool.scheduled(), 0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rec.hits[i], 2);
  strata_aot_parallel_for(&RecordRange, &rec, 0, 1000000);  // nothing to do
}

TEST(ThreadPoolTest, RunsEveryTask) {
  std::atomic<int> count{0};
  {
    ThreadPool pool(3);
    EXPECT_EQ(pool.NumWorkers(), 2);
    for (int i = 0; i < 5000; ++i) {  // more than the ring holds: the rest run inline
      pool.Schedule([](void* c) { static_cast<std::atomic<int>*>(c)->fetch_add(1); }, &count);
    }
  }
  EXPECT_EQ(count.load(), 5000);
  ThreadPool single(1);
  EXPECT_EQ(single.NumWorkers(), 0);
  single.Schedule([](void* c) { static_cast<std::atomic<int>*>(c)->fetch_add(1); }, &count);
  EXPECT_EQ(count.load(), 5001);
}

TEST(ChecksumTest, DeterministicAndSensitive) {
  std::string data(1000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  const uint64_t h = WeightsChecksum(data.data(), data.size());
  EXPECT_EQ(h, WeightsChecksum(data.data(), data.size()));
  std::string flipped = data;
  flipped[500] ^= 1;
  EXPECT_NE(h, WeightsChecksum(flipped.data(), flipped.size()));
  EXPECT_NE(h, WeightsChecksum(data.data(), data.size() - 1));
  EXPECT_NE(WeightsChecksum(data.data(), 0), WeightsChecksum(data.data(), 1));
  // Every tail length (the 32-byte stripes, 8-byte words and single bytes) contributes.
  std::set<uint64_t> seen;
  for (size_t n = 0; n <= 70; ++n) seen.insert(WeightsChecksum(data.data(), n));
  EXPECT_EQ(seen.size(), 71u);
}

class WeightsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() / ("weights_test_" + std::to_string(::getpid()))).string();
    data_.resize(10000);
    for (size_t i = 0; i < data_.size(); ++i) data_[i] = static_cast<char>(i % 251);
    contents_ = MakeWeightsFile(data_.data(), data_.size());
  }
  void TearDown() override { std::filesystem::remove(path_); }
  void Write(const std::string& s) { std::ofstream(path_, std::ios::binary | std::ios::trunc) << s; }
  std::shared_ptr<const WeightsFile> Open(std::string* error) {
    return WeightsFile::Open(path_, data_.size(), WeightsChecksum(data_.data(), data_.size()), error);
  }
  std::string path_, data_, contents_;
};

TEST_F(WeightsFileTest, RoundTripIsPageAlignedAndVerified) {
  ASSERT_EQ(contents_.size(), kWeightsDataOffset + data_.size());
  Write(contents_);
  std::string error;
  auto file = Open(&error);
  ASSERT_NE(file, nullptr) << error;
  EXPECT_EQ(file->bytes(), data_.size());
  EXPECT_EQ(Addr(file->data()) % 4096, 0u);
  EXPECT_EQ(std::memcmp(file->data(), data_.data(), data_.size()), 0);
}

TEST_F(WeightsFileTest, BadFilesAreErrors) {
  std::string error;
  Write(contents_.substr(0, contents_.size() - 1));
  EXPECT_EQ(Open(&error), nullptr);
  EXPECT_THAT(error, HasSubstr("truncated"));
  EXPECT_THAT(error, HasSubstr(path_));

  std::string corrupt = contents_;
  corrupt[kWeightsDataOffset + 123] ^= 0x10;
  Write(corrupt);
  EXPECT_EQ(Open(&error), nullptr);
  EXPECT_THAT(error, HasSubstr("corrupt"));

  std::string other_version = contents_;
  other_version[8] = 9;
  Write(other_version);
  EXPECT_EQ(Open(&error), nullptr);
  EXPECT_THAT(error, HasSubstr("version"));

  Write("");
  EXPECT_EQ(Open(&error), nullptr);
  EXPECT_THAT(error, HasSubstr("truncated"));

  EXPECT_EQ(WeightsFile::Open(path_ + ".missing", 1, 2, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("cannot open"));

  Write(contents_);
  EXPECT_EQ(WeightsFile::Open(path_, data_.size() + 64, 0, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("different model"));
  EXPECT_EQ(WeightsFile::Open(std::filesystem::temp_directory_path().string(), 1, 2, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("not a regular file"));
}

}  // namespace
}  // namespace strata::aot
