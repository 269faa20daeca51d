// The GPU emulator's runtime half: fibers, the kernel runner (with kernels written by hand the
// way gpu_host_kernels compiles them: plain `void k(void** params)` functions calling
// strata_emu_sreg/barrier/shfl) and the emulated CUDA driver table.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cfenv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/gpu/cuda_device.h"
#include "runtime/gpu/cuda_driver.h"
#include "runtime/gpu/emulator/emulated_driver.h"
#include "runtime/gpu/emulator/fiber.h"
#include "runtime/gpu/emulator/host_kernel.h"
#include "runtime/gpu/emulator/kernel_runner.h"

namespace strata::gpu::emu {
namespace {

using ::testing::HasSubstr;

// ---- Kernel helpers, as compiled kernels would use the emulator ----

template <typename T>
T Param(void** params, int i) {
  T value;
  std::memcpy(&value, params[i], sizeof(T));
  return value;
}
int32_t Tid(int d) { return strata_emu_sreg(kStrataEmuSregTidX + d); }
int32_t Ntid(int d) { return strata_emu_sreg(kStrataEmuSregNtidX + d); }
int32_t Ctaid(int d) { return strata_emu_sreg(kStrataEmuSregCtaidX + d); }
int32_t Nctaid(int d) { return strata_emu_sreg(kStrataEmuSregNctaidX + d); }
int32_t LinearTid() { return Tid(0) + Tid(1) * Ntid(0) + Tid(2) * Ntid(0) * Ntid(1); }

absl::Status Launch(void (*entry)(void**), bool lockstep, const std::string& name, std::vector<unsigned> grid,
                 std::vector<unsigned> block, std::vector<void*> params) {
  HostKernel kernel;
  kernel.entry = entry;
  kernel.lockstep = lockstep;
  return RunHostKernel(kernel, name, grid.data(), block.data(), params.data());
}

// y[i] = 2 x[i] + 1 for i < n (the grid overshoots n: the tail is guarded).
void ScaleKernel(void** params) {
  const float* x = Param<const float*>(params, 0);
  float* y = Param<float*>(params, 1);
  const int64_t n = Param<int64_t>(params, 2);
  const int64_t i = int64_t{Ctaid(0)} * Ntid(0) + Tid(0);
  if (i < n) y[i] = 2 * x[i] + 1;
}

// out[block] = sum of the block's 256 inputs: warp shuffles (bfly), shared memory, barriers.
int32_t g_reduce_shared[8];  // the block's "shared memory"
void ReduceKernel(void** params) {
  const int32_t* in = Param<const int32_t*>(params, 0);
  int32_t* out = Param<int32_t*>(params, 1);
  int32_t* invalid = Param<int32_t*>(params, 2);
  const int tid = Tid(0);
  int32_t v = in[Ctaid(0) * Ntid(0) + tid];
  for (int offset = 16; offset > 0; offset /= 2) {
    const int64_t r = strata_emu_shfl(kStrataEmuShflBfly, -1, v, offset, 0x1f);
    if (((r >> 32) & 1) == 0) ++*invalid;
    v += static_cast<int32_t>(r);
  }
  if (tid % 32 == 0) g_reduce_shared[tid / 32] = v;
  strata_emu_barrier();
  if (tid < 32) {
    int32_t w = tid < Ntid(0) / 32 ? g_reduce_shared[tid] : 0;
    for (int offset = 16; offset > 0; offset /= 2) {
      const int64_t r = strata_emu_shfl(kStrataEmuShflBfly, -1, w, offset, 0x1f);
      if (((r >> 32) & 1) == 0) ++*invalid;
      w += static_cast<int32_t>(r);
    }
    if (tid == 0) out[Ctaid(0)] = w;
  }
  strata_emu_barrier();
}

// One shuffle per thread: out[tid] = the raw result of shfl(mode, mask, 100 + tid, b, c);
// threads with lane >= active return first (their out stays as it was).
void ShuffleProbeKernel(void** params) {
  const int32_t mode = Param<int32_t>(params, 0), b = Param<int32_t>(params, 1), c = Param<int32_t>(params, 2),
                mask = Param<int32_t>(params, 3), active = Param<int32_t>(params, 4);
  int64_t* out = Param<int64_t*>(params, 5);
  const int tid = LinearTid();
  if (tid % 32 >= active) return;
  out[tid] = strata_emu_shfl(mode, mask, 100 + tid, b, c);
}

// ---- Fibers ----

struct FiberLog {
  Fibers* fibers;
  std::vector<std::pair<int, int>> events;
};

void LoggingBody(void* arg, int index) {
  auto* log = static_cast<FiberLog*>(arg);
  for (int step = 0; step <= index; ++step) {
    log->events.emplace_back(index, step);
    log->fibers->Yield();
  }
}

TEST(FibersTest, InterleaveRoundRobinAndFinish) {
  Fibers fibers;
  FiberLog log{&fibers, {}};
  ASSERT_TRUE(fibers.Reset(3, LoggingBody, &log).ok());
  for (int pass = 0; pass < 4; ++pass) {
    for (int i = 0; i < 3; ++i) fibers.Resume(i);
  }
  const std::vector<std::pair<int, int>> expected = {{0, 0}, {1, 0}, {2, 0}, {1, 1}, {2, 1}, {2, 2}};
  EXPECT_EQ(log.events, expected);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(fibers.done(i)) << i;
  // Abandoned halfway, then reused: the stacks serve fresh fibers.
  log.events.clear();
  ASSERT_TRUE(fibers.Reset(3, LoggingBody, &log).ok());
  fibers.Resume(2);
  ASSERT_TRUE(fibers.Reset(2, LoggingBody, &log).ok());
  for (int pass = 0; pass < 3; ++pass) {
    for (int i = 0; i < 2; ++i) fibers.Resume(i);
  }
  EXPECT_TRUE(fibers.done(0) && fibers.done(1));
  EXPECT_EQ(log.events.size(), 1u + 3u);
  EXPECT_FALSE(fibers.Reset(0, LoggingBody, &log).ok());
  EXPECT_FALSE(fibers.Reset(Fibers::kMaxFibers + 1, LoggingBody, &log).ok());
}

struct RoundingProbe {
  Fibers* fibers;
  int inside_after_yield = -1;
};

void RoundingBody(void* arg, int) {
  auto* probe = static_cast<RoundingProbe*>(arg);
  std::fesetround(FE_UPWARD);
  probe->fibers->Yield();
  probe->inside_after_yield = std::fegetround();
  volatile char deep[40 * 1024];  // most of the 64 KiB stack is usable
  for (size_t i = 0; i < sizeof(deep); i += 512) deep[i] = static_cast<char>(i);
}

TEST(FibersTest, EachFiberKeepsItsOwnFloatingPointControl) {
  Fibers fibers;
  RoundingProbe probe{&fibers};
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  ASSERT_TRUE(fibers.Reset(1, RoundingBody, &probe).ok());
  fibers.Resume(0);
  EXPECT_EQ(std::fegetround(), FE_TONEAREST);  // the fiber's mode stayed with the fiber
  fibers.Resume(0);
  EXPECT_EQ(probe.inside_after_yield, FE_UPWARD);
  EXPECT_TRUE(fibers.done(0));
  std::fesetround(FE_TONEAREST);
}

struct PingPong {
  Fibers* fibers;
  int64_t yields_each;
};

void PingPongBody(void* arg, int) {
  auto* p = static_cast<PingPong*>(arg);
  for (int64_t i = 0; i < p->yields_each; ++i) p->fibers->Yield();
}

TEST(FibersTest, SwitchSpeed) {
  Fibers fibers;
  PingPong p{&fibers, 2'000'000};
  ASSERT_TRUE(fibers.Reset(2, PingPongBody, &p).ok());
  const auto start = std::chrono::steady_clock::now();
  int64_t resumes = 0;
  while (!fibers.done(0) || !fibers.done(1)) {
    fibers.Resume(0);
    fibers.Resume(1);
    resumes += 2;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double switches = 2.0 * static_cast<double>(resumes);  // into the fiber and back
  std::printf("fiber switches: %.0f in %.3f s = %.1f M switches/s (%.1f ns each)\n", switches, seconds,
              switches / seconds / 1e6, seconds / switches * 1e9);
  EXPECT_EQ(resumes, 2 * (p.yields_each + 1));
}

// ---- The kernel runner ----

TEST(KernelRunnerTest, ElementwiseWithGuardedTail) {
  const int64_t n = 1000;
  std::vector<float> x(n), y(1024, -7.0f);
  for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i) * 0.5f;
  const float* xp = x.data();
  float* yp = y.data();
  int64_t count = n;
  ASSERT_TRUE(Launch(ScaleKernel, false, "scale", {8, 1, 1}, {128, 1, 1}, {&xp, &yp, &count}).ok());
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[static_cast<size_t>(i)], 2 * x[static_cast<size_t>(i)] + 1) << i;
  for (size_t i = n; i < y.size(); ++i) ASSERT_EQ(y[i], -7.0f) << "the guarded tail was written at " << i;
}

TEST(KernelRunnerTest, BlockReductionWithShufflesSharedMemoryAndBarriers) {
  const int blocks = 4, threads = 256;
  std::vector<int32_t> in(blocks * threads);
  std::mt19937 rng(7);
  for (int32_t& v : in) v = static_cast<int32_t>(rng() % 2001) - 1000;
  std::vector<int32_t> out(blocks, 0);
  int32_t invalid = 0;
  const int32_t* inp = in.data();
  int32_t* outp = out.data();
  int32_t* invalidp = &invalid;
  absl::Status s = Launch(ReduceKernel, true, "reduce", {blocks, 1, 1}, {threads, 1, 1}, {&inp, &outp, &invalidp});
  ASSERT_TRUE(s.ok()) << s;
  for (int b = 0; b < blocks; ++b) {
    int32_t sum = 0;
    for (int t = 0; t < threads; ++t) sum += in[static_cast<size_t>(b * threads + t)];
    EXPECT_EQ(out[static_cast<size_t>(b)], sum) << "block " << b;
  }
  EXPECT_EQ(invalid, 0) << "bfly shuffles inside a full warp must all be valid";
}

struct Expected {
  int source;  // the lane whose value arrives
  bool valid;
};

// Runs ShuffleProbeKernel over one warp and compares each active lane with `expect(lane)`.
template <typename Fn>
void CheckShuffle(const std::string& what, int32_t mode, int32_t b, int32_t c, uint32_t mask, int32_t active,
                  Fn expect) {
  std::vector<int64_t> out(32, -1);
  int64_t* outp = out.data();
  int32_t m = static_cast<int32_t>(mask);
  absl::Status s = Launch(ShuffleProbeKernel, true, "probe", {1, 1, 1}, {32, 1, 1}, {&mode, &b, &c, &m, &active, &outp});
  ASSERT_TRUE(s.ok()) << what << ": " << s;
  for (int lane = 0; lane < 32; ++lane) {
    if (lane >= active) {
      EXPECT_EQ(out[static_cast<size_t>(lane)], -1) << what << " lane " << lane;
      continue;
    }
    const Expected e = expect(lane);
    const int64_t want = (100 + e.source) | (e.valid ? int64_t{1} << 32 : 0);
    EXPECT_EQ(out[static_cast<size_t>(lane)], want) << what << ": lane " << lane << " expected lane " << e.source
                                                    << (e.valid ? " (valid)" : " (invalid)");
  }
}

TEST(KernelRunnerTest, ShuffleModesClampsAndSegmentsLaneByLane) {
  const uint32_t all = 0xffffffffu;
  // Derived by hand from the PTX rules (the comment gives the reasoning per case).
  // up 1, c = 0: the clamp is lane 0 (j >= 0); lane 0 keeps its own value.
  CheckShuffle("up 1", kStrataEmuShflUp, 1, 0, all, 32,
               [](int l) { return l == 0 ? Expected{0, false} : Expected{l - 1, true}; });
  // up 3 in segments of 8 (c = 24 << 8): lanes 0-2 of each segment keep theirs.
  CheckShuffle("up 3 width 8", kStrataEmuShflUp, 3, 24 << 8, all, 32,
               [](int l) { return l % 8 < 3 ? Expected{l, false} : Expected{l - 3, true}; });
  // down 1, clamp 31: lane 31 keeps its own.
  CheckShuffle("down 1", kStrataEmuShflDown, 1, 0x1f, all, 32,
               [](int l) { return l == 31 ? Expected{31, false} : Expected{l + 1, true}; });
  // down 2 in segments of 8 (c = 24 << 8 | 31): lanes 6 and 7 of each segment keep theirs.
  CheckShuffle("down 2 width 8", kStrataEmuShflDown, 2, (24 << 8) | 0x1f, all, 32,
               [](int l) { return l % 8 >= 6 ? Expected{l, false} : Expected{l + 2, true}; });
  // bfly 5 over the warp: always valid.
  CheckShuffle("bfly 5", kStrataEmuShflBfly, 5, 0x1f, all, 32, [](int l) { return Expected{l ^ 5, true}; });
  // bfly 4 in segments of 4 (segmask 28): only the upper bound is checked, so lanes with bit 2
  // set read lane - 4 (valid) and the others (lane + 4 > the segment's last lane) keep theirs.
  CheckShuffle("bfly 4 width 4", kStrataEmuShflBfly, 4, (28 << 8) | 0x1f, all, 32,
               [](int l) { return (l & 4) != 0 ? Expected{l - 4, true} : Expected{l, false}; });
  // idx 3: a broadcast of lane 3.
  CheckShuffle("idx 3", kStrataEmuShflIdx, 3, 0x1f, all, 32, [](int) { return Expected{3, true}; });
  // idx 9 in segments of 8: 9 & 7 = 1, lane 1 of each segment.
  CheckShuffle("idx 9 width 8", kStrataEmuShflIdx, 9, (24 << 8) | 0x1f, all, 32,
               [](int l) { return Expected{(l & ~7) + 1, true}; });
  // idx with a clamp of 15: lane 10 is valid, lane 20 is past the clamp (everyone keeps theirs).
  CheckShuffle("idx 10 clamp 15", kStrataEmuShflIdx, 10, 15, all, 32, [](int) { return Expected{10, true}; });
  CheckShuffle("idx 20 clamp 15", kStrataEmuShflIdx, 20, 15, all, 32, [](int l) { return Expected{l, false}; });
  // Member mask: lanes 16-31 return early and only 0-15 take part.
  CheckShuffle("bfly 1 half warp", kStrataEmuShflBfly, 1, 0x1f, 0xffffu, 16,
               [](int l) { return Expected{l ^ 1, true}; });
  CheckShuffle("bfly 16 half warp", kStrataEmuShflBfly, 16, 0x1f, 0xffffu, 16,
               [](int l) { return Expected{l, false}; });  // lane l+16 is not a member
}

// Consecutive shuffles with values that change each round: the first lane through a round must
// not overwrite the value slower lanes still have to read.
void RoundsKernel(void** params) {
  int32_t* out = Param<int32_t*>(params, 0);
  const int tid = Tid(0);
  for (int round = 0; round < 5; ++round) {
    const int64_t r = strata_emu_shfl(kStrataEmuShflBfly, -1, tid * 1000 + round, 31, 0x1f);
    out[round * 32 + tid] = static_cast<int32_t>(r);
  }
}

TEST(KernelRunnerTest, ConsecutiveShufflesDoNotOverwriteUnreadValues) {
  std::vector<int32_t> out(5 * 32, -1);
  int32_t* outp = out.data();
  ASSERT_TRUE(Launch(RoundsKernel, true, "rounds", {1, 1, 1}, {32, 1, 1}, {&outp}).ok());
  for (int round = 0; round < 5; ++round) {
    for (int tid = 0; tid < 32; ++tid) {
      EXPECT_EQ(out[static_cast<size_t>(round * 32 + tid)], (tid ^ 31) * 1000 + round)
          << "round " << round << " lane " << tid;
    }
  }
}

// Shared memory rotated through barriers, several times, by a block that is not a whole number
// of warps.
int32_t g_ring[100];
void RingKernel(void** params) {
  int32_t* out = Param<int32_t*>(params, 0);
  const int tid = Tid(0), n = Ntid(0);
  int32_t v = tid;
  for (int step = 0; step < 3; ++step) {
    g_ring[tid] = v;
    strata_emu_barrier();
    v = g_ring[(tid + 1) % n] * 2;
    strata_emu_barrier();
  }
  out[tid] = v;
}

TEST(KernelRunnerTest, BarriersOrderSharedMemory) {
  std::vector<int32_t> out(100, -1);
  int32_t* outp = out.data();
  ASSERT_TRUE(Launch(RingKernel, true, "ring", {1, 1, 1}, {100, 1, 1}, {&outp}).ok());
  for (int tid = 0; tid < 100; ++tid) EXPECT_EQ(out[static_cast<size_t>(tid)], ((tid + 3) % 100) * 8) << tid;
}

// A block of 48 threads: warp 1 has lanes 0-15 only.
void PartialWarpKernel(void** params) {
  int64_t* out = Param<int64_t*>(params, 0);
  const int tid = Tid(0);
  out[tid * 3] = strata_emu_shfl(kStrataEmuShflDown, -1, 100 + tid, 1, 0x1f);
  strata_emu_barrier();
  out[tid * 3 + 1] = strata_emu_shfl(kStrataEmuShflIdx, -1, 100 + tid, 0, 0x1f);
  out[tid * 3 + 2] = strata_emu_shfl(kStrataEmuShflBfly, -1, 100 + tid, 16, 0x1f);
}

TEST(KernelRunnerTest, PartialWarps) {
  std::vector<int64_t> out(48 * 3, -1);
  int64_t* outp = out.data();
  absl::Status s = Launch(PartialWarpKernel, true, "partial", {1, 1, 1}, {48, 1, 1}, {&outp});
  ASSERT_TRUE(s.ok()) << s;
  const int64_t valid = int64_t{1} << 32;
  for (int tid = 0; tid < 48; ++tid) {
    const int lane = tid % 32, base = tid - lane;
    // down 1: the last lane of each warp (31 in warp 0, 15 in the 16-lane warp 1) keeps its own.
    const bool last = tid == 31 || tid == 47;
    EXPECT_EQ(out[static_cast<size_t>(tid * 3)], last ? 100 + tid : (101 + tid) | valid) << "down, thread " << tid;
    EXPECT_EQ(out[static_cast<size_t>(tid * 3 + 1)], (100 + base) | valid) << "idx 0, thread " << tid;
    // bfly 16: warp 1's partners (lanes 16-31) do not exist.
    EXPECT_EQ(out[static_cast<size_t>(tid * 3 + 2)], tid >= 32 ? 100 + tid : (100 + (tid ^ 16)) | valid)
        << "bfly 16, thread " << tid;
  }
}

// Every thread records its 12 special registers; the first thread of each block the block order.
void GeometryKernel(void** params) {
  int32_t* regs = Param<int32_t*>(params, 0);
  int32_t* order = Param<int32_t*>(params, 1);
  int32_t* next = Param<int32_t*>(params, 2);
  const int32_t block_linear = Ctaid(0) + Ctaid(1) * Nctaid(0) + Ctaid(2) * Nctaid(0) * Nctaid(1);
  const int32_t per_block = Ntid(0) * Ntid(1) * Ntid(2);
  const int32_t global = block_linear * per_block + LinearTid();
  for (int k = 0; k < 12; ++k) regs[global * 12 + k] = strata_emu_sreg(k);
  if (LinearTid() == 0) order[(*next)++] = block_linear;
}

TEST(KernelRunnerTest, ThreeDimensionalGridAndBlock) {
  for (bool lockstep : {false, true}) {
    const unsigned grid[3] = {2, 3, 2}, block[3] = {4, 2, 3};
    const int blocks = 12, per_block = 24;
    std::vector<int32_t> regs(blocks * per_block * 12, -1), order(blocks, -1);
    int32_t next = 0;
    int32_t* regsp = regs.data();
    int32_t* orderp = order.data();
    int32_t* nextp = &next;
    absl::Status s = Launch(GeometryKernel, lockstep, "geometry", {grid[0], grid[1], grid[2]},
                         {block[0], block[1], block[2]}, {&regsp, &orderp, &nextp});
    ASSERT_TRUE(s.ok()) << s;
    for (int b = 0; b < blocks; ++b) EXPECT_EQ(order[static_cast<size_t>(b)], b) << "blocks run x fastest, in order";
    for (int bz = 0; bz < 2; ++bz)
      for (int by = 0; by < 3; ++by)
        for (int bx = 0; bx < 2; ++bx)
          for (int tz = 0; tz < 3; ++tz)
            for (int ty = 0; ty < 2; ++ty)
              for (int tx = 0; tx < 4; ++tx) {
                const int global = (bx + by * 2 + bz * 6) * per_block + tx + ty * 4 + tz * 8;
                const int32_t want[12] = {tx, ty, tz, 4, 2, 3, bx, by, bz, 2, 3, 2};
                for (int k = 0; k < 12; ++k) {
                  ASSERT_EQ(regs[static_cast<size_t>(global * 12 + k)], want[k])
                      << "lockstep " << lockstep << " block (" << bx << "," << by << "," << bz << ") thread (" << tx
                      << "," << ty << "," << tz << ") register " << k;
                }
              }
  }
}

// Block 1's upper half returns before the barrier the others wait at.
void HalfBarrierKernel(void** params) {
  if (Ctaid(0) == 1 && Tid(0) >= 32) return;
  strata_emu_barrier();
}

// Lanes 16-31 return; 0-15 shuffle with the full warp as members.
void HalfShuffleKernel(void** params) {
  if (Tid(0) >= 16) return;
  (void)strata_emu_shfl(kStrataEmuShflBfly, -1, Tid(0), 1, 0x1f);
}

void BarrierWithoutLockstepKernel(void** params) { strata_emu_barrier(); }

void RunReductionOnce(const std::string& context) {
  std::vector<int32_t> in(256);
  for (int i = 0; i < 256; ++i) in[static_cast<size_t>(i)] = i;
  int32_t out = 0, invalid = 0;
  const int32_t* inp = in.data();
  int32_t* outp = &out;
  int32_t* invalidp = &invalid;
  absl::Status s = Launch(ReduceKernel, true, "reduce", {1, 1, 1}, {256, 1, 1}, {&inp, &outp, &invalidp});
  ASSERT_TRUE(s.ok()) << context << ": " << s;
  EXPECT_EQ(out, 255 * 256 / 2) << context;
  EXPECT_EQ(invalid, 0) << context;
}

TEST(KernelRunnerTest, BarrierDivergenceIsAnErrorAndTheNextLaunchWorks) {
  absl::Status s = Launch(HalfBarrierKernel, true, "half_barrier", {3, 1, 1}, {64, 1, 1}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("'half_barrier'"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("block (1,0,0)"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("barrier divergence"));
  RunReductionOnce("after a barrier deadlock");

  s = Launch(HalfShuffleKernel, true, "half_shuffle", {1, 1, 1}, {32, 1, 1}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("'half_shuffle'"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("shuffle"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("exited"));
  RunReductionOnce("after a shuffle deadlock");
}

TEST(KernelRunnerTest, MisuseAndBadGeometryAreErrors) {
  absl::Status s = Launch(BarrierWithoutLockstepKernel, false, "not_lockstep", {2, 1, 1}, {8, 1, 1}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("'not_lockstep'"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("not compiled as lockstep"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("block (0,0,0), thread (0,0,0)"));

  s = Launch(ScaleKernel, false, "too_big", {1, 1, 1}, {1025, 1, 1}, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("1024"));
  s = Launch(ScaleKernel, true, "too_big_2d", {1, 1, 1}, {64, 32, 1}, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = Launch(ScaleKernel, false, "empty_block", {1, 1, 1}, {0, 1, 1}, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = Launch(ScaleKernel, false, "empty_grid", {4, 0, 1}, {32, 1, 1}, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("grid dimension is 0"));
  s = Launch(nullptr, false, "no_entry", {1, 1, 1}, {1, 1, 1}, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;

  // Outside a launch the calls do nothing (and do not crash).
  EXPECT_EQ(strata_emu_sreg(kStrataEmuSregTidX), 0);
  EXPECT_EQ(strata_emu_sreg(kStrataEmuSregNtidX), 0);
  strata_emu_barrier();
  EXPECT_EQ(strata_emu_shfl(kStrataEmuShflIdx, -1, 5, 0, 0x1f), 0);
  RunReductionOnce("after misuse");
}

// Throughput of both paths, printed (not asserted): emulated GPU threads per second.
TEST(KernelRunnerTest, Throughput) {
  const int64_t n = 1 << 22;
  std::vector<float> x(n, 1.0f), y(n);
  const float* xp = x.data();
  float* yp = y.data();
  int64_t count = n;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(Launch(ScaleKernel, false, "scale", {static_cast<unsigned>(n / 256), 1, 1}, {256, 1, 1},
                     {&xp, &yp, &count})
                  .ok());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("plain path: %lld threads in %.3f s = %.1f M threads/s\n", static_cast<long long>(n), seconds,
              static_cast<double>(n) / seconds / 1e6);
  EXPECT_EQ(y[static_cast<size_t>(n - 1)], 3.0f);

  const int blocks = 1024;
  std::vector<int32_t> in(blocks * 256, 1), out(blocks, 0);
  int32_t invalid = 0;
  const int32_t* inp = in.data();
  int32_t* outp = out.data();
  int32_t* invalidp = &invalid;
  start = std::chrono::steady_clock::now();
  ASSERT_TRUE(Launch(ReduceKernel, true, "reduce", {blocks, 1, 1}, {256, 1, 1}, {&inp, &outp, &invalidp}).ok());
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("lockstep path (reduction: 10 shuffles, 2 barriers a thread): %d threads in %.3f s = %.2f M threads/s\n",
              blocks * 256, seconds, blocks * 256 / seconds / 1e6);
  EXPECT_EQ(out[blocks - 1], 256);
}

// ---- The emulated driver ----

class TestModule : public HostModule {
 public:
  absl::StatusOr<HostKernel> Find(const std::string& name) const override {
    HostKernel k;
    if (name == "scale") {
      k.entry = ScaleKernel;
    } else if (name == "reduce") {
      k.entry = ReduceKernel;
      k.lockstep = true;
    } else if (name == "half_barrier") {
      k.entry = HalfBarrierKernel;
      k.lockstep = true;
    } else {
      return absl::NotFoundError(absl::StrCat("the test module has no kernel '", name, "'"));
    }
    return k;
  }
};

absl::StatusOr<std::unique_ptr<HostModule>> TestLoader(const std::string& image) {
  if (image == "test module") return std::make_unique<TestModule>();
  return absl::InvalidArgumentError(absl::StrCat("cannot compile '", image, "': not the test module"));
}

// Loads `image` with the JIT log options gpu_executable.cc passes; `log` receives the error log.
CUresult LoadModule(const CudaDriver& d, const char* image, CUmodule* module, std::string* log) {
  std::string error_log(256, '\0'), info_log(64, '\0');
  CUjit_option options[] = {kJitErrorLogBuffer, kJitErrorLogBufferSize, kJitInfoLogBuffer, kJitInfoLogBufferSize};
  void* values[] = {error_log.data(), reinterpret_cast<void*>(uintptr_t{256}), info_log.data(),
                    reinterpret_cast<void*>(uintptr_t{64})};
  const CUresult r = d.cuModuleLoadDataEx(module, image, 4, options, values);
  *log = std::string(error_log.c_str());
  return r;
}

TEST(EmulatedDriverTest, TableIsCompleteAndAdvertisesTheEmulator) {
  std::unique_ptr<CudaDriver> d = MakeEmulatedCudaDriver(TestLoader);
  EXPECT_TRUE(d->host_emulator);
  EXPECT_EQ(d->path, "strata GPU emulator");
  const void* members[] = {
      reinterpret_cast<const void*>(d->cuInit), reinterpret_cast<const void*>(d->cuDriverGetVersion),
      reinterpret_cast<const void*>(d->cuGetErrorName), reinterpret_cast<const void*>(d->cuGetErrorString),
      reinterpret_cast<const void*>(d->cuDeviceGetCount), reinterpret_cast<const void*>(d->cuDeviceGet),
      reinterpret_cast<const void*>(d->cuDeviceGetName), reinterpret_cast<const void*>(d->cuDeviceGetAttribute),
      reinterpret_cast<const void*>(d->cuDevicePrimaryCtxRetain),
      reinterpret_cast<const void*>(d->cuDevicePrimaryCtxRelease), reinterpret_cast<const void*>(d->cuCtxSetCurrent),
      reinterpret_cast<const void*>(d->cuModuleLoadDataEx), reinterpret_cast<const void*>(d->cuModuleUnload),
      reinterpret_cast<const void*>(d->cuModuleGetFunction), reinterpret_cast<const void*>(d->cuLaunchKernel),
      reinterpret_cast<const void*>(d->cuMemAlloc), reinterpret_cast<const void*>(d->cuMemFree),
      reinterpret_cast<const void*>(d->cuMemcpyHtoDAsync), reinterpret_cast<const void*>(d->cuMemcpyDtoHAsync),
      reinterpret_cast<const void*>(d->cuMemcpyDtoDAsync), reinterpret_cast<const void*>(d->cuMemsetD8Async),
      reinterpret_cast<const void*>(d->cuStreamCreate), reinterpret_cast<const void*>(d->cuStreamDestroy),
      reinterpret_cast<const void*>(d->cuStreamSynchronize)};
  for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); ++i) EXPECT_NE(members[i], nullptr) << "member " << i;
  int version = 0;
  EXPECT_EQ(d->cuDriverGetVersion(&version), 0);
  EXPECT_EQ(version, 12000);
  const char* name = nullptr;
  EXPECT_EQ(d->cuGetErrorName(700, &name), 0);
  EXPECT_STREQ(name, "CUDA_ERROR_ILLEGAL_ADDRESS");
  EXPECT_EQ(d->cuGetErrorName(719, &name), 0);
  EXPECT_STREQ(name, "CUDA_ERROR_LAUNCH_FAILED");
}

TEST(EmulatedDriverTest, DeviceAllocatorCopiesAndLaunches) {
  std::unique_ptr<CudaDriver> driver = MakeEmulatedCudaDriver(TestLoader);
  const CudaDriver& d = *driver;
  absl::StatusOr<std::unique_ptr<CudaDevice>> opened = CudaDevice::Open(driver.get(), 0);
  ASSERT_TRUE(opened.ok()) << opened.status();
  CudaDevice& device = **opened;
  EXPECT_EQ(device.name(), "strata GPU emulator (host CPU)");
  EXPECT_EQ(device.sm_version(), 90);
  EXPECT_EQ(device.multiprocessor_count(), 1);

  const int64_t n = 1000;
  absl::StatusOr<uint64_t> x = device.allocator().Allocate(n * sizeof(float));
  absl::StatusOr<uint64_t> y = device.allocator().Allocate(n * sizeof(float));
  ASSERT_TRUE(x.ok() && y.ok());
  EXPECT_EQ(*x % 256, 0u);
  std::vector<float> host_x(n), host_y(n, -1.0f);
  for (int64_t i = 0; i < n; ++i) host_x[static_cast<size_t>(i)] = static_cast<float>(i);
  ASSERT_EQ(d.cuMemcpyHtoDAsync(*x, host_x.data(), n * sizeof(float), device.stream()), 0);
  ASSERT_EQ(d.cuMemsetD8Async(*y, 0, n * sizeof(float), device.stream()), 0);

  CUmodule module = nullptr;
  std::string log;
  ASSERT_EQ(LoadModule(d, "test module", &module, &log), 0) << log;
  CUfunction scale = nullptr;
  ASSERT_EQ(d.cuModuleGetFunction(&scale, module, "scale"), 0);
  CUdeviceptr xp = *x, yp = *y;
  int64_t count = n;
  void* params[] = {&xp, &yp, &count};
  ASSERT_EQ(d.cuLaunchKernel(scale, 8, 1, 1, 128, 1, 1, 0, device.stream(), params, nullptr), 0);
  ASSERT_TRUE(device.Synchronize().ok());
  ASSERT_EQ(d.cuMemcpyDtoHAsync(host_y.data(), *y, n * sizeof(float), device.stream()), 0);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(host_y[static_cast<size_t>(i)], 2.0f * static_cast<float>(i) + 1) << i;

  // A copy past the end of the allocation.
  const CUresult bad = d.cuMemcpyDtoHAsync(host_y.data(), *y + (1 << 20), 16, device.stream());
  EXPECT_EQ(bad, 700);
  absl::Status s = d.Check(bad, "cuMemcpyDtoHAsync(result 0)");
  EXPECT_THAT(std::string(s.message()), HasSubstr("CUDA_ERROR_ILLEGAL_ADDRESS"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("not inside one live allocation"));
  EXPECT_EQ(d.cuMemcpyDtoDAsync(*x, *y, 8 * n, device.stream()), 700);

  // A kernel the module lacks.
  CUfunction missing = nullptr;
  const CUresult not_found = d.cuModuleGetFunction(&missing, module, "nope");
  EXPECT_EQ(not_found, 500);
  EXPECT_THAT(std::string(d.Check(not_found, "cuModuleGetFunction").message()), HasSubstr("CUDA_ERROR_NOT_FOUND"));

  // A module the loader cannot compile: its reason arrives in the JIT error log.
  CUmodule broken = nullptr;
  EXPECT_EQ(LoadModule(d, "garbage", &broken, &log), 218);
  EXPECT_THAT(log, HasSubstr("cannot compile 'garbage': not the test module"));

  // A launch that deadlocks: the runner's message arrives through CudaDriver::Check.
  CUfunction half = nullptr;
  ASSERT_EQ(d.cuModuleGetFunction(&half, module, "half_barrier"), 0);
  const CUresult failed = d.cuLaunchKernel(half, 2, 1, 1, 64, 1, 1, 0, device.stream(), params, nullptr);
  EXPECT_EQ(failed, 719);
  s = d.Check(failed, "cuLaunchKernel('half_barrier', step 0)");
  EXPECT_THAT(std::string(s.message()), HasSubstr("CUDA_ERROR_LAUNCH_FAILED"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("unspecified launch failure: GPU emulator: kernel 'half_barrier'"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("barrier divergence"));

  // Dynamic shared memory is not supported.
  const CUresult shared = d.cuLaunchKernel(scale, 1, 1, 1, 32, 1, 1, 1024, device.stream(), params, nullptr);
  EXPECT_EQ(shared, 1);
  EXPECT_THAT(std::string(d.Check(shared, "cuLaunchKernel").message()), HasSubstr("dynamic shared memory"));

  // And the device still works after all that.
  ASSERT_EQ(d.cuLaunchKernel(scale, 8, 1, 1, 128, 1, 1, 0, device.stream(), params, nullptr), 0);
  EXPECT_EQ(d.cuMemFree(0x1234), 1);
  EXPECT_EQ(d.cuModuleUnload(module), 0);
  EXPECT_EQ(d.cuModuleUnload(module), 1);
  EXPECT_EQ(d.cuLaunchKernel(scale, 1, 1, 1, 32, 1, 1, 0, device.stream(), params, nullptr), 400)
      << "a function of an unloaded module";
  EXPECT_TRUE(device.allocator().Free(*x).ok());
  EXPECT_TRUE(device.allocator().Free(*y).ok());
}

}  // namespace
}  // namespace strata::gpu::emu
