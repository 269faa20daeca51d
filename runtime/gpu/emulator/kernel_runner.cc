#include "runtime/gpu/emulator/kernel_runner.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/gpu/emulator/fiber.h"
#include "runtime/gpu/emulator/shared_bank_stats.h"
#include "runtime/gpu/emulator/wgmma_emulation.h"

namespace strata::gpu::emu {
namespace {

enum class Wait : uint8_t { kNone, kBarrier, kShuffle };

// A thread's warpgroup MMAs in flight.
struct WgmmaThread {
  bool fenced = false;                 // wgmma.fence since its last wait
  std::vector<WgmmaOp> uncommitted;    // issued since its last commit
  std::deque<std::vector<WgmmaOp>> committed;  // groups not yet waited for, oldest first
};

// The shared state of a lockstep block's threads (its fibers).
struct BlockRun {
  Fibers* fibers = nullptr;
  void (*entry)(void** params) = nullptr;
  void** params = nullptr;
  int threads = 0;
  int finished = 0;
  // Set whenever a thread arrives at or passes a barrier or shuffle, or finishes: a round-robin
  // pass without any is a deadlock (no waiting thread's condition can change any more).
  bool progress = false;
  // The block barrier: threads arrived at the current one, and barriers completed so far.
  int barrier_arrived = 0;
  uint64_t barrier_generation = 0;
  // Shuffles, per thread (linear id): how many it has entered, and the value it deposited for
  // each round parity. Two slots: a lane that completes round r and deposits round r+1 must not
  // overwrite the value slower lanes of round r have not read yet (it cannot reach round r+2
  // before they have deposited, hence read, r+1 ... r).
  std::vector<uint64_t> shfl_rounds;
  std::vector<uint32_t> shfl_values[2];
  std::vector<uint32_t> shfl_members;  // the lanes the thread's pending shuffle waits for
  std::vector<Wait> waiting;
  std::vector<uint64_t> barrier_waits;  // the generation a thread waiting at the barrier saw
  // Per warp, a known fact "every lane in deposited_mask has deposited deposited_rounds rounds"
  // (true for good: rounds only grow), so that the lanes of a completed round check in O(1).
  std::vector<uint32_t> deposited_mask;
  std::vector<uint64_t> deposited_rounds;
  // wgmma, per thread: its MMAs in flight, and whether it stored to shared memory since its
  // last fence.proxy.async (and how many threads have).
  std::vector<WgmmaThread> wgmma;
  std::vector<uint8_t> unfenced_stores;
  int unfenced_threads = 0;
  // With SharedBankCounting: each thread's shared accesses since the last barrier.
  const std::string* kernel_name = nullptr;
  std::vector<std::vector<LaneAccess>> shared_accesses;
};

// Each warp's n-th recorded access of every lane is one request (shared_bank_stats.h).
void FlushSharedAccesses(BlockRun& run) {
  if (run.shared_accesses.empty()) return;
  std::vector<LaneAccess> request;
  for (int base = 0; base < run.threads; base += kWarpSize) {
    const int lanes = std::min(kWarpSize, run.threads - base);
    size_t longest = 0;
    for (int l = 0; l < lanes; ++l) longest = std::max(longest, run.shared_accesses[static_cast<size_t>(base + l)].size());
    for (size_t i = 0; i < longest; ++i) {
      request.clear();
      for (int l = 0; l < lanes; ++l) {
        const std::vector<LaneAccess>& mine = run.shared_accesses[static_cast<size_t>(base + l)];
        if (i < mine.size()) request.push_back(mine[i]);
      }
      CountSharedRequest(*run.kernel_name, request);
    }
    for (int l = 0; l < lanes; ++l) run.shared_accesses[static_cast<size_t>(base + l)].clear();
  }
}

// A shared global as the kernel's shared-window addresses see it.
struct SharedWindow {
  const char* host = nullptr;
  size_t bytes = 0;
  uint64_t base = 0;
};

// The thread being run, as the strata_emu_* calls see it.
struct ThreadContext {
  int32_t sreg[12] = {};  // tid, ntid, ctaid, nctaid; .x .y .z each
  int linear = 0;          // the thread's linear id in its block
  BlockRun* block = nullptr;  // null when the kernel is not lockstep
  const HostKernel* kernel = nullptr;
  std::vector<SharedWindow> windows;  // placed by strata_emu_shared_window, for this launch
  bool failed = false;
  std::string error;  // what the thread did wrong (the runner adds where)
};

// Initial-exec: a plain %fs-relative load in the kernels' hot strata_emu_sreg calls (the default
// model of a shared library calls __tls_get_addr). Set only for the duration of a launch.
thread_local ThreadContext* t_context __attribute__((tls_model("initial-exec"))) = nullptr;

// The launch mutex: kernels' shared memory is a global of their module, and one Fibers set serves
// every launch.
std::mutex& LaunchMutex() {
  static std::mutex* mu = new std::mutex();
  return *mu;
}

Fibers& LaunchFibers() {
  static Fibers* fibers = new Fibers();  // stacks kept for the life of the process
  return *fibers;
}

void Fail(ThreadContext& c, std::string what) {
  if (c.failed) return;
  c.failed = true;
  c.error = std::move(what);
}

// Stops the calling fiber for good after an error: the runner sees `failed` and abandons it.
[[noreturn]] void Abandon(BlockRun& run) {
  for (;;) run.fibers->Yield();
}

void FiberBody(void* arg, int /*index*/) {
  BlockRun& run = *static_cast<BlockRun*>(arg);
  run.entry(run.params);
  ++run.finished;
  run.progress = true;
}

void LockstepBarrier(ThreadContext& c) {
  BlockRun& run = *c.block;
  const int me = c.linear;
  const uint64_t generation = run.barrier_generation;
  run.progress = true;
  if (++run.barrier_arrived == run.threads) {  // the last to arrive releases the others
    FlushSharedAccesses(run);
    run.barrier_arrived = 0;
    ++run.barrier_generation;
    return;
  }
  run.waiting[static_cast<size_t>(me)] = Wait::kBarrier;
  run.barrier_waits[static_cast<size_t>(me)] = generation;
  while (run.barrier_generation == generation) run.fibers->Yield();
  run.waiting[static_cast<size_t>(me)] = Wait::kNone;
  run.progress = true;
}

bool AllDeposited(BlockRun& run, int warp_base, uint32_t members, uint64_t rounds) {
  const size_t warp = static_cast<size_t>(warp_base / kWarpSize);
  if ((members & ~run.deposited_mask[warp]) == 0 && rounds <= run.deposited_rounds[warp]) return true;
  // Highest lane first: in round-robin order the lanes after the caller are the ones missing,
  // so a check that fails usually fails at once.
  for (uint32_t m = members; m != 0;) {
    const int lane = 31 - __builtin_clz(m);
    if (run.shfl_rounds[static_cast<size_t>(warp_base + lane)] < rounds) return false;
    m &= ~(1u << lane);
  }
  run.deposited_mask[warp] = members;
  run.deposited_rounds[warp] = rounds;
  return true;
}

// False when thread i waits and what it waits for has not happened: resuming it would only
// switch in and out again (the scheduler's main saving in blocks where most threads wait).
bool Ready(BlockRun& run, int i) {
  const size_t t = static_cast<size_t>(i);
  switch (run.waiting[t]) {
    case Wait::kNone:
      return true;
    case Wait::kBarrier:
      return run.barrier_generation != run.barrier_waits[t];
    case Wait::kShuffle:
      return AllDeposited(run, i - i % kWarpSize, run.shfl_members[t], run.shfl_rounds[t]);
  }
  return true;
}

// shfl.sync per the PTX ISA: which lane `lane` reads, and whether that is valid.
void ShuffleSource(int32_t mode, int lane, int32_t b, int32_t c, int* source, bool* valid) {
  const int bval = b & 31;
  const int cval = c & 31;
  const int segmask = (c >> 8) & 31;
  const int max_lane = (lane & segmask) | (cval & ~segmask);
  const int min_lane = lane & segmask;
  int j = lane;
  bool pval = false;
  switch (mode) {
    case kStrataEmuShflUp:
      j = lane - bval;
      pval = j >= max_lane;
      break;
    case kStrataEmuShflDown:
      j = lane + bval;
      pval = j <= max_lane;
      break;
    case kStrataEmuShflBfly:
      j = lane ^ bval;
      pval = j <= max_lane;
      break;
    default:  // idx
      j = min_lane | (bval & ~segmask);
      pval = j <= max_lane;
      break;
  }
  *source = pval ? j : lane;
  *valid = pval;
}

int64_t LockstepShuffle(ThreadContext& c, int32_t mode, uint32_t mask, int32_t value, int32_t b, int32_t cc) {
  BlockRun& run = *c.block;
  const int me = c.linear;
  const int lane = me % kWarpSize;
  const int warp_base = me - lane;
  const int warp_lanes = std::min(kWarpSize, run.threads - warp_base);
  const uint32_t exists = warp_lanes == kWarpSize ? ~0u : (1u << warp_lanes) - 1;
  const uint32_t members = (mask & exists) | (1u << lane);
  const uint64_t round = run.shfl_rounds[static_cast<size_t>(me)];
  run.shfl_values[round & 1][static_cast<size_t>(me)] = static_cast<uint32_t>(value);
  run.shfl_rounds[static_cast<size_t>(me)] = round + 1;
  run.progress = true;
  if (!AllDeposited(run, warp_base, members, round + 1)) {
    run.waiting[static_cast<size_t>(me)] = Wait::kShuffle;
    run.shfl_members[static_cast<size_t>(me)] = members;
    do {
      run.fibers->Yield();
    } while (!AllDeposited(run, warp_base, members, round + 1));
    run.waiting[static_cast<size_t>(me)] = Wait::kNone;
    run.progress = true;
  }
  int j = lane;
  bool valid = false;
  ShuffleSource(mode, lane, b, cc, &j, &valid);
  if (j != lane && ((mask & exists) >> j & 1u) == 0) {  // the source lane takes no part
    j = lane;
    valid = false;
  }
  const size_t source = static_cast<size_t>(warp_base + j);
  if (run.shfl_rounds[source] > round + 2) {
    // Only possible when the lanes' member masks disagree: the slot now holds a later round.
    Fail(c, absl::StrCat("shuffle rounds out of step: lane ", lane, " reads lane ", j, " for its shuffle #",
                         round + 1, " but lane ", j, " has already entered shuffle #", run.shfl_rounds[source],
                         " (the lanes' member masks disagree)"));
    Abandon(run);
  }
  const uint32_t got = run.shfl_values[round & 1][source];
  return static_cast<int64_t>(got) | (valid ? (int64_t{1} << 32) : 0);
}

std::string Triple(const int32_t* v) { return absl::StrCat("(", v[0], ",", v[1], ",", v[2], ")"); }

std::string ThreadTriple(const unsigned block[3], int linear) {
  const int bx = static_cast<int>(block[0]), by = static_cast<int>(block[1]);
  const int32_t t[3] = {linear % bx, (linear / bx) % by, linear / (bx * by)};
  return Triple(t);
}

absl::Status LaunchError(const std::string& name, const ThreadContext& c, const std::string& thread,
                         const std::string& what) {
  return absl::InternalError(absl::StrCat("GPU emulator: kernel '", name, "', block ", Triple(c.sreg + 6),
                                          ", thread ", thread, ": ", what));
}

// Why no waiting thread of the block can go on, naming the thread to blame.
absl::Status DeadlockError(const std::string& name, const ThreadContext& c, const BlockRun& run,
                           const unsigned block[3]) {
  int barrier_waiters = 0, shuffle_waiters = 0, first_barrier = -1, first_shuffle = -1;
  for (int i = 0; i < run.threads; ++i) {
    const Wait w = run.waiting[static_cast<size_t>(i)];
    if (w == Wait::kBarrier && barrier_waiters++ == 0) first_barrier = i;
    if (w == Wait::kShuffle && shuffle_waiters++ == 0) first_shuffle = i;
  }
  // A shuffle waiting for a lane that exited is the most specific diagnosis.
  for (int i = 0; i < run.threads; ++i) {
    if (run.waiting[static_cast<size_t>(i)] != Wait::kShuffle) continue;
    const int base = i - i % kWarpSize;
    for (uint32_t m = run.shfl_members[static_cast<size_t>(i)]; m != 0; m &= m - 1) {
      const int other = base + __builtin_ctz(m);
      const size_t o = static_cast<size_t>(other);
      if (run.fibers->done(other) && run.shfl_rounds[o] < run.shfl_rounds[static_cast<size_t>(i)]) {
        return LaunchError(name, c, ThreadTriple(block, i),
                           absl::StrCat("deadlock: the shuffle of lane ", i % kWarpSize, " in warp ", i / kWarpSize,
                                        " waits for lane ", other % kWarpSize,
                                        ", which exited without reaching it (its member mask names a lane that "
                                        "does not take part)"));
      }
    }
  }
  if (barrier_waiters > 0 && run.finished > 0) {
    return LaunchError(name, c, ThreadTriple(block, first_barrier),
                       absl::StrCat("deadlock (barrier divergence): ", barrier_waiters, " of the block's ",
                                    run.threads, " threads wait at a barrier that ", run.finished,
                                    " thread(s) exited without reaching"));
  }
  const int blamed = first_barrier >= 0 ? first_barrier : std::max(first_shuffle, 0);
  return LaunchError(name, c, ThreadTriple(block, blamed),
                     absl::StrCat("deadlock: ", barrier_waiters, " thread(s) wait at a barrier and ", shuffle_waiters,
                                  " at a shuffle, and none of them can complete (threads reach different "
                                  "barriers/shuffles)"));
}

absl::Status RunLockstepBlock(const std::string& name, ThreadContext& c, BlockRun& run, const unsigned block[3],
                              const std::vector<int32_t>& tids) {
  if (absl::Status s = run.fibers->Reset(run.threads, FiberBody, &run); !s.ok()) return s;
  run.finished = 0;
  run.barrier_arrived = 0;
  std::fill(run.shfl_rounds.begin(), run.shfl_rounds.end(), 0);
  std::fill(run.waiting.begin(), run.waiting.end(), Wait::kNone);
  std::fill(run.deposited_mask.begin(), run.deposited_mask.end(), 0);
  std::fill(run.deposited_rounds.begin(), run.deposited_rounds.end(), 0);
  std::fill(run.wgmma.begin(), run.wgmma.end(), WgmmaThread{});
  std::fill(run.unfenced_stores.begin(), run.unfenced_stores.end(), 0);
  run.unfenced_threads = 0;
  while (run.finished < run.threads) {
    run.progress = false;
    for (int i = 0; i < run.threads; ++i) {
      if (run.fibers->done(i) || !Ready(run, i)) continue;
      c.linear = i;
      std::copy_n(&tids[static_cast<size_t>(i) * 3], 3, c.sreg);
      run.fibers->Resume(i);
      if (c.failed) return LaunchError(name, c, ThreadTriple(block, i), c.error);
    }
    if (!run.progress) return DeadlockError(name, c, run, block);
  }
  FlushSharedAccesses(run);
  // A thread that exits with warpgroup MMAs in flight never sees their results.
  for (int i = 0; i < run.threads; ++i) {
    const WgmmaThread& w = run.wgmma[static_cast<size_t>(i)];
    if (w.uncommitted.empty() && w.committed.empty()) continue;
    return LaunchError(name, c, ThreadTriple(block, i),
                       absl::StrCat("exited with ", w.uncommitted.size(), " uncommitted wgmma.mma_async and ",
                                    w.committed.size(), " committed group(s) not waited for"));
  }
  return absl::OkStatus();
}

absl::Status CheckGeometry(const std::string& name, const unsigned grid[3], const unsigned block[3]) {
  const std::string geometry = absl::StrCat("grid (", grid[0], ",", grid[1], ",", grid[2], "), block (", block[0],
                                            ",", block[1], ",", block[2], ")");
  const uint64_t threads = uint64_t{block[0]} * block[1] * block[2];
  const char* wrong = nullptr;
  if (grid[0] == 0 || grid[1] == 0 || grid[2] == 0) wrong = "a grid dimension is 0";
  else if (block[0] == 0 || block[1] == 0 || block[2] == 0) wrong = "a block dimension is 0";
  else if (threads > kMaxThreadsPerBlock) wrong = "a block has more than 1024 threads";
  else if (block[2] > 64) wrong = "block.z is more than 64";
  else if (grid[0] > 0x7fffffffu || grid[1] > 65535 || grid[2] > 65535)
    wrong = "the grid exceeds (2^31-1, 65535, 65535)";
  if (wrong == nullptr) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("GPU emulator: kernel '", name, "' launched with ", geometry, ": ",
                                                 wrong));
}

// Clears t_context however the launch ends.
struct ContextScope {
  explicit ContextScope(ThreadContext* c) { t_context = c; }
  ~ContextScope() { t_context = nullptr; }
};

// The shared-window address of `address` (see strata_emu_shared_window); 0 after a failure.
uint64_t WindowAddress(ThreadContext& c, const void* address) {
  const char* p = static_cast<const char*>(address);
  for (const SharedWindow& w : c.windows) {
    if (p >= w.host && p < w.host + w.bytes) return w.base + static_cast<uint64_t>(p - w.host);
  }
  for (const auto& [start, bytes] : c.kernel->shared) {
    const char* s = static_cast<const char*>(start);
    if (p < s || p >= s + bytes) continue;
    constexpr uint64_t kAlign = 1024, kWindow = uint64_t{1} << 18;  // descriptors address 256 KiB
    const uint64_t base = c.windows.empty() ? kAlign : (c.windows.back().base + c.windows.back().bytes + kAlign - 1) / kAlign * kAlign;
    if (base + bytes > kWindow) {
      Fail(c, "the kernel's shared memory does not fit the 256 KiB a wgmma descriptor addresses");
      return 0;
    }
    c.windows.push_back(SharedWindow{s, bytes, base});
    return base + static_cast<uint64_t>(p - s);
  }
  Fail(c, absl::StrCat("the shared-window address of 0x", absl::Hex(reinterpret_cast<uintptr_t>(address)),
                       ", which is not in the kernel's shared memory"));
  return 0;
}

const void* WindowBytes(const ThreadContext& c, uint64_t address, size_t bytes) {
  for (const SharedWindow& w : c.windows) {
    if (address >= w.base && address + bytes <= w.base + w.bytes) return w.host + (address - w.base);
  }
  return nullptr;
}

// The lockstep block of the running thread, for the wgmma calls; null (and the launch failed)
// outside one.
BlockRun* WgmmaBlock(const char* what) {
  ThreadContext* c = t_context;
  if (c == nullptr) return nullptr;
  if (c->block == nullptr) {
    Fail(*c, absl::StrCat(what, " in a kernel not compiled as lockstep"));
    return nullptr;
  }
  return c->block;
}

}  // namespace

