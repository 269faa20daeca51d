// Run() allocates nothing: this program replaces malloc & co. (forwarding to glibc) and counts
// the calls made while models run, serially and on a thread pool. It links only AOT artifacts
// and libstrata_aot_runtime (tests/aot/aot_cli_test also checks its shared libraries with ldd).
// Exit code 0 when no Run allocated; prints what it measured.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <malloc.h>

#include "aot_test_cnn.h"
#include "aot_test_deep_mlp.h"
#include "aot_test_mlp.h"

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t n, size_t size);
void* __libc_realloc(void* p, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* p);
}

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
void Count() {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

extern "C" {
void* malloc(size_t size) noexcept {
  Count();
  return __libc_malloc(size);
}
void* calloc(size_t n, size_t size) noexcept {
  Count();
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t size) noexcept {
  Count();
  return __libc_realloc(p, size);
}
void* aligned_alloc(size_t alignment, size_t size) noexcept {
  Count();
  return __libc_memalign(alignment, size);
}
void* memalign(size_t alignment, size_t size) noexcept {
  Count();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, size_t alignment, size_t size) noexcept {
  Count();
  *out = __libc_memalign(alignment, size);
  return *out != nullptr ? 0 : 12;  // ENOMEM
}
void free(void* p) noexcept { __libc_free(p); }
}

template <typename Model>
bool Check(const char* name, Model& model) {
  for (int64_t i = 0; i < Model::kArg_x_size; ++i) model.arg_x_data()[i] = static_cast<float>(i % 17) / 17.0f;
  if (!model.Run()) {  // first run outside the count (nothing is lazily set up, but be fair)
    std::printf("%s: %s\n", name, model.error_msg());
    return false;
  }
  allocations = 0;
  counting = true;
  bool ok = true;
  for (int run = 0; run < 5; ++run) ok &= model.Run();
  counting = false;
  std::printf("%s: 5 runs, %ld allocations, %lld heap-fallback bytes, arena %llu bytes\n", name, allocations.load(),
              static_cast<long long>(model.instance().heap_fallback_bytes()),
              static_cast<unsigned long long>(model.instance().arena_bytes()));
  return ok && allocations == 0 && model.instance().heap_fallback_bytes() == 0;
}

// Also the packed arena: every block at its planned offset, none from the heap.
bool CheckPacked() {
  static_assert(aot_test::DeepMlp::kArenaPlannedBlocks > 0, "the deep MLP's arena is packed by lifetime");
  bool ok = true;
  {
    aot_test::DeepMlp mlp;
    ok &= Check("deep mlp (packed arena) serial", mlp);
  }
  strata::aot::ThreadPool pool(4);
  aot_test::DeepMlp mlp(&pool);
  ok &= Check("deep mlp (packed arena) on 4 threads", mlp);
  return ok;
}

int main() {
  bool ok = true;
  {
    aot_test::Mlp mlp;
    ok &= Check("mlp serial", mlp);
    aot_test::cnn::Cnn cnn;
    ok &= Check("cnn serial", cnn);
  }
  {
    strata::aot::ThreadPool pool(4);
    aot_test::cnn::Cnn cnn(&pool);
    ok &= Check("cnn on 4 threads", cnn);
  }
  ok &= CheckPacked();
  std::printf(ok ? "OK: Run() allocated nothing\n" : "FAILED\n");
  return ok ? 0 : 1;
}
