// Shared-memory bank conflicts of the tiled contraction kernels, counted by the GPU emulator
// (runtime/gpu/emulator/shared_bank_stats.h) as a warp's 32 lanes would hit the 32 banks.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runtime/gpu/emulator/shared_bank_stats.h"
#include "tests/graph_text_util.h"
#include "tests/runtime/gpu_vs_cpu_util.h"

namespace strata {
namespace {

using gpu::emu::SharedBankStats;
using testing_util::NodeText;
using testing_util::PlaceholderText;

std::string BoolAttr(const char* key, bool value) {
  return absl::StrCat(R"(attr { key: ")", key, R"(" value { b: )", value ? "true" : "false", " } }");
}

// The counts of the one kernel of a `dtype` MatMul (m x k) * (k x n) that touches shared memory.
SharedBankStats MatMulStats(const std::string& target, DType dtype, int64_t m, int64_t k, int64_t n, bool tf32,
                            bool transpose_a, bool transpose_b) {
  const char* type = dtype == DT_HALF ? "DT_HALF" : dtype == DT_BFLOAT16 ? "DT_BFLOAT16" : "DT_FLOAT";
  const std::string graph =
      PlaceholderText("a", "unknown_rank: true", type) + PlaceholderText("b", "unknown_rank: true", type) +
      NodeText("y", "MatMul", {"a", "b"}, "",
               absl::StrCat(R"(attr { key: "T" value { type: )", type, " } }", BoolAttr("transpose_a", transpose_a),
                            BoolAttr("transpose_b", transpose_b)));
  gpu::emu::SetSharedBankCounting(true);
  (void)gpu::emu::TakeSharedBankStats();
  const Shape sa = transpose_a ? Shape{k, m} : Shape{m, k}, sb = transpose_b ? Shape{n, k} : Shape{k, n};
  auto result = testing_util::RunOnGpuAndCpu(
      target, graph, {{"a", testing_util::Integers(sa, 1, 4, dtype)}, {"b", testing_util::Integers(sb, 2, 4, dtype)}}, "y",
      tf32);
  gpu::emu::SetSharedBankCounting(false);
  EXPECT_TRUE(result.first.Equals(result.second)) << "the GPU result differs from the CPU's";
  SharedBankStats found;
  int kernels = 0;
  for (const auto& [name, stats] : gpu::emu::TakeSharedBankStats()) {
    if (stats.load_requests + stats.store_requests == 0) continue;
    found = stats, ++kernels;
  }
  EXPECT_EQ(kernels, 1);
  std::printf("[ %s %s%s %ldx%ldx%ld%s%s ] loads %lu requests, %lu wavefronts (ideal %lu); stores %lu requests, %lu wavefronts (ideal %lu)\n",
              target.c_str(), type, tf32 && dtype == DT_FLOAT ? " tf32" : "", static_cast<long>(m), static_cast<long>(k),
              static_cast<long>(n), transpose_a ? " ta" : "", transpose_b ? " tb" : "",
              static_cast<unsigned long>(found.load_requests), static_cast<unsigned long>(found.load_wavefronts),
              static_cast<unsigned long>(found.load_ideal), static_cast<unsigned long>(found.store_requests),
              static_cast<unsigned long>(found.store_wavefronts), static_cast<unsigned long>(found.store_ideal));
  return found;
}

// The counter itself, on requests whose wavefronts are known by hand.
TEST(GpuSharedBankTest, CountsWavefrontsAsTheBanksServeThem) {
  using gpu::emu::LaneAccess;
  auto count = [](uint64_t stride_bytes, uint32_t bytes, bool store) {
    std::vector<LaneAccess> lanes;
    for (uint64_t l = 0; l < 32; ++l) lanes.push_back(LaneAccess{4096 + l * stride_bytes, bytes, store});
    (void)gpu::emu::TakeSharedBankStats();
    gpu::emu::CountSharedRequest("k", lanes);
    return gpu::emu::TakeSharedBankStats()["k"];
  };
  SharedBankStats s = count(4, 4, false);  // 32 consecutive words: one per bank
  EXPECT_EQ(s.load_requests, 1u);
  EXPECT_EQ(s.load_wavefronts, 1u);
  EXPECT_EQ(s.load_ideal, 1u);
  s = count(0, 4, false);  // one word for all: a broadcast
  EXPECT_EQ(s.load_wavefronts, 1u);
  s = count(8, 4, true);  // every other word: 2 per bank
  EXPECT_EQ(s.store_requests, 1u);
  EXPECT_EQ(s.store_wavefronts, 2u);
  EXPECT_EQ(s.store_ideal, 1u);
  s = count(128, 4, false);  // a column of a 32-word-wide array: all on one bank
  EXPECT_EQ(s.load_wavefronts, 32u);
  EXPECT_EQ(s.load_ideal, 1u);
  s = count(8, 8, false);  // 64 consecutive words in 8-byte accesses: 2 wavefronts, no conflict
  EXPECT_EQ(s.load_wavefronts, 2u);
  EXPECT_EQ(s.load_ideal, 2u);
}

// Every warp-level access of the f32, TF32 and 16-bit mma.sync kernels takes the fewest
// wavefronts its words allow, whichever way the operands are laid out (row-major operands
// stage 1-2 rows per warp, transposed ones 32 rows of one column; the f32 kernel's 16-byte
// groups along K go to 4 K rows each, 64 x 64 and 128 x 128 tiles). The wgmma kernels' MMAs read
// no registers from shared memory; their row-by-row stagings are conflict-free too (the
// column-wise staging of a [K, N] B into K-major core matrices is not: see docs/gpu.md).
TEST(GpuSharedBankTest, TiledContractionsAccessSharedMemoryWithoutConflicts) {
  struct Case {
    const char* target;
    DType dtype;
    bool tf32, ta, tb;
    int64_t mn = 256;  // M and N: 1024 makes the f32 kernel take 128 x 128 tiles
  };
  for (const Case& c : {Case{"gpu-emu", DT_FLOAT, false, false, false}, Case{"gpu-emu", DT_FLOAT, false, true, true},
                        Case{"gpu-emu", DT_FLOAT, false, false, false, 1024}, Case{"gpu-emu", DT_FLOAT, false, true, true, 1024},
                        Case{"gpu-emu", DT_FLOAT, false, true, false, 1024}, Case{"gpu-emu", DT_FLOAT, false, false, true, 1024},
                        Case{"gpu-emu", DT_FLOAT, true, false, false}, Case{"gpu-emu", DT_FLOAT, true, true, true},
                        Case{"gpu-emu", DT_HALF, false, false, false}, Case{"gpu-emu", DT_HALF, false, true, true},
                        Case{"gpu-emu@sm_90a", DT_HALF, false, false, true},
                        Case{"gpu-emu@sm_90a", DT_FLOAT, true, false, true}}) {
    const std::string label =
        absl::StrCat(c.target, " ", DTypeName(c.dtype), c.tf32 ? " tf32" : "", " ta=", c.ta, " tb=", c.tb, " mn=", c.mn);
    const SharedBankStats s = MatMulStats(c.target, c.dtype, c.mn, c.mn == 256 ? 128 : 32, c.mn, c.tf32, c.ta, c.tb);
    EXPECT_GT(s.store_requests, 0u) << label;
    EXPECT_EQ(s.store_wavefronts, s.store_ideal) << label;
    EXPECT_EQ(s.load_wavefronts, s.load_ideal) << label;
    if (std::string(c.target).find("sm_90a") != std::string::npos) {
      EXPECT_EQ(s.load_requests, 0u) << label << ": the MMAs read the tiles themselves";
    }
  }
}

}  // namespace
}  // namespace strata
