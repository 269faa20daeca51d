// Runs an AOT module once under the JIT to measure its arena (see aot_arena_measure.h).
#include "compiler/aot_arena_measure.h"

#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
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

  // Regions that turn out too small send blocks to the heap (counted): grow and run again.
  for (int64_t capacity = kFirstCapacity; capacity <= kMaxCapacity; capacity *= 4) {
    aot::Arena arena;
    if (!arena.Reserve(capacity, capacity, 1)) return absl::ResourceExhaustedError("AOT arena measurement: out of memory");
    int64_t bad_value = 0;
    {
      aot::ScopedRunContext run(&arena, /*pool=*/nullptr);
      entry(args.data(), results.data(), weights.get(), scratch.get(), &bad_value);
    }
    if (arena.heap_fallback_bytes() == 0) {
      return ArenaPlan{static_cast<int64_t>(arena.main().peak()), static_cast<int64_t>(arena.slot(0)->peak())};
    }
  }
  return absl::ResourceExhaustedError("AOT: the compiled code needs more than 64 GiB of intermediates");
}

}  // namespace strata
