// strata_aot_parallel_for: the caller and up to NumWorkers() helpers work through the chunks of
// a parallel loop together; participant p allocates in the arena's chunk region p.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "runtime/aot/abi.h"
#include "runtime/aot/arena.h"
#include "runtime/aot/run_context.h"
#include "runtime/aot/thread_pool.h"

namespace strata::aot {

namespace {

using internal::current_run;
using internal::RunContext;

// The same split as the JIT's pool (runtime/thread_pool.cc): chunks of at least ~20 us, up to
// 4 per participant so that uneven chunks balance out.
constexpr int64_t kMinCostPerChunk = 20000;
constexpr int64_t kChunksPerParticipant = 4;

int64_t NumChunks(int64_t n, int64_t cost_per_item, int participants) {
  if (participants <= 1) return 1;
  const int64_t cost = std::max<int64_t>(cost_per_item, 1);
  const int64_t by_cost = cost >= kMinCostPerChunk ? n : n / std::max<int64_t>(kMinCostPerChunk / cost, 1);
  return std::max<int64_t>(1, std::min({n, by_cost, kChunksPerParticipant * participants}));
}

using Task = void (*)(void*, int64_t, int64_t);

// Runs one range as participant p: its allocations go to chunk region p, nested loops are serial.
void RunChunk(Arena* arena, int p, Task task, void* context, int64_t begin, int64_t end) {
  const RunContext saved = current_run;
  StackRegion* region = arena != nullptr ? arena->slot(p) : nullptr;
  current_run.arena = arena;
  current_run.region = region;
  current_run.pool = nullptr;
  current_run.in_chunk = true;
  task(context, begin, end);
  if (region != nullptr) region->Clear();
  current_run = saved;
}

// Lives on the caller's stack: the caller returns only after every helper has left Work().
struct ParallelLoop {
  Task task;
  void* context;
  int64_t n, chunk_size, num_chunks;
  Arena* arena;
  int helpers;
  std::atomic<int64_t> next_chunk{0};
  std::atomic<int> next_participant{1};
  int exited = 0;  // guarded by mu
  std::mutex mu;
  std::condition_variable all_exited;

  void Work(int p) {
    for (;;) {
      const int64_t c = next_chunk.fetch_add(1, std::memory_order_relaxed);
      if (c >= num_chunks) return;
      const int64_t begin = c * chunk_size;
      RunChunk(arena, p, task, context, begin, std::min(n, begin + chunk_size));
    }
  }

  static void Helper(void* arg) {
    auto* loop = static_cast<ParallelLoop*>(arg);
    loop->Work(loop->next_participant.fetch_add(1, std::memory_order_relaxed));
    std::lock_guard<std::mutex> lock(loop->mu);
    if (++loop->exited == loop->helpers) loop->all_exited.notify_one();
  }
};

}  // namespace

}  // namespace strata::aot

extern "C" void strata_aot_parallel_for(void (*task)(void*, int64_t, int64_t), void* context, int64_t n,
                                        int64_t cost_per_item) {
  using strata::aot::internal::current_run;
  if (n <= 0) return;
  if (current_run.in_chunk) {
    task(context, 0, n);
    return;
  }
  strata::aot::Arena* arena = current_run.arena;
  strata::aot::ThreadPoolInterface* pool = current_run.pool;
  int participants = pool != nullptr ? 1 + std::max(pool->NumWorkers(), 0) : 1;
  if (arena != nullptr) participants = std::min(participants, std::max(arena->num_slots(), 1));
  const int64_t chunks = strata::aot::NumChunks(n, cost_per_item, participants);
  if (chunks <= 1) {
    strata::aot::RunChunk(arena, 0, task, context, 0, n);
    return;
  }
  strata::aot::ParallelLoop loop;
  loop.task = task;
  loop.context = context;
  loop.n = n;
  loop.chunk_size = (n + chunks - 1) / chunks;
  loop.num_chunks = (n + loop.chunk_size - 1) / loop.chunk_size;  // no empty tail chunks
  loop.arena = arena;
  loop.helpers = static_cast<int>(std::min<int64_t>(loop.num_chunks, participants)) - 1;
  for (int i = 0; i < loop.helpers; ++i) pool->Schedule(&strata::aot::ParallelLoop::Helper, &loop);
  loop.Work(0);
  std::unique_lock<std::mutex> lock(loop.mu);
  loop.all_exited.wait(lock, [&] { return loop.exited == loop.helpers; });
}
