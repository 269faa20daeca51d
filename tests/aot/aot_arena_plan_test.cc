// The lifetime-packed arena (compiler/aot_arena_pack.h, runtime/aot/arena.h): the packer on
// hand-made lifetimes with offsets worked out by hand, a planned region at run time, and deep
// chains compiled ahead of time whose packed arena is smaller than a slot per block (and than
// the old stack discipline) while the results still match Session::Run.
#include <cstring>
#include <vector>

#include "aot_test_deep_cnn.h"
#include "aot_test_deep_mlp.h"
#include "compiler/aot_arena_pack.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/aot/abi.h"
#include "runtime/aot/arena.h"
#include "runtime/aot/thread_pool.h"
#include "tests/aot/aot_test_util.h"

namespace strata::aot_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kGraphs = AOT_GRAPHS_DIR;

// A 1000-byte block takes 64 (header) + 1024 (data padded to 64) = 1088 bytes.
TEST(AotArenaPackTest, ChainReusesTheBytesOfDeadBlocks) {
  // a = f(x); b = g(a); free a; c = h(b); free b; (c lives to the end)
  const std::vector<ArenaBlockLifetime> blocks = {
      {1000, 64, 0, 2},  // a: allocated at event 0, freed at event 2
      {1000, 64, 1, 4},  // b
      {1000, 64, 3, 5},  // c
  };
  absl::StatusOr<ArenaPacking> p = PackArenaBlocks(blocks);
  ASSERT_TRUE(p.ok()) << p.status();
  // a at the bottom, b above it (both live at event 1), c where a was.
  EXPECT_THAT(p->offsets, ElementsAre(64, 1088 + 64, 64));
  EXPECT_EQ(p->bytes, 2u * 1088);
  EXPECT_EQ(p->sum_bytes, 3u * 1088);
}

TEST(AotArenaPackTest, LargestFirstIntoTheSmallestGapThatFits) {
  const std::vector<ArenaBlockLifetime> blocks = {
      {2000, 64, 0, 10},  // A: 64 + 2048 = 2112 bytes, lives throughout
      {1900, 64, 0, 3},   // B: 64 + 1920 = 1984, dies at event 3
      {1800, 64, 0, 10},  // C: 64 + 1856 = 1920
      {1000, 64, 0, 3},   // D: 64 + 1024 = 1088, dies at event 3
      {900, 64, 0, 10},   // E: 64 + 960 = 1024
      {800, 64, 4, 10},   // F: 64 + 832 = 896, born after B and D died
  };
  absl::StatusOr<ArenaPacking> p = PackArenaBlocks(blocks);
  ASSERT_TRUE(p.ok()) << p.status();
  // A [0, 2112), B [2112, 4096), C [4096, 6016), D [6016, 7104), E [7104, 8128). F overlaps
  // A, C and E only: gaps [2112, 4096) (1984 bytes, first fit) and [6016, 7104) (1088, best fit).
  EXPECT_THAT(p->offsets, ElementsAre(64, 2112 + 64, 4096 + 64, 6016 + 64, 7104 + 64, 6016 + 64));
  EXPECT_EQ(p->bytes, 8128u);
  EXPECT_EQ(p->sum_bytes, 2112u + 1984 + 1920 + 1088 + 1024 + 896);
}

TEST(AotArenaPackTest, HonorsAlignment) {
  const std::vector<ArenaBlockLifetime> blocks = {
      {100, 64, 0, 5},    // 64 + 128 = 192 bytes: [0, 192)
      {64, 4096, 1, 5},   // data on a 4096 boundary above it: header at 4032
  };
  absl::StatusOr<ArenaPacking> p = PackArenaBlocks(blocks);
  ASSERT_TRUE(p.ok()) << p.status();
  // Placement order by size: the 100-byte block first, at data 64; the aligned one above.
  EXPECT_THAT(p->offsets, ElementsAre(64, 4096));
  EXPECT_EQ(p->bytes, 4096u + 64);
}

TEST(AotArenaPackTest, ErrorsNameTheBlock) {
  absl::StatusOr<ArenaPacking> p = PackArenaBlocks({{10, 64, 0, 1}, {10, 48, 0, 1}});
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("arena block 1: alignment 48"));
  p = PackArenaBlocks({{10, 64, 5, 2}});
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("arena block 0: its lifetime ends (event 2) before it starts (event 5)"));
  p = PackArenaBlocks({});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->bytes, 0u);
}

