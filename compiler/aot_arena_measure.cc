// Runs an AOT module under the JIT to measure and pack its arena (see aot_arena_measure.h).
#include "compiler/aot_arena_measure.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "compiler/aot_arena_pack.h"
#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "runtime/aot/abi.h"
#include "runtime/aot/arena.h"

namespace strata {

namespace {

std::string ToString(llvm::Error e) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << e;
  return s;
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<void, FreeDeleter>;

Buffer Allocate(int64_t bytes) {
  const size_t size = (static_cast<size_t>(std::max<int64_t>(bytes, 1)) + 63) / 64 * 64;
  Buffer b(std::aligned_alloc(64, size));
  if (b != nullptr) std::memset(b.get(), 0, size);
  return b;
}

void FillOnes(void* data, const ArenaMeasureInputs::Buffer& spec) {
  const int64_t n = spec.bytes / spec.element_bytes;
  auto* p = static_cast<unsigned char*>(data);
  for (int64_t i = 0; i < n; ++i, p += spec.element_bytes) {
    if (spec.is_half) {
      const uint16_t one = spec.is_bfloat ? 0x3F80 : 0x3C00;
      std::memcpy(p, &one, 2);
    } else if (spec.is_float && spec.element_bytes == 4) {
      const float one = 1.0f;
      std::memcpy(p, &one, 4);
    } else if (spec.is_float && spec.element_bytes == 8) {
      const double one = 1.0;
      std::memcpy(p, &one, 8);
    } else {
      std::memset(p, 0, spec.element_bytes);
      p[0] = 1;  // little-endian integer 1 (and bool true)
    }
  }
}

// The main region's blocks as they come and go during the measured run.
class LifetimeRecorder : public aot::RegionObserver {
 public:
  void OnAllocate(uint64_t index, uint64_t alignment, uint64_t size) override {
    consistent_ = consistent_ && index == blocks_.size();
    blocks_.push_back({size, std::max<uint64_t>(alignment, 64), events_, kLive});
    ++events_;
  }
  void OnFree(uint64_t index) override {
    if (index < blocks_.size()) blocks_[index].last = events_;
    ++events_;
  }
  // Blocks never freed live to the end of the run. Empty when the indexes made no sense.
  std::vector<ArenaBlockLifetime> Finish() {
    if (!consistent_) return {};
    for (ArenaBlockLifetime& b : blocks_) b.last = std::min(b.last, events_);
    return std::move(blocks_);
  }