void FailCurrentThread(std::string what) {
  if (t_context != nullptr) Fail(*t_context, std::move(what));
}

void NoteSharedAccess(const void* address, int64_t bytes, bool store) {
  ThreadContext* c = t_context;
  if (c == nullptr || c->block == nullptr) return;
  BlockRun& run = *c->block;
  const size_t me = static_cast<size_t>(c->linear);
  if (store && run.unfenced_stores[me] == 0) {
    run.unfenced_stores[me] = 1;
    ++run.unfenced_threads;
  }
  if (!run.shared_accesses.empty()) {
    run.shared_accesses[me].push_back(LaneAccess{reinterpret_cast<uintptr_t>(address), static_cast<uint32_t>(bytes), store});
  }
}

absl::Status RunHostKernel(const HostKernel& kernel, const std::string& name, const unsigned grid[3],
                           const unsigned block[3], void** params) {
  if (kernel.entry == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("GPU emulator: kernel '", name, "' has no entry function"));
  }
  if (absl::Status s = CheckGeometry(name, grid, block); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(LaunchMutex());
  ThreadContext c;
  c.kernel = &kernel;
  for (int d = 0; d < 3; ++d) {
    c.sreg[kStrataEmuSregNtidX + d] = static_cast<int32_t>(block[d]);
    c.sreg[kStrataEmuSregNctaidX + d] = static_cast<int32_t>(grid[d]);
  }
  const int32_t bx = static_cast<int32_t>(block[0]), by = static_cast<int32_t>(block[1]),
                bz = static_cast<int32_t>(block[2]);
  const int threads = bx * by * bz;
  BlockRun run;
  std::vector<int32_t> tids;
  if (kernel.lockstep) {
    run.fibers = &LaunchFibers();
    run.entry = kernel.entry;
    run.params = params;
    run.threads = threads;
    run.shfl_rounds.assign(static_cast<size_t>(threads), 0);
    run.shfl_values[0].assign(static_cast<size_t>(threads), 0);
    run.shfl_values[1].assign(static_cast<size_t>(threads), 0);
    run.shfl_members.assign(static_cast<size_t>(threads), 0);
    run.waiting.assign(static_cast<size_t>(threads), Wait::kNone);
    run.barrier_waits.assign(static_cast<size_t>(threads), 0);
    run.deposited_mask.assign(static_cast<size_t>((threads + kWarpSize - 1) / kWarpSize), 0);
    run.deposited_rounds.assign(run.deposited_mask.size(), 0);
    run.wgmma.assign(static_cast<size_t>(threads), WgmmaThread{});
    run.unfenced_stores.assign(static_cast<size_t>(threads), 0);
    run.kernel_name = &name;
    if (SharedBankCounting()) run.shared_accesses.assign(static_cast<size_t>(threads), {});
    tids.reserve(static_cast<size_t>(threads) * 3);
    for (int32_t z = 0; z < bz; ++z)
      for (int32_t y = 0; y < by; ++y)
        for (int32_t x = 0; x < bx; ++x) tids.insert(tids.end(), {x, y, z});
    c.block = &run;
  }
  ContextScope scope(&c);
  void (*const entry)(void**) = kernel.entry;
  for (uint32_t gz = 0; gz < grid[2]; ++gz) {
    c.sreg[kStrataEmuSregCtaidX + 2] = static_cast<int32_t>(gz);
    for (uint32_t gy = 0; gy < grid[1]; ++gy) {
      c.sreg[kStrataEmuSregCtaidX + 1] = static_cast<int32_t>(gy);
      for (uint32_t gx = 0; gx < grid[0]; ++gx) {
        c.sreg[kStrataEmuSregCtaidX] = static_cast<int32_t>(gx);
        if (kernel.lockstep) {
          if (absl::Status s = RunLockstepBlock(name, c, run, block, tids); !s.ok()) return s;
          continue;
        }
        // The fast path: each thread to completion by a plain call.
        for (int32_t z = 0; z < bz; ++z) {
          c.sreg[2] = z;
          for (int32_t y = 0; y < by; ++y) {
            c.sreg[1] = y;
            for (int32_t x = 0; x < bx; ++x) {
              c.sreg[0] = x;
              entry(params);
              if (c.failed) return LaunchError(name, c, Triple(c.sreg), c.error);
            }
          }
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace strata::gpu::emu

using strata::gpu::emu::t_context;

extern "C" int32_t strata_emu_sreg(int32_t which) {
  strata::gpu::emu::ThreadContext* c = t_context;
  if (c == nullptr) return 0;  // not inside a launch
  if (static_cast<uint32_t>(which) >= 12) {
    strata::gpu::emu::Fail(*c, absl::StrCat("strata_emu_sreg(", which, "): no such special register (0-11)"));
    return 0;
  }
  return c->sreg[which];
}

extern "C" void strata_emu_barrier() {
  strata::gpu::emu::ThreadContext* c = t_context;
  if (c == nullptr) return;
  if (c->block == nullptr) {
    strata::gpu::emu::Fail(*c,
                           "strata_emu_barrier called by a kernel not compiled as lockstep (its threads run one "
                           "after the other, so a barrier cannot be honored)");
    return;
  }
  strata::gpu::emu::LockstepBarrier(*c);
}

extern "C" int64_t strata_emu_shfl(int32_t mode, int32_t member_mask, int32_t value, int32_t b, int32_t c_operand) {
  strata::gpu::emu::ThreadContext* c = t_context;
  if (c == nullptr) return 0;
  if (mode < 0 || mode > 3) {
    strata::gpu::emu::Fail(*c, absl::StrCat("strata_emu_shfl: mode ", mode, " is not up/down/bfly/idx (0-3)"));
    if (c->block != nullptr) strata::gpu::emu::Abandon(*c->block);
    return static_cast<uint32_t>(value);
  }
  if (c->block == nullptr) {
    strata::gpu::emu::Fail(*c,
                           "strata_emu_shfl called by a kernel not compiled as lockstep (its threads run one "
                           "after the other, so a shuffle cannot be honored)");
    return static_cast<uint32_t>(value);
  }
  return strata::gpu::emu::LockstepShuffle(*c, mode, static_cast<uint32_t>(member_mask), value, b, c_operand);
}

extern "C" int64_t strata_emu_shared_window(void* address) {
  strata::gpu::emu::ThreadContext* c = t_context;
  if (c == nullptr) return 0;
  return static_cast<int64_t>(strata::gpu::emu::WindowAddress(*c, address));
}

extern "C" void strata_emu_proxy_fence() {
  if (strata::gpu::emu::BlockRun* run = strata::gpu::emu::WgmmaBlock("fence.proxy.async")) {
    uint8_t& unfenced = run->unfenced_stores[static_cast<size_t>(t_context->linear)];
    run->unfenced_threads -= unfenced;
    unfenced = 0;
  }
}

extern "C" void strata_emu_wgmma_fence() {
  if (strata::gpu::emu::BlockRun* run = strata::gpu::emu::WgmmaBlock("wgmma.fence")) {
    run->wgmma[static_cast<size_t>(t_context->linear)].fenced = true;
  }
}

extern "C" void strata_emu_wgmma(int32_t type, int32_t n, int64_t desc_a, int64_t desc_b) {
  using namespace strata::gpu::emu;
  BlockRun* run = WgmmaBlock("wgmma.mma_async");
  if (run == nullptr) return;
  ThreadContext& c = *t_context;
  WgmmaThread& me = run->wgmma[static_cast<size_t>(c.linear)];
  if (!me.fenced) {
    Fail(c, "wgmma.mma_async without a wgmma.fence since the thread's last wait (its accumulators may be in use)");
    Abandon(*run);
  }
  for (int i = 0; run->unfenced_threads > 0 && i < run->threads; ++i) {  // name the first such thread
    if (run->unfenced_stores[static_cast<size_t>(i)] == 0) continue;
    Fail(c, absl::StrCat("wgmma.mma_async reads shared memory while thread ", i,
                         " has stored to it without a fence.proxy.async since (the async proxy may not see it)"));
    Abandon(*run);
  }
  me.uncommitted.push_back(WgmmaOp{type, n, static_cast<uint64_t>(desc_a), static_cast<uint64_t>(desc_b)});
}

extern "C" void strata_emu_wgmma_commit() {
  using namespace strata::gpu::emu;
  BlockRun* run = WgmmaBlock("wgmma.commit_group");
  if (run == nullptr) return;
  WgmmaThread& me = run->wgmma[static_cast<size_t>(t_context->linear)];
  me.committed.push_back(std::move(me.uncommitted));
  me.uncommitted.clear();
}

extern "C" void strata_emu_wgmma_wait(int32_t keep, float* accumulators, int32_t count) {
  using namespace strata::gpu::emu;
  BlockRun* run = WgmmaBlock("wgmma.wait_group");
  if (run == nullptr) return;
  ThreadContext& c = *t_context;
  WgmmaThread& me = run->wgmma[static_cast<size_t>(c.linear)];
  const SharedReader read = [&c](uint64_t address, size_t bytes) { return WindowBytes(c, address, bytes); };
  while (me.committed.size() > static_cast<size_t>(std::max(keep, 0))) {
    for (const WgmmaOp& op : me.committed.front()) {
      if (op.n / 2 != count) {
        Fail(c, absl::StrCat("wgmma.wait_group over ", count, " accumulators completes an m64n", op.n, " MMA (", op.n / 2,
                             " per thread)"));
        Abandon(*run);
      }
      if (absl::Status s = ApplyWgmma(op, c.linear % 128, read, accumulators); !s.ok()) {
        Fail(c, std::string(s.message()));
        Abandon(*run);
      }
    }
    me.committed.pop_front();
  }
  me.fenced = false;
}
