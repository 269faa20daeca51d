// Shared-memory bank conflicts as the GPU emulator counts them, the offline counterpart of
// Nsight Compute's l1tex__data_bank_conflicts: a warp's n-th shared access of each lane is one
// request (the lanes run the same instructions; divergent kernels are counted approximately);
// its wavefronts are the most distinct 4-byte words any of the 32 banks (word % 32) must serve,
// and the ideal is the distinct words / 32, rounded up. Wavefronts above the ideal are conflicts.
// Off by default (it keeps every shared access of a block until its next barrier); on with
// SetSharedBankCounting or STRATA_EMU_BANK_CONFLICTS=1.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace strata::gpu::emu {

struct SharedBankStats {
  uint64_t load_requests = 0, load_wavefronts = 0, load_ideal = 0;
  uint64_t store_requests = 0, store_wavefronts = 0, store_ideal = 0;
};

// One lane's shared access.
struct LaneAccess {
  uint64_t address = 0;
  uint32_t bytes = 0;
  bool store = false;
};

void SetSharedBankCounting(bool on);
bool SharedBankCounting();

// The counts per kernel name since the last call, and resets them.
std::map<std::string, SharedBankStats> TakeSharedBankStats();

// Adds one warp-level request made of `lanes` (the runner calls it).
void CountSharedRequest(const std::string& kernel, const std::vector<LaneAccess>& lanes);

}  // namespace strata::gpu::emu