// A planned region hands out the planned offsets, run after run, and refuses what the plan
// does not describe (the caller then takes the heap, counted).
TEST(AotPlannedRegionTest, ServesThePlanAndRefusesTheRest) {
  aot::Arena arena;
  ASSERT_TRUE(arena.Reserve(8192, 0, 1));
  static constexpr aot::PlannedBlock kPlan[] = {{64, 1000}, {1152, 1000}, {64, 500}};
  aot::StackRegion& main = arena.main();
  main.SetPlan(kPlan, 3);
  for (int run = 0; run < 2; ++run) {
    char* a = static_cast<char*>(main.Allocate(64, 1000));
    char* b = static_cast<char*>(main.Allocate(64, 1000));
    ASSERT_NE(a, nullptr);
    ASSERT_EQ(b, a + 1088);
    strata_aot_free(a);
    char* c = static_cast<char*>(main.Allocate(64, 500));
    EXPECT_EQ(c, a);  // a's bytes, a being dead
    strata_aot_free(b);
    strata_aot_free(c);
    EXPECT_EQ(main.Allocate(64, 16), nullptr);  // a fourth block: not planned
    main.Clear();
  }
  EXPECT_EQ(main.peak(), 2176u);
  EXPECT_EQ(main.Allocate(64, 999), nullptr);  // the first block, but a different size
  main.Clear();
  EXPECT_EQ(main.Allocate(128, 1000), nullptr);  // offset 64 is not 128-aligned
}

// Deep chains through the compiler: the plan is the packed one and much smaller than a slot
// per block; the stack discipline strands dead blocks under live ones.
static_assert(::aot_test::DeepMlp::kArenaPlannedBlocks > 0);
static_assert(::aot_test::DeepMlp::kArenaBytes < ::aot_test::DeepMlp::kArenaBlocksBytes);
static_assert(::aot_test::DeepMlp::kArenaBytes <= ::aot_test::DeepMlp::kArenaStackBytes);
static_assert(::aot_test::DeepCnn::kArenaPlannedBlocks > 0);
static_assert(::aot_test::DeepCnn::kArenaBytes < ::aot_test::DeepCnn::kArenaBlocksBytes);
static_assert(::aot_test::DeepCnn::kArenaBytes <= ::aot_test::DeepCnn::kArenaStackBytes);

TEST(AotPackedArenaTest, DeepChainsNeedAFractionOfTheirBlocks) {
  std::printf("deep MLP: %llu blocks, packed %lld bytes, stack %lld, a slot per block %lld\n",
              static_cast<unsigned long long>(::aot_test::DeepMlp::kArenaPlannedBlocks),
              static_cast<long long>(::aot_test::DeepMlp::kArenaBytes), static_cast<long long>(::aot_test::DeepMlp::kArenaStackBytes),
              static_cast<long long>(::aot_test::DeepMlp::kArenaBlocksBytes));
  std::printf("deep CNN: %llu blocks, packed %lld bytes, stack %lld, a slot per block %lld\n",
              static_cast<unsigned long long>(::aot_test::DeepCnn::kArenaPlannedBlocks),
              static_cast<long long>(::aot_test::DeepCnn::kArenaBytes), static_cast<long long>(::aot_test::DeepCnn::kArenaStackBytes),
              static_cast<long long>(::aot_test::DeepCnn::kArenaBlocksBytes));
  // Six 256-wide layers at batch 16: a live input and output at a time, not all six.
  EXPECT_LE(2 * ::aot_test::DeepMlp::kArenaBytes, ::aot_test::DeepMlp::kArenaBlocksBytes);
  EXPECT_LE(2 * ::aot_test::DeepCnn::kArenaBytes, ::aot_test::DeepCnn::kArenaBlocksBytes);
}

template <typename Model>
void ExpectMatchesSession(const std::string& graph, const Shape& shape, aot::ThreadPoolInterface* pool) {
  Model model(pool);
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const Tensor x = MakeInput(DT_FLOAT, shape, seed);
    std::memcpy(model.arg_x_data(), x.raw_data(), Model::kArg_x_bytes);
    ASSERT_TRUE(model.Run()) << model.error_msg();
    EXPECT_EQ(model.instance().heap_fallback_bytes(), 0);
    absl::StatusOr<std::vector<Tensor>> expected = RunSession(kGraphs + "/" + graph, {{"x", x}}, {"probs"});
    ASSERT_TRUE(expected.ok()) << expected.status();
    EXPECT_EQ(Compare(model.result_probs_data(), (*expected)[0], 1e-5, 1e-6), "") << graph << " seed " << seed;
  }
}

TEST(AotPackedArenaTest, DeepMlpMatchesSession) {
  ExpectMatchesSession<::aot_test::DeepMlp>("deep_mlp.pb", Shape{16, 256}, nullptr);
  aot::ThreadPool pool(4);
  ExpectMatchesSession<::aot_test::DeepMlp>("deep_mlp.pb", Shape{16, 256}, &pool);
}

TEST(AotPackedArenaTest, DeepCnnMatchesSession) {
  ExpectMatchesSession<::aot_test::DeepCnn>("deep_cnn.pb", Shape{4, 16, 16, 4}, nullptr);
  aot::ThreadPool pool(4);
  ExpectMatchesSession<::aot_test::DeepCnn>("deep_cnn.pb", Shape{4, 16, 16, 4}, &pool);
}

}  // namespace
}  // namespace strata::aot_test
