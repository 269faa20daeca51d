#include "runtime/gpu/emulator/shared_bank_stats.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <utility>

namespace strata::gpu::emu {
namespace {

constexpr uint64_t kBanks = 32, kBankBytes = 4;

std::atomic<bool>& Counting() {
  static std::atomic<bool> on{[] {
    const char* env = std::getenv("STRATA_EMU_BANK_CONFLICTS");
    return env != nullptr && std::strcmp(env, "1") == 0;
  }()};
  return on;
}

std::mutex& StatsMutex() {
  static std::mutex* mu = new std::mutex();
  return *mu;
}

std::map<std::string, SharedBankStats>& Stats() {
  static auto* stats = new std::map<std::string, SharedBankStats>();
  return *stats;
}

}  // namespace

void SetSharedBankCounting(bool on) { Counting().store(on); }
bool SharedBankCounting() { return Counting().load(std::memory_order_relaxed); }

std::map<std::string, SharedBankStats> TakeSharedBankStats() {
  std::lock_guard<std::mutex> lock(StatsMutex());
  return std::exchange(Stats(), {});
}

void CountSharedRequest(const std::string& kernel, const std::vector<LaneAccess>& lanes) {
  if (lanes.empty()) return;
  std::set<uint64_t> words;
  for (const LaneAccess& a : lanes) {
    const uint64_t first = a.address / kBankBytes, last = (a.address + std::max<uint32_t>(a.bytes, 1) - 1) / kBankBytes;
    for (uint64_t w = first; w <= last; ++w) words.insert(w);
  }
  uint64_t per_bank[kBanks] = {};
  for (uint64_t w : words) ++per_bank[w % kBanks];
  const uint64_t wavefronts = std::max<uint64_t>(1, *std::max_element(per_bank, per_bank + kBanks));
  const uint64_t ideal = std::max<uint64_t>(1, (words.size() + kBanks - 1) / kBanks);
  std::lock_guard<std::mutex> lock(StatsMutex());
  SharedBankStats& s = Stats()[kernel];
  if (lanes.front().store) {
    ++s.store_requests, s.store_wavefronts += wavefronts, s.store_ideal += ideal;
  } else {
    ++s.load_requests, s.load_wavefronts += wavefronts, s.load_ideal += ideal;
  }
}

}  // namespace strata::gpu::emu