 private:
  static constexpr uint64_t kLive = ~uint64_t{0};
  std::vector<ArenaBlockLifetime> blocks_;
  uint64_t events_ = 0;
  bool consistent_ = true;
};

constexpr int64_t kFirstCapacity = int64_t{64} << 20;
constexpr int64_t kMaxCapacity = int64_t{64} << 30;

}  // namespace

absl::StatusOr<ArenaPlan> MeasureArena(const std::string* object, std::unique_ptr<llvm::LLVMContext> context,
                                       std::unique_ptr<llvm::Module> module, const ArenaMeasureInputs& inputs) {
  auto host = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!host) return absl::InternalError(absl::StrCat("AOT arena measurement: ", ToString(host.takeError())));
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*host)).create();
  if (!jit) return absl::InternalError(absl::StrCat("AOT arena measurement: ", ToString(jit.takeError())));
  llvm::orc::JITDylib& dylib = (*jit)->getMainJITDylib();
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess((*jit)->getDataLayout().getGlobalPrefix());
  if (!process) return absl::InternalError(absl::StrCat("AOT arena measurement: ", ToString(process.takeError())));
  dylib.addGenerator(std::move(*process));
  // The runtime linked into this library (its symbols are not exported, so bind them here).
  llvm::orc::SymbolMap runtime;
  auto bind = [&](const char* name, auto* fn) {
    runtime[(*jit)->mangleAndIntern(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn), llvm::JITSymbolFlags::Exported};
  };
  bind("strata_aot_alloc", &strata_aot_alloc);
  bind("strata_aot_aligned_alloc", &strata_aot_aligned_alloc);
  bind("strata_aot_free", &strata_aot_free);
  bind("strata_aot_parallel_for", &strata_aot_parallel_for);
  if (llvm::Error e = dylib.define(llvm::orc::absoluteSymbols(std::move(runtime)))) {
    return absl::InternalError(absl::StrCat("AOT arena measurement: ", ToString(std::move(e))));
  }
  llvm::Error added = object != nullptr
                          ? (*jit)->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(*object, "aot.o"))
                          : (*jit)->addIRModule(llvm::orc::ThreadSafeModule(std::move(module), std::move(context)));
  if (added) return absl::InternalError(absl::StrCat("AOT arena measurement: ", ToString(std::move(added))));
  auto address = (*jit)->lookup(inputs.entry_symbol);
  if (!address) return absl::InternalError(absl::StrCat("AOT arena measurement: ", ToString(address.takeError())));
  auto entry = address->toPtr<StrataAotEntry>();

  std::vector<Buffer> owned;
  std::vector<const void*> args;
  std::vector<void*> results;
  for (const ArenaMeasureInputs::Buffer& a : inputs.args) {
    owned.push_back(Allocate(a.bytes));
    if (owned.back() == nullptr) return absl::ResourceExhaustedError("AOT arena measurement: out of memory");
    FillOnes(owned.back().get(), a);
    args.push_back(owned.back().get());
  }
  for (int64_t bytes : inputs.result_bytes) {
    owned.push_back(Allocate(bytes));
    if (owned.back() == nullptr) return absl::ResourceExhaustedError("AOT arena measurement: out of memory");
    results.push_back(owned.back().get());
  }
  Buffer scratch = Allocate(inputs.scratch_bytes);
  Buffer weights = Allocate(inputs.weights != nullptr ? static_cast<int64_t>(inputs.weights->size()) : 0);
  if (scratch == nullptr || weights == nullptr) return absl::ResourceExhaustedError("AOT arena measurement: out of memory");
  if (inputs.weights != nullptr && !inputs.weights->empty()) std::memcpy(weights.get(), inputs.weights->data(), inputs.weights->size());

  auto run = [&](aot::Arena& arena) {
    int64_t bad_value = 0;
    aot::ScopedRunContext context(&arena, /*pool=*/nullptr);
    entry(args.data(), results.data(), weights.get(), scratch.get(), &bad_value);
  };
  auto result_bytes = [&] {
    std::vector<std::string> out;
    for (size_t r = 0; r < results.size(); ++r) {
      out.emplace_back(static_cast<const char*>(results[r]), static_cast<size_t>(inputs.result_bytes[r]));
    }
    return out;
  };

  // 1. As stacks. Regions that turn out too small send blocks to the heap (counted): grow and
  // run again.
  ArenaPlan plan;
  std::vector<ArenaBlockLifetime> lifetimes;
  bool measured = false;
  for (int64_t capacity = kFirstCapacity; capacity <= kMaxCapacity && !measured; capacity *= 4) {
    aot::Arena arena;
    if (!arena.Reserve(capacity, capacity, 1)) return absl::ResourceExhaustedError("AOT arena measurement: out of memory");
    LifetimeRecorder recorder;
    arena.main().set_observer(&recorder);
    run(arena);
    arena.main().set_observer(nullptr);
    if (arena.heap_fallback_bytes() == 0) {
      measured = true;
      plan.main_bytes = plan.stack_main_bytes = static_cast<int64_t>(arena.main().peak());
      plan.chunk_bytes = static_cast<int64_t>(arena.slot(0)->peak());
      lifetimes = recorder.Finish();
    }
  }
  if (!measured) return absl::ResourceExhaustedError("AOT: the compiled code needs more than 64 GiB of intermediates");

  // 2. Packed by lifetime, kept only if smaller and if a run through it needs no heap and
  // computes the same bytes.
  absl::StatusOr<ArenaPacking> packing = PackArenaBlocks(lifetimes);
  if (!packing.ok()) return absl::InternalError(absl::StrCat("AOT arena packing: ", packing.status().message()));
  plan.sum_main_bytes = static_cast<int64_t>(packing->sum_bytes);
  if (lifetimes.empty() || static_cast<int64_t>(packing->bytes) >= plan.stack_main_bytes) return plan;
  std::vector<aot::PlannedBlock> blocks;
  for (size_t i = 0; i < lifetimes.size(); ++i) blocks.push_back({packing->offsets[i], lifetimes[i].bytes});
  const std::vector<std::string> stack_results = result_bytes();
  for (size_t r = 0; r < results.size(); ++r) std::memset(results[r], 0, static_cast<size_t>(inputs.result_bytes[r]));
  aot::Arena arena;
  if (!arena.Reserve(packing->bytes, static_cast<uint64_t>(plan.chunk_bytes), 1)) {
    return absl::ResourceExhaustedError("AOT arena measurement: out of memory");
  }
  arena.main().SetPlan(blocks.data(), blocks.size());
  run(arena);
  if (arena.heap_fallback_bytes() == 0 && result_bytes() == stack_results) {
    plan.main_bytes = static_cast<int64_t>(packing->bytes);
    plan.main_blocks = std::move(blocks);
  }
  return plan;
}

}  // namespace strata
